"""Training curves: live loss/accuracy plots for one run, and an overlay of several runs.

Curve items are created once and fed with ``setData`` on growing arrays; live updates are coalesced by
a timer so that ten batch events a second cost at most a few redraws.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from embedstudio.core.events import BatchEvent, EpochEvent, parse
from embedstudio.gui.widgets.plot_theme import EmptyState, EpochAxis, follow_palette

REDRAW_MS = 250
TRAIN_PEN = pg.mkPen(31, 119, 180, width=2)
VAL_PEN = pg.mkPen(255, 127, 14, width=2)
CURRENT_PEN = pg.mkPen(31, 119, 180, width=1.5, style=Qt.PenStyle.DashLine)
UNFREEZE_PEN = pg.mkPen(44, 160, 44, width=1.5, style=Qt.PenStyle.DashLine)
NO_EPOCHS = "No epochs yet: the curves appear as training runs."
NO_RUNS = "Select two or more runs to compare their validation curves."
RUN_COLOURS = (
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
)


def _plot(title: str, left: str, empty: str, *, legend: bool = True) -> tuple[pg.PlotWidget, EmptyState]:
    """A plot over epochs that follows the palette, with its legend below the axes (never over the
    curves) and ``empty`` shown while it has no points."""
    plot = pg.PlotWidget(axisItems={"bottom": EpochAxis("bottom")})
    plot.setTitle(title, size="10pt")
    plot.setLabel("left", left)
    plot.setLabel("bottom", "epoch")
    plot.showGrid(x=True, y=True, alpha=0.25)
    plot.hideButtons()
    item = plot.getPlotItem()
    for axis in ("left", "bottom"):
        item.getAxis(axis).enableAutoSIPrefix(False)  # "accuracy (x0.001)" reads as a bug
    if legend:
        item.legend = pg.LegendItem(colCount=3, horSpacing=14, verSpacing=-4)
        item.layout.addItem(item.legend, 4, 1)  # the row under the bottom axis: outside the data
    state = EmptyState(plot, empty)
    follow_palette(plot, state.restyle)
    return plot, state


class _Series:
    """x/y points that grow; NaN-free (a missing value is skipped, not plotted)."""

    def __init__(self) -> None:
        self.x: list[float] = []
        self.y: list[float] = []

    def add(self, x: float, y: Any) -> None:
        if y is None:
            return
        y = float(y)
        if np.isfinite(y):
            self.x.append(float(x))
            self.y.append(y)

    def clear(self) -> None:
        self.x.clear()
        self.y.clear()


class TrainingCurves(QWidget):
    """Loss and accuracy per epoch for train and validation, plus the running train value of the epoch
    in progress (Keras' running mean restarts every epoch, so only the current epoch's is drawn)."""

    METRICS = ("loss", "accuracy")
    SPLITS = (("train", TRAIN_PEN, "o"), ("validation", VAL_PEN, "o"), ("current", CURRENT_PEN, "t"))

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        made = {"loss": _plot("Loss", "loss", NO_EPOCHS), "accuracy": _plot("Accuracy", "accuracy", NO_EPOCHS)}
        self.plots = {k: plot for k, (plot, _) in made.items()}
        self.empty = {k: state for k, (_, state) in made.items()}
        self.unfreeze_epoch: int | None = None
        self.markers = {k: self._marker(plot) for k, plot in self.plots.items()}
        self.series: dict[str, _Series] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        for metric, plot in self.plots.items():
            for split, pen, symbol in self.SPLITS:
                key = f"{split}_{metric}"
                self.series[key] = _Series()
                self.curves[key] = plot.plot(
                    [],
                    [],
                    pen=pen,
                    name=None if split == "current" else split,
                    symbol=symbol,
                    symbolSize=4 if split == "current" else 6,
                    symbolBrush=pen.color(),
                    symbolPen=None,
                )
        self._current_in_legend = False
        self.plots["accuracy"].setYRange(0, 1, padding=0.02)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        for plot in self.plots.values():
            lay.addWidget(plot)
        self._dirty = False
        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self.flush)

    @staticmethod
    def _marker(plot: pg.PlotWidget) -> pg.InfiniteLine:
        line = pg.InfiniteLine(
            angle=90,
            movable=False,
            pen=UNFREEZE_PEN,
            label="unfreeze",
            labelOpts={"position": 0.92, "color": UNFREEZE_PEN.color(), "anchors": [(0, 0.5), (0, 0.5)]},
        )
        line.setVisible(False)
        plot.addItem(line, ignoreBounds=True)
        return line

    def set_unfreeze_epoch(self, epoch: int | None) -> None:
        """Two-phase training: a vertical marker where epoch ``epoch`` (1-based) begins, the first one that
        trains the embedding; None hides it."""
        self.unfreeze_epoch = epoch
        for line in self.markers.values():
            line.setVisible(epoch is not None)  # first: a hidden label ignores a new text
            if epoch is not None:
                line.setValue(epoch - 1)
                line.label.setFormat(f"unfreeze (epoch {epoch})")

    def set_empty_text(self, text: str) -> None:
        for state in self.empty.values():
            state.set_text(text)

    def clear(self) -> None:
        for s in self.series.values():
            s.clear()
        self.set_empty_text(NO_EPOCHS)
        self._dirty = True
        self.flush()

    def add_batch(self, event: BatchEvent) -> None:
        """A batch event: the running train loss/accuracy of the epoch in progress, at a fractional epoch.

        Keras' running mean restarts every epoch and swings wildly over its first batches, so the curve
        starts once a tenth of the epoch is done."""
        batches = max(1, int(event.batches or 1))
        epoch, batch = event.epoch, event.batch
        x = epoch - 1 + batch / batches
        for metric in self.METRICS:
            current = self.series[f"current_{metric}"]
            if current.x and current.x[0] < epoch - 1:
                current.clear()  # a new epoch
            if batch >= max(1, batches // 10):
                current.add(x, getattr(event, metric))
        self._mark_dirty()

    def add_epoch(self, row: EpochEvent | dict) -> None:
        """An epoch event or a metrics.jsonl line."""
        ev = row if isinstance(row, EpochEvent) else parse("epoch", row)
        assert isinstance(ev, EpochEvent)
        x = float(ev.epoch)
        if not ev.partial:
            self.series["train_loss"].add(x, ev.loss)
            self.series["train_accuracy"].add(x, ev.accuracy)
            self.series["current_loss"].clear()
            self.series["current_accuracy"].clear()
        self.series["validation_loss"].add(x, ev.val_loss)
        self.series["validation_accuracy"].add(x, ev.val_accuracy)
        self._dirty = True
        self.flush()  # epoch ends are rare: draw them at once

    def set_history(self, rows: Sequence[dict]) -> None:
        """Show a finished run's per-epoch metrics (starting at epoch 0 = nothing learned is not known)."""
        for s in self.series.values():
            s.clear()
        for row in rows:
            self.add_epoch(row)
        self._dirty = True  # also with no rows: the previous run's curves must go
        self.flush()

    def _mark_dirty(self) -> None:
        self._dirty = True
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        if not self._dirty:
            self._timer.stop()
            return
        for key, curve in self.curves.items():
            s = self.series[key]
            curve.setData(np.asarray(s.x, dtype=float), np.asarray(s.y, dtype=float))
        self._dirty = False
        self._update_legend()
        for metric, state in self.empty.items():
            has_points = any(self.series[f"{split}_{metric}"].x for split, _, _ in self.SPLITS)
            if state.visible == has_points:
                state.set_visible(not has_points)

    def _update_legend(self) -> None:
        """List the running curve only while an epoch is in progress (finished runs do not have one)."""
        running = bool(self.series["current_loss"].x)
        if running == self._current_in_legend:
            return
        for metric, plot in self.plots.items():
            curve = self.curves[f"current_{metric}"]
            if running:
                plot.plotItem.legend.addItem(curve, "train (this epoch)")
            else:
                plot.plotItem.legend.removeItem(curve)
        self._current_in_legend = running

    def point_count(self, key: str) -> int:
        """How many points the curve ``key`` (e.g. 'validation_accuracy') holds."""
        x, _ = self.curves[key].getData()
        return 0 if x is None else len(x)


