"""Metrics on a hand-checked example, misclassified rows, and using a saved run on new data."""

import json
import random

import numpy as np
import pytest

from embedstudio.core.config import DataConfig, RunConfig
from embedstudio.core.errors import RunError
from embedstudio.core.evaluation import (
    evaluate_predictions,
    evaluate_run,
    load_run_model,
    misclassified,
    predict_texts,
)
from embedstudio.core.jobs import Cancelled, CancelToken, RecordingReporter
from embedstudio.core.training import train

CLASSES = ["a", "b", "c"]
Y_TRUE = ["a", "a", "b", "b", "c", "c"]
PROBA = np.array(
    [
        [0.9, 0.05, 0.05],  # a -> a
        [0.2, 0.7, 0.1],  # a -> b (confident error)
        [0.1, 0.8, 0.1],  # b -> b
        [0.1, 0.8, 0.1],  # b -> b
        [0.3, 0.2, 0.5],  # c -> c
        [0.4, 0.35, 0.25],  # c -> a (hesitant error)
    ]
)


def test_metrics_by_hand():
    report = evaluate_predictions(Y_TRUE, PROBA, CLASSES)
    assert report["accuracy"] == pytest.approx(4 / 6)
    assert report["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    a, b, c = (report["per_class"][k] for k in CLASSES)
    assert (a["precision"], a["recall"], a["support"]) == (0.5, 0.5, 2)
    assert b["precision"] == pytest.approx(2 / 3) and b["recall"] == 1.0 and b["f1"] == pytest.approx(0.8)
    assert (c["precision"], c["recall"]) == (1.0, 0.5) and c["f1"] == pytest.approx(2 / 3)
    assert report["macro_f1"] == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
    assert report["weighted_f1"] == pytest.approx(report["macro_f1"])  # equal supports
    assert report["classes"] == CLASSES and report["n_samples"] == 6
    assert "leakage_warning" not in report
    json.dumps(report)


def test_leakage_warning_only_for_20_newsgroups_above_085():
    right = np.eye(3)[[0, 0, 1, 1, 2, 2]]
    assert "leakage_warning" in evaluate_predictions(Y_TRUE, right, CLASSES, dataset_path="/d/20news-bydate.tar.gz")
    assert "headers" in evaluate_predictions(Y_TRUE, right, CLASSES, dataset_path="/d/newsgroups/")["leakage_warning"]
    assert "leakage_warning" not in evaluate_predictions(Y_TRUE, right, CLASSES, dataset_path="/d/sms.tsv")
    assert "leakage_warning" not in evaluate_predictions(Y_TRUE, PROBA, CLASSES, dataset_path="/d/20news")


def test_labels_the_model_never_saw_count_as_errors():
    report = evaluate_predictions(["a", "zz"], np.array([[1, 0, 0], [1, 0, 0]]), CLASSES)
    assert report["accuracy"] == 0.5 and report["unknown_labels"] == ["zz"]
    assert report["classes"] == CLASSES + ["zz"] and report["per_class"]["zz"]["recall"] == 0.0
    with pytest.raises(ValueError, match="shape"):
        evaluate_predictions(["a"], np.zeros((1, 2)), CLASSES)


def test_misclassified_most_confident_first():
    texts = [f"t{i}" for i in range(6)]
    rows = misclassified(texts, Y_TRUE, PROBA, CLASSES, [f"f{i}" for i in range(6)])
    assert [r["text"] for r in rows] == ["t1", "t5"]
    assert rows[0] == {
        "text": "t1",
        "true": "a",
        "predicted": "b",
        "confidence": 0.7,
        "true_probability": 0.2,
        "source": "f1",
    }
    assert misclassified(texts, Y_TRUE, PROBA, CLASSES, None, limit=1)[0]["source"] == ""
    assert len(misclassified(texts, Y_TRUE, PROBA, CLASSES, None, limit=1)) == 1


WORDS = {"pos": ["good", "great", "fine", "lovely"], "neg": ["bad", "awful", "poor", "dull"]}


def write_csv(path, n, seed, labels=("neg", "pos")):
    rng = random.Random(seed)
    lines = ["text,label"]
    for i in range(n):
        label = labels[i % len(labels)]
        words = WORDS.get(label, ["odd"])
        lines.append(" ".join(rng.choice(words + ["the", "film"]) for _ in range(6)) + f",{label}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("eval")
    cfg = RunConfig()
    cfg.runs_dir = str(tmp / "runs")
    cfg.data.path = str(write_csv(tmp / "train.csv", 80, 0))
    cfg.text.sequence_length = 10
    cfg.embedding.mode = "scratch"
    cfg.embedding.dim = 8
    cfg.model.preset = "average"
    cfg.training.epochs = 8
    cfg.training.learning_rate = 0.05
    cfg.training.batch_size = 16
    return train(cfg).run_dir


def test_predict_texts_from_a_run(run_dir):
    probs = predict_texts(run_dir, ["good great lovely", "awful bad poor", "", "  ?!  "])
    assert [set(p) for p in probs] == [{"neg", "pos"}] * 4
    assert probs[0]["pos"] > 0.5 > probs[1]["pos"]
    for p in probs:
        assert np.isfinite(list(p.values())).all() and sum(p.values()) == pytest.approx(1, abs=1e-5)
    assert predict_texts(run_dir, []) == []


def test_load_run_model_errors_are_readable(tmp_path, run_dir):
    with pytest.raises(RunError, match="not found"):
        load_run_model(tmp_path / "missing")
    empty = tmp_path / "empty-run"
    empty.mkdir()
    with pytest.raises(RunError, match="no model.keras"):
        load_run_model(empty)
    broken = tmp_path / "broken-run"
    broken.mkdir()
    (broken / "model.keras").write_bytes((run_dir / "model.keras").read_bytes()[:200])
    with pytest.raises(RunError, match="damaged or incomplete") as info:
        load_run_model(broken)
    assert "train the run again, or restore" in str(info.value).lower() and "File not found" not in str(info.value)
    unlabelled = tmp_path / "unlabelled-run"
    unlabelled.mkdir()
    (unlabelled / "model.keras").write_bytes((run_dir / "model.keras").read_bytes())
    with pytest.raises(RunError, match="no labels.json"):
        predict_texts(unlabelled, ["x"])


def test_evaluate_run_on_a_new_file_writes_an_evaluation(tmp_path, run_dir):
    data = write_csv(tmp_path / "new.csv", 30, 7, labels=("neg", "pos", "odd"))
    reporter = RecordingReporter()
    report = evaluate_run(run_dir, str(data), reporter=reporter)
    assert report["dataset"] == {"path": str(data), "split": "all", "rows": 30}
    assert report["unknown_labels"] == ["odd"] and report["per_class"]["odd"]["support"] == 10
    assert report["accuracy"] <= 20 / 30
    written = sorted((run_dir / "evaluations").glob("*.json"))
    assert written and json.loads(written[-1].read_text())["accuracy"] == report["accuracy"]
    assert report["report_path"] == str(written[-1])
    assert any("Accuracy" in line for line in reporter.infos)
    assert all(row["true"] != row["predicted"] for row in report["misclassified"])

    again = evaluate_run(run_dir, DataConfig(path=str(data)))
    assert again["accuracy"] == report["accuracy"]
    assert len(list((run_dir / "evaluations").glob("*.json"))) == len(written) + 1


def test_evaluate_run_uses_the_test_split_when_present(tmp_path, run_dir):
    root = tmp_path / "reviews"
    for part, n in (("reviews-train", 4), ("reviews-test", 3)):
        for label in ("neg", "pos"):
            (root / part / label).mkdir(parents=True)
            for i in range(n):
                (root / part / label / f"{i}.txt").write_text(" ".join(WORDS[label][i:] + [str(i)]))
    report = evaluate_run(run_dir, str(root))
    assert report["dataset"]["split"] == "test" and report["n_samples"] == 6


def test_evaluate_run_can_be_cancelled(tmp_path, run_dir):
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(Cancelled):
        evaluate_run(run_dir, str(write_csv(tmp_path / "x.csv", 10, 1)), cancel=cancel)


def test_a_model_that_predicts_one_class_is_called_out():
    from embedstudio.core.evaluation import collapse_warning, report_warnings

    classes = ["neg", "pos"]
    y_true = ["neg"] * 20 + ["pos"] * 20
    collapsed = np.tile([0.6, 0.4], (40, 1))
    collapsed[0] = [0.4, 0.6]
    report = evaluate_predictions(y_true, collapsed, classes)
    assert "predicts 'neg' for 39 of 40 test texts" in report["collapse_warning"]
    assert report_warnings(report) == [report["collapse_warning"]]
    healthy = np.array([[0.9, 0.1]] * 20 + [[0.2, 0.8]] * 20)
    assert "collapse_warning" not in evaluate_predictions(y_true, healthy, classes)
    # A truly imbalanced test set predicted as its majority class is not a collapse.
    assert collapse_warning(["ham"] * 96 + ["spam"] * 4, ["ham"] * 100) is None


# ---- issue 9, item 6: label checks, predict flags, supervised fastText as a baseline model --------
def test_macro_f1_leaves_out_classes_without_support():
    proba = np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.1, 0.2, 0.7]])
    report = evaluate_predictions(["a", "b", "b"], proba, CLASSES)  # 'c' has no true example, one false alarm
    assert report["macro_f1_classes"] == 2
    assert report["macro_f1"] == pytest.approx((1.0 + 2 / 3) / 2)


