"""preview_table: the first rows of any supported dataset, for the GUI's column picker.

Reads only the head of a file (or the first documents of a folder/archive), so previewing a
gigabyte-sized file is instant. Lines that do not parse are skipped here; load_dataset reports them.
"""

from __future__ import annotations

import json
import tarfile
import zipfile
from itertools import islice
from pathlib import Path

from ..config import data_path
from ..errors import DatasetError
from .columns import auto_columns, rank_text_columns
from .detect import descend_wrappers, detect_dataset_format, find_split_dirs, is_archive, lines_per_class_files
from .encoding import check_encoding, decode_document, decode_lines, normalise_newlines
from .folders import class_files
from .lines import as_text, parse_colon_line, parse_fasttext_line
from .raw import ReadOptions
from .tables import check_widths, config_delimiter, load_table_text, parse_table, sniff_has_header, table_columns
from .types import TablePreview

PREVIEW_BYTES = 1 << 20
_TEXT_PREVIEW_CHARS = 2000  # a whole 20NG message is more than a table cell can show


def preview_table(
    path,
    *,
    delimiter: str = "",
    has_header: bool | None = None,
    encoding: str = "utf-8",
    n: int = 50,
    sheet: str = "",
    format: str = "auto",
) -> TablePreview:
    """The first ``n`` rows of ``path`` with the detected (or given) delimiter, header and format.

    ``sheet`` picks an Excel worksheet (the preview lists them all in ``sheets``). Tables also get
    ``text_column_ranking``, the likeliest text columns first, for a multi-select picker.
    """
    path = data_path(str(path))
    encoding = check_encoding(encoding)
    fmt = detect_dataset_format(path) if format in ("", "auto") else format
    if fmt in ("csv", "tsv"):
        return _preview_delimited(path, fmt, delimiter, has_header, encoding, n)
    if fmt in ("excel", "parquet"):
        return _preview_sheet(path, fmt, has_header, sheet, n)
    if fmt == "lines_per_class":
        return _labelled_preview(_preview_class_lines(path, encoding, n), fmt)
    if fmt == "jsonl":
        return _preview_jsonl(path, encoding, n)
    if fmt in ("fasttext", "colon_label"):
        return _labelled_preview(_preview_lines(path, fmt, encoding, n), fmt)
    return _labelled_preview(_preview_documents(path, encoding, n), fmt)


def _head(path: Path, encoding: str) -> tuple[bytes, bool]:
    """The decoded first megabyte and whether the file is longer than that."""
    with open(path, "rb") as fh:
        data = fh.read(PREVIEW_BYTES + 1)
    truncated = len(data) > PREVIEW_BYTES
    if truncated:
        data = data[: data.rfind(b"\n", 0, PREVIEW_BYTES) + 1] or data[:PREVIEW_BYTES]
    if not data.strip():
        raise DatasetError(f"{path}: the file is empty. Choose a file with one example per line or row.")
    return data, truncated


def _preview_delimited(
    path: Path, fmt: str, delimiter: str, has_header: bool | None, encoding: str, n: int
) -> TablePreview:
    data, _ = _head(path, encoding)
    opts = ReadOptions(encoding=encoding, delimiter=config_delimiter(delimiter))
    text, _, delim = load_table_text(path, opts, fmt, data=data)
    parsed = parse_table(text, delim, source=str(path), limit=n + 1)
    header = has_header if has_header is not None else sniff_has_header(parsed.rows)
    check_widths(parsed, has_header=header, source=str(path))
    columns = table_columns(parsed, header)
    rows = (parsed.rows[1:] if header else parsed.rows)[:n]
    text_col, label_col = auto_columns(columns, rows, source=str(path)) if rows else (0, 1)
    return TablePreview(
        columns=columns,
        rows=rows,
        delimiter=delim,
        has_header=header,
        format=fmt,
        suggested_text_column=columns[text_col],
        suggested_label_column=columns[label_col],
        text_column_ranking=rank_text_columns(columns, rows, label=label_col),
    )


def _preview_sheet(path: Path, fmt: str, has_header: bool | None, sheet: str, n: int) -> TablePreview:
    from .sheets import excel_rows, list_sheets, parquet_rows

    if fmt == "parquet":
        columns, rows = parquet_rows(path, limit=n)
        header, sheets, shown = True, [], ""
    else:
        shown, raw_rows, _ = excel_rows(path, sheet, limit=n + 1)
        sheets = [s["name"] for s in list_sheets(path)]
        if not raw_rows:
            raise DatasetError(
                f"{path} [{shown}]: the sheet is empty. Choose another sheet"
                + (f" ({', '.join(map(repr, sheets))})." if len(sheets) > 1 else ".")
            )
        header = has_header if has_header is not None else sniff_has_header(raw_rows)
        columns = [c.strip() for c in raw_rows[0]] if header else [str(j) for j in range(len(raw_rows[0]))]
        rows = raw_rows[1:] if header else raw_rows
    rows = rows[:n]
    text_col, label_col = auto_columns(columns, rows, source=str(path)) if rows else (0, min(1, len(columns) - 1))
    return TablePreview(
        columns=columns,
        rows=rows,
        delimiter="",
        has_header=header,
        format=fmt,
        suggested_text_column=columns[text_col],
        suggested_label_column=columns[label_col],
        text_column_ranking=rank_text_columns(columns, rows, label=label_col),
        sheets=sheets,
        sheet=shown,
    )


