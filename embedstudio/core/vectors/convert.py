"""Writing vectors in another format: word2vec binary (fast to load), word2vec/GloVe text, gensim.

Text output writes each float32 with the shortest digits that read back to the same float32, so
binary -> text -> binary gives back identical numbers. Every output is written to a temporary file
beside the target and renamed into place, so a cancelled or failed conversion leaves no half file.
``.gz`` and ``.bz2`` targets are compressed on the fly.
"""

from __future__ import annotations

import bz2
import gzip
import io
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import numpy as np

from embedstudio.core.errors import ConfigError, UserError
from embedstudio.core.fileio import atomic_output as fileio_atomic_output
from embedstudio.core.jobs import CancelToken, Reporter, ThrottledProgress, ensure_cancel, ensure_reporter
from embedstudio.core.vectors.formats import FORMAT_LABELS
from embedstudio.core.vectors.wordvectors import VectorInfo, WordVectors

OUTPUT_FORMATS = ("word2vec_binary", "word2vec_text", "glove", "gensim")
_ROWS_PER_BLOCK = 4096
_UNWRITABLE_WORD = re.compile(r"\s")
MAX_LISTED = 5


def convert_vectors(
    src: str | os.PathLike,
    dst: str | os.PathLike,
    *,
    out_format: str = "word2vec_binary",
    limit: int | None = None,
    in_format: str = "auto",
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
    trust_pickle: bool = False,
) -> VectorInfo:
    """Read ``src`` (any format, first ``limit`` words) and write it to ``dst`` as ``out_format``.

    Returns the VectorInfo of the written file. fastText subword n-grams cannot be carried over: only
    the listed words' vectors are written (a warning says so).
    """
    from embedstudio.core.vectors.readers import load_vectors

    reporter = ensure_reporter(reporter)
    cancel = ensure_cancel(cancel)
    _check_output_format(out_format)
    dst = Path(dst)
    vectors = load_vectors(
        src, format=in_format, limit=limit, reporter=reporter, cancel=cancel, trust_pickle=trust_pickle
    )
    if dst.resolve() == Path(vectors.path).resolve():
        raise UserError(f"{dst.name}: the output would overwrite the file being converted; choose another name.")
    compression = _output_compression(dst, out_format)
    warnings = [_subwords_dropped(vectors, dst)] if vectors.has_subwords else []
    words, matrix = _writable(vectors.words, vectors.matrix, out_format, warnings)
    for message in warnings:
        reporter.warning(message)
    _write_converted(dst, words, matrix, out_format, compression, reporter, cancel)
    reporter.info(f"Wrote {dst.name}: {len(words):,} words × {matrix.shape[1]} ({FORMAT_LABELS[out_format]}).")
    return VectorInfo(
        path=str(dst),
        format=out_format,
        vocab_size=len(words),
        dim=int(matrix.shape[1]),
        duplicates=0,
        duplicate_examples=[],
        header_count=len(words) if out_format in ("word2vec_binary", "word2vec_text") else None,
        has_subwords=False,
        compression=compression,
        file_size=dst.stat().st_size,
        warnings=warnings,
    )


def _check_output_format(out_format: str) -> None:
    if out_format not in OUTPUT_FORMATS:
        raise ConfigError(
            f"Cannot write vectors as {out_format!r}; choose one of {', '.join(OUTPUT_FORMATS)}."
            + (" A fastText .bin needs the original training run." if out_format == "fasttext_bin" else "")
        )


def _subwords_dropped(vectors: WordVectors, dst: Path) -> str:
    return (
        f"{vectors.name}: its subword n-grams are not written; {dst.name} holds only the "
        f"{len(vectors):,} listed words and cannot build vectors for other words."
    )


def _write_converted(
    dst: Path,
    words: Sequence[str],
    matrix: np.ndarray,
    out_format: str,
    compression: str | None,
    reporter: Reporter,
    cancel: CancelToken,
) -> None:
    """Write ``dst`` atomically, with progress; a cancelled or failed write leaves any old ``dst`` as it was."""
    progress = ThrottledProgress(reporter, len(words), f"Writing {dst.name}", cancel=cancel)
    try:
        if out_format == "gensim":
            cancel.raise_if_cancelled()
            write_gensim(dst, words, matrix)
        else:
            with atomic_output(dst, compression) as fh:
                write_vectors(fh, words, matrix, out_format, progress=progress)
                cancel.raise_if_cancelled()  # inside the block: a cancelled write never replaces dst
    except OSError as err:
        raise UserError(
            f"{dst}: cannot write the converted vectors ({err.strerror or err}).",
            hint="Check that the folder exists, that you may write to it, and that the disk has room.",
        ) from err
    reporter.progress(len(words), len(words), f"Writing {dst.name}")


