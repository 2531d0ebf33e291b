"""Streamed training (``data.streaming``): the rows, the token ids and the batches stay on disk, so the
memory of a run does not grow with the rows.

How a streamed run reads its data (all of it under ``<run>/.tokens/``, deleted when the run ends):

1. **Reading**: a CSV/TSV file is read in chunks (``datasets.chunked``): each chunk is parsed, cleaned and
   appended to a text store on disk, and its per-row numbers to files beside it; duplicates are found by
   hash partitions on disk, and every kept row becomes one 24-byte record (text offsets, label code, line)
   in ``records.bin``. Other formats, or ``max_rows``/``exclude``/separate test or validation files, are read
   by the in-memory reader, and only the token ids are streamed (:func:`chunked_reason` says so in the log).
2. **Split**: scikit-learn's stratified ``train_test_split``, replayed on row-number files with the same
   random draws (``datasets.disk_split``): the same rows in the same order as the in-memory split of the
   same rows and seed. Each split's records are then written in split order (``train.records`` ...), so a
   batch's labels and a chunk's text offsets are one contiguous read.
3. **Vocabulary**: ``TextVectorization.adapt`` over the training texts, read from the store in chunks
   (streaming counts: Keras keeps one count per distinct token, never the texts). Its memory grows with
   the distinct words, not the rows, and the vocabulary is exactly the in-memory one (ties in count are
   broken by the token itself, so the order of the texts does not matter).
4. **Token ids**: each split is tokenised chunk by chunk and written with plain file writes into an int32
   ``.npy`` file; ``fit`` and validation read it back through ``tf.data``, one ``os.pread`` per batch for
   the ids and one for the labels (:class:`Labels`; no memory map: a mapped file's pages would count as
   resident memory for as long as the kernel leaves them mapped).
5. **Evaluation** (:func:`evaluate`): the test split is predicted batch by batch; the report is computed
   from the confusion matrix (the same figures as ``evaluate_predictions``), the misclassified list keeps
   the most confident errors as it goes and reads only their texts, and the probabilities go to a file.
   The TF-IDF + LinearSVC comparison trains on a seeded sample of at most :data:`BASELINE_ROWS` training
   rows and is scored against the network on a sample of at most :data:`BASELINE_ROWS` test rows (all rows
   when there are fewer: then it is the in-memory comparison exactly); the report says so. The
   phrase-containment check of the split is skipped (it joins every training text).

What grows with the rows: nothing kept for the run. While it is computed, the duplicate pass holds one bit a
row, and the split one class's row numbers with their permutation (8 bytes a row of that class), then the
training part's row numbers (4 bytes a row), as scikit-learn's permutation of them needs them all; the
TF-IDF comparison (when on) draws its sample with NumPy's ``choice``, which permutes an int64 index of the
split (8 bytes a row) for a moment below 5M rows (beyond, it uses Floyd's algorithm: 40 MB at most).
``"auto"`` streams when the training split's int32 arrays would take more than :data:`AUTO_BYTES` (or, read
in chunks, when the file is larger than that). A TF-IDF path (the ``wide_deep`` recipe) needs a sparse
n-gram matrix per batch, which is not streamed: ``"on"`` refuses such a model, ``"auto"`` keeps it in
memory.

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


_BLOCK = 1 << 16  # records read at a time when picking rows out of a file


class _Part:
    """One split of a chunked read: its rows' :data:`datasets.chunked.RECORD` in split order in a file,
    read a slice at a time with ``os.pread``."""

    def __init__(self, path: Path, length: int, counts: np.ndarray) -> None:
        from .datasets.chunked import RECORD

        self.path, self.length, self.counts = Path(path), length, counts
        self.itemsize = RECORD.itemsize
        self.fd = os.open(self.path, os.O_RDONLY)

    def records(self, start: int, stop: int) -> np.ndarray:
        from .datasets.chunked import read_records

        stop = min(max(stop, start), self.length)
        return read_records(self.fd, start, stop)

    def pick(self, positions: np.ndarray) -> np.ndarray:
        """The records at ``positions`` (ascending), read block by block."""
        return _pick(self.records, self.length, positions)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


def _pick(read: Any, length: int, positions: np.ndarray) -> np.ndarray:
    """``read(a, b)[...]`` at the ascending ``positions`` out of ``length``, reading only the blocks of
    :data:`_BLOCK` rows that hold some of them."""
    positions = np.asarray(positions, dtype=np.int64)
    out = []
    for start in np.unique(positions // _BLOCK) * _BLOCK:
        inside = positions[(positions >= start) & (positions < start + _BLOCK)]
        out.append(read(int(start), int(min(start + _BLOCK, length)))[inside - start])
    return np.concatenate(out) if out else read(0, 0)


class TextView:
    """The texts of one split, in split order, read from the run's text store on demand (a Sequence)."""

    def __init__(self, store: Any, part: _Part) -> None:
        self.store, self.part = store, part

    def __len__(self) -> int:
        return self.part.length

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            start, stop, step = key.indices(len(self))
            records = self.part.records(start, stop)[::step]
            return [self.store.read(int(r["start"]), int(r["end"])) for r in records]
        index = range(len(self))[key]
        record = self.part.records(index, index + 1)[0]
        return self.store.read(int(record["start"]), int(record["end"]))

    def __iter__(self) -> Any:
        for start in range(0, len(self), _CHUNK):
            yield from self[start : start + _CHUNK]


