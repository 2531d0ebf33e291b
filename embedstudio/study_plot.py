"""The study's PNG plot: accuracy against training examples (log x), mean ± std over seeds, one line per arm.

Rendered with pyqtgraph's ImageExporter on an offscreen Qt platform (matplotlib and Pillow are not
dependencies; pyqtgraph already draws the app's charts). Lives outside ``core`` because it needs Qt.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

COLORS = {"tfidf": (90, 90, 90), "scratch": (214, 39, 40), "frozen": (31, 119, 180), "finetune": (44, 160, 44)}


def write_study_plot(table: list[dict], path: str | os.PathLike, *, title: str = "", width: int = 900) -> Path:
    """Draw ``study.summary_table`` rows into ``path`` (PNG) and return it."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    import pyqtgraph as pg
    import pyqtgraph.exporters

    from embedstudio.core.study import ARM_LABELS, plot_series

    pg.setConfigOptions(antialias=True, background="w", foreground="k")
    plot = pg.PlotWidget()
    plot.resize(width, int(width * 0.6))
    item = plot.getPlotItem()
    item.setLogMode(x=True, y=False)
    item.showGrid(x=True, y=True, alpha=0.3)
    item.setLabel("bottom", "training examples (log scale)")
    item.setLabel("left", "test accuracy")
    item.getAxis("left").enableAutoSIPrefix(False)
    item.getAxis("bottom").enableAutoSIPrefix(False)
    if title:
        item.setTitle(title)
    item.addLegend(offset=(10, 10))  # top left: accuracy rises with the examples, so that corner is empty
    series = plot_series(table)
    counts = sorted({int(p[0]) for points in series.values() for p in points if p[0] > 0})
    # Ticks at the subsets' sizes only: pyqtgraph's log-axis minor labels (2·10¹, 3·10¹, …) run together.
    item.getAxis("bottom").setTicks([[(float(np.log10(n)), f"{n:,}") for n in counts], []])
    for arm, points in series.items():
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        err = [p[2] for p in points]
        color = COLORS.get(arm, (0, 0, 0))
        item.plot(
            xs,
            ys,
            pen=pg.mkPen(color, width=2),
            symbol="o",
            symbolBrush=color,
            symbolSize=7,
            name=ARM_LABELS.get(arm, arm),
        )
        if any(e > 0 for e in err):
            bars = pg.ErrorBarItem(
                x=np.log10(np.asarray(xs)),
                y=np.asarray(ys),
                top=np.asarray(err),
                bottom=np.asarray(err),
                beam=0.05,
                pen=pg.mkPen(color, width=1),
            )
            item.addItem(bars)
    plot.show()  # an offscreen window: the scene needs a laid-out view to render
    app.processEvents()
    exporter = pyqtgraph.exporters.ImageExporter(item)
    exporter.parameters()["width"] = width
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp.png")
    exporter.export(str(tmp))
    os.replace(tmp, path)
    plot.close()
    plot.deleteLater()
    app.processEvents()
    return path
