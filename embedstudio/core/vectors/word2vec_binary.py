"""word2vec's binary format, read record by record: a truncated or damaged file gets a message naming the
word and byte where it breaks (gensim's reader only says "unpack requires a buffer")."""

from __future__ import annotations

import numpy as np

from embedstudio.core.errors import VectorFileError
from embedstudio.core.jobs import CancelToken, Reporter, ThrottledProgress, ensure_cancel, ensure_reporter
from embedstudio.core.vectors.formats import (
    MAX_DIM,
    MAX_WORD_BYTES,
    OpenedVectorFile,
)
from embedstudio.core.vectors.parsed import MAX_LISTED, Parsed

_BINARY_CHUNK = 1 << 22
_MAX_WORD_BYTES = MAX_WORD_BYTES  # a longer "word" means the header's dimension is wrong or this is not word2vec


def read_word2vec_binary(
    opened: OpenedVectorFile,
    *,
    limit: int | None = None,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
) -> Parsed:
    """Parse word2vec's binary format: a ``<count> <dim>`` line, then per word the word's bytes, a
    space and ``dim`` little-endian float32 numbers (a newline before the next word is optional).
    """
    reporter = ensure_reporter(reporter)
    progress = ThrottledProgress(
        reporter, opened.file_size, f"Reading {opened.name}", cancel=ensure_cancel(cancel), unit="B"
    )
    return _BinaryParser(opened, limit, progress).run()


