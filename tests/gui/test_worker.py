"""The one job module (gui/jobs.py): Worker outcomes and signal order, JobRunner's keyed jobs, stale
results, busy state, and the reporter that is not a QObject."""

from __future__ import annotations

import threading
import time

import pytest
from gui_helpers import wait_worker
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QWidget

from embedstudio.core.errors import UserError
from embedstudio.core.events import BatchEvent, OtherEvent, RunEvent
from embedstudio.core.jobs import Cancelled
from embedstudio.gui.jobs import BUSY_DELAY_MS, JobRunner, SignalReporter, Worker


def _ok(x, *, reporter, cancel):
    reporter.progress(1, 2, "half")
    reporter.event("batch", {"epoch": 1, "epochs": 2, "batch": 3, "batches": 4, "loss": 0.5, "unknown": 1})
    reporter.info("hello")
    return x * 2


def _user_error(*, reporter, cancel):
    raise UserError("data.csv line 3: the label column is empty. Fill it in or drop the row.")


def _crash(*, reporter, cancel):
    return {}["missing"]


def _wait_for_cancel(gate: threading.Event, *, reporter, cancel):
    gate.set()
    while not cancel.cancelled:
        time.sleep(0.01)
    raise Cancelled()


def _blocking(gate: threading.Event, release: threading.Event, value, *, reporter, cancel):
    gate.set()
    release.wait(30)
    reporter.progress(1, 1, f"value {value}")
    return value


def test_success_signals_come_in_order(qtbot, pool):
    worker = Worker(_ok, 21, name="double")
    results, events = [], []
    worker.returned.connect(results.append)
    worker.job_event.connect(events.append)
    with qtbot.waitSignals(
        [worker.started, worker.progress, worker.job_event, worker.info, worker.returned, worker.done],
        order="strict",
        timeout=10_000,
    ):
        pool.start(worker)
    assert results == [42]
    assert events == [BatchEvent(epoch=1, epochs=2, batch=3, batches=4, loss=0.5)], "typed, unknown keys dropped"
    assert events[0].fraction_done == pytest.approx((0 * 4 + 3) / 8)


def test_user_error_is_readable_and_marked(qtbot, pool):
    worker = Worker(_user_error, name="import")
    errors = []
    worker.errored.connect(errors.append)
    with qtbot.waitSignals([worker.errored, worker.done], order="strict", timeout=10_000):
        pool.start(worker)
    info = errors[0]
    assert info.is_user_error and info.message.startswith("data.csv line 3")
    assert "Traceback" in info.details


def test_crash_is_reported_as_a_bug_not_raised(qtbot, pool):
    worker = Worker(_crash, name="crash")
    errors, returned = [], []
    worker.errored.connect(errors.append)
    worker.returned.connect(returned.append)
    with qtbot.waitSignals([worker.errored, worker.done], order="strict", timeout=10_000):
        pool.start(worker)
    assert not returned and not errors[0].is_user_error
    assert errors[0].message == "KeyError: 'missing'" and "_crash" in errors[0].details


def test_cancel_ends_with_cancelled_then_done(qtbot, pool):
    gate = threading.Event()
    worker = Worker(_wait_for_cancel, gate, name="long")
    outcomes = []
    worker.cancelled.connect(lambda: outcomes.append("cancelled"))
    worker.returned.connect(lambda r: outcomes.append("returned"))
    worker.errored.connect(lambda e: outcomes.append("errored"))
    pool.start(worker)
    assert gate.wait(10)
    with qtbot.waitSignals([worker.cancelled, worker.done], order="strict", timeout=10_000):
        worker.cancel()
    assert outcomes == ["cancelled"]


