"""Runs area: every run folder in ``state.runs_dir``, one run's curves/report/config, a comparison of
several runs (metrics side by side, the settings that differ, their validation curves), re-running a
run's configuration, and renaming, filtering, sorting and moving runs to the trash (undoable).

Threads: listing runs (JSON files only, no TensorFlow) runs in a Worker so that a folder with hundreds
of runs never blocks the GUI; renaming and trashing a run touch two small files or rename one folder
and run on the GUI thread.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QKeySequence, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from embedstudio.core.errors import ConfigError, RunError
from embedstudio.core.runs import TRASH_DIR, RunRecord, list_runs, load_run, rename_run, restore_run, trash_run
from embedstudio.gui import dialogs
from embedstudio.gui.jobs import ErrorInfo, JobRunner, WorkerPool
from embedstudio.gui.state import AppState
from embedstudio.gui.widgets.deferred import DeferredWidget
from embedstudio.gui.widgets.palette import tone
from embedstudio.gui.widgets.results_view import ResultsView
from embedstudio.gui.widgets.run_compare import RunCompare

if TYPE_CHECKING:
    from embedstudio.gui.widgets.plot_curves import RunOverlay, TrainingCurves

COLUMNS = ("Name", "Test accuracy", "Macro-F1", "Status", "Dataset", "Vectors", "Preset", "Date", "Message")
COLUMN_TIPS = (
    "The run's name (F2 or Rename… to change it)",
    "Accuracy on the test split",
    "Macro-averaged F1 on the test split",
    "completed, stopped, failed, interrupted or running",
    "The dataset file or folder it was trained on",
    "The word-vector files it used",
    "The model preset, or which baseline",
    "When the run started",
    "Why a run did not complete",
)
NAME, ACCURACY, MACRO_F1, STATUS, DATASET, VECTORS, PRESET, DATE, MESSAGE = range(len(COLUMNS))
BASELINE_LABELS = {"tfidf_linear": "TF-IDF", "fasttext_supervised": "fastText"}
FAILED_COLOUR = QColor(214, 39, 40)  # readable on light and dark backgrounds
PROBLEM_STATUSES = ("failed", "interrupted")


def list_runs_job(runs_dir: Path, *, reporter, cancel) -> list[RunRecord]:
    return list_runs(runs_dir, reporter=reporter)


def _preset(r: RunRecord) -> str:
    # a baseline run shows which baseline, not the preset of the configuration it was made beside
    baseline = r.description.get("baseline")
    if baseline:
        return BASELINE_LABELS.get(str(baseline), str(baseline))
    return str((r.config.get("model") or {}).get("preset", ""))


def _cell(r: RunRecord, column: int) -> Any:
    """A record's value in a column (numbers stay numbers, for sorting)."""
    if column == NAME:
        return r.name
    if column == DATE:
        return r.created.strftime("%Y-%m-%d %H:%M") if r.created else ""
    if column == DATASET:
        return r.dataset
    if column == VECTORS:
        return r.vectors
    if column == PRESET:
        return _preset(r)
    if column == STATUS:
        return r.status
    if column == ACCURACY:
        return r.test_accuracy
    if column == MACRO_F1:
        return r.macro_f1
    return r.failure


def _sort_key(r: RunRecord, column: int, value: Any) -> Any:
    if column == DATE:
        return r.created.timestamp() if r.created else 0.0
    if value is None:
        return -1.0  # runs without a metric sort below every run that has one
    return value.lower() if isinstance(value, str) else value