def test_evaluate_refuses_data_with_no_known_label(tmp_path, run_dir):
    data = write_csv(tmp_path / "other.csv", 12, 3, labels=("sport", "science"))
    with pytest.raises(RunError, match="none of its labels .'science', 'sport'. is a class of this run"):
        evaluate_run(run_dir, str(data))


def test_evaluate_warns_first_when_some_labels_are_unknown(tmp_path, run_dir):
    from embedstudio.core.evaluation import report_warnings

    data = write_csv(tmp_path / "mixed.csv", 30, 7, labels=("neg", "pos", "odd"))
    reporter = RecordingReporter()
    report = evaluate_run(run_dir, str(data), reporter=reporter)
    assert report["label_warning"].startswith("10 of 30 examples carry 1 label the run does not know ('odd')")
    assert report_warnings(report)[0] == report["label_warning"]
    assert report["label_warning"] in reporter.warnings


def test_predict_flags_empty_truncated_and_unknown_text(run_dir):
    from embedstudio.core.evaluation import predict_detailed

    long_text = " ".join(["good"] * 25)  # sequence_length is 10
    empty, long, foreign, fine = predict_detailed(
        run_dir, ["  ?! ", long_text, "le film est une merveille absolue", "good great lovely"]
    )
    assert empty["flags"] == ["empty"]  # punctuation only: nothing word-like, whatever the tokenizer makes of it
    assert long["flags"] == ["truncated: 15 of 25 tokens ignored"] and long["ignored"] == 15
    assert foreign["flags"] == ["oov: 83% of tokens unknown"] and foreign["unknown"] == 5  # 'film' is known
    assert fine["flags"] == [] and set(fine["probabilities"]) == {"neg", "pos"}


