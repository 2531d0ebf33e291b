"""Fault injection: kill -9 during a cache write and during training, a full disk (a real 2 MB tmpfs when
the machine allows mounting one, and a patched free-space reading), special files, a bomb, no network.

Run them with ``pytest -v tests/robustness/test_faults.py`` (add ``-m slow`` for the whole demo under the
socket guard).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from embedstudio.core.errors import ConfigError, DatasetError, RunError, VectorFileError

from .helpers import ROOT, cli_env, run_cli

GOOD = ["great", "good", "fine", "superb", "lovely", "happy", "best", "fun"]
BAD = ["awful", "bad", "poor", "dull", "boring", "sad", "worst", "ugly"]


def folder_dataset(root: Path, n: int = 30) -> Path:
    rng = random.Random(0)
    for label, words in (("pos", GOOD), ("neg", BAD)):
        (root / label).mkdir(parents=True)
        for i in range(n):
            text = " ".join(rng.choice(words + ["the", "film", "was", "a"]) for _ in range(8))
            (root / label / f"{i}.txt").write_text(text)
    return root


def tiny_cfg(tmp_path: Path, *, epochs: int = 2, max_tokens: int = 200, dim: int = 8, runs_dir: Path | None = None):
    from embedstudio.core.config import RunConfig

    cfg = RunConfig()
    cfg.name = "fault"
    cfg.runs_dir = str(runs_dir or tmp_path / "runs")
    cfg.data.path = str(folder_dataset(tmp_path / "data"))
    cfg.text.sequence_length = 12
    cfg.text.max_tokens = max_tokens
    cfg.embedding.mode = "scratch"
    cfg.embedding.dim = dim
    cfg.model.preset = "average"
    cfg.model.dense_units = 8
    cfg.training.epochs = epochs
    cfg.training.batch_size = 8
    cfg.training.early_stopping = False
    cfg.training.min_steps = 0  # exactly the epochs asked for: the fault tests count checkpoints
    cfg.validate()
    return cfg


def only_run(runs_dir: Path) -> Path:
    runs = [p for p in Path(runs_dir).iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert len(runs) == 1, runs
    return runs[0]


def leftovers(run: Path) -> list[str]:
    return sorted(p.name for p in run.iterdir() if p.name.startswith(".") and p.name != ".status-reserve")


# ---- kill -9 ------------------------------------------------------------------------------------
_SLOW_CACHE_WRITE = r"""
import sys, time
from pathlib import Path
from embedstudio.core.vectors import cache
original = cache._write_entry
def slow(directory, *args):
    original(directory, *args)
    Path(sys.argv[2]).write_text(str(directory))  # the entry is written but not yet renamed into place
    time.sleep(60)
