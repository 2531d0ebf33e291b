"""The `embedstudio` command: real training through main(), one-line errors, Ctrl-C leaves a valid run."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from embedstudio.cli import main
from embedstudio.core.config import load_config, save_config
from embedstudio.core.runs import load_run

from test_training import make_folder_dataset, make_glove, tiny_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tiny(tmp_path):
    data = make_folder_dataset(tmp_path / "data", n_per_class=40)
    glove = make_glove(tmp_path / "tiny.glove.txt")
    cfg = tiny_config(tmp_path, data, vectors=[glove], preset="average", epochs=3)
    path = tmp_path / "run.toml"
    save_config(cfg, path)
    return tmp_path, path, data, glove


def _run_dir_from(out: str) -> Path:
    line = next(l for l in out.splitlines() if l.startswith("run: "))
    return Path(line[len("run: "):])


def test_train_evaluate_predict_runs(tiny, capsys):
    tmp_path, cfg_path, data, _ = tiny
    assert main(["train", str(cfg_path), "--set", "training.epochs=2", "--name", "cli-run"]) == 0
    out = capsys.readouterr().out
    run_dir = _run_dir_from(out)
    assert "status: completed" in out and "test accuracy:" in out
    record = load_run(run_dir)
    assert record.status == "completed"
    assert record.config["training"]["epochs"] == 2 and record.config["name"] == "cli-run"
    for name in ("config.json", "description.json", "metrics.jsonl", "model.keras", "report.json",
                 "misclassified.jsonl"):
        assert (run_dir / name).is_file(), name

    assert main(["evaluate", str(run_dir), str(data)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert 0.0 <= report["accuracy"] <= 1.0 and "macro_f1" in report

    assert main(["predict", str(run_dir), "great superb lovely", "--json"]) == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[0])
    assert set(line["probabilities"]) == {"neg", "pos"}
    assert abs(sum(line["probabilities"].values()) - 1.0) < 1e-4

    assert main(["runs", "--runs-dir", str(tmp_path / "runs")]) == 0
    assert str(run_dir) in capsys.readouterr().out


def test_vectors_and_dataset_info(tiny, capsys):
    _, _, data, glove = tiny
    assert main(["vectors", "info", str(glove)]) == 0
    out = capsys.readouterr().out
    assert "format: glove" in out and "dimension: 8" in out and "vocabulary: 19 words" in out
    assert main(["vectors", "neighbors", str(glove), "good", "-k", "3"]) == 0
    assert len([l for l in capsys.readouterr().out.splitlines() if l.startswith("  ")]) == 3
    assert main(["dataset", "info", str(data)]) == 0
    out = capsys.readouterr().out
    assert "classes (2): neg, pos" in out and "format: folders" in out


@pytest.mark.parametrize("argv, expected", [
    (["train", "{tmp}/missing.toml"], "Configuration file not found"),
    (["train", "{cfg}", "--set", "model.dropout=3"], "'model.dropout' is 3"),
    (["train", "{cfg}", "--set", "model.dropuot=0.1"], "Did you mean 'model.dropout'?"),
    (["vectors", "info", "{bad}"], "line 2"),
    (["dataset", "info", "{tmp}/nowhere"], "nowhere"),
    (["predict", "{tmp}", "text"], "has no model.keras"),
])
def test_errors_are_one_line_without_traceback(tiny, capsys, argv, expected):
    tmp_path, cfg_path, _, _ = tiny
    bad = tmp_path / "bad.txt"
    bad.write_text("a 1 2 3\nb 1 2\nc 1 2 3\n", encoding="utf-8")
    argv = [a.format(tmp=tmp_path, cfg=cfg_path, bad=bad) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "Traceback" not in err
    assert expected in err


def test_bad_config_file_names_file_and_line(tmp_path, capsys):
    cfg = tmp_path / "broken.toml"
    cfg.write_text("[model]\npreset = \"cnn\"\ndropout = \n", encoding="utf-8")
    assert main(["train", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "broken.toml" in err and "line 3" in err


def test_ctrl_c_stops_training_and_leaves_a_valid_run(tiny):
    tmp_path, cfg_path, _, _ = tiny
    cfg = load_config(cfg_path)
    cfg.training.epochs = 400      # long enough to be interrupted mid-fit
    cfg.training.early_stopping = False
    save_config(cfg, cfg_path)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "embedstudio", "train", str(cfg_path)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    metrics = None
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        found = list((tmp_path / "runs").glob("*/metrics.jsonl"))
        if found and found[0].stat().st_size > 0:
            metrics = found[0]
            break
        time.sleep(0.2)
    assert metrics is not None, proc.communicate()[1][-2000:]
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-2000:]
    assert "status: stopped" in out
    assert "Traceback" not in err
    record = load_run(metrics.parent)
    assert record.status == "stopped"
    assert (metrics.parent / "model.keras").is_file() and record.report is not None
    assert 1 <= len(record.metrics) < 400
