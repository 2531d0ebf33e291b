"""Explore one loaded vector file: nearest neighbours, analogies, similarity of two words.

Each query is one matrix-vector product (≈10 ms for 400k × 300), so it runs on the GUI thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from embedstudio.core.errors import UserError
from embedstudio.gui.widgets.table_model import ColumnTableModel

if TYPE_CHECKING:
    from embedstudio.core.vectors.wordvectors import WordVectors

SUBWORD_NOTE = "not in the file: its vector was built from character n-grams (subwords)"
COSINE_DECIMALS = 3  # every cosine on this tab (table and similarity) has the same decimals


def format_cosine(value: float) -> str:
    return f"{value:.{COSINE_DECIMALS}f}"


class CosineTableModel(ColumnTableModel):
    """The results table: cosine values shown with COSINE_DECIMALS decimals (sorting stays numeric)."""

    COSINE_COLUMN = 2

    def data(self, index, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and index.isValid() and index.column() == self.COSINE_COLUMN:
            value = self.value(index.row(), index.column())
            if isinstance(value, float):
                return format_cosine(value)
        return super().data(index, role)


def word_source(wv, word: str) -> str:
    """'in vocabulary' | 'subwords' | 'unknown'."""
    if not wv.is_oov(word):
        return "in vocabulary"
    return "subwords" if wv.has_subwords and wv.vector(word) is not None else "unknown"


TABLE_TOOLTIPS = (
    "1 = the nearest",
    "A word of the vector file",
    "Cosine similarity to the query (1 = same direction, 0 = unrelated, −1 = opposite)",
)


class ExploreWidget(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.wv: WordVectors | None = None
        self.word = QLineEdit(placeholderText="a word, e.g. film")
        self.word.setToolTip("Words closest to this one by cosine similarity")
        self.k = QSpinBox(minimum=1, maximum=200, value=10)
        self.k.setToolTip("How many neighbours to list (also for analogies)")
        self.neighbours_button = QPushButton("Neighbours")
        self.neighbours_button.setToolTip("List the words nearest to this one (Enter in the word field)")
        self.a, self.b, self.c = (QLineEdit(placeholderText=p) for p in ("man", "king", "woman"))
        analogy = "a is to b as c is to ?  The answer: the words closest to b − a + c"
        self.a.setToolTip(f"'a' in: {analogy}")
        self.b.setToolTip(f"'b' in: {analogy}")
        self.c.setToolTip(f"'c' in: {analogy} (Enter solves)")
        self.analogy_button = QPushButton("Solve")
        self.analogy_button.setToolTip("Find the words that complete the analogy")
        self.w1, self.w2 = QLineEdit(placeholderText="good"), QLineEdit(placeholderText="great")
        self.w1.setToolTip("The first of two words to compare")
        self.w2.setToolTip("The second word (Enter compares)")
        self.similarity_button = QPushButton("Compare")
        self.similarity_button.setToolTip(
            "Cosine similarity of the two words: 1 = same direction, 0 = unrelated, −1 = opposite"
        )
        self.similarity_label = QLabel("")
        self.similarity_label.setToolTip("Cosine similarity (−1 to 1)")
        self.header = QLabel("Load a vector file, then ask for neighbours, analogies or similarities.")
        self.header.setWordWrap(True)
        self._build_table()
        self._layout()
        self.neighbours_button.clicked.connect(lambda: self.query_neighbours(self.word.text()))
        self.word.returnPressed.connect(self.neighbours_button.click)
        self.analogy_button.clicked.connect(lambda: self.query_analogy(self.a.text(), self.b.text(), self.c.text()))
        self.c.returnPressed.connect(self.analogy_button.click)
        self.similarity_button.clicked.connect(lambda: self.query_similarity(self.w1.text(), self.w2.text()))
        self.w2.returnPressed.connect(self.similarity_button.click)
        self.set_vectors(None)

    def _build_table(self) -> None:
        """The answers: rank, word and cosine, sortable and copyable."""
        self.model = CosineTableModel(("Rank", "Word", "Cosine"), ((), (), ()), tooltips=TABLE_TOOLTIPS)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.setToolTip("Click a column header to sort; select cells and Ctrl+C to copy")
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)

    def _layout(self) -> None:
        queries = QGroupBox("Ask")
        form = QFormLayout(queries)
        row = QHBoxLayout()
        row.addWidget(self.word, 1)
        row.addWidget(QLabel("k"))
        row.addWidget(self.k)
        row.addWidget(self.neighbours_button)
        form.addRow("Neighbours of", row)
        row = QHBoxLayout()
        for w, text in ((self.a, None), (self.b, "is to"), (self.c, "as"), (None, "is to ?")):
            if text:
                row.addWidget(QLabel(text))
            if w is not None:
                row.addWidget(w, 1)
        row.addWidget(self.analogy_button)
        form.addRow("Analogy", row)
        row = QHBoxLayout()
        row.addWidget(self.w1, 1)
        row.addWidget(QLabel("and"))
        row.addWidget(self.w2, 1)
        row.addWidget(self.similarity_button)
        row.addWidget(self.similarity_label, 1)
        form.addRow("Similarity of", row)
        lay = QVBoxLayout(self)
        lay.addWidget(queries)
        lay.addWidget(self.header)
        lay.addWidget(self.table, 1)

    def set_vectors(self, wv: WordVectors | None) -> None:
        self.wv = wv
        for w in (self.neighbours_button, self.analogy_button, self.similarity_button):
            w.setEnabled(wv is not None)
        if wv is None:
            self.header.setText("Load a vector file, then ask for neighbours, analogies or similarities.")
            self._show([])
        else:
            sub = " It builds vectors for unknown words from subwords." if wv.has_subwords else ""
            self.header.setText(f"Exploring {wv.name}: {len(wv):,} words × {wv.dim} dimensions.{sub}")

    # ---- queries (public so menus and tests can call them) ---------------------------------
    def query_neighbours(self, word: str) -> list[tuple[str, float]]:
        word = word.strip()
        wv = self._vectors_for(word)
        if wv is None:
            return []
        try:
            found = wv.neighbors(word, self.k.value())
        except UserError as exc:
            return self._fail(str(exc))
        note = f" ('{word}' is {SUBWORD_NOTE})" if word_source(wv, word) == "subwords" else ""
        self._set_header(f"Nearest neighbours of '{word}'{note}:", bool(note))
        self._show(found)
        return found

    def query_analogy(self, a: str, b: str, c: str) -> list[tuple[str, float]]:
        a, b, c = a.strip(), b.strip(), c.strip()
        wv = self._vectors_for(a)
        if wv is None or not (b and c):
            return []
        try:
            found = wv.analogy(a, b, c, self.k.value())
        except UserError as exc:
            return self._fail(str(exc))
        built = [w for w in (a, b, c) if word_source(wv, w) == "subwords"]
        note = f" ({', '.join(repr(w) for w in built)}: {SUBWORD_NOTE})" if built else ""
        self._set_header(f"'{a}' is to '{b}' as '{c}' is to …{note}", bool(note))
        self._show(found)
        return found

    def query_similarity(self, w1: str, w2: str) -> float | None:
        w1, w2 = w1.strip(), w2.strip()
        wv = self._vectors_for(w1)
        if wv is None or not w2:
            return None
        try:
            score = wv.similarity(w1, w2)
        except UserError as exc:
            self.similarity_label.setText("")
            self._fail(str(exc))
            return None
        built = [w for w in (w1, w2) if word_source(wv, w) == "subwords"]
        suffix = f"  ({', '.join(built)} from subwords)" if built else ""
        self.similarity_label.setText(f"cosine = {format_cosine(score)}{suffix}")
        return score

    # ---- helpers -------------------------------------------------------------------------
    def _vectors_for(self, word: str) -> WordVectors | None:
        """The loaded vectors when there are some and a word to ask about (a message when nothing is loaded)."""
        if self.wv is None:
            self._fail("Load a vector file first (select it in the library and press Load).")
            return None
        return self.wv if word else None

    def _fail(self, message: str) -> list:
        self._set_header(message, True)
        self._show([])
        return []

    def _set_header(self, text: str, emphasise: bool) -> None:
        self.header.setText(text)
        self.header.setStyleSheet("color: #a04000;" if emphasise else "")

    def _show(self, found: list[tuple[str, float]]) -> None:
        self.model.set_data(
            ("Rank", "Word", "Cosine"),
            (list(range(1, len(found) + 1)), [w for w, _ in found], [float(s) for _, s in found]),
            tooltips=TABLE_TOOLTIPS,
        )
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
