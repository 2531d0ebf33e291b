"""RunConfig: one versioned, serialisable object that drives a whole run.

The CLI reads it from TOML/JSON, the GUI's forms edit it field by field, and every run
directory stores it as ``config.json``. Validation errors name the field (``model.dropout``).
"""

from __future__ import annotations

import codecs
import copy
import dataclasses
import difflib
import importlib.util
import json
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

from . import presets
from .errors import ConfigError

SCHEMA_VERSION = 1

DATA_FORMATS = (
    "auto",
    "folders",
    "split",
    "lines_per_class",
    "csv",
    "tsv",
    "excel",
    "parquet",
    "jsonl",
    "fasttext",
    "colon_label",
)
VECTOR_FORMATS = ("auto", "glove", "word2vec_text", "word2vec_binary", "fasttext_bin", "gensim")
EMBEDDING_MODES = ("frozen", "finetune", "scratch", "two_phase")
OOV_POLICIES = ("zeros", "random", "mean_noise", "subwords")
PRESETS = presets.names()
OPTIMIZERS = ("adam", "adamw", "rmsprop", "sgd")
# "auto" picks one of the others by coverage of the vector file; the rest are listed simplest first, the
# order core.text uses to break coverage ties.
STANDARDIZE = (
    "auto",
    "lower_split_punctuation",
    "split_punctuation",
    "lower_split_punctuation_keep_hyphens",
    "split_punctuation_keep_hyphens",
    "lower_and_strip_punctuation",
    "lower",
    "strip_punctuation",
    "none",
)
DISTRIBUTE = ("none", "mirrored", "multi_worker")
MAX_SEED = 2**32 - 1

# Paths starting with this prefix name a file shipped inside gensim's wheel (the demo's data).
GENSIM_DATA_PREFIX = "gensim-test-data:"
# "python-package:PKG/rel/path" names a file inside an installed package (found without importing it).
PACKAGE_DATA_PREFIX = "python-package:"

SECTIONS = ("run", "data", "text", "embedding", "model", "training")


# ---- declarative field specs -----------------------------------------------------------------
@dataclass(frozen=True)
class FieldSpec:
    """Everything known about one setting, declared once beside its default.

    ``validate()`` checks ``range``/``choices``/``check``; the GUI's config form builds its control from
    ``label``, ``help``, ``range``, ``step``, ``decimals``, ``choices`` and ``choice_labels``, and shows it only
    for the ``presets`` and embedding ``modes`` listed (empty: always); ``embedding config fields`` prints
    the reference.
    """

    label: str
    help: str = ""
    range: tuple[float | None, float | None] | None = None
    choices: tuple[str, ...] | None = None
    choice_labels: dict[str, str] | None = None
    unit: str = ""
    step: float | None = None
    decimals: int | None = None
    presets: tuple[str, ...] = ()
    modes: tuple[str, ...] = ()
    none_means: str = ""  # what None stands for in an optional field ("all rows")
    check: Callable[[Any], str | None] | None = None  # extra rule: returns an error text, or None
    cli: str = ""  # the command-line flag that sets it, if any


def spec(label: str, help: str = "", **kwargs: Any) -> dict[str, FieldSpec]:
    """``field(metadata=spec(...))``: attach a FieldSpec to a dataclass field."""
    return {"spec": FieldSpec(label, help, **kwargs)}


def _text_codec(value: str) -> str | None:
    try:
        info = codecs.lookup(value)
    except LookupError:
        return f"is {value!r}, which is not a known text encoding; use e.g. utf-8, cp1252 or latin-1"
    if not getattr(info, "_is_text_encoding", True):
        return f"is {value!r}, a {info.name} transform, not a text encoding; use e.g. utf-8, cp1252 or latin-1"
    return None


def _one_char(value: str) -> str | None:
    if len(value) > 1 and value != "\\t":
        return f"must be one character (or \\t for a tab), not {value!r}"
    return None


_PRESET_LABELS = {p.name: p.label for p in presets.PRESETS.values()}
_CNN = tuple(p.name for p in presets.PRESETS.values() if "model.filters" in p.fields)
_RNN = tuple(p.name for p in presets.PRESETS.values() if "model.rnn_units" in p.fields)
_DENSE = tuple(p.name for p in presets.PRESETS.values() if "model.dense_units" in p.fields)
_STACKED = tuple(p.name for p in presets.PRESETS.values() if "model.kernel_size" in p.fields)


def _presets_using(field_path: str) -> tuple[str, ...]:
    return tuple(p.name for p in presets.PRESETS.values() if field_path in p.fields)


