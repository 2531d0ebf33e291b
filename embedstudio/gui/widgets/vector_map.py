"""A 2-D PCA map of chosen words and their neighbours (pyqtgraph scatter with labels; zoom and pan)."""

from __future__ import annotations

import re

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget

from embedstudio.core.errors import UserError

CHOSEN_BRUSH = pg.mkBrush(205, 80, 40)
NEIGHBOUR_BRUSH = pg.mkBrush(70, 130, 180, 200)


def pca_2d(matrix: np.ndarray) -> np.ndarray:
    """Rows projected on their first two principal components (zeros pad a rank-deficient input)."""
    x = np.asarray(matrix, dtype=np.float64)
    x = x - x.mean(axis=0, keepdims=True)
    if x.shape[0] < 2:
        return np.zeros((x.shape[0], 2))
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    coords = x @ vt[:2].T
    if coords.shape[1] < 2:
        coords = np.hstack([coords, np.zeros((coords.shape[0], 2 - coords.shape[1]))])
    return coords


def split_words(text: str) -> list[str]:
    return [w for w in re.split(r"[,;\s]+", text.strip()) if w]


def words_with_neighbours(wv, chosen: list[str], k: int) -> tuple[list[str], list[bool], list[str]]:
    """(words to plot, is-chosen flags, problems). Unknown words are reported, not fatal."""
    words, flags, problems = [], [], []
    seen: set[str] = set()
    for word in chosen:
        try:
            neighbours = [w for w, _ in wv.neighbors(word, k)] if k else []
        except UserError as exc:
            problems.append(str(exc).splitlines()[0])
            continue
        for w, is_chosen in [(word, True)] + [(n, False) for n in neighbours]:
            if w not in seen:
                seen.add(w)
                words.append(w)
                flags.append(is_chosen)
    return words, flags, problems


class VectorMap(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.wv = None
        self.words_edit = QLineEdit(placeholderText="words separated by commas or spaces, e.g. good, bad, film")
        self.words_edit.setToolTip("These words (orange) and their nearest neighbours (blue) are projected to 2-D")
        self.k = QSpinBox(minimum=0, maximum=50, value=8)
        self.k.setToolTip("Neighbours added around each word")
        self.plot_button = QPushButton("Plot")
        self.reset_button = QPushButton("Reset view")
        self.reset_button.setToolTip("Zoom to fit all points (drag to pan, wheel to zoom)")
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setLabel("bottom", "principal component 1")
        self.plot.setLabel("left", "principal component 2")
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        for axis in ("left", "bottom"):
            self.plot.getAxis(axis).enableAutoSIPrefix(False)
        self.scatter = pg.ScatterPlotItem(size=9, pen=pg.mkPen("w"))
        self.plot.addItem(self.scatter)
        self.labels: list[pg.TextItem] = []
        self.words: list[str] = []
        self.coords = np.zeros((0, 2))
        top = QHBoxLayout()
        top.addWidget(QLabel("Words"))
        top.addWidget(self.words_edit, 1)
        top.addWidget(QLabel("neighbours each"))
        top.addWidget(self.k)
        top.addWidget(self.plot_button)
        top.addWidget(self.reset_button)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.note)
        lay.addWidget(self.plot, 1)
        self.plot_button.clicked.connect(lambda: self.plot_words(split_words(self.words_edit.text())))
        self.words_edit.returnPressed.connect(self.plot_button.click)
        self.reset_button.clicked.connect(lambda: self.plot.getPlotItem().autoRange())
        self.set_vectors(None)

    def set_vectors(self, wv) -> None:
        self.wv = wv
        self.plot_button.setEnabled(wv is not None)
        if wv is None:
            self.note.setText("Load a vector file to draw its map.")
            self._draw([], [], np.zeros((0, 2)))

    def plot_words(self, chosen: list[str]) -> int:
        """Draw ``chosen`` and their neighbours; returns the number of points."""
        if self.wv is None or not chosen:
            return 0
        words, flags, problems = words_with_neighbours(self.wv, chosen, self.k.value())
        vectors = np.vstack([self.wv.vector(w) for w in words]) if words else np.zeros((0, self.wv.dim))
        coords = pca_2d(vectors)
        self._draw(words, flags, coords)
        text = f"{len(words)} words; axes are the two directions of greatest spread among them."
        self.note.setText(text + (" " + " ".join(problems) if problems else ""))
        self.note.setStyleSheet("color: #a04000;" if problems else "")
        return len(words)

    def _draw(self, words: list[str], flags: list[bool], coords: np.ndarray) -> None:
        self.words, self.coords = words, coords
        brushes = [CHOSEN_BRUSH if f else NEIGHBOUR_BRUSH for f in flags]
        self.scatter.setData(pos=coords, brush=brushes, data=words)
        while len(self.labels) < len(words):  # label items are reused, only added when more are needed
            item = pg.TextItem(anchor=(0, 1))
            self.plot.addItem(item)
            self.labels.append(item)
        for i, item in enumerate(self.labels):
            if i < len(words):
                item.setText(words[i], color="#8a2f0c" if flags[i] else "#1f3f5a")
                item.setPos(float(coords[i, 0]), float(coords[i, 1]))
                item.setVisible(True)
            else:
                item.setVisible(False)
        if len(words):
            self.plot.getPlotItem().autoRange()
