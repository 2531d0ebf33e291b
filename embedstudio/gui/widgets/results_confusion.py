"""Confusion-matrix heatmap: rows are true classes, columns predicted ones, each cell shows its count
(or, as an option, its share of the row in percent).

Colour is the row-normalised share (recall per class), so a small class's mistakes are as visible as
a large one's; a colour bar beside the matrix says so. Clicking a cell emits ``cell_clicked(true,
predicted)`` (the results view filters its misclassified browser to that pair). The colours follow the
palette: a dark theme gets a matrix that fades from the dark background to a light blue.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QWidget

from embedstudio.gui.widgets.plot_theme import EmptyState, PlotColours, follow_palette

LIGHT_HIGH = (8, 69, 148)
DARK_HIGH = (110, 175, 240)
MAX_LABEL_CHARS = 16
MAX_COUNT_TEXTS = 40 * 40  # beyond this many cells the numbers are unreadable; the tooltip shows them


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "…"


def _colour_map(colours: PlotColours) -> pg.ColorMap:
    """From (nearly) the background at 0 % to a strong blue at 100 %."""
    if colours.dark:
        low = colours.background.lighter(130)
        return pg.ColorMap([0.0, 1.0], [(low.red(), low.green(), low.blue()), DARK_HIGH])
    return pg.ColorMap([0.0, 1.0], [(247, 251, 255), LIGHT_HIGH])


def _luminance(rgb: Sequence[float]) -> float:
    r, g, b = (float(c) / 255 for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


class ConfusionMatrixView(pg.PlotWidget):
    """``set_matrix(matrix, classes)``; ``matrix[i][j]`` = texts of true class i predicted as j.
    ``set_percentages(True)`` prints each cell's share of its row instead of its count."""

    cell_clicked = Signal(str, str)  # true class, predicted class

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.setMenuEnabled(False)
        self.invertY(True)  # row 0 at the top, as in every printed confusion matrix
        self.setAspectLocked(False)
        self.setLabel("left", "true class")
        self.setLabel("bottom", "predicted class")
        for axis in ("left", "bottom"):
            self.getAxis(axis).enableAutoSIPrefix(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.addItem(self.image)
        self.colour_bar = pg.ColorBarItem(
            values=(0.0, 1.0), width=14, label="share of the true class", interactive=False, colorMapMenu=False
        )
        self.colour_bar.setImageItem(self.image, insert_in=self.getPlotItem())
        self.colour_bar.axis.setTicks([[(v, f"{v:.0%}") for v in (0.0, 0.25, 0.5, 0.75, 1.0)]])
        self.getPlotItem().setContentsMargins(2, 10, 2, 2)  # room for the bar's "100%" label
        self.texts: list[pg.TextItem] = []
        self.matrix = np.zeros((0, 0), dtype=np.int64)
        self.share = np.zeros((0, 0), dtype=float)
        self.classes: list[str] = []
        self.percentages = False
        self.empty = EmptyState(self, "No test report: nothing to show.")
        self.colours: PlotColours | None = None
        self.cmap = pg.ColorMap([0.0, 1.0], [(247, 251, 255), LIGHT_HIGH])
        follow_palette(self, self._restyle)
        self.scene().sigMouseMoved.connect(self._hover)
        self.scene().sigMouseClicked.connect(self._clicked)

    # ---- content -----------------------------------------------------------------------------
    def set_matrix(self, matrix: Sequence[Sequence[int]], classes: Sequence[str]) -> None:
        m = np.asarray(matrix, dtype=np.int64).reshape(len(classes), len(classes))
        self.matrix, self.classes = m, [str(c) for c in classes]
        n = len(self.classes)
        rows = m.sum(axis=1, keepdims=True)
        self.share = np.divide(m, rows, out=np.zeros(m.shape, dtype=float), where=rows > 0)
        self.empty.set_visible(n == 0)
        self.colour_bar.setVisible(n > 0)
        if n == 0:
            self.image.clear()
            self._set_texts()
            for axis in ("bottom", "left"):
                self.getAxis(axis).setTicks([[]])
            return
        self.image.setImage(self.share, levels=(0.0, 1.0))
        self.image.setRect(QRectF(0, 0, n, n))
        ticks = [[(i + 0.5, _short(c)) for i, c in enumerate(self.classes)]]
        self.getAxis("bottom").setTicks(ticks)
        self.getAxis("left").setTicks(ticks)
        self._set_texts()
        self.setXRange(0, max(n, 1), padding=0)
        self.setYRange(0, max(n, 1), padding=0)

    def set_percentages(self, on: bool) -> None:
        """Print the row-normalised percentage in each cell (True) or the raw count (False)."""
        self.percentages = bool(on)
        self._set_texts()

    def _cell_label(self, i: int, j: int) -> str:
        if self.percentages:
            share = self.share[i, j]
            return "0%" if share == 0 else ("<1%" if share < 0.005 else f"{share:.0%}")
        return str(int(self.matrix[i, j]))

    def _set_texts(self) -> None:
        """One text per cell. The items are kept and updated in place: creating a TextItem costs ≈1.6 ms on
        the GUI thread, so 20 classes (400 cells) took ≈0.6 s each time a report was shown or the
        percentages were toggled (benchmarks/bench_gui_responsiveness.py, docs/field-notes.md)."""
        n = len(self.classes)
        wanted = 0 if n == 0 or n * n > MAX_COUNT_TEXTS else n * n
        while len(self.texts) > wanted:
            self.removeItem(self.texts.pop())
        cmap = self.cmap
        font = QFont()
        font.setPointSize(9 if n <= 10 else 7)
        for k in range(wanted):
            i, j = divmod(k, n)
            rgb = cmap.map(float(self.share[i, j]), mode="byte")
            colour = "#ffffff" if _luminance(rgb) < 0.5 else "#1a1a1a"
            if k < len(self.texts):
                item = self.texts[k]
                item.setText(self._cell_label(i, j), color=colour)
            else:
                item = pg.TextItem(self._cell_label(i, j), color=colour, anchor=(0.5, 0.5))
                self.addItem(item)
                self.texts.append(item)
            item.setFont(font)
            item.setPos(j + 0.5, i + 0.5)

    def cell_text(self, row: int, column: int) -> str:
        """The text printed in a cell (what a user reads)."""
        return self.texts[row * len(self.classes) + column].toPlainText()

    def cell_colour(self, row: int, column: int) -> QColor:
        """The colour a cell is drawn in."""
        cmap = self.cmap
        return QColor(*[int(c) for c in cmap.map(float(self.share[row, column]), mode="byte")[:3]])

    # ---- palette -----------------------------------------------------------------------------
    def _restyle(self, colours: PlotColours) -> None:
        self.colours = colours
        cmap = _colour_map(colours)
        self.cmap = cmap
        self.image.setLookupTable(cmap.getLookupTable(nPts=256))
        self.colour_bar.setColorMap(cmap)
        self.colour_bar.axis.setPen(colours.axis)
        self.colour_bar.axis.setTextPen(colours.text)
        self.empty.restyle(colours)
        self._set_texts()

    # ---- mouse -------------------------------------------------------------------------------
    def _cell_at(self, scene_pos) -> tuple[int, int] | None:
        if not self.classes or not self.getPlotItem().vb.sceneBoundingRect().contains(scene_pos):
            return None
        p = self.getPlotItem().vb.mapSceneToView(scene_pos)
        i, j = int(np.floor(p.y())), int(np.floor(p.x()))
        n = len(self.classes)
        return (i, j) if 0 <= i < n and 0 <= j < n else None

    def _hover(self, pos) -> None:
        cell = self._cell_at(pos)
        if cell is None:
            self.setToolTip("")
            return
        i, j = cell
        total = int(self.matrix[i].sum())
        action = (
            "click to list these mistakes" if i != j else "correct predictions; click to list this class's mistakes"
        )
        self.setToolTip(
            f"true {self.classes[i]}, predicted {self.classes[j]}: {int(self.matrix[i, j])} of {total} texts "
            f"({self.share[i, j]:.1%}); {action}"
        )

    def _clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        cell = self._cell_at(event.scenePos())
        if cell is not None:
            self.click_cell(*cell)

    def click_cell(self, row: int, column: int) -> None:
        """What a click on a cell does: ``cell_clicked(true, predicted)``."""
        self.cell_clicked.emit(self.classes[row], self.classes[column])
