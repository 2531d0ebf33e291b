"""Streamed runs keep their per-row state on disk (core/streaming.py, datasets/chunked.py, datasets/disk_split.py):
each piece must give exactly what the in-memory computation gives, on small generated data with tiny blocks."""

import json
from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.model_selection import train_test_split
from test_streaming import _awkward_csv
from test_training import tiny_config

from embedstudio.core import streaming
from embedstudio.core.datasets import chunked, disk_split, load_dataset, make_splits
from embedstudio.core.evaluation import evaluate_counts, evaluate_predictions, misclassified
from embedstudio.core.jobs import RecordingReporter


@pytest.fixture
def tiny_blocks(monkeypatch):
    """Blocks, class groups and hash partitions of a few rows, so that small data crosses every boundary."""
    monkeypatch.setattr(disk_split, "_BLOCK", 7)
    monkeypatch.setattr(disk_split, "_GROUP", 3)
    monkeypatch.setattr(chunked, "_BLOCK", 16)
    monkeypatch.setattr(chunked, "PART_ROWS", 16)
    monkeypatch.setattr(chunked, "CHUNK", 64)
    monkeypatch.setattr(streaming, "_BLOCK", 8)


def _row_list(codes, tmp_path, labels):
    blocks = (codes[i : i + 5] for i in range(0, len(codes), 5))
    return disk_split.all_rows(blocks, len(codes), labels, tmp_path / "all")


def _check(part, rows, codes):
    got_rows, got_codes = part.load()
    assert got_rows.tolist() == np.asarray(rows).tolist()
    assert got_codes.tolist() == codes[np.asarray(rows, dtype=np.int64)].tolist()


CASES = [
    ("balanced", np.arange(400) % 4, 40, 0),
    ("imbalanced", np.array([0] * 300 + [1] * 9 + [2] * 3 + [3] * 40), 35, 7),
    ("ties", np.repeat(np.arange(9), 11), 14, 3),  # equal remainders: _approximate_mode draws the tie-breaks
    ("gaps", np.array([5, 2, 5, 0, 2, 5, 5, 0, 2, 5] * 13), 17, 11),  # codes 1, 3, 4 never occur
    ("many classes", np.random.default_rng(2).integers(0, 12, 500), 60, 42),  # 12 classes, groups of 3
]


@pytest.mark.parametrize(("name", "codes", "n_take", "seed"), CASES, ids=[c[0] for c in CASES])
def test_the_split_on_row_files_is_scikit_learns_for_both_splits(tmp_path, tiny_blocks, name, codes, n_take, seed):
    labels = int(codes.max()) + 1
    source = _row_list(codes, tmp_path, labels)
    rest, test = disk_split.split(source, n_take, seed, labels, tmp_path / "first")
    want_rest, want_test = train_test_split(np.arange(len(codes)), test_size=n_take, stratify=codes, random_state=seed)
    _check(rest, want_rest, codes)
    _check(test, want_test, codes)
    # The second split takes its rows from the first one's shuffled rest, as make_splits does.
    kept, taken = disk_split.split(rest, n_take, seed, labels, tmp_path / "second")
    want_kept, want_taken = train_test_split(want_rest, test_size=n_take, stratify=codes[want_rest], random_state=seed)
    _check(kept, want_kept, codes)
    _check(taken, want_taken, codes)
    leftovers = sorted(p.name for p in tmp_path.iterdir())
    assert not [n for n in leftovers if "class" in n]  # the per-class files are gone


def test_where_scikit_learn_cannot_stratify_the_message_and_the_plain_split_are_its_own(tmp_path, tiny_blocks):
    codes = np.array([0] * 20 + [1] * 15 + [2])  # class 2 has one row
    source = _row_list(codes, tmp_path, 3)
    with pytest.raises(ValueError) as ours:
        disk_split.split(source, 6, 5, 3, tmp_path / "s")
    with pytest.raises(ValueError) as theirs:
        train_test_split(np.arange(len(codes)), test_size=6, stratify=codes, random_state=5)
    assert str(ours.value) == str(theirs.value)
    kept, taken = disk_split.plain_split(source, 6, 5, tmp_path / "s")
    want_kept, want_taken = train_test_split(np.arange(len(codes)), test_size=6, random_state=5)
    _check(kept, want_kept, codes)
    _check(taken, want_taken, codes)
    few = _row_list(np.arange(40) % 4, tmp_path, 4)
    with pytest.raises(ValueError) as ours:
        disk_split.split(few, 3, 0, 4, tmp_path / "f")  # fewer test rows than classes
    with pytest.raises(ValueError) as theirs:
        train_test_split(np.arange(40), test_size=3, stratify=np.arange(40) % 4, random_state=0)
    assert str(ours.value) == str(theirs.value)


