"""Loading any vector file into :class:`WordVectors`: the dispatch, the cache, and the non-text readers.

- GloVe / word2vec text / fastText ``.vec``: the fast text reader (``text_reader.py``).
- word2vec binary: read here, record by record, so that a truncated or damaged file gets a message
  naming the word and byte where it breaks (gensim's reader only says "unpack requires a buffer").
- fastText ``.bin``: gensim's ``load_facebook_vectors``, which keeps the character n-grams that build
  vectors for unknown words.
- gensim native files (``KeyedVectors.save`` / ``Word2Vec.save`` / ``FastText.save``): gensim's loader,
  memory-mapped where the arrays were saved separately. These files are Python pickles: opening one
  runs code it names, so they are opened only with ``trust_pickle=True`` (``--trust-pickle`` in the
  CLI, ``embedding.vectors[N].trust_pickle`` in a run configuration, a confirmation in the GUI).
  Detecting a pickle never loads it.

Text and word2vec binary files are cached (``cache.py``) after the first parse; fastText and gensim
files are not, since gensim's own objects are needed for subwords or are already fast to open.
"""

from __future__ import annotations

import os
import shutil
import struct
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from embedstudio.core.errors import ConfigError, VectorFileError
from embedstudio.core.jobs import CancelToken, Reporter, ThrottledProgress, ensure_cancel, ensure_reporter
from embedstudio.core.vectors.formats import (
    FASTTEXT_MAGIC,
    FORMAT_LABELS,
    MAX_DIM,
    MAX_WORD_BYTES,
    OpenedVectorFile,
    PickleRefused,
    check_vector_path,
    detect_format,
    normalise_format,
    open_vector_file,
)
from embedstudio.core.vectors.text_reader import TextVectors, read_text_vectors
from embedstudio.core.vectors.wordvectors import VectorInfo, WordVectors

CACHED_FORMATS = ("glove", "word2vec_text", "word2vec_binary")
MAX_LISTED = 5
_BINARY_CHUNK = 1 << 22
_MAX_WORD_BYTES = MAX_WORD_BYTES  # a longer "word" means the header's dimension is wrong or this is not word2vec


@dataclass
class _Parsed(TextVectors):
    """What any reader found, before it becomes a WordVectors: the text reader's result (whose
    ``warnings`` that reader already reported), plus warnings still to report and a subword model."""

    new_warnings: list[str] = field(default_factory=list)
    subword_model: Any = None


# ---- public entry points ------------------------------------------------------------------
def load_vectors(
    path: str | os.PathLike,
    *,
    format: str = "auto",
    limit: int | None = None,
    use_cache: bool = True,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
    trust_pickle: bool = False,
) -> WordVectors:
    """Read a vector file of any supported format (``format="auto"`` detects it from the content).

    ``limit`` keeps only the first ``limit`` words (vector lines) of the file. Recoverable problems
    go to ``reporter.warning`` and ``info.warnings``; unreadable files raise VectorFileError naming the
    file and line or byte. Raises ``Cancelled`` when ``cancel`` is set (gensim's fastText and native
    loaders cannot be interrupted; cancel is checked before and after them).

    A gensim native file (a Python pickle, detected by content whatever its name or compression, or
    asked for with ``format="gensim"``) raises :class:`PickleRefused` unless ``trust_pickle`` is true.
    """
    reporter = ensure_reporter(reporter)
    cancel = ensure_cancel(cancel)
    from embedstudio.core.config import data_path
    from embedstudio.core.vectors import npy_source

    if format in ("auto", npy_source.FORMAT) and npy_source.is_npy_source(data_path(str(path))):
        return npy_source.load_npy_vectors(
            data_path(str(path)), limit=_check_limit(limit), reporter=reporter, cancel=cancel
        )
    path = _resolve(path)
    limit = _check_limit(limit)
    fmt, detection_note = _choose_format(path, format)
    if fmt == "gensim" and not trust_pickle:
        raise PickleRefused(path.name)
    cancel.raise_if_cancelled()
    if detection_note:
        reporter.warning(detection_note)  # before reading, so that it explains a read that then fails
    if use_cache and fmt in CACHED_FORMATS:
        cached = _from_cache(path, fmt, limit, reporter, already_reported=detection_note)
        if cached is not None:
            return cached
    vectors = _read(path, fmt, limit, reporter, cancel, extra_warnings=[detection_note] if detection_note else [])
    if use_cache and fmt in CACHED_FORMATS:
        _to_cache(vectors, limit, reporter)
    reporter.info(f"Loaded {path.name}: {len(vectors):,} words × {vectors.dim} ({FORMAT_LABELS[fmt]}).")
    return vectors


