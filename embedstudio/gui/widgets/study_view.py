"""The data-efficiency study in the GUI: "Compare embeddings…" runs ``core.study.run_study`` and draws
accuracy against training examples live; the Runs area lists the study folders and opens one.

- ``StudyView``: the plot (``study_chart.StudyPlot``: accuracy vs training examples, built after the window
  shows, gui/widgets/deferred.py), the summary table and a one-line headline for a study's data.
- ``StudyDialog``: fractions and seeds, Start / Cancel, progress, and a live ``StudyView`` fed by the
  ``study_cell`` events ``run_study`` emits as each cell finishes.
- ``StudiesList``: study folders (``study.json`` with ``kind = "study"``) in the runs folder, newest first.

Threads: the study and the folder listing run in Workers (JobRunner); everything else on the GUI thread.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from embedstudio.core.errors import ConfigError
from embedstudio.core.study import ARM_LABELS, ARMS, STUDY_FILE, parse_fractions, summary_table
from embedstudio.gui import dialogs
from embedstudio.gui.jobs import ErrorInfo, JobRunner, Worker, WorkerPool
from embedstudio.gui.state import AppState
from embedstudio.gui.widgets.deferred import DeferredWidget

if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent

    from embedstudio.core.config import RunConfig
    from embedstudio.core.jobs import CancelToken, Reporter
    from embedstudio.core.study import StudyResult
    from embedstudio.gui.widgets.study_chart import StudyPlot

DEFAULT_FRACTIONS = "0.05, 0.2, 1"
DEFAULT_SEEDS = 1


class _StudyHub(QObject):
    """Announces finished studies, so every studies list refreshes wherever the study was started."""

    study_finished = Signal(object)  # Path of the study folder


study_hub = _StudyHub()


# ---- jobs (worker thread) ---------------------------------------------------------------------------
def study_job(
    cfg: RunConfig,
    dataset: Any,
    fractions: list[float],
    seeds: int,
    arms: tuple[str, ...],
    *,
    reporter: Reporter,
    cancel: CancelToken,
) -> StudyResult:
    """Import TensorFlow without stalling the GUI, then ``core.study.run_study``."""
    from embedstudio.gui.heavy_imports import import_tensorflow

    reporter.progress(0, None, "Loading TensorFlow")
    import_tensorflow()
    from embedstudio.core.study import run_study

    return run_study(
        cfg, fractions=fractions, seeds=seeds, arms=arms, dataset=dataset, reporter=reporter, cancel=cancel
    )


def read_study(folder: Path) -> dict | None:
    """A study folder's ``study.json`` (with ``folder`` added), or None if it is not a readable study."""
    try:
        data = json.loads((Path(folder) / STUDY_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict) or data.get("kind") != "study":
        return None
    data["folder"] = str(folder)
    return data


def list_studies_job(runs_dir: Path, *, reporter, cancel) -> list[dict]:
    """Every study folder directly under ``runs_dir``, newest first (folder names start with a timestamp)."""
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        return []
    studies = []
    for child in sorted(runs_dir.iterdir(), key=lambda p: p.name, reverse=True):
        cancel.raise_if_cancelled()
        if child.is_dir() and not child.name.startswith(".") and (child / STUDY_FILE).is_file():
            data = read_study(child)
            if data is not None:
                studies.append(data)
    return studies


def study_title(data: dict) -> str:
    cfg = data.get("config") or {}
    name = cfg.get("name") or Path(str((cfg.get("data") or {}).get("path", ""))).name or "study"
    return f"{Path(data.get('folder', '')).name[:15]}  {name}  ({len(data.get('cells', []))} cells)"


# ---- plot and table --------------------------------------------------------------------------------------
def _study_plot() -> StudyPlot:
    from embedstudio.gui.widgets.study_chart import StudyPlot

    return StudyPlot()


class StudyView(QWidget):
    """A study's headline, plot and table; ``show_cells(cells)`` (live) or ``show_study(data)``."""

    TABLE_COLUMNS = ("Fraction", "Texts") + tuple(ARM_LABELS[a] for a in ARMS) + ("Pre-trained gain",)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cells: list[dict] = []
        self.table_rows: list[dict] = []
        self.headline = QLabel("<i>No study yet.</i>")
        self.headline.setWordWrap(True)
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._plot = DeferredWidget(_study_plot)
        self.table = QTableWidget(0, len(self.TABLE_COLUMNS))
        self.table.setHorizontalHeaderLabels(self.TABLE_COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setToolTip(
            "Test accuracy, mean ± std over seeds; the gain is the best pre-trained arm minus from scratch, in points"
        )
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self._plot)
        split.addWidget(self.table)
        split.setSizes([380, 160])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.headline)
        lay.addWidget(split, 1)

    @property
    def plot(self) -> StudyPlot:
        """The plot, built now if it was not yet."""
        return self._plot.widget()

    def clear(self, text: str = "No study yet.") -> None:
        self.cells, self.table_rows = [], []
        self._plot.when_built(lambda plot: plot.clear_study(), "table")
        self.table.setRowCount(0)
        self.headline.setText(f"<i>{text}</i>")

    def add_cell(self, cell: dict) -> None:
        self.show_cells(self.cells + [dict(cell)])

    def show_cells(self, cells: list[dict]) -> None:
        self.cells = list(cells)
        self.table_rows = summary_table(self.cells)
        rows = self.table_rows
        self._plot.when_built(lambda plot: plot.set_table(rows), "table")
        self._fill_table()

    def show_study(self, data: dict) -> None:
        self.clear()
        self.show_cells(data.get("cells", []))
        cfg = data.get("config") or {}
        dataset = Path(str((cfg.get("data") or {}).get("path", ""))).name
        vectors = ", ".join(Path(str(v.get("path", ""))).name for v in (cfg.get("embedding") or {}).get("vectors", []))
        planned = len(data.get("fractions", [])) * int(data.get("seeds", 0) or 0) * len(data.get("arms", []))
        done = len(self.cells)
        state = "complete" if planned and done >= planned else f"{done} of {planned} cells (interrupted or running)"
        self.headline.setText(
            f"<b>{dataset or 'study'}</b> — recipe {(cfg.get('model') or {}).get('preset', '?')}, vectors "
            f"{vectors or 'none'}; {data.get('train_size', 0):,} training / {data.get('test_size', 0):,} test "
            f"texts; seeds {data.get('seeds', '?')}; {state}; {data.get('seconds', 0):.0f} s<br>"
            f"<small>{data.get('folder', '')}</small>"
        )

    def _fill_table(self) -> None:
        t = self.table
        t.setRowCount(len(self.table_rows))
        for r, row in enumerate(self.table_rows):
            values = [f"{row['fraction']:g}", f"{row.get('train_examples', 0):,}"]
            for arm in ARMS:
                cell = row.get(arm)
                if not cell:
                    values.append("")
                else:  # one seed has no spread to show
                    values.append(
                        f"{cell['accuracy']:.3f} ± {cell['accuracy_std']:.3f}"
                        if cell["n"] > 1
                        else f"{cell['accuracy']:.3f}"
                    )
            gain = row.get("pretrained_gain_points")
            best = {"frozen": "frozen", "finetune": "fine-tuned"}.get(row.get("best_pretrained") or "", "")
            values.append(f"{gain:+.1f} points ({best})" if gain is not None else "")
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                if c < len(values) - 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                t.setItem(r, c, item)


