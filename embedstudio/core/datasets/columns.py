"""Choosing the text and label columns (CSV/TSV) or keys (JSONL): by name, by index, or automatically."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from ..errors import DatasetError

TEXT_NAMES = (
    "text",
    "texts",
    "sms",
    "message",
    "msg",
    "sentence",
    "document",
    "doc",
    "content",
    "body",
    "review",
    "question",
    "tweet",
    "comment",
    "title",
    "description",
    "abstract",
    "utterance",
    "query",
    "headline",
    "article",
    "post",
)
LABEL_NAMES = (
    "label",
    "labels",
    "class",
    "category",
    "target",
    "sentiment",
    "y",
    "tag",
    "topic",
    "intent",
    "polarity",
    "rating",
    "class_label",
    "categories",
    "gold",
    "annotation",
    "v1",
)
KNOWN_NAMES = frozenset(TEXT_NAMES + LABEL_NAMES)
TEXT_DISTINCT_SHARE = 0.5  # a text column's values are mostly distinct
LABEL_DISTINCT_SHARE = 0.9  # a "label" column with this share of distinct values is not one


def resolve_column(spec: str, columns: Sequence[str], *, field: str, source: str, noun: str = "column") -> int:
    """The index of the column named ``spec`` (exact, then case-insensitive) or at 0-based index ``spec``."""
    spec = spec.strip()
    if spec in columns:
        return list(columns).index(spec)
    lowered = [c.lower() for c in columns]
    if spec.lower() in lowered:
        return lowered.index(spec.lower())
    if spec.isdigit() and int(spec) < len(columns):
        return int(spec)
    shown = ", ".join(repr(c) for c in columns)
    raise DatasetError(
        f"{source}: data.{field} is {spec!r}, which is not a {noun} here. The {noun}s are {shown}; "
        f"give one of these names or a 0-based index (0 to {len(columns) - 1})."
    )


def text_column_specs(value: str | Sequence[str] | None, columns: Sequence[str] = ()) -> list[str]:
    """data.text_column as a list: a list as given, 'title,description' split on commas (unless the whole
    string names a column), '' -> [] (auto)."""
    if not value:
        return []
    if isinstance(value, str):
        if value in columns or "," not in value:
            return [value]
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(v) for v in value]


def auto_columns(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    text: int | None = None,
    label: int | None = None,
    source: str = "",
    noun: str = "column",
) -> tuple[int, int]:
    """Guess whichever of (text, label) is None.

    The label: a known name first (label, class, category ...), else the column with the fewest distinct
    values. The text: by content, whatever the names say: the column with the most words per value among
    those whose values are mostly distinct (a 'title' beside a 'description' loses), ties by characters.
    """
    if len(columns) < 2:
        raise one_column_error(columns, source, noun)
    lowered = [c.strip().lower() for c in columns]
    sample = [r for r in rows[:1000] if len(r) == len(columns)]
    if label is None:
        label = _first_named(lowered, LABEL_NAMES, exclude=text)
    if label is None:
        candidates = [j for j in range(len(columns)) if j != text]
        label = min(candidates, key=lambda j: (_distinct(sample, j), _mean_length(sample, j)))
    if text is None:
        candidates = [j for j in range(len(columns)) if j != label]
        varied = [j for j in candidates if _distinct(sample, j) >= TEXT_DISTINCT_SHARE * len(sample)]
        text = max(
            varied or candidates,
            key=lambda j: (_mean_words(sample, j), _mean_length(sample, j), lowered[j] in TEXT_NAMES),
        )
    return text, label


def rank_text_columns(columns: Sequence[str], rows: Sequence[Sequence[str]], *, label: int | None = None) -> list[str]:
    """Column names, likeliest text column first (the order auto_columns uses), without the label column;
    for the GUI's multi-select column picker."""
    sample = [r for r in rows[:1000] if len(r) == len(columns)]
    lowered = [c.strip().lower() for c in columns]
    candidates = [j for j in range(len(columns)) if j != label]
    ranked = sorted(
        candidates,
        key=lambda j: (
            _distinct(sample, j) >= TEXT_DISTINCT_SHARE * len(sample),
            _mean_words(sample, j),
            _mean_length(sample, j),
            lowered[j] in TEXT_NAMES,
        ),
        reverse=True,
    )
    return [columns[j] for j in ranked]


def one_column_error(columns: Sequence[str], source: str, noun: str = "column") -> DatasetError:
    found = f"only one {noun} ({columns[0]!r}) was found" if columns else f"no {noun}s were found"
    return DatasetError(
        f"{source}: {found}; a dataset needs a text and a label {noun}. "
        + ("Check data.delimiter, or choose another format." if noun == "column" else "Add a label key to every line.")
    )


def pick_columns(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    text_spec,
    label_spec: str,
    *,
    source: str,
    noun: str = "column",
) -> tuple[list[int], int]:
    """Resolve the configured columns (auto-picking the empty ones) and check they differ.

    ``text_spec`` is one name/index, 'a,b', or a list: several text columns are joined in that order.
    Returns (text column indices, label column index).
    """
    if len(columns) < 2:
        raise one_column_error(columns, source, noun)
    specs = text_column_specs(text_spec, columns)
    texts = [resolve_column(spec, columns, field="text_column", source=source, noun=noun) for spec in specs]
    label = resolve_column(label_spec, columns, field="label_column", source=source, noun=noun) if label_spec else None
    if label is not None and label in texts:
        raise DatasetError(
            f"{source}: data.text_column and data.label_column both name {columns[label]!r}; "
            f"choose two different {noun}s."
        )
    text, label = auto_columns(columns, rows, text=texts[0] if texts else None, label=label, source=source, noun=noun)
    return (texts or [text]), label


def check_label_values(labels: Sequence[str], column: str, source: str, *, noun: str = "column") -> None:
    """A label column whose values are all (or nearly all) distinct is an id or a text, not a label."""
    n = len(labels)
    distinct = len(set(labels))
    if n >= 4 and (distinct == n or (n >= 20 and distinct >= LABEL_DISTINCT_SHARE * n)):
        raise DatasetError(
            f"{source}: the label {noun} {column!r} has {distinct:,} different values in {n:,} rows, so it is not "
            f"a label (an id or a text?). Name the {noun} that holds the classes with data.label_column "
            "and the text with data.text_column."
        )


def _first_named(lowered: Sequence[str], names: Sequence[str], *, exclude: int | None) -> int | None:
    for name in names:
        if name in lowered and lowered.index(name) != exclude:
            return lowered.index(name)
    return None


def _distinct(rows: Sequence[Sequence[str]], j: int) -> int:
    return len({r[j] for r in rows})


def _mean_words(rows: Sequence[Sequence[str]], j: int) -> float:
    return statistics.fmean(len(r[j].split()) for r in rows) if rows else 0.0


def _mean_length(rows: Sequence[Sequence[str]], j: int) -> float:
    return statistics.fmean(len(r[j]) for r in rows) if rows else 0.0
