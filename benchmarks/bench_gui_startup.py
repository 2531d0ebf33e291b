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
medians, and the load average before and after. The issue's goal is an absolute one (visible < 1 s); the
ratio is what compares across machines and loads.
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


def time_to_ready(cmd: list[str], cache_dir: Path) -> float:
    """Seconds from just before spawning ``cmd`` until it has written its ready file; then it is killed."""
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
        finally:
            if proc.poll() is None:
                proc.kill()  # a throw-away profile: nothing to save, and the warm-up need not finish
            proc.wait()
            if proc.stderr:
                proc.stderr.close()
    return elapsed


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
    with tempfile.TemporaryDirectory(prefix="embedstudio-bench-cache-") as cache:
        for round_ in range(args.runs + 1):
            for name, cmd in commands.items():
                t = time_to_ready(cmd, Path(cache))
                if round_:
                    times[name].append(t)
            if round_:
                print(f"run {round_}: " + ", ".join(f"{times[n][-1]:.3f} s" for n in commands), flush=True)
    print(f"load after: {load()}")
    anchor = statistics.median(times[next(iter(commands))])
    print()
    print(f"{'process start to window visible (offscreen)':46} {'median':>8} {'min':>7} {'max':>7} {'ratio':>7}")
    for name, ts in times.items():
        med = statistics.median(ts)
        verdict = "" if name.startswith("anchor") else f"  goal < {GOAL_S:.1f} s: {'PASS' if med < GOAL_S else 'FAIL'}"
        print(f"{name:46} {med:7.3f}s {min(ts):6.3f}s {max(ts):6.3f}s {med / anchor:6.2f}x{verdict}")
    if not args.bundle:
        print("bundle: not measured (build it with packaging/build_linux.sh, then pass --bundle PATH/embedstudio)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
