"""Streamed training (``data.streaming``): the rows, the token ids and the batches stay on disk, so the
memory of a run does not grow with the rows.

How a streamed run reads its data (all of it under ``<run>/.tokens/``, deleted when the run ends):

1. **Reading**: a CSV/TSV file is read in chunks (``datasets.chunked``): each chunk is parsed, cleaned and
   appended to a text store on disk; per row only 24 bytes stay in memory (label code, text offsets, line
   number). Other formats, or ``max_rows``/``exclude``/separate test or validation files, are read by the
   in-memory reader, and only the token ids are streamed (:func:`chunked_reason` says so in the log).
2. **Split**: scikit-learn's stratified ``train_test_split`` on the row numbers and label codes (NumPy
   arrays, 8 bytes a row): the same rows as the in-memory split of the same rows and seed.
3. **Vocabulary**: ``TextVectorization.adapt`` over the training texts, read from the store in chunks
   (streaming counts: Keras keeps one count per distinct token, never the texts). Its memory grows with
   the distinct words, not the rows, and the vocabulary is exactly the in-memory one (ties in count are
   broken by the token itself, so the order of the texts does not matter).
4. **Token ids**: each split is tokenised chunk by chunk and written with plain file writes into an int32
   ``.npy`` file; ``fit``, validation and the test predictions read it back through ``tf.data``, one
   ``os.pread`` per batch (no memory map: a mapped file's pages would count as resident memory for as long
   as the kernel leaves them mapped).
5. **Evaluation**: the test predictions are one row of probabilities per test text (classes × 4 bytes);
   the misclassified list reads only the texts it shows. The TF-IDF + LinearSVC comparison trains on a
   seeded sample of at most :data:`BASELINE_ROWS` training rows and is scored against the network on a
   sample of at most :data:`BASELINE_ROWS` test rows (all rows when there are fewer: then it is the
   in-memory comparison exactly); the report says so. The phrase-containment check of the split is
   skipped (it joins every training text).

What grows with the rows: the per-row arrays above (label codes, text offsets, line numbers, split indices:
about 40 bytes a row kept; about 85 bytes a row at the peak of the read and scikit-learn's split, measured
by ``benchmarks/bench_streaming.py`` from 500k to 2M rows) and the test probabilities. ``"auto"`` streams
when the training split's int32 arrays would take more than :data:`AUTO_BYTES` (or, read in chunks, when the
file is larger than that). A TF-IDF path (the ``wide_deep`` recipe) needs a sparse n-gram matrix per batch,
which is not streamed: ``"on"`` refuses such a model, ``"auto"`` keeps it in memory.

Batches are contiguous rows of the (already shuffled) split, and their order is shuffled every epoch, so a
read is one sequential slice of the file.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ConfigError
from .jobs import CancelToken, Reporter, ThrottledProgress, ensure_cancel, ensure_reporter

AUTO_BYTES = 512 << 20  # the training split's int32 token arrays above this are streamed under "auto"
TOKENS_DIR = ".tokens"
_CHUNK = 2048  # texts tokenised per vectorizer call


def wanted(inputs: Any) -> bool:
    """Whether this run streams its token arrays (``inputs``: a ModelInputs, not yet tokenised)."""
    cfg = inputs.cfg
    mode = cfg.data.streaming
    if mode == "off":
        return False
    if inputs.wide is not None:
        if mode == "on":
            raise ConfigError(
                "data.streaming is 'on', but this model has a TF-IDF path (the wide_deep recipe), which "
                "cannot be streamed; set data.streaming = 'auto' or 'off', or choose another model.recipe."
            )
        return False
    if mode == "on" or isinstance(inputs.splits.train, StreamedTable):
        return True
    rows = len(inputs.splits.train.texts)
    return rows * int(cfg.text.sequence_length) * 4 > AUTO_BYTES


def chunked_reason(cfg: Any) -> str:
    """'' when this run reads its dataset in chunks (streamed from the start), else why it does not."""
    from .datasets.chunked import supports

    mode = cfg.data.streaming
    if mode == "off":
        return "data.streaming is off"
    if cfg.model.preset == "auto" or presets_wide(cfg):
        return "the model has a TF-IDF path"
    why = supports(cfg.data)
    if why or mode == "on":
        return why
    return "" if data_path_size(cfg) > AUTO_BYTES else "the file is small"


def presets_wide(cfg: Any) -> bool:
    from .models import is_wide

    return bool(is_wide(cfg))


def data_path_size(cfg: Any) -> int:
    from .config import data_path

    return data_path(cfg.data.path).stat().st_size


class TextView:
    """The texts of one split, in split order, read from the run's text store on demand (a Sequence)."""

    def __init__(self, store: Any, rows: np.ndarray) -> None:
        self.store, self.rows = store, rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            return [self.store.text(int(r)) for r in self.rows[key]]
        return self.store.text(int(self.rows[key]))

    def __iter__(self) -> Any:
        for start in range(0, len(self.rows), _CHUNK):
            yield from self[start : start + _CHUNK]