cache._write_entry = slow
from embedstudio.core.vectors import load_vectors
load_vectors(sys.argv[1])
"""


def test_kill_9_during_a_cache_write_leaves_no_entry_and_the_next_start_cleans_up(tmp_path):
    words = [f"w{i}" for i in range(3000)]
    matrix = np.random.default_rng(0).standard_normal((3000, 16)).astype(np.float32)
    src = tmp_path / "v.txt"
    src.write_text(
        "".join(w + " " + " ".join(f"{x:.5f}" for x in row) + "\n" for w, row in zip(words, matrix, strict=False))
    )
    flag = tmp_path / "written"
    env = cli_env(tmp_path / "home")
    child = subprocess.Popen([sys.executable, "-c", _SLOW_CACHE_WRITE, str(src), str(flag)], env=env)
    try:
        deadline = time.monotonic() + 120
        while not flag.exists() and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.05)
        assert flag.exists(), "the child never reached the cache write"
        temp = Path(flag.read_text())
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
    # What kill -9 leaves behind: a partial entry, locked by the dead writer, for the next one to resume.
    assert temp.exists() and temp.name.startswith(".partial-")
    assert (temp / "lock").read_text() == str(child.pid)
    # The next load (another process) is not fooled, takes over the partial entry and finishes it.
    result = run_cli(["vectors", "similarity", src, "w3", "w5"], tmp_path / "home")
    assert result.returncode == 0, result.stderr
    a, b = matrix[3].astype(np.float64), matrix[5].astype(np.float64)
    assert abs(float(result.stdout.strip()) - a @ b / np.linalg.norm(a) / np.linalg.norm(b)) < 1e-3
    assert not temp.exists()
    again = run_cli(["vectors", "info", src], tmp_path / "home")
    assert "opened from cache" in again.stdout


def test_kill_9_during_training_reads_interrupted(tmp_path):
    from embedstudio.core.config import save_config
    from embedstudio.core.runs import list_runs, load_run

    cfg = tiny_cfg(tmp_path, epochs=500)
    save_config(cfg, tmp_path / "run.toml")
    env = cli_env(tmp_path / "home")
    child = subprocess.Popen(
        [sys.executable, "-m", "embedstudio", "train", str(tmp_path / "run.toml")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        metrics = None
        while time.monotonic() < deadline and child.poll() is None:
            runs = list((tmp_path / "runs").glob("*/metrics.jsonl")) if (tmp_path / "runs").exists() else []
            if runs and runs[0].read_text().count("\n") >= 2:
                metrics = runs[0]
                break
            time.sleep(0.2)
        assert metrics is not None, "training never wrote two epochs"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
    run = metrics.parent
    record = load_run(run)
    assert record.status == "interrupted"
    assert not record.usable and "no model" in record.leftovers()
    assert [r.status for r in list_runs(tmp_path / "runs")] == ["interrupted"]
    listing = run_cli(["runs", "--runs-dir", tmp_path / "runs"], tmp_path / "home")
    assert listing.stdout.startswith("interrupted") and "epochs in metrics.jsonl" in listing.stdout


# ---- disk full ----------------------------------------------------------------------------------
def _tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if shutil.which("mount") is None or os.geteuid() != 0:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True, text=True
    )
    return done.returncode == 0


def test_disk_full_on_a_real_small_tmpfs_fails_clearly_and_records_the_failure(tmp_path):
    from embedstudio.core.config import save_config
    from embedstudio.core.runs import load_run

    disk = tmp_path / "small-disk"
    if not _tmpfs(disk, "2m"):
        pytest.skip("cannot mount a tmpfs here (needs root and mount); the patched-free-space test covers it")
    try:
        # The weights' checkpoints fit; the final model (weights + a margin) does not fit what is left.
        cfg = tiny_cfg(tmp_path, epochs=2, runs_dir=disk / "runs")
        save_config(cfg, tmp_path / "run.toml")
        result = run_cli(["train", tmp_path / "run.toml"], tmp_path / "home", timeout=300)
        assert result.returncode == 2, result.stderr[-2000:]
        assert "Traceback" not in result.stderr
        assert "not enough disk space" in result.stderr and str(disk / "runs") in result.stderr
        run = only_run(disk / "runs")
        record = load_run(run)
        assert record.status == "failed" and "not enough disk space" in record.message
        assert leftovers(run) == [] and not (run / "model.keras").exists()
        assert (run / "checkpoint.weights.h5").is_file() and "last good weights" in record.leftovers()
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)


def test_disk_full_at_the_final_save_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    import shutil as shutil_module

    from embedstudio.core.runs import load_run
    from embedstudio.core.training import train

    cfg = tiny_cfg(tmp_path, epochs=2)
    real = shutil_module.disk_usage
    calls = []

    def disk_usage(path):
        usage = real(path)
        calls.append(str(path))
        if "runs" in str(path) and len(calls) > 2:  # two checkpoints fit, the final model does not
            return type(usage)(usage.total, usage.total - 1000, 1000)
        return usage

    monkeypatch.setattr(shutil_module, "disk_usage", disk_usage)
    with pytest.raises(RunError, match="not enough disk space to save the trained model"):
        train(cfg)
    run = only_run(tmp_path / "runs")
    record = load_run(run)
    assert record.status == "failed" and "not enough disk space" in record.message
    assert (run / "checkpoint.weights.h5").is_file()  # the trained weights are not lost
    assert "last good weights" in record.leftovers()
    assert leftovers(run) == [] and not (run / "model.keras").exists()


def test_enospc_while_writing_the_model_removes_the_partial_file(tmp_path, monkeypatch):
    import errno

    from embedstudio.core import runs
    from embedstudio.core.runs import save_durably

    def full(tmp: Path) -> None:
        tmp.write_bytes(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(RunError, match=r"the disk became full while saving the model \(it needs about"):
        save_durably(tmp_path / "model.keras", full, needed=10, what="the model")
    assert list(tmp_path.iterdir()) == []
    assert runs.human_bytes(3 * 1024 * 1024) == "3.0 MB"


def test_the_status_is_recorded_on_a_full_disk(tmp_path, monkeypatch):
    import errno

    from embedstudio.core import fileio, runs

    run = tmp_path / "run"
    run.mkdir()
    runs.update_description(run, status="running")
    runs.reserve_status_space(run)
    real = fileio.os.replace
    state = {"full": True}

    def replace(src, dst):
        if state["full"] and (run / runs.RESERVE_FILE).exists():
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(fileio.os, "replace", replace)
    runs.record_status(run, status="failed", message="disk full")
    assert json.loads((run / "description.json").read_text())["status"] == "failed"
    assert not (run / runs.RESERVE_FILE).exists()  # its space paid for the status


def test_second_ctrl_c_during_the_save_waits_for_the_file(tmp_path):
    from embedstudio.core.runs import save_durably

    def save(tmp: Path) -> None:
        os.kill(os.getpid(), signal.SIGINT)  # the user presses Ctrl-C while the model is written
        time.sleep(0.05)
        tmp.write_bytes(b"model")

    save_durably(tmp_path / "model.keras", save, needed=10, what="the model")
    assert (tmp_path / "model.keras").read_bytes() == b"model"


# ---- special files and bombs ----------------------------------------------------------------------
def _within(seconds: float, fn):
    box: dict = {}

    def target():
        try:
            fn()
        except BaseException as err:  # noqa: BLE001 - reported to the test below
            box["error"] = err

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "blocked (a FIFO was opened)"
    return box.get("error")


def test_fifos_and_devices_are_refused_before_opening(tmp_path):
    from embedstudio.core.config import DataConfig, load_config
    from embedstudio.core.datasets import load_dataset
    from embedstudio.core.vectors import load_vectors

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for fn, kind in (
        (lambda: load_vectors(fifo), VectorFileError),
        (lambda: load_dataset(DataConfig(path=str(fifo))), DatasetError),
        (lambda: load_config(fifo), ConfigError),
        (lambda: load_vectors("/dev/zero"), VectorFileError),
    ):
        err = _within(20, fn)
        assert isinstance(err, kind) and "not a regular file" in str(err)


def test_a_bomb_stops_at_the_ceiling_and_oversized_members_are_skipped_unread(tmp_path):
    import gzip
    import io
    import tarfile

    from embedstudio.core.config import DataConfig
    from embedstudio.core.datasets import load_dataset
    from embedstudio.core.datasets.archives import ArchiveRead, iter_members

    path = tmp_path / "bomb.tar.gz"
    with gzip.open(path, "wb", compresslevel=1) as gz, tarfile.open(fileobj=gz, mode="w|") as tf:
        for label in ("a", "b"):
            for i in range(4):
                data = f"{label} text {i}".encode()
                info = tarfile.TarInfo(f"ds/{label}/{i}.txt")
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo("ds/a/zeros.txt")
        info.size = 8 << 20
        tf.addfile(info, io.BytesIO(bytes(8 << 20)))
    assert path.stat().st_size < 100_000  # 8 MiB of zeros in a few KB
    read = ArchiveRead()
    names = [name for name, _ in iter_members(path, read=read, max_document_bytes=1 << 20)]
    assert "ds/a/zeros.txt" not in names and read.oversized == [("ds/a/zeros.txt", 8 << 20)]
    with pytest.raises(DatasetError, match="add up to more than 4.0 MB.*decompression bomb"):
        list(iter_members(path, max_total_bytes=4 << 20))
    with pytest.raises(DatasetError, match="data.max_bytes"):
        load_dataset(DataConfig(path=str(path), format="folders", max_bytes=4 << 20))


# ---- no network ------------------------------------------------------------------------------------
_NO_NETWORK = r"""
import socket, sys
attempts = []
def refuse(*args, **kwargs):
    attempts.append(args)
    raise AssertionError(f"network use: connect{args}")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
