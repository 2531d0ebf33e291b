"""WordVectors queries checked against brute-force NumPy, unknown words, and subword vectors."""

from __future__ import annotations

import numpy as np
import pytest

from embedstudio.core.errors import UserError, VectorFileError
from embedstudio.core.vectors import VectorInfo, WordVectors, load_vectors


def _brute_cosines(matrix: np.ndarray, query: np.ndarray) -> np.ndarray:
    m = matrix.astype(np.float64)
    q = query.astype(np.float64)
    norms = np.linalg.norm(m, axis=1)
    return (m @ q) / np.where(norms > 0, norms, 1) / np.linalg.norm(q)


def _unit(v):
    v = v.astype(np.float64)
    return v / np.linalg.norm(v)


@pytest.fixture(scope="module")
def glove(tmp_path_factory):
    from gensim.test.utils import datapath

    return load_vectors(datapath("test_glove.txt"), use_cache=False)


def test_vocabulary_api(glove):
    assert len(glove) == 76 and glove.dim == 50
    assert "the" in glove and "xyzzy" not in glove and 3 not in glove
    assert glove.index("the") == 0 and glove.index("xyzzy") is None
    assert not glove.is_oov("the") and glove.is_oov("xyzzy")
    np.testing.assert_array_equal(glove.vector("the"), glove.matrix[0])
    assert glove.vector("xyzzy") is None and not glove.has_subwords
    assert glove.matrix.dtype == np.float32 and glove.matrix.flags.c_contiguous


def test_neighbors_match_brute_force_and_exclude_the_query(glove):
    for word in ("the", "of", glove.words[-1]):
        i = glove.index(word)
        scores = _brute_cosines(glove.matrix, glove.matrix[i])
        scores[i] = -np.inf
        expected = [glove.words[j] for j in np.argsort(-scores, kind="stable")[:7]]
        got = glove.neighbors(word, k=7)
        assert [w for w, _ in got] == expected
        np.testing.assert_allclose([s for _, s in got], np.sort(scores)[::-1][:7], rtol=1e-5)
        assert word not in [w for w, _ in got]


def test_neighbors_of_a_vector_include_every_word(glove):
    query = glove.vector("the") + glove.vector("of")
    got = glove.neighbors(query, k=3)
    expected = np.argsort(-_brute_cosines(glove.matrix, query))[:3]
    assert [w for w, _ in got] == [glove.words[j] for j in expected]
    with pytest.raises(UserError, match="The query vector has 3 numbers, but test_glove.txt holds vectors of 50"):
        glove.neighbors(np.ones(3))


def test_analogy_is_3cosadd_over_unit_vectors(glove):
    a, b, c = "the", "of", "and"
    target = _unit(glove.vector(b)) - _unit(glove.vector(a)) + _unit(glove.vector(c))
    scores = _brute_cosines(glove.matrix, target)
    for w in (a, b, c):
        scores[glove.index(w)] = -np.inf
    expected = [glove.words[j] for j in np.argsort(-scores, kind="stable")[:5]]
    got = glove.analogy(a, b, c, k=5)
    assert [w for w, _ in got] == expected
    np.testing.assert_allclose([s for _, s in got], np.sort(scores)[::-1][:5], rtol=1e-5)


def test_analogy_agrees_with_gensim(glove):
    from gensim.models import KeyedVectors
    from gensim.test.utils import datapath

    kv = KeyedVectors.load_word2vec_format(datapath("test_glove.txt"), no_header=True)
    theirs = kv.most_similar(positive=["of", "and"], negative=["the"], topn=5)
    ours = glove.analogy("the", "of", "and", k=5)
    assert [w for w, _ in ours] == [w for w, _ in theirs]


def test_similarity(glove):
    expected = float(np.dot(_unit(glove.vector("the")), _unit(glove.vector("of"))))
    assert glove.similarity("the", "of") == pytest.approx(expected, rel=1e-6)
    assert glove.similarity("the", "the") == pytest.approx(1.0, rel=1e-6)


def test_unknown_words_are_user_errors_that_name_the_file(glove):
    for call in (
        lambda: glove.neighbors("xyzzy"),
        lambda: glove.similarity("the", "xyzzy"),
        lambda: glove.analogy("the", "xyzzy", "of"),
    ):
        with pytest.raises(UserError) as err:
            call()
        assert not isinstance(err.value, VectorFileError)
        assert str(err.value).startswith("'xyzzy' is not in test_glove.txt (76 words); ")


def test_unknown_word_with_a_known_case_variant_is_pointed_to():
    words = ["paris", "london"]
    info = VectorInfo(
        path="/x/caps.txt",
        format="glove",
        vocab_size=2,
        dim=2,
        duplicates=0,
        duplicate_examples=[],
        header_count=None,
        has_subwords=False,
        compression=None,
        file_size=0,
    )
    wv = WordVectors(words, np.eye(2, dtype=np.float32), info)
    with pytest.raises(UserError, match="did you mean 'paris'"):
        wv.neighbors("Paris")


def test_zero_vectors_do_not_break_queries():
    info = VectorInfo(
        path="z.txt",
        format="glove",
        vocab_size=3,
        dim=2,
        duplicates=0,
        duplicate_examples=[],
        header_count=None,
        has_subwords=False,
        compression=None,
        file_size=0,
    )
    wv = WordVectors(["a", "b", "zero"], np.array([[1, 0], [1, 1], [0, 0]], dtype=np.float32), info)
    assert wv.neighbors("a", k=2) == [("b", pytest.approx(2**-0.5)), ("zero", 0.0)]
    assert wv.similarity("a", "zero") == 0.0


def test_subword_vectors_for_unknown_words_in_queries(gensim_data):
    wv = load_vectors(gensim_data("lee_fasttext.bin"))
    assert wv.has_subwords
    oov = "governmentalism"
    assert wv.is_oov(oov)
    vec = wv.vector(oov)
    assert vec is not None and vec.shape == (10,) and np.any(vec)
    got = wv.neighbors(oov, k=5)
    expected = np.argsort(-_brute_cosines(wv.matrix, vec))[:5]
    assert [w for w, _ in got] == [wv.words[j] for j in expected]
    # An unknown word in an analogy and a similarity uses the same subword vector.
    target = _unit(wv.vector("government")) - _unit(wv.vector("the")) + _unit(vec)
    scores = _brute_cosines(wv.matrix, target)
    for w in ("the", "government"):
        scores[wv.index(w)] = -np.inf
    assert [w for w, _ in wv.analogy("the", "government", oov, k=3)] == [wv.words[j] for j in np.argsort(-scores)[:3]]
    assert wv.similarity(oov, "government") == pytest.approx(
        float(np.dot(_unit(vec), _unit(wv.vector("government")))), rel=1e-5
    )