def test_duplicates_found_partition_by_partition_are_those_of_one_sort(tmp_path, tiny_blocks):
    rng = np.random.default_rng(3)
    hashes = rng.integers(-40, 40, 300).astype(np.int64)  # many repeats, within and across blocks
    hashes[::7] = 123456789  # one hash all over the file
    hashes[1::11] = rng.integers(-(2**62), 2**62, len(hashes[1::11]))  # and some unique ones
    hashes.tofile(tmp_path / "hashes.bin")
    mask = chunked.duplicate_rows(tmp_path / "hashes.bin", len(hashes), tmp_path)
    dropped = np.unpackbits(mask, count=len(hashes), bitorder="little").astype(bool)
    seen: set[int] = set()
    expected = []
    for h in hashes.tolist():
        expected.append(h in seen)
        seen.add(h)
    assert dropped.tolist() == expected and 0 < dropped.sum() < len(hashes)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hashes.bin"]  # the partition files are gone


def test_a_chunked_read_in_tiny_blocks_keeps_the_in_memory_rows_and_split(tmp_path, tiny_blocks):
    data = _awkward_csv(tmp_path / "colours.csv", n=500)
    cfg = tiny_config(tmp_path, data, preset="average", epochs=1, mode="scratch")
    cfg.data.streaming = "on"
    cfg.data.test_fraction, cfg.data.validation_fraction = 0.15, 0.1
    cfg.validate()
    dataset = load_dataset(cfg.data)
    memory = make_splits(dataset, validation_fraction=0.1, test_fraction=0.15, seed=cfg.training.seed)
    reporter = RecordingReporter()
    streamed = streaming.streamed_splits(cfg, tmp_path / "run", reporter=reporter)
    assert any("exact duplicates of (text, label) dropped" in line for line in reporter.infos)
    for name in ("train", "validation", "test"):
        ours, theirs = getattr(streamed, name), getattr(memory, name)
        assert list(ours.texts) == list(theirs.texts), name
        assert list(ours.labels) == list(theirs.labels), name
        assert list(ours.sources) == list(theirs.sources), name
        assert ours.texts[3:17:4] == list(theirs.texts)[3:17:4] and ours.labels[-1] == theirs.labels[-1]
        y = ours.class_ids(list(streamed.classes))
        want = np.array([streamed.classes.index(label) for label in theirs.labels])
        assert y[0 : len(y)].tolist() == want.tolist() and y[5:13].tolist() == want[5:13].tolist()
        assert y.counts.tolist() == np.bincount(want, minlength=len(streamed.classes)).tolist()
        positions = np.array([0, 2, 9, 10, len(ours) - 1])
        sub = ours.materialise(positions)
        assert sub.texts == [theirs.texts[i] for i in positions]
        assert sub.sources == [theirs.sources[i] for i in positions]
    folder = tmp_path / "run" / streaming.TOKENS_DIR
    assert sorted(p.name for p in folder.iterdir()) == [
        "records.bin",
        "test.records",
        "texts.bin",
        "train.records",
        "validation.records",
    ]
    for name in ("train", "validation", "test"):
        getattr(streamed, name).close()
    streamed.train.store.close()


def _proba(rng, n, k, *, favour=None):
    proba = rng.random((n, k)).astype(np.float32)
    if favour is not None:
        proba[:, favour] += 3.0
    else:
        proba[rng.random(n) < 0.1] = 0.25  # exact ties: argmax takes the first
    return proba / proba.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("case", ["mixed", "collapsed", "class never predicted", "class without test rows"])
def test_the_report_from_the_confusion_matrix_is_evaluate_predictions(case):
    rng = np.random.default_rng(len(case))
    classes = ["b", "a", "c", "d"]
    n = 200
    truth = rng.integers(0, 4, n)
    proba = _proba(rng, n, 4, favour=2 if case == "collapsed" else None)
    if case == "class never predicted":
        proba[:, 3] = 0.0
    if case == "class without test rows":
        truth[truth == 1] = 0
    predicted = proba.astype(np.float64).argmax(axis=1)
    confusion = np.zeros((4, 4), dtype=np.int64)
    np.add.at(confusion, (truth, predicted), 1)
    first = [int(c) for c in dict.fromkeys(predicted.tolist())]
    ours = evaluate_counts(confusion, classes, first, dataset_path="x/20news.csv")
    theirs = evaluate_predictions([classes[t] for t in truth], proba, classes, dataset_path="x/20news.csv")
    assert json.dumps(ours) == json.dumps(theirs)  # same keys, order and every float to the last bit
    assert ("collapse_warning" in ours) == (case == "collapsed")


