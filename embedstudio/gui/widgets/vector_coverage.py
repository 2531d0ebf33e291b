"""Coverage of the current dataset's vocabulary and tokens by a vector file (computed in a Worker)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from embedstudio.gui.jobs import JobRunner, WorkerPool
from embedstudio.gui.state import AppState
from embedstudio.gui.widgets.table_model import ColumnTableModel


def compute_coverage(texts: list[str], wv, *, standardize: str, max_tokens: int, reporter, cancel):
    """The vocabulary the classifier would use (most frequent ``max_tokens`` − 2 tokens, Keras order),
    checked against ``wv``. Runs in a Worker (token counting uses TensorFlow's string ops)."""
    from embedstudio.core.embedding import SPECIAL_TOKENS, coverage_report
    from embedstudio.core.text import token_counts

    reporter.progress(0, None, "counting tokens")
    counts = token_counts(texts, standardize, cancel=cancel)
    cancel.raise_if_cancelled()
    reporter.progress(0.7, 1.0, "looking words up")
    vocabulary = list(SPECIAL_TOKENS) + [w for w, _ in counts.most_common(max(max_tokens - len(SPECIAL_TOKENS), 0))]
    report = coverage_report(vocabulary, counts, wv, top_n=500)
    if wv.has_subwords:
        # A fastText .bin model builds a vector for every missing word from its character n-grams.
        report.subword_filled = report.vocab_size - report.covered
    reporter.progress(1.0, 1.0, "done")
    return report


class CoverageWidget(QWidget):
    def __init__(self, state: AppState, pool: WorkerPool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.wv = None
        self.report = None
        self.compute_button = QPushButton("Compute coverage")
        self.compute_button.setToolTip("How many of the dataset's words (and running tokens) have a vector")
        self.cancel_button = QPushButton("Cancel")
        self.progress = QProgressBar(textVisible=False)
        self.progress.setMaximumWidth(200)
        self.summary = QLabel("Import a dataset and load a vector file, then compute coverage.")
        self.summary.setWordWrap(True)
        self._build_table()
        self.runner = JobRunner(
            pool,
            self,
            progress=self.progress,
            cancel_button=self.cancel_button,
            busy_widgets=[self.compute_button],
            status=None,
        )
        top = QHBoxLayout()
        for w in (self.compute_button, self.cancel_button, self.progress):
            top.addWidget(w)
        top.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.summary)
        lay.addWidget(self.table, 1)
        self.compute_button.clicked.connect(self.compute)
        state.dataset_changed.connect(lambda _ds: self._invalidate())
        self.set_vectors(None)

    def _build_table(self) -> None:
        """The most frequent words without a vector, with their counts."""
        self.model = ColumnTableModel(
            ("Word without a vector", "Count"),
            ((), ()),
            tooltips=("Most frequent vocabulary words the file does not list", "Occurrences in the training texts"),
        )
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)

    def set_vectors(self, wv) -> None:
        if wv is not self.wv:
            self.wv = wv
            self._invalidate()

    def _invalidate(self) -> None:
        self.report = None
        self._update_enabled()
        self.model.set_data(self.model_headers(), ((), ()))
        if self.wv is None or self.state.dataset is None:
            self.summary.setText("Import a dataset and load a vector file, then compute coverage.")
        else:
            self.summary.setText(f"Press 'Compute coverage' to check {self.wv.name} against the dataset.")

    def model_headers(self) -> tuple[str, str]:
        return ("Word without a vector", "Count")

    def _update_enabled(self) -> None:
        self.compute_button.setEnabled(
            self.wv is not None and self.state.dataset is not None and not self.runner.is_running()
        )

    def compute(self):
        if self.wv is None or self.state.dataset is None:
            return None
        text = self.state.config.text
        self.summary.setText("Counting tokens…")
        return self.runner.start(
            compute_coverage,
            list(self.state.dataset.train.texts),
            self.wv,
            standardize=text.standardize,
            max_tokens=text.max_tokens,
            name="Coverage",
            on_result=self._show,
        )

    def _show(self, report) -> None:
        self.report = report
        self.summary.setText(report.summary())
        words = [w for w, _ in report.top_oov]
        counts = [c for _, c in report.top_oov]
        self.model.set_data(self.model_headers(), (words, counts))
        self.table.sortByColumn(1, Qt.SortOrder.DescendingOrder)  # the report's order; the header arrow says so
