"""A CSV/TSV dataset read in chunks into a text store on disk, for streamed training (``data.streaming``).

The in-memory reader (``load_dataset``) holds every text several times over (the decoded file, the parsed
rows, the cleaned table). This reader holds none: it reads the file with ``csv.reader`` record by record,
cleans and checks each chunk of :data:`CHUNK` rows, and appends the texts (UTF-8) to ``texts.bin`` in a
folder of the run. The per-row numbers go to files beside it as well (the end of the text, the label's
code, the line in the file, a 64-bit hash of (text, label) and one of the text alone); at the end the
duplicates are found from the hashes partition by partition (:func:`duplicate_rows`), so are the texts given
more than one label (:func:`conflicting_texts`), and the rest is written as one :data:`RECORD` a row
(24 bytes: text start and end, label code, line) to ``records.bin``. What stays in memory is the count of
rows of each label; during the duplicate pass, one bit a row. The in-memory reader's imbalance and
conflicting-label warnings come from these counts.

Decisions taken on a sample, where the in-memory reader sees the whole file: the delimiter, the quoting,
the header and the text/label columns are detected on the first :data:`HEAD_BYTES` of the file (the same
functions as the in-memory reader), and mail/news or HTML cleaning is switched on when the first
:data:`HEAD_ROWS` rows look like mail or HTML (``looks_like_mail`` / ``looks_like_html``; the in-memory
reader samples evenly over the file). Undecodable bytes become U+FFFD (the in-memory reader falls back to
cp1252/latin-1 line by line). Everything else is the in-memory reader's rules: blank records skipped, rows
without a label skipped and counted, empty texts and exact duplicates of (text, label) dropped (the first
kept), classes in ``sort_labels`` order. ``data.max_rows``, ``data.exclude``, a separate test or
validation file and the other formats are read in memory (``supports`` says why not).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..config import DataConfig, data_path
from ..errors import DatasetError
from ..jobs import CancelToken, Reporter, ThrottledProgress, ensure_cancel, ensure_reporter
from . import checks
from .cleaning import clean_batch, is_empty_text, looks_like_html, looks_like_mail
from .columns import check_label_values, pick_columns
from .detect import detect_dataset_format
from .encoding import decode_lines, normalise_newlines
from .loader import read_options
from .tables import (
    TEXT_JOINER,
    config_delimiter,
    csv_records,
    delimiter_name,
    parse_table,
    sniff_delimiter,
    sniff_has_header,
)
from .types import plural, sort_labels

CHUNK = 8192  # rows cleaned and written at a time
HEAD_BYTES = 1 << 20  # the file's start, for detecting the table's shape
HEAD_ROWS = 2000  # rows that decide whether mail/news or HTML cleaning applies


def supports(cfg: DataConfig) -> str:
    """'' when ``cfg``'s dataset can be read in chunks, else the reason it is read in memory."""
    path = data_path(cfg.path) if cfg.path else None
    if path is None or not path.is_file():
        return "the dataset is not a single file"
    fmt = cfg.format if cfg.format and cfg.format != "auto" else detect_dataset_format(path)
    if fmt not in ("csv", "tsv"):
        return f"only CSV/TSV files are read in chunks (this is {fmt})"
    for name in ("max_rows", "max_test_rows", "exclude", "test_path", "validation_path"):
        if getattr(cfg, name, None):
            return f"data.{name} is set"
    return ""


RECORD = np.dtype([("start", "<i8"), ("end", "<i8"), ("code", "<i4"), ("line", "<i4")])
"""One row of ``records.bin``: its text is ``texts.bin[start:end]``, ``code`` indexes the sorted labels."""
RECORDS = "records.bin"
PART_ROWS = 1 << 18  # (hash, row) pairs in memory at a time while duplicates are found (4 MiB)
_BLOCK = 1 << 16  # rows read or written at a time by the passes over the per-row files


@dataclass
class ChunkedTable:
    """The rows of a chunked read, all on disk: texts in ``folder/texts.bin``, one :data:`RECORD` a row in
    ``folder/records.bin``; in memory only the count of rows of each label."""

    folder: Path
    path: Path
    rows: int
    counts: np.ndarray  # int64, rows of each label (labels in sorted() order, as np.unique orders them)
    labels: list[str]
    classes: list[str]  # sort_labels order
    notices: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return self.rows

    @property
    def records_path(self) -> Path:
        return self.folder / RECORDS


