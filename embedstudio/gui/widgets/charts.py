"""Small pyqtgraph charts: a labelled bar chart and a histogram. Items are created once and updated in place."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

BAR_BRUSH = pg.mkBrush(70, 130, 180)
WARN_BRUSH = pg.mkBrush(205, 110, 60)


def _style(plot: pg.PlotWidget, title: str, left: str, bottom: str) -> None:
    plot.setTitle(title, color="#333", size="10pt")
    plot.setLabel("left", left)
    plot.setLabel("bottom", bottom)
    plot.showGrid(y=True, alpha=0.25)
    plot.hideButtons()
    for axis in ("left", "bottom"):
        plot.getAxis(axis).setTextPen("#333")
        plot.getAxis(axis).setPen("#888")


class BarChart(pg.PlotWidget):
    """Bars with category labels on the x axis (labels thinned out when there are many)."""

    def __init__(self, title: str = "", left: str = "", bottom: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent=parent, background="w")
        _style(self, title, left, bottom)
        self.setMouseEnabled(x=False, y=False)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush=BAR_BRUSH, pen=None)
        self.addItem(self.bars)
        self.labels: list[str] = []
        self.values = np.zeros(0)

    def set_bars(self, labels: Sequence[str], values: Sequence[float], highlight: Sequence[bool] | None = None) -> None:
        self.labels = [str(x) for x in labels]
        self.values = np.asarray(values, dtype=float)
        x = np.arange(len(self.values))
        brushes = [WARN_BRUSH if h else BAR_BRUSH for h in highlight] if highlight is not None else None
        self.bars.setOpts(x=x, height=self.values, width=0.7, brushes=brushes, brush=BAR_BRUSH)
        step = max(1, int(np.ceil(len(labels) / 12)))
        ticks = [(i, _short(lbl)) for i, lbl in enumerate(self.labels) if i % step == 0]
        self.getAxis("bottom").setTicks([ticks])
        top = float(self.values.max()) if len(self.values) else 1.0
        self.setRange(xRange=(-0.6, max(len(x), 1) - 0.4), yRange=(0, top * 1.08 or 1.0), padding=0)


class Histogram(pg.PlotWidget):
    """A step histogram from (edges, counts); the curve is created once and updated with setData."""

    def __init__(
        self, title: str = "", left: str = "documents", bottom: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent=parent, background="w")
        _style(self, title, left, bottom)
        self.setMouseEnabled(x=True, y=False)
        self.curve = self.plot([0, 1], [0], stepMode="center", fillLevel=0, brush=(70, 130, 180, 160), pen="#2f5f8a")
        self.edges = np.zeros(0)
        self.counts = np.zeros(0)

    def set_histogram(self, edges: Sequence[float], counts: Sequence[float]) -> None:
        self.edges = np.asarray(edges, dtype=float)
        self.counts = np.asarray(counts, dtype=float)
        if len(self.edges) != len(self.counts) + 1 or not len(self.counts):
            self.curve.setData([0, 1], [0])
            return
        self.curve.setData(self.edges, self.counts)
        self.setRange(xRange=(self.edges[0], self.edges[-1]), yRange=(0, max(self.counts.max(), 1) * 1.08), padding=0)


def _short(label: str, limit: int = 14) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
