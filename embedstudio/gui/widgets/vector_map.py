"""A 2-D PCA map of chosen words and their neighbours (pyqtgraph scatter with labels; zoom and pan).

The words asked for are drawn distinctly (larger orange stars with a dark outline, bold labels); labels are
placed greedily, query words first, at the first of a few positions around their point that overlaps no
label or point placed before (re-done after zooming), so they overlap only where the map is too crowded.
"""

from __future__ import annotations

import re

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget

from embedstudio.core.errors import UserError
from embedstudio.gui.widgets.plot_theme import PlotColours, follow_palette

CHOSEN_BRUSH = pg.mkBrush(205, 80, 40)
NEIGHBOUR_BRUSH = pg.mkBrush(70, 130, 180, 200)
CHOSEN_PEN = pg.mkPen("#3a1204", width=1.5)
NEIGHBOUR_PEN = pg.mkPen("w")
CHOSEN_SIZE, NEIGHBOUR_SIZE = 16, 9
# Label colours (query word, neighbour) on a light and on a dark plot background.
LABEL_COLOURS = {False: ("#8a2f0c", "#1f3f5a"), True: ("#ffb38a", "#a8c8e8")}
# Label anchors tried in order (pyqtgraph TextItem anchors: (0, 1) = text right of and above the point).
OUTSIDE_COST = 3  # a position leaving the plot counts as this many overlaps
ANCHORS = ((-0.08, 1.0), (-0.08, 0.0), (1.08, 1.0), (1.08, 0.0), (0.5, 1.25), (0.5, -0.25))


def place_labels(
    points: np.ndarray,
    sizes: np.ndarray,
    point_radius: np.ndarray,
    anchors=ANCHORS,
    bounds: tuple[float, float, float, float] | None = None,
) -> tuple[list[int], int]:
    """Greedy label placement in pixel space (y down). ``points`` (n, 2) label positions, ``sizes`` (n, 2)
    label width/height, ``point_radius`` (n,) marker radii; rows in priority order; ``bounds`` (left, top,
    right, bottom): a label leaving them counts as an overlap. Returns the index into ``anchors`` chosen for
    each label and how many labels still overlap something (0 when all fit)."""
    n = len(points)
    anchors_arr = np.asarray(anchors, dtype=float)
    obstacles = [(x - r, y - r, x + r, y + r) for (x, y), r in zip(points.tolist(), np.asarray(point_radius).tolist())]
    chosen: list[int] = []
    placed: list[tuple[float, float, float, float]] = []
    clashes = 0
    for i in range(n):
        x, y = points[i]
        w, h = sizes[i]
        left = x - anchors_arr[:, 0] * w
        top = y - anchors_arr[:, 1] * h
        cand = np.column_stack([left, top, left + w, top + h])  # (k, 4)
        hits = _overlaps(cand, [o for j, o in enumerate(obstacles) if j != i] + placed)
        if bounds is not None:
            bl, bt, br, bb = bounds
            # A label cut off by the plot's edge is unreadable, one that overlaps is only partly hidden.
            hits = hits + OUTSIDE_COST * ((cand[:, 0] < bl) | (cand[:, 1] < bt) | (cand[:, 2] > br) | (cand[:, 3] > bb))
        best = int(np.argmin(hits))  # the first position with the fewest overlaps
        clashes += int(hits[best] > 0)
        chosen.append(best)
        placed.append(tuple(cand[best]))
    return chosen, clashes


