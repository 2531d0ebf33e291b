"""What an import produced: summary, what it decided (test set, left-out classes, HTML) and warnings, the
documents after cleaning (model/view with a search filter, fast for 100k+ rows), charts."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from embedstudio.core.datasets.types import Dataset, DatasetStats, TextTable
from embedstudio.gui.widgets.deferred import DeferredWidget
from embedstudio.gui.widgets.table_model import ColumnTableModel

if TYPE_CHECKING:
    from embedstudio.core.config import DataConfig
    from embedstudio.core.jobs import CancelToken, Reporter
    from embedstudio.gui.widgets.charts import BarChart, Histogram

DOC_COLUMNS = ("Split", "Label", "Words", "Text", "Source")
IMBALANCE_HIGHLIGHT = 0.5  # bars below half the mean class size are drawn in the warning colour
SEARCH_DELAY_MS = 200  # filter after a pause in typing, not on every key of a 100k-row table


@dataclass
class ImportResult:
    """A Dataset plus what the panel shows about it, all computed in the worker."""

    dataset: Dataset
    stats: DatasetStats  # of the training table
    split: list[str]  # per row of train + test
    lengths: np.ndarray  # words per row


STATS_SAMPLE = 20_000


def import_with_stats(data_cfg: DataConfig, *, reporter: Reporter, cancel: CancelToken) -> ImportResult:
    from embedstudio.core.datasets import dataset_statistics, load_dataset

    ds = load_dataset(data_cfg, reporter=reporter, cancel=cancel)
    reporter.progress(0, None, "computing statistics")
    # Lengths in tokens as training splits them (the auto tokenizer without vectors), on at most
    # STATS_SAMPLE texts: the tokenizer runs in TensorFlow and costs ~0.16 ms a text.
    stats = dataset_statistics(ds.train, ds.classes, standardize="auto", sample=STATS_SAMPLE)
    texts = [t for _part, table in document_tables(ds) for t in table.texts]
    lengths = np.fromiter((len(t.split()) for t in texts), dtype=np.int64, count=len(texts))
    split = [part for part, table in document_tables(ds) for _ in range(len(table))]
    return ImportResult(ds, stats, split, lengths)


def document_tables(ds: Dataset) -> list[tuple[str, TextTable]]:
    """(split name, table) of every imported part, in the order the Documents tab lists them."""
    parts = [("train", ds.train), ("validation", ds.validation), ("test", ds.test)]
    return [(name, table) for name, table in parts if table is not None]


def warning_lines(result: ImportResult) -> list[str]:
    ds, stats = result.dataset, result.stats
    from embedstudio.core.advice import in_gui_words

    lines = [in_gui_words(w) for w in ds.report.warnings]  # the controls' labels, not config syntax
    if stats.empty and not any("empty" in w.lower() for w in lines):
        lines.append(f"{stats.empty:,} training documents are empty (no words left).")
    if stats.duplicates and not any("duplicate" in w.lower() for w in lines):
        lines.append(f"{stats.duplicates:,} training rows repeat an earlier text with the same label.")
    return lines


def summary_text(result: ImportResult) -> str:
    ds, stats, rep = result.dataset, result.stats, result.dataset.report
    n_test = len(ds.test) if ds.test is not None else 0
    n_val = len(ds.validation) if ds.validation is not None else 0
    parts = [
        f"<b>{len(ds.train):,}</b> training"
        + (f" + <b>{n_val:,}</b> validation" if n_val else "")
        + (f" + <b>{n_test:,}</b> test" if n_test else "")
        + f" documents in <b>{len(ds.classes)}</b> classes ({html.escape(rep.format)})"
    ]
    sample = f" (a sample of {stats.length_sample:,})" if stats.length_sample else ""
    parts.append(
        f"median {stats.lengths['p50']:.0f} {stats.length_unit}, 90% under {stats.lengths['p90']:.0f}, "
        f"longest {stats.lengths['max']:.0f}{sample}"
    )
    dropped = []
    if rep.empty_dropped:
        emptied = f", {rep.empty_after_cleaning:,} of them empty after cleaning" if rep.empty_after_cleaning else ""
        dropped.append(f"{rep.empty_dropped:,} empty{emptied}")
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


def _where(path: str) -> str:
    return html.escape(path)


def notice_lines(result: ImportResult) -> list[str]:
    """What the import decided on its own, said loudly (rich text): where the test set came from, which
    classes were left out and why, and how many documents had HTML cleaned."""
    ds, rep = result.dataset, result.dataset.report
    lines = []
    if ds.test is not None and rep.test_source:
        source = Path(rep.test_source)
        given = _given_test(ds)
        if given:
            how = "the test set you gave"
        elif Path(rep.path).name and split_role_name(Path(rep.path).name) == "train":
            how = f"the folder beside {html.escape(Path(rep.path).name)}, found automatically"
        else:
            how = "the test folder of this train/test layout"
        lines.append(
            f"<b>Test set taken from {_where(str(source))}</b> ({how}): <b>{len(ds.test):,}</b> documents. "
            + ("" if given else "Choose a Test set on the left to use another one.")
        )
    elif ds.test is not None:
        lines.append(f"<b>The data brings its own test set</b>: <b>{len(ds.test):,}</b> documents.")
    if rep.validation_source:
        n = len(ds.validation) if ds.validation is not None else 0
        lines.append(f"<b>Validation set taken from {_where(rep.validation_source)}</b>: <b>{n:,}</b> documents.")
    if rep.excluded:
        what = ", ".join(f"<b>{html.escape(c)}</b> ({n:,})" for c, n in rep.excluded.items())
        default = not any(n.startswith("Left out by data.exclude") for n in rep.notices)
        why = (
            "unlabelled examples (the name says so, and the folder is only in train); tick it under Classes "
            "to keep it as a class"
            if default
            else "unticked under Classes"
        )
        lines.append(f"<b>Left out</b> {what}: {why}.")
    if rep.html_cleaned:
        lines.append(
            f"<b>HTML cleaned in {rep.html_cleaned:,} documents</b> (tags removed, entities such as &amp;amp; "
            "decoded); set HTML under Cleaning to keep it."
        )
    covered = ("Test set:", "Validation set:", "Left out", "HTML cleaned")
    for notice in rep.notices:
        if not notice.startswith(covered):
            lines.append(html.escape(notice, quote=False))
    return lines


def split_role_name(name: str) -> str:
    from embedstudio.core.datasets.detect import split_role

    return split_role(name) or ""


def _given_test(ds) -> bool:
    return any("(data.test_path)" in n for n in ds.report.notices)


def relative_sources(sources: list[str], root: str) -> list[str]:
    """Sources without the dataset's folder ("pos/12.txt", "news.csv:7"), as the preview names its rows."""
    base = str(Path(root).parent) if root else ""
    if not base or base == ".":
        return sources
    prefix = base.rstrip("/") + "/"
    return [s[len(prefix) :] if s.startswith(prefix) else s for s in sources]


