"""The Dataset area on real widgets with generated data (issue 9 §2/§3/§5, issue 12 items 10 and 24): the class
list bound to data.exclude, the text-column multi-select and sheet chooser, the loud import notices, the
documents search, fields that fit 1366 px, the test fraction that follows the data, and a failed import
that never leaves the form naming a file whose documents are not on screen."""

from __future__ import annotations

import csv
import gc

import pytest
from gui_helpers import wait_worker
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWidget,
)

from embedstudio.gui.panels.dataset_panel import DatasetPanel

POS = ["good", "great", "fine", "lovely", "superb"]
NEG = ["bad", "awful", "poor", "dull", "boring"]


@pytest.fixture(autouse=True)
def collect_the_test_widgets(qapp):
    """Free each test's panel (a reference cycle through its signal handlers) right after the test, on the GUI
    thread, instead of in a later test's garbage collection while that test's Workers run: collected late
    together with other modules' panels, the torn-down widgets crashed the interpreter now and then."""
    yield
    qapp.processEvents()
    gc.collect()


@pytest.fixture
def panel(qtbot, pool, tiny_workspace):
    p = DatasetPanel(tiny_workspace.state, pool)
    qtbot.addWidget(p)
    p.resize(1366, 740)
    p.show()
    return p


def wait_jobs(qtbot, panel) -> None:
    """Until the panel's preview and import Workers have finished and their results were handled."""
    qtbot.waitUntil(lambda: not panel.preview_runner.is_running() and not panel.runner.is_running(), timeout=20_000)
    QApplication.processEvents()


def open_and_import(qtbot, panel, path) -> None:
    imports = []
    panel.runner.started.connect(imports.append)
    wait_worker(qtbot, panel.open_path(path))
    qtbot.waitUntil(lambda: bool(imports), timeout=10_000)
    wait_worker(qtbot, imports[-1])
    wait_jobs(qtbot, panel)


def write_release(root, *, html: bool = False):
    """A movie-review-like release: train/{pos,neg,unsup} and test/{pos,neg}, six files each."""
    for part in ("train", "test"):
        for label in ("pos", "neg", "unsup") if part == "train" else ("pos", "neg"):
            folder = root / "release" / part / label
            folder.mkdir(parents=True)
            words = {"pos": POS, "neg": NEG}.get(label, POS + NEG)
            for i in range(6):
                text = " ".join(words[(i + j) % len(words)] for j in range(8)) + f" {label}{i}"
                if html:
                    text += " <br /><br />the end &amp; more"
                (folder / f"{i}.txt").write_text(text, encoding="utf-8")
    return root / "release" / "train"


def write_news(path, n: int = 24):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["label", "title", "description"])
        for i in range(n):
            words = POS if i % 2 else NEG
            w.writerow(
                [
                    "pos" if i % 2 else "neg",
                    f"headline {i}",
                    " ".join(words[(i + j) % 5] for j in range(12)) + f" story {i} &amp; more",
                ]
            )
    return path


def dismiss_error_boxes() -> list[str]:
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    texts = [b.text() + " " + b.informativeText() for b in boxes]
    for b in boxes:
        b.close()
    return texts