class _Mapped:
    """A read-only Sequence ``fn(row)`` over the rows of a split."""

    def __init__(self, rows: np.ndarray, fn: Any) -> None:
        self.rows, self.fn = rows, fn

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            return [self.fn(int(r)) for r in self.rows[key]]
        return self.fn(int(self.rows[key]))

    def __iter__(self) -> Any:
        return (self.fn(int(r)) for r in self.rows)


class StreamedTable:
    """A split of a chunked read: ``texts``, ``labels`` and ``sources`` are views (see :class:`TextView`);
    ``codes`` holds the label of each row as an index into ``store.labels``."""

    def __init__(self, store: Any, rows: np.ndarray) -> None:
        self.store, self.row_ids = store, rows
        self.texts = TextView(store, rows)
        self.labels = _Mapped(rows, store.label)
        self.sources = _Mapped(rows, store.source)

    def __len__(self) -> int:
        return len(self.row_ids)

    def class_ids(self, classes: list[str]) -> np.ndarray:
        """int64 index into ``classes`` of every row's label (-1 for a label not in ``classes``)."""
        index = {c: i for i, c in enumerate(classes)}
        lookup = np.array([index.get(label, -1) for label in self.store.labels] or [-1], dtype=np.int64)
        return lookup[self.store.codes[self.row_ids]]

    def materialise(self, rows: np.ndarray) -> Any:
        from .datasets.types import TextTable

        return TextTable(
            [self.store.text(int(r)) for r in rows],
            [self.store.label(int(r)) for r in rows],
            [self.store.source(int(r)) for r in rows],
        )


class TextStore:
    """``texts.bin`` and the per-row arrays of a ``datasets.chunked`` read."""

    def __init__(self, table: Any) -> None:
        self.table = table
        self.spans, self.codes, self.labels = table.spans, table.codes, table.labels
        self.fd = os.open(table.folder / "texts.bin", os.O_RDONLY)

    def text(self, row: int) -> str:
        start, end = self.spans[row]
        return os.pread(self.fd, int(end - start), int(start)).decode("utf-8")

    def label(self, row: int) -> str:
        return self.labels[int(self.codes[row])]

    def source(self, row: int) -> str:
        return f"{self.table.path}:{int(self.table.lines[row])}"

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


def streamed_splits(
    cfg: Any, run_dir: Path, *, reporter: Reporter | None = None, cancel: CancelToken | None = None
) -> Any:
    """Read ``cfg.data`` in chunks into the run's cache and split it as ``make_splits`` would, without
    holding the texts: a ``datasets.Splits`` of :class:`StreamedTable`."""
    from .datasets.chunked import read_chunked
    from .datasets.types import Splits
    from .model_inputs import _split_seed

    reporter = ensure_reporter(reporter)
    table = read_chunked(cfg.data, Path(run_dir) / TOKENS_DIR, reporter=reporter, cancel=cancel)
    for line in table.notices:
        reporter.info(line)
    for line in table.warnings:
        reporter.warning(line)
    store = TextStore(table)
    n = len(table)
    seed = _split_seed(cfg)
    warnings: list[str] = []
    indices = np.arange(n, dtype=np.int64)
    rest, test = _split(indices, table.codes, _count(cfg.data.test_fraction, n), seed, "test", warnings)
    train, validation = _split(rest, table.codes, _count(cfg.data.validation_fraction, n), seed, "validation", warnings)
    splits = Splits(
        train=StreamedTable(store, train),  # type: ignore[arg-type]
        validation=StreamedTable(store, validation),  # type: ignore[arg-type]
        test=StreamedTable(store, test),  # type: ignore[arg-type]
        classes=list(table.classes),
        warnings=warnings,
    )
    for name, part in (("training", train), ("validation", validation), ("test", test)):
        present = set(np.unique(table.codes[part]).tolist()) if len(part) else None
        if present is not None and len(present) < len(table.labels):
            missing = [label for i, label in enumerate(table.labels) if i not in present]
            warnings.append(f"The {name} set has no examples of {len(missing)} class(es) ({', '.join(missing[:5])}).")
    for message in warnings:
        reporter.warning(message)
    return splits


