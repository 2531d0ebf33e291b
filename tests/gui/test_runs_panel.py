"""Runs area: the list of run folders, opening one, overlaying several, re-running one."""

from __future__ import annotations

import json
import shutil

import pytest
from gui_helpers import answer_next_question
from PySide6.QtCore import Qt
from test_training_panel_helpers import (
    configure_tiny,
    make_workspace,
    wait_done,
    write_topic_dataset,
    write_topic_glove,
)

from embedstudio.gui.panels.runs_panel import COLUMNS, RunsPanel


@pytest.fixture(scope="module")
def trained_runs(tmp_path_factory):
    """Two finished runs, trained once for the module by the core (as the CLI would)."""
    from embedstudio.core.config import RunConfig
    from embedstudio.core.training import train

    root = tmp_path_factory.mktemp("runs_source")
    dataset, vectors = write_topic_dataset(root / "topics"), write_topic_glove(root / "topics.glove.txt")
    reports = {}
    for name, epochs in (("short", 1), ("longer", 3)):
        cfg = RunConfig()
        configure_tiny(cfg, dataset, vectors, epochs=epochs)
        cfg.name, cfg.runs_dir = name, str(root / "runs")
        reports[name] = train(cfg).report
    return root, reports


@pytest.fixture
def two_runs(tmp_path, trained_runs):
    """A workspace whose runs folder is a fresh copy of the two trained runs."""
    source, reports = trained_runs
    ws = make_workspace(tmp_path, load=False)
    shutil.copytree(source / "runs", ws.runs_dir)
    return ws, reports


def make_panel(qtbot, pool, state) -> RunsPanel:
    panel = RunsPanel(state, pool)
    qtbot.addWidget(panel)
    wait_done(qtbot, panel.list_jobs.current)
    return panel


def test_lists_runs_with_their_metrics(qtbot, pool, two_runs):
    ws, reports = two_runs
    panel = make_panel(qtbot, pool, ws.state)
    assert {r.name for r in panel.records} == {"short", "longer"}
    assert panel.proxy.headerData(0, Qt.Horizontal) == "Name" and panel.proxy.columnCount() == len(COLUMNS)
    for row in range(panel.proxy.rowCount()):
        report = reports[panel.cell(row, "Name")]
        assert panel.cell(row, "Preset") == "cnn" and panel.cell(row, "Status") == "completed"
        assert panel.cell(row, "Dataset") == "topics" and panel.cell(row, "Vectors") == "topics.glove.txt"
        assert panel.cell(row, "Test accuracy") == f"{report['accuracy']:.3f}"
        assert panel.cell(row, "Macro-F1") == f"{report['macro_f1']:.3f}"
        assert panel.cell(row, "Date").startswith("20")  # a date
        assert panel.cell(row, "Message") == ""


def test_open_a_run_shows_curves_report_and_config(qtbot, pool, two_runs):
    ws, reports = two_runs
    panel = make_panel(qtbot, pool, ws.state)
    row = next(i for i in range(len(panel.records)) if panel.record_at(i).name == "longer")
    panel.select_rows([row])
    details = panel.details
    assert details.record.name == "longer"
    assert details.curves.point_count("validation_loss") == 3
    assert json.loads(details.config_text.toPlainText())["training"]["epochs"] == 3
    assert details.results.report["accuracy"] == reports["longer"]["accuracy"]
    assert details.results.confusion.matrix.sum() == reports["longer"]["n_samples"]


def test_overlay_draws_one_curve_per_selected_run(qtbot, pool, two_runs):
    ws, _ = two_runs
    panel = make_panel(qtbot, pool, ws.state)
    panel.select_rows([0, 1])
    overlay = panel.overlay
    assert panel.right.currentWidget() is panel.compare
    assert overlay.visible_curves("val_accuracy") == 2 and overlay.visible_curves("val_loss") == 2
    points = sorted(len(c.getData()[0]) for c in overlay.curves["val_accuracy"] if c.isVisible())
    assert points == [1, 3], "each run's own epochs"
    legend = [label.text for _, label in overlay.plots["val_accuracy"].plotItem.legend.items]
    assert sorted(legend) == ["longer", "short"]
    panel.select_rows([0])
    panel.select_rows([0, 1])
    assert overlay.visible_curves() == 2, "curves are reused, not piled up"


