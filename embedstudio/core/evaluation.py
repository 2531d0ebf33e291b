"""Metrics, misclassified examples, and using a saved run: reload, predict, evaluate on new data."""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import threading
import zipfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import RunError
from .fileio import atomic_write_json
from .jobs import CancelToken, Reporter, ensure_cancel, ensure_reporter
from .runs import CONFIG_FILE, EVALUATIONS_DIR, LABELS_FILE, MODEL_FILE, check_run_links

# FIELD-NOTES: on 20 Newsgroups, message headers name the class; above this accuracy, suspect leakage.
LEAKAGE_ACCURACY = 0.85
_NEWSGROUPS_PATTERN = re.compile(r"20[ _-]?news|newsgroups", re.IGNORECASE)
_PREDICT_BATCH = 256


def leakage_warning(dataset_path: str | os.PathLike | None, accuracy: float) -> str | None:
    if not dataset_path or accuracy <= LEAKAGE_ACCURACY:
        return None
    if not _NEWSGROUPS_PATTERN.search(str(dataset_path)):
        return None
    return (
        f"Accuracy {accuracy:.3f} on what looks like 20 Newsgroups is suspiciously high: the message "
        "headers (Newsgroups:, Path:) name the class. With headers, footers and quotes stripped, "
        "published results are about 0.70. Turn on header stripping in the dataset options "
        "to measure the text itself."
    )


COLLAPSE_SHARE = 0.95  # one class taking this share of the predictions ...
COLLAPSE_TRUE_SHARE = 0.8  # ... while it is at most this share of the truth means the model has collapsed


def collapse_warning(y_true: Sequence[str], y_pred: Sequence[str]) -> str | None:
    """A readable warning when nearly every prediction is the same class but the truth is mixed."""
    if len(y_pred) < 10 or len(set(y_true)) < 2:
        return None
    return _collapse(Counter(y_pred), Counter(y_true), len(y_pred))


def _collapse(predicted: Counter, true: Counter, n: int) -> str | None:
    """``collapse_warning`` from the counts (``predicted`` in the order the classes were first predicted)."""
    top, count = predicted.most_common(1)[0]
    if count / n < COLLAPSE_SHARE or true[top] / n > COLLAPSE_TRUE_SHARE:
        return None
    return (
        f"The model predicts '{top}' for {count} of {n} test texts: it has not learnt to tell the classes "
        "apart. More training data, more epochs, class weights, or a smaller model usually help."
    )


def report_warnings(report: dict[str, Any] | None) -> list[str]:
    """The warnings a report carries, for the CLI, the log and the results view."""
    if not report:
        return []
    return [report[key] for key in ("label_warning", "leakage_warning", "collapse_warning") if report.get(key)]


def evaluate_predictions(
    y_true: Sequence[str], proba: np.ndarray, classes: Sequence[str], *, dataset_path: str | os.PathLike | None = None
) -> dict[str, Any]:
    """Accuracy, macro/weighted F1, per-class precision/recall/F1/support and the confusion matrix.

    ``proba`` is ``(n, len(classes))``; the prediction is the most probable class. True labels the model
    does not know are counted as errors and listed in ``unknown_labels``. Macro-F1 averages over the
    classes that occur in ``y_true`` only: a class without test examples has no F1 to average in.
    """
    classes = [str(c) for c in classes]
    y_true = [str(y) for y in y_true]
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 2 or proba.shape != (len(y_true), len(classes)):
        raise ValueError(f"probabilities must have shape ({len(y_true)}, {len(classes)}), not {proba.shape}")
    if not y_true:
        raise ValueError("cannot evaluate on zero examples")
    unknown = sorted(set(y_true) - set(classes))
    labels = classes + unknown  # a true label the model does not know: a row of the matrix, never predicted
    index = {label: i for i, label in enumerate(labels)}
    truth = np.fromiter((index[y] for y in y_true), dtype=np.int64, count=len(y_true))
    predicted = proba.argmax(axis=1)
    k = len(labels)
    confusion = np.bincount(truth * k + predicted, minlength=k * k).reshape(k, k)
    seen, first = np.unique(predicted, return_index=True)
    first_predicted = seen[np.argsort(first)].tolist()
    return evaluate_counts(confusion, labels, first_predicted, dataset_path=dataset_path, unknown=unknown)


