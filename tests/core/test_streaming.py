"""data.streaming: token ids tokenised once into memory-mapped files in the run folder and fed to fit by tf.data."""

import json

import numpy as np
import pytest
from test_training import make_csv_dataset, make_glove, tiny_config

from embedstudio.core import streaming
from embedstudio.core.datasets import load_dataset, make_splits
from embedstudio.core.errors import ConfigError
from embedstudio.core.evaluation import evaluate_predictions, predict_texts
from embedstudio.core.jobs import RecordingReporter
from embedstudio.core.training import train


def test_a_streamed_run_trains_evaluates_and_reloads(tmp_path):
    data = make_csv_dataset(tmp_path / "reviews.csv", n=120)
    glove = make_glove(tmp_path / "glove.txt")
    cfg = tiny_config(tmp_path, data, vectors=[glove], preset="cnn", epochs=2, class_weights=True)
    cfg.data.streaming = "on"
    cfg.validate()
    reporter = RecordingReporter()
    result = train(cfg, reporter=reporter)
    assert result.status == "completed" and len(result.history) == 2
    assert all(np.isfinite(epoch["loss"]) for epoch in result.history)
    description = json.loads((result.run_dir / "description.json").read_text(encoding="utf-8"))
    assert description["streaming"] is True
    assert any("Streaming the token ids" in message for message in reporter.infos)
    assert not (result.run_dir / streaming.TOKENS_DIR).exists()  # the token files go when the run ends
    # The saved model reproduces the reported test score from the texts alone.
    splits = make_splits(
        load_dataset(cfg.data),
        validation_fraction=cfg.data.validation_fraction,
        test_fraction=cfg.data.test_fraction,
        seed=cfg.training.seed,
    )
    probabilities = predict_texts(result.run_dir, splits.test.texts)
    proba = np.array([[p["neg"], p["pos"]] for p in probabilities])
    assert evaluate_predictions(splits.test.labels, proba, ["neg", "pos"])["accuracy"] == result.report["accuracy"]


def test_token_files_and_the_batches_read_from_them(tmp_path):
    from embedstudio.core.text import build_vectorizer, vectorize

    texts = [f"word{i % 7} other{i % 3} x" for i in range(50)]
    vectorizer = build_vectorizer(texts, tiny_config(tmp_path, tmp_path / "unused.csv", mode="scratch").text)
    x = streaming.tokenise_to_file(vectorizer, texts, tmp_path / "t.npy")
    assert streaming.is_streamed(x) and x.dtype == np.int32 and not x.flags.writeable
    assert np.array_equal(x, vectorize(vectorizer, texts))
    y = np.arange(50, dtype="int64")
    seen = np.concatenate([labels.numpy() for _, labels in streaming.dataset(x, y, 8, shuffle=True, seed=1)])
    assert sorted(seen.tolist()) == y.tolist() and seen.tolist() != y.tolist()  # every row once, shuffled
    for ids, labels in streaming.dataset(x, y, 8, shuffle=True, seed=1):
        assert np.array_equal(ids.numpy(), np.asarray(x)[labels.numpy()])


def test_streaming_on_refuses_a_tf_idf_path_and_auto_keeps_small_data_in_memory(tmp_path):
    data = make_csv_dataset(tmp_path / "reviews.csv", n=60)
    cfg = tiny_config(tmp_path, data, preset="cnn", epochs=1, mode="scratch")
    cfg.data.streaming = "auto"
    cfg.validate()
    result = train(cfg, reporter=RecordingReporter())
    description = json.loads((result.run_dir / "description.json").read_text(encoding="utf-8"))
    assert "streaming" not in description
    cfg.model.preset = "wide_deep"
    cfg.data.streaming = "on"
    cfg.validate()
    with pytest.raises(ConfigError, match="data.streaming"):
        train(cfg, reporter=RecordingReporter())


