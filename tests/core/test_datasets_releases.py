"""Real-world release layouts and tables (issue 9, items 2 to 5), each generated tiny in tmp_path."""

import csv
import random
import zipfile
from pathlib import Path

import pytest

from embedstudio.core.config import DataConfig
from embedstudio.core.datasets import (
    dataset_statistics,
    detect_dataset_format,
    list_class_folders,
    list_sheets,
    load_dataset,
    make_splits,
    preview_table,
    rank_text_columns,
)
from embedstudio.core.datasets.cleaning import looks_like_html, strip_html
from embedstudio.core.datasets.types import plural
from embedstudio.core.errors import DatasetError
from embedstudio.core.jobs import RecordingReporter

POS = ["good", "great", "fine", "lovely", "superb", "nice", "moving"]
NEG = ["bad", "awful", "poor", "terrible", "dull", "ugly", "boring"]


def sentence(rnd, words, n=8):
    return " ".join(rnd.choice(words) for _ in range(n))


def load(path, **kwargs):
    return load_dataset(DataConfig(path=str(path), **kwargs))


def write_release(root: Path, *, unsup=True, html=True) -> Path:
    """A movie-review-like release: train/{pos,neg,unsup}, test/{pos,neg}, a README at the top."""
    rnd = random.Random(0)
    for split, parts in (("train", ("pos", "neg") + (("unsup",) if unsup else ())), ("test", ("pos", "neg"))):
        for part in parts:
            folder = root / split / part
            folder.mkdir(parents=True)
            words = {"pos": POS, "neg": NEG}.get(part, POS + NEG)
            for i in range(6 if part != "unsup" else 12):
                tail = "<br /><br />and &quot;more&quot;" if html else " and more"
                (folder / f"{i}.txt").write_text(f"{sentence(rnd, words)}{tail} {i}", encoding="utf-8")
    (root / "README").write_text("about this release")
    return root


# ---- 2. folder releases ----------------------------------------------------------------------
def test_unlabelled_folder_only_in_train_is_left_out_by_default_and_said(tmp_path):
    root = write_release(tmp_path / "aclImdb")
    reporter = RecordingReporter()
    ds = load_dataset(DataConfig(path=str(root)), reporter=reporter)
    assert ds.classes == ["neg", "pos"]
    assert (len(ds.train), len(ds.test)) == (12, 12)
    assert ds.report.excluded == {"unsup": 12}
    assert any("Left out the class folder 'unsup' (12 files)" in n for n in ds.report.notices)
    assert any("Left out the class folder 'unsup'" in line for line in reporter.infos)
    kept = load(root, exclude=[])  # an explicit empty list keeps it
    assert kept.classes == ["neg", "pos", "unsup"]


def test_exclude_patterns_on_folders_and_on_labelled_rows(tmp_path):
    root = write_release(tmp_path / "rel")
    (root / "train" / "tmp-pos").mkdir()
    (root / "train" / "tmp-pos" / "x.txt").write_text("scratch")
    ds = load(root, exclude=["UNS*", "tmp-*"])  # patterns are case-insensitive
    assert ds.classes == ["neg", "pos"] and ds.report.excluded == {"unsup": 12, "tmp-pos": 1}
    tsv = tmp_path / "rows.tsv"
    tsv.write_text(
        "label\ttext\n"
        + "".join(f"{lab}\ttext number {i} {lab}\n" for i, lab in enumerate(["a", "b", "tmp1", "tmp2"] * 3))
    )
    rows = load(tsv, exclude=["tmp*"])
    assert rows.classes == ["a", "b"] and rows.report.excluded == {"tmp1": 3, "tmp2": 3}
    unmatched = load(tsv, exclude=["zzz"])
    assert unmatched.classes == ["a", "b", "tmp1", "tmp2"]


def test_exclude_that_leaves_one_class_is_refused(tmp_path):
    root = write_release(tmp_path / "rel", unsup=False)
    with pytest.raises(DatasetError, match="only one class folder"):
        load(root, exclude=["neg"])


def test_pointing_at_train_names_the_sibling_test_folder_in_the_summary(tmp_path):
    root = write_release(tmp_path / "aclImdb")
    ds = load(root / "train")
    assert ds.report.test_source == str(root / "test")
    assert any(
        n.startswith(f"Test set: {root / 'test'}, the folder beside train (found automatically)")
        for n in ds.report.notices
    )


