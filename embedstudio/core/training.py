"""``train()``: one function that the CLI and the GUI's worker thread both call to run a whole training.

It runs in whatever thread calls it (the GUI's QThread worker, or the CLI's main thread); it talks to the
caller only through ``reporter`` (progress, log lines, ``batch``/``epoch``/``coverage`` events) and polls
``cancel``. Every run gets its own directory (see ``runs.py``), written from the first second on.
"""

from __future__ import annotations

import json
import logging
import math
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import presets
from . import runs as _durable  # disk-space checks, status on a full disk, temp-file clean-up
from .config import RunConfig
from .distribute import Plan, plan_for
from .errors import TrainingError, UserError
from .events import BatchEvent, EpochEvent, ModelEvent, RunEvent, TrainingStep, emit
from .fileio import atomic_write_json, atomic_write_text
from .jobs import Cancelled, CancelToken, Reporter, ensure_cancel, ensure_reporter
from .runs import (
    CONFIG_FILE,
    COVERAGE_FILE,
    LABELS_FILE,
    MISCLASSIFIED_FILE,
    MODEL_FILE,
    REPORT_FILE,
    VOCABULARY_FILE,
    append_metrics,
    default_runs_dir,
    describe_environment,
    now_iso,
    update_description,
)

CHECKPOINT_FILE = "checkpoint.weights.h5"
BATCH_EVENT_INTERVAL = 0.1  # seconds: at most ~10 batch events per second reach the GUI
MISCLASSIFIED_LIMIT = 500
MIN_UPDATES_PER_EPOCH = 10  # small data: smaller batches rather than one update per epoch
MAX_EPOCH_FACTOR = 5  # min_steps may lengthen training to at most 5 × training.epochs
PROOF_TEXTS = 8  # test texts the reloaded model must score like the trained one
PROOF_TOLERANCE = 1e-5


# Where a run's time goes, recorded in description.json as ``timings`` (seconds per phase, in train()).
_STEP_PHASES = {
    TrainingStep.LOAD_DATASET: "load",
    TrainingStep.SPLIT: "split",
    TrainingStep.LOAD_VECTORS: "vectors",
    TrainingStep.VOCABULARY: "vocabulary",
    TrainingStep.EMBEDDING: "embedding",
    TrainingStep.BUILD_MODEL: "build",
    TrainingStep.TRAIN: "fit",
    TrainingStep.EVALUATE: "evaluate",
    TrainingStep.SAVE: "save",
}


class PhaseClock:
    """Seconds per phase of a run: ``start(name)`` ends the phase running and starts ``name`` (a phase
    entered again adds to its total); ``stop()`` ends the last one. ``summary()`` is what the run records."""

    def __init__(self, clock: Any = time.perf_counter) -> None:
        self._clock = clock
        self.seconds: dict[str, float] = {}
        self._name: str | None = None
        self._since = 0.0

    def start(self, name: str) -> None:
        now = self._clock()
        self._end(now)
        self._name, self._since = name, now

    def stop(self) -> None:
        self._end(self._clock())

    def _end(self, now: float) -> None:
        if self._name is not None:
            self.seconds[self._name] = self.seconds.get(self._name, 0.0) + (now - self._since)
            self._name = None

    def summary(self, epoch_seconds: float | None = None) -> dict[str, Any]:
        total = sum(self.seconds.values())
        fit = self.seconds.get("fit", 0.0)
        out: dict[str, Any] = {
            "seconds": {name: round(value, 3) for name, value in self.seconds.items()},
            "total": round(total, 3),
            "outside_fit": round(total - fit, 3),
            "outside_fit_share": round((total - fit) / total, 4) if total > 0 else 0.0,
        }
        if epoch_seconds is not None:  # the epochs themselves; fit's rest is checkpoints and callbacks
            out["epochs"] = round(epoch_seconds, 3)
        return out

    def line(self) -> str:
        """One log line: the total, fit's share and the largest phases outside fit."""
        total = sum(self.seconds.values())
        if total <= 0:
            return ""
        fit = self.seconds.get("fit", 0.0)
        rest = sorted(((v, k) for k, v in self.seconds.items() if k != "fit" and v >= 0.05), reverse=True)
        parts = ", ".join(f"{name.replace('_', ' ')} {value:.1f} s" for value, name in rest[:5])
        return (
            f"Time in the run: {total:.1f} s, fit {fit:.1f} s ({100 * fit / total:.0f}%); outside fit "
            f"{total - fit:.1f} s ({100 * (total - fit) / total:.0f}%)" + (f": {parts}" if parts else "")
        )