def test_reporter_is_a_plain_object_holding_its_signals():
    reporter = SignalReporter()
    assert not isinstance(reporter, QObject) and isinstance(reporter.signals, QObject)
    assert type(reporter.signals).event is QObject.event, "no signal or method shadows QObject.event"
    assert "event" not in vars(Worker), "the Worker's event signal is job_event"
    reporter.signals.setProperty("name", "x")  # a QObject whose event() was overridden crashed here
    assert reporter.signals.property("name") == "x"
    seen = []
    reporter.signals.job_event.connect(seen.append)
    reporter.event("run", {"run_dir": "/tmp/r", "status": "running"})
    reporter.event("report", {"accuracy": 0.5})
    assert seen == [RunEvent(run_dir="/tmp/r", status="running"), OtherEvent(kind="report", data={"accuracy": 0.5})]


def _runner(qtbot, pool, **kw):
    owner = QWidget()
    qtbot.addWidget(owner)
    return owner, JobRunner(pool, owner, error_dialog=False, **kw)


def test_a_superseded_job_result_is_dropped(qtbot, pool):
    owner, runner = _runner(qtbot, pool)
    first_gate, release_first = threading.Event(), threading.Event()
    results, progress, done = [], [], []
    first = runner.start(
        _blocking,
        first_gate,
        release_first,
        "old",
        name="summary",
        on_result=results.append,
        on_progress=lambda d, t, m: progress.append(m),
        on_done=lambda: done.append("old"),
    )
    assert first_gate.wait(10)
    second_gate, release_second = threading.Event(), threading.Event()
    release_second.set()
    second = runner.start(
        _blocking,
        second_gate,
        release_second,
        "new",
        name="summary",
        on_result=results.append,
        on_progress=lambda d, t, m: progress.append(m),
        on_done=lambda: done.append("new"),
    )
    assert first.cancel_token.cancelled, "starting the same key again cancels the old job"
    wait_worker(qtbot, second)
    release_first.set()  # the old job now finishes and returns "old": nobody may see it
    wait_worker(qtbot, first)
    qtbot.wait(50)
    assert results == ["new"] and progress == ["value new"] and done == ["new"]
    assert not runner.is_running()


def test_keyed_jobs_run_side_by_side(qtbot, pool):
    owner, runner = _runner(qtbot, pool)
    gates = {k: (threading.Event(), threading.Event()) for k in ("a.txt", "b.txt")}
    results = {}
    workers = {
        k: runner.start(
            _blocking, g, r, k.upper(), name=f"load {k}", key=k, on_result=lambda v, k=k: results.__setitem__(k, v)
        )
        for k, (g, r) in gates.items()
    }
    assert all(g.wait(10) for g, _ in gates.values())
    assert runner.is_running("a.txt") and runner.is_running("b.txt") and runner.job("a.txt") is workers["a.txt"]
    runner.forget("a.txt")  # the file was removed from the library: whatever it reports is dropped
    for _, release in gates.values():
        release.set()
    for w in workers.values():
        wait_worker(qtbot, w)
    qtbot.wait(50)
    assert results == {"b.txt": "B.TXT"} and not runner.is_running()


def test_busy_widgets_and_delayed_progress(qtbot, pool):
    bar, cancel, button, status = QProgressBar(), QPushButton(), QPushButton(), QLabel()
    owner, runner = _runner(qtbot, pool, progress=bar, cancel_button=cancel, busy_widgets=[button], status=status)
    for w in (bar, cancel, button, status):
        w.setParent(owner)
    owner.show()
    busy_calls = []
    runner._on_busy = lambda: busy_calls.append(True)
    gate = threading.Event()
    worker = runner.start(_wait_for_cancel, gate, name="long")
    assert not button.isEnabled() and cancel.isEnabled() and not bar.isVisible()
    qtbot.waitUntil(bar.isVisible, timeout=BUSY_DELAY_MS * 5)
    assert busy_calls == [True]
    cancel.click()
    wait_worker(qtbot, worker)
    qtbot.waitUntil(lambda: button.isEnabled() and not bar.isVisible(), timeout=5_000)
    assert status.text() == "Cancelled." and not cancel.isEnabled()
