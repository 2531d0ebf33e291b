"""The coarse (int8) query path against the exact float32 scan, its reference: the same top-k rows in the
same order, on generated vectors built to stress it (clusters of near-duplicates, zero rows, excluded rows),
through the vector cache (a first open and a memory-mapped reopen) and against gensim's most_similar."""

from __future__ import annotations

import numpy as np
import pytest

from embedstudio.core.vectors import queries
from embedstudio.core.vectors.cache import VectorCache, wait_for_cache_writes
from embedstudio.core.vectors.queries import NeighbourIndex, compute_query_arrays
from tests.core.test_fast_vectors import gensim_load, write_vectors


def clustered_matrix(rows: int, dim: int, seed: int) -> np.ndarray:
    """Gaussian rows, plus a tight cluster: 600 near-copies of one row, more than the candidates a scan keeps
    and all within the int8 rounding error of each other (so the bound step must find the rest), and zero
    rows. (Copies that differ only in scale would tie exactly, and ties may come in any order.)"""
    rng = np.random.default_rng(seed)
    matrix = rng.standard_normal((rows, dim)).astype(np.float32)
    matrix[100:700] = matrix[99] + rng.standard_normal((600, dim)).astype(np.float32) * 1e-2
    matrix[[5, 17, rows - 1]] = 0
    return matrix


def rows_of(result):
    return [row for row, _ in result]


def assert_same_up_to_ties(index: NeighbourIndex, fast, exact, query) -> None:
    """Same cosines in the same places, and wherever the rows differ, the full scan gives them the very same
    float32 cosine (near-copies tie exactly, and the exact scan orders ties arbitrarily)."""
    assert [s for _, s in fast] == pytest.approx([s for _, s in exact], abs=1e-6)
    cosines = index.cosines(query)
    for (a, _), (b, _) in zip(fast, exact):
        assert a == b or cosines[a] == cosines[b]


@pytest.mark.parametrize("dim", [25, 100, 300])
def test_coarse_path_gives_the_exact_top_10_on_generated_vectors(dim):
    """Gaussian rows: no ties, so the rows must be identical, in the same order."""
    matrix = np.random.default_rng(dim).standard_normal((queries.MIN_COARSE_ROWS * 3, dim)).astype(np.float32)
    index = NeighbourIndex(matrix)
    assert index.coarse is not None
    for row in np.random.default_rng(0).integers(0, len(matrix), 40).tolist():
        fast, exact = index.nearest(matrix[row], 10, {row}), index.nearest_exact(matrix[row], 10, {row})
        assert rows_of(fast) == rows_of(exact)
        assert [s for _, s in fast] == pytest.approx([s for _, s in exact], abs=1e-6)
    a, b, c = 1, 2, 3
    target = index.unit(b) - index.unit(a) + index.unit(c)
    assert index.analogy(a, b, c, 10) == index.nearest(target, 10, {a, b, c})
    assert rows_of(index.analogy(a, b, c, 10)) == rows_of(index.nearest_exact(target, 10, {a, b, c}))


@pytest.mark.parametrize("dim", [7, 50, 128])
def test_coarse_path_gives_the_exact_top_k_in_a_tight_cluster(dim):
    matrix = clustered_matrix(12_000, dim, seed=dim)
    index = NeighbourIndex(matrix)
    assert index.coarse is not None and index.coarse.codes.dtype == np.int8
    rng = np.random.default_rng(1)
    probes = [0, 99, 150, 699, 5000, 11_998] + rng.integers(0, len(matrix), 20).tolist()
    for row in probes:
        for k, exclude in ((10, {row}), (1, set()), (50, {row, 99, 100, 101})):
            fast = index.nearest(matrix[row], k, exclude)
            exact = index.nearest_exact(matrix[row], k, exclude)
            assert not set(rows_of(fast)) & exclude
            assert_same_up_to_ties(index, fast, exact, matrix[row])
    random_query = rng.standard_normal(dim).astype(np.float32)
    assert_same_up_to_ties(index, index.nearest(random_query, 25), index.nearest_exact(random_query, 25), random_query)


