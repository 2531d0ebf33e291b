"""Vocabulary building with Keras' TextVectorization, and token counts that tokenise the same way."""

import numpy as np
import pytest

from embedstudio.core.config import TextConfig
from embedstudio.core.jobs import Cancelled, CancelToken, RecordingReporter
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


@pytest.mark.parametrize(
    "standardize, token, absent",
    [
        ("lower_and_strip_punctuation", "dog", "dog,"),
        ("lower", "dog,", "DOG"),
        ("strip_punctuation", "DOG", "dog,"),
        ("none", "mat.", "mat"),
    ],
)
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


# ---- separators, clitics and punctuation (issue 9 item 1, issue 8 item 1) ------------------------------
from embedstudio.core.text import (  # noqa: E402
    STANDARDIZE_OPTIONS,
    candidate_standardizations,
    is_lowercase_vocabulary,
    resolve_standardize,
    roundtrips,
    standardize_texts,
)

SEPARATORS = ["\u0085", "\u2028", "\u2029", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\u00a0", "\t", "\r"]


@pytest.mark.parametrize("standardize", STANDARDIZE_OPTIONS)
def test_no_token_holds_a_line_separator_or_control_character(standardize):
    texts = [f"caf\u00e9{sep}bar word{sep}" for sep in SEPARATORS] + ["soft\u00adhyphen zero\u200bwidth"]
    vec = build_vectorizer(texts, TextConfig(max_tokens=1000, sequence_length=10, standardize=standardize))
    vocab = vocabulary(vec)
    assert all(roundtrips(token) for token in vocab[2:])
    assert not any(sep in token for token in vocab for sep in SEPARATORS)
    assert "softhyphen" in vocab or "SOFTHYPHEN" not in vocab  # format characters are deleted, not spaced


def test_the_default_splits_punctuation_and_keeps_clitics():
    (line,) = standardize_texts(
        ["Don't stop: it's an old-fashioned writer-director's film, 1.5 hours; $2,000!"], "lower_split_punctuation"
    )
    assert line.split() == [
        "do",
        "n't",
        "stop",
        ":",
        "it",
        "'s",
        "an",
        "old",
        "-",
        "fashioned",
        "writer",
        "-",
        "director",
        "'s",
        "film",
        ",",
        "1.5",
        "hours",
        ";",
        "$",
        "2,000",
        "!",
    ]
    (hyphens,) = standardize_texts(["An e-mail, isn't it?"], "lower_split_punctuation_keep_hyphens")
    assert hyphens.split() == ["an", "e-mail", ",", "is", "n't", "it", "?"]
    (cased,) = standardize_texts(["They're in Paris\u2019s 'centre'"], "split_punctuation")
    assert cased.split() == ["They", "'re", "in", "Paris", "'s", "'", "centre", "'"]


def test_auto_without_vectors_is_the_punctuation_splitting_default():
    vec = build_vectorizer(["isn't it"], TextConfig(sequence_length=4, standardize="auto"))
    assert set(vocabulary(vec)[2:]) == {"is", "n't", "it"}
    assert token_counts(["isn't"], "auto") == {"is": 1, "n't": 1}


class FakeVectors:
    def __init__(self, words):
        self.words = list(words)
        self._set = set(words)

    def __contains__(self, word):
        return word in self._set


def test_auto_picks_the_best_covering_candidate_and_ties_go_to_the_simplest():
    texts = ["an e-mail about e-mail, isn't it"] * 3
    with_hyphens = FakeVectors(["an", "e-mail", "about", ",", "is", "n't", "it"])
    choice = resolve_standardize(TextConfig(standardize="auto"), texts, [with_hyphens])
    assert choice.lowercase_vectors is True
    assert [c.standardize for c in choice.candidates] == candidate_standardizations(True)
    assert choice.chosen == "lower_split_punctuation_keep_hyphens"
    plain = FakeVectors(["an", "e", "mail", "-", "about", ",", "is", "n't", "it"])
    assert resolve_standardize(TextConfig(standardize="auto"), texts, [plain]).chosen == "lower_split_punctuation"
    # the same coverage for every candidate: the simplest wins
    nothing = FakeVectors(["zzz"])
    assert resolve_standardize(TextConfig(standardize="auto"), texts, [nothing]).chosen == "lower_split_punctuation"
    cased = FakeVectors(["An", "Paris", "London", "is", "n't"])
    assert not is_lowercase_vocabulary(cased.words)
    assert (
        resolve_standardize(TextConfig(standardize="auto"), ["Paris isn't London"], [cased]).chosen
        == "split_punctuation"
    )
    fixed = resolve_standardize(TextConfig(standardize="lower"), texts, [plain])
    assert fixed.chosen == "lower" and len(fixed.candidates) == 1


def test_a_vectorizer_saved_in_a_model_reloads_with_safe_mode(tmp_path):
    import keras
    import tensorflow as tf

    from embedstudio.core.models import custom_objects

    texts = ["don't stop\u0085now", "it's old-fashioned \u2028 fun"]
    vec = build_vectorizer(texts, TextConfig(max_tokens=100, sequence_length=6, standardize="lower_split_punctuation"))
    text = keras.Input(shape=(1,), dtype="string")
    model = keras.Model(text, keras.ops.cast(vec(text), "float32"))
    model.save(tmp_path / "m.keras")
    custom_objects()
    again = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    batch = tf.constant([[t] for t in texts])
    assert np.array_equal(np.asarray(model(batch)), np.asarray(again(batch)))
    assert len(again.layers[1].get_vocabulary()) == len(vocabulary(vec))


def test_text_imports_tensorflow_under_the_shared_import_lock(tmp_path):
    """core/text.py imports TensorFlow under quiet_import's lock (the one gui/heavy_imports holds while it
    imports): two threads entering TensorFlow's circular imports at once fail with "partially initialized
    module". Run in a fresh interpreter, where TensorFlow is not imported yet."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(
        """
        import sys
        from embedstudio.core import quiet_import, text

        class Recording:
            def __init__(self, lock):
                self.lock, self.seen = lock, []
            def __enter__(self):
                self.lock.acquire()
                self.seen.append(("enter", "tensorflow" in sys.modules))
            def __exit__(self, *exc):
                self.seen.append(("exit", "tensorflow" in sys.modules))
                self.lock.release()

        quiet_import._lock = Recording(quiet_import._lock)
        assert "tensorflow" not in sys.modules
        assert text.standardize_texts(["Hello, World"], "lower_and_strip_punctuation") == ["hello world"]
        print(quiet_import._lock.seen[0], quiet_import._lock.seen[-1])
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split("\n")[-2] == "('enter', False) ('exit', True)"
