"""Tiny generated data for the Model/Training/Runs panel tests: a 3-class folder dataset whose classes
are told apart by topic words, a GloVe text file over those words, and a config that trains in seconds.
(No tests here; the other test modules import these helpers.)"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

TOPICS = {
    "sport": ["ball", "goal", "team", "match", "score", "player", "coach"],
    "tech": ["code", "chip", "data", "server", "robot", "software", "laptop"],
    "food": ["bread", "soup", "cheese", "salad", "pizza", "cake", "pasta"],
}
COMMON = ["the", "a", "was", "very", "new", "today", "and", "great"]
CLASSES = sorted(TOPICS)


def write_topic_dataset(root: Path, per_class: int = 30, seed: int = 0) -> Path:
    rng = random.Random(seed)
    for label, words in TOPICS.items():
        (root / label).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            n = rng.randint(4, 10)
            text = " ".join(rng.choice(words + COMMON) for _ in range(n))
            (root / label / f"{i:03d}.txt").write_text(text + "\n", encoding="utf-8")
    return root


def write_topic_glove(path: Path, dim: int = 8, scale: float = 1.0, seed: int = 0) -> Path:
    """Topic words share a direction per class, so a model can learn from the vectors."""
    rng = np.random.default_rng(seed)
    lines = []
    for k, words in enumerate(TOPICS.values()):
        for w in words:
            v = rng.normal(scale=0.3, size=dim)
            v[k] += 1.0
            lines.append(w + " " + " ".join(f"{x * scale:.5g}" for x in v))
    for w in COMMON:
        lines.append(w + " " + " ".join(f"{x * scale:.5g}" for x in rng.normal(scale=0.3, size=dim)))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass
class TopicWorkspace:
    root: Path
    dataset: Path
    vectors: Path
    runs_dir: Path
    state: object


def make_workspace(tmp_path: Path, *, epochs: int = 1, load: bool = True) -> TopicWorkspace:
    """An AppState set up to train a tiny CNN on the topic data (dataset and vectors loaded when ``load``)."""
    from embedstudio.gui.state import AppState

    dataset = write_topic_dataset(tmp_path / "topics")
    vectors = write_topic_glove(tmp_path / "topics.glove.txt")
    runs = tmp_path / "runs"
    state = AppState()
    state.set_runs_dir(runs)
    configure_tiny(state.config, dataset, vectors, epochs=epochs)
    state.add_vectors(str(vectors))
    if load:
        from embedstudio.core.datasets import load_dataset
        from embedstudio.core.vectors import load_vectors

        state.add_vectors(str(vectors), load_vectors(vectors, use_cache=False))
        state.set_dataset(load_dataset(state.config.data))
    return TopicWorkspace(tmp_path, dataset, vectors, runs, state)


def configure_tiny(cfg, dataset: Path, vectors: Path, *, epochs: int = 1) -> None:
    from embedstudio.core.config import VectorSource

    cfg.data.path, cfg.data.format = str(dataset), "folders"
    cfg.data.validation_fraction, cfg.data.test_fraction = 0.2, 0.3
    cfg.text.sequence_length, cfg.text.max_tokens = 20, 200
    cfg.embedding.vectors = [VectorSource(path=str(vectors))]
    cfg.embedding.mode = "finetune"
    cfg.model.preset, cfg.model.filters, cfg.model.conv_blocks, cfg.model.dense_units = "cnn", 16, 1, 16
    cfg.training.epochs, cfg.training.batch_size, cfg.training.learning_rate = epochs, 8, 0.01
    cfg.training.early_stopping = False
    cfg.training.min_steps = 0  # exactly the epochs asked for (the small-data budget would lengthen them)


def wait_done(qtbot, worker, timeout: int = 180_000) -> None:
    """Block until ``worker.done``. Call it before the event loop ran since the worker started."""
    assert worker is not None, "no job was started"
    with qtbot.waitSignal(worker.done, timeout=timeout):
        pass


def watch(worker) -> list:
    """A list that gets an item when ``worker`` is done (connect right after starting it)."""
    flag: list = []
    worker.done.connect(lambda: flag.append(True))
    return flag


def wait_flag(qtbot, flag: list, timeout: int = 180_000) -> None:
    qtbot.waitUntil(lambda: bool(flag), timeout=timeout)
