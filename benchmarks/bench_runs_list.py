"""Issue 12, item 7: the Runs list with many runs. Filtering and sorting 500 runs, each timed against the
anchor of reading the same 500 run folders from disk (``core.runs.list_runs``) in the same process.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_runs_list.py [--runs 500]

A filter keystroke re-filters every row and re-sorts the shown ones on the GUI thread, so it must cost a
small fraction of a listing (which runs in a worker).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def median_ms(fn, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def write_runs(root: Path, n: int) -> None:
    from embedstudio.core.runs import append_metrics, create_run_dir, update_description

    for i in range(n):
        path = create_run_dir(root, f"run{i}")
        config = {
            "name": f"set{i % 7}-cnn-glove-{i}",
            "data": {"path": f"/data/set{i % 7}.csv"},
            "embedding": {"mode": "frozen", "vectors": [{"path": "/vectors/glove.6B.50d.txt"}]},
            "model": {"preset": "cnn"},
        }
        (path / "config.json").write_text(json.dumps(config))
        failed = i % 10 == 0
        update_description(path, status="failed" if failed else "completed", message="NaN loss" if failed else "")
        (path / "report.json").write_text(json.dumps({"accuracy": (i % 97) / 97, "macro_f1": (i % 89) / 89}))
        for epoch in range(1, 6):
            append_metrics(path, {"epoch": epoch, "loss": 1 / epoch, "val_loss": 1.1 / epoch})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    args = parser.parse_args(argv)
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    from embedstudio.core.runs import list_runs
    from embedstudio.gui.jobs import WorkerPool
    from embedstudio.gui.panels.runs_panel import COLUMNS, RunsPanel
    from embedstudio.gui.state import AppState

    root = Path(tempfile.mkdtemp(prefix="bench-runs-"))
    write_runs(root, args.runs)
    anchor = median_ms(lambda: list_runs(root))
    state = AppState()
    state.set_runs_dir(root)
    pool = WorkerPool()
    panel = RunsPanel(state, pool)
    while panel.list_jobs.current is not None:
        app.processEvents()
    assert panel.proxy.rowCount() == args.runs

    def filter_and_clear() -> None:
        panel.proxy.set_words("set3 failed")
        panel.proxy.set_words("")

    column = COLUMNS.index("Test accuracy")

    def sort_both_ways() -> None:
        for order in (Qt.AscendingOrder, Qt.DescendingOrder):
            panel.proxy.sort(column, order)

    rows = [
        ("filter 'set3 failed' then clear", median_ms(filter_and_clear)),
        (
            "sort by test accuracy, both ways",
            median_ms(sort_both_ways),
        ),
    ]
    print(f"anchor: list_runs over {args.runs} run folders = {anchor:.0f} ms")
    for what, ms in rows:
        print(f"{what}: {ms:.1f} ms = {ms / anchor:.2f} × the anchor")
    pool.wait_all()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
