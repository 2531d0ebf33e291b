"""Supervised fastText models (.bin / .ftz) as what they are: classifiers, usable as baseline models.

A supervised model (``fasttext supervised``, e.g. the 176-language identifier lid.176.ftz) stores a
label set and input vectors trained for that one task. Opened as word vectors it loads "fine" and its
neighbours are noise, so the vector reader says what it is (:func:`vectors_warning`), and
:func:`score_dataset` / :func:`predict_texts` use it as a classifier beside the app's own runs when
its labels are the dataset's classes.

fastText (fasttext-wheel) is imported inside the functions. The model kind is read from the file's
header by the vector reader's own check.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import RunError
from .jobs import CancelToken, Reporter, ThrottledProgress, ensure_cancel, ensure_reporter

if TYPE_CHECKING:
    from .config import DataConfig

LABEL_PREFIX = "__label__"
SUFFIXES = (".bin", ".ftz")
_SHOWN_LABELS = 8


@dataclass
class SupervisedModel:
    path: str
    labels: list[str]  # without the __label__ prefix, in the model's order
    dim: int
    words: int
    quantized: bool
    model: Any  # the fasttext _FastText object

    def describe(self) -> str:
        shown = ", ".join(self.labels[:_SHOWN_LABELS]) + (" ..." if len(self.labels) > _SHOWN_LABELS else "")
        return (
            f"{Path(self.path).name} is a supervised fastText classifier with {len(self.labels):,} labels "
            f"({shown}), {'quantized, ' if self.quantized else ''}{self.words:,} words × {self.dim}."
        )


def is_supervised(path: str | os.PathLike) -> bool:
    """True for a fastText .bin/.ftz whose header says 'supervised' (model kind 3)."""
    path = Path(path)
    if not path.is_file() or not path.name.lower().endswith(SUFFIXES):
        return False
    from .vectors.fasttext_bin import is_supervised_fasttext

    try:
        return is_supervised_fasttext(path)
    except (OSError, ValueError, EOFError):
        return False


def load_supervised(path: str | os.PathLike) -> SupervisedModel:
    path = Path(path)
    if not is_supervised(path):
        raise RunError(
            f"{path} is not a supervised fastText model (.bin/.ftz whose header says 'supervised').",
            hint="Give a run folder, or a model trained with `fasttext supervised`.",
        )
    from fasttext.FastText import _FastText

    try:
        model = _FastText(model_path=str(path))
    except (ValueError, RuntimeError, MemoryError) as exc:
        raise RunError(
            f"{path}: could not read it as a fastText model ({type(exc).__name__}: {exc}).",
            hint="The file is probably incomplete or damaged; download it again.",
        ) from None
    return from_model(model, str(path))


def from_model(model: Any, path: str) -> SupervisedModel:
    # Real models hold words that are not UTF-8 (gensim's pang_lee_polarity_fasttext.bin): show, don't crash.
    raw_labels = model.get_labels(on_unicode_error="replace")
    labels = [label[len(LABEL_PREFIX) :] if label.startswith(LABEL_PREFIX) else label for label in raw_labels]
    words = model.get_words(on_unicode_error="replace")
    return SupervisedModel(
        path=path,
        labels=labels,
        dim=model.get_dimension(),
        words=len(words),
        quantized=bool(model.f.isQuant()),
        model=model,
    )


def vectors_warning(model: Any, path: str | os.PathLike) -> str:
    """What the vector reader says when it opens a supervised model as word vectors."""
    info = from_model(model, str(path))
    return (
        f"{info.describe()} Its input vectors were trained for that classification task, not as general "
        "word vectors: nearest neighbours and analogies are often noise, and a classifier built on them "
        "inherits the other task. Use it as a baseline model instead when its labels are your classes: "
        f"`embedstudio evaluate {Path(path).name} DATA` scores a dataset with it."
    )


def _clean(text: str) -> str:
    return " ".join(str(text).split())  # fastText's predict() refuses newlines


def predict_proba(
    info: SupervisedModel, texts: Sequence[str], *, cancel: CancelToken | None = None, progress: Any = None
) -> Any:
    """``(len(texts), len(info.labels))`` probabilities, columns in ``info.labels`` order."""
    import numpy as np

    index = {label: j for j, label in enumerate(info.labels)}
    proba = np.zeros((len(texts), len(info.labels)), dtype=np.float64)
    for i, text in enumerate(texts):
        if i % 256 == 0:
            if cancel is not None:
                cancel.raise_if_cancelled()
            if progress is not None:
                progress(i)
        # The binding's own predict: the wrapper's predict(str) fails under NumPy 2 (see baselines.py).
        for p, label in info.model.f.predict(_clean(text) + "\n", len(info.labels), 0.0, "strict"):
            proba[i, index[label[len(LABEL_PREFIX) :] if label.startswith(LABEL_PREFIX) else label]] = p
    if progress is not None:
        progress(len(texts))
    return proba


def predict_texts(path_or_model: str | os.PathLike | SupervisedModel, texts: Sequence[str]) -> list[dict[str, float]]:
    info = path_or_model if isinstance(path_or_model, SupervisedModel) else load_supervised(path_or_model)
    proba = predict_proba(info, list(texts))
    return [{label: float(p) for label, p in zip(info.labels, row)} for row in proba]


def _data_config(data_cfg_or_path: Any) -> DataConfig:
    """A DataConfig as given, or one for a dataset path (resolved, every option automatic)."""
    from .config import DataConfig

    if isinstance(data_cfg_or_path, DataConfig):
        return data_cfg_or_path
    return DataConfig(path=str(Path(data_cfg_or_path).expanduser().resolve()))


def score_dataset(
    model_path: str | os.PathLike,
    data_cfg_or_path: Any,
    *,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Score a dataset (its test split if it has one, else all rows) with a supervised fastText model.

    The same report as ``evaluation.evaluate_run`` (accuracy, macro-F1, per class, confusion matrix),
    plus ``baseline_model``. Refuses data none of whose labels are the model's labels.
    """
    from .datasets import load_dataset
    from .evaluation import evaluate_predictions, label_overlap_check, misclassified

    reporter = ensure_reporter(reporter)
    cancel = ensure_cancel(cancel)
    info = load_supervised(model_path)
    reporter.info(info.describe())
    data_cfg = _data_config(data_cfg_or_path)
    dataset = load_dataset(data_cfg, reporter=reporter, cancel=cancel)
    table = dataset.test if dataset.test is not None and len(dataset.test) else dataset.train
    split = "test" if table is dataset.test else "all"
    label_warning = label_overlap_check(table.labels, info.labels, str(data_cfg.path))
    if label_warning:
        reporter.warning(label_warning)
    reporter.info(f"Scoring {len(table):,} examples ({split} rows) with {Path(info.path).name}")
    progress = ThrottledProgress(reporter, len(table), "Predicting", cancel=cancel)
    proba = predict_proba(info, table.texts, cancel=cancel, progress=progress)
    report = evaluate_predictions(table.labels, proba, info.labels, dataset_path=data_cfg.path)
    if label_warning:
        report["label_warning"] = label_warning
    report["baseline_model"] = {
        "path": info.path,
        "kind": "fasttext_supervised",
        "labels": len(info.labels),
        "quantized": info.quantized,
    }
    report["dataset"] = {"path": data_cfg.path, "split": split, "rows": len(table)}
    report["misclassified"] = misclassified(table.texts, table.labels, proba, info.labels, table.sources, limit=100)
    reporter.info(f"Accuracy {report['accuracy']:.4f}, macro-F1 {report['macro_f1']:.4f}")
    return report