def _output_compression(dst: Path, out_format: str) -> str | None:
    compression = {".gz": "gzip", ".bz2": "bz2"}.get(dst.suffix.lower())
    if dst.suffix.lower() in (".zip", ".xz"):
        raise UserError(f"{dst.name}: EmbedStudio writes plain, .gz or .bz2 vector files, not {dst.suffix}.")
    if compression and out_format == "gensim":
        raise UserError(
            f"{dst.name}: a gensim file is written uncompressed, so that it can be memory-mapped; "
            "drop the compression suffix."
        )
    return compression


def _writable(
    words: Sequence[str], matrix: np.ndarray, out_format: str, warnings: list[str]
) -> tuple[Sequence[str], np.ndarray]:
    """Words a line- or space-delimited format can hold (no whitespace inside, not empty)."""
    if out_format == "gensim":
        return words, matrix
    bad = [i for i, w in enumerate(words) if not w or _UNWRITABLE_WORD.search(w)]
    if not bad:
        return words, matrix
    examples = ", ".join(repr(words[i]) for i in bad[:MAX_LISTED])
    warnings.append(
        f"{len(bad)} words are empty or contain spaces, which {FORMAT_LABELS[out_format]} cannot "
        f"store; they were left out (for example {examples})."
    )
    keep = np.setdiff1d(np.arange(len(words)), np.asarray(bad, dtype=np.int64))
    return [words[i] for i in keep], np.ascontiguousarray(matrix[keep])


# ---- writers ------------------------------------------------------------------------------
@contextmanager
def atomic_output(dst: Path, compression: str | None = None) -> Iterator[BinaryIO | io.BufferedIOBase]:
    """A binary file handle whose content replaces ``dst`` only when the block ends without error."""
    with fileio_atomic_output(dst) as raw:
        if compression == "gzip":
            with gzip.GzipFile(filename=dst.name.removesuffix(".gz"), fileobj=raw, mode="wb", compresslevel=6) as fh:
                yield fh
        elif compression == "bz2":
            with bz2.BZ2File(raw, "wb") as fh:
                yield fh
        else:
            yield raw


def write_vectors(
    fh: BinaryIO | io.BufferedIOBase,
    words: Sequence[str],
    matrix: np.ndarray,
    out_format: str,
    *,
    progress: ThrottledProgress | None = None,
) -> None:
    """Write ``words``/``matrix`` to an open binary handle as word2vec binary, word2vec text or GloVe."""
    n, dim = matrix.shape
    if out_format in ("word2vec_binary", "word2vec_text"):
        fh.write(f"{n} {dim}\n".encode("ascii"))
    for start in range(0, n, _ROWS_PER_BLOCK):
        block = np.asarray(matrix[start : start + _ROWS_PER_BLOCK], dtype="<f4")
        block_words = words[start : start + _ROWS_PER_BLOCK]
        if out_format == "word2vec_binary":
            fh.write(b"".join(w.encode("utf-8") + b" " + row.tobytes() + b"\n" for w, row in zip(block_words, block)))
        else:
            # numpy's float32 -> str gives the shortest text that reads back to the same float32.
            texts = block.astype(str).tolist()
            fh.write("".join(w + " " + " ".join(row) + "\n" for w, row in zip(block_words, texts)).encode("utf-8"))
        if progress is not None:
            progress(start + len(block))


def write_gensim(dst: Path, words: Sequence[str], matrix: np.ndarray) -> None:
    """Save as gensim KeyedVectors with the matrix in a separate ``.vectors.npy``, so it loads memory-mapped."""
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vector_size=int(matrix.shape[1]), count=0, dtype=np.float32)
    kv.add_vectors(list(words), np.asarray(matrix, dtype=np.float32))
    dst.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dst.name}.", dir=dst.parent))
    try:
        kv.save(str(staging / dst.name), separately=["vectors"])
        # Side files first: the main file appears last, so a reader never finds it without its arrays.
        parts = sorted(staging.iterdir(), key=lambda p: p.name == dst.name)
        for part in parts:
            os.replace(part, dst.parent / part.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
