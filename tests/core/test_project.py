"""The .esproj project file: round trip, relative paths, atomic writes, migration of the embedded config,
and one clear message for every bad or too-new file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from embedstudio.core import project as project_mod
from embedstudio.core.config import RunConfig, VectorSource
from embedstudio.core.project import Project, ProjectError, load_project, save_project


def _project(root: Path) -> Project:
    cfg = RunConfig(name="sms-bilstm")
    cfg.data.path = str(root / "data" / "sms.csv")
    cfg.data.text_column, cfg.data.label_column = "message", "label"
    cfg.data.delimiter, cfg.data.encoding = ";", "latin-1"
    cfg.data.strip_headers, cfg.data.drop_duplicates = False, True
    cfg.data.test_fraction = 0.3
    cfg.embedding.vectors = [VectorSource(path=str(root / "vectors" / "glove.txt"))]
    cfg.model.preset = "bilstm"
    cfg.training.learning_rate = 0.002
    return Project(
        config=cfg,
        vector_library=[str(root / "vectors" / "glove.txt"), "/elsewhere/cc.en.300.bin"],
        runs_dir=str(root / "runs"),
    )


def test_round_trip_keeps_library_dataset_options_config_and_runs_folder(tmp_path):
    proj = _project(tmp_path)
    written = save_project(proj, tmp_path / "work.esproj")
    back = load_project(written)
    assert back.vector_library == proj.vector_library
    assert back.runs_dir == proj.runs_dir
    assert back.config.to_dict() == proj.config.to_dict()
    raw = json.loads(written.read_text(encoding="utf-8"))
    assert raw["format"] == "embedstudio-project" and raw["schema_version"] == project_mod.SCHEMA_VERSION
    assert raw["config"]["data"]["delimiter"] == ";" and raw["config"]["data"]["encoding"] == "latin-1"


def test_paths_inside_the_project_folder_are_stored_relative_so_the_folder_can_move(tmp_path):
    first = tmp_path / "first"
    written = save_project(_project(first), first / "work.esproj")
    raw = json.loads(written.read_text(encoding="utf-8"))
    assert raw["config"]["data"]["path"] == "data/sms.csv"
    assert raw["vector_library"] == ["vectors/glove.txt", "/elsewhere/cc.en.300.bin"]
    assert raw["runs_dir"] == "runs"
    moved = tmp_path / "moved"
    first.rename(moved)
    back = load_project(moved / "work.esproj")
    assert back.config.data.path == str(moved / "data" / "sms.csv")
    assert back.config.embedding.vectors[0].path == str(moved / "vectors" / "glove.txt")
    assert back.vector_library[1] == "/elsewhere/cc.en.300.bin" and back.runs_dir == str(moved / "runs")


def test_suffix_added_and_write_is_atomic(tmp_path, monkeypatch):
    target = save_project(_project(tmp_path), tmp_path / "named")
    assert target.name == "named.esproj" and target.is_file()
    before = target.read_bytes()

    def broken_dumps(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("embedstudio.core.fileio.json.dumps", broken_dumps)
    with pytest.raises(ProjectError, match="named.esproj"):
        save_project(Project(), target)
    assert target.read_bytes() == before, "a failed save leaves the previous file intact"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_an_unfinished_workspace_saves_and_loads(tmp_path):
    """No vector file, no dataset yet: a workspace may be saved half-done (Train validates)."""
    back = load_project(save_project(Project(), tmp_path / "empty.esproj"))
    assert back.vector_library == [] and back.config.data.path == ""


def test_the_embedded_config_of_an_older_schema_is_migrated(tmp_path):
    path = tmp_path / "old.esproj"
    doc = {
        "format": "embedstudio-project",
        "schema_version": 1,
        "config": {"schema_version": 0, "vectors": "glove.txt", "data": {"path": "d.csv"}},
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    back = load_project(path)
    assert back.config.embedding.vectors[0].path == str(tmp_path / "glove.txt")
    assert back.vector_library == [str(tmp_path / "glove.txt")], "the config's vectors join the library"
    assert back.config.schema_version == 1


def test_project_migrations_run_in_order(monkeypatch):
    monkeypatch.setattr(project_mod, "SCHEMA_VERSION", 3)
    monkeypatch.setattr(
        project_mod,
        "MIGRATIONS",
        {1: lambda raw: {**raw, "runs_dir": raw.pop("runs", "")}, 2: lambda raw: {**raw, "saved_by": "v2"}},
    )
    out = project_mod.migrate({"format": "embedstudio-project", "schema_version": 1, "runs": "/r"})
    assert out["runs_dir"] == "/r" and out["saved_by"] == "v2" and out["schema_version"] == 3


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "line 1, column 2: invalid JSON"),
        ("[1, 2]", "not an EmbedStudio project"),
        (json.dumps({"schema_version": 1, "data": {"path": "x"}}), "Open Config"),
        (json.dumps({"format": "embedstudio-project", "schema_version": 99}), "newer EmbedStudio"),
        (json.dumps({"format": "embedstudio-project", "schema_version": "1"}), "'schema_version'"),
        (json.dumps({"format": "embedstudio-project", "schema_version": 1, "extra": 1}), "unknown key 'extra'"),
        (json.dumps({"format": "embedstudio-project", "schema_version": 1, "vector_library": "a"}), "vector_library"),
        (json.dumps({"format": "embedstudio-project", "schema_version": 1, "runs_dir": 3}), "'runs_dir'"),
        (
            json.dumps({"format": "embedstudio-project", "schema_version": 1, "config": {"modle": {}}}),
            "Did you mean 'model'",
        ),
        (
            json.dumps({"format": "embedstudio-project", "schema_version": 1, "config": {"training": {"epochs": "x"}}}),
            "training.epochs",
        ),
    ],
)
def test_bad_files_give_one_message_naming_the_file(tmp_path, content, expected):
    path = tmp_path / "bad.esproj"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ProjectError) as err:
        load_project(path)
    assert str(path) in str(err.value) and expected in str(err.value)


def test_missing_file_folder_and_binary_are_project_errors(tmp_path):
    with pytest.raises(ProjectError, match="not found"):
        load_project(tmp_path / "nope.esproj")
    with pytest.raises(ProjectError):
        load_project(tmp_path)
    binary = tmp_path / "b.esproj"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ProjectError, match="UTF-8"):
        load_project(binary)
