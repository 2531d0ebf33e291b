"""RunConfig: declarative field specs, validation naming the field, round trips and migrations."""

import dataclasses
import json
import math
from pathlib import Path

import pytest

from embedstudio.core import presets
from embedstudio.core.config import (
    SECTIONS,
    FieldSpec,
    RunConfig,
    VectorSource,
    field_reference,
    field_specs,
    load_config,
    save_config,
    spec_of,
)
from embedstudio.core.errors import ConfigError

FIXTURES = Path(__file__).parent / "fixtures"
DOCS = Path(__file__).parents[2] / "docs" / "config-fields.md"


def valid() -> RunConfig:
    cfg = RunConfig()
    cfg.data.path = "data.csv"
    cfg.embedding.vectors = [VectorSource(path="a.txt")]
    return cfg


def test_every_field_has_a_spec_with_a_label_and_help():
    seen = list(field_specs())
    assert len(seen) > 40
    for path, fspec, _tp in seen:
        assert isinstance(fspec, FieldSpec), path
        assert fspec.label and fspec.help, path
        if fspec.range is not None:
            lo, hi = fspec.range
            assert lo is None or hi is None or lo <= hi, path


def test_specs_of_list_entries_are_found_by_index():
    assert spec_of("embedding.vectors[1].format").choices == (
        "auto",
        "glove",
        "word2vec_text",
        "word2vec_binary",
        "fasttext_bin",
        "gensim",
    )
    with pytest.raises(KeyError):
        spec_of("model.nonexistent")


def test_preset_choices_come_from_the_registry():
    fspec = spec_of("model.preset")
    assert fspec.choices == presets.names()
    assert set(fspec.choice_labels) == set(presets.PRESETS)
    for name, preset in presets.PRESETS.items():
        for path in preset.fields:
            assert name in spec_of(path).presets, (name, path)


# One case per rule: the change that breaks it and the field the error must name.
BAD = [
    ("data.format", lambda c: setattr(c.data, "format", "xlsx-ish")),
    ("data.validation_fraction", lambda c: setattr(c.data, "validation_fraction", 0.95)),
    ("data.validation_fraction", lambda c: setattr(c.data, "validation_fraction", math.nan)),
    ("data.test_fraction", lambda c: setattr(c.data, "test_fraction", math.inf)),
    (
        "data.validation_fraction",
        lambda c: (setattr(c.data, "validation_fraction", 0.5), setattr(c.data, "test_fraction", 0.5)),
    ),
    ("data.max_rows", lambda c: setattr(c.data, "max_rows", 0)),
    ("data.delimiter", lambda c: setattr(c.data, "delimiter", "ab")),
    ("data.encoding", lambda c: setattr(c.data, "encoding", "rot13")),
    ("data.encoding", lambda c: setattr(c.data, "encoding", "no-such-codec")),
    ("text.max_tokens", lambda c: setattr(c.text, "max_tokens", 1)),
    ("text.sequence_length", lambda c: setattr(c.text, "sequence_length", 0)),
    ("text.standardize", lambda c: setattr(c.text, "standardize", "lowercase")),
    ("embedding.mode", lambda c: setattr(c.embedding, "mode", "frozen-ish")),
    ("embedding.oov_policy", lambda c: setattr(c.embedding, "oov_policy", "nope")),
    ("embedding.dim", lambda c: setattr(c.embedding, "dim", 0)),
    ("embedding.unfreeze_epoch", lambda c: setattr(c.embedding, "unfreeze_epoch", 0)),
    ("embedding.unfreeze_lr_factor", lambda c: setattr(c.embedding, "unfreeze_lr_factor", 0.0)),
    ("embedding.vectors[0].format", lambda c: setattr(c.embedding.vectors[0], "format", "csv")),
    ("embedding.vectors[0].path", lambda c: setattr(c.embedding.vectors[0], "path", "")),
    ("embedding.vectors[0].limit", lambda c: setattr(c.embedding.vectors[0], "limit", 0)),
    ("embedding.vectors", lambda c: setattr(c.embedding, "vectors", [])),
    ("model.preset", lambda c: setattr(c.model, "preset", "transformer")),
    ("model.preset", lambda c: setattr(c.model, "preset", "multi")),
    ("model.filters", lambda c: setattr(c.model, "filters", 0)),
    ("model.kernel_size", lambda c: setattr(c.model, "kernel_size", 65)),
    ("model.conv_blocks", lambda c: setattr(c.model, "conv_blocks", 7)),
    ("model.rnn_units", lambda c: setattr(c.model, "rnn_units", 0)),
    ("model.dense_units", lambda c: setattr(c.model, "dense_units", 0)),
    ("model.dropout", lambda c: setattr(c.model, "dropout", 0.96)),
    ("model.dropout", lambda c: setattr(c.model, "dropout", math.nan)),
    ("training.optimizer", lambda c: setattr(c.training, "optimizer", "lbfgs")),
    ("training.learning_rate", lambda c: setattr(c.training, "learning_rate", 0.0)),
    ("training.learning_rate", lambda c: setattr(c.training, "learning_rate", -math.inf)),
    ("training.batch_size", lambda c: setattr(c.training, "batch_size", 0)),
    ("training.epochs", lambda c: setattr(c.training, "epochs", 0)),
    ("training.patience", lambda c: setattr(c.training, "patience", 0)),
    ("training.seed", lambda c: setattr(c.training, "seed", -1)),
    ("training.seed", lambda c: setattr(c.training, "seed", 2**32)),
    (
        "embedding.unfreeze_epoch",
        lambda c: (setattr(c.embedding, "mode", "two_phase"), setattr(c.embedding, "unfreeze_epoch", 20)),
    ),
]


