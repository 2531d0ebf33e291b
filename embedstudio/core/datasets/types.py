"""The plain data objects the importers produce and the rest of the app consumes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class TextTable:
    """Parallel lists: one text, one label and one source ("file" or "file:line") per row."""

    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not (len(self.texts) == len(self.labels) == len(self.sources)):
            raise ValueError(
                f"TextTable columns differ in length: {len(self.texts)} texts, "
                f"{len(self.labels)} labels, {len(self.sources)} sources"
            )

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, indices: Iterable[int]) -> TextTable:
        idx = [int(i) for i in indices]
        return TextTable([self.texts[i] for i in idx], [self.labels[i] for i in idx], [self.sources[i] for i in idx])

    def append(self, text: str, label: str, source: str) -> None:
        self.texts.append(text)
        self.labels.append(label)
        self.sources.append(source)


@dataclass
class ImportReport:
    """What happened while importing: counts, cleaning applied, and warnings for the user."""

    path: str
    format: str
    rows_read: int = 0
    empty_dropped: int = 0
    duplicates_dropped: int = 0
    encoding_fallback: list[str] = field(default_factory=list)  # "file" or "file:line" decoded by the fallback
    looks_like_mail: bool = False
    stripped_headers: bool = False
    stripped_footers: bool = False
    stripped_quotes: bool = False
    mail_cleaned: int = 0  # documents changed by header/footer/quote stripping
    mail_emptied: int = 0  # of those, the ones left without any word
    html_cleaned: int = 0  # documents whose HTML tags/entities were cleaned
    empty_after_cleaning: int = 0  # of the empty rows, those that held text before cleaning
    test_source: str = ""  # where the test set came from, when the data brought one
    validation_source: str = ""  # the given validation file, when there is one
    excluded: dict[str, int] = field(default_factory=dict)  # class folder/label -> rows left out
    notices: list[str] = field(default_factory=list)  # decisions to show in the import summary (not warnings)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Dataset:
    path: str
    train: TextTable
    test: TextTable | None
    classes: list[str]
    report: ImportReport
    validation: TextTable | None = None  # a given validation set (data.validation_path)


@dataclass
class Splits:
    train: TextTable
    validation: TextTable
    test: TextTable
    classes: list[str]
    warnings: list[str] = field(default_factory=list)  # e.g. a stratification fallback


@dataclass
class DatasetStats:
    n: int
    class_counts: dict[str, int]
    lengths: dict[str, float]  # min, p50, p90, p99, max (tokens)
    length_histogram: tuple[list[float], list[int]]  # (bin edges, counts)
    imbalance_ratio: float
    empty: int
    duplicates: int
    length_unit: str = "words"  # "tokens" when measured with the training tokenizer
    length_sample: int = 0  # texts the lengths were measured on, when a sample (0: all)


@dataclass
class TablePreview:
    """The first rows of a data file, for the GUI's column picker."""

    columns: list[str]
    rows: list[list[str]]
    delimiter: str
    has_header: bool
    format: str
    suggested_text_column: str
    suggested_label_column: str
    text_column_ranking: list[str] = field(default_factory=list)  # likeliest text columns first
    sheets: list[str] = field(default_factory=list)  # Excel: every sheet of the workbook
    sheet: str = ""  # Excel: the sheet shown


def sort_labels(labels) -> list[str]:
    """Numeric labels in numeric order ('2' before '10'), others alphabetically."""
    labels = list(labels)
    try:
        return sorted(labels, key=float)
    except ValueError:
        return sorted(labels)


def plural(n: int, noun: str) -> str:
    """'1 class', '2 classes', '1 file', '3 files', '2 entries'."""
    if n == 1:
        return f"1 {noun}"
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return f"{n:,} {noun[:-1]}ies"
    return f"{n:,} {noun}{'es' if noun.endswith(('s', 'x', 'sh', 'ch')) else 's'}"
