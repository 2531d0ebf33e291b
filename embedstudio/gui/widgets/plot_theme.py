"""pyqtgraph plots that follow the Qt palette: a dark desktop theme gives dark plots, not white boxes.

``follow_palette(plot)`` styles a PlotWidget from the application palette now and again whenever the
palette changes (an event filter on the widget). Plots with their own items (the confusion matrix's cell
texts, an empty-state note) pass ``on_change`` to restyle those too.

An empty plot shows a sentence instead of axes with made-up ticks (``EmptyState``), and epoch axes show
whole epochs only (``EpochAxis``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject

from embedstudio.gui.widgets.palette import TONES, PlotColours, plot_colours, tone

__all__ = ["TONES", "EmptyState", "EpochAxis", "PlotColours", "follow_palette", "plot_colours", "style_plot", "tone"]


def style_plot(plot: pg.PlotWidget) -> PlotColours:
    """Background, axes, tick labels, title and legend of ``plot`` from its palette."""
    colours = plot_colours(plot)
    plot.setBackground(colours.background)
    item = plot.getPlotItem()
    for name in ("left", "bottom", "right", "top"):
        axis = item.getAxis(name)
        axis.setPen(colours.axis)
        axis.setTextPen(colours.text)
    title = item.titleLabel
    if title.text:
        title.setText(title.text, color=colours.text.name())
    if item.legend is not None:
        item.legend.setLabelTextColor(colours.text)
        if item.legend.parentItem() is item.getViewBox():  # drawn over the data: keep it readable
            item.legend.setBrush(colours.legend_brush())
            item.legend.setPen(colours.axis)
        for _sample, label in item.legend.items:  # labels made before the colour changed
            label.setText(label.text, color=colours.text.name())
    return colours


class _PaletteFollower(QObject):
    def __init__(self, plot: pg.PlotWidget, on_change: Callable[[PlotColours], None] | None) -> None:
        super().__init__(plot)
        self.plot, self.on_change = plot, on_change

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.apply()
        return False

    def apply(self) -> None:
        if getattr(self.plot, "plotItem", None) is None:
            return  # a closed PlotWidget has let go of its items
        colours = style_plot(self.plot)
        if self.on_change is not None:
            self.on_change(colours)


def follow_palette(plot: pg.PlotWidget, on_change: Callable[[PlotColours], None] | None = None) -> None:
    """Style ``plot`` from the palette now and whenever the palette changes."""
    follower = _PaletteFollower(plot, on_change)
    plot.installEventFilter(follower)
    follower.apply()


class EmptyState:
    """A sentence in the middle of an empty plot ("No epochs yet"), with the axes' ticks hidden."""

    def __init__(self, plot: pg.PlotWidget, text: str) -> None:
        self.plot = plot
        self.item = pg.TextItem(text, anchor=(0.5, 0.5))
        self.item.setParentItem(plot.getPlotItem().getViewBox())  # placed in view pixels, not data units
        self.text = text
        self.visible = False
        self._grid = {name: plot.getPlotItem().getAxis(name).grid for name in ("left", "bottom")}
        plot.getPlotItem().getViewBox().sigResized.connect(self._place)
        self.set_visible(True)

    def set_text(self, text: str) -> None:
        self.text = text
        self.item.setText(text)
        self._place()

    def set_visible(self, visible: bool) -> None:
        self.visible = visible
        self.item.setVisible(visible)
        item = self.plot.getPlotItem()
        for name in ("left", "bottom"):
            axis = item.getAxis(name)
            axis.setStyle(showValues=not visible)
            axis.setGrid(False if visible else self._grid[name])
        if item.legend is not None:
            item.legend.setVisible(not visible)
        self._place()

    def restyle(self, colours: PlotColours) -> None:
        self.item.setColor(colours.muted)

    def _place(self) -> None:
        rect = self.plot.getPlotItem().getViewBox().boundingRect()
        self.item.setPos(rect.center())


class EpochAxis(pg.AxisItem):
    """An x axis in epochs: ticks at whole epochs only (no "0.2 … 0.8 epoch"), spaced to stay readable."""

    def tickValues(self, minVal, maxVal, size):  # noqa: N802, N803 - pyqtgraph's names
        if maxVal - minVal <= 0:
            return []
        ticks = super().tickValues(minVal, maxVal, size)
        out = []
        for spacing, values in ticks:
            if spacing < 1:
                continue
            out.append((spacing, [v for v in values if abs(v - round(v)) < 1e-6]))
        if not out:  # zoomed in below one epoch: just the whole epochs in view
            values = [float(v) for v in range(math.ceil(minVal), math.floor(maxVal) + 1)]
            out = [(1.0, values)]
        return out
