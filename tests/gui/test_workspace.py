"""The workspace as a whole (issue 12, items 4, 6, 15–18, 23): projects saved and reopened, prompts before
work is replaced, crash recovery, the Start page, fitting the screen, the offline guide with F1, failed vector
files, Recent Files, file dialogs per kind, the vector map and Explore. Real widgets, real files, real workers."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import numpy as np
import pytest
from gui_helpers import answer_next_question, wait_worker, write_glove
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from embedstudio.core.config import load_config
from embedstudio.core.project import load_project
from embedstudio.gui import help as help_mod
from embedstudio.gui.main_window import MainWindow
from embedstudio.gui.preferences import Preferences, recovery_path
from embedstudio.gui.start_page import DONE, MISSING

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def make_window(qtbot):
    made = []

    def make(prefs=None, **kwargs):
        kwargs.setdefault("warm_up", False)
        kwargs.setdefault("save_prefs", False)
        w = MainWindow(prefs=prefs if prefs is not None else Preferences(demo_offered=True), **kwargs)
        qtbot.addWidget(w)
        w.resize(1200, 760)
        made.append(w)
        return w

    yield make
    for w in made:
        w.pool.wait_all()


def _idle(qtbot, window) -> None:
    qtbot.waitUntil(lambda: not window.pool.running(), timeout=60_000)


def _fill(qtbot, window, ws) -> None:
    """Vectors loaded and ticked, the folder dataset imported with a changed import option."""
    window.vectors_panel.add_files([str(ws.vectors)])
    qtbot.waitUntil(lambda: window.state.is_loaded(str(ws.vectors)), timeout=60_000)
    window.dataset_panel.open_path(str(ws.dataset))
    qtbot.waitUntil(lambda: window.state.dataset is not None, timeout=60_000)
    _idle(qtbot, window)
    window.state.set_field("data.drop_duplicates", False)
    window.dataset_panel.import_dataset()  # again, with the changed option
    qtbot.waitUntil(lambda: window.state.dataset_for(window.state.config.data) is not None, timeout=60_000)
    _idle(qtbot, window)
    window.state.set_field("training.epochs", 1)
    window.state.set_field("model.preset", "swem")
    window.state.set_runs_dir(ws.runs_dir)


def _errors() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets() if w.objectName() == "errorDialog" and w.isVisible()]


# ---- item 6: the project file ----------------------------------------------------------------
def test_save_project_then_open_restores_library_dataset_options_config_and_runs_folder(
    qtbot, make_window, tiny_workspace, tmp_path
):
    w = make_window()
    w.show()
    _fill(qtbot, w, tiny_workspace)
    target = tmp_path / "reviews.esproj"
    assert w._write_project(target)
    assert w.windowTitle() == "reviews — EmbedStudio"
    saved = load_project(target)
    assert saved.vector_library == [str(tiny_workspace.vectors)]
    assert saved.config.data.path == str(tiny_workspace.dataset) and saved.config.data.drop_duplicates is False
    assert saved.runs_dir == str(tiny_workspace.runs_dir)
    expected = w.state.config.to_dict()

    assert w.new_project()  # nothing unsaved: no question
    assert w.state.library == [] and w.state.config.data.path == "" and w.state.dataset is None
    assert w.windowTitle() == "untitled — EmbedStudio"

    assert w.open_project(target)
    assert w.state.config.to_dict() == expected
    assert w.state.library == [str(tiny_workspace.vectors)] and w.state.runs_dir == tiny_workspace.runs_dir
    qtbot.waitUntil(lambda: w.state.dataset is not None and all(w.state.selected_vectors()), timeout=60_000)
    _idle(qtbot, w)
    assert w.windowTitle() == "reviews — EmbedStudio", "opened and loaded: not modified"
    assert w.prefs.recent["project"][0] == str(target)
    w.state.set_field("training.epochs", 3)
    assert w.windowTitle() == "reviews* — EmbedStudio"
    w.state.undo.undo()
    assert w.windowTitle() == "reviews — EmbedStudio"
    w.state.set_runs_dir(tmp_path / "other-runs")  # not a config edit, still a change of the project
    assert w.windowTitle() == "reviews* — EmbedStudio"
    assert w.save_project() and load_project(target).runs_dir == str(tmp_path / "other-runs")
    assert w.new_project()
    routed = w.open_paths([target])  # dropped on the window or given on the command line
    assert routed["project"] == [target] and w.windowTitle() == "reviews — EmbedStudio"
    assert w.state.library == [str(tiny_workspace.vectors)]
    _idle(qtbot, w)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{broken", "invalid JSON"),
        (json.dumps({"format": "embedstudio-project", "schema_version": 7}), "newer EmbedStudio"),
        (json.dumps({"name": "x", "embedding": {"mode": "scratch"}}), "Open Config"),
    ],
)
def test_a_bad_or_too_new_project_gives_one_clear_message_and_changes_nothing(
    qtbot, make_window, tmp_path, content, expected
):
    w = make_window()
    w.show()
    w.state.set_field("training.epochs", 4)
    before = w.state.config.to_dict()
    bad = tmp_path / "bad.esproj"
    bad.write_text(content, encoding="utf-8")
    answer_next_question(qtbot, "Don't Save")
    assert not w.open_project(bad)
    boxes = _errors()
    assert len(boxes) == 1 and boxes[0].windowTitle() == "Could not open the project"
    shown = boxes[0].text() + boxes[0].informativeText()
    assert "bad.esproj" in shown and expected in shown
    assert boxes[0].icon() == QMessageBox.Warning and not boxes[0].detailedText(), "a user error: no traceback"
    assert w.state.config.to_dict() == before
    boxes[0].close()


# ---- item 4: prompts on New / Open Project, recovery after a crash -------------------------------
def test_new_and_open_project_ask_before_replacing_unsaved_work(qtbot, make_window, tiny_workspace, tmp_path):
    w = make_window()
    w.show()
    w.state.set_field("training.epochs", 4)  # untitled and edited
    asked: list = []
    answer_next_question(qtbot, "Cancel", asked)
    assert not w.new_project()
    assert asked[0] == ("Unsaved changes", "Save the current work as a project before starting a new project?")
    assert w.state.config.training.epochs == 4
    answer_next_question(qtbot, "Don't Save")
    assert w.new_project() and w.state.config.training.epochs == 10

    target = tmp_path / "p.esproj"
    w.state.set_field("training.epochs", 2)
    assert w._write_project(target)
    other = tmp_path / "other.esproj"
    w.state.set_field("training.epochs", 6)
    assert w._write_project(other) and w.new_project()  # just saved: New asks nothing
    assert w.open_project(target)
    w.state.set_field("training.epochs", 8)
    answer_next_question(qtbot, "Save", asked)
    assert w.open_project(other)
    assert asked[-1] == ("Unsaved changes", "Save the changes to p.esproj before opening other.esproj?")
    assert load_project(target).config.training.epochs == 8, "saved before the other project opened"
    assert w.state.config.training.epochs == 6
    _idle(qtbot, w)


def test_after_a_crash_the_next_start_offers_to_recover_the_unsaved_session(qtbot, make_window, tiny_workspace):
    first = make_window(save_prefs=True)
    first.show()
    first.state.set_field("embedding.mode", "scratch")
    first.state.set_field("training.patience", 9)
    first.vectors_panel.add_files([str(tiny_workspace.vectors)], load=False)
    qtbot.waitUntil(
        lambda: recovery_path().is_file() and load_project(recovery_path()).config.training.patience == 9,
        timeout=10_000,
    )
    # ``first`` never closes cleanly (as after a crash): the recovery file stays and the next start finds it.
    second = make_window(Preferences(demo_offered=True), save_prefs=True)
    assert second.recovery is not None
    asked: list = []
    answer_next_question(qtbot, "Recover", asked)
    second.show()
    second.after_show()
    assert asked == [
        ("Recover the unsaved session?", "EmbedStudio did not close properly last time. Recover the unsaved session?")
    ]
    assert second.state.config.training.patience == 9 and second.state.config.embedding.mode == "scratch"
    assert str(tiny_workspace.vectors) in second.state.library
    assert second.windowTitle().startswith("untitled*"), "recovered work is unsaved work"
    second.request_quit(confirm=False)
    qtbot.waitUntil(lambda: not second.isVisible(), timeout=30_000)
    assert not recovery_path().exists(), "a clean exit leaves nothing to recover"
    third = make_window(Preferences(demo_offered=True), save_prefs=True)
    assert third.recovery is None


def test_discarding_the_recovery_starts_from_the_saved_file(qtbot, make_window):
    first = make_window(save_prefs=True)
    first.state.set_field("training.patience", 7)
    qtbot.waitUntil(recovery_path().is_file, timeout=10_000)
    second = make_window(Preferences(demo_offered=True), save_prefs=True)
    answer_next_question(qtbot, "Discard")
    second.show()
    second.after_show()
    assert second.state.config.training.patience != 7 and not recovery_path().exists()
    _idle(qtbot, second)


# ---- item 15: failed files marked and removable; Recent Files only lists files that opened ----------
def test_a_supervised_fasttext_model_is_marked_failed_with_the_reason_and_removable(
    qtbot, make_window, tiny_workspace, gensim_data
):
    w = make_window()
    w.show()
    classifier = str(gensim_data("pang_lee_polarity_fasttext.bin"))
    w.vectors_panel.add_files([classifier, str(tiny_workspace.vectors)])
    for path in (classifier, str(tiny_workspace.vectors)):
        worker = w.vectors_panel.loads.get(path)
        if worker is not None:
            wait_worker(qtbot, worker)
    model = w.vectors_panel.library_model
    row = w.state.library.index(classifier)
    state_text = model.data(model.index(row, 6))
    assert state_text.startswith("failed: pang_lee_polarity_fasttext.bin is a supervised")
    assert "supervised fastText model" in model.data(model.index(row, 6), Qt.ToolTipRole)
    assert model.data(model.index(row, 1), Qt.ForegroundRole) is not None, "failed rows are drawn in red"
    boxes = _errors()
    assert boxes and boxes[-1].windowTitle() == "Could not load the vector file"
    for box in boxes:
        box.close()
    w.vectors_panel.select_path(classifier)
    assert "Press Remove" in w.vectors_panel.message.text()
    qtbot.mouseClick(w.vectors_panel.remove_button, Qt.LeftButton)
    assert classifier not in w.state.library
    w._fill_recent_menu()
    assert w.prefs.recent["vectors"] == [str(tiny_workspace.vectors)], "only the file that opened"


def test_recent_files_list_only_datasets_that_imported_and_files_that_still_exist(
    qtbot, make_window, tiny_workspace, tmp_path
):
    w = make_window()
    w.show()
    bad = tmp_path / "one-class.csv"
    bad.write_text("text,label\na,x\nb,x\n", encoding="utf-8")
    w.dataset_panel.open_path(str(bad))
    _idle(qtbot, w)
    for box in _errors():
        box.close()
    assert str(bad) not in w.prefs.recent["dataset"]
    w.dataset_panel.open_path(str(tiny_workspace.dataset))
    qtbot.waitUntil(lambda: w.state.dataset is not None, timeout=60_000)
    _idle(qtbot, w)
    assert w.prefs.recent["dataset"] == [str(tiny_workspace.dataset)]
    w.prefs.add_recent("config", str(tmp_path / "gone.toml"))
    w._fill_recent_menu()
    texts = [a.text() for a in w.recent_menu.actions()]
    assert not any("gone.toml" in t for t in texts) and any("reviews" in t for t in texts)


# ---- item 16: first start fits the screen, Start page --------------------------------------------
_FIT_PROBE = textwrap.dedent("""
    import json
    from embedstudio.gui.app import make_application
    from embedstudio.gui.main_window import MainWindow
    from embedstudio.gui.preferences import Preferences
    app = make_application()
    w = MainWindow(prefs=Preferences(demo_offered=True), save_prefs=False, warm_up=False)
    w.show(); app.processEvents()
    w.fit_to_screen(); app.processEvents()
    avail = w.screen().availableGeometry()
    frame = w.frameGeometry()
    bar = w.statusBar()
    top_left = bar.mapToGlobal(bar.rect().topLeft()); bottom_right = bar.mapToGlobal(bar.rect().bottomRight())
    print(json.dumps({
        "avail": [avail.x(), avail.y(), avail.width(), avail.height()],
        "frame": [frame.x(), frame.y(), frame.width(), frame.height()],
        "bar": [top_left.x(), top_left.y(), bottom_right.x(), bottom_right.y()],
        "area": w.current_area(),
    }))
    w.request_quit(confirm=False); w.pool.wait_all()
