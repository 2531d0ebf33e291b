"""The results of one run: test metrics, confusion matrix, per-class table, misclassified texts, a box to
try the model on typed text, and export of the end-to-end ``.keras`` model.

Threads: GUI thread only; loading the model, predicting and copying the model file run in Workers
(through JobRunner, which drops the results of superseded jobs).
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from embedstudio.core.errors import RunError
from embedstudio.core.evaluation import report_warnings
from embedstudio.core.fileio import atomic_copy
from embedstudio.core.runs import MODEL_FILE, per_class_averages, read_misclassified
from embedstudio.gui.jobs import JobRunner, Worker, WorkerPool
from embedstudio.gui.widgets.deferred import DeferredWidget
from embedstudio.gui.widgets.palette import tone
from embedstudio.gui.widgets.table_model import ColumnTableModel

if TYPE_CHECKING:
    from embedstudio.core.jobs import CancelToken, Reporter
    from embedstudio.gui.widgets.results_confusion import ConfusionMatrixView

ANY = ""
DECIMALS = 3  # precision, recall and F1 everywhere in this view
PINNED_ROLE = Qt.ItemDataRole.UserRole + 1  # average rows stay below the classes whichever way the table is sorted
PER_CLASS_COLUMNS = ("Class", "Precision", "Recall", "F1", "Support")


# ---- jobs (worker thread) ---------------------------------------------------------------------
def predict_job(
    run_dir: Path, model: Any, text: str, *, reporter: Reporter, cancel: CancelToken
) -> tuple[Any, dict[str, float], list[str]]:
    """Class probabilities of ``text`` and its flags (empty, truncated, oov: ``predict_detailed``); loads the
    run's model when ``model`` is None and returns it for reuse."""
    from embedstudio.gui.heavy_imports import import_tensorflow

    import_tensorflow()
    from embedstudio.core.evaluation import check_model_outputs, load_run_model, predict_detailed, run_classes

    if model is None:
        reporter.progress(0, None, "Loading the model")
        model = load_run_model(run_dir)
    cancel.raise_if_cancelled()
    classes = run_classes(run_dir)
    check_model_outputs(model, classes, run_dir)
    detail = predict_detailed(model, [text], classes=classes)[0]
    return model, detail["probabilities"], list(detail.get("flags", []))


def copy_model_job(source: Path, target: Path, *, reporter: Reporter, cancel: CancelToken) -> Path:
    """Copy ``source`` to ``target`` atomically (core ``fileio.atomic_copy``)."""
    if not source.is_file():
        raise RunError(f"{source.parent} has no {MODEL_FILE}: the run stopped before a model was saved.")
    return atomic_copy(source, target, cancel=cancel)