class _BinaryParser:
    def __init__(self, opened: OpenedVectorFile, limit: int | None, progress: ThrottledProgress) -> None:
        self.opened = opened
        self.name = opened.name
        self.limit = limit
        self.progress = progress
        self.buffer = b""
        self.pos = 0  # read position inside ``buffer``
        self.buffer_offset = 0  # offset of buffer[0] in the decompressed file
        self.eof = False
        self.words: list[str] = []
        self.seen: set[str] = set()
        self.duplicates = 0
        self.duplicate_examples: list[str] = []
        self.latin1_words: list[int] = []
        self.warnings: list[str] = []

    def run(self) -> Parsed:
        count, dim = self._read_header()
        wanted = count if self.limit is None else min(count, self.limit)
        # Trust the header's count only as far as the file could hold it (a damaged header cannot ask
        # for terabytes); the matrix grows if the data holds more.
        wanted = min(
            wanted, (self.opened.file_size // (4 * dim + 2) + 1) if self.opened.compression is None else 1 << 16
        )
        self.matrix = np.empty((max(wanted, 1), dim), dtype=np.float32)
        records = 0
        stop = count if self.limit is None else min(count, self.limit)
        while self.limit is None or records < self.limit:
            if records < stop:
                got = self._read_batch(records, stop, dim)
                records += got
                if got:
                    continue
            if records >= count and not self._more_data():
                break
            if not self._read_record(records, count, dim):
                break
            records += 1
        if records != count and (self.limit is None or records < self.limit):
            self.warnings.append(
                f"{self.name}: the header says {count} words, but the file holds {records}; all {records} were read."
            )
        self._finish_warnings()
        self.matrix.resize((len(self.words), dim), refcheck=False)
        self.progress(self.opened.file_size)
        return Parsed(
            words=self.words,
            matrix=self.matrix,
            header_count=count,
            duplicates=self.duplicates,
            duplicate_examples=self.duplicate_examples,
            new_warnings=self.warnings,
        )

    def _read_header(self) -> tuple[int, int]:
        line = self.opened.stream.readline(4096)
        fields = line.split()
        if len(fields) != 2 or not all(f.isdigit() for f in fields):
            shown = line[:60].decode("utf-8", "replace").rstrip()
            raise VectorFileError(
                f"{self.name}, line 1: expected a word2vec header '<word count> <dimension>', found {shown!r}.",
                hint="This file is not word2vec binary.",
            )
        count, dim = int(fields[0]), int(fields[1])
        if dim < 1:
            raise VectorFileError(
                f"{self.name}, line 1: the header gives dimension {dim}; a vector needs at least one number."
            )
        if dim > MAX_DIM:
            raise VectorFileError(
                f"{self.name}, line 1: the header gives dimension {dim:,}, more than the "
                f"{MAX_DIM:,} numbers per word any real vector file has; the header is damaged."
            )
        if count < 1:
            raise VectorFileError(
                f"{self.name}, line 1: the header says the file holds {count} words.",
                hint="Choose a file that holds vectors.",
            )
        self.buffer_offset = len(line)
        return count, dim

    def _fill(self) -> bool:
        """Append the next block of the file to the buffer; False at the end of the file."""
        if self.eof:
            return False
        block = self.opened.stream.read(_BINARY_CHUNK)
        if not block:
            self.eof = True
            return False
        self.buffer_offset += self.pos
        self.buffer = self.buffer[self.pos :] + block
        self.pos = 0
        fraction = self.opened.fraction_read()
        self.progress(fraction * self.opened.file_size if fraction is not None else 0)
        return True

    def _more_data(self) -> bool:
        """Whether anything but whitespace follows (words beyond the header's count)."""
        while not self.buffer[self.pos :].strip():
            self.pos = len(self.buffer)
            if not self._fill():
                return False
        return True

    def _read_record(self, index: int, count: int, dim: int) -> bool:
        """Read word ``index`` (0-based) and its vector into the matrix; False for a partial record past the
        header's count."""
        need = 4 * dim
        space = self.buffer.find(b" ", self.pos)
        while space < 0 or space + 1 + need > len(self.buffer):
            if space < 0 and len(self.buffer) - self.pos > _MAX_WORD_BYTES:
                raise VectorFileError(
                    f"{self.name}: word {index + 1} at byte {self.buffer_offset + self.pos} is longer than "
                    f"{_MAX_WORD_BYTES:,} bytes.",
                    hint="The header's dimension does not fit the data, or this is not a word2vec binary file.",
                )
            if not self._fill():
                if index >= count:
                    self.warnings.append(
                        f"{self.name}: {len(self.buffer) - self.pos} bytes after the last "
                        f"complete vector (word {index}) were ignored."
                    )
                    return False
                raise self._truncated(index, count, dim)
            space = self.buffer.find(b" ", self.pos)
        raw_word = self.buffer[self.pos : space].lstrip(b"\n")
        start = space + 1
        self.pos = start + need
        word = self._decode(raw_word, index)
        if word in self.seen:
            self.duplicates += 1
            if len(self.duplicate_examples) < MAX_LISTED and word not in self.duplicate_examples:
                self.duplicate_examples.append(word)
            return True
        self.seen.add(word)
        row = len(self.words)
        if row >= self.matrix.shape[0]:
            self.matrix.resize((int(row * 1.25) + 1024, dim), refcheck=False)
        self.matrix[row] = np.frombuffer(self.buffer, dtype="<f4", count=dim, offset=start)
        self.words.append(word)
        return True

    def _read_batch(self, index: int, stop: int, dim: int) -> int:
        """Records ``index`` .. ``stop - 1`` that lie wholly in the buffer, in one tight loop: the words are
        decoded in one call and the vectors copied as bytes. Returns how many (0: the next one is cut by the
        buffer's end, or is odd; :meth:`_read_record` then reads it and says what is wrong)."""
        need = 4 * dim
        buffer, pos, end = self.buffer, self.pos, len(self.buffer)
        find = buffer.find
        raw_words: list[bytes] = []
        starts: list[int] = []
        longest = _MAX_WORD_BYTES + 1
        while index + len(raw_words) < stop:
            while pos < end and buffer[pos] == 10:  # the newline after the previous vector
                pos += 1
            space = find(b" ", pos, pos + longest)
            if space < 0 or space + 1 + need > end:
                break
            raw_words.append(buffer[pos:space])
            starts.append(space + 1)
            pos = space + 1 + need
        if not raw_words:
            return 0
        try:
            words = b"\n".join(raw_words).decode("utf-8").split("\n")
            if len(words) != len(raw_words):  # a word held a newline of its own
                raise UnicodeDecodeError("utf-8", b"", 0, 1, "split")
        except UnicodeDecodeError:
            words = [self._decode(raw, index + i) for i, raw in enumerate(raw_words)]
        self.pos = pos
        source = memoryview(buffer)
        rows = len(self.words)
        if rows + len(words) > self.matrix.shape[0]:
            self.matrix.resize((max(rows + len(words), int(rows * 1.25) + 1024), dim), refcheck=False)
        target = memoryview(self.matrix).cast("B")  # type: ignore[arg-type]  # numpy arrays are buffers
        seen, kept = self.seen, self.words
        for word, start in zip(words, starts):
            if word in seen:
                self.duplicates += 1
                if len(self.duplicate_examples) < MAX_LISTED and word not in self.duplicate_examples:
                    self.duplicate_examples.append(word)
                continue
            seen.add(word)
            row = len(kept)
            target[row * need : row * need + need] = source[start : start + need]
            kept.append(word)
        return len(raw_words)

    def _truncated(self, index: int, count: int, dim: int) -> VectorFileError:
        left = len(self.buffer) - self.pos
        end = self.buffer_offset + len(self.buffer)
        if not self.buffer[self.pos :].strip():
            return VectorFileError(
                f"{self.name}: the header says {count:,} words, but the data ends at byte {end:,}, right after "
                f"word {index:,}: the file is truncated, or its header's count is wrong.",
                hint="Download the file again; if it is complete, correct the count on its first line.",
            )
        return VectorFileError(
            f"{self.name} is truncated: the data ends at byte {end:,} inside word {index + 1:,} of the {count:,} "
            f"the header announces ({left:,} bytes of that record are there; a record is the word, a space and "
            f"{4 * dim:,} bytes for {dim} float32 numbers); the file is incomplete, download it again."
        )

    def _decode(self, raw: bytes, index: int) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.latin1_words.append(index + 1)
            return raw.decode("latin-1")

    def _finish_warnings(self) -> None:
        if self.latin1_words:
            listed = ", ".join(str(i) for i in self.latin1_words[:MAX_LISTED])
            more = len(self.latin1_words) - MAX_LISTED
            self.warnings.append(
                f"{self.name}: {len(self.latin1_words)} words are not valid UTF-8 and were read "
                f"as Latin-1 (word {listed}{f' and {more} more' if more > 0 else ''})."
            )
        if self.duplicates:
            examples = ", ".join(repr(w) for w in self.duplicate_examples)
            self.warnings.append(
                f"{self.name}: {self.duplicates} duplicate words; the first vector of each was "
                f"kept (for example {examples})."
            )
