"""Runs area: every run folder in ``state.runs_dir``, one run's curves/report/config, an overlay of
several runs' validation curves, and re-running a run's configuration.

Threads: listing runs (JSON files only, no TensorFlow) runs in a Worker so that a folder with hundreds
of runs never blocks the GUI; everything else here runs on the GUI thread.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QPlainTextEdit, QPushButton,
                               QSplitter, QTableView, QTabWidget, QVBoxLayout, QWidget)

from embedstudio.core.errors import ConfigError
from embedstudio.core.runs import RunRecord, list_runs
from embedstudio.gui.state import AppState
from embedstudio.gui import dialogs
from embedstudio.gui.widgets.results_view import ResultsView
from embedstudio.gui.jobs import ErrorInfo, JobRunner, WorkerPool
from embedstudio.gui.widgets.plot_curves import RunOverlay, TrainingCurves
from embedstudio.gui.widgets.table_model import ColumnTableModel

COLUMNS = ("Name", "Date", "Preset", "Status", "Test accuracy", "Macro-F1")
BASELINE_LABELS = {"tfidf_linear": "TF-IDF", "fasttext_supervised": "fastText"}


def list_runs_job(runs_dir: Path, *, reporter, cancel) -> list[RunRecord]:
    return list_runs(runs_dir, reporter=reporter)


def _number(value: float | None) -> float | str:
    return round(value, 4) if value is not None else ""


class RunDetails(QWidget):
    """One run: its curves, its results (the same view as after training) and its configuration."""

    def __init__(self, pool: WorkerPool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.record: RunRecord | None = None
        self.curves = TrainingCurves()
        self.results = ResultsView(pool)
        self.config_text = QPlainTextEdit()
        self.config_text.setReadOnly(True)
        self.config_text.setPlaceholderText("Open a run to see the configuration it was trained with.")
        self.tabs = QTabWidget()
        self.tabs.addTab(self.curves, "Curves")
        self.tabs.addTab(self.results, "Report")
        self.tabs.addTab(self.config_text, "Configuration")
        QVBoxLayout(self).addWidget(self.tabs)

    def show_record(self, record: RunRecord) -> None:
        self.record = record
        self.curves.set_history(record.metrics)
        message = record.message or "; ".join(record.problems)
        self.results.show_run(record.path, record.report, status=record.status, message=message, name=record.name)
        self.config_text.setPlainText(json.dumps(record.config, indent=2, ensure_ascii=False))
        if not record.metrics and record.report:  # a baseline has a report but no training curves
            self.tabs.setCurrentWidget(self.results)


class RunsPanel(QWidget):
    """The Runs area. Public: ``refresh() -> Worker``, ``records``, ``select_rows(rows)``, ``open_run(row)``,
    ``overlay_selected()``, ``rerun(row)``; signal ``rerun_requested(RunConfig)``, and ``refreshed``.

    Re-run emits ``rerun_requested`` with the run's configuration; the main window connects it.
    """

    rerun_requested = Signal(object)
    refreshed = Signal()

    def __init__(self, state: AppState, pool: WorkerPool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state, self.pool = state, pool
        self.records: list[RunRecord] = []
        self._build()
        self.list_jobs = JobRunner(pool, self, status=self.status, busy_widgets=[self.refresh_button])
        state.run_finished.connect(lambda _path: self.refresh())
        state.runs_dir_changed.connect(lambda _path: self.refresh())
        self.refresh()

    def _build(self) -> None:
        self.model = ColumnTableModel(COLUMNS, [[] for _ in COLUMNS])
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(1, Qt.DescendingOrder)  # newest first
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.table.setTextElideMode(Qt.ElideMiddle)
        self.table.setWordWrap(False)
        self.table.setToolTip("Select one run to open it, several to compare their validation curves")
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._on_selection())
        self.table.doubleClicked.connect(lambda index: self.open_run(index.row()))

        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Read the runs folder again")
        self.refresh_button.clicked.connect(self.refresh)
        self.rerun_button = QPushButton("Re-run")
        self.rerun_button.setToolTip("Load this run's configuration and train it again (a new run folder)")
        self.rerun_button.clicked.connect(lambda: self.rerun(self.selected_rows()[0]))
        self.folder = QLabel()
        self.folder.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.status = QLabel()
        buttons = QHBoxLayout()
        buttons.addWidget(self.refresh_button)
        buttons.addWidget(self.rerun_button)
        from embedstudio.gui.widgets.baselines_action import BaselinesAction
        from embedstudio.gui.widgets.study_view import StudiesList

        self.baselines = BaselinesAction(self.state, self.pool)  # its runs appear here through run_finished
        buttons.addWidget(self.baselines, 1)
        left = QWidget()
        left_lay = QVBoxLayout(left)
        left_lay.setContentsMargins(0, 0, 0, 0)
        left_lay.addLayout(buttons)
        left_lay.addWidget(self.folder)
        left_lay.addWidget(self.table, 1)
        left_lay.addWidget(self.status)

        self.overlay = RunOverlay()
        self.details = RunDetails(self.pool)
        self.right = QTabWidget()
        self.right.addTab(self.details, "Run")
        self.right.addTab(self.overlay, "Compare")
        self.studies = StudiesList(self.state, self.pool)  # "Compare embeddings…" and the study folders
        self.right.addTab(self.studies, "Studies")
        split = QSplitter(Qt.Horizontal)
        split.addWidget(left)
        split.addWidget(self.right)
        split.setSizes([680, 600])  # room for run names beside five columns
        QVBoxLayout(self).addWidget(split)
        self._on_selection()

    # ---- listing -----------------------------------------------------------------------
    def refresh(self):
        """Re-read the runs folder (in a Worker); returns the Worker."""
        self.folder.setText(f"Folder: {self.state.runs_dir}")
        self.studies.refresh()
        return self.list_jobs.start(list_runs_job, Path(self.state.runs_dir), name="Listing runs",
                                    on_result=self._show_records)

    def _show_records(self, records: list[RunRecord]) -> None:
        opened = self.details.record.path if self.details.record else None
        self.records = records
        columns = [[r.name for r in records],
                   [r.created.strftime("%Y-%m-%d %H:%M") if r.created else "" for r in records],
                   # a baseline run shows which baseline, not the preset of the configuration it was made beside
                   [BASELINE_LABELS.get(str(r.description.get("baseline")), str(r.description.get("baseline")))
                    if r.description.get("baseline") else str((r.config.get("model") or {}).get("preset", ""))
                    for r in records],
                   [r.status for r in records],
                   [_number(r.test_accuracy) for r in records],
                   [_number(r.macro_f1) for r in records]]
        self.model.set_data(COLUMNS, columns)
        header = self.table.horizontalHeader()
        if header.sortIndicatorSection() >= 0:  # keep the user's sort order across refreshes
            self.model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        self.status.setText(f"{len(records)} run(s)" if records else "No runs yet: train a model in Training.")
        if opened is not None:
            rows = [i for i, r in enumerate(records) if r.path == opened]
            if rows:
                self.select_rows(rows)
        self._on_selection()
        self.refreshed.emit()

    # ---- selection -----------------------------------------------------------------------
    def record_at(self, view_row: int) -> RunRecord:
        return self.records[self.model.source_row(view_row)]

    def selected_rows(self) -> list[int]:
        return sorted({i.row() for i in self.table.selectionModel().selectedRows()})

    def select_rows(self, rows: list[int]) -> None:
        sel = self.table.selectionModel()
        sel.clearSelection()
        for row in rows:
            sel.select(self.model.index(row, 0), QItemSelectionModel.Select | QItemSelectionModel.Rows)

    def _on_selection(self) -> None:
        rows = self.selected_rows()
        self.rerun_button.setEnabled(len(rows) == 1)
        if len(rows) == 1:
            self.open_run(rows[0])
        elif len(rows) > 1:
            self.overlay_selected()

    def open_run(self, view_row: int) -> None:
        self.details.show_record(self.record_at(view_row))
        self.right.setCurrentWidget(self.details)

    def overlay_selected(self) -> None:
        runs = [self.record_at(r) for r in self.selected_rows()]
        self.overlay.set_runs([(r.name, r.metrics) for r in runs])
        self.right.setCurrentWidget(self.overlay)

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