class _ExpectedRetracing(logging.Filter):
    """Drops TensorFlow's "triggered tf.function retracing" warning, and only it. Each Keras model gets its
    own predict function, traced when first called; a run predicts with two models (the embedding path, then
    the whole wide & deep model) and a study builds three per cell, so TensorFlow's heuristic (five traced
    calls among the recent ones) fires on these first traces in a long-lived process. It is expected, and
    it says nothing the user can act on (docs/field-notes.md)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


def _quiet_expected_retracing() -> None:
    logger = logging.getLogger("tensorflow")
    if not any(isinstance(f, _ExpectedRetracing) for f in logger.filters):
        logger.addFilter(_ExpectedRetracing())


@dataclass
class TrainResult:
    run_dir: Path
    status: str  # 'completed' | 'stopped'  (failures raise after writing the run)
    report: dict | None
    history: list[dict]
    message: str = ""
    coverage: list[dict] = field(default_factory=list)
    distributed: dict = field(default_factory=dict)  # what this worker did in a distributed run


def train(
    cfg: RunConfig,
    *,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
    dataset: Any = None,
    vectors: dict[str, Any] | None = None,
    splits: Any = None,
    save_model: bool = True,
    compare: bool = True,
) -> TrainResult:
    """Load data and vectors, build and fit the model, evaluate it, and write a run directory.

    ``dataset`` (a ``datasets.Dataset``) and ``vectors`` (``{config path: WordVectors}``) skip loading
    what the caller already holds; ``splits`` (a ``datasets.Splits``) is used as the split itself (the study
    passes its subsets). ``save_model=False`` keeps no ``model.keras`` (a measurement, e.g. one cell of a
    study); ``compare=False`` skips the TF-IDF comparison. Stopping during ``fit`` returns a valid 'stopped' run;
    cancelling before ``fit`` marks the run 'stopped' and re-raises ``Cancelled``. Failures (NaN loss, bad data)
    mark the run 'failed' with the message and raise.
    """
    clock = PhaseClock()
    clock.start("setup")
    reporter = ensure_reporter(reporter)
    cancel = ensure_cancel(cancel)
    cfg = cfg.copy()
    cfg.validate()
    _quiet_expected_retracing()
    dist = plan_for(cfg)  # first: a multi-worker strategy must exist before any other TensorFlow operation
    runs_dir = Path(cfg.runs_dir) if cfg.runs_dir else default_runs_dir()
    run_dir = dist.run_dir(runs_dir, cfg.name or cfg.model.preset)  # a scratch folder on non-chief workers
    atomic_write_json(run_dir / CONFIG_FILE, cfg.to_dict())
    update_description(
        run_dir,
        name=cfg.name or run_dir.name,
        status="running",
        created=now_iso(),
        message="",
        environment=describe_environment(cfg),
    )
    dist.start(cfg, run_dir, runs_dir)  # per-replica batch and scaled learning rate, recorded in the run
    _durable.reserve_status_space(run_dir)
    _durable.clean_interrupted_saves(run_dir.parent)
    reporter.info(f"Run folder: {run_dir}")
    emit(reporter, RunEvent(str(run_dir), "running"))
    started = time.monotonic()
    try:
        training = _Training(cfg, run_dir, reporter, cancel, started, dist, clock)
        training.given_splits, training.keep_model, training.compare = splits, save_model, compare
        result = training.run(dataset, vectors)
    except Cancelled:
        _finish(
            run_dir, "stopped", "Stopped before training began; no model was saved.", started, timings=_timings(clock)
        )
        emit(reporter, RunEvent(str(run_dir), "stopped"))
        raise
    except UserError as exc:
        _finish(run_dir, "failed", str(exc), started, timings=_timings(clock))
        emit(reporter, RunEvent(str(run_dir), "failed", str(exc)))
        raise
    except BaseException as exc:  # a bug or Ctrl-C twice: the run must still say it did not finish
        message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        _finish(run_dir, "failed", f"Training crashed: {message}", started, timings=_timings(clock))
        emit(reporter, RunEvent(str(run_dir), "failed", message))
        raise
    finally:
        distributed = dist.finish()
    result.distributed = distributed
    emit(reporter, RunEvent(str(run_dir), result.status))
    return result


def _timings(clock: PhaseClock) -> dict[str, Any]:
    clock.stop()
    return clock.summary()


def _finish(run_dir: Path, status: str, message: str, started: float, **extra: Any) -> None:
    _durable.record_status(
        run_dir,
        status=status,
        message=message,
        finished=now_iso(),
        seconds=round(time.monotonic() - started, 2),
        **extra,
    )
    _durable.release_status_space(run_dir)


class _Training:
    """The steps of one run, sharing the config, run folder, reporter and cancel token."""

    def __init__(
        self,
        cfg: RunConfig,
        run_dir: Path,
        reporter: Reporter,
        cancel: CancelToken,
        started: float,
        dist: Plan | None = None,
        clock: PhaseClock | None = None,
    ) -> None:
        self.cfg = cfg
        self.clock = clock or PhaseClock()
        self.dist = dist or Plan()
        self.run_dir = run_dir
        self.reporter = reporter
        self.cancel = cancel
        self.started = started
        self.given_splits: Any = None  # the study's own subsets, used as the split
        self.keep_model = True
        self.compare = True

    def step(self, step: TrainingStep) -> None:
        self.cancel.raise_if_cancelled()
        self.clock.start(_STEP_PHASES[step])
        self.reporter.info(step.label)
        self.reporter.progress(int(step), len(TrainingStep), step.label)

    def run(self, dataset: Any, vectors: dict[str, Any] | None) -> TrainResult:
        self.clock.start("import")
        import keras

        from . import streaming
        from .model_inputs import prepare_model_inputs

        cfg = self.cfg
        keras.utils.set_random_seed(cfg.training.seed)
        splits = self.given_splits
        if splits is None and dataset is None:
            why = streaming.chunked_reason(cfg)
            if not why:  # streamed from the file on: read in chunks into the run's cache (core/streaming.py)
                self.step(TrainingStep.LOAD_DATASET)
                self.step(TrainingStep.SPLIT)
                splits = streaming.streamed_splits(cfg, self.run_dir, reporter=self.reporter, cancel=self.cancel)
                update_description(self.run_dir, streaming_read="chunks")
            elif cfg.data.streaming == "on":
                self.reporter.info(f"The dataset is read in memory ({why}); its token ids are streamed.")
        inputs = prepare_model_inputs(
            cfg,
            dataset,
            vectors,
            self.cancel,
            reporter=self.reporter,
            step=self.step,
            splits=splits,
            tokenize=False,
        )

        self.clock.start("tokenise")
        if streaming.wanted(inputs):  # token ids memory-mapped from the run folder, fed by tf.data
            streaming.tokenise_splits(inputs, self.run_dir, reporter=self.reporter, cancel=self.cancel)
            self.reporter.info(f"Streaming the token ids from {streaming.TOKENS_DIR}/ in the run folder")
            update_description(self.run_dir, streaming=True)
        else:
            inputs.tokenize_splits(reporter=self.reporter, cancel=self.cancel)
        self.inputs = inputs
        self.cfg = inputs.cfg  # resolved (auto's choices): what trains from here on
        splits, classes, vocab, coverage = inputs.splits, inputs.classes, inputs.vocab, inputs.coverage
        update_description(
            self.run_dir,
            splits={k: v for k, v in inputs.counts.items() if k in ("train", "validation", "test")},
            classes=classes,
        )
        atomic_write_text(self.run_dir / VOCABULARY_FILE, "\n".join(vocab) + "\n")
        atomic_write_json(self.run_dir / LABELS_FILE, classes)
        self.reporter.info(f"Vocabulary: {len(vocab):,} entries (with padding and [UNK])")
        self.report_coverage(coverage)
        update_description(self.run_dir, resolved=self.resolved_settings())

        self.step(TrainingStep.BUILD_MODEL)
        from .models import compile_model, deep_training_model, parameter_counts, summary_rows

        wide = inputs.wide is not None
        with self.dist.scope():  # distributed: the variables live on every replica
            model = inputs.build_model()
            # wide_deep: Keras trains the embedding path alone; the linear path is fitted by liblinear.
            trained = deep_training_model(model) if wide else model
            compile_model(trained, inputs.cfg)
        self.dist.prepare(trained)
        params = parameter_counts(model)
        emit(self.reporter, ModelEvent(summary_rows(model), params))
        self.reporter.info(f"Model: {params['total']:,} parameters, {params['trainable']:,} trainable")
        update_description(self.run_dir, params=params)
        data = inputs.data
        if wide:
            self.clock.start("wide_path")
            self.fit_wide_path(model, data, classes)

        self.step(TrainingStep.TRAIN)
        fit = _Fit(self, trained, {k: (x[0], y) for k, (x, y) in data.items()} if wide else data, classes)
        history = fit.run()  # from here on, cancel means "stop and keep what was learned"
        if fit.nan_at is not None:
            raise TrainingError(_nan_message(fit.nan_at, cfg))
        if wide:
            self.mix_paths(model, trained, data)
        status = "stopped" if fit.stopped_by_user else "completed"

        self.clock.start("evaluate")
        self.reporter.progress(int(TrainingStep.EVALUATE), len(TrainingStep), TrainingStep.EVALUATE.label)
        report = self.evaluate(model, data["test"][0], splits, classes, fit, params, coverage)
        self.clock.start("save")
        self.reporter.progress(int(TrainingStep.SAVE), len(TrainingStep), TrainingStep.SAVE.label)
        if self.keep_model:
            self.save_model(model, splits)
        (self.run_dir / CHECKPOINT_FILE).unlink(missing_ok=True)  # kept until the final model is saved
        streaming.remove(self.run_dir, inputs)
        message = (
            "Stopped by the user; the model as trained so far was saved and evaluated." if status == "stopped" else ""
        )
        self.clock.stop()
        timings = self.clock.summary(epoch_seconds=sum(row.get("seconds") or 0.0 for row in history))
        _finish(
            self.run_dir,
            status,
            message,
            self.started,
            epochs_completed=len(history),
            best_epoch=fit.best_epoch,
            early_stopped=fit.early_stopped,
            timings=timings,
        )
        if line := self.clock.line():
            self.reporter.info(line)
        self.reporter.progress(len(TrainingStep), len(TrainingStep), "Done")
        if report is not None:
            self.reporter.event("report", report)
            self.reporter.info(f"Test accuracy {report['accuracy']:.4f}, macro-F1 {report['macro_f1']:.4f}")
            from .evaluation import report_warnings

            for warning in report_warnings(report):
                self.reporter.warning(warning)
        return TrainResult(
            run_dir=self.run_dir, status=status, report=report, history=history, message=message, coverage=coverage
        )

    # ---- wide_deep: the linear path and the mix (core.wide) --------------------------------------------
    def fit_wide_path(self, model: Any, data: dict, classes: list[str]) -> None:
        from .wide import fit_linear

        (x_train, y_train), (x_val, y_val) = data["train"], data["validation"]
        self.reporter.info("Fitting the TF-IDF path (LinearSVC, C chosen on the validation split)")
        fitted = fit_linear(
            x_train[1], y_train, x_val[1], y_val, len(classes), reporter=self.reporter, cancel=self.cancel
        )
        model.get_layer("wide_logits").set_weights([fitted.kernel, fitted.bias])
        self.wide_fit = fitted
        record = fitted.to_dict() | {"embedding_path_trained_on": "train"}
        update_description(self.run_dir, wide_path=record, refit_on=fitted.refit_on)

    def mix_paths(self, model: Any, trained: Any, data: dict) -> None:
        """Choose the embedding path's share of the mix on the validation split (``core.wide.choose_mix``)."""
        from .evaluation import predict_in_batches
        from .models import set_mix
        from .wide import choose_mix, log_softmax

        x_val, y_val = data["validation"]
        # The train-only TF-IDF fit: the model's refitted one has seen the validation texts (core.wide).
        kernel, bias = self.wide_fit.selection_weights
        if len(y_val):
            deep = np.log(np.clip(predict_in_batches(trained, x_val[0], 256), 1e-12, 1.0))
            wide = log_softmax(np.asarray(x_val[1] @ kernel) + bias)
        else:
            deep = wide = np.zeros((0, 1))
        weight, losses = choose_mix(deep, wide, y_val)
        set_mix(model, weight)
        record: dict[str, Any] = {"deep_share": weight, "chosen_on": "validation" if losses else "default"}
        if losses:
            mixed = log_softmax(weight * deep + (1 - weight) * wide)
            accuracy = {
                name: round(float(np.mean(p.argmax(axis=1) == y_val)), 4)
                for name, p in (("mixed", mixed), ("tfidf_path", wide), ("embedding_path", deep))
            }
            record.update(validation_log_loss=losses, validation_accuracy=accuracy)
            self.reporter.info(
                f"Mix: {weight:.1f} × embedding path + {1 - weight:.1f} × TF-IDF path (lowest validation "
                f"log-loss); validation accuracy {accuracy['mixed']:.4f} (TF-IDF path "
                f"{accuracy['tfidf_path']:.4f}, embedding path {accuracy['embedding_path']:.4f})"
            )
        update_description(self.run_dir, mix=record)

    # ---- data -------------------------------------------------------------------------------
    def resolved_settings(self) -> dict[str, Any]:
        inputs = self.inputs
        c = inputs.cfg
        out = {
            "preset": c.model.preset,
            "standardize": c.text.standardize,
            "sequence_length": c.text.sequence_length,
            "max_tokens": c.text.max_tokens,
            "tokenizer_choice": inputs.standardize,
        }
        if presets.get(c.model.preset).wide:
            out.update(deep_path=c.model.deep_path, wide_features=inputs.wide.features if inputs.wide else 0)
        if inputs.auto:
            out["auto"] = inputs.auto
        return out

    def report_coverage(self, coverage: list[dict]) -> None:
        from .advice import coverage_advice
        from .embedding import CoverageReport

        for item in coverage:
            self.reporter.event("coverage", item)
            self.reporter.info(CoverageReport.from_dict(item).summary())
        # The Model area shows the same advice before Start, with the controls' labels (core/advice.py).
        for advice in coverage_advice(self.cfg, coverage):
            self.reporter.warning(advice.cli())
        atomic_write_json(self.run_dir / COVERAGE_FILE, coverage)

    # ---- results ------------------------------------------------------------------------------
    def evaluate(
        self,
        model: Any,
        x_test: np.ndarray,
        splits: Any,
        classes: list[str],
        fit: _Fit,
        params: dict,
        coverage: list[dict],
    ) -> dict | None:
        from .evaluation import evaluate_predictions, misclassified, predict_in_batches

        test = splits.test
        if len(test.texts) == 0:
            self.reporter.warning(
                "The test split is empty, so the run has no test report. Raise data.test_fraction or give a test file."
            )
            return None
        from . import streaming

        batch = max(256, self.cfg.training.batch_size)
        wrong: list[dict] | None = None
        proba: Any
        if isinstance(test, streaming.StreamedTable):  # batch by batch; reads only the texts it lists
            report, wrong, proba = streaming.evaluate(
                model,
                x_test,
                test,
                classes,
                batch,
                MISCLASSIFIED_LIMIT,
                dataset_path=self.cfg.data.path,
                cancel=self.cancel,
            )
        else:
            if streaming.is_streamed(x_test):
                proba = streaming.predict(model, x_test, batch)
            else:
                proba = predict_in_batches(model, x_test, batch)  # one trace of predict, not two
            report = evaluate_predictions(test.labels, proba, classes, dataset_path=self.cfg.data.path)
        report.update(
            split="test",
            status="stopped" if fit.stopped_by_user else "completed",
            epochs_completed=len(fit.history),
            best_epoch=fit.best_epoch,
            early_stopped=fit.early_stopped,
            params=params,
            coverage=[{k: c[k] for k in ("vectors_path", "vocab_coverage", "token_coverage")} for c in coverage],
            seconds=round(time.monotonic() - self.started, 2),
        )
        if self.compare:
            self.clock.start("tfidf_comparison")
            report["vs_tfidf"] = self.compare_with_tfidf(report, splits, proba)
            self.clock.start("evaluate")
        if wrong is None:
            wrong = misclassified(test.texts, test.labels, proba, classes, test.sources, limit=MISCLASSIFIED_LIMIT)
        atomic_write_text(
            self.run_dir / MISCLASSIFIED_FILE, "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in wrong)
        )
        atomic_write_json(self.run_dir / REPORT_FILE, report)
        return report

    def compare_with_tfidf(self, report: dict, splits: Any, proba: Any = None) -> dict | None:
        """TF-IDF + LinearSVC on exactly this run's split (C chosen on its validation split), so every
        report says by how much the network beats, or loses to, the linear baseline. Streamed from the
        file: on a seeded sample of at most ``streaming.BASELINE_ROWS`` rows per split (core/streaming.py)."""
        from . import streaming
        from .baselines import comparison, comparison_line, tfidf_linear

        sampled = None
        if isinstance(splits.train, streaming.StreamedTable):
            splits, sampled = streaming.baseline_sample(splits, self.cfg.training.seed)
            if sampled is not None:
                from .evaluation import evaluate_predictions

                report = evaluate_predictions(splits.test.labels, proba[sampled], list(splits.classes))

        self.reporter.info("Scoring the TF-IDF + LinearSVC baseline on the same split")
        try:
            baseline = tfidf_linear(splits, cancel=self.cancel)
        except UserError as exc:
            self.reporter.warning(f"No TF-IDF comparison: {exc}")
            return None
        except Cancelled:  # after fit, stopping keeps the trained model; only the comparison is skipped
            self.reporter.warning("The TF-IDF comparison was skipped (stopped).")
            return None
        vs = comparison(report, baseline)
        vs["C"] = baseline["params"]["C"]
        if sampled is not None:
            vs["sample"] = {"train": len(splits.train), "test": len(splits.test), "of": streaming.BASELINE_ROWS}
        self.reporter.info(comparison_line(vs))
        return vs

    def save_model(self, model: Any, splits: Any) -> None:
        # Keras insists on the .keras suffix; save beside the target, then rename atomically
        # (save_durably: free space checked first, partial file removed on failure).
        exported = self.inputs.end_to_end(model)
        texts = list(splits.test.texts[:PROOF_TEXTS]) or list(splits.train.texts[:PROOF_TEXTS])

        def save(tmp: Path) -> None:
            exported.save(tmp)
            self.clock.start("reload_proof")
            verify_saved_model(tmp, exported, texts)
            self.clock.start("save")

        _durable.save_durably(
            self.run_dir / MODEL_FILE,
            save,
            needed=_durable.weights_bytes(exported) + (1 << 20),
            what="the trained model",
        )


