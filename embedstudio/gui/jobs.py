"""Every long job of the GUI goes through this module: ``Worker`` (one job on its own QThread),
``WorkerPool`` (keeps running workers alive and announces them) and ``JobRunner`` (a panel's jobs:
keyed concurrent jobs, stale results dropped, busy state after BUSY_DELAY_MS, errors to the dialog).

Threads: a job function runs in a QThread's ``run()``. It reports through a ``SignalReporter``, a plain
object holding a QObject of signals (superqt's composition), so the reporter's ``event`` method never
shadows ``QObject.event``. Everything else here runs on the GUI thread and reacts to queued signals.
"""

from __future__ import annotations

import itertools
import traceback
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QWidget

from embedstudio.core import events
from embedstudio.core.errors import UserError
from embedstudio.core.jobs import Cancelled, CancelToken

BUSY_DELAY_MS = 600  # quick jobs finish before any busy indicator flashes

_job_ids = itertools.count(1)


@dataclass
class ErrorInfo:
    """What the error dialog shows: a readable message, and the traceback as expandable details."""

    message: str
    details: str
    is_user_error: bool


class JobSignals(QObject):
    """The reporter's signals. Emitted on the worker thread, delivered queued on the GUI thread."""

    progress = Signal(float, object, str)
    info = Signal(str)
    warning = Signal(str)
    job_event = Signal(object)  # a core.events.Event


class SignalReporter:
    """A core ``Reporter`` (progress/info/warning/event) that turns every call into a queued signal."""

    def __init__(self) -> None:
        self.signals = JobSignals()

    def progress(self, done: float, total: float | None = None, message: str = "") -> None:
        self.signals.progress.emit(float(done), total, message)

    def info(self, message: str) -> None:
        self.signals.info.emit(message)

    def warning(self, message: str) -> None:
        self.signals.warning.emit(message)

    def event(self, kind: str, payload: dict[str, Any]) -> None:
        self.signals.job_event.emit(events.parse(kind, payload))


class Worker(QThread):
    """Runs ``fn(*args, reporter=..., cancel=..., **kwargs)`` off the GUI thread.

    Signals (all delivered on the GUI thread): ``started`` (QThread's), ``progress(done, total, message)``,
    ``info(str)``, ``warning(str)``, ``job_event(Event)``, then exactly one of ``returned(result)``,
    ``errored(ErrorInfo)`` or ``cancelled()``, and ``done()``, which always comes last.
    """

    progress = Signal(float, object, str)
    info = Signal(str)
    warning = Signal(str)
    job_event = Signal(object)
    returned = Signal(object)
    errored = Signal(object)
    cancelled = Signal()
    done = Signal()

    def __init__(
        self, fn: Callable[..., Any], *args: Any, name: str = "", cancellable: bool = True, **kwargs: Any
    ) -> None:
        super().__init__()
        self.job_id = next(_job_ids)
        self.name = name or getattr(fn, "__name__", "job")
        self.cancellable = cancellable  # False: the job cannot stop half-way (an import of TensorFlow)
        self.cancel_token = CancelToken()
        self._fn, self._args, self._kwargs = fn, args, kwargs
        self.reporter = SignalReporter()
        sig = self.reporter.signals
        sig.progress.connect(self.progress)
        sig.info.connect(self.info)
        sig.warning.connect(self.warning)
        sig.job_event.connect(self.job_event)
        self.finished.connect(self.done)

    def cancel(self) -> None:
        """Cooperative: the job stops at its next check (training: after the current batch)."""
        self.cancel_token.cancel()

    def run(self) -> None:  # worker thread
        try:
            result = self._fn(*self._args, reporter=self.reporter, cancel=self.cancel_token, **self._kwargs)
        except Cancelled:
            self.cancelled.emit()
        except UserError as exc:
            self.errored.emit(ErrorInfo(str(exc), traceback.format_exc(), True))
        except BaseException as exc:  # noqa: BLE001 - nothing may escape a thread silently
            message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            self.errored.emit(ErrorInfo(message, traceback.format_exc(), False))
        else:
            self.returned.emit(result)


