"""The embedding matrix for a vocabulary, its OOV policies, and the coverage report.

NumPy only: this runs before TensorFlow is needed and is what the GUI shows in the coverage panel.
Row 0 is padding and row 1 is ``[UNK]``, as in Keras' ``TextVectorization`` vocabulary.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .jobs import Reporter

OOV_POLICIES = ("zeros", "random", "mean_noise", "subwords")
SPECIAL_TOKENS = ("", "[UNK]")
# Statistics of a huge matrix are estimated on a sample of rows: exact enough to scale noise, and fast.
_STATS_SAMPLE_ROWS = 100_000
# mean_noise: noise this fraction of the vectors' std around their mean, so OOV rows differ from each other.
_MEAN_NOISE_SCALE = 0.1


@dataclass
class CoverageReport:
    """How much of a vocabulary (and of the running text) a vector file covers."""

    vectors_path: str
    vocab_size: int  # words in the vocabulary, without padding and [UNK]
    covered: int  # of those, words with a vector in the file (exact or lower-cased match)
    vocab_coverage: float  # covered / vocab_size
    total_tokens: int  # running tokens in the counted texts (all words, also those outside the vocabulary)
    covered_tokens: int  # tokens of vocabulary words that have a vector
    token_coverage: float  # covered_tokens / total_tokens
    subword_filled: int  # vocabulary words without a vector whose row was built from fastText subwords
    top_oov: list[tuple[str, int]]  # the most frequent vocabulary words not in the file, with counts
    policy: str = ""  # the OOV policy actually applied (after any fallback)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["top_oov"] = [[word, count] for word, count in self.top_oov]
        return out

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> CoverageReport:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in raw.items() if k in known}
        values["top_oov"] = [(str(w), int(c)) for w, c in values.get("top_oov", [])]
        return cls(**values)

    def summary(self) -> str:
        name = self.vectors_path.replace("\\", "/").rsplit("/", 1)[-1] or self.vectors_path
        text = (
            f"{name} covers {self.covered:,} of {self.vocab_size:,} vocabulary words "
            f"({100 * self.vocab_coverage:.1f}%) and {100 * self.token_coverage:.1f}% of the "
            f"{self.total_tokens:,} tokens in the training text."
        )
        if self.subword_filled:
            text += f" {self.subword_filled:,} more words got vectors built from subwords."
        if self.top_oov:
            shown = ", ".join(f"{w} ({c})" for w, c in self.top_oov[:8])
            text += f" Most frequent words not in the file: {shown}."
        if self.policy:
            text += f" Rows without a vector are filled by the '{self.policy}' policy."
        return text


def _lookup_rows(vocabulary: Sequence[str], vectors: Any) -> np.ndarray:
    """Row in ``vectors`` of each vocabulary word (-1 when absent); tries the word, then its lower case,
    because a cased vocabulary (standardize none/strip_punctuation) against lower-case GloVe is common."""
    n = len(vocabulary)
    # One pass over the file's words for both spellings: a scan of 2M words costs ~0.12 s.
    both, _ = vectors.rows(list(vocabulary) + [w.lower() for w in vocabulary])
    rows, lower_rows = both[:n], both[n:]
    missing = rows < 0
    rows[missing] = lower_rows[missing]
    for i, token in enumerate(SPECIAL_TOKENS[:n]):
        if vocabulary[i] == token:
            rows[i] = -1
    return rows


def _matrix_stats(matrix: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    sample = matrix
    if matrix.shape[0] > _STATS_SAMPLE_ROWS:
        sample = matrix[rng.choice(matrix.shape[0], _STATS_SAMPLE_ROWS, replace=False)]
    sample = sample.astype(np.float64, copy=False)
    if sample.shape[0] == 0:
        return np.zeros(matrix.shape[1]), 1.0
    std = float(sample.std())
    return sample.mean(axis=0), (std if np.isfinite(std) and std > 0 else 1.0)


def coverage_report(
    vocabulary: Sequence[str],
    counts: Mapping[str, int],
    vectors: Any,
    top_n: int = 50,
    *,
    rows: np.ndarray | None = None,
    subword_filled: int = 0,
    policy: str = "",
    notes: list[str] | None = None,
) -> CoverageReport:
    """Coverage of ``vocabulary`` (Keras order: padding, [UNK], words...) by ``vectors``.

    ``counts`` maps tokens of the training text to their frequency (see ``text.token_counts``).
    """
    if rows is None:
        rows = _lookup_rows(vocabulary, vectors)
    words = [(i, w) for i, w in enumerate(vocabulary) if not (i < len(SPECIAL_TOKENS) and w == SPECIAL_TOKENS[i])]
    covered_words = [w for i, w in words if rows[i] >= 0]
    oov_words = [w for i, w in words if rows[i] < 0]
    total_tokens = int(sum(counts.values()))
    covered_tokens = int(sum(counts.get(w, 0) for w in covered_words))
    # Stable sort: equally frequent words keep the vocabulary's order.
    top_oov = sorted(((w, int(counts.get(w, 0))) for w in oov_words), key=lambda wc: -wc[1])[:top_n]
    return CoverageReport(
        vectors_path=str(getattr(vectors, "path", "")),
        vocab_size=len(words),
        covered=len(covered_words),
        vocab_coverage=len(covered_words) / len(words) if words else 0.0,
        total_tokens=total_tokens,
        covered_tokens=covered_tokens,
        token_coverage=covered_tokens / total_tokens if total_tokens else 0.0,
        subword_filled=subword_filled,
        top_oov=top_oov,
        policy=policy,
        notes=list(notes or []),
    )


def build_embedding_matrix(
    vocabulary: Sequence[str],
    vectors: Any,
    *,
    policy: str = "random",
    seed: int = 0,
    counts: Mapping[str, int] | None = None,
    reporter: Reporter | None = None,
) -> tuple[np.ndarray, np.ndarray, CoverageReport]:
    """``(matrix float32 (V, d), covered_mask bool (V,), coverage report)`` for a Keras vocabulary.

    Rows of words found in ``vectors`` are copied; the others (and ``[UNK]``) follow ``policy``:
    ``zeros``; ``random`` (normal, scaled to the vectors' std); ``mean_noise`` (the vectors' mean plus small
    noise); ``subwords`` (fastText subword vectors when the file has them, else ``random`` with a warning).
    Row 0 (padding) is always zero. ``covered_mask`` is True for rows that hold a vector from the file,
    exact or built from subwords; padding and ``[UNK]`` are never covered.
    """
    if policy not in OOV_POLICIES:
        raise ValueError(f"unknown OOV policy {policy!r}; choose one of {', '.join(OOV_POLICIES)}")
    source = np.asarray(vectors.matrix)
    dim = int(source.shape[1])
    size = len(vocabulary)
    rng = np.random.default_rng(seed)
    notes: list[str] = []

    rows = _lookup_rows(vocabulary, vectors)
    found = rows >= 0
    matrix = np.zeros((size, dim), dtype=np.float32)
    matrix[found] = source[rows[found]]

    fill = ~found
    if size:
        fill[0] = False  # padding stays zero
    subword_filled, policy_used, remaining_policy = _apply_subwords(policy, vocabulary, vectors, matrix, fill, notes)
    if reporter is not None and notes:
        reporter.warning(notes[-1])
    if fill.any() and remaining_policy != "zeros":
        _fill_rows(matrix, fill, source, rng, remaining_policy)

    covered_mask = found.copy()
    covered_mask[_subword_rows(found, fill, matrix, subword_filled)] = True
    report = coverage_report(
        vocabulary, counts or {}, vectors, rows=rows, subword_filled=subword_filled, policy=policy_used, notes=notes
    )
    return matrix, covered_mask, report


def _apply_subwords(
    policy: str, vocabulary: Sequence[str], vectors: Any, matrix: np.ndarray, fill: np.ndarray, notes: list[str]
) -> tuple[int, str, str]:
    """``(rows built from subwords, the policy in effect, the policy for the rows still unfilled)``; a note
    when ``subwords`` was asked of a file without subword information."""
    if policy != "subwords":
        return 0, policy, policy
    if getattr(vectors, "has_subwords", False):
        return _fill_from_subwords(vocabulary, vectors, matrix, fill), "subwords", "random"
    name = getattr(vectors, "path", "the vector file")
    notes.append(
        f"{name} has no subword information (only fastText .bin files do); "
        "words without a vector were filled randomly instead."
    )
    return 0, "random", "random"  # words that even subwords cannot build are random


def _fill_rows(matrix: np.ndarray, fill: np.ndarray, source: np.ndarray, rng: np.random.Generator, policy: str) -> None:
    """Rows of ``fill`` get ``random`` (normal, scaled to the vectors' std) or ``mean_noise`` values."""
    mean, std = _matrix_stats(source, rng)
    noise = rng.standard_normal((int(fill.sum()), matrix.shape[1]))
    if policy == "random":
        matrix[fill] = (noise * std).astype(np.float32)
    else:  # mean_noise
        matrix[fill] = (mean + noise * std * _MEAN_NOISE_SCALE).astype(np.float32)


def _fill_from_subwords(vocabulary: Sequence[str], vectors: Any, matrix: np.ndarray, fill: np.ndarray) -> int:
    """Builds rows from fastText subwords in place; clears ``fill`` for the rows it filled."""
    filled = 0
    for i in np.flatnonzero(fill).tolist():
        word = vocabulary[i]
        if i < len(SPECIAL_TOKENS) and word == SPECIAL_TOKENS[i]:
            continue
        vec = vectors.vector(word)
        if vec is None:
            continue
        vec = np.asarray(vec, dtype=np.float32)
        if not np.any(vec):  # no n-gram of the word is known: an all-zero vector carries no information
            continue
        matrix[i] = vec
        fill[i] = False
        filled += 1
    return filled


def _subword_rows(found: np.ndarray, fill: np.ndarray, matrix: np.ndarray, subword_filled: int) -> np.ndarray:
    """Rows filled from subwords: neither found exactly nor left for the policy (padding excluded)."""
    if not subword_filled:
        return np.zeros(found.shape, dtype=bool)
    rows = ~found & ~fill
    if rows.size:
        rows[0] = False
    return rows
