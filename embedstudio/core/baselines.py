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
from typing import Any

import numpy as np

from .errors import TrainingError
from .evaluation import evaluate_predictions
from .jobs import CancelToken, Reporter, ensure_cancel, ensure_reporter

_WHITESPACE = re.compile(r"\s+")


def _check_splits(splits: Any, name: str) -> None:
    if not splits.train.texts:
        raise TrainingError(f"{name}: the training split is empty.")
    if len(set(splits.train.labels)) < 2:
        raise TrainingError(f"{name}: the training split holds only one class; a classifier needs two.")
    if not splits.test.texts:
        raise TrainingError(f"{name}: the test split is empty, so there is nothing to score. "
                            "Raise data.test_fraction or give a test file.")


def _softmax(scores: np.ndarray) -> np.ndarray:
    scores = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(scores)
    return exp / exp.sum(axis=1, keepdims=True)


def tfidf_linear(splits: Any, *, C: float = 0.5, min_df: int = 2, reporter: Reporter | None = None,
                 cancel: CancelToken | None = None) -> dict[str, Any]:
    """TF-IDF (sublinear tf, min_df=2) + LinearSVC(C=0.5), trained on train, scored on test."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    reporter = ensure_reporter(reporter)
    cancel = ensure_cancel(cancel)
    _check_splits(splits, "TF-IDF baseline")
    classes = [str(c) for c in splits.classes]
    index = {c: i for i, c in enumerate(classes)}
    started = time.monotonic()
    reporter.progress(0, 3, "TF-IDF features")
    vectorizer = TfidfVectorizer(sublinear_tf=True, min_df=min_df)
    try:
        x_train = vectorizer.fit_transform(splits.train.texts)
    except ValueError:  # tiny data: no word occurs in two documents
        reporter.warning(f"No word occurs in {min_df} training texts; using every word (min_df=1).")
        min_df = 1
        vectorizer = TfidfVectorizer(sublinear_tf=True, min_df=1)
        x_train = vectorizer.fit_transform(splits.train.texts)
    cancel.raise_if_cancelled()
    reporter.progress(1, 3, "Linear SVM")
    y_train = np.asarray([index[label] for label in splits.train.labels])
    svm = LinearSVC(C=C)
    svm.fit(x_train, y_train)
    cancel.raise_if_cancelled()
    reporter.progress(2, 3, "Scoring the test split")
    scores = svm.decision_function(vectorizer.transform(splits.test.texts))
    if scores.ndim == 1:  # binary: one margin for the positive class
        scores = np.stack([-scores, scores], axis=1)
    proba = _full_proba(_softmax(scores), svm.classes_, len(classes))
    report = evaluate_predictions(splits.test.labels, proba, classes)
    report.update(baseline="tfidf_linear", params={"sublinear_tf": True, "min_df": min_df, "C": C},
                  features=len(vectorizer.vocabulary_), seconds=round(time.monotonic() - started, 2),
                  scores="softmax of the SVM margins (ranks classes; not calibrated probabilities)")
    reporter.progress(3, 3, "Done")
    reporter.info(f"TF-IDF + LinearSVC: test accuracy {report['accuracy']:.4f}, macro-F1 {report['macro_f1']:.4f}")
    return report


def _full_proba(proba: np.ndarray, seen: np.ndarray, n_classes: int) -> np.ndarray:
    """Columns for every class, also those absent from the training split (probability 0)."""
    out = np.zeros((proba.shape[0], n_classes))
    out[:, np.asarray(seen, dtype=int)] = proba
    return out


def fasttext_line(text: str) -> str:
    """One line of fastText input: lower case, all whitespace (newlines too) as single spaces."""
    return _WHITESPACE.sub(" ", text).strip().lower()


def fasttext_supervised(splits: Any, *, dim: int = 50, epoch: int = 25, lr: float = 0.25, word_ngrams: int = 1,
                        seed: int = 1337, reporter: Reporter | None = None, cancel: CancelToken | None = None
                        ) -> dict[str, Any]:
    """fastText supervised on the train split (shuffled with ``seed``), scored on the test split."""
    import fasttext

    reporter = ensure_reporter(reporter)
    cancel = ensure_cancel(cancel)
    _check_splits(splits, "fastText baseline")
    classes = [str(c) for c in splits.classes]
    index = {c: i for i, c in enumerate(classes)}
    started = time.monotonic()
    # Labels become "__label__<index>": class names may hold spaces, which fastText cannot parse.
    lines = [f"__label__{index[label]} {fasttext_line(text)}\n"
             for text, label in zip(splits.train.texts, splits.train.labels)]
    # fastText reads its file in order; a file sorted by class trains to near chance (FIELD-NOTES).
    random.Random(seed).shuffle(lines)
    distinct = len({token for line in lines for token in line.split()})
    # Without word n-grams the hash buckets are unused; the default 2M buckets cost 400 MB at dim 50.
    bucket = 10_000 if word_ngrams <= 1 else min(2_000_000, max(10_000, 20 * distinct))
    reporter.progress(0, 2, "fastText supervised")
    cancel.raise_if_cancelled()
    with tempfile.TemporaryDirectory(prefix="embedstudio-fasttext-") as tmp:
        path = os.path.join(tmp, "train.txt")
        with open(path, "w", encoding="utf-8") as fh:
            fh.writelines(lines)
        # One thread: fastText's result then depends on the seed alone.
        model = fasttext.train_supervised(input=path, dim=dim, epoch=epoch, lr=lr, wordNgrams=word_ngrams,
                                          bucket=bucket, seed=seed, thread=1, verbose=0, minCount=1)
    cancel.raise_if_cancelled()
    reporter.progress(1, 2, "Scoring the test split")
    proba = _fasttext_proba(model, splits.test.texts, len(classes))
    report = evaluate_predictions(splits.test.labels, proba, classes)
    report.update(baseline="fasttext_supervised",
                  params={"dim": dim, "epoch": epoch, "lr": lr, "wordNgrams": word_ngrams, "bucket": bucket,
                          "seed": seed, "shuffled": True},
                  seconds=round(time.monotonic() - started, 2))
    reporter.progress(2, 2, "Done")
    reporter.info(f"fastText: test accuracy {report['accuracy']:.4f}, macro-F1 {report['macro_f1']:.4f}")
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