def _overlaps(cand: np.ndarray, others: list[tuple[float, float, float, float]]) -> np.ndarray:
    """For each candidate box (k, 4: left, top, right, bottom), how many of ``others`` it overlaps."""
    if not others:
        return np.zeros(len(cand), dtype=int)
    ob = np.asarray(others)  # (m, 4)
    overlap = (
        (cand[:, None, 0] < ob[None, :, 2])
        & (cand[:, None, 2] > ob[None, :, 0])
        & (cand[:, None, 1] < ob[None, :, 3])
        & (cand[:, None, 3] > ob[None, :, 1])
    )
    return overlap.sum(axis=1)


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
        self.words_edit.setToolTip(
            "These words (large orange stars) and their nearest neighbours (blue) are projected to 2-D"
        )
        self.k = QSpinBox(minimum=0, maximum=50, value=8)
        self.k.setToolTip("Neighbours added around each word")
        self.plot_button = QPushButton("Plot")
        self.plot_button.setToolTip("Draw the words and their neighbours (Enter in the word field)")
        self.reset_button = QPushButton("Reset view")
        self.reset_button.setToolTip("Zoom to fit all points (drag to pan, wheel to zoom)")
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self._build_plot()
        self.labels: list[pg.TextItem] = []
        self.words: list[str] = []
        self.flags: list[bool] = []
        self.coords = np.zeros((0, 2))
        self.label_clashes = 0  # labels that still overlap another label or point after placement
        self._placing = False
        follow_palette(self.plot, self._palette_changed)
        self._replace = QTimer(self, singleShot=True, interval=60)
        self._replace.timeout.connect(self.place_labels)
        self.plot.getPlotItem().getViewBox().sigRangeChanged.connect(lambda *_: self._replace.start())
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
        self.reset_button.clicked.connect(lambda: self.plot.getPlotItem().autoRange(padding=0.08))
        self.set_vectors(None)

    def _build_plot(self) -> None:
        """The PCA scatter: principal components on the axes, no SI prefixes, a faint grid."""
        self.plot = pg.PlotWidget()
        self._dark = False
        self.plot.setLabel("bottom", "principal component 1")
        self.plot.setLabel("left", "principal component 2")
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        for axis in ("left", "bottom"):
            self.plot.getAxis(axis).enableAutoSIPrefix(False)
        self.scatter = pg.ScatterPlotItem(size=NEIGHBOUR_SIZE, pen=NEIGHBOUR_PEN)
        self.plot.addItem(self.scatter)

    def _label_colour(self, chosen: bool) -> str:
        query, neighbour = LABEL_COLOURS[self._dark]
        return query if chosen else neighbour

    def _palette_changed(self, colours: PlotColours) -> None:
        self._dark = colours.dark
        for i, item in enumerate(self.labels[: len(self.words)]):
            item.setColor(self._label_colour(self.flags[i]))

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
        self.words, self.flags, self.coords = words, flags, coords
        # Query words last in the item list so they are painted on top of their neighbours.
        order = sorted(range(len(words)), key=lambda i: flags[i])
        self.scatter.setData(
            pos=coords[order] if len(words) else coords,
            brush=[CHOSEN_BRUSH if flags[i] else NEIGHBOUR_BRUSH for i in order],
            pen=[CHOSEN_PEN if flags[i] else NEIGHBOUR_PEN for i in order],
            size=[CHOSEN_SIZE if flags[i] else NEIGHBOUR_SIZE for i in order],
            symbol=["star" if flags[i] else "o" for i in order],
            data=[words[i] for i in order],
        )
        while len(self.labels) < len(words):  # label items are reused, only added when more are needed
            item = pg.TextItem(anchor=(0, 1))
            self.plot.addItem(item)
            self.labels.append(item)
        bold, plain = QFont(), QFont()
        bold.setBold(True)
        bold.setPointSizeF(plain.pointSizeF() * 1.1)
        for i, item in enumerate(self.labels):
            if i < len(words):
                item.setText(words[i], color=self._label_colour(flags[i]))
                item.setFont(bold if flags[i] else plain)
                item.setZValue(2 if flags[i] else 1)
                item.setPos(float(coords[i, 0]), float(coords[i, 1]))
                item.setVisible(True)
            else:
                item.setVisible(False)
        if len(words):
            self.plot.getPlotItem().autoRange(padding=0.08)  # room for the labels of the outermost points
        self.place_labels()

    def place_labels(self) -> int:
        """Move labels apart (query words first); returns how many still overlap something."""
        n = len(self.words)
        if not n or self._placing:
            self.label_clashes = 0
            return 0
        self._placing = True
        try:
            vb = self.plot.getPlotItem().getViewBox()
            pts = np.array(
                [
                    [p.x(), p.y()]
                    for p in (vb.mapViewToScene(QPointF(float(x), float(y))) for x, y in self.coords[:, :2])
                ]
            )
            sizes = np.array(
                [
                    [self.labels[i].textItem.boundingRect().width(), self.labels[i].textItem.boundingRect().height()]
                    for i in range(n)
                ]
            )
            radius = np.array([CHOSEN_SIZE / 2 if f else NEIGHBOUR_SIZE / 2 for f in self.flags])
            priority = sorted(range(n), key=lambda i: not self.flags[i])
            box = vb.sceneBoundingRect()
            bounds = (box.left(), box.top(), box.right(), box.bottom())
            chosen, self.label_clashes = place_labels(pts[priority], sizes[priority], radius[priority], bounds=bounds)
            for i, a in zip(priority, chosen):
                self.labels[i].setAnchor(ANCHORS[a])
            return self.label_clashes
        finally:
            self._placing = False

    def label_rects(self) -> list[tuple[float, float, float, float]]:
        """The visible labels' rectangles in scene pixels (left, top, right, bottom), for tests and checks."""
        rects = []
        for item in self.labels[: len(self.words)]:
            r = item.mapRectToScene(item.boundingRect())
            rects.append((r.left(), r.top(), r.right(), r.bottom()))
        return rects