def test_given_test_path_is_named_too(tmp_path):
    train, test = tmp_path / "a.train", tmp_path / "a.test"
    train.write_text("__label__x one\n__label__y two\n", encoding="utf-8")
    test.write_text("__label__x four\n__label__y five\n", encoding="utf-8")
    ds = load(train, test_path=str(test))
    assert ds.report.test_source == str(test) and f"Test set: {test} (data.test_path)." in ds.report.notices


def test_wrapper_folder_in_a_zip_with_a_readme_is_descended(tmp_path):
    archive = tmp_path / "movie_reviews.zip"
    rnd = random.Random(1)
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("movie_reviews/README", "about")
        zf.writestr("LICENSE", "free")
        for label, words in (("pos", POS), ("neg", NEG)):
            for i in range(5):
                zf.writestr(f"movie_reviews/{label}/cv{i}.txt", sentence(rnd, words))
    ds = load(archive)
    assert ds.classes == ["neg", "pos"] and len(ds.train) == 10
    assert not any("ignored" in w for w in ds.report.warnings)  # README and LICENSE are not documents


def test_wrapper_folder_on_disk_is_descended(tmp_path):
    root = tmp_path / "download"
    write_release(root / "movie_reviews" / "data", unsup=False)
    (root / "README.md").write_text("x")
    ds = load(root)
    assert ds.report.format == "split" and ds.classes == ["neg", "pos"] and len(ds.test) == 12
    folders = list_class_folders(root)
    assert {f["name"]: (f["train_files"], f["test_files"]) for f in folders} == {"neg": (6, 6), "pos": (6, 6)}


def test_list_class_folders_marks_default_exclusions(tmp_path):
    root = write_release(tmp_path / "aclImdb")
    rows = {f["name"]: f for f in list_class_folders(root)}
    assert rows["unsup"]["excluded"] and rows["unsup"]["train_files"] == 12 and rows["unsup"]["test_files"] == 0
    assert not rows["pos"]["excluded"]
    assert not {f["name"]: f for f in list_class_folders(root, exclude=[])}["unsup"]["excluded"]


def write_polarity(folder: Path, n=30) -> Path:
    """rt-polarity.pos / .neg: one sentence per line, Latin-1, with 0x85 bytes inside lines."""
    folder.mkdir(parents=True)
    rnd = random.Random(2)
    for label, words in (("pos", POS), ("neg", NEG)):
        lines = [
            (
                sentence(rnd, words)
                + (" caf\xe9" if i % 3 == 0 else "")
                + (" so on\x85 end" if i % 4 == 0 else "")
                + f" {i}"
            ).encode("latin-1")
            for i in range(n)
        ]
        (folder / f"rt-polarity.{label}").write_bytes(b"\n".join(lines) + b"\n")
    return folder


def test_one_file_per_class_is_detected_and_split_on_newlines_only(tmp_path):
    folder = write_polarity(tmp_path / "rt-polaritydata")
    assert detect_dataset_format(folder) == "lines_per_class"
    ds = load(folder)
    assert ds.report.format == "lines_per_class" and ds.classes == ["neg", "pos"]
    assert len(ds.train) == 60  # 0x85 (NEL) did not split any line
    assert any("so on… end" in t for t in ds.train.texts)  # cp1252 decoding of 0x85
    assert any("café" in t for t in ds.train.texts)
    assert preview_table(folder).rows[0][0] in ("neg", "pos")


def test_class_folders_each_holding_one_big_file(tmp_path):
    rnd = random.Random(3)
    for label, words in (("objective", POS), ("subjective", NEG)):
        (tmp_path / "subj" / label).mkdir(parents=True)
        (tmp_path / "subj" / label / "all.txt").write_text(
            "\n".join(sentence(rnd, words) + f" {i}" for i in range(25)), encoding="utf-8"
        )
    ds = load(tmp_path / "subj")
    assert ds.report.format == "lines_per_class" and len(ds.train) == 50
    explicit = load(tmp_path / "subj", format="folders")  # still one document per file when asked
    assert len(explicit.train) == 2