_PRETRAINED = ("frozen", "finetune", "two_phase")
STREAMING = ("auto", "on", "off")


@dataclass
class DataConfig:
    path: str = field(
        default="",
        metadata=spec(
            "Data",
            "Folder (one subfolder per class, or train/ and test/), .tar.gz/.zip archive, or a "
            "CSV/TSV/JSONL/fastText file",
        ),
    )
    test_path: str = field(
        default="",
        metadata=spec(
            "Test set", "If given, this is the test set; otherwise a test fraction is held out", cli="--test-path"
        ),
    )
    validation_path: str = field(
        default="",
        metadata=spec(
            "Validation set",
            "If given, this is the validation set (read like the test set); otherwise a validation "
            "fraction of the training data is held out",
            cli="--validation-path",
        ),
    )
    format: str = field(
        default="auto",
        metadata=spec(
            "Format",
            "How to read the source; auto-detect looks at the folder layout or the first lines",
            choices=DATA_FORMATS,
            cli="--format",
        ),
    )
    text_column: str | list[str] = field(
        default="",
        metadata=spec(
            "Text column",
            "The column holding the text to classify; several columns (a list, or names separated by "
            "commas) are joined with a newline; empty: the column with the longest, most varied texts",
            cli="--text-column",
        ),
    )
    label_column: str = field(
        default="", metadata=spec("Label column", "The column holding the class label", cli="--label-column")
    )
    sheet: str = field(
        default="",
        metadata=spec("Sheet", "Excel: the worksheet to read (name or 0-based index); empty: the first", cli="--sheet"),
    )
    delimiter: str = field(
        default="",
        metadata=spec(
            "Delimiter", "Field separator of a CSV/TSV file (empty: detect)", check=_one_char, cli="--delimiter"
        ),
    )
    has_header: bool | None = field(
        default=None, metadata=spec("Header row", "Whether the first row names the columns", none_means="detect")
    )
    encoding: str = field(
        default="utf-8",
        metadata=spec(
            "Encoding",
            "Text encoding; undecodable files fall back to cp1252/latin-1 with a warning",
            check=_text_codec,
            cli="--encoding",
        ),
    )
    lowercase: bool = field(
        default=False,
        metadata=spec("Lowercase", "Lowercase the texts at import (the vectorizer also lowercases by default)"),
    )
    strip_html: bool | None = field(
        default=None,
        metadata=spec(
            "Strip HTML",
            "Remove HTML tags and decode entities (&amp;, &#39;)",
            none_means="when more than a few percent of the documents hold tags or entities",
            cli="--strip-html",
        ),
    )
    exclude: list[str] | None = field(
        default=None,
        metadata=spec(
            "Leave out",
            "Class folders or labels to ignore (glob patterns such as 'unsup' or 'tmp*')",
            none_means="class folders only in train whose name means unlabelled (unsup, unlabeled, unknown)",
            cli="--exclude",
        ),
    )
    strip_headers: bool | None = field(
        default=None,
        metadata=spec(
            "Strip headers",
            "Remove the header block (From:, Subject:, Newsgroups: …)",
            none_means="when the documents look like e-mail",
        ),
    )
    strip_footers: bool | None = field(
        default=None,
        metadata=spec(
            "Strip signatures",
            "Remove the signature block at the end of a message",
            none_means="when the documents look like e-mail",
        ),
    )
    strip_quotes: bool | None = field(
        default=None,
        metadata=spec(
            "Strip quotes",
            "Remove quoted replies ('>' lines and 'X writes:' lines)",
            none_means="when the documents look like e-mail",
        ),
    )
    drop_empty: bool = field(
        default=True,
        metadata=spec(
            "Drop empty rows", "Rows with no words break averaging models (NaN loss); dropping is recommended"
        ),
    )
    drop_duplicates: bool = field(
        default=True, metadata=spec("Drop duplicates", "Identical text + label rows are kept once")
    )
    streaming: str = field(
        default="auto",
        metadata=spec(
            "Streaming",
            "Keep the data on disk: a CSV/TSV is read in chunks into the run folder, and the token ids are "
            "written there as int32 files that a tf.data pipeline reads batch by batch, so memory does not "
            "grow with the rows; auto: on when the CSV/TSV file or the training split's arrays would take "
            "more than 512 MiB (not with a TF-IDF path)",
            choices=STREAMING,
        ),
    )
    validation_fraction: float = field(
        default=0.1,
        metadata=spec(
            "Validation fraction",
            "Share of the training data held out to watch overfitting and stop early",
            range=(0.0, 0.9),
            step=0.05,
            decimals=2,
        ),
    )
    test_fraction: float = field(
        default=0.2,
        metadata=spec(
            "Test fraction",
            "Share held out for the final score (ignored when the data has its own test set)",
            range=(0.0, 0.9),
            step=0.05,
            decimals=2,
        ),
    )
    max_rows: int | None = field(
        default=None,
        metadata=spec(
            "Rows",
            "Use a fixed random sample of N training rows, for quick experiments (a given test set is not capped)",
            range=(1, None),
            step=1000,
            none_means="all rows",
            cli="--max-rows",
        ),
    )
    max_test_rows: int | None = field(
        default=None,
        metadata=spec(
            "Test rows",
            "Use a fixed random sample of N rows of a given test set",
            range=(1, None),
            step=1000,
            none_means="all rows",
        ),
    )
    max_bytes: int = field(
        default=8 * 1024**3,
        metadata=spec(
            "Archive size ceiling",
            "Most bytes of text read from one archive (.tar.gz, .zip); a larger total "
            "stops the import, as a decompression bomb would",
            range=(1 << 20, None),
            unit="bytes",
        ),
    )
    split_seed: int = field(
        default=1337,
        metadata=spec(
            "Split seed",
            "Seeds the train/validation/test split, so that training.seed varies the model and not the data",
            range=(0, MAX_SEED),
        ),
    )


