"""A vocabulary held as one UTF-8 blob and an array of offsets instead of a list of Python strings.

A ``list[str]`` of GloVe 6B's 400k words takes 28 MiB (a str object is at least 49 bytes plus its characters,
rounded up by the allocator, and the list 8 bytes a word): 0.37× the 76 MiB float32 matrix next to it, which
alone keeps a first open from staying under 1.5× the matrix in memory. The same words as UTF-8 joined by a
newline and one int64 offset a word take 6 MiB. A :class:`WordList` is an immutable ``Sequence[str]``:
``words[i]`` decodes one word (about a microsecond), slices and iteration decode thousands at a time, and it
compares equal to a list or tuple of the same words. The text reader builds one chunk by chunk
(:class:`WordListBuilder`) and the vector cache reads ``words.txt`` straight into one, which is also exactly
the blob it writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

import numpy as np

_DECODE_RUN = 8192  # words decoded at a time by iteration


class WordList(Sequence[str]):
    """Words ``blob[starts[i] : starts[i + 1] - 1]`` (UTF-8), joined in ``blob`` by the one-byte ``separator``,
    which no word contains."""

    def __init__(self, blob: bytes, starts: np.ndarray, separator: bytes = b"\n") -> None:
        if len(separator) != 1:
            raise ValueError("the separator must be one byte")
        if starts.ndim != 1 or len(starts) < 1 or int(starts[-1]) != len(blob) + 1:
            raise ValueError("the offsets do not fit the blob")
        self.blob = blob
        self.starts = starts  # int64, one per word and one past the end (len(blob) + 1)
        self.separator = separator
        self._text_separator = separator.decode("ascii")

    # -- building ----------------------------------------------------------------------------------------
    @classmethod
    def from_blob(cls, blob: bytes, separator: bytes, count: int) -> WordList:
        """The ``count`` words of ``blob`` (UTF-8 words joined by ``separator``); an empty blob holds no word
        when ``count`` is 0 and one empty word when it is 1."""
        if count == 0:
            if blob:
                raise ValueError("an empty word list has an empty blob")
            return cls(b"", np.ones(1, dtype=np.int64), separator)
        data = np.frombuffer(blob, dtype=np.uint8)
        starts = np.empty(count + 1, dtype=np.int64)
        bounds = np.flatnonzero(data == separator[0])
        if len(bounds) != count - 1:
            raise ValueError(f"the blob holds {len(bounds) + 1} words, not {count}")
        starts[0] = 0
        starts[1:-1] = bounds + 1
        starts[-1] = len(blob) + 1
        return cls(blob, starts, separator)

    @classmethod
    def from_words(cls, words: Iterable[str], separator: str = "\n") -> WordList:
        """A WordList of ``words`` (none may contain ``separator``)."""
        builder = WordListBuilder(separator.encode("ascii"))
        batch: list[str] = []
        for word in words:
            batch.append(word)
            if len(batch) == _DECODE_RUN:
                builder.extend(batch)
                batch = []
        builder.extend(batch)
        return builder.finish()

    # -- Sequence -----------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.starts) - 1

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            return self._run(start, stop) if stop > start else []
        n = len(self)
        i = int(index)  # numpy integers too
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("word index out of range")
        return self.blob[int(self.starts[i]) : int(self.starts[i + 1]) - 1].decode("utf-8", "surrogatepass")

    def _run(self, start: int, stop: int) -> list[str]:
        """Words ``start``..``stop - 1`` (``start < stop``) in one decode."""
        text = self.blob[int(self.starts[start]) : int(self.starts[stop]) - 1].decode("utf-8", "surrogatepass")
        return text.split(self._text_separator)

    def __iter__(self) -> Iterator[str]:
        n = len(self)
        for start in range(0, n, _DECODE_RUN):
            yield from self._run(start, min(start + _DECODE_RUN, n))

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        return any(word in run for run in self.runs())

    def runs(self) -> Iterator[list[str]]:
        """The words as lists of up to 8192, in order (the fastest way through all of them)."""
        n = len(self)
        for start in range(0, n, _DECODE_RUN):
            yield self._run(start, min(start + _DECODE_RUN, n))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, WordList):
            if len(other) != len(self):
                return False
            if other.separator == self.separator:  # no word contains it, so equal blobs are equal words
                return other.blob == self.blob
            return all(a == b for a, b in zip(self, other))
        if isinstance(other, (list, tuple)):
            return len(other) == len(self) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to lists, which are unhashable

    def __repr__(self) -> str:
        shown = ", ".join(repr(w) for w in self[:5])
        return f"WordList([{shown}{', ...' if len(self) > 5 else ''}], {len(self):,} words)"

    def __reduce__(self) -> tuple[Any, ...]:
        return (WordList, (self.blob, self.starts, self.separator))

    def tolist(self) -> list[str]:
        return [word for run in self.runs() for word in run]

    def piece(self, start: int, stop: int) -> bytes:
        """The UTF-8 bytes of words ``start``..``stop - 1`` joined by the separator (what ``words.txt`` holds
        for them)."""
        if stop <= start:
            return b""
        return self.blob[int(self.starts[start]) : int(self.starts[stop]) - 1]

    @property
    def nbytes(self) -> int:
        return len(self.blob) + int(self.starts.nbytes)


class WordListBuilder:
    """Collects words chunk by chunk (as UTF-8 pieces and their offsets) and makes the :class:`WordList`."""

    def __init__(self, separator: bytes = b"\n") -> None:
        self.separator = separator
        self._text_separator = separator.decode("ascii")
        self._blob = bytearray()
        self._starts: list[np.ndarray] = []
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def extend(self, words: Sequence[str]) -> None:
        """Append ``words`` (none may contain the separator)."""
        if not words:
            return
        joined = self._text_separator.join(words)
        piece = joined.encode("utf-8", "surrogatepass")
        self.extend_encoded(piece, len(words))

    def extend_encoded(self, piece: bytes, count: int) -> None:
        """Append ``count`` words given as UTF-8 joined by the separator (the caller checked the encoding)."""
        if count == 0:
            return
        data = np.frombuffer(piece, dtype=np.uint8)
        bounds = np.flatnonzero(data == self.separator[0])
        if len(bounds) != count - 1:
            raise ValueError("a word contains the separator")
        offset = len(self._blob) + (1 if self._count else 0)
        starts = np.empty(count, dtype=np.int64)
        starts[0] = offset
        starts[1:] = bounds + (offset + 1)
        if self._count:
            self._blob += self.separator
        self._blob += piece
        self._starts.append(starts)
        self._count += count

    def finish(self) -> WordList:
        blob = bytes(self._blob)
        self._blob = bytearray()
        starts = np.empty(self._count + 1, dtype=np.int64)
        at = 0
        for part in self._starts:
            starts[at : at + len(part)] = part
            at += len(part)
        starts[-1] = len(blob) + 1
        self._starts = []
        self._count = 0
        return WordList(blob, starts, self.separator)
