"""GUI test fixtures: fail any test that leaves a worker thread running, keep QSettings and preferences
in a temporary home, and build a tiny workspace (vectors + folder dataset + runs dir) from scratch."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

import shiboken6  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402

from embedstudio.gui.jobs import Worker  # noqa: E402
from gui_helpers import DONE_JOBS, write_folder_dataset, write_glove  # noqa: E402

@pytest.fixture(scope="session", autouse=True)
def gui_thread_set_up(qapp):
    """The same process-wide set-up app.main() does (GUI-thread garbage collector, priming)."""
    from embedstudio.gui.app import set_up_gui_thread

    set_up_gui_thread(qapp)


@pytest.fixture(autouse=True)
def no_thread_leak(monkeypatch):
    """Fail a test that leaves a Worker running (the cause of "QThread: Destroyed while thread is still running")."""
    started: list[Worker] = []
    original_start = Worker.start

    def tracking_start(self, *args):
        started.append(self)
        job_id = self.job_id
        self.done.connect(lambda: DONE_JOBS.add(job_id))
        return original_start(self, *args)

    monkeypatch.setattr(Worker, "start", tracking_start)
    yield started
    leaked = [w for w in started if shiboken6.isValid(w) and w.isRunning()]
    for w in leaked:  # stop them anyway so the next test starts clean
        w.cancel()
        w.wait(60_000)
    assert not leaked, f"test left worker threads running: {[w.name for w in leaked]}"


@pytest.fixture(autouse=True)
def isolated_qsettings(tmp_path_factory):
    """QSettings (window geometry) in a temporary folder instead of ~/.config."""
    folder = tmp_path_factory.mktemp("qsettings")
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(folder))
    yield folder


@dataclass
class TinyWorkspace:
    root: Path
    vectors: Path
    dataset: Path
    runs_dir: Path
    state: object


@pytest.fixture
def tiny_workspace(tmp_path) -> TinyWorkspace:
    """A tiny GloVe text file, a two-class folder dataset and an AppState whose runs go to tmp."""
    from embedstudio.gui.state import AppState

    vectors = write_glove(tmp_path / "tiny.glove.txt")
    dataset = write_folder_dataset(tmp_path / "reviews")
    runs = tmp_path / "runs"
    runs.mkdir()
    state = AppState()
    state.set_runs_dir(runs)
    state.config.data.path = str(dataset)
    state.config.data.format = "folders"
    state.config.data.validation_fraction = 0.25
    state.config.data.test_fraction = 0.25
    return TinyWorkspace(tmp_path, vectors, dataset, runs, state)


@pytest.fixture
def pool(qtbot):
    """A WorkerPool whose workers are all waited for at teardown."""
    from embedstudio.gui.jobs import WorkerPool

    p = WorkerPool()
    yield p
    p.wait_all()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_teardown(item):
    """Windows a test leaves open quit without questions (as on SIGTERM) before pytest-qt closes them: an
    unanswered "Save changes?" would otherwise wait forever."""
    from PySide6.QtWidgets import QApplication

    from embedstudio.gui.main_window import MainWindow

    for w in QApplication.topLevelWidgets():
        if isinstance(w, MainWindow) and shiboken6.isValid(w):
            w.request_quit(confirm=False)
    return (yield)
