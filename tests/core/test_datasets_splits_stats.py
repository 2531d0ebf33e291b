"""make_splits, dataset_statistics and preview_table on generated data."""

import json
from collections import Counter

import pytest

from embedstudio.core.datasets import Dataset, ImportReport, TextTable, dataset_statistics, make_splits, preview_table
from embedstudio.core.jobs import RecordingReporter


def table(counts: dict[str, int]) -> TextTable:
    t = TextTable()
    for label, n in counts.items():
        for i in range(n):
            t.append(f"{label} document number {i}", label, f"gen:{label}:{i}")
    return t


def dataset(train: TextTable, test: TextTable | None = None) -> Dataset:
    classes = sorted(set(train.labels))
    return Dataset("gen", train, test, classes, ImportReport("gen", "csv"))


# ---- splits ---------------------------------------------------------------------------------
def test_stratified_seeded_three_way_split():
    ds = dataset(table({"a": 60, "b": 30, "c": 10}))
    s = make_splits(ds, validation_fraction=0.1, test_fraction=0.2, seed=7)
    assert (len(s.train), len(s.validation), len(s.test)) == (70, 10, 20)
    assert Counter(s.test.labels) == {"a": 12, "b": 6, "c": 2}
    assert Counter(s.validation.labels) == {"a": 6, "b": 3, "c": 1}
    assert s.classes == ["a", "b", "c"] and s.warnings == []
    everything = s.train.sources + s.validation.sources + s.test.sources
    assert sorted(everything) == sorted(ds.train.sources)  # a partition: nothing lost or repeated
    again = make_splits(ds, validation_fraction=0.1, test_fraction=0.2, seed=7)
    assert again.test.sources == s.test.sources and again.train.sources == s.train.sources
    other = make_splits(ds, validation_fraction=0.1, test_fraction=0.2, seed=8)
    assert other.test.sources != s.test.sources


def test_given_test_set_is_kept_and_test_fraction_unused():
    test = table({"a": 3, "b": 3})
    ds = dataset(table({"a": 20, "b": 20}), test)
    s = make_splits(ds, validation_fraction=0.25, test_fraction=0.5, seed=1)
    assert s.test is test
    assert (len(s.train), len(s.validation)) == (30, 10)
    assert Counter(s.validation.labels) == {"a": 5, "b": 5}


def test_zero_validation_gives_an_empty_validation_table():
    s = make_splits(dataset(table({"a": 10, "b": 10})), validation_fraction=0.0, test_fraction=0.2, seed=0)
    assert len(s.validation) == 0 and isinstance(s.validation, TextTable)
    assert (len(s.train), len(s.test)) == (16, 4)
    none = make_splits(dataset(table({"a": 5, "b": 5})), validation_fraction=0.0, test_fraction=0.0, seed=0)
    assert (len(none.train), len(none.validation), len(none.test)) == (10, 0, 0)


def test_classes_too_small_to_stratify_fall_back_with_a_warning():
    ds = dataset(table({"a": 20, "b": 20, "rare": 1}))
    reporter = RecordingReporter()
    s = make_splits(ds, validation_fraction=0.1, test_fraction=0.2, seed=3, reporter=reporter)
    assert len(s.train) + len(s.validation) + len(s.test) == 41
    assert any("could not be stratified" in w and "smallest class has 1 example)" in w for w in s.warnings)
    assert reporter.warnings == s.warnings


def test_tiny_dataset_never_crashes():
    ds = dataset(table({"a": 1, "b": 1}))
    s = make_splits(ds, validation_fraction=0.4, test_fraction=0.4, seed=0)
    assert len(s.train) >= 1 and len(s.train) + len(s.validation) + len(s.test) == 2


# ---- statistics -----------------------------------------------------------------------------
def test_statistics_counts_lengths_and_quality():
    t = TextTable()
    for i in range(98):
        t.append(" ".join(["w"] * (i % 10 + 1)), "ab"[i % 2] if i < 90 else "a", f"s{i}")
    t.append("...", "b", "dot")
    t.append("w", "a", "dup")  # same as row 0
    st = dataset_statistics(t, classes=["a", "b", "c"])
    assert st.n == 100
    assert st.class_counts == {"a": 54, "b": 46, "c": 0}
    assert st.empty == 1 and st.duplicates > 0
    assert st.lengths["min"] == 1 and st.lengths["max"] == 10 and 5 <= st.lengths["p50"] <= 6
    assert st.lengths["p90"] <= st.lengths["p99"] <= st.lengths["max"]
    edges, counts = st.length_histogram
    assert len(edges) == len(counts) + 1 and sum(counts) == 100
    assert st.imbalance_ratio == pytest.approx(54 / 46)


