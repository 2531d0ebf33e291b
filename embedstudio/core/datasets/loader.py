"""load_dataset: one DataConfig in, one cleaned Dataset (with its ImportReport) out.

Order of work: read (format detection, decoding with fallback) -> clean (mail stripping, lowercase)
-> drop empty rows and exact duplicates -> cap at max_rows -> checks that produce warnings.
"""

from __future__ import annotations

import fnmatch
import random
from pathlib import Path

from ..config import DataConfig, data_path
from ..errors import DatasetError
from ..jobs import CancelToken, Reporter, ThrottledProgress, ensure_cancel, ensure_reporter
from . import checks, parallel
from .cleaning import clean_batch, has_html, is_empty_text, looks_like_html, looks_like_mail
from .detect import FORMATS, detect_dataset_format, split_role
from .encoding import check_encoding
from .folders import read_folder_dataset, read_lines_per_class
from .lines import read_colon_label, read_fasttext, read_jsonl
from .raw import RawRead, ReadOptions
from .sheets import read_excel, read_parquet
from .tables import read_delimited
from .types import Dataset, ImportReport, TextTable, plural, sort_labels

MAX_ROWS_SEED = 0  # max_rows keeps a fixed random sample, so the same config gives the same rows


def load_dataset(cfg: DataConfig, *, reporter: Reporter | None = None, cancel: CancelToken | None = None) -> Dataset:
    """Import the dataset that ``cfg`` describes; raises DatasetError naming the file/line on bad input."""
    reporter, cancel = ensure_reporter(reporter), ensure_cancel(cancel)
    path = _existing_path(cfg.path, "data.path")
    opts = read_options(cfg)
    fmt = _resolve_format(cfg, path)
    if path.is_file() and path.stat().st_size >= parallel.WARM_BYTES:
        parallel.warm()  # the cleaning processes start while the file is read
    raw = read_source(path, fmt, opts, reporter, cancel)
    if cfg.test_path:
        _add_source(raw, cfg, fmt, opts, reporter, cancel, "test")
    validation = _add_source(raw, cfg, fmt, opts, reporter, cancel, "validation") if cfg.validation_path else None
    for line in raw.infos:
        reporter.info(line)
    fmt = raw.layout or fmt
    report = _new_report(raw, cfg, path, fmt)
    if cfg.exclude and fmt not in FOLDER_FORMATS:
        raw.train = _exclude_labels(raw.train, cfg.exclude, report)
        raw.test = _exclude_labels(raw.test, cfg.exclude, report) if raw.test is not None else None
        validation = _exclude_labels(validation, cfg.exclude, report) if validation is not None else None
    tables = {"train": raw.train, "test": raw.test, "validation": validation}
    originals = dict(tables)
    tables = _clean(tables, cfg, report, reporter, cancel, raw.precleaned)
    tables = _cap_rows(_drop_rows(tables, originals, cfg, report), cfg, report)
    train, test, validation = tables["train"], tables["test"], tables["validation"]
    assert train is not None  # every reader returns a training table; only test/validation are optional
    classes = _classes(train, test, path, report, validation)
    report.warnings += _warnings(train, test, classes, report, cfg)
    for message in report.notices:
        reporter.info(message)
    for message in report.warnings:
        reporter.warning(message)
    reporter.info(
        f"Imported {len(train):,} training"
        + (f", {len(validation):,} validation" if validation else "")
        + (f" and {len(test):,} test" if test is not None else "")
        + f" examples in {plural(len(classes), 'class')} from {path.name} ({fmt})."
    )
    return Dataset(path=str(path), train=train, test=test, classes=classes, report=report, validation=validation)


def _new_report(raw: RawRead, cfg: DataConfig, path: Path, fmt: str) -> ImportReport:
    return ImportReport(
        path=str(path),
        format=fmt,
        rows_read=raw.rows_read,
        encoding_fallback=list(raw.encoding_fallback),
        warnings=list(raw.warnings),
        notices=list(raw.notices),
        excluded=dict(raw.excluded),
        test_source=raw.test_source,
        validation_source=str(data_path(cfg.validation_path)) if cfg.validation_path else "",
    )


def _cap_rows(
    tables: dict[str, TextTable | None], cfg: DataConfig, report: ImportReport
) -> dict[str, TextTable | None]:
    """``data.max_rows`` on the training rows and ``data.max_test_rows`` on a given test set."""
    if cfg.max_rows is not None:
        tables["train"] = _cap(tables["train"], cfg.max_rows, report, "training", "data.max_rows")
        if tables["test"] is not None:
            report.notices.append(
                f"data.max_rows caps the training rows only: the given test set keeps all its "
                f"{len(tables['test']):,} rows (set data.max_test_rows to cap it too)."
            )
    if cfg.max_test_rows is not None:
        tables["test"] = _cap(tables["test"], cfg.max_test_rows, report, "test", "data.max_test_rows")
    return tables


