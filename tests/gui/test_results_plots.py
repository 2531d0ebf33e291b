"""Results and plots (issue 12 items 14, 19-22): the confusion matrix's legend, percentages and cell clicks,
the per-class averages, the export confirmation, plots that follow the palette, empty states, the class
chart with many classes, the histogram's overflow bin, and the two-phase unfreeze marker.

Runs are hand-written folders in the format core.runs reads (report.json, misclassified.jsonl), except the
two-phase test, which trains a tiny model for real."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import QObject, QPointF, Qt, QUrl, Slot
from PySide6.QtGui import QColor, QDesktopServices, QPalette
from PySide6.QtWidgets import QApplication, QMessageBox
from test_training_panel_helpers import make_workspace, wait_done

from embedstudio.gui.widgets.charts import BarChart, Histogram
from embedstudio.gui.widgets.plot_curves import RunOverlay, TrainingCurves
from embedstudio.gui.widgets.plot_theme import EpochAxis
from embedstudio.gui.widgets.results_view import ResultsView

CLASSES = ["ham", "spam", "promo"]
MATRIX = [[40, 3, 7], [2, 18, 0], [5, 1, 4]]


def write_report_run(root):
    """A run folder with a report and a misclassified list for MATRIX (no model: nothing to predict)."""
    from embedstudio.core.evaluation import evaluate_predictions

    root.mkdir(parents=True, exist_ok=True)
    y_true, proba, wrong = [], [], []
    for i, true in enumerate(CLASSES):
        for j, predicted in enumerate(CLASSES):
            for k in range(MATRIX[i][j]):
                y_true.append(true)
                p = np.full(3, 0.1)
                p[j] = 0.8
                proba.append(p)
                if i != j:
                    wrong.append(
                        {
                            "text": f"{true} text {k} read as {predicted}",
                            "true": true,
                            "predicted": predicted,
                            "confidence": 0.8,
                        }
                    )
    report = evaluate_predictions(y_true, np.asarray(proba), CLASSES)
    (root / "config.json").write_text(json.dumps({"name": "handmade"}))
    (root / "description.json").write_text(json.dumps({"status": "completed", "name": "handmade"}))
    (root / "report.json").write_text(json.dumps(report))
    (root / "misclassified.jsonl").write_text("".join(json.dumps(w) + "\n" for w in wrong))
    return root, report


def dark_palette() -> QPalette:
    p = QPalette()
    for role, colour in (
        (QPalette.Window, "#2b2b2b"),
        (QPalette.Base, "#1e1e1e"),
        (QPalette.Text, "#e6e6e6"),
        (QPalette.WindowText, "#e6e6e6"),
        (QPalette.Button, "#353535"),
        (QPalette.ButtonText, "#e6e6e6"),
    ):
        p.setColor(role, QColor(colour))
    return p


@pytest.fixture
def view(qtbot, pool, tmp_path):
    run, report = write_report_run(tmp_path / "run")
    v = ResultsView(pool)
    qtbot.addWidget(v)
    v.resize(1000, 600)
    v.show()
    v.show_run(run, report, status="completed", name="handmade")
    return v, report


def click_cell(qtbot, matrix_view, row: int, column: int) -> None:
    """A real mouse click in the middle of a cell of the heatmap."""
    vb = matrix_view.getPlotItem().getViewBox()
    scene = vb.mapViewToScene(QPointF(column + 0.5, row + 0.5))
    qtbot.mouseClick(matrix_view.viewport(), Qt.LeftButton, pos=matrix_view.mapFromScene(scene))


def test_clicking_a_confusion_cell_lists_those_mistakes(qtbot, view):
    v, _ = view
    qtbot.waitUntil(lambda: v.confusion.getPlotItem().getViewBox().width() > 50)
    clicked = []
    v.confusion.cell_clicked.connect(lambda t, p: clicked.append((t, p)))
    click_cell(qtbot, v.confusion, 0, 2)  # true ham, predicted promo
    assert clicked == [("ham", "promo")]
    browser = v.misclassified
    assert v.tabs.currentWidget() is browser
    assert browser.true_combo.currentData() == "ham" and browser.pred_combo.currentData() == "promo"
    assert browser.proxy.rowCount() == MATRIX[0][2]
    assert {browser.proxy.index(r, 2).data() for r in range(browser.proxy.rowCount())} == {"promo"}
    v.tabs.setCurrentIndex(0)
    click_cell(qtbot, v.confusion, 2, 2)  # a diagonal cell: every mistake of that true class
    assert browser.true_combo.currentData() == "promo" and browser.pred_combo.currentData() == ""
    assert browser.proxy.rowCount() == MATRIX[2][0] + MATRIX[2][1]


def test_confusion_matrix_has_a_colour_legend_and_row_percentages(qtbot, view):
    v, _ = view
    m = v.confusion
    assert m.colour_bar.isVisible() and m.colour_bar.getAxis("left").labelText == "share of the true class"
    assert [m.cell_text(0, j) for j in range(3)] == ["40", "3", "7"]
    v.percent_box.setChecked(True)
    assert [m.cell_text(0, j) for j in range(3)] == ["80%", "6%", "14%"]
    assert [m.cell_text(1, j) for j in range(3)] == ["10%", "90%", "0%"]
    v.percent_box.setChecked(False)
    assert m.cell_text(2, 2) == "4"
    assert m.cell_colour(0, 0).lightness() < m.cell_colour(0, 1).lightness(), "a larger share is darker"


def test_per_class_table_has_average_rows_that_stay_last(qtbot, view):
    v, report = view
    table = v.per_class
    rows = table.rows()
    assert list(rows)[:3] == CLASSES and list(rows)[3:] == ["macro avg", "weighted avg"]
    assert rows["macro avg"][2] == f"{report['macro_f1']:.3f}"
    assert rows["weighted avg"][2] == f"{report['weighted_f1']:.3f}"
    assert rows["macro avg"][3] == f"{sum(map(sum, MATRIX))}"
    assert all(len(text.split(".")[1]) == 3 for values in rows.values() for text in values[:3]), "3 decimals"
    for order in (Qt.AscendingOrder, Qt.DescendingOrder):
        table.sortByColumn(3, order)  # F1
        assert list(table.rows())[3:] == ["macro avg", "weighted avg"]
    f1 = [float(x[2]) for x in list(table.rows().values())[:3]]
    assert f1 == sorted(f1, reverse=True)
    header = table.horizontalHeader()
    support = header.sectionSize(4)
    assert table.fontMetrics().horizontalAdvance("Support") < support < 200, "Support fits, not stretched"
    assert header.sectionSize(0) > support, "the class names get the spare width"


class UrlCatcher(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


def test_export_confirms_with_the_path_and_shows_the_folder(qtbot, pool, tmp_path):
    run, report = write_report_run(tmp_path / "run")
    (run / "model.keras").write_bytes(b"not really a model, but a file to copy")
    v = ResultsView(pool)
    qtbot.addWidget(v)
    v.show_run(run, report, status="completed", name="handmade")
    catcher = UrlCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "open")  # Qt's own hook: no file manager opens
    try:
        wait_done(qtbot, v.export_model(tmp_path / "out" / "sms"))
        box = v.export_notice
        assert isinstance(box, QMessageBox) and box.isVisible() and box.windowTitle() == "Model exported"
        target = tmp_path / "out" / "sms.keras"
        assert str(target) in box.text() and target.read_bytes().startswith(b"not really")
        show = next(b for b in box.buttons() if b.text() == "Show in Folder")
        show.click()
        assert catcher.urls == [QUrl.fromLocalFile(str(tmp_path / "out"))]
    finally:
        QDesktopServices.unsetUrlHandler("file")
    box.close()


def test_plots_follow_a_dark_palette(qtbot, view):
    v, _ = view
    curves, overlay, chart = TrainingCurves(), RunOverlay(), BarChart("Documents per class", left="documents")
    for w in (curves, overlay, chart):
        qtbot.addWidget(w)
    light_matrix = v.confusion.cell_colour(0, 0)
    app = QApplication.instance()
    previous = app.palette()
    app.setPalette(dark_palette())
    app.processEvents()  # Qt posts the palette change to each widget
    try:
        for plot in [*curves.plots.values(), *overlay.plots.values(), chart, v.confusion]:
            assert plot.backgroundBrush().color().lightness() < 60, plot
            assert plot.getPlotItem().getAxis("left").textPen().color().lightness() > 180
        assert v.confusion.cell_colour(1, 2).lightness() < 70, "an empty cell is about the background"
        assert v.confusion.cell_colour(0, 0) != light_matrix
        assert QColor(v.confusion.texts[0].color).lightness() < 60, "dark text on the bright full cell"
    finally:
        app.setPalette(previous)
        app.processEvents()
    assert curves.plots["loss"].backgroundBrush().color().lightness() > 200, "and back to light"


def test_empty_plots_say_so_and_epochs_are_whole(qtbot):
    curves = TrainingCurves()
    qtbot.addWidget(curves)
    for metric, state in curves.empty.items():
        assert state.visible and "No epochs yet" in state.item.toPlainText()
        axis = curves.plots[metric].getPlotItem().getAxis("bottom")
        assert axis.style["showValues"] is False and not curves.plots[metric].getPlotItem().legend.isVisible()
    curves.set_history([{"epoch": 1, "loss": 0.9, "val_loss": 1.0, "accuracy": 0.5, "val_accuracy": 0.4}])
    assert not curves.empty["loss"].visible and curves.plots["loss"].getPlotItem().legend.isVisible()
    axis = EpochAxis("bottom")
    for low, high in ((0.0, 1.0), (0.5, 1.5), (1.0, 40.0)):
        values = [v for _, level in axis.tickValues(low, high, 400) for v in level]
        assert values and all(float(v).is_integer() for v in values), (low, high, values)
    overlay = RunOverlay()
    qtbot.addWidget(overlay)
    assert overlay.empty["val_accuracy"].visible


def test_legend_sits_outside_the_data(qtbot):
    curves = TrainingCurves()
    qtbot.addWidget(curves)
    item = curves.plots["loss"].getPlotItem()
    assert item.legend.parentItem() is not item.getViewBox(), "not drawn over the curves"
    curves.resize(900, 320)
    curves.show()
    curves.set_history([{"epoch": e, "loss": 1 / e, "val_loss": 1.1 / e} for e in range(1, 5)])
    qtbot.waitUntil(lambda: item.legend.sceneBoundingRect().height() > 0)
    assert not item.legend.sceneBoundingRect().intersects(item.getViewBox().sceneBoundingRect())


def test_twenty_classes_get_horizontal_bars_with_every_label(qtbot):
    chart = BarChart("Documents per class", left="documents")
    qtbot.addWidget(chart)
    names = [f"comp.sys.topic{i:02d}" for i in range(20)]
    chart.set_bars(names, list(range(20, 40)))
    assert chart.horizontal and chart.tick_labels() == [n[:23] + "…" if len(n) > 24 else n for n in names]
    chart.set_bars(["ham", "spam"], [80, 20])
    assert not chart.horizontal and chart.tick_labels() == ["ham", "spam"]
    chart.set_bars([], [])
    assert chart.empty.visible


def test_histogram_labels_its_overflow_bin(qtbot):
    hist = Histogram("Document length", bottom="words per document")
    qtbot.addWidget(hist)
    hist.set_histogram([0, 10, 20, 30, 40], [5, 9, 3, 2])
    assert hist.overflow_label.toPlainText() == "≥ 30" and not hist.empty.visible
    hist.set_histogram([], [])
    assert hist.empty.visible and hist.overflow_label.toPlainText() == ""


def test_two_phase_training_marks_the_unfreeze_on_the_live_curves_and_in_the_log(qtbot, pool, tmp_path):
    from embedstudio.gui.panels.runs_panel import RunDetails
    from embedstudio.gui.panels.training_panel import TrainingPanel

    ws = make_workspace(tmp_path, epochs=3)
    ws.state.config.embedding.mode = "two_phase"
    ws.state.config.embedding.unfreeze_epoch = 2
    panel = TrainingPanel(ws.state, pool)
    qtbot.addWidget(panel)
    worker = panel.start()
    for line in panel.curves.markers.values():
        assert line.isVisible() and line.value() == 1, "epoch 2 begins at x = 1"
    wait_done(qtbot, worker)
    assert panel.last_result.status == "completed"
    log = panel.log.toPlainText()
    assert log.count("Epoch 2: the embedding unfreezes") == 1 and "learning rate × 0.1" in log
    details = RunDetails(pool)
    qtbot.addWidget(details)
    from embedstudio.core.runs import load_run

    details.show_record(load_run(panel.run_dir))
    assert details.curves.unfreeze_epoch == 2 and details.curves.markers["loss"].isVisible()
    assert details.curves.markers["loss"].label.toPlainText() == "unfreeze (epoch 2)"
    ws.state.config.embedding.mode = "finetune"
    wait_done(qtbot, panel.start())
    assert not panel.curves.markers["loss"].isVisible(), "no marker for a one-phase run"


def test_the_vector_map_follows_a_dark_palette(qtbot):
    from embedstudio.gui.widgets.vector_map import LABEL_COLOURS, VectorMap

    vector_map = VectorMap()
    qtbot.addWidget(vector_map)
    assert vector_map.plot.backgroundBrush().color().lightness() > 200
    app = QApplication.instance()
    previous = app.palette()
    app.setPalette(dark_palette())
    app.processEvents()
    try:
        assert vector_map.plot.backgroundBrush().color().lightness() < 60
        assert vector_map._label_colour(True) == LABEL_COLOURS[True][0]
    finally:
        app.setPalette(previous)
        app.processEvents()
    assert vector_map.plot.backgroundBrush().color().lightness() > 200
