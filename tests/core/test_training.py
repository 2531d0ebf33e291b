"""train() end to end on tiny generated datasets and vector files: run files, stop, failure, reload."""

import json
import random
from pathlib import Path

import numpy as np
import pytest

from embedstudio.core.config import RunConfig, VectorSource
from embedstudio.core.datasets import load_dataset, make_splits
from embedstudio.core.errors import TrainingError
from embedstudio.core.evaluation import evaluate_predictions, load_run_model, predict_texts
from embedstudio.core.jobs import Cancelled, CancelToken, RecordingReporter
from embedstudio.core.runs import list_runs, load_run
from embedstudio.core.text import build_vectorizer, vectorize
from embedstudio.core.training import end_to_end_model, train
from embedstudio.core.vectors import load_vectors

POSITIVE = ["good", "great", "fine", "lovely", "superb", "wonderful"]
NEGATIVE = ["bad", "awful", "poor", "terrible", "dull", "boring"]
NEUTRAL = ["the", "a", "movie", "film", "plot", "actor", "scene"]
OOV = ["zzqx", "blorf"]  # in the texts, not in the vector file


def make_texts(rng, label, n):
    words = POSITIVE if label == "pos" else NEGATIVE
    return [
        " ".join(rng.choice(words + NEUTRAL + OOV) for _ in range(rng.randint(4, 12))) + " " + rng.choice(words)
        for _ in range(n)
    ]


def make_folder_dataset(root, n_per_class=40, seed=0):
    rng = random.Random(seed)
    for label in ("neg", "pos"):
        (root / label).mkdir(parents=True)
        for i, text in enumerate(make_texts(rng, label, n_per_class)):
            (root / label / f"{i:03d}.txt").write_text(text, encoding="utf-8")
    return root


