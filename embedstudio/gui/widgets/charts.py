"""Small pyqtgraph charts: a labelled bar chart and a histogram. Items are created once and updated in place.

Both follow the palette (``plot_theme``) and show a sentence when empty. The bar chart turns horizontal
when its labels would not fit under the bars (many classes or long names), so every label stays readable;
the histogram labels its last bin "≥ N" because it holds every longer document too (the lengths are
clipped at the 99th percentile).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from embedstudio.gui.widgets.plot_theme import EmptyState, PlotColours, follow_palette

BAR_BRUSH = pg.mkBrush(70, 130, 180)
WARN_BRUSH = pg.mkBrush(205, 110, 60)
VERTICAL_MAX_BARS = 8  # more bars than this, or labels longer than VERTICAL_MAX_CHARS: horizontal bars
VERTICAL_MAX_CHARS = 9
LABEL_CHARS = 24


def _style(plot: pg.PlotWidget, title: str, left: str, bottom: str) -> None:
    plot.setTitle(title, size="10pt")
    plot.setLabel("left", left)
    plot.setLabel("bottom", bottom)
    plot.showGrid(y=True, alpha=0.25)
    plot.hideButtons()


class BarChart(pg.PlotWidget):
    """Bars with one category label each: vertical for a few short labels, horizontal (labels on the
    left, first category at the top) otherwise."""

    def __init__(self, title: str = "", left: str = "", bottom: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        _style(self, title, left, bottom)
        self.value_label, self.category_label = left, bottom
        self.setMouseEnabled(x=False, y=False)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush=BAR_BRUSH, pen=None)
        self.addItem(self.bars)
        self.labels: list[str] = []
        self.values = np.zeros(0)
        self.horizontal = False
        self.empty = EmptyState(self, "No data imported yet.")
        follow_palette(self, self.empty.restyle)

    def set_bars(self, labels: Sequence[str], values: Sequence[float], highlight: Sequence[bool] | None = None) -> None:
        self.labels = [str(x) for x in labels]
        self.values = np.asarray(values, dtype=float)
        n = len(self.values)
        self.empty.set_visible(n == 0)
        self.horizontal = n > VERTICAL_MAX_BARS or any(len(lbl) > VERTICAL_MAX_CHARS for lbl in self.labels)
        brushes = [WARN_BRUSH if h else BAR_BRUSH for h in highlight] if highlight is not None else None
        pos = np.arange(n)
        top = float(self.values.max()) if n else 1.0
        ticks = [[(i, _short(lbl, LABEL_CHARS if self.horizontal else 14)) for i, lbl in enumerate(self.labels)]]
        item = self.getPlotItem()
        if self.horizontal:
            self.bars.setOpts(x=None, x0=0, y=pos, height=0.7, width=self.values, brushes=brushes, brush=BAR_BRUSH)
            item.getAxis("left").setTicks(ticks)
            item.getAxis("bottom").setTicks(None)
            self.setLabel("left", self.category_label)
            self.setLabel("bottom", self.value_label)
            self.showGrid(x=True, y=False, alpha=0.25)
            self.invertY(True)
            self.setRange(xRange=(0, top * 1.08 or 1.0), yRange=(-0.6, max(n, 1) - 0.4), padding=0)
        else:
            self.bars.setOpts(
                x=pos, x0=None, y=None, y0=0, height=self.values, width=0.7, brushes=brushes, brush=BAR_BRUSH
            )
            item.getAxis("bottom").setTicks(ticks)
            item.getAxis("left").setTicks(None)
            self.setLabel("left", self.value_label)
            self.setLabel("bottom", self.category_label)
            self.showGrid(x=False, y=True, alpha=0.25)
            self.invertY(False)
            self.setRange(xRange=(-0.6, max(n, 1) - 0.4), yRange=(0, top * 1.08 or 1.0), padding=0)

    def tick_labels(self) -> list[str]:
        """The category labels drawn (on the left axis when horizontal, else under the bars)."""
        axis = self.getPlotItem().getAxis("left" if self.horizontal else "bottom")
        return [text for _, text in (axis._tickLevels or [[]])[0]] if axis._tickLevels else []


class Histogram(pg.PlotWidget):
    """A step histogram from (edges, counts); the curve is created once and updated with setData.
    With ``overflow`` (the default) the last bin is labelled "≥ its lower edge"."""

    def __init__(
        self, title: str = "", left: str = "documents", bottom: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent=parent)
        _style(self, title, left, bottom)
        self.setMouseEnabled(x=True, y=False)
        self.curve = self.plot([0, 1], [0], stepMode="center", fillLevel=0, brush=(70, 130, 180, 160), pen="#2f5f8a")
        self.overflow_label = pg.TextItem("", anchor=(1.0, 1.0))  # right-aligned on the last bin: never clipped
        self.addItem(self.overflow_label, ignoreBounds=True)
        self.edges = np.zeros(0)
        self.counts = np.zeros(0)
        self.empty = EmptyState(self, "No data imported yet.")
        follow_palette(self, self._restyle)

    def _restyle(self, colours: PlotColours) -> None:
        self.empty.restyle(colours)
        self.overflow_label.setColor(colours.text)

    def set_histogram(self, edges: Sequence[float], counts: Sequence[float], *, overflow: bool = True) -> None:
        self.edges = np.asarray(edges, dtype=float)
        self.counts = np.asarray(counts, dtype=float)
        if len(self.edges) != len(self.counts) + 1 or not len(self.counts) or not self.counts.sum():
            self.curve.setData([0, 1], [0])
            self.overflow_label.setText("")
            self.empty.set_visible(True)
            return
        self.empty.set_visible(False)
        self.curve.setData(self.edges, self.counts)
        top = max(self.counts.max(), 1) * 1.15  # room for the overflow label above the last bar
        if overflow and len(self.counts) > 1:
            self.overflow_label.setText(f"≥ {self.edges[-2]:,.0f}")
            self.overflow_label.setPos(self.edges[-1], self.counts[-1])
        else:
            self.overflow_label.setText("")
        self.setRange(xRange=(self.edges[0], self.edges[-1]), yRange=(0, top), padding=0)


def _short(label: str, limit: int = 14) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