FOLDER_FORMATS = ("folders", "split", "lines_per_class")


def read_options(cfg: DataConfig) -> ReadOptions:
    return ReadOptions(
        encoding=check_encoding(cfg.encoding),
        delimiter=cfg.delimiter,
        has_header=cfg.has_header,
        text_column=cfg.text_column,
        label_column=cfg.label_column,
        sheet=cfg.sheet,
        exclude=None if cfg.exclude is None else list(cfg.exclude),
        max_bytes=cfg.max_bytes,
    )


def read_source(
    path: Path, fmt: str, opts: ReadOptions, reporter: Reporter, cancel: CancelToken, *, role: str = "train"
) -> RawRead:
    """Run the reader for ``fmt`` on ``path`` (no cleaning)."""
    if fmt in ("folders", "split"):
        return read_folder_dataset(path, fmt, opts, reporter, cancel, role=role)
    if fmt == "lines_per_class":
        return read_lines_per_class(path, opts, reporter, cancel, role=role)
    if path.is_dir():
        raise DatasetError(
            f"{path} is a folder, but data.format {fmt!r} reads one file. Choose a file, "
            "or set data.format to 'folders', 'split', 'lines_per_class' or 'auto'."
        )
    if fmt in ("csv", "tsv"):
        return read_delimited(path, opts, fmt, reporter, cancel)
    readers = {
        "jsonl": read_jsonl,
        "fasttext": read_fasttext,
        "colon_label": read_colon_label,
        "excel": read_excel,
        "parquet": read_parquet,
    }
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
            "or point data.path at the training folder only."
        )
    return fmt


def _add_source(
    raw: RawRead, cfg: DataConfig, fmt: str, opts: ReadOptions, reporter: Reporter, cancel: CancelToken, role: str
) -> TextTable | None:
    """Read data.test_path into ``raw.test``, or return the table of data.validation_path."""
    field = f"data.{role}_path"
    extra_path = _existing_path(getattr(cfg, f"{role}_path"), field)
    extra_fmt = detect_dataset_format(extra_path) if (cfg.format or "auto") == "auto" else fmt
    if extra_fmt == "split":
        extra_fmt = "folders"  # a 'name-test' folder given directly holds the test classes
    extra = read_source(extra_path, extra_fmt, opts, reporter, cancel, role="test")
    raw.rows_read += extra.rows_read
    raw.encoding_fallback += extra.encoding_fallback
    raw.warnings += extra.warnings
    raw.infos += extra.infos
    for name, n in extra.excluded.items():
        raw.excluded[name] = raw.excluded.get(name, 0) + n
    if role == "test":
        raw.test = extra.train
        raw.test_source = str(extra_path)
        raw.notices.append(f"Test set: {extra_path} ({field}).")
        return None
    raw.notices.append(f"Validation set: {extra_path} ({field}); no validation rows are split off the training data.")
    return extra.train


def _exclude_labels(table: TextTable, patterns: list[str], report: ImportReport) -> TextTable:
    """data.exclude on formats with labels in the rows: drop rows whose label matches a pattern."""
    keep = []
    for i, label in enumerate(table.labels):
        hit = next((p for p in patterns if fnmatch.fnmatchcase(label.lower(), p.lower())), None)
        if hit is None:
            keep.append(i)
        else:
            report.excluded[label] = report.excluded.get(label, 0) + 1
    return table.subset(keep) if len(keep) < len(table) else table