def make_supervised_fasttext(tmp_path, labels=("neg", "pos")):
    fasttext = pytest.importorskip("fasttext")
    rng = random.Random(0)
    corpus = tmp_path / "ft.txt"
    words = {labels[0]: WORDS["neg"], labels[1]: WORDS["pos"]}
    corpus.write_text(
        "".join(f"__label__{lab} " + " ".join(rng.choice(words[lab]) for _ in range(6)) + "\n" for lab in labels * 60)
    )
    model = fasttext.train_supervised(
        str(corpus), dim=8, epoch=10, minCount=1, verbose=0, seed=1, thread=1, wordNgrams=2, bucket=300
    )
    model.save_model(str(tmp_path / "sup.bin"))
    model.quantize(input=str(corpus), retrain=False, cutoff=0, dsub=2, qnorm=False, verbose=0)
    model.save_model(str(tmp_path / "sup.ftz"))
    return tmp_path / "sup.bin", tmp_path / "sup.ftz"


def test_supervised_fasttext_is_recognised_and_scores_a_dataset(tmp_path):
    from embedstudio.core import supervised_fasttext
    from embedstudio.core.vectors import load_vectors

    binary, quantized = make_supervised_fasttext(tmp_path)
    for path in (binary, quantized):
        assert supervised_fasttext.is_supervised(path)
        reporter = RecordingReporter()
        load_vectors(path, reporter=reporter, use_cache=False)
        assert any("is a supervised fastText classifier with 2 labels (neg, pos)" in w for w in reporter.warnings)
        report = supervised_fasttext.score_dataset(path, str(write_csv(tmp_path / "d.csv", 20, 5)))
        assert report["baseline_model"]["labels"] == 2 and report["n_samples"] == 20
        assert report["dataset"]["split"] == "all" and "accuracy" in report
    probs = supervised_fasttext.predict_texts(binary, ["good great", "awful bad"])
    assert set(probs[0]) == {"neg", "pos"} and sum(probs[0].values()) == pytest.approx(1, abs=1e-3)
    with pytest.raises(RunError, match="none of its labels"):
        supervised_fasttext.score_dataset(binary, str(write_csv(tmp_path / "o.csv", 12, 3, labels=("x", "y"))))
    glove = tmp_path / "plain.bin"
    glove.write_bytes(b"\x00" * 64)
    assert not supervised_fasttext.is_supervised(glove)


