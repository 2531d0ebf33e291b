"""Confusion-matrix heatmap: rows are true classes, columns predicted ones, each cell shows its count.

Colour is the row-normalised share (recall per class), so a small class's mistakes are as visible as
a large one's; the printed number is the raw count.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QWidget

COLOURS = pg.ColorMap([0.0, 1.0], [(247, 251, 255), (8, 69, 148)])
MAX_LABEL_CHARS = 16
MAX_COUNT_TEXTS = 40 * 40  # beyond this many cells the numbers are unreadable; the tooltip shows them


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "…"


class ConfusionMatrixView(pg.PlotWidget):
    """``set_matrix(matrix, classes)``; ``matrix[i][j]`` = texts of true class i predicted as j."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent, background="w")
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.setMenuEnabled(False)
        self.invertY(True)  # row 0 at the top, as in every printed confusion matrix
        self.setAspectLocked(False)
        self.setLabel("left", "true class")
        self.setLabel("bottom", "predicted class")
        for axis in ("left", "bottom"):
            self.getAxis(axis).setTextPen("#333")
            self.getAxis(axis).setPen("#888")
            self.getAxis(axis).enableAutoSIPrefix(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setLookupTable(COLOURS.getLookupTable(nPts=256))
        self.addItem(self.image)
        self.texts: list[pg.TextItem] = []
        self.matrix = np.zeros((0, 0), dtype=np.int64)
        self.classes: list[str] = []
        self.scene().sigMouseMoved.connect(self._hover)

    def set_matrix(self, matrix: Sequence[Sequence[int]], classes: Sequence[str]) -> None:
        m = np.asarray(matrix, dtype=np.int64).reshape(len(classes), len(classes))
        self.matrix, self.classes = m, [str(c) for c in classes]
        n = len(self.classes)
        if n == 0:
            self.image.clear()
            self._set_counts(m, m.astype(float))
            for axis in ("bottom", "left"):
                self.getAxis(axis).setTicks([[]])
            return
        rows = m.sum(axis=1, keepdims=True)
        share = np.divide(m, rows, out=np.zeros(m.shape, dtype=float), where=rows > 0)
        self.image.setImage(share, levels=(0.0, 1.0))
        self.image.setRect(QRectF(0, 0, n, n))
        ticks = [[(i + 0.5, _short(c)) for i, c in enumerate(self.classes)]]
        self.getAxis("bottom").setTicks(ticks)
        self.getAxis("left").setTicks(ticks)
        self._set_counts(m, share)
        self.setXRange(0, max(n, 1), padding=0)
        self.setYRange(0, max(n, 1), padding=0)

    def _set_counts(self, m: np.ndarray, share: np.ndarray) -> None:
        for item in self.texts:
            self.removeItem(item)
        self.texts = []
        n = m.shape[0]
        if n * n > MAX_COUNT_TEXTS:
            return
        font = QFont()
        font.setPointSize(9 if n <= 10 else 7)
        for i in range(n):
            for j in range(n):
                colour = "w" if share[i, j] > 0.55 else "#222"
                item = pg.TextItem(str(int(m[i, j])), color=colour, anchor=(0.5, 0.5))
                item.setFont(font)
                item.setPos(j + 0.5, i + 0.5)
                self.addItem(item)
                self.texts.append(item)

    def cell_text(self, row: int, column: int) -> str:
        """The count printed in a cell (what a user reads)."""
        return self.texts[row * len(self.classes) + column].toPlainText()

    def _hover(self, pos) -> None:
        if not self.classes:
            return
        p = self.plotItem.vb.mapSceneToView(pos)
        i, j = int(np.floor(p.y())), int(np.floor(p.x()))
        n = len(self.classes)
        if 0 <= i < n and 0 <= j < n:
            total = int(self.matrix[i].sum())
            self.setToolTip(
                f"true {self.classes[i]}, predicted {self.classes[j]}: {int(self.matrix[i, j])} of {total} texts"
            )
        else:
            self.setToolTip("")
