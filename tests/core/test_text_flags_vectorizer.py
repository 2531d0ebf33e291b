"""text_flags reads the token-id TextVectorization layer, also in a model that holds a TF-IDF one first
(the wide & deep recipe): the TF-IDF layer's rows are vocabulary weights, not tokens."""

from __future__ import annotations

import pytest


def test_flags_use_the_int_vectorizer_not_the_tfidf_one():
    keras = pytest.importorskip("keras")
    from embedstudio.core.evaluation import _text_vectorizer, text_flags

    texts = ["good film", "bad film", "good good movie", "bad movie"]
    tfidf = keras.layers.TextVectorization(output_mode="tf_idf", ngrams=2, name="tfidf")
    tfidf.adapt(texts)
    ids = keras.layers.TextVectorization(output_mode="int", output_sequence_length=3, name="ids")
    ids.adapt(texts)
    inp = keras.Input(shape=(1,), dtype="string")
    wide = keras.layers.Dense(2)(tfidf(inp))
    deep = keras.layers.Dense(2)(keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(20, 4)(ids(inp))))
    model = keras.Model(inp, keras.layers.Add()([wide, deep]))

    assert _text_vectorizer(model) is ids
    long, unknown = text_flags(model, ["good film good film bad", "zzz qqq"])
    assert long["tokens"] == 5 and long["ignored"] == 2 and long["flags"] == ["truncated: 2 of 5 tokens ignored"]
    assert unknown["unknown"] == 2 and unknown["flags"][0].startswith("oov")