def _banner(name: str, box: str, colour: str) -> QLabel:
    """A hidden, word-wrapped message box (failure, notices, warnings) in its own colours."""
    label = QLabel("")
    label.setWordWrap(True)
    label.setObjectName(name)
    label.setStyleSheet(f"QLabel#{name} {{ {box}; padding: 6px; color: {colour}; }}")
    label.setVisible(False)
    return label


class DocumentTableModel(ColumnTableModel):
    """The documents, sortable, with a text filter: ``set_filter("word")`` keeps the rows whose text or label
    holds it (case-insensitive). Filtering and sorting keep a permutation, never a copy of the texts."""

    def set_data(self, headers, columns, tooltips=None) -> None:
        super().set_data(headers, columns, tooltips)
        self._sorted: np.ndarray = self._order.copy()  # every row, in the current sort order
        self._query = ""

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not self._columns or column >= len(self._columns):
            return
        query, self._query = self._query, ""
        self._order = self._sorted
        super().sort(column, order)
        self._sorted = self._order
        if query:
            self.set_filter(query)

    def total(self) -> int:
        return len(self._sorted)

    def set_filter(self, query: str) -> None:
        self.beginResetModel()
        self._query = query.strip()
        if not self._query:
            self._order = self._sorted
        else:
            pattern = re.compile(re.escape(self._query), re.IGNORECASE)
            texts, labels = self._columns[DOC_COLUMNS.index("Text")], self._columns[DOC_COLUMNS.index("Label")]
            keep = np.fromiter(
                (bool(pattern.search(texts[i]) or pattern.search(labels[i])) for i in self._sorted),
                dtype=bool,
                count=len(self._sorted),
            )
            self._order = self._sorted[keep]
        self.endResetModel()


def _class_chart() -> BarChart:
    from embedstudio.gui.widgets.charts import BarChart

    return BarChart("Documents per class", left="documents")


def _length_chart() -> Histogram:
    from embedstudio.gui.widgets.charts import Histogram

    return Histogram("Document length", bottom="tokens per document (as training splits them)")