# ---- misclassified browser -----------------------------------------------------------------------
class MisclassifiedFilter(QSortFilterProxyModel):
    """Filters rows by words in the text and by true / predicted class."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.words = ""
        self.true_class = ANY
        self.predicted_class = ANY
        self.setSortRole(Qt.ItemDataRole.UserRole)

    def set_filter(self, words: str, true_class: str, predicted_class: str) -> None:
        self.beginFilterChange()
        self.words, self.true_class, self.predicted_class = words.lower().strip(), true_class, predicted_class
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, row: int, parent: QModelIndex | QPersistentModelIndex) -> bool:
        src = cast(ColumnTableModel, self.sourceModel())  # the misclassified browser sets a ColumnTableModel
        text, true, predicted = (src.value(row, c) for c in range(3))
        if self.true_class and str(true) != self.true_class:
            return False
        if self.predicted_class and str(predicted) != self.predicted_class:
            return False
        return not self.words or self.words in str(text).lower()


class MisclassifiedBrowser(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ColumnTableModel(("Text", "True", "Predicted", "Confidence"), [[] for _ in range(4)])
        self.proxy = MisclassifiedFilter(self)
        self.proxy.setSourceModel(self.model)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter by words in the text…")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip("Show only misclassified texts containing these characters (case-insensitive)")
        self.true_combo, self.pred_combo = QComboBox(), QComboBox()
        self.true_combo.setToolTip("Only texts whose true class is this one")
        self.pred_combo.setToolTip("Only texts the model assigned to this class")
        self.count = QLabel()
        bar = QHBoxLayout()
        bar.addWidget(self.search, 2)
        bar.addWidget(QLabel("true:"))
        bar.addWidget(self.true_combo, 1)
        bar.addWidget(QLabel("predicted:"))
        bar.addWidget(self.pred_combo, 1)
        bar.addWidget(self.count)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        # the most confident mistakes first, as the run lists them
        self.table.sortByColumn(3, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c in (1, 2, 3):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        self.full_text = QPlainTextEdit()
        self.full_text.setReadOnly(True)
        self.full_text.setPlaceholderText("Select a row to read the whole text.")
        self.full_text.setMaximumHeight(110)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(bar)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.full_text)
        self.search.textChanged.connect(self._apply_filter)
        self.true_combo.currentIndexChanged.connect(self._apply_filter)
        self.pred_combo.currentIndexChanged.connect(self._apply_filter)
        self.table.selectionModel().currentRowChanged.connect(self._show_text)

    def set_rows(self, rows: list[dict], classes: list[str]) -> None:
        columns = [
            [r.get("text", "") for r in rows],
            [str(r.get("true", "")) for r in rows],
            [str(r.get("predicted", "")) for r in rows],
            [round(float(r.get("confidence", 0.0)), 4) for r in rows],
        ]
        self.model.set_data(("Text", "True", "Predicted", "Confidence"), columns)
        for combo in (self.true_combo, self.pred_combo):
            combo.blockSignals(True)
            combo.clear()
            combo.addItem("any", ANY)
            for c in classes:
                combo.addItem(c, c)
            combo.blockSignals(False)
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.full_text.clear()
        self._apply_filter()

    def show_pair(self, true_class: str, predicted_class: str = ANY) -> None:
        """Show only the texts of ``true_class`` predicted as ``predicted_class`` (ANY: any wrong class)."""
        for combo, value in ((self.true_combo, true_class), (self.pred_combo, predicted_class)):
            combo.blockSignals(True)
            combo.setCurrentIndex(max(0, combo.findData(value)))
            combo.blockSignals(False)
        self._apply_filter()

    def _apply_filter(self, *_args) -> None:
        self.proxy.set_filter(
            self.search.text(), self.true_combo.currentData() or ANY, self.pred_combo.currentData() or ANY
        )
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.count.setText(f"{shown} of {total}" if shown != total else f"{total} text{'' if total == 1 else 's'}")

    def _show_text(self, current, _previous) -> None:
        if current.isValid():
            src = self.proxy.mapToSource(current)
            self.full_text.setPlainText(str(self.model.value(src.row(), 0)))


# ---- per-class table ---------------------------------------------------------------------------------
class PinnedSort(QSortFilterProxyModel):
    """Sorts by ``Qt.ItemDataRole.UserRole`` values, keeping rows marked ``PINNED_ROLE`` (the averages) at the end."""

    def lessThan(self, left, right) -> bool:  # noqa: N802 - Qt's name
        src = self.sourceModel()
        lp = src.index(left.row(), 0).data(PINNED_ROLE) or 0
        rp = src.index(right.row(), 0).data(PINNED_ROLE) or 0
        if lp or rp:
            descending = self.sortOrder() == Qt.SortOrder.DescendingOrder
            return (lp < rp) != descending  # pinned rows last in either order
        a, b = left.data(Qt.ItemDataRole.UserRole), right.data(Qt.ItemDataRole.UserRole)
        if isinstance(a, str) or isinstance(b, str):
            return str(a).lower() < str(b).lower()
        return (a or 0) < (b or 0)


def _cell(value: object, *, pinned: int = 0) -> QStandardItem:
    if isinstance(value, float):
        item = QStandardItem(f"{value:.{DECIMALS}f}")
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    elif isinstance(value, int):
        item = QStandardItem(f"{value:,}")
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    else:
        item = QStandardItem(str(value))
    item.setData(value, Qt.ItemDataRole.UserRole)
    item.setData(pinned, PINNED_ROLE)
    item.setEditable(False)
    if pinned:
        font = item.font()
        font.setItalic(True)
        item.setFont(font)
    return item


class PerClassTable(QTableView):
    """Precision, recall, F1 and support per class, then the macro and weighted averages (always last).
    ``set_report_rows(per_class)``; ``rows()`` gives what is shown, as ``{class: [texts]}``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = QStandardItemModel(0, len(PER_CLASS_COLUMNS), self)
        self.source.setHorizontalHeaderLabels(list(PER_CLASS_COLUMNS))
        self.proxy = PinnedSort(self)
        self.proxy.setSourceModel(self.source)
        self.setModel(self.proxy)
        self.verticalHeader().setVisible(False)
        self.setSortingEnabled(True)
        self.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # the report's class order
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # the class names take the spare width
        for c in range(1, len(PER_CLASS_COLUMNS)):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)  # numbers: as wide as they are
        fm = header.fontMetrics()
        numbers = sum(fm.horizontalAdvance(h) + 28 for h in PER_CLASS_COLUMNS[1:])
        self.setMinimumWidth(numbers + fm.horizontalAdvance("weighted avg") + 36)  # every column readable

    def set_report_rows(self, per_class: dict) -> None:
        self.setSortingEnabled(False)
        self.source.removeRows(0, self.source.rowCount())
        for cls, m in per_class.items():
            self.source.appendRow(
                [_cell(str(cls))]
                + [_cell(float(m.get(k, 0.0))) for k in ("precision", "recall", "f1")]
                + [_cell(int(m.get("support", 0)))]
            )
        if per_class:
            for n, (label, m) in enumerate(per_class_averages(per_class).items(), start=1):
                self.source.appendRow(
                    [_cell(label, pinned=n)]
                    + [_cell(float(m[k]), pinned=n) for k in ("precision", "recall", "f1")]
                    + [_cell(int(m["support"]), pinned=n)]
                )
        self.setSortingEnabled(True)
        self.proxy.sort(self.horizontalHeader().sortIndicatorSection(), self.horizontalHeader().sortIndicatorOrder())

    def rows(self) -> dict[str, list[str]]:
        """What each row shows, in view order, keyed by the first column."""
        out = {}
        for r in range(self.proxy.rowCount()):
            texts = [str(self.proxy.index(r, c).data()) for c in range(len(PER_CLASS_COLUMNS))]
            out[texts[0]] = texts[1:]
        return out