def inspect_vectors(path: str | os.PathLike, **kwargs: Any) -> VectorInfo:
    """The :class:`VectorInfo` of a vector file (loads it, through the cache where possible)."""
    return load_vectors(path, **kwargs).info


# ---- dispatch -----------------------------------------------------------------------------
def _resolve(path: str | os.PathLike) -> Path:
    from embedstudio.core.config import data_path

    return check_vector_path(data_path(str(path))).resolve()


def _check_limit(limit: int | None) -> int | None:
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 1:
        raise ConfigError(f"The vector limit is {limit!r}; give a positive number of words, or none to load all.")
    return int(limit)


def _choose_format(path: Path, requested: str) -> tuple[str, str | None]:
    """The format to read, and a warning if the user's choice disagrees with the content."""
    fmt = normalise_format(requested)
    if fmt == "auto":
        return detect_format(path), None
    try:
        detected = detect_format(path)
    except VectorFileError:
        return fmt, None
    if detected != fmt:
        return fmt, (
            f"{path.name}: you chose {FORMAT_LABELS[fmt]}, but the file looks like "
            f"{FORMAT_LABELS[detected]}; reading it as you chose."
        )
    return fmt, None


def _read(
    path: Path, fmt: str, limit: int | None, reporter: Reporter, cancel: CancelToken, *, extra_warnings: list[str]
) -> WordVectors:
    with open_vector_file(path) as opened:
        compression, file_size = opened.compression, opened.file_size
        if fmt in ("glove", "word2vec_text"):
            parsed = _read_text(opened, fmt, limit, reporter, cancel)
        elif fmt == "word2vec_binary":
            parsed = read_word2vec_binary(opened, limit=limit, reporter=reporter, cancel=cancel)
    if fmt == "fasttext_bin":
        parsed = _read_fasttext_bin(path, compression, limit, reporter, cancel)
    elif fmt == "gensim":
        parsed = _read_gensim(path, compression, limit, reporter, cancel)  # load_vectors checked the trust
    if len(parsed.words) == 0:
        raise VectorFileError(
            f"{path.name}: the file holds no word vectors.", hint="The file may be truncated; download it again."
        )
    parsed.new_warnings += _non_finite_warning(path.name, parsed)
    for message in parsed.new_warnings:
        reporter.warning(message)
    info = VectorInfo(
        path=str(path),
        format=fmt,
        vocab_size=len(parsed.words),
        dim=int(parsed.matrix.shape[1]),
        duplicates=parsed.duplicates,
        duplicate_examples=list(parsed.duplicate_examples),
        header_count=parsed.header_count,
        has_subwords=parsed.subword_model is not None,
        compression=compression,
        file_size=file_size,
        warnings=extra_warnings + parsed.warnings + parsed.new_warnings,
    )
    return WordVectors(parsed.words, parsed.matrix, info, subword_model=parsed.subword_model)


def _non_finite_rows(matrix: np.ndarray, block: int = 8192) -> np.ndarray:
    # In blocks: a whole-matrix boolean temporary would push a first load past 1.5x the matrix in memory.
    bad = [
        start + np.flatnonzero(~np.isfinite(matrix[start : start + block]).all(axis=1))
        for start in range(0, len(matrix), block)
    ]
    return np.concatenate(bad) if bad else np.empty(0, dtype=np.int64)


