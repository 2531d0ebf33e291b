"""Vocabulary building with Keras' TextVectorization, and token counts that tokenise the same way."""

import numpy as np
import pytest

from embedstudio.core.config import TextConfig
from embedstudio.core.jobs import CancelToken, Cancelled, RecordingReporter
from embedstudio.core.text import build_vectorizer, token_counts, vectorize, vocabulary

TEXTS = [
    "The cat sat on the mat.",
    "The DOG chased the cat!",
    "A dog, a cat; a bird?",
    "",
]


def test_vectorizer_vocabulary_is_ordered_by_frequency_and_capped():
    vec = build_vectorizer(TEXTS, TextConfig(max_tokens=6, sequence_length=8))
    vocab = vocabulary(vec)
    # padding and [UNK] count towards max_tokens; then the most frequent tokens first
    assert vocab[:2] == ["", "[UNK]"]
    assert len(vocab) == 6
    assert vocab[2] == "the" and set(vocab[3:5]) == {"cat", "a"}  # 4 times, then 3 times each
    assert all(isinstance(t, str) for t in vocab)
    ids = vectorize(vec, ["the cat zebra", ""])
    assert ids.shape == (2, 8) and ids.dtype == np.int64
    assert ids[0, 0] == vocab.index("the") and ids[0, 1] == vocab.index("cat") and ids[0, 2] == 1
    assert not ids[1].any()  # empty text -> all padding


@pytest.mark.parametrize("standardize, token, absent", [
    ("lower_and_strip_punctuation", "dog", "dog,"),
    ("lower", "dog,", "DOG"),
    ("strip_punctuation", "DOG", "dog,"),
    ("none", "mat.", "mat"),
])
def test_standardize_options_map_to_keras(standardize, token, absent):
    vec = build_vectorizer(TEXTS, TextConfig(sequence_length=5, standardize=standardize))
    vocab = vocabulary(vec)
    assert token in vocab
    assert absent not in vocab


@pytest.mark.parametrize("standardize", ["lower_and_strip_punctuation", "lower", "none"])
def test_token_counts_tokenise_like_the_vectorizer(standardize):
    vec = build_vectorizer(TEXTS, TextConfig(max_tokens=1000, sequence_length=50, standardize=standardize))
    counts = token_counts(TEXTS, vec)
    vocab = vocabulary(vec)
    # every counted token is in the (uncapped) vocabulary, and the counts add up to the non-padding ids
    assert set(counts) == set(vocab[2:])
    ids = vectorize(vec, TEXTS)
    assert sum(counts.values()) == int((ids > 0).sum())
    for token, n in counts.items():
        assert int((ids == vocab.index(token)).sum()) == n


def test_token_counts_from_a_standardize_name():
    counts = token_counts(TEXTS, "lower_and_strip_punctuation")
    assert counts["the"] == 4 and counts["cat"] == 3 and counts["a"] == 3 and counts["dog"] == 2
    assert token_counts(["Hi hi"], "none") == {"Hi": 1, "hi": 1}
    assert token_counts([], "lower") == {}


def test_vectorizer_reports_progress_and_honours_cancel():
    reporter = RecordingReporter()
    build_vectorizer(TEXTS * 600, TextConfig(sequence_length=4), reporter=reporter)
    assert reporter.progress_calls[-1][0] == len(TEXTS) * 600
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(Cancelled):
        build_vectorizer(TEXTS, TextConfig(sequence_length=4), cancel=cancel)
