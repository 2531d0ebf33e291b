"""The data-efficiency study: when do pre-trained vectors pay off?

On stratified subsets of the training split (``fractions``) and one fixed test set, for each seed, it trains
the run's recipe four ways and scores each on the same test set:

- ``tfidf``: TF-IDF (word 1–2-grams) + LinearSVC, C chosen on the subset's validation part;
- ``scratch``: the recipe with embeddings learned from scratch (no vector file);
- ``frozen``: the recipe with the vectors frozen, the rows of words the file lacks learned;
- ``finetune``: the recipe with the vectors fine-tuned.

The validation split is subsampled with the same fraction (at least one text per class), because a user with
5% of the data has 5% of the validation data too; the test set never changes and makes no choice. Each
neural cell is a real ``train()`` run (kept in ``<study>/runs/``, without ``model.keras``). The study writes
``study.json`` (config, cells, the summary table), ``study.csv`` (one row per cell) into its folder; the CLI
adds ``study.png``. ``reporter`` gets ``study_cell`` events as cells finish, so a GUI can draw it live.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .config import RunConfig
from .errors import ConfigError, TrainingError
from .fileio import atomic_write_json, atomic_write_text
from .jobs import CancelToken, Reporter, ensure_cancel, ensure_reporter

ARMS = ("tfidf", "scratch", "frozen", "finetune")
ARM_LABELS = {
    "tfidf": "TF-IDF + SVC",
    "scratch": "from scratch",
    "frozen": "vectors frozen",
    "finetune": "vectors fine-tuned",
}
STUDY_FILE = "study.json"
CSV_FILE = "study.csv"
PLOT_FILE = "study.png"


@dataclass
class StudyResult:
    study_dir: Path
    cells: list[dict]
    table: list[dict]
    seconds: float
    meta: dict = field(default_factory=dict)


class _Quiet:
    """Passes only warnings on (a study runs dozens of trainings; their step logs would drown the table)."""

    def __init__(self, inner: Reporter) -> None:
        self.inner = inner

    def progress(self, done: float, total: float | None = None, message: str = "") -> None:
        pass

    def info(self, message: str) -> None:
        pass

    def warning(self, message: str) -> None:
        self.inner.warning(message)

    def event(self, kind: str, payload: dict[str, Any]) -> None:
        pass


def stratified_subset(table: Any, fraction: float, seed: int, *, at_least_per_class: int = 1) -> Any:
    """``fraction`` of ``table``'s rows, drawn per class (seeded), at least ``at_least_per_class`` of each."""
    if fraction >= 1:
        return table
    rng = np.random.default_rng(seed)
    by_class: dict[str, list[int]] = {}
    for i, label in enumerate(table.labels):
        by_class.setdefault(str(label), []).append(i)
    chosen: list[int] = []
    for label in sorted(by_class):
        rows = by_class[label]
        take = min(len(rows), max(at_least_per_class, int(round(fraction * len(rows)))))
        chosen += list(rng.choice(rows, size=take, replace=False))
    rng.shuffle(chosen)
    return table.subset(chosen)


def parse_fractions(text: str) -> list[float]:
    try:
        values = [float(x) for x in str(text).split(",") if x.strip()]
    except ValueError:
        raise ConfigError(
            f"--fractions {text!r}: give numbers between 0 and 1 separated by commas, e.g. 0.01,0.05,0.2,1"
        ) from None
    if not values or any(not (0 < v <= 1) for v in values):
        raise ConfigError(f"--fractions {text!r}: every fraction must be above 0 and at most 1.")
    return sorted(set(values))


