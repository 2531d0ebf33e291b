"""What every reader takes (ReadOptions) and gives back (RawRead), before any cleaning."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DatasetError
from ..jobs import CancelToken, Reporter, ThrottledProgress
from .types import TextTable, plural

# Progress is offered every this many rows; ThrottledProgress decides what reaches the reporter.
PROGRESS_EVERY = 64


@dataclass
class ReadOptions:
    encoding: str = "utf-8"
    delimiter: str = ""  # "" sniffs
    has_header: bool | None = None  # None sniffs
    text_column: str | list[str] = ""  # "" auto-picks; several columns are joined with a newline
    label_column: str = ""
    sheet: str = ""  # Excel worksheet ("" = the first)
    exclude: list[str] | None = None  # class folders to skip (glob patterns); None: unlabelled ones
    max_bytes: int = 8 * 1024**3  # most bytes of text read from one archive (data.max_bytes)


@dataclass
class RawRead:
    train: TextTable
    test: TextTable | None = None
    rows_read: int = 0
    encoding_fallback: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    infos: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    excluded: dict[str, int] = field(default_factory=dict)
    test_source: str = ""
    layout: str = ""  # the layout found when it differs from the format asked for
    # {source: text cleaned with parallel.SPECULATED rules}, computed on the cleaning pool while an archive
    # was read; loader._clean uses it only when it decides on exactly those rules (parallel.Speculation).
    precleaned: Any = None


class RowCollector:
    """Appends rows, skipping (and later reporting) rows without a label."""

    def __init__(self) -> None:
        self.table = TextTable()
        self.unlabelled: list[str] = []
        self.rows_read = 0

    def add(self, text: str, label: str, source: str) -> None:
        self.rows_read += 1
        label = label.strip()
        if not label:
            self.unlabelled.append(source)
            return
        self.table.append(text, label, source)

    def require_labels(self, source: str, label: str, *, noun: str = "column") -> None:
        """Raise when rows were read but every one had an empty label: name the label column/key."""
        if self.rows_read and not len(self.table) and self.unlabelled:
            raise DatasetError(
                f"{source}: the label {noun} {label!r} is empty on every one of the {self.rows_read:,} rows "
                f"(first: {self.unlabelled[0]}). Fill in the labels, or set data.label_column to the {noun} "
                "that holds them."
            )

    def warnings(self, what: str) -> list[str]:
        if not self.unlabelled:
            return []
        n = len(self.unlabelled)
        return [
            f"{plural(n, what.rstrip('s'))} had an empty label and {'was' if n == 1 else 'were'} skipped "
            f"(first: {self.unlabelled[0]})."
        ]


def read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise DatasetError(f"Dataset file not found: {path}. Check the path.")
    if path.is_dir():
        raise DatasetError(
            f"{path} is a folder, but this format reads one file. Choose a file, "
            "or set data.format to 'folders' or 'split'."
        )
    data = path.read_bytes()
    if not data.strip():
        raise DatasetError(f"{path}: the file is empty. Choose a file with one example per line or row.")
    return data


def line_progress(reporter: Reporter, cancel: CancelToken, total: int, path: Path) -> ThrottledProgress:
    return ThrottledProgress(reporter, total, f"Reading {path.name}", cancel=cancel)