@dataclass
class VectorSource:
    path: str = field(default="", metadata=spec("Vector file", "A word-vector file (GloVe, word2vec, fastText)"))
    format: str = field(
        default="auto",
        metadata=spec(
            "Vector format", "How to read the file; auto-detect reads its first bytes", choices=VECTOR_FORMATS
        ),
    )
    limit: int | None = field(
        default=None,
        metadata=spec("Word limit", "Read only the first N words of the file", range=(1, None), none_means="all words"),
    )
    trust_pickle: bool = field(
        default=False,
        metadata=spec(
            "Trust pickle",
            "Open a gensim model file (.kv/.model): it is a Python pickle, which runs any code it "
            "carries, so only for files from a source you trust; word2vec and GloVe files carry no code",
        ),
    )


@dataclass
class TextConfig:
    max_tokens: int = field(
        default=20000,
        metadata=spec(
            "Max tokens",
            "Vocabulary size, counting padding and [UNK]; the rarer words become [UNK]",
            range=(2, 10_000_000),
            step=1000,
            unit="words",
        ),
    )
    sequence_length: int = field(
        default=400,
        metadata=spec(
            "Sequence length",
            "Tokens per text: longer texts are cut, shorter ones padded",
            range=(1, 100_000),
            step=50,
            unit="tokens",
        ),
    )
    standardize: str = field(
        default="auto",
        metadata=spec(
            "Standardize",
            "How texts are normalised before splitting into words: auto matches the vector file "
            "(punctuation as tokens, clitics such as n't kept, lower case only for a lower-case file)",
            choices=STANDARDIZE,
        ),
    )


@dataclass
class EmbeddingConfig:
    vectors: list[VectorSource] = field(
        default_factory=list, metadata=spec("Vector files", "The pre-trained vector files (two for a two-file preset)")
    )
    mode: str = field(
        default="finetune",
        metadata=spec(
            "Mode",
            "Frozen keeps the pre-trained vectors fixed; fine-tune trains them too; scratch learns new "
            "vectors; two-phase trains frozen first, then unfreezes them at a lower learning rate",
            choices=EMBEDDING_MODES,
            choice_labels={
                "frozen": "frozen (pre-trained, not trained)",
                "finetune": "fine-tune (pre-trained, trained)",
                "scratch": "from scratch (no vector file)",
                "two_phase": "two-phase (frozen, then fine-tuned)",
            },
        ),
    )
    oov_policy: str = field(
        default="random",
        metadata=spec(
            "Missing words",
            "How rows of words without a vector start: zeros, random (scaled like the file), the "
            "mean vector plus noise, or built from fastText subwords",
            choices=OOV_POLICIES,
            modes=_PRETRAINED,
        ),
    )
    dim: int = field(
        default=100,
        metadata=spec(
            "Dimension", "Size of the vectors learned from scratch", range=(1, 4096), step=25, modes=("scratch",)
        ),
    )
    train_oov_rows: bool = field(
        default=False,
        metadata=spec(
            "Learn vectors for words the file lacks",
            "Frozen mode: keep the covered rows fixed but train the rows of out-of-vocabulary words",
            modes=("frozen",),
        ),
    )
    unfreeze_epoch: int = field(
        default=3,
        metadata=spec(
            "Unfreeze at epoch",
            "Two-phase: the epoch at which the embedding starts to train",
            range=(1, 10_000),
            modes=("two_phase",),
        ),
    )
    unfreeze_lr_factor: float = field(
        default=0.1,
        metadata=spec(
            "LR factor after unfreezing",
            "Two-phase: the learning rate is multiplied by this when the embedding unfreezes",
            range=(1e-6, 10.0),
            step=0.05,
            decimals=4,
            modes=("two_phase",),
        ),
    )
    finetune_lr_factor: float = field(
        default=1.0,
        metadata=spec(
            "Vector learning-rate factor",
            "Fine-tune: the pre-trained rows learn at this times the learning rate "
            "(below 1 keeps them closer to the file)",
            range=(1e-4, 1.0),
            step=0.05,
            decimals=4,
            modes=("finetune",),
        ),
    )


