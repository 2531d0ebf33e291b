"""The results of one run: test metrics, confusion matrix, per-class table, misclassified texts, a box to
try the model on typed text, and export of the end-to-end ``.keras`` model.

Threads: GUI thread only; loading the model, predicting and copying the model file run in Workers
(through JobRunner, which drops the results of superseded jobs).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
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
from embedstudio.core.runs import MODEL_FILE, read_misclassified
from embedstudio.gui.jobs import JobRunner, WorkerPool
from embedstudio.gui.widgets.results_confusion import ConfusionMatrixView
from embedstudio.gui.widgets.table_model import ColumnTableModel

ANY = ""


# ---- jobs (worker thread) ---------------------------------------------------------------------
def predict_job(run_dir: Path, model: Any, text: str, *, reporter, cancel) -> tuple[Any, dict[str, float], list[str]]:
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


def copy_model_job(source: Path, target: Path, *, reporter, cancel) -> Path:
    """Copy ``source`` to ``target`` atomically (core ``fileio.atomic_copy``)."""
    if not source.is_file():
        raise RunError(f"{source.parent} has no {MODEL_FILE}: the run stopped before a model was saved.")
    return atomic_copy(source, target, cancel=cancel)


# ---- misclassified browser -----------------------------------------------------------------------
class MisclassifiedFilter(QSortFilterProxyModel):
    """Filters rows by words in the text and by true / predicted class."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.words = ""
        self.true_class = ANY
        self.predicted_class = ANY
        self.setSortRole(Qt.UserRole)

    def set_filter(self, words: str, true_class: str, predicted_class: str) -> None:
        self.beginFilterChange()
        self.words, self.true_class, self.predicted_class = words.lower().strip(), true_class, predicted_class
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, row: int, parent) -> bool:
        src = self.sourceModel()
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
        self.table.sortByColumn(3, Qt.DescendingOrder)  # the most confident mistakes first, as the run lists them
        self.table.setSelectionBehavior(QTableView.SelectRows)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.Stretch)
        for c in (1, 2, 3):
            header.setSectionResizeMode(c, QHeaderView.ResizeToContents)
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

    def _apply_filter(self, *_args) -> None:
        self.proxy.set_filter(
            self.search.text(), self.true_combo.currentData() or ANY, self.pred_combo.currentData() or ANY
        )
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.count.setText(f"{shown} of {total}" if shown != total else f"{total} texts")

    def _show_text(self, current, _previous) -> None:
        if current.isValid():
            src = self.proxy.mapToSource(current)
            self.full_text.setPlainText(str(self.model.value(src.row(), 0)))


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
        self.flags.setStyleSheet("color: #a04000;")
        self.flags.setToolTip(
            "What the model saw of the text: empty, truncated (cut at the sequence length), "
            "oov (most tokens outside the vocabulary)"
        )
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Class", "Probability"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.Stretch)
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
        self.headline.setTextFormat(Qt.RichText)
        self.headline.setWordWrap(True)
        self.headline.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.versus = QLabel()  # "vs TF-IDF: +x points accuracy, +y macro-F1" (report["vs_tfidf"])
        self.versus.setWordWrap(True)
        self.versus.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #a04000;")
        self.export_button = QPushButton("Export Model…")
        self.export_button.setToolTip("Save the end-to-end .keras model (raw text in, class probabilities out)")
        self.export_button.clicked.connect(self.export_dialog)
        top = QHBoxLayout()
        top.addWidget(self.headline, 1)
        top.addWidget(self.export_button, 0, Qt.AlignTop)

        self.confusion = ConfusionMatrixView()
        self.confusion.setToolTip("Rows: true class; columns: predicted class. Colour: share of the row.")
        self.per_class = QTableWidget(0, 5)
        self.per_class.setHorizontalHeaderLabels(["Class", "Precision", "Recall", "F1", "Support"])
        self.per_class.verticalHeader().setVisible(False)
        self.per_class.setEditTriggers(QTableWidget.NoEditTriggers)
        self.per_class.horizontalHeader().setSortIndicator(-1, Qt.AscendingOrder)  # the report's class order
        self.per_class.setSortingEnabled(True)
        self.per_class.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.per_class.horizontalHeader().setStretchLastSection(True)
        metrics = QSplitter(Qt.Horizontal)
        metrics.addWidget(self.confusion)
        metrics.addWidget(self.per_class)
        metrics.setSizes([500, 400])

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

    def clear(self, text: str = "Train a model (or open a run) to see its test results here.") -> None:
        self.run_dir, self.report, self._model, self.probabilities = None, None, None, None
        self.headline.setText(f"<i>{text}</i>")
        self.message.setVisible(False)
        self.export_button.setEnabled(False)
        self.predict_box.button.setEnabled(False)
        self.confusion.set_matrix([], [])
        self.per_class.setRowCount(0)
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
            self.versus.setStyleSheet("color: #1a7f37;" if vs["accuracy_points"] >= 0 else "color: #b42318;")
            self.versus.setVisible(True)
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
            self.confusion.set_matrix(report.get("confusion_matrix", []), classes)
            self._fill_per_class(report.get("per_class", {}))
            self.misclassified.set_rows(read_misclassified(self.run_dir), classes)

    def _fill_per_class(self, per_class: dict) -> None:
        t = self.per_class
        t.setSortingEnabled(False)
        t.setRowCount(len(per_class))
        for r, (cls, m) in enumerate(per_class.items()):
            t.setItem(r, 0, QTableWidgetItem(str(cls)))
            for c, key in enumerate(("precision", "recall", "f1", "support"), start=1):
                value = m.get(key, 0)
                item = QTableWidgetItem()
                item.setData(Qt.DisplayRole, int(value) if key == "support" else round(float(value), 3))
                item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                t.setItem(r, c, item)
        t.setSortingEnabled(True)

    # ---- predict -----------------------------------------------------------------------------
    def predict(self, text: str):
        if self.run_dir is None:
            return None
        run_dir = self.run_dir
        return self.predict_jobs.start(
            predict_job,
            run_dir,
            self._model,
            text,
            name="Predicting",
            on_result=lambda r, d=run_dir: self._show_prediction(d, r),
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

    def export_model(self, path: str | os.PathLike):
        if self.run_dir is None:
            return None
        target = Path(path)
        if target.suffix != ".keras":
            target = target.with_name(target.name + ".keras")  # keras.saving.load_model needs the suffix
        return self.export_jobs.start(
            copy_model_job, self.run_dir / MODEL_FILE, target, name="Exporting the model", on_result=self.exported.emit
        )


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