class DatasetView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel("No dataset imported yet. Choose a file or folder on the left.")
        self.summary.setWordWrap(True)
        self.failure = _banner("datasetFailure", "background: #fdecea; border: 1px solid #e0837a", "#7a1c12")
        self.notices = _banner("datasetNotices", "background: #e8f1fb; border: 1px solid #8fb4e3", "#0b3866")
        self.warnings = _banner("datasetWarnings", "background: #fff4e5; border: 1px solid #f0c36d", "#6b3d00")
        for label in (self.failure, self.notices, self.warnings, self.summary):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        docs = self._documents_tab()
        self._class_chart = DeferredWidget(_class_chart)  # pyqtgraph: built after the window shows
        self._length_chart = DeferredWidget(_length_chart)
        charts = QSplitter(Qt.Orientation.Vertical)
        charts.addWidget(self._class_chart)
        charts.addWidget(self._length_chart)
        self.tabs = QTabWidget()
        self.tabs.addTab(charts, "Charts")
        self.tabs.addTab(docs, "Documents")
        self.tabs.setTabToolTip(0, "Class balance and document lengths of the training data")
        self.tabs.setTabToolTip(1, "Every imported document after cleaning; search, or click a header to sort")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.summary)
        lay.addWidget(self.failure)
        lay.addWidget(self.notices)
        lay.addWidget(self.warnings)
        lay.addWidget(self.tabs, 1)

    def _documents_tab(self) -> QWidget:
        """The cleaned documents: a sortable table with a delayed search filter."""
        self.documents = DocumentTableModel(DOC_COLUMNS, ((),) * len(DOC_COLUMNS), self)  # parented: see options
        self.table = QTableView()
        self.table.setModel(self.documents)
        self.table.setSortingEnabled(True)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.search = QLineEdit(placeholderText="Search the documents (text or label)")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip("Show only the documents whose text or label holds these characters")
        self.found = QLabel("")
        self.found.setStyleSheet("color: #555;")
        self.docs_caption = QLabel(
            "After cleaning, as training reads them. Rows are in file order (click a header to sort); "
            "Source names the file and line each came from."
        )
        self.docs_caption.setWordWrap(True)
        self.docs_caption.setStyleSheet("color: #555;")
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._apply_search)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        docs = QWidget()
        docs_lay = QVBoxLayout(docs)
        docs_lay.setContentsMargins(0, 4, 0, 0)
        row = QHBoxLayout()
        row.addWidget(self.search, 1)
        row.addWidget(self.found)
        docs_lay.addLayout(row)
        docs_lay.addWidget(self.docs_caption)
        docs_lay.addWidget(self.table, 1)
        return docs

    def show_result(self, result: ImportResult) -> None:
        ds, stats = result.dataset, result.stats
        self.failure.setVisible(False)
        self.summary.setText(summary_text(result))
        notices = notice_lines(result)
        self.notices.setText("<br>".join(f"ℹ {n}" for n in notices))
        self.notices.setVisible(bool(notices))
        lines = warning_lines(result)
        # quote=False: Qt's rich text does not know &#x27;, and showed "&#x27;ham&#x27;" literally.
        self.warnings.setText("<br>".join(f"⚠ {html.escape(w, quote=False)}" for w in lines))
        self.warnings.setVisible(bool(lines))
        tables = [table for _part, table in document_tables(ds)]
        texts = [t for table in tables for t in table.texts]
        labels = [label for table in tables for label in table.labels]
        sources = relative_sources([s for table in tables for s in table.sources], ds.path)
        self.documents.set_data(DOC_COLUMNS, (result.split, labels, result.lengths, texts, sources))
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setColumnWidth(0, 70)
        self.table.setColumnWidth(1, 140)
        self.table.setColumnWidth(2, 60)
        self._apply_search()
        names = list(stats.class_counts)
        counts = [stats.class_counts[c] for c in names]
        mean = float(np.mean(counts)) if counts else 0.0
        highlight = [c < IMBALANCE_HIGHLIGHT * mean for c in counts]
        self._class_chart.when_built(lambda chart: chart.set_bars(names, counts, highlight=highlight), "bars")
        edges, hist = stats.length_histogram
        self._length_chart.when_built(lambda chart: chart.set_histogram(edges, hist), "histogram")

    @property
    def class_chart(self) -> BarChart:
        """Documents per class, built now if it was not yet (gui/widgets/deferred.py)."""
        return self._class_chart.widget()

    @property
    def length_chart(self) -> Histogram:
        """Document lengths, built now if it was not yet."""
        return self._length_chart.widget()

    def add_notice(self, text: str) -> None:
        """One more decision to report beside the import's own (plain text)."""
        line = f"ℹ {html.escape(text, quote=False)}"
        self.notices.setText(f"{self.notices.text()}<br>{line}" if self.notices.isVisibleTo(self) else line)
        self.notices.setVisible(True)

    def show_failure(self, headline: str, detail: str = "") -> None:
        """Say loudly that the last preview/import failed (the documents below, if any, are older)."""
        text = f"✖ <b>{html.escape(headline, quote=False)}</b>"
        if detail:
            text += "<br>" + html.escape(detail, quote=False)
        self.failure.setText(text)
        self.failure.setVisible(True)

    def _apply_search(self) -> None:
        self._search_timer.stop()
        self.documents.set_filter(self.search.text())
        total, shown = self.documents.total(), self.documents.rowCount()
        self.found.setText(f"{shown:,} of {total:,}" if self.search.text().strip() else f"{total:,} documents")

    def clear(self, message: str) -> None:
        self.summary.setText(message)
        self.failure.setVisible(False)
        self.notices.setVisible(False)
        self.warnings.setVisible(False)
        self.documents.set_data(DOC_COLUMNS, ((),) * len(DOC_COLUMNS))
        self._apply_search()
        self._class_chart.when_built(lambda chart: chart.set_bars([], []), "bars")
        self._length_chart.when_built(lambda chart: chart.set_histogram([], []), "histogram")
