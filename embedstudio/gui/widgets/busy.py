"""Job plumbing shared by the panels: a pool that announces its workers, the status-bar job display,
and JobRunner (start one kind of job, ignore stale results, show errors, busy state after ~600 ms).

Threads: workers run their job on their own QThread; everything in this module runs on the GUI
thread and only reacts to the workers' queued signals.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QSizePolicy, QWidget

from embedstudio.gui import dialogs
from embedstudio.gui.worker import ErrorInfo, Worker, WorkerPool

BUSY_DELAY_MS = 600  # quick jobs finish before any busy indicator flashes


class TrackingPool(WorkerPool):
    """A WorkerPool that tells the status bar about every worker it starts."""

    worker_started = Signal(object)

    def start(self, worker: Worker) -> Worker:
        super().start(worker)
        self.worker_started.emit(worker)
        return worker


def set_progress(bar: QProgressBar, done: float, total: float | None) -> None:
    """Determinate when the total is known, a busy bar otherwise (range 0..0)."""
    if total:
        bar.setRange(0, 1000)
        bar.setValue(int(1000 * min(max(done / total, 0.0), 1.0)))
    else:
        bar.setRange(0, 0)


class JobStatus(QWidget):
    """Status-bar display of the most recent running job: name, progress and Cancel."""

    def __init__(self, pool: WorkerPool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._workers: list[Worker] = []
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(220)
        self.bar.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the job shown here (it stops at its next checkpoint)")
        self.cancel_button.setSizePolicy(QSizePolicy.Fixed, QSizePolicy.Fixed)
        self.cancel_button.clicked.connect(self.cancel_current)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        for w in (self.label, self.bar, self.cancel_button):
            lay.addWidget(w)
        self._reveal = QTimer(self, singleShot=True, interval=BUSY_DELAY_MS, timeout=self._show_if_busy)
        self.setVisible(False)
        if isinstance(pool, TrackingPool):
            pool.worker_started.connect(self.track)

    def track(self, worker: Worker) -> None:
        self._workers.append(worker)
        worker.progress.connect(lambda d, t, m, w=worker: self._on_progress(w, d, t, m))
        worker.done.connect(lambda w=worker: self._on_done(w))
        self._show_current()
        if not self.isVisible():
            self._reveal.start()

    def current(self) -> Worker | None:
        return self._workers[-1] if self._workers else None

    def cancel_current(self) -> None:
        w = self.current()
        if w is not None:
            w.cancel()
            self.label.setText(f"Cancelling {w.name}…")

    def _show_current(self) -> None:
        w = self.current()
        if w is None:
            return
        self.label.setText(w.name)
        self.bar.setRange(0, 0)
        # Some jobs (an import of TensorFlow) cannot stop half-way; offering Cancel would be a lie.
        self.cancel_button.setVisible(getattr(w, "cancellable", True))

    def _on_progress(self, worker: Worker, done: float, total: Any, message: str) -> None:
        if worker is self.current():
            self.label.setText(f"{worker.name}: {message}" if message else worker.name)
            set_progress(self.bar, done, total)

    def _on_done(self, worker: Worker) -> None:
        if worker in self._workers:
            self._workers.remove(worker)
        if self._workers:
            self._show_current()
        else:
            self._reveal.stop()
            self.setVisible(False)

    def _show_if_busy(self) -> None:
        if self._workers:
            self.setVisible(True)


class JobRunner(QObject):
    """Runs one kind of job for a panel.

    Starting a new job supersedes (cancels) the previous one, whose late results are ignored by
    comparing job ids. While a job runs, ``busy_widgets`` are disabled, ``cancel_button`` enabled
    and, after BUSY_DELAY_MS, ``progress`` shown and ``on_busy`` called. Errors go to the error dialog,
    unless ``error_dialog`` is False (a job re-run after every edit reports inline through ``on_error``).
    """

    started = Signal(object)   # Worker
    finished = Signal(object)  # Worker, after its result/error/cancel was handled

    def __init__(self, pool: WorkerPool, owner: QWidget, *, progress: QProgressBar | None = None,
                 cancel_button: QPushButton | None = None, busy_widgets: Iterable[QWidget] = (),
                 status: QLabel | None = None, on_busy: Callable[[], None] | None = None,
                 error_dialog: bool = True) -> None:
        super().__init__(owner)
        self._pool, self._owner = pool, owner
        self._on_busy, self._error_dialog = on_busy, error_dialog
        self.progress, self.cancel_button, self.status = progress, cancel_button, status
        self.busy_widgets = list(busy_widgets)
        self.current: Worker | None = None
        self._reveal = QTimer(self, singleShot=True, interval=BUSY_DELAY_MS, timeout=self._reveal_progress)
        if cancel_button is not None:
            cancel_button.clicked.connect(self.cancel)
            cancel_button.setEnabled(False)
        if progress is not None:
            progress.setVisible(False)

    def is_running(self) -> bool:
        return self.current is not None

    def cancel(self) -> None:
        if self.current is not None:
            self.current.cancel()
            if self.status is not None:
                self.status.setText("Cancelling…")

    def start(self, fn: Callable[..., Any], *args: Any, name: str, on_result: Callable[[Any], None],
              on_cancelled: Callable[[], None] | None = None,
              on_error: Callable[[ErrorInfo], None] | None = None, **kwargs: Any) -> Worker:
        if self.current is not None:
            self.current.cancel()
        worker = Worker(fn, *args, name=name, **kwargs)
        job = worker.job_id

        def is_current() -> bool:
            return self.current is not None and self.current.job_id == job

        worker.returned.connect(lambda r: is_current() and on_result(r))
        worker.cancelled.connect(lambda: is_current() and self._cancelled(on_cancelled))
        worker.errored.connect(lambda info: is_current() and self._errored(info, on_error))
        worker.progress.connect(lambda d, t, m: is_current() and self._progress(d, t, m))
        worker.done.connect(lambda: self._done(worker))
        self.current = worker
        self._set_busy(True)
        self._pool.start(worker)
        self.started.emit(worker)
        return worker

    # ---- signal handlers (GUI thread) -----------------------------------------------------
    def _progress(self, done: float, total: Any, message: str) -> None:
        if self.progress is not None:
            set_progress(self.progress, done, total)
        if self.status is not None and message:
            self.status.setText(message)

    def _cancelled(self, on_cancelled: Callable[[], None] | None) -> None:
        if self.status is not None:
            self.status.setText("Cancelled.")
        if on_cancelled is not None:
            on_cancelled()

    def _errored(self, info: ErrorInfo, on_error: Callable[[ErrorInfo], None] | None) -> None:
        if self.status is not None:
            self.status.setText(info.message.splitlines()[0] if info.message else "Failed.")
        if on_error is not None:
            on_error(info)
        if self._error_dialog:
            dialogs.show_error(self._owner.window(), info)

    def _done(self, worker: Worker) -> None:
        if self.current is worker:
            self.current = None
            self._set_busy(False)
        self.finished.emit(worker)

    def _set_busy(self, busy: bool) -> None:
        for w in self.busy_widgets:
            w.setEnabled(not busy)
        if self.cancel_button is not None:
            self.cancel_button.setEnabled(busy)
        if busy:
            self._reveal.start()
        else:
            self._reveal.stop()
            if self.progress is not None:
                self.progress.setVisible(False)

    def _reveal_progress(self) -> None:
        if self.current is None:
            return
        if self.progress is not None:
            self.progress.setVisible(True)
        if self._on_busy is not None:
            self._on_busy()
