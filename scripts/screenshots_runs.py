#!/usr/bin/env python
"""Regenerate the Runs/results screenshots in docs/screenshots (runs-*, compare-*, confusion-*, charts-*),
each in a light and a dark palette, from tiny real trainings made in a temporary folder.

    .venv/bin/python scripts/screenshots_runs.py [--out docs/screenshots]

Offscreen unless QT_QPA_PLATFORM says otherwise; the user's config, cache and runs are left alone.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOPICS = {
    "sport": ["ball", "goal", "team", "match", "score", "player", "coach"],
    "tech": ["code", "chip", "data", "server", "robot", "software", "laptop"],
    "food": ["bread", "soup", "cheese", "salad", "pizza", "cake", "pasta"],
    "travel": ["train", "hotel", "beach", "flight", "ticket", "map", "tour"],
}
COMMON = ["the", "a", "was", "very", "new", "today", "and", "great", "ball", "data", "cake", "map"]


def make_data(root: Path) -> tuple[Path, Path]:
    import numpy as np

    rng = random.Random(0)
    for label, words in TOPICS.items():
        (root / "topics" / label).mkdir(parents=True, exist_ok=True)
        for i in range(40):
            text = " ".join(rng.choice(words + COMMON) for _ in range(rng.randint(3, 9)))
            (root / "topics" / label / f"{i:03d}.txt").write_text(text + "\n", encoding="utf-8")
    g = np.random.default_rng(0)
    lines = []
    for k, words in enumerate(TOPICS.values()):
        for w in words:
            v = g.normal(scale=0.5, size=8)
            v[k] += 1.0
            lines.append(w + " " + " ".join(f"{x:.5g}" for x in v))
    for w in COMMON:
        if not any(w in ws for ws in TOPICS.values()):
            lines.append(w + " " + " ".join(f"{x:.5g}" for x in g.normal(scale=0.5, size=8)))
    vectors = root / "topics.glove.txt"
    vectors.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root / "topics", vectors


def make_runs(root: Path) -> Path:
    from embedstudio.core.baselines import run_baselines
    from embedstudio.core.config import RunConfig, VectorSource
    from embedstudio.core.runs import append_metrics, create_run_dir, update_description
    from embedstudio.core.training import train

    dataset, vectors = make_data(root)
    runs = root / "runs"
    for name, mode, epochs in (
        ("topics-cnn-topics-finetune", "finetune", 4),
        ("topics-cnn-topics-twophase", "two_phase", 6),
    ):
        cfg = RunConfig()
        cfg.name, cfg.runs_dir = name, str(runs)
        cfg.data.path, cfg.data.format = str(dataset), "folders"
        cfg.data.validation_fraction, cfg.data.test_fraction = 0.2, 0.3
        cfg.text.sequence_length, cfg.text.max_tokens = 20, 200
        cfg.embedding.vectors = [VectorSource(path=str(vectors))]
        cfg.embedding.mode = mode
        cfg.embedding.unfreeze_epoch = 3
        cfg.model.preset, cfg.model.filters, cfg.model.conv_blocks, cfg.model.dense_units = "cnn", 16, 1, 16
        cfg.training.epochs, cfg.training.batch_size, cfg.training.learning_rate = epochs, 8, 0.005
        cfg.training.early_stopping, cfg.training.min_steps = False, 0
        train(cfg)
    run_baselines(cfg, which=("tfidf",))
    broken = create_run_dir(runs, "broken")
    cfg.name = "sms-bilstm-glove-finetune"
    (broken / "config.json").write_text(json.dumps(cfg.to_dict()))
    update_description(
        broken,
        name=cfg.name,
        status="failed",
        created="2026-12-01T09:00:00+00:00",
        message="Training stopped at epoch 2: the loss became NaN. Lower the learning rate (now 0.005) "
        "or turn on gradient clipping.",
    )
    append_metrics(broken, {"epoch": 1, "loss": 1.3, "accuracy": 0.3, "val_loss": 1.35, "val_accuracy": 0.28})
    return runs


def dark_palette():
    from PySide6.QtGui import QColor, QPalette

    p = QPalette()
    for role, colour in (
        (QPalette.Window, "#2d2d30"),
        (QPalette.WindowText, "#e6e6e6"),
        (QPalette.Base, "#1e1e1e"),
        (QPalette.AlternateBase, "#262626"),
        (QPalette.Text, "#e6e6e6"),
        (QPalette.Button, "#3a3a3d"),
        (QPalette.ButtonText, "#e6e6e6"),
        (QPalette.Highlight, "#2f65ca"),
        (QPalette.HighlightedText, "#ffffff"),
        (QPalette.ToolTipBase, "#3a3a3d"),
        (QPalette.ToolTipText, "#e6e6e6"),
        (QPalette.PlaceholderText, "#9a9a9a"),
    ):
        p.setColor(role, QColor(colour))
    for role in (QPalette.Text, QPalette.WindowText, QPalette.ButtonText):
        p.setColor(QPalette.Disabled, role, QColor("#8a8a8a"))
    return p


def pump(ms: int = 300) -> None:
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + ms / 1000
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.01)


def save(widget, out: Path, name: str) -> None:
    pump()
    path = out / f"{name}.png"
    widget.grab().save(str(path))
    print(f"wrote {path}")


def shoot(out: Path, runs_dir: Path, mode: str) -> None:
    from PySide6.QtWidgets import QApplication, QMessageBox

    from embedstudio.gui.jobs import WorkerPool
    from embedstudio.gui.panels.runs_panel import COLUMNS, RunsPanel
    from embedstudio.gui.state import AppState
    from embedstudio.gui.widgets.charts import BarChart, Histogram

    app = QApplication.instance()
    app.setPalette(dark_palette() if mode == "dark" else app.style().standardPalette())
    pump()
    state = AppState()
    state.set_runs_dir(runs_dir)
    pool = WorkerPool()
    panel = RunsPanel(state, pool)
    panel.resize(1400, 780)
    panel.show()
    while panel.list_jobs.current is not None:
        pump(50)

    def row(name: str) -> int:
        return next(i for i in range(panel.proxy.rowCount()) if panel.record_at(i).name == name)

    panel.select_rows([row("topics-cnn-topics-twophase")])
    save(panel, out, f"runs-{mode}")
    panel.details.tabs.setCurrentWidget(panel.details.results)
    save(panel, out, f"runs-report-{mode}")
    panel.select_rows([row("sms-bilstm-glove-finetune")])
    save(panel, out, f"runs-failed-{mode}")
    panel.set_filter("topics")
    panel.select_rows([row("topics-cnn-topics-finetune"), row("topics-cnn-topics-twophase")])
    save(panel, out, f"compare-{mode}")
    panel.set_filter("")

    # the results view alone, as after a training: percentages, then a click on a cell
    panel.select_rows([row("topics-cnn-topics-finetune")])
    results = panel.details.results
    results.setParent(None)
    results.resize(1000, 520)
    results.show()
    results.tabs.setCurrentIndex(0)
    results.percent_box.setChecked(True)
    save(results, out, f"confusion-percent-{mode}")
    matrix = results.confusion.matrix
    off = [(i, j) for i in range(len(matrix)) for j in range(len(matrix)) if i != j]
    i, j = max(off, key=lambda c: matrix[c[0], c[1]])
    results.confusion.click_cell(i, j)
    save(results, out, f"confusion-filtered-{mode}")

    charts = BarChart("Documents per class", left="documents")
    charts.resize(640, 520)
    charts.show()
    names = [f"comp.{n}" for n in ("graphics", "os.ms-windows.misc", "sys.ibm.pc.hardware", "sys.mac.hardware")]
    names += ["alt.atheism", "misc.forsale", "rec.autos", "rec.motorcycles", "rec.sport.baseball"]
    names += ["rec.sport.hockey", "sci.crypt", "sci.electronics", "sci.med", "sci.space", "soc.religion.christian"]
    names += [
        "talk.politics.guns",
        "talk.politics.mideast",
        "talk.politics.misc",
        "talk.religion.misc",
        "comp.windows.x",
    ]
    rng = random.Random(1)
    counts = [rng.randint(380, 600) for _ in names]
    charts.set_bars(names, counts, highlight=[c < 400 for c in counts])
    save(charts, out, f"charts-classes-{mode}")
    hist = Histogram("Document length", bottom="words per document")
    hist.resize(640, 300)
    hist.show()
    hist.set_histogram(
        [float(x) for x in range(0, 525, 25)],
        [3, 40, 120, 180, 160, 130, 90, 70, 50, 40, 30, 25, 20, 15, 12, 10, 8, 7, 6, 21],
    )
    save(hist, out, f"charts-length-{mode}")

    # the Training area during a two-phase run: the unfreeze marker on the live curves and the log line
    from embedstudio.core.runs import load_run
    from embedstudio.gui.panels.training_panel import TrainingPanel

    record = load_run(next(r.path for r in panel.records if r.name == "topics-cnn-topics-twophase"))
    state.set_config(record.run_config())
    state.config.runs_dir = str(Path(tempfile.mkdtemp()))
    training = TrainingPanel(state, pool)
    training.resize(1280, 760)
    training.show()
    worker = training.start()
    done: list[bool] = []
    worker.done.connect(lambda: done.append(True))
    while not done:
        pump(50)
    training._give_room_to_results(False)
    save(training, out, f"runs-training-unfreeze-{mode}")

    if mode == "light":
        from PySide6.QtCore import QTimer

        def grab_box() -> None:
            box = QApplication.activeModalWidget()
            if isinstance(box, QMessageBox):
                save(box, out, "runs-trash-question")
                next(b for b in box.buttons() if b.text() == "Cancel").click()
            else:
                QTimer.singleShot(50, grab_box)

        panel.select_rows([row("sms-bilstm-glove-finetune")])
        QTimer.singleShot(0, grab_box)
        panel.trash_button.click()
        record = panel.record_at(row("topics-cnn-topics-finetune"))
        results.show_run(record.path, record.report, status=record.status, name=record.name)
        target = Path(tempfile.mkdtemp()) / "topics-cnn.keras"
        results.export_model(target)
        while getattr(results, "export_notice", None) is None or not results.export_notice.isVisible():
            pump(50)
        save(results.export_notice, out, "runs-export-confirmation")
        results.export_notice.close()
    assert COLUMNS
    pool.wait_all()
    for w in (panel, results, charts, hist, training):
        w.close()
        w.deleteLater()
    pump()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="embedstudio-shots-"))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        os.environ[var] = str(tmp / var.lower())
    sys.path.insert(0, str(ROOT))
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    app.setStyle("Fusion")
    from embedstudio.gui.app import set_up_gui_thread

    set_up_gui_thread(app)
    runs = make_runs(tmp)
    args.out.mkdir(parents=True, exist_ok=True)
    for mode in ("light", "dark"):
        shoot(args.out, runs, mode)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