class WorkerPool(QObject):
    """Keeps references to running workers (a dropped QThread is destroyed while running) and announces
    each one it starts (``worker_started``) so the status bar can show it."""

    busy_changed = Signal(bool)
    worker_started = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._running: dict[int, Worker] = {}

    def start(self, worker: Worker) -> Worker:
        self._running[worker.job_id] = worker
        worker.done.connect(lambda: self._forget(worker.job_id))
        worker.start()
        self.busy_changed.emit(True)
        self.worker_started.emit(worker)
        return worker

    def _forget(self, job_id: int) -> None:
        w = self._running.pop(job_id, None)
        if w is not None:
            # ``done`` arrives while the thread may still be leaving run() and needs the GIL to drop its
            # Python connections; deleting it now would make ~QThread wait for it with the GIL held
            # (a deadlock). wait() releases the GIL and returns as soon as the thread has exited.
            w.wait()
            w.deleteLater()
        self.busy_changed.emit(bool(self._running))

    def running(self) -> list[Worker]:
        return list(self._running.values())

    def cancel_all(self) -> None:
        for w in self._running.values():
            w.cancel()

    def wait_all(self, msecs: int = 60_000) -> bool:
        """Cancel and wait for every worker; True if all stopped."""
        self.cancel_all()
        return all(w.wait(msecs) for w in list(self._running.values()))


def set_progress(bar: QProgressBar, done: float, total: float | None) -> None:
    """Determinate when the total is known, a busy bar otherwise (range 0..0)."""
    if total:
        bar.setRange(0, 1000)
        bar.setValue(int(1000 * min(max(done / total, 0.0), 1.0)))
    else:
        bar.setRange(0, 0)


@dataclass
class _Handlers:
    on_result: Callable[[Any], None] | None = None
    on_cancelled: Callable[[], None] | None = None
    on_error: Callable[[ErrorInfo], None] | None = None
    on_event: Callable[[events.Event], None] | None = None
    on_info: Callable[[str], None] | None = None
    on_warning: Callable[[str], None] | None = None
    on_progress: Callable[[float, Any, str], None] | None = None
    on_done: Callable[[], None] | None = None


