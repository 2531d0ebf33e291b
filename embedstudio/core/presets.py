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
    fields: tuple[str, ...] = ()   # the model.* settings its network reads
    vector_files: int = 1          # vector files it needs unless trained from scratch
    masked: bool = False           # its body reads Keras' padding mask (convolutions see padding as zeros)
    body: str = ""                 # the builder's name in core.models (``_<body>_body``)


_CNN_FIELDS = ("model.filters", "model.kernel_size", "model.conv_blocks", "model.dense_units")
_RNN_FIELDS = ("model.rnn_units", "model.dense_units")

_ALL = (
    Preset("cnn", "CNN", "Convolutional: stacked Conv1D + max-pooling blocks, then a dense layer "
           "(the classic Keras example).", _CNN_FIELDS, body="cnn"),
    Preset("bilstm", "BiLSTM", "Bidirectional LSTM over the word vectors: slower, reads word order in both "
           "directions.", _RNN_FIELDS, masked=True, body="bilstm"),
    Preset("gru", "GRU", "A single GRU layer: a lighter recurrent model than the BiLSTM.", _RNN_FIELDS,
           masked=True, body="gru"),
    Preset("average", "Average (fastText-style)", "fastText-style: the average of the word vectors, then a "
           "linear classifier. Fast and strong on small data.", masked=True, body="average"),
    Preset("multi", "Two vector files + CNN", "Two vector files side by side (their vectors concatenated per "
           "word), then the CNN.", _CNN_FIELDS, vector_files=2, body="cnn"),
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
