"""Fast reader for text vector files: GloVe (no header), word2vec text and fastText ``.vec`` (header).

Why not gensim's ``load_word2vec_format``: it parses one line at a time in Python (≈38 s for GloVe
400k × 100). Here the file is read in large byte chunks, words are cut off each line with ``bytes``
methods, and all numbers of a chunk are parsed by one C call (``np.fromstring``).

Agreement with gensim (the reference, checked by tests):
- Same words in the same order; for a duplicated word the first vector wins and later lines are
  skipped, as gensim does ("ignoring all but first").
- Bit-identical floats. gensim converts each field with ``np.float32(text)``, which parses to a
  float64 and then rounds to float32 (double rounding). ``np.fromstring(..., dtype=float32)`` takes
  the same path; tests check both against each other on crafted midpoint cases.
- ``limit`` counts vector lines, as gensim's does, so duplicates inside the limit still shrink the result.

Where we are more forgiving than gensim (it raises on these):
- a word that contains spaces (GloVe 840B has some): the word is everything before the last
  ``dim`` columns, detected by the column count, and a warning names the lines;
- a word that is not valid UTF-8: decoded as Latin-1, with a warning naming the lines;
- a header whose count disagrees with the lines: warning, the lines are trusted;
- blank lines, Windows line ends, tabs or repeated spaces between numbers;
- a UTF-8 byte-order mark at the start of the file is dropped.
"""

from __future__ import annotations

import io
import os
import warnings
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Iterator

import numpy as np

from embedstudio.core.errors import VectorFileError
from embedstudio.core.jobs import CancelToken, Reporter, ThrottledProgress, ensure_cancel, ensure_reporter

CHUNK_BYTES = 1 << 22  # 4 MiB: large enough to amortise Python overhead, small next to the matrix.
MAX_LISTED = 5  # line numbers listed in a warning before "and N more"
_TRAILING_WHITESPACE = (b"\r", b"\t", b"\x0b", b"\x0c", b" \n")


@dataclass
class TextVectors:
    """Result of :func:`read_text_vectors`. ``matrix`` is float32 (n, d), C-contiguous."""

    words: list[str]
    matrix: np.ndarray
    header_count: int | None = None
    duplicates: int = 0
    duplicate_examples: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[1])


def read_text_vectors(source: str | os.PathLike | BinaryIO, *, limit: int | None = None,
                      has_header: bool | None = None, reporter: Reporter | None = None,
                      cancel: CancelToken | None = None) -> TextVectors:
    """Read a GloVe / word2vec text / fastText ``.vec`` file.

    ``source`` is a path or a binary file object (for example an already-decompressing
    ``gzip.open(path, "rb")``). ``has_header=None`` detects a ``<count> <dim>`` first line.
    ``limit`` keeps only the first ``limit`` vector lines. Progress is reported in bytes of
    ``source`` (total unknown for streams that are not plain files). Raises
    :class:`VectorFileError` naming the file and line for malformed input, ``Cancelled`` on cancel.
    """
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be a positive number of lines or None, not {limit!r}")
    reporter = ensure_reporter(reporter)
    cancel = ensure_cancel(cancel)
    with _open_source(source) as (stream, name, total):
        progress = ThrottledProgress(reporter, total, f"Reading {Path(name).name}", cancel=cancel)
        result = _TextVectorParser(stream, name, total, limit, has_header, progress).run()
    for message in result.warnings:
        reporter.warning(message)
    return result


@contextmanager
def _open_source(source) -> Iterator[tuple[BinaryIO, str, int | None]]:
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            fh = open(path, "rb")
        except OSError as err:
            raise VectorFileError(f"{path}: cannot open the vector file ({err.strerror}).",
                                  hint="Check that the file exists and that you may read it.") from err
        with fh:
            yield fh, str(path), os.fstat(fh.fileno()).st_size
        return
    name = str(getattr(source, "name", "<vector stream>"))
    yield source, name, _plain_file_remaining(source)


def _plain_file_remaining(stream) -> int | None:
    """Bytes left in a plain file object; None for streams such as gzip whose size is unknown."""
    if not isinstance(stream, (io.BufferedReader, io.FileIO)):
        return None
    try:
        return os.fstat(stream.fileno()).st_size - stream.tell()
    except (OSError, ValueError):
        return None