def test_lines_per_class_by_stem_needs_the_format(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "pos.txt").write_text("nice one\ngreat two\n")
    (tmp_path / "d" / "neg.txt").write_text("bad one\npoor two\n")
    ds = load(tmp_path / "d", format="lines_per_class")
    assert ds.classes == ["neg", "pos"] and len(ds.train) == 4
    with pytest.raises(DatasetError, match="lines_per_class"):
        load(tmp_path / "d")  # two loose files are no class folders; the message names the format


@pytest.mark.parametrize(
    "name,content",
    [
        ("reut2-000.sgm", '<!DOCTYPE lewis SYSTEM "lewis.dtd">\n<REUTERS TOPICS="YES">\n<BODY>x</BODY>\n</REUTERS>\n'),
        ("news.txt", '<REUTERS TOPICS="YES" NEWID="1">\n<DATE>26-FEB-1987</DATE>\n<BODY>Showers</BODY>\n</REUTERS>\n'),
    ],
)
def test_sgml_is_recognised_and_refused_with_a_conversion_hint(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(DatasetError, match="SGML/XML markup") as err:
        load(path)
    assert "CSV" in str(err.value) and "quot" not in str(err.value)
    folder = tmp_path / "reuters"
    folder.mkdir()
    (folder / "reut2-001.sgm").write_text(content)
    with pytest.raises(DatasetError, match="SGML/XML markup"):
        load(folder)


# ---- 3. tables -------------------------------------------------------------------------------
def write_news(path: Path, n=30) -> Path:
    rnd = random.Random(4)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["label", "title", "description"])
        for i in range(n):
            words = POS if i % 2 else NEG
            w.writerow(["sport" if i % 2 else "business", f"Title {i}", sentence(rnd, words, 14) + " it #39;s"])
    return path


def test_text_column_chosen_by_content_and_several_joined(tmp_path):
    path = write_news(tmp_path / "news.csv")
    ds = load(path)
    assert ds.train.texts[0].startswith(
        (
            "good",
            "great",
            "fine",
            "lovely",
            "superb",
            "nice",
            "moving",
            "bad",
            "awful",
            "poor",
            "terrible",
            "dull",
            "ugly",
            "boring",
        )
    )
    both = load(path, text_column="title,description")
    assert both.train.texts[0].startswith("Title 0\n")
    as_list = load(path, text_column=["title", "description"])
    assert as_list.train.texts == both.train.texts
    pv = preview_table(path)
    assert pv.suggested_text_column == "description" and pv.text_column_ranking[:2] == ["description", "title"]
    assert rank_text_columns(pv.columns, pv.rows, label=0) == ["description", "title"]


