"""Training area end to end: a real (tiny) training through the panel, its results, Stop, a failed run."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_training_panel_helpers import CLASSES, make_workspace, wait_done, wait_flag, watch, write_topic_glove

from embedstudio.core.events import BatchEvent
from embedstudio.core.runs import load_run
from embedstudio.gui import dialogs
from embedstudio.gui.panels.runs_panel import RunsPanel
from embedstudio.gui.panels.training_panel import TrainingPanel, format_duration


@pytest.fixture
def errors(monkeypatch):
    """Messages that reached the error dialog."""
    seen = []
    monkeypatch.setattr(dialogs, "error_listeners", [lambda info: seen.append(info.message)])
    return seen


def test_train_one_epoch_end_to_end(qtbot, pool, tmp_path, errors):
    ws = make_workspace(tmp_path, epochs=2)
    panel = TrainingPanel(ws.state, pool)
    qtbot.addWidget(panel)
    finished = []
    ws.state.run_finished.connect(finished.append)
    batch_events = []

    worker = panel.start()
    worker.job_event.connect(lambda e: isinstance(e, BatchEvent) and batch_events.append(e.payload()))
    assert panel.is_running() and not panel.start_button.isEnabled() and panel.stop_button.isEnabled()
    assert panel.start() is None, "a second Start while training is refused"
    wait_done(qtbot, worker)

    assert not errors
    assert not panel.is_running() and panel.start_button.isEnabled() and not panel.stop_button.isEnabled()
    result = panel.last_result
    assert result.status == "completed" and finished == [result.run_dir]
    # Live curves: two epochs of train and validation points, and the progress line saw batches.
    assert panel.curves.point_count("validation_accuracy") == 2
    assert panel.curves.point_count("train_loss") == 2
    assert batch_events and {"eta_s", "samples_per_sec"} <= set(batch_events[-1])
    assert panel.progress.value() == panel.progress.maximum()
    assert "Vocabulary" in panel.log.toPlainText()

    report = result.report
    view = panel.results
    assert f"{report['accuracy']:.3f}" in view.headline.text()
    # Confusion matrix: the report's counts, one cell per (true, predicted) pair, labelled by class.
    matrix = np.asarray(report["confusion_matrix"])
    assert view.confusion.classes == CLASSES == report["classes"]
    assert view.confusion.matrix.sum() == report["n_samples"]
    assert [view.confusion.cell_text(i, j) for i in range(3) for j in range(3)] == [str(v) for v in matrix.ravel()]
    # Per-class table: one row per class with the report's numbers.
    rows = view.per_class.rows()
    assert {c: rows[c][2] for c in CLASSES} == {c: f"{report['per_class'][c]['f1']:.3f}" for c in CLASSES}
    assert list(rows)[-2:] == ["macro avg", "weighted avg"]
    assert rows["macro avg"][2] == f"{report['macro_f1']:.3f}"
    assert rows["weighted avg"][2] == f"{report['weighted_f1']:.3f}"
    # Misclassified browser: exactly the off-diagonal texts, filterable by class.
    wrong = int(matrix.sum() - np.trace(matrix))
    browser = view.misclassified
    assert browser.proxy.rowCount() == wrong
    if wrong:
        first_true = browser.model.value(0, 1)
        browser.true_combo.setCurrentIndex(browser.true_combo.findData(first_true))
        assert (
            0
            < browser.proxy.rowCount()
            == int(
                matrix[CLASSES.index(first_true)].sum() - matrix[CLASSES.index(first_true)][CLASSES.index(first_true)]
            )
        )
        browser.search.setText("no-such-word-anywhere")
        assert browser.proxy.rowCount() == 0


def test_model_summary_matches_the_trained_model(qtbot, pool, tmp_path):
    """The Model area's summary is the model training builds: same vocabulary, same parameter counts."""
    from embedstudio.gui.panels.model_panel import ModelPanel

    ws = make_workspace(tmp_path, epochs=1)
    ws.state.config.embedding.mode = "frozen"
    model_panel = ModelPanel(ws.state, pool)
    qtbot.addWidget(model_panel)
    with qtbot.waitSignal(model_panel.summary_updated, timeout=120_000):
        model_panel.compute_summary()
    qtbot.waitUntil(lambda: model_panel.summary_jobs.current is None, timeout=60_000)
    summary = model_panel.summary

    panel = TrainingPanel(ws.state, pool)
    qtbot.addWidget(panel)
    wait_done(qtbot, panel.start())
    run_dir = panel.last_result.run_dir
    vocabulary = (run_dir / "vocabulary.txt").read_text(encoding="utf-8").splitlines()
    description = json.loads((run_dir / "description.json").read_text(encoding="utf-8"))
    assert summary.vocab_size == len(vocabulary) and summary.num_classes == len(CLASSES)
    assert summary.counts == description["params"]
    assert summary.counts["non_trainable"] > 0