def _window(qtbot, ws):
    from embedstudio.gui.main_window import MainWindow
    from embedstudio.gui.preferences import Preferences

    window = MainWindow(state=ws.state, prefs=Preferences(demo_offered=True), save_prefs=False, warm_up=False)
    qtbot.addWidget(window)
    return window


def test_rerun_asks_then_loads_the_config_and_trains_in_the_window(qtbot, two_runs):
    ws, _ = two_runs
    window = _window(qtbot, ws)
    runs, training = window.runs_panel, window.training_panel
    window.show_area("Runs")
    wait_done(qtbot, runs.list_jobs.current)
    row = next(i for i in range(len(runs.records)) if runs.record_at(i).name == "short")
    ws.state.config.training.epochs = 7  # edited since: re-run must use the run's own config
    started, asked = [], []
    training.training_started.connect(started.append)
    runs.select_rows([row])
    assert runs.rerun_button.isEnabled()
    answer_next_question(qtbot, "Replace and Train", asked)
    runs.rerun_button.click()
    assert asked and "short" in asked[0][0], "re-run asks before replacing the settings on screen"
    assert started, "re-run starts training"
    assert window.current_area() == "Training"
    assert ws.state.config.name == "short" and ws.state.config.training.epochs == 1
    with qtbot.waitSignal(runs.refreshed, timeout=180_000):  # run_finished refreshes the list
        wait_done(qtbot, started[0])
    qtbot.waitUntil(lambda: runs.list_jobs.current is None, timeout=60_000)
    assert training.last_result.status == "completed"
    assert len(runs.records) == 3 and sum(r.name == "short" for r in runs.records) == 2
    window.pool.wait_all()


def test_rerun_cancelled_keeps_the_settings(qtbot, two_runs):
    ws, _ = two_runs
    window = _window(qtbot, ws)
    runs = window.runs_panel
    wait_done(qtbot, runs.list_jobs.current)
    ws.state.config.training.epochs = 7
    row = next(i for i in range(len(runs.records)) if runs.record_at(i).name == "longer")
    answer_next_question(qtbot, "Cancel")
    runs.rerun(row)
    assert ws.state.config.training.epochs == 7 and not window.training_panel.is_running()


def test_rerun_goes_through_the_signal(qtbot, pool, two_runs):
    ws, _ = two_runs
    panel = make_panel(qtbot, pool, ws.state)
    asked = []
    panel.rerun_requested.connect(asked.append)
    row = next(i for i in range(len(panel.records)) if panel.record_at(i).name == "longer")
    before = ws.state.config
    panel.rerun(row)
    assert len(asked) == 1 and asked[0].training.epochs == 3
    assert ws.state.config is before, "the panel does not replace the settings itself; the window asks first"


def test_empty_runs_folder(qtbot, pool, tmp_path):
    ws = make_workspace(tmp_path, load=False)
    panel = make_panel(qtbot, pool, ws.state)
    assert panel.records == [] and "No runs yet" in panel.status.text()
    assert not panel.rerun_button.isEnabled()


def test_a_killed_run_shows_as_interrupted(qtbot, pool, two_runs):
    import socket
    import subprocess
    import sys

    ws, _ = two_runs
    run = next(p for p in sorted(ws.runs_dir.iterdir()) if p.is_dir())
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    description = json.loads((run / "description.json").read_text())
    description.update(
        status="running",
        environment={**description.get("environment", {}), "pid": int(dead.stdout), "hostname": socket.gethostname()},
    )
    (run / "description.json").write_text(json.dumps(description))
    (run / "model.keras").unlink()
    panel = make_panel(qtbot, pool, ws.state)
    statuses = {panel.cell(row, "Name"): panel.cell(row, "Status") for row in range(panel.proxy.rowCount())}
    assert sorted(statuses.values()) == ["completed", "interrupted"]
    record = next(r for r in panel.records if r.status == "interrupted")
    assert "not a usable run" in record.leftovers()
