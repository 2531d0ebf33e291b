"""Embedding matrices for each OOV policy, and coverage numbers on a hand-computable example."""

import json

import numpy as np
import pytest

from embedstudio.core.embedding import CoverageReport, build_embedding_matrix, coverage_report
from embedstudio.core.jobs import RecordingReporter
from embedstudio.core.vectors import load_vectors

WORDS = ["the", "cat", "dog", "sat", "mat"]


def write_glove(path, words, matrix):
    path.write_text(
        "\n".join(w + " " + " ".join(f"{x:.6f}" for x in row) for w, row in zip(words, matrix)), encoding="utf-8"
    )
    return path


@pytest.fixture
def small_vectors(tmp_path):
    matrix = np.arange(len(WORDS) * 4, dtype=np.float32).reshape(len(WORDS), 4) / 10 + 1
    return load_vectors(write_glove(tmp_path / "small.txt", WORDS, matrix)), matrix


@pytest.fixture
def wide_vectors(tmp_path):
    """400 words with known statistics: mean 3 per dimension, std 2."""
    rng = np.random.default_rng(5)
    words = [f"w{i}" for i in range(400)]
    matrix = (3 + 2 * rng.standard_normal((400, 16))).astype(np.float32)
    return load_vectors(write_glove(tmp_path / "wide.txt", words, matrix)), matrix


# Keras order: padding, [UNK], then words; "Dog" is found through its lower case, "zebra"/"emu" are OOV.
VOCAB = ["", "[UNK]", "the", "cat", "zebra", "Dog", "emu"]
COUNTS = {"the": 10, "cat": 3, "zebra": 2, "Dog": 1, "emu": 5, "rare": 4}  # "rare": outside the vocabulary


def test_coverage_numbers_by_hand(small_vectors):
    vectors, _ = small_vectors
    report = coverage_report(VOCAB, COUNTS, vectors, top_n=10)
    assert report.vocab_size == 5  # without padding and [UNK]
    assert report.covered == 3  # the, cat, Dog
    assert report.vocab_coverage == pytest.approx(3 / 5)
    assert report.total_tokens == 25  # every counted token, also "rare"
    assert report.covered_tokens == 14  # 10 + 3 + 1
    assert report.token_coverage == pytest.approx(14 / 25)
    assert report.top_oov == [("emu", 5), ("zebra", 2)]
    assert report.vectors_path.endswith("small.txt")
    assert coverage_report(VOCAB, COUNTS, vectors, top_n=1).top_oov == [("emu", 5)]


def test_coverage_report_serialises_and_summarises(small_vectors):
    vectors, _ = small_vectors
    _, _, report = build_embedding_matrix(VOCAB, vectors, counts=COUNTS)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["top_oov"] == [["emu", 5], ["zebra", 2]]
    assert CoverageReport.from_dict(data) == report
    text = report.summary()
    assert "small.txt covers 3 of 5 vocabulary words (60.0%)" in text
    assert "56.0% of the 25 tokens" in text
    assert "emu (5)" in text and "'random' policy" in text


def _check_copied_rows(matrix, mask, vectors_matrix):
    assert matrix.dtype == np.float32 and matrix.shape == (len(VOCAB), 4)
    np.testing.assert_array_equal(matrix[0], 0)  # padding
    np.testing.assert_allclose(matrix[2], vectors_matrix[0], atol=1e-6)  # the
    np.testing.assert_allclose(matrix[3], vectors_matrix[1], atol=1e-6)  # cat
    np.testing.assert_allclose(matrix[5], vectors_matrix[2], atol=1e-6)  # Dog -> dog
    assert mask.tolist() == [False, False, True, True, False, True, False]


def test_zeros_policy(small_vectors):
    vectors, source = small_vectors
    matrix, mask, report = build_embedding_matrix(VOCAB, vectors, policy="zeros")
    _check_copied_rows(matrix, mask, source)
    np.testing.assert_array_equal(matrix[[1, 4, 6]], 0)
    assert report.policy == "zeros"


def test_random_policy_is_scaled_to_the_vectors_and_seeded(wide_vectors, small_vectors):
    vectors, source = small_vectors
    matrix, mask, _ = build_embedding_matrix(VOCAB, vectors, policy="random", seed=3)
    _check_copied_rows(matrix, mask, source)
    assert np.all(np.abs(matrix[[1, 4, 6]]).sum(axis=1) > 0)
    again, _, _ = build_embedding_matrix(VOCAB, vectors, policy="random", seed=3)
    other, _, _ = build_embedding_matrix(VOCAB, vectors, policy="random", seed=4)
    np.testing.assert_array_equal(matrix, again)
    assert not np.allclose(matrix[4], other[4])

    wide, _ = wide_vectors
    vocab = ["", "[UNK]"] + [f"oov{i}" for i in range(2000)]
    matrix, mask, report = build_embedding_matrix(vocab, wide, policy="random")
    assert not mask.any() and report.covered == 0
    rows = matrix[1:]
    assert abs(rows.mean()) < 0.1  # centred at zero
    assert rows.std() == pytest.approx(wide.matrix.std(), rel=0.05)


def test_mean_noise_policy_stays_near_the_mean(wide_vectors):
    wide, source = wide_vectors
    vocab = ["", "[UNK]", "w0", "w1"] + [f"oov{i}" for i in range(500)]
    matrix, mask, _ = build_embedding_matrix(vocab, wide, policy="mean_noise", seed=1)
    np.testing.assert_allclose(matrix[2:4], source[:2], atol=1e-5)
    oov = matrix[4:]
    np.testing.assert_allclose(oov.mean(axis=0), source.mean(axis=0), atol=0.05)
    assert 0.05 < oov.std(axis=0).mean() < 0.5  # small noise: about 0.1 × std (2)
    assert len({tuple(r) for r in oov}) == len(oov)  # rows differ from each other


def test_subwords_policy_uses_fasttext_ngrams(gensim_data):
    vectors = load_vectors(gensim_data("lee_fasttext.bin"))
    assert vectors.has_subwords
    known = vectors.words[10]
    vocab = ["", "[UNK]", known, "governmentalish", "qqqq"]
    matrix, mask, report = build_embedding_matrix(vocab, vectors, policy="subwords")
    np.testing.assert_allclose(matrix[2], vectors.matrix[10], atol=1e-6)
    np.testing.assert_allclose(matrix[3], vectors.vector("governmentalish"), atol=1e-6)
    assert report.covered == 1
    assert report.subword_filled >= 1 and report.policy == "subwords"
    assert mask[2] and mask[3] and not mask[1]
    assert np.isfinite(matrix).all()


def test_subwords_policy_without_subwords_falls_back_to_random(small_vectors):
    vectors, source = small_vectors
    reporter = RecordingReporter()
    matrix, mask, report = build_embedding_matrix(VOCAB, vectors, policy="subwords", reporter=reporter)
    _check_copied_rows(matrix, mask, source)
    assert np.all(np.abs(matrix[[4, 6]]).sum(axis=1) > 0)
    assert report.policy == "random" and report.subword_filled == 0
    assert "no subword information" in reporter.warnings[0]
    assert report.notes == reporter.warnings


def test_unknown_policy_is_rejected(small_vectors):
    with pytest.raises(ValueError, match="OOV policy"):
        build_embedding_matrix(VOCAB, small_vectors[0], policy="magic")