# ---- predict box ----------------------------------------------------------------------------------
class PredictBox(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.input = QPlainTextEdit()
        self.input.setPlaceholderText("Type or paste a text, then press Predict (Ctrl+Enter).")
        self.input.setMaximumHeight(120)
        self.button = QPushButton("Predict")
        self.button.setToolTip("Classify the text with this run's model (Ctrl+Enter)")
        self.button.setShortcut("Ctrl+Return")
        self.status = QLabel()
        self.flags = QLabel()
        self.flags.setStyleSheet(f"color: {tone(self, 'warning')};")
        self.flags.setToolTip(
            "What the model saw of the text: empty, truncated (cut at the sequence length), "
            "oov (most tokens outside the vocabulary)"
        )
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Class", "Probability"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        row = QHBoxLayout()
        row.addWidget(self.button)
        row.addWidget(self.status, 1)
        row.addWidget(self.flags)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.input)
        lay.addLayout(row)
        lay.addWidget(self.table, 1)

    def show_probabilities(self, probs: dict[str, float]) -> None:
        ordered = sorted(probs.items(), key=lambda kv: -kv[1])
        self.table.setRowCount(len(ordered))
        for r, (cls, p) in enumerate(ordered):
            self.table.setItem(r, 0, QTableWidgetItem(cls))
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setValue(int(round(1000 * p)))
            bar.setFormat(f"{p:.3f}")
            bar.setTextVisible(True)
            self.table.setCellWidget(r, 1, bar)


