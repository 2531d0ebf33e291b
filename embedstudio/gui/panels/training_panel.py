"""Training area: Start/Stop, progress with ETA and speed, live curves, the log, and the results.

Threads: ``core.training.train`` runs in a Worker (``run_training``); this panel reacts on the GUI thread
to the worker's queued signals (batch/epoch events at most ~10 a second, coalesced again by the curves).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from embedstudio.core.config import RunConfig
from embedstudio.core.errors import ConfigError
from embedstudio.core.events import BatchEvent, EpochEvent, Event, RunEvent
from embedstudio.gui import dialogs
from embedstudio.gui.jobs import ErrorInfo, JobRunner, Worker, WorkerPool
from embedstudio.gui.state import AppState
from embedstudio.gui.widgets.deferred import DeferredWidget
from embedstudio.gui.widgets.palette import tone
from embedstudio.gui.widgets.results_view import ResultsView

if TYPE_CHECKING:
    from embedstudio.gui.widgets.plot_curves import TrainingCurves

LOG_LINES = 5000


def _training_curves() -> TrainingCurves:
    from embedstudio.gui.widgets.plot_curves import TrainingCurves

    return TrainingCurves()


def run_training(cfg, dataset, vectors, *, reporter, cancel):
    """The worker's job: import TensorFlow without stalling the GUI, then ``core.training.train``."""
    from embedstudio.gui.heavy_imports import import_tensorflow

    reporter.progress(0, None, "Loading TensorFlow")
    import_tensorflow()
    from embedstudio.core.training import train

    return train(cfg, reporter=reporter, cancel=cancel, dataset=dataset, vectors=vectors)


def suggested_run_name(cfg: RunConfig) -> str:
    """dataset stem + preset + vector stem + embedding mode, e.g. ``sms-bilstm-glove-frozen``: runs of one
    workspace are told apart by what differs between them."""

    def stem(path: str) -> str:
        name = path.split(":", 1)[1] if path.startswith("gensim-test-data:") else Path(path).name
        for suffix in (".gz", ".bz2", ".xz", ".zip", ".tar", ".txt", ".vec", ".bin", ".csv", ".tsv", ".jsonl"):
            name = name.removesuffix(suffix)
        return name.split(".")[0] or name

    parts = [stem(cfg.data.path) if cfg.data.path else "", cfg.model.preset]
    if cfg.embedding.mode != "scratch":
        parts += [stem(v.path) for v in cfg.embedding.vectors if v.path]
    parts.append(cfg.embedding.mode.replace("_", ""))
    return "-".join(p.lower().replace(" ", "_") for p in parts if p)


