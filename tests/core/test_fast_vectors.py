"""Fast vector files (issue 4): the text reader against gensim, the binary cache, and the queries.

gensim is the reference: every equality test parses the same bytes with
``KeyedVectors.load_word2vec_format`` and demands the same words in the same order and
bit-identical float32 values.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import time
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from embedstudio.core.errors import VectorFileError
from embedstudio.core.jobs import Cancelled, CancelToken, RecordingReporter
from embedstudio.core.vectors import cache as cache_module
from embedstudio.core.vectors import text_reader
from embedstudio.core.vectors.cache import VectorCache
from embedstudio.core.vectors.queries import NeighbourIndex, rows_for, word_index
from embedstudio.core.vectors.text_reader import read_text_vectors
from tests.conftest import shared_data

ODD_WORDS = [
    '"',
    "''",
    "``",
    "'s",
    "don't",
    '"quoted"',
    "back\\slash",
    'a"b',
    "#tag",
    "@user",
    "http://x.org/a?b=c",
    "naïve",
    "Ölçü",
    "日本語",
    "русский",
    "😀",
    "€",
    "—",
    "...",
    "(",
    ")",
    "[",
    "{",
    "}",
    "<unk>",
    "</s>",
    "0",
    "1999",
    "3.5",
    "-",
    "--",
    "+",
    "=",
    "a=b",
    "x,y",
    "tab\tinside",
]


def gensim_load(path: Path, **kwargs):
    import gc
    import warnings

    from gensim.models import KeyedVectors

    with warnings.catch_warnings():
        # gensim 4.4's no-header reader leaves a file for the garbage collector; collected here, not
        # at some later moment inside another test.
        warnings.simplefilter("ignore", ResourceWarning)
        kv = KeyedVectors.load_word2vec_format(str(path), **kwargs)
        gc.collect()
    return kv


def assert_same_as_gensim(path: Path, result, **gensim_kwargs) -> None:
    kv = gensim_load(path, **gensim_kwargs)
    # gensim 4.4 skips a duplicate but keeps a None key and a zero row for it (its shrinking step
    # never fires, as len(kv) counts the Nones); compare with its real rows.
    real = [i for i, w in enumerate(kv.index_to_key) if w is not None]
    assert result.words == [kv.index_to_key[i] for i in real]
    assert result.matrix.dtype == np.float32 and result.matrix.flags.c_contiguous
    assert result.matrix.shape == (len(real), kv.vector_size)
    # Bit-identical, not merely equal: -0.0 and NaN payloads count too.
    assert np.array_equal(result.matrix.view(np.uint32), kv.vectors[real].view(np.uint32))


def format_number(value: float, rng: np.random.Generator) -> str:
    style = rng.integers(0, 6)
    if style == 0:
        return f"{value:.5f}"
    if style == 1:
        return f"{value:.6f}"
    if style == 2:
        return repr(float(np.float32(value)))  # what gensim's save_word2vec_format writes
    if style == 3:
        return f"{value:.8g}"  # may use an exponent
    if style == 4:
        return f"{value:.3f}"
    return f"{value * 40:.4f}"  # two integer digits


def write_vectors(
    path: Path,
    words: list[str],
    dim: int,
    *,
    header: bool = False,
    seed: int = 0,
    trailing_space: bool = False,
    newline: str = "\n",
    mixed_formats: bool = False,
    final_newline: bool = True,
) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = rng.standard_normal((len(words), dim)) * 0.5
    lines = []
    if header:
        lines.append(f"{len(words)} {dim}")
    for word, row in zip(words, values):
        numbers = [format_number(v, rng) if mixed_formats else f"{v:.5f}" for v in row]
        lines.append(f"{word} {' '.join(numbers)}" + (" " if trailing_space else ""))
    text = newline.join(lines) + (newline if final_newline else "")
    path.write_bytes(text.encode("utf-8"))
    return values


def plain_words(count: int) -> list[str]:
    return [f"w{i}" for i in range(count)]


# -- equality with gensim ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header, trailing_space, newline",
    [
        (False, False, "\n"),
        (True, False, "\n"),
        (True, True, "\n"),
        (False, True, "\r\n"),
        (True, False, "\r\n"),
    ],
)
def test_generated_files_match_gensim(tmp_path, header, trailing_space, newline):
    path = tmp_path / "vectors.txt"
    write_vectors(
        path,
        ODD_WORDS + plain_words(300),
        7,
        header=header,
        trailing_space=trailing_space,
        newline=newline,
        mixed_formats=True,
    )
    result = read_text_vectors(path)
    assert_same_as_gensim(path, result, no_header=not header)
    assert result.header_count == (len(ODD_WORDS) + 300 if header else None)
    assert result.warnings == [] and result.duplicates == 0


def test_many_small_chunks_match_gensim(tmp_path, monkeypatch):
    """Lines cut across chunk boundaries, and lines longer than a chunk, give the same result."""
    monkeypatch.setattr(text_reader, "CHUNK_BYTES", 97)
    path = tmp_path / "vectors.txt"
    write_vectors(path, ODD_WORDS + plain_words(200), 25, mixed_formats=True, final_newline=False)
    assert_same_as_gensim(path, read_text_vectors(path), no_header=True)


def test_matrix_grows_when_the_size_estimate_is_short(tmp_path, monkeypatch):
    """Long first lines make the rows-per-byte estimate too small; a lying header under-counts."""
    monkeypatch.setattr(text_reader, "CHUNK_BYTES", 300)
    words = ["x" * 200 + str(i) for i in range(20)] + [f"s{i}" for i in range(3000)]
    path = tmp_path / "v.txt"
    write_vectors(path, words, 2)
    assert_same_as_gensim(path, read_text_vectors(path), no_header=True)
    body = b"".join(b"w%d 0.5 -1.25\n" % i for i in range(3000))
    result = read_text_vectors(io.BytesIO(b"3 2\n" + body))  # a stream: no size to bound the header by
    assert len(result.words) == 3000 and result.matrix[2999].tolist() == [0.5, -1.25]
    assert "the header says 3 words, but the file holds 3000" in result.warnings[0]


def test_every_number_shape_matches_gensim(tmp_path):
    """Tokens the vectorised decimal parser handles and every kind it hands to np.fromstring."""
    specials = [
        "0",
        "-0",
        "-0.0",
        "0.0",
        "5.",
        "-5.",
        ".5",
        "-.5",
        "+0.5",
        "1e-05",
        "-1.2e-05",
        "3E+2",
        "12.5",
        "-99.125",
        "123456.5",
        "0.123456789",
        "0.12345678",
        "-0.00000001",
        "9.99999999",
        "nan",
        "inf",
        "-inf",
        "1.0000000000000002",
        "0.30000000000000004",
        "7",
        "0.5",
        "-0.25",
    ]
    rng = np.random.default_rng(5)
    lines = []
    for i in range(400):
        tokens = [f"{v:.5f}" for v in rng.standard_normal(10)]
        tokens[i % 10] = specials[i % len(specials)]
        lines.append(f"t{i} " + " ".join(tokens))
    path = tmp_path / "shapes.txt"
    path.write_text("\n".join(lines) + "\n")
    assert_same_as_gensim(path, read_text_vectors(path), no_header=True)


def test_double_rounding_matches_gensim(tmp_path):
    """gensim parses to float64 and then rounds to float32; a direct float32 parse differs here.

    Each string lies just past the midpoint between two neighbouring float32 values: correctly
    rounded straight to float32 it goes up, but its float64 is the midpoint itself, which then
    rounds to even. Mixed with random 5-decimal and full-precision values.
    """
    rng = np.random.default_rng(11)
    tokens = []
    for value in rng.uniform(-2, 2, 3000).astype(np.float32):
        upper = np.nextafter(value, np.float32(np.inf) if value > 0 else np.float32(-np.inf))
        midpoint = (Decimal(float(value)) + Decimal(float(upper))) / 2
        tokens.append(format(midpoint + (Decimal(float(upper)) - midpoint) * Decimal("1e-12"), ".40g"))
    tokens += [f"{v:.5f}" for v in rng.standard_normal(20000)]
    tokens += [repr(float(v)) for v in rng.standard_normal(6000)]
    rng.shuffle(tokens)
    direct = np.array([float(Decimal(t)) for t in tokens[:50]])  # sanity: the crafted cases are real
    assert direct.size == 50
    dim = 29
    rows = len(tokens) // dim
    path = tmp_path / "rounding.txt"
    path.write_text("".join(f"r{i} {' '.join(tokens[i * dim : (i + 1) * dim])}\n" for i in range(rows)))
    result = read_text_vectors(path)
    assert_same_as_gensim(path, result, no_header=True)
    reference = np.array([float(t) for t in tokens[: rows * dim]]).astype(np.float32).reshape(rows, dim)
    assert np.array_equal(result.matrix.view(np.uint32), reference.view(np.uint32))


def test_gensim_test_files_match(gensim_data):
    for name, no_header in [("test_glove.txt", True), ("lee_fasttext.vec", False)]:
        path = gensim_data(name)
        assert_same_as_gensim(path, read_text_vectors(path), no_header=no_header)


@pytest.mark.shared_data
def test_real_glove_twitter_matches_gensim():
    path = shared_data("vectors/glove.twitter.27B.25d.top12k.txt")
    result = read_text_vectors(path)
    assert_same_as_gensim(path, result, no_header=True)
    assert result.matrix.shape == (11925, 25)


@pytest.mark.shared_data
def test_real_glove_6b_with_latin1_words():
    """Real GloVe 6B holds a few words that are not UTF-8; gensim refuses them, we read them as Latin-1."""
    path = shared_data("vectors/glove.6B.50d.top2446.txt")
    result = read_text_vectors(path)
    kv = gensim_load(path, no_header=True, unicode_errors="surrogateescape")
    expected = [
        w.encode("utf-8", "surrogateescape").decode("latin-1") if any(0xDC80 <= ord(c) <= 0xDCFF for c in w) else w
        for w in kv.index_to_key
    ]
    assert result.words == expected
    assert np.array_equal(result.matrix.view(np.uint32), kv.vectors.view(np.uint32))
    assert result.matrix.shape == (2446, 50)
    assert len(result.warnings) == 1 and "Latin-1" in result.warnings[0] and "lines 218, 785" in result.warnings[0]


def test_gzip_stream_and_bytes_io(tmp_path):
    path = tmp_path / "v.txt"
    write_vectors(path, ODD_WORDS, 4, header=True)
    gz = tmp_path / "v.txt.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    with gzip.open(gz, "rb") as stream:
        from_gzip = read_text_vectors(stream)
    from_bytes = read_text_vectors(io.BytesIO(path.read_bytes()))
    assert_same_as_gensim(path, from_gzip)
    assert from_bytes.words == from_gzip.words and np.array_equal(from_bytes.matrix, from_gzip.matrix)


def test_plain_file_object_reports_its_size(tmp_path):
    path = tmp_path / "v.txt"
    write_vectors(path, plain_words(50), 3)
    reporter = RecordingReporter()
    with open(path, "rb") as fh:
        read_text_vectors(fh, reporter=reporter)
    assert reporter.progress_calls[-1][:2] == (path.stat().st_size, path.stat().st_size)


# -- header, duplicates, limit -------------------------------------------------------------------


def test_header_detection_and_forcing(tmp_path):
    glove = tmp_path / "glove.txt"
    write_vectors(glove, plain_words(5), 2)
    w2v = tmp_path / "w2v.txt"
    write_vectors(w2v, plain_words(5), 2, header=True)
    assert read_text_vectors(glove).header_count is None
    assert read_text_vectors(w2v).header_count == 5
    assert read_text_vectors(w2v, has_header=True).words == plain_words(5)
    with pytest.raises(VectorFileError, match=r"glove\.txt, line 1: expected a header '<word count> <dimension>'"):
        read_text_vectors(glove, has_header=True)
    with pytest.raises(VectorFileError, match=r"w2v\.txt, line 1: expected 2 numbers after the word, found 1"):
        read_text_vectors(w2v, has_header=False)


def test_header_count_disagreeing_with_rows_warns_and_trusts_rows(tmp_path):
    body = "".join(f"w{i} 0.1 0.2\n" for i in range(3))
    more = tmp_path / "more.txt"
    more.write_text("5 2\n" + body)
    fewer = tmp_path / "fewer.txt"
    fewer.write_text("2 2\n" + body)
    reporter = RecordingReporter()
    result = read_text_vectors(more, reporter=reporter)
    assert result.words == ["w0", "w1", "w2"] and result.header_count == 5
    assert reporter.warnings == result.warnings
    assert result.warnings == [
        f"{more}: the header says 5 words, but the file holds 3 vector lines; all 3 lines were read."
    ]
    assert read_text_vectors(fewer).words == ["w0", "w1", "w2"]


def test_header_dimension_disagreeing_with_lines(tmp_path):
    path = tmp_path / "v.txt"
    path.write_text("2 3\na 0.1 0.2 0.3 0.4 0.5\nb 0.1 0.2 0.3 0.4 0.5\n")
    with pytest.raises(VectorFileError, match=r"line 2: the header says 3 numbers per word, but the lines hold 5"):
        read_text_vectors(path)


def test_duplicates_keep_first_like_gensim(tmp_path):
    path = tmp_path / "dup.txt"
    path.write_text("a 1 2\nb 3 4\na 5 6\nc 7 8\nb 9 10\na 11 12\n")
    result = read_text_vectors(path)
    assert_same_as_gensim(path, result, no_header=True)
    assert result.words == ["a", "b", "c"]
    assert result.matrix.tolist() == [[1, 2], [3, 4], [7, 8]]
    assert result.duplicates == 3 and result.duplicate_examples == ["a", "b"]
    assert any("3 duplicate words" in w for w in result.warnings)


def test_limit_counts_lines_like_gensim(tmp_path, monkeypatch):
    monkeypatch.setattr(text_reader, "CHUNK_BYTES", 64)
    path = tmp_path / "v.txt"
    write_vectors(path, plain_words(40), 3, header=True)
    for limit in (1, 7, 40, 100):
        result = read_text_vectors(path, limit=limit)
        assert_same_as_gensim(path, result, limit=limit)
        assert result.warnings == []
    with pytest.raises(ValueError):
        read_text_vectors(path, limit=0)


# -- odd lines -----------------------------------------------------------------------------------


def test_words_with_spaces_are_found_by_column_count(tmp_path):
    path = tmp_path / "840b.txt"
    path.write_text("the 0.1 0.2 0.3\n. . . 0.4 0.5 0.6\nat name@domain.com 0.7 0.8 0.9\nend 1 2 3\n")
    result = read_text_vectors(path)
    assert result.words == ["the", ". . .", "at name@domain.com", "end"]
    assert result.matrix[1].tolist() == pytest.approx([0.4, 0.5, 0.6])
    assert len(result.warnings) == 1
    assert "2 words contain spaces (lines 2, 3)" in result.warnings[0]


def test_dimension_comes_from_most_lines_not_a_spaced_first_word(tmp_path):
    path = tmp_path / "v.txt"
    path.write_text("a b 0.1 0.2\nc 0.3 0.4\nd 0.5 0.6\n")
    result = read_text_vectors(path)
    assert result.words == ["a b", "c", "d"] and result.dim == 2


def test_lenient_whitespace_blank_lines_and_bom(tmp_path):
    path = tmp_path / "v.txt"
    path.write_bytes(b"\xef\xbb\xbfa 0.5  1.5\n\n b\t2.5 3.5 \t\r\n\nc 4.5 5.5")
    result = read_text_vectors(path)
    assert result.words == ["a", "b", "c"]
    assert result.matrix.tolist() == [[0.5, 1.5], [2.5, 3.5], [4.5, 5.5]]


def test_latin1_fallback_warns_with_line_numbers(tmp_path):
    lines = [f"w{i} 1 2" for i in range(12)]
    for i in (2, 4, 5, 7, 8, 9, 10):
        lines[i] = "caf\xe9".encode("latin-1").decode("latin-1") + f"{i} 1 2"
    path = tmp_path / "latin.txt"
    path.write_bytes("\n".join(lines).encode("latin-1"))
    result = read_text_vectors(path)
    assert result.words[2] == "caf\xe92"
    assert result.warnings == [
        f"{path}: 7 words are not valid UTF-8 and were read as Latin-1 (lines 3, 5, 6, 8, 9 and 2 more)."
    ]


# -- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content, message",
    [
        ("a 1 2 3\nb 1 2\nc 1 2 3\n", r"bad\.txt, line 2: expected 3 numbers after the word, found 2\."),
        ("a 1 2 3\nb 1 2 3\n\nc 1 2 x3\n", r"bad\.txt, line 4, column 4: 'x3' is not a number\."),
        ("a 1 2 3\nb 1,5 2 3\n", r"bad\.txt, line 2, column 2: '1,5' is not a number\."),
        ("3 3\na 1 2 3\nb 1 2 3\nc 1 2\n", r"bad\.txt, line 4: expected 3 numbers after the word, found 2\."),
        ("a 1 2 3\nb 1 2 3\nc\n", r"bad\.txt, line 3: expected 3 numbers after the word, found 0\."),
        ("", r"bad\.txt: the file is empty\."),
        ("\n \n\n", r"bad\.txt: the file is empty\."),
        ("400000 100\n", r"bad\.txt: the header says 400000 words of 100 numbers, but no vector lines follow\."),
        ("400000 100\n\n\n", r"bad\.txt: the header says 400000 words of 100 numbers, but no vector lines follow\."),
        ("hello\nworld\n", r"bad\.txt, line 1: expected a word followed by numbers, found 'hello'\."),
    ],
)
def test_error_messages_name_file_and_line(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_text(content)
    with pytest.raises(VectorFileError, match=message):
        read_text_vectors(path)


def test_error_line_numbers_deep_in_a_multi_chunk_file(tmp_path, monkeypatch):
    monkeypatch.setattr(text_reader, "CHUNK_BYTES", 256)
    lines = [f"w{i} 0.1 0.2 0.3" for i in range(500)]
    lines[436] = "w436 0.1 0.2 oops"
    path = tmp_path / "deep.txt"
    path.write_text("500 3\n" + "\n".join(lines) + "\n")
    with pytest.raises(VectorFileError, match=r"deep\.txt, line 438, column 4: 'oops' is not a number"):
        read_text_vectors(path)


def test_missing_file(tmp_path):
    with pytest.raises(VectorFileError, match=r"nothere\.txt: cannot open the vector file"):
        read_text_vectors(tmp_path / "nothere.txt")


# -- progress and cancel -------------------------------------------------------------------------


def test_progress_in_bytes_and_cancel(tmp_path, monkeypatch):
    monkeypatch.setattr(text_reader, "CHUNK_BYTES", 512)
    path = tmp_path / "v.txt"
    write_vectors(path, plain_words(300), 10)
    size = path.stat().st_size
    reporter = RecordingReporter()
    read_text_vectors(path, reporter=reporter)
    done = [call[0] for call in reporter.progress_calls]
    assert done == sorted(done) and done[-1] == size and {call[1] for call in reporter.progress_calls} == {size}

    token = CancelToken()

    class CancelHalfWay(RecordingReporter):
        def progress(self, done, total=None, message=""):
            super().progress(done, total, message)
            if done > size / 2:
                token.cancel()

    halfway = CancelHalfWay()
    with pytest.raises(Cancelled):
        read_text_vectors(path, reporter=halfway, cancel=token)
    assert halfway.progress_calls[-1][0] < size

    cancelled = CancelToken()
    cancelled.cancel()
    with pytest.raises(Cancelled):
        read_text_vectors(path, cancel=cancelled)


# -- cache ---------------------------------------------------------------------------------------


def make_source(tmp_path: Path, name: str = "src.txt", content: str = "a 1 2\n") -> Path:
    path = tmp_path / name
    path.write_text(content)
    return path


def test_cache_round_trip_memory_maps(tmp_path):
    source = make_source(tmp_path)
    cache = VectorCache(tmp_path / "cache")
    assert cache.load(source, format="glove", limit=None) is None
    words = ODD_WORDS + ["", "last"]
    matrix = np.random.default_rng(0).standard_normal((len(words), 5)).astype(np.float32)
    entry = cache.store(
        source, format="glove", limit=None, words=words, matrix=matrix, meta={"header_count": None, "warnings": ["x"]}
    )
    assert entry.parent == cache.root
    loaded_words, loaded, meta = cache.load(source, format="glove", limit=None)
    assert loaded_words == words
    assert isinstance(loaded, np.memmap) and not loaded.flags.writeable
    assert loaded.dtype == np.float32 and np.array_equal(loaded, matrix)
    assert meta == {"header_count": None, "warnings": ["x"]}
    assert cache.load(source, format="glove", limit=10) is None  # another limit is another entry
    assert cache.load(source, format="word2vec-text", limit=None) is None


def test_cache_words_with_newlines_survive(tmp_path):
    source = make_source(tmp_path)
    cache = VectorCache(tmp_path / "cache")
    for words in (["a\nb", "c"], ["a\nb", "c\x00d"], [""], []):
        matrix = np.zeros((len(words), 2), dtype=np.float32)
        cache.store(source, format="f", limit=None, words=words, matrix=matrix, meta={})
        assert cache.load(source, format="f", limit=None)[0] == words


def test_cache_invalidated_by_size_or_mtime_change(tmp_path):
    source = make_source(tmp_path)
    cache = VectorCache(tmp_path / "cache")
    cache.store(source, format="glove", limit=None, words=["a"], matrix=np.ones((1, 2), np.float32), meta={})
    assert cache.load(source, format="glove", limit=None) is not None
    stat = source.stat()
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert cache.load(source, format="glove", limit=None) is None
    assert cache.entry_info(source)[0]["fresh"] is False

    cache.store(source, format="glove", limit=None, words=["a"], matrix=np.ones((1, 2), np.float32), meta={})
    assert cache.entry_info(source)[0]["fresh"] is True
    mtime = source.stat().st_mtime_ns
    source.write_text("a 1 2 3\n")  # same mtime, other size
    os.utime(source, ns=(mtime, mtime))
    assert cache.load(source, format="glove", limit=None) is None
    source.unlink()
    assert cache.load(source, format="glove", limit=None) is None


def test_cache_entry_info_size_and_clear(tmp_path):
    one = make_source(tmp_path, "one.txt")
    two = make_source(tmp_path, "two.txt")
    cache = VectorCache(tmp_path / "cache")
    assert cache.size() == 0 and cache.entry_info(one) == [] and cache.clear() == 0
    before = time.time()
    cache.store(one, format="glove", limit=None, words=["a"], matrix=np.ones((1, 300), np.float32), meta={})
    cache.store(one, format="glove", limit=5, words=["a"], matrix=np.ones((1, 300), np.float32), meta={})
    cache.store(two, format="glove", limit=None, words=["b"], matrix=np.ones((1, 300), np.float32), meta={})
    info = cache.entry_info(one)
    assert len(info) == 2 and {i["limit"] for i in info} == {None, 5}
    for item in info:
        assert item["fresh"] and item["format"] == "glove" and item["words"] == 1 and item["dim"] == 300
        assert item["size"] > 1200 and item["created"] >= before - 1 and item["path"].is_dir()
    total = cache.size()
    assert total == sum(i["size"] for i in info) + cache.entry_info(two)[0]["size"]
    everything = cache.entries()
    assert len(everything) == 3 and {e["source"] for e in everything} == {str(one.resolve()), str(two.resolve())}
    freed = cache.clear(one)
    assert freed == sum(i["size"] for i in info)
    assert cache.entry_info(one) == [] and cache.load(two, format="glove", limit=None) is not None
    assert cache.clear() == total - freed and cache.size() == 0


def test_cache_store_replaces_entry_without_piling_up(tmp_path):
    source = make_source(tmp_path)
    cache = VectorCache(tmp_path / "cache")
    for value in (1, 2, 3):
        cache.store(source, format="glove", limit=None, words=["a"], matrix=np.full((1, 2), value, np.float32), meta={})
    assert len(list(cache.root.iterdir())) == 1
    assert cache.load(source, format="glove", limit=None)[1].tolist() == [[3, 3]]


def test_cache_failed_write_leaves_no_partial_entry(tmp_path, monkeypatch):
    source = make_source(tmp_path)
    cache = VectorCache(tmp_path / "cache")
    cache.store(source, format="glove", limit=None, words=["a"], matrix=np.ones((1, 2), np.float32), meta={"v": 1})

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache_module.os, "fsync", disk_full)
    with pytest.raises(OSError):
        cache.store(source, format="glove", limit=None, words=["b"], matrix=np.zeros((1, 2), np.float32), meta={"v": 2})
    with pytest.raises(OSError):
        cache.store(source, format="glove", limit=7, words=["b"], matrix=np.zeros((1, 2), np.float32), meta={})
    monkeypatch.undo()
    # Only resumable partial entries are left (unlocked), never a temp folder or an entry that looks valid.
    left = [p for p in cache.root.iterdir() if p.name.startswith(".")]
    assert left and all(p.name.startswith(".partial-") and not (p / "lock").exists() for p in left)
    words, matrix, meta = cache.load(source, format="glove", limit=None)
    assert words == ["a"] and meta == {"v": 1}  # the old entry is intact
    assert cache.load(source, format="glove", limit=7) is None
    # The next write finishes the partial entry.
    cache.store(source, format="glove", limit=7, words=["b"], matrix=np.zeros((1, 2), np.float32), meta={})
    assert cache.load(source, format="glove", limit=7)[0] == ["b"]
    assert all(p.name.startswith(".partial-") for p in cache.root.iterdir() if p.name.startswith("."))


def test_cache_write_resumes_after_the_writer_died(tmp_path, monkeypatch):
    """A writer stopped half-way leaves the blocks it fsync'd; the next writer checks and skips them."""
    source = make_source(tmp_path)
    cache = VectorCache(tmp_path / "cache")
    matrix = np.random.default_rng(3).standard_normal((64, 8)).astype(np.float32)  # 32 blocks of 64 bytes
    words = [f"w{i}" for i in range(64)]
    monkeypatch.setattr(cache_module, "_HASH_BLOCK", 64)
    monkeypatch.setattr(cache_module, "_SYNC_BLOCKS", 4)
    real_fsync, calls = cache_module.os.fsync, []

    def dies_at_the_sixth(fd):
        calls.append(fd)
        if len(calls) == 6:
            raise OSError(5, "Input/output error")
        real_fsync(fd)

    monkeypatch.setattr(cache_module.os, "fsync", dies_at_the_sixth)
    with pytest.raises(OSError):
        cache.store(source, format="glove", limit=None, words=words, matrix=matrix, meta={})
    monkeypatch.setattr(cache_module.os, "fsync", real_fsync)
    assert cache.load(source, format="glove", limit=None) is None  # nothing half-written is served
    entry = cache.store(source, format="glove", limit=None, words=words, matrix=matrix, meta={})
    info = json.loads((entry / "meta.json").read_text())
    assert info["resumed_blocks"] > 0
    got_words, got, _ = cache.load(source, format="glove", limit=None, verify_matrix=True)
    assert got_words == words and np.array_equal(got, matrix)
    # A partial entry of a different matrix is not trusted: its blocks are rewritten.
    other = matrix + 1
    entry = cache.store(source, format="glove", limit=None, words=words, matrix=other, meta={})
    assert np.array_equal(cache.load(source, format="glove", limit=None, verify_matrix=True)[1], other)


