"""Dataset area with real widgets, generated datasets and real import Workers (offscreen)."""

from __future__ import annotations

import csv
import gc

import numpy as np
import pytest
from gui_helpers import wait_worker
from PySide6.QtCore import QAbstractTableModel, Qt
from PySide6.QtWidgets import QTableView

from embedstudio.gui.panels.dataset_panel import DatasetPanel


@pytest.fixture(autouse=True)
def collect_the_test_widgets(qapp):
    """Free each test's panel at teardown, on the GUI thread (see test_dataset_area.py)."""
    yield
    qapp.processEvents()
    gc.collect()


@pytest.fixture
def panel(qtbot, pool, tiny_workspace):
    p = DatasetPanel(tiny_workspace.state, pool)
    qtbot.addWidget(p)
    p.resize(1200, 760)
    p.show()
    return p


def open_and_import(qtbot, panel, path):
    """open_path previews, then imports: wait for both jobs."""
    imports = []
    panel.runner.started.connect(imports.append)
    preview = panel.open_path(path)
    wait_worker(qtbot, preview)
    qtbot.waitUntil(lambda: bool(imports), timeout=10_000)
    wait_worker(qtbot, imports[-1])


def write_csv(path, rows, header=("id", "review", "stars", "sentiment")):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_import_folder_dataset(qtbot, panel, tiny_workspace):
    seen = []
    tiny_workspace.state.dataset_changed.connect(seen.append)
    open_and_import(qtbot, panel, tiny_workspace.dataset)
    ds = tiny_workspace.state.dataset
    assert ds is not None and seen == [ds]
    assert sorted(ds.classes) == ["neg", "pos"] and len(ds.train) == 16
    assert panel.options.detected.text() == "detected: folders"
    assert not panel.options.text_column.isEnabled()  # no columns to pick for a folder layout
    assert "16" in panel.view.summary.text() and "2</b> classes" in panel.view.summary.text()
    assert panel.view.documents.rowCount() == 16
    assert tiny_workspace.state.config.data.path == str(tiny_workspace.dataset)
    assert panel.import_button.isEnabled()


def test_csv_column_picker_with_preview(qtbot, panel, tmp_path, tiny_workspace):
    rows = [
        (i, f"review number {i} was {'good' if i % 2 else 'bad'}", i % 5, "pos" if i % 2 else "neg") for i in range(40)
    ]
    path = write_csv(tmp_path / "reviews.csv", rows)
    open_and_import(qtbot, panel, path)
    opts = panel.options
    # The preview shows the file's columns and first rows; the suggestions are the text and label columns.
    assert opts.preview_model.rowCount() == 40
    # The text and label columns are marked in the raw preview's header.
    assert opts.preview_headers() == ["id", "review  [text]", "stars", "sentiment  [label]"]
    assert opts.text_column.isEnabled() and opts.text_column.chosen() == ["review"]
    assert opts.label_column.currentData() == "sentiment"
    assert sorted(tiny_workspace.state.dataset.classes) == ["neg", "pos"]
    # Picking another label column and re-importing uses it.
    opts.label_column.setCurrentIndex(opts.label_column.findData("stars"))
    assert tiny_workspace.state.config.data.label_column == "stars"
    worker = panel.import_dataset()
    wait_worker(qtbot, worker)
    assert sorted(tiny_workspace.state.dataset.classes) == ["0", "1", "2", "3", "4"]


def test_preview_of_100k_rows_is_a_model_view(qtbot, panel, tmp_path):
    n = 100_000
    rng = np.random.default_rng(1)
    words = np.array(["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta"])
    rows = ((i, " ".join(rng.choice(words, 6)) + f" {i}", 0, ("a", "b", "c")[i % 3]) for i in range(n))
    path = write_csv(tmp_path / "big.csv", rows)
    open_and_import(qtbot, panel, path)
    view = panel.view.table
    assert isinstance(view, QTableView) and isinstance(view.model(), QAbstractTableModel)
    assert view.model().rowCount() == n
    assert view.model().columnCount() == 5
    view.sortByColumn(2, Qt.DescendingOrder)  # by length: a permutation, not a copy
    lengths = [view.model().value(r, 2) for r in (0, 1, n - 1)]
    assert lengths[0] >= lengths[1] >= lengths[2]


