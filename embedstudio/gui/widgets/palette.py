"""Colours from the Qt palette for plots and status text, without pyqtgraph (the panels import this at
start-up; the plots themselves, and pyqtgraph, load later: gui/widgets/deferred.py).

``plot_colours(widget)`` reads a widget's (or the application's) palette; ``tone(widget, kind)`` gives a
"good"/"bad"/"warning" text colour that stays readable on a light or a dark background.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget


@dataclass(frozen=True)
class PlotColours:
    background: QColor
    text: QColor
    axis: QColor
    muted: QColor
    dark: bool

    def legend_brush(self) -> QColor:
        c = QColor(self.background)
        c.setAlpha(210)
        return c


def plot_colours(widget: QWidget | None = None) -> PlotColours:
    """Colours for a plot from ``widget``'s palette (or the application's)."""
    palette = widget.palette() if widget is not None else QApplication.palette()
    background = palette.color(QPalette.ColorRole.Base)
    text = palette.color(QPalette.ColorRole.Text)
    dark = background.lightness() < 128
    axis = QColor(text)
    axis.setAlpha(150)
    muted = palette.color(QPalette.ColorRole.PlaceholderText)
    if not muted.isValid() or muted == text:
        muted = QColor(text)
        muted.setAlpha(160)
    return PlotColours(background, text, axis, muted, dark)


TONES = {  # (on a light background, on a dark one)
    "good": ("#1a7f37", "#56d364"),
    "bad": ("#b42318", "#ff7b72"),
    "warning": ("#a04000", "#f0a35e"),
}


def tone(widget: QWidget | None, kind: str) -> str:
    """A text colour for "good", "bad" or "warning" that stays readable on the widget's background."""
    light, dark = TONES[kind]
    return dark if plot_colours(widget).dark else light
