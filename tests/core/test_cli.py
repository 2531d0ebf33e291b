"""The `embedstudio` command: real training through main(), one-line errors, Ctrl-C leaves a valid run."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_training import make_folder_dataset, make_glove, tiny_config

from embedstudio.cli import main
from embedstudio.core.config import load_config, save_config
from embedstudio.core.runs import load_run

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
    line = next(line for line in out.splitlines() if line.startswith("run: "))
    return Path(line[len("run: ") :])


def test_train_evaluate_predict_runs(tiny, capsys):
    tmp_path, cfg_path, data, _ = tiny
    assert main(["train", str(cfg_path), "--set", "training.epochs=2", "--name", "cli-run"]) == 0
    out = capsys.readouterr().out
    run_dir = _run_dir_from(out)
    assert "status: completed" in out and "test accuracy:" in out
    record = load_run(run_dir)
    assert record.status == "completed"
    assert record.config["training"]["epochs"] == 2 and record.config["name"] == "cli-run"
    for name in (
        "config.json",
        "description.json",
        "metrics.jsonl",
        "model.keras",
        "report.json",
        "misclassified.jsonl",
    ):
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
    assert len([line for line in capsys.readouterr().out.splitlines() if line.startswith("  ")]) == 3
    assert main(["dataset", "info", str(data)]) == 0
    out = capsys.readouterr().out
    assert "classes (2): neg, pos" in out and "format: folders" in out


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["train", "{tmp}/missing.toml"], "Configuration file not found"),
        (["train", "{cfg}", "--set", "model.dropout=3"], "'model.dropout' is 3"),
        (["train", "{cfg}", "--set", "model.dropuot=0.1"], "Did you mean 'model.dropout'?"),
        (["vectors", "info", "{bad}"], "line 2"),
        (["dataset", "info", "{tmp}/nowhere"], "nowhere"),
        (["predict", "{tmp}", "text"], "has no model.keras"),
    ],
)
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
    cfg.write_text('[model]\npreset = "cnn"\ndropout = \n', encoding="utf-8")
    assert main(["train", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "broken.toml" in err and "line 3" in err


def test_ctrl_c_stops_training_and_leaves_a_valid_run(tiny):
    tmp_path, cfg_path, _, _ = tiny
    cfg = load_config(cfg_path)
    cfg.training.epochs = 400  # long enough to be interrupted mid-fit
    cfg.training.early_stopping = False
    save_config(cfg, cfg_path)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "embedstudio", "train", str(cfg_path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
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


# ---- issue 9: command-line output (items 6 and 7) ----------------------------------------------
def test_predict_json_anywhere_clips_long_text_and_shows_flags(tiny, capsys):
    tmp_path, cfg_path, data, _ = tiny
    assert main(["train", str(cfg_path), "--set", "training.epochs=1"]) == 0
    run_dir = _run_dir_from(capsys.readouterr().out)
    long_text = " ".join(["great"] * 30000)  # 180k characters, far past sequence_length
    assert main(["predict", str(run_dir), "--json", "", "lovely superb", long_text]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert [r["flags"] for r in rows[:2]] == [["empty"], []]
    assert rows[2]["chars"] == len(long_text) and len(rows[2]["text"]) <= 200
    assert rows[2]["flags"][0].startswith("truncated: ") and "of 30,000 tokens ignored" in rows[2]["flags"][0]
    assert main(["predict", str(run_dir), "lovely", "--json", "awful"]) == 0  # texts on both sides of --json
    assert len(capsys.readouterr().out.strip().splitlines()) == 2
    assert main(["predict", str(run_dir), "", "fine"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.endswith("[empty]")


def test_evaluate_prints_the_label_warning_before_the_score(tiny, capsys, tmp_path):
    _, cfg_path, data, _ = tiny
    assert main(["train", str(cfg_path), "--set", "training.epochs=1"]) == 0
    run_dir = _run_dir_from(capsys.readouterr().out)
    other = tmp_path / "other"
    for label in ("neg", "pos", "meh"):
        (other / label).mkdir(parents=True)
        for i in range(3):
            (other / label / f"{i}.txt").write_text(f"some text {label} {i}")
    assert main(["evaluate", str(run_dir), str(other)]) == 0
    captured = capsys.readouterr()
    err_lines = [line for line in captured.err.splitlines() if line.startswith("warning: ")]
    assert err_lines and err_lines[-1].startswith("warning: 3 of 9 examples carry 1 label the run does not know")
    json.loads(captured.out)
    for label in ("neg", "pos"):
        (other / label / "0.txt").rename(other / "meh" / f"{label}.txt")
        for f in (other / label).iterdir():
            f.rename(other / "meh" / f"{label}-{f.name}")
    (other / "zzz").mkdir()
    (other / "zzz" / "z.txt").write_text("zz")
    assert main(["evaluate", str(run_dir), str(other)]) == 2
    assert "none of its labels" in capsys.readouterr().err


def test_non_tty_progress_is_one_line_per_step_with_units(capsys):
    import io

    from embedstudio.cli import TerminalReporter, format_amount

    stream = io.StringIO()
    rep = TerminalReporter(stream=stream, tty=False)
    rep.event("progress_unit", {"message": "Reading big.txt", "unit": "B"})
    for done in range(0, 15_200_001, 100_000):
        rep.progress(done, 15_200_000, "Reading big.txt")
    for batch in range(50):
        rep.event("batch", {"epoch": 1, "epochs": 2, "batch": batch, "batches": 50, "loss": 0.5})
    rep.event("epoch", {"epoch": 1, "loss": 0.5, "seconds": 1.0})
    rep.warning("same thing")
    rep.warning("same thing")
    lines = stream.getvalue().splitlines()
    assert lines == ["Reading big.txt (15.2 MB) ...", "epoch 1  loss 0.5000  1.0 s", "warning: same thing"]
    assert "\r" not in stream.getvalue()
    assert format_amount(15_200_000, 15_200_000, "B") == "15.2 MB/15.2 MB"
    assert format_amount(1024, 5574) == "1,024/5,574"


def test_tty_bar_shows_byte_units():
    import io

    from embedstudio.cli import TerminalReporter

    stream = io.StringIO()
    rep = TerminalReporter(stream=stream, tty=True)
    rep.event("progress_unit", {"message": "Reading v.txt", "unit": "B"})
    rep.progress(15_200_000, 15_200_000, "Reading v.txt")
    rep.close()
    assert "15.2 MB/15.2 MB" in stream.getvalue()


def test_dataset_info_prints_each_warning_once_and_takes_encoding_and_exclude(tmp_path, capsys):
    root = tmp_path / "release"
    for split, labels in (("train", ("pos", "neg", "unsup")), ("test", ("pos", "neg"))):
        for label in labels:
            (root / split / label).mkdir(parents=True)
            for i in range(4):
                text = f"caf\xe9 {label} {i}" if label == "pos" else f"plain {label} {i}"
                (root / split / label / f"{i}.txt").write_bytes(text.encode("cp1252"))
    assert main(["dataset", "info", str(root / "train")]) == 0
    out, err = capsys.readouterr()
    assert "test set: " + str(root / "test") in out and "left out: unsup (4)" in out
    warnings = [line for line in (out + err).splitlines() if line.startswith("warning: ")]
    assert len(warnings) == len(set(warnings)) and any("not valid utf-8" in w for w in warnings)
    assert main(["dataset", "info", str(root / "train"), "--encoding", "cp1252", "--exclude", ""]) == 0
    out = capsys.readouterr().out
    assert "classes (3): neg, pos, unsup" in out and "not valid" not in out


def test_errors_name_the_flag_the_user_typed(tmp_path, capsys):
    path = tmp_path / "d.csv"
    path.write_text("text,label\nsome words,a\nother words,b\n")
    assert main(["dataset", "info", str(path), "--format", "xml"]) == 2
    assert "data.format (--format) is 'xml'" in capsys.readouterr().err
    assert main(["dataset", "info", str(path), "--text-column", "body"]) == 2
    assert "data.text_column (--text-column) is 'body'" in capsys.readouterr().err


def test_set_addresses_list_entries(tiny, capsys):
    from embedstudio.cli import _apply_overrides
    from embedstudio.core.config import RunConfig
    from embedstudio.core.errors import ConfigError

    tmp_path, cfg_path, _, glove = tiny
    raw = load_config(cfg_path).to_dict()
    updated = _apply_overrides(
        raw,
        [
            f"embedding.vectors[0].path={tmp_path / 'other.txt'}",
            "embedding.vectors[0].limit=5",
            f"embedding.vectors[1].path={glove}",
        ],
    )
    cfg = RunConfig.from_dict(updated)
    assert [v.path for v in cfg.embedding.vectors] == [str(tmp_path / "other.txt"), str(glove)]
    assert cfg.embedding.vectors[0].limit == 5
    with pytest.raises(ConfigError, match=r"'embedding.vectors' has 2 entries, so \[5\] does not exist"):
        _apply_overrides(updated, ["embedding.vectors[5].path=x"])
    with pytest.raises(ConfigError, match="'model' is not a list"):
        _apply_overrides(updated, ["model[0].preset=cnn"])


def test_bad_delimiter_and_top_flags_are_named(tmp_path, capsys):
    data = tmp_path / "d.csv"
    data.write_text("text,label\na,b\n")
    assert main(["dataset", "info", str(data), "--delimiter", "ab"]) == 2
    err = capsys.readouterr().err
    assert "data.delimiter (--delimiter)" in err and "must be one character" in err and "unexpected" not in err
    run = tmp_path / "run"
    run.mkdir()
    assert main(["predict", str(run), "some text", "--top", "0"]) == 2
    err = capsys.readouterr().err
    assert "--top is 0; it must be at least 1" in err


def test_core_distribute_is_imported_only_for_a_worker(monkeypatch):
    from embedstudio import cli
    from embedstudio.core import distribute

    assert cli.DISTRIBUTE_WORKER_FLAG == distribute.WORKER_FLAG
    monkeypatch.setattr(distribute, "worker_main", lambda path: 7 if path == "c.json" else 1)
    assert main([distribute.WORKER_FLAG, "c.json"]) == 7
    code = (
        "import sys\nfrom embedstudio.cli import main\ntry:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "print('embedstudio.core.distribute' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split()[-1] == "False"


EXIT_SCRIPT = """
import atexit, sys, threading, time, types
for name in sys.argv[1:]:  # stand-ins: what matters is whether the modules are loaded
    sys.modules[name] = types.ModuleType(name)

class Finalised:
    def __del__(self):
        sys.stdout.write("interpreter torn down\\n")

marker = Finalised()
atexit.register(lambda: print("atexit handler ran"))
if "thread" in sys.argv:
    threading.Thread(target=lambda: (time.sleep(0.3), print("thread finished"))).start()
from embedstudio.cli import exit_process
sys.stdout.write("output left in the buffer")
exit_process(3)
"""


@pytest.mark.parametrize(
    ("modules", "fast"),
    [(["tensorflow"], True), ([], False), (["tensorflow", "PySide6.QtCore"], False), (["tensorflow", "thread"], False)],
)
def test_the_program_exits_without_the_interpreters_teardown_only_after_tensorflow(modules, fast):
    out = subprocess.run(
        [sys.executable, "-c", EXIT_SCRIPT, *modules], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert out.returncode == 3, out.stderr
    assert out.stdout.startswith("output left in the buffer") and "atexit handler ran" in out.stdout
    assert ("thread finished" in out.stdout) == ("thread" in modules)
    assert ("interpreter torn down" in out.stdout) is not fast