def test_excel_with_sheet_selection_and_parquet(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    rnd = random.Random(5)
    rows = [("pos" if i % 2 else "neg", f"h{i}", sentence(rnd, POS if i % 2 else NEG, 12)) for i in range(12)]
    wb = openpyxl.Workbook()
    wb.active.title = "notes"
    wb.active.append(["nothing here"])
    sheet = wb.create_sheet("labelled")
    sheet.append(["category", "headline", "body"])
    for r in rows:
        sheet.append(list(r))
    xlsx = tmp_path / "sheet.xlsx"
    wb.save(xlsx)
    assert [s["name"] for s in list_sheets(xlsx)] == ["notes", "labelled"]
    ds = load(xlsx, sheet="labelled")
    assert ds.report.format == "excel" and ds.classes == ["neg", "pos"] and ds.train.texts[0] == rows[0][2]
    assert load(xlsx, sheet="1").train.texts == ds.train.texts
    with pytest.raises(DatasetError, match="data.sheet is 'nope'.*'notes', 'labelled'"):
        load(xlsx, sheet="nope")
    with pytest.raises(DatasetError, match="only one column"):
        load(xlsx)  # the first sheet has one column
    pv = preview_table(xlsx, sheet="labelled")
    assert pv.sheets == ["notes", "labelled"] and pv.suggested_text_column == "body"
    parquet = tmp_path / "t.parquet"
    pq.write_table(
        pa.table({"id": list(range(12)), "body": [r[2] for r in rows], "category": [r[0] for r in rows]}), parquet
    )
    pds = load(parquet)
    assert pds.report.format == "parquet" and pds.classes == ["neg", "pos"] and pds.train.texts[0] == rows[0][2]
    assert preview_table(parquet).suggested_label_column == "category"


def test_an_all_distinct_label_column_is_refused(tmp_path):
    path = tmp_path / "idtext.csv"
    path.write_text("".join(f"{i},some words here number {i}\n" for i in range(1, 5)))
    with pytest.raises(DatasetError, match="label column '0' has 4 different values in 4 rows"):
        load(path)


def test_a_text_only_table_gives_the_same_clear_message_in_preview_and_import(tmp_path):
    path = tmp_path / "textonly.csv"
    path.write_text("text\n" + "".join(f"nice words {i}\n" for i in range(5)))
    for call in (lambda: preview_table(path), lambda: load(path)):
        with pytest.raises(DatasetError, match="only one column .'text'. was found"):
            call()


# ---- 4. splits and validation ----------------------------------------------------------------
def write_phrases(path: Path, n=120) -> Path:
    rnd = random.Random(6)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("sentence\tlabel\n")
        for i in range(n):
            tokens = (sentence(rnd, POS if i % 2 else NEG, 10) + f" w{i}").split()
            for k in (0, 3, 5, 7):
                fh.write(f"{' '.join(tokens[k:])}\t{i % 2}\n")
    return path


def test_phrase_level_validation_leak_is_detected(tmp_path):
    ds = load(write_phrases(tmp_path / "phrases.tsv"))
    splits = make_splits(ds, validation_fraction=0.2, test_fraction=0.2, seed=1)
    assert any(
        "sampled validation texts occur inside training texts" in w and "data.validation_path" in w
        for w in splits.warnings
    )
    plain = load(write_news(tmp_path / "news.csv", n=60))
    assert not any(
        "occur inside" in w for w in make_splits(plain, validation_fraction=0.2, test_fraction=0.2, seed=1).warnings
    )


def test_given_validation_file_is_the_validation_split(tmp_path):
    train, dev = tmp_path / "train.tsv", tmp_path / "dev.tsv"
    train.write_text("label\ttext\n" + "".join(f"{i % 2}\ttraining text {i}\n" for i in range(20)))
    dev.write_text("label\ttext\n" + "".join(f"{i % 2}\tdev text {i}\n" for i in range(6)))
    ds = load(train, validation_path=str(dev))
    assert len(ds.validation) == 6 and ds.report.validation_source == str(dev)
    splits = make_splits(ds, validation_fraction=0.3, test_fraction=0.2, seed=0)
    assert splits.validation.texts == ds.validation.texts
    assert len(splits.train) + len(splits.test) == 20


def test_split_seed_fixes_the_test_set_whatever_the_training_seed(tmp_path):
    from embedstudio.core.config import RunConfig

    assert RunConfig().data.split_seed == RunConfig().training.seed  # same split as before by default
    ds = load(write_news(tmp_path / "news.csv", n=60))
    a = make_splits(ds, validation_fraction=0.1, test_fraction=0.2, seed=RunConfig().data.split_seed)
    b = make_splits(ds, validation_fraction=0.1, test_fraction=0.2, seed=RunConfig().data.split_seed)
    assert a.test.texts == b.test.texts
    c = make_splits(ds, validation_fraction=0.1, test_fraction=0.2, seed=7)
    assert c.test.texts != a.test.texts


def test_max_rows_caps_training_rows_only(tmp_path):
    train, test = tmp_path / "train.tsv", tmp_path / "test.tsv"
    train.write_text("label\ttext\n" + "".join(f"{i % 2}\ttraining text {i}\n" for i in range(40)))
    test.write_text("label\ttext\n" + "".join(f"{i % 2}\ttest text {i}\n" for i in range(30)))
    ds = load(train, test_path=str(test), max_rows=10)
    assert (len(ds.train), len(ds.test)) == (10, 30)
    assert any("caps the training rows only" in n for n in ds.report.notices)
    capped = load(train, test_path=str(test), max_rows=10, max_test_rows=8)
    assert len(capped.test) == 8 and any("data.max_test_rows = 8" in w for w in capped.report.warnings)


# ---- 5. cleaning -----------------------------------------------------------------------------
def test_html_is_stripped_by_default_when_common_and_counted(tmp_path):
    root = write_release(tmp_path / "aclImdb", unsup=False)
    ds = load(root)
    assert ds.report.html_cleaned == 24
    assert not any("<br" in t or "&quot;" in t for t in ds.train.texts)
    assert any('"more"' in t for t in ds.train.texts)
    assert any("HTML cleaned in 24 documents" in n for n in ds.report.notices)
    raw = load(root, strip_html=False)
    assert raw.report.html_cleaned == 0 and any("<br />" in t for t in raw.train.texts)
    clean = write_release(tmp_path / "clean", unsup=False, html=False)
    assert load(clean).report.html_cleaned == 0


def test_strip_html_rules():
    assert strip_html("one<br />two &amp; three &#39;four&#39;") == "one two & three 'four'"
    assert strip_html("it #39;s quot;fine quot;") == 'it \'s "fine "'
    assert strip_html("a < b and c > d") == "a < b and c > d"
    assert looks_like_html(["x <p>y</p>"] * 5 + ["plain"] * 95)
    assert not looks_like_html(["x <p>y</p>"] * 2 + ["plain"] * 98)


def test_rows_emptied_by_cleaning_are_counted_as_such(tmp_path):
    path = tmp_path / "d.tsv"
    path.write_text(
        "label\ttext\n" + "a\t<br /><br />\n" + "".join(f"{lab}\t<i>text {i}</i>\n" for i, lab in enumerate("abab"))
    )
    ds = load(path, strip_html=True)
    assert ds.report.empty_dropped == 1 and ds.report.empty_after_cleaning == 1
    kept = load(path, strip_html=True, drop_empty=False)
    assert any("1 of them empty after cleaning" in w for w in kept.report.warnings)


def test_statistics_use_the_training_tokenizer():
    from embedstudio.core import text
    from embedstudio.core.config import TextConfig
    from embedstudio.core.datasets.types import TextTable

    table = TextTable(["it's old-fashioned, isn't it?", "plain words here"], ["a", "b"], ["x", "y"])
    assert dataset_statistics(table).lengths["max"] == 4  # words as written without a tokenizer
    if not hasattr(text, "standardize_texts"):
        pytest.skip("core/text.py has no shared standardize_texts() yet")
    option = TextConfig().standardize
    expected = max(len(t.split()) for t in text.standardize_texts(table.texts, option))
    assert dataset_statistics(table, standardize=option).lengths["max"] == expected


def test_plural():
    assert [plural(1, "class"), plural(2, "class"), plural(1, "file"), plural(3, "file"), plural(2, "entry")] == [
        "1 class",
        "2 classes",
        "1 file",
        "3 files",
        "2 entries",
    ]


def test_one_file_per_class_inside_an_archive(tmp_path):
    import io
    import tarfile

    folder = write_polarity(tmp_path / "src" / "rt-polaritydata")
    archive = tmp_path / "rt-polaritydata.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        for f in sorted(folder.iterdir()):
            tf.add(f, arcname=f"rt-polaritydata/{f.name}")
        readme = b"about"
        info = tarfile.TarInfo("rt-polaritydata.README.1.0.txt")
        info.size = len(readme)
        tf.addfile(info, io.BytesIO(readme))
    ds = load(archive)
    assert ds.report.format == "lines_per_class" and ds.classes == ["neg", "pos"] and len(ds.train) == 60
    assert any("so on… end" in t for t in ds.train.texts)


def test_unlabelled_folder_left_out_in_an_archive_too(tmp_path):
    archive = tmp_path / "aclImdb.zip"
    rnd = random.Random(7)
    with zipfile.ZipFile(archive, "w") as zf:
        for split, parts in (("train", ("pos", "neg", "unsup")), ("test", ("pos", "neg"))):
            for part in parts:
                for i in range(3):
                    zf.writestr(f"aclImdb/{split}/{part}/{i}.txt", sentence(rnd, POS + NEG) + f" {part} {i}")
    ds = load(archive)
    assert ds.classes == ["neg", "pos"] and ds.report.excluded == {"unsup": 3}
    assert ds.report.test_source.endswith("!/test")
