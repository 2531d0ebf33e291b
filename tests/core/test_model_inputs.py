"""prepare_model_inputs / summarize (the preamble train() and the Model panel share), the auto rules and the
wide & deep recipe trained end to end and reloaded."""

import numpy as np
import pytest

from embedstudio.core.datasets import load_dataset
from embedstudio.core.evaluation import load_run_model, predict_texts
from embedstudio.core.model_inputs import (
    MAX_LENGTH,
    MIN_LENGTH,
    SHORT_TEXT,
    prepare_model_inputs,
    resolve_auto,
    summarize,
    tfidf_matrix,
)
from embedstudio.core.training import train
from tests.core.test_training import make_csv_dataset, make_glove, tiny_config


def test_prepare_model_inputs_gives_what_build_model_needs(tmp_path):
    csv = make_csv_dataset(tmp_path / "reviews.csv")
    glove = make_glove(tmp_path / "glove.txt")
    cfg = tiny_config(tmp_path, csv, vectors=[glove], preset="wide_deep")
    inputs = prepare_model_inputs(cfg, load_dataset(cfg.data))
    counts = inputs.counts
    assert counts["train"] + counts["validation"] + counts["test"] == 80
    assert counts["num_classes"] == 2 and counts["vocab_size"] == len(inputs.vocab)
    assert counts["wide_features"] == inputs.wide.features > 1
    ids, tfidf = inputs.data["train"][0]
    assert ids.shape == (counts["train"], cfg.text.sequence_length) and tfidf.shape == (
        counts["train"],
        counts["wide_features"],
    )
    lengths = np.sqrt(np.asarray(tfidf.multiply(tfidf).sum(axis=1)).ravel())
    np.testing.assert_allclose(lengths[:5], 1.0, rtol=1e-5)  # unit-length rows, as the baseline's
    assert inputs.cfg.text.standardize == "lower_split_punctuation"  # auto, lower-case vector file
    assert len(inputs.matrices) == 1 and inputs.matrices[0].shape[0] == len(inputs.vocab)
    assert 0 < inputs.coverage[0]["vocab_coverage"] <= 1
    model = inputs.build_model()
    assert model.predict(inputs.data["test"][0], verbose=0).shape == (counts["test"], 2)


def test_the_exported_tfidf_path_matches_the_training_features(tmp_path):
    import tensorflow as tf

    csv = make_csv_dataset(tmp_path / "reviews.csv")
    cfg = tiny_config(tmp_path, csv, preset="wide_deep", mode="scratch")
    inputs = prepare_model_inputs(cfg, load_dataset(cfg.data))
    texts = list(inputs.splits.test.texts[:6])
    model = inputs.build_model()
    e2e = inputs.end_to_end(model)
    direct = model.predict(inputs.features(texts), verbose=0)
    np.testing.assert_allclose(np.asarray(e2e(tf.constant([[t] for t in texts]))), direct, atol=1e-5)
    layer = e2e.get_layer("tfidf")
    dense = np.asarray(layer(inputs.wide.vectorizer(tf.constant(texts))))
    np.testing.assert_allclose(dense, tfidf_matrix(inputs.wide, texts).toarray(), atol=1e-6)


@pytest.mark.parametrize("words, deep", [(8, "kim_cnn"), (SHORT_TEXT + 20, "swem")])
def test_auto_follows_its_rules(words, deep):
    rng = np.random.default_rng(0)
    texts = [" ".join(f"w{rng.integers(0, 3000)}" for _ in range(words)) for _ in range(200)]
    from embedstudio.core.config import RunConfig

    cfg, record = resolve_auto(RunConfig(), texts, "lower_split_punctuation")
    assert cfg.model.preset == "wide_deep" and cfg.model.deep_path == deep == record["deep_path"]
    assert cfg.text.sequence_length == min(MAX_LENGTH, max(MIN_LENGTH, words))
    repeated = record["words_seen_twice"]
    expected = repeated if repeated >= 1000 else record["distinct_words"]
    assert cfg.text.max_tokens == min(50_000, expected) + 2
    same, nothing = resolve_auto(cfg, texts, "lower_split_punctuation")
    assert same is cfg and nothing == {}


def test_auto_trains_end_to_end_and_the_model_reloads(tmp_path):
    csv = make_csv_dataset(tmp_path / "reviews.csv")
    glove = make_glove(tmp_path / "glove.txt")
    cfg = tiny_config(tmp_path, csv, vectors=[glove], preset="auto")
    result = train(cfg)
    assert result.status == "completed"
    from embedstudio.core.runs import load_run

    description = load_run(result.run_dir).description
    resolved = description["resolved"]
    assert resolved["preset"] == "wide_deep" and resolved["deep_path"] == "kim_cnn"  # short texts
    # The TF-IDF path is refitted on train + validation once C, the temperature and the mix are chosen.
    assert description["refit_on"] == description["wide_path"]["refit_on"] == "train+validation"
    assert description["wide_path"]["embedding_path_trained_on"] == "train"
    assert description["mix"]["chosen_on"] == "validation"
    assert resolved["standardize"] == "lower_split_punctuation"
    model = load_run_model(result.run_dir)
    assert model.get_layer("tfidf") is not None
    probs = predict_texts(result.run_dir, ["good great film", "awful boring"])
    assert all(abs(sum(p.values()) - 1) < 1e-5 for p in probs)


def test_summarize_builds_the_training_model_without_training(tmp_path):
    csv = make_csv_dataset(tmp_path / "reviews.csv")
    cfg = tiny_config(tmp_path, csv, preset="auto", mode="scratch")
    dataset = load_dataset(cfg.data)
    summary = summarize(cfg, dataset)
    inputs = prepare_model_inputs(cfg, dataset, tokenize=False)
    assert summary.config.model.preset == "wide_deep" and summary.vocab_size == len(inputs.vocab)
    assert summary.params == __import__("embedstudio.core.models", fromlist=["x"]).parameter_counts(
        inputs.build_model()
    )
    assert not (tmp_path / "runs").exists()  # nothing trained, no run folder
    bare = summarize(tiny_config(tmp_path, csv, preset="swem", mode="scratch"))
    assert bare.num_classes == 2 and bare.vocab_size == 200 and bare.notes
    assert any(row["name"] == "masked_max" for row in bare.rows)