class _Mapped:
    """A read-only Sequence ``fn(record)`` over the rows of a split."""

    def __init__(self, part: _Part, fn: Any) -> None:
        self.part, self.fn = part, fn

    def __len__(self) -> int:
        return self.part.length

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            start, stop, step = key.indices(len(self))
            return [self.fn(r) for r in self.part.records(start, stop)[::step]]
        index = range(len(self))[key]
        return self.fn(self.part.records(index, index + 1)[0])

    def __iter__(self) -> Any:
        for start in range(0, len(self), _BLOCK):
            yield from (self.fn(r) for r in self.part.records(start, start + _BLOCK))


class Labels:
    """The class index of every row of a streamed split, read a slice at a time (``y`` of a streamed run):
    ``labels[a:b]`` is an int64 array; ``counts`` the rows of each class."""

    def __init__(self, part: _Part, lookup: np.ndarray, classes: int) -> None:
        self.part, self.lookup = part, lookup
        self.counts = np.zeros(classes, dtype=np.int64)
        known = lookup[: len(part.counts)] >= 0
        np.add.at(self.counts, lookup[: len(part.counts)][known], part.counts[known])

    def __len__(self) -> int:
        return self.part.length

    def __getitem__(self, key: Any) -> np.ndarray:
        if not (isinstance(key, slice) and key.step in (None, 1)):
            raise TypeError("a streamed split's labels are read by contiguous slices")
        start, stop, _ = key.indices(len(self))
        return self.lookup[self.part.records(start, stop)["code"]]


class StreamedTable:
    """A split of a chunked read: ``texts``, ``labels`` and ``sources`` are views (see :class:`TextView`) of
    its records on disk; ``counts`` holds the rows of each label (indices into ``store.labels``)."""

    def __init__(self, store: Any, part: _Part) -> None:
        self.store, self.part = store, part
        self.counts = part.counts
        self.texts = TextView(store, part)
        self.labels = _Mapped(part, store.label_of)
        self.sources = _Mapped(part, store.source_of)

    def __len__(self) -> int:
        return self.part.length

    def class_ids(self, classes: list[str]) -> Labels:
        """The index into ``classes`` of every row's label (-1 for a label not in ``classes``), on disk."""
        index = {c: i for i, c in enumerate(classes)}
        lookup = np.array([index.get(label, -1) for label in self.store.labels] or [-1], dtype=np.int64)
        return Labels(self.part, lookup, len(classes))

    def materialise(self, positions: np.ndarray) -> Any:
        """The rows at ``positions`` (ascending) of this split, in memory."""
        from .datasets.types import TextTable

        records = self.part.pick(positions)
        return TextTable(
            [self.store.read(int(r["start"]), int(r["end"])) for r in records],
            [self.store.label_of(r) for r in records],
            [self.store.source_of(r) for r in records],
        )

    def close(self) -> None:
        self.part.close()


class TextStore:
    """``texts.bin`` of a ``datasets.chunked`` read, and its labels."""

    def __init__(self, table: Any) -> None:
        self.table = table
        self.labels = table.labels
        self.fd = os.open(table.folder / "texts.bin", os.O_RDONLY)

    def read(self, start: int, end: int) -> str:
        return os.pread(self.fd, end - start, start).decode("utf-8")

    def label_of(self, record: Any) -> str:
        return self.labels[int(record["code"])]

    def source_of(self, record: Any) -> str:
        return f"{self.table.path}:{int(record['line'])}"

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