def test_a_model_file_that_is_not_a_keras_zip_is_called_damaged(tmp_path):
    import zipfile

    for name, data in (("text", b"not a zip at all"), ("zip-head", b"PK\x03\x04 truncated")):
        run = tmp_path / name
        run.mkdir()
        (run / "model.keras").write_bytes(data)
        with pytest.raises(RunError, match=r"model\.keras is damaged or incomplete: it is not a complete zip"):
            load_run_model(run)
    other = tmp_path / "other-zip"
    other.mkdir()
    with zipfile.ZipFile(other / "model.keras", "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(RunError, match="lacks config.json, metadata.json"):
        load_run_model(other)


def test_labels_json_of_the_wrong_length_is_named(tmp_path, run_dir):
    import shutil

    run = tmp_path / "relabelled"
    shutil.copytree(run_dir, run)
    (run / "labels.json").write_text(json.dumps(["a", "b", "c"]))
    with pytest.raises(RunError) as info:
        predict_texts(run, ["good film"])
    msg = str(info.value)
    assert str(run / "labels.json") in msg and "3 class names" in msg and "2 outputs" in msg
    evaluations = run / "evaluations"
    before = sorted(evaluations.iterdir()) if evaluations.is_dir() else []
    with pytest.raises(RunError, match="labels.json lists 3 class names"):
        evaluate_run(run, str(write_csv(tmp_path / "e.csv", 10, 3)))
    assert (sorted(evaluations.iterdir()) if evaluations.is_dir() else []) == before  # nothing written


@pytest.mark.parametrize("preset", ["cnn", "average", "gru", "multi", "kim_cnn", "swem", "bilstm"])
def test_predicting_in_batches_gives_the_plain_predictions_without_a_second_trace(preset):
    from test_models import tiny_config as model_config

    from embedstudio.core.evaluation import predict_in_batches
    from embedstudio.core.models import build_model, compile_model

    rng = np.random.default_rng(1)
    x = rng.integers(0, 30, size=(70, 20))  # 2 full batches of 32 and 6 rows
    x[:, 12:] = 0

    def fresh():
        cfg = model_config(preset, mode="scratch")
        model = build_model(cfg, vocab_size=30, num_classes=3, embedding_matrices=None, covered_masks=None)
        return compile_model(model, cfg)

    plain_model, model = fresh(), fresh()
    model.set_weights(plain_model.get_weights())
    plain = plain_model.predict(x, batch_size=32, verbose=0)
    assert plain_model.predict_function.experimental_get_tracing_count() == 2  # what predict_in_batches saves
    np.testing.assert_array_equal(predict_in_batches(model, x, 32), plain)
    assert model.predict_function is None  # one tf.function with an unknown batch size, traced once
    np.testing.assert_array_equal(predict_in_batches(model, x[:64], 32), plain[:64])  # no partial batch
    short = plain_model.predict(x[:5], batch_size=32, verbose=0)  # one short batch: the plain call
    np.testing.assert_array_equal(predict_in_batches(model, x[:5], 32), short)


def test_predicting_in_batches_takes_the_wide_paths_sparse_rows(tmp_path):
    from test_training import make_csv_dataset
    from test_training import tiny_config as run_config

    from embedstudio.core.datasets import load_dataset
    from embedstudio.core.evaluation import predict_in_batches
    from embedstudio.core.model_inputs import prepare_model_inputs

    cfg = run_config(tmp_path, make_csv_dataset(tmp_path / "reviews.csv"), preset="wide_deep", mode="scratch")
    inputs = prepare_model_inputs(cfg, load_dataset(cfg.data))
    x = inputs.data["train"][0]
    assert x[0].shape[0] % 16 and x[0].shape[0] > 16
    model = inputs.build_model()
    np.testing.assert_array_equal(predict_in_batches(model, x, 16), model.predict(x, batch_size=16, verbose=0))