def read_records(fd: int, start: int, stop: int) -> np.ndarray:
    """Records ``start:stop`` of an open records file (one ``os.pread``)."""
    data = os.pread(fd, (stop - start) * RECORD.itemsize, start * RECORD.itemsize)
    return np.frombuffer(data, dtype=RECORD)


def _blocks(path: Path, dtype: Any, block: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """``(first row, array)`` for consecutive blocks of the flat file ``path`` of ``dtype`` values."""
    dtype = np.dtype(dtype)
    block = block or _BLOCK
    with open(path, "rb", buffering=0) as fh:
        first = 0
        while True:
            data = fh.read(block * dtype.itemsize)
            if not data:
                return
            values = np.frombuffer(data, dtype=dtype)
            yield first, values
            first += len(values)


def _hash_partitions(
    folder: Path, prefix: str, rows: int, dtype: np.dtype, pieces: Iterable[np.ndarray]
) -> Iterator[np.ndarray]:
    """Spill ``pieces`` (record arrays of ``dtype`` with a ``hash`` field) to ``ceil(rows / PART_ROWS)`` files
    by hash, then yield each file's records in the order they were written, deleting the file: records with
    equal hashes always share a file, and one file at a time is in memory."""
    parts = max(1, -(-rows // PART_ROWS))
    names = [folder / f"{prefix}-{i}.bin" for i in range(parts)]
    outs = [open(name, "wb") for name in names]  # noqa: SIM115 - closed below
    try:
        for piece in pieces:
            which = piece["hash"].view(np.uint64) % np.uint64(parts)
            order = np.argsort(which, kind="stable")
            bounds = np.searchsorted(which[order], np.arange(parts + 1))
            for i in range(parts):
                if bounds[i + 1] > bounds[i]:
                    outs[i].write(piece[order[bounds[i] : bounds[i + 1]]].tobytes())
    finally:
        for out in outs:
            out.close()
    for name in names:
        records = np.fromfile(name, dtype=dtype)
        name.unlink()
        yield records


def duplicate_rows(hashes_path: Path, rows: int, folder: Path) -> np.ndarray:
    """The rows whose 64-bit hash of (text, label) an earlier row already has, as a bit mask (``rows / 8``
    bytes, little bit order), found without holding the hashes: the (hash, row) pairs go to files by hash
    (:func:`_hash_partitions`), and each file is sorted and scanned on its own. Equal hashes land in the same
    file in row order, so each file keeps the first row of a hash, as a sort of all of them would."""
    mask = np.zeros((rows + 7) // 8, dtype=np.uint8)
    pair = np.dtype([("hash", "<i8"), ("row", "<i8")])

    def firsts_of_blocks() -> Iterator[np.ndarray]:
        for first, block in _blocks(hashes_path, np.int64):
            # Repeats inside the block are marked here, so that a hash repeated all over the file sends
            # one pair a block to its file, not one a row.
            _, firsts = np.unique(block, return_index=True)
            if len(firsts) < len(block):
                later = np.setdiff1d(np.arange(len(block)), firsts) + first
                np.bitwise_or.at(mask, later >> 3, (1 << (later & 7)).astype(np.uint8))
            firsts.sort()
            pairs = np.empty(len(firsts), dtype=pair)
            pairs["hash"], pairs["row"] = block[firsts], firsts + first
            yield pairs

    for pairs in _hash_partitions(folder, "dedup", rows, pair, firsts_of_blocks()):
        if len(pairs) < 2:
            continue
        ordered = pairs[np.argsort(pairs["hash"], kind="stable")]
        repeat = ordered["hash"][1:] == ordered["hash"][:-1]
        later = ordered["row"][1:][repeat]  # a later copy of (text, label); the first is kept
        np.bitwise_or.at(mask, later >> 3, (1 << (later & 7)).astype(np.uint8))
    return mask


def conflicting_texts(text_hashes_path: Path, codes_path: Path, rows: int, folder: Path) -> int:
    """How many distinct texts (by their 64-bit hash) appear with more than one label: the count of the
    in-memory ``checks.conflicting_label_warnings``, found as :func:`duplicate_rows` finds duplicates, without
    holding the hashes: the distinct (text hash, label code) pairs of each block go to files by hash
    (:func:`_hash_partitions`), and each file counts its hashes that come with two labels or more."""
    pair = np.dtype([("hash", "<i8"), ("code", "<i8")])
    blocks = zip(_blocks(text_hashes_path, np.int64), _blocks(codes_path, np.int32))
    # A text repeated with its label inside a block sends one pair a block.
    pieces = (_distinct_pairs(hashes, codes, pair) for (_, hashes), (_, codes) in blocks)
    conflicting = 0
    for stored in _hash_partitions(folder, "conflicts", rows, pair, pieces):
        pairs = _distinct_pairs(stored["hash"], stored["code"], pair)  # sorted by hash, then code
        del stored
        if len(pairs) < 2:
            continue
        # Distinct pairs sorted by hash: a hash that starts a run and is followed by itself has two labels.
        same = pairs["hash"][1:] == pairs["hash"][:-1]
        starts = np.concatenate([[True], ~same[:-1]])
        conflicting += int((same & starts).sum())
    return conflicting


def _distinct_pairs(hashes: np.ndarray, codes: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """The distinct (hash, code) pairs, sorted by hash then code: ``np.unique`` of the pairs, with a lexsort of
    the two columns (5x faster than sorting the structured array)."""
    order = np.lexsort((codes, hashes))
    h, c = hashes[order], codes[order]
    keep = np.ones(len(h), dtype=bool)
    keep[1:] = (h[1:] != h[:-1]) | (c[1:] != c[:-1])
    out = np.empty(int(keep.sum()), dtype=dtype)
    out["hash"], out["code"] = h[keep], c[keep]
    return out


def _compact(folder: Path, rows: int, dropped: np.ndarray | None, remap: np.ndarray) -> np.ndarray:
    """``records.bin`` from the per-row files of the read (``ends``, ``codes``, ``lines``), without the
    ``dropped`` rows, block by block; the per-row files are deleted. Returns the rows of each label."""
    counts = np.zeros(len(remap), dtype=np.int64)
    previous_end = 0
    columns = (
        _blocks(folder / "ends.bin", np.int64),
        _blocks(folder / "codes.bin", np.int32),
        _blocks(folder / "lines.bin", np.int32),
    )
    with open(folder / RECORDS, "wb") as out:
        for (first, ends), (_, codes), (_, lines) in zip(*columns):
            records = np.empty(len(ends), dtype=RECORD)
            records["end"] = ends
            records["start"][0] = previous_end
            records["start"][1:] = ends[:-1]
            previous_end = int(ends[-1])
            records["code"], records["line"] = remap[codes], lines
            if dropped is not None:
                bits = dropped[first // 8 : (first + len(ends) + 7) // 8]  # blocks start on a byte
                keep = ~np.unpackbits(bits, count=len(ends), bitorder="little").astype(bool)
                records = records[keep]
            counts += np.bincount(records["code"], minlength=len(remap))
            out.write(records.tobytes())
    for name in ("ends", "codes", "lines"):
        (folder / f"{name}.bin").unlink()
    return counts


def read_chunked(
    cfg: DataConfig, folder: Path, *, reporter: Reporter | None = None, cancel: CancelToken | None = None
) -> ChunkedTable:
    reporter, cancel = ensure_reporter(reporter), ensure_cancel(cancel)
    path = data_path(cfg.path)
    opts = read_options(cfg)
    source = str(path)
    fmt = cfg.format if cfg.format and cfg.format != "auto" else detect_dataset_format(path)
    with open(path, "rb") as fh:
        head_bytes = fh.read(HEAD_BYTES)
    if not head_bytes.strip():
        raise DatasetError(f"{path}: the file is empty. Choose a file with one example per line or row.")
    if len(head_bytes) == HEAD_BYTES and b"\n" in head_bytes:
        head_bytes = head_bytes[: head_bytes.rindex(b"\n") + 1]
    head, _bad = decode_lines(head_bytes, opts.encoding, source)
    head = normalise_newlines(head)
    delimiter = config_delimiter(opts.delimiter)
    if not delimiter:
        prefer = "\t" if fmt == "tsv" else "," if fmt == "csv" and path.suffix.lower() == ".csv" else ""
        delimiter = sniff_delimiter(head, prefer=prefer)
    parsed = parse_table(head, delimiter, source=source, limit=HEAD_ROWS + 1)
    has_header = opts.has_header if opts.has_header is not None else sniff_has_header(parsed.rows)
    columns = [c.strip() for c in parsed.rows[0]] if has_header else [str(j) for j in range(len(parsed.rows[0]))]
    sample = parsed.rows[1:] if has_header else parsed.rows
    tis, li = pick_columns(columns, sample, opts.text_column, opts.label_column, source=source)
    check_label_values([r[li].strip() for r in sample if r[li].strip()], columns[li], source)

    def joined(record: list[str]) -> str:
        return record[tis[0]] if len(tis) == 1 else TEXT_JOINER.join(record[t] for t in tis if record[t].strip())

    sample_texts = [joined(r) for r in sample if len(r) == len(columns)]
    mail = looks_like_mail(sample_texts)
    html = looks_like_html(sample_texts) if cfg.strip_html is None else cfg.strip_html
    rules = {
        "headers": mail if cfg.strip_headers is None else cfg.strip_headers,
        "footers": mail if cfg.strip_footers is None else cfg.strip_footers,
        "quotes": mail if cfg.strip_quotes is None else cfg.strip_quotes,
    }
    clean = html or any(rules.values()) or cfg.lowercase

    folder.mkdir(parents=True, exist_ok=True)
    store = open(folder / "texts.bin", "wb")  # noqa: SIM115 - closed in the finally below
    size = path.stat().st_size
    progress = ThrottledProgress(reporter, size, f"Reading {path.name} in chunks", cancel=cancel, unit="B")
    raw = open(path, "rb")  # noqa: SIM115
    label_code: dict[str, int] = {}
    # Per-row numbers go to files too, and come back as one array each at the end: small arrays kept
    # chunk after chunk would pin the heap between the chunks' freed texts (measured: 90+ bytes a row).
    names = ("ends", "codes", "lines", "hashes", "text_hashes")
    columns_out = {name: open(folder / f"{name}.bin", "wb") for name in names}  # noqa: SIM115
    written = 0
    unlabelled = empty = 0
    first_unlabelled = ""
    changed = 0
    try:
        text_io = io.TextIOWrapper(raw, encoding=opts.encoding, errors="replace", newline="")
        quoting = csv.QUOTE_MINIMAL if parsed.quoted else csv.QUOTE_NONE
        csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))
        reader = csv.reader(text_io, delimiter=delimiter, quoting=quoting, strict=True)  # type: ignore[arg-type]
        batch: list[tuple[str, str, int]] = []
        skipped_header = not has_header

        def flush() -> None:
            nonlocal written, empty, changed
            texts = [normalise_newlines(t) for t, _l, _n in batch]
            if clean:
                cleaned, _h, mail_n, _e = clean_batch(texts, html, rules, cfg.lowercase)
                changed += mail_n
                texts = cleaned
            keep = [i for i, t in enumerate(texts) if not (cfg.drop_empty and is_empty_text(t))]
            empty += len(texts) - len(keep)
            data = [texts[i].encode("utf-8") for i in keep]
            store.write(b"".join(data))
            sizes = np.fromiter((len(d) for d in data), dtype=np.int64, count=len(data))
            columns_out["ends"].write((written + np.cumsum(sizes)).tobytes())
            written += int(sizes.sum())
            codes = (label_code.setdefault(batch[i][1], len(label_code)) for i in keep)
            columns_out["codes"].write(np.fromiter(codes, np.int32, count=len(keep)).tobytes())
            columns_out["lines"].write(np.fromiter((batch[i][2] for i in keep), np.int32, count=len(keep)).tobytes())
            hashes = (hash((texts[i], batch[i][1])) for i in keep)
            columns_out["hashes"].write(np.fromiter(hashes, np.int64, count=len(keep)).tobytes())
            text_hashes = (hash(texts[i]) for i in keep)
            columns_out["text_hashes"].write(np.fromiter(text_hashes, np.int64, count=len(keep)).tobytes())
            batch.clear()
            progress(raw.tell())

        try:
            for start, record in csv_records(reader):
                if not skipped_header:
                    skipped_header = True
                    continue
                if len(record) != len(columns):
                    raise DatasetError(
                        f"{source}, line {start}: {len(record)} fields where the header has {len(columns)}. "
                        "Quote fields that contain the delimiter, or fix the row."
                    )
                label = record[li].strip()
                if not label:
                    unlabelled += 1
                    first_unlabelled = first_unlabelled or f"{path}:{start}"
                    continue
                batch.append((joined(record), label, start))
                if len(batch) >= CHUNK:
                    flush()
            if batch:
                flush()
        except csv.Error as exc:
            line = exc.line_number  # type: ignore[attr-defined]  # set by csv_records
            raise DatasetError(
                f"{source}, line {line}: {exc}. A quoted field is probably not closed; close the quote or remove it."
            ) from None
    finally:
        store.close()
        raw.close()
        for out in columns_out.values():
            out.close()
    progress(size)

    # Labels in sorted() order, as np.unique (and so scikit-learn's stratified split) orders them.
    by_code = sorted(label_code, key=label_code.__getitem__)
    order_of = {label: i for i, label in enumerate(sorted(by_code))}
    remap = np.array([order_of[label] for label in by_code] or [0], dtype=np.int32)
    raw_rows = (folder / "codes.bin").stat().st_size // 4
    dropped = duplicate_rows(folder / "hashes.bin", raw_rows, folder) if cfg.drop_duplicates else None
    (folder / "hashes.bin").unlink()
    conflicting = conflicting_texts(folder / "text_hashes.bin", folder / "codes.bin", raw_rows, folder)
    (folder / "text_hashes.bin").unlink()
    duplicates = 0 if dropped is None else int(np.unpackbits(dropped, bitorder="little").sum())
    counts = _compact(folder, raw_rows, dropped, remap)
    del dropped
    table = ChunkedTable(
        folder=folder,
        path=path,
        rows=int(counts.sum()),
        counts=counts,
        labels=sorted(by_code),
        classes=sort_labels(set(by_code)),
    )
    table.notices.append(
        f"{source}: {delimiter_name(delimiter)}-separated, {'with a header' if has_header else 'no header'}; "
        f"read in chunks of {CHUNK:,} rows into the run folder (data.streaming): {len(table):,} rows kept."
    )
    if any(rules.values()) or html:
        which = ", ".join(k for k, on in rules.items() if on) + (", HTML" if html else "")
        table.notices.append(
            f"Cleaning ({which}), decided on the first {HEAD_ROWS:,} rows, changed {changed:,} documents."
        )
    if empty:
        table.notices.append(f"{plural(empty, 'empty row')} dropped.")
    if duplicates and cfg.drop_duplicates:
        table.notices.append(f"{plural(duplicates, 'exact duplicate')} of (text, label) dropped.")
    if unlabelled:
        table.warnings.append(
            f"{plural(unlabelled, 'row')} had an empty label and {'was' if unlabelled == 1 else 'were'} skipped "
            f"(first: {first_unlabelled})."
        )
    if not len(table):
        raise DatasetError(f"{path}: no usable rows are left after dropping empty rows and duplicates.")
    # The in-memory read's imbalance check, from the per-label counts (the rows themselves stay on disk).
    table.warnings += checks.imbalance_warnings_from_counts(
        dict(zip(table.labels, (int(c) for c in counts))), table.classes, "training data"
    )
    table.warnings += checks.conflicting_label_count_warnings(conflicting, "training data")
    if len(table.classes) < 2:
        raise DatasetError(
            f"{path}: every example has the same label ({table.classes[0]!r}); a classifier needs at least 2 "
            "classes. Check data.label_column, or add examples of other classes."
        )
    return table


def read_text(fd: int, start: int, end: int) -> str:
    return os.pread(fd, end - start, start).decode("utf-8")
