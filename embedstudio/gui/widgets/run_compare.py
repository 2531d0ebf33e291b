"""Compare several runs: a side-by-side metrics table (one column per run), the settings that differ
between them, and their validation curves overlaid.

Threads: GUI thread only; everything shown comes from RunRecords already read by the Runs list.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from embedstudio.core.runs import RunRecord, config_diff
from embedstudio.gui.widgets.deferred import DeferredWidget

if TYPE_CHECKING:
    from embedstudio.gui.widgets.plot_curves import RunOverlay

# (row label, tooltip, value of a record, format, True when higher is better / None: no "best")
METRIC_ROWS: tuple[tuple[str, str, Any, str, bool | None], ...] = (
    ("Test accuracy", "Share of test texts classified correctly", lambda r: r.test_accuracy, "{:.3f}", True),
    ("Macro-F1", "F1 averaged over the classes, each counting the same", lambda r: r.macro_f1, "{:.3f}", True),
    (
        "vs TF-IDF accuracy",
        "Points of accuracy above (+) or below (−) TF-IDF + LinearSVC on the same split",
        lambda r: (r.vs_tfidf or {}).get("accuracy_points"),
        "{:+.1f}",
        True,
    ),
    (
        "vs TF-IDF macro-F1",
        "Points of macro-F1 above (+) or below (−) TF-IDF + LinearSVC on the same split",
        lambda r: (r.vs_tfidf or {}).get("macro_f1_points"),
        "{:+.1f}",
        True,
    ),
    ("Epochs", "Epochs trained", lambda r: r.epochs, "{:d}", None),
    ("Seconds", "Wall time of the whole run (set-up, training, evaluation)", lambda r: r.seconds, "{:,.1f}", None),
)
MISSING = "—"


def _setting_label(path: str) -> str:
    """The field's label from its spec ("Epochs"), with the dotted path for settings it does not know."""
    import re

    from embedstudio.core.config import spec_of

    try:
        label = spec_of(path).label
    except KeyError:
        return path
    index = re.search(r"\[(\d+)\]", path)
    return f"{label} (file {int(index.group(1)) + 1})" if index else label


def _format_setting(value: Any) -> str:
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value) if str(value) else "(empty)"


def _item(text: str, *, tip: str = "", right: bool = False, bold: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if tip:
        item.setToolTip(tip)
    if right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if bold:
        font = item.font()
        font.setBold(True)
        item.setFont(font)
    return item


def _table() -> QTableWidget:
    t = QTableWidget(0, 0)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setWordWrap(False)
    t.setTextElideMode(Qt.TextElideMode.ElideMiddle)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    t.horizontalHeader().setMinimumSectionSize(90)
    t.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    t.verticalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    return t


def _run_overlay() -> RunOverlay:
    from embedstudio.gui.widgets.plot_curves import RunOverlay

    return RunOverlay()


class RunCompare(QWidget):
    """``set_records(records)``; ``metrics`` and ``settings`` are the two tables (one column per run),
    ``overlay`` the curves. ``metric_text(label, column)`` / ``setting_rows()`` read what is shown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.records: list[RunRecord] = []
        self.title = QLabel("<i>Select two or more runs in the list to compare them.</i>")
        self.title.setWordWrap(True)
        self.metrics = _table()
        self.metrics.setToolTip("Test metrics side by side; the best value of each row is in bold")
        self.settings = _table()
        self.settings.setToolTip("Only the settings that differ between the selected runs")
        self.same_note = QLabel()
        self.same_note.setWordWrap(True)
        self.same_note.setEnabled(False)
        settings_box = QWidget()
        lay = QVBoxLayout(settings_box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(QLabel("<b>Settings that differ</b>"))
        lay.addWidget(self.same_note)
        lay.addWidget(self.settings, 1)
        metrics_box = QWidget()
        lay = QVBoxLayout(metrics_box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(QLabel("<b>Test metrics</b>"))
        lay.addWidget(self.metrics, 1)
        self._overlay = DeferredWidget(_run_overlay)  # pyqtgraph: built after the window shows
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(metrics_box)
        split.addWidget(settings_box)
        split.addWidget(self._overlay)
        split.setSizes([165, 125, 420])
        split.setChildrenCollapsible(False)
        outer = QVBoxLayout(self)
        outer.addWidget(self.title)
        outer.addWidget(split, 1)

    @property
    def overlay(self) -> RunOverlay:
        """The curves, built now if they were not yet (gui/widgets/deferred.py)."""
        return self._overlay.widget()

    def set_records(self, records: Sequence[RunRecord]) -> None:
        self.records = list(records)
        self.title.setText(
            f"{len(self.records)} runs side by side." if self.records else "<i>Select two or more runs to compare.</i>"
        )
        self._fill_metrics()
        self._fill_settings()
        runs = [(r.name, r.metrics) for r in self.records]
        self._overlay.when_built(lambda overlay: overlay.set_runs(runs), "runs")

    def _headers(self, table: QTableWidget) -> None:
        table.setColumnCount(len(self.records))
        for c, r in enumerate(self.records):
            head = QTableWidgetItem(r.name)
            head.setToolTip(f"{r.name}\n{r.path}")
            table.setHorizontalHeaderItem(c, head)

    def _fill_metrics(self) -> None:
        t = self.metrics
        t.clear()
        t.setRowCount(len(METRIC_ROWS))
        self._headers(t)
        for row, (label, tip, get, fmt, higher_better) in enumerate(METRIC_ROWS):
            head = QTableWidgetItem(label)
            head.setToolTip(tip)
            t.setVerticalHeaderItem(row, head)
            values = [get(r) for r in self.records]
            known = [v for v in values if isinstance(v, (int, float))]
            best = max(known) if known and higher_better and len(known) > 1 else None
            for c, value in enumerate(values):
                text = fmt.format(value) if isinstance(value, (int, float)) else MISSING
                tip_text = "" if value is not None or row not in (2, 3) else "No TF-IDF comparison in this run's report"
                t.setItem(row, c, _item(text, tip=tip_text, right=True, bold=best is not None and value == best))

    def _fill_settings(self) -> None:
        t = self.settings
        t.clear()
        rows = config_diff([r.config for r in self.records]) if len(self.records) > 1 else []
        t.setRowCount(len(rows))
        self._headers(t)
        for row, (path, values) in enumerate(rows):
            head = QTableWidgetItem(_setting_label(path))
            head.setToolTip(path)
            t.setVerticalHeaderItem(row, head)
            for c, value in enumerate(values):
                text = _format_setting(value)
                t.setItem(row, c, _item(text, tip=text if len(text) > 30 else ""))
        if len(self.records) > 1 and not rows:
            self.same_note.setText("The selected runs were trained with the same settings.")
        else:
            self.same_note.setText("")
        self.same_note.setVisible(bool(self.same_note.text()))

    # ---- reading what is shown (tests, copy) -----------------------------------------------------
    def metric_text(self, label: str, column: int) -> str:
        row = next(i for i, m in enumerate(METRIC_ROWS) if m[0] == label)
        return _text(self.metrics.item(row, column))

    def setting_rows(self) -> dict[str, list[str]]:
        """``{dotted path: [text per run]}`` of the settings table."""
        t = self.settings
        return {
            t.verticalHeaderItem(r).toolTip(): [_text(t.item(r, c)) for c in range(t.columnCount())]
            for r in range(t.rowCount())
        }


def _text(item: QTableWidgetItem | None) -> str:
    return item.text() if item is not None else ""
