"""How ``wide_deep`` is fitted: two experts, each trained by the method that suits it, mixed on validation.

1. **The wide path** is a linear model on the sublinear TF-IDF of word uni+bigrams, fitted by liblinear
   (``LinearSVC``) exactly as the TF-IDF + LinearSVC baseline is, with ``C`` picked on the validation split
   from the baseline's grid. Its margins become calibrated logits through one temperature fitted on the
   validation split (minimum log-loss). Once ``C`` and the temperature are chosen, the SVC is fitted again
   on train + validation with that ``C`` (``refit``, as scikit-learn's ``GridSearchCV(refit=True)``; the
   TF-IDF baseline does the same); its weights × the temperature are copied into the Keras model's
   ``wide_logits`` layer and frozen, so the exported model still takes raw strings.
2. **The embedding path** is trained by Keras on its own loss (``deep_probabilities``), with early stopping
   on its validation loss.
3. **The mix**: the model's log-probabilities are ``w * log p_deep + (1 - w) * log p_wide``, renormalised,
   with ``w`` chosen on the validation split (minimum log-loss over :data:`MIX_GRID`). ``w = 0`` is the
   linear model alone, so the recipe loses to the baseline only by what the validation split misjudges.
   The mix is chosen with the train-only SVC (:attr:`WideFit.selection_kernel`): the refitted one has seen
   the validation texts, so its validation log-loss would flatter it.

Why not one joint fit by gradient descent (the first design)? Measured on 20 Newsgroups, same split
(docs/field-notes.md, "wide_deep"): joint training 0.698; the linear path trained by Adam 0.677 where
liblinear reaches 0.707 on the same features; and once the wide path has memorised the training texts the
joint loss gives the embedding path little left to learn. Fitted separately and mixed: 0.727; with the
TF-IDF path refitted on train + validation: 0.733.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .jobs import CancelToken, Reporter, ensure_cancel, ensure_reporter

# From the linear path alone (0) to the embedding path alone (1).
MIX_GRID = tuple(round(0.1 * i, 1) for i in range(11))
# LinearSVC's C, for this path and the TF-IDF baseline (core/baselines.py): the grid chosen from on the
# validation split (ties: the smaller, more regularised C), and the C used without one.
C_GRID = (0.1, 0.3, 1.0, 3.0, 10.0)
FALLBACK_C = 0.5
TEMPERATURE_BOUNDS = (1e-2, 1e3)
DEFAULT_MIX = 0.5  # without a validation split


@dataclass
class WideFit:
    kernel: np.ndarray  # (features, classes), temperature included: the model's weights (refitted)
    bias: np.ndarray  # (classes,)
    C: float
    C_chosen_on: str
    temperature: float
    scores_by_c: dict[str, float]
    refit_on: str = "train"  # "train+validation" when refitted after the choices
    selection_kernel: np.ndarray | None = None  # the train-only fit, for choices read on validation
    selection_bias: np.ndarray | None = None

    @property
    def selection_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """The weights fitted on train alone: what the validation split may judge (the mix weight)."""
        if self.selection_kernel is None or self.selection_bias is None:
            return self.kernel, self.bias
        return self.selection_kernel, self.selection_bias

    def to_dict(self) -> dict[str, Any]:
        return {
            "C": self.C,
            "C_chosen_on": self.C_chosen_on,
            "temperature": round(self.temperature, 4),
            "validation_accuracy_by_C": self.scores_by_c,
            "refit_on": self.refit_on,
        }


def log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def log_loss(log_p: np.ndarray, y: np.ndarray) -> float:
    """Mean negative log-likelihood of the labels ``y`` (labels < 0, unseen in training, are skipped)."""
    keep = y >= 0
    if not keep.any():
        return 0.0
    return float(-log_p[keep][np.arange(int(keep.sum())), y[keep]].mean())


def _margins(svm: Any, x: Any, num_classes: int) -> np.ndarray:
    """LinearSVC margins as a ``(n, num_classes)`` array (binary: ``-m/2, +m/2``; absent classes very low)."""
    scores = svm.decision_function(x)
    if scores.ndim == 1:
        scores = np.stack([-scores / 2, scores / 2], axis=1)
    out = np.full((scores.shape[0], num_classes), -1e4, dtype="float64")
    out[:, svm.classes_] = scores
    return out


def fit_temperature(margins: np.ndarray, y: np.ndarray) -> float:
    """The factor ``t`` that makes ``softmax(t * margins)`` best calibrated (minimum log-loss on ``y``)."""
    from scipy.optimize import minimize_scalar

    lo, hi = np.log(TEMPERATURE_BOUNDS[0]), np.log(TEMPERATURE_BOUNDS[1])
    result = minimize_scalar(lambda s: log_loss(log_softmax(np.exp(s) * margins), y), bounds=(lo, hi), method="bounded")
    return float(np.exp(result.x))


@dataclass
class CChoice:
    """The C :func:`choose_c` picked, where, each grid value's validation accuracy, and the train-only SVC."""

    C: float
    chosen_on: str  # "validation" or "default (no validation split)"
    scores: dict[str, float]  # validation accuracy by C, rounded to 4 places; empty for the default
    model: Any = None  # the LinearSVC fitted on train with ``C`` (None for the default: not fitted)


def has_labelled_validation(x_val: Any, y_val: np.ndarray) -> bool:
    """Validation rows of which at least one has a label training knows (``y >= 0``): what a refit on
    train + validation needs."""
    return x_val is not None and len(y_val) > 0 and bool((np.asarray(y_val) >= 0).any())