def make_csv_dataset(path, n=80, seed=1):
    rng = random.Random(seed)
    lines = ["text,label"]
    for i in range(n):
        label = "pos" if i % 2 else "neg"
        lines.append(f"{make_texts(rng, label, 1)[0]},{label}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def make_glove(path, scale=1.0):
    rng = np.random.default_rng(0)
    rows = []
    for word in POSITIVE + NEGATIVE + NEUTRAL:
        vec = rng.normal(scale=0.3, size=8)
        vec[0] += 1.0 if word in POSITIVE else -1.0 if word in NEGATIVE else 0.0
        rows.append(word + " " + " ".join(f"{x * scale:.5g}" for x in vec))
    path.write_text("\n".join(rows), encoding="utf-8")
    return path


def tiny_config(
    tmp_path, data_path, *, vectors=None, preset="average", mode="finetune", epochs=2, embedding=None, **training
):
    cfg = RunConfig()
    cfg.name = "tiny"
    cfg.runs_dir = str(tmp_path / "runs")
    cfg.data.path = str(data_path)
    cfg.text.sequence_length = 20
    cfg.text.max_tokens = 200
    cfg.embedding.mode = mode
    cfg.embedding.vectors = [VectorSource(path=str(v)) for v in (vectors or [])]
    cfg.embedding.dim = 8
    cfg.model.preset = preset
    cfg.model.filters = 8
    cfg.model.dense_units = 8
    cfg.model.rnn_units = 4
    cfg.training.epochs = epochs
    cfg.training.min_steps = 0  # tiny data: exactly the epochs asked for
    cfg.training.batch_size = 8
    cfg.training.learning_rate = 0.01
    for key, value in training.items():
        setattr(cfg.training, key, value)
    for key, value in (embedding or {}).items():
        setattr(cfg.embedding, key, value)
    cfg.validate()
    return cfg


@pytest.fixture(scope="module")
def completed_run(tmp_path_factory):
    """One CNN run on a folder dataset with a GloVe file, shared by the read-only tests below."""
    tmp_path = tmp_path_factory.mktemp("run")
    data = make_folder_dataset(tmp_path / "reviews")
    glove = make_glove(tmp_path / "glove.txt")
    cfg = tiny_config(tmp_path, data, vectors=[glove], preset="cnn", epochs=3, class_weights=True)
    reporter = RecordingReporter()
    result = train(cfg, reporter=reporter)
    return cfg, result, reporter


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_train_writes_every_run_file(completed_run):
    cfg, result, reporter = completed_run
    run = result.run_dir
    assert result.status == "completed"
    assert run.parent == Path(cfg.runs_dir) and run.name.endswith("-tiny")
    for name in (
        "config.json",
        "description.json",
        "metrics.jsonl",
        "model.keras",
        "vocabulary.txt",
        "labels.json",
        "coverage.json",
        "report.json",
        "misclassified.jsonl",
    ):
        assert (run / name).is_file(), name
    assert not (run / "checkpoint.weights.h5").exists()
    assert json.loads((run / "config.json").read_text()) == cfg.to_dict()

    description = json.loads((run / "description.json").read_text())
    assert description["status"] == "completed" and description["message"] == ""
    assert description["environment"]["seed"] == cfg.training.seed
    assert description["environment"]["vectors"][0]["sha256"]
    assert description["splits"]["train"] > 0 and description["params"]["total"] > 0

    metrics = read_jsonl(run / "metrics.jsonl")
    assert [m["epoch"] for m in metrics] == list(range(1, len(metrics) + 1)) and 1 <= len(metrics) <= 3
    assert metrics == result.history
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"} <= set(metrics[0])
    assert description["best_epoch"] == min(metrics, key=lambda m: m["val_loss"])["epoch"]

    vocab = (run / "vocabulary.txt").read_text(encoding="utf-8").split("\n")
    assert vocab[:2] == ["", "[UNK]"] and "good" in vocab and "zzqx" in vocab
    assert json.loads((run / "labels.json").read_text()) == ["neg", "pos"]

    coverage = json.loads((run / "coverage.json").read_text())
    assert len(coverage) == 1 and coverage[0]["vocab_size"] == len([v for v in vocab if v][1:])
    assert coverage[0]["covered"] == coverage[0]["vocab_size"] - 2  # zzqx and blorf have no vector
    assert {w for w, _ in coverage[0]["top_oov"]} == set(OOV)

    report = json.loads((run / "report.json").read_text())
    assert report == result.report
    assert {"accuracy", "macro_f1", "weighted_f1", "per_class", "confusion_matrix", "classes"} <= set(report)
    assert report["classes"] == ["neg", "pos"] and report["split"] == "test"
    wrong = read_jsonl(run / "misclassified.jsonl")
    assert len(wrong) == round((1 - report["accuracy"]) * report["n_samples"])
    for row in wrong:
        assert set(row) >= {"text", "true", "predicted", "confidence", "source"} and row["true"] != row["predicted"]


def test_train_reports_progress_events(completed_run):
    cfg, result, reporter = completed_run
    kinds = [kind for kind, _ in reporter.events]
    assert kinds[0] == "run" and kinds[-1] == "run" and reporter.events[-1][1]["status"] == "completed"
    coverage = [p for k, p in reporter.events if k == "coverage"]
    assert coverage == json.loads((result.run_dir / "coverage.json").read_text())
    batches = [p for k, p in reporter.events if k == "batch"]
    assert batches and set(batches[0]) == {
        "epoch",
        "epochs",
        "batch",
        "batches",
        "loss",
        "accuracy",
        "samples_per_sec",
        "eta_s",
    }
    assert batches[-1]["batch"] == batches[-1]["batches"] and batches[-1]["eta_s"] == pytest.approx(0, abs=1e-9)
    epochs = [p for k, p in reporter.events if k == "epoch"]
    assert epochs == result.history
    assert any(k == "model" for k in kinds) and any(k == "report" for k in kinds)
    assert any(line.startswith("Class weights:") for line in reporter.infos)
    assert reporter.progress_calls[-1][0] == reporter.progress_calls[-1][1]


def test_saved_model_reproduces_the_reported_test_accuracy(completed_run):
    cfg, result, _ = completed_run
    splits = make_splits(
        load_dataset(cfg.data),
        validation_fraction=cfg.data.validation_fraction,
        test_fraction=cfg.data.test_fraction,
        seed=cfg.training.seed,
    )
    probabilities = predict_texts(result.run_dir, splits.test.texts)
    proba = np.array([[p["neg"], p["pos"]] for p in probabilities])
    report = evaluate_predictions(splits.test.labels, proba, ["neg", "pos"])
    assert report["accuracy"] == result.report["accuracy"]
    assert report["confusion_matrix"] == result.report["confusion_matrix"]
    empty = predict_texts(result.run_dir, ["", "!!!"])
    assert all(np.isfinite(list(p.values())).all() and sum(p.values()) == pytest.approx(1, abs=1e-5) for p in empty)


def test_end_to_end_model_saves_and_loads_with_identical_predictions(tmp_path):
    import keras

    from embedstudio.core.models import build_model

    texts = ["good film", "awful plot", "", "zzqx great great"]
    cfg = tiny_config(tmp_path, tmp_path, preset="average", mode="scratch")
    vectorizer = build_vectorizer(texts, cfg.text)
    model = build_model(cfg, vocab_size=vectorizer.vocabulary_size(), num_classes=2, embedding_matrices=None)
    e2e = end_to_end_model(vectorizer, model)
    # predict() rejects NumPy string arrays; predict_on_batch() (what predict_texts uses) takes them.
    expected = np.asarray(e2e.predict_on_batch(np.array([[t] for t in texts], dtype=object)))
    np.testing.assert_allclose(expected, model.predict(vectorize(vectorizer, texts), verbose=0), atol=1e-6)
    run = tmp_path / "run"
    run.mkdir()
    e2e.save(run / "model.keras")
    loaded = load_run_model(run)
    assert isinstance(loaded, keras.Model)
    got = np.array([[p[c] for c in ("a", "b")] for p in predict_texts(loaded, texts, classes=["a", "b"])])
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_two_runs_never_share_a_directory_and_given_data_is_used(tmp_path):
    csv = make_csv_dataset(tmp_path / "reviews.csv")
    glove = make_glove(tmp_path / "glove.txt")
    cfg = tiny_config(
        tmp_path,
        csv,
        vectors=[glove],
        mode="two_phase",
        epochs=2,
        embedding={"unfreeze_epoch": 2, "unfreeze_lr_factor": 0.5},
    )
    dataset = load_dataset(cfg.data)
    given = {str(glove): load_vectors(glove)}
    reporter = RecordingReporter()
    first = train(cfg, reporter=reporter, dataset=dataset, vectors=given)
    assert "Loading word vectors" in reporter.infos
    assert not any(line.startswith("Loaded ") or line.startswith("Imported ") for line in reporter.infos)
    cfg.embedding.mode = "scratch"
    cfg.embedding.vectors = []
    second = train(cfg, dataset=dataset)
    assert first.run_dir != second.run_dir
    assert first.run_dir.name.endswith("-tiny") and second.run_dir.name.endswith("-tiny")
    assert {r.path for r in list_runs(tmp_path / "runs")} == {first.run_dir, second.run_dir}
    lrs = [m["lr"] for m in first.history]
    assert lrs[1] == pytest.approx(lrs[0] * 0.5)  # two-phase: lower learning rate after the switch
    assert json.loads((second.run_dir / "coverage.json").read_text()) == []


class CancelOnFirstBatch(RecordingReporter):
    def __init__(self, cancel):
        super().__init__()
        self.cancel = cancel

    def event(self, kind, payload):
        super().event(kind, payload)
        if kind == "batch":
            self.cancel.cancel()


def test_cancel_mid_fit_gives_a_stopped_openable_run(tmp_path):
    data = make_folder_dataset(tmp_path / "reviews")
    cfg = tiny_config(tmp_path, data, mode="scratch", epochs=5)
    cancel = CancelToken()
    reporter = CancelOnFirstBatch(cancel)
    result = train(cfg, reporter=reporter, cancel=cancel)
    assert result.status == "stopped"
    assert len(result.history) == 1 and result.history[0]["partial"] and result.history[0]["batches"] == 2
    record = load_run(result.run_dir)
    assert record.status == "stopped" and "Stopped by the user" in record.message
    assert record.has_model and record.report is not None and record.test_accuracy is not None
    assert (result.run_dir / "misclassified.jsonl").is_file()
    assert len(predict_texts(result.run_dir, ["good film"])) == 1


def test_cancel_before_fit_marks_the_run_stopped_and_raises(tmp_path):
    data = make_folder_dataset(tmp_path / "reviews")
    cfg = tiny_config(tmp_path, data, mode="scratch")
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(Cancelled):
        train(cfg, cancel=cancel)
    (record,) = list_runs(tmp_path / "runs")
    assert record.status == "stopped" and not record.has_model
    assert "before training began" in record.message


def test_nan_loss_fails_the_run_with_a_message(tmp_path):
    data = make_folder_dataset(tmp_path / "reviews")
    huge = make_glove(tmp_path / "huge.txt", scale=1e37)
    cfg = tiny_config(tmp_path, data, vectors=[huge], mode="finetune", preset="cnn", epochs=3)
    with pytest.raises(TrainingError, match="NaN or infinite") as err:
        train(cfg)
    (record,) = list_runs(tmp_path / "runs")
    assert record.status == "failed"
    assert record.message == str(err.value) and "learning rate" in record.message
    assert not record.has_model and record.metrics


def test_a_crash_is_recorded_as_failed(tmp_path, monkeypatch):
    from embedstudio.core import models

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(models, "build_model", broken)
    data = make_folder_dataset(tmp_path / "reviews")
    with pytest.raises(RuntimeError, match="boom"):
        train(tiny_config(tmp_path, data, mode="scratch"))
    (record,) = list_runs(tmp_path / "runs")
    assert record.status == "failed" and record.message == "Training crashed: RuntimeError: boom"


def test_bad_data_fails_the_run_with_the_readers_message(tmp_path):
    from embedstudio.core.errors import DatasetError

    csv = tmp_path / "one.csv"
    csv.write_text("text,label\n" + "".join(f"good film number {i},pos\n" for i in range(20)))
    with pytest.raises(DatasetError, match="same label") as err:
        train(tiny_config(tmp_path, csv, mode="scratch"))
    (record,) = list_runs(tmp_path / "runs")
    assert record.status == "failed" and record.message == str(err.value)


def test_without_a_validation_split_the_training_loss_is_monitored(tmp_path):
    data = make_folder_dataset(tmp_path / "reviews")
    glove = make_glove(tmp_path / "glove.txt")
    cfg = tiny_config(tmp_path, data, vectors=[glove], mode="frozen", epochs=2)
    cfg.data.validation_fraction = 0.0
    reporter = RecordingReporter()
    result = train(cfg, reporter=reporter)
    assert result.status == "completed" and len(result.history) == 2
    assert all(row["val_loss"] is None for row in result.history)
    description = json.loads((result.run_dir / "description.json").read_text())
    assert description["splits"]["validation"] == 0
    assert description["best_epoch"] == min(result.history, key=lambda m: m["loss"])["epoch"]
    # 2 of the words have no vector: few enough that frozen mode does not warn about noise rows
    assert not any("stays random and frozen" in w for w in reporter.warnings)


def test_frozen_mode_warns_when_most_rows_would_be_frozen_noise(tmp_path):
    data = make_folder_dataset(tmp_path / "reviews")
    few = tmp_path / "few.txt"
    few.write_text("good 0.1 0.2\nbad -0.1 0.3\n")
    cfg = tiny_config(tmp_path, data, vectors=[few], mode="frozen")
    cancel = CancelToken()

    class StopAtWarning(RecordingReporter):
        def warning(self, message):
            super().warning(message)
            cancel.cancel()  # nothing more to see: stop before fitting

    reporter = StopAtWarning()
    with pytest.raises(Cancelled):
        train(cfg, reporter=reporter, cancel=cancel)
    assert any("stays random and frozen" in w and "train_oov_rows" in w for w in reporter.warnings)


def test_every_run_proves_its_model_reloads(tmp_path):
    import keras

    from embedstudio.core.training import verify_saved_model

    csv = tmp_path / "messy.csv"
    rng = random.Random(3)
    rows = ["text,label"]
    for i in range(60):
        label = "pos" if i % 2 else "neg"
        # U+0085 (cp1252's ellipsis read as Latin-1) and U+2028 inside words: Keras' vocabulary file splits on them
        rows.append(f'"{make_texts(rng, label, 1)[0]}\u0085wow line\u2028break",{label}')
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    reporter = RecordingReporter()
    result = train(tiny_config(tmp_path, csv, mode="scratch"), reporter=reporter)
    assert result.status == "completed"
    model = load_run_model(result.run_dir)
    assert len(model.get_layer("text_vectorization").get_vocabulary()) == len(
        (result.run_dir / "vocabulary.txt").read_text(encoding="utf-8").splitlines()
    )
    # a saved model that predicts differently from the one in memory is refused
    other = end_to_end_model(
        build_vectorizer(["a b c"], tiny_config(tmp_path, csv, mode="scratch").text),
        keras.Sequential([keras.Input((20,)), keras.layers.Dense(2, activation="softmax")]),
    )
    with pytest.raises(TrainingError, match="predicts differently"):
        verify_saved_model(result.run_dir / "model.keras", other, ["good film", "bad film"])


def test_small_data_gets_enough_updates(tmp_path):
    csv = make_csv_dataset(tmp_path / "reviews.csv")
    cfg = tiny_config(tmp_path, csv, mode="scratch", epochs=2)
    cfg.training.min_steps = 60
    cfg.training.early_stopping = False
    cfg.training.batch_size = 64
    reporter = RecordingReporter()
    result = train(cfg, reporter=reporter)
    n = load_run(result.run_dir).description["splits"]["train"]
    batch = -(-n // 10)  # at least 10 updates per epoch
    steps = -(-n // batch)
    expected = min(5 * 2, -(-60 // steps))
    assert expected > 2 and len(result.history) == expected
    assert f"Batches of {batch} (training.batch_size is 64): {n:,} texts" in reporter.infos
    assert any(line.startswith(f"Up to {expected} epochs") for line in reporter.infos)


def test_training_silences_only_tensorflows_expected_retracing_warning():
    import logging

    from embedstudio.core.training import _quiet_expected_retracing

    _quiet_expected_retracing()
    _quiet_expected_retracing()  # idempotent: one filter
    logger = logging.getLogger("tensorflow")
    filters = [f for f in logger.filters if type(f).__name__ == "_ExpectedRetracing"]
    assert len(filters) == 1

    def record(message):
        return logging.LogRecord("tensorflow", logging.WARNING, __file__, 1, message, None, None)

    retracing = "5 out of the last 8 calls to <function one_step_on_data_distributed> triggered tf.function retracing."
    assert not filters[0].filter(record(retracing))
    assert filters[0].filter(record("Some other TensorFlow warning"))


def test_the_run_records_where_its_time_went(completed_run):
    """description.json's ``timings``: seconds per phase of train(), fit apart from the rest."""
    _, result, reporter = completed_run
    timings = json.loads((result.run_dir / "description.json").read_text())["timings"]
    phases = timings["seconds"]
    for name in ("setup", "import", "load", "split", "vectors", "vocabulary", "embedding", "tokenise", "build"):
        assert name in phases, name
    for name in ("fit", "evaluate", "tfidf_comparison", "save", "reload_proof"):
        assert name in phases, name
    assert all(value >= 0 for value in phases.values())
    assert timings["total"] == pytest.approx(sum(phases.values()), abs=0.01)
    assert timings["outside_fit"] == pytest.approx(timings["total"] - phases["fit"], abs=0.01)
    assert 0 < timings["outside_fit_share"] < 1
    assert 0 < timings["epochs"] <= phases["fit"] + 0.01  # the epochs happen inside fit
    assert any(line.startswith("Time in the run: ") and "outside fit" in line for line in reporter.infos)


def test_phase_clock_adds_up_phases_entered_again():
    ticks = iter([0.0, 1.0, 3.0, 4.0, 10.0])
    from embedstudio.core.training import PhaseClock

    clock = PhaseClock(clock=lambda: next(ticks))
    clock.start("a")
    clock.start("fit")
    clock.start("a")
    clock.start("b")
    clock.stop()
    assert clock.seconds == {"a": 2.0, "fit": 2.0, "b": 6.0}
    summary = clock.summary(epoch_seconds=1.5)
    assert summary["total"] == 10.0 and summary["outside_fit"] == 8.0 and summary["outside_fit_share"] == 0.8
    assert summary["epochs"] == 1.5


def test_batch_progress_is_throttled_and_the_last_batch_always_reported(tmp_path, monkeypatch):
    """The per-batch callback sends at most one batch event per BATCH_EVENT_INTERVAL, whatever the batch rate."""
    from types import SimpleNamespace

    from embedstudio.core import training as training_module

    now = [0.0]
    monkeypatch.setattr(training_module, "time", SimpleNamespace(monotonic=lambda: now[0]))
    reporter = RecordingReporter()
    run = SimpleNamespace(cancel=CancelToken(), reporter=reporter, run_dir=tmp_path)
    fit = SimpleNamespace(
        training=run, data={"train": (None, np.zeros(6400))}, batch_size=64, epochs=1, stopped_by_user=False
    )
    monitor = training_module._monitor_callback(fit)
    monitor.on_train_begin()
    monitor.on_epoch_begin(0)
    for batch in range(100):  # 100 batches of 1 ms: 0.1 s in all
        now[0] += 0.001
        monitor.on_train_batch_end(batch, {"loss": 0.5, "accuracy": 0.5})
    batches = [p for kind, p in reporter.events if kind == "batch"]
    span = 100 * 0.001
    assert 1 <= len(batches) <= span / training_module.BATCH_EVENT_INTERVAL + 2
    assert batches[-1]["batch"] == 100 and batches[-1]["batches"] == 100