from embedstudio.cli import main
code = main(["demo", "--runs-dir", sys.argv[1]])
print("ATTEMPTS", len(attempts))
sys.exit(code)
"""


@pytest.mark.slow
def test_the_whole_demo_runs_without_any_network_connection(tmp_path):
    env = cli_env(tmp_path / "home")
    done = subprocess.run(
        [sys.executable, "-c", _NO_NETWORK, str(tmp_path / "runs")],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert "ATTEMPTS 0" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
    assert done.returncode == 0 and "network use" not in done.stderr


def test_keras_scratch_files_of_a_save_stay_in_the_run_and_are_removed(tmp_path):
    import tempfile

    from embedstudio.core.runs import clean_interrupted_saves, save_durably, update_description

    seen = {}

    def save(tmp: Path) -> None:
        seen["scratch"] = Path(tempfile.mkdtemp())  # what Keras' asset store does
        (seen["scratch"] / "asset").write_bytes(b"x" * 100)
        tmp.write_bytes(b"model")

    run = tmp_path / "runs" / "r"
    run.mkdir(parents=True)
    save_durably(run / "model.keras", save, needed=10, what="the model")
    assert seen["scratch"].parent.parent == run and not seen["scratch"].exists()
    assert tempfile.tempdir is None or not tempfile.tempdir.startswith(str(run))
    # What a kill -9 during a save leaves: removed at the next training's start (the writer is gone).
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (run / f".save-{int(dead.stdout)}-tmp" / "tmpabc").mkdir(parents=True)
    (run / ".model.keras.tmp.keras").write_bytes(b"partial")
    update_description(run, status="failed")
    assert clean_interrupted_saves(tmp_path / "runs") == 2
    assert sorted(p.name for p in run.iterdir()) == ["description.json", "model.keras"]