def verify_saved_model(path: Path, model: Any, texts: list[str], *, tolerance: float = PROOF_TOLERANCE) -> float:
    """Every run proves its own model: reload ``path`` in a fresh ``load_model(safe_mode=True)`` and check
    that it gives the same probabilities as ``model`` on ``texts``. Returns the largest difference;
    raises TrainingError (the run is then 'failed') when it cannot be loaded or disagrees."""
    import keras
    import tensorflow as tf

    if not texts:
        return 0.0
    batch = tf.constant([[t] for t in texts], dtype=tf.string)
    expected = np.asarray(model(batch, training=False))
    from .models import custom_objects

    custom_objects()  # registers the project's layers and standardize functions
    try:
        with warnings.catch_warnings():  # "Skipping variable loading for optimizer": none is saved, on purpose
            warnings.simplefilter("ignore", UserWarning)
            reloaded = keras.saving.load_model(path, safe_mode=True, compile=False)
        got = np.asarray(reloaded(batch, training=False))
    except Exception as exc:  # noqa: BLE001 - any failure to load means the saved model is unusable
        raise TrainingError(
            f"The saved model {MODEL_FILE} could not be reloaded ({type(exc).__name__}: {exc}), "
            "so the run is marked failed instead of completed."
        ) from None
    diff = float(np.max(np.abs(got - expected))) if got.shape == expected.shape else math.inf
    if not diff <= tolerance:
        raise TrainingError(
            f"The saved model {MODEL_FILE} reloads but predicts differently from the trained "
            f"model (largest probability difference {diff:.3g} > {tolerance:g} on {len(texts)} "
            "test texts), so the run is marked failed instead of completed."
        )
    return diff


