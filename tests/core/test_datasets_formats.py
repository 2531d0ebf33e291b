"""Every format and layout, generated tiny in tmp_path, through detect_dataset_format and load_dataset."""

import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest

from embedstudio.core.config import DataConfig
from embedstudio.core.datasets import DATASET_SUFFIXES, detect_dataset_format, load_dataset
from embedstudio.core.jobs import Cancelled, CancelToken, RecordingReporter

SPORTS = [
    "The match ended two to one",
    "A late goal won the cup",
    "The striker scored twice",
    "Fans cheered the keeper",
]
SCIENCE = [
    "The probe reached orbit",
    "Cells divide by mitosis",
    "The telescope saw a comet",
    "Atoms bond into molecules",
]


def load(path, **kwargs):
    return load_dataset(DataConfig(path=str(path), **kwargs))


def write_class_folders(root: Path, docs: dict[str, list[str]]) -> Path:
    for label, texts in docs.items():
        (root / label).mkdir(parents=True, exist_ok=True)
        for i, text in enumerate(texts):
            (root / label / f"{i:03d}.txt").write_text(text, encoding="utf-8")
    return root


def write_split(parent: Path, name="news") -> Path:
    write_class_folders(parent / f"{name}-train", {"sports": SPORTS[:3], "science": SCIENCE[:3]})
    write_class_folders(parent / f"{name}-test", {"sports": SPORTS[3:], "science": SCIENCE[3:]})
    return parent


# ---- folders and split layouts -------------------------------------------------------------
def test_folder_per_class(tmp_path):
    root = write_class_folders(tmp_path / "data", {"sports": SPORTS, "science": SCIENCE})
    (root / ".hidden").mkdir()
    (root / "sports" / ".DS_Store").write_bytes(b"\x00\x01junk")
    assert detect_dataset_format(root) == "folders"
    ds = load(root)
    assert ds.classes == ["science", "sports"]
    assert ds.test is None
    assert len(ds.train) == 8
    assert ds.report.format == "folders" and ds.report.rows_read == 8
    i = ds.train.texts.index("A late goal won the cup")
    assert ds.train.labels[i] == "sports"
    assert ds.train.sources[i] == str(root / "sports" / "001.txt")


def test_split_layout_from_parent_or_either_folder(tmp_path):
    parent = write_split(tmp_path / "news")
    for given in (parent, parent / "news-train", parent / "news-test"):
        assert detect_dataset_format(given) == "split", given
        ds = load(given)
        assert ds.report.format == "split"
        assert (len(ds.train), len(ds.test)) == (6, 2)
        assert set(ds.test.texts) == {SPORTS[3], SCIENCE[3]}
        assert ds.classes == ["science", "sports"]


def test_split_layout_with_subset_of_classes_in_test_warns(tmp_path):
    parent = tmp_path / "d"
    write_class_folders(
        parent / "train",
        {"a": ["alpha one", "alpha two"], "b": ["beta one", "beta two"], "c": ["gamma one", "gamma two"]},
    )
    write_class_folders(parent / "test", {"a": ["alpha three"], "b": ["beta three"]})
    ds = load(parent)
    assert ds.classes == ["a", "b", "c"]
    assert any("no examples of 1 class: 'c'" in w for w in ds.report.warnings)


def make_tar_split(path: Path, *, root="corpus-bydate", binary_junk=False) -> Path:
    with tarfile.open(path, "w:gz") as tf:

        def add(name, data: bytes):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))

        for split, part in (("train", slice(0, 3)), ("test", slice(3, 4))):
            for label, texts in (("sports", SPORTS), ("science", SCIENCE)):
                for i, text in enumerate(texts[part]):
                    add(f"{root}-{split}/{label}/{i}", text.encode())
        add(f"{root}-train/sports/latin1", "Le caf\xe9 du stade".encode("latin-1"))
        add("README", b"not a document")
        if binary_junk:
            add(f"{root}-train/science/junk", bytes(range(256)) * 4)
    return path


def test_split_layout_streamed_from_tar_gz(tmp_path):
    archive = make_tar_split(tmp_path / "corpus.tar.gz", binary_junk=True)
    assert detect_dataset_format(archive) == "split"
    reporter = RecordingReporter()
    ds = load_dataset(DataConfig(path=str(archive)), reporter=reporter)
    assert ds.report.format == "split"
    assert (len(ds.train), len(ds.test)) == (8, 2)  # 3+3 texts, the latin-1 file and the junk file
    assert "Le café du stade" in ds.train.texts
    latin = f"{archive}!/corpus-bydate-train/sports/latin1"
    assert latin in ds.report.encoding_fallback
    assert f"{archive}!/corpus-bydate-train/science/junk" in ds.report.encoding_fallback
    assert any("not valid utf-8" in w for w in ds.report.warnings)
    assert any("1 file outside the train/test folders was ignored" in w for w in ds.report.warnings)
    assert ds.report.rows_read == 10
    assert reporter.progress_calls and reporter.progress_calls[-1][1] == archive.stat().st_size