def _non_finite_warning(name: str, parsed: _Parsed) -> list[str]:
    bad = _non_finite_rows(parsed.matrix)
    if bad.size == 0:
        return []
    examples = ", ".join(repr(parsed.words[i]) for i in bad[:MAX_LISTED])
    return [
        f"{name}: {bad.size} vectors contain NaN or infinite numbers (for example {examples}); "
        "they will spoil any model that uses them."
    ]


# ---- cache --------------------------------------------------------------------------------
def _from_cache(
    path: Path, fmt: str, limit: int | None, reporter: Reporter, *, already_reported: str | None = None
) -> WordVectors | None:
    from embedstudio.core.vectors.cache import VectorCache

    cache = VectorCache()
    cache.wait_for_write(path, format=fmt, limit=limit)
    hit = cache.load(path, format=fmt, limit=limit)
    if hit is None:
        if cache.last_problem:
            reporter.info(
                f"The cached copy of {path.name} was not used: {cache.last_problem}. Reading the file "
                "again (the cache is rebuilt)."
            )
        return None
    words, matrix, meta = hit
    query = cache.last_query_data
    info = VectorInfo(
        path=str(path),
        format=fmt,
        vocab_size=len(words),
        dim=int(matrix.shape[1]),
        duplicates=int(meta.get("duplicates", 0)),
        duplicate_examples=list(meta.get("duplicate_examples", [])),
        header_count=meta.get("header_count"),
        has_subwords=False,
        compression=meta.get("compression"),
        file_size=path.stat().st_size,
        warnings=list(meta.get("warnings", [])),
        from_cache=True,
    )
    # The user should see the same warnings whether or not the file came from the cache.
    for message in info.warnings:
        if message != already_reported:
            reporter.warning(message)
    reporter.info(f"Opened {path.name} from the cache: {len(words):,} words × {info.dim}.")
    if query is None:
        return WordVectors(words, matrix, info)
    return WordVectors(words, matrix, info, word_index=query.word_index, inverse_norms=query.inverse_norms)


def _to_cache(vectors: WordVectors, limit: int | None, reporter: Reporter) -> None:
    """Write the cache entry on a thread of its own, so the caller has the vectors at once. The matrix is
    made read-only first (a cached matrix is read-only too), so the entry cannot differ from what the caller
    holds. The row norms and word index are built with the entry and handed to ``vectors`` as soon as they
    exist. A failed write (a full disk, a read-only folder) only costs speed next time."""
    from embedstudio.core.vectors.cache import VectorCache

    info = vectors.info
    meta = {
        "duplicates": info.duplicates,
        "duplicate_examples": info.duplicate_examples,
        "header_count": info.header_count,
        "compression": info.compression,
        "warnings": info.warnings,
    }
    vectors.matrix.flags.writeable = False
    try:
        VectorCache().store_in_background(
            info.path,
            format=info.format,
            limit=limit,
            words=vectors.words,
            matrix=vectors.matrix,
            meta=meta,
            on_query_data=lambda q: vectors.attach_query_data(word_index=q.word_index, inverse_norms=q.inverse_norms),
        )
    except OSError as err:
        reporter.info(f"Could not cache {Path(info.path).name} for faster loading next time ({err}).")


# ---- text ---------------------------------------------------------------------------------
class _OnDiskProgress:
    """Reports progress as the share of the file on disk read so far.

    The text reader counts decompressed bytes, whose total is unknown for a compressed file; the
    position in the compressed file gives a real percentage instead.
    """

    def __init__(self, inner: Reporter, opened: OpenedVectorFile) -> None:
        self._inner = inner
        self._opened = opened

    def progress(self, done: float, total: float | None = None, message: str = "") -> None:
        fraction = self._opened.fraction_read()
        if total is None and fraction is not None:
            self._inner.progress(fraction * self._opened.file_size, self._opened.file_size, message)
        else:
            self._inner.progress(done, total, message)

    def info(self, message: str) -> None:
        self._inner.info(message)

    def warning(self, message: str) -> None:
        self._inner.warning(message)

    def event(self, kind: str, payload: dict[str, Any]) -> None:
        self._inner.event(kind, payload)


