"""Own vectors: Keras-identical tokenisation, fastText and word2vec training, progress, cancel, errors."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from embedstudio.core.errors import ConfigError, DatasetError, TrainingError
from embedstudio.core.jobs import Cancelled, CancelToken, RecordingReporter
from embedstudio.core.vectors import load_vectors, tokenize, train_vectors
from embedstudio.core.vectors.own_vectors import MIN_BUCKET, _auto_bucket


@pytest.fixture(scope="module")
def lee_texts():
    from gensim.test.utils import datapath

    with open(datapath("lee_background.cor"), encoding="utf-8") as fh:
        return [line for line in fh]


class CancelOn(RecordingReporter):
    """Cancels the job when a progress message starts with ``prefix``."""

    def __init__(self, token: CancelToken, prefix: str) -> None:
        super().__init__()
        self.token = token
        self.prefix = prefix

    def progress(self, done, total=None, message=""):
        super().progress(done, total, message)
        if message.startswith(self.prefix):
            self.token.cancel()


def test_tokenize_matches_keras_text_vectorization():
    import keras

    texts = [
        "Hello, World! It's a co-op e.g. U.S.A.",
        "ÄBC Émile DON'T\u00a0stop\ttabs\x0bvt \x1cfs",
        "İstanbul ǅ naïve CAFÉ—dash “quotes” __init__ 3.14",
        "   ",
        "!!!",
    ]
    layer = keras.layers.TextVectorization(standardize="lower_and_strip_punctuation", split="whitespace")
    layer.adapt(texts)
    vocabulary = layer.get_vocabulary()
    ids = np.asarray(layer(texts))
    for text, row in zip(texts, ids):
        assert tokenize(text) == [vocabulary[i] for i in row if i != 0]


def test_fasttext_vectors_load_with_subwords_and_report_epochs(tmp_path, lee_texts):
    reporter = RecordingReporter()
    out = train_vectors(
        out_path=tmp_path / "own" / "lee",
        texts=lee_texts,
        algorithm="fasttext",
        dim=10,
        epochs=3,
        min_count=2,
        reporter=reporter,
    )
    assert out == tmp_path / "own" / "lee.bin"
    assert sorted(p.name for p in out.parent.iterdir()) == ["lee.bin", "lee.vec"]
    wv = load_vectors(out)
    assert wv.has_subwords and wv.info.format == "fasttext_bin" and wv.dim == 10
    assert all(w == w.lower() and "," not in w and "." not in w for w in wv.words)
    assert wv.is_oov("governmentalities") and wv.vector("governmentalities") is not None
    vec = load_vectors(tmp_path / "own" / "lee.vec")
    assert vec.words == wv.words
    words = [w for w in wv.words if w != "</s>"]  # gensim builds '</s>' from n-grams, fastText does not
    np.testing.assert_allclose(
        np.vstack([vec.vector(w) for w in words]), np.vstack([wv.vector(w) for w in words]), atol=1e-6
    )
    epochs = [payload for kind, payload in reporter.events if kind == "vectors_epoch"]
    assert [e["epoch"] for e in epochs] == [1, 2, 3] and all(e["epochs"] == 3 for e in epochs)
    assert reporter.progress_calls[-1][:2] == (3.0, 3)
    # The n-gram table was sized to the corpus, not fastText's 2,000,000 rows.
    import fasttext

    bucket = fasttext.load_model(str(out)).f.getArgs().bucket
    assert MIN_BUCKET <= bucket < 200_000


def test_fasttext_is_repeatable_with_a_seed(tmp_path, lee_texts):
    first = train_vectors(out_path=tmp_path / "a", texts=lee_texts[:100], dim=8, epochs=1, seed=3, threads=1)
    second = train_vectors(out_path=tmp_path / "b.bin", texts=lee_texts[:100], dim=8, epochs=1, seed=3, threads=1)
    np.testing.assert_array_equal(load_vectors(first).matrix, load_vectors(second).matrix)


def test_word2vec_vectors(tmp_path, lee_texts):
    reporter = RecordingReporter()
    out = train_vectors(
        out_path=tmp_path / "w2v", texts=lee_texts, algorithm="word2vec", dim=12, epochs=2, reporter=reporter
    )
    wv = load_vectors(out)
    assert wv.info.format == "word2vec_binary" and not wv.has_subwords and wv.dim == 12
    text = load_vectors(tmp_path / "w2v.vec")
    assert text.words == wv.words
    np.testing.assert_array_equal(text.matrix, wv.matrix)
    epochs = [payload["epoch"] for kind, payload in reporter.events if kind == "vectors_epoch"]
    assert epochs == [1, 2]
    assert reporter.progress_calls[-1][:2] == (2, 2)


def test_corpus_file_gz_with_a_latin1_line(tmp_path, lee_texts):
    corpus = tmp_path / "corpus.txt.gz"
    corpus.write_bytes(gzip.compress("".join(lee_texts[:120]).encode("utf-8") + b"caf\xe9 caf\xe9 caf\xe9\n"))
    reporter = RecordingReporter()
    out = train_vectors(
        out_path=tmp_path / "c", corpus_path=corpus, algorithm="word2vec", dim=6, epochs=1, reporter=reporter
    )
    assert "café" in load_vectors(out)
    assert "corpus.txt.gz: 1 lines are not valid UTF-8 and were read as Latin-1 (line 121)." in reporter.warnings


@pytest.mark.timeout(120)  # a safety net only: without a working cancel this run would take minutes
@pytest.mark.parametrize(
    "algorithm, threads, prefix",
    [
        ("fasttext", None, "fastText: epoch"),  # cancelled after fastText's first progress line
        ("fasttext", 1, "fastText: training"),  # one thread: no progress lines, cancel still stops it
        ("word2vec", None, "word2vec: epoch"),
    ],
)
def test_cancel_during_training_leaves_no_files(tmp_path, lee_texts, algorithm, threads, prefix):
    token = CancelToken()
    reporter = CancelOn(token, prefix)
    with pytest.raises(Cancelled):
        train_vectors(
            out_path=tmp_path / "x",
            texts=lee_texts * 4,
            algorithm=algorithm,
            dim=16,
            epochs=200,
            threads=threads,
            reporter=reporter,
            cancel=token,
        )
    assert list(tmp_path.iterdir()) == []
    finished = [p["epoch"] for kind, p in reporter.events if kind == "vectors_epoch"]
    assert len(finished) < 200


def test_cancel_while_tokenising(tmp_path, lee_texts):
    token = CancelToken()
    with pytest.raises(Cancelled):
        train_vectors(
            out_path=tmp_path / "x", texts=lee_texts * 3, reporter=CancelOn(token, "Tokenising"), cancel=token
        )
    assert list(tmp_path.iterdir()) == []


def test_bad_requests(tmp_path, lee_texts):
    with pytest.raises(ConfigError, match="either texts or a corpus file"):
        train_vectors(out_path=tmp_path / "x")
    with pytest.raises(ConfigError, match="either texts or a corpus file"):
        train_vectors(out_path=tmp_path / "x", texts=["a"], corpus_path=tmp_path / "c.txt")
    with pytest.raises(ConfigError, match="Unknown vector training algorithm 'glove'"):
        train_vectors(out_path=tmp_path / "x", texts=["a"], algorithm="glove")
    with pytest.raises(ConfigError, match="dim is 0"):
        train_vectors(out_path=tmp_path / "x", texts=["a"], dim=0)
    with pytest.raises(ConfigError, match=r"minn \(7\) is larger than maxn \(6\)"):
        train_vectors(out_path=tmp_path / "x", texts=["a"], minn=7)
    with pytest.raises(DatasetError, match=r"nope\.txt: the corpus file does not exist"):
        train_vectors(out_path=tmp_path / "x", corpus_path=tmp_path / "nope.txt")
    with pytest.raises(TrainingError, match="holds no words to train on"):
        train_vectors(out_path=tmp_path / "x", texts=["!!!", "...", "  "])
    with pytest.raises(TrainingError, match=r"No word occurs at least 1000 times in the texts"):
        train_vectors(out_path=tmp_path / "x", texts=lee_texts[:5], min_count=1000)
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "afile").write_text("not a folder")
    with pytest.raises(TrainingError, match="Training vectors into .*afile failed"):
        train_vectors(out_path=tmp_path / "afile" / "x", texts=lee_texts[:5])


def test_auto_bucket_grows_with_the_vocabulary():
    assert _auto_bucket(["a"], 3, 6) == MIN_BUCKET
    assert _auto_bucket(["a"], 3, 0) == 0
    vocabulary = [f"word{i}" for i in range(20_000)]
    assert MIN_BUCKET < _auto_bucket(vocabulary, 3, 6) <= 2_000_000