def _awkward_csv(path, n=400, seed=4):
    """Three classes, quoted fields with commas, quotes and newlines, CRLF lines, duplicates, an empty
    text and a row without a label: what the in-memory reader cleans up, the chunked one must too."""
    import csv
    import random

    rng = random.Random(seed)
    words = ["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta", "iota", "kappa", "la", "mu"]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(["id", "text", "label"])
        for i in range(n):
            label = ["red", "green", "blue"][i % 3]
            text = " ".join(rng.choices(words[(i % 3) * 4 :] + words, k=rng.randint(3, 14)))
            if i % 17 == 0:
                text += ', with "quotes", a comma\nand a second line'
            writer.writerow([i, text, label])
            if i % 29 == 0:
                writer.writerow([i, text, label])  # an exact duplicate of (text, label)
        writer.writerow([n, "  ", "red"])  # empty text
        writer.writerow([n + 1, "no label here", ""])  # skipped: no label
    return path


def test_a_csv_read_in_chunks_gives_the_in_memory_rows_split_vocabulary_and_token_ids(tmp_path, monkeypatch):
    from embedstudio.core.datasets import chunked
    from embedstudio.core.text import build_vectorizer, vectorize, vocabulary

    monkeypatch.setattr(chunked, "CHUNK", 64)  # several chunks even on small data
    data = _awkward_csv(tmp_path / "colours.csv")
    cfg = tiny_config(tmp_path, data, preset="average", epochs=1, mode="scratch")
    cfg.data.streaming = "on"
    cfg.validate()
    assert streaming.chunked_reason(cfg) == ""
    dataset = load_dataset(cfg.data)
    memory = make_splits(
        dataset,
        validation_fraction=cfg.data.validation_fraction,
        test_fraction=cfg.data.test_fraction,
        seed=cfg.training.seed,
    )
    streamed = streaming.streamed_splits(cfg, tmp_path / "run", reporter=RecordingReporter())
    assert streamed.classes == memory.classes == dataset.classes
    for name in ("train", "validation", "test"):
        ours, theirs = getattr(streamed, name), getattr(memory, name)
        assert list(ours.texts) == list(theirs.texts), name
        assert list(ours.labels) == list(theirs.labels), name
        assert list(ours.sources) == list(theirs.sources), name
    in_memory = build_vectorizer(list(memory.train.texts), cfg.text)
    from_disk = build_vectorizer(streamed.train.texts, cfg.text)  # adapt reads the text store in chunks
    assert vocabulary(from_disk) == vocabulary(in_memory)
    for name in ("train", "test"):
        x = streaming.tokenise_to_file(from_disk, getattr(streamed, name).texts, tmp_path / f"{name}.npy")
        assert np.array_equal(np.load(tmp_path / f"{name}.npy"), vectorize(in_memory, getattr(memory, name).texts))
        assert np.array_equal(x[3:11], np.load(tmp_path / f"{name}.npy")[3:11])
        x.close()
    streamed.train.store.close()


def test_a_run_streamed_from_the_file_is_a_normal_reloadable_run(tmp_path):
    data = _awkward_csv(tmp_path / "colours.csv", n=300)
    cfg = tiny_config(tmp_path, data, preset="average", epochs=2, mode="scratch")
    cfg.data.streaming = "on"
    cfg.validate()
    reporter = RecordingReporter()
    result = train(cfg, reporter=reporter)
    assert result.status == "completed" and len(result.history) == 2
    description = json.loads((result.run_dir / "description.json").read_text(encoding="utf-8"))
    assert description["streaming"] is True and description["streaming_read"] == "chunks"
    assert any("read in chunks" in message for message in reporter.infos)
    assert not (result.run_dir / streaming.TOKENS_DIR).exists()
    assert result.report["vs_tfidf"] is not None and "sample" not in result.report["vs_tfidf"]  # all rows
    wrong = [json.loads(line) for line in (result.run_dir / "misclassified.jsonl").read_text().splitlines()]
    assert all(row["true"] != row["predicted"] and ":" in row["source"] for row in wrong)
    splits = make_splits(
        load_dataset(cfg.data),
        validation_fraction=cfg.data.validation_fraction,
        test_fraction=cfg.data.test_fraction,
        seed=cfg.training.seed,
    )
    probabilities = predict_texts(result.run_dir, splits.test.texts)
    classes = json.loads((result.run_dir / "labels.json").read_text())
    proba = np.array([[p[c] for c in classes] for p in probabilities])
    again = evaluate_predictions(splits.test.labels, proba, classes)
    # The streamed report (computed batch by batch from the confusion matrix) is the in-memory one.
    for key in ("accuracy", "macro_f1", "weighted_f1", "per_class", "confusion_matrix", "classes", "n_samples"):
        assert again[key] == result.report[key], key
    assert len(wrong) == round((1 - result.report["accuracy"]) * len(splits.test.texts))
    errors = {
        (source, truth, classes[int(np.argmax(p))])
        for source, truth, p in zip(splits.test.sources, splits.test.labels, proba)
        if classes[int(np.argmax(p))] != truth
    }
    assert {(row["source"], row["true"], row["predicted"]) for row in wrong} == errors