# ---- issue 9 §2: the class list ---------------------------------------------------------------------
def test_class_list_leaves_out_unlabelled_folder_and_reimports_undoably(qtbot, panel, tmp_path, tiny_workspace):
    state = tiny_workspace.state
    train = write_release(tmp_path)
    open_and_import(qtbot, panel, train)
    classes = panel.options.class_list
    assert panel.options.classes_box.isVisible()
    assert classes.names() == ["neg", "pos", "unsup"]
    assert classes.excluded() == ["unsup"], "an unlabelled folder only in train starts unticked"
    assert "unlabelled" in classes.item_for("unsup").text(3), "and says why"
    assert classes.item_for("pos").text(1) == "6" and classes.item_for("pos").text(2) == "6"
    assert state.config.data.exclude is None, "the default is not written into the config"
    assert sorted(state.dataset.classes) == ["neg", "pos"]
    # The preview agrees with the import: no rows of the left-out folder.
    assert "unsup" not in [
        panel.options.preview_model.value(r, 0) for r in range(panel.options.preview_model.rowCount())
    ]

    imports = []
    panel.runner.started.connect(imports.append)
    undo_before = state.undo.count()
    classes.item_for("unsup").setCheckState(0, Qt.Checked)  # keep it as a class after all
    assert state.config.data.exclude == []
    assert state.undo.undoText() == "Keep unsup" and state.undo.count() == undo_before + 1
    assert imports, "ticking re-imports"
    assert imports[-1].isRunning() or imports[-1].isFinished(), "in a Worker thread, not on the GUI thread"
    wait_worker(qtbot, imports[-1])
    wait_jobs(qtbot, panel)
    assert sorted(state.dataset.classes) == ["neg", "pos", "unsup"]

    classes.item_for("neg").setCheckState(0, Qt.Unchecked)
    assert sorted(state.config.data.exclude) == ["neg"] and state.undo.undoText() == "Leave out neg"
    wait_worker(qtbot, imports[-1])
    wait_jobs(qtbot, panel)
    assert sorted(state.dataset.classes) == ["pos", "unsup"]
    assert "Left out" in panel.view.notices.text() and "neg" in panel.view.notices.text()

    state.undo.undo()  # Edit > Undo: the ticks and the documents follow
    assert state.config.data.exclude == [] and classes.excluded() == []
    wait_jobs(qtbot, panel)
    wait_worker(qtbot, imports[-1])
    wait_jobs(qtbot, panel)
    assert sorted(state.dataset.classes) == ["neg", "pos", "unsup"]
    state.undo.undo()
    assert state.config.data.exclude is None and classes.excluded() == ["unsup"]
    wait_worker(qtbot, imports[-1])
    wait_jobs(qtbot, panel)
    assert sorted(state.dataset.classes) == ["neg", "pos"]


# ---- issue 9 §2/§5: the summary says what the import decided -----------------------------------------
def test_summary_says_loudly_where_the_test_set_came_from_what_was_left_out_and_html(qtbot, panel, tmp_path):
    train = write_release(tmp_path, html=True)
    open_and_import(qtbot, panel, train)
    view = panel.view
    assert view.notices.isVisible()
    text = view.notices.text()
    assert "<b>Test set taken from" in text and str(train.parent / "test") in text and "beside train" in text
    assert "<b>Left out</b> <b>unsup</b> (6)" in text and "unlabelled" in text
    assert "<b>HTML cleaned in 24 documents</b>" in text  # 12 train + 12 test documents held <br /> and &amp;
    assert "data.test_path" not in text and "data.exclude" not in text, "GUI words, not config syntax"
    assert panel.options.strip_html.itemText(0) == "Automatic (cleaned 24 documents)", "the control says it too"
    # The cleaned documents no longer hold the markup.
    texts = [view.documents.value(r, 3) for r in range(view.documents.rowCount())]
    assert texts and not any("<br" in t or "&amp;" in t for t in texts)


# ---- issue 9 §3: the text-column multi-select and the sheet chooser ------------------------------------
def test_text_columns_multi_select_ranked_with_auto_choice(qtbot, panel, tmp_path, tiny_workspace):
    state = tiny_workspace.state
    open_and_import(qtbot, panel, write_news(tmp_path / "news.csv"))
    picker = panel.options.text_column
    assert picker.columns()[:2] == ["description", "title"], "ordered by the core's ranking"
    assert picker.item_for("description").text().endswith("(auto choice)")
    assert picker.chosen() == ["description"] and state.config.data.text_column == "description"
    picker.item_for("title").setCheckState(Qt.Checked)
    assert state.config.data.text_column == ["description", "title"]
    assert state.undo.undoText() == "Use the text columns description + title"
    wait_worker(qtbot, panel.import_dataset())
    wait_jobs(qtbot, panel)
    first = state.dataset.train.texts[0]
    assert "story 0" in first and "headline 0" in first, "both columns are joined"
    assert "[text]" in panel.options.preview_headers()[1] and "[text]" in panel.options.preview_headers()[2]
    state.undo.undo()
    assert state.config.data.text_column == "description" and picker.chosen() == ["description"]


