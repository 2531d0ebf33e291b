"""Reference models on the same split as a run: TF-IDF + linear SVM, and fastText supervised.

They answer "is the neural model worth it?": FIELD-NOTES' 20 Newsgroups numbers are 0.701 (TF-IDF +
LinearSVC) and 0.602 (fastText) test accuracy. Both return the same report as ``evaluate_predictions``.
"""

from __future__ import annotations

import os
import random
import re
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .errors import TrainingError
from .evaluation import evaluate_predictions
from .jobs import CancelToken, Reporter, ensure_cancel, ensure_reporter
from .wide import C_GRID, choose_c, has_labelled_validation, train_plus_validation

_WHITESPACE = re.compile(r"\s+")


def _check_splits(splits: Any, name: str) -> None:
    if not splits.train.texts:
        raise TrainingError(f"{name}: the training split is empty.")
    if len(set(splits.train.labels)) < 2:
        raise TrainingError(f"{name}: the training split holds only one class; a classifier needs two.")
    if not splits.test.texts:
        raise TrainingError(
            f"{name}: the test split is empty, so there is nothing to score. "
            "Raise data.test_fraction or give a test file."
        )


def _softmax(scores: np.ndarray) -> np.ndarray:
    scores = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(scores)
    return exp / exp.sum(axis=1, keepdims=True)