@dataclass
class ModelConfig:
    preset: str = field(
        default="auto",
        metadata=spec(
            "Preset", "The network that reads the word vectors", choices=PRESETS, choice_labels=_PRESET_LABELS
        ),
    )
    filters: int = field(
        default=128, metadata=spec("Filters", "Convolution filters per block", range=(1, 4096), step=16, presets=_CNN)
    )
    kernel_size: int = field(
        default=5,
        metadata=spec(
            "Kernel size", "Words each convolution filter spans", range=(1, 64), unit="words", presets=_STACKED
        ),
    )
    conv_blocks: int = field(
        default=3,
        metadata=spec(
            "Conv blocks", "Convolution + max-pooling blocks stacked on each other", range=(1, 6), presets=_STACKED
        ),
    )
    rnn_units: int = field(
        default=64,
        metadata=spec(
            "RNN units",
            "Units of the recurrent layer (per direction for the BiLSTM)",
            range=(1, 4096),
            step=16,
            presets=_RNN,
        ),
    )
    dense_units: int = field(
        default=128,
        metadata=spec(
            "Dense units", "Width of the hidden dense layer before the output", range=(1, 8192), step=16, presets=_DENSE
        ),
    )
    dropout: float = field(
        default=0.3,
        metadata=spec("Dropout", "Fraction of units dropped during training", range=(0.0, 0.95), step=0.05, decimals=2),
    )
    embedding_dropout: float = field(
        default=0.0,
        metadata=spec(
            "Embedding dropout",
            "Fraction of vector dimensions dropped across a whole text (SpatialDropout1D); "
            "regularises fine-tuned pre-trained vectors",
            range=(0.0, 0.9),
            step=0.05,
            decimals=2,
            presets=_presets_using("model.embedding_dropout"),
        ),
    )
    bigram_buckets: int = field(
        default=0,
        metadata=spec(
            "Hashed bigrams",
            "Rows of hashed word-bigram embeddings averaged with the words (fastText's bag of tricks); 0 = words only",
            range=(0, 10_000_000),
            step=100_000,
            unit="rows",
            presets=_presets_using("model.bigram_buckets"),
        ),
    )
    deep_path: str = field(
        default="swem",
        metadata=spec(
            "Embedding path",
            "Wide & deep: the network on the word vectors whose logits join the TF-IDF path's",
            choices=("swem", "average", "kim_cnn"),
            presets=_presets_using("model.deep_path"),
        ),
    )
    wide_features: int = field(
        default=500_000,
        metadata=spec(
            "TF-IDF features",
            "Wide & deep: the TF-IDF path keeps the word unigrams and bigrams seen in at least two training "
            "texts, at most this many (the most frequent); the TF-IDF baseline keeps them all",
            range=(100, 2_000_000),
            step=10_000,
            unit="n-grams",
            presets=_presets_using("model.wide_features"),
        ),
    )