def streamed_splits(
    cfg: Any, run_dir: Path, *, reporter: Reporter | None = None, cancel: CancelToken | None = None
) -> Any:
    """Read ``cfg.data`` in chunks into the run's cache and split it as ``make_splits`` would, without
    holding the texts or the rows: a ``datasets.Splits`` of :class:`StreamedTable`."""
    from .datasets.chunked import read_chunked
    from .datasets.disk_split import all_rows
    from .datasets.types import Splits
    from .model_inputs import _split_seed

    reporter = ensure_reporter(reporter)
    folder = Path(run_dir) / TOKENS_DIR
    table = read_chunked(cfg.data, folder, reporter=reporter, cancel=cancel)
    for line in table.notices:
        reporter.info(line)
    for line in table.warnings:
        reporter.warning(line)
    ensure_cancel(cancel).raise_if_cancelled()
    store = TextStore(table)
    n = len(table)
    seed = _split_seed(cfg)
    warnings: list[str] = []
    labels = len(table.labels)
    source = all_rows(_record_codes(table), n, labels, folder / "split-all")
    rest, test = _split(source, _count(cfg.data.test_fraction, n), seed, "test", warnings, labels, folder)
    train, validation = _split(
        rest, _count(cfg.data.validation_fraction, n), seed, "validation", warnings, labels, folder
    )
    parts = {
        name: _write_part(table, rows, folder / f"{name}.records", labels)
        for name, rows in (("train", train), ("validation", validation), ("test", test))
    }
    splits = Splits(
        train=StreamedTable(store, parts["train"]),  # type: ignore[arg-type]
        validation=StreamedTable(store, parts["validation"]),  # type: ignore[arg-type]
        test=StreamedTable(store, parts["test"]),  # type: ignore[arg-type]
        classes=list(table.classes),
        warnings=warnings,
    )
    for name, key in (("training", "train"), ("validation", "validation"), ("test", "test")):
        part = parts[key]
        if part.length and np.count_nonzero(part.counts) < labels:
            missing = [label for i, label in enumerate(table.labels) if not part.counts[i]]
            warnings.append(f"The {name} set has no examples of {len(missing)} class(es) ({', '.join(missing[:5])}).")
    for message in warnings:
        reporter.warning(message)
    return splits


def _record_codes(table: Any) -> Any:
    from .datasets.chunked import read_records

    fd = os.open(table.records_path, os.O_RDONLY)
    try:
        for start in range(0, len(table), _BLOCK):
            yield read_records(fd, start, min(start + _BLOCK, len(table)))["code"]
    finally:
        os.close(fd)


def _write_part(table: Any, rows: Any, path: Path, labels: int) -> _Part:
    """The records of ``rows`` (a ``disk_split.RowList``), in its order, written to ``path``."""
    from .datasets.chunked import RECORD

    counts = np.zeros(labels, dtype=np.int64)
    fd = os.open(table.records_path, os.O_RDONLY)
    try:
        with open(path, "wb") as out:
            for block, codes in rows.blocks():
                out.write(b"".join(os.pread(fd, RECORD.itemsize, RECORD.itemsize * int(r)) for r in block))
                counts += np.bincount(codes, minlength=labels)
    finally:
        os.close(fd)
    rows.remove()
    return _Part(path, len(rows), counts)


def _count(fraction: float, n: int) -> int:
    return int(round(fraction * n)) if fraction > 0 else 0


def _split(
    source: Any, n_take: int, seed: int, name: str, warnings: list[str], labels: int, folder: Path
) -> tuple[Any, Any]:
    """``datasets.splits._split`` on a ``disk_split.RowList`` (the same rows: scikit-learn's stratified split
    replayed on files, see ``datasets.disk_split``)."""
    from .datasets.disk_split import plain_split, split

    if n_take <= 0 or len(source) < 2:
        return source, _empty(source, folder / f"split-{name}-taken")
    n_take = max(1, min(n_take, len(source) - 1))
    path = folder / f"split-{name}"
    try:
        kept, taken = split(source, n_take, seed, labels, path)
    except ValueError as exc:
        warnings.append(
            f"The {name} split could not be stratified ({exc}), so it is a plain random split: class shares "
            "may differ between the parts."
        )
        kept, taken = plain_split(source, n_take, seed, path)
    source.remove()
    return kept, taken


def _empty(like: Any, path: Path) -> Any:
    from .datasets.disk_split import RowList

    for suffix in (".rows", ".codes"):
        path.with_suffix(suffix).write_bytes(b"")
    return RowList(path.with_suffix(".rows"), path.with_suffix(".codes"), 0, like.rows_dtype, like.codes_dtype)


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
        y: Any
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


