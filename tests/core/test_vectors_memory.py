"""The compact word list, and what a first open hands over to keep its memory low: the cache entry's mapped
matrix in place of the parsed one, the codes' checksum computed while writing, the heap given back after
the matrix grows. Small generated data; the memory figures themselves are in benchmarks/."""

from __future__ import annotations

import gzip
import pickle

import numpy as np
import pytest

from embedstudio.core.vectors import cache, load_vectors, queries
from embedstudio.core.vectors.cache import VectorCache, wait_for_cache_writes
from embedstudio.core.vectors.text_reader import read_text_vectors
from embedstudio.core.vectors.wordlist import WordList, WordListBuilder
from tests.core.test_fast_vectors import gensim_load, write_vectors

WORD_LISTS = [
    [],
    [""],
    ["", "a", ""],
    ["the", "ünïcödé", "日本", "a b", "\x00nul", "\ud800"],  # a lone surrogate survives (surrogatepass)
    [f"w{i}" for i in range(20_000)],  # more than one decoding run
]


@pytest.mark.parametrize("words", WORD_LISTS)
def test_word_list_behaves_like_the_list_it_holds(words):
    held = WordList.from_words(words)
    assert len(held) == len(words)
    assert held == words and words == held and list(held) == words and held.tolist() == words
    assert [held[i] for i in range(len(words))] == words
    assert held[1:4] == words[1:4] and held[-3:] == words[-3:] and held[::3] == words[::3]
    if words:
        assert held[-1] == words[-1] and words[-1] in held and held.index(words[-1]) == words.index(words[-1])
        with pytest.raises(IndexError):
            held[len(words)]
    assert pickle.loads(pickle.dumps(held)) == words
    assert WordList.from_blob(held.blob, b"\n", len(words)) == held
    assert held != [*words, "extra"] and held != WordList.from_words([*words, "extra"])
    assert held.nbytes == len(held.blob) + held.starts.nbytes


def test_word_list_rejects_words_that_hold_its_separator():
    builder = WordListBuilder()
    with pytest.raises(ValueError):
        builder.extend(["fine", "two\nlines"])
    with pytest.raises(ValueError):
        WordList.from_blob(b"a\nb", b"\n", 3)


def test_the_text_reader_returns_a_compact_word_list_equal_to_gensims(tmp_path):
    words = [f"w{i}" for i in range(3000)] + ["café", "naïve"]
    path = tmp_path / "v.txt"
    write_vectors(path, words, 8)
    result = read_text_vectors(path)
    assert isinstance(result.words, WordList)
    assert result.words == gensim_load(path, no_header=True).index_to_key == words


def test_latin1_words_and_duplicates_still_come_out_right(tmp_path):
    path = tmp_path / "odd.txt"
    path.write_bytes(b"caf\xe9 1 2\nok 3 4\nok 5 6\nend 7 8\n")
    result = read_text_vectors(path)
    assert result.words == ["café", "ok", "end"] and isinstance(result.words, WordList)
    assert result.matrix.tolist() == [[1, 2], [3, 4], [7, 8]] and result.duplicates == 1


def test_a_gzip_stream_of_unknown_size_grows_the_matrix_to_the_same_result(tmp_path):
    words = [f"w{i}" for i in range(70_000)]  # more rows than a stream's first allocation (65536)
    plain = tmp_path / "v.txt"
    write_vectors(plain, words, 3)
    expected = read_text_vectors(plain).matrix  # a plain file's size is known: allocated once
    packed = tmp_path / "v.txt.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes(), compresslevel=1))
    with gzip.open(packed, "rb") as stream:
        result = read_text_vectors(stream)
    assert result.words == words and np.array_equal(result.matrix, expected)