class RunOverlay(QWidget):
    """Validation accuracy and loss per epoch of several runs, one colour per run, with one legend under
    both plots (run names are long: a legend inside either plot would squeeze or cover it)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        made = {
            "val_accuracy": _plot("Validation accuracy", "accuracy", NO_RUNS, legend=False),
            "val_loss": _plot("Validation loss", "loss", NO_RUNS, legend=False),
        }
        self.plots = {k: plot for k, (plot, _) in made.items()}
        self.empty = {k: state for k, (_, state) in made.items()}
        self.curves: dict[str, list[pg.PlotDataItem]] = {k: [] for k in self.plots}
        self.names: list[str] = []
        self.legend = QLabel()
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        self.legend.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        for plot in self.plots.values():
            row.addWidget(plot)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(row, 1)
        lay.addWidget(self.legend)

    def _curve(self, metric: str, index: int) -> pg.PlotDataItem:
        """The index-th curve of a plot; curves are made once and reused for later selections."""
        curves = self.curves[metric]
        while len(curves) <= index:
            colour = RUN_COLOURS[len(curves) % len(RUN_COLOURS)]
            pen = pg.mkPen(*colour, width=2)
            curves.append(
                self.plots[metric].plot(
                    [], [], pen=pen, symbol="o", symbolSize=5, symbolBrush=pg.mkBrush(*colour), symbolPen=None
                )
            )
        return curves[index]

    def set_runs(self, runs: Sequence[tuple[str, Sequence[dict]]]) -> None:
        """``runs``: (name, metrics rows) pairs; every run gets one curve per plot."""
        self.names = [name for name, _ in runs]
        for metric, plot in self.plots.items():
            drawn = False
            for i, (_name, rows) in enumerate(runs):
                pts = [(r["epoch"], r[metric]) for r in rows if r.get(metric) is not None and "epoch" in r]
                x = np.asarray([p[0] for p in pts], dtype=float)
                y = np.asarray([p[1] for p in pts], dtype=float)
                curve = self._curve(metric, i)
                curve.setData(x, y)
                curve.setVisible(True)
                drawn = drawn or bool(len(x))
            for curve in self.curves[metric][len(runs) :]:
                curve.setData([], [])
                curve.setVisible(False)
            plot.enableAutoRange()
            self.empty[metric].set_visible(not drawn)
        entries = []
        for i, name in enumerate(self.names):
            r, g, b = RUN_COLOURS[i % len(RUN_COLOURS)]
            entries.append(
                f'<span style="white-space:nowrap"><span style="color:rgb({r},{g},{b})">━━●━━</span>&nbsp;'
                f"{html.escape(name)}</span>"
            )
        self.legend.setText(" &nbsp;&nbsp; ".join(entries))
        self.legend.setVisible(bool(entries))

    def visible_curves(self, metric: str = "val_accuracy") -> int:
        return sum(1 for c in self.curves[metric] if c.isVisible())
