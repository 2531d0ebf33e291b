"""GUI test fixtures: fail any test that leaves a worker thread running, keep QSettings and preferences
in a temporary home, and build a tiny workspace (vectors + folder dataset + runs dir) from scratch."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

import shiboken6  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402

from embedstudio.gui.worker import Worker  # noqa: E402

# Words with a little structure so neighbours and analogies have a right answer.
TINY_WORDS = {
    "king": [0.9, 0.8, 0.1, 0.0], "queen": [0.9, 0.1, 0.8, 0.0], "man": [0.1, 0.9, 0.1, 0.1],
    "woman": [0.1, 0.1, 0.9, 0.1], "good": [0.0, 0.2, 0.1, 0.9], "great": [0.1, 0.2, 0.1, 0.95],
    "bad": [0.0, 0.1, 0.2, -0.9], "awful": [0.1, 0.1, 0.2, -0.95], "movie": [0.5, 0.5, 0.5, 0.1],
    "film": [0.5, 0.45, 0.55, 0.1], "the": [0.3, 0.3, 0.3, 0.0], "a": [0.31, 0.29, 0.3, 0.01],
}

POS_DOCS = ["a good movie", "great film, good acting", "the movie was great", "good good film",
            "a great and good movie", "great plot and wonderful cast", "good fun film", "the film was good"]
NEG_DOCS = ["a bad movie", "awful film, bad acting", "the movie was awful", "bad bad film",
            "an awful and bad movie", "terrible plot and awful cast", "bad boring film", "the film was bad"]


@pytest.fixture(autouse=True)
def no_thread_leak(monkeypatch):
    """Fail a test that leaves a Worker running (the cause of "QThread: Destroyed while thread is still running")."""
    started: list[Worker] = []
    original_start = Worker.start

    def tracking_start(self, *args):
        started.append(self)
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


def write_glove(path: Path, words: dict[str, list[float]] = TINY_WORDS) -> Path:
    path.write_text("".join(f"{w} {' '.join(f'{x:.4f}' for x in v)}\n" for w, v in words.items()), encoding="utf-8")
    return path


def write_folder_dataset(root: Path) -> Path:
    for label, docs in (("pos", POS_DOCS), ("neg", NEG_DOCS)):
        (root / label).mkdir(parents=True, exist_ok=True)
        for i, doc in enumerate(docs):
            (root / label / f"{i:03d}.txt").write_text(doc + "\n", encoding="utf-8")
    return root


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
    """A TrackingPool whose workers are all waited for at teardown."""
    from embedstudio.gui.widgets.busy import TrackingPool

    p = TrackingPool()
    yield p
    p.wait_all()


def wait_worker(qtbot, worker, timeout: int = 120_000) -> None:
    """Wait for ``worker.done``. Call it right after the job was started, before the event loop ran."""
    assert worker is not None, "no job was started"
    with qtbot.waitSignal(worker.done, timeout=timeout):
        pass


def unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    return v / np.linalg.norm(v)