# ---- the dialog -----------------------------------------------------------------------------------------
class StudyDialog(QDialog):
    """ "Compare embeddings…": choose fractions and seeds, run the study, watch it draw.

    Public: ``start() -> Worker | None``, ``cancel()``, ``is_running()``, ``result`` (StudyResult),
    ``view`` (StudyView); signal ``study_finished(Path)`` (also sent through ``study_hub``).
    """

    study_finished = Signal(object)

    def __init__(self, state: AppState, pool: WorkerPool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare embeddings")
        self.state, self.pool = state, pool
        self.result: Any = None
        self.fractions = QLineEdit(DEFAULT_FRACTIONS)
        self.fractions.setToolTip(
            "Shares of the training split to train on (0 < f ≤ 1), separated by commas; "
            "the test set is the same for all"
        )
        self.seeds = QSpinBox()
        self.seeds.setRange(1, 10)
        self.seeds.setValue(DEFAULT_SEEDS)
        self.seeds.setToolTip("Each fraction is drawn and trained this many times (seeded); the plot shows mean ± std")
        self.arms_label = QLabel()
        self.arms_label.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Fractions of the training data:", self.fractions)
        form.addRow("Seeds:", self.seeds)
        form.addRow("Compared:", self.arms_label)
        self.start_button = QPushButton("Start")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop after the current batch; the cells finished so far stay in study.json")
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.close)
        self.progress = QProgressBar()
        self.status = QLabel("Choose fractions and seeds, then Start.")
        self.status.setWordWrap(True)
        for b in (self.start_button, self.cancel_button, self.close_button):
            b.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.progress, 3)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        self.view = StudyView()
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addLayout(buttons)
        lay.addWidget(self.status)
        lay.addWidget(self.view, 1)
        self.resize(900, 680)
        self.jobs = JobRunner(
            pool,
            self,
            progress=self.progress,
            cancel_button=self.cancel_button,
            busy_widgets=[self.start_button, self.fractions, self.seeds],
            status=self.status,
        )
        self._describe_arms()

    def arms(self) -> tuple[str, ...]:
        """All four arms with a vector file configured; TF-IDF and scratch without one."""
        return ARMS if self.state.config.embedding.vectors else ("tfidf", "scratch")

    def _describe_arms(self) -> None:
        text = ", ".join(ARM_LABELS[a] for a in self.arms())
        if not self.state.config.embedding.vectors:
            text += " (choose a vector file in Vectors to compare pre-trained vectors too)"
        else:
            text += f" — vectors {Path(self.state.config.embedding.vectors[0].path).name}"
        self.arms_label.setText(text)

    def is_running(self) -> bool:
        return self.jobs.is_running()

    def cancel(self) -> None:
        self.jobs.cancel()

    def start(self) -> Worker | None:
        if self.jobs.is_running():
            return None
        cfg = self.state.job_config()
        try:
            fractions = parse_fractions(self.fractions.text())
            cfg.validate()
            if not cfg.data.path:
                raise ConfigError("Choose a dataset in the Dataset area first: the study trains on its split.")
        except ConfigError as exc:
            self.status.setText(str(exc).splitlines()[0])
            dialogs.show_error(self, ErrorInfo(str(exc).replace("--fractions", "Fractions"), "", True))
            return None
        self._describe_arms()
        self.result = None
        self.view.clear("Running… each point appears when its cell finishes.")
        self.status.setText("Starting…")
        return self.jobs.start(
            study_job,
            cfg,
            self.state.dataset_for(cfg.data),
            fractions,
            self.seeds.value(),
            self.arms(),
            name="Study",
            on_event=self._on_event,
            on_result=self._on_result,
            on_info=self.status.setText,
            on_cancelled=self._on_cancelled,
        )

    def _on_event(self, event: Any) -> None:
        if getattr(event, "kind", "") == "study_cell":
            self.view.add_cell(event.data)

    def _on_result(self, result: Any) -> None:
        self.result = result
        data = read_study(Path(result.study_dir))
        if data is not None:
            self.view.show_study(data)
        self.status.setText(f"Study done in {result.seconds:.0f} s: {result.study_dir}")
        self.study_finished.emit(Path(result.study_dir))
        study_hub.study_finished.emit(Path(result.study_dir))

    def _on_cancelled(self) -> None:
        self.status.setText("Cancelled: the cells finished so far are kept in the study folder.")
        study_hub.study_finished.emit(None)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self.jobs.is_running():
            self.jobs.cancel()  # the study stops at its next batch; the dialog is hidden meanwhile
        super().closeEvent(event)