@dataclass
class TrainingConfig:
    optimizer: str = field(
        default="adam", metadata=spec("Optimiser", "The gradient-descent variant", choices=OPTIMIZERS)
    )
    learning_rate: float = field(
        default=1e-3,
        metadata=spec("Learning rate", "Step size of the optimiser", range=(1e-7, 10.0), step=1e-4, decimals=6),
    )
    batch_size: int = field(
        default=64, metadata=spec("Batch size", "Texts per gradient step", range=(1, 65536), step=16, unit="texts")
    )
    epochs: int = field(
        default=10,
        metadata=spec(
            "Epochs",
            "Passes over the training texts, at most (early stopping usually ends sooner); the auto preset "
            "raises the default 10 to 30",
            range=(1, 10_000),
            cli="--epochs",
        ),
    )
    min_steps: int = field(
        default=300,
        metadata=spec(
            "Minimum updates",
            "Small datasets get more epochs until training has made at least this many gradient "
            "updates (early stopping still ends it); an epoch budget alone gives 75 texts 12 updates",
            range=(0, 1_000_000),
            step=100,
            unit="updates",
        ),
    )
    early_stopping: bool = field(
        default=True,
        metadata=spec(
            "Stop early when validation loss stalls",
            "Stop and keep the best weights when the validation loss has not improved for 'patience' epochs",
        ),
    )
    patience: int = field(
        default=3,
        metadata=spec("Patience", "Epochs without improvement before stopping early", range=(1, 1000), unit="epochs"),
    )
    class_weights: bool = field(
        default=False,
        metadata=spec(
            "Weight classes by inverse frequency", "Give rare classes more weight in the loss (for imbalanced data)"
        ),
    )
    seed: int = field(
        default=1337, metadata=spec("Seed", "Random seed: the same seed repeats a run", range=(0, MAX_SEED))
    )
    distribute: str = field(
        default="none",
        metadata=spec(
            "Distribution",
            "Where training runs: this process; every GPU of this machine (tf.distribute "
            "MirroredStrategy); or several processes or machines set up by the TF_CONFIG environment variable "
            "(MultiWorkerMirroredStrategy, see docs/scale-out.md). When distributed, the batch size is per replica and "
            "the learning rate is multiplied by the number of replicas",
            choices=DISTRIBUTE,
            choice_labels={
                "none": "none (this process)",
                "mirrored": "mirrored (all GPUs of this machine)",
                "multi_worker": "multi-worker (TF_CONFIG)",
            },
        ),
    )


@dataclass
class RunConfig:
    schema_version: int = field(
        default=SCHEMA_VERSION,
        metadata=spec(
            "Schema version",
            "The version of this file's layout; older versions are migrated on load",
            range=(0, SCHEMA_VERSION),
        ),
    )
    name: str = field(default="", metadata=spec("Run name", "A name for the run; empty: a name is derived"))
    runs_dir: str = field(default="", metadata=spec("Runs folder", "Where run folders are written", cli="--runs-dir"))
    data: DataConfig = field(default_factory=DataConfig)
    text: TextConfig = field(default_factory=TextConfig)
    embedding: EmbeddingConfig = field(default_factory=EmbeddingConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)

    # ---- serialisation -------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(
        cls, raw: dict[str, Any], *, base_dir: str | os.PathLike | None = None, validate: bool = True
    ) -> RunConfig:
        """Build a config from ``raw`` (migrating older schema versions; ``raw`` is not changed), validate it and
        resolve relative paths against ``base_dir``. Unknown fields and wrong types are always refused;
        ``validate=False`` keeps unfinished settings (no vector file chosen yet, a value out of range) for a form
        that shows what is still wrong."""
        if not isinstance(raw, dict):
            raise ConfigError("The run configuration must be a table/object at the top level.")
        raw = migrate(copy.deepcopy(raw))
        cfg = _build(cls, raw, "")
        if validate:
            cfg.validate()
        if base_dir is not None:
            cfg.resolve_paths(base_dir)
        return cfg

    def copy(self) -> RunConfig:
        return copy.deepcopy(self)

    # ---- validation ----------------------------------------------------------------
    def validate(self, sections: tuple[str, ...] | list[str] | None = None) -> None:
        """Check every value (or only those of ``sections``, e.g. ``("model", "training")``); raises a
        ConfigError naming the first bad field (its ``field`` attribute holds the dotted path). Rules that
        join fields of several sections run only when all of them are checked."""
        wanted = set(SECTIONS if sections is None else sections)
        unknown = wanted - set(SECTIONS)
        if unknown:
            raise ValueError(f"unknown config sections {sorted(unknown)}; known: {', '.join(SECTIONS)}")
        for path, value, fspec in field_values(self):
            if _section_of(path) in wanted:
                check_value(path, value, fspec)
        for rule_sections, rule in _RULES:
            if set(rule_sections) <= wanted:
                rule(self)

    def resolve_paths(self, base_dir: str | os.PathLike) -> None:
        base = Path(base_dir)
        self.data.path = resolve_path(self.data.path, base)
        self.data.test_path = resolve_path(self.data.test_path, base)
        self.data.validation_path = resolve_path(self.data.validation_path, base)
        for v in self.embedding.vectors:
            v.path = resolve_path(v.path, base)
        if self.runs_dir:
            self.runs_dir = resolve_path(self.runs_dir, base)


# ---- walking the specs -------------------------------------------------------------------------
def _section_of(path: str) -> str:
    head = path.split(".", 1)[0]
    return head if "." in path else "run"


