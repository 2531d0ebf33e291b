"""load_dataset: one DataConfig in, one cleaned Dataset (with its ImportReport) out.

Order of work: read (format detection, decoding with fallback) -> clean (mail stripping, lowercase)
-> drop empty rows and exact duplicates -> cap at max_rows -> checks that produce warnings.
"""

from __future__ import annotations

import random
from pathlib import Path

from ..config import DataConfig, data_path
from ..errors import DatasetError
from ..jobs import CancelToken, Reporter, ThrottledProgress, ensure_cancel, ensure_reporter
from . import checks
from .cleaning import clean_text, is_empty_text, looks_like_mail
from .detect import FORMATS, detect_dataset_format, split_role
from .encoding import check_encoding
from .folders import read_folder_dataset
from .lines import read_colon_label, read_fasttext, read_jsonl
from .model import Dataset, ImportReport, TextTable, sort_labels
from .raw import RawRead, ReadOptions
from .tables import read_delimited

MAX_ROWS_SEED = 0  # max_rows keeps a fixed random sample, so the same config gives the same rows


def load_dataset(cfg: DataConfig, *, reporter: Reporter | None = None,
                 cancel: CancelToken | None = None) -> Dataset:
    """Import the dataset that ``cfg`` describes; raises DatasetError naming the file/line on bad input."""
    reporter, cancel = ensure_reporter(reporter), ensure_cancel(cancel)
    path = _existing_path(cfg.path, "data.path")
    opts = ReadOptions(encoding=check_encoding(cfg.encoding), delimiter=cfg.delimiter, has_header=cfg.has_header,
                       text_column=cfg.text_column, label_column=cfg.label_column)
    fmt = _resolve_format(cfg, path)
    raw = read_source(path, fmt, opts, reporter, cancel)
    if cfg.test_path:
        _add_test_source(raw, cfg, fmt, opts, reporter, cancel)
    for line in raw.infos:
        reporter.info(line)
    report = ImportReport(path=str(path), format=fmt, rows_read=raw.rows_read,
                          encoding_fallback=list(raw.encoding_fallback), warnings=list(raw.warnings))
    train, test = _clean(raw, cfg, report, reporter, cancel)
    train, test = _drop_rows(train, test, cfg, report)
    if cfg.max_rows is not None:
        train, test = _cap(train, cfg.max_rows, report, "training"), _cap(test, cfg.max_rows, report, "test")
    classes = _classes(train, test, path, report)
    report.warnings += _warnings(train, test, classes, report, cfg)
    for message in report.warnings:
        reporter.warning(message)
    reporter.info(f"Imported {len(train):,} training" + (f" and {len(test):,} test" if test is not None else "")
                  + f" examples in {len(classes)} classes from {path.name} ({fmt}).")
    return Dataset(path=str(path), train=train, test=test, classes=classes, report=report)


def read_source(path: Path, fmt: str, opts: ReadOptions, reporter: Reporter, cancel: CancelToken,
                *, role: str = "train") -> RawRead:
    """Run the reader for ``fmt`` on ``path`` (no cleaning)."""
    if fmt in ("folders", "split"):
        return read_folder_dataset(path, fmt, opts, reporter, cancel, role=role)
    if path.is_dir():
        raise DatasetError(f"{path} is a folder, but data.format {fmt!r} reads one file. Choose a file, "
                           "or set data.format to 'folders', 'split' or 'auto'.")
    if fmt in ("csv", "tsv"):
        return read_delimited(path, opts, fmt, reporter, cancel)
    readers = {"jsonl": read_jsonl, "fasttext": read_fasttext, "colon_label": read_colon_label}
    return readers[fmt](path, opts, reporter, cancel)


def _existing_path(value: str, field: str) -> Path:
    if not value:
        raise DatasetError(f"{field} is empty: choose a dataset file, folder or archive.")
    path = data_path(value)
    from ..fileio import check_readable_path

    check_readable_path(path, DatasetError, what=f"dataset ({field})")  # FIFOs, devices, link loops
    if not path.exists():
        raise DatasetError(f"Dataset not found: {path}. Check {field}.")
    return path


def _resolve_format(cfg: DataConfig, path: Path) -> str:
    fmt = cfg.format or "auto"
    if fmt != "auto" and fmt not in FORMATS:
        raise DatasetError(f"data.format is {fmt!r}; choose one of auto, {', '.join(FORMATS)}.")
    if fmt == "auto":
        fmt = detect_dataset_format(path)
    if fmt == "split" and cfg.test_path:
        if path.is_dir() and split_role(path.name) == "train":
            return "folders"  # the train folder was given with an explicit test folder
        raise DatasetError(
            f"{path} holds its own train/test split, and data.test_path is also set. Clear data.test_path, "
            "or point data.path at the training folder only.")
    return fmt


def _add_test_source(raw: RawRead, cfg: DataConfig, fmt: str, opts: ReadOptions, reporter: Reporter,
                     cancel: CancelToken) -> None:
    test_path = _existing_path(cfg.test_path, "data.test_path")
    test_fmt = detect_dataset_format(test_path) if (cfg.format or "auto") == "auto" else fmt
    if test_fmt == "split":
        test_fmt = "folders"  # a 'name-test' folder given directly holds the test classes
    test_raw = read_source(test_path, test_fmt, opts, reporter, cancel, role="test")
    raw.test = test_raw.train
    raw.rows_read += test_raw.rows_read
    raw.encoding_fallback += test_raw.encoding_fallback
    raw.warnings += test_raw.warnings
    raw.infos += test_raw.infos