def test_cache_ignores_corrupt_entries_and_removes_abandoned_temps(tmp_path):
    source = make_source(tmp_path)
    cache = VectorCache(tmp_path / "cache")
    entry = cache.store(source, format="glove", limit=None, words=["a"], matrix=np.ones((1, 2), np.float32), meta={})
    (entry / "matrix.npy").write_bytes(b"")  # truncated by a crash of an old writer
    assert cache.load(source, format="glove", limit=None) is None
    (entry / "meta.json").write_text("{not json")
    assert cache.load(source, format="glove", limit=None) is None and cache.entry_info(source) == []
    abandoned = cache.root / ".tmp-crashed"
    abandoned.mkdir()
    (abandoned / "matrix.npy").write_bytes(b"x" * 100)
    old = time.time() - 2 * 3600
    os.utime(abandoned, (old, old))
    cache.store(source, format="glove", limit=None, words=["a"], matrix=np.ones((1, 2), np.float32), meta={})
    assert not abandoned.exists()
    assert cache.load(source, format="glove", limit=None) is not None


def test_cache_default_root_honours_environment(tmp_path, monkeypatch):
    assert str(VectorCache().root).startswith(os.environ["XDG_CACHE_HOME"])
    assert VectorCache().root.name == "vectors"
    monkeypatch.setenv("EMBEDSTUDIO_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert VectorCache().root == tmp_path / "elsewhere"


def test_cache_meta_is_json_on_disk(tmp_path):
    source = make_source(tmp_path)
    cache = VectorCache(tmp_path / "cache")
    entry = cache.store(
        source, format="glove", limit=3, words=["a"], matrix=np.ones((1, 2), np.float32), meta={"dim": 2}
    )
    info = json.loads((entry / "meta.json").read_text())
    assert info["source"] == str(source.resolve()) and info["format"] == "glove" and info["limit"] == 3
    assert info["source_size"] == source.stat().st_size and info["source_mtime_ns"] == source.stat().st_mtime_ns


def test_reader_result_round_trips_through_cache(tmp_path, gensim_data):
    path = gensim_data("lee_fasttext.vec")
    result = read_text_vectors(path)
    cache = VectorCache(tmp_path / "cache")
    cache.store(
        path,
        format="fasttext-vec",
        limit=None,
        words=result.words,
        matrix=result.matrix,
        meta={"header_count": result.header_count},
    )
    words, matrix, meta = cache.load(path, format="fasttext-vec", limit=None)
    assert words == result.words and np.array_equal(matrix, result.matrix) and meta["header_count"] == 1762


# -- queries -------------------------------------------------------------------------------------


def brute_force_cosines(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    matrix = matrix.astype(np.float64)
    norms = np.linalg.norm(matrix, axis=1) * np.linalg.norm(vector)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norms > 0, matrix @ vector / norms, 0.0)


def test_nearest_matches_brute_force_with_zero_rows():
    rng = np.random.default_rng(3)
    matrix = rng.standard_normal((2000, 16)).astype(np.float32)
    matrix[[5, 17, 1999]] = 0
    index = NeighbourIndex(matrix)
    for row in (0, 42, 1500):
        query = matrix[row] + rng.standard_normal(16).astype(np.float32) * 0.1
        got = index.nearest(query, k=10, exclude={row})
        expected = brute_force_cosines(matrix, query.astype(np.float64))
        expected[row] = -np.inf
        order = np.argsort(-expected, kind="stable")[:10]
        assert [i for i, _ in got] == order.tolist()
        assert [s for _, s in got] == pytest.approx(expected[order].tolist(), abs=1e-5)
    assert all(np.isfinite(s) for _, s in index.nearest(matrix[5], k=2000))  # a zero query: no NaN
    assert index.similarity(5, 0) == 0.0
    assert len(index.nearest(matrix[0], k=5000)) == 2000
    assert len(index.nearest(matrix[0], k=5000, exclude={0, 1, 99999})) == 1998


def test_queries_match_gensim(gensim_data):
    path = gensim_data("lee_fasttext.vec")
    kv = gensim_load(path)
    result = read_text_vectors(path)
    index = NeighbourIndex(result.matrix)
    rows = word_index(result.words)
    for word in ("night", "government", "president"):
        got = index.nearest(result.matrix[rows[word]], k=8, exclude={rows[word]})
        expected = kv.most_similar(word, topn=8)
        assert [result.words[i] for i, _ in got] == [w for w, _ in expected]
        assert [s for _, s in got] == pytest.approx([s for _, s in expected], abs=1e-5)
    got = index.analogy(rows["man"], rows["police"], rows["people"], k=5)
    expected = kv.most_similar(positive=["police", "people"], negative=["man"], topn=5)
    assert [result.words[i] for i, _ in got] == [w for w, _ in expected]
    assert [s for _, s in got] == pytest.approx([s for _, s in expected], abs=1e-5)
    assert index.similarity(rows["night"], rows["day"]) == pytest.approx(float(kv.similarity("night", "day")), abs=1e-6)


def test_queries_on_memory_mapped_cache(tmp_path):
    source = make_source(tmp_path)
    matrix = np.random.default_rng(4).standard_normal((500, 8)).astype(np.float32)
    cache = VectorCache(tmp_path / "cache")
    cache.store(source, format="glove", limit=None, words=[f"w{i}" for i in range(500)], matrix=matrix, meta={})
    _, mapped, _ = cache.load(source, format="glove", limit=None)
    assert NeighbourIndex(mapped).nearest(matrix[7], k=3) == NeighbourIndex(matrix).nearest(matrix[7], k=3)
    assert NeighbourIndex(mapped).nearest(matrix[7], k=1)[0][0] == 7


def test_rows_for_builds_embedding_rows():
    vocabulary = ["the", "a", "cat", "the", "dog"]
    indices, found = rows_for(["dog", "zebra", "the", "cat", ""], vocabulary)
    assert indices.tolist() == [4, -1, 0, 2, -1] and found.tolist() == [True, False, True, True, False]
    index = word_index(vocabulary)
    assert index["the"] == 0
    again, _ = rows_for(["dog"], index)
    assert again.tolist() == [4]
    assert rows_for([], vocabulary)[0].shape == (0,)


def test_first_open_and_cached_reopen_answer_queries_like_gensim(tmp_path, monkeypatch):
    """The vectors come back before the cache is written; the entry then holds the row norms and a word
    index, which a reopen uses (no dict, no norm pass), and every answer matches gensim's most_similar."""
    from embedstudio.core.vectors import load_vectors
    from embedstudio.core.vectors.cache import wait_for_cache_writes
    from embedstudio.core.vectors.queries import WordIndex

    monkeypatch.setenv("EMBEDSTUDIO_CACHE_DIR", str(tmp_path / "cache"))
    rng = np.random.default_rng(11)
    words = ODD_WORDS + plain_words(600)
    path = tmp_path / "v.txt"
    write_vectors(path, words, 12)
    kv = gensim_load(path, no_header=True)
    first = load_vectors(path)
    assert not first.info.from_cache and not first.matrix.flags.writeable  # the cache writer reads it
    assert wait_for_cache_writes(timeout=60)
    assert isinstance(first._index, WordIndex) and first.queries._inverse_norms is not None
    again = load_vectors(path)
    assert again.info.from_cache and isinstance(again._index, WordIndex)
    assert again.queries._inverse_norms is not None
    for vectors in (first, again):
        for word in [words[i] for i in rng.choice(len(words), 12, replace=False)] + ["tab\tinside", "x,y"]:
            assert [w for w, _ in vectors.neighbors(word, 10)] == [w for w, _ in kv.most_similar(word, topn=10)]
            assert vectors.index(word) == kv.key_to_index[word] and word in vectors
        assert vectors.index("not-a-word") is None and "not-a-word" not in vectors
        got = vectors.analogy(words[1], words[2], words[3], 10)
        expected = kv.most_similar(positive=[words[2], words[3]], negative=[words[1]], topn=10)
        assert [w for w, _ in got] == [w for w, _ in expected]


def test_parsing_on_threads_gives_what_one_thread_gives(tmp_path, monkeypatch):
    """Chunks parsed on worker threads are stored in file order: same words, bits, line numbers, warnings."""
    monkeypatch.setattr(text_reader, "CHUNK_BYTES", 211)
    path = tmp_path / "mixed.txt"
    write_vectors(path, ODD_WORDS + plain_words(400), 9, mixed_formats=True)
    with open(path, "ab") as fh:  # irregular lines late in the file: blank, tabs, a word with a space
        fh.write(b"\n\ntabbed\t1 2 3 4 5 6 7 8 9\ntwo words 1 2 3 4 5 6 7 8 9\nw1 9 9 9 9 9 9 9 9 9\n")
    results = {}
    for threads in ("1", "3"):
        monkeypatch.setenv("EMBEDSTUDIO_PARSE_THREADS", threads)
        results[threads] = read_text_vectors(path)
    one, many = results["1"], results["3"]
    assert one.words == many.words and one.warnings == many.warnings and one.duplicates == many.duplicates == 1
    assert np.array_equal(one.matrix.view(np.uint32), many.matrix.view(np.uint32))
    bad = tmp_path / "bad.txt"
    bad.write_bytes(path.read_bytes() + b"oops 1 2 x 4 5 6 7 8 9\n")
    lines = path.read_bytes().count(b"\n") + 1
    with pytest.raises(VectorFileError, match=f"line {lines}, column 4"):
        read_text_vectors(bad)
