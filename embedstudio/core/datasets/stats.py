"""Descriptive statistics of a TextTable, for the dataset panel and the run report."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from .cleaning import is_empty_text
from .types import DatasetStats, TextTable, sort_labels

if TYPE_CHECKING:
    import numpy as np

HISTOGRAM_BINS = 30


def _lengths(texts: list[str], standardize: str | None, sample: int | None) -> tuple[np.ndarray, int]:
    """(tokens per text, how many texts were sampled (0: all)); a seeded sample only with a tokenizer."""
    import numpy as np

    measured = list(texts)
    sampled = 0
    if standardize is not None and sample is not None and len(measured) > sample:
        import random

        measured = random.Random(0).sample(measured, sample)
        sampled = sample
    lengths = np.fromiter(
        (len(t.split()) for t in training_tokens(measured, standardize)), dtype=np.int64, count=len(measured)
    )
    return lengths, sampled


def dataset_statistics(
    table: TextTable,
    classes: list[str] | None = None,
    *,
    standardize: str | None = None,
    sample: int | None = None,
) -> DatasetStats:
    """Counts, token-length percentiles and histogram, imbalance, empty rows and duplicates.

    Lengths are tokens as training makes them when ``standardize`` (a ``text.standardize`` option) is
    given: the same function from core/text.py that the vectorizer runs. Without it, or before that
    function exists, they are whitespace-separated words.
    The histogram spans [min, p99] so one huge document does not squash every other bar; longer
    documents are counted in the last bin. ``imbalance_ratio`` is largest / smallest non-zero class
    count (1.0 with fewer than two classes present). ``sample`` caps how many texts (a seeded random
    sample) the tokenizer measures; counts, empties and duplicates always cover every row.
    """

    counts = Counter(table.labels)
    if classes is None:
        classes = sort_labels(counts)
    class_counts = {c: counts.get(c, 0) for c in classes}
    class_counts.update({c: n for c, n in counts.items() if c not in class_counts})
    lengths, sampled = _lengths(table.texts, standardize, sample)
    return DatasetStats(
        n=len(table),
        class_counts=class_counts,
        lengths=_percentiles(lengths),
        length_histogram=_histogram(lengths),
        imbalance_ratio=_imbalance(class_counts),
        empty=sum(1 for t in table.texts if is_empty_text(t)),
        duplicates=len(table) - len(set(zip(table.texts, table.labels))),
        length_unit="words" if standardize is None else "tokens",
        length_sample=sampled,
    )


def training_tokens(texts: list[str], standardize: str | None) -> list[str]:
    """``texts`` as the training tokenizer sees them (tokens joined by one space), for statistics and previews."""
    if standardize is None:
        return texts
    try:
        from ..text import standardize_texts
    except ImportError:  # a text module without the shared tokenizer function: words as written
        return texts
    return standardize_texts(texts, standardize)


def _percentiles(lengths) -> dict[str, float]:
    import numpy as np

    if not len(lengths):
        return {"min": 0.0, "p50": 0.0, "p90": 0.0, "p99": 0.0, "max": 0.0}
    p50, p90, p99 = np.percentile(lengths, [50, 90, 99])
    return {
        "min": float(lengths.min()),
        "p50": float(p50),
        "p90": float(p90),
        "p99": float(p99),
        "max": float(lengths.max()),
    }


def _histogram(lengths) -> tuple[list[float], list[int]]:
    import numpy as np

    if not len(lengths):
        return [0.0, 1.0], [0]
    low = float(lengths.min())
    high = max(float(np.percentile(lengths, 99)), low + 1.0)
    counts, edges = np.histogram(np.clip(lengths, low, high), bins=HISTOGRAM_BINS, range=(low, high))
    return [float(e) for e in edges], [int(c) for c in counts]


def _imbalance(class_counts: dict[str, int]) -> float:
    present = [n for n in class_counts.values() if n > 0]
    if len(present) < 2:
        return 1.0
    return max(present) / min(present)