def test_coarse_path_edge_cases():
    matrix = clustered_matrix(5000, 16, seed=3)
    index = NeighbourIndex(matrix)
    zero = np.zeros(16, dtype=np.float32)
    assert [s for _, s in index.nearest(zero, 5)] == [0.0] * 5  # every cosine is 0 (ties: any 5 rows)
    assert len(index.nearest(matrix[0], k=6000)) == 5000
    assert len(index.nearest(matrix[0], k=6000, exclude={0, 1, 99_999})) == 4998
    assert index.nearest(matrix[0], k=0) == []
    assert NeighbourIndex(matrix[:100]).coarse is None  # small matrices: the exact scan alone


def test_coarse_copy_bounds_every_cosine():
    """The stored error of a row bounds how far its coarse cosine is from the exact one, for any unit query."""
    matrix = clustered_matrix(6000, 40, seed=5)
    inverse, coarse = compute_query_arrays(matrix)
    rng = np.random.default_rng(2)
    unit = matrix.astype(np.float64) * inverse[:, None]
    for _ in range(5):
        query = rng.standard_normal(40)
        query /= np.linalg.norm(query)
        approx = coarse.codes.astype(np.float64) @ query * coarse.scales
        assert (np.abs(approx - unit @ query) <= coarse.errors).all()


def test_cache_hands_over_the_coarse_copy_and_answers_like_gensim(tmp_path, monkeypatch):
    from embedstudio.core.vectors import load_vectors

    monkeypatch.setenv("EMBEDSTUDIO_CACHE_DIR", str(tmp_path / "cache"))
    words = [f"w{i}" for i in range(queries.MIN_COARSE_ROWS + 900)]
    path = tmp_path / "v.txt"
    write_vectors(path, words, 24)
    kv = gensim_load(path, no_header=True)
    first = load_vectors(path)
    assert wait_for_cache_writes(timeout=60)
    assert first.queries._coarse is not None and not first.queries.coarse_expected
    again = load_vectors(path)
    assert again.info.from_cache
    assert isinstance(again.queries._coarse.codes, np.memmap)  # the reopen maps it, no copy and no pass
    rng = np.random.default_rng(4)
    for vectors in (first, again):
        for word in [words[i] for i in rng.choice(len(words), 15, replace=False)]:
            assert [w for w, _ in vectors.neighbors(word, 10)] == [w for w, _ in kv.most_similar(word, topn=10)]
        got = vectors.analogy("w1", "w2", "w3", 10)
        expected = kv.most_similar(positive=["w2", "w3"], negative=["w1"], topn=10)
        assert [w for w, _ in got] == [w for w, _ in expected]
        assert [s for _, s in got] == pytest.approx([s for _, s in expected], abs=1e-5)


def test_a_damaged_coarse_copy_is_a_miss(tmp_path):
    source = tmp_path / "src.txt"
    source.write_text("a 1 2\n")
    matrix = np.random.default_rng(0).standard_normal((5000, 4)).astype(np.float32)
    cache = VectorCache(tmp_path / "cache")
    entry = cache.store(
        source, format="glove", limit=None, words=[f"w{i}" for i in range(5000)], matrix=matrix, meta={}
    )
    assert cache.load(source, format="glove", limit=None) is not None
    codes = entry / "coarse_codes.npy"
    data = bytearray(codes.read_bytes())
    data[-3] ^= 0x55
    codes.write_bytes(bytes(data))
    assert cache.load(source, format="glove", limit=None, verify_matrix=True) is None
    assert "coarse copy" in cache.last_problem


def test_store_in_background_reports_completion(tmp_path):
    source = tmp_path / "src.txt"
    source.write_text("a 1 2\n")
    cache = VectorCache(tmp_path / "cache")
    finished = []
    write = cache.store_in_background(
        source,
        format="glove",
        limit=None,
        words=["a", "b"],
        matrix=np.ones((2, 3), dtype=np.float32),
        meta={},
        on_done=finished.append,
    )
    assert write.finished.wait(60)
    assert write.wait(60)
    assert finished == [write] and write.entry is not None and write.error is None
    failing = cache.store_in_background(
        tmp_path / "missing.txt",
        format="glove",
        limit=None,
        words=["a"],
        matrix=np.ones((1, 3), dtype=np.float32),
        meta={},
        on_done=finished.append,
    )
    assert failing.wait(60)
    assert finished == [write, failing] and failing.error is not None