def test_duplicates_are_counted_exactly():
    t = TextTable(["x", "x", "x", "y", "y"], ["a", "a", "b", "a", "a"], ["1", "2", "3", "4", "5"])
    st = dataset_statistics(t)
    assert st.duplicates == 2 and st.class_counts == {"a": 4, "b": 1} and st.imbalance_ratio == 4.0


def test_statistics_of_an_empty_table():
    st = dataset_statistics(TextTable())
    assert st.n == 0 and st.class_counts == {} and st.imbalance_ratio == 1.0
    assert st.lengths == {"min": 0.0, "p50": 0.0, "p90": 0.0, "p99": 0.0, "max": 0.0}


def test_histogram_puts_outliers_in_the_last_bin():
    t = TextTable([" ".join(["w"] * 10)] * 200 + [" ".join(["w"] * 5000)], ["a"] * 201, ["s"] * 201)
    edges, counts = dataset_statistics(t).length_histogram
    assert edges[-1] < 5000 and counts[-1] >= 1 and sum(counts) == 201


def test_textable_subset_and_length_check():
    t = table({"a": 3})
    sub = t.subset([2, 0])
    assert sub.texts == [t.texts[2], t.texts[0]] and len(sub) == 2
    with pytest.raises(ValueError):
        TextTable(["a"], [], [])


# ---- preview --------------------------------------------------------------------------------
def test_preview_csv_suggests_columns(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(
        "id,headline,topic\n" + "".join(f"{i},A fairly long headline number {i},{'xy'[i % 2]}\n" for i in range(80)),
        encoding="utf-8",
    )
    pv = preview_table(path, n=10)
    assert pv.columns == ["id", "headline", "topic"] and len(pv.rows) == 10
    assert pv.has_header and pv.delimiter == "," and pv.format == "csv"
    assert (pv.suggested_text_column, pv.suggested_label_column) == ("headline", "topic")
    raw = preview_table(path, has_header=False, delimiter=",", n=3)
    assert raw.columns == ["0", "1", "2"] and raw.rows[0] == ["id", "headline", "topic"]


def test_preview_headerless_tsv_suggests_by_content(tmp_path):
    path = tmp_path / "p.tsv"
    path.write_text("".join(f"{'hs'[i % 3 == 0]}\tmessage text that is long, number {i}\n" for i in range(30)))
    pv = preview_table(path)
    assert not pv.has_header and pv.delimiter == "\t" and pv.columns == ["0", "1"]
    assert (pv.suggested_text_column, pv.suggested_label_column) == ("1", "0")
    assert len(pv.rows) == 30


def test_preview_jsonl_fasttext_and_folders(tmp_path):
    jl = tmp_path / "d.jsonl"
    jl.write_text("\n".join(json.dumps({"label": i % 2, "sentence": f"words {i}", "extra": True}) for i in range(5)))
    pv = preview_table(jl)
    assert pv.columns == ["label", "sentence", "extra"] and pv.rows[1] == ["1", "words 1", "true"]
    assert (pv.suggested_text_column, pv.suggested_label_column) == ("sentence", "label")
    ft = tmp_path / "d.txt"
    ft.write_text("__label__a first line\n__label__b second\n")
    pv = preview_table(ft)
    assert pv.format == "fasttext" and pv.rows == [["a", "first line"], ["b", "second"]]
    root = tmp_path / "docs"
    for label in ("x", "y"):
        (root / label).mkdir(parents=True)
        for i in range(3):
            (root / label / f"{i}").write_text(f"{label} body {i}")
    pv = preview_table(root, n=4)
    assert pv.format == "folders" and pv.columns == ["label", "text"]
    assert [r[0] for r in pv.rows] == ["x", "y", "x", "y"]  # round-robin over the classes


def test_preview_reads_only_the_head_of_a_big_file(tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "w") as fh:
        fh.write("text,label\n")
        for i in range(60000):
            fh.write(f"a row of text that is quite long to fill the megabyte quickly {i},{i % 3}\n")
    assert path.stat().st_size > (1 << 20) * 3
    pv = preview_table(path, n=5)
    assert len(pv.rows) == 5 and pv.rows[-1][1] == "1"