def evaluate_counts(
    confusion: np.ndarray,
    classes: Sequence[str],
    first_predicted: Sequence[int],
    *,
    dataset_path: str | os.PathLike | None = None,
    unknown: Sequence[str] = (),
) -> dict[str, Any]:
    """The report of :func:`evaluate_predictions` from the confusion matrix of the predictions
    (``confusion[t, p]``: texts of class ``t`` predicted ``p``, every label among ``classes``) and the order in
    which the classes were first predicted, which is all it depends on: scikit-learn scores one weighted
    sample per cell, which gives the same figures as the texts one by one. ``evaluate_predictions`` counts its
    predictions into one; a streamed run counts batch by batch (``streaming.evaluate``). ``unknown``: true
    labels the model does not know (listed last in ``classes``, never predicted)."""
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    classes = [str(c) for c in classes]
    confusion = np.asarray(confusion, dtype=np.int64)
    n = int(confusion.sum())
    if not n:
        raise ValueError("cannot evaluate on zero examples")
    t, p = np.nonzero(confusion)
    y_true, y_pred = [classes[i] for i in t], [classes[j] for j in p]
    weights = confusion[t, p].astype(np.float64)
    labels = classes
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0, sample_weight=weights
    )
    true_counts = confusion.sum(axis=1)
    supported = [c for c, count in zip(labels, true_counts) if count]
    report: dict[str, Any] = {
        "n_samples": n,
        "accuracy": float(accuracy_score(y_true, y_pred, sample_weight=weights)),
        "macro_f1": float(
            f1_score(y_true, y_pred, labels=supported, average="macro", zero_division=0, sample_weight=weights)
        ),
        "macro_f1_classes": len(supported),
        "weighted_f1": float(
            f1_score(y_true, y_pred, labels=labels, average="weighted", zero_division=0, sample_weight=weights)
        ),
        "per_class": {
            label: {"precision": float(a), "recall": float(r), "f1": float(f), "support": int(s)}
            for label, a, r, f, s in zip(labels, precision, recall, f1, support)
        },
        "confusion_matrix": confusion.tolist(),
        "classes": labels,
    }
    if unknown:
        report["unknown_labels"] = list(unknown)
    warning = leakage_warning(dataset_path, report["accuracy"])
    if warning:
        report["leakage_warning"] = warning
    if n >= 10 and len(supported) >= 2:
        predicted = confusion.sum(axis=0)
        collapsed = _collapse(
            Counter({classes[c]: int(predicted[c]) for c in first_predicted}),
            Counter({c: int(k) for c, k in zip(classes, true_counts)}),
            n,
        )
        if collapsed:
            report["collapse_warning"] = collapsed
    return report