def _read_text(
    opened: OpenedVectorFile, fmt: str, limit: int | None, reporter: Reporter, cancel: CancelToken
) -> _Parsed:
    source = opened.path if opened.compression is None else opened.stream
    result = read_text_vectors(
        source,
        limit=limit,
        has_header=(fmt == "word2vec_text"),
        reporter=_OnDiskProgress(reporter, opened),
        cancel=cancel,
    )
    return _Parsed(**vars(result))


# ---- word2vec binary ----------------------------------------------------------------------
def read_word2vec_binary(
    opened: OpenedVectorFile,
    *,
    limit: int | None = None,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
) -> _Parsed:
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

    def run(self) -> _Parsed:
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
        return _Parsed(
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


# ---- fastText .bin and gensim native ------------------------------------------------------
@contextmanager
def _loadable_path(
    path: Path, compression: str | None, reporter: Reporter, *, smart_open: bool = True
) -> Iterator[Path]:
    """A path gensim (or fasttext) can open: the file itself, or a decompressed temporary copy.

    gensim (through smart_open) decompresses ``.gz`` and ``.bz2`` by their suffix only, and never zip
    or xz; fasttext never decompresses. Other compressed files are unpacked to a temporary file first.
    """
    suffix_ok = {"gzip": ".gz", "bz2": ".bz2"}.get(compression or "") if smart_open else None
    if compression is None or (suffix_ok and path.suffix.lower() == suffix_ok):
        yield path
        return
    from embedstudio.core.fileio import check_free_space
    from embedstudio.core.vectors.cache import UNPACK_PREFIX, VectorCache

    reporter.progress(0, None, f"Unpacking {path.name}")
    # Inside the cache folder, not $TMPDIR: a killed process leaves the copy where the next start of a
    # load finds and removes it (VectorCache.remove_leftovers).
    cache = VectorCache()
    cache.root.mkdir(parents=True, exist_ok=True)
    cache.remove_leftovers()
    fd, temp = tempfile.mkstemp(
        prefix=f"{UNPACK_PREFIX}{os.getpid()}-", suffix="-" + Path(path.stem).name, dir=cache.root
    )
    try:
        with os.fdopen(fd, "wb") as out, open_vector_file(path) as opened:
            if opened.compression == "zip" and opened._member_size:
                check_free_space(cache.root, opened._member_size, VectorFileError, what=f"the unpacked {path.name}")
            shutil.copyfileobj(opened.stream, out, 1 << 22)
        yield Path(temp)
    finally:
        try:
            os.unlink(temp)
        except OSError:
            pass


_GENSIM_READ_ERRORS = (
    struct.error,
    ValueError,
    EOFError,
    AssertionError,
    UnicodeDecodeError,
    OSError,
    IndexError,
    KeyError,
    AttributeError,
    ImportError,
    TypeError,
)


def _read_fasttext_bin(
    path: Path, compression: str | None, limit: int | None, reporter: Reporter, cancel: CancelToken
) -> _Parsed:
    # From the first bytes, before anything is unpacked or handed to fasttext/gensim (whose loaders
    # die of SIGFPE, MemoryError or OverflowError on some damaged headers).
    with open_vector_file(path) as opened:
        check_fasttext_header(opened.stream.read(256), path.name)
    if _is_supervised_fasttext(path):
        return _read_fasttext_supervised(path, compression, limit, reporter, cancel)
    from gensim.models.fasttext import load_facebook_vectors

    reporter.progress(0, None, f"Reading {path.name} (fastText model; no progress is available)")
    # Not through smart_open: gensim 4.4 reads the matrices of a .bin.gz short (np.fromfile on its wrapper).
    with _loadable_path(path, compression, reporter, smart_open=False) as loadable:
        _check_fasttext_layout(loadable, path.name)
        try:
            kv = load_facebook_vectors(str(loadable))
        except VectorFileError:
            raise
        except _GENSIM_READ_ERRORS as err:
            raise _damaged_fasttext(path, err) from err
    cancel.raise_if_cancelled()
    return _parsed_from_keyed_vectors(kv, limit)


def _damaged_fasttext(path: Path, err: BaseException) -> VectorFileError:
    return VectorFileError(
        f"{path.name}: could not read it as a fastText .bin model ({type(err).__name__}: {err}).",
        hint="The file is probably incomplete or damaged; download it again.",
    )


def _is_supervised_fasttext(path: Path) -> bool:
    """fastText stores the model kind (1 cbow, 2 skipgram, 3 supervised) among its header fields."""
    with open_vector_file(path) as opened:
        head = opened.stream.read(40)
    offset = 36 if head.startswith(FASTTEXT_MAGIC) else 28  # old files lack the magic and version fields
    return len(head) >= offset + 4 and struct.unpack("<i", head[offset : offset + 4])[0] == 3


_FT_LOSSES = {1: "hs", 2: "ns", 3: "softmax", 4: "ova"}
_FT_MODELS = {1: "cbow", 2: "skipgram", 3: "supervised"}


def check_fasttext_header(head: bytes, name: str) -> dict[str, Any]:
    """The fastText ``.bin`` header fields from the file's first bytes; VectorFileError naming the first
    field that no fastText build would write (so the C++/gensim loaders never see it)."""
    new_format = head.startswith(FASTTEXT_MAGIC)
    offset = 8 if new_format else 0
    if len(head) < offset + 56 + 12:
        raise VectorFileError(
            f"{name} is truncated: a fastText .bin header needs {offset + 68} bytes, the file "
            f"holds {len(head)}; download it again."
        )
    if new_format:
        version = struct.unpack("<i", head[4:8])[0]
        if version not in (11, 12):
            raise _bad_fasttext_field(name, "version", version, "11 or 12")
    keys = (
        "dim",
        "ws",
        "epoch",
        "minCount",
        "neg",
        "wordNgrams",
        "loss",
        "model",
        "bucket",
        "minn",
        "maxn",
        "lrUpdateRate",
        "t",
    )
    args = dict(zip(keys, struct.unpack("<12id", head[offset : offset + 56])))
    args["size"], args["nwords"], args["nlabels"] = struct.unpack("<3i", head[offset + 56 : offset + 68])
    checks = [
        ("dim", 1 <= args["dim"] <= MAX_DIM, f"1 to {MAX_DIM:,}"),
        ("ws", args["ws"] >= 1, "at least 1"),
        ("epoch", args["epoch"] >= 1, "at least 1"),
        ("minCount", args["minCount"] >= 0, "0 or more"),
        ("neg", args["neg"] >= 0, "0 or more"),
        ("wordNgrams", 1 <= args["wordNgrams"] <= 100, "1 to 100"),
        ("loss", args["loss"] in _FT_LOSSES, "1 to 4 (hs, ns, softmax, ova)"),
        ("model", args["model"] in _FT_MODELS, "1 to 3 (cbow, skipgram, supervised)"),
        ("bucket", args["bucket"] >= 0, "0 or more"),
        ("minn", 0 <= args["minn"] <= 100, "0 to 100"),
        ("maxn", 0 <= args["maxn"] <= 100, "0 to 100"),
        ("lrUpdateRate", args["lrUpdateRate"] >= 1, "at least 1"),
        ("t", 0.0 <= args["t"] < 1.0, "from 0 up to 1"),
        ("words in the vocabulary (size)", args["size"] >= 1, "at least 1"),
        ("nwords", args["nwords"] >= 0, "0 or more"),
        ("nlabels", args["nlabels"] >= 0, "0 or more"),
    ]
    for field_name, ok, expected in checks:
        if not ok:
            raise _bad_fasttext_field(
                name,
                field_name,
                args[field_name.split("(")[-1].rstrip(")")] if "(" in field_name else args[field_name],
                expected,
            )
    if args["maxn"] > 0 and args["minn"] > args["maxn"]:
        raise VectorFileError(
            f"{name}: the fastText header gives minn {args['minn']} > maxn {args['maxn']}: "
            "character n-grams would be impossible; the header is damaged.",
            hint="Download the model again; if you trained it, check its -minn/-maxn.",
        )
    if args["maxn"] > 0 and args["bucket"] == 0:
        raise VectorFileError(
            f"{name}: the fastText header asks for character n-grams (maxn {args['maxn']}) but "
            "gives bucket 0 (no room for them); fastText itself would crash on it, so the header "
            "is damaged.",
            hint="Download the model again.",
        )
    if args["nwords"] + args["nlabels"] != args["size"]:
        raise VectorFileError(
            f"{name}: the fastText header says the vocabulary holds {args['size']:,} entries but "
            f"{args['nwords']:,} words and {args['nlabels']:,} labels; the header is damaged.",
            hint="Download the model again.",
        )
    return args


def _bad_fasttext_field(name: str, field_name: str, value: Any, expected: str) -> VectorFileError:
    return VectorFileError(
        f"{name}: the fastText .bin header gives {field_name} = {value!r}; fastText writes "
        f"{expected}. The file is damaged or not a fastText model.",
        hint="Download the model again.",
    )


def _check_fasttext_layout(path: Path, name: str) -> None:
    """Walk the sections of a fastText ``.bin`` and raise VectorFileError if the file is cut short.

    Layout (fastText's ``FastText::saveModel``): [magic, version], 12 int32 arguments and a double,
    the dictionary (counts, then per entry the word, a NUL, an int64 count and an int8 type, then the
    pruned-index pairs), [a quantisation flag], the input matrix (int64 rows, int64 columns, float32
    data), [a flag] and the output matrix. Bracketed parts are missing in files from before 2017.
    """
    size = path.stat().st_size
    with open(path, "rb") as fh:
        reader = _SectionReader(fh, name, size)
        new_format = reader.take(4, "header") == FASTTEXT_MAGIC
        if new_format:
            reader.take(4, "header")
        else:
            fh.seek(0)
        arguments = reader.take(12 * 4 + 8, "model arguments")
        dim, bucket = struct.unpack("<i", arguments[:4])[0], struct.unpack("<i", arguments[32:36])[0]
        entries, _nwords, _nlabels = struct.unpack("<3i", reader.take(12, "vocabulary header"))
        reader.take(8, "vocabulary header")
        pruned = struct.unpack("<q", reader.take(8, "vocabulary header"))[0] if new_format else 0
        reader.skip_words(entries)
        reader.take(8 * max(pruned, 0), "pruned-index table")
        if new_format and reader.take(1, "input matrix") != b"\x00":
            return  # a quantised (.ftz) matrix has its own layout; fastText checks nothing there either
        rows, cols = struct.unpack("<2q", reader.take(16, "input matrix header"))
        _check_matrix_shape(name, "input", rows, cols, dim, _nwords + bucket)
        reader.take_skipped(rows * cols * 4, f"input matrix ({rows:,} × {cols})")
        if new_format:
            reader.take(1, "output matrix")
        rows, cols = struct.unpack("<2q", reader.take(16, "output matrix header"))
        _check_matrix_shape(name, "output", rows, cols, dim, None)
        reader.take_skipped(rows * cols * 4, f"output matrix ({rows:,} × {cols})")


def _check_matrix_shape(name: str, which: str, rows: int, cols: int, dim: int, expected_rows: int | None) -> None:
    if cols != dim or rows < 0 or (expected_rows is not None and rows != expected_rows):
        want = f"{expected_rows:,} × {dim}" if expected_rows is not None else f"rows × {dim}"
        raise VectorFileError(
            f"{name}: the fastText {which} matrix is {rows:,} × {cols:,}, but the header "
            f"implies {want}; the file is damaged.",
            hint="Download the model again.",
        )


class _SectionReader:
    """Sequential reads that name the section and byte where a fastText file ends too early."""

    def __init__(self, fh: Any, name: str, size: int) -> None:
        self.fh = fh
        self.name = name
        self.size = size

    def _truncated(self, what: str, need: int, start: int) -> VectorFileError:
        return VectorFileError(
            f"{self.name} is truncated: its {what} needs {need:,} bytes from byte {start:,}, but the file ends at "
            f"byte {self.size:,}; the file is incomplete, download it again."
        )

    def take(self, count: int, what: str) -> bytes:
        start = self.fh.tell()
        data = self.fh.read(count)
        if len(data) < count:
            raise self._truncated(what, count, start)
        return data

    def take_skipped(self, count: int, what: str) -> None:
        start = self.fh.tell()
        if start + count > self.size:
            raise self._truncated(what, count, start)
        self.fh.seek(start + count)

    def skip_words(self, entries: int) -> None:
        """Skip ``entries`` vocabulary entries: word bytes, NUL, int64 count, int8 type."""
        start = self.fh.tell()
        buffer, pos = b"", 0
        for _ in range(entries):
            end = buffer.find(b"\x00", pos)
            while end < 0 or end + 10 > len(buffer):
                block = self.fh.read(1 << 20)
                if not block:
                    raise VectorFileError(
                        f"{self.name} is truncated: its vocabulary of {entries:,} words starts at byte {start:,} "
                        f"and runs past the end of the file (byte {self.size:,}); the file is incomplete, "
                        "download it again."
                    )
                buffer, pos = buffer[pos:] + block, 0
                end = buffer.find(b"\x00")
            pos = end + 10
        self.fh.seek(self.fh.tell() - (len(buffer) - pos))


class _FastTextModelSubwords:
    """Builds vectors for unknown words through fasttext-wheel, like gensim's ``get_vector``."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self._dim = model.get_dimension()

    def get_vector(self, word: str | bytes) -> np.ndarray:
        import fasttext_pybind

        out = fasttext_pybind.Vector(self._dim)
        # Bytes, so that words that are not valid UTF-8 (read as Latin-1 here) still find their row.
        self._model.f.getWordVector(out, word if isinstance(word, bytes) else word.encode("utf-8"))
        return np.array(out, dtype=np.float32)


def _read_fasttext_supervised(
    path: Path, compression: str | None, limit: int | None, reporter: Reporter, cancel: CancelToken
) -> _Parsed:
    """A supervised fastText model's word vectors, through fasttext-wheel (gensim refuses these files)."""
    from fasttext.FastText import _FastText

    reporter.progress(0, None, f"Reading {path.name} (supervised fastText model; no progress is available)")
    with _loadable_path(path, compression, reporter, smart_open=False) as loadable:
        # fastText's C++ loader reads a truncated file without complaint, leaving garbage in the matrix.
        _check_fasttext_layout(loadable, path.name)
        try:
            # _FastText directly: fasttext.load_model() only adds a warning printed on stderr.
            model = _FastText(model_path=str(loadable))
        except (ValueError, RuntimeError, MemoryError) as err:
            raise _damaged_fasttext(path, err) from err
    cancel.raise_if_cancelled()
    raw_words = [w.encode("utf-8", "surrogateescape") for w in model.f.getVocab("surrogateescape")[0]]
    if limit is not None:
        raw_words = raw_words[:limit]
    words, latin1 = [], []
    for number, raw in enumerate(raw_words, start=1):
        try:
            words.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            words.append(raw.decode("latin-1"))
            latin1.append(number)
    args = model.f.getArgs()
    builder = _FastTextModelSubwords(model)
    subwords = builder if args.maxn > 0 else None
    if subwords is None and not model.f.isQuant():
        # Without subwords a word's vector is its input row (words come before labels).
        matrix = np.array(model.get_input_matrix()[: len(words)], dtype=np.float32)
    elif raw_words:
        matrix = np.vstack([builder.get_vector(raw) for raw in raw_words])
    else:
        matrix = np.empty((0, args.dim), dtype=np.float32)
    warnings = []
    if latin1:
        listed = ", ".join(map(str, latin1[:MAX_LISTED])) + (
            f" and {len(latin1) - MAX_LISTED} more" if len(latin1) > MAX_LISTED else ""
        )
        warnings.append(
            f"{path.name}: {len(latin1)} words are not valid UTF-8 and were read as Latin-1 (word {listed})."
        )
    from ..supervised_fasttext import vectors_warning  # "a classifier with N labels", said first

    warnings.insert(0, vectors_warning(model, path))
    return _Parsed(
        words=words,
        matrix=np.ascontiguousarray(matrix, dtype=np.float32),
        subword_model=subwords,
        new_warnings=warnings,
    )


def _read_gensim(
    path: Path, compression: str | None, limit: int | None, reporter: Reporter, cancel: CancelToken
) -> _Parsed:
    from gensim.utils import SaveLoad

    # Said before loading, because loading is when a hostile pickle would act.
    trust = (
        f"{path.name} is a gensim model file, which is a Python pickle: it was opened because you said "
        "you trust it (opening it runs code it names); word2vec or GloVe files carry no code."
    )
    reporter.warning(trust)
    reporter.progress(0, None, f"Reading {path.name} (gensim model; no progress is available)")
    with _loadable_path(path, compression, reporter) as loadable:
        try:
            # mmap only works on an uncompressed file whose arrays were saved separately; else it is ignored.
            obj = SaveLoad.load(str(loadable), mmap=None if compression else "r")
        except _GENSIM_READ_ERRORS as err:
            raise VectorFileError(
                f"{path.name}: could not read it as a gensim model ({type(err).__name__}: {err}).",
                hint=_gensim_hint(err),
            ) from err
    cancel.raise_if_cancelled()
    kv = getattr(obj, "wv", obj)
    if not (hasattr(kv, "index_to_key") and hasattr(kv, "vectors")):
        raise VectorFileError(
            f"{path.name}: this gensim file holds a {type(obj).__name__}, not word vectors.",
            hint="Choose a KeyedVectors, Word2Vec or FastText model file.",
        )
    parsed = _parsed_from_keyed_vectors(kv, limit)
    parsed.warnings.append(trust)  # already reported above; kept in info.warnings for the library's tooltip
    return parsed


def _gensim_hint(err: BaseException) -> str:
    if isinstance(err, FileNotFoundError):
        return (
            "The model was saved with its arrays in separate '.npy' files; keep them beside it, "
            "with their original names."
        )
    if isinstance(err, (ImportError, AttributeError, TypeError)):
        return (
            "It was probably saved by an old gensim version that gensim 4 cannot read; load and re-save it "
            "with gensim 3.8.3, or export it as word2vec binary."
        )
    return "The file may be incomplete or damaged."


def _parsed_from_keyed_vectors(kv: Any, limit: int | None) -> _Parsed:
    words = [str(w) for w in kv.index_to_key]
    matrix = kv.vectors
    if limit is not None:
        words, matrix = words[:limit], matrix[:limit]
    if matrix.dtype != np.float32 or not matrix.flags.c_contiguous:
        matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    subwords = kv if getattr(kv, "bucket", 0) and hasattr(kv, "vectors_ngrams") else None
    return _Parsed(words=words, matrix=matrix, subword_model=subwords)