class RunsModel(QAbstractTableModel):
    """The run records as rows. The Name column is editable: an edit emits ``rename_requested(row, name)``
    and the panel renames the run (undoably); the model itself never writes files.

    Each row's texts, sort keys and search text are worked out once when the records are set, so that
    filtering and sorting hundreds of runs at every keystroke stays instant."""

    rename_requested = Signal(int, str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.records: list[RunRecord] = []
        self.texts: list[list[str]] = []
        self.keys: list[list[Any]] = []
        self.search: list[str] = []

    def set_records(self, records: list[RunRecord]) -> None:
        self.beginResetModel()
        self.records = list(records)
        self.texts, self.keys, self.search = [], [], []
        for r in self.records:
            values = [_cell(r, c) for c in range(len(COLUMNS))]
            texts = [f"{v:.3f}" if isinstance(v, float) else ("" if v is None else str(v)) for v in values]
            self.texts.append(texts)
            self.keys.append([_sort_key(r, c, v) for c, v in enumerate(values)])
            self.search.append(" ".join(texts[c] for c in RunsFilter.SEARCHED).lower())
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.records)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsEditable if index.isValid() and index.column() == NAME else base

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self.texts[row][column]
        if role == Qt.ItemDataRole.UserRole:  # the sort key
            return self.keys[row][column]
        r = self.records[row]
        if role == Qt.ItemDataRole.ToolTipRole:
            if r.failure:
                return f"{r.name}: {r.status}\n{r.failure}"
            return f"{r.name}\n{r.path}" if column == NAME else None
        if role == Qt.ItemDataRole.ForegroundRole and r.status in PROBLEM_STATUSES and column in (STATUS, MESSAGE):
            return FAILED_COLOUR
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (ACCURACY, MACRO_F1):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def setData(self, index, value, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or index.column() != NAME:
            return False
        text = " ".join(str(value).split())
        if text and text != self.records[index.row()].name:
            self.rename_requested.emit(index.row(), text)
        return False  # the panel updates the record once the files say so

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return COLUMN_TIPS[section]
        return None


class RunsFilter(QSortFilterProxyModel):
    """Keeps the runs whose name, dataset, vectors, preset, status or message contain every word typed;
    sorts by the raw values (numbers as numbers, dates as times)."""

    SEARCHED = (NAME, DATASET, VECTORS, PRESET, STATUS, MESSAGE, DATE)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.words: list[str] = []
        self.setSortRole(Qt.ItemDataRole.UserRole)
        self.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

    def set_words(self, text: str) -> None:
        self.beginFilterChange()
        self.words = text.lower().split()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def runs(self) -> RunsModel:
        return cast(RunsModel, self.sourceModel())  # the panel sets a RunsModel as the source, once

    def filterAcceptsRow(self, row: int, parent) -> bool:  # noqa: N802
        if not self.words:
            return True
        haystack = self.runs().search[row]
        return all(w in haystack for w in self.words)

    def lessThan(self, left, right) -> bool:  # noqa: N802
        keys = self.runs().keys
        a, b = keys[left.row()][left.column()], keys[right.row()][right.column()]
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            return a < b
        return str(a) < str(b)


# ---- undoable changes of run folders ---------------------------------------------------------------
class TrashRuns(QUndoCommand):
    """Runs moved to the trash (already moved when pushed); undo moves them back."""

    def __init__(self, panel: RunsPanel, moved: list[tuple[Path, Path]], names: list[str]) -> None:
        what = f"“{names[0]}”" if len(names) == 1 else f"{len(names)} runs"
        super().__init__(f"Move {what} to the trash")
        self.panel, self.moved, self._first = panel, moved, True

    def redo(self) -> None:
        if self._first:  # the panel moved them before pushing (so that a failure is never on the stack)
            self._first = False
            return
        again = []
        for original, _old_target in self.moved:
            try:
                again.append((original, trash_run(original)))
            except RunError as exc:
                self.panel.show_error(str(exc))
        self.moved = again
        self.panel.forget_runs([o for o, _ in again])

    def undo(self) -> None:
        restored = []
        for original, trashed in self.moved:
            try:
                restored.append(restore_run(trashed, original))
            except RunError as exc:
                self.panel.show_error(str(exc))
        self.panel.add_runs(restored)


class RenameRun(QUndoCommand):
    def __init__(self, panel: RunsPanel, path: Path, old: str, new: str) -> None:
        super().__init__(f"Rename run “{old}” to “{new}”")
        self.panel, self.path, self.old, self.new, self._first = panel, path, old, new, True

    def _apply(self, name: str) -> None:
        try:
            rename_run(self.path, name)
        except RunError as exc:
            self.panel.show_error(str(exc))
        self.panel.reload_run(self.path)

    def redo(self) -> None:
        if self._first:
            self._first = False
            return
        self._apply(self.new)

    def undo(self) -> None:
        self._apply(self.old)


class RunDetails(QWidget):
    """One run: why it did not complete (if so), its curves, its results (the same view as after
    training) and its configuration."""

    def __init__(self, pool: WorkerPool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.record: RunRecord | None = None
        self.problem = QLabel()
        self.problem.setObjectName("runProblem")
        self.problem.setWordWrap(True)
        self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem.setVisible(False)
        self._curves = DeferredWidget(_training_curves)  # pyqtgraph: built after the window shows
        self.results = ResultsView(pool)
        self.config_text = QPlainTextEdit()
        self.config_text.setReadOnly(True)
        self.config_text.setPlaceholderText("Open a run to see the configuration it was trained with.")
        self.tabs = QTabWidget()
        self.tabs.addTab(self._curves, "Curves")
        self.tabs.addTab(self.results, "Report")
        self.tabs.addTab(self.config_text, "Configuration")
        lay = QVBoxLayout(self)
        lay.addWidget(self.problem)
        lay.addWidget(self.tabs, 1)

    @property
    def curves(self) -> TrainingCurves:
        """The run's curves, built now if they were not yet (gui/widgets/deferred.py)."""
        return self._curves.widget()

    def clear(self, text: str) -> None:
        """Show no run (the one shown went to the trash)."""
        self.record = None
        self.problem.setVisible(False)
        self._show_curves([], None, text)
        self.results.clear(text)
        self.config_text.clear()

    def show_record(self, record: RunRecord) -> None:
        self.record = record
        given = record.config.get("embedding")
        emb: dict[str, Any] = given if isinstance(given, dict) else {}
        two_phase = emb.get("mode") == "two_phase" and isinstance(emb.get("unfreeze_epoch"), int)
        empty = None
        if not record.metrics:
            empty = (
                "A baseline has no training curves: see its Report."
                if record.is_baseline
                else "No epoch finished in this run, so there are no curves."
            )
        self._show_curves(record.metrics, emb["unfreeze_epoch"] if two_phase else None, empty)
        failure = record.failure
        red = tone(self, "bad")  # at each show: the palette may have changed
        self.problem.setStyleSheet(
            f"QLabel#runProblem {{ border: 1px solid {red}; border-radius: 3px; padding: 6px; color: {red}; }}"
        )
        self.problem.setText(f"<b>{record.status.capitalize()}:</b> {_html(failure)}" if failure else "")
        self.problem.setVisible(bool(failure))
        # the banner says why it failed; the results view adds the report's own warnings
        self.results.show_run(record.path, record.report, status=record.status, name=record.name)
        self.config_text.setPlainText(json.dumps(record.config, indent=2, ensure_ascii=False))
        if not record.metrics and (record.report or failure):  # nothing to plot: the report says more
            self.tabs.setCurrentWidget(self.results)

    def _show_curves(self, metrics: list[dict], unfreeze_epoch: int | None, empty_text: str | None) -> None:
        """The curves of one run (``empty_text``: what the plots say when there are none, if it changes);
        queued until the plots exist, the latest run replacing an earlier one, the latest text too."""

        def show(curves: TrainingCurves) -> None:
            curves.set_history(metrics)
            curves.set_unfreeze_epoch(unfreeze_epoch)

        self._curves.when_built(show, "run")
        if empty_text is not None:
            self._curves.when_built(lambda curves: curves.set_empty_text(empty_text), "empty text")


def _training_curves() -> TrainingCurves:
    from embedstudio.gui.widgets.plot_curves import TrainingCurves

    return TrainingCurves()


def _html(text: str) -> str:
    import html

    return html.escape(text, quote=False).replace("\n", "<br>")


class RunsPanel(QWidget):
    """The Runs area. Public: ``refresh() -> Worker``, ``records``, ``select_rows(rows)``, ``open_run(row)``,
    ``compare_selected()``, ``rerun(row)``, ``rename(row, name)``, ``trash_rows(rows, confirm=)``,
    ``set_filter(text)``, ``cell(row, column)``, ``undo`` (a QUndoStack the window's Edit menu uses while
    the Runs area is shown); signals ``rerun_requested(RunConfig)`` and ``refreshed``.

    Rows are view rows (after filtering and sorting). Re-run emits ``rerun_requested`` with the run's
    configuration; the main window connects it.
    """

    rerun_requested = Signal(object)
    refreshed = Signal()

    def __init__(self, state: AppState, pool: WorkerPool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state, self.pool = state, pool
        self.undo = QUndoStack(self)  # renames and trash moves; the config's edits have their own stack
        self._build()
        self.list_jobs = JobRunner(pool, self, status=self.status, busy_widgets=[self.refresh_button])
        state.run_finished.connect(lambda _path: self.refresh())
        state.runs_dir_changed.connect(self._runs_dir_changed)
        self.refresh()

    @property
    def records(self) -> list[RunRecord]:
        return self.model.records

    def _build(self) -> None:
        self._build_table()
        self._build_buttons()
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self._left_pane())
        split.addWidget(self._right_tabs())
        split.setSizes([760, 640])
        QVBoxLayout(self).addWidget(split)
        self._on_selection()

    def _build_table(self) -> None:
        """The runs table over RunsModel, through the filter/sort proxy."""
        self.model = RunsModel(self)
        self.model.rename_requested.connect(lambda row, name: self._rename_source(row, name))
        self.proxy = RunsFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.EditKeyPressed | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(DATE, Qt.SortOrder.DescendingOrder)  # newest first
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)  # the message takes what is left
        widths = ((NAME, 220), (ACCURACY, 95), (MACRO_F1, 75), (STATUS, 80), (DATASET, 90), (VECTORS, 120))
        for column, width in (*widths, (PRESET, 60), (DATE, 115)):
            self.table.setColumnWidth(column, width)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.setWordWrap(False)
        self.table.setToolTip(
            "Select one run to open it, several to compare them; F2 renames, Delete moves to the trash"
        )
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._on_selection())
        self._pending_records: list[RunRecord] | None = None
        self.table.itemDelegate().closeEditor.connect(lambda *_: QTimer.singleShot(0, self._apply_pending))
        self.table.doubleClicked.connect(self._on_double_click)
        self.table.installEventFilter(self)  # the Delete key in the list moves the selection to the trash

    def _build_buttons(self) -> None:
        self.filter_box = QLineEdit()
        self.filter_box.setPlaceholderText("Filter runs by name, dataset, vectors, preset, status…")
        self.filter_box.setClearButtonEnabled(True)
        self.filter_box.setToolTip("Show only the runs whose columns contain every word typed (case-insensitive)")
        self.filter_box.textChanged.connect(self.set_filter)

        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Read the runs folder again")
        self.refresh_button.clicked.connect(self.refresh)
        self.rerun_button = QPushButton("Re-run")
        self.rerun_button.setToolTip("Load this run's configuration and train it again (a new run folder)")
        self.rerun_button.clicked.connect(lambda: self.rerun(self.selected_rows()[0]))
        self.rename_button = QPushButton("Rename…")
        self.rename_button.setToolTip("Give the selected run another name (F2); Edit > Undo takes it back")
        self.rename_button.clicked.connect(self._edit_name)
        self.trash_button = QPushButton("Move to Trash")
        self.trash_button.setToolTip(
            "Move the selected runs to the trash folder inside the runs folder (Delete); Edit > Undo brings them back"
        )
        self.trash_button.clicked.connect(lambda: self.trash_rows(self.selected_rows()))
        self.folder = QLabel()
        self.folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status = QLabel()
        self.status.setWordWrap(True)

    def _left_pane(self) -> QWidget:
        """Refresh, Re-run and the baselines above the folder, the filter with Rename and Trash, the table."""
        buttons = QHBoxLayout()
        for button in (self.refresh_button, self.rerun_button):
            buttons.addWidget(button)
        edits = QHBoxLayout()  # beside the filter: the row of buttons above stays narrow enough for 700 px
        edits.addWidget(self.filter_box, 1)
        edits.addWidget(self.rename_button)
        edits.addWidget(self.trash_button)
        from embedstudio.gui.widgets.baselines_action import BaselinesAction

        self.baselines = BaselinesAction(self.state, self.pool)  # its runs appear here through run_finished
        buttons.addWidget(self.baselines, 1)
        left = QWidget()
        left_lay = QVBoxLayout(left)
        left_lay.setContentsMargins(0, 0, 0, 0)
        left_lay.addLayout(buttons)
        left_lay.addWidget(self.folder)
        left_lay.addLayout(edits)
        left_lay.addWidget(self.table, 1)
        left_lay.addWidget(self.status)
        return left

    def _right_tabs(self) -> QTabWidget:
        """Run (details), Compare and Studies."""
        from embedstudio.gui.widgets.study_view import StudiesList

        self.compare = RunCompare()
        self.details = RunDetails(self.pool)
        self.right = QTabWidget()
        self.right.addTab(self.details, "Run")
        self.right.addTab(self.compare, "Compare")
        self.studies = StudiesList(self.state, self.pool)  # "Compare embeddings…" and the study folders
        self.right.addTab(self.studies, "Studies")
        return self.right

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        if (
            watched is self.table
            and event.type() == QEvent.Type.KeyPress
            and event.matches(QKeySequence.StandardKey.Delete)
            and self.table.state() != QAbstractItemView.State.EditingState
        ):
            self.trash_rows(self.selected_rows())
            return True
        return super().eventFilter(watched, event)

    # ---- listing -----------------------------------------------------------------------
    def _runs_dir_changed(self, _path) -> None:
        self.undo.clear()  # its commands name folders of the other runs folder
        self.refresh()

    def refresh(self):
        """Re-read the runs folder (in a Worker); returns the Worker."""
        self.folder.setText(f"Folder: {self.state.runs_dir}")
        self.studies.refresh()
        return self.list_jobs.start(
            list_runs_job, Path(self.state.runs_dir), name="Listing runs", on_result=self._show_records
        )

    def _show_records(self, records: list[RunRecord]) -> None:
        if self.table.state() == QAbstractItemView.State.EditingState:
            # a reset would drop the name being typed: show the new list when the editor closes
            self._pending_records = records
            return
        self._pending_records = None
        opened = {self.record_at(r).path for r in self.selected_rows()}
        if not opened and self.details.record is not None:
            opened = {self.details.record.path}
        self.model.set_records(records)
        self._update_status()
        rows = [r for r in range(self.proxy.rowCount()) if self.record_at(r).path in opened]
        if rows:
            self.select_rows(rows)
        self._on_selection()
        self.refreshed.emit()

    def _apply_pending(self) -> None:
        if self._pending_records is not None and self.table.state() != QAbstractItemView.State.EditingState:
            self._show_records(self._pending_records)

    def _update_status(self) -> None:
        total, shown = len(self.records), self.proxy.rowCount()
        failed = sum(r.status in PROBLEM_STATUSES for r in self.records)
        if not total:
            self.status.setText("No runs yet: train a model in Training.")
            return
        runs = f"{total} run{'' if total == 1 else 's'}"
        text = runs if shown == total else f"{shown} of {runs} match the filter"
        if failed:
            text += f" · {failed} failed or interrupted (hover for why)"
        self.status.setText(text)

    def set_filter(self, text: str) -> None:
        if self.filter_box.text() != text:
            self.filter_box.setText(text)  # comes back here through textChanged
            return
        self.proxy.set_words(text)
        self._update_status()

    # ---- selection -----------------------------------------------------------------------
    def _source_row(self, view_row: int) -> int:
        return self.proxy.mapToSource(self.proxy.index(view_row, 0)).row()

    def record_at(self, view_row: int) -> RunRecord:
        return self.records[self._source_row(view_row)]

    def cell(self, view_row: int, column: int | str) -> Any:
        """What the list shows in a cell (``column`` an index or a header such as "Dataset")."""
        c = COLUMNS.index(column) if isinstance(column, str) else column
        return self.proxy.index(view_row, c).data()

    def selected_rows(self) -> list[int]:
        return sorted({i.row() for i in self.table.selectionModel().selectedRows()})

    def select_rows(self, rows: list[int]) -> None:
        sel = self.table.selectionModel()
        sel.clearSelection()
        for row in rows:
            sel.select(
                self.proxy.index(row, 0),
                QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
            )

    def _on_selection(self) -> None:
        rows = self.selected_rows()
        self.rerun_button.setEnabled(len(rows) == 1)
        self.rename_button.setEnabled(len(rows) == 1)
        self.trash_button.setEnabled(bool(rows))
        if len(rows) == 1:
            self.open_run(rows[0])
        elif len(rows) > 1:
            self.compare_selected()

    def _on_double_click(self, index: QModelIndex) -> None:
        if index.column() != NAME:  # a double click on the name edits it
            self.open_run(index.row())

    def open_run(self, view_row: int) -> None:
        self.details.show_record(self.record_at(view_row))
        self.right.setCurrentWidget(self.details)

    def compare_selected(self) -> None:
        self.compare.set_records([self.record_at(r) for r in self.selected_rows()])
        self.right.setCurrentWidget(self.compare)

    overlay_selected = compare_selected  # the name older callers use

    @property
    def overlay(self) -> RunOverlay:
        """The Compare tab's curves, built now if they were not yet (gui/widgets/deferred.py)."""
        return self.compare.overlay

    # ---- rename ------------------------------------------------------------------------------
    def _edit_name(self) -> None:
        rows = self.selected_rows()
        if len(rows) == 1:
            index = self.proxy.index(rows[0], NAME)
            self.table.setCurrentIndex(index)
            self.table.edit(index)

    def rename(self, view_row: int, name: str) -> bool:
        """Rename the run at ``view_row`` (one undo step); False when refused (the reason is shown)."""
        return self._rename_source(self._source_row(view_row), name)

    def _rename_source(self, source_row: int, name: str) -> bool:
        record = self.records[source_row]
        old = record.name
        try:
            new = rename_run(record.path, name)
        except RunError as exc:
            self.show_error(str(exc))
            return False
        self.undo.push(RenameRun(self, record.path, old, new))
        self.reload_run(record.path)
        return True

    def reload_run(self, path: Path) -> None:
        """Read one run folder again after its files changed (keeps the selection on it)."""
        records = list(self.records)
        for i, r in enumerate(records):
            if r.path == path:
                try:
                    records[i] = load_run(path)
                except RunError as exc:
                    self.show_error(str(exc))
                    return
        self._show_records(records)

    # ---- trash -------------------------------------------------------------------------------
    def trash_rows(self, view_rows: list[int], *, confirm: bool = True) -> int:
        """Move the runs at ``view_rows`` to the trash, after asking; one undo step. Returns how many moved."""
        records = [self.record_at(r) for r in view_rows]
        if not records:
            return 0
        if confirm:
            what = f"“{records[0].name}”" if len(records) == 1 else f"these {len(records)} runs"
            listed = "\n".join(f"• {r.name} ({r.path.name})" for r in records[:10])
            more = f"\n… and {len(records) - 10} more" if len(records) > 10 else ""
            answer = dialogs.ask(
                self.window(),
                "Move runs to the trash",
                f"Move {what} to the trash?",
                [
                    ("Move to Trash", QMessageBox.ButtonRole.DestructiveRole),
                    ("Cancel", QMessageBox.ButtonRole.RejectRole),
                ],
                default=1,
                informative=f"{listed}{more}\n\nThey go to {Path(self.state.runs_dir) / TRASH_DIR}; "
                "Edit > Undo (Ctrl+Z) in the Runs area brings them back.",
            )
            if answer != 0:
                return 0
        moved, errors = [], []
        for r in records:
            try:
                moved.append((r.path, trash_run(r.path)))
            except RunError as exc:
                errors.append(str(exc))
        if moved:
            names = [r.name for r in records if any(r.path == o for o, _ in moved)]
            self.undo.push(TrashRuns(self, moved, names))
            self.forget_runs([o for o, _ in moved])
        if errors:
            self.show_error("\n".join(errors))
        return len(moved)

    def forget_runs(self, paths: list[Path]) -> None:
        gone = set(paths)
        if self.details.record is not None and self.details.record.path in gone:
            self.details.clear("The run was moved to the trash (Edit > Undo brings it back).")
        self._show_records([r for r in self.records if r.path not in gone])

    def add_runs(self, paths: list[Path]) -> None:
        records = [r for r in self.records if r.path not in set(paths)]
        for path in paths:
            try:
                records.append(load_run(path))
            except RunError as exc:
                self.show_error(str(exc))
        self._show_records(records)

    def show_error(self, message: str) -> None:
        dialogs.show_error(self.window(), ErrorInfo(message, "", True), title="Runs")

    # ---- re-run ------------------------------------------------------------------------------
    def rerun(self, view_row: int) -> None:
        """Ask for the run's configuration to be trained again: ``rerun_requested(RunConfig)``; the main
        window asks before replacing the settings on screen and loads its inputs."""
        record = self.record_at(view_row)
        try:
            cfg = record.run_config()
        except ConfigError as exc:
            dialogs.show_error(self.window(), ErrorInfo(f"{record.path}: {exc}", "", True))
            return
        cfg.runs_dir = ""  # new runs go to the current runs folder, wherever this one was
        self.rerun_requested.emit(cfg)
