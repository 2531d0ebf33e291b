"""The GUI benchmarks' measuring parts work (benchmarks/bench_gui_startup.py, bench_gui_responsiveness.py)
and the screenshot scripts' shared helper grabs real widgets: behaviour only, no timing limits (the
figures are the benchmarks' job)."""

from __future__ import annotations

import importlib
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _module(folder: str, name: str):
    path = str(ROOT / folder)
    if path not in sys.path:
        sys.path.insert(0, path)
    return importlib.import_module(name)


def test_startup_clock_sees_the_anchor_window_and_its_cpu(tmp_path):
    bench = _module("benchmarks", "bench_gui_startup")
    wall, cpu, gui_cpu = bench.time_to_ready([sys.executable, "-c", bench.ANCHOR], tmp_path / "cache")
    assert wall > 0
    if sys.platform.startswith("linux"):
        assert 0 <= gui_cpu <= cpu


def test_startup_clock_names_a_process_that_dies_before_its_window(tmp_path):
    bench = _module("benchmarks", "bench_gui_startup")
    with pytest.raises(SystemExit, match="exited with 3"):
        bench.time_to_ready([sys.executable, "-c", "raise SystemExit(3)"], tmp_path / "cache")


def test_cpu_seconds_reads_this_process():
    bench = _module("benchmarks", "bench_gui_startup")
    if not sys.platform.startswith("linux"):
        pytest.skip("reads /proc")
    assert bench.cpu_seconds(Path("/proc/self/stat")) > 0
    assert math.isnan(bench.cpu_seconds(Path("/proc/no-such-process/stat")))


def test_loop_probe_records_gaps_while_the_control_job_runs_in_a_gui_worker(qtbot):
    from embedstudio.gui.jobs import Worker

    bench = _module("benchmarks", "bench_gui_responsiveness")
    probe = bench.LoopProbe(lambda: "control")
    worker = Worker(bench.busy_python, 0.3, name="control")
    probe.start()
    with qtbot.waitSignal(worker.returned, timeout=60_000) as returned:
        worker.start()
    qtbot.waitUntil(worker.isFinished, timeout=10_000)
    probe.stop()
    assert returned.args[0] > 0, "the control job did work"
    stats = probe.stats()
    assert stats["ticks"] == len(probe.gaps) > 0
    assert stats["p50"] <= stats["p99"] <= stats["max"]
    assert probe.worst(1)[0][1] == "control"


def test_shots_helper_writes_a_png_and_says_where(qtbot, tmp_path, capsys):
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QLabel

    shots_common = _module("scripts", "shots_common")
    label = QLabel("EmbedStudio")
    qtbot.addWidget(label)
    label.resize(200, 40)
    label.show()
    shots = shots_common.Shots(tmp_path / "out")
    path = shots.save(label, "label")
    assert path == (tmp_path / "out" / "label.png").resolve()
    assert not QImage(str(path)).isNull()
    assert str(path) in capsys.readouterr().out
    assert str(tmp_path / "out") in shots.summary(0.0)