def format_duration(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds < 0:
        return "–"
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class TrainingPanel(QWidget):
    """The Training area. Public: ``start() -> Worker | None``, ``stop()``, ``is_running()``, ``worker``,
    ``last_result`` (TrainResult), ``run_dir``; signals ``training_started(Worker)``,
    ``training_finished(object)`` (the run folder Path, or None if none was created)."""

    training_started = Signal(object)
    training_finished = Signal(object)

    def __init__(self, state: AppState, pool: WorkerPool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state, self.pool = state, pool
        self.last_result: Any = None
        self.run_dir: Path | None = None
        self._fitting = False
        self._unfreeze: tuple[int, float] | None = None  # (epoch, lr factor) until the log has said so
        self._run_name = ""
        self._build()
        # The dialog is shown by _on_errored, after the panel has shown the failure itself.
        self.jobs = JobRunner(pool, self, error_dialog=False)
        self._set_running(False)

    # ---- construction ----------------------------------------------------------------
    def _build(self) -> None:
        self.start_button = QPushButton("Start Training")
        self.start_button.setToolTip("Train a model with the settings of the Dataset and Model areas (Ctrl+R)")
        self.start_button.clicked.connect(self.start)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop after the current batch; the model trained so far is kept and evaluated")
        self.stop_button.clicked.connect(self.stop)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setFormat("")
        self.status = QLabel("Ready.")
        self.status.setWordWrap(True)
        self.speed = QLabel("")
        self.speed.setToolTip("Time left for the whole run, and training speed")
        self.speed.setMinimumWidth(self.speed.fontMetrics().horizontalAdvance("ETA 0:00:00 · 100,000 samples/s"))
        top = QHBoxLayout()
        top.addWidget(self.start_button)
        top.addWidget(self.stop_button)
        top.addWidget(self.progress, 1)
        top.addWidget(self.speed)
        extra = self._comparisons_row()
        live = self._live_pane()
        self.results = ResultsView(self.pool)
        self.split = split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(live)
        split.addWidget(self.results)
        split.setChildrenCollapsible(False)
        self._give_room_to_results(False)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addLayout(extra)
        lay.addWidget(self.status)
        lay.addWidget(split, 1)

    def _comparisons_row(self) -> QHBoxLayout:
        """The baselines and "Compare embeddings…", beside the run."""
        from embedstudio.gui.widgets.baselines_action import BaselinesAction
        from embedstudio.gui.widgets.study_view import open_study_dialog

        self.baselines = BaselinesAction(self.state, self.pool)
        self.study_button = QPushButton("Compare embeddings…")
        self.study_button.setToolTip(
            "When do pre-trained vectors pay off? TF-IDF, scratch, frozen and fine-tuned "
            "on growing shares of the training data"
        )
        self.study_button.clicked.connect(
            lambda: setattr(self, "study_dialog", open_study_dialog(self.state, self.pool, self.window()))
        )
        extra = QHBoxLayout()
        extra.addWidget(self.baselines, 1)
        extra.addWidget(self.study_button)
        return extra

    def _live_pane(self) -> QSplitter:
        """The live curves beside the training log."""
        self._curves = DeferredWidget(_training_curves)  # pyqtgraph: built after the window shows
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(LOG_LINES)
        self.log.setFont(QFont("monospace", 9))
        self.log.setPlaceholderText("The training log appears here.")
        live = QSplitter(Qt.Orientation.Horizontal)
        live.addWidget(self._curves)
        live.addWidget(self.log)
        live.setStretchFactor(0, 3)
        live.setStretchFactor(1, 1)
        live.setSizes([900, 320])
        return live

    @property
    def curves(self) -> TrainingCurves:
        """The live curves, built now if they were not yet (gui/widgets/deferred.py): a training run feeds
        them from its start, so they exist from then on."""
        return self._curves.widget()

    # ---- actions ---------------------------------------------------------------------
    @property
    def worker(self) -> Worker | None:
        """The running training job, if any."""
        return self.jobs.current

    def is_running(self) -> bool:
        return self.jobs.is_running()

    def start(self) -> Worker | None:
        """Train ``state.config`` (copied) on ``state.dataset`` with the loaded vectors; None if refused."""
        if self.jobs.is_running():
            return None
        cfg = self.state.job_config()
        cfg.name = cfg.name or suggested_run_name(cfg)
        try:
            cfg.validate()
        except ConfigError as exc:
            self._fail_early(str(exc))
            return None
        vectors = {v.path: self.state.vectors[v.path] for v in cfg.embedding.vectors if v.path in self.state.vectors}
        dataset = self.state.dataset_for(cfg.data)
        self._reset_view()
        self._run_name = cfg.name
        self._show_unfreeze_plan(cfg)
        if dataset is None and self.state.dataset is not None:
            self.log.appendPlainText("The dataset settings changed since the last import; this run imports it afresh.")
        self._set_running(True)
        worker = self.jobs.start(
            run_training,
            cfg,
            dataset,
            vectors,
            name="Training",
            on_progress=self._on_progress,
            on_info=self._log,
            on_warning=lambda m: self._log(f"Warning: {m}", warning=True),
            on_event=self._on_event,
            on_result=self._on_returned,
            on_error=self._on_errored,
            on_cancelled=self._on_cancelled,
            on_done=self._on_done,
        )
        self.training_started.emit(worker)
        return worker

    def stop(self) -> None:
        """Honoured after the current batch: the run is written as 'stopped' with the model so far."""
        if self.jobs.is_running():
            self.jobs.cancel()
            self.stop_button.setEnabled(False)
            self.status.setText("Stopping after the current batch…")
            self.speed.setText("")  # the ETA of a run that is stopping is no longer true
            self._log("Stop requested.")

    def _reset_view(self) -> None:
        self.last_result, self.run_dir = None, None
        self._fitting = False
        self.curves.clear()
        self.log.clear()
        self.results.clear("Training… the test results appear here when it ends.")
        self._give_room_to_results(False)
        self.progress.setValue(0)
        self.progress.setFormat("")
        self.speed.setText("")
        self.status.setText("Starting…")

    def _show_unfreeze_plan(self, cfg: RunConfig) -> None:
        """Two-phase training: the live curves mark the epoch where the embedding starts to train, and the
        log says so when that epoch begins."""
        two_phase = cfg.embedding.mode == "two_phase"
        self._unfreeze = (cfg.embedding.unfreeze_epoch, cfg.embedding.unfreeze_lr_factor) if two_phase else None
        self.curves.set_unfreeze_epoch(cfg.embedding.unfreeze_epoch if two_phase else None)

    def _note_epoch(self, epoch: int) -> None:
        if self._unfreeze is not None and epoch >= self._unfreeze[0]:
            first, factor = self._unfreeze
            self._unfreeze = None
            self._log(
                f"Epoch {first}: the embedding unfreezes and trains from here on "
                f"(learning rate × {factor:g}); the curves mark it with a dashed line."
            )

    def _give_room_to_results(self, results: bool) -> None:
        self.split.setSizes([330, 470] if results else [700, 100])

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.stop_button.setEnabled(running)

    def _fail_early(self, message: str) -> None:
        self.status.setText(message)
        dialogs.show_error(self.window(), ErrorInfo(message, "", True))

    # ---- worker signals (GUI thread) ---------------------------------------------------
    def _on_progress(self, done: float, total: Any, message: str) -> None:
        if message and message != "Training":
            self.status.setText(f"{message}…")
            if not self._fitting:  # once batches arrive, the bar shows the training's own progress
                self.progress.setRange(0, 0 if not total else 1000)
                if total:
                    self.progress.setValue(int(1000 * done / total))

    def _on_event(self, event: Event) -> None:
        if isinstance(event, BatchEvent):
            self._on_batch(event)
        elif isinstance(event, EpochEvent):
            self._note_epoch(event.epoch)
            self.curves.add_epoch(event)
        elif isinstance(event, RunEvent):
            self.run_dir = Path(event.run_dir)

    def _on_batch(self, ev: BatchEvent) -> None:
        self._fitting = True
        self._note_epoch(ev.epoch)
        self.curves.add_batch(ev)
        if not self.stop_button.isEnabled():
            return  # stopping: the status says so and no ETA is shown
        self.progress.setRange(0, 1000)
        self.progress.setValue(int(1000 * ev.fraction_done))
        self.progress.setFormat(f"epoch {ev.epoch}/{max(1, ev.epochs)} · batch {ev.batch}/{max(1, ev.batches)}")
        eta = f"ETA {format_duration(ev.eta_s)}"
        self.speed.setText(f"{eta} · {ev.samples_per_sec:,.0f} samples/s" if ev.samples_per_sec else eta)
        if self.status.text() != "Training…":
            self.status.setText("Training…")

    def _on_returned(self, result: Any) -> None:
        self.last_result = result
        self.run_dir = Path(result.run_dir)
        self.speed.setText("")
        self.curves.flush()
        self.progress.setRange(0, 1000)
        self.progress.setValue(1000)
        self.progress.setFormat(result.status)
        text = (
            "Stopped: the model trained so far was saved and evaluated."
            if result.status == "stopped"
            else "Training complete."
        )
        self.status.setText(text)
        self.results.show_run(
            result.run_dir, result.report, status=result.status, message=result.message, name=self._run_name
        )
        self._give_room_to_results(True)

    def _on_errored(self, info: ErrorInfo) -> None:
        self.speed.setText("")
        self.status.setText(info.message.splitlines()[0] if info.message else "Training failed.")
        self._log(f"Error: {info.message}", warning=True)
        self.progress.setRange(0, 1000)
        self.progress.setFormat("failed")
        if self.run_dir is not None:
            self.results.show_run(self.run_dir, None, status="failed", message=info.message)
        dialogs.show_error(self.window(), info)

    def _on_cancelled(self) -> None:
        self.speed.setText("")
        self.status.setText("Stopped before training began; no model was saved.")
        self.progress.setRange(0, 1000)
        self.progress.setFormat("stopped")
        if self.run_dir is not None:
            self.results.show_run(
                self.run_dir, None, status="stopped", message="Stopped before training began; no model was saved."
            )

    def _on_done(self) -> None:
        self._set_running(False)
        if self.run_dir is not None:
            self.state.run_finished.emit(self.run_dir)
        self.training_finished.emit(self.run_dir)

    def _log(self, message: str, *, warning: bool = False) -> None:
        if warning:
            colour = tone(self.log, "warning")
            self.log.appendHtml(f'<span style="color:{colour}">{html.escape(str(message), quote=False)}</span>')
        else:
            self.log.appendPlainText(str(message))
