#!/usr/bin/env python
"""Regenerate docs/screenshots/*.png: one per area of the app, with the demo workspace loaded and, for
the Training and Runs areas, after a short real training on the demo data.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--epochs 8]

Runs offscreen unless QT_QPA_PLATFORM says otherwise, with temporary config/cache/data folders, so the
user's preferences, vector cache and runs are left alone.
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


def _isolate(tmp: Path) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        os.environ[var] = str(tmp / var.lower())


def wait_until(predicate, timeout_s: float, what: str) -> None:
    """Run the event loop until ``predicate()`` holds."""
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


def settle(window, ms: int = 400) -> None:
    """Let running jobs finish and the widgets repaint."""
    wait_until(lambda: not [w for w in window.pool.running() if w is not window.warmup_worker], 300, "jobs to finish")
    deadline = time.monotonic() + ms / 1000
    wait_until(lambda: time.monotonic() > deadline, 10, "repaint")


def grab(window, out: Path, name: str) -> Path:
    settle(window)
    path = out / f"{name}.png"
    window.grab().save(str(path))
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--epochs", type=int, default=8, help="epochs of the demo training shown in Training/Runs")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="embedstudio-shots-") as tmp:
        _isolate(Path(tmp))
        return _shoot(args.out, args.epochs, Path(tmp) / "runs")


def _shoot(out: Path, epochs: int, runs_dir: Path) -> int:
    from embedstudio.gui.app import make_application, set_up_gui_thread
    from embedstudio.gui.main_window import MainWindow
    from embedstudio.gui.preferences import Preferences

    app = make_application()
    set_up_gui_thread(app)
    window = MainWindow(prefs=Preferences(), save_prefs=False)
    window.state.set_runs_dir(runs_dir)
    window.resize(*SIZE)
    window.show()
    window.after_show()  # first start: the demo workspace
    state = window.state
    wait_until(
        lambda: state.dataset is not None and state.selected_vectors() and all(state.selected_vectors()),
        300,
        "the demo workspace",
    )

    window.show_area("Start")
    settle(window)
    grab(window, out, "start-page")
    grab_question(window, out, "project-menu", lambda: _show_menu(window, "File"))
    vectors = window.vectors_panel
    window.show_area("Vectors")
    vectors.explore.word.setText("film")
    vectors.explore.query_neighbours("film")
    grab(window, out, "vectors")
    vectors.tabs.setCurrentWidget(vectors.map)
    vectors.map.words_edit.setText("good, bad, film, story")
    vectors.map.k.setValue(5)
    vectors.map.plot_words(["good", "bad", "film", "story"])
    grab(window, out, "vectors-map")
    vectors.map.k.setValue(12)
    vectors.map.words_edit.setText("football, economy")
    vectors.map.plot_words(["football", "economy"])  # query words drawn as stars, labels placed apart
    settle(window)
    grab(window, out, "vector-map")
    viewer = window.show_help("vectors")
    viewer.resize(900, 640)
    settle(window)
    viewer.grab().save(str(out / "help.png"))
    viewer.close()
    vectors.tabs.setCurrentWidget(vectors.coverage)
    vectors.coverage.compute()
    grab(window, out, "vectors-coverage")
    vectors.tabs.setCurrentWidget(vectors.explore)

    window.show_area("Dataset")
    grab(window, out, "dataset")
    model = window.model_panel
    summaries = []
    model.summary_updated.connect(summaries.append)
    window.show_area("Model")
    wait_until(lambda: bool(summaries), 300, "the model summary")  # the parameter summary needs TensorFlow
    grab(window, out, "model")

    training = window.training_panel
    state.set_field("training.epochs", epochs)  # an undoable edit: the title shows the "*"
    grab_question(window, out, "undo-menu", lambda: _show_edit_menu(window))
    grab_question(window, out, "project-unsaved", window.new_project)  # answered Cancel: nothing changes
    finished = []
    state.run_finished.connect(finished.append)
    window.show_area("Training")
    if training.start() is None:
        raise SystemExit("screenshots: training did not start")
    wait_until(lambda: bool(finished) and not training.is_running(), 600, "the demo training")
    grab(window, out, "training")
    window.show_area("Runs")
    runs = window.runs_panel
    runs.refresh()
    settle(window)
    runs.select_rows([0])  # the run just trained, with its curves
    grab(window, out, "runs")
    grab_question(window, out, "rerun-question", lambda: runs.rerun(0))
    window.request_quit(confirm=False)
    wait_until(lambda: not window.isVisible() and not window.pool.running(), 120, "the window to close")
    app.processEvents()
    return 0


def grab_question(window, out: Path, name: str, action) -> None:
    """Run ``action`` (which opens a modal question or a menu), grab what it shows, then dismiss it."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    def shoot() -> None:
        popup = QApplication.activeModalWidget() or QApplication.activePopupWidget()
        if popup is None:
            QTimer.singleShot(100, shoot)
            return
        target = popup
        path = out / f"{name}.png"
        target.grab().save(str(path))
        print(f"wrote {path}")
        if isinstance(popup, QMessageBox):
            cancel = next((b for b in popup.buttons() if b.text().replace("&", "") == "Cancel"), None)
            (cancel or popup.buttons()[-1]).click()
        else:
            popup.close()

    QTimer.singleShot(300, shoot)
    action()


def _show_menu(window, title: str) -> None:
    bar = window.menuBar()
    action = next(a for a in bar.actions() if a.text().replace("&", "") == title)
    action.menu().exec(window.mapToGlobal(bar.geometry().bottomLeft()) + bar.actionGeometry(action).topLeft())


def _show_edit_menu(window) -> None:
    menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Edit")
    menu.exec(
        window.mapToGlobal(window.menuBar().geometry().bottomLeft())
        + window.menuBar().actionGeometry(window.menuBar().actions()[1]).topLeft()
    )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