def _clean(
    tables: dict[str, TextTable | None],
    cfg: DataConfig,
    report: ImportReport,
    reporter: Reporter,
    cancel: CancelToken,
    speculation: parallel.Speculation | None = None,
) -> dict[str, TextTable | None]:
    train = tables["train"]
    assert train is not None
    html = _decide_cleaning(train, cfg, report, reporter)
    options = dict(
        headers=report.stripped_headers,
        footers=report.stripped_footers,
        quotes=report.stripped_quotes,
        lowercase=cfg.lowercase,
    )
    mail = {k: v for k, v in options.items() if k != "lowercase"}
    precleaned = None
    if speculation is not None:
        # Cleaned on the pool while the archive was read: usable only for exactly the rules chosen now.
        precleaned = speculation.results() if mail == parallel.SPECULATED and not html else None
        if precleaned is None:
            speculation.cancel()
    if not any(options.values()) and not html:
        return tables
    present = [t for t in tables.values() if t is not None]
    total = sum(len(t) for t in present)
    progress = ThrottledProgress(reporter, total, "Cleaning text", cancel=cancel)
    done = 0

    def cleaned(table: TextTable) -> TextTable:
        nonlocal done
        if precleaned is not None and all(source in precleaned for source in table.sources):
            return from_pool(table, precleaned)
        texts: list[str] = []
        chunks = (table.texts[i : i + parallel.CHUNK] for i in range(0, len(table), parallel.CHUNK))
        for part, html_n, mail_n, emptied_n in parallel.map_chunks(
            clean_batch, chunks, html, mail, cfg.lowercase, total=len(table), cancel=cancel
        ):
            texts += part
            report.html_cleaned += html_n
            report.mail_cleaned += mail_n
            report.mail_emptied += emptied_n
            done += len(part)
            progress(done)
        return TextTable(texts, list(table.labels), list(table.sources))

    def from_pool(table: TextTable, precleaned: dict[str, str]) -> TextTable:
        nonlocal done
        texts = []
        for text, source in zip(table.texts, table.sources):
            stripped = precleaned[source]
            if stripped != text:  # the counts clean_batch keeps
                report.mail_cleaned += 1
                if is_empty_text(stripped) and not is_empty_text(text):
                    report.mail_emptied += 1
            texts.append(stripped.lower() if cfg.lowercase else stripped)
        done += len(texts)
        progress(done)
        return TextTable(texts, list(table.labels), list(table.sources))

    result = {part: (cleaned(t) if t is not None else None) for part, t in tables.items()}
    _note_cleaning(train, cfg, report, reporter, mail, html, total)
    return result


def _decide_cleaning(train: TextTable, cfg: DataConfig, report: ImportReport, reporter: Reporter) -> bool:
    """Which mail/news parts to strip (``report.stripped_*``: the config, or on for mail-like documents), and
    whether to clean HTML (returned)."""
    report.looks_like_mail = looks_like_mail(train.texts)
    auto = report.looks_like_mail
    report.stripped_headers = auto if cfg.strip_headers is None else cfg.strip_headers
    report.stripped_footers = auto if cfg.strip_footers is None else cfg.strip_footers
    report.stripped_quotes = auto if cfg.strip_quotes is None else cfg.strip_quotes
    html = looks_like_html(train.texts) if cfg.strip_html is None else cfg.strip_html
    if report.looks_like_mail:
        parts = (
            ("headers", report.stripped_headers),
            ("footers", report.stripped_footers),
            ("quotes", report.stripped_quotes),
        )
        stripped = ", ".join(k for k, on in parts if on) or "nothing"
        reporter.info(f"The documents look like e-mail/news messages; stripping {stripped}.")
    return html


