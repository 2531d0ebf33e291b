"""Loading any vector file into :class:`WordVectors`: the dispatch (format, limit, cache) and the text reader's
wrapper. One module per binary format reads the rest:

- GloVe / word2vec text / fastText ``.vec``: the fast text reader (``text_reader.py``).
- word2vec binary: ``word2vec_binary.py``, record by record, so that a truncated or damaged file gets a
  message naming the word and byte where it breaks (gensim's reader only says "unpack requires a buffer").
- fastText ``.bin``: ``fasttext_bin.py`` (the header checked first, then fastText's own loader from
  fasttext-wheel, which keeps the character n-grams that build vectors for unknown words; gensim's
  ``load_facebook_vectors`` for files older than fastText 0.2, and as the tests' reference).
- gensim native files (``KeyedVectors.save`` / ``Word2Vec.save`` / ``FastText.save``): ``gensim_native.py``,
  memory-mapped where the arrays were saved separately. These files are Python pickles: opening one
  runs code it names, so they are opened only with ``trust_pickle=True`` (``--trust-pickle`` in the
  CLI, ``embedding.vectors[N].trust_pickle`` in a run configuration, a confirmation in the GUI).
  Detecting a pickle never loads it.

Text and word2vec binary files are cached (``cache.py``) after the first parse; fastText and gensim
files are not, since gensim's own objects are needed for subwords or are already fast to open.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from embedstudio.core.errors import ConfigError, VectorFileError
from embedstudio.core.jobs import CancelToken, Reporter, ensure_cancel, ensure_reporter
from embedstudio.core.vectors.fasttext_bin import read_fasttext_bin
from embedstudio.core.vectors.formats import (
    FORMAT_LABELS,
    OpenedVectorFile,
    PickleRefused,
    check_vector_path,
    detect_format,
    normalise_format,
    open_vector_file,
)
from embedstudio.core.vectors.gensim_native import read_gensim
from embedstudio.core.vectors.parsed import MAX_LISTED, Parsed
from embedstudio.core.vectors.text_reader import read_text_vectors
from embedstudio.core.vectors.word2vec_binary import read_word2vec_binary
from embedstudio.core.vectors.wordvectors import VectorInfo, WordVectors

CACHED_FORMATS = ("glove", "word2vec_text", "word2vec_binary")


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
        parsed = read_fasttext_bin(path, compression, limit, reporter, cancel)
    elif fmt == "gensim":
        parsed = read_gensim(path, compression, limit, reporter, cancel)  # load_vectors checked the trust
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


def _non_finite_warning(name: str, parsed: Parsed) -> list[str]:
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
    vectors = WordVectors(
        words, matrix, info, word_index=query.word_index, inverse_norms=query.inverse_norms, coarse=query.coarse
    )
    vectors.queries.warm_in_background()
    return vectors


def _to_cache(vectors: WordVectors, limit: int | None, reporter: Reporter) -> None:
    """Write the cache entry on a thread of its own, so the caller has the vectors at once. The matrix is
    made read-only first (a cached matrix is read-only too), so the entry cannot differ from what the caller
    holds. The row norms and word index are built with the entry and handed to ``vectors`` as soon as they
    exist. A failed write (a full disk, a read-only folder) only costs speed next time."""
    from embedstudio.core.vectors.cache import CacheWrite, QueryData, VectorCache

    info = vectors.info
    meta = {
        "duplicates": info.duplicates,
        "duplicate_examples": info.duplicate_examples,
        "header_count": info.header_count,
        "compression": info.compression,
        "warnings": info.warnings,
    }
    vectors.matrix.flags.writeable = False
    # The writer builds the coarse copy too: until it hands it over, queries scan the float32 matrix exactly
    # instead of building a second copy (if the write fails, the first query after it builds one).
    vectors.queries.coarse_expected = True

    def attach(query: QueryData) -> None:
        vectors.attach_query_data(
            word_index=query.word_index, inverse_norms=query.inverse_norms, coarse=query.coarse, matrix=query.matrix
        )

    def done(_write: CacheWrite) -> None:
        vectors.queries.coarse_expected = False
        # Only now: the parsed matrix is freed (when the entry's mapped one replaced it), so the coarse copy's
        # pages that the warm-up maps never sit next to it in memory.
        vectors.queries.warm_in_background()

    try:
        vectors.cache_write = VectorCache().store_in_background(
            info.path,
            format=info.format,
            limit=limit,
            words=vectors.words,
            matrix=vectors.matrix,
            meta=meta,
            on_query_data=attach,
            on_done=done,
        )
    except OSError as err:
        vectors.queries.coarse_expected = False
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
) -> Parsed:
    source = opened.path if opened.compression is None else opened.stream
    result = read_text_vectors(
        source,
        limit=limit,
        has_header=(fmt == "word2vec_text"),
        reporter=_OnDiskProgress(reporter, opened),
        cancel=cancel,
    )
    return Parsed(**vars(result))
