"""Training from token arrays on disk: tokenise once into memory-mapped int32 arrays in the run folder, and
feed ``model.fit`` from a ``tf.data`` pipeline that reads them batch by batch.

In memory, a split's token ids are an int64 array of ``rows × sequence_length`` (1.6 GB for 1 million rows
of 200 tokens), and Keras copies it once more into a tensor for ``fit``. Streamed, each split is an int32
``.npy`` file under ``<run>/.tokens/``, written chunk by chunk as it is tokenised, and memory-mapped: the
pages a batch reads come from the OS file cache and leave it again, so the arrays cost no resident memory
beyond a few batches, however many rows there are. The files are deleted when the run ends.

What is still in memory: the texts and labels (the dataset reader holds them) and the vocabulary. So the
memory of a streamed run grows with the size of the texts, no longer with rows × sequence length × 8.

``data.streaming``: ``"off"`` in memory; ``"on"`` streamed; ``"auto"`` streamed when the training split's
int32 arrays would take more than :data:`AUTO_BYTES`. A TF-IDF path (the ``wide_deep`` recipe) needs a
sparse n-gram matrix per batch, which is not streamed: ``"on"`` refuses such a model, ``"auto"`` keeps it in
memory.

Batches are contiguous rows of the (already shuffled) split, and their order is shuffled every epoch, so a
read is one sequential slice of the file.
"""

from __future__ import annotations

import math
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
    if mode == "on":
        return True
    rows = len(inputs.splits.train.texts)
    return rows * int(cfg.text.sequence_length) * 4 > AUTO_BYTES


def tokenise_splits(
    inputs: Any, run_dir: Path, *, reporter: Reporter | None = None, cancel: CancelToken | None = None
) -> None:
    """Fill ``inputs.data`` with (memory-mapped int32 token ids, int64 labels) for train, validation, test."""
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
        y = np.asarray([index.get(str(label), -1) for label in table.labels], dtype="int64")
        inputs.data[name] = (x, y)


def tokenise_to_file(
    vectorizer: Any,
    texts: Any,
    path: Path,
    *,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
    message: str = "Tokenising",
) -> np.memmap:
    """Token ids of ``texts`` written chunk by chunk into an int32 ``.npy`` at ``path``; returned read-only
    and memory-mapped."""
    import tensorflow as tf

    reporter = ensure_reporter(reporter)
    cancel = ensure_cancel(cancel)
    length = int(vectorizer.get_config()["output_sequence_length"])
    progress = ThrottledProgress(reporter, len(texts), message, cancel=cancel)
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.int32, shape=(len(texts), length))
    for start in range(0, len(texts), _CHUNK):
        progress(start)
        chunk = list(texts[start : start + _CHUNK])
        out[start : start + len(chunk)] = np.asarray(vectorizer(tf.constant(chunk, dtype=tf.string)))
    progress(len(texts))
    out.flush()
    del out
    return np.load(path, mmap_mode="r")


def is_streamed(x: Any) -> bool:
    return isinstance(x, np.memmap)


def dataset(x: np.ndarray, y: np.ndarray | None, batch_size: int, *, shuffle: bool, seed: int = 0) -> Any:
    """A ``tf.data.Dataset`` of (ids, labels) batches (ids only when ``y`` is None) read from ``x``."""
    import tensorflow as tf

    rows, length = int(x.shape[0]), int(x.shape[1])
    batches = max(1, math.ceil(rows / batch_size))
    order = tf.data.Dataset.range(batches)
    if shuffle:
        order = order.shuffle(batches, seed=seed, reshuffle_each_iteration=True)

    def read(i: Any) -> Any:
        start = int(i) * batch_size
        ids = np.ascontiguousarray(x[start : start + batch_size])
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


def predict(model: Any, x: np.ndarray, batch_size: int) -> np.ndarray:
    """``model.predict`` over a memory-mapped array, batch by batch."""
    return model.predict(dataset(x, None, batch_size, shuffle=False), verbose=0)


def remove(run_dir: Path) -> None:
    """Delete the run's token files (memory maps still open keep their data until they are closed)."""
    shutil.rmtree(Path(run_dir) / TOKENS_DIR, ignore_errors=True)
