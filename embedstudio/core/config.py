"""RunConfig: one versioned, serialisable object that drives a whole run.

The CLI reads it from TOML/JSON, the GUI's forms edit it field by field, and every run
directory stores it as ``config.json``. Validation errors name the field (``model.dropout``).
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import importlib.util
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

from .errors import ConfigError

SCHEMA_VERSION = 1

DATA_FORMATS = ("auto", "folders", "split", "lines_per_class", "csv", "tsv", "excel", "parquet", "jsonl", "fasttext",
                "colon_label")
VECTOR_FORMATS = ("auto", "glove", "word2vec_text", "word2vec_binary", "fasttext_bin", "gensim")
EMBEDDING_MODES = ("frozen", "finetune", "scratch", "two_phase")
OOV_POLICIES = ("zeros", "random", "mean_noise", "subwords")
PRESETS = ("cnn", "bilstm", "gru", "average", "multi")
OPTIMIZERS = ("adam", "adamw", "rmsprop", "sgd")
STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation", "none")

# Paths starting with this prefix name a file shipped inside gensim's wheel (the demo's data).
GENSIM_DATA_PREFIX = "gensim-test-data:"


@dataclass
class DataConfig:
    path: str = ""
    test_path: str = ""
    validation_path: str = ""            # a given validation file/folder, read like test_path
    format: str = "auto"
    text_column: str | list[str] = ""    # one column, or several joined with a newline ("title,description")
    label_column: str = ""
    sheet: str = ""                      # Excel: the worksheet to read ("" = the first)
    delimiter: str = ""
    has_header: bool | None = None
    encoding: str = "utf-8"
    lowercase: bool = False
    strip_html: bool | None = None       # None: on when more than a few percent of documents hold tags/entities
    exclude: list[str] | None = None     # class folders/labels (glob patterns) to ignore; None: unlabelled ones
    strip_headers: bool | None = None   # None: on when the documents look like mail/news
    strip_footers: bool | None = None
    strip_quotes: bool | None = None
    drop_empty: bool = True
    drop_duplicates: bool = True
    validation_fraction: float = 0.1
    test_fraction: float = 0.2           # used only when the data has no test split of its own
    max_rows: int | None = None          # caps the training rows only
    max_test_rows: int | None = None     # caps a given test set
    split_seed: int = 1337               # seeds the train/validation/test split (training.seed varies the model)


@dataclass
class VectorSource:
    path: str = ""
    format: str = "auto"
    limit: int | None = None


@dataclass
class TextConfig:
    max_tokens: int = 20000
    sequence_length: int = 400
    standardize: str = "lower_and_strip_punctuation"


@dataclass
class EmbeddingConfig:
    vectors: list[VectorSource] = field(default_factory=list)
    mode: str = "finetune"
    oov_policy: str = "random"
    dim: int = 100                 # used when training from scratch
    train_oov_rows: bool = False   # frozen mode: keep covered rows frozen but learn the OOV rows
    unfreeze_epoch: int = 3        # two_phase: the epoch at which the embedding is unfrozen
    unfreeze_lr_factor: float = 0.1


@dataclass
class ModelConfig:
    preset: str = "cnn"
    filters: int = 128
    kernel_size: int = 5
    conv_blocks: int = 3
    rnn_units: int = 64
    dense_units: int = 128
    dropout: float = 0.3


@dataclass
class TrainingConfig:
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    batch_size: int = 64
    epochs: int = 10
    early_stopping: bool = True
    patience: int = 3
    class_weights: bool = False
    seed: int = 1337


@dataclass
class RunConfig:
    schema_version: int = SCHEMA_VERSION
    name: str = ""
    runs_dir: str = ""
    data: DataConfig = field(default_factory=DataConfig)
    text: TextConfig = field(default_factory=TextConfig)
    embedding: EmbeddingConfig = field(default_factory=EmbeddingConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)

    # ---- serialisation -------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any], *, base_dir: str | os.PathLike | None = None) -> "RunConfig":
        """Validate ``raw`` (migrating older schema versions) and resolve relative paths against ``base_dir``."""
        if not isinstance(raw, dict):
            raise ConfigError("The run configuration must be a table/object at the top level.")
        raw = migrate(copy.deepcopy(raw))
        cfg = _build(cls, raw, "")
        cfg.validate()
        if base_dir is not None:
            cfg.resolve_paths(base_dir)
        return cfg

    def copy(self) -> "RunConfig":
        return copy.deepcopy(self)

    # ---- validation ----------------------------------------------------------------
    def validate(self) -> None:
        """Check every value; raises ConfigError naming the first bad field."""
        d, t, e, m, tr = self.data, self.text, self.embedding, self.model, self.training
        _choice("data.format", d.format, DATA_FORMATS)
        _range("data.validation_fraction", d.validation_fraction, 0.0, 0.9)
        _range("data.test_fraction", d.test_fraction, 0.0, 0.9)
        if d.validation_fraction + d.test_fraction >= 0.95:
            raise ConfigError("data.validation_fraction + data.test_fraction must leave data to train on (sum < 0.95).")
        for name in ("max_rows", "max_test_rows"):
            if getattr(d, name) is not None:
                _range(f"data.{name}", getattr(d, name), 1, None)
        if len(d.delimiter) > 1 and d.delimiter != "\\t":
            raise ConfigError(f"data.delimiter must be one character, not {d.delimiter!r}.")
        _range("text.max_tokens", t.max_tokens, 2, 10_000_000)
        _range("text.sequence_length", t.sequence_length, 1, 100_000)
        _choice("text.standardize", t.standardize, STANDARDIZE)
        _choice("embedding.mode", e.mode, EMBEDDING_MODES)
        _choice("embedding.oov_policy", e.oov_policy, OOV_POLICIES)
        _range("embedding.dim", e.dim, 1, 4096)
        _range("embedding.unfreeze_epoch", e.unfreeze_epoch, 1, 10_000)
        _range("embedding.unfreeze_lr_factor", e.unfreeze_lr_factor, 1e-6, 10.0)
        for i, v in enumerate(e.vectors):
            _choice(f"embedding.vectors[{i}].format", v.format, VECTOR_FORMATS)
            if not v.path:
                raise ConfigError(f"embedding.vectors[{i}].path is empty: give the path of a vector file.")
            if v.limit is not None:
                _range(f"embedding.vectors[{i}].limit", v.limit, 1, None)
        if e.mode != "scratch" and not e.vectors:
            raise ConfigError(
                f"embedding.mode is {e.mode!r} but embedding.vectors is empty: add a vector file, "
                "or set embedding.mode = \"scratch\".")
        _choice("model.preset", m.preset, PRESETS)
        if m.preset == "multi" and len(e.vectors) < 2:
            raise ConfigError("model.preset \"multi\" concatenates two vector files: embedding.vectors needs two entries.")
        _range("model.filters", m.filters, 1, 4096)
        _range("model.kernel_size", m.kernel_size, 1, 64)
        _range("model.conv_blocks", m.conv_blocks, 1, 6)
        _range("model.rnn_units", m.rnn_units, 1, 4096)
        _range("model.dense_units", m.dense_units, 1, 8192)
        _range("model.dropout", m.dropout, 0.0, 0.95)
        _choice("training.optimizer", tr.optimizer, OPTIMIZERS)
        _range("training.learning_rate", tr.learning_rate, 1e-7, 10.0)
        _range("training.batch_size", tr.batch_size, 1, 65536)
        _range("training.epochs", tr.epochs, 1, 10_000)
        _range("training.patience", tr.patience, 1, 1000)
        if e.mode == "two_phase" and e.unfreeze_epoch > tr.epochs:
            raise ConfigError(
                f"embedding.unfreeze_epoch ({e.unfreeze_epoch}) is after the last epoch ({tr.epochs}): "
                "lower it or raise training.epochs.")

    def resolve_paths(self, base_dir: str | os.PathLike) -> None:
        base = Path(base_dir)
        self.data.path = resolve_path(self.data.path, base)
        self.data.test_path = resolve_path(self.data.test_path, base)
        self.data.validation_path = resolve_path(self.data.validation_path, base)
        for v in self.embedding.vectors:
            v.path = resolve_path(v.path, base)
        if self.runs_dir:
            self.runs_dir = resolve_path(self.runs_dir, base)


def resolve_path(value: str, base: Path) -> str:
    if not value or value.startswith(GENSIM_DATA_PREFIX):
        return value
    p = Path(os.path.expanduser(value))
    return str(p if p.is_absolute() else (base / p).resolve())


def data_path(value: str | os.PathLike) -> Path:
    """The real filesystem path behind a config path (expands the gensim test-data prefix).

    Found through gensim's package location rather than by importing gensim, which costs 0.8 s and
    may be asked for on the GUI thread; gensim's own ``datapath`` is the fallback.
    """
    value = str(value)
    if not value.startswith(GENSIM_DATA_PREFIX):
        return Path(value)
    name = value[len(GENSIM_DATA_PREFIX):]
    spec = importlib.util.find_spec("gensim")
    if spec is not None and spec.submodule_search_locations:
        candidate = Path(list(spec.submodule_search_locations)[0]) / "test" / "test_data" / name
        if candidate.exists():
            return candidate
    from gensim.test.utils import datapath

    return Path(datapath(name))


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
    if not isinstance(version, int):
        raise ConfigError(f"schema_version must be an integer, not {version!r}.")
    if version > SCHEMA_VERSION:
        raise ConfigError(
            f"This configuration has schema_version {version}, newer than this EmbedStudio understands "
            f"({SCHEMA_VERSION}). Update EmbedStudio to open it.")
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
            raise ConfigError(f"Unknown field '{where}'.{tip}")
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in raw:
            kwargs[f.name] = _convert(hints[f.name], raw[f.name], f"{prefix}{f.name}")
    return cls(**kwargs)


def _convert(tp: Any, value: Any, where: str) -> Any:
    origin = get_origin(tp)
    args = get_args(tp)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"'{where}' must be a table/object, not {type(value).__name__}.")
        return _build(tp, value, f"{where}.")
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"'{where}' must be a list, not {type(value).__name__}.")
        return [_convert(args[0], v, f"{where}[{i}]") for i, v in enumerate(value)]
    if type(None) in args:  # Optional[X]
        if value is None:
            return None
        inner = [a for a in args if a is not type(None)]
        return _convert(inner[0] if len(inner) == 1 else Union[tuple(inner)], value, where)
    if len(args) > 1 and origin in (Union, UnionType):  # X | Y: the first alternative the value fits
        if isinstance(value, list) and any(get_origin(a) is list for a in args):
            return _convert(next(a for a in args if get_origin(a) is list), value, where)
        return _convert(next(a for a in args if get_origin(a) is not list), value, where)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"'{where}' must be true or false, not {value!r}.")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise ConfigError(f"'{where}' must be a whole number, not {value!r}.")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"'{where}' must be a number, not {value!r}.")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"'{where}' must be text, not {value!r}.")
        return value
    return value


def _choice(where: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        close = difflib.get_close_matches(str(value), choices, n=1)
        tip = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"'{where}' is {value!r}; choose one of {', '.join(choices)}.{tip}")


def _range(where: str, value: float, lo: float | None, hi: float | None) -> None:
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        bounds = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
        raise ConfigError(f"'{where}' is {value}; it must be {bounds}.")


# ---- files ------------------------------------------------------------------------------
def load_config(path: str | os.PathLike) -> RunConfig:
    """Read a TOML or JSON run configuration; relative paths are relative to the file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"Configuration file not found: {path}")
    text = path.read_bytes()
    try:
        if path.suffix.lower() == ".toml":
            import tomllib

            raw = tomllib.loads(text.decode("utf-8"))
        else:
            raw = json.loads(text.decode("utf-8"))
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
    data = _drop_none(cfg.to_dict())
    if path.suffix.lower() == ".toml":
        import tomli_w

        atomic_write_text(path, tomli_w.dumps(data))
    else:
        atomic_write_text(path, json.dumps(data, indent=2) + "\n")


def _drop_none(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _drop_none(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list):
        return [_drop_none(v) for v in obj]
    return obj