def test_excel_sheet_chooser(qtbot, panel, tmp_path, tiny_workspace):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.active.title = "notes"
    wb.active.append(["read me: the data is on the other sheets"])
    for name, offset in (("labelled", 0), ("more", 100)):
        sheet = wb.create_sheet(name)
        sheet.append(["category", "body"])
        for i in range(12):
            words = POS if i % 2 else NEG
            sheet.append(["pos" if i % 2 else "neg", " ".join(words[(i + j) % 5] for j in range(6)) + f" {i + offset}"])
    path = tmp_path / "book.xlsx"
    wb.save(path)
    state = tiny_workspace.state
    open_and_import(qtbot, panel, path)
    sheet = panel.options.sheet
    assert sheet.isVisible() and panel.options.source_form.labelForField(sheet).text() == "Sheet"
    assert [sheet.itemText(i).split("  ")[0] for i in range(sheet.count())] == ["notes", "labelled", "more"]
    assert state.config.data.sheet == "labelled", "a cover sheet without a table is skipped, and that is said"
    assert "The first sheet, 'notes', holds no table" in panel.view.notices.text()
    assert state.dataset is not None and state.dataset.train.texts[0].endswith(" 0")
    previews = []
    panel.preview_runner.started.connect(previews.append)
    sheet.setCurrentIndex(sheet.findData("more"))
    assert state.config.data.sheet == "more" and previews, "another sheet is previewed"
    wait_worker(qtbot, previews[-1])
    wait_worker(qtbot, panel.import_dataset())
    wait_jobs(qtbot, panel)
    assert state.dataset.train.texts[0].endswith(" 100")


# ---- issue 12 item 24 ---------------------------------------------------------------------------------
def test_test_fraction_disabled_when_the_data_brings_its_test_set(qtbot, panel, tmp_path):
    opts = panel.options
    open_and_import(qtbot, panel, write_news(tmp_path / "news.csv"))
    assert opts.test.isEnabled() and not opts.max_test_rows.isEnabled()
    open_and_import(qtbot, panel, write_release(tmp_path))
    assert not opts.test.isEnabled(), "a train/test layout brings its own test set"
    assert (
        opts.test.toolTip().startswith("Not used: the data brings its own test set")
        and str(tmp_path / "release" / "test") in opts.test.toolTip()
    )
    assert opts.max_test_rows.isEnabled() and opts.own_test_note.isVisible()
    open_and_import(qtbot, panel, write_news(tmp_path / "news2.csv"))
    assert opts.test.isEnabled(), "a new source without one: the fraction is used again"
    opts.test_edit.setText(str(tmp_path / "news.csv"))
    opts.test_edit.editingFinished.emit()
    assert not opts.test.isEnabled() and "news.csv" in opts.test.toolTip()
    opts.test_edit.setText("")
    opts.test_edit.editingFinished.emit()
    assert opts.test.isEnabled() and opts.test.toolTip() == opts.test_tip


def test_documents_search_filters_and_survives_sorting(qtbot, panel, tmp_path):
    open_and_import(qtbot, panel, write_news(tmp_path / "news.csv", n=40))
    view = panel.view
    view.tabs.setCurrentIndex(1)
    assert view.search.isVisible() and view.documents.rowCount() == 40
    view.search.setText("story 1")  # story 1, 10-19
    qtbot.waitUntil(lambda: view.documents.rowCount() == 11, timeout=3000)
    assert view.found.text() == "11 of 40"
    view.table.sortByColumn(3, Qt.DescendingOrder)
    texts = [view.documents.value(r, 3) for r in range(view.documents.rowCount())]
    assert len(texts) == 11 and all("story 1" in t for t in texts) and texts == sorted(texts, key=str.lower)[::-1]
    view.search.setText("POS")  # labels match too, case-insensitively
    qtbot.waitUntil(lambda: view.documents.rowCount() == 20, timeout=3000)
    view.search.clear()
    qtbot.waitUntil(lambda: view.documents.rowCount() == 40, timeout=3000)


def test_raw_preview_and_cleaned_documents_agree(qtbot, panel, tmp_path):
    open_and_import(qtbot, panel, write_news(tmp_path / "news.csv"))
    opts, docs = panel.options, panel.view.documents
    assert opts.preview_headers() == ["label  [label]", "title", "description  [text]"]
    raw = opts.preview_model.value(0, 2)
    assert raw.endswith("&amp; more"), "the preview shows the file as written"
    assert "before cleaning" in opts.preview_caption.text() and "After cleaning" in panel.view.docs_caption.text()
    # The same first row in the Documents tab: its text cleaned, its source the file's line 2.
    assert docs.value(0, 4) == "news.csv:2"
    assert docs.value(0, 3) == raw.replace("&amp;", "&") and docs.value(0, 1) == opts.preview_model.value(0, 0)


