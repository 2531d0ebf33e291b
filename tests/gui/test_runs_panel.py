"""Runs area: the list of run folders, opening one, overlaying several, re-running one."""

from __future__ import annotations

import json
import shutil

import pytest
from gui_helpers import answer_next_question
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
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
    assert sorted(overlay.names) == ["longer", "short"]
    assert all(name in overlay.legend.text() for name in overlay.names), "one legend names every run"
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


# ---- rename, trash, filter, failures, compare (issue 12 items 7 and 8) -----------------------------------
def _row_of(panel, name: str) -> int:
    return next(i for i in range(panel.proxy.rowCount()) if panel.record_at(i).name == name)


def write_failed_run(runs_dir, message="Training stopped: the loss became NaN at epoch 2."):
    """A run folder as core.training leaves a failed run: config, description with the message, one epoch."""
    from embedstudio.core.config import RunConfig
    from embedstudio.core.runs import append_metrics, create_run_dir, update_description

    path = create_run_dir(runs_dir, "broken")
    cfg = RunConfig()
    cfg.name, cfg.data.path = "broken", "/data/sms.csv"
    (path / "config.json").write_text(json.dumps(cfg.to_dict()))
    update_description(path, name="broken", status="failed", created="2020-01-01T10:00:00+00:00", message=message)
    append_metrics(path, {"epoch": 1, "loss": 1.2, "accuracy": 0.4, "val_loss": 1.3, "val_accuracy": 0.35})
    return path


def test_filter_and_sort_the_list(qtbot, pool, two_runs):
    ws, reports = two_runs
    write_failed_run(ws.runs_dir)
    panel = make_panel(qtbot, pool, ws.state)
    assert panel.proxy.rowCount() == 3
    panel.filter_box.setText("LONG")  # what a user types; case does not matter
    assert [panel.cell(r, "Name") for r in range(panel.proxy.rowCount())] == ["longer"]
    assert "1 of 3" in panel.status.text()
    panel.set_filter("topics cnn")  # every word, in any column
    assert sorted(panel.cell(r, "Name") for r in range(panel.proxy.rowCount())) == ["longer", "short"]
    panel.set_filter("sms.csv")
    assert [panel.cell(r, "Name") for r in range(panel.proxy.rowCount())] == ["broken"]
    panel.set_filter("")
    panel.table.sortByColumn(COLUMNS.index("Test accuracy"), Qt.DescendingOrder)  # a header click
    accuracies = [panel.record_at(r).test_accuracy for r in range(3)]
    assert accuracies[-1] is None and accuracies[0] == max(r["accuracy"] for r in reports.values())
    panel.table.sortByColumn(COLUMNS.index("Name"), Qt.AscendingOrder)
    assert [panel.cell(r, "Name") for r in range(3)] == ["broken", "longer", "short"]
    panel.select_rows([0])
    assert panel.details.record.name == "broken", "rows are view rows: the sorted, filtered order"


def test_a_failed_run_says_why_in_the_list_and_the_details(qtbot, pool, two_runs):
    ws, _ = two_runs
    write_failed_run(ws.runs_dir)
    panel = make_panel(qtbot, pool, ws.state)
    row = _row_of(panel, "broken")
    assert panel.cell(row, "Status") == "failed"
    assert "loss became NaN" in panel.cell(row, "Message")
    tip = panel.proxy.index(row, COLUMNS.index("Name")).data(Qt.ToolTipRole)
    assert "failed" in tip and "loss became NaN at epoch 2" in tip
    assert "1 failed or interrupted" in panel.status.text()
    panel.select_rows([row])
    details = panel.details
    assert details.problem.isVisibleTo(panel) and "loss became NaN at epoch 2" in details.problem.text()
    assert "Failed" in details.problem.text()
    assert "loss became NaN" not in details.results.message.text(), "said once, in the banner"
    assert details.curves.point_count("validation_loss") == 1
    completed = _row_of(panel, "short")
    panel.select_rows([completed])
    assert not details.problem.isVisibleTo(panel), "a completed run has no failure banner"