def end_to_end_model(vectorizer: Any, model: Any) -> Any:
    """Raw strings ``(batch, 1)`` -> the adapted TextVectorization -> the trained model."""
    import keras

    # The optimizer state is training scaffolding, not part of the classifier; saved with the model it
    # can fail to reload (a two-phase optimizer built on the frozen embedding orders its slots differently).
    from .model_inputs import _strip_training_state

    _strip_training_state(model)
    text = keras.Input(shape=(1,), dtype="string", name="text")
    probabilities = model(vectorizer(text))
    return keras.Model(text, probabilities, name="text_classifier")


def _nan_message(where: tuple[int, int], cfg: RunConfig) -> str:
    epoch, batch = where
    message = (
        f"Training failed: the loss became NaN or infinite at epoch {epoch}, batch {batch}, so training "
        f"was stopped. Try a lower learning rate (now {cfg.training.learning_rate:g}; e.g. 10 times lower)"
    )
    if cfg.embedding.mode != "scratch":
        message += ", check the vector file for huge or invalid numbers"
    if cfg.model.preset != "average":
        message += ", or try the 'average' preset"
    return message + "."


def _clean_number(value: Any) -> float | None:
    try:
        number = float(np.asarray(value))
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def effective_batch_size(cfg: RunConfig, n_train: int) -> int:
    """The batch size a run trains with on ``n_train`` texts (see ``_Fit.batch_size``)."""
    if cfg.training.min_steps <= 0:
        return cfg.training.batch_size
    return max(1, min(cfg.training.batch_size, math.ceil(n_train / MIN_UPDATES_PER_EPOCH)))