def field_specs(cls: type = RunConfig, prefix: str = "") -> Iterator[tuple[str, FieldSpec, Any]]:
    """``(dotted path, spec, type)`` for every leaf setting, in declaration order. Entries of a list of
    sections (``embedding.vectors``) are listed once as ``embedding.vectors[].path`` etc."""
    hints = get_type_hints(cls)
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        path = f"{prefix}{f.name}"
        if isinstance(tp, type) and dataclasses.is_dataclass(tp):
            yield from field_specs(tp, f"{path}.")
            continue
        if get_origin(tp) is list and dataclasses.is_dataclass(get_args(tp)[0]):
            yield from field_specs(get_args(tp)[0], f"{path}[].")
            continue
        yield path, f.metadata["spec"], tp


def field_values(obj: Any, prefix: str = "") -> Iterator[tuple[str, Any, FieldSpec]]:
    """``(dotted path, value, spec)`` for every leaf setting of a config object, list entries indexed."""
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        path = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value):
            yield from field_values(value, f"{path}.")
        elif isinstance(value, list) and value and all(dataclasses.is_dataclass(v) for v in value):
            for i, item in enumerate(value):
                yield from field_values(item, f"{path}[{i}].")
        else:
            yield path, value, f.metadata["spec"]


def spec_of(path: str) -> FieldSpec:
    """The spec of a dotted path (list indexes allowed: ``embedding.vectors[0].path``)."""
    import re

    generic = re.sub(r"\[\d+\]", "[]", path)
    for name, fspec, _tp in field_specs():
        if name == generic:
            return fspec
    raise KeyError(path)


def check_value(path: str, value: Any, fspec: FieldSpec) -> None:
    """Raise ConfigError (with ``field=path``) when ``value`` breaks ``fspec``'s range, choices or rule."""
    if value is None:
        return
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"'{path}' is {value}; it must be a finite number.", field=path)
    if fspec.choices is not None:
        _choice(path, value, fspec.choices)
    if fspec.range is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
        _range(path, value, *fspec.range)
    if fspec.check is not None:
        problem = fspec.check(value)
        if problem:
            raise ConfigError(f"'{path}' {problem}.", field=path)


def _rule_fractions(cfg: RunConfig) -> None:
    d = cfg.data
    if d.validation_fraction + d.test_fraction >= 0.95:
        raise ConfigError(
            "data.validation_fraction + data.test_fraction must leave data to train on (sum < 0.95).",
            field="data.validation_fraction",
        )


def _rule_vector_paths(cfg: RunConfig) -> None:
    e = cfg.embedding
    for i, v in enumerate(e.vectors):
        if not v.path:
            raise ConfigError(
                f"embedding.vectors[{i}].path is empty: give the path of a vector file.",
                field=f"embedding.vectors[{i}].path",
            )
    if e.mode != "scratch" and not e.vectors:
        raise ConfigError(
            f"embedding.mode is {e.mode!r} but embedding.vectors is empty: add a vector file, "
            'or set embedding.mode = "scratch".',
            field="embedding.vectors",
        )


def _rule_preset_vectors(cfg: RunConfig) -> None:
    needed = presets.vector_files_needed(cfg.model.preset, cfg.embedding.mode)
    if needed > 1 and len(cfg.embedding.vectors) < needed:
        count = {2: "two", 3: "three"}.get(needed, str(needed))
        raise ConfigError(
            f'model.preset "{cfg.model.preset}" concatenates {count} vector files: embedding.vectors '
            f"needs {count} entries.",
            field="model.preset",
        )


def _rule_unfreeze(cfg: RunConfig) -> None:
    e, tr = cfg.embedding, cfg.training
    if e.mode == "two_phase" and e.unfreeze_epoch > tr.epochs:
        raise ConfigError(
            f"embedding.unfreeze_epoch ({e.unfreeze_epoch}) is after the last epoch ({tr.epochs}): "
            "lower it or raise training.epochs.",
            field="embedding.unfreeze_epoch",
        )


# Rules that join several fields: (the sections they read, the check).
_RULES: tuple[tuple[tuple[str, ...], Callable[[RunConfig], None]], ...] = (
    (("data",), _rule_fractions),
    (("embedding",), _rule_vector_paths),
    (("embedding", "model"), _rule_preset_vectors),
    (("embedding", "training"), _rule_unfreeze),
)