class _TextVectorParser:
    """One pass over the stream; state lives here so the chunk loop stays small."""

    def __init__(self, stream: BinaryIO, name: str, total: int | None, limit: int | None,
                 has_header: bool | None, progress: ThrottledProgress) -> None:
        self.stream = stream
        self.name = name
        self.total = total
        self.limit = limit
        self.has_header = has_header
        self.progress = progress
        self.bytes_read = 0
        self.header_count: int | None = None
        self.dim = 0
        self.rows = 0  # vector lines stored so far
        self.next_line_no = 1  # 1-based number of the first line of the next chunk
        self.words: list[str] = []
        self.matrix = np.empty((0, 0), dtype=np.float32)
        self.latin1_lines: list[int] = []
        self.spaced_lines: list[int] = []
        self.spaced_examples: list[str] = []

    # -- top level ---------------------------------------------------------------------------
    def run(self) -> TextVectors:
        chunks = self._line_chunks()
        first = self._next_nonblank(chunks, b"")
        if first is None:
            raise VectorFileError(f"{self.name}: the file is empty.",
                                  hint="Choose a GloVe, word2vec or fastText vector file.")
        rest = self._read_header(first)
        if not rest.strip():
            rest = self._next_nonblank(chunks, rest)
        if rest is None:
            raise VectorFileError(
                f"{self.name}: the header says {self.header_count} words of {self.dim} numbers, "
                f"but no vector lines follow.", hint="The file may be truncated; download it again.")
        self._choose_dim_and_allocate(rest)
        done = self._add_chunk(rest)
        for chunk in chunks:
            if done:
                break
            done = self._add_chunk(chunk)
        return self._finish()

    def _line_chunks(self) -> Iterator[bytes]:
        """Blocks of whole lines (each ends with a newline, except possibly the last)."""
        tail = b""
        at_start = True
        while True:
            block = self.stream.read(CHUNK_BYTES)
            if not block:
                if tail:
                    yield tail
                return
            self.bytes_read += len(block)
            if at_start and block.startswith(b"\xef\xbb\xbf"):
                block = block[3:]  # UTF-8 byte-order mark
            at_start = False
            data = tail + block if tail else block
            cut = data.rfind(b"\n")
            if cut < 0:
                tail = data
                continue
            tail = data[cut + 1:]
            yield data[:cut + 1]
            self.progress(self.bytes_read)

    def _next_nonblank(self, chunks: Iterator[bytes], blank: bytes) -> bytes | None:
        """Skip chunks that hold only blank lines (counting them); None at the end of the file."""
        self.next_line_no += blank.count(b"\n")
        for chunk in chunks:
            if chunk.strip():
                return chunk
            self.next_line_no += chunk.count(b"\n")
        return None

    # -- header and dimension ----------------------------------------------------------------
    def _read_header(self, chunk: bytes) -> bytes:
        """Consume a ``<count> <dim>`` first line if there is one; return the rest of the chunk."""
        offset = len(chunk) - len(chunk.lstrip(b"\r\n\t "))
        self.next_line_no += chunk.count(b"\n", 0, offset)
        chunk = chunk[offset:]
        end = chunk.find(b"\n")
        line = chunk if end < 0 else chunk[:end]
        fields = line.split()
        looks_like_header = len(fields) == 2 and all(f.isdigit() for f in fields)
        if self.has_header is None:
            self.has_header = looks_like_header
        if not self.has_header:
            return chunk
        if not looks_like_header:
            raise VectorFileError(
                f"{self.name}, line {self.next_line_no}: expected a header '<word count> <dimension>', "
                f"found {_shorten(line)!r}.",
                hint="Choose 'no header' for GloVe files, which start directly with a word and its numbers.")
        self.header_count, self.dim = int(fields[0]), int(fields[1])
        if self.dim < 1:
            raise VectorFileError(f"{self.name}, line {self.next_line_no}: the header gives dimension "
                                  f"{self.dim}; a vector needs at least one number.")
        self.next_line_no += 1
        return b"" if end < 0 else chunk[end + 1:]

    def _choose_dim_and_allocate(self, chunk: bytes) -> None:
        sample = [line for line in chunk.split(b"\n", 1000)[:1000] if line.strip()]
        counts = Counter(len(line.split()) - 1 for line in sample)
        usual = counts.most_common(1)[0][0]
        if self.has_header:
            if usual != self.dim and self.dim not in counts:
                raise VectorFileError(
                    f"{self.name}, line {self.next_line_no}: the header says {self.dim} numbers per word, "
                    f"but the lines hold {usual}.",
                    hint="The header does not match the file; fix its first line or choose 'no header'.")
        else:
            # The most common column count, not the first line's, so that a first word with a
            # space inside cannot set the dimension.
            self.dim = usual
            if self.dim < 1:
                raise VectorFileError(
                    f"{self.name}, line {self.next_line_no}: expected a word followed by numbers, "
                    f"found {_shorten(sample[0])!r}.",
                    hint="Choose a GloVe, word2vec or fastText text vector file.")
        self.matrix = np.empty((self._initial_capacity(chunk), self.dim), dtype=np.float32)

    def _initial_capacity(self, chunk: bytes) -> int:
        if self.header_count is not None:
            rows = self.header_count
        elif self.total:
            lines_in_chunk = max(chunk.count(b"\n"), 1)
            # Pages of np.empty that are never written are never resident, so erring high is free.
            rows = int(self.total / (len(chunk) / lines_in_chunk) * 1.15) + 16
        else:
            rows = 1 << 16
        if self.total:
            rows = min(rows, self.total // (2 * self.dim) + 1)  # a number takes at least 2 bytes
        if self.limit is not None:
            rows = min(rows, self.limit)
        return max(rows, 1)

    # -- chunks ------------------------------------------------------------------------------
    def _add_chunk(self, chunk: bytes) -> bool:
        """Parse one block of lines into the matrix. Returns True once ``limit`` is reached."""
        first_line_no = self.next_line_no
        self.next_line_no += chunk.count(b"\n")
        lines = chunk.split(b"\n")
        if lines and not lines[-1]:
            lines.pop()
        if any(ws in chunk for ws in _TRAILING_WHITESPACE):
            lines = [line.rstrip() for line in lines]
        words, numbers, line_numbers = self._split_lines(lines, first_line_no)
        if self.limit is not None and self.rows + len(words) >= self.limit:
            keep = self.limit - self.rows
            words, numbers, line_numbers = words[:keep], numbers[:keep], line_numbers[:keep]
            reached = True
        else:
            reached = False
        if words:
            values = self._parse_numbers(numbers, line_numbers)
            self._store(self._decode_words(words, line_numbers), values)
        return reached

    def _split_lines(self, lines: list[bytes], first_line_no: int
                     ) -> tuple[list[bytes], list[bytes], list[int] | range]:
        dim = self.dim
        words: list[bytes] = []
        numbers: list[bytes] = []
        odd: list[int] = []  # indices of blank or irregular lines
        for i, line in enumerate(lines):
            if line.count(b" ") == dim:
                cut = line.find(b" ")
                words.append(line[:cut])
                numbers.append(line[cut + 1:])
            else:
                odd.append(i)
                word, nums = self._split_irregular(line, first_line_no + i)
                if word is not None:
                    words.append(word)
                    numbers.append(nums)
        if not odd:
            return words, numbers, range(first_line_no, first_line_no + len(lines))
        blank = {i for i in odd if not lines[i].strip()}
        line_numbers = [first_line_no + i for i in range(len(lines)) if i not in blank]
        return words, numbers, line_numbers

    def _split_irregular(self, line: bytes, line_no: int) -> tuple[bytes | None, bytes]:
        """A line whose space count is not ``dim``: blank, repeated spaces/tabs, or a spaced word."""
        if not line.strip():
            return None, b""
        pieces = line.rsplit(None, self.dim)
        if len(pieces) < self.dim + 1:
            found = len(pieces) - 1
            raise VectorFileError(
                f"{self.name}, line {line_no}: expected {self.dim} numbers after the word, found {found}.",
                hint=f"Every line must be a word followed by {self.dim} numbers separated by spaces "
                     f"(the dimension comes from {'the header' if self.header_count is not None else 'the first lines'}). "
                     "The file may be truncated or not a vector file.")
        word = pieces[0]
        if word != line.split(None, 1)[0]:
            self.spaced_lines.append(line_no)
            if len(self.spaced_examples) < MAX_LISTED:
                self.spaced_examples.append(word.decode("utf-8", "replace"))
        return word, b" ".join(pieces[1:])

    def _parse_numbers(self, numbers: list[bytes], line_numbers) -> np.ndarray:
        expected = len(numbers) * self.dim
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # older numpy only warns on unparsable text
                values = np.fromstring(b" ".join(numbers), dtype=np.float32, sep=" ")
        except (ValueError, DeprecationWarning):
            values = None
        if values is None or values.size != expected:
            self._raise_for_bad_numbers(numbers, line_numbers)
        return values.reshape(len(numbers), self.dim)

    def _raise_for_bad_numbers(self, numbers: list[bytes], line_numbers) -> None:
        for nums, line_no in zip(numbers, line_numbers):
            fields = nums.split()
            for column, token in enumerate(fields, start=2):
                if not _is_number(token):
                    raise VectorFileError(
                        f"{self.name}, line {line_no}, column {column}: "
                        f"{_shorten(token).decode('utf-8', 'replace')!r} is not a number.",
                        hint="Columns count from 1 (the word); every column after the word must be a "
                             "decimal number such as 0.12345 or -1.5e-3.")
            if len(fields) != self.dim:
                raise VectorFileError(
                    f"{self.name}, line {line_no}: expected {self.dim} numbers after the word, "
                    f"found {len(fields)}.")
        raise VectorFileError(f"{self.name}: could not parse the numbers near line {line_numbers[0]}.")

    def _decode_words(self, words: list[bytes], line_numbers) -> list[str]:
        try:
            # One decode for the whole chunk; words cannot contain a newline.
            return b"\n".join(words).decode("utf-8").split("\n")
        except UnicodeDecodeError:
            pass
        decoded = []
        for word, line_no in zip(words, line_numbers):
            try:
                decoded.append(word.decode("utf-8"))
            except UnicodeDecodeError:
                decoded.append(word.decode("latin-1"))
                self.latin1_lines.append(line_no)
        return decoded

    def _store(self, words: list[str], values: np.ndarray) -> None:
        end = self.rows + len(words)
        if end > self.matrix.shape[0]:
            capacity = max(end, int(self.matrix.shape[0] * 1.25) + 1024)
            if self.limit is not None:
                capacity = max(min(capacity, self.limit), end)
            # In-place realloc: for large blocks glibc moves pages (mremap) instead of copying.
            self.matrix.resize((capacity, self.dim), refcheck=False)
        self.matrix[self.rows:end] = values
        self.words.extend(words)
        self.rows = end

    # -- end ---------------------------------------------------------------------------------
    def _finish(self) -> TextVectors:
        warn: list[str] = []
        if self.header_count is not None and self.header_count != self.rows and not (
                self.limit is not None and self.rows == self.limit):
            warn.append(f"{self.name}: the header says {self.header_count} words, but the file holds "
                        f"{self.rows} vector lines; all {self.rows} lines were read.")
        if self.latin1_lines:
            warn.append(f"{self.name}: {len(self.latin1_lines)} words are not valid UTF-8 and were read "
                        f"as Latin-1 ({_lines_phrase(self.latin1_lines)}).")
        if self.spaced_lines:
            examples = ", ".join(repr(w) for w in self.spaced_examples)
            warn.append(f"{self.name}: {len(self.spaced_lines)} words contain spaces "
                        f"({_lines_phrase(self.spaced_lines)}), for example {examples}; each was read as "
                        f"everything before the last {self.dim} numbers.")
        duplicates, examples = self._drop_duplicates()
        if duplicates:
            warn.append(f"{self.name}: {duplicates} duplicate words; the first vector of each was kept "
                        f"(for example {', '.join(repr(w) for w in examples)}).")
        self.matrix.resize((len(self.words), self.dim), refcheck=False)
        self.progress(self.bytes_read)
        return TextVectors(words=self.words, matrix=self.matrix, header_count=self.header_count,
                           duplicates=duplicates, duplicate_examples=examples, warnings=warn)

    def _drop_duplicates(self) -> tuple[int, list[str]]:
        first_rows = dict.fromkeys(self.words)
        duplicates = len(self.words) - len(first_rows)
        if not duplicates:
            return 0, []
        seen: dict[str, int] = {}
        keep = []
        examples: list[str] = []
        for row, word in enumerate(self.words):
            if word in seen:
                if len(examples) < MAX_LISTED and word not in examples:
                    examples.append(word)
            else:
                seen[word] = row
                keep.append(row)
        _compact_rows(self.matrix, np.asarray(keep, dtype=np.int64))
        self.words = list(first_rows)
        self.rows = len(self.words)
        return duplicates, examples


def _compact_rows(matrix: np.ndarray, keep: np.ndarray, block: int = 8192) -> None:
    """Move rows ``keep`` (increasing) to the top of ``matrix`` in place, block by block.

    Safe because ``keep[j] >= j``: a block's targets lie below every later block's sources.
    """
    for start in range(0, len(keep), block):
        matrix[start:start + block] = matrix[keep[start:start + block]]


def _is_number(token: bytes) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return np.fromstring(token, dtype=np.float32, sep=" ").size == 1
    except (ValueError, DeprecationWarning):
        return False


def _lines_phrase(line_numbers: list[int]) -> str:
    listed = ", ".join(str(n) for n in line_numbers[:MAX_LISTED])
    more = len(line_numbers) - MAX_LISTED
    word = "line" if len(line_numbers) == 1 else "lines"
    return f"{word} {listed}" + (f" and {more} more" if more > 0 else "")


def _shorten(text: bytes, limit: int = 60) -> bytes:
    return text if len(text) <= limit else text[:limit] + b"..."