def _clean(raw: RawRead, cfg: DataConfig, report: ImportReport, reporter: Reporter, cancel: CancelToken
           ) -> tuple[TextTable, TextTable | None]:
    report.looks_like_mail = looks_like_mail(raw.train.texts)
    auto = report.looks_like_mail
    report.stripped_headers = auto if cfg.strip_headers is None else cfg.strip_headers
    report.stripped_footers = auto if cfg.strip_footers is None else cfg.strip_footers
    report.stripped_quotes = auto if cfg.strip_quotes is None else cfg.strip_quotes
    if report.looks_like_mail:
        reporter.info("The documents look like e-mail/news messages; stripping "
                      + (", ".join(k for k, on in (("headers", report.stripped_headers),
                                                   ("footers", report.stripped_footers),
                                                   ("quotes", report.stripped_quotes)) if on) or "nothing")
                      + ".")
    options = dict(headers=report.stripped_headers, footers=report.stripped_footers,
                   quotes=report.stripped_quotes, lowercase=cfg.lowercase)
    if not any(options.values()):
        return raw.train, raw.test
    total = len(raw.train) + (len(raw.test) if raw.test is not None else 0)
    progress = ThrottledProgress(reporter, total, "Cleaning text", cancel=cancel)
    done = 0

    def cleaned(table: TextTable) -> TextTable:
        nonlocal done
        texts = []
        for text in table.texts:
            texts.append(clean_text(text, **options))
            done += 1
            if done % 256 == 0:
                progress(done)
        return TextTable(texts, list(table.labels), list(table.sources))

    return cleaned(raw.train), (cleaned(raw.test) if raw.test is not None else None)


def _drop_rows(train: TextTable, test: TextTable | None, cfg: DataConfig, report: ImportReport
               ) -> tuple[TextTable, TextTable | None]:
    tables = [train] if test is None else [train, test]
    kept = []
    for table in tables:
        keep = []
        seen: set[tuple[str, str]] = set()
        empty = duplicates = 0
        for i, (text, label) in enumerate(zip(table.texts, table.labels)):
            if is_empty_text(text):
                empty += 1
                if cfg.drop_empty:
                    continue
            key = (text, label)
            if key in seen:
                duplicates += 1
                if cfg.drop_duplicates:
                    continue
            seen.add(key)
            keep.append(i)
        kept.append(table.subset(keep) if len(keep) < len(table) else table)
        _count_dropped(report, cfg, empty, duplicates)
    return kept[0], (kept[1] if test is not None else None)


def _count_dropped(report: ImportReport, cfg: DataConfig, empty: int, duplicates: int) -> None:
    if cfg.drop_empty:
        report.empty_dropped += empty
    elif empty:
        report.warnings.append(
            f"{empty:,} rows are empty or hold only punctuation/whitespace; they were kept because "
            "data.drop_empty is false. They become all-padding sequences (NaN with masked averaging).")
    if cfg.drop_duplicates:
        report.duplicates_dropped += duplicates
    elif duplicates:
        report.warnings.append(f"{duplicates:,} rows are exact duplicates (same text and label) of earlier rows; "
                               "they were kept because data.drop_duplicates is false.")


def _cap(table: TextTable | None, max_rows: int, report: ImportReport, what: str) -> TextTable | None:
    if table is None or len(table) <= max_rows:
        return table
    keep = sorted(random.Random(MAX_ROWS_SEED).sample(range(len(table)), max_rows))
    report.warnings.append(f"data.max_rows = {max_rows:,}: kept a fixed random sample of {max_rows:,} of the "
                           f"{len(table):,} {what} rows.")
    return table.subset(keep)


def _classes(train: TextTable, test: TextTable | None, path: Path, report: ImportReport) -> list[str]:
    classes = sort_labels(set(train.labels))
    if not classes:
        raise DatasetError(f"{path}: no usable rows are left after dropping empty rows and duplicates "
                           f"({report.empty_dropped:,} empty, {report.duplicates_dropped:,} duplicates).")
    if len(classes) < 2:
        raise DatasetError(
            f"{path}: every example has the same label ({classes[0]!r}); a classifier needs at least 2 classes. "
            "Check data.label_column (or the label field), or add examples of other classes.")
    if test is not None:
        unknown = sort_labels(set(test.labels) - set(classes))
        if unknown:
            raise DatasetError(
                f"{path}: the test data has classes the training data lacks: {', '.join(map(repr, unknown))}. "
                "Train and test must use the same class names.")
        missing = [c for c in classes if c not in set(test.labels)]
        if missing:
            report.warnings.append(f"The test data has no examples of {len(missing)} classes: "
                                   f"{', '.join(map(repr, missing))}; their test scores cannot be measured.")
    return classes


def _warnings(train: TextTable, test: TextTable | None, classes: list[str], report: ImportReport,
              cfg: DataConfig) -> list[str]:
    out = checks.fallback_warnings(report.encoding_fallback, cfg.encoding)
    out += checks.imbalance_warnings(train, classes, "training data")
    out += checks.kept_header_warnings(report.looks_like_mail, report.stripped_headers)
    out += checks.leakage_warnings(train, classes, "training data")
    out += checks.conflicting_label_warnings(train, "training data")
    out += checks.cross_split_duplicate_warnings(train, test)
    return out