def _note_cleaning(
    train: TextTable,
    cfg: DataConfig,
    report: ImportReport,
    reporter: Reporter,
    mail: dict[str, bool],
    html: bool,
    total: int,
) -> None:
    """The import summary's notices about what the cleaning changed (and a hint about a little HTML)."""
    if any(mail.values()):
        which = ", ".join(k for k, on in mail.items() if on)
        defaulted = all(getattr(cfg, f"strip_{k}") is None for k, on in mail.items() if on)
        how = "on by default: the documents are e-mail/news messages" if defaulted else "set in the config"
        emptied = (
            f"; {report.mail_emptied:,} of them have no text left"
            + (" and were dropped" if cfg.drop_empty else " (kept: data.drop_empty is false)")
            if report.mail_emptied
            else ""
        )
        report.notices.append(
            f"Mail/news stripping ({which}; {how}) changed {report.mail_cleaned:,} of {total:,} documents{emptied}. "
            "Set data.strip_headers/strip_footers/strip_quotes = false to keep the texts whole."
        )
    if html:
        report.notices.append(_html_notice(cfg, report))
    elif cfg.strip_html is None:
        share = sum(1 for t in train.texts[:: max(1, len(train) // 2000)] if has_html(t))
        if share:
            reporter.info(
                f"A few documents hold HTML tags or entities ({share:,} in a sample); too few to clean "
                "by default. Set data.strip_html = true to clean them."
            )


def _html_notice(cfg: DataConfig, report: ImportReport) -> str:
    how = (
        "on by default: more than a few percent of the documents hold tags or entities"
        if cfg.strip_html is None
        else "data.strip_html = true"
    )
    return (
        f"HTML cleaned in {report.html_cleaned:,} documents (tags removed, entities such as "
        f"&amp; and &#39; decoded; {how})."
    )


def _drop_rows(
    tables: dict[str, TextTable | None], originals: dict[str, TextTable | None], cfg: DataConfig, report: ImportReport
) -> dict[str, TextTable | None]:
    kept: dict[str, TextTable | None] = {}
    for part, table in tables.items():
        if table is None:
            kept[part] = None
            continue
        original = originals[part]
        before = original.texts if original is not None else table.texts
        keep = []
        seen: set[tuple[str, str]] = set()
        empty = emptied = duplicates = 0
        for i, (text, label) in enumerate(zip(table.texts, table.labels)):
            if is_empty_text(text):
                empty += 1
                if not is_empty_text(before[i]):
                    emptied += 1
                if cfg.drop_empty:
                    continue
            key = (text, label)
            if key in seen:
                duplicates += 1
                if cfg.drop_duplicates:
                    continue
            seen.add(key)
            keep.append(i)
        kept[part] = table.subset(keep) if len(keep) < len(table) else table
        _count_dropped(report, cfg, empty, emptied, duplicates)
    return kept


def _count_dropped(report: ImportReport, cfg: DataConfig, empty: int, emptied: int, duplicates: int) -> None:
    report.empty_after_cleaning += emptied
    if cfg.drop_empty:
        report.empty_dropped += empty
    elif empty:
        what = (
            f"{plural(empty, 'row')} {'is' if empty == 1 else 'are'} empty or hold{'s' if empty == 1 else ''} only "
            "punctuation/whitespace" + (f" ({emptied:,} of them empty after cleaning)" if emptied else "")
        )
        report.warnings.append(
            f"{what}; they were kept because data.drop_empty is false. They become all-padding sequences "
            "(NaN with masked averaging)."
        )
    if cfg.drop_duplicates:
        report.duplicates_dropped += duplicates
    elif duplicates:
        report.warnings.append(
            f"{plural(duplicates, 'row')} {'is an exact duplicate' if duplicates == 1 else 'are exact duplicates'} "
            "(same text and label) of earlier rows; they were kept because data.drop_duplicates is false."
        )


def _cap(table: TextTable | None, max_rows: int, report: ImportReport, what: str, field: str) -> TextTable | None:
    if table is None or len(table) <= max_rows:
        return table
    keep = sorted(random.Random(MAX_ROWS_SEED).sample(range(len(table)), max_rows))
    report.warnings.append(
        f"{field} = {max_rows:,}: kept a fixed random sample of {max_rows:,} of the {len(table):,} {what} rows."
    )
    return table.subset(keep)


def _classes(
    train: TextTable, test: TextTable | None, path: Path, report: ImportReport, validation: TextTable | None = None
) -> list[str]:
    classes = sort_labels(set(train.labels))
    if not classes:
        emptied = (
            f", {report.empty_after_cleaning:,} of them empty after cleaning" if report.empty_after_cleaning else ""
        )
        raise DatasetError(
            f"{path}: no usable rows are left after dropping empty rows and duplicates "
            f"({report.empty_dropped:,} empty{emptied}, {report.duplicates_dropped:,} duplicates)."
        )
    if len(classes) < 2:
        raise DatasetError(
            f"{path}: every example has the same label ({classes[0]!r}); a classifier needs at least 2 classes. "
            "Check data.label_column (or the label field), or add examples of other classes."
        )
    for name, table in (("test", test), ("validation", validation)):
        if table is None:
            continue
        unknown = sort_labels(set(table.labels) - set(classes))
        if unknown:
            raise DatasetError(
                f"{path}: the {name} data has classes the training data lacks: {', '.join(map(repr, unknown))}. "
                f"Train and {name} must use the same class names."
            )
        missing = [c for c in classes if c not in set(table.labels)]
        if missing:
            report.warnings.append(
                f"The {name} data has no examples of {plural(len(missing), 'class')}: "
                f"{', '.join(map(repr, missing))}; their {name} scores cannot be measured."
            )
    return classes


def _warnings(
    train: TextTable, test: TextTable | None, classes: list[str], report: ImportReport, cfg: DataConfig
) -> list[str]:
    out = checks.fallback_warnings(report.encoding_fallback, cfg.encoding)
    out += checks.imbalance_warnings(train, classes, "training data")
    out += checks.kept_header_warnings(report.looks_like_mail, report.stripped_headers)
    out += checks.leakage_warnings(train, classes, "training data")
    out += checks.conflicting_label_warnings(train, "training data")
    out += checks.cross_split_duplicate_warnings(train, test)
    return out