""")


@pytest.mark.parametrize(
    ("width", "height", "scale"),
    [(1366, 768, "1"), (1920, 1080, "2"), (1920, 1000, "2"), (1024, 600, "1")],  # 1000: 1080 less a taskbar
)
def test_first_start_fits_the_available_geometry_and_opens_on_the_start_page(tmp_path, width, height, scale):
    screen = tmp_path / "screen.json"
    screen.write_text(
        json.dumps({"screens": [{"name": "s", "x": 0, "y": 0, "width": width, "height": height, "logicalDpi": 96}]}),
        encoding="utf-8",
    )
    env = {
        **__import__("os").environ,
        "QT_QPA_PLATFORM": f"offscreen:configfile={screen}",
        "QT_SCALE_FACTOR": scale,
        "PYTHONPATH": str(ROOT),
    }
    res = subprocess.run(
        [sys.executable, "-c", _FIT_PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    ax, ay, aw, ah = out["avail"]
    assert (aw, ah) == (width // int(scale), height // int(scale)), "QScreen.availableGeometry in logical pixels"
    fx, fy, fw, fh = out["frame"]
    assert ax <= fx and ay <= fy and fx + fw <= ax + aw and fy + fh <= ay + ah, out
    bx0, by0, bx1, by1 = out["bar"]
    assert ay <= by0 and by1 < ay + ah, f"the status bar is on screen: {out}"
    assert out["area"] == "Start"


def test_the_train_hint_names_each_step_still_missing():
    from embedstudio.gui.start_page import Step, missing_steps_hint

    done, missing = Step(DONE, ""), Step(MISSING, "")
    assert missing_steps_hint(missing, done) == "Complete step 1 (word vectors) first."
    assert missing_steps_hint(done, missing) == "Complete step 2 (labelled data) first."
    assert missing_steps_hint(missing, missing) == "Complete step 1 (word vectors) and step 2 (labelled data) first."


def test_the_recipe_says_epoch_for_one_epoch():
    from embedstudio.core.config import RunConfig
    from embedstudio.gui.start_page import describe_recipe

    cfg = RunConfig()
    cfg.training.epochs = 1
    assert describe_recipe(cfg).endswith("at most 1 epoch")
    cfg.training.epochs = 6
    assert describe_recipe(cfg).endswith("at most 6 epochs")


def test_start_page_shows_the_three_steps_and_trains(qtbot, make_window, tiny_workspace):
    w = make_window()
    w.show()
    page = w.start_page
    assert w.tabs.tabText(0) == "Start"
    steps = page.steps()
    assert [steps[k].mark for k in ("vectors", "data", "train")] == [MISSING, MISSING, MISSING]
    assert not page.train_button.isEnabled() and page.train_hint.text() == (
        "Complete step 1 (word vectors) and step 2 (labelled data) first."
    )
    assert page.marks["vectors"].text() == MISSING
    _fill(qtbot, w, tiny_workspace)
    page.refresh()
    assert page.marks["vectors"].text() == DONE and "tiny.glove.txt loaded" in page.texts["vectors"].text()
    assert page.marks["data"].text() == DONE and "2 classes" in page.texts["data"].text()
    assert page.train_button.isEnabled()
    qtbot.mouseClick(page.step_buttons["data"], Qt.LeftButton)
    assert w.current_area() == "Dataset"
    w.show_area("Start")
    qtbot.mouseClick(page.train_button, Qt.LeftButton)
    assert w.current_area() == "Training" and w.training_running()
    qtbot.waitUntil(lambda: not w.training_running(), timeout=300_000)
    _idle(qtbot, w)
    assert any(tiny_workspace.runs_dir.iterdir()), "the Train button wrote a run"


def test_the_demo_workspace_says_what_it_is_for(qtbot, make_window):
    from embedstudio.resources import demo_config_path

    w = make_window()
    w.show()
    page = w.start_page
    assert not page.demo_label.isVisibleTo(page) and page.demo_button.isVisibleTo(page)
    w.state.set_config(load_config(demo_config_path()))
    assert page.demo_label.isVisibleTo(page) and not page.demo_button.isVisibleTo(page)
    text = page.demo_label.text()
    assert "demo workspace" in text and "BBC News" in text and "GloVe 6B 50d" in text and "Train" in text


# ---- item 17: the guide, F1, shortcuts, Help from error dialogs -----------------------------------
def test_guide_ships_offline_with_every_section_and_is_packaged():
    html = help_mod.guide_path().read_text(encoding="utf-8")
    ids = set(re.findall(r'id="([^"]+)"', html))
    assert set(help_mod.SECTIONS) <= ids
    assert not re.search(r'(src|href)="https?://', html), "the guide loads nothing from the network"
    for target in re.findall(r'href="#([^"]+)"', html):
        assert target in ids, target
    data_files = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "data-files"
    ]
    assert data_files["share/embedstudio/resources/help"] == ["resources/help/*.html"]
    spec = (ROOT / "packaging" / "embedstudio.spec").read_text(encoding="utf-8")
    assert '(str(ROOT / "resources"), "resources")' in spec, "the bundle carries the whole resources folder"
    import importlib.util

    loader = importlib.util.spec_from_file_location("bundle_trim", ROOT / "packaging" / "bundle_trim.py")
    trim = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(trim)
    assert trim.matching_rule("resources/help/guide.html") is None, "the bundle trim keeps the guide"


def test_f1_opens_the_guide_at_the_current_area(qtbot, make_window):
    w = make_window()
    w.show()
    assert w.act_help.shortcut().toString() == "F1"
    for area, heading in (("Vectors", "Vectors: word-vector files"), ("Runs", "Runs: results")):
        w.show_area(area)
        w.act_help.trigger()
        viewer = help_mod.current_viewer()
        assert viewer is not None and viewer.isVisible() and viewer.windowTitle() == "EmbedStudio User Guide"
        assert viewer.section() == help_mod.AREA_SECTIONS[area]
        assert heading in viewer.browser.toPlainText()
    viewer.close()


def test_keyboard_shortcut_list_comes_from_the_menus(qtbot, make_window):
    w = make_window()
    box = w.show_shortcuts()
    rows = {(box.table.item(r, 1).text(), box.table.item(r, 2).text()) for r in range(box.table.rowCount())}
    assert ("Train", "Ctrl+R") in rows and ("User Guide", "F1") in rows and ("Undo", "Ctrl+Z") in rows
    assert ("Start", "Ctrl+1") in rows and ("New Project", "Ctrl+N") in rows
    assert box.windowTitle().startswith("Keyboard Shortcuts")
    box.close()


def test_error_dialogs_link_to_the_guide_section(qtbot, make_window, tmp_path):
    w = make_window()
    w.show()
    bad = tmp_path / "broken.txt"
    bad.write_text("".join(f"w{i} 0.1 0.2\n" for i in range(5)) + "x 0.1 oops\n", encoding="utf-8")
    w.vectors_panel.add_files([str(bad)])
    wait_worker(qtbot, w.vectors_panel.loads.get(str(bad)))
    box = _errors()[-1]
    assert not box.detailedText(), "a user error raised in a job: no traceback behind Show Details"
    help_button = next(b for b in box.buttons() if b.text() == "Help")
    help_button.click()
    viewer = help_mod.current_viewer()
    assert viewer.isVisible() and viewer.section() == "vectors"
    assert box.isVisible(), "the message stays open beside the guide"
    assert box.escapeButton() is box.button(QMessageBox.StandardButton.Ok)
    box.close()
    assert not box.isVisible(), "Esc / close() closes it although it has a Help button"
    viewer.close()
    from embedstudio.gui import dialogs
    from embedstudio.gui.jobs import ErrorInfo

    w.show_area("Dataset")
    assert dialogs.help_section_for(w) == "dataset"
    assert dialogs.help_section_for(w.model_panel) == "model"
    bug = dialogs.show_error(w, ErrorInfo("ZeroDivisionError", "Traceback…", False))
    assert bug.property("helpSection") == "troubleshooting"
    bug.close()


# ---- item 18: each kind of file opens where that kind was last used --------------------------------
def test_add_files_opens_in_the_folder_last_used_for_vectors(qtbot, make_window, tmp_path, monkeypatch):
    w = make_window()
    seen: list[str] = []
    vec_dir = tmp_path / "vectors"
    vec_dir.mkdir()
    chosen = write_glove(vec_dir / "a.txt")

    def fake_open(parent, caption, folder, filters):
        seen.append(folder)
        return [str(chosen)], filters

    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(fake_open))
    w.vectors_panel.open_dialog()
    w.vectors_panel.open_dialog()
    assert seen == [str(Path.home()), str(vec_dir)]
    project_dirs: list[str] = []
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda p, c, folder, f: (project_dirs.append(folder), ("", ""))[1])
    )
    w.open_project_dialog()
    assert project_dirs == [str(Path.home())], "another kind of file keeps its own folder"
    w.collect_preferences()
    assert w.prefs.last_dirs["vectors"] == str(vec_dir), "remembered across sessions"
    _idle(qtbot, w)


def test_open_dataset_opens_where_the_last_dataset_was_even_after_the_demo(qtbot, make_window, tiny_workspace):
    from embedstudio.resources import demo_config_path

    w = make_window()
    w.dataset_panel.open_path(str(tiny_workspace.dataset))
    qtbot.waitUntil(lambda: w.state.dataset is not None, timeout=60_000)
    _idle(qtbot, w)
    assert w.dataset_panel._start_dir() == str(tiny_workspace.dataset.parent)
    w.state.set_config(load_config(demo_config_path()))  # a python-package: path has no folder to open
    assert w.dataset_panel._start_dir() == str(tiny_workspace.dataset.parent)
    assert w.vectors_panel.state.start_dir("vectors") == str(Path.home()), "vectors keep their own folder"


# ---- item 23: the vector map and Explore ----------------------------------------------------------
def test_vector_map_draws_the_query_word_distinctly_and_places_labels_apart(qtbot, make_window, tiny_workspace):
    w = make_window()
    w.show()
    w.show_area("Vectors")
    w.vectors_panel.add_files([str(tiny_workspace.vectors)])
    qtbot.waitUntil(lambda: w.state.is_loaded(str(tiny_workspace.vectors)), timeout=60_000)
    m = w.vectors_panel.map
    w.vectors_panel.tabs.setCurrentWidget(m)
    m.k.setValue(6)
    assert m.plot_words(["movie"]) == 7
    points = m.scatter.points()
    query = [p for p in points if p.data() == "movie"]
    others = [p for p in points if p.data() != "movie"]
    assert query[0].symbol() == "star" and all(p.symbol() == "o" for p in others)
    assert query[0].size() > max(p.size() for p in others)
    label = m.labels[m.words.index("movie")]
    assert label.textItem.font().bold() and not m.labels[m.words.index("film")].textItem.font().bold()
    rects = m.label_rects()

    def overlapping(rs) -> int:
        return sum(
            a[0] < b[2] and a[2] > b[0] and a[1] < b[3] and a[3] > b[1] for i, a in enumerate(rs) for b in rs[i + 1 :]
        )

    assert overlapping(rects) == 0, rects  # "movie", "film", "the", "a" lie almost on one point
    for item in m.labels[: len(m.words)]:  # every label at the default spot: they collide
        item.setAnchor((0, 1))
    assert overlapping(m.label_rects()) > 0


def test_explore_has_tooltips_and_three_decimal_cosines(qtbot, make_window, tiny_workspace):
    w = make_window()
    w.show()
    w.vectors_panel.add_files([str(tiny_workspace.vectors)])
    qtbot.waitUntil(lambda: w.state.is_loaded(str(tiny_workspace.vectors)), timeout=60_000)
    ex = w.vectors_panel.explore
    for widget in (ex.word, ex.k, ex.neighbours_button, ex.a, ex.b, ex.c, ex.analogy_button, ex.w1, ex.w2):
        assert widget.toolTip(), widget
    assert ex.similarity_button.toolTip() and ex.model.headerData(2, Qt.Horizontal, Qt.ToolTipRole)
    found = ex.query_neighbours("good")
    shown = [ex.model.data(ex.model.index(r, 2)) for r in range(ex.model.rowCount())]
    assert shown == [f"{s:.3f}" for _, s in found] and all(re.fullmatch(r"-?\d\.\d{3}", t) for t in shown)
    ex.table.sortByColumn(2, Qt.AscendingOrder)
    values = [ex.model.value(r, 2) for r in range(ex.model.rowCount())]
    assert values == sorted(values), "sorting stays numeric"
    score = ex.query_similarity("good", "great")
    assert ex.similarity_label.text() == f"cosine = {score:.3f}"
    assert np.isfinite(score)