def choose_c(
    x_train: Any,
    y_train: np.ndarray,
    x_val: Any,
    y_val: np.ndarray,
    *,
    c_grid: tuple[float, ...] = C_GRID,
    on_step: Callable[[int, float], None] | None = None,
    cancel: CancelToken | None = None,
) -> CChoice:
    """LinearSVC's ``C`` by validation accuracy: each C of ``c_grid`` is fitted on train and scored on
    ``x_val``; the best wins, ties going to the earlier (smaller, more regularised) C. Without validation
    rows (``x_val`` None or empty) the result is :data:`FALLBACK_C`, "default (no validation split)".
    ``on_step(i, c)`` is called before each fit. Shared by the ``wide_deep`` TF-IDF path and the TF-IDF
    baseline, so both sides of a comparison choose alike."""
    from sklearn.svm import LinearSVC

    cancel = ensure_cancel(cancel)
    if x_val is None or len(y_val) == 0:
        return CChoice(FALLBACK_C, "default (no validation split)", {})
    scores: dict[str, float] = {}
    best: tuple[float, float, Any] | None = None
    for i, c in enumerate(c_grid):
        cancel.raise_if_cancelled()
        if on_step is not None:
            on_step(i, c)
        svm = LinearSVC(C=c).fit(x_train, y_train)
        accuracy = float(np.mean(svm.predict(x_val) == y_val))
        scores[f"{c:g}"] = round(accuracy, 4)
        if best is None or accuracy > best[0]:  # strictly better: ties keep the earlier, smaller C
            best = (accuracy, c, svm)
    assert best is not None, "an empty C grid"
    return CChoice(best[1], "validation", scores, best[2])


def fit_linear(
    x_train: Any,
    y_train: np.ndarray,
    x_val: Any,
    y_val: np.ndarray,
    num_classes: int,
    *,
    refit: bool = True,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
) -> WideFit:
    """LinearSVC on the TF-IDF rows, ``C`` from the baseline's grid picked on validation, then a temperature;
    with ``refit`` (and a validation split) the SVC is then fitted on train + validation with that ``C``."""
    from sklearn.svm import LinearSVC

    reporter = ensure_reporter(reporter)
    cancel = ensure_cancel(cancel)
    has_val = has_labelled_validation(x_val, y_val)  # no known label: nothing to choose C or a temperature on
    choice = choose_c(
        x_train,
        y_train,
        x_val if has_val else None,
        y_val,
        on_step=lambda i, c: reporter.progress(i, len(C_GRID) + 1, f"TF-IDF path: C = {c:g}"),
        cancel=cancel,
    )
    chosen_c, chosen_on = choice.C, choice.chosen_on
    if choice.model is None:
        svm = LinearSVC(C=FALLBACK_C).fit(x_train, y_train)
        temperature = 1.0
    else:
        svm = choice.model
        temperature = fit_temperature(_margins(svm, x_val, num_classes), y_val)
    kernel, bias = _weights(svm, temperature, num_classes)
    fitted = WideFit(kernel, bias, float(chosen_c), chosen_on, temperature, choice.scores)
    if refit and has_val:
        cancel.raise_if_cancelled()
        reporter.progress(len(C_GRID), len(C_GRID) + 1, f"TF-IDF path: refit on train + validation, C = {chosen_c:g}")
        x_all, y_all = train_plus_validation(x_train, y_train, x_val, y_val)
        fitted.selection_kernel, fitted.selection_bias = kernel, bias
        fitted.kernel, fitted.bias = _weights(LinearSVC(C=chosen_c).fit(x_all, y_all), temperature, num_classes)
        fitted.refit_on = "train+validation"
    reporter.info(
        f"TF-IDF path: LinearSVC C = {chosen_c:g} ({chosen_on}), calibrated with temperature {temperature:.3g}"
        + (", refitted on train + validation" if fitted.refit_on == "train+validation" else "")
    )
    return fitted


def train_plus_validation(x_train: Any, y_train: np.ndarray, x_val: Any, y_val: np.ndarray) -> tuple[Any, np.ndarray]:
    """The training rows followed by the validation rows whose label training knows (``y >= 0``)."""
    import scipy.sparse as sp

    keep = np.flatnonzero(np.asarray(y_val) >= 0)
    y_all = np.concatenate([np.asarray(y_train), np.asarray(y_val)[keep]])
    if sp.issparse(x_train):
        return sp.vstack([x_train, x_val[keep]], format="csr"), y_all
    return np.vstack([x_train, x_val[keep]]), y_all


def _weights(svm: Any, temperature: float, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """A fitted LinearSVC's weights × ``temperature`` as a ``(features, num_classes)`` kernel and a bias."""
    coef = np.asarray(svm.coef_, dtype="float64")
    intercept = np.asarray(svm.intercept_, dtype="float64")
    if coef.shape[0] == 1:  # binary: one margin m for the positive class -> logits (-m/2, +m/2)
        coef = np.concatenate([-coef / 2, coef / 2])
        intercept = np.concatenate([-intercept / 2, intercept / 2])
    kernel = np.zeros((coef.shape[1], num_classes), dtype="float32")
    bias = np.full((num_classes,), -1e4, dtype="float32")  # a class training never showed: never predicted
    kernel[:, svm.classes_] = (temperature * coef).T
    bias[svm.classes_] = temperature * intercept
    return kernel, bias


def choose_mix(log_p_deep: np.ndarray, log_p_wide: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, float]]:
    """The weight ``w`` in :data:`MIX_GRID` whose mix has the lowest validation log-loss (ties: the smaller
    ``w``, i.e. the linear model), and the log-loss of each."""
    if len(y) == 0 or not (y >= 0).any():
        return DEFAULT_MIX, {}
    losses = {f"{w:g}": round(log_loss(log_softmax(w * log_p_deep + (1 - w) * log_p_wide), y), 5) for w in MIX_GRID}
    best = min(MIX_GRID, key=lambda w: (losses[f"{w:g}"], w))
    return float(best), losses
