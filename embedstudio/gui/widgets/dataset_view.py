"""What an import produced: summary, warnings, the documents (model/view, fast for 100k+ rows), charts."""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QLabel, QSplitter, QTableView, QTabWidget, QVBoxLayout, QWidget

from embedstudio.gui.widgets.charts import BarChart, Histogram
from embedstudio.gui.widgets.table_model import ColumnTableModel

DOC_COLUMNS = ("Split", "Label", "Words", "Text", "Source")
IMBALANCE_HIGHLIGHT = 0.5  # bars below half the mean class size are drawn in the warning colour


@dataclass
class ImportResult:
    """A Dataset plus what the panel shows about it, all computed in the worker."""

    dataset: object
    stats: object  # DatasetStats of the training table
    split: list[str]  # per row of train + test
    lengths: np.ndarray  # words per row


def import_with_stats(data_cfg, *, reporter, cancel) -> ImportResult:
    from embedstudio.core.datasets import dataset_statistics, load_dataset

    ds = load_dataset(data_cfg, reporter=reporter, cancel=cancel)
    reporter.progress(0, None, "computing statistics")
    stats = dataset_statistics(ds.train, ds.classes)
    texts = ds.train.texts + (ds.test.texts if ds.test is not None else [])
    lengths = np.fromiter((len(t.split()) for t in texts), dtype=np.int64, count=len(texts))
    split = ["train"] * len(ds.train) + ["test"] * (len(ds.test) if ds.test is not None else 0)
    return ImportResult(ds, stats, split, lengths)


def warning_lines(result: ImportResult) -> list[str]:
    ds, stats = result.dataset, result.stats
    lines = list(ds.report.warnings)
    if stats.empty and not any("empty" in w.lower() for w in lines):
        lines.append(f"{stats.empty:,} training documents are empty (no words left).")
    if stats.duplicates and not any("duplicate" in w.lower() for w in lines):
        lines.append(f"{stats.duplicates:,} training rows repeat an earlier text with the same label.")
    return lines


def summary_text(result: ImportResult) -> str:
    ds, stats, rep = result.dataset, result.stats, result.dataset.report
    n_test = len(ds.test) if ds.test is not None else 0
    parts = [
        f"<b>{len(ds.train):,}</b> training"
        + (f" + <b>{n_test:,}</b> test" if n_test else "")
        + f" documents in <b>{len(ds.classes)}</b> classes ({html.escape(rep.format)})"
    ]
    parts.append(
        f"median {stats.lengths['p50']:.0f} words, 90% under {stats.lengths['p90']:.0f}, "
        f"longest {stats.lengths['max']:.0f}"
    )
    dropped = []
    if rep.empty_dropped:
        dropped.append(f"{rep.empty_dropped:,} empty")
    if rep.duplicates_dropped:
        dropped.append(f"{rep.duplicates_dropped:,} duplicate")
    if dropped:
        parts.append(f"dropped {' and '.join(dropped)} rows of {rep.rows_read:,} read")
    cleaned = [
        name
        for name, on in (
            ("headers", rep.stripped_headers),
            ("signatures", rep.stripped_footers),
            ("quotes", rep.stripped_quotes),
        )
        if on
    ]
    if cleaned:
        parts.append("stripped " + ", ".join(cleaned))
    if ds.test is None:
        parts.append("no test set of its own: the test fraction is held out at training")
    return " · ".join(parts)


class DatasetView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel("No dataset imported yet. Choose a file or folder on the left.")
        self.summary.setWordWrap(True)
        self.warnings = QLabel("")
        self.warnings.setWordWrap(True)
        self.warnings.setObjectName("datasetWarnings")
        self.warnings.setStyleSheet(
            "QLabel#datasetWarnings { background: #fff4e5; border: 1px solid #f0c36d; padding: 6px; color: #6b3d00; }"
        )
        self.warnings.setVisible(False)
        self.documents = ColumnTableModel(DOC_COLUMNS, ((),) * len(DOC_COLUMNS))
        self.table = QTableView()
        self.table.setModel(self.documents)
        self.table.setSortingEnabled(True)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Interactive)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.Stretch)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.AscendingOrder)
        self.class_chart = BarChart("Documents per class", left="documents")
        self.length_chart = Histogram("Document length", bottom="words per document")
        charts = QSplitter(Qt.Vertical)
        charts.addWidget(self.class_chart)
        charts.addWidget(self.length_chart)
        self.tabs = QTabWidget()
        self.tabs.addTab(charts, "Charts")
        self.tabs.addTab(self.table, "Documents")
        self.tabs.setTabToolTip(0, "Class balance and document lengths of the training data")
        self.tabs.setTabToolTip(1, "Every imported document; click a header to sort")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.summary)
        lay.addWidget(self.warnings)
        lay.addWidget(self.tabs, 1)

    def show_result(self, result: ImportResult) -> None:
        ds, stats = result.dataset, result.stats
        self.summary.setText(summary_text(result))
        lines = warning_lines(result)
        # quote=False: Qt's rich text does not know &#x27;, and showed "&#x27;ham&#x27;" literally.
        self.warnings.setText("<br>".join(f"⚠ {html.escape(w, quote=False)}" for w in lines))
        self.warnings.setVisible(bool(lines))
        texts = ds.train.texts + (ds.test.texts if ds.test is not None else [])
        labels = ds.train.labels + (ds.test.labels if ds.test is not None else [])
        sources = ds.train.sources + (ds.test.sources if ds.test is not None else [])
        self.documents.set_data(DOC_COLUMNS, (result.split, labels, result.lengths, texts, sources))
        self.table.setColumnWidth(0, 50)
        self.table.setColumnWidth(1, 140)
        self.table.setColumnWidth(2, 60)
        names = list(stats.class_counts)
        counts = [stats.class_counts[c] for c in names]
        mean = float(np.mean(counts)) if counts else 0.0
        self.class_chart.set_bars(names, counts, highlight=[c < IMBALANCE_HIGHLIGHT * mean for c in counts])
        edges, hist = stats.length_histogram
        self.length_chart.set_histogram(edges, hist)

    def clear(self, message: str) -> None:
        self.summary.setText(message)
        self.warnings.setVisible(False)
        self.documents.set_data(DOC_COLUMNS, ((),) * len(DOC_COLUMNS))
        self.class_chart.set_bars([], [])
        self.length_chart.set_histogram([], [])
