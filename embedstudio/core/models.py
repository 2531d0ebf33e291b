"""Model presets, the builder, and honest parameter counts.

Keras is imported inside functions so that importing this module does not pull TensorFlow. What each
preset is (label, fields, vector files, masking, body) lives in ``core.presets``; this module holds the
bodies. The custom layers are created on first use by ``custom_objects()``, which
also registers them for ``keras.saving.load_model``.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from . import presets
from .config import RunConfig

EMBEDDING_PREFIX = "embedding"
_MAX_POOL = 5


@functools.cache
def custom_objects() -> dict[str, Any]:
    """The project's serialisable Keras layers, defined once (Keras is imported here, not at module import)."""
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="embedstudio")
    class MaskedAveragePooling1D(keras.layers.Layer):
        """Average over the unmasked time steps, dividing by max(count, 1).

        Keras' GlobalAveragePooling1D divides by the count of unmasked steps, so a text that is all
        padding gives 0/0 = NaN and poisons training (FIELD-NOTES); here it gives zeros.
        """

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs: Any, mask: Any = None) -> Any:
            if mask is None:
                return ops.mean(inputs, axis=1)
            weights = ops.expand_dims(ops.cast(mask, inputs.dtype), -1)
            total = ops.sum(inputs * weights, axis=1)
            count = ops.sum(weights, axis=1)
            return total / ops.maximum(count, 1.0)

        def compute_mask(self, inputs: Any, mask: Any = None) -> None:
            return None

        def compute_output_shape(self, input_shape: tuple) -> tuple:
            return (input_shape[0], input_shape[2])

    @keras.saving.register_keras_serializable(package="embedstudio")
    class PartiallyFrozenEmbedding(keras.layers.Layer):
        """A frozen pre-trained embedding whose OOV rows alone are learned.

        ``frozen`` holds the whole matrix (not trainable); ``oov_delta`` holds one trainable row per OOV
        word, added on top; ``oov_slot`` maps each vocabulary row to its delta row (0 = a fixed zero row,
        used by covered words and padding). Only the OOV rows are trainable parameters, so the parameter
        count is honest and covered rows cannot move. ``oov_delta`` overlays rows of ``frozen``, so the
        rows × dim are counted once (``OVERLAYS``); ``oov_slot`` is integer state, not parameters.
        """

        OVERLAYS = ("oov_delta",)

        def __init__(
            self, input_dim: int, output_dim: int, oov_count: int, mask_zero: bool = False, **kwargs: Any
        ) -> None:
            super().__init__(**kwargs)
            self.input_dim = int(input_dim)
            self.output_dim = int(output_dim)
            self.oov_count = int(oov_count)
            self.mask_zero = bool(mask_zero)
            self.supports_masking = self.mask_zero

        def build(self, input_shape: Any = None) -> None:
            self.frozen = self.add_weight(
                shape=(self.input_dim, self.output_dim), initializer="zeros", trainable=False, name="frozen_embeddings"
            )
            self.oov_delta = self.add_weight(
                shape=(self.oov_count, self.output_dim), initializer="zeros", trainable=True, name="oov_delta"
            )
            self.oov_slot = self.add_weight(
                shape=(self.input_dim,), initializer="zeros", dtype="int32", trainable=False, name="oov_slot"
            )
            self.built = True

        def call(self, inputs: Any) -> Any:
            ids = ops.cast(inputs, "int32")
            base = ops.take(self.frozen, ids, axis=0)
            deltas = ops.concatenate(
                [ops.zeros((1, self.output_dim), dtype=self.oov_delta.dtype), self.oov_delta], axis=0
            )
            return base + ops.take(deltas, ops.take(self.oov_slot, ids, axis=0), axis=0)

        def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
            return ops.not_equal(inputs, 0) if self.mask_zero else None

        def compute_output_shape(self, input_shape: tuple) -> tuple:
            return (*input_shape, self.output_dim)

        def get_config(self) -> dict[str, Any]:
            config = super().get_config()
            config.update(
                input_dim=self.input_dim, output_dim=self.output_dim, oov_count=self.oov_count, mask_zero=self.mask_zero
            )
            return config

        def set_matrix(self, matrix: np.ndarray, covered_mask: np.ndarray) -> None:
            oov_rows = _oov_rows(covered_mask)
            slots = np.zeros(self.input_dim, dtype=np.int32)
            slots[oov_rows] = np.arange(1, len(oov_rows) + 1, dtype=np.int32)
            self.frozen.assign(np.asarray(matrix, dtype="float32"))
            self.oov_slot.assign(slots)

        def effective_matrix(self) -> np.ndarray:
            """The embedding as the model sees it: frozen rows plus the learned OOV deltas."""
            frozen = np.asarray(self.frozen.numpy())
            deltas = np.concatenate([np.zeros((1, self.output_dim), frozen.dtype), self.oov_delta.numpy()])
            return frozen + deltas[np.asarray(self.oov_slot.numpy())]

    @keras.saving.register_keras_serializable(package="embedstudio")
    class MaskedMaxPooling1D(keras.layers.Layer):
        """Maximum over the unmasked time steps (zeros for a text that is all padding)."""

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs: Any, mask: Any = None) -> Any:
            if mask is None:
                return ops.max(inputs, axis=1)
            valid = ops.expand_dims(ops.cast(mask, "bool"), -1)
            filled = ops.where(valid, inputs, ops.full_like(inputs, -1e9))
            best = ops.max(filled, axis=1)
            any_valid = ops.any(valid, axis=1)
            return ops.where(any_valid, best, ops.zeros_like(best))

        def compute_mask(self, inputs: Any, mask: Any = None) -> None:
            return None

        def compute_output_shape(self, input_shape: tuple) -> tuple:
            return (input_shape[0], input_shape[2])

    @keras.saving.register_keras_serializable(package="embedstudio")
    class HashedBigrams(keras.layers.Layer):
        """Embeddings of word bigrams hashed into ``buckets`` rows ("Bag of Tricks", Joulin et al. 2017).

        Input: token ids ``(batch, L)``; output ``(batch, L - 1, dim)`` with a mask that is true where both
        words of the bigram are real tokens (not padding), so a masked mean averages words and bigrams.
        """

        def __init__(self, buckets: int, dim: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.buckets = int(buckets)
            self.dim = int(dim)
            self.supports_masking = True

        def build(self, input_shape: Any = None) -> None:
            self.embeddings = self.add_weight(
                shape=(self.buckets, self.dim), initializer="uniform", name="bigram_embeddings"
            )
            self.built = True

        def _pairs(self, inputs: Any) -> tuple[Any, Any]:
            ids = ops.cast(inputs, "int64")
            return ids[:, :-1], ids[:, 1:]

        def call(self, inputs: Any) -> Any:
            first, second = self._pairs(inputs)
            hashed = ops.mod(first * 1_000_003 + second * 7919, self.buckets)
            return ops.take(self.embeddings, ops.cast(hashed, "int32"), axis=0)

        def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
            first, second = self._pairs(inputs)
            return ops.logical_and(ops.greater(first, 0), ops.greater(second, 0))

        def compute_output_shape(self, input_shape: tuple) -> tuple:
            steps = None if input_shape[1] is None else max(0, input_shape[1] - 1)
            return (input_shape[0], steps, self.dim)

        def get_config(self) -> dict[str, Any]:
            config = super().get_config()
            config.update(buckets=self.buckets, dim=self.dim)
            return config

    @keras.saving.register_keras_serializable(package="embedstudio")
    class SublinearTfidf(keras.layers.Layer):
        """Word n-gram counts -> TF-IDF as scikit-learn computes it with ``sublinear_tf=True``: tf becomes
        ``1 + log(tf)``, times the smoothed idf ``log((1 + n) / (1 + df)) + 1`` learned from the training
        texts, then each row is scaled to length ``scale`` (1: unit length, what ``model_inputs`` builds).
        ``tfidf_matrix`` computes the same on SciPy sparse counts for training, so the exported model scores
        texts exactly as the trained one did."""

        def __init__(self, features: int, scale: float = 1.0, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.features = int(features)
            self.scale = float(scale)

        def build(self, input_shape: Any = None) -> None:
            self.idf = self.add_weight(shape=(self.features,), initializer="ones", trainable=False, name="idf")
            self.built = True

        def call(self, counts: Any) -> Any:
            counts = ops.cast(counts, "float32")
            positive = ops.greater(counts, 0)
            tf_ = ops.where(positive, 1.0 + ops.log(ops.maximum(counts, 1.0)), ops.zeros_like(counts))
            weighted = tf_ * self.idf
            norm = ops.sqrt(ops.sum(weighted * weighted, axis=-1, keepdims=True))
            return weighted * (self.scale / ops.maximum(norm, 1e-12))

        def compute_output_shape(self, input_shape: tuple) -> tuple:
            return input_shape

        def get_config(self) -> dict[str, Any]:
            config = super().get_config()
            config.update(features=self.features, scale=self.scale)
            return config

    @keras.saving.register_keras_serializable(package="embedstudio")
    class MixLogProbabilities(keras.layers.Layer):
        """``w * log_softmax(deep) + (1 - w) * log_softmax(wide)``: a weighted product of two experts' class
        probabilities (renormalised by the softmax after it). ``w`` is set on validation by ``core.wide``."""

        def build(self, input_shape: Any = None) -> None:
            self.deep_share = self.add_weight(shape=(), initializer="zeros", trainable=False, name="deep_share")
            self.built = True

        def call(self, inputs: Any) -> Any:
            deep, wide = inputs
            w = ops.cast(self.deep_share, deep.dtype)
            return w * ops.log_softmax(deep, axis=-1) + (1.0 - w) * ops.log_softmax(wide, axis=-1)

        def compute_output_shape(self, input_shape: Any) -> Any:
            return input_shape[0]

    @keras.saving.register_keras_serializable(package="embedstudio")
    class ScaledFinetuneEmbedding(keras.layers.Layer):
        """A pre-trained embedding fine-tuned at ``lr_factor`` times the optimiser's learning rate.

        The rows are ``base + lr_factor * delta`` with ``base`` fixed and ``delta`` trained from zero: under
        Adam (whose steps do not depend on the gradient's scale) every step of ``delta`` moves the vectors
        ``lr_factor`` times as far as the other weights move, i.e. a separate, lower learning rate.
        ``delta`` overlays ``base``: the rows × dim are counted once, as trainable (``OVERLAYS``).
        """

        OVERLAYS = ("delta",)

        def __init__(
            self, input_dim: int, output_dim: int, lr_factor: float, mask_zero: bool = False, **kwargs: Any
        ) -> None:
            super().__init__(**kwargs)
            self.input_dim = int(input_dim)
            self.output_dim = int(output_dim)
            self.lr_factor = float(lr_factor)
            self.mask_zero = bool(mask_zero)
            self.supports_masking = self.mask_zero

        def build(self, input_shape: Any = None) -> None:
            self.base = self.add_weight(
                shape=(self.input_dim, self.output_dim),
                initializer="zeros",
                trainable=False,
                name="pretrained_embeddings",
            )
            self.delta = self.add_weight(
                shape=(self.input_dim, self.output_dim), initializer="zeros", trainable=True, name="finetune_delta"
            )
            self.built = True

        def call(self, inputs: Any) -> Any:
            ids = ops.cast(inputs, "int32")
            return ops.take(self.base, ids, axis=0) + self.lr_factor * ops.take(self.delta, ids, axis=0)

        def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
            return ops.not_equal(inputs, 0) if self.mask_zero else None

        def compute_output_shape(self, input_shape: tuple) -> tuple:
            return (*input_shape, self.output_dim)

        def get_config(self) -> dict[str, Any]:
            config = super().get_config()
            config.update(
                input_dim=self.input_dim, output_dim=self.output_dim, lr_factor=self.lr_factor, mask_zero=self.mask_zero
            )
            return config

        def effective_matrix(self) -> np.ndarray:
            return np.asarray(self.base.numpy()) + self.lr_factor * np.asarray(self.delta.numpy())

    from .text import standardizers

    return {
        "embedstudio>MaskedAveragePooling1D": MaskedAveragePooling1D,
        "embedstudio>PartiallyFrozenEmbedding": PartiallyFrozenEmbedding,
        "embedstudio>MaskedMaxPooling1D": MaskedMaxPooling1D,
        "embedstudio>HashedBigrams": HashedBigrams,
        "embedstudio>SublinearTfidf": SublinearTfidf,
        "embedstudio>MixLogProbabilities": MixLogProbabilities,
        "embedstudio>ScaledFinetuneEmbedding": ScaledFinetuneEmbedding,
        **{f"embedstudio>standardize_{name}": fn for name, fn in standardizers().items()},
    }


def _layer_class(name: str) -> Any:
    return custom_objects()[f"embedstudio>{name}"]


def _oov_rows(covered_mask: np.ndarray) -> np.ndarray:
    """Rows to learn when only OOV rows train: every uncovered row except padding (row 0)."""
    rows = np.flatnonzero(~np.asarray(covered_mask, dtype=bool))
    return rows[rows != 0]


# ---- building -----------------------------------------------------------------------------------
def is_wide(cfg: RunConfig) -> bool:
    """Whether the preset adds the TF-IDF word uni+bigram path (a second model input)."""
    preset = presets.PRESETS.get(cfg.model.preset)
    return bool(preset and preset.wide)


def deep_preset(cfg: RunConfig) -> presets.Preset:
    """The preset whose body reads the word vectors (wide_deep's embedding path is ``model.deep_path``)."""
    info = presets.get(cfg.model.preset)
    return presets.get(cfg.model.deep_path) if info.wide else info


def build_model(
    cfg: RunConfig,
    *,
    vocab_size: int,
    num_classes: int,
    embedding_matrices: list[np.ndarray] | None,
    covered_masks: list[np.ndarray] | None = None,
    wide_features: int | None = None,
) -> Any:
    """An uncompiled ``keras.Model`` from integer sequences ``(batch, sequence_length)`` to class probabilities.

    The ``wide_deep`` preset takes a second input, ``tfidf`` ``(batch, wide_features)`` (sparse during
    training), and adds its linear logits to the embedding path's. ``auto`` given here (without data) builds
    its recipe at the config's sizes; ``model_inputs.resolve_auto`` applies its data rules first.
    """
    import keras

    if cfg.model.preset == "auto":
        # Without the data its rules read, auto means its recipe at the config's sizes (model_inputs.resolve_auto
        # with the training texts is what train() and summarize() use).
        from .model_inputs import resolve_auto

        cfg, _ = resolve_auto(cfg, None, cfg.text.standardize)
    preset = cfg.model.preset
    if preset not in presets.PRESETS or not presets.get(preset).body:
        raise ValueError(f"unknown model preset {preset!r}")
    if num_classes < 2:
        raise ValueError("a classifier needs at least two classes")
    info = presets.get(preset)
    deep = deep_preset(cfg)
    inputs = keras.Input(shape=(cfg.text.sequence_length,), dtype="int64", name="token_ids")
    mask_zero = deep.masked
    count = max(1, info.vector_files)
    embedded = [
        _embedding_layer(cfg, index, count, vocab_size, embedding_matrices, covered_masks, mask_zero)(inputs)
        for index in range(count)
    ]
    x = embedded[0] if count == 1 else keras.layers.Concatenate(axis=-1, name="concatenated_vectors")(embedded)
    if cfg.model.embedding_dropout > 0:
        # Drops whole vector dimensions across the text (SpatialDropout1D), the usual regulariser for
        # pre-trained vectors; it keeps Keras' padding mask.
        x = keras.layers.SpatialDropout1D(cfg.model.embedding_dropout, name="embedding_dropout")(x)
    if cfg.model.bigram_buckets > 0 and deep.name in BIGRAM_PRESETS and cfg.text.sequence_length > 1:
        bigrams = _layer_class("HashedBigrams")(cfg.model.bigram_buckets, x.shape[-1], name="hashed_bigrams")(inputs)
        x = keras.layers.Concatenate(axis=1, name="words_and_bigrams")([x, bigrams])
    x = BODIES[deep.body](cfg, x)
    if not info.wide:
        outputs = keras.layers.Dense(num_classes, activation="softmax", name="probabilities", dtype="float32")(x)
        return keras.Model(inputs, outputs, name=f"{preset}_classifier")
    features = int(wide_features or cfg.model.wide_features)
    tfidf = keras.Input(shape=(features,), sparse=True, name="tfidf")
    deep_logits = keras.layers.Dense(num_classes, name="deep_logits")(x)
    # The linear path is fitted by liblinear and the mix weight chosen on validation (core.wide), not by
    # gradient descent: both are frozen here; only the embedding path trains (deep_training_model).
    wide_logits = keras.layers.Dense(num_classes, name="wide_logits", trainable=False)(tfidf)
    mixed = _layer_class("MixLogProbabilities")(name="mix")([deep_logits, wide_logits])
    outputs = keras.layers.Activation("softmax", name="probabilities", dtype="float32")(mixed)
    return keras.Model([inputs, tfidf], outputs, name=f"{preset}_classifier")


def deep_training_model(model: Any) -> Any:
    """The embedding path of a ``wide_deep`` model on its own (token ids -> its class probabilities): what
    Keras trains, sharing its layers with ``model``."""
    import keras

    probabilities = keras.layers.Activation("softmax", name="deep_probabilities", dtype="float32")(
        model.get_layer("deep_logits").output
    )
    return keras.Model(model.inputs[0], probabilities, name="deep_path")


def set_mix(model: Any, weight: float) -> None:
    """Set the share of the embedding path in a ``wide_deep`` model's mix (0: the linear path alone)."""
    model.get_layer("mix").deep_share.assign(float(weight))


def _embedding_name(index: int, count: int) -> str:
    return EMBEDDING_PREFIX if count == 1 else f"{EMBEDDING_PREFIX}_{index + 1}"


def _embedding_layer(
    cfg: RunConfig,
    index: int,
    count: int,
    vocab_size: int,
    matrices: list[np.ndarray] | None,
    masks: list[np.ndarray] | None,
    mask_zero: bool,
) -> Any:
    import keras

    mode = cfg.embedding.mode
    name = _embedding_name(index, count)
    if mode == "scratch":
        return keras.layers.Embedding(vocab_size, cfg.embedding.dim, mask_zero=mask_zero, name=name)
    if not matrices or len(matrices) <= index:
        raise ValueError(f"embedding mode {mode!r} needs {count} embedding matrix(es), got {len(matrices or [])}")
    matrix = np.asarray(matrices[index], dtype="float32")
    if matrix.shape[0] != vocab_size:
        raise ValueError(f"embedding matrix {index + 1} has {matrix.shape[0]} rows, the vocabulary {vocab_size}")
    if mode == "frozen" and cfg.embedding.train_oov_rows:
        if not masks or len(masks) <= index:
            raise ValueError("embedding.train_oov_rows needs the covered masks of the embedding matrices")
        mask = np.asarray(masks[index], dtype=bool)
        layer = _layer_class("PartiallyFrozenEmbedding")(
            vocab_size, matrix.shape[1], len(_oov_rows(mask)), mask_zero=mask_zero, name=name
        )
        layer.build((None, cfg.text.sequence_length))
        layer.set_matrix(matrix, mask)
        return layer
    if mode == "finetune" and cfg.embedding.finetune_lr_factor != 1.0:
        layer = _layer_class("ScaledFinetuneEmbedding")(
            vocab_size, matrix.shape[1], cfg.embedding.finetune_lr_factor, mask_zero=mask_zero, name=name
        )
        layer.build((None, cfg.text.sequence_length))
        layer.base.assign(matrix)
        return layer
    # weights= sets the matrix without storing it in the layer config (a Constant initializer would copy
    # the whole matrix into model.keras' JSON config).
    return keras.layers.Embedding(
        vocab_size, matrix.shape[1], weights=matrix, mask_zero=mask_zero, trainable=(mode == "finetune"), name=name
    )


def _pool_size(length: int) -> int:
    """Pooling that shrinks the sequence but never to zero steps (short sequence_length stays valid)."""
    return max(1, min(_MAX_POOL, length))


def _cnn_body(cfg: RunConfig, x: Any) -> Any:
    import keras

    m = cfg.model
    length = cfg.text.sequence_length
    for block in range(m.conv_blocks):
        x = keras.layers.Conv1D(m.filters, m.kernel_size, padding="same", activation="relu", name=f"conv_{block + 1}")(
            x
        )
        pool = _pool_size(length)
        if pool > 1:
            x = keras.layers.MaxPooling1D(pool, name=f"pool_{block + 1}")(x)
            length //= pool
    x = keras.layers.GlobalMaxPooling1D(name="global_max_pool")(x)
    x = keras.layers.Dense(m.dense_units, activation="relu", name="dense")(x)
    return keras.layers.Dropout(m.dropout, name="dropout")(x)


def _recurrent_head(cfg: RunConfig, x: Any) -> Any:
    import keras

    x = keras.layers.Dropout(cfg.model.dropout, name="dropout_rnn")(x)
    x = keras.layers.Dense(cfg.model.dense_units, activation="relu", name="dense")(x)
    return keras.layers.Dropout(cfg.model.dropout, name="dropout")(x)


def _bilstm_body(cfg: RunConfig, x: Any) -> Any:
    import keras

    x = keras.layers.Bidirectional(keras.layers.LSTM(cfg.model.rnn_units), name="bilstm")(x)
    return _recurrent_head(cfg, x)


def _gru_body(cfg: RunConfig, x: Any) -> Any:
    import keras

    x = keras.layers.GRU(cfg.model.rnn_units, name="gru")(x)
    return _recurrent_head(cfg, x)


def _average_body(cfg: RunConfig, x: Any) -> Any:
    import keras

    x = _layer_class("MaskedAveragePooling1D")(name="masked_average")(x)
    return keras.layers.Dropout(cfg.model.dropout, name="dropout")(x)


def _swem_body(cfg: RunConfig, x: Any) -> Any:
    """SWEM-concat (Shen et al. 2018): masked mean and masked max of the vectors side by side."""
    import keras

    mean = _layer_class("MaskedAveragePooling1D")(name="masked_average")(x)
    top = _layer_class("MaskedMaxPooling1D")(name="masked_max")(x)
    x = keras.layers.Concatenate(name="mean_and_max")([mean, top])
    x = keras.layers.Dropout(cfg.model.dropout, name="dropout")(x)
    return keras.layers.Dense(cfg.model.dense_units, activation="relu", name="dense")(x)


KIM_KERNELS = (3, 4, 5)


def _kim_cnn_body(cfg: RunConfig, x: Any) -> Any:
    """Kim (2014): parallel convolutions of 3, 4 and 5 words, each max-pooled over the whole text."""
    import keras

    pooled = []
    for width in KIM_KERNELS:
        conv = keras.layers.Conv1D(
            cfg.model.filters, min(width, cfg.text.sequence_length), activation="relu", name=f"conv_{width}"
        )(x)
        pooled.append(keras.layers.GlobalMaxPooling1D(name=f"max_pool_{width}")(conv))
    x = keras.layers.Concatenate(name="kernels")(pooled)
    return keras.layers.Dropout(cfg.model.dropout, name="dropout")(x)


# presets.Preset.body -> the function that builds that network on the embedded sequence.
BODIES = {
    "cnn": _cnn_body,
    "bilstm": _bilstm_body,
    "gru": _gru_body,
    "average": _average_body,
    "swem": _swem_body,
    "kim_cnn": _kim_cnn_body,
}
# Recipes whose pooling treats the text as a bag, so hashed bigram embeddings can join the words.
BIGRAM_PRESETS = ("average", "swem")
DEEP_PATHS = ("swem", "average", "kim_cnn")


# ---- compiling and the two-phase switch ---------------------------------------------------------
def make_optimizer(cfg: RunConfig, learning_rate: float | None = None) -> Any:
    import keras

    lr = cfg.training.learning_rate if learning_rate is None else learning_rate
    classes = {
        "adam": keras.optimizers.Adam,
        "adamw": keras.optimizers.AdamW,
        "rmsprop": keras.optimizers.RMSprop,
        "sgd": keras.optimizers.SGD,
    }
    return classes[cfg.training.optimizer](learning_rate=lr)


def embedding_layers(model: Any) -> list[Any]:
    """The model's embedding layers (one, or two for the multi preset), found by name."""
    return [layer for layer in _all_layers(model) if layer.name.startswith(EMBEDDING_PREFIX) and layer.weights]


def compile_model(model: Any, cfg: RunConfig) -> Any:
    """Compile for integer labels. In two-phase mode the optimizer is also built on the (still frozen)
    embedding weights, so that unfreezing them mid-fit needs no new optimizer."""
    model.compile(optimizer=make_optimizer(cfg), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    if cfg.embedding.mode == "two_phase":
        variables = list(model.trainable_variables)
        known = {id(v) for v in variables}
        for layer in embedding_layers(model):
            variables += [v for v in layer.weights if id(v) not in known and v.dtype.startswith("float")]
        model.optimizer.build(variables)
    return model


def unfreeze_callback(cfg: RunConfig) -> Any:
    """A callback that unfreezes the embeddings at (1-based) epoch ``cfg.embedding.unfreeze_epoch`` and
    multiplies the learning rate by ``unfreeze_lr_factor``. Needs a model compiled by ``compile_model``."""
    import keras

    class UnfreezeEmbeddings(keras.callbacks.Callback):
        def __init__(self, epoch_index: int, lr_factor: float) -> None:
            super().__init__()
            self.epoch_index = epoch_index
            self.lr_factor = lr_factor
            self.switched_at: int | None = None

        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            if self.switched_at is not None or epoch < self.epoch_index:
                return
            for layer in embedding_layers(self.model):
                layer.trainable = True
            optimizer = self.model.optimizer
            optimizer.learning_rate = float(optimizer.learning_rate.numpy()) * self.lr_factor
            # fit() calls self.train_function on every step, so a re-traced function takes effect at once
            # and differentiates the newly trainable embedding too.
            self.model.make_train_function(force=True)
            # Keras warns at the next evaluate() that trainable state changed since compile; it is intended.
            if hasattr(self.model, "_compiled_trainable_state"):
                self.model._compiled_trainable_state = {
                    layer: layer.trainable for layer in self.model._flatten_layers()
                }
            self.switched_at = epoch

    return UnfreezeEmbeddings(cfg.embedding.unfreeze_epoch - 1, cfg.embedding.unfreeze_lr_factor)


# ---- inspection -----------------------------------------------------------------------------------
def _all_layers(model: Any) -> list[Any]:
    layers = []
    for layer in model.layers:
        layers.append(layer)
        if hasattr(layer, "layers") and layer is not model:  # nested models (the end-to-end wrapper)
            layers.extend(_all_layers(layer))
    return layers


def _size(variable: Any) -> int:
    return int(np.prod(variable.shape)) if len(variable.shape) else 1


def _unique(variables: list[Any]) -> list[Any]:
    seen: set[int] = set()
    out = []
    for v in variables:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out


def _is_parameter(variable: Any) -> bool:
    """Float weights are parameters; integer ones (an index map) are state the model looks things up in."""
    return str(variable.dtype).startswith(("float", "bfloat"))


def _overlays(layers: list[Any]) -> set[int]:
    """Weights that overlay rows of another weight (counted as trainable, not again in the total)."""
    found = (getattr(layer, name, None) for layer in layers for name in getattr(layer, "OVERLAYS", ()))
    return {id(w) for w in found if w is not None}


def _counts(weights: list[Any], trainable_weights: list[Any], overlays: set[int]) -> dict[str, int]:
    trainable_ids = {id(v) for v in trainable_weights}
    total = trainable = 0
    for v in _unique(weights):
        if not _is_parameter(v):
            continue
        if id(v) not in overlays:
            total += _size(v)
        if id(v) in trainable_ids:
            trainable += _size(v)
    return {"total": total, "trainable": trainable, "non_trainable": total - trainable}


def parameter_counts(model: Any) -> dict[str, int]:
    """``{"total", "trainable", "non_trainable"}`` as a user means them: an embedding's rows × dim once
    (a trainable overlay such as the OOV rows counts as trainable, not as more rows), integer index maps not
    at all (``state_size``). Trainable comes from ``trainable_weights``, which respect ``layer.trainable``
    (``model.summary()`` can count a frozen embedding as trainable: keras 19398/19432)."""
    return _counts(model.weights, model.trainable_weights, _overlays(_all_layers(model)))


def state_size(model: Any) -> int:
    """Entries of the non-parameter state (the OOV index map of a frozen embedding that learns OOV rows)."""
    return sum(_size(v) for v in _unique(model.weights) if not _is_parameter(v))


def _output_shape(layer: Any) -> str:
    try:
        shape = layer.output.shape
    except (AttributeError, ValueError):
        return ""
    return str(tuple(shape))


def summary_rows(model: Any) -> list[dict[str, Any]]:
    """One row per layer: name, type, output_shape (text), params, trainable (count of trainable params)."""
    rows = []
    for layer in model.layers:
        if not layer.weights and type(layer).__name__ == "InputLayer":
            continue
        counts = _counts(layer.weights, layer.trainable_weights, _overlays([layer]))
        rows.append(
            {
                "name": layer.name,
                "type": type(layer).__name__,
                "output_shape": _output_shape(layer),
                "params": counts["total"],
                "trainable": counts["trainable"],
            }
        )
    return rows