def test_charts_populated(qtbot, panel, tiny_workspace):
    open_and_import(qtbot, panel, tiny_workspace.dataset)
    bars = panel.view.class_chart
    assert bars.labels == ["neg", "pos"] and list(bars.values) == [8, 8]
    hist = panel.view.length_chart
    assert hist.counts.sum() == 16 and len(hist.edges) == len(hist.counts) + 1
    x, y = hist.curve.getData()
    assert len(x) == len(hist.edges) and y.sum() == 16


def test_warnings_shown_for_imbalance_duplicates_and_leaks(qtbot, panel, tmp_path, tiny_workspace):
    rows = [(i, f"a long happy text number {i}", 0, "common") for i in range(60)]
    rows += [(100 + i, f"rare words {i}", 0, "rare") for i in range(6)]
    rows += [(200, "a long happy text number 1", 0, "common")]  # duplicate of an earlier row
    rows += [(300 + i, f"spam spam offer {i}", 0, "spam") for i in range(12)]  # label named in its texts
    path = write_csv(tmp_path / "skewed.csv", rows)
    tiny_workspace.state.config.data.drop_duplicates = True
    open_and_import(qtbot, panel, path)
    text = panel.view.warnings.text().lower()
    assert panel.view.warnings.isVisible()
    assert "imbalanced" in text
    assert "spam" in text and "leak" in text
    assert "&#x27;" not in panel.view.warnings.text(), "quotes are shown as quotes, not as escaped HTML"
    assert "1 duplicate" in panel.view.summary.text()


def test_cleaning_options_write_config(qtbot, panel, tiny_workspace):
    opts = panel.options
    cfg = tiny_workspace.state.config
    assert opts.auto_mail.isChecked() and cfg.data.strip_headers is None
    opts.auto_mail.setChecked(False)  # issue 12: switching auto off keeps what auto applies (all three)
    assert cfg.data.strip_headers is True and cfg.data.strip_quotes is True
    opts.strip_quotes.setChecked(False)
    opts.validation.setValue(0.2)
    opts.seed.setValue(7)
    assert cfg.data.strip_headers is True and cfg.data.strip_quotes is False
    assert cfg.data.validation_fraction == 0.2 and cfg.data.split_seed == 7
    opts.auto_mail.setChecked(True)
    assert cfg.data.strip_headers is None


def test_bad_csv_shows_error(qtbot, panel, tmp_path):
    from PySide6.QtWidgets import QApplication, QMessageBox

    path = tmp_path / "empty.csv"
    path.write_text("", encoding="utf-8")
    worker = panel.open_path(path)
    wait_worker(qtbot, worker)
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    assert boxes and "empty.csv" in boxes[-1].text()
    assert panel.runner.current is None  # no import after a failed preview
    for b in boxes:
        b.close()


def test_config_changed_elsewhere_updates_the_form(qtbot, panel, tiny_workspace, tmp_path):
    from embedstudio.core.config import RunConfig

    path = write_csv(tmp_path / "other.csv", [(i, f"text {i}", 0, "ab"[i % 2]) for i in range(10)])
    cfg = RunConfig()
    cfg.data.path = str(path)
    cfg.data.validation_fraction = 0.3
    cfg.data.label_column = "stars"
    previews = []
    panel.preview_runner.started.connect(previews.append)
    tiny_workspace.state.set_config(cfg)  # e.g. File > Open Config or a re-run from the Runs area
    assert panel.options.path_edit.text() == str(path)
    assert panel.options.validation.value() == 0.3
    assert previews, "a new data path is previewed"
    wait_worker(qtbot, previews[-1])
    assert panel.options.label_column.currentData() == "stars"  # the config's choice survives the preview
    assert panel.options.text_column.chosen() == ["review"]
    assert [panel.options.label_column.itemData(i) for i in range(panel.options.label_column.count())] == [
        "",
        "id",
        "review",
        "stars",
        "sentiment",
    ]


@pytest.mark.shared_data
def test_real_sms_spam_tsv_imbalance_warning(qtbot, panel, tiny_workspace):
    from tests.conftest import shared_data

    path = shared_data("datasets/SMSSpamCollection.tsv")
    open_and_import(qtbot, panel, path)
    ds = tiny_workspace.state.dataset
    assert sorted(ds.classes) == ["ham", "spam"]
    assert panel.options.detected.text() == "detected: tsv"
    assert panel.options.text_column.chosen() == ["SMS"] and panel.options.label_column.currentData() == "Label"
    assert "imbalanced" in panel.view.warnings.text()
    assert panel.view.class_chart.labels == ["ham", "spam"]