# ---- the view ------------------------------------------------------------------------------------
class ResultsView(QWidget):
    """``show_run(run_dir, report, status=, message=)``; ``predict(text)`` and ``export_model(path)`` return
    the Worker they start. Signals: ``prediction_ready(dict)``, ``exported(Path)``."""

    prediction_ready = Signal(object)
    exported = Signal(object)

    def __init__(self, pool: WorkerPool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pool = pool
        self.run_dir: Path | None = None
        self.report: dict | None = None
        self.probabilities: dict[str, float] | None = None
        self.flags: list[str] = []
        self._model: Any = None
        self._build()
        self.predict_jobs = JobRunner(
            pool, self, status=self.predict_box.status, busy_widgets=[self.predict_box.button]
        )
        self.export_jobs = JobRunner(pool, self, busy_widgets=[self.export_button])
        self.clear()

    def _build(self) -> None:
        self.headline = QLabel()
        self.headline.setTextFormat(Qt.TextFormat.RichText)
        self.headline.setWordWrap(True)
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.versus = QLabel()  # "vs TF-IDF: +x points accuracy, +y macro-F1" (report["vs_tfidf"])
        self.versus.setWordWrap(True)
        self.versus.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {tone(self, 'warning')};")
        self.export_button = QPushButton("Export Model…")
        self.export_button.setToolTip("Save the end-to-end .keras model (raw text in, class probabilities out)")
        self.export_button.clicked.connect(self.export_dialog)
        top = QHBoxLayout()
        top.addWidget(self.headline, 1)
        top.addWidget(self.export_button, 0, Qt.AlignmentFlag.AlignTop)

        self._confusion = DeferredWidget(self._make_confusion)  # pyqtgraph: built after the window shows
        self.percent_box = QCheckBox("Row percentages")
        self.percent_box.setToolTip("Print each cell's share of its true class instead of the count")
        self.percent_box.toggled.connect(lambda on: self._confusion.when_built(lambda v: v.set_percentages(on), "%"))
        hint = QLabel("Click a cell to list its texts.")
        hint.setEnabled(False)  # drawn in the palette's disabled (muted) text colour
        confusion_bar = QHBoxLayout()
        confusion_bar.addWidget(self.percent_box)
        confusion_bar.addStretch(1)
        confusion_bar.addWidget(hint)
        confusion_box = QWidget()
        confusion_lay = QVBoxLayout(confusion_box)
        confusion_lay.setContentsMargins(0, 0, 0, 0)
        confusion_lay.addLayout(confusion_bar)
        confusion_lay.addWidget(self._confusion, 1)
        self.per_class = PerClassTable()
        metrics = QSplitter(Qt.Orientation.Horizontal)
        metrics.addWidget(confusion_box)
        metrics.addWidget(self.per_class)
        metrics.setStretchFactor(0, 3)
        metrics.setStretchFactor(1, 2)

        self.misclassified = MisclassifiedBrowser()
        self.predict_box = PredictBox()
        self.predict_box.button.clicked.connect(lambda: self.predict(self.predict_box.input.toPlainText()))
        self.tabs = QTabWidget()
        self.tabs.addTab(metrics, "Test metrics")
        self.tabs.addTab(self.misclassified, "Misclassified")
        self.tabs.addTab(self.predict_box, "Try it")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addWidget(self.versus)
        lay.addWidget(self.message)
        lay.addWidget(self.tabs, 1)
        lay.addStretch(0)  # with no report the headline and notes stay at the top

    def _make_confusion(self) -> ConfusionMatrixView:
        from embedstudio.gui.widgets.results_confusion import ConfusionMatrixView

        view = ConfusionMatrixView()
        view.cell_clicked.connect(self.show_mistakes)
        return view

    @property
    def confusion(self) -> ConfusionMatrixView:
        """The confusion-matrix plot, built now if it was not yet (gui/widgets/deferred.py)."""
        return self._confusion.widget()

    def clear(self, text: str = "Train a model (or open a run) to see its test results here.") -> None:
        self.run_dir, self.report, self._model, self.probabilities = None, None, None, None
        self.headline.setText(f"<i>{text}</i>")
        self.message.setVisible(False)
        self.export_button.setEnabled(False)
        self.predict_box.button.setEnabled(False)
        self._confusion.when_built(lambda v: v.set_matrix([], []), "matrix")
        self.per_class.set_report_rows({})
        self.misclassified.set_rows([], [])
        self.predict_box.table.setRowCount(0)
        self.predict_box.flags.setText("")
        self.versus.setVisible(False)
        self.tabs.setVisible(False)

    def show_run(
        self, run_dir: str | os.PathLike, report: dict | None, *, status: str = "", message: str = "", name: str = ""
    ) -> None:
        self.clear()
        self.run_dir = Path(run_dir)
        self.report = report
        has_model = (self.run_dir / MODEL_FILE).is_file()
        self.export_button.setEnabled(has_model)
        self.predict_box.button.setEnabled(has_model)
        self.headline.setText(_headline(name or self.run_dir.name, status, report))
        vs = (report or {}).get("vs_tfidf")
        if isinstance(vs, dict) and "accuracy_points" in vs:
            from embedstudio.core.baselines import comparison_line

            self.versus.setText(comparison_line(vs))
            self.versus.setStyleSheet(f"color: {tone(self, 'good' if vs['accuracy_points'] >= 0 else 'bad')};")
            self.versus.setVisible(True)
        self.message.setStyleSheet(f"color: {tone(self, 'warning')};")  # the palette may have changed
        notes = [message] if message else []
        notes += report_warnings(report)
        if report and report.get("unknown_labels"):
            notes.append("Test labels the training data never had: " + ", ".join(report["unknown_labels"]))
        self.message.setText("\n".join(notes))
        self.message.setVisible(bool(notes))
        self.tabs.setVisible(bool(report) or has_model)
        for index in (0, 1):
            self.tabs.setTabEnabled(index, bool(report))
        if not report and has_model:
            self.tabs.setCurrentWidget(self.predict_box)
        if report:
            classes = [str(c) for c in report.get("classes", [])]
            matrix = report.get("confusion_matrix", [])
            self._confusion.when_built(lambda v: v.set_matrix(matrix, classes), "matrix")
            self.per_class.set_report_rows(report.get("per_class", {}))
            self.misclassified.set_rows(read_misclassified(self.run_dir), classes)

    def show_mistakes(self, true_class: str, predicted_class: str) -> None:
        """The misclassified texts of one confusion-matrix cell (a diagonal cell: all of that class's)."""
        self.misclassified.show_pair(true_class, ANY if predicted_class == true_class else predicted_class)
        self.tabs.setCurrentWidget(self.misclassified)

    # ---- predict -----------------------------------------------------------------------------
    def predict(self, text: str) -> Worker | None:
        if self.run_dir is None:
            return None
        run_dir = self.run_dir
        return self.predict_jobs.start(
            predict_job,
            run_dir,
            self._model,
            text,
            name="Predicting",
            on_result=partial(self._show_prediction, run_dir),
        )

    def _show_prediction(self, run_dir: Path, result: tuple[Any, dict[str, float], list[str]]) -> None:
        if run_dir != self.run_dir:
            return  # another run was opened meanwhile
        self._model, probs, flags = result
        self.probabilities, self.flags = probs, flags
        self.predict_box.show_probabilities(probs)
        self.predict_box.status.setText("")
        self.predict_box.flags.setText(("⚠ " + "; ".join(flags)) if flags else "")
        self.prediction_ready.emit(probs)

    # ---- export ------------------------------------------------------------------------------
    def export_dialog(self) -> None:
        if self.run_dir is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self, "Export model", str(Path.home() / f"{self.run_dir.name}.keras"), "Keras model (*.keras)"
        )
        if path:
            self.export_model(path)

    def export_model(self, path: str | os.PathLike) -> Worker | None:
        if self.run_dir is None:
            return None
        target = Path(path)
        if target.suffix != ".keras":
            target = target.with_name(target.name + ".keras")  # keras.saving.load_model needs the suffix
        return self.export_jobs.start(
            copy_model_job, self.run_dir / MODEL_FILE, target, name="Exporting the model", on_result=self._on_exported
        )

    def _on_exported(self, target: Path) -> None:
        self.exported.emit(target)
        self.confirm_export(target)

    def confirm_export(self, target: Path) -> QMessageBox:
        """A note with the exported file's path and "Show in Folder" (opens the folder in the file
        manager). Not blocking: the window stays usable while it is shown."""
        box = QMessageBox(self.window())
        box.setObjectName("exportedDialog")
        box.setIcon(QMessageBox.Icon.Information)
        box.setWindowTitle("Model exported")
        box.setText(f"The model was saved to:\n{target}")
        box.setInformativeText("It takes raw text and returns class probabilities (keras.saving.load_model).")
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        show = box.addButton("Show in Folder", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Ok)
        show.clicked.connect(lambda: self.show_in_folder(target))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.export_notice = box
        box.open()
        return box

    @staticmethod
    def show_in_folder(target: Path) -> bool:
        """Open the folder holding ``target`` in the desktop's file manager."""
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(target).parent)))


def _headline(name: str, status: str, report: dict | None) -> str:
    parts = [f"<b>{name}</b>"]
    if status:
        parts.append(status)
    if report:
        parts.append(
            f"test accuracy <b>{report.get('accuracy', 0):.3f}</b>, macro-F1 "
            f"<b>{report.get('macro_f1', 0):.3f}</b> on {report.get('n_samples', 0):,} texts"
        )
        if report.get("best_epoch"):
            parts.append(f"weights of epoch {report['best_epoch']}")
    else:
        parts.append("no test report")
    return " — ".join(parts)
