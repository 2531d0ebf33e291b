"""scikit-learn's ``train_test_split`` (stratified, else plain) on row numbers kept in files, for the rows of a
chunked read (``datasets.chunked``, streamed training): the same rows in the same order as
``train_test_split(rows, test_size=n, stratify=codes, random_state=seed)``, without its per-row Python lists.

``StratifiedShuffleSplit`` draws, from one ``RandomState(seed)``: the tie-breaks of the per-class counts
(``_approximate_mode``, on the class counts only), one permutation of each class's rows (the rows of a class
in their order in the input), then one permutation of the training part and one of the test part. A
permutation's draws do not depend on the values or their dtype, so the same calls are made here on int32
row numbers (int64 beyond 2**31 rows), one class at a time, the parts going to files. In memory at a time:
one class's rows with its permutation (8 bytes a row of that class), then the training part alone
(4 bytes a row), then its label codes (1 byte a row up to 256 labels). The plain split (when stratifying
fails, as scikit-learn's does for a class of one row) permutes all the rows in memory, as scikit-learn does.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

_BLOCK = 1 << 16  # values read or written at a time
_GROUP = 256  # classes gathered per pass over a list (one open file each)


def row_dtype(rows: int) -> np.dtype:
    return np.dtype(np.int32 if rows < 2**31 else np.int64)


def code_dtype(labels: int) -> np.dtype:
    return np.dtype(np.uint8 if labels <= 256 else np.uint16 if labels <= 65536 else np.int32)


@dataclass
class RowList:
    """Row numbers and their label codes, in order, in two flat files."""

    rows_path: Path
    codes_path: Path
    length: int
    rows_dtype: np.dtype
    codes_dtype: np.dtype

    def __len__(self) -> int:
        return self.length

    def blocks(self, block: int | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        block = block or _BLOCK
        with open(self.rows_path, "rb", buffering=0) as rows, open(self.codes_path, "rb", buffering=0) as codes:
            while True:
                r = np.frombuffer(rows.read(block * self.rows_dtype.itemsize), dtype=self.rows_dtype)
                c = np.frombuffer(codes.read(block * self.codes_dtype.itemsize), dtype=self.codes_dtype)
                if not len(r):
                    return
                yield r, c

    def load(self) -> tuple[np.ndarray, np.ndarray]:
        return np.fromfile(self.rows_path, dtype=self.rows_dtype), np.fromfile(self.codes_path, dtype=self.codes_dtype)

    def counts(self, labels: int) -> np.ndarray:
        out = np.zeros(labels, dtype=np.int64)
        for _rows, codes in self.blocks():
            out += np.bincount(codes, minlength=labels)
        return out

    def remove(self) -> None:
        for path in (self.rows_path, self.codes_path):
            path.unlink(missing_ok=True)


class _Writer:
    def __init__(self, path: Path, rows_dtype: np.dtype, codes_dtype: np.dtype) -> None:
        self.path, self.rows_dtype, self.codes_dtype = path, rows_dtype, codes_dtype
        self.rows = open(path.with_suffix(".rows"), "wb")  # noqa: SIM115 - closed by close()
        self.codes = open(path.with_suffix(".codes"), "wb")  # noqa: SIM115
        self.length = 0

    def write(self, rows: np.ndarray, codes: np.ndarray) -> None:
        self.rows.write(np.ascontiguousarray(rows, dtype=self.rows_dtype).tobytes())
        self.codes.write(np.ascontiguousarray(codes, dtype=self.codes_dtype).tobytes())
        self.length += len(rows)

    def close(self) -> RowList:
        self.rows.close()
        self.codes.close()
        rows, codes = self.path.with_suffix(".rows"), self.path.with_suffix(".codes")
        return RowList(rows, codes, self.length, self.rows_dtype, self.codes_dtype)


def all_rows(codes: Iterator[np.ndarray], rows: int, labels: int, path: Path) -> RowList:
    """The list ``0..rows-1`` with the label code of each row (``codes``: consecutive blocks of codes)."""
    out = _Writer(path, row_dtype(rows), code_dtype(labels))
    first = 0
    for block in codes:
        out.write(np.arange(first, first + len(block)), block)
        first += len(block)
    return out.close()


def split(source: RowList, n_take: int, seed: int, labels: int, path: Path) -> tuple[RowList, RowList]:
    """``(kept, taken)`` as ``train_test_split(source rows, test_size=n_take, stratify=codes,
    random_state=seed)`` gives them (``ValueError`` where it cannot stratify, with its message)."""
    counts = source.counts(labels)
    present = np.flatnonzero(counts)  # np.unique's classes: the codes that occur, ascending
    class_counts = counts[present]
    n_test = n_take
    n_train = len(source) - n_test
    if np.min(class_counts) < 2:
        too_few = present[class_counts < 2].tolist()
        raise ValueError(
            "The least populated classes in y have only 1 member, which is too few. The minimum number of groups "
            f"for any class cannot be less than 2. Classes with too few members are: {too_few}"
        )
    if n_train < len(present):
        raise ValueError(
            f"The train_size = {n_train} should be greater or equal to the number of classes = {len(present)}"
        )
    if n_test < len(present):
        raise ValueError(
            f"The test_size = {n_test} should be greater or equal to the number of classes = {len(present)}"
        )
    approximate_mode = _approximate_mode()
    rng = np.random.RandomState(seed)
    n_i = approximate_mode(class_counts, n_train, rng)
    t_i = approximate_mode(class_counts - n_i, n_test, rng)
    train = _Writer(path.with_name(path.name + "-kept"), source.rows_dtype, source.codes_dtype)
    test = _Writer(path.with_name(path.name + "-taken"), source.rows_dtype, source.codes_dtype)
    try:
        for i, rows in _by_class(source, present, path):
            permutation = np.arange(len(rows), dtype=row_dtype(len(rows)))
            rng.shuffle(permutation)  # the draws of rng.permutation(class_counts[i])
            code = np.full(1, present[i], dtype=source.codes_dtype)
            for out, start, stop in ((train, 0, n_i[i]), (test, n_i[i], n_i[i] + t_i[i])):
                for a in range(int(start), int(stop), _BLOCK):  # class_indices[i].take(permutation), a block at a time
                    b = min(a + _BLOCK, int(stop))
                    out.write(rows.take(permutation[a:b]), np.broadcast_to(code, (b - a,)))
            del permutation
    finally:
        parts = train.close(), test.close()
    return _shuffled(parts[0], rng), _shuffled(parts[1], rng)


def plain_split(source: RowList, n_take: int, seed: int, path: Path) -> tuple[RowList, RowList]:
    """``(kept, taken)`` as ``train_test_split(source rows, test_size=n_take, random_state=seed)``."""
    rows, codes = source.load()
    permutation = np.arange(len(rows), dtype=row_dtype(len(rows)))
    np.random.RandomState(seed).shuffle(permutation)
    n_train = len(rows) - n_take
    out = []
    for name, part in (("-kept", permutation[n_take : n_take + n_train]), ("-taken", permutation[:n_take])):
        writer = _Writer(path.with_name(path.name + name), source.rows_dtype, source.codes_dtype)
        writer.write(rows[part], codes[part])
        out.append(writer.close())
    return out[0], out[1]


def _approximate_mode() -> Any:
    try:
        from sklearn.utils.extmath import _approximate_mode
    except ImportError:  # scikit-learn < 1.5
        from sklearn.utils import _approximate_mode  # type: ignore[attr-defined,no-redef,unused-ignore]
    return _approximate_mode


def _by_class(source: RowList, present: np.ndarray, path: Path) -> Iterator[tuple[int, np.ndarray]]:
    """``(i, rows of class present[i] in the list's order)`` for each class, ascending: one pass over the list
    per :data:`_GROUP` classes writes each class's rows to its own file."""
    for first in range(0, len(present), _GROUP):
        group = present[first : first + _GROUP]
        names = [path.with_name(f"{path.name}-class{j}.rows") for j in range(len(group))]
        outs = [open(name, "wb") for name in names]  # noqa: SIM115 - closed below
        slot = np.full(int(present.max()) + 1, -1, dtype=np.int64)
        slot[group] = np.arange(len(group))
        try:
            for rows, codes in source.blocks():
                where = slot[codes]
                order = np.argsort(where, kind="stable")
                bounds = np.searchsorted(where[order], np.arange(len(group) + 1))
                for j in range(len(group)):
                    if bounds[j + 1] > bounds[j]:
                        outs[j].write(rows[order[bounds[j] : bounds[j + 1]]].tobytes())
        finally:
            for out in outs:
                out.close()
        for j, name in enumerate(names):
            rows = np.fromfile(name, dtype=source.rows_dtype)
            os.unlink(name)
            yield first + j, rows


def _shuffled(part: RowList, rng: np.random.RandomState) -> RowList:
    """``rng.permutation(part)`` applied to the rows and to their codes alike (the draws of one permutation,
    replayed), the files rewritten in the new order."""
    before = rng.get_state()
    rows = np.fromfile(part.rows_path, dtype=part.rows_dtype)
    rng.shuffle(rows)
    rows.tofile(part.rows_path)
    del rows
    after = rng.get_state()
    rng.set_state(before)
    codes = np.fromfile(part.codes_path, dtype=part.codes_dtype)
    rng.shuffle(codes)
    codes.tofile(part.codes_path)
    rng.set_state(after)
    return part
