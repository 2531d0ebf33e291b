"""Every bad input gives a DatasetError that names the file, the line/field and what to do."""

import io
import tarfile

import pytest

from embedstudio.core.config import DataConfig
from embedstudio.core.datasets import load_dataset, preview_table
from embedstudio.core.errors import DatasetError


def fails(path, **kwargs) -> str:
    with pytest.raises(DatasetError) as info:
        load_dataset(DataConfig(path=str(path), **kwargs))
    return str(info.value)


def folders(root, spec: dict[str, int]):
    for label, count in spec.items():
        (root / label).mkdir(parents=True)
        for i in range(count):
            (root / label / f"{i}.txt").write_text(f"{label} text {i}")
    return root


def test_missing_and_empty_paths(tmp_path):
    msg = fails(tmp_path / "nope.csv")
    assert "Dataset not found" in msg and "nope.csv" in msg and "data.path" in msg
    assert "data.path is empty" in fails("")
    good = tmp_path / "g.csv"
    good.write_text("text,label\na,x\nb,y\n")
    msg = fails(good, test_path=str(tmp_path / "missing-test.csv"))
    assert "missing-test.csv" in msg and "data.test_path" in msg


@pytest.mark.parametrize("name,fmt", [("e.csv", "auto"), ("e.txt", "auto"), ("e.jsonl", "jsonl"), ("e.ft", "fasttext")])
def test_empty_file(tmp_path, name, fmt):
    path = tmp_path / name
    path.write_text("\n  \n")
    msg = fails(path, format=fmt)
    assert str(path) in msg and "the file is empty" in msg


def test_csv_row_with_wrong_number_of_fields_names_the_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("text,label\ngood row,a\nanother,b\nthis, has a comma,a\nfine,b\n")
    msg = fails(path)
    assert f"{path}, line 4: 3 fields, but the header has 2 (comma-separated)" in msg
    assert "Quote a field" in msg


