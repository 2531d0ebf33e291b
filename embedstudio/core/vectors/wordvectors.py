"""WordVectors: the loaded vocabulary and matrix of one vector file, with cosine queries.

Every reader returns this one type, so the embedding builder, the CLI and the GUI never care which
format a file had. Only fastText ``.bin`` models (and gensim FastText models) carry subword n-grams;
they keep fastText's model (or gensim's ``FastTextKeyedVectors``) to build vectors for words the file does
not list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from embedstudio.core.errors import UserError
from embedstudio.core.vectors.queries import CoarseCopy, NeighbourIndex, WordIndex, rows_for


@dataclass
class VectorInfo:
    """What a vector file holds, and what was odd about it (``warnings``)."""

    path: str
    format: str
    vocab_size: int
    dim: int
    duplicates: int
    duplicate_examples: list[str]
    header_count: int | None
    has_subwords: bool
    compression: str | None
    file_size: int
    warnings: list[str] = field(default_factory=list)
    from_cache: bool = False

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class WordVectors:
    """A vocabulary (``words``) and its float32 ``matrix`` (n, dim), row i being the vector of word i."""

    def __init__(
        self,
        words: Sequence[str],
        matrix: np.ndarray,
        info: VectorInfo,
        *,
        subword_model: Any = None,
        word_index: WordIndex | None = None,
        inverse_norms: np.ndarray | None = None,
        coarse: CoarseCopy | None = None,
    ) -> None:
        if matrix.ndim != 2 or matrix.shape[0] != len(words):
            raise ValueError(f"matrix shape {matrix.shape} does not fit {len(words)} words")
        if matrix.dtype != np.float32 or not matrix.flags.c_contiguous:
            matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        self.words = words
        self.matrix = matrix
        self.info = info
        self.path = info.path
        self.format = info.format
        # gensim FastTextKeyedVectors; builds vectors for unknown words from character n-grams.
        self._subwords = subword_model
        # word -> row: a WordIndex from the cache, or a dict built on the first lookup.
        self._index: dict[str, int] | WordIndex | None = None
        self._queries: NeighbourIndex | None = None
        # The vector cache's background write of this file (a cache.CacheWrite), when a first open started one:
        # ``cache_write.add_done_callback`` tells when the entry is complete.
        self.cache_write: Any = None
        self.attach_query_data(word_index=word_index, inverse_norms=inverse_norms, coarse=coarse)

    def attach_query_data(
        self,
        *,
        word_index: WordIndex | None = None,
        inverse_norms: np.ndarray | None = None,
        coarse: CoarseCopy | None = None,
        matrix: np.ndarray | None = None,
    ) -> None:
        """Hand over a word index, row norms and the coarse copy built elsewhere (the vector cache builds them,
        so the first query of a session costs what every later one does). Any may be None: built when first
        needed. ``matrix`` is the same matrix memory-mapped from the finished cache entry: it replaces the one
        the file was parsed into, whose memory is then given back (the queries page in the coarse copy instead
        of holding both), as after a cached reopen."""
        if matrix is not None:
            self._use_mapped_matrix(matrix)
        if word_index is not None and self._index is None and len(word_index) == len(self.words):
            self._index = word_index
        if inverse_norms is not None or coarse is not None:
            self.queries.attach(inverse_norms, coarse)
            if coarse is not None:
                self.queries.coarse_expected = False

    def _use_mapped_matrix(self, matrix: np.ndarray) -> None:
        current = self.matrix
        if isinstance(current, np.memmap) or matrix.shape != current.shape or matrix.dtype != current.dtype:
            return
        self.matrix = matrix
        if self._queries is not None:
            self._queries.matrix = matrix  # a query running now may read rows of either: the same numbers

    # ---- vocabulary ------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return int(self.matrix.shape[1])

    @property
    def has_subwords(self) -> bool:
        return self._subwords is not None

    @property
    def name(self) -> str:
        return Path(self.path).name

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and word in self._word_index()

    def __repr__(self) -> str:
        return f"WordVectors({self.name!r}, {len(self)} words × {self.dim}, format={self.format!r})"

    def index(self, word: str) -> int | None:
        """Row of ``word``, or None if the file does not list it."""
        return self._word_index().get(word)

    def rows(self, words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(rows, found)`` for many words at once: int64 rows (-1 when absent) and a bool mask.

        Without building a dict of every word in the file (0.75 s and ~150 MB for 2M words) unless
        single-word lookups already built it: the file's word list is scanned once in C.
        """
        return rows_for(words, self._index if isinstance(self._index, dict) else self.words)

    def _word_index(self) -> dict[str, int] | WordIndex:
        if self._index is None:
            # Readers already dropped duplicates, so every word maps to its only row.
            self._index = {word: row for row, word in enumerate(self.words)}
        return self._index

    def is_oov(self, word: str) -> bool:
        """True if the file does not list ``word`` (it may still get a subword vector)."""
        return word not in self

    # ---- vectors ---------------------------------------------------------------------------
    def vector(self, word: str) -> np.ndarray | None:
        """The row of ``word``; for an unknown word a vector built from subwords, if the file has them; else None."""
        row = self.index(word)
        if row is not None:
            return self.matrix[row]
        if self._subwords is None:
            return None
        try:
            return np.asarray(self._subwords.get_vector(word), dtype=np.float32)
        except KeyError:
            return None

    def _require_vector(self, word: str) -> np.ndarray:
        vec = self.vector(word)
        if vec is None:
            raise UserError(self._unknown_word_message(word))
        return vec

    def _unknown_word_message(self, word: str) -> str:
        message = f"'{word}' is not in {self.name} ({len(self):,} words); "
        for variant in (word.lower(), word.capitalize(), word.upper()):
            if variant != word and variant in self:
                return message + f"did you mean '{variant}'? These vectors tell upper and lower case apart."
        return message + ("check the spelling. Only fastText .bin files can build vectors for words they do not list.")

    # ---- queries ---------------------------------------------------------------------------
    @property
    def queries(self) -> NeighbourIndex:
        if self._queries is None:
            self._queries = NeighbourIndex(self.matrix)
        return self._queries

    def neighbors(self, word_or_vector: str | np.ndarray, k: int = 10) -> list[tuple[str, float]]:
        """The ``k`` words closest by cosine, best first; a query word is not its own neighbour."""
        if isinstance(word_or_vector, str):
            vector = self._require_vector(word_or_vector)
            row = self.index(word_or_vector)
            exclude = {row} if row is not None else set()
        else:
            vector = self._query_vector(word_or_vector)
            exclude = set()
        return [(self.words[i], score) for i, score in self.queries.nearest(vector, k, exclude)]

    def _query_vector(self, vector: Any) -> np.ndarray:
        vector = np.asarray(vector, dtype=np.float32).reshape(-1)
        if vector.shape[0] != self.dim:
            raise UserError(
                f"The query vector has {vector.shape[0]} numbers, but {self.name} holds vectors of {self.dim}."
            )
        return vector

    def analogy(self, a: str, b: str, c: str, k: int = 10) -> list[tuple[str, float]]:
        """3CosAdd: "a is to b as c is to ?", the words closest to b - a + c (unit vectors), without a, b, c."""
        vectors = [self._require_vector(w) for w in (a, b, c)]
        rows = [self.index(w) for w in (a, b, c)]
        ra, rb, rc = rows
        if ra is not None and rb is not None and rc is not None:
            found = self.queries.analogy(ra, rb, rc, k)
        else:
            # A word built from subwords has no row; the same sum of unit vectors, computed here.
            va, vb, vc = (_unit(v) for v in vectors)
            found = self.queries.nearest(vb - va + vc, k, {r for r in rows if r is not None})
        return [(self.words[i], score) for i, score in found]

    def similarity(self, w1: str, w2: str) -> float:
        """Cosine similarity of two words (0 if either vector is all zeros)."""
        v1, v2 = self._require_vector(w1), self._require_vector(w2)
        r1, r2 = self.index(w1), self.index(w2)
        if r1 is not None and r2 is not None:
            return self.queries.similarity(r1, r2)
        return float(np.dot(_unit(v1), _unit(v2)))


def _unit(vector: np.ndarray) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float32)
    length = float(np.linalg.norm(vector))
    return vector / np.float32(length) if length > 0 else vector
