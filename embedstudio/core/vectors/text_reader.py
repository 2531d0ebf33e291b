"""Fast reader for text vector files: GloVe (no header), word2vec text and fastText ``.vec`` (header).

Why not gensim's ``load_word2vec_format``: it parses one line at a time in Python (24-40 s for
GloVe 400k × 100 on the project machine). Here the file is read in 256 KiB chunks; two vectorised
scans (newlines, spaces) find every word and number of a regular chunk at once, and the numbers are
parsed with integer arithmetic on whole arrays (see ``_parse_decimal_tokens``), so a chunk costs a
few dozen numpy calls however many lines it holds (≈1.3-2 s for that file). Irregular chunks (blank
lines, tabs, words with spaces, errors) go through a per-line path that also finds the exact line
and column to report.

Agreement with gensim (the reference, checked by tests and benchmarks/check_rounding.py):
- Same words in the same order; for a duplicated word the first vector wins and later lines are
  skipped, as gensim does ("ignoring all but first"). (gensim 4.4 then also leaves a ``None`` key
  and a zero row per duplicate, a bug we do not copy.)
- Bit-identical floats. gensim converts each field with ``np.float32(text)``, which parses to the
  nearest float64 and then rounds that to float32 (double rounding, which differs from rounding the
  decimal straight to float32 in rare cases). Both of our paths take the same two steps.
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
import itertools
import os
import sys
import warnings
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import BinaryIO

import numpy as np

from embedstudio.core.errors import VectorFileError
from embedstudio.core.jobs import CancelToken, Reporter, ThrottledProgress, ensure_cancel, ensure_reporter
from embedstudio.core.vectors.wordlist import WordList, WordListBuilder

CHUNK_BYTES = 1 << 18  # 256 KiB: amortises Python overhead; the chunks in flight keep small temporaries.
MAX_LISTED = 5  # line numbers listed in a warning before "and N more"
MAX_DIM = 100_000  # numbers per word (the same bound as formats.MAX_DIM)
MAX_WORD_BYTES = 1000  # a longer "word" is damage (gensim's real files stay far below); its line is skipped


@dataclass
class TextVectors:
    """Result of :func:`read_text_vectors`. ``matrix`` is float32 (n, d), C-contiguous."""

    words: Sequence[str]  # a WordList (wordlist.py): 6 MiB for 400k words, where a list[str] takes 28 MiB
    matrix: np.ndarray
    header_count: int | None = None
    duplicates: int = 0
    duplicate_examples: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[1])


def read_text_vectors(
    source: str | os.PathLike | BinaryIO | io.RawIOBase,
    *,
    limit: int | None = None,
    has_header: bool | None = None,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
) -> TextVectors:
    """Read a GloVe / word2vec text / fastText ``.vec`` file.

    ``source`` is a path or a binary file object (for example an already-decompressing
    ``gzip.open(path, "rb")``). ``has_header=None`` detects a ``<count> <dim>`` first line.
    ``limit`` keeps only the first ``limit`` vector lines. Progress is reported in bytes of
    ``source`` (total unknown for streams that are not plain files). Raises
    :class:`VectorFileError` naming the file and line for malformed input, ``Cancelled`` on cancel.
    """
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be a positive number of lines or None, not {limit!r}")
    _let_malloc_reuse_chunk_buffers()
    reporter = ensure_reporter(reporter)
    cancel = ensure_cancel(cancel)
    with _open_source(source) as (stream, name, total):
        progress = ThrottledProgress(reporter, total, f"Reading {Path(name).name}", cancel=cancel, unit="B")
        result = _TextVectorParser(stream, name, total, limit, has_header, progress).run()
    for message in result.warnings:
        reporter.warning(message)
    return result


_WARM_UP_BYTES = 16 << 20
MAX_PARSE_THREADS = 4  # beyond this, storing in file order (one thread) is the limit


def parse_threads() -> int:
    """Threads for parsing numbers: the cores this process may use, up to MAX_PARSE_THREADS
    (``$EMBEDSTUDIO_PARSE_THREADS`` overrides; 1 parses on the calling thread alone)."""
    override = os.environ.get("EMBEDSTUDIO_PARSE_THREADS", "")
    if override.isdigit() and int(override) >= 1:
        return int(override)
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_PARSE_THREADS))


@cache
def _let_malloc_reuse_chunk_buffers() -> None:
    """Allocate and free one 16 MiB block, once per process.

    Each chunk makes a few dozen ~1 MiB numpy temporaries. In a fresh process glibc serves them
    with mmap (threshold 128 KiB) or trims them off the heap top at once, so every chunk faults
    its pages in again: 850k page faults and 1.8 s of system time for a 350 MB GloVe file, more
    than the parsing itself. Freeing one mmapped block of 16 MiB makes glibc raise its own
    thresholds (the documented dynamic mmap threshold), after which the temporaries are reused
    from the heap. Other allocators ignore this harmlessly.
    """
    np.empty(_WARM_UP_BYTES, dtype=np.uint8)


@cache
def _malloc_trim():
    import ctypes
    import ctypes.util

    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None  # not glibc: nothing to do


def _return_freed_memory() -> None:
    """Hand the heap memory freed by the parse back to the system (glibc's ``malloc_trim``).

    Each thread that allocates gets a malloc arena of its own, which keeps the memory its chunks' temporaries
    used after they are freed; the cache writer, on yet another thread, would then add its own on top."""
    trim = _malloc_trim() if sys.platform.startswith("linux") else None
    if trim is not None:
        trim(0)


@contextmanager
def _open_source(source) -> Iterator[tuple[BinaryIO | io.RawIOBase, str, int | None]]:
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            fh = open(path, "rb")  # noqa: SIM115 - the reader owns the handle and closes it in close()
        except OSError as err:
            raise VectorFileError(
                f"{path}: cannot open the vector file ({err.strerror}).",
                hint="Check that the file exists and that you may read it.",
            ) from err
        with fh:
            yield fh, str(path), os.fstat(fh.fileno()).st_size
        return
    if isinstance(source, io.TextIOBase):
        raise TypeError("read_text_vectors needs a binary stream: open the file with mode 'rb'")
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

    def __init__(
        self,
        stream: BinaryIO | io.RawIOBase,
        name: str,
        total: int | None,
        limit: int | None,
        has_header: bool | None,
        progress: ThrottledProgress,
    ) -> None:
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
        self.word_list = WordListBuilder()  # the words so far, as UTF-8; _finish makes the WordList
        self.words = WordList.from_words([])
        self.matrix = np.empty((0, 0), dtype=np.float32)
        self.latin1_lines: list[int] = []
        self.spaced_lines: list[int] = []
        self.spaced_examples: list[str] = []
        self.nul_lines: list[int] = []
        self.long_lines: list[int] = []
        self.long_example: tuple[bytes, int] | None = None

    # -- top level ---------------------------------------------------------------------------
    def run(self) -> TextVectors:
        chunks = self._line_chunks()
        first = self._next_nonblank(chunks, b"")
        if first is None:
            raise VectorFileError(
                f"{self.name}: the file is empty.", hint="Choose a GloVe, word2vec or fastText vector file."
            )
        rest: bytes | None = self._read_header(first)
        if rest is not None and not rest.strip():
            rest = self._next_nonblank(chunks, rest)
        if rest is None:
            raise VectorFileError(
                f"{self.name}: the header says {self.header_count} words of {self.dim} numbers, "
                f"but no vector lines follow.",
                hint="The file may be truncated; download it again.",
            )
        self._choose_dim_and_allocate(rest)
        workers = parse_threads()
        if self.limit is None and workers > 1 and (self.total is None or self.total > 8 * CHUNK_BYTES):
            self._run_parallel(rest, chunks, workers)
        else:
            done = self._add_chunk(rest)
            for chunk in chunks:
                if done:
                    break
                done = self._add_chunk(chunk)
        # Freed chunk temporaries stay in the heap (and in each parse thread's malloc arena) otherwise, where
        # the cache writer's thread, with an arena of its own, cannot reuse them.
        _return_freed_memory()
        return self._finish()

    def _run_parallel(self, first: bytes, chunks: Iterator[bytes], workers: int) -> None:
        """The chunks' numbers parsed on ``workers`` threads (numpy releases the GIL in its loops), stored in
        file order by this thread. At most ``workers`` chunks are in flight, so their temporaries stay small
        next to the matrix. Only without a limit: a limit's room is known one chunk at a time."""
        from concurrent.futures import Future, ThreadPoolExecutor

        pending: deque[tuple[bytes, Future]] = deque()
        with ThreadPoolExecutor(workers, thread_name_prefix="vector-parse") as pool:
            try:
                for chunk in itertools.chain((first,), chunks):
                    pending.append((chunk, pool.submit(self._parse_job, chunk)))
                    while len(pending) > workers:
                        self._store_parsed(*pending.popleft())
                while pending:
                    self._store_parsed(*pending.popleft())
            finally:
                for _chunk, future in pending:  # cancelled or failed: do not parse what is left
                    future.cancel()

    def _parse_job(self, chunk: bytes):
        """On a worker thread: the regular parse with line numbers counted from 0 (or None), and the
        chunk's newline count."""
        parsed = self._parse_regular(chunk, 0, None)
        if parsed is None:
            return None, chunk.count(b"\n")
        return parsed, len(parsed[2]) - (0 if chunk.endswith(b"\n") else 1)

    def _store_parsed(self, chunk: bytes, future) -> None:
        parsed, newlines = future.result()
        first_line_no = self.next_line_no
        self.next_line_no += newlines
        if parsed is None:
            parsed = self._parse_irregular(chunk, first_line_no, None)
        else:
            words, values, numbers = parsed
            parsed = words, values, range(first_line_no + numbers.start, first_line_no + numbers.stop)
        self._keep(chunk, *parsed)

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
            tail = data[cut + 1 :]
            yield data[: cut + 1]
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
                f"found {_shown(line)!r}.",
                hint="Choose 'no header' for GloVe files, which start directly with a word and its numbers.",
            )
        self.header_count, self.dim = int(fields[0]), int(fields[1])
        if self.dim < 1:
            raise VectorFileError(
                f"{self.name}, line {self.next_line_no}: the header gives dimension "
                f"{self.dim}; a vector needs at least one number."
            )
        if self.dim > MAX_DIM:
            raise VectorFileError(
                f"{self.name}, line {self.next_line_no}: the header gives {self.dim:,} numbers "
                f"per word, more than the {MAX_DIM:,} any real vector file has; the header is "
                "damaged."
            )
        self.next_line_no += 1
        return b"" if end < 0 else chunk[end + 1 :]

    def _choose_dim_and_allocate(self, chunk: bytes) -> None:
        sample = [line for line in chunk.split(b"\n", 1000)[:1000] if line.strip()]
        counts = Counter(len(line.split()) - 1 for line in sample)
        usual = counts.most_common(1)[0][0]
        if self.has_header:
            if usual != self.dim and self.dim not in counts:
                raise VectorFileError(
                    f"{self.name}, line {self.next_line_no}: the header says {self.dim} numbers per word, "
                    f"but the lines hold {usual} numbers after the word.",
                    hint="The header does not match the file; fix its first line or choose 'no header'.",
                )
        else:
            # The most common column count, not the first line's, so that a first word with a
            # space inside cannot set the dimension.
            self.dim = usual
            if self.dim < 1:
                raise VectorFileError(
                    f"{self.name}, line {self.next_line_no}: expected a word followed by numbers, "
                    f"found {_shown(sample[0])!r}.",
                    hint="Choose a GloVe, word2vec or fastText text vector file.",
                )
        self.matrix = np.empty((self._initial_capacity(chunk), self.dim), dtype=np.float32)

    def _initial_capacity(self, chunk: bytes) -> int:
        if self.header_count is not None:
            # Trust a header only as far as the file could hold it; a stream of unknown size starts
            # smaller and grows, so a corrupt header cannot ask for terabytes.
            rows = self.header_count if self.total else min(self.header_count, 1 << 20)
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
        room = None if self.limit is None else self.limit - self.rows
        parsed = self._parse_regular(chunk, first_line_no, room)
        if parsed is None:
            parsed = self._parse_irregular(chunk, first_line_no, room)
        stored = self._keep(chunk, *parsed)
        return room is not None and stored >= room

    def _keep(self, chunk: bytes, words: list[bytes], values: np.ndarray, line_numbers) -> int:
        """Store one parsed chunk's lines (skipping over-long words); returns how many it stored."""
        if words and max(map(len, words)) > MAX_WORD_BYTES:
            words, values, line_numbers = self._drop_long_words(words, values, line_numbers)
        if words and b"\x00" in chunk:
            self.nul_lines += [n for w, n in zip(words, line_numbers) if b"\x00" in w]
        if words:
            joined = b"\n".join(words)  # words cannot contain a newline
            try:
                joined.decode("utf-8")  # checked only: the words are kept as this UTF-8, not as str objects
            except UnicodeDecodeError:
                self._store(self._decode_words(words, line_numbers), values)
            else:
                self._store_values(values)
                self.word_list.extend_encoded(joined, len(words))
        return len(words)

    def _drop_long_words(self, words: list[bytes], values: np.ndarray, line_numbers):
        """Skip lines whose word is longer than MAX_WORD_BYTES (remembered for one warning)."""
        numbers = list(line_numbers)
        keep = [i for i, w in enumerate(words) if len(w) <= MAX_WORD_BYTES]
        for i in sorted(set(range(len(words))) - set(keep)):
            self.long_lines.append(numbers[i])
            if self.long_example is None:
                self.long_example = (words[i][:40], len(words[i]))
        return [words[i] for i in keep], values[keep], [numbers[i] for i in keep]

    def _parse_regular(self, chunk: bytes, first_line_no: int, room: int | None):
        """Fast path for a chunk where every line is ``word`` + ``dim`` single-space-separated numbers.

        Found with two vectorised scans (newlines, spaces) instead of a Python call per line: if
        the chunk holds exactly ``dim`` (or ``dim`` + 1 trailing) spaces per line, and each line's
        first and last space fall inside that line, every line has that many spaces. Returns None
        when the chunk does not fit, and the careful per-line path takes over.
        """
        bytes_ = np.frombuffer(chunk, dtype=np.uint8)
        ends = np.flatnonzero(bytes_ == 10)
        if not chunk.endswith(b"\n"):
            ends = np.append(ends, len(chunk))
        lines = len(ends)
        newline = 1
        if lines and ends[0] > 0 and bytes_[ends[0] - 1] == 13:  # Windows line ends: all lines, or slow path
            if not (bytes_[ends - 1] == 13).all():
                return None
            ends = ends - 1
            newline = 2
        spaces = np.flatnonzero(bytes_ == 32)
        per_line, remainder = divmod(len(spaces), max(lines, 1))
        if lines == 0 or remainder or per_line not in (self.dim, self.dim + 1):
            return None
        grid = spaces.reshape(lines, per_line)
        starts = np.empty_like(ends)
        starts[0] = 0
        starts[1:] = ends[:-1] + newline
        word_ends = grid[:, 0]
        if not (word_ends > starts).all():
            return None
        if per_line == self.dim + 1:  # word2vec's C tool and fastText end each line with a space
            if not (grid[:, -1] == ends - 1).all():
                return None
            number_ends = ends - 1
        else:
            last = bytes_[ends - 1]
            if not (grid[:, -1] < ends - 1).all() or ((last < 14) & (last > 8)).any():
                return None  # an empty last field, or a line ending in \r or a tab
            number_ends = ends
        if room is not None and room < lines:
            lines = room
        words = [chunk[s:e] for s, e in zip(starts[:lines].tolist(), word_ends[:lines].tolist())]
        token_starts = grid[:lines, : self.dim] + 1
        token_ends = np.empty_like(token_starts)
        token_ends[:, :-1] = grid[:lines, 1 : self.dim]
        token_ends[:, -1] = number_ends[:lines]
        values = _parse_decimal_tokens(chunk, token_starts.ravel(), token_ends.ravel())
        if values is None:
            return None  # the per-line path finds the line and column to report
        return words, values.reshape(lines, self.dim), range(first_line_no, first_line_no + lines)

    def _parse_irregular(self, chunk: bytes, first_line_no: int, room: int | None):
        """Per-line path: blank lines, \r or trailing whitespace, tabs, repeated spaces, spaced words."""
        lines = chunk.split(b"\n")
        if lines and not lines[-1]:
            lines.pop()
        # Only ASCII spaces are trimmed on the left: gensim keeps any other leading byte in the word.
        lines = [line.rstrip().lstrip(b" ") for line in lines]
        words, numbers, line_numbers = self._split_lines(lines, first_line_no)
        if room is not None and room < len(words):
            words, numbers, line_numbers = words[:room], numbers[:room], line_numbers[:room]
        values = self._parse_numbers(b" ".join(numbers), len(numbers))
        if values is None:
            self._raise_for_bad_numbers(numbers, line_numbers)
        return words, values, line_numbers

    def _split_lines(
        self, lines: list[bytes], first_line_no: int
    ) -> tuple[list[bytes], list[bytes], list[int] | range]:
        dim = self.dim
        words: list[bytes] = []
        numbers: list[bytes] = []
        odd: list[int] = []  # indices of blank or irregular lines
        for i, line in enumerate(lines):
            if line.count(b" ") == dim and b"\t" not in line:
                cut = line.find(b" ")
                words.append(line[:cut])
                numbers.append(line[cut + 1 :])
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
            origin = "the header" if self.header_count is not None else "the first lines"
            raise VectorFileError(
                f"{self.name}, line {line_no}: expected {self.dim} numbers after the word, found {found}.",
                hint=f"Every line must be a word followed by {self.dim} numbers separated by spaces "
                f"(the dimension comes from {origin}). The file may be truncated or not a vector file.",
            )
        word = pieces[0]
        if b" " in word:  # gensim splits on spaces only, so a tab inside a word is ordinary
            self.spaced_lines.append(line_no)
            if len(self.spaced_examples) < MAX_LISTED:
                self.spaced_examples.append(word.decode("utf-8", "replace"))
        return word, b" ".join(pieces[1:])

    def _parse_numbers(self, numbers: bytes, rows: int) -> np.ndarray | None:
        """(rows, dim) float32 from space-separated text, or None if it is not exactly that many numbers."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # older numpy only warns on unparsable text
                values = np.fromstring(numbers, dtype=np.float32, sep=" ")
        except (ValueError, DeprecationWarning):
            return None
        if values.size != rows * self.dim:
            return None
        return values.reshape(rows, self.dim)

    def _raise_for_bad_numbers(self, numbers: list[bytes], line_numbers) -> None:
        for nums, line_no in zip(numbers, line_numbers):
            fields = nums.split()
            for column, token in enumerate(fields, start=2):
                if not _is_number(token):
                    raise VectorFileError(
                        f"{self.name}, line {line_no}, column {column}: {_shown(token)!r} is not a number.",
                        hint="Columns count from 1 (the word); every column after the word must be a "
                        "decimal number such as 0.12345 or -1.5e-3.",
                    )
            if len(fields) != self.dim:
                raise VectorFileError(
                    f"{self.name}, line {line_no}: expected {self.dim} numbers after the word, found {len(fields)}."
                )
        raise VectorFileError(f"{self.name}: could not parse the numbers near line {line_numbers[0]}.")

    def _decode_words(self, words: list[bytes], line_numbers) -> list[str]:
        """A chunk whose words are not all UTF-8: the others are read as Latin-1 (and their lines noted)."""
        decoded = []
        for word, line_no in zip(words, line_numbers):
            try:
                decoded.append(word.decode("utf-8"))
            except UnicodeDecodeError:
                decoded.append(word.decode("latin-1"))
                self.latin1_lines.append(line_no)
        return decoded

    def _store(self, words: list[str], values: np.ndarray) -> None:
        self._store_values(values)
        self.word_list.extend(words)

    def _store_values(self, values: np.ndarray) -> None:
        end = self.rows + len(values)
        if end > self.matrix.shape[0]:
            capacity = max(end, int(self.matrix.shape[0] * 1.25) + 1024)
            if self.limit is not None:
                capacity = max(min(capacity, self.limit), end)
            # In-place realloc: for large blocks glibc moves pages (mremap) instead of copying. Smaller ones (below
            # its mmap threshold, 16 MiB here) are copied, and the old copy's pages stay resident in the heap
            # until trimmed: 28 MiB of them by the end of a .gz of 400k × 50 (whose size is unknown in advance).
            self.matrix.resize((capacity, self.dim), refcheck=False)
            _return_freed_memory()
        self.matrix[self.rows : end] = values
        self.rows = end

    # -- end ---------------------------------------------------------------------------------
    def _finish(self) -> TextVectors:
        self.words = self.word_list.finish()
        warn: list[str] = []
        if (
            self.header_count is not None
            and self.header_count != self.rows
            and not (self.limit is not None and self.rows == self.limit)
        ):
            warn.append(
                f"{self.name}: the header says {self.header_count} words, but the file holds "
                f"{self.rows} vector lines; all {self.rows} lines were read."
            )
        if self.latin1_lines:
            warn.append(
                f"{self.name}: {len(self.latin1_lines)} words are not valid UTF-8 and were read "
                f"as Latin-1 ({_lines_phrase(self.latin1_lines)})."
            )
        if self.spaced_lines:
            spaced = ", ".join(repr(w) for w in self.spaced_examples)
            warn.append(
                f"{self.name}: {len(self.spaced_lines)} words contain spaces "
                f"({_lines_phrase(self.spaced_lines)}), for example {spaced}; each was read as "
                f"everything before the last {self.dim} numbers."
            )
        if self.long_lines and self.long_example is not None:
            start, size = self.long_example
            warn.append(
                f"{self.name}: {len(self.long_lines)} lines were skipped because their word is longer than "
                f"{MAX_WORD_BYTES:,} bytes ({_lines_phrase(self.long_lines)}; the first starts "
                f"{_shown(start, 40)!r} and is {size:,} bytes long): the file is probably damaged there."
            )
        if self.nul_lines:
            warn.append(
                f"{self.name}: {len(self.nul_lines)} words contain a NUL byte "
                f"({_lines_phrase(self.nul_lines)}); the file may be damaged there. They were read as they are."
            )
        duplicates, examples = self._drop_duplicates()
        if duplicates:
            warn.append(
                f"{self.name}: {duplicates} duplicate words; the first vector of each was kept "
                f"(for example {', '.join(repr(w) for w in examples)})."
            )
        self.matrix.resize((len(self.words), self.dim), refcheck=False)
        self.progress(self.bytes_read)
        return TextVectors(
            words=self.words,
            matrix=self.matrix,
            header_count=self.header_count,
            duplicates=duplicates,
            duplicate_examples=examples,
            warnings=warn,
        )

    def _drop_duplicates(self) -> tuple[int, list[str]]:
        if not _may_have_duplicates(self.words):
            return 0, []
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
        self.words = WordList.from_words(first_rows)
        self.rows = len(self.words)
        return duplicates, examples


# -- numbers -----------------------------------------------------------------------------------
# Vector files print numbers as "-0.12345": a sign, one integer digit, a point, a few decimals.
# Such a token is parsed with integer arithmetic on whole arrays instead of one strtod call per
# number (which costs ~60 ns and is 70% of gensim-free reading time): the up-to-8 decimals are
# loaded as one little-endian 64-bit word and turned into an integer with three multiply-shift
# steps (the "eight digits at once" trick of simdjson / fast_float). The value is then
# (digit * 10**8 + decimals) / 10**8 in float64: both operands are exact, so IEEE division gives
# the correctly rounded double, exactly what strtod returns; rounding that double to float32 is
# what gensim's np.float32(text) does. Any other token (exponent, nan, two integer digits, more
# than 8 decimals, stray characters) goes through np.fromstring, so the result never depends on
# which path a number took.
_EIGHT_ZEROS = np.uint64(0x3030303030303030)
_KEEP_LOW_BYTES = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [(1 << 64) - 1], dtype=np.uint64)
_HIGH_NIBBLES = np.uint64(0xF0F0F0F0F0F0F0F0)
_ALL_THREES = np.uint64(0x3333333333333333)
_PLUS_SIX = np.uint64(0x0606060606060606)
_DECIMAL_SCALE = 1e8
_MAX_SLOW_SHARE = 0.05  # beyond this share of unusual tokens, one fromstring call is faster


def _parse_decimal_tokens(text: bytes, starts: np.ndarray, ends: np.ndarray) -> np.ndarray | None:
    """float32 values of the tokens ``text[starts[i]:ends[i]]``; None if any token is not a number."""
    text = text + bytes(16)  # a frame may read past the last token
    padded = np.frombuffer(text, dtype=np.uint8)
    # Every byte offset viewed as the start of a little-endian uint64 (unaligned, stride 1).
    words64 = np.ndarray(shape=(len(text) - 7,), dtype="<u8", buffer=text, strides=(1,))
    negative = padded[starts] == 45  # "-"
    digit_at = starts + negative
    integer_digit = padded[digit_at] - np.uint8(48)
    decimals = ends - digit_at - 2
    usual = (padded[digit_at + 1] == 46) & (integer_digit < 10) & (decimals >= 0) & (decimals <= 8)
    np.clip(decimals, 0, 8, out=decimals)
    frames = words64[digit_at + 2]
    keep = _KEEP_LOW_BYTES[decimals]
    frames = (frames & keep) | (_EIGHT_ZEROS & ~keep)  # pad missing decimals with "0"
    usual &= ((frames & _HIGH_NIBBLES) | (((frames + _PLUS_SIX) & _HIGH_NIBBLES) >> np.uint64(4))) == _ALL_THREES
    frames &= np.uint64(0x0F0F0F0F0F0F0F0F)
    frames = (frames * np.uint64(2561)) >> np.uint64(8)
    frames = ((frames & np.uint64(0x00FF00FF00FF00FF)) * np.uint64(6553601)) >> np.uint64(16)
    frames = ((frames & np.uint64(0x0000FFFF0000FFFF)) * np.uint64(42949672960001)) >> np.uint64(32)
    values = integer_digit.astype(np.float64) * _DECIMAL_SCALE + frames.astype(np.float64)
    values /= _DECIMAL_SCALE
    np.negative(values, out=values, where=negative)
    values = values.astype(np.float32)
    unusual = np.flatnonzero(~usual)
    if len(unusual) > _MAX_SLOW_SHARE * len(starts):
        return _fromstring_tokens(text, starts, ends)
    if len(unusual):
        patch = _fromstring_tokens(text, starts[unusual], ends[unusual])
        if patch is None:
            return None
        values[unusual] = patch
    return values


def _fromstring_tokens(text: bytes, starts: np.ndarray, ends: np.ndarray) -> np.ndarray | None:
    tokens = [text[s:e] for s, e in zip(starts.tolist(), ends.tolist())]
    if not all(tokens):
        return None  # an empty field: two spaces in a row
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            values = np.fromstring(b" ".join(tokens), dtype=np.float32, sep=" ")
    except (ValueError, DeprecationWarning):
        return None
    return values if values.size == len(tokens) else None


def _may_have_duplicates(words: Sequence[str]) -> bool:
    """False when all words are surely distinct: sorted 64-bit hashes take 8 bytes a word,
    a fraction of a set or dict of the words, at the moment the full matrix is in memory."""
    hashes = np.fromiter(map(hash, words), dtype=np.int64, count=len(words))
    hashes.sort()
    return bool((hashes[1:] == hashes[:-1]).any())


def _compact_rows(matrix: np.ndarray, keep: np.ndarray, block: int = 8192) -> None:
    """Move rows ``keep`` (increasing) to the top of ``matrix`` in place, block by block.

    Safe because ``keep[j] >= j``: a block's targets lie below every later block's sources.
    """
    for start in range(0, len(keep), block):
        rows = keep[start : start + block]
        matrix[start : start + len(rows)] = matrix[rows]


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


def _shown(text: bytes, limit: int = 60) -> str:
    """Text for an error message: decoded leniently and cut short."""
    shown = text.decode("utf-8", "replace")
    return shown if len(shown) <= limit else shown[:limit] + "..."