def misclassified(
    texts: Sequence[str],
    y_true: Sequence[str],
    proba: np.ndarray,
    classes: Sequence[str],
    sources: Sequence[str] | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """Wrong predictions, most confident first (the ones most worth reading), at most ``limit``."""
    proba = np.asarray(proba, dtype=np.float64)
    classes = [str(c) for c in classes]
    index = {c: i for i, c in enumerate(classes)}
    predicted = proba.argmax(axis=1) if len(proba) else np.zeros(0, dtype=int)
    rows = []
    for i, (text, truth) in enumerate(zip(texts, y_true)):
        guess = classes[predicted[i]]
        if guess == str(truth):
            continue
        true_index = index.get(str(truth))
        rows.append(
            {
                "text": text,
                "true": str(truth),
                "predicted": guess,
                "confidence": float(proba[i, predicted[i]]),
                "true_probability": float(proba[i, true_index]) if true_index is not None else 0.0,
                "source": sources[i] if sources is not None and i < len(sources) else "",
            }
        )
    rows.sort(key=lambda r: -r["confidence"])
    return rows[:limit]


# ---- saved runs -----------------------------------------------------------------------------------
_model_cache: dict[str, tuple[int, Any]] = {}
_model_cache_lock = threading.Lock()


def load_run_model(run_dir: str | os.PathLike) -> Any:
    """The run's end-to-end model (raw strings in, class probabilities out)."""
    import keras

    from .models import custom_objects

    path = Path(run_dir) / MODEL_FILE
    if not Path(run_dir).is_dir():
        raise RunError(f"Run folder not found: {run_dir}")
    check_run_links(run_dir)
    if not path.is_file():
        raise RunError(
            f"{run_dir} has no {MODEL_FILE}: the run stopped before training began or failed.",
            hint="Open another run, or train again.",
        )
    damage = model_file_damage(path)
    if damage:
        raise _damaged_model(path, damage)
    try:
        return keras.saving.load_model(path, custom_objects=custom_objects(), compile=False)
    except Exception as exc:
        damage = model_file_damage(path, deep=True)
        if damage:
            raise _damaged_model(path, damage) from None
        raise RunError(
            f"{path} cannot be loaded: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
            hint="The file may be truncated or written by an incompatible version; train the run again.",
        ) from None


# What a Keras 3 ``.keras`` archive always holds (keras/src/saving/saving_lib.py).
_KERAS_MEMBERS = ("config.json", "metadata.json")


def model_file_damage(path: Path, *, deep: bool = False) -> str:
    """Why ``path`` is not a complete ``.keras`` archive ('' when it looks whole). The cheap check reads
    the zip directory; ``deep`` also checks every member's CRC (done only after a load failed)."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            missing = [m for m in _KERAS_MEMBERS if m not in names]
            if missing:
                return f"it is a zip archive but lacks {', '.join(missing)}"
            if deep:
                bad = zf.testzip()
                if bad is not None:
                    return f"the member {bad} fails its checksum"
    except zipfile.BadZipFile:
        return "it is not a complete zip archive (truncated, or not a .keras file at all)"
    except (OSError, EOFError, zipfile.LargeZipFile, ValueError) as exc:
        return f"it cannot be read as a zip archive ({type(exc).__name__}: {exc})"
    return ""


def _damaged_model(path: Path, why: str) -> RunError:
    return RunError(
        f"{path} is damaged or incomplete: {why}.",
        hint="Train the run again, or restore model.keras from a backup of this run folder.",
    )


def check_model_outputs(model: Any, classes: Sequence[str], run_dir: str | os.PathLike) -> None:
    """The run's labels.json must name one class per model output."""
    outputs = getattr(model, "outputs", None)
    if not outputs:
        return
    width = outputs[0].shape[-1]
    if width is not None and int(width) != len(classes):
        raise RunError(
            f"{Path(run_dir) / LABELS_FILE} lists {len(classes)} class names, but the model in {MODEL_FILE} has "
            f"{int(width)} outputs: the two files do not match.",
            hint=f"Restore the run's own {LABELS_FILE} (one name per class, in training order), or train again.",
        )


def run_model_and_classes(run_dir: str | os.PathLike) -> tuple[Any, list[str]]:
    """The run's model and its class names, checked against each other."""
    run_dir = Path(run_dir)
    model = _cached_model(run_dir)
    classes = run_classes(run_dir)
    check_model_outputs(model, classes, run_dir)
    return model, classes


def _cached_model(run_dir: Path) -> Any:
    """Reloading a model costs seconds; the GUI predicts repeatedly on the same run."""
    path = run_dir / MODEL_FILE
    key = str(path.resolve())
    stamp = path.stat().st_mtime_ns if path.is_file() else -1
    with _model_cache_lock:
        cached = _model_cache.get(key)
        if cached and cached[0] == stamp:
            return cached[1]
    model = load_run_model(run_dir)
    with _model_cache_lock:
        _model_cache.clear()  # keep one model: they can be large
        _model_cache[key] = (stamp, model)
    return model


def run_classes(run_dir: str | os.PathLike) -> list[str]:
    path = Path(run_dir) / LABELS_FILE
    try:
        classes = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunError(f"{run_dir} has no {LABELS_FILE}: it does not say which class is which.") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise RunError(f"{path} is unreadable: {exc}") from None
    if not isinstance(classes, list):
        raise RunError(f"{path} must hold a JSON list of class names.")
    return [str(c) for c in classes]


def predict_proba(
    model: Any, texts: Sequence[str], *, cancel: CancelToken | None = None, progress: Any = None
) -> np.ndarray:
    """``(len(texts), n_classes)`` probabilities from an end-to-end model, in batches."""
    parts = []
    for start in range(0, len(texts), _PREDICT_BATCH):
        if cancel is not None:
            cancel.raise_if_cancelled()
        if progress is not None:
            progress(start)
        batch = np.asarray([[str(t)] for t in texts[start : start + _PREDICT_BATCH]], dtype=object)
        parts.append(np.asarray(model.predict_on_batch(batch), dtype=np.float64))
    if progress is not None:
        progress(len(texts))
    if not parts:
        classes = int(model.outputs[0].shape[-1]) if getattr(model, "outputs", None) else 0
        return np.zeros((0, classes))
    return np.concatenate(parts, axis=0)


def predict_in_batches(model: Any, x: Any, batch_size: int) -> np.ndarray:
    """``model.predict(x, batch_size=batch_size, verbose=0)``, the model traced once instead of twice.

    Keras traces its predict function for each batch shape it meets: on ``n`` rows that ``batch_size`` does
    not divide, once for the full batches and again for the last, shorter one. Here one ``tf.function`` whose
    batch dimension is unknown computes every batch, the last at its own size as in the plain call, with the
    model's own ``jit_compile``: the same predictions (tests/core/test_evaluation.py), one trace. Padding the
    last batch instead would also trace once, but the rows of a batch of another size may differ in the last
    bit. The plain call is used where it traces once anyway (one batch, or ``batch_size`` divides ``n``), for
    inputs other than one array (the ``wide_deep`` model's sparse TF-IDF rows), for a model run eagerly, and
    for one built under a distribution strategy (Keras predicts through the strategy)."""
    import tensorflow as tf

    n = len(x) if isinstance(x, np.ndarray) else 0
    if (
        n <= batch_size
        or n % batch_size == 0
        or getattr(model, "run_eagerly", False)
        or model.distribute_strategy is not tf.distribute.get_strategy()
    ):
        return model.predict(x, batch_size=batch_size, verbose=0)
    spec = tf.TensorSpec((None, *x.shape[1:]), tf.as_dtype(x.dtype))
    step = tf.function(
        lambda rows: model(rows, training=False),
        input_signature=[spec],
        jit_compile=bool(getattr(model, "jit_compile", False)),
    )
    parts = [np.asarray(step(tf.convert_to_tensor(x[i : i + batch_size]))) for i in range(0, n, batch_size)]
    return np.concatenate(parts, axis=0)


def _model_and_classes(run_dir_or_model: Any, classes: Sequence[str] | None) -> tuple[Any, list[str] | None]:
    """The end-to-end model and class names: from a run folder (checked against each other), or a model as
    given with the caller's ``classes``."""
    if not isinstance(run_dir_or_model, (str, os.PathLike)):
        return run_dir_or_model, None if classes is None else list(classes)
    run_dir = Path(run_dir_or_model)
    if classes is None:
        return run_model_and_classes(run_dir)
    return _cached_model(run_dir), list(classes)


def predict_texts(
    run_dir_or_model: Any, texts: Sequence[str], classes: Sequence[str] | None = None
) -> list[dict[str, float]]:
    """Class probabilities for each text, from a run folder or an end-to-end model."""
    model, classes = _model_and_classes(run_dir_or_model, classes)
    proba = predict_proba(model, list(texts))
    if classes is None:
        classes = [str(i) for i in range(proba.shape[1])]
    if proba.shape[1] != len(classes):
        raise RunError(f"The model predicts {proba.shape[1]} classes but {len(classes)} class names were given.")
    return [{str(c): float(p) for c, p in zip(classes, row)} for row in proba]


OOV_FLAG_SHARE = 0.5  # flag a text when more than half of its tokens are not in the vocabulary


def _text_vectorizer(model: Any) -> Any:
    """The token-id TextVectorization layer at the front of an end-to-end model (searched in nested models
    too). A wide & deep model also holds a TF-IDF one (``output_mode="tf_idf"``), whose rows are vocabulary
    weights, not token sequences; it is used only when no ``int`` layer exists."""
    import keras

    found = []
    stack = list(getattr(model, "layers", []))
    while stack:
        layer = stack.pop(0)
        if isinstance(layer, keras.layers.TextVectorization):
            if layer.get_config().get("output_mode", "int") == "int":
                return layer
            found.append(layer)
        stack += list(getattr(layer, "layers", []))
    return found[0] if found else None


def text_flags(model: Any, texts: Sequence[str]) -> list[dict[str, Any]]:
    """What the model sees of each text, tokenised by the model's own TextVectorization layer.

    Per text: ``tokens`` (after standardisation and splitting), ``ignored`` (cut off after the sequence
    length), ``unknown`` (tokens outside the vocabulary) and ``flags``, human-readable warnings such as
    ``"empty"``, ``"truncated: 1,342 of 2,000 tokens ignored"``, ``"oov: 91% of tokens unknown"``.
    """
    layer = _text_vectorizer(model)
    if layer is None:
        raise RunError("The model has no TextVectorization layer at its input, so its tokens cannot be inspected.")
    import tensorflow as tf

    length = layer.get_config().get("output_sequence_length")
    out = []
    for start in range(0, len(texts), _PREDICT_BATCH):
        chunk = [str(t) for t in texts[start : start + _PREDICT_BATCH]]
        tokens = layer._preprocess(tf.constant(chunk, dtype=tf.string))  # the layer's own standardize + split
        ids = layer._lookup_layer(tokens)
        oov = 1  # TextVectorization: 0 is padding, 1 is [UNK]
        rows = ids.to_list() if hasattr(ids, "to_list") else ids.numpy().tolist()
        for text, row in zip(chunk, rows):
            n = len(row)
            unknown = sum(1 for i in row if i == oov)
            ignored = max(0, n - length) if length else 0
            flags = []
            empty = n == 0 or not any(ch.isalnum() for ch in text)  # nothing word-like (punctuation only)
            if empty:
                flags.append("empty")
            if ignored:
                flags.append(f"truncated: {ignored:,} of {n:,} tokens ignored")
            if n and not empty and unknown / n > OOV_FLAG_SHARE:
                flags.append(f"oov: {100 * unknown / n:.0f}% of tokens unknown")
            out.append({"tokens": n, "ignored": ignored, "unknown": unknown, "flags": flags})
    return out


def predict_detailed(
    run_dir_or_model: Any, texts: Sequence[str], classes: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """``predict_texts`` plus, for each text, what the model saw of it: ``{"probabilities": {...},
    "flags": [...], "tokens": n, "ignored": k, "unknown": u}`` (see :func:`text_flags`)."""
    model, classes = _model_and_classes(run_dir_or_model, classes)
    texts = list(texts)
    probabilities = predict_texts(model, texts, classes)
    return [{"probabilities": probs, **flags} for probs, flags in zip(probabilities, text_flags(model, texts))]


def label_overlap_check(labels: Sequence[str], classes: Sequence[str], source: str) -> str | None:
    """Refuse data whose labels share nothing with the run's classes; a warning when some do not match."""
    counts = Counter(str(y) for y in labels)
    known = set(classes)
    unknown = {label: n for label, n in counts.items() if label not in known}
    if not unknown:
        return None
    shown = ", ".join(repr(c) for c in sorted(unknown)[:8]) + (" ..." if len(unknown) > 8 else "")
    if len(unknown) == len(counts):
        model_shown = ", ".join(repr(c) for c in list(classes)[:8]) + (" ..." if len(classes) > 8 else "")
        raise RunError(
            f"{source}: none of its labels ({shown}) is a class of this run ({model_shown}), so a score would "
            "mean nothing. Evaluate on data labelled with the run's classes, or check the label column "
            "(data.label_column)."
        )
    rows = sum(unknown.values())
    return (
        f"{rows:,} of {sum(counts.values()):,} examples carry {len(unknown):,} label"
        f"{'s' if len(unknown) != 1 else ''} the run does not know ({shown}); they count as errors, "
        "so the score is lower than the model's real one on its classes."
    )


def _data_config_for(run_dir: Path, data_cfg_or_path: Any) -> Any:
    from .config import DataConfig, RunConfig

    if isinstance(data_cfg_or_path, DataConfig):
        return data_cfg_or_path
    try:
        raw = json.loads((run_dir / CONFIG_FILE).read_text(encoding="utf-8"))
        data = RunConfig.from_dict(raw).data
    except FileNotFoundError:
        raise RunError(f"{run_dir} has no {CONFIG_FILE}.") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise RunError(f"{run_dir / CONFIG_FILE} is unreadable: {exc}") from None
    data.path = (
        str(Path(data_cfg_or_path).expanduser().resolve())
        if not str(data_cfg_or_path).startswith("gensim-test-data:")
        else str(data_cfg_or_path)
    )
    data.test_path = ""
    data.validation_path = ""
    data.max_rows = None
    data.max_test_rows = None
    return data


def _evaluation_table(dataset: Any, path: str) -> tuple[Any, str]:
    """(the table to evaluate on, "test" or "all"): the test split when it has rows, else every row."""
    table = dataset.test if dataset.test is not None and len(dataset.test.texts) else dataset.train
    split = "test" if table is dataset.test else "all"
    if not table.texts:
        raise RunError(f"{path} holds no examples to evaluate on.")
    return table, split


def _new_evaluation_path(run_dir: Path) -> Path:
    """``evaluations/<timestamp>.json`` in the run, ``-2``, ``-3``… when one of that second exists."""
    out_dir = run_dir / EVALUATIONS_DIR
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = out_dir / f"{stamp}.json"
    suffix = 2
    while target.exists():
        target = out_dir / f"{stamp}-{suffix}.json"
        suffix += 1
    return target


def evaluate_run(
    run_dir: str | os.PathLike,
    data_cfg_or_path: Any,
    *,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Evaluate a saved run on a dataset: its test split if it has one, else all of its rows.

    A path is read with the run's own dataset options (format, columns, cleaning); a ``DataConfig`` is used
    as given. The report is also written to ``evaluations/<timestamp>.json`` inside the run.
    """
    from .datasets import load_dataset
    from .jobs import ThrottledProgress

    reporter = ensure_reporter(reporter)
    cancel = ensure_cancel(cancel)
    run_dir = Path(run_dir)
    check_run_links(run_dir)
    model, classes = run_model_and_classes(run_dir)  # a broken model fails before the data is read
    data_cfg = _data_config_for(run_dir, data_cfg_or_path)
    reporter.info(f"Loading {data_cfg.path}")
    dataset = load_dataset(data_cfg, reporter=reporter, cancel=cancel)
    table, split = _evaluation_table(dataset, data_cfg.path)
    label_warning = label_overlap_check(table.labels, classes, str(data_cfg.path))
    if label_warning:
        reporter.warning(label_warning)
    reporter.info(f"Evaluating on {len(table.texts):,} examples ({split} rows)")
    progress = ThrottledProgress(reporter, len(table.texts), "Predicting", cancel=cancel)
    proba = predict_proba(model, table.texts, cancel=cancel, progress=progress)
    report = evaluate_predictions(table.labels, proba, classes, dataset_path=data_cfg.path)
    if label_warning:
        report["label_warning"] = label_warning
    report["dataset"] = {"path": data_cfg.path, "split": split, "rows": len(table.texts)}
    report["misclassified"] = misclassified(table.texts, table.labels, proba, classes, table.sources, limit=100)
    report["evaluated"] = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
    target = _new_evaluation_path(run_dir)
    atomic_write_json(target, report)
    report["report_path"] = str(target)
    reporter.info(f"Accuracy {report['accuracy']:.4f}, macro-F1 {report['macro_f1']:.4f} ({target.name})")
    return report
