#!/usr/bin/env python
"""Issue 13 §5: time from process start to the main window visible, against a bare Qt window.

    .venv/bin/python benchmarks/bench_gui_startup.py [--runs 7] [--bundle packaging/build/.../embedstudio]

Each measurement is a new process, started offscreen (QT_QPA_PLATFORM=offscreen) with a fresh profile
(temporary XDG config/data folders, so every run is a first start that opens the demo workspace, the
heaviest start a user gets; the XDG cache folder is shared by the runs, as a user's is). The clock starts
just before the process is spawned and stops when the process has written its ready file:

* ours: ``python -m embedstudio gui`` with ``EMBEDSTUDIO_READY_FILE`` (gui/app.py writes it from the event
  loop's first turn after ``window.show()``, once ``after_show`` has started the TensorFlow warm-up and the
  demo's loads, which go on in workers);
* the anchor, in the same run: a bare ``QApplication`` + ``QMainWindow().show()`` process that writes its
  ready file from the same place (the event loop's first turn);
* the packaged bundle's launcher, if ``--bundle`` names one (packaging/build_linux.sh builds it).

Runs alternate (anchor, ours, bundle, anchor, ours, ...) after one discarded warm-up round, so load swings
on the shared machine hit all of them alike; medians are reported, with min and max, the ratio of the
medians, the CPU time each process had used when its window was up (from /proc: all threads, and the GUI
thread alone, which is the critical path on an idle machine; CPU time depends far less on the machine's
load than wall time does), and the load average before and after. The issue's goal is an absolute one
(visible < 1 s); the ratios are what compare across machines and loads.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_S = 1.0
POLL_S = 0.001
TIMEOUT_S = 120.0

ANCHOR = """
import os, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.show()
def ready():
    path = os.environ["EMBEDSTUDIO_READY_FILE"]
    with open(path + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.replace(path + ".tmp", path)
    app.quit()
QTimer.singleShot(0, ready)
app.exec()
"""


def cpu_seconds(stat: Path) -> float:
    """User + system CPU time from a /proc stat file (a process: all threads; a task: one thread)."""
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")  # not Linux
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_to_ready(cmd: list[str], cache_dir: Path) -> tuple[float, float, float]:
    """(wall seconds from just before spawning ``cmd`` until it has written its ready file, CPU seconds the
    process and its main (GUI) thread had used by then); then it is killed."""
    with tempfile.TemporaryDirectory(prefix="embedstudio-bench-start-") as tmp:
        ready = Path(tmp) / "ready"
        env = dict(
            os.environ,
            QT_QPA_PLATFORM="offscreen",
            TF_CPP_MIN_LOG_LEVEL="3",
            PYTHONPATH=str(ROOT),
            EMBEDSTUDIO_READY_FILE=str(ready),
            XDG_CONFIG_HOME=str(Path(tmp) / "config"),
            XDG_DATA_HOME=str(Path(tmp) / "data"),
            XDG_CACHE_HOME=str(cache_dir),
        )
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp)
        try:
            while not ready.exists():
                if proc.poll() is not None:
                    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                    raise SystemExit(f"{cmd[0]} exited with {proc.returncode} before its window was up:\n{err[-2000:]}")
                if time.perf_counter() - start > TIMEOUT_S:
                    raise SystemExit(f"{' '.join(cmd)}: no window after {TIMEOUT_S:.0f} s")
                time.sleep(POLL_S)
            elapsed = time.perf_counter() - start
            cpu = cpu_seconds(Path(f"/proc/{proc.pid}/stat"))
            gui_cpu = cpu_seconds(Path(f"/proc/{proc.pid}/task/{proc.pid}/stat"))
        finally:
            if proc.poll() is None:
                proc.kill()  # a throw-away profile: nothing to save, and the warm-up need not finish
            proc.wait()
            if proc.stderr:
                proc.stderr.close()
    return elapsed, cpu, gui_cpu


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f} (5-min {five:.1f}) on {os.cpu_count()} cores"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7, help="measured runs of each (after one warm-up round)")
    ap.add_argument("--bundle", type=Path, help="the packaged bundle's launcher (…/embedstudio) to time as well")
    args = ap.parse_args(argv)
    commands = {
        "anchor: bare QMainWindow().show()": [sys.executable, "-c", ANCHOR],
        "ours: python -m embedstudio gui": [sys.executable, "-m", "embedstudio", "gui"],
    }
    if args.bundle:
        if not args.bundle.is_file():
            print(f"bench_gui_startup: no bundle launcher at {args.bundle}", file=sys.stderr)
            return 2
        commands["bundle: " + str(args.bundle)] = [str(args.bundle.resolve()), "gui"]
    print(f"load before: {load()}", flush=True)
    times: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    gui_cpus: dict[str, list[float]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory(prefix="embedstudio-bench-cache-") as cache:
        for round_ in range(args.runs + 1):
            for name, cmd in commands.items():
                t, cpu, gui_cpu = time_to_ready(cmd, Path(cache))
                if round_:
                    times[name].append(t)
                    cpus[name].append(cpu)
                    gui_cpus[name].append(gui_cpu)
            if round_:
                print(f"run {round_}: " + ", ".join(f"{times[n][-1]:.3f} s" for n in commands), flush=True)
    print(f"load after: {load()}")
    first = next(iter(commands))
    med = {name: statistics.median(ts) for name, ts in times.items()}
    cpu = {name: statistics.median(ts) for name, ts in cpus.items()}
    gui = {name: statistics.median(ts) for name, ts in gui_cpus.items()}
    print()
    print(
        f"{'process start to window visible (offscreen)':44} {'median':>8} {'min':>7} {'max':>7} {'ratio':>6}"
        f" {'CPU s':>6} {'ratio':>6} {'GUI-thread CPU s':>16} {'ratio':>6}"
    )
    for name, ts in times.items():
        verdict = "" if name == first else f"  goal < {GOAL_S:.1f} s: {'PASS' if med[name] < GOAL_S else 'FAIL'}"
        print(
            f"{name:44} {med[name]:7.3f}s {min(ts):6.3f}s {max(ts):6.3f}s {med[name] / med[first]:5.2f}x"
            f" {cpu[name]:6.2f} {cpu[name] / cpu[first]:5.2f}x {gui[name]:16.2f} {gui[name] / gui[first]:5.2f}x"
            f"{verdict}"
        )
    print(
        "CPU s: user + system time of the process (all threads) when its window was up; GUI-thread CPU s: of its\n"
        "main thread alone, the critical path on an idle machine. Both depend far less on the load than wall time."
    )
    if not args.bundle:
        print("bundle: not measured (build it with packaging/build_linux.sh, then pass --bundle PATH/embedstudio)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
