"""gensim native files (``KeyedVectors.save`` / ``Word2Vec.save`` / ``FastText.save``), and the decompressed
path gensim and fastText loaders need. Native files are pickles: ``readers.load_vectors`` opens them only when
trusted, and this module says so before loading."""

from __future__ import annotations

import os
import shutil
import struct
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from embedstudio.core.errors import VectorFileError
from embedstudio.core.jobs import CancelToken, Reporter
from embedstudio.core.vectors.formats import (
    open_vector_file,
)
from embedstudio.core.vectors.parsed import Parsed


@contextmanager
def loadable_path(
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


GENSIM_READ_ERRORS = (
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


def read_gensim(
    path: Path, compression: str | None, limit: int | None, reporter: Reporter, cancel: CancelToken
) -> Parsed:
    from gensim.utils import SaveLoad

    # Said before loading, because loading is when a hostile pickle would act.
    trust = (
        f"{path.name} is a gensim model file, which is a Python pickle: it was opened because you said "
        "you trust it (opening it runs code it names); word2vec or GloVe files carry no code."
    )
    reporter.warning(trust)
    reporter.progress(0, None, f"Reading {path.name} (gensim model; no progress is available)")
    with loadable_path(path, compression, reporter) as loadable:
        try:
            # mmap only works on an uncompressed file whose arrays were saved separately; else it is ignored.
            obj = SaveLoad.load(str(loadable), mmap=None if compression else "r")
        except GENSIM_READ_ERRORS as err:
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
    parsed = parsed_from_keyed_vectors(kv, limit)
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


def parsed_from_keyed_vectors(kv: Any, limit: int | None) -> Parsed:
    words = [str(w) for w in kv.index_to_key]
    matrix = kv.vectors
    if limit is not None:
        words, matrix = words[:limit], matrix[:limit]
    if matrix.dtype != np.float32 or not matrix.flags.c_contiguous:
        matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    subwords = kv if getattr(kv, "bucket", 0) and hasattr(kv, "vectors_ngrams") else None
    return Parsed(words=words, matrix=matrix, subword_model=subwords)
