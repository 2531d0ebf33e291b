"""Choosing the text and label columns (CSV/TSV) or keys (JSONL): by name, by index, or automatically."""

from __future__ import annotations

import statistics
from typing import Sequence

from ..errors import DatasetError

TEXT_NAMES = ("text", "texts", "sms", "message", "msg", "sentence", "document", "doc", "content", "body",
              "review", "question", "tweet", "comment", "title", "description", "abstract", "utterance",
              "query", "headline", "article", "post")
LABEL_NAMES = ("label", "labels", "class", "category", "target", "sentiment", "y", "tag", "topic", "intent",
               "polarity", "rating", "class_label", "categories", "gold", "annotation", "v1")
KNOWN_NAMES = frozenset(TEXT_NAMES + LABEL_NAMES)


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
        f"give one of these names or a 0-based index (0 to {len(columns) - 1}).")


def auto_columns(columns: Sequence[str], rows: Sequence[Sequence[str]], *,
                 text: int | None = None, label: int | None = None) -> tuple[int, int]:
    """Guess whichever of (text, label) is None: known names first, then content.

    Labels repeat (fewest distinct values), texts are long (largest mean length).
    """
    lowered = [c.strip().lower() for c in columns]
    if text is None:
        text = _first_named(lowered, TEXT_NAMES, exclude=label)
    if label is None:
        label = _first_named(lowered, LABEL_NAMES, exclude=text)
    sample = [r for r in rows[:1000] if len(r) == len(columns)]
    if label is None:
        candidates = [j for j in range(len(columns)) if j != text]
        label = min(candidates, key=lambda j: (_distinct(sample, j), _mean_length(sample, j)))
    if text is None:
        candidates = [j for j in range(len(columns)) if j != label]
        text = max(candidates, key=lambda j: _mean_length(sample, j))
    return text, label


def pick_columns(columns: Sequence[str], rows: Sequence[Sequence[str]], text_spec: str, label_spec: str,
                 *, source: str, noun: str = "column") -> tuple[int, int]:
    """Resolve the configured columns (auto-picking the empty ones) and check they are two different ones."""
    if len(columns) < 2:
        raise DatasetError(
            f"{source}: only one {noun} ({columns[0]!r}) was found; a dataset needs a text and a label {noun}. "
            "Check data.delimiter, or choose another format.")
    text = (resolve_column(text_spec, columns, field="text_column", source=source, noun=noun)
            if text_spec else None)
    label = (resolve_column(label_spec, columns, field="label_column", source=source, noun=noun)
             if label_spec else None)
    if text is not None and text == label:
        raise DatasetError(
            f"{source}: data.text_column and data.label_column both name {columns[text]!r}; "
            f"choose two different {noun}s.")
    return auto_columns(columns, rows, text=text, label=label)


def _first_named(lowered: Sequence[str], names: Sequence[str], *, exclude: int | None) -> int | None:
    for name in names:
        if name in lowered and lowered.index(name) != exclude:
            return lowered.index(name)
    return None


def _distinct(rows: Sequence[Sequence[str]], j: int) -> int:
    return len({r[j] for r in rows})


def _mean_length(rows: Sequence[Sequence[str]], j: int) -> float:
    return statistics.fmean(len(r[j]) for r in rows) if rows else 0.0