def effective_epochs(cfg: RunConfig, n_train: int) -> int:
    """The number of epochs a run trains for on ``n_train`` texts (see ``_Fit.epochs``)."""
    steps = max(1, math.ceil(n_train / effective_batch_size(cfg, n_train)))
    wanted = max(cfg.training.epochs, math.ceil(cfg.training.min_steps / steps))
    return min(wanted, MAX_EPOCH_FACTOR * cfg.training.epochs)


class _Fit:
    """model.fit() with the callbacks a run needs, and what they observed."""

    def __init__(self, training: _Training, model: Any, data: dict, classes: list[str]) -> None:
        self.training = training
        self.model = model
        self.data = data
        self.classes = classes
        self.history: list[dict] = []
        self.nan_at: tuple[int, int] | None = None
        self.stopped_by_user = False
        self.early_stopped = False
        self.best_epoch: int | None = None

    @property
    def batch_size(self) -> int:
        """``training.batch_size``, lowered for small data so that an epoch makes at least
        ``MIN_UPDATES_PER_EPOCH`` updates (16 texts in batches of 64 would make one)."""
        return effective_batch_size(self.training.cfg, len(self.data["train"][1]))

    @property
    def epochs(self) -> int:
        """``training.epochs``, raised (at most ``MAX_EPOCH_FACTOR`` times) so that training makes at least
        ``training.min_steps`` updates; early stopping still ends it."""
        return effective_epochs(self.training.cfg, len(self.data["train"][1]))

    def run(self) -> list[dict]:
        import keras

        cfg = self.training.cfg
        x_train, y_train = self.data["train"]
        if self.batch_size < cfg.training.batch_size:
            self.training.reporter.info(
                f"Batches of {self.batch_size} (training.batch_size is "
                f"{cfg.training.batch_size}): {len(y_train):,} texts"
            )
        if self.epochs > cfg.training.epochs:
            self.training.reporter.info(
                f"Up to {self.epochs} epochs (training.epochs is {cfg.training.epochs}): training.min_steps "
                f"{cfg.training.min_steps} updates on {len(y_train):,} texts; early stopping still applies"
            )
        x_val, y_val = self.data["validation"]
        has_validation = len(y_val) > 0
        monitor = "val_loss" if has_validation else "loss"
        checkpoint_path = self.training.run_dir / CHECKPOINT_FILE
        callbacks: list[Any] = [
            _monitor_callback(self),
            _nan_callback(self),
            _durable.disk_space_callback(self.training.run_dir, self.model),
        ]
        callbacks.append(
            keras.callbacks.ModelCheckpoint(
                str(checkpoint_path), monitor=monitor, save_best_only=True, save_weights_only=True, verbose=0
            )
        )
        early = None
        if cfg.training.early_stopping:
            start = cfg.embedding.unfreeze_epoch - 1 if cfg.embedding.mode == "two_phase" else 0
            early = keras.callbacks.EarlyStopping(
                monitor=monitor, patience=cfg.training.patience, start_from_epoch=start
            )
            callbacks.append(early)
        if cfg.embedding.mode == "two_phase":
            from .models import unfreeze_callback

            callbacks.insert(0, unfreeze_callback(cfg))
        callbacks += self.training.dist.callbacks()  # distributed: BackupAndRestore and a step counter
        from . import streaming

        if streaming.is_streamed(x_train):
            seed = cfg.training.seed
            self.model.fit(
                streaming.dataset(x_train, y_train, self.batch_size, shuffle=True, seed=seed),
                epochs=self.epochs,
                validation_data=streaming.dataset(x_val, y_val, self.batch_size, shuffle=False)
                if has_validation
                else None,
                class_weight=self.class_weights(y_train) if cfg.training.class_weights else None,
                callbacks=callbacks,
                shuffle=False,  # the dataset shuffles its batches every epoch
                verbose=0,
            )
        else:
            self.model.fit(
                x_train,
                y_train,
                batch_size=self.batch_size,
                epochs=self.epochs,
                validation_data=(x_val, y_val) if has_validation else None,
                class_weight=self.class_weights(y_train) if cfg.training.class_weights else None,
                callbacks=callbacks,
                shuffle=True,
                verbose=0,
            )
        self.early_stopped = bool(
            early is not None and early.stopped_epoch > 0 and not self.stopped_by_user and self.nan_at is None
        )
        if self.nan_at is None:
            self.restore_best(checkpoint_path, monitor)
        return self.history

    def class_weights(self, y: Any) -> dict[int, float]:
        from sklearn.utils.class_weight import compute_class_weight

        from .streaming import Labels

        if isinstance(y, Labels):  # streamed: the same weights from the count of each class
            present = np.flatnonzero(y.counts)
            weights = compute_class_weight("balanced", classes=present, y=present, sample_weight=y.counts[present])
        else:
            present = np.unique(y)
            weights = compute_class_weight("balanced", classes=present, y=y)
        out = {i: 1.0 for i in range(len(self.classes))}
        out.update({int(c): float(w) for c, w in zip(present, weights)})
        self.training.reporter.info(
            "Class weights: " + ", ".join(f"{self.classes[i]} {w:.2f}" for i, w in sorted(out.items()))
        )
        return out

    def restore_best(self, checkpoint_path: Path, monitor: str) -> None:
        scored = [(row.get(monitor), row["epoch"]) for row in self.history if row.get(monitor) is not None]
        if scored:
            self.best_epoch = min(scored)[1]
        if checkpoint_path.is_file():
            self.model.load_weights(str(checkpoint_path))
            if self.best_epoch is not None and self.history and self.best_epoch != self.history[-1]["epoch"]:
                self.training.reporter.info(f"Restored the weights of epoch {self.best_epoch} (best {monitor})")


