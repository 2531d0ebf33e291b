"""A generated text-classification CSV for the training benchmarks (made once under $EMBEDSTUDIO_BENCH_DIR).

Each class has its own Zipf-distributed topic words mixed into a shared Zipf vocabulary, so the model has
something to learn and the token statistics look like real text (a long tail, repeated common words).
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
from synthetic import BENCH_DIR, synthetic_words


def training_csv(rows: int, classes: int = 4, seed: int = 11) -> Path:
    path = BENCH_DIR / f"train-{rows}rows-{classes}classes.csv"
    if path.exists():
        return path
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    words = [w for w in synthetic_words(30_000, seed=seed) if w.isalpha()]
    common, topical = np.array(words[:15_000], dtype=object), np.array(words[15_000:], dtype=object)
    per_class = len(topical) // classes
    p_common = 1.0 / np.arange(1, len(common) + 1)
    p_common /= p_common.sum()
    p_topic = 1.0 / np.arange(1, per_class + 1)
    p_topic /= p_topic.sum()
    part = path.with_name(path.name + ".part")
    with open(part, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["text", "label"])
        for i in range(rows):
            label = i % classes
            n = int(rng.integers(40, 160))
            n_topic = int(rng.binomial(n, 0.15))
            text = np.concatenate([common[rng.choice(len(common), n - n_topic, p=p_common)],
                                   topical[label * per_class + rng.choice(per_class, n_topic, p=p_topic)]])
            rng.shuffle(text)
            out.writerow([" ".join(text), f"topic{label}"])
    os.replace(part, path)
    return path


def base_config(data: Path, runs_dir: Path, *, preset: str, epochs: int, sequence_length: int, batch_size: int):
    """The run configuration both the app and the bare-Keras anchor train: embedding learned from scratch (no
    vector file, so nothing but the model differs), early stopping off so every run does every epoch."""
    from embedstudio.core.config import RunConfig

    cfg = RunConfig()
    cfg.name = "bench"
    cfg.runs_dir = str(runs_dir)
    cfg.data.path = str(data)
    cfg.text.sequence_length = sequence_length
    cfg.embedding.mode = "scratch"
    cfg.embedding.dim = 50
    cfg.model.preset = preset
    cfg.training.epochs = epochs
    cfg.training.batch_size = batch_size
    cfg.training.early_stopping = False
    cfg.validate()
    return cfg