def field_reference(markdown: bool = False) -> str:
    """The reference of every setting (path, type, default, allowed values, label, help), as plain text or a
    Markdown table; ``embedstudio config fields`` prints it and docs/config-fields.md is generated from it."""
    defaults = RunConfig()
    rows = []
    for path, fspec, tp in field_specs():
        default = _default_of(defaults, path)
        allowed = _allowed(fspec)
        rows.append((path, _type_name(tp), "" if default is None else repr(default), allowed, fspec))
    if markdown:
        out = ["| field | type | default | allowed | what it is |", "|---|---|---|---|---|"]
        for path, tname, default, allowed, fspec in rows:
            text = f"**{fspec.label}**. {_sentence(fspec.help)}".replace("|", "\\|")
            if fspec.none_means:
                text += f" Empty: {fspec.none_means}."
            out.append(f"| `{path}` | {tname} | {default.replace('|', '/')} | {allowed} | {text} |")
        return "\n".join(out) + "\n"
    out = []
    for path, tname, default, allowed, fspec in rows:
        out.append(f"{path}  ({tname}, default {default or 'empty'}{'; ' + allowed if allowed else ''})")
        out.append(
            f"    {fspec.label}: {_sentence(fspec.help)}" + (f" Empty: {fspec.none_means}." if fspec.none_means else "")
        )
    return "\n".join(out) + "\n"


def _sentence(text: str) -> str:
    return text if not text or text[-1] in ".!?)" else f"{text}."


def _default_of(cfg: Any, path: str) -> Any:
    obj = cfg
    for part in path.split("."):
        if part.endswith("[]"):
            obj = VectorSource() if part == "vectors[]" else getattr(obj, part[:-2])
            continue
        obj = getattr(obj, part)
    return obj


def _allowed(fspec: FieldSpec) -> str:
    if fspec.choices is not None:
        return ", ".join(fspec.choices)
    if fspec.range is not None:
        lo, hi = fspec.range
        text = f"{lo} … {hi}" if hi is not None else f"≥ {lo}"
        return f"{text} {fspec.unit}".strip()
    return ""


def _type_name(tp: Any) -> str:
    args = [a for a in get_args(tp) if a is not type(None)]
    if get_origin(tp) is list:
        return "list"
    if args:
        return f"{args[0].__name__} or empty"
    return getattr(tp, "__name__", str(tp))


def resolve_path(value: str, base: Path) -> str:
    if not value or value.startswith((GENSIM_DATA_PREFIX, PACKAGE_DATA_PREFIX)):
        return value
    p = Path(os.path.expanduser(value))
    return str(p if p.is_absolute() else (base / p).resolve())


def data_path(value: str | os.PathLike) -> Path:
    """The real filesystem path behind a config path (expands the gensim test-data prefix).

    Found through gensim's package location rather than by importing gensim, which costs 0.8 s and
    may be asked for on the GUI thread; gensim's own ``datapath`` is the fallback.
    """
    value = str(value)
    if value.startswith(PACKAGE_DATA_PREFIX):
        return package_data_path(value[len(PACKAGE_DATA_PREFIX) :])
    if not value.startswith(GENSIM_DATA_PREFIX):
        return Path(value)
    name = value[len(GENSIM_DATA_PREFIX) :]
    spec = importlib.util.find_spec("gensim")
    if spec is not None and spec.submodule_search_locations:
        candidate = Path(list(spec.submodule_search_locations)[0]) / "test" / "test_data" / name
        if candidate.exists():
            return candidate
    from gensim.test.utils import datapath

    return Path(datapath(name))


def package_data_path(spec_path: str) -> Path:
    """``PKG/rel/path`` inside the installed package PKG, located with ``importlib.util.find_spec`` (the
    package is not imported: some data packages print or download on import)."""
    package, _, rest = spec_path.partition("/")
    spec = importlib.util.find_spec(package) if package else None
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            f"The Python package {package!r} is not installed, so {PACKAGE_DATA_PREFIX}{spec_path} "
            "cannot be found. Install EmbedStudio's dependencies (scripts/bootstrap.sh)."
        )
    return Path(list(spec.submodule_search_locations)[0]) / rest


# ---- schema migrations -------------------------------------------------------------------
def _migrate_0_to_1(raw: dict[str, Any]) -> dict[str, Any]:
    # Version 0 (never released outside development) had a single "vectors" path at the top.
    vec = raw.pop("vectors", None)
    if vec:
        raw.setdefault("embedding", {}).setdefault("vectors", [{"path": vec}])
    return raw


MIGRATIONS = {0: _migrate_0_to_1}