def run_study(
    cfg: RunConfig,
    *,
    fractions: Sequence[float] = (0.01, 0.05, 0.2, 1.0),
    seeds: int = 3,
    arms: tuple[str, ...] = ARMS,
    study_dir: str | Path | None = None,
    dataset: Any = None,
    keep_models: tuple[tuple[str, float], ...] = (),
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
) -> StudyResult:
    """Run the study (see the module docstring) and write its files; returns the cells and summary table.

    ``keep_models`` lists ``(arm, fraction)`` cells whose run keeps its ``model.keras`` (first seed), e.g.
    the demo's fine-tuned full-data model that then predicts typed headlines."""
    from .baselines import tfidf_linear
    from .datasets import Splits, load_dataset
    from .model_inputs import load_vector_source, make_run_splits
    from .runs import create_run_dir, default_runs_dir
    from .training import train

    reporter = ensure_reporter(reporter)
    cancel = ensure_cancel(cancel)
    cfg = cfg.copy()
    cfg.validate()
    unknown = [a for a in arms if a not in ARMS]
    if unknown:
        raise ConfigError(f"Unknown study arm(s) {', '.join(unknown)}; choose from {', '.join(ARMS)}.")
    needs_vectors = any(a in ("frozen", "finetune") for a in arms)
    if needs_vectors and not cfg.embedding.vectors:
        raise ConfigError(
            "The study compares pre-trained vectors with training from scratch: embedding.vectors needs a vector file."
        )
    if seeds < 1:
        raise ConfigError(f"--seeds {seeds}: give at least 1.")
    started = time.monotonic()
    base = (
        Path(study_dir)
        if study_dir
        else create_run_dir(
            (Path(cfg.runs_dir) if cfg.runs_dir else default_runs_dir()), f"{cfg.name or 'study'}-study"
        )
    )
    base.mkdir(parents=True, exist_ok=True)
    if dataset is None:
        dataset = load_dataset(cfg.data, reporter=reporter, cancel=cancel)
    splits = make_run_splits(cfg, dataset, reporter)
    vectors = {}
    if needs_vectors:
        source = cfg.embedding.vectors[0]
        vectors[source.path] = load_vector_source(source, None, reporter=reporter, cancel=cancel)
    if cfg.text.standardize == "auto":
        # One tokenizer for every cell (matched to the vectors on the full training split), so the arms
        # differ only in what they are compared on; it also spares each cell the coverage measurement.
        from .text import resolve_standardize

        choice = resolve_standardize(cfg.text, list(splits.train.texts), list(vectors.values()), cancel=cancel)
        cfg.text.standardize = choice.chosen
        reporter.info(f"Tokenizer for every cell: {choice.chosen} ({choice.reason})")
    plan = [(f, s, a) for f in fractions for s in range(seeds) for a in arms]
    cells: list[dict] = []
    quiet = _Quiet(reporter)
    meta = {
        "config": cfg.to_dict(),
        "fractions": list(fractions),
        "seeds": seeds,
        "arms": list(arms),
        "train_size": len(splits.train.texts),
        "validation_size": len(splits.validation.texts),
        "test_size": len(splits.test.texts),
        "classes": [str(c) for c in splits.classes],
        "protocol": "stratified subsets of the training and validation splits (same fraction, >= 1 per "
        "class), one fixed test set; C and early stopping use validation only",
    }
    for done, (fraction, seed_index, arm) in enumerate(plan):
        cancel.raise_if_cancelled()
        reporter.progress(done, len(plan), f"Study: {ARM_LABELS[arm]} at {fraction:g} (seed {seed_index + 1})")
        seed = cfg.training.seed + seed_index
        sub = Splits(
            train=stratified_subset(splits.train, fraction, seed),
            validation=stratified_subset(splits.validation, fraction, seed)
            if len(splits.validation.texts)
            else splits.validation,
            test=splits.test,
            classes=list(splits.classes),
        )
        if len({str(label) for label in sub.train.labels}) < 2:
            raise TrainingError(f"At fraction {fraction:g} the training subset holds one class; use larger fractions.")
        t0 = time.monotonic()
        run_dir = None
        if arm == "tfidf":
            report = tfidf_linear(sub, cancel=cancel)
        else:
            arm_cfg = cfg.copy()
            arm_cfg.training.seed = seed
            arm_cfg.runs_dir = str(base / "runs")
            arm_cfg.name = f"{arm}-{fraction:g}-seed{seed_index + 1}"
            if arm == "scratch":
                arm_cfg.embedding.mode = "scratch"
                arm_cfg.embedding.vectors = []
            elif arm == "frozen":
                arm_cfg.embedding.mode = "frozen"
                arm_cfg.embedding.train_oov_rows = True
            else:
                arm_cfg.embedding.mode = "finetune"
            keep = (arm, fraction) in keep_models and seed_index == 0
            result = train(
                arm_cfg, reporter=quiet, cancel=cancel, vectors=vectors, splits=sub, save_model=keep, compare=False
            )
            report = result.report or {}
            run_dir = str(result.run_dir)
        cell = {
            "fraction": fraction,
            "seed": seed,
            "arm": arm,
            "train_examples": len(sub.train.texts),
            "accuracy": report.get("accuracy"),
            "macro_f1": report.get("macro_f1"),
            "seconds": round(time.monotonic() - t0, 2),
            "run_dir": run_dir,
        }
        cells.append(cell)
        reporter.event("study_cell", dict(cell))
        reporter.info(
            f"{ARM_LABELS[arm]:>18} at {fraction:>5g} ({cell['train_examples']:,} texts, seed "
            f"{seed_index + 1}): accuracy {cell['accuracy']:.4f}, macro-F1 {cell['macro_f1']:.4f}, "
            f"{cell['seconds']:.1f} s"
        )
        _write(base, meta, cells, time.monotonic() - started)
    reporter.progress(len(plan), len(plan), "Study done")
    seconds = time.monotonic() - started
    table = _write(base, meta, cells, seconds)
    return StudyResult(base, cells, table, round(seconds, 2), meta)