def test_predict_and_export_after_training(qtbot, pool, tmp_path, errors):
    ws = make_workspace(tmp_path, epochs=3)
    panel = TrainingPanel(ws.state, pool)
    qtbot.addWidget(panel)
    wait_done(qtbot, panel.start())
    assert panel.last_result.status == "completed"
    view = panel.results

    worker = view.predict("goal team match score")
    wait_done(qtbot, worker)
    probs = view.probabilities
    assert sorted(probs) == CLASSES and sum(probs.values()) == pytest.approx(1.0, abs=1e-5)
    assert view.predict_box.table.rowCount() == 3
    cached = view._model
    assert cached is not None
    wait_done(qtbot, view.predict("bread soup cheese"))
    assert view._model is cached, "the run's model is loaded once and reused"
    assert sum(view.probabilities.values()) == pytest.approx(1.0, abs=1e-5)

    exported = []
    view.exported.connect(exported.append)
    wait_done(qtbot, view.export_model(tmp_path / "out" / "topics"))
    target = tmp_path / "out" / "topics.keras"
    assert exported == [target] and target.is_file()
    assert not [p for p in target.parent.iterdir() if p.name != "topics.keras"], "no temporary file is left"
    import keras

    from embedstudio.core.models import custom_objects

    model = keras.saving.load_model(target, custom_objects=custom_objects(), compile=False)
    out = np.asarray(model.predict_on_batch(np.asarray([["goal team match score"]], dtype=object)))
    assert out.shape == (1, 3) and out.sum() == pytest.approx(1.0, abs=1e-5)
    assert out[0] == pytest.approx(
        [probs[c] for c in json.loads((panel.run_dir / "labels.json").read_text())], abs=1e-5
    )
    assert not errors


def test_stop_mid_run_keeps_the_model_and_the_run_opens_in_runs(qtbot, pool, tmp_path, errors):
    ws = make_workspace(tmp_path, epochs=200)
    panel = TrainingPanel(ws.state, pool)
    qtbot.addWidget(panel)
    worker = panel.start()
    done = watch(worker)
    worker.job_event.connect(lambda e: isinstance(e, BatchEvent) and panel.stop())
    wait_flag(qtbot, done)

    result = panel.last_result
    assert result.status == "stopped" and len(result.history) < 200
    assert "Stopped" in panel.status.text() and panel.start_button.isEnabled()
    record = load_run(result.run_dir)
    assert record.status == "stopped" and record.has_model and record.report is not None
    assert "stopped" in panel.results.headline.text()

    runs = RunsPanel(ws.state, pool)
    qtbot.addWidget(runs)
    wait_done(qtbot, runs.list_jobs.current)
    assert [r.status for r in runs.records] == ["stopped"]
    runs.open_run(0)
    assert runs.details.results.run_dir == result.run_dir
    assert runs.details.results.export_button.isEnabled()
    assert not errors


def test_a_nan_run_shows_the_readable_message(qtbot, pool, tmp_path, errors):
    ws = make_workspace(tmp_path, epochs=3, load=False)
    write_topic_glove(ws.vectors, scale=1e37)  # huge vectors: the loss overflows at once
    panel = TrainingPanel(ws.state, pool)
    qtbot.addWidget(panel)
    failed = []
    ws.state.run_finished.connect(failed.append)
    wait_done(qtbot, panel.start())
    assert panel.last_result is None
    assert len(errors) == 1 and "NaN or infinite" in errors[0] and "learning rate" in errors[0]
    assert "Traceback" not in errors[0]
    assert panel.status.text() in errors[0]
    assert load_run(failed[0]).status == "failed"
    assert "NaN" in panel.results.message.text()


def test_invalid_config_is_refused_before_starting(qtbot, pool, tmp_path, errors):
    ws = make_workspace(tmp_path, load=False)
    ws.state.config.model.preset = "multi"  # needs two vector files
    panel = TrainingPanel(ws.state, pool)
    qtbot.addWidget(panel)
    assert panel.start() is None and not panel.is_running()
    assert errors and "two entries" in errors[0]


def test_format_duration():
    assert [format_duration(s) for s in (0, 61.4, 3725, None)] == ["0:00", "1:01", "1:02:05", "–"]


