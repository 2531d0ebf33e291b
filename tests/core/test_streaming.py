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