def _count(fraction: float, n: int) -> int:
    return int(round(fraction * n)) if fraction > 0 else 0


def _split(
    indices: np.ndarray, codes: np.ndarray, n_take: int, seed: int, name: str, warnings: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """``datasets.splits._split`` on NumPy arrays (the same rows: scikit-learn orders the classes the same)."""
    if n_take <= 0 or len(indices) < 2:
        return indices, indices[:0]
    n_take = max(1, min(n_take, len(indices) - 1))
    from sklearn.model_selection import train_test_split

    y = codes[indices]
    try:
        kept, taken = train_test_split(indices, test_size=n_take, stratify=y, random_state=seed)
    except ValueError as exc:
        warnings.append(
            f"The {name} split could not be stratified ({exc}), so it is a plain random split: class shares "
            "may differ between the parts."
        )
        kept, taken = train_test_split(indices, test_size=n_take, random_state=seed)
    return np.asarray(kept, dtype=np.int64), np.asarray(taken, dtype=np.int64)


def tokenise_splits(
    inputs: Any, run_dir: Path, *, reporter: Reporter | None = None, cancel: CancelToken | None = None
) -> None:
    """Fill ``inputs.data`` with (token ids on disk, int64 labels) for train, validation, test."""
    folder = Path(run_dir) / TOKENS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    index = {c: i for i, c in enumerate(inputs.classes)}
    for name in ("train", "validation", "test"):
        table = getattr(inputs.splits, name)
        x = tokenise_to_file(
            inputs.vectorizer,
            table.texts,
            folder / f"{name}.npy",
            reporter=reporter,
            cancel=cancel,
            message=f"Tokenising the {name} texts to disk",
        )
        if isinstance(table, StreamedTable):
            y = table.class_ids(list(inputs.classes))
        else:
            y = np.asarray([index.get(str(label), -1) for label in table.labels], dtype="int64")
        inputs.data[name] = (x, y)


class TokenFile:
    """An int32 ``.npy`` of token ids on disk, read a slice at a time with ``os.pread``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        with open(self.path, "rb") as fh:
            major, _minor = np.lib.format.read_magic(fh)
            read_header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
            shape, _fortran, dtype = read_header(fh)
            self.offset = fh.tell()
        self.shape = tuple(int(d) for d in shape)
        self.dtype = np.dtype(dtype)
        self.row_bytes = self.shape[1] * self.dtype.itemsize
        self.fd = os.open(self.path, os.O_RDONLY)

    def __len__(self) -> int:
        return self.shape[0]

    @property
    def flags(self) -> Any:
        """Read-only, like a NumPy array's flags: the file is only ever read."""
        view = np.empty(0, dtype=self.dtype)
        view.flags.writeable = False
        return view.flags

    def read(self, start: int, stop: int) -> np.ndarray:
        stop = min(stop, self.shape[0])
        data = os.pread(self.fd, (stop - start) * self.row_bytes, self.offset + start * self.row_bytes)
        return np.frombuffer(data, dtype=self.dtype).reshape(stop - start, self.shape[1])

    def __getitem__(self, key: Any) -> np.ndarray:
        if isinstance(key, slice) and key.step in (None, 1):
            start, stop, _ = key.indices(self.shape[0])
            return self.read(start, stop)
        return np.load(self.path, mmap_mode="r")[key]

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self.read(0, self.shape[0])
        return out if dtype is None else out.astype(dtype)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


def tokenise_to_file(
    vectorizer: Any,
    texts: Any,
    path: Path,
    *,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
    message: str = "Tokenising",
) -> TokenFile:
    """Token ids of ``texts`` written chunk by chunk (plain writes, nothing mapped) into an int32 ``.npy``
    at ``path``, atomically; returned as a :class:`TokenFile`."""
    import tensorflow as tf

    reporter = ensure_reporter(reporter)
    cancel = ensure_cancel(cancel)
    length = int(vectorizer.get_config()["output_sequence_length"])
    rows = len(texts)
    progress = ThrottledProgress(reporter, rows, message, cancel=cancel)
    part = path.with_name(path.name + ".part")
    with open(part, "wb") as fh:
        header = {
            "descr": np.lib.format.dtype_to_descr(np.dtype(np.int32)),
            "fortran_order": False,
            "shape": (rows, length),
        }
        np.lib.format.write_array_header_1_0(fh, header)
        for start in range(0, rows, _CHUNK):
            progress(start)
            chunk = list(texts[start : start + _CHUNK])
            ids = np.asarray(vectorizer(tf.constant(chunk, dtype=tf.string)), dtype=np.int32)
            fh.write(np.ascontiguousarray(ids).tobytes())
        progress(rows)
    os.replace(part, path)
    return TokenFile(path)


def is_streamed(x: Any) -> bool:
    return isinstance(x, TokenFile)


def dataset(x: Any, y: np.ndarray | None, batch_size: int, *, shuffle: bool, seed: int = 0) -> Any:
    """A ``tf.data.Dataset`` of (ids, labels) batches (ids only when ``y`` is None) read from ``x``."""
    import tensorflow as tf

    rows, length = int(x.shape[0]), int(x.shape[1])
    batches = max(1, math.ceil(rows / batch_size))
    order = tf.data.Dataset.range(batches)
    if shuffle:
        order = order.shuffle(batches, seed=seed, reshuffle_each_iteration=True)

    def read(i: Any) -> Any:
        start = int(i) * batch_size
        ids = x.read(start, start + batch_size)
        return ids if y is None else (ids, y[start : start + batch_size])

    if y is None:
        batches_ds = order.map(lambda i: tf.numpy_function(read, [i], tf.int32, stateful=False))
        batches_ds = batches_ds.map(lambda ids: tf.ensure_shape(ids, [None, length]))
    else:
        batches_ds = order.map(lambda i: tf.numpy_function(read, [i], (tf.int32, tf.int64), stateful=False))
        batches_ds = batches_ds.map(
            lambda ids, labels: (tf.ensure_shape(ids, [None, length]), tf.ensure_shape(labels, [None]))
        )
    return batches_ds.prefetch(2)


def predict(model: Any, x: Any, batch_size: int) -> np.ndarray:
    """``model.predict`` over token ids on disk, batch by batch."""
    return model.predict(dataset(x, None, batch_size, shuffle=False), verbose=0)


def misclassified(test: Any, proba: np.ndarray, classes: list[str], limit: int) -> list[dict]:
    """``evaluation.misclassified`` reading only the texts it lists (the ``limit`` most confident errors)."""
    from .evaluation import misclassified as listed

    y = test.class_ids(list(classes))
    predicted = proba.argmax(axis=1) if len(proba) else np.zeros(0, dtype=int)
    wrong = np.flatnonzero(predicted != y)
    confidence = proba[wrong, predicted[wrong]] if len(wrong) else np.zeros(0)
    top = np.sort(wrong[np.argsort(-confidence.astype(np.float64), kind="stable")[:limit]])
    sub = test.materialise(test.row_ids[top])
    return listed(sub.texts, sub.labels, proba[top], classes, sub.sources, limit=limit)


BASELINE_ROWS = 100_000  # rows of each split the streamed TF-IDF comparison reads (a seeded sample beyond)


def baseline_sample(splits: Any, seed: int) -> tuple[Any, np.ndarray | None]:
    """An in-memory ``Splits`` of at most ``BASELINE_ROWS`` rows per split (seeded, in split order) for the
    TF-IDF comparison, and the positions of the sampled test rows (None: all of them)."""
    from .datasets.types import Splits

    rng = np.random.default_rng(seed)
    picked: dict[str, Any] = {}
    test_positions = None
    for name in ("train", "validation", "test"):
        table = getattr(splits, name)
        n = len(table)
        positions = np.arange(n) if n <= BASELINE_ROWS else np.sort(rng.choice(n, BASELINE_ROWS, replace=False))
        if name == "test" and n > BASELINE_ROWS:
            test_positions = positions
        picked[name] = table.materialise(table.row_ids[positions])
    return Splits(picked["train"], picked["validation"], picked["test"], list(splits.classes)), test_positions


def remove(run_dir: Path, inputs: Any = None) -> None:
    """Close the run's open token and text files, and delete them."""
    if inputs is not None:
        for x, _y in getattr(inputs, "data", {}).values():
            if isinstance(x, TokenFile):
                x.close()
        train = getattr(getattr(inputs, "splits", None), "train", None)
        if isinstance(train, StreamedTable):
            train.store.close()
    shutil.rmtree(Path(run_dir) / TOKENS_DIR, ignore_errors=True)