def test_a_csv_read_in_chunks_warns_about_imbalance_as_the_in_memory_read_does(tmp_path, monkeypatch):
    from embedstudio.core.datasets import chunked

    monkeypatch.setattr(chunked, "CHUNK", 32)  # several chunks even on small data
    lines = ["text,label"]
    lines += [f"common story number {i} about markets,big" for i in range(120)]
    lines += [f"rare note {i} on gardens,middle" for i in range(20)]
    lines += [f"tiny remark {i},small" for i in range(4)]
    data = tmp_path / "skewed.csv"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cfg = tiny_config(tmp_path, data, preset="average", epochs=1, mode="scratch")
    cfg.data.streaming = "on"
    cfg.validate()
    in_memory = [w for w in load_dataset(cfg.data).report.warnings if w.startswith("training data: ")]
    assert any("imbalanced" in w and "'big' has 120" in w for w in in_memory)
    assert any("fewer than" in w and "'small'" in w for w in in_memory)
    reporter = RecordingReporter()
    streamed = streaming.streamed_splits(cfg, tmp_path / "run", reporter=reporter)
    streamed.train.store.close()
    assert [w for w in reporter.warnings if w.startswith("training data: ")] == in_memory


def test_a_csv_read_in_chunks_counts_texts_with_two_labels_as_the_in_memory_read_does(tmp_path, monkeypatch):
    from embedstudio.core.datasets import chunked

    monkeypatch.setattr(chunked, "CHUNK", 16)  # several chunks and blocks even on small data
    monkeypatch.setattr(chunked, "_BLOCK", 16)
    monkeypatch.setattr(chunked, "PART_ROWS", 8)  # several partition files
    lines = ["text,label"]
    lines += [f"plain text {i},{'a' if i % 2 else 'b'}" for i in range(60)]
    lines += ["shared words,a", "shared words,b", "shared words,a", "shared words,c"]  # one text, three labels
    lines += [f"echo {i},a" for i in range(5)] + [f"echo {i},b" for i in range(5)]  # five texts, two labels
    lines += ["same label twice,a", "same label twice,a"]  # a duplicate, not a conflict
    data = tmp_path / "conflicts.csv"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cfg = tiny_config(tmp_path, data, preset="average", epochs=1, mode="scratch")
    cfg.data.streaming = "on"
    cfg.validate()
    in_memory = [w for w in load_dataset(cfg.data).report.warnings if "more than one label" in w]
    assert in_memory == [
        "training data: 6 distinct texts appear with more than one label; no model can get all of them right."
    ]
    for drop in (True, False):
        cfg.data.drop_duplicates = drop
        reporter = RecordingReporter()
        streamed = streaming.streamed_splits(cfg, tmp_path / f"run-{drop}", reporter=reporter)
        streamed.train.store.close()
        assert [w for w in reporter.warnings if "more than one label" in w] == in_memory
        assert not list((tmp_path / f"run-{drop}").rglob("conflicts-*.bin"))  # the partition files are removed


def test_distinct_pairs_equal_numpy_unique_of_the_pairs():
    from embedstudio.core.datasets.chunked import _distinct_pairs

    pair = np.dtype([("hash", "<i8"), ("code", "<i8")])
    rng = np.random.default_rng(3)
    hashes = rng.integers(-50, 50, size=500)
    codes = rng.integers(0, 4, size=500).astype(np.int32)
    expected = np.empty(500, dtype=pair)
    expected["hash"], expected["code"] = hashes, codes
    assert np.array_equal(_distinct_pairs(hashes, codes, pair), np.unique(expected))
    assert len(_distinct_pairs(hashes[:0], codes[:0], pair)) == 0
