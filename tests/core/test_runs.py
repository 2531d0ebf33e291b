"""Run directories: naming, listing (tolerant of damage), loading, and the environment description."""

import datetime as dt
import json
import os
import subprocess
import sys
import threading

import pytest

from embedstudio.core import runs
from embedstudio.core.config import RunConfig, VectorSource
from embedstudio.core.errors import RunError
from embedstudio.core.fileio import file_sha256
from embedstudio.core.jobs import RecordingReporter
from embedstudio.core.runs import (
    append_metrics,
    create_run_dir,
    default_runs_dir,
    describe_environment,
    list_runs,
    load_run,
    update_description,
)


def make_run(runs_dir, name, *, created, status="completed", accuracy=0.5):
    path = create_run_dir(runs_dir, name)
    (path / "config.json").write_text(json.dumps({"name": name}))
    update_description(path, status=status, created=created, message="")
    (path / "report.json").write_text(json.dumps({"accuracy": accuracy, "macro_f1": accuracy / 2}))
    append_metrics(path, {"epoch": 1, "loss": 1.0})
    append_metrics(path, {"epoch": 2, "loss": 0.5})
    return path


def test_default_runs_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("EMBEDSTUDIO_HOME", str(tmp_path / "home"))
    assert default_runs_dir() == tmp_path / "home" / "runs"
    monkeypatch.delenv("EMBEDSTUDIO_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert default_runs_dir() == tmp_path / "xdg" / "embedstudio" / "runs"
    assert default_runs_dir().name == "runs"


def test_run_dirs_are_named_by_time_and_slug_and_never_shared(monkeypatch, tmp_path):
    class FrozenClock(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return cls(2026, 1, 2, 3, 4, 5)

    monkeypatch.setattr(runs._dt, "datetime", FrozenClock)
    first = create_run_dir(tmp_path, "My CNN: GloVe/frozen")
    second = create_run_dir(tmp_path, "My CNN: GloVe/frozen")
    third = create_run_dir(tmp_path, "My CNN: GloVe/frozen")
    assert first.name == "20260102-030405-my-cnn-glove-frozen"
    assert second.name == first.name + "-2" and third.name == first.name + "-3"
    assert create_run_dir(tmp_path, "???").name == "20260102-030405-run"

    made = []
    threads = [threading.Thread(target=lambda: made.append(create_run_dir(tmp_path, "same"))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(made)) == 8 and all(p.is_dir() for p in made)


def test_list_runs_newest_first_and_reads_everything(tmp_path):
    old = make_run(tmp_path, "old", created="2026-01-01T10:00:00+00:00", accuracy=0.7)
    new = make_run(tmp_path, "new", created="2026-03-01T10:00:00+00:00", status="stopped", accuracy=0.8)
    (tmp_path / "not-a-run").mkdir()
    (tmp_path / "notes.txt").write_text("hello")
    records = list_runs(tmp_path)
    assert [r.path for r in records] == [new, old]
    assert records[0].status == "stopped" and records[0].name == "new"
    assert records[0].test_accuracy == 0.8 and records[0].macro_f1 == 0.4
    assert [m["epoch"] for m in records[1].metrics] == [1, 2]
    assert records[1].created == dt.datetime.fromisoformat("2026-01-01T10:00:00+00:00")
    assert not records[0].problems and not records[0].has_model
    assert list_runs(tmp_path / "missing") == []


def test_list_runs_tolerates_damaged_runs_with_warnings(tmp_path):
    make_run(tmp_path, "good", created="2026-01-01T10:00:00+00:00")
    corrupt = make_run(tmp_path, "corrupt", created="2026-01-02T10:00:00+00:00")
    (corrupt / "description.json").write_text("{not json")
    torn = make_run(tmp_path, "torn", created="2026-01-03T10:00:00+00:00")
    with open(torn / "metrics.jsonl", "a") as fh:
        fh.write('{"epoch": 3, "lo')
    (torn / "report.json").unlink()
    partial = create_run_dir(tmp_path, "partial")
    (partial / "config.json").write_text("{}")
    reporter = RecordingReporter()
    records = {r.path.name.split("-", 2)[-1]: r for r in list_runs(tmp_path, reporter=reporter)}
    assert set(records) == {"good", "corrupt", "torn", "partial"}
    assert records["corrupt"].status == "failed"
    assert "description.json is unreadable" in records["corrupt"].problems[0]
    assert [m["epoch"] for m in records["torn"].metrics] == [1, 2]
    assert records["torn"].report is None and records["torn"].test_accuracy is None
    assert "description.json is missing" in records["partial"].problems
    assert not records["good"].problems
    assert len(reporter.warnings) == 3 and any("metrics.jsonl, line 3" in w for w in reporter.warnings)


def test_load_run_names_the_missing_file(tmp_path):
    path = make_run(tmp_path, "x", created="2026-01-01T10:00:00+00:00")
    assert load_run(path).status == "completed"
    (path / "description.json").unlink()
    with pytest.raises(RunError, match="description.json is missing"):
        load_run(path)
    with pytest.raises(RunError, match="not found"):
        load_run(tmp_path / "nope")
    other = make_run(tmp_path, "y", created="2026-01-01T10:00:00+00:00")
    (other / "config.json").write_text("[1, 2")
    with pytest.raises(RunError, match="config.json is unreadable"):
        load_run(other)


def test_a_running_run_whose_process_ended_is_flagged(tmp_path):
    path = make_run(tmp_path, "ghost", created="2026-01-01T10:00:00+00:00", status="running")
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    update_description(path, pid=int(proc.stdout), hostname=runs.socket.gethostname())  # an older run's layout
    record = load_run(path)
    assert record.status == "interrupted"
    assert any("interrupted" in p for p in record.problems)
    # Today's runs store them under "environment", as describe_environment() writes them.
    path2 = make_run(tmp_path, "ghost2", created="2026-01-01T10:00:00+00:00", status="running")
    update_description(path2, environment={"pid": int(proc.stdout), "hostname": runs.socket.gethostname()})
    record = load_run(path2)
    assert record.status == "interrupted" and not record.usable
    assert "no model" in record.leftovers()
    # A run whose process still lives (this one) stays running.
    update_description(path2, environment={"pid": os.getpid(), "hostname": runs.socket.gethostname()})
    assert load_run(path2).status == "running"


def test_describe_environment_hashes_the_inputs(tmp_path, monkeypatch):
    data = tmp_path / "data.csv"
    data.write_text("text,label\nhello,a\n")
    folder = tmp_path / "folder"
    (folder / "a").mkdir(parents=True)
    (folder / "a" / "1.txt").write_text("one")
    vec = tmp_path / "vec.txt"
    vec.write_bytes(b"x 1 2\n" * 1000)
    cfg = RunConfig()
    cfg.data.path = str(data)
    cfg.data.test_path = str(folder)
    cfg.embedding.vectors = [VectorSource(path=str(vec)), VectorSource(path="gensim-test-data:test_glove.txt")]
    cfg.training.seed = 42
    env = describe_environment(cfg)
    assert env["seed"] == 42 and env["app"] == "EmbedStudio"
    assert {"keras", "numpy"} <= set(env["libraries"])
    assert env["dataset"]["sha256"] == file_sha256(data) and env["dataset"]["hash"] == "full"
    assert env["test_dataset"]["files"] == 1 and env["test_dataset"]["sha256"] == file_sha256(folder)
    assert env["vectors"][1]["config_path"] == "gensim-test-data:test_glove.txt"
    assert env["vectors"][1]["path"].endswith("test_glove.txt") and len(env["vectors"][1]["sha256"]) == 64

    monkeypatch.setattr(runs, "FULL_HASH_LIMIT", 100)
    big = describe_environment(cfg)["vectors"][0]
    assert big["sha256"] != file_sha256(vec) and "first and last MiB" in big["hash"]
    assert big["size"] == 6000
    vec.write_bytes(b"x 1 3\n" * 1000)
    assert describe_environment(cfg)["vectors"][0]["sha256"] != big["sha256"]
    json.dumps(env)  # the description is written as JSON


def test_rename_keeps_the_folder_and_changes_the_listed_name(tmp_path):
    path = make_run(tmp_path, "demo", created="2026-01-01T10:00:00+00:00")
    assert runs.rename_run(path, "  sms   bilstm ") == "sms bilstm"
    record = load_run(path)
    assert record.name == "sms bilstm" and record.path == path
    assert json.loads((path / "config.json").read_text())["name"] == "sms bilstm"
    with pytest.raises(RunError, match="cannot be empty"):
        runs.rename_run(path, "   ")
    update_description(path, status="running", environment={"pid": os.getpid()})
    with pytest.raises(RunError, match="still training"):
        runs.rename_run(path, "other")


def test_trash_moves_the_folder_and_restore_brings_it_back(tmp_path):
    first = make_run(tmp_path, "demo", created="2026-01-01T10:00:00+00:00")
    second = make_run(tmp_path, "other", created="2026-01-01T11:00:00+00:00")
    trashed = runs.trash_run(first)
    assert trashed.parent == tmp_path / runs.TRASH_DIR and (trashed / "report.json").is_file()
    assert not first.exists()
    assert [r.path for r in list_runs(tmp_path)] == [second], "the trash is not listed"
    # a second run of the same folder name in the trash gets its own name
    first.mkdir()
    (first / "config.json").write_text("{}")
    (first / "description.json").write_text('{"status": "failed"}')
    again = runs.trash_run(first)
    assert again != trashed and again.parent == trashed.parent
    assert runs.restore_run(trashed, first) == first and (first / "report.json").is_file()
    with pytest.raises(RunError, match="already holds"):
        runs.restore_run(again, first)
    here = {"pid": os.getpid(), "hostname": runs.socket.gethostname()}
    update_description(second, status="running", environment=here)
    with pytest.raises(RunError, match="still training"):
        runs.trash_run(second)
    assert second.is_dir()


def test_record_columns_for_the_runs_list(tmp_path):
    path = make_run(tmp_path, "demo", created="2026-01-01T10:00:00+00:00")
    config = {
        "name": "demo",
        "data": {"path": "/data/sms/sms.csv"},
        "embedding": {"mode": "frozen", "vectors": [{"path": "/v/glove.6B.50d.txt"}, {"path": "/v/wiki.vec"}]},
    }
    (path / "config.json").write_text(json.dumps(config))
    update_description(path, seconds=12.5, status="failed", message="NaN loss at epoch 2")
    record = load_run(path)
    assert record.dataset == "sms.csv" and record.vectors == "glove.6B.50d.txt, wiki.vec"
    assert record.epochs == 2 and record.seconds == 12.5
    assert record.failure == "NaN loss at epoch 2" and record.vs_tfidf is None
    config["embedding"]["mode"] = "scratch"
    (path / "config.json").write_text(json.dumps(config))
    assert load_run(path).vectors == "from scratch"


def test_config_diff_lists_only_the_settings_that_differ():
    a, b = RunConfig().to_dict(), RunConfig().to_dict()
    a["name"], b["name"] = "one", "two"
    b["training"]["epochs"] = 7
    b["embedding"]["vectors"] = [{"path": "x.vec", "weight": 1.0}]
    diff = dict(runs.config_diff([a, b]))
    assert diff["training.epochs"] == [a["training"]["epochs"], 7]
    assert diff["embedding.vectors[0].path"] == [None, "x.vec"]
    assert "name" not in diff and "model.preset" not in diff
    assert runs.config_diff([a, a]) == []


def test_per_class_averages_match_the_report():
    per_class = {
        "a": {"precision": 1.0, "recall": 0.5, "f1": 2 / 3, "support": 2},
        "b": {"precision": 0.5, "recall": 1.0, "f1": 2 / 3, "support": 6},
        "c": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0},  # no test examples: not averaged
    }
    avg = runs.per_class_averages(per_class)
    assert avg["macro avg"]["precision"] == pytest.approx(0.75) and avg["macro avg"]["f1"] == pytest.approx(2 / 3)
    assert avg["weighted avg"]["recall"] == pytest.approx((2 * 0.5 + 6 * 1.0) / 8)
    assert avg["macro avg"]["support"] == avg["weighted avg"]["support"] == 8