def migrate(raw: dict[str, Any]) -> dict[str, Any]:
    version = raw.get("schema_version", SCHEMA_VERSION)
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise ConfigError(
            f"schema_version must be a whole number from 0 to {SCHEMA_VERSION}, not {version!r}.",
            field="schema_version",
        )
    if version > SCHEMA_VERSION:
        raise ConfigError(
            f"This configuration has schema_version {version}, newer than this EmbedStudio understands "
            f"({SCHEMA_VERSION}). Update EmbedStudio to open it."
        )
    while version < SCHEMA_VERSION:
        raw = MIGRATIONS[version](raw)
        version += 1
    raw["schema_version"] = SCHEMA_VERSION
    return raw


# ---- building dataclasses from plain dicts with field-named errors -----------------------
def _build(cls: type, raw: dict[str, Any], prefix: str) -> Any:
    hints = get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    for key in raw:
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            where = f"{prefix}{key}"
            tip = f" Did you mean '{prefix}{close[0]}'?" if close else f" Known fields: {', '.join(sorted(names))}."
            raise ConfigError(f"Unknown field '{where}'.{tip}", field=where)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in raw:
            kwargs[f.name] = _convert(hints[f.name], raw[f.name], f"{prefix}{f.name}")
    return cls(**kwargs)


def _convert(tp: Any, value: Any, where: str) -> Any:
    origin = get_origin(tp)
    args = get_args(tp)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"'{where}' must be a table/object, not {type(value).__name__}.", field=where)
        return _build(tp, value, f"{where}.")
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"'{where}' must be a list, not {type(value).__name__}.", field=where)
        return [_convert(args[0], v, f"{where}[{i}]") for i, v in enumerate(value)]
    if type(None) in args:  # Optional[X]
        if value is None:
            return None
        inner = [a for a in args if a is not type(None)]
        return _convert(inner[0] if len(inner) == 1 else Union[tuple(inner)], value, where)  # noqa: UP007
    if len(args) > 1 and origin in (Union, UnionType):  # X | Y: the first alternative the value fits
        if isinstance(value, list) and any(get_origin(a) is list for a in args):
            return _convert(next(a for a in args if get_origin(a) is list), value, where)
        return _convert(next(a for a in args if get_origin(a) is not list), value, where)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"'{where}' must be true or false, not {value!r}.", field=where)
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise ConfigError(f"'{where}' must be a whole number, not {value!r}.", field=where)
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"'{where}' must be a number, not {value!r}.", field=where)
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"'{where}' must be text, not {value!r}.", field=where)
        return value
    return value


def _choice(where: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        close = difflib.get_close_matches(str(value), choices, n=1)
        tip = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"'{where}' is {value!r}; choose one of {', '.join(choices)}.{tip}", field=where)


def _range(where: str, value: float, lo: float | None, hi: float | None) -> None:
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        bounds = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
        raise ConfigError(f"'{where}' is {value}; it must be {bounds}.", field=where)


# ---- files ------------------------------------------------------------------------------
def load_config(path: str | os.PathLike) -> RunConfig:
    """Read a TOML or JSON run configuration; relative paths are relative to the file."""
    from .fileio import check_readable_path

    path = Path(path)
    check_readable_path(path, ConfigError, what="configuration file")  # FIFOs, devices, link loops
    if path.is_dir():
        raise ConfigError(
            f"{path} is a folder, not a configuration file.",
            hint="Give the run configuration file itself (a .toml or .json file).",
        )
    if not path.is_file():
        raise ConfigError(f"Configuration file not found: {path}")
    text = path.read_bytes()
    try:
        if path.suffix.lower() == ".toml":
            import tomllib

            raw = tomllib.loads(text.decode("utf-8-sig"))  # a byte-order mark (Windows editors) is dropped
        else:
            raw = json.loads(text.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}).") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}, line {exc.lineno}, column {exc.colno}: invalid JSON ({exc.msg}).") from None
    except Exception as exc:  # tomllib.TOMLDecodeError carries the line in its message
        raise ConfigError(f"{path}: invalid TOML ({exc}).") from None
    try:
        return RunConfig.from_dict(raw, base_dir=path.parent)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def save_config(cfg: RunConfig, path: str | os.PathLike) -> None:
    """Write a configuration atomically as TOML (``.toml``) or JSON (anything else)."""
    from .fileio import atomic_write_text

    path = Path(path)
    data = drop_none(cfg.to_dict())
    if path.suffix.lower() == ".toml":
        import tomli_w

        atomic_write_text(path, tomli_w.dumps(data))
    else:
        atomic_write_text(path, json.dumps(data, indent=2) + "\n")


def drop_none(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: drop_none(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list):
        return [drop_none(v) for v in obj]
    return obj
