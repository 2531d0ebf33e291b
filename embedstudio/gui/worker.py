"""One worker abstraction for every long job: vector loading, import, training, evaluation.

Threads: the job function runs in a QThread's run(); everything else here (signal handlers,
widgets) runs on the GUI thread, reached only through queued signals.
"""

from __future__ import annotations

import itertools
import traceback
from dataclasses import dataclass
from typing import Any, Callable

from PySide6.QtCore import QObject, QThread, Signal

from embedstudio.core.errors import UserError
from embedstudio.core.jobs import CancelToken, Cancelled
import embedstudio.gui.refcount_guard  # noqa: F401 - every emit below drops a reference to True (PySide6 6.12)
from embedstudio.gui import main_thread_gc

_job_ids = itertools.count(1)


@dataclass
class ErrorInfo:
    """What the error dialog shows: a readable message, and the traceback as expandable details."""

    message: str
    details: str
    is_user_error: bool


class _SignalReporter(QObject):
    """A core Reporter whose methods emit queued signals (safe to call from the worker thread)."""

    progress_sig = Signal(float, object, str)
    info_sig = Signal(str)
    warning_sig = Signal(str)
    event_sig = Signal(str, object)

    def progress(self, done: float, total: float | None = None, message: str = "") -> None:
        self.progress_sig.emit(float(done), total, message)

    def info(self, message: str) -> None:
        self.info_sig.emit(message)

    def warning(self, message: str) -> None:
        self.warning_sig.emit(message)

    def event(self, kind: str, payload: dict[str, Any]) -> None:
        self.event_sig.emit(kind, payload)


class Worker(QThread):
    """Runs ``fn(*args, reporter=..., cancel=..., **kwargs)`` off the GUI thread.

    Signals (all delivered on the GUI thread): ``started`` (QThread's), ``progress(done, total, message)``,
    ``info(str)``, ``warning(str)``, ``event(kind, payload)``, ``returned(result)``,
    ``errored(ErrorInfo)``, ``cancelled()``, and ``done()`` which always comes last.
    """

    progress = Signal(float, object, str)
    info = Signal(str)
    warning = Signal(str)
    event = Signal(str, object)
    returned = Signal(object)
    errored = Signal(object)
    cancelled = Signal()
    done = Signal()

    def __init__(self, fn: Callable[..., Any], *args: Any, name: str = "", **kwargs: Any) -> None:
        super().__init__()
        self.job_id = next(_job_ids)
        self.name = name or getattr(fn, "__name__", "job")
        self.cancel_token = CancelToken()
        self._fn, self._args, self._kwargs = fn, args, kwargs
        self._reporter = _SignalReporter()
        self._reporter.moveToThread(self.thread())  # lives on the GUI thread; emits from the worker
        self._reporter.progress_sig.connect(self.progress)
        self._reporter.info_sig.connect(self.info)
        self._reporter.warning_sig.connect(self.warning)
        self._reporter.event_sig.connect(self.event)
        self.finished.connect(self.done)

    def cancel(self) -> None:
        """Cooperative: the job stops at its next check (training: after the current batch)."""
        self.cancel_token.cancel()

    def run(self) -> None:  # worker thread
        try:
            result = self._fn(*self._args, reporter=self._reporter, cancel=self.cancel_token, **self._kwargs)
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
    """Keeps references to running workers (a dropped QThread is destroyed while running)."""

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._running: dict[int, Worker] = {}
        main_thread_gc.install()  # a collection on a worker thread could destroy widgets there (deadlock)

    def start(self, worker: Worker) -> Worker:
        self._running[worker.job_id] = worker
        worker.done.connect(lambda: self._forget(worker.job_id))
        worker.start()
        self.busy_changed.emit(True)
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