def clipped_fields(panel) -> list[str]:
    """Every visible field of the form that is cut by the pane's edge or narrower than its text."""
    opts, viewport = panel.options, panel.scroll_area.viewport()
    clipped = []
    kinds = (QLineEdit, QComboBox, QAbstractSpinBox, QPushButton, QCheckBox, QLabel)
    for w in opts.findChildren(QWidget):
        if not isinstance(w, kinds) or not w.isVisibleTo(opts) or isinstance(w.parentWidget(), kinds):
            continue
        left = w.mapTo(viewport, w.rect().topLeft()).x()
        right = w.mapTo(viewport, w.rect().topRight()).x()
        label = w.text() if hasattr(w, "text") and callable(w.text) else ""
        if left < 0 or right >= viewport.width():
            clipped.append(f"{type(w).__name__} {label!r} outside the pane")
        elif isinstance(w, QPushButton) and w.width() < w.fontMetrics().horizontalAdvance(w.text()) + 8:
            clipped.append(f"QPushButton {label!r} narrower than its text")
        elif isinstance(w, QCheckBox) and w.width() < w.sizeHint().width():
            clipped.append(f"QCheckBox {label!r} narrower than its text")
        elif isinstance(w, QLabel) and not w.wordWrap() and w.text() and w.width() < w.minimumSizeHint().width():
            clipped.append(f"QLabel {label!r} cut")
        elif isinstance(w, (QComboBox, QAbstractSpinBox)) and w.width() < w.minimumSizeHint().width():
            clipped.append(f"{type(w).__name__} {w.objectName()!r} narrower than its minimum")
    return clipped


def test_every_field_fits_at_1366_px_and_the_header_row_is_labelled(qtbot, tmp_path):
    from embedstudio.gui.main_window import MainWindow
    from embedstudio.gui.preferences import Preferences

    window = MainWindow(prefs=Preferences(demo_offered=True), save_prefs=False, warm_up=False)
    qtbot.addWidget(window)
    window.state.set_runs_dir(tmp_path / "runs")
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    window.show_area("Dataset")
    panel = window.dataset_panel
    opts = panel.options
    for source in (write_news(tmp_path / "news.csv"), write_release(tmp_path)):
        open_and_import(qtbot, panel, source)
        assert not panel.scroll_area.horizontalScrollBar().isVisible(), "no sideways scrolling that hides half a field"
        assert not clipped_fields(panel), (source.name, clipped_fields(panel))
    assert opts.columns_form.labelForField(opts.header).text() == "Header row"
    open_and_import(qtbot, panel, tmp_path / "news.csv")
    assert opts.header.isVisible() and opts.columns_form.labelForField(opts.header).isVisible()
    enc = opts.encoding
    assert enc.width() - 12 >= enc.fontMetrics().horizontalAdvance("windows-1252"), "a long encoding name shows whole"
    window.pool.wait_all()


# ---- issue 12 item 10: a failed import ----------------------------------------------------------------
def test_failed_import_goes_back_to_the_dataset_still_shown(qtbot, panel, tmp_path, tiny_workspace):
    state = tiny_workspace.state
    good = write_news(tmp_path / "news.csv")
    open_and_import(qtbot, panel, good)
    shown = state.dataset
    bad = tmp_path / "broken.csv"
    bad.write_text("text\nonly one column here\nand another row\n", encoding="utf-8")  # no label column
    worker = panel.open_path(bad)
    wait_worker(qtbot, worker)
    wait_jobs(qtbot, panel)
    errors = dismiss_error_boxes()
    assert errors and any("broken.csv" in e for e in errors), "the failure is reported clearly"
    assert state.dataset is shown, "the earlier dataset is still the one shown"
    assert panel.options.path_edit.text() == str(good), "the Data field names the dataset on screen"
    assert state.config.data.path == str(good)
    assert panel.view.failure.isVisible()
    assert "broken.csv" in panel.view.failure.text() and str(good) in panel.view.failure.text()
    assert "Could not open broken.csv" in panel.status.text()
    assert "broken.csv" in state.undo.undoText(), "going back is one undoable step"
    state.undo.undo()  # back to the broken file on purpose: the form names it and the banner says what is shown
    wait_jobs(qtbot, panel)
    dismiss_error_boxes()
    assert state.config.data.path == str(bad) and panel.options.path_edit.text() == str(bad)
    assert panel.view.failure.isVisible() and f"still those of {good}" in panel.view.failure.text()