def test_unclosed_quote_names_the_line(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('text,label\n"ok",a\n"unclosed, here,b\nnext,c\n')
    msg = fails(path)
    assert f"{path}, line 3:" in msg and "quoted field is probably not closed" in msg


def test_unknown_column_lists_the_columns(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("review,stars\nnice,5\nbad,1\n")
    msg = fails(path, text_column="body")
    assert "data.text_column is 'body'" in msg and "'review', 'stars'" in msg and "0-based index (0 to 1)" in msg
    msg = fails(path, label_column="7")
    assert "data.label_column is '7'" in msg
    msg = fails(path, text_column="review", label_column="review")
    assert "both name 'review'" in msg


def test_single_column_file(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("just text\nmore text\nyet more\n")
    msg = fails(path)
    assert "only one column" in msg and "data.delimiter" in msg


def test_header_only_file(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("text,label\n")
    msg = fails(path, has_header=True)
    assert "no data rows below the header" in msg


def test_jsonl_bad_line_and_missing_key(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"text": "a", "label": "x"}\n{"text": "b", "label": "y"}\n{"text": "c", label: z}\n')
    msg = fails(path)
    assert f"{path}, line 3: not valid JSON" in msg
    path.write_text('{"text": "a", "label": "x"}\n\n{"text": "b", "tag": "y"}\n')
    msg = fails(path)
    assert f"{path}, line 3: no key 'label'" in msg and "the keys present are 'text', 'tag'" in msg
    path.write_text('{"text": "a", "label": "x"}\n[1, 2]\n')
    assert f"{path}, line 2: a JSON list, not an object" in fails(path, format="jsonl")


def test_jsonl_unknown_key_lists_the_keys(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"text": "a", "label": "x"}\n{"text": "b", "label": "y"}\n')
    msg = fails(path, label_column="category")
    assert "data.label_column is 'category', which is not a key" in msg and "'text', 'label'" in msg


def test_fasttext_line_without_label(tmp_path):
    path = tmp_path / "f.txt"
    path.write_text(
        "__label__a one\n__label__b two\n__label__a three\n__label__b four\n__label__a five\nno label here\n"
    )
    msg = fails(path)
    assert f"{path}, line 6: no '__label__'" in msg and "'no label here'" in msg


def test_colon_label_line_of_the_wrong_shape(tmp_path):
    path = tmp_path / "trec.txt"
    path.write_text("NUM:date When ?\nLOC:city Where ?\nHUM:ind Who ?\nDESC:def What ?\nthis line is wrong\n")
    msg = fails(path)
    assert f"{path}, line 5: expected 'LABEL:fine text'" in msg


def test_folder_without_class_subfolders_or_with_one_class(tmp_path):
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "a.txt").write_text("text")
    msg = fails(flat)
    assert str(flat) in msg and "no class subfolders" in msg and "root/<class>/<files>" in msg
    one = folders(tmp_path / "one", {"only": 3})
    msg = fails(one)
    assert "only one class folder ('only')" in msg and "at least 2 classes" in msg
    empty_classes = tmp_path / "ec"
    (empty_classes / "a").mkdir(parents=True)
    (empty_classes / "b").mkdir()
    assert "class subfolders, but no files in them" in fails(empty_classes)


def test_split_whose_test_has_unknown_classes(tmp_path):
    folders(tmp_path / "s" / "train", {"a": 2, "b": 2})
    folders(tmp_path / "s" / "test", {"a": 1, "z": 1})
    msg = fails(tmp_path / "s")
    assert "the test data has classes the training data lacks: 'z'" in msg


def test_split_format_requested_on_a_plain_folder(tmp_path):
    root = folders(tmp_path / "plain", {"a": 2, "b": 2})
    msg = fails(root, format="split")
    assert "no train/test folders found" in msg and "'folders'" in msg


def test_split_layout_plus_test_path_is_ambiguous(tmp_path):
    folders(tmp_path / "s" / "news-train", {"a": 2, "b": 2})
    folders(tmp_path / "s" / "news-test", {"a": 1, "b": 1})
    other = folders(tmp_path / "other", {"a": 1, "b": 1})
    msg = fails(tmp_path / "s", test_path=str(other))
    assert "holds its own train/test split" in msg and "data.test_path" in msg


def test_one_class_after_reading(tmp_path):
    path = tmp_path / "one.tsv"
    path.write_text("label\ttext\nham\thello\nham\tbye\n")
    msg = fails(path)
    assert "every example has the same label ('ham')" in msg and "data.label_column" in msg


def test_everything_dropped(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("text,label\n...,a\n!!!,b\n")
    assert "no usable rows are left" in fails(path)


def test_bad_format_and_encoding_names(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("text,label\na,x\nb,y\n")
    assert "data.format is 'xml'" in fails(path, format="xml")
    assert "data.encoding is 'klingon'" in fails(path, encoding="klingon")


def test_file_format_on_a_folder_and_folder_format_on_a_file(tmp_path):
    root = folders(tmp_path / "f", {"a": 1, "b": 1})
    assert "is a folder, but data.format 'csv' reads one file" in fails(root, format="csv")
    path = tmp_path / "d.csv"
    path.write_text("text,label\na,x\nb,y\n")
    assert "is a file, but data.format 'folders'" in fails(path, format="folders")


def test_utf16_declared_but_file_is_not(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(b"text,label\na,x\nb,y\n")  # 19 bytes: cannot be UTF-16
    msg = fails(path, encoding="utf-16")
    assert "not valid utf-16" in msg and "data.encoding" in msg


def test_truncated_archive(tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for i in range(50):
            data = (f"document {i} " * 200).encode()
            info = tarfile.TarInfo(f"d-train/{'ab'[i % 2]}/{i}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    path = tmp_path / "cut.tar.gz"
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    msg = fails(path, format="split")
    assert str(path) in msg and "the archive is damaged or incomplete" in msg


def test_preview_errors_name_the_file(tmp_path):
    with pytest.raises(DatasetError, match="Dataset not found"):
        preview_table(tmp_path / "none.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n1,2,3\n")
    with pytest.raises(DatasetError, match=r"line 3: 3 fields"):
        preview_table(bad)


def test_binary_file_is_called_binary_not_a_csv_error(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(bytes(range(256)) * 20)
    msg = fails(path)
    assert str(path) in msg and "binary file, not text" in msg and "fields" not in msg


def test_utf16_file_read_as_utf8_says_utf16(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes("text,label\nnice film,pos\nbad film,neg\n".encode("utf-16"))
    msg = fails(path)
    assert "UTF-16" in msg and "data.encoding" in msg


@pytest.mark.parametrize("name,data", [("d.txt", "\x1c\x1d\n" * 5), ("d.csv", "\x1c"), ("d.tsv", "\u00a0\x1d\n")])
def test_file_of_only_separator_controls_holds_no_text(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(data)
    msg = fails(path)
    assert str(path) in msg and "holds no text" in msg


def test_text_with_a_few_control_characters_is_still_read(tmp_path):
    path = tmp_path / "d.csv"
    rows = "".join(
        f"film number {i} was {'good' if i % 2 else 'bad'}\x07,{'pos' if i % 2 else 'neg'}\n" for i in range(40)
    )
    path.write_text("text,label\n" + rows)
    ds = load_dataset(DataConfig(path=str(path)))
    assert ds.classes == ["neg", "pos"] and ds.report.rows_read == 40


def test_deeply_nested_json_names_the_line(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"text": "a b", "label": "x"}\n' + "[" * 100_000 + "]" * 100_000 + "\n")
    msg = fails(path)
    assert f"{path}, line 2" in msg and "nested too deeply" in msg


def test_every_label_empty_names_the_label_column(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("text,label\n" + "".join(f"some text {i},\n" for i in range(10)))
    msg = fails(path)
    assert "label column 'label' is empty on every one of the 10 rows" in msg and "data.label_column" in msg
    jsonl = tmp_path / "d.jsonl"
    jsonl.write_text("".join(f'{{"text": "t {i}", "category": ""}}\n' for i in range(4)))
    msg = fails(jsonl, label_column="category")
    assert "label key 'category' is empty" in msg


def _chunked_fails(path, tmp_path, monkeypatch) -> str:
    from embedstudio.core.datasets import chunked

    monkeypatch.setattr(chunked, "HEAD_ROWS", 2)  # the bad record lies past the sample, in the chunk loop
    with pytest.raises(DatasetError) as info:
        chunked.read_chunked(DataConfig(path=str(path)), tmp_path / "run")
    return str(info.value)


def test_the_chunked_reader_names_the_line_of_a_row_with_the_wrong_number_of_fields(tmp_path, monkeypatch):
    path = tmp_path / "bad.csv"
    path.write_text('text,label\n"good\nrow",a\n\nanother,b\nmore,a\nthis, has a comma,a\nfine,b\n')
    msg = _chunked_fails(path, tmp_path, monkeypatch)
    assert f"{path}, line 7: 3 fields where the header has 2." in msg and "Quote fields" in msg


def test_the_chunked_reader_names_the_line_of_an_unclosed_quote(tmp_path, monkeypatch):
    path = tmp_path / "q.csv"
    path.write_text('text,label\n"ok",a\n"two\nlines",b\n\nfine,a\n"unclosed, here,b\nnext,c\n')
    msg = _chunked_fails(path, tmp_path, monkeypatch)
    assert f"{path}, line 7:" in msg and "quoted field is probably not closed" in msg


def test_csv_records_skip_blank_records_and_give_the_line_each_starts_on():
    import csv

    from embedstudio.core.datasets.tables import csv_records

    text = 'a,b\n\n"two\nlines",c\n  \nd,e\n'
    assert list(csv_records(csv.reader(io.StringIO(text)))) == [
        (1, ["a", "b"]),
        (3, ["two\nlines", "c"]),
        (6, ["d", "e"]),
    ]
    with pytest.raises(csv.Error) as info:
        list(csv_records(csv.reader(io.StringIO('a,b\n\n"open,c\nd,e\n'), strict=True)))
    assert info.value.line_number == 3  # type: ignore[attr-defined]