def test_rename_changes_the_files_and_undo_takes_it_back(qtbot, pool, two_runs):
    ws, _ = two_runs
    panel = make_panel(qtbot, pool, ws.state)
    panel.show()
    row = _row_of(panel, "short")
    path = panel.record_at(row).path
    panel.select_rows([row])
    # the way a user renames: F2 on the name cell opens an editor; typing and Enter commit it
    panel.rename_button.click()
    editors = [e for e in panel.table.viewport().findChildren(QLineEdit) if e.isVisible()]
    assert len(editors) == 1 and editors[0].text() == "short", "an editor on the name cell"
    editor = editors[0]
    editor.selectAll()
    qtbot.keyClicks(editor, "sms cnn glove")
    qtbot.keyClick(editor, Qt.Key_Return)  # Qt commits the editor's text in a queued call
    qtbot.waitUntil(lambda: json.loads((path / "config.json").read_text())["name"] == "sms cnn glove")
    assert json.loads((path / "description.json").read_text())["name"] == "sms cnn glove"
    qtbot.waitUntil(lambda: {r.name for r in panel.records} == {"sms cnn glove", "longer"})
    assert panel.details.record.path == path, "the renamed run stays open"
    assert panel.undo.undoText() == "Rename run “short” to “sms cnn glove”"
    panel.undo.undo()
    assert json.loads((path / "config.json").read_text())["name"] == "short"
    assert {r.name for r in panel.records} == {"short", "longer"}
    panel.undo.redo()
    assert load_name(path) == "sms cnn glove"
    errors = []
    from embedstudio.gui import dialogs

    dialogs.error_listeners.append(lambda info: errors.append(info.message))
    try:
        assert not panel.rename(_row_of(panel, "longer"), "   ")
    finally:
        dialogs.error_listeners.pop()
    assert errors and "cannot be empty" in errors[0]


def load_name(path):
    from embedstudio.core.runs import load_run

    return load_run(path).name


def test_trash_asks_first_and_undo_brings_the_runs_back(qtbot, pool, two_runs):
    ws, _ = two_runs
    panel = make_panel(qtbot, pool, ws.state)
    before = sorted(p.name for p in ws.runs_dir.iterdir() if not p.name.startswith("."))
    panel.select_rows([0, 1])
    asked = []
    answer_next_question(qtbot, "Cancel", asked)
    panel.trash_button.click()
    assert asked and asked[0][0] == "Move runs to the trash" and "2 runs" in asked[0][1]
    assert len(panel.records) == 2 and panel.undo.count() == 0, "Cancel keeps them"

    answer_next_question(qtbot, "Move to Trash")
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key_Delete)  # the Delete key does the same as the button
    assert panel.records == [] and "No runs yet" in panel.status.text()
    assert panel.details.record is None and panel.details.config_text.toPlainText() == ""
    assert panel.details.curves.point_count("validation_loss") == 0, "the trashed run is no longer shown"
    trash = ws.runs_dir / ".trash"
    assert sorted(p.name for p in trash.iterdir()) == before, "moved, not deleted"
    assert panel.undo.undoText() == "Move 2 runs to the trash"
    panel.undo.undo()
    assert sorted(p.name for p in ws.runs_dir.iterdir() if not p.name.startswith(".")) == before
    assert {r.name for r in panel.records} == {"short", "longer"}
    assert all((ws.runs_dir / name / "model.keras").is_file() for name in before)
    panel.undo.redo()
    assert panel.records == [] and sorted(p.name for p in trash.iterdir()) == before


def test_edit_undo_in_the_runs_area_undoes_the_trash_move(qtbot, two_runs):
    ws, _ = two_runs
    window = _window(qtbot, ws)
    ws.state.setParent(window)  # as when the window makes its own state: both go together
    runs = window.runs_panel
    wait_done(qtbot, runs.list_jobs.current)
    ws.state.set_field("training.epochs", 4)  # a config edit before
    window.show_area("Runs")
    row = _row_of(runs, "short")
    runs.trash_rows([row], confirm=False)
    assert {r.name for r in runs.records} == {"longer"}
    assert window.act_undo.text() == "&Undo Move “short” to the trash"
    window.act_undo.trigger()
    assert {r.name for r in runs.records} == {"short", "longer"}
    assert ws.state.config.training.epochs == 4, "the config edit is not undone in the Runs area"
    assert not window.state.is_modified() or window.state.undo.count() == 1
    window.show_area("Model")
    assert window.act_undo.text() == "&Undo Set epochs to 4"


def test_compare_shows_metrics_side_by_side_and_the_settings_that_differ(qtbot, pool, two_runs):
    ws, reports = two_runs
    panel = make_panel(qtbot, pool, ws.state)
    panel.select_rows([0, 1])
    compare = panel.compare
    assert panel.right.currentWidget() is compare
    names = [compare.metrics.horizontalHeaderItem(c).text() for c in range(2)]
    assert sorted(names) == ["longer", "short"]
    for c, name in enumerate(names):
        report = reports[name]
        assert compare.metric_text("Test accuracy", c) == f"{report['accuracy']:.3f}"
        assert compare.metric_text("Macro-F1", c) == f"{report['macro_f1']:.3f}"
        assert compare.metric_text("vs TF-IDF accuracy", c) == f"{report['vs_tfidf']['accuracy_points']:+.1f}"
        assert compare.metric_text("Epochs", c) == str(report["epochs_completed"])
        assert compare.metric_text("Seconds", c) != "—"
    epochs = {name: str(reports[name]["epochs_completed"]) for name in names}
    assert compare.setting_rows() == {"training.epochs": [epochs[n] for n in names]}, "only what differs"
    assert compare.settings.verticalHeaderItem(0).text() == "Epochs", "settings are named by their label"