def test_a_first_open_swaps_in_the_entry_s_mapped_matrix_and_still_answers_like_gensim(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDSTUDIO_CACHE_DIR", str(tmp_path / "cache"))
    words = [f"w{i}" for i in range(queries.MIN_COARSE_ROWS + 500)]
    path = tmp_path / "v.txt"
    write_vectors(path, words, 16)
    kv = gensim_load(path, no_header=True)
    parsed = read_text_vectors(path).matrix
    first = load_vectors(path)
    before = [w for w, _ in first.neighbors("w7", 10)]  # asked while the entry may still be being written
    assert wait_for_cache_writes(timeout=60)
    assert isinstance(first.matrix, np.memmap) and first.queries.matrix is first.matrix
    assert not first.matrix.flags.writeable and np.array_equal(first.matrix, parsed)
    assert before == [w for w, _ in first.neighbors("w7", 10)] == [w for w, _ in kv.most_similar("w7", topn=10)]
    again = load_vectors(path)
    assert again.info.from_cache and again.words == first.words == words


def test_a_replaced_entry_is_not_mapped_in_place_of_the_parsed_matrix(tmp_path):
    source = tmp_path / "src.txt"
    source.write_text("a 1 2\n")
    matrix = np.arange(12, dtype=np.float32).reshape(4, 3)
    store = VectorCache(tmp_path / "cache")
    entry = store.store(source, format="glove", limit=None, words=list("abcd"), matrix=matrix, meta={})
    mine = cache._file_identity(entry / "matrix.npy")
    mapped = cache._map_written_matrix(entry / "matrix.npy", mine, matrix.shape)
    assert mapped is not None and np.array_equal(mapped, matrix)
    # Another writer replaces the entry: a new file, so the identity this writer recorded no longer matches.
    store.store(source, format="glove", limit=None, words=list("abcd"), matrix=matrix + 1, meta={})
    assert cache._map_written_matrix(entry / "matrix.npy", mine, matrix.shape) is None
    assert np.array_equal(mapped, matrix)  # the old mapping still reads the old file's bytes


@pytest.mark.parametrize("size", [0, 1, cache._HASH_BLOCK - 1, cache._HASH_BLOCK, 2 * cache._HASH_BLOCK + 5])
def test_the_codes_checksum_fed_in_pieces_equals_the_file_hash(tmp_path, size):
    data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes()
    path = tmp_path / "blob"
    path.write_bytes(b"HEAD" + data)
    digests = cache._BlockDigests()
    for start in range(0, size, 100_003):
        digests.update(data[start : start + 100_003])
    assert digests.hexdigest() == cache._file_hash(path, 4)


def test_an_entry_written_from_a_word_list_round_trips_and_verifies(tmp_path):
    source = tmp_path / "src.txt"
    source.write_text("a 1 2\n")
    words = WordList.from_words([f"w{i}" for i in range(queries.MIN_COARSE_ROWS + 10)] + ["ünï"])
    matrix = np.random.default_rng(1).standard_normal((len(words), 6)).astype(np.float32)
    store = VectorCache(tmp_path / "cache")
    store.store(source, format="glove", limit=None, words=words, matrix=matrix, meta={})
    hit = store.load(source, format="glove", limit=None, verify_matrix=True)
    assert hit is not None
    loaded, mapped, _meta = hit
    assert isinstance(loaded, WordList) and loaded == words and np.array_equal(mapped, matrix)
    assert store.last_query_data is not None and store.last_query_data.word_index.get("ünï") == len(words) - 1
    assert [problem for _item, problem in store.verify()] == [None]


def test_the_warm_up_thread_and_concurrent_queries_do_not_change_any_answer(tmp_path, monkeypatch):
    import threading

    monkeypatch.setenv("EMBEDSTUDIO_CACHE_DIR", str(tmp_path / "cache"))
    words = [f"w{i}" for i in range(queries.MIN_COARSE_ROWS + 700)]
    path = tmp_path / "v.txt"
    write_vectors(path, words, 12, seed=3)
    load_vectors(path)
    assert wait_for_cache_writes(timeout=60)
    reopened = load_vectors(path)
    assert reopened.info.from_cache
    index = reopened.queries
    warm = index.warm_thread
    assert warm is not None and warm.name == "vector-query-warm"  # started by the reopen
    probes = list(range(0, len(words), 97))
    # Asked while the warm-up may still run (it holds the shared buffers then, so these allocate their own) ...
    during = [index.nearest(reopened.matrix[row], 10, {row}) for row in probes[:5]]
    warm.join(60)
    assert not warm.is_alive()
    reference = queries.NeighbourIndex(np.array(reopened.matrix))  # no cache, no warm-up, no coarse copy handed
    expected = [reference.nearest_exact(reopened.matrix[row], 10, {row}) for row in probes]
    assert [[r for r, _ in got] for got in during] == [[r for r, _ in e] for e in expected[:5]]
    # ... and from four threads at once, so that some find the buffers busy and some share them in turn.
    results: dict[int, list] = {}

    def ask(row: int) -> None:
        results[row] = index.nearest(reopened.matrix[row], 10, {row})

    threads = [threading.Thread(target=ask, args=(row,)) for row in probes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [[r for r, _ in results[row]] for row in probes] == [[r for r, _ in e] for e in expected]
    for row, want in zip(probes, expected):
        assert [s for _, s in results[row]] == pytest.approx([s for _, s in want], abs=1e-6)