def _monitor_callback(fit: _Fit) -> Any:
    """Per-batch progress (throttled), per-epoch metrics (metrics.jsonl + event), and the Stop button."""
    import keras

    training = fit.training
    n_train = len(fit.data["train"][1])
    batch_size = fit.batch_size
    batches = max(1, math.ceil(n_train / batch_size))
    epochs = fit.epochs

    class TrainingMonitor(keras.callbacks.Callback):
        def on_train_begin(self, logs: dict | None = None) -> None:
            self.train_start = time.monotonic()
            self.batches_done = 0

        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            self.epoch = epoch
            self.epoch_start = time.monotonic()
            self.last_event = 0.0
            self.batch = 0

        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            self.batch = batch + 1
            self.batches_done += 1
            if training.cancel.cancelled and not fit.stopped_by_user:
                fit.stopped_by_user = True
                self.model.stop_training = True
                training.reporter.info(f"Stopping after batch {batch + 1} of epoch {self.epoch + 1}")
            now = time.monotonic()
            if now - self.last_event < BATCH_EVENT_INTERVAL and batch + 1 < batches:
                return
            self.last_event = now
            logs = logs or {}
            elapsed = max(now - self.epoch_start, 1e-9)
            seen = min((batch + 1) * batch_size, n_train)
            per_batch = (now - self.train_start) / self.batches_done
            remaining = (batches - batch - 1) + (epochs - self.epoch - 1) * batches
            emit(
                training.reporter,
                BatchEvent(
                    epoch=self.epoch + 1,
                    epochs=epochs,
                    batch=batch + 1,
                    batches=batches,
                    loss=_clean_number(logs.get("loss")),
                    accuracy=_clean_number(logs.get("accuracy")),
                    samples_per_sec=seen / elapsed,
                    eta_s=remaining * per_batch,
                ),
            )

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            logs = logs or {}
            event = EpochEvent(
                epoch + 1,
                **{key: _clean_number(logs.get(key)) for key in ("loss", "accuracy", "val_loss", "val_accuracy")},
                lr=_clean_number(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)),
                seconds=round(time.monotonic() - self.epoch_start, 3),
                partial=self.batch < batches,
                batches=self.batch if self.batch < batches else None,
            )
            fit.history.append(event.payload())
            append_metrics(training.run_dir, event.payload())
            emit(training.reporter, event)
            training.reporter.progress(epoch + 1, epochs, "Training")

    return TrainingMonitor()


def _nan_callback(fit: _Fit) -> Any:
    import keras

    class NaNGuard(keras.callbacks.TerminateOnNaN):
        """TerminateOnNaN that remembers where it fired (and does not print to stdout)."""

        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            self.epoch = epoch

        def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
            loss = (logs or {}).get("loss")
            if loss is not None and _clean_number(loss) is None and fit.nan_at is None:
                fit.nan_at = (getattr(self, "epoch", 0) + 1, batch + 1)
                self.model.stop_training = True

    return NaNGuard()
