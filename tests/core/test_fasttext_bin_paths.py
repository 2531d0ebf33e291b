"""fastText .bin files are read by fastText's own loader (fasttext-wheel); gensim's load_facebook_vectors is
the reference: the same words in the same order, the same vectors for known words and for words the file
does not list (built from character n-grams). The model is trained here with fasttext-wheel on gensim's
real lee_background.cor; gensim's own lee_fasttext.bin predates fastText 0.2's file format, which
fasttext-wheel refuses, so it goes to gensim."""

from __future__ import annotations

import numpy as np
import pytest

from embedstudio.core.jobs import Cancelled, CancelToken, RecordingReporter
from embedstudio.core.vectors import load_vectors
from embedstudio.core.vectors.fasttext_bin import read_fasttext_bin_gensim

OOV = ("nightmarish", "governmentally", "presidentship", "xyzzyq", "Nights", "café")


@pytest.fixture(scope="module")
def trained_bin(tmp_path_factory):
    import fasttext
    from gensim.test.utils import datapath

    path = tmp_path_factory.mktemp("ft") / "lee.bin"
    model = fasttext.train_unsupervised(
        datapath("lee_background.cor"), dim=16, epoch=1, minCount=3, bucket=20_000, thread=1, verbose=0
    )
    model.save_model(str(path))
    return path


def test_fasttext_loader_matches_gensim(trained_bin):
    ours = load_vectors(trained_bin)
    reference = read_fasttext_bin_gensim(trained_bin, None, None, RecordingReporter(), CancelToken())
    assert ours.has_subwords and ours.info.has_subwords
    assert ours.words == reference.words and len(ours) > 1000
    # fastText gives its end-of-line token "</s>" no character n-grams, gensim adds some: fastText's own
    # model is the authority there. Every other row: float32 sums of the same rows in another order.
    eos = ours.words.index("</s>")
    others = np.arange(len(ours)) != eos
    np.testing.assert_allclose(ours.matrix[others], reference.matrix[others], rtol=1e-5, atol=1e-5)
    for word in OOV:
        assert ours.is_oov(word)
        built = ours.vector(word)
        assert built is not None
        np.testing.assert_allclose(built, reference.subword_model.get_vector(word), rtol=1e-5, atol=1e-5)
    assert np.array_equal(ours.vector(ours.words[10]), ours.matrix[10])


def test_fasttext_loader_keeps_the_limit_and_can_be_cancelled(trained_bin):
    limited = load_vectors(trained_bin, limit=50)
    full = load_vectors(trained_bin)
    assert limited.words == full.words[:50] and np.array_equal(limited.matrix, full.matrix[:50])
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(Cancelled):
        load_vectors(trained_bin, cancel=cancel)


def test_files_older_than_fasttext_0_2_go_to_gensim(gensim_data):
    path = gensim_data("lee_fasttext.bin")
    ours = load_vectors(path)
    reference = read_fasttext_bin_gensim(path, None, None, RecordingReporter(), CancelToken())
    assert ours.has_subwords and ours.words == reference.words
    assert np.array_equal(ours.matrix, reference.matrix)
    assert np.allclose(ours.vector("nightmarish"), reference.subword_model.get_vector("nightmarish"))
