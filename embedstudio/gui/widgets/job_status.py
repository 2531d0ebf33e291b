"""The status-bar display of the most recent running job: its name, progress and Cancel.

Threads: GUI thread only; it reacts to the workers' queued signals.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QSizePolicy, QWidget

from embedstudio.gui.jobs import BUSY_DELAY_MS, Worker, WorkerPool, set_progress


class JobStatus(QWidget):
    """Shows the newest of the pool's running workers (after BUSY_DELAY_MS, so quick jobs never flash)."""

    def __init__(self, pool: WorkerPool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._workers: list[Worker] = []
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(220)
        self.bar.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the job shown here (it stops at its next checkpoint)")
        self.cancel_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.cancel_button.clicked.connect(self.cancel_current)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        for w in (self.label, self.bar, self.cancel_button):
            lay.addWidget(w)
        self._reveal = QTimer(self, singleShot=True, interval=BUSY_DELAY_MS)
        self._reveal.timeout.connect(self._show_if_busy)
        self.setVisible(False)
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
        self.cancel_button.setVisible(w.cancellable)

    def _on_progress(self, worker: Worker, done: float, total: Any, message: str) -> None:
        if worker is self.current():
            # "Training: Training" said nothing: show the message alone when it repeats the job's name.
            same = not message or message.casefold() == worker.name.casefold()
            self.label.setText(worker.name if same else f"{worker.name}: {message}")
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
