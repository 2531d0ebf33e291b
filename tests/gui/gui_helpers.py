"""Helpers shared by the GUI tests: tiny generated data and waiting for workers."""

from __future__ import annotations

from pathlib import Path

import numpy as np

# Words with a little structure so neighbours and analogies have a right answer.
TINY_WORDS = {
    "king": [0.9, 0.8, 0.1, 0.0],
    "queen": [0.9, 0.1, 0.8, 0.0],
    "man": [0.1, 0.9, 0.1, 0.1],
    "woman": [0.1, 0.1, 0.9, 0.1],
    "good": [0.0, 0.2, 0.1, 0.9],
    "great": [0.1, 0.2, 0.1, 0.95],
    "bad": [0.0, 0.1, 0.2, -0.9],
    "awful": [0.1, 0.1, 0.2, -0.95],
    "movie": [0.5, 0.5, 0.5, 0.1],
    "film": [0.5, 0.45, 0.55, 0.1],
    "the": [0.3, 0.3, 0.3, 0.0],
    "a": [0.31, 0.29, 0.3, 0.01],
}

POS_DOCS = [
    "a good movie",
    "great film, good acting",
    "the movie was great",
    "good good film",
    "a great and good movie",
    "great plot and wonderful cast",
    "good fun film",
    "the film was good",
]
NEG_DOCS = [
    "a bad movie",
    "awful film, bad acting",
    "the movie was awful",
    "bad bad film",
    "an awful and bad movie",
    "terrible plot and awful cast",
    "bad boring film",
    "the film was bad",
]


def write_glove(path: Path, words: dict[str, list[float]] = TINY_WORDS) -> Path:
    path.write_text("".join(f"{w} {' '.join(f'{x:.4f}' for x in v)}\n" for w, v in words.items()), encoding="utf-8")
    return path


def write_folder_dataset(root: Path) -> Path:
    for label, docs in (("pos", POS_DOCS), ("neg", NEG_DOCS)):
        (root / label).mkdir(parents=True, exist_ok=True)
        for i, doc in enumerate(docs):
            (root / label / f"{i:03d}.txt").write_text(doc + "\n", encoding="utf-8")
    return root


# job_id of every worker whose done signal was seen (filled by conftest's thread-tracking fixture).
DONE_JOBS: set[int] = set()


def wait_worker(qtbot, worker, timeout: int = 120_000) -> None:
    """Wait until ``worker`` emitted done (also fine if it already has, or was deleted since)."""
    assert worker is not None, "no job was started"
    job_id = worker.job_id
    qtbot.waitUntil(lambda: job_id in DONE_JOBS, timeout=timeout)


def unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    return v / np.linalg.norm(v)


def answer_next_question(qtbot, button_text: str, seen: list | None = None, timeout: int = 10_000) -> None:
    """Click ``button_text`` in the next modal question (dialogs.ask) as soon as it is shown; its title and
    text go to ``seen``. Call before the action that asks."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    waited = [0]

    def poll() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            if seen is not None:
                seen.append((box.windowTitle(), box.text()))
            button = next((b for b in box.buttons() if b.text().replace("&", "") == button_text), None)
            assert button is not None, [b.text() for b in box.buttons()]
            button.click()
            return
        waited[0] += 50
        if waited[0] < timeout:
            QTimer.singleShot(50, poll)

    QTimer.singleShot(0, poll)