def _preview_class_lines(path: Path, encoding: str, n: int) -> list[list[str]]:
    """[class, line] round-robin over the class files of a lines_per_class folder."""
    found = lines_per_class_files(descend_wrappers(path)) or {}
    per_class = max(1, n // max(1, len(found)))
    rows = []
    for label, file in found.items():
        with open(file, "rb") as fh:
            head = fh.read(PREVIEW_BYTES)
        text, _ = decode_lines(head, encoding, str(file))
        lines = [ln for ln in text.split("\n") if ln.strip()][:per_class]
        rows += [[label, _clip(ln)] for ln in lines]
    return rows[:n]


def _preview_jsonl(path: Path, encoding: str, n: int) -> TablePreview:
    data, _ = _head(path, encoding)
    text, _ = decode_lines(data, encoding, str(path))
    objects = []
    for line in text.split("\n"):
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(obj, dict):
            objects.append(obj)
        if len(objects) >= n:
            break
    columns: list[str] = []
    for obj in objects:
        columns += [k for k in obj if k not in columns]
    rows = [[as_text(obj.get(k, "")) for k in columns] for obj in objects]
    if len(columns) < 2:
        raise DatasetError(
            f"{path}: the JSON objects need at least two keys (a text and a label); found {columns or 'none'}."
        )
    text_col, label_col = auto_columns(columns, rows, source=str(path), noun="key")
    return TablePreview(
        columns=columns,
        rows=rows,
        delimiter="",
        has_header=True,
        format="jsonl",
        suggested_text_column=columns[text_col],
        suggested_label_column=columns[label_col],
        text_column_ranking=rank_text_columns(columns, rows, label=label_col),
    )


def _preview_lines(path: Path, fmt: str, encoding: str, n: int) -> list[list[str]]:
    data, _ = _head(path, encoding)
    text, _ = decode_lines(data, encoding, str(path))
    rows = []
    for line in text.split("\n"):
        line = line.strip()
        if fmt == "fasttext":
            labels, body = parse_fasttext_line(line)
            parsed = (labels[0], body) if labels else None
        else:
            parsed = parse_colon_line(line)
        if parsed:
            rows.append(list(parsed))
        if len(rows) >= n:
            break
    return rows


def _preview_documents(path: Path, encoding: str, n: int) -> list[list[str]]:
    """[label, text] of the first documents: round-robin over class folders, or the archive's first members."""
    if is_archive(path):
        return [[label, _clip(text)] for label, text in islice(_archive_head(path, encoding), n)]
    path = descend_wrappers(path)
    split = find_split_dirs(path)
    classes, _ = class_files(split[0] if split else path)
    queues = [(label, iter(files)) for label, files in classes.items()]
    rows: list[list[str]] = []
    while queues and len(rows) < n:
        for label, files in list(queues):
            file = next(files, None)
            if file is None:
                queues.remove((label, files))
                continue
            text, _ = decode_document(file.read_bytes(), encoding)
            rows.append([label, _clip(normalise_newlines(text))])
            if len(rows) >= n:
                break
    return rows


def _archive_head(path: Path, encoding: str):
    """(class folder, text) for the archive's first files that sit inside a folder."""
    try:
        from .archives import iter_members

        # Checked reads with the same size bounds as the import; the end is not checked for a quick look.
        for name, data in iter_members(path, check_end=False):
            parts = name.strip("/").split("/")
            if len(parts) >= 2:
                yield parts[-2], normalise_newlines(decode_document(data, encoding)[0])
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as exc:
        from .archives import damaged

        raise damaged(path, exc) from None


def _labelled_preview(rows: list[list[str]], fmt: str) -> TablePreview:
    return TablePreview(
        columns=["label", "text"],
        rows=rows,
        delimiter="",
        has_header=False,
        format=fmt,
        suggested_text_column="text",
        suggested_label_column="label",
    )


def _clip(text: str) -> str:
    return text if len(text) <= _TEXT_PREVIEW_CHARS else text[:_TEXT_PREVIEW_CHARS] + "…"
