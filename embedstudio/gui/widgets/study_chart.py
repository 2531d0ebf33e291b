"""The study's plot: test accuracy against training examples (log x), mean ± std over seeds, one curve
per arm (``gui/widgets/study_view.py`` shows it beside the summary table).

Its own module because it is a pyqtgraph widget: study_view is imported while the window opens, the plot
only once the window is on screen (gui/widgets/deferred.py).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from embedstudio.core.study import ARM_LABELS, ARMS, plot_series
from embedstudio.gui.widgets.plot_theme import follow_palette

ARM_COLOURS = {"tfidf": (127, 127, 127), "scratch": (214, 39, 40), "frozen": (31, 119, 180), "finetune": (44, 160, 44)}


class StudyPlot(pg.PlotWidget):
    """Accuracy vs training examples, log x; per arm a line through the means and ± std error bars."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Test accuracy vs training examples (mean ± std over seeds)", size="10pt")
        self.setLabel("left", "test accuracy")
        self.setLabel("bottom", "training examples (log scale)")
        self.setLogMode(x=True, y=False)
        self.showGrid(x=True, y=True, alpha=0.25)
        self.hideButtons()
        for axis in ("left", "bottom"):
            self.getAxis(axis).enableAutoSIPrefix(False)
        # Bottom right: few examples (left) is where the curves are low and spread out.
        self.addLegend(offset=(-10, -10))
        follow_palette(self)  # background, axes, title and legend from the palette (dark themes too)
        self.series: dict[str, list[tuple[float, float, float]]] = {}
        self._items: dict[str, tuple[Any, Any]] = {}

    def set_table(self, table: list[dict]) -> None:
        self.series = plot_series(table)
        for arm in ARMS:
            points = self.series.get(arm)
            if not points:
                continue
            x = np.asarray([p[0] for p in points])
            y = np.asarray([p[1] for p in points])
            err = np.asarray([p[2] for p in points])
            if arm not in self._items:
                colour = ARM_COLOURS[arm]
                curve = self.plot(
                    [],
                    [],
                    name=ARM_LABELS[arm],
                    pen=pg.mkPen(*colour, width=2),
                    symbol="o",
                    symbolSize=7,
                    symbolBrush=pg.mkBrush(*colour),
                    symbolPen=pg.mkPen(*colour),
                )
                bars = pg.ErrorBarItem(
                    x=np.zeros(0), y=np.zeros(0), height=np.zeros(0), beam=0.04, pen=pg.mkPen(*colour, width=1.5)
                )
                self.addItem(bars)
                self._items[arm] = (curve, bars)
            curve, bars = self._items[arm]
            curve.setData(x, y)
            # The plot is in log-x mode: error bar items are not transformed by it, so give them log10(x).
            bars.setData(x=np.log10(x), y=y, height=2 * err)

        self._set_ticks([p[0] for points in self.series.values() for p in points])

    def _set_ticks(self, xs: list[float]) -> None:
        """Plain numbers at 1-2-3-5 steps (log mode's default labels read "3·10²" and crowd each other)."""
        if not xs:
            return
        lo, hi = min(xs) / 1.5, max(xs) * 1.5
        ticks = [
            v
            for k in range(int(math.floor(math.log10(lo))), int(math.ceil(math.log10(hi))) + 1)
            for v in (10**k, 2 * 10**k, 3 * 10**k, 5 * 10**k)
            if lo <= v <= hi
        ]
        self.getAxis("bottom").setTicks([[(math.log10(v), f"{v:,.0f}" if v >= 1 else f"{v:g}") for v in ticks]])

    def point_count(self, arm: str) -> int:
        return len(self.series.get(arm, []))

    def clear_study(self) -> None:
        for curve, bars in self._items.values():
            self.removeItem(curve)
            self.removeItem(bars)
            self.getPlotItem().legend.removeItem(curve)
        self._items.clear()
        self.series = {}
