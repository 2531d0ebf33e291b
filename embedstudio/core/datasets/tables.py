"""CSV/TSV: delimiter, quoting and header detection, and the row reader.

The csv module does the parsing. Detection is csv.Sniffer on a sample plus checks that the result is
usable (at least two columns, the same number of fields on every row), because the Sniffer alone
happily picks a letter or a space as the delimiter on prose.

Quoting is decided by parsing, not guessed: a strict quoted parse is tried first (it handles quoted
fields with newlines and delimiters); if it fails or gives ragged rows while a parse with quotes taken
literally gives regular rows, the file uses '"' as an ordinary character. The SMS Spam Collection is
such a file: messages like `"Happy valentines day" I know...` are not CSV quoting.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import DatasetError
from ..jobs import CancelToken, Reporter
from .columns import KNOWN_NAMES, check_label_values, pick_columns
from .encoding import decode_lines, no_text_error, normalise_newlines
from .raw import PROGRESS_EVERY, RawRead, ReadOptions, RowCollector, line_progress, read_bytes

DELIMITER_CANDIDATES = ",\t;|"
DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe", " ": "space"}
_SNIFF_CHARS = 64 * 1024
_HEADER_SAMPLE_ROWS = 200

if TYPE_CHECKING:
    from _csv import Reader as _CsvReader


@dataclass
class ParsedTable:
    rows: list[list[str]]  # non-blank records, header included when there is one
    line_numbers: list[int]  # the physical line each record starts on (1-based)
    delimiter: str
    quoted: bool  # False when '"' was taken literally
    notes: list[str] = field(default_factory=list)


def config_delimiter(value: str) -> str:
    """DataConfig.delimiter as a character: '' (sniff), a tab given as '\\t' or as a real tab, or itself."""
    if value in ("\\t", "\t", "tab", "TAB"):
        return "\t"
    return value


def delimiter_name(delimiter: str) -> str:
    return DELIMITER_NAMES.get(delimiter, repr(delimiter))


def sniff_delimiter(text: str, *, prefer: str = "") -> str:
    """The delimiter of a table, from a sample: Sniffer's choice if it gives regular rows, else the best candidate.

    ``prefer`` (from the file suffix) wins whenever it splits the sample into regular rows.
    """
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    candidates = []
    if prefer:
        candidates.append(prefer)
    try:
        candidates.append(csv.Sniffer().sniff(sample, delimiters=DELIMITER_CANDIDATES).delimiter)
    except csv.Error:
        pass
    candidates += [d for d in DELIMITER_CANDIDATES if d not in candidates]
    scored = [(d, _regularity(sample, d)) for d in candidates]
    for d, score in scored:
        if score >= 0.9:
            return d
    best, score = max(scored, key=lambda ds: ds[1])
    return best if score > 0 else (prefer or ",")


def _regularity(sample: str, delimiter: str) -> float:
    """Share of sample rows having the most common field count, or 0 when that count is below 2."""
    counts: Counter[int] = Counter()
    for quoting in (csv.QUOTE_MINIMAL, csv.QUOTE_NONE):
        try:
            counts = Counter(
                len(r) for r in csv.reader(io.StringIO(sample), delimiter=delimiter, quoting=quoting, strict=True) if r
            )
        except csv.Error:
            continue
        if counts:
            break
    if not counts:
        return 0.0
    width, hits = counts.most_common(1)[0]
    return hits / sum(counts.values()) if width >= 2 else 0.0


def parse_table(text: str, delimiter: str, *, source: str, limit: int | None = None) -> ParsedTable:
    """Parse ``text`` into records, choosing quoted or literal-quote parsing as the module doc explains."""
    table = _parse_table(text, delimiter, source=source, limit=limit)
    if not table.rows:
        raise no_text_error(source)
    return table


def _parse_table(text: str, delimiter: str, *, source: str, limit: int | None) -> ParsedTable:
    quoted_rows = quoted_error = None
    try:
        quoted_rows = _read(text, delimiter, csv.QUOTE_MINIMAL, limit)
    except csv.Error as exc:
        quoted_error = exc
    if quoted_rows is not None and _is_regular(quoted_rows[0]):
        return ParsedTable(*quoted_rows, delimiter, True)
    try:
        literal_rows = _read(text, delimiter, csv.QUOTE_NONE, limit)
    except csv.Error:
        literal_rows = ([], [])
    if _is_regular(literal_rows[0]):
        note = (
            (
                f"{source}: double quotes are part of the text here (not CSV quoting), "
                "so they were kept as ordinary characters."
            )
            if '"' in text
            else None
        )
        return ParsedTable(*literal_rows, delimiter, False, [note] if note else [])
    if quoted_rows is not None:
        return ParsedTable(*quoted_rows, delimiter, True)
    line = getattr(quoted_error, "line_number", None)
    raise DatasetError(
        f"{source}, line {line}: {quoted_error}. A quoted field is probably not closed; close the quote or remove it."
    )


def csv_records(reader: _CsvReader) -> Iterator[tuple[int, list[str]]]:
    """The non-blank records of ``reader`` (a ``csv.reader``), each with the line it starts on (1-based).

    A ``csv.Error`` raised while reading carries ``line_number``: the line the unparseable record starts on.
    """
    previous_end = 0
    try:
        for record in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            if not record or (len(record) == 1 and not record[0].strip()):
                continue
            yield start, record
    except csv.Error as exc:
        exc.line_number = previous_end + 1  # type: ignore[attr-defined]  # where the unparseable record starts
        raise


def _read(text: str, delimiter: str, quoting: int, limit: int | None) -> tuple[list[list[str]], list[int]]:
    # Whole documents in one field exceed csv's default 128 KiB limit.
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, quoting=quoting, strict=True)  # type: ignore[arg-type]
    rows: list[list[str]] = []
    starts: list[int] = []
    for start, record in csv_records(reader):
        rows.append(record)
        starts.append(start)
        if limit is not None and len(rows) >= limit:
            break
    return rows, starts


def _is_regular(rows: list[list[str]]) -> bool:
    return bool(rows) and len(rows[0]) >= 2 and all(len(r) == len(rows[0]) for r in rows)


def check_widths(table: ParsedTable, *, has_header: bool, source: str) -> None:
    """Every record must have as many fields as the first one; name the first line that does not."""
    width = len(table.rows[0])
    for record, line in zip(table.rows, table.line_numbers):
        if len(record) != width:
            first = "the header" if has_header else "the first row"
            raise DatasetError(
                f"{source}, line {line}: {len(record)} fields, but {first} has {width} "
                f"({delimiter_name(table.delimiter)}-separated). Quote a field that contains the delimiter, "
                "or fix or remove that line."
            )


def sniff_has_header(rows: list[list[str]]) -> bool:
    """Whether the first record is a header: known column names, or values unlike the column below them."""
    first, rest = rows[0], rows[1:_HEADER_SAMPLE_ROWS]
    if any(cell.strip().lower() in KNOWN_NAMES for cell in first):
        return True
    rest = [r for r in rest if len(r) == len(first)]
    if not rest:
        return False
    votes = 0
    for j, cell in enumerate(first):
        column = [r[j] for r in rest]
        if cell in column or not cell.strip():
            return False  # a header name does not repeat in its column and is never blank
        votes += _header_vote(cell, column)
    return votes > 0


def _header_vote(cell: str, column: list[str]) -> int:
    if all(_is_number(v) for v in column):
        return -1 if _is_number(cell) else 1
    lengths = {len(v) for v in column}
    if len(lengths) <= 2:  # short codes such as ham/spam: a header of another length stands out
        return 1 if len(cell) not in lengths else -1
    if statistics.median(len(v) for v in column) >= 4 * max(len(cell), 1):
        return 1
    return 0


def _is_number(value: str) -> bool:
    try:
        float(value)
        return True
    except ValueError:
        return False


def load_table_text(
    path: Path, opts: ReadOptions, fmt: str, *, data: bytes | None = None
) -> tuple[str, list[int], str]:
    """(decoded text, fallback line numbers, delimiter) for a CSV/TSV file."""
    if data is None:
        data = read_bytes(path)
    text, bad = decode_lines(data, opts.encoding, str(path))
    text = normalise_newlines(text)
    delimiter = config_delimiter(opts.delimiter)
    if not delimiter:
        prefer = "\t" if fmt == "tsv" else "," if fmt == "csv" and path.suffix.lower() == ".csv" else ""
        delimiter = sniff_delimiter(text, prefer=prefer)
    return text, bad, delimiter


def table_columns(parsed: ParsedTable, has_header: bool) -> list[str]:
    if has_header:
        return [c.strip() for c in parsed.rows[0]]
    return [str(j) for j in range(len(parsed.rows[0]))]


def read_delimited(path: Path, opts: ReadOptions, fmt: str, reporter: Reporter, cancel: CancelToken) -> RawRead:
    text, bad, delimiter = load_table_text(path, opts, fmt)
    source = str(path)
    parsed = parse_table(text, delimiter, source=source)
    has_header = opts.has_header if opts.has_header is not None else sniff_has_header(parsed.rows)
    check_widths(parsed, has_header=has_header, source=source)
    columns = table_columns(parsed, has_header)
    body = parsed.rows[1:] if has_header else parsed.rows
    lines = parsed.line_numbers[1:] if has_header else parsed.line_numbers
    if not body:
        raise DatasetError(
            f"{source}: there are no data rows"
            + (" below the header." if has_header else ".")
            + " Add rows, or set data.has_header = false if the first row is data."
        )
    sources = [f"{path}:{line}" for line in lines]
    raw, picked = collect_table_rows(columns, body, sources, opts, source, reporter, cancel, path)
    raw.encoding_fallback = [f"{path}:{n}" for n in bad]
    raw.infos = [
        f"{source}: {delimiter_name(delimiter)}-separated, {'with a header' if has_header else 'no header'}; {picked}."
    ] + parsed.notes
    return raw


TEXT_JOINER = "\n"  # several text columns are joined with a newline (a space to the tokenizer)


def collect_table_rows(
    columns: list[str],
    body: list[list[str]],
    sources: list[str],
    opts: ReadOptions,
    source: str,
    reporter: Reporter,
    cancel: CancelToken,
    path: Path,
    *,
    noun: str = "column",
) -> tuple[RawRead, str]:
    """Rows of cells -> RawRead, with the text column(s) and label column picked (and checked);
    also returns a phrase naming the columns chosen, for the import log."""
    tis, li = pick_columns(columns, body, opts.text_column, opts.label_column, source=source, noun=noun)
    check_label_values([r[li].strip() for r in body if r[li].strip()], columns[li], source, noun=noun)
    rows = RowCollector()
    progress = line_progress(reporter, cancel, len(body), path)
    for i, (record, where) in enumerate(zip(body, sources), start=1):
        if i % PROGRESS_EVERY == 0:
            progress(i)
        text = record[tis[0]] if len(tis) == 1 else TEXT_JOINER.join(record[t] for t in tis if record[t].strip())
        rows.add(text, record[li], where)
    rows.require_labels(source, columns[li], noun=noun)
    texts = ", ".join(repr(columns[t]) for t in tis)
    picked = (
        f"text column{'s' if len(tis) > 1 else ''} {texts}"
        + (" (joined)" if len(tis) > 1 else "")
        + f", label column {columns[li]!r}"
    )
    return RawRead(rows.table, rows_read=rows.rows_read, warnings=rows.warnings("rows")), picked