def test_signal_emits_and_void_calls_keep_the_singletons_references():
    """PySide6 6.12.0 on Python 3.11 dropped a reference to True on every emit() and to None on every
    void Qt call, until CPython aborted ("bool_dealloc"); the pinned 6.11.3 must not (no ctypes guard)."""
    import sys

    from PySide6.QtCore import QObject, Signal
    from PySide6.QtWidgets import QWidget

    class Ticker(QObject):
        tick = Signal(str, object)

    ticker = Ticker()
    ticker.tick.connect(lambda kind, payload: None)
    widget = QWidget()
    true_before, none_before = sys.getrefcount(True), sys.getrefcount(None)
    for _ in range(20_000):  # far more than True's own references in a fresh process (~600)
        ticker.tick.emit("batch", {})
        widget.setEnabled(True)
    # A few references may come and go with unrelated objects; 20,000 lost ones would show.
    assert sys.getrefcount(True) > true_before - 100
    assert sys.getrefcount(None) > none_before - 100


def test_garbage_is_collected_on_the_gui_thread(qtbot, pool):
    """Cyclic garbage holding a widget is freed on the GUI thread, never inside a worker (which deadlocked
    the suite: a worker's allocation ran the collector, and it destroyed widgets on that thread)."""
    import gc
    import threading

    from PySide6.QtWidgets import QWidget

    from embedstudio.gui import main_thread_gc
    from embedstudio.gui.jobs import Worker

    freed_in = []

    class Holder:
        def __init__(self):
            self.me = self  # a cycle: only the cyclic collector can free it
            self.widget = QWidget()

        def __del__(self):
            freed_in.append(threading.current_thread().name)

    assert not gc.isenabled(), "the GUI set-up (app.set_up_gui_thread) turned automatic collection off"
    Holder()

    kept = []

    def allocate(*, reporter, cancel):
        kept.extend([] for _ in range(5000))  # far past the collector's first threshold, and kept
        return len(kept)

    # The GUI thread's collector is paused while the worker runs: a worker slower than its interval (a busy
    # machine) otherwise let it free the garbage first, on the right thread, and the check below failed.
    collector = main_thread_gc.install()
    assert collector is not None
    collector.timer.stop()
    try:
        worker = Worker(allocate, name="allocate")
        pool.start(worker)
        wait_done(qtbot, worker)
        assert freed_in == [], "nothing was collected on the worker thread"
    finally:
        collector.timer.start()
    qtbot.waitUntil(lambda: bool(freed_in), timeout=10_000)
    assert freed_in == [threading.main_thread().name]


def test_training_never_uses_a_dataset_imported_with_other_settings(qtbot, tmp_path):
    from embedstudio.core.config import DataConfig
    from embedstudio.core.datasets import load_dataset
    from embedstudio.gui.state import AppState

    folder = tmp_path / "data"
    for label, word in (("a", "alpha"), ("b", "beta")):
        (folder / label).mkdir(parents=True)
        for i in range(4):
            (folder / label / f"{i}.txt").write_text(f"{word} text number {i}", encoding="utf-8")
    state = AppState()
    state.config.data.path = str(folder)
    source = state.config.copy().data
    ds = load_dataset(source)
    state.set_dataset(ds, source)
    assert state.dataset_for(state.config.data) is ds
    state.config.data.validation_fraction = 0.3  # split settings apply at training time
    assert state.dataset_for(state.config.data) is ds
    state.config.data.lowercase = True  # cleaning changes the rows: re-import
    assert state.dataset_for(state.config.data) is None
    state.config.data.lowercase = False
    state.config.data.path = str(tmp_path / "other")
    assert state.dataset_for(state.config.data) is None
    state.set_dataset(ds)  # origin unknown: trusted as before
    assert state.dataset_for(DataConfig(path="anything")) is ds


def test_the_gui_thread_collector_waits_while_tensorflow_is_imported(qtbot):
    """A full collection over the import's new objects held the GIL for 0.4-1.5 s: the collector skips its
    turn while a worker imports TensorFlow, and collects again after."""
    import gc

    from embedstudio.gui import main_thread_gc
    from embedstudio.gui.heavy_imports import importing

    collector = main_thread_gc.install()
    assert collector is not None
    importing.set()
    try:
        kept = [[] for _ in range(collector.threshold[0] + 10)]  # generation 0 past its threshold
        before = gc.get_count()[0]
        collector.check()
        assert gc.get_count()[0] >= before, "no collection while importing"
    finally:
        importing.clear()
    collector.check()
    assert gc.get_count()[0] < before, "collected once the import is over"
    del kept
