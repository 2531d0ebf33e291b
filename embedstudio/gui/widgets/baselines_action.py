"""The "Baselines" action of the Training and Runs areas: TF-IDF + LinearSVC and fastText supervised on
exactly the split the current configuration's training makes, saved as run folders beside the neural runs.

Threads: ``core.baselines.run_baselines`` runs in a Worker (through JobRunner); the widget reacts on the
GUI thread. When it ends, each baseline run folder is announced with ``state.run_finished`` so the Runs
list refreshes and shows them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QSizePolicy, QWidget

from embedstudio.core.errors import ConfigError
from embedstudio.gui import dialogs
from embedstudio.gui.jobs import ErrorInfo, JobRunner, WorkerPool
from embedstudio.gui.state import AppState

WHICH = ("tfidf", "fasttext")
CANCELLED = "Baselines cancelled: a baseline that had already finished is saved (Refresh in Runs)."


def baselines_job(cfg, dataset, which: tuple[str, ...] = WHICH, *, reporter, cancel) -> dict[str, dict]:
    """The worker's job: the baselines of ``cfg`` on its own split, saved as run folders."""
    from embedstudio.core.baselines import run_baselines

    return run_baselines(cfg, which=which, dataset=dataset, save=True, reporter=reporter, cancel=cancel)


def summary(results: dict[str, dict]) -> str:
    """One line: each baseline's test accuracy and macro-F1."""
    parts = [
        f"{r.get('label', name)}: accuracy {r['accuracy']:.3f}, macro-F1 {r['macro_f1']:.3f}"
        for name, r in results.items()
    ]
    return "; ".join(parts) or "No baseline ran."


class BaselinesAction(QWidget):
    """A "Baselines" button with its progress bar, Cancel button and status line.

    Public: ``start() -> Worker | None``, ``cancel()``, ``is_running()``, ``results`` (the last
    ``{name: report}``); signal ``finished(dict)`` after a successful job.
    """

    finished = Signal(object)

    def __init__(
        self, state: AppState, pool: WorkerPool, parent: QWidget | None = None, *, which: tuple[str, ...] = WHICH
    ) -> None:
        super().__init__(parent)
        self.state, self.pool, self.which = state, pool, tuple(which)
        self.results: dict[str, dict] | None = None
        self.button = QPushButton("Baselines")
        self.button.setToolTip(
            "Train TF-IDF + LinearSVC and fastText on exactly this configuration's split; "
            "they are saved as runs and listed in Runs beside the neural runs"
        )
        self.button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the baselines at their next step; nothing half-done is saved")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(160)
        self.button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.status = QLabel("")
        self.status.setSizePolicy(
            QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred
        )  # long summaries never widen the row
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.button)
        lay.addWidget(self.progress)
        lay.addWidget(self.cancel_button)
        lay.addWidget(self.status, 1)
        self.jobs = JobRunner(
            pool,
            self,
            progress=self.progress,
            cancel_button=self.cancel_button,
            busy_widgets=[self.button],
            status=self.status,
        )
        self.cancel_button.setVisible(False)
        self.jobs.busy_changed.connect(self.cancel_button.setVisible)

    def is_running(self) -> bool:
        return self.jobs.is_running()

    def cancel(self) -> None:
        self.jobs.cancel()

    def start(self):
        """Run the baselines of ``state.config`` (copied; runs go to the current runs folder)."""
        if self.jobs.is_running():
            return None
        cfg = self.state.job_config()
        try:
            cfg.validate()
        except ConfigError as exc:
            self.status.setText(str(exc).splitlines()[0])
            dialogs.show_error(self.window(), ErrorInfo(str(exc), "", True))
            return None
        if not cfg.data.path:
            message = "Choose a dataset in the Dataset area first: the baselines train on its split."
            self.status.setText(message)
            dialogs.show_error(self.window(), ErrorInfo(message, "", True))
            return None
        self.results = None
        self.status.setText("Baselines: starting…")
        return self.jobs.start(
            baselines_job,
            cfg,
            self.state.dataset_for(cfg.data),
            self.which,
            name="Baselines",
            on_result=self._on_result,
            on_warning=lambda m: self.status.setText(f"Warning: {m}"),
            on_cancelled=lambda: self.status.setText(CANCELLED),
        )

    def _on_result(self, results: dict[str, Any]) -> None:
        self.results = results
        self.status.setText(summary(results))
        self.status.setToolTip(summary(results).replace("; ", "\n"))
        for report in results.values():
            if report.get("run_dir"):
                self.state.run_finished.emit(Path(report["run_dir"]))
        self.finished.emit(results)