@pytest.mark.parametrize("field_path,breaker", BAD, ids=[f"{p}-{i}" for i, (p, _) in enumerate(BAD)])
def test_each_rule_names_its_field(field_path, breaker):
    cfg = valid()
    cfg.validate()
    breaker(cfg)
    with pytest.raises(ConfigError) as err:
        cfg.validate()
    assert err.value.field == field_path
    assert field_path.split("[")[0] in str(err.value)


def test_the_defaults_are_valid_and_each_spec_default_is_in_range():
    valid().validate()
    cfg = RunConfig()
    cfg.embedding.mode = "scratch"
    cfg.validate()


def test_partial_validation_checks_only_the_sections_asked_for():
    cfg = RunConfig()  # no data path, no vectors, fine-tune: the embedding section is incomplete
    cfg.model.dropout = 2.0
    cfg.validate(sections=("data", "text", "training"))
    with pytest.raises(ConfigError) as err:
        cfg.validate(sections=("model",))
    assert err.value.field == "model.dropout"
    with pytest.raises(ConfigError) as err:
        cfg.validate(sections=("embedding",))
    assert err.value.field == "embedding.vectors"
    with pytest.raises(ValueError):
        cfg.validate(sections=("bogus",))
    assert "run" in SECTIONS


def test_from_dict_names_unknown_and_mistyped_fields():
    with pytest.raises(ConfigError) as err:
        RunConfig.from_dict({"model": {"dropuot": 0.1}})
    assert err.value.field == "model.dropuot" and "model.dropout" in str(err.value)
    with pytest.raises(ConfigError) as err:
        RunConfig.from_dict({"training": {"epochs": "ten"}})
    assert err.value.field == "training.epochs"
    with pytest.raises(ConfigError) as err:
        RunConfig.from_dict({"schema_version": -1})
    assert err.value.field == "schema_version"


def test_from_dict_without_validation_keeps_unfinished_settings_but_not_unknown_fields():
    raw = {"model": {"dropout": 2.0}}
    with pytest.raises(ConfigError) as err:
        RunConfig.from_dict(raw)
    assert err.value.field == "model.dropout"
    cfg = RunConfig.from_dict(raw, validate=False)
    assert cfg.model.dropout == 2.0 and raw == {"model": {"dropout": 2.0}}
    with pytest.raises(ConfigError) as err:
        RunConfig.from_dict({"model": {"dropuot": 0.1}}, validate=False)
    assert err.value.field == "model.dropuot"


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_round_trip_through_a_file(tmp_path, suffix):
    cfg = valid()
    cfg.model.preset = "bilstm"
    cfg.model.dropout = 0.25
    cfg.data.max_rows = 500
    cfg.training.seed = 2**32 - 1
    path = tmp_path / f"run{suffix}"
    save_config(cfg, path)
    back = load_config(path)
    # Relative paths are resolved against the file's folder on load.
    assert back.data.path == str(tmp_path / "data.csv")
    assert back.embedding.vectors[0].path == str(tmp_path / "a.txt")
    back.data.path, back.embedding.vectors[0].path = cfg.data.path, cfg.embedding.vectors[0].path
    assert dataclasses.asdict(back) == dataclasses.asdict(cfg)


def test_version_0_file_is_migrated(tmp_path):
    path = tmp_path / "old.json"
    path.write_text((FIXTURES / "config-v0.json").read_text())
    cfg = load_config(path)
    assert cfg.schema_version == 1
    assert [v.path for v in cfg.embedding.vectors] == [str(tmp_path / "glove.txt")]
    assert cfg.model.preset == "bilstm" and cfg.model.rnn_units == 32 and cfg.training.epochs == 4
    assert "vectors" not in json.loads(json.dumps(cfg.to_dict()))


def test_a_newer_schema_is_refused_with_advice():
    with pytest.raises(ConfigError, match="newer than this EmbedStudio"):
        RunConfig.from_dict({"schema_version": 99})


def test_the_field_reference_lists_every_field_and_the_docs_are_current():
    text = field_reference()
    for path, fspec, _tp in field_specs():
        assert path in text and fspec.label in text
    assert DOCS.read_text(encoding="utf-8") == field_reference(markdown=True), (
        "docs/config-fields.md is out of date: regenerate it with "
        "`embedstudio config fields --markdown > docs/config-fields.md`"
    )
