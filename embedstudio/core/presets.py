"""The one registry of model presets: what each is, which settings it reads, what it needs.

Everything that talks about presets reads this table: ``config`` (valid names, how many vector files a
preset needs), ``models`` (which body builds it, whether it reads the padding mask), the GUI's Model form
(labels, descriptions, which fields to show) and the CLI (``embedstudio config fields``). Adding a preset is
one ``Preset(...)`` entry here plus its body builder in ``models``.

This module imports nothing heavy (no Keras), so the GUI can read it on its thread.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    name: str
    label: str
    description: str
    fields: tuple[str, ...] = ()  # the model.* settings its network reads
    vector_files: int = 1  # vector files it needs unless trained from scratch
    masked: bool = False  # its body reads Keras' padding mask (convolutions see padding as zeros)
    body: str = ""  # the builder's name in core.models (``_<body>_body``)
    wide: bool = False  # adds the TF-IDF word uni+bigram linear path (a second model input)


_CNN_FIELDS = ("model.filters", "model.kernel_size", "model.conv_blocks", "model.dense_units")
_RNN_FIELDS = ("model.rnn_units", "model.dense_units")

_EMB = ("model.embedding_dropout",)
_BAG = ("model.bigram_buckets",)
_WIDE = ("model.deep_path", "model.wide_features")

_ALL = (
    Preset(
        "auto",
        "Automatic (from the data)",
        "Chooses the recipe, sequence length and vocabulary size from "
        "the training data by fixed rules: wide & deep (TF-IDF word uni+bigrams + embeddings, mixed on "
        "validation); its embedding path is the Kim CNN for short texts (95th percentile ≤ 60 tokens) and "
        "SWEM otherwise; sequence length = the 95th percentile of training lengths (16–1000); vocabulary = "
        "words seen at least twice (capped at 50,000); up to 30 epochs unless training.epochs is set. "
        "text.sequence_length and text.max_tokens are set by these rules.",
        body="auto",
    ),
    Preset(
        "wide_deep",
        "Wide & deep (TF-IDF + embeddings)",
        "A TF-IDF word uni+bigram linear path (LinearSVC, as the "
        "baseline) and an embedding path (SWEM, average or Kim CNN) trained on its own, mixed with a weight "
        "chosen on the validation split, in one model that takes raw strings: uses the pre-trained vectors "
        "and keeps what a linear n-gram model knows.",
        _WIDE + _EMB + _BAG + ("model.filters", "model.dense_units"),
        masked=True,
        body="wide_deep",
        wide=True,
    ),
    Preset(
        "swem",
        "SWEM (mean + max)",
        "SWEM-concat: the masked mean and the masked max of the word vectors "
        "side by side, dropout, a dense layer. Fast, strong on topic classification.",
        ("model.dense_units",) + _EMB + _BAG,
        masked=True,
        body="swem",
    ),
    Preset(
        "kim_cnn",
        "Kim CNN (3/4/5-word filters)",
        "Kim (2014): parallel Conv1D filters over 3, 4 and 5 words, "
        "each max-pooled over the text, dropout 0.5. Strong on sentences and questions.",
        ("model.filters",) + _EMB,
        body="kim_cnn",
    ),
    Preset(
        "cnn",
        "Classic CNN (Keras 2016 example)",
        "Convolutional: stacked Conv1D + max-pooling blocks, then a dense layer, as in the 2016 Keras blog example.",
        _CNN_FIELDS + _EMB,
        body="cnn",
    ),
    Preset(
        "bilstm",
        "BiLSTM",
        "Bidirectional LSTM over the word vectors: slower, reads word order in both directions.",
        _RNN_FIELDS + _EMB,
        masked=True,
        body="bilstm",
    ),
    Preset(
        "gru",
        "GRU",
        "A single GRU layer: a lighter recurrent model than the BiLSTM.",
        _RNN_FIELDS + _EMB,
        masked=True,
        body="gru",
    ),
    Preset(
        "average",
        "Average (fastText-style)",
        "fastText-style: the average of the word vectors, then a "
        "linear classifier; optional hashed word-bigram embeddings (model.bigram_buckets) join the average. "
        "Fast and strong on small data.",
        _EMB + _BAG,
        masked=True,
        body="average",
    ),
    Preset(
        "multi",
        "Two vector files + CNN",
        "Two vector files side by side (their vectors concatenated per word), then the classic CNN.",
        _CNN_FIELDS + _EMB,
        vector_files=2,
        body="cnn",
    ),
)

PRESETS: dict[str, Preset] = {p.name: p for p in _ALL}


def get(name: str) -> Preset:
    """The preset called ``name``; ``KeyError`` for an unknown one (config validation names the field)."""
    return PRESETS[name]


def names() -> tuple[str, ...]:
    return tuple(PRESETS)


def vector_files_needed(name: str, mode: str) -> int:
    """How many vector files a run with this preset and embedding mode reads (0 when from scratch)."""
    if mode == "scratch":
        return 0
    preset = PRESETS.get(name)
    return preset.vector_files if preset else 1


def uses_field(name: str, field_path: str) -> bool:
    """Whether preset ``name``'s network reads ``field_path`` (a ``model.*`` layer-size field)."""
    preset = PRESETS.get(name)
    return preset is not None and field_path in preset.fields