class JobRunner(QObject):
    """A panel's jobs, one current job per key (``key=None`` by default).

    Starting a job supersedes (cancels) the running job of the same key; its late signals are dropped, so
    no handler ever sees a stale result. Jobs of different keys run side by side (one load per vector
    file). While any job runs, ``busy_widgets`` are disabled and ``cancel_button`` enabled; after
    BUSY_DELAY_MS ``progress`` is shown and ``on_busy`` called. Errors go to the error dialog unless
    ``error_dialog`` is False (a job re-run after every edit reports inline through ``on_error``).
    ``on_done`` runs after the outcome handler of a job that was still current.
    """

    started = Signal(object)  # Worker
    finished = Signal(object)  # Worker, after its result/error/cancel was handled
    busy_changed = Signal(bool)

    def __init__(
        self,
        pool: WorkerPool,
        owner: QWidget,
        *,
        progress: QProgressBar | None = None,
        cancel_button: QPushButton | None = None,
        busy_widgets: Iterable[QWidget] = (),
        status: QLabel | None = None,
        on_busy: Callable[[], None] | None = None,
        error_dialog: bool = True,
    ) -> None:
        super().__init__(owner)
        self._pool, self._owner = pool, owner
        self._on_busy, self._error_dialog = on_busy, error_dialog
        self.progress, self.cancel_button, self.status = progress, cancel_button, status
        self.busy_widgets = list(busy_widgets)
        self._jobs: dict[Hashable, Worker] = {}
        self._reveal = QTimer(self, singleShot=True, interval=BUSY_DELAY_MS)
        self._reveal.timeout.connect(self._reveal_progress)
        if cancel_button is not None:
            cancel_button.clicked.connect(lambda: self.cancel())
            cancel_button.setEnabled(False)
        if progress is not None:
            progress.setVisible(False)

    # ---- queries -------------------------------------------------------------------------
    @property
    def current(self) -> Worker | None:
        """The most recently started job still running (of any key)."""
        return next(reversed(self._jobs.values()), None)

    def job(self, key: Hashable = None) -> Worker | None:
        return self._jobs.get(key)

    def keys(self) -> list[Hashable]:
        return list(self._jobs)

    def is_running(self, key: Hashable = ...) -> bool:
        """Any job (no argument), or the job of ``key``."""
        return bool(self._jobs) if key is ... else key in self._jobs

    def is_current(self, worker: Worker) -> bool:
        return any(w is worker for w in self._jobs.values())

    # ---- control -------------------------------------------------------------------------
    def cancel(self, key: Hashable = ...) -> None:
        """Cancel every job (no argument) or the job of ``key``; it ends through its cancelled handler."""
        targets = list(self._jobs.values()) if key is ... else [w for k, w in self._jobs.items() if k == key]
        for w in targets:
            w.cancel()
        if targets and self.status is not None:
            self.status.setText("Cancelling…")

    def forget(self, key: Hashable = None) -> None:
        """Cancel the job of ``key`` and drop whatever it still reports (its source went away)."""
        w = self._jobs.pop(key, None)
        if w is not None:
            w.cancel()
            self._update_busy()

    def start(
        self,
        fn: Callable[..., Any],
        *args: Any,
        name: str,
        key: Hashable = None,
        on_result: Callable[[Any], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        on_error: Callable[[ErrorInfo], None] | None = None,
        on_event: Callable[[events.Event], None] | None = None,
        on_info: Callable[[str], None] | None = None,
        on_warning: Callable[[str], None] | None = None,
        on_progress: Callable[[float, Any, str], None] | None = None,
        on_done: Callable[[], None] | None = None,
        cancellable: bool = True,
        **kwargs: Any,
    ) -> Worker:
        old = self._jobs.pop(key, None)
        if old is not None:
            old.cancel()
        worker = Worker(fn, *args, name=name, cancellable=cancellable, **kwargs)
        h = _Handlers(on_result, on_cancelled, on_error, on_event, on_info, on_warning, on_progress, on_done)
        self._connect(worker, key, h)
        self._jobs[key] = worker
        self._update_busy()
        self._pool.start(worker)
        self.started.emit(worker)
        return worker

    def _connect(self, worker: Worker, key: Hashable, h: _Handlers) -> None:
        def mine(slot: Callable[..., object]) -> Callable[..., None]:
            """``slot``, called only while ``worker`` is the job of ``key``: a superseded job's signals are stale."""

            def call(*args: Any) -> None:
                if self._jobs.get(key) is worker:
                    slot(*args)

            return call

        worker.progress.connect(mine(lambda d, t, m: self._progress(h, d, t, m)))
        worker.info.connect(mine(lambda m: h.on_info is not None and h.on_info(m)))
        worker.warning.connect(mine(lambda m: h.on_warning is not None and h.on_warning(m)))
        worker.job_event.connect(mine(lambda e: h.on_event is not None and h.on_event(e)))
        worker.returned.connect(mine(lambda r: h.on_result is not None and h.on_result(r)))
        worker.cancelled.connect(mine(lambda: self._cancelled(h)))
        worker.errored.connect(mine(lambda info: self._errored(info, h)))
        worker.done.connect(lambda: self._done(key, worker, h))

    # ---- signal handlers (GUI thread) -----------------------------------------------------
    def _progress(self, h: _Handlers, done: float, total: Any, message: str) -> None:
        if self.progress is not None:
            set_progress(self.progress, done, total)
        if self.status is not None and message:
            self.status.setText(message)
        if h.on_progress is not None:
            h.on_progress(done, total, message)

    def _cancelled(self, h: _Handlers) -> None:
        if self.status is not None:
            self.status.setText("Cancelled.")
        if h.on_cancelled is not None:
            h.on_cancelled()

    def _errored(self, info: ErrorInfo, h: _Handlers) -> None:
        if self.status is not None:
            self.status.setText(info.message.splitlines()[0] if info.message else "Failed.")
        if h.on_error is not None:
            h.on_error(info)
        if self._error_dialog:
            from embedstudio.gui import dialogs

            dialogs.show_error(self._owner.window(), info)

    def _done(self, key: Hashable, worker: Worker, h: _Handlers) -> None:
        if self._jobs.get(key) is worker:
            del self._jobs[key]
            self._update_busy()
            if h.on_done is not None:
                h.on_done()
        self.finished.emit(worker)

    def _update_busy(self) -> None:
        busy = bool(self._jobs)
        for w in self.busy_widgets:
            w.setEnabled(not busy)
        if self.cancel_button is not None:
            self.cancel_button.setEnabled(busy)
        if busy:
            if not self._reveal.isActive() and not (self.progress is not None and self.progress.isVisible()):
                self._reveal.start()
        else:
            self._reveal.stop()
            if self.progress is not None:
                self.progress.setVisible(False)
        self.busy_changed.emit(busy)

    def _reveal_progress(self) -> None:
        if not self._jobs:
            return
        if self.progress is not None:
            self.progress.setVisible(True)
        if self._on_busy is not None:
            self._on_busy()