def tfidf_linear(
    splits: Any,
    *,
    C: float | None = None,
    min_df: int = 2,
    ngram_range: tuple[int, int] = (1, 2),
    c_grid: tuple[float, ...] = C_GRID,
    refit: bool = True,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """TF-IDF (word 1–2-grams, sublinear tf, min_df 2) + LinearSVC, trained on train, scored on test.

    ``C=None`` chooses C from ``c_grid`` by validation accuracy (ties: the smaller, more regularised C);
    without a validation split C is 0.5. With ``refit`` and a validation split the SVC that is scored is then
    fitted on train + validation with the chosen C (scikit-learn's ``GridSearchCV(refit=True)``), on the
    features learned from train, as the ``wide_deep`` recipe's TF-IDF path is (core/wide.py): both sides
    of a comparison get the same treatment. The test split is never used for any choice."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    reporter = ensure_reporter(reporter)
    cancel = ensure_cancel(cancel)
    _check_splits(splits, "TF-IDF baseline")
    classes = [str(c) for c in splits.classes]
    index = {c: i for i, c in enumerate(classes)}
    started = time.monotonic()
    reporter.progress(0, 3, "TF-IDF features")

    def make(df: int) -> Any:
        return TfidfVectorizer(sublinear_tf=True, min_df=df, ngram_range=tuple(ngram_range))

    vectorizer = make(min_df)
    try:
        x_train = vectorizer.fit_transform(splits.train.texts)
    except ValueError:  # tiny data: no word occurs in two documents
        reporter.warning(f"No word occurs in {min_df} training texts; using every word (min_df=1).")
        min_df = 1
        vectorizer = make(1)
        x_train = vectorizer.fit_transform(splits.train.texts)
    cancel.raise_if_cancelled()
    reporter.progress(1, 3, "Linear SVM")
    y_train = np.asarray([index[str(label)] for label in splits.train.labels])
    chosen_on = "given"
    scores_by_c: dict[str, float] = {}
    val_texts = list(splits.validation.texts)
    x_val = vectorizer.transform(val_texts) if val_texts else None
    y_val = np.asarray([index.get(str(label), -1) for label in splits.validation.labels])
    if C is None:
        choice = choose_c(x_train, y_train, x_val, y_val, c_grid=c_grid, cancel=cancel)
        C, chosen_on, scores_by_c = choice.C, choice.chosen_on, choice.scores
    refit_on = "train"
    if refit and has_labelled_validation(x_val, y_val):
        x_train, y_train = train_plus_validation(x_train, y_train, x_val, y_val)
        refit_on = "train+validation"
    svm = LinearSVC(C=C)
    svm.fit(x_train, y_train)
    cancel.raise_if_cancelled()
    reporter.progress(2, 3, "Scoring the test split")
    scores = svm.decision_function(vectorizer.transform(splits.test.texts))
    if scores.ndim == 1:  # binary: one margin for the positive class
        scores = np.stack([-scores, scores], axis=1)
    proba = _full_proba(_softmax(scores), svm.classes_, len(classes))
    report = evaluate_predictions(splits.test.labels, proba, classes)
    report.update(
        baseline="tfidf_linear",
        params={"sublinear_tf": True, "min_df": min_df, "ngram_range": list(ngram_range), "C": C},
        C_chosen_on=chosen_on,
        validation_accuracy_by_C=scores_by_c,
        refit_on=refit_on,
        features=len(vectorizer.vocabulary_),
        seconds=round(time.monotonic() - started, 2),
        scores="softmax of the SVM margins (ranks classes; not calibrated probabilities)",
    )
    reporter.progress(3, 3, "Done")
    reporter.info(
        f"TF-IDF + LinearSVC (C={C:g}, {chosen_on}, fitted on {refit_on}): test accuracy {report['accuracy']:.4f}, "
        f"macro-F1 {report['macro_f1']:.4f}"
    )
    return report


def _full_proba(proba: np.ndarray, seen: np.ndarray, n_classes: int) -> np.ndarray:
    """Columns for every class, also those absent from the training split (probability 0)."""
    out = np.zeros((proba.shape[0], n_classes))
    out[:, np.asarray(seen, dtype=int)] = proba
    return out


_PUNCTUATION = re.compile(r"([^\w\s])")


def fasttext_line(text: str) -> str:
    """One line of fastText input, prepared as fastText's supervised tutorial does: lower case, every
    punctuation mark a token of its own (fastText splits on whitespace only, so ``rates.`` and ``rates``
    would be two words), all whitespace (newlines too) as single spaces."""
    return _WHITESPACE.sub(" ", _PUNCTUATION.sub(r" \1 ", text)).strip().lower()


# The settings fastText's validation grid tries, in order of cost (ties go to the earlier, cheaper one). The
# learning rate matters most: fastText's own default (0.1) and the tutorial's 0.5 and 1.0 (docs/field-notes.md);
# its lr decays linearly to 0, so a longer budget is a different schedule, not just more steps.
FASTTEXT_LR_GRID = (0.1, 0.3, 1.0)
FASTTEXT_EPOCH_GRID = (10, 25)
FASTTEXT_FALLBACK_EPOCH, FASTTEXT_FALLBACK_LR = 25, 0.5  # without a validation split to choose on


def fasttext_supervised(
    splits: Any,
    *,
    dim: int = 50,
    epoch: int | None = None,
    lr: float | None = None,
    word_ngrams: int = 2,
    seed: int = 1337,
    lr_grid: tuple[float, ...] = FASTTEXT_LR_GRID,
    epoch_grid: tuple[int, ...] = FASTTEXT_EPOCH_GRID,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """fastText supervised (word n-grams up to ``word_ngrams``) on the train split, shuffled with ``seed``,
    scored on the test split.

    ``lr``/``epoch`` left at None are chosen on the validation split, as the SVM's C is: every (epoch, lr) of
    the grids is trained on train and scored on validation; the best validation accuracy wins (ties: the
    cheaper setting, fewer epochs then the lower rate) and that model is scored on test. Without a validation
    split the fallback (lr 0.5, 25 epochs) is used. One thread, so each fit depends on the seed alone."""
    import fasttext

    reporter = ensure_reporter(reporter)
    cancel = ensure_cancel(cancel)
    _check_splits(splits, "fastText baseline")
    classes = [str(c) for c in splits.classes]
    index = {c: i for i, c in enumerate(classes)}
    started = time.monotonic()
    # Labels become "__label__<index>": class names may hold spaces, which fastText cannot parse.
    lines = [
        f"__label__{index[label]} {fasttext_line(text)}\n"
        for text, label in zip(splits.train.texts, splits.train.labels)
    ]
    # fastText reads its file in order; a file sorted by class trains to near chance (FIELD-NOTES).
    random.Random(seed).shuffle(lines)
    distinct = len({token for line in lines for token in line.split()})
    # Without word n-grams the hash buckets are unused; the default 2M buckets cost 400 MB at dim 50.
    bucket = 10_000 if word_ngrams <= 1 else min(2_000_000, max(10_000, 20 * distinct))
    val_texts = list(splits.validation.texts)
    if epoch is not None and lr is not None:
        settings, chosen_on = [(epoch, lr)], "given"
    elif val_texts:
        settings = [
            (e if epoch is None else epoch, r if lr is None else lr)
            for e in (epoch_grid if epoch is None else (epoch,))
            for r in (lr_grid if lr is None else (lr,))
        ]
        chosen_on = "validation"
    else:
        settings = [(epoch or FASTTEXT_FALLBACK_EPOCH, lr or FASTTEXT_FALLBACK_LR)]
        chosen_on = "default (no validation split)"
    y_val = np.asarray([index.get(str(label), -1) for label in splits.validation.labels])
    total = len(settings) + 1
    scores: dict[str, float] = {}
    best: tuple[float, int, float, Any] | None = None
    with tempfile.TemporaryDirectory(prefix="embedstudio-fasttext-") as tmp:
        path = os.path.join(tmp, "train.txt")
        with open(path, "w", encoding="utf-8") as fh:
            fh.writelines(lines)
        for i, (e, r) in enumerate(settings):
            cancel.raise_if_cancelled()
            reporter.progress(i, total, f"fastText supervised: {e} epochs, lr {r:g}")
            model = fasttext.train_supervised(
                input=path,
                dim=dim,
                epoch=e,
                lr=r,
                wordNgrams=word_ngrams,
                bucket=bucket,
                seed=seed,
                thread=1,
                verbose=0,
                minCount=1,
            )
            if len(settings) == 1:
                best = (float("nan"), e, r, model)
                break
            accuracy = float(np.mean(_fasttext_proba(model, val_texts, len(classes)).argmax(axis=1) == y_val))
            scores[f"epoch={e}, lr={r:g}"] = round(accuracy, 4)
            if best is None or accuracy > best[0]:  # strictly better: ties keep the cheaper, earlier setting
                best = (accuracy, e, r, model)
    assert best is not None
    _, epoch, lr, model = best
    cancel.raise_if_cancelled()
    reporter.progress(total - 1, total, "Scoring the test split")
    proba = _fasttext_proba(model, splits.test.texts, len(classes))
    report = evaluate_predictions(splits.test.labels, proba, classes)
    report.update(
        baseline="fasttext_supervised",
        params={
            "dim": dim,
            "epoch": epoch,
            "lr": lr,
            "wordNgrams": word_ngrams,
            "bucket": bucket,
            "seed": seed,
            "shuffled": True,
            "minCount": 1,
            "thread": 1,
            "preprocessing": "lower case, punctuation split off (fastText tutorial)",
        },
        settings_chosen_on=chosen_on,
        validation_accuracy_by_setting=scores,
        seconds=round(time.monotonic() - started, 2),
    )
    reporter.progress(total, total, "Done")
    reporter.info(
        f"fastText ({epoch} epochs, lr {lr:g}, {chosen_on}): test accuracy {report['accuracy']:.4f}, "
        f"macro-F1 {report['macro_f1']:.4f}"
    )
    return report


def _fasttext_proba(model: Any, texts: list[str], n_classes: int) -> np.ndarray:
    # The binding's own predict, one line at a time: predict(str) crashes under numpy 2 (FIELD-NOTES), and
    # predict(list, k>1) (multilinePredict) repeats the top probability for every label in fasttext-wheel
    # 0.9.2, which makes every class tie.
    proba = np.zeros((len(texts), n_classes))
    for row, text in enumerate(texts):
        for p, label in model.f.predict(fasttext_line(text) + "\n", n_classes, 0.0, "strict"):
            proba[row, int(label.removeprefix("__label__"))] = float(p)
    return proba


# ---- baselines as run folders --------------------------------------------------------------------------
BASELINES: dict[str, tuple[str, Callable[..., dict[str, Any]]]] = {
    "tfidf": ("TF-IDF + LinearSVC", tfidf_linear),
    "fasttext": ("fastText supervised", fasttext_supervised),
}


def comparison(report: dict[str, Any], baseline: dict[str, Any]) -> dict[str, Any]:
    """Points by which ``report`` beats ``baseline`` (negative: it loses), on accuracy and macro-F1."""
    return {
        "baseline": baseline.get("baseline"),
        "accuracy_points": round(100 * (report["accuracy"] - baseline["accuracy"]), 2),
        "macro_f1_points": round(100 * (report["macro_f1"] - baseline["macro_f1"]), 2),
        "baseline_accuracy": baseline["accuracy"],
        "baseline_macro_f1": baseline["macro_f1"],
    }


def comparison_line(vs: dict[str, Any], name: str = "TF-IDF") -> str:
    return (
        f"vs {name}: {vs['accuracy_points']:+.1f} points accuracy, {vs['macro_f1_points']:+.1f} macro-F1 "
        f"({name} {vs['baseline_accuracy']:.4f} / {vs['baseline_macro_f1']:.4f})"
    )


def run_baselines(
    cfg: Any,
    *,
    which: tuple[str, ...] = ("tfidf", "fasttext"),
    splits: Any = None,
    dataset: Any = None,
    save: bool = True,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, dict[str, Any]]:
    """Run the baselines on exactly the split ``train(cfg)`` makes (same data, same split seed).

    With ``save`` each becomes a run folder in ``cfg.runs_dir`` (``config.json``, ``description.json`` with
    ``kind = "baseline"``, ``report.json``), so it is listed with the neural runs. Returns
    ``{name: report}``; each report holds ``run_dir`` when saved."""
    from .model_inputs import make_run_splits

    reporter = ensure_reporter(reporter)
    cancel = ensure_cancel(cancel)
    if splits is None:
        if dataset is None:
            from .datasets import load_dataset

            dataset = load_dataset(cfg.data, reporter=reporter, cancel=cancel)
        splits = make_run_splits(cfg, dataset, reporter)
    results = {}
    for name in which:
        if name not in BASELINES:
            from .errors import ConfigError

            raise ConfigError(f"Unknown baseline {name!r}; choose from {', '.join(BASELINES)}.")
        label, fn = BASELINES[name]
        kwargs = {"seed": cfg.training.seed} if name == "fasttext" else {}
        report = fn(splits, reporter=reporter, cancel=cancel, **kwargs)
        report["dataset_path"] = cfg.data.path
        report["label"] = label
        if save:
            report["run_dir"] = str(save_baseline_run(cfg, name, report, splits))
        results[name] = report
    return results


def save_baseline_run(cfg: Any, name: str, report: dict[str, Any], splits: Any) -> Any:
    """A run folder for one baseline report (no model file: a baseline is a reference, not a product)."""
    from pathlib import Path

    from .fileio import atomic_write_json
    from .runs import (
        CONFIG_FILE,
        REPORT_FILE,
        create_run_dir,
        default_runs_dir,
        describe_environment,
        now_iso,
        update_description,
    )

    base = cfg.name or Path(str(cfg.data.path)).stem or "run"
    run_dir = create_run_dir(Path(cfg.runs_dir) if cfg.runs_dir else default_runs_dir(), f"{base}-{name}")
    config = cfg.to_dict()
    config["name"] = f"{base} ({BASELINES[name][0]})"
    atomic_write_json(run_dir / CONFIG_FILE, config)
    atomic_write_json(run_dir / REPORT_FILE, {k: v for k, v in report.items() if k != "run_dir"})
    sizes = {part: len(getattr(splits, part).texts) for part in ("train", "validation", "test")}
    update_description(
        run_dir,
        name=config["name"],
        kind="baseline",
        baseline=report.get("baseline"),
        status="completed",
        created=now_iso(),
        finished=now_iso(),
        message="",
        seconds=report.get("seconds"),
        splits=sizes,
        classes=[str(c) for c in splits.classes],
        params=report.get("params"),
        refit_on=report.get("refit_on", "train"),
        environment=describe_environment(cfg),
    )
    return run_dir