def test_a_streamed_evaluation_is_the_in_memory_one(tmp_path, tiny_blocks):
    import keras

    from embedstudio.core.text import build_vectorizer

    data = _awkward_csv(tmp_path / "colours.csv", n=300)
    cfg = tiny_config(tmp_path, data, preset="average", epochs=1, mode="scratch")
    cfg.data.streaming = "on"
    cfg.data.test_fraction = 0.3
    cfg.validate()
    splits = streaming.streamed_splits(cfg, tmp_path / "run", reporter=RecordingReporter())
    vectorizer = build_vectorizer(splits.train.texts, cfg.text)
    x = streaming.tokenise_to_file(vectorizer, splits.test.texts, tmp_path / "run" / streaming.TOKENS_DIR / "test.npy")
    keras.utils.set_random_seed(1)
    model = keras.Sequential(
        [keras.layers.Embedding(300, 4), keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(3, "softmax")]
    )
    classes = list(splits.classes)
    report, wrong, proba_file = streaming.evaluate(model, x, splits.test, classes, 16, 7, dataset_path=cfg.data.path)
    proba = streaming.predict(model, x, 16)
    test = splits.test
    assert json.dumps(report) == json.dumps(evaluate_predictions(list(test.labels), proba, classes))
    assert 0 < report["accuracy"] < 1
    assert wrong == misclassified(list(test.texts), list(test.labels), proba, classes, list(test.sources), limit=7)
    assert len(wrong) == 7
    positions = np.array([1, 4, 5, len(test) - 1])
    assert np.array_equal(proba_file[positions], proba[positions])
    x.close()
    for name in ("train", "validation", "test"):
        getattr(splits, name).close()
    splits.train.store.close()


def test_streamed_class_weights_are_the_in_memory_ones(tmp_path, tiny_blocks):
    from embedstudio.core.training import _Fit

    data = _awkward_csv(tmp_path / "colours.csv", n=200)
    cfg = tiny_config(tmp_path, data, preset="average", epochs=1, mode="scratch")
    cfg.data.streaming = "on"
    cfg.validate()
    splits = streaming.streamed_splits(cfg, tmp_path / "run", reporter=RecordingReporter())
    classes = list(splits.classes) + ["never"]  # a class without training rows keeps weight 1
    y = splits.train.class_ids(classes)
    fake = SimpleNamespace(classes=classes, training=SimpleNamespace(reporter=RecordingReporter()))
    assert _Fit.class_weights(fake, y) == _Fit.class_weights(fake, y[0 : len(y)])  # type: ignore[arg-type]
    for name in ("train", "validation", "test"):
        getattr(splits, name).close()
    splits.train.store.close()


def test_a_sampled_tf_idf_comparison_scores_the_sampled_rows_of_the_in_memory_split(tmp_path, monkeypatch):
    from embedstudio.core.baselines import tfidf_linear
    from embedstudio.core.datasets.types import Splits
    from embedstudio.core.evaluation import predict_texts
    from embedstudio.core.training import train

    monkeypatch.setattr(streaming, "BASELINE_ROWS", 40)
    data = _awkward_csv(tmp_path / "colours.csv", n=400)
    cfg = tiny_config(tmp_path, data, preset="average", epochs=1, mode="scratch")
    cfg.data.streaming = "on"
    cfg.data.test_fraction, cfg.data.validation_fraction = 0.2, 0.15
    cfg.validate()
    result = train(cfg, reporter=RecordingReporter())
    vs = result.report["vs_tfidf"]
    assert vs["sample"] == {"train": 40, "test": 40, "of": 40}
    memory = make_splits(load_dataset(cfg.data), validation_fraction=0.15, test_fraction=0.2, seed=cfg.training.seed)
    rng = np.random.default_rng(cfg.training.seed)
    picked = {}
    for name in ("train", "validation", "test"):
        table = getattr(memory, name)
        positions = np.sort(rng.choice(len(table), 40, replace=False))
        picked[name] = table.subset(positions.tolist())
    baseline = tfidf_linear(Splits(picked["train"], picked["validation"], picked["test"], list(memory.classes)))
    assert vs["baseline_accuracy"] == baseline["accuracy"] and vs["baseline_macro_f1"] == baseline["macro_f1"]
    classes = json.loads((result.run_dir / "labels.json").read_text())
    proba = np.array([[p[c] for c in classes] for p in predict_texts(result.run_dir, picked["test"].texts)])
    ours = evaluate_predictions(picked["test"].labels, proba, classes)
    assert vs["accuracy_points"] == round(100 * (ours["accuracy"] - baseline["accuracy"]), 2)
