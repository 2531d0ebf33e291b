"""Vocabulary and tokenisation: an adapted Keras ``TextVectorization`` and token counts that match it.

The same layer is later placed in front of the trained model, so a saved ``model.keras`` takes raw
strings and tokenises them exactly as training did.
"""

from __future__ import annotations

import collections
from collections.abc import Iterator, Sequence
from typing import Any

from .config import TextConfig
from .jobs import CancelToken, Reporter, ThrottledProgress, ensure_cancel, ensure_reporter

# TextConfig.standardize -> the value TextVectorization expects.
STANDARDIZE_TO_KERAS: dict[str, str | None] = {
    "lower_and_strip_punctuation": "lower_and_strip_punctuation",
    "lower": "lower",
    "strip_punctuation": "strip_punctuation",
    "none": None,
}

# Keras' own punctuation pattern (keras/src/layers/preprocessing/text_vectorization.py), repeated here so
# that token_counts() splits text exactly as the adapted layer does.
KERAS_STRIP_REGEX = r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'

_CHUNK = 1024


def keras_standardize(name: str) -> str | None:
    try:
        return STANDARDIZE_TO_KERAS[name]
    except KeyError:
        from .errors import ConfigError

        raise ConfigError(f"'text.standardize' is {name!r}; choose one of {', '.join(STANDARDIZE_TO_KERAS)}.") from None


def _chunks(texts: Sequence[str], size: int = _CHUNK) -> Iterator[list[str]]:
    for start in range(0, len(texts), size):
        yield list(texts[start:start + size])


def build_vectorizer(train_texts: list[str], cfg: TextConfig, *,
                     reporter: Reporter | None = None, cancel: CancelToken | None = None) -> Any:
    """A ``keras.layers.TextVectorization`` adapted on ``train_texts`` (integer output, padded/truncated
    to ``cfg.sequence_length``; ``cfg.max_tokens`` counts the padding and ``[UNK]`` entries too)."""
    import keras
    import tensorflow as tf

    reporter = ensure_reporter(reporter)
    cancel = ensure_cancel(cancel)
    vectorizer = keras.layers.TextVectorization(
        max_tokens=cfg.max_tokens,
        standardize=keras_standardize(cfg.standardize),
        split="whitespace",
        output_mode="int",
        output_sequence_length=cfg.sequence_length,
        name="text_vectorization",
    )
    total = len(train_texts)
    progress = ThrottledProgress(reporter, total, "Building the vocabulary", cancel=cancel)

    def batches() -> Iterator[Any]:
        done = 0
        for chunk in _chunks(train_texts):
            progress(done)
            yield tf.constant(chunk, dtype=tf.string)
            done += len(chunk)
        progress(done)

    # A generator (not a list) makes adapt() stream the texts in chunks, so progress and cancel work.
    vectorizer.adapt(batches())
    return vectorizer


def vocabulary(vectorizer: Any) -> list[str]:
    """The adapted vocabulary as plain ``str`` (Keras returns ``np.str_``); index 0 is padding, 1 is ``[UNK]``."""
    return [str(token) for token in vectorizer.get_vocabulary()]


def vectorize(vectorizer: Any, texts: Sequence[str], *, reporter: Reporter | None = None,
              cancel: CancelToken | None = None, message: str = "Tokenising") -> Any:
    """Integer sequences ``(len(texts), sequence_length)`` as an int64 NumPy array, computed in chunks."""
    import numpy as np
    import tensorflow as tf

    reporter = ensure_reporter(reporter)
    progress = ThrottledProgress(reporter, len(texts), message, cancel=cancel)
    length = vectorizer.get_config()["output_sequence_length"]
    parts = []
    done = 0
    for chunk in _chunks(texts):
        progress(done)
        parts.append(np.asarray(vectorizer(tf.constant(chunk, dtype=tf.string))))
        done += len(chunk)
    progress(done)
    if not parts:
        return np.zeros((0, length), dtype="int64")
    return np.concatenate(parts, axis=0).astype("int64", copy=False)


def _standardize_name(vectorizer_or_standardize: Any) -> str | None:
    if vectorizer_or_standardize is None or isinstance(vectorizer_or_standardize, str):
        value = vectorizer_or_standardize
        if value in STANDARDIZE_TO_KERAS:
            return keras_standardize(value)
        if value is None:
            return None
        raise ValueError(f"unknown standardize option {value!r}")
    config = vectorizer_or_standardize.get_config()
    value = config.get("standardize")
    if value is not None and not isinstance(value, str):
        raise ValueError("token_counts() needs a TextVectorization with a built-in standardize option")
    if config.get("split", "whitespace") != "whitespace":
        raise ValueError("token_counts() needs a TextVectorization that splits on whitespace")
    return value


def token_counts(texts: Sequence[str], vectorizer_or_standardize: Any = "lower_and_strip_punctuation", *,
                 cancel: CancelToken | None = None) -> collections.Counter:
    """How often each token occurs in ``texts``, tokenised as the vectorizer does (same TF string ops).

    ``vectorizer_or_standardize`` is an adapted TextVectorization, a ``TextConfig.standardize`` name, or a
    Keras standardize value (``None`` keeps text as it is). Words outside the vectorizer's vocabulary are
    counted too, so coverage can say how many running tokens the vocabulary itself drops.
    """
    import tensorflow as tf

    standardize = _standardize_name(vectorizer_or_standardize)
    counts: collections.Counter = collections.Counter()
    for chunk in _chunks(texts):
        if cancel is not None:
            cancel.raise_if_cancelled()
        strings = tf.constant(chunk, dtype=tf.string)
        if standardize in ("lower", "lower_and_strip_punctuation"):
            strings = tf.strings.lower(strings)
        if standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            strings = tf.strings.regex_replace(strings, KERAS_STRIP_REGEX, "")
        tokens = tf.strings.split(strings).flat_values
        if tokens.shape[0] == 0:
            continue
        unique, _, count = tf.unique_with_counts(tokens)
        for token, n in zip(unique.numpy(), count.numpy()):
            counts[token.decode("utf-8", "replace")] += int(n)
    return counts
