"""The desktop app as an analyst expects it (issue 12): no accidental edits, undo with names, a modified
marker, nothing lost on quit or restart, truthful cleaning switches, one profile per window, and
uncaught errors that reach the user. Real widgets, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from embedstudio.core.config import RunConfig, load_config, save_config
from embedstudio.gui import dialogs
from embedstudio.gui.jobs import Worker
from embedstudio.gui.main_window import MainWindow
from embedstudio.gui.session import load_session, session_lock_path, take_session_lock
from embedstudio.gui.panels.model_panel import ModelPanel
from embedstudio.gui.preferences import Preferences, workspace_path
from embedstudio.gui.state import AppState
from embedstudio.gui.widgets.dataset_options import DatasetOptions
from embedstudio.gui.widgets.job_status import JobStatus

from gui_helpers import answer_next_question, wait_worker


def _wheel(widget, notches: int = 1) -> None:
    pos = QPointF(widget.rect().center())
    event = QWheelEvent(pos, QPointF(widget.mapToGlobal(pos.toPoint())), QPoint(0, 0), QPoint(0, 120 * notches),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


@pytest.fixture
def model_panel(qtbot, pool):
    panel = ModelPanel(AppState(), pool)
    qtbot.addWidget(panel)
    panel.resize(1000, 700)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def test_the_wheel_changes_only_a_focused_control(qtbot, model_panel):
    batch, preset = model_panel.control("training.batch_size"), model_panel.control("model.preset")
    assert batch.focusPolicy() == Qt.FocusPolicy.StrongFocus and preset.focusPolicy() == Qt.FocusPolicy.StrongFocus
    _wheel(batch)
    _wheel(preset, -1)
    state = model_panel.state
    assert state.config.training.batch_size == 64 and state.config.model.preset == "cnn"
    assert batch.value() == 64 and state.undo.count() == 0, "an unfocused control ignores the wheel"
    batch.setFocus()
    qtbot.waitUntil(batch.hasFocus, timeout=2000)
    _wheel(batch)
    assert state.config.training.batch_size == 64 + batch.singleStep(), "a focused one takes it"


def test_every_edit_is_undoable_with_a_readable_name(qtbot, model_panel):
    state = model_panel.state
    lr = model_panel.control("training.learning_rate")
    lr.setValue(0.002)
    assert state.undo.undoText() == "Set learning rate to 0.002"
    for value in (0.003, 0.004):  # stepping through values is one step, named for the last
        lr.setValue(value)
    assert state.undo.count() == 1 and state.undo.undoText() == "Set learning rate to 0.004"
    model_panel.control("model.preset").setCurrentIndex(model_panel.control("model.preset").findData("bilstm"))
    assert state.undo.undoText() == "Set preset to BiLSTM"
    state.undo.undo()
    assert state.config.model.preset == "cnn" and model_panel.control("model.preset").currentData() == "cnn"
    assert model_panel.is_shown("model.filters"), "the form follows an undo"
    state.undo.undo()
    assert state.config.training.learning_rate == pytest.approx(1e-3) and lr.value() == pytest.approx(1e-3)
    state.undo.redo()
    assert state.config.training.learning_rate == pytest.approx(0.004)


def test_edit_menu_has_undo_and_redo(qtbot, tmp_path):
    window = MainWindow(prefs=Preferences(demo_offered=True), save_prefs=False, warm_up=False)
    qtbot.addWidget(window)
    window.state.set_field("training.epochs", 4)
    assert window.act_undo.isEnabled() and window.act_undo.text() == "&Undo Set epochs to 4"
    assert window.act_undo.shortcut().toString() == "Ctrl+Z"
    assert "Ctrl+Shift+Z" in [s.toString() for s in window.act_redo.shortcuts()]
    window.act_undo.trigger()
    assert window.state.config.training.epochs == 10 and window.act_redo.isEnabled()
    window.pool.wait_all()


def test_modified_marker_and_save(qtbot, tmp_path):
    path = tmp_path / "mine.toml"
    cfg = RunConfig()
    cfg.embedding.mode = "scratch"
    save_config(cfg, path)
    window = MainWindow(prefs=Preferences(demo_offered=True), save_prefs=False, warm_up=False)
    qtbot.addWidget(window)
    assert window.open_config(path)
    assert window.windowTitle() == "mine — EmbedStudio"
    window.state.set_field("training.epochs", 3)
    assert window.windowTitle() == "mine* — EmbedStudio"
    window.state.undo.undo()
    assert window.windowTitle() == "mine — EmbedStudio", "back to what the file holds"
    window.state.set_field("training.epochs", 3)
    assert window.save_config()
    assert window.windowTitle() == "mine — EmbedStudio" and load_config(path).training.epochs == 3
    window.pool.wait_all()


def test_opening_another_config_asks_to_save_changes(qtbot, tmp_path):
    first, second = tmp_path / "first.toml", tmp_path / "second.toml"
    for p in (first, second):
        cfg = RunConfig()
        cfg.embedding.mode = "scratch"
        save_config(cfg, p)
    window = MainWindow(prefs=Preferences(demo_offered=True), save_prefs=False, warm_up=False)
    qtbot.addWidget(window)
    window.open_config(first)
    window.state.set_field("training.epochs", 5)
    asked = []
    answer_next_question(qtbot, "Cancel", asked)
    assert not window.open_config(second)
    assert asked[0][0] == "Unsaved changes" and "first.toml" in asked[0][1]
    assert window.state.config.training.epochs == 5
    answer_next_question(qtbot, "Save")
    assert window.open_config(second)
    assert load_config(first).training.epochs == 5, "saved before opening the other file"
    window.pool.wait_all()


def test_restart_restores_edits_made_after_save_as(qtbot, tmp_path):
    path = tmp_path / "saved.toml"
    prefs = Preferences(demo_offered=True)
    first = MainWindow(prefs=prefs, warm_up=False)
    qtbot.addWidget(first)
    first.show()
    first.state.set_field("embedding.mode", "scratch")
    assert first._write_config(path)
    first.state.set_field("training.epochs", 7)  # after Save As: must survive the restart
    answer_next_question(qtbot, "Don't Save")  # quitting asks; not saving to the file still keeps the session
    first.close()
    qtbot.waitUntil(lambda: not first.isVisible(), timeout=30_000)
    second = MainWindow(prefs=prefs, warm_up=False)
    qtbot.addWidget(second)
    assert second.state.config.training.epochs == 7
    assert second._config_path == path and second.windowTitle() == "saved* — EmbedStudio"
    second.request_quit(confirm=False)
    for w in (first, second):
        w.pool.wait_all()


def test_edits_are_autosaved_for_recovery(qtbot):
    window = MainWindow(prefs=Preferences(demo_offered=True), warm_up=False)
    qtbot.addWidget(window)
    window.state.set_field("embedding.mode", "scratch")
    window.state.set_field("training.patience", 9)
    qtbot.waitUntil(lambda: workspace_path().is_file() and
                    load_session(workspace_path()).training.patience == 9, timeout=10_000)
    window.close()
    window.pool.wait_all()


def _blocking(release: threading.Event, *, reporter, cancel):
    while not release.is_set():
        cancel.raise_if_cancelled()
        time.sleep(0.01)
    return "done"


def test_quit_still_works_when_training_ended_while_asking(qtbot, pool):
    """The reported hang: the question stays open until training ends, then "Stop and Quit" did nothing."""
    window = MainWindow(prefs=Preferences(demo_offered=True), save_prefs=False, warm_up=False)
    qtbot.addWidget(window)
    window.show()
    release = threading.Event()
    worker = window.training_panel.jobs.start(_blocking, release, name="Training")
    clicked = []

    def answer_after_training_ended() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            qtbot_timer()
            return
        release.set()
        deadline = time.monotonic() + 30
        while window.training_running() and time.monotonic() < deadline:
            QApplication.processEvents()
            time.sleep(0.01)
        clicked.append(window.training_running())
        next(b for b in box.buttons() if b.text() == "Stop and Quit").click()

    from PySide6.QtCore import QTimer

    def qtbot_timer() -> None:
        QTimer.singleShot(50, answer_after_training_ended)

    qtbot_timer()
    window.close()
    assert clicked == [False], "training had ended when the user answered"
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    wait_worker(qtbot, worker)


def test_quit_now_leaves_the_run_marked_stopped(qtbot, tmp_path):
    from embedstudio.core.runs import create_run_dir, load_run, update_description

    window = MainWindow(prefs=Preferences(demo_offered=True), save_prefs=False, warm_up=False)
    qtbot.addWidget(window)
    window.show()
    run_dir = create_run_dir(tmp_path / "runs", "demo")
    (run_dir / "config.json").write_text(json.dumps(RunConfig().to_dict()), encoding="utf-8")
    update_description(run_dir, name="demo", status="running")
    release = threading.Event()
    worker = window.training_panel.jobs.start(_blocking, release, name="Training")
    window.training_panel.run_dir = run_dir
    exits = []
    window.hard_exit = exits.append  # the process would end here; the test keeps running
    answer_next_question(qtbot, "Quit Now")
    window.close()
    assert exits == [0]
    record = load_run(run_dir)
    assert record.status == "stopped" and "quit" in record.message.lower()
    release.set()
    wait_worker(qtbot, worker)


def test_cleaning_switches_show_what_is_applied(qtbot):
    options = DatasetOptions()
    qtbot.addWidget(options)
    cfg = RunConfig()
    options.load_from(cfg)
    boxes = (options.strip_headers, options.strip_footers, options.strip_quotes)
    assert options.auto_mail.isChecked()
    assert all(b.isChecked() and not b.isEnabled() and b.text().endswith("(auto)") for b in boxes)
    options.set_detected_mail(False)  # plain reviews: auto mode strips nothing, and says so
    assert not any(b.isChecked() for b in boxes)
    options.set_detected_mail(True)   # newsgroup posts: all three are applied
    assert all(b.isChecked() for b in boxes)
    options.auto_mail.setChecked(False)  # choosing by hand starts from what was applied
    assert all(b.isChecked() and b.isEnabled() and not b.text().endswith("(auto)") for b in boxes)
    options.write_to(cfg)
    assert (cfg.data.strip_headers, cfg.data.strip_footers, cfg.data.strip_quotes) == (True, True, True)
    options.strip_quotes.setChecked(False)
    options.write_to(cfg)
    assert cfg.data.strip_quotes is False and cfg.data.strip_headers is True


def test_a_second_window_on_the_same_profile_is_warned(qtbot, tmp_path):
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        session_lock_path().parent.mkdir(parents=True, exist_ok=True)
        session_lock_path().write_text(f"{other.pid}\n", encoding="utf-8")
        window = MainWindow(prefs=Preferences(demo_offered=True), warm_up=False)
        qtbot.addWidget(window)
        assert "Another EmbedStudio" in window.statusBar().currentMessage()
        window.pool.wait_all()
    finally:
        other.kill()
        other.wait()
    assert take_session_lock() == "crashed", "a lock of a process that is gone means the last session crashed"
    assert take_session_lock() == "", "now it is ours"


def test_job_status_does_not_repeat_the_job_name(qtbot, pool):
    status = JobStatus(pool)
    qtbot.addWidget(status)

    def job(*, reporter, cancel):
        reporter.progress(1, 2, "Training")
        time.sleep(0.2)

    worker = Worker(job, name="Training")
    labels = []
    worker.progress.connect(lambda *a: labels.append(status.label.text()))
    pool.start(worker)
    wait_worker(qtbot, worker)
    assert labels == ["Training"], "not 'Training: Training'"


def test_uncaught_exceptions_reach_the_error_dialog_and_last_error_file(qtbot, qapp, tmp_path, monkeypatch):
    from embedstudio.gui import app as app_mod

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    seen = []
    monkeypatch.setattr(dialogs, "error_listeners", [seen.append])
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    app_mod.install_exception_hooks(qapp)
    assert sys.excepthook is app_mod.report_uncaught
    try:
        raise ValueError("a slot went wrong")
    except ValueError:
        sys.excepthook(*sys.exc_info())
    thread = threading.Thread(target=lambda: 1 / 0)
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=5000)
    assert seen[0].message.startswith("ValueError: a slot went wrong") and not seen[0].is_user_error
    assert seen[1].message.startswith("ZeroDivisionError")
    log = app_mod.crash_log_path()
    assert str(tmp_path / "state") in str(log) and "ZeroDivisionError" in log.read_text()
    assert str(log) in seen[1].message, "the dialog says where the details were saved"
    for box in QApplication.topLevelWidgets():
        if box.objectName() == "errorDialog":
            assert box.windowTitle() == "Unexpected error"
            box.close()
    os.environ.pop("EMBEDSTUDIO_UNUSED", None)


def test_runs_get_names_that_tell_them_apart():
    from embedstudio.core.config import VectorSource
    from embedstudio.gui.panels.training_panel import suggested_run_name

    cfg = RunConfig()
    cfg.data.path = "/data/sms.csv"
    cfg.model.preset = "bilstm"
    cfg.embedding.mode = "frozen"
    cfg.embedding.vectors = [VectorSource(path="/vectors/glove.6B.50d.txt")]
    assert suggested_run_name(cfg) == "sms-bilstm-glove-frozen"
    cfg.embedding.mode = "scratch"
    assert suggested_run_name(cfg) == "sms-bilstm-scratch"