def test_folders_from_zip_with_a_wrapping_folder(tmp_path):
    archive = tmp_path / "reviews.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for label, texts in (("pos", SPORTS), ("neg", SCIENCE)):
            for i, text in enumerate(texts):
                zf.writestr(f"reviews/{label}/{i}.txt", text)
        zf.writestr("__MACOSX/reviews/pos/._0.txt", b"\x00\x05")
    assert detect_dataset_format(archive) == "folders"
    ds = load(archive)
    assert ds.classes == ["neg", "pos"] and len(ds.train) == 8 and ds.test is None
    assert ds.train.sources[0].startswith(f"{archive}!/reviews/")


# ---- CSV / TSV -----------------------------------------------------------------------------
def test_csv_with_header_quoted_newlines_and_delimiters(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text(
        'id,review,sentiment\n1,"Great, really great.\nWould buy again",pos\n'
        '2,Terrible,neg\n3,"He said ""meh""",neg\n4,Fine,pos\n',
        encoding="utf-8",
    )
    assert detect_dataset_format(path) == "csv"
    ds = load(path)
    assert ds.train.texts == ["Great, really great.\nWould buy again", "Terrible", 'He said "meh"', "Fine"]
    assert ds.train.labels == ["pos", "neg", "neg", "pos"]
    # The record that spans two lines starts on line 2; the next one on line 4.
    assert ds.train.sources[:2] == [f"{path}:2", f"{path}:4"]


def test_tsv_without_header_auto_picks_label_and_text(tmp_path):
    path = tmp_path / "sms.txt"
    rows = [
        ("ham", "see you at noon"),
        ("spam", "WIN a prize now, call 0800"),
        ("ham", "ok thanks"),
        ("ham", 'she said "hi" to me'),
        ("spam", '"FREE" entry, text WIN'),
    ]
    path.write_text("".join(f"{a}\t{b}\n" for a, b in rows), encoding="utf-8")
    assert detect_dataset_format(path) == "tsv"
    ds = load(path, format="tsv")
    assert ds.train.labels == [a for a, _ in rows]
    assert ds.train.texts == [b for _, b in rows]  # literal quotes kept
    assert ds.classes == ["ham", "spam"]


@pytest.mark.parametrize("delimiter", [";", "|", "\t"])
def test_delimiter_is_sniffed(tmp_path, delimiter):
    path = tmp_path / "data.csv"
    lines = [f"text{delimiter}label"] + [f"document number {i}{delimiter}{'ab'[i % 2]}" for i in range(6)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ds = load(path)
    assert len(ds.train) == 6 and ds.classes == ["a", "b"]
    assert ds.train.texts[0] == "document number 0"


def test_columns_by_name_or_index_and_explicit_header_and_delimiter(tmp_path):
    path = tmp_path / "multi.csv"
    path.write_text("Title,Body,Topic,Source\nt1,body one,x,s\nt2,body two,y,s\nt3,body three,x,s\n", encoding="utf-8")
    by_name = load(path, text_column="body", label_column="Topic")  # case-insensitive names
    assert by_name.train.texts == ["body one", "body two", "body three"]
    by_index = load(path, text_column="0", label_column="2")
    assert by_index.train.texts == ["t1", "t2", "t3"] and by_index.train.labels == ["x", "y", "x"]
    no_header = load(path, has_header=False, delimiter=",", text_column="1", label_column="2")
    assert no_header.train.texts[0] == "Body" and len(no_header.train) == 4
    tab = tmp_path / "tab.tsv"
    tab.write_text("a\tone\nb\ttwo\n", encoding="utf-8")
    assert load(tab, delimiter="\\t", has_header=False).train.texts == ["one", "two"]
    assert load(tab, delimiter="\t", has_header=False).train.labels == ["a", "b"]


def test_numeric_labels_sort_numerically(tmp_path):
    path = tmp_path / "n.csv"
    path.write_text("label,text\n10,ten\n2,two\n1,one\n", encoding="utf-8")
    assert load(path).classes == ["1", "2", "10"]


def test_rows_with_empty_label_are_skipped_with_a_warning(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("text,label\nfirst,a\nsecond,\nthird,b\n", encoding="utf-8")
    ds = load(path)
    assert ds.train.texts == ["first", "third"]
    assert any("1 row had an empty label" in w and f"{path}:3" in w for w in ds.report.warnings)


# ---- JSONL, fastText, TREC-style -----------------------------------------------------------
def test_jsonl_auto_keys_and_named_keys(tmp_path):
    path = tmp_path / "data.jsonl"
    objs = [
        {"id": 1, "text": "good film", "label": "pos", "meta": {"a": 1}},
        {"id": 2, "text": "bad film", "label": "neg", "meta": None},
        {"id": 3, "text": "fine film", "label": ["pos", "neu"], "meta": None},
    ]
    path.write_text("\n".join(json.dumps(o) for o in objs) + "\n\n", encoding="utf-8")
    assert detect_dataset_format(path) == "jsonl"
    ds = load(path)
    assert ds.train.texts == ["good film", "bad film", "fine film"]
    assert ds.train.labels == ["pos", "neg", "pos"]
    assert any("several labels" in w and f"{path}:3" in w for w in ds.report.warnings)
    by_id = load(path, text_column="text", label_column="id")
    assert by_id.classes == ["1", "2", "3"]


def test_jsonl_with_other_key_names_is_detected_by_content(tmp_path):
    path = tmp_path / "lines.txt"
    rows = [{"body": f"a long message number {i} about things", "cat": "xy"[i % 2]} for i in range(6)]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert detect_dataset_format(path) == "jsonl"
    ds = load(path)
    assert ds.train.labels == ["x", "y"] * 3 and ds.train.texts[0].startswith("a long message")


def test_fasttext_lines_and_multiple_labels(tmp_path):
    path = tmp_path / "train.ft"
    path.write_text(
        "__label__pos great movie\n\n__label__neg __label__meh dull plot\n__label__pos  fun  \n", encoding="utf-8"
    )
    assert detect_dataset_format(path) == "fasttext"
    ds = load(path)
    assert ds.train.texts == ["great movie", "dull plot", "fun"]
    assert ds.train.labels == ["pos", "neg", "pos"]
    assert ds.train.sources == [f"{path}:1", f"{path}:3", f"{path}:4"]
    assert any("several __label__ tags" in w and f"{path}:3" in w for w in ds.report.warnings)


def test_gensim_demo_file_through_the_data_path_prefix():
    ds = load_dataset(DataConfig(path="gensim-test-data:pang_lee_polarity.cor"))
    assert ds.report.format == "fasttext"
    assert ds.classes == ["neg", "pos"] and len(ds.train) == 200


def test_colon_label_lines_use_the_coarse_label(tmp_path):
    path = tmp_path / "questions.train"
    path.write_bytes(
        b"NUM:date When was the war ?\nLOC:city Which city is the caf\xe9 capital ?\nHUM:ind Who wrote it ?\n"
    )
    assert detect_dataset_format(path) == "colon_label"
    ds = load(path)
    assert ds.train.labels == ["NUM", "LOC", "HUM"]
    assert ds.train.texts[1] == "Which city is the café capital ?"
    assert ds.report.encoding_fallback == [f"{path}:2"]


def test_separate_test_file(tmp_path):
    train, test = tmp_path / "a.train", tmp_path / "a.test"
    train.write_text("__label__x one\n__label__y two\n__label__x three\n", encoding="utf-8")
    test.write_text("__label__x four\n", encoding="utf-8")
    ds = load(train, test_path=str(test))
    assert ds.test.texts == ["four"] and ds.report.rows_read == 4
    assert any("no examples of 1 class: 'y'" in w for w in ds.report.warnings)


def test_separate_test_folder_next_to_a_train_folder(tmp_path):
    parent = write_split(tmp_path / "p")
    ds = load(parent / "news-train", test_path=str(parent / "news-test"))
    assert ds.report.format == "folders" and (len(ds.train), len(ds.test)) == (6, 2)


# ---- cleaning, dropping, capping -----------------------------------------------------------
def mail(subject: str, body: str, group: str) -> str:
    return (
        f"From: someone@example.org\nSubject: {subject}\nNewsgroups: {group}\nLines: 3\n\n"
        f"In article <x@y>, a@b.c writes:\n> quoted text\n{body}\n\n-- \nsig of someone\n"
    )


def test_mail_documents_are_detected_and_stripped_by_default(tmp_path):
    root = tmp_path / "mailbox"
    write_class_folders(
        root,
        {
            "rec.autos": [
                mail("cars", "The engine runs well", "rec.autos"),
                mail("oil", "Change it often", "rec.autos"),
            ],
            "sci.med": [mail("flu", "Rest and fluids help", "sci.med"), mail("empty", "", "sci.med")],
        },
    )
    ds = load(root)
    assert ds.report.looks_like_mail
    assert ds.report.stripped_headers and ds.report.stripped_footers and ds.report.stripped_quotes
    assert sorted(t.strip() for t in ds.train.texts) == [
        "Change it often",
        "Rest and fluids help",
        "The engine runs well",
    ]
    assert ds.report.empty_dropped == 1
    kept = load(root, strip_headers=False, strip_quotes=False, strip_footers=False)
    assert not kept.report.stripped_headers and len(kept.train) == 4
    assert any("'Newsgroups:' header line" in w for w in kept.report.warnings)
    assert any("contain the class name itself" in w for w in kept.report.warnings)


def test_plain_documents_are_not_stripped_unless_asked(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("text,label\nHello there,a\n> quoted reply,b\nfine,a\nsure,b\n", encoding="utf-8")
    ds = load(path)
    assert not ds.report.looks_like_mail and not ds.report.stripped_quotes
    assert "> quoted reply" in ds.train.texts
    quoted = load(path, strip_quotes=True)
    assert quoted.report.stripped_quotes and quoted.report.empty_dropped == 1


def test_lowercase_empty_and_duplicate_handling(tmp_path):
    path = tmp_path / "d.tsv"
    path.write_text(
        "label\ttext\na\tHello World\na\tHello World\nb\tHello World\nb\t...\na\tBye\nb\tSee you\n", encoding="utf-8"
    )
    ds = load(path, lowercase=True)
    assert ds.train.texts == ["hello world", "hello world", "bye", "see you"]
    assert (ds.report.rows_read, ds.report.empty_dropped, ds.report.duplicates_dropped) == (6, 1, 1)
    assert any("more than one label" in w for w in ds.report.warnings)
    keep_all = load(path, drop_empty=False, drop_duplicates=False)
    assert len(keep_all.train) == 6 and keep_all.report.empty_dropped == 0
    assert any("1 row is empty" in w for w in keep_all.report.warnings)
    assert any("1 row is an exact duplicate" in w for w in keep_all.report.warnings)


def test_max_rows_keeps_a_fixed_sample_in_original_order(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("text,label\n" + "".join(f"doc {i},{'ab'[i % 2]}\n" for i in range(100)), encoding="utf-8")
    first, second = load(path, max_rows=10), load(path, max_rows=10)
    assert len(first.train) == 10 and first.train.texts == second.train.texts
    numbers = [int(t.split()[1]) for t in first.train.texts]
    assert numbers == sorted(numbers)
    assert any("data.max_rows = 10" in w for w in first.report.warnings)


def test_encoding_fallback_is_reported_per_line_and_configurable(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes("text,label\ncaf\xe9 noir,a\nplain,b\n".encode("cp1252"))
    ds = load(path)
    assert ds.train.texts[0] == "café noir"
    assert ds.report.encoding_fallback == [f"{path}:2"]
    latin = load(path, encoding="latin-1")
    assert latin.train.texts[0] == "café noir" and latin.report.encoding_fallback == []
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbftext,label\nx,a\ny,b\n")
    assert load(bom, text_column="text").train.texts == ["x", "y"]


def test_imbalance_is_warned(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text(
        "text,label\n" + "".join(f"common {i},big\n" for i in range(12)) + "rare one,small\nrare two,small\n",
        encoding="utf-8",
    )
    ds = load(path)
    assert any("imbalanced" in w and "6.0x" in w for w in ds.report.warnings)
    assert any("fewer than 5 examples: 'small'" in w for w in ds.report.warnings)


# ---- progress and cancel -------------------------------------------------------------------
def test_progress_is_reported_and_cancel_stops_the_import(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("text,label\n" + "".join(f"row {i},{'ab'[i % 2]}\n" for i in range(5000)), encoding="utf-8")
    reporter = RecordingReporter()
    load_dataset(DataConfig(path=str(path)), reporter=reporter)
    assert reporter.progress_calls, "no progress reported"
    assert all(total == 5000 for _, total, _ in reporter.progress_calls if total and total > 1000)
    assert len(reporter.progress_calls) < 500  # throttled
    assert any("Imported 5,000 training examples" in m for m in reporter.infos)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        load_dataset(DataConfig(path=str(path)), cancel=token)


def test_cancel_stops_a_folder_import(tmp_path):
    root = write_class_folders(tmp_path / "f", {"a": SPORTS * 20, "b": SCIENCE * 20})
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        load_dataset(DataConfig(path=str(root)), cancel=token)


def test_dataset_suffixes_cover_every_file_format():
    for suffix in (".csv", ".tsv", ".jsonl", ".txt", ".tar.gz", ".tgz", ".zip"):
        assert suffix in DATASET_SUFFIXES


def test_cancel_stops_an_archive_import(tmp_path):
    archive = make_tar_split(tmp_path / "c.tar.gz")
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        load_dataset(DataConfig(path=str(archive)), cancel=token)