class ProbaFile:
    """The test probabilities of a streamed evaluation (float32, one row a test text) in a file;
    ``proba[positions]`` reads the rows at ascending ``positions``."""

    def __init__(self, path: Path, rows: int, classes: int) -> None:
        self.path, self.shape = Path(path), (rows, classes)
        self.row_bytes = classes * 4

    def __len__(self) -> int:
        return self.shape[0]

    def read(self, start: int, stop: int) -> np.ndarray:
        with open(self.path, "rb", buffering=0) as fh:
            fh.seek(start * self.row_bytes)
            data = fh.read((stop - start) * self.row_bytes)
        return np.frombuffer(data, dtype=np.float32).reshape(-1, self.shape[1])

    def __getitem__(self, positions: Any) -> np.ndarray:
        return _pick(self.read, self.shape[0], np.asarray(positions))


def evaluate(
    model: Any,
    x: Any,
    test: StreamedTable,
    classes: list[str],
    batch_size: int,
    limit: int,
    *,
    dataset_path: Any = None,
    cancel: CancelToken | None = None,
) -> tuple[dict, list[dict], ProbaFile]:
    """``evaluation.evaluate_predictions`` and ``evaluation.misclassified`` for a streamed test split, batch by
    batch: the report (from the confusion matrix, which is all it needs), the ``limit`` most confident errors
    (their texts read alone), and the probabilities, written to a file beside the token ids. In memory: the
    confusion matrix and ``limit`` candidate errors."""
    from .evaluation import evaluate_counts
    from .evaluation import misclassified as listed

    cancel = ensure_cancel(cancel)
    y = test.class_ids(list(classes))
    k = len(classes)
    confusion = np.zeros((k, k), dtype=np.int64)
    first_seen = np.full(k, -1, dtype=np.int64)  # where each class was first predicted (Counter's order)
    top_pos, top_conf = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    top_proba = np.zeros((0, k), dtype=np.float32)
    path = Path(x.path).with_name("test-proba.bin")
    done = 0
    with open(path, "wb") as out:
        for ids in dataset(x, None, batch_size, shuffle=False):
            cancel.raise_if_cancelled()
            proba = np.asarray(model.predict_on_batch(ids), dtype=np.float32)
            out.write(proba.tobytes())
            truth = y[done : done + len(proba)]
            if (truth < 0).any():
                raise ValueError("a streamed test split has a label the model does not know")
            predicted = proba.astype(np.float64).argmax(axis=1)
            confusion += np.bincount(truth * k + predicted, minlength=k * k).reshape(k, k)
            new = np.flatnonzero(first_seen < 0)
            if len(new):
                hit = predicted[:, None] == new[None, :]
                seen = hit.any(axis=0)
                first_seen[new[seen]] = done + hit.argmax(axis=0)[seen]
            wrong = np.flatnonzero(predicted != truth)
            if len(wrong):
                positions = np.concatenate([top_pos, done + wrong])
                confidence = np.concatenate([top_conf, proba[wrong, predicted[wrong]].astype(np.float64)])
                rows = np.concatenate([top_proba, proba[wrong]])
                keep = np.lexsort((positions, -confidence))[:limit]  # most confident first, then test order
                top_pos, top_conf, top_proba = positions[keep], confidence[keep], rows[keep]
            done += len(proba)
    order = np.argsort(top_pos)
    sub = test.materialise(top_pos[order])
    wrong_rows = listed(sub.texts, sub.labels, top_proba[order], classes, sub.sources, limit=limit)
    seen_order = [int(c) for c in np.argsort(first_seen, kind="stable") if first_seen[c] >= 0]
    report = evaluate_counts(confusion, classes, seen_order, dataset_path=dataset_path)
    return report, wrong_rows, ProbaFile(path, done, k)


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
        picked[name] = table.materialise(positions)
    return Splits(picked["train"], picked["validation"], picked["test"], list(splits.classes)), test_positions


def remove(run_dir: Path, inputs: Any = None) -> None:
    """Close the run's open token and text files, and delete them."""
    if inputs is not None:
        for x, _y in getattr(inputs, "data", {}).values():
            if isinstance(x, TokenFile):
                x.close()
        splits = getattr(inputs, "splits", None)
        for name in ("train", "validation", "test"):
            table = getattr(splits, name, None)
            if isinstance(table, StreamedTable):
                table.close()
                if name == "train":
                    table.store.close()
    shutil.rmtree(Path(run_dir) / TOKENS_DIR, ignore_errors=True)