def summary_table(cells: list[dict]) -> list[dict]:
    """Mean and standard deviation over seeds per (fraction, arm), with the pre-trained gain over scratch."""
    rows = []
    for fraction in sorted({c["fraction"] for c in cells}):
        row: dict[str, Any] = {"fraction": fraction}
        for arm in ARMS:
            group = [c for c in cells if c["fraction"] == fraction and c["arm"] == arm and c["accuracy"] is not None]
            if not group:
                continue
            accs = np.asarray([c["accuracy"] for c in group])
            f1s = np.asarray([c["macro_f1"] for c in group])
            row["train_examples"] = group[0]["train_examples"]
            row[arm] = {
                "accuracy": float(accs.mean()),
                "accuracy_std": float(accs.std()),
                "macro_f1": float(f1s.mean()),
                "macro_f1_std": float(f1s.std()),
                "n": len(group),
            }
        if "scratch" in row:
            best = (
                max((row[a]["accuracy"], a) for a in ("frozen", "finetune") if a in row)
                if any(a in row for a in ("frozen", "finetune"))
                else None
            )
            if best:
                row["pretrained_gain_points"] = round(100 * (best[0] - row["scratch"]["accuracy"]), 2)
                row["best_pretrained"] = best[1]
        rows.append(row)
    return rows


def format_table(table: list[dict]) -> str:
    """The summary as aligned text: accuracy mean ± std per arm and fraction."""
    arms = [a for a in ARMS if any(a in row for row in table)]
    head = f"{'fraction':>8} {'texts':>7} " + " ".join(f"{ARM_LABELS[a]:>20}" for a in arms) + "  pre-trained gain"
    lines = [head]
    for row in table:
        parts = [f"{row['fraction']:>8g}", f"{row.get('train_examples', 0):>7,}"]
        for a in arms:
            cell = row.get(a)
            parts.append(f"{cell['accuracy']:.3f} ± {cell['accuracy_std']:.3f}".rjust(20) if cell else " " * 20)
        gain = row.get("pretrained_gain_points")
        parts.append(f"  {gain:+.1f} points ({row['best_pretrained']})" if gain is not None else "")
        lines.append(" ".join(parts))
    return "\n".join(lines)


def _write(base: Path, meta: dict, cells: list[dict], seconds: float) -> list[dict]:
    table = summary_table(cells)
    atomic_write_json(
        base / STUDY_FILE, {**meta, "kind": "study", "cells": cells, "table": table, "seconds": round(seconds, 2)}
    )
    out = io.StringIO()
    writer = csv.DictWriter(
        out,
        fieldnames=["fraction", "seed", "arm", "train_examples", "accuracy", "macro_f1", "seconds"],
        extrasaction="ignore",
    )
    writer.writeheader()
    writer.writerows(cells)
    atomic_write_text(base / CSV_FILE, out.getvalue())
    return table


def plot_series(table: list[dict]) -> dict[str, list[tuple[float, float, float]]]:
    """``{arm: [(training examples, mean accuracy, std), ...]}`` for a plot (log x)."""
    series: dict[str, list[tuple[float, float, float]]] = {}
    for row in table:
        for arm in ARMS:
            if arm in row and row.get("train_examples"):
                series.setdefault(arm, []).append(
                    (float(row["train_examples"]), row[arm]["accuracy"], row[arm]["accuracy_std"])
                )
    return series
