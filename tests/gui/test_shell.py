"""The application shell: main window, menus, preferences, drag-and-drop, start-up and closing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from gui_helpers import answer_next_question, wait_worker, write_glove
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QKeySequence

from embedstudio.gui import dialogs
from embedstudio.gui import preferences as prefs_mod
from embedstudio.gui.jobs import Worker
from embedstudio.gui.main_window import AREAS, MainWindow
from embedstudio.gui.preferences import Preferences, load_preferences, preferences_path, save_preferences

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def make_window(qtbot):
    """Build main windows; at teardown wait for their jobs (the Runs area lists runs in a worker)."""
    made = []

    def make(prefs=None, **kwargs):
        kwargs.setdefault("warm_up", False)
        w = MainWindow(prefs=prefs if prefs is not None else Preferences(demo_offered=True), **kwargs)
        qtbot.addWidget(w)
        made.append(w)
        return w

    yield make
    for w in made:
        w.pool.wait_all()


@pytest.fixture
def window(make_window):
    w = make_window()
    w.show()
    return w


def menu_actions(window: MainWindow, title: str) -> dict[str, object]:
    for act in window.menuBar().actions():
        if act.text().replace("&", "") == title:
            return {a.text().replace("&", ""): a for a in act.menu().actions() if a.text()}
    raise AssertionError(f"no menu {title}")


def drop(window: MainWindow, paths: list[Path]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(QPointF(20, 20), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    window.dropEvent(event)
    assert event.isAccepted()


def test_window_shows_before_tensorflow_and_warms_it_up_in_background():
    code = textwrap.dedent("""
        import sys, time
        from embedstudio.gui.app import make_application
        from embedstudio.gui.main_window import MainWindow
        from embedstudio.gui.preferences import Preferences
        app = make_application()
        w = MainWindow(prefs=Preferences(demo_offered=True), save_prefs=False)
        w.show()
        app.processEvents()
        assert w.isVisible()
        assert 'tensorflow' not in sys.modules, 'TensorFlow was imported before the window showed'
        w.after_show()
        worker = w.warmup_worker
        assert worker is not None and worker.isRunning()
        deadline = time.monotonic() + 300
        while not worker.isFinished() and time.monotonic() < deadline:
            app.processEvents(); time.sleep(0.02)
        app.processEvents()
        assert 'tensorflow' in sys.modules
        w.close(); app.processEvents()
        print('OK')
    """)
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0 and "OK" in res.stdout, res.stderr[-3000:]
    assert "QThread: Destroyed" not in res.stderr


def test_five_areas_and_view_menu_switches(window):
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == list(AREAS)
    view = menu_actions(window, "View")
    for i, area in enumerate(AREAS):
        act = view[area]
        assert act.shortcut() == QKeySequence(f"Ctrl+{i + 1}")
        act.trigger()
        assert window.current_area() == area
    assert all(window.tabs.tabToolTip(i) for i in range(window.tabs.count()))


def test_menus_have_standard_entries_and_shortcuts(window):
    file_menu = menu_actions(window, "File")
    for name in (
        "Open Vectors…",
        "Open Dataset…",
        "Open Dataset Folder…",
        "Open Config…",
        "Save Config",
        "Save Config As…",
        "Recent Files",
        "Quit",
    ):
        assert name in file_menu, name
    assert file_menu["Open Vectors…"].shortcut() == QKeySequence(QKeySequence.Open)
    assert file_menu["Quit"].shortcut() == QKeySequence(QKeySequence.Quit)
    run = menu_actions(window, "Run")
    assert run["Train"].shortcut() == QKeySequence("Ctrl+R") and "Stop" in run
    assert "About EmbedStudio" in menu_actions(window, "Help")
    assert {"Copy", "Select All"} <= set(menu_actions(window, "Edit"))


def test_about_box_lists_library_versions_without_importing_tensorflow(window):
    from importlib import metadata

    from embedstudio.gui.dialogs import about_box, library_versions

    versions = dict(library_versions())
    assert versions["Keras"] == metadata.version("keras")
    assert versions["TensorFlow"] not in ("", "not installed")
    box = about_box(window)
    assert "EmbedStudio" in box.text() and versions["NumPy"] in box.text()
    box.close()


def test_drag_and_drop_routes_each_kind(qtbot, window, tiny_workspace, tmp_path):
    vectors = write_glove(tmp_path / "dropped.txt")
    drop(window, [vectors])
    assert str(vectors) in window.state.library and window.current_area() == "Vectors"
    wait_worker(qtbot, window.vectors_panel.loads.get(str(vectors)))
    assert window.state.is_loaded(str(vectors))

    drop(window, [tiny_workspace.dataset])
    assert window.current_area() == "Dataset"
    assert window.state.config.data.path == str(tiny_workspace.dataset)
    qtbot.waitUntil(lambda: window.state.dataset is not None, timeout=60_000)
    qtbot.waitUntil(lambda: not window.pool.running(), timeout=60_000)

    csv_path = tmp_path / "table.csv"
    csv_path.write_text("text,label\nnice film,pos\nbad film,neg\n", encoding="utf-8")
    config = tmp_path / "run.toml"
    config.write_text('name = "dropped"\n[embedding]\nmode = "scratch"\n', encoding="utf-8")
    routed = window.open_paths([csv_path, config, tmp_path / "missing.xyz"])
    assert routed["dataset"] == [csv_path] and routed["config"] == [config]
    assert routed["unknown"] == [tmp_path / "missing.xyz"]
    assert window.state.config.name == "dropped"
    assert "missing.xyz" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: not window.pool.running(), timeout=60_000)


def test_drop_routing_classifies_by_content(tmp_path, gensim_data, tiny_workspace):
    from embedstudio.gui.drop_routing import classify_path

    ft = tmp_path / "reviews.txt"
    ft.write_text("__label__pos a fine film\n__label__neg a dull film\n", encoding="utf-8")
    vec_as_txt = write_glove(tmp_path / "vectors.txt")
    assert classify_path(ft) == "dataset"
    assert classify_path(vec_as_txt) == "vectors"
    assert classify_path(gensim_data("lee_fasttext.bin")) == "vectors"
    assert classify_path(tiny_workspace.dataset) == "dataset"
    import tarfile
    import zipfile

    with tarfile.open(tmp_path / "reviews.tar.gz", "w:gz") as tf:
        tf.add(tiny_workspace.dataset, arcname="reviews")
    with zipfile.ZipFile(tmp_path / "reviews.zip", "w") as zf:
        for f in sorted(tiny_workspace.dataset.rglob("*.txt")):
            zf.write(f, f"reviews/{f.parent.name}/{f.name}")
    with zipfile.ZipFile(tmp_path / "vectors.zip", "w") as zf:
        zf.write(vec_as_txt, "vectors.txt")
    assert classify_path(tmp_path / "reviews.tar.gz") == "dataset"
    assert classify_path(tmp_path / "reviews.zip") == "dataset"
    assert classify_path(tmp_path / "vectors.zip") == "vectors"  # one vector file inside a zip
    json_cfg = tmp_path / "c.json"
    json_cfg.write_text(json.dumps({"schema_version": 1, "data": {"path": "x"}}), encoding="utf-8")
    assert classify_path(json_cfg) == "config"


def test_preferences_saved_on_close_and_geometry_in_qsettings(qtbot, make_window, tiny_workspace, isolated_qsettings):
    w = make_window()
    w.show()
    w.vectors_panel.add_files([str(tiny_workspace.vectors)])
    wait_worker(qtbot, w.vectors_panel.loads.get(str(tiny_workspace.vectors)))  # Recent lists files that opened
    w.state.config.data.path = str(tiny_workspace.dataset)
    w.state.set_runs_dir(tiny_workspace.runs_dir)
    w.show_area("Dataset")
    w.resize(700, 500)
    w.close()  # closes once any running job (e.g. the runs listing) has stopped
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=30_000)
    saved, warning = load_preferences()
    assert warning is None
    assert saved.library == [str(tiny_workspace.vectors)]
    assert saved.last_dataset == str(tiny_workspace.dataset)
    assert saved.runs_dir == str(tiny_workspace.runs_dir)
    assert saved.last_area == "Dataset"
    assert saved.recent["vectors"] == [str(tiny_workspace.vectors)]
    raw = json.loads(preferences_path().read_text(encoding="utf-8"))
    assert raw["schema_version"] == prefs_mod.SCHEMA_VERSION and "geometry" not in json.dumps(raw)
    assert any(isolated_qsettings.rglob("*.ini")), "window geometry goes to QSettings"

    again = make_window(saved)
    assert again.state.library == [str(tiny_workspace.vectors)]
    assert again.current_area() == "Dataset" and again.size().width() == 700


def test_preferences_migrated_from_version_1(tmp_path):
    path = tmp_path / "preferences.json"
    folder = tmp_path / "data"
    folder.mkdir()
    path.write_text(
        json.dumps(
            {"schema_version": 1, "recent_files": ["/x/glove.txt", str(folder), "/x/a.toml"], "runs_dir": "/x/runs"}
        ),
        encoding="utf-8",
    )
    prefs, warning = load_preferences(path)
    assert warning is None
    assert prefs.schema_version == prefs_mod.SCHEMA_VERSION
    assert prefs.recent == {
        "project": [],
        "vectors": ["/x/glove.txt"],
        "dataset": [str(folder)],
        "config": ["/x/a.toml"],
    }
    assert prefs.runs_dir == "/x/runs"
    save_preferences(prefs, path)
    assert json.loads(path.read_text())["schema_version"] == prefs_mod.SCHEMA_VERSION


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        json.dumps({"schema_version": 99}),
        json.dumps([1, 2]),
        json.dumps({"schema_version": 2, "library": "not a list"}),
    ],
)
def test_corrupt_preferences_give_defaults_warning_and_bad_copy(qtbot, make_window, content):
    path = preferences_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    prefs, warning = load_preferences()
    assert prefs == Preferences()
    assert warning and str(path) in warning
    assert not path.exists() and path.with_name("preferences.json.bad").read_text(encoding="utf-8") == content
    w = make_window(prefs, prefs_warning=warning, save_prefs=False)
    assert "unreadable" in w.statusBar().currentMessage()


def test_first_start_opens_demo_workspace(qtbot, make_window):
    w = make_window(Preferences(), save_prefs=False)
    w.show()
    w.after_show()
    assert w.prefs.demo_offered
    assert w.state.config.name == _demo_name()
    qtbot.waitUntil(lambda: w.state.dataset is not None and all(w.state.selected_vectors()), timeout=120_000)
    qtbot.waitUntil(lambda: not w.pool.running(), timeout=60_000)
    demo = _demo_dataset()  # the demo workspace's own data, imported as the CLI would
    assert len(w.state.dataset.train) == len(demo.train) and w.state.dataset.classes == demo.classes
    assert all(v is not None for v in w.state.selected_vectors())


def test_second_start_restores_the_last_session_ready_to_train(qtbot, make_window):
    first = make_window(Preferences())
    first.show()
    first.after_show()
    qtbot.waitUntil(lambda: first.state.dataset is not None and all(first.state.selected_vectors()), timeout=120_000)
    first.state.config.training.epochs = 3  # an unsaved edit must survive the restart
    first.state.notify_config()
    first.close()
    qtbot.waitUntil(lambda: not first.isVisible(), timeout=30_000)

    prefs, warning = load_preferences()
    assert warning is None and prefs.demo_offered
    second = make_window(prefs)
    second.show()
    assert second.state.config.name == _demo_name() and second.state.config.training.epochs == 3
    second.after_show()
    qtbot.waitUntil(lambda: second.state.dataset is not None and all(second.state.selected_vectors()), timeout=120_000)
    qtbot.waitUntil(lambda: not second.pool.running(), timeout=60_000)
    assert len(second.state.dataset.train) == len(_demo_dataset().train)
    assert all(v is not None for v in second.state.selected_vectors())


def _blocking_job(*, reporter, cancel, started: threading.Event):
    started.set()
    while True:
        cancel.raise_if_cancelled()
        threading.Event().wait(0.01)


def test_status_bar_shows_job_with_cancel(qtbot, window):
    started = threading.Event()
    worker = Worker(_blocking_job, started=started, name="Long job")
    window.pool.start(worker)
    status = window.job_status
    qtbot.waitUntil(status.isVisible, timeout=5000)  # appears after the busy delay
    assert status.label.text() == "Long job"
    qtbot.mouseClick(status.cancel_button, Qt.LeftButton)
    wait_worker(qtbot, worker)
    qtbot.waitUntil(lambda: not status.isVisible(), timeout=5000)


def test_close_while_training_asks_then_stops_cleanly(qtbot, make_window, monkeypatch):
    w = make_window(save_prefs=False)
    w.show()
    started = threading.Event()
    worker = Worker(_blocking_job, started=started, name="Training")
    cancelled = []
    worker.cancelled.connect(lambda: cancelled.append(True))
    w.pool.start(worker)
    started.wait(10)
    monkeypatch.setattr(w, "training_running", lambda: worker.isRunning())
    asked = []
    answer_next_question(qtbot, "Cancel", asked)
    w.close()
    assert asked and w.isVisible() and worker.isRunning()  # Cancel: keeps training
    answer_next_question(qtbot, "Stop and Quit", asked)
    w.close()
    assert len(asked) == 2
    assert w.stop_progress is not None and w.stop_progress.isVisible(), "progress is shown while stopping"
    wait_worker(qtbot, worker)
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=10_000)
    assert cancelled and not w.pool.running()


def test_sigterm_style_quit_skips_confirmation(qtbot, make_window, monkeypatch):
    w = make_window(save_prefs=False)
    w.show()
    started = threading.Event()
    worker = Worker(_blocking_job, started=started, name="Training")
    w.pool.start(worker)
    monkeypatch.setattr(w, "training_running", lambda: True)
    monkeypatch.setattr(dialogs, "ask", lambda *a, **k: pytest.fail("must not ask on SIGTERM"))
    w.request_quit(confirm=False)
    wait_worker(qtbot, worker)
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=10_000)


def test_open_and_save_config_roundtrip(qtbot, window, tmp_path):
    from embedstudio.core.config import load_config

    window.state.config.name = "mine"
    window.state.config.embedding.mode = "scratch"
    target = tmp_path / "mine.toml"
    assert window._write_config(target)
    assert load_config(target).name == "mine"
    assert "mine" in window.windowTitle()
    window.state.config.name = "changed"
    assert window.open_config(target)
    assert window.state.config.name == "mine" and window.prefs.recent["config"][0] == str(target)
    window._fill_recent_menu()
    texts = [a.text() for a in window.recent_menu.actions()]
    assert any("mine.toml" in t for t in texts)


def test_self_test_command_trains_demo_and_exits_zero(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TF_CPP_MIN_LOG_LEVEL": "3"}
    res = subprocess.run(
        [sys.executable, "-m", "embedstudio", "--self-test"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
    assert "self-test: passed: run written to" in res.stdout
    assert "QThread: Destroyed" not in res.stderr


def test_gui_command_opens_given_files_and_quits_after_delay(tmp_path):
    """`embedstudio gui FILE...`: the files are opened (not the demo) and EMBEDSTUDIO_QUIT_AFTER_MS closes cleanly."""
    vectors = write_glove(tmp_path / "given.txt")
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "EMBEDSTUDIO_QUIT_AFTER_MS": "4000",
    }
    res = subprocess.run(
        [sys.executable, "-m", "embedstudio", "gui", str(vectors)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    assert "QThread: Destroyed" not in res.stderr
    saved, warning = load_preferences()
    assert warning is None
    assert saved.library == [str(vectors)]  # the demo vectors were not added
    assert saved.recent["vectors"] == [str(vectors)]
    assert saved.demo_offered


def _demo_name() -> str:
    from embedstudio.core.config import load_config
    from embedstudio.resources import demo_config_path

    return load_config(demo_config_path()).name


def _demo_dataset():
    from embedstudio.core.config import load_config
    from embedstudio.core.datasets import load_dataset
    from embedstudio.resources import demo_config_path

    return load_dataset(load_config(demo_config_path()).data)