def open_study_dialog(state: AppState, pool: WorkerPool, parent: QWidget | None = None) -> StudyDialog:
    """Show a (non-modal) "Compare embeddings" dialog for the current configuration."""
    dialog = StudyDialog(state, pool, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
    dialog.show()
    return dialog


# ---- the list of studies (Runs area) --------------------------------------------------------------------
class StudiesList(QWidget):
    """Study folders in the runs folder; select one to see its plot and table. ``refresh() -> Worker``,
    ``studies`` (the study.json dicts), ``open_study(row)``; "Compare embeddings…" starts a new one."""

    refreshed = Signal()

    def __init__(self, state: AppState, pool: WorkerPool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state, self.pool = state, pool
        self.studies: list[dict] = []
        self.dialog: StudyDialog | None = None
        self.list = QListWidget()
        self.list.setToolTip("Data-efficiency studies in the runs folder (newest first)")
        self.list.currentRowChanged.connect(self._row_changed)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.new_button = QPushButton("Compare embeddings…")
        self.new_button.setToolTip(
            "Train TF-IDF, from scratch, frozen and fine-tuned vectors on growing shares "
            "of the training data: when do pre-trained vectors pay off?"
        )
        self.new_button.clicked.connect(self.new_study)
        self.status = QLabel()
        self.view = StudyView()
        buttons = QHBoxLayout()
        buttons.addWidget(self.refresh_button)
        buttons.addWidget(self.new_button)
        buttons.addStretch(1)
        left = QWidget()
        left_lay = QVBoxLayout(left)
        left_lay.setContentsMargins(0, 0, 0, 0)
        left_lay.addLayout(buttons)
        left_lay.addWidget(self.list, 1)
        left_lay.addWidget(self.status)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(left)
        split.addWidget(self.view)
        split.setSizes([150, 500])
        QVBoxLayout(self).addWidget(split)
        self.jobs = JobRunner(pool, self, busy_widgets=[self.refresh_button], status=self.status)
        # Bound methods (not lambdas): Qt drops the connection when this widget is destroyed.
        study_hub.study_finished.connect(self._on_changed)
        state.runs_dir_changed.connect(self._on_changed)

    def _on_changed(self, _path: Any = None) -> None:
        self.refresh()

    def refresh(self) -> Worker:
        return self.jobs.start(
            list_studies_job, Path(self.state.runs_dir), name="Listing studies", on_result=self._show
        )

    def _show(self, studies: list[dict]) -> None:
        opened = self.view.cells and self.list.currentRow() >= 0 and self.studies[self.list.currentRow()]["folder"]
        self.studies = studies
        self.list.blockSignals(True)
        self.list.clear()
        for data in studies:
            item = QListWidgetItem(study_title(data))
            item.setToolTip(data["folder"])
            self.list.addItem(item)
        self.list.blockSignals(False)
        self.status.setText(
            f"{len(studies)} stud{'y' if len(studies) == 1 else 'ies'}"
            if studies
            else "No studies yet: Compare embeddings… runs one."
        )
        rows = [i for i, d in enumerate(studies) if d["folder"] == opened]
        if rows:
            self.list.setCurrentRow(rows[0])
        self.refreshed.emit()

    def _row_changed(self, row: int) -> None:
        if row >= 0:  # -1 when the list is cleared
            self.open_study(row)

    def open_study(self, row: int) -> None:
        data = read_study(Path(self.studies[row]["folder"])) or self.studies[row]  # re-read: it may have grown
        self.view.show_study(data)

    def new_study(self) -> StudyDialog:
        self.dialog = open_study_dialog(self.state, self.pool, self.window())
        return self.dialog