def test_failed_first_import_clears_the_view(qtbot, panel, tmp_path, tiny_workspace):
    bad = tmp_path / "empty.csv"
    bad.write_text("", encoding="utf-8")
    wait_worker(qtbot, panel.open_path(bad))
    wait_jobs(qtbot, panel)
    dismiss_error_boxes()
    assert tiny_workspace.state.dataset is None
    assert panel.view.failure.isVisible() and "empty.csv" in panel.view.failure.text()
    assert panel.view.documents.rowCount() == 0
    assert panel.options.path_edit.text() == str(bad), "nothing else is shown: the field keeps the file to fix"


def test_class_list_of_an_archive_and_of_a_table_comes_from_the_import(qtbot, panel, tmp_path, tiny_workspace):
    import zipfile

    state = tiny_workspace.state
    release = write_release(tmp_path).parent
    archive = tmp_path / "release.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in sorted(release.rglob("*.txt")):
            zf.write(f, f"movie_reviews/{f.relative_to(release)}")  # inside one wrapper folder
    open_and_import(qtbot, panel, archive)
    classes = panel.options.class_list
    assert sorted(state.dataset.classes) == ["neg", "pos"]
    assert classes.names() == ["neg", "pos", "unsup"] and classes.excluded() == ["unsup"]
    assert "unlabelled" in classes.item_for("unsup").text(3)
    # A table: the classes are the label column's values; unticking one leaves its rows out.
    table = tmp_path / "three.csv"
    words = {"a": POS, "b": NEG, "c": ["red", "green", "blue", "cyan", "pink"]}
    with open(table, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "label"])
        for i in range(30):
            label = "abc"[i % 3]
            w.writerow([" ".join(words[label][(i + j) % 5] for j in range(6)) + f" {i}", label])
    open_and_import(qtbot, panel, table)
    assert classes.names() == ["a", "b", "c"] and classes.excluded() == []
    assert classes.isColumnHidden(2), "no test set: no Test column"
    imports = []
    panel.runner.started.connect(imports.append)
    classes.item_for("c").setCheckState(0, Qt.Unchecked)
    assert state.config.data.exclude == ["c"] and imports
    wait_worker(qtbot, imports[-1])
    wait_jobs(qtbot, panel)
    assert state.dataset.classes == ["a", "b"] and state.dataset.report.excluded == {"c": 10}
    assert classes.names() == ["a", "b", "c"] and classes.excluded() == ["c"]
    # Leaving one class is refused by the import: said clearly, the last good import stays on screen.
    shown = state.dataset
    classes.item_for("b").setCheckState(0, Qt.Unchecked)
    wait_worker(qtbot, imports[-1])
    wait_jobs(qtbot, panel)
    assert any("at least 2 classes" in e for e in dismiss_error_boxes())
    assert state.dataset is shown and panel.view.failure.isVisible()
    assert "last import that worked" in panel.view.failure.text()
    started = len(imports)
    state.set_field("training.epochs", 3)  # an edit elsewhere does not retry the refused import
    assert len(imports) == started and not dismiss_error_boxes()


def test_a_given_validation_set_is_listed_and_disables_its_fraction(qtbot, panel, tmp_path, tiny_workspace):
    opts = panel.options
    open_and_import(qtbot, panel, write_news(tmp_path / "news.csv"))
    assert opts.validation.isEnabled()
    opts.validation_edit.setText(str(write_news(tmp_path / "val.csv", n=6)))
    opts.validation_edit.editingFinished.emit()
    assert tiny_workspace.state.config.data.validation_path == str(tmp_path / "val.csv")
    assert not opts.validation.isEnabled() and "val.csv" in opts.validation.toolTip()
    wait_worker(qtbot, panel.import_dataset())
    wait_jobs(qtbot, panel)
    docs = panel.view.documents
    splits = [docs.value(r, 0) for r in range(docs.rowCount())]
    assert splits.count("validation") == 6 and splits.count("train") == 24
    assert (
        "<b>Validation set taken from" in panel.view.notices.text()
        and "<b>6</b> documents" in panel.view.notices.text()
    )
    assert [docs.value(r, 4) for r in range(docs.rowCount()) if docs.value(r, 0) == "validation"][0] == "val.csv:2"
