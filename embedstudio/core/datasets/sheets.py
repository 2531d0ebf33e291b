"""Excel workbooks (.xlsx, openpyxl) and Parquet files (pyarrow): the same column picking as CSV.

Cells become text the way a spreadsheet shows them: whole-number floats lose their '.0' (a label
column of 1, 2, 3 stays '1', '2', '3'), empty cells are ''. Excel's first row is a header when it
looks like one (the CSV rule); a Parquet file always names its columns.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

from ..errors import DatasetError
from ..jobs import CancelToken, Reporter
from .raw import RawRead, ReadOptions
from .tables import collect_table_rows, sniff_has_header

PREVIEW_ROWS = 50


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


# ---- Excel --------------------------------------------------------------------------------
def _open_workbook(path: Path):
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException ...
        raise DatasetError(
            f"{path}: cannot read this Excel workbook ({type(exc).__name__}: {exc}). Save it as .xlsx "
            "from Excel or LibreOffice (the old .xls format is not read), or export a CSV."
        ) from None


def list_sheets(path) -> list[dict]:
    """The worksheets of a workbook, for the GUI's sheet picker: [{name, rows, columns}] in workbook order
    (the size Excel records, which may count formatted empty cells)."""
    wb = _open_workbook(Path(path))
    try:
        return [{"name": ws.title, "rows": ws.max_row or 0, "columns": ws.max_column or 0} for ws in wb.worksheets]
    finally:
        wb.close()


def excel_rows(path: Path, sheet: str = "", limit: int | None = None) -> tuple[str, list[list[str]], list[int]]:
    """(sheet name, non-blank rows as text, their 1-based row numbers) of one worksheet."""
    wb = _open_workbook(path)
    try:
        names = wb.sheetnames
        if sheet:
            if sheet in names:
                ws = wb[sheet]
            elif sheet.isdigit() and int(sheet) < len(names):
                ws = wb[names[int(sheet)]]
            else:
                raise DatasetError(
                    f"{path}: data.sheet is {sheet!r}, which is not a sheet of this workbook. "
                    f"The sheets are {', '.join(map(repr, names))}; give a name or a 0-based index."
                )
        else:
            ws = wb.worksheets[0]
        rows: list[list[str]] = []
        numbers: list[int] = []
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = [cell_text(v) for v in values]
            if not any(c.strip() for c in cells):
                continue
            rows.append(cells)
            numbers.append(number)
            if limit is not None and len(rows) >= limit:
                break
        title = ws.title
    finally:
        wb.close()
    if rows:  # trailing empty columns (formatting) are not columns
        width = max(max((j + 1 for j, c in enumerate(r) if c.strip()), default=0) for r in rows)
        rows = [(r + [""] * width)[:width] for r in rows]
    return title, rows, numbers


def read_excel(path: Path, opts: ReadOptions, reporter: Reporter, cancel: CancelToken) -> RawRead:
    sheet, rows, numbers = excel_rows(path, opts.sheet)
    source = f"{path} [{sheet}]"
    if not rows:
        raise DatasetError(f"{source}: the sheet is empty. Choose another sheet with data.sheet.")
    has_header = opts.has_header if opts.has_header is not None else sniff_has_header(rows)
    columns = [c.strip() for c in rows[0]] if has_header else [str(j) for j in range(len(rows[0]))]
    body, lines = (rows[1:], numbers[1:]) if has_header else (rows, numbers)
    if not body:
        raise DatasetError(f"{source}: there are no data rows below the header.")
    raw, picked = collect_table_rows(
        columns, body, [f"{path}:{sheet}:{n}" for n in lines], opts, source, reporter, cancel, path
    )
    raw.infos = [f"{source}: sheet {sheet!r}, {'with a header' if has_header else 'no header'}; {picked}."]
    return raw


# ---- Parquet ------------------------------------------------------------------------------
def parquet_rows(path: Path, limit: int | None = None) -> tuple[list[str], list[list[str]]]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
        if limit is not None:
            batch = next(pf.iter_batches(batch_size=limit), None)
            table = batch if batch is not None else pf.schema_arrow.empty_table()
        else:
            table = pf.read()
    except Exception as exc:  # pyarrow.ArrowInvalid, OSError ...
        raise DatasetError(
            f"{path}: cannot read this Parquet file ({type(exc).__name__}: {exc}). Check that the file is complete."
        ) from None
    columns = [str(c) for c in table.schema.names]
    data = [[cell_text(v) for v in table.column(j).to_pylist()] for j in range(len(columns))]
    return columns, [list(r) for r in zip(*data)] if data else []


def read_parquet(path: Path, opts: ReadOptions, reporter: Reporter, cancel: CancelToken) -> RawRead:
    columns, body = parquet_rows(path)
    if not body:
        raise DatasetError(f"{path}: the Parquet file has no rows.")
    raw, picked = collect_table_rows(
        columns, body, [f"{path}:row {i}" for i in range(1, len(body) + 1)], opts, str(path), reporter, cancel, path
    )
    raw.infos = [f"{path}: Parquet, {len(columns)} columns; {picked}."]
    return raw
