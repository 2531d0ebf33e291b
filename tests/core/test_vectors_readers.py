"""load_vectors on every format: equal to gensim's own parse, compressed, limited, cached, and every bad input."""

from __future__ import annotations

import bz2
import gzip
import lzma
import zipfile

import numpy as np
import pytest

from embedstudio.core.errors import ConfigError, VectorFileError
from embedstudio.core.jobs import RecordingReporter
from embedstudio.core.vectors import VectorInfo, WordVectors, inspect_vectors, load_vectors
from tests.conftest import shared_data

RNG = np.random.default_rng(7)
WORDS = ["the", "cat", "sat", "on", "mat", "naïve", "über", "日本"]
MATRIX = RNG.standard_normal((len(WORDS), 6)).astype(np.float32)


# ---- writers for tiny files ----------------------------------------------------------------
def text_vectors(words=WORDS, matrix=MATRIX, header=False) -> bytes:
    lines = [f"{len(words)} {matrix.shape[1]}\n"] if header else []
    lines += [w + " " + " ".join(repr(float(x)) for x in row) + "\n" for w, row in zip(words, matrix)]
    return "".join(lines).encode("utf-8")


def binary_vectors(words=WORDS, matrix=MATRIX, count=None) -> bytes:
    header = f"{len(words) if count is None else count} {matrix.shape[1]}\n".encode()
    return header + b"".join(
        w.encode("utf-8") + b" " + row.astype("<f4").tobytes() + b"\n" for w, row in zip(words, matrix)
    )


def gensim_parse(path, **kwargs):
    from gensim.models import KeyedVectors

    return KeyedVectors.load_word2vec_format(str(path), **kwargs)


def assert_same_as_gensim(wv: WordVectors, kv):
    assert wv.words == list(kv.index_to_key)
    assert wv.matrix.dtype == np.float32 and wv.matrix.flags.c_contiguous
    np.testing.assert_array_equal(wv.matrix, kv.vectors)


@pytest.fixture(scope="module")
def fasttext_bin(tmp_path_factory):
    """A real unsupervised fastText model (subwords on) trained by fasttext-wheel on gensim's Lee corpus."""
    import fasttext
    from gensim.test.utils import datapath

    folder = tmp_path_factory.mktemp("ft")
    model = fasttext.train_unsupervised(
        datapath("lee_background.cor"),
        model="skipgram",
        dim=8,
        epoch=2,
        minCount=3,
        bucket=10000,
        thread=1,
        verbose=0,
        minn=3,
        maxn=5,
    )
    path = folder / "lee.bin"
    model.save_model(str(path))
    return path, model


# ---- every format equals gensim --------------------------------------------------------------
def test_glove_text_equals_gensim(tmp_path):
    path = tmp_path / "g.txt"
    path.write_bytes(text_vectors())
    wv = load_vectors(path, use_cache=False)
    assert_same_as_gensim(wv, gensim_parse(path, no_header=True))
    info = wv.info
    assert (info.format, info.vocab_size, info.dim, info.header_count, info.has_subwords) == (
        "glove",
        8,
        6,
        None,
        False,
    )
    assert info.path == str(path.resolve()) and info.file_size == path.stat().st_size
    assert info.compression is None and info.warnings == [] and not info.from_cache


def test_word2vec_text_and_binary_equal_gensim(tmp_path):
    text, binary = tmp_path / "w.vec", tmp_path / "w.bin"
    text.write_bytes(text_vectors(header=True))
    binary.write_bytes(binary_vectors())
    wv_text = load_vectors(text, use_cache=False)
    wv_bin = load_vectors(binary, use_cache=False)
    assert_same_as_gensim(wv_text, gensim_parse(text))
    assert_same_as_gensim(wv_bin, gensim_parse(binary, binary=True))
    assert wv_text.info.header_count == wv_bin.info.header_count == 8
    assert wv_bin.info.format == "word2vec_binary" and wv_text.info.format == "word2vec_text"


def test_binary_without_newlines_between_records(tmp_path, gensim_data):
    # euclidean_vectors.bin is written that way; gensim strips a newline before a word, we do too.
    path = tmp_path / "nonl.bin"
    path.write_bytes(b"3 6\n" + b"".join(w.encode() + b" " + r.tobytes() for w, r in zip(WORDS[:3], MATRIX[:3])))
    assert_same_as_gensim(load_vectors(path, use_cache=False), gensim_parse(path, binary=True))


def test_fasttext_bin_has_subwords_and_matches_fasttext_itself(fasttext_bin):
    path, model = fasttext_bin
    wv = load_vectors(path)
    assert wv.info.format == "fasttext_bin" and wv.has_subwords and wv.info.has_subwords
    assert wv.words == model.get_words()
    # Same vectors as fastText's own get_word_vector. gensim builds '</s>' from n-grams too, fastText
    # does not; the token never survives Keras' punctuation stripping, so it does not matter here.
    words = [w for w in wv.words if w != "</s>"]
    ours = np.vstack([wv.vector(w) for w in words])
    theirs = np.vstack([model.get_word_vector(w) for w in words])
    np.testing.assert_allclose(ours, theirs, atol=1e-6)
    # Unknown words get vectors from their n-grams, equal to fastText's.
    for oov in ("governmentalities", "xyzzyplugh"):
        assert wv.is_oov(oov) and oov not in wv
        v = wv.vector(oov)
        w = model.get_word_vector(oov)
        assert float(np.dot(v, w) / np.linalg.norm(v) / np.linalg.norm(w)) > 0.99999


def test_gensim_native_files_load_memory_mapped_with_subwords_where_present(tmp_path):
    from gensim.models import FastText, KeyedVectors, Word2Vec

    kv = KeyedVectors(vector_size=6)
    kv.add_vectors(WORDS, MATRIX)
    kv.save(str(tmp_path / "plain.kv"), separately=["vectors"])
    wv = load_vectors(tmp_path / "plain.kv", trust_pickle=True)
    assert wv.info.format == "gensim" and wv.words == WORDS and not wv.has_subwords
    assert isinstance(wv.matrix, np.memmap)
    np.testing.assert_array_equal(wv.matrix, MATRIX)

    sentences = [["the", "cat", "sat", "on", "the", "mat"]] * 20
    w2v = Word2Vec(sentences, vector_size=5, min_count=1, epochs=1, seed=1, workers=1)
    w2v.save(str(tmp_path / "w2v.model"))
    wv = load_vectors(tmp_path / "w2v.model", trust_pickle=True)
    assert wv.words == list(w2v.wv.index_to_key)
    np.testing.assert_array_equal(wv.matrix, w2v.wv.vectors)

    ft = FastText(sentences, vector_size=5, min_count=1, epochs=1, bucket=1000, seed=1, workers=1)
    ft.save(str(tmp_path / "ft.model"))
    wv = load_vectors(tmp_path / "ft.model", trust_pickle=True)
    assert wv.has_subwords and wv.is_oov("cats")
    np.testing.assert_allclose(wv.vector("cats"), ft.wv.get_vector("cats"), rtol=1e-6)


# ---- compression ---------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["gzip", "bz2", "xz", "zip"])
def test_compressed_text_and_binary_read_transparently(tmp_path, kind):
    for name, data, fmt in (("v.txt", text_vectors(), "glove"), ("v.bin", binary_vectors(), "word2vec_binary")):
        path = tmp_path / f"{name}.{kind}"
        if kind == "zip":
            with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                zf.writestr(name, data)
        else:
            path.write_bytes({"gzip": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}[kind](data))
        reporter = RecordingReporter()
        wv = load_vectors(path, reporter=reporter)
        assert wv.info.format == fmt and wv.info.compression == kind
        assert wv.words == WORDS
        np.testing.assert_array_equal(wv.matrix, MATRIX)
        # Progress is measured on the compressed file, so it has a real total.
        assert reporter.progress_calls and all(
            total == path.stat().st_size for _, total, _ in reporter.progress_calls if total is not None
        )


@pytest.mark.parametrize("suffix", [".bin.gz", ".bin.zip"])
def test_compressed_fasttext_bin(tmp_path, fasttext_bin, suffix):
    path, _ = fasttext_bin
    target = tmp_path / f"lee{suffix}"
    if suffix.endswith(".zip"):
        with zipfile.ZipFile(target, "w") as zf:
            zf.write(path, "lee.bin")
    else:
        target.write_bytes(gzip.compress(path.read_bytes()))
    wv = load_vectors(target)
    plain = load_vectors(path)
    assert wv.has_subwords and wv.words == plain.words
    np.testing.assert_array_equal(wv.matrix, plain.matrix)
    np.testing.assert_allclose(wv.vector("unseenword"), plain.vector("unseenword"))


# ---- limit and duplicates --------------------------------------------------------------------
def test_limit_keeps_the_first_words_in_every_format(tmp_path, fasttext_bin):
    (tmp_path / "g.txt").write_bytes(text_vectors())
    (tmp_path / "w.bin").write_bytes(binary_vectors())
    for name in ("g.txt", "w.bin"):
        wv = load_vectors(tmp_path / name, limit=3)
        assert wv.words == WORDS[:3] and wv.matrix.shape == (3, 6)
        np.testing.assert_array_equal(wv.matrix, MATRIX[:3])
    ft = load_vectors(fasttext_bin[0], limit=5)
    assert len(ft) == 5 and ft.words == load_vectors(fasttext_bin[0]).words[:5]
    with pytest.raises(ConfigError, match="give a positive number of words"):
        load_vectors(tmp_path / "g.txt", limit=0)


def test_duplicates_keep_the_first_vector_count_and_warn(tmp_path):
    words = ["a", "b", "a", "c", "b", "a"]
    matrix = RNG.standard_normal((6, 3)).astype(np.float32)
    for name, data in (("d.txt", text_vectors(words, matrix)), ("d.bin", binary_vectors(words, matrix))):
        (tmp_path / name).write_bytes(data)
        reporter = RecordingReporter()
        wv = load_vectors(tmp_path / name, reporter=reporter)
        assert wv.words == ["a", "b", "c"]
        np.testing.assert_array_equal(wv.matrix, matrix[[0, 1, 3]])
        assert wv.info.duplicates == 3 and wv.info.duplicate_examples == ["a", "b"]
        warning = [w for w in wv.info.warnings if "duplicate" in w]
        assert warning and f"{name}" in warning[0] and "3 duplicate words" in warning[0]
        assert warning[0] in reporter.warnings


# ---- warnings ------------------------------------------------------------------------------
def test_header_count_disagreeing_with_rows_trusts_the_rows(tmp_path):
    text = tmp_path / "h.vec"
    text.write_bytes(text_vectors(header=True).replace(b"8 6\n", b"12 6\n", 1))
    reporter = RecordingReporter()
    wv = load_vectors(text, reporter=reporter)
    assert len(wv) == 8 and wv.info.header_count == 12
    assert any("header says 12 words" in w and "8" in w for w in wv.info.warnings)
    assert set(wv.info.warnings) <= set(reporter.warnings)

    binary = tmp_path / "h.bin"
    binary.write_bytes(binary_vectors(count=5))
    reporter = RecordingReporter()
    wv = load_vectors(binary, reporter=reporter)
    assert wv.words == WORDS and wv.info.header_count == 5
    assert "h.bin: the header says 5 words, but the file holds 8; all 8 were read." in wv.info.warnings
    assert wv.info.warnings[0] in reporter.warnings


def test_undecodable_words_fall_back_to_latin1_and_name_where(tmp_path):
    matrix = MATRIX[:3]
    text = tmp_path / "l.txt"
    text.write_bytes(
        b"ok "
        + b" ".join(b"%r" % float(x) for x in matrix[0])
        + b"\n"
        + b"caf\xe9 "
        + b" ".join(b"%r" % float(x) for x in matrix[1])
        + b"\n"
    )
    wv = load_vectors(text)
    assert wv.words == ["ok", "café"]
    assert any("line 2" in w and "Latin-1" in w for w in wv.info.warnings)

    binary = tmp_path / "l.bin"
    binary.write_bytes(b"2 6\nok " + matrix[0].tobytes() + b"\ncaf\xe9 " + matrix[1].tobytes() + b"\n")
    reporter = RecordingReporter()
    wv = load_vectors(binary, reporter=reporter)
    assert wv.words == ["ok", "café"]
    assert "l.bin: 1 words are not valid UTF-8 and were read as Latin-1 (word 2)." in reporter.warnings


def test_non_finite_vectors_are_warned_about(tmp_path):
    matrix = MATRIX.copy()
    matrix[2, 1] = np.nan
    (tmp_path / "n.bin").write_bytes(binary_vectors(matrix=matrix))
    wv = load_vectors(tmp_path / "n.bin")
    assert any("1 vectors contain NaN or infinite numbers (for example 'sat')" in w for w in wv.info.warnings)


def test_forcing_a_format_that_disagrees_with_the_content_warns(tmp_path):
    (tmp_path / "g.vec").write_bytes(text_vectors(header=True))
    reporter = RecordingReporter()
    with pytest.raises(VectorFileError):
        load_vectors(tmp_path / "g.vec", format="glove", reporter=reporter)
    assert any("you chose GloVe text" in w and "looks like word2vec text" in w for w in reporter.warnings)
    # Text read as binary "works" and yields garbage: the note says why; it is reported once, cached or not.
    for expected_cache in (False, True):
        reporter = RecordingReporter()
        wv = load_vectors(tmp_path / "g.vec", format="word2vec_binary", reporter=reporter)
        assert wv.info.from_cache is expected_cache
        notes = [w for w in reporter.warnings if "you chose word2vec binary" in w]
        assert len(notes) == 1 and notes[0] in wv.info.warnings


# ---- errors --------------------------------------------------------------------------------
def test_wrong_number_of_values_names_the_line_and_counts(tmp_path):
    lines = text_vectors().decode().splitlines(keepends=True)
    lines[3] = "on 0.1 0.2 0.3\n"
    (tmp_path / "bad.txt").write_text("".join(lines), encoding="utf-8")
    with pytest.raises(VectorFileError) as err:
        load_vectors(tmp_path / "bad.txt")
    assert "bad.txt, line 4: expected 6 numbers after the word, found 3" in str(err.value)


def test_non_numeric_value_names_line_column_and_token(tmp_path):
    lines = text_vectors(header=True).decode().splitlines(keepends=True)
    fields = lines[3].split()
    fields[3] = "0.1x"
    lines[3] = " ".join(fields) + "\n"
    (tmp_path / "bad.vec").write_text("".join(lines), encoding="utf-8")
    with pytest.raises(VectorFileError) as err:
        load_vectors(tmp_path / "bad.vec")
    assert "bad.vec, line 4, column 4: '0.1x' is not a number" in str(err.value)


def test_truncated_word2vec_binary_says_where_and_what_to_do(tmp_path):
    data = binary_vectors()
    record = len(b"the") + 1 + 4 * 6 + 1
    header = len(b"8 6\n")
    # Cut inside the fourth vector: three whole words remain.
    cut = tmp_path / "cut.bin"
    cut.write_bytes(data[: header + 3 * record + (3 + 1 + 10)])
    with pytest.raises(VectorFileError) as err:
        load_vectors(cut)
    message = str(err.value)
    assert message.startswith("cut.bin is truncated: the data ends at byte 105 inside word 4 of the 8 the header")
    assert "bytes" in message and message.endswith("the file is incomplete, download it again.")
    # Cut exactly between records: still incomplete against the header's count.
    (tmp_path / "cut2.bin").write_bytes(data[: header + 2 * record])
    with pytest.raises(
        VectorFileError,
        match=r"cut2\.bin: the header says 8 words, but the data ends at byte 62, "
        r"right after word 2: the file is truncated, or its header's count",
    ):
        load_vectors(tmp_path / "cut2.bin")


def test_truncated_real_word2vec_binary(tmp_path, gensim_data):
    data = gensim_data("euclidean_vectors.bin").read_bytes()
    path = tmp_path / "euclidean_vectors.bin"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(VectorFileError) as err:
        load_vectors(path)
    assert "euclidean_vectors.bin is truncated: the data ends at byte 65,265 inside word 1,386 of the 2,747" in str(
        err.value
    )


def test_truncated_fasttext_bin_is_caught_before_fasttext_reads_garbage(tmp_path, gensim_data, fasttext_bin):
    for source in (fasttext_bin[0], gensim_data("pang_lee_polarity_fasttext.bin")):
        data = source.read_bytes()
        path = tmp_path / f"cut-{source.name}"
        path.write_bytes(data[: int(len(data) * 0.6)])
        with pytest.raises(VectorFileError) as err:
            load_vectors(path)
        assert f"cut-{source.name} is truncated: its input matrix" in str(err.value)
        assert "download it again" in str(err.value)


def test_empty_unknown_missing_and_multi_member_zip(tmp_path):
    (tmp_path / "empty.vec").write_bytes(b"")
    with pytest.raises(VectorFileError, match=r"empty\.vec: the file is empty"):
        load_vectors(tmp_path / "empty.vec")
    (tmp_path / "notes.txt").write_text("some words here\nand more words\n")
    with pytest.raises(VectorFileError, match=r"notes\.txt is not a vector file EmbedStudio knows"):
        load_vectors(tmp_path / "notes.txt")
    with pytest.raises(VectorFileError, match=r"missing\.bin: the vector file does not exist"):
        load_vectors(tmp_path / "missing.bin")
    with zipfile.ZipFile(tmp_path / "two.zip", "w") as zf:
        zf.writestr("a.txt", text_vectors())
        zf.writestr("b.txt", text_vectors())
    with pytest.raises(VectorFileError, match=r"two\.zip: the zip archive holds 2 files \(a\.txt, b\.txt\)"):
        load_vectors(tmp_path / "two.zip")


def test_header_only_and_gensim_files_that_are_not_vectors(tmp_path):
    (tmp_path / "head.bin").write_bytes(b"0 6\n")
    with pytest.raises(VectorFileError, match=r"head\.bin, line 1: the header says the file holds 0 words"):
        load_vectors(tmp_path / "head.bin")
    from gensim.corpora import Dictionary

    Dictionary([["a", "b"]]).save(str(tmp_path / "dict.model"))
    with pytest.raises(VectorFileError, match=r"dict\.model: this gensim file holds a Dictionary, not word vectors"):
        load_vectors(tmp_path / "dict.model", trust_pickle=True)


def test_old_gensim_model_gets_a_readable_error(gensim_data):
    with pytest.raises(VectorFileError) as err:
        load_vectors(gensim_data("w2v-lee-v0.12.0"), trust_pickle=True)
    assert "w2v-lee-v0.12.0: could not read it as a gensim model" in str(err.value)
    assert "old gensim version" in str(err.value)


# ---- cache ---------------------------------------------------------------------------------
def test_second_load_comes_from_the_cache_with_the_same_content_and_warnings(tmp_path):
    words = ["a", "b", "a"]
    matrix = RNG.standard_normal((3, 4)).astype(np.float32)
    path = tmp_path / "c.txt"
    path.write_bytes(text_vectors(words, matrix))
    first = load_vectors(path)
    assert not first.info.from_cache
    reporter = RecordingReporter()
    second = load_vectors(path, reporter=reporter)
    assert second.info.from_cache
    assert second.words == first.words
    np.testing.assert_array_equal(second.matrix, first.matrix)
    assert second.info.duplicates == 1 and second.info.warnings == first.info.warnings
    assert first.info.warnings[0] in reporter.warnings  # warnings are repeated for a cached file
    assert not load_vectors(path, use_cache=False).info.from_cache
    assert not load_vectors(path, limit=2).info.from_cache  # the limit is part of the cache key
    assert inspect_vectors(path, limit=2).from_cache


# ---- real files ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, fmt, shape, gensim_kwargs",
    [
        ("euclidean_vectors.bin", "word2vec_binary", (2747, 10), {"binary": True}),
        ("lee_fasttext.vec", "word2vec_text", (1762, 10), {}),
        ("test_glove.txt", "glove", (76, 50), {"no_header": True}),
    ],
)
def test_gensim_test_data_equals_gensim(gensim_data, name, fmt, shape, gensim_kwargs):
    path = gensim_data(name)
    wv = load_vectors(path, use_cache=False)
    assert (wv.info.format, len(wv), wv.dim) == (fmt, *shape)
    assert_same_as_gensim(wv, gensim_parse(path, **gensim_kwargs))


def test_real_fasttext_bins(gensim_data):
    from gensim.models.fasttext import load_facebook_vectors

    path = gensim_data("lee_fasttext.bin")
    wv = load_vectors(path)
    kv = load_facebook_vectors(str(path))
    assert (wv.info.format, len(wv), wv.dim, wv.has_subwords) == ("fasttext_bin", 1762, 10, True)
    assert_same_as_gensim(wv, kv)
    # The .vec written by the same fastText run agrees to its printed precision.
    vec = load_vectors(gensim_data("lee_fasttext.vec"))
    assert vec.words == wv.words
    np.testing.assert_allclose(vec.matrix, wv.matrix, atol=1e-4)


def test_real_supervised_fasttext_bin_which_gensim_refuses(gensim_data):
    from fasttext.FastText import _FastText

    path = gensim_data("pang_lee_polarity_fasttext.bin")
    wv = load_vectors(path)
    assert (wv.info.format, len(wv), wv.dim, wv.has_subwords) == ("fasttext_bin", 1694, 100, False)
    model = _FastText(model_path=str(path))
    assert wv.words[:5] == model.get_words(on_unicode_error="replace")[:5]
    np.testing.assert_array_equal(wv.matrix, model.get_input_matrix()[:1694])
    assert "__label__pos" not in wv  # labels are not words
    assert any("5 words are not valid UTF-8" in w for w in wv.info.warnings)
    vec = load_vectors(gensim_data("pang_lee_polarity_fasttext.vec"))
    assert vec.words == wv.words
    np.testing.assert_allclose(vec.matrix, wv.matrix, atol=1e-6)


@pytest.mark.shared_data
@pytest.mark.parametrize(
    "name, shape",
    [
        ("vectors/glove.6B.50d.top2446.txt", (2446, 50)),
        ("vectors/glove.twitter.27B.25d.top12k.txt", (11925, 25)),
    ],
)
def test_shared_glove_files_equal_gensim(name, shape):
    path = shared_data(name)
    wv = load_vectors(path, use_cache=False)
    assert (wv.info.format, len(wv), wv.dim) == ("glove", *shape)
    # gensim refuses words that are not UTF-8 unless given an error handler; we read them as Latin-1.
    kv = gensim_parse(path, no_header=True, unicode_errors="surrogateescape")
    assert len(wv.words) == len(kv.index_to_key)
    latin1 = [i for i, (ours, theirs) in enumerate(zip(wv.words, kv.index_to_key)) if ours != theirs]
    for i in latin1:
        assert wv.words[i].encode("latin-1") == kv.index_to_key[i].encode("utf-8", "surrogateescape")
    assert bool(latin1) == any("Latin-1" in w for w in wv.info.warnings)
    np.testing.assert_array_equal(wv.matrix, kv.vectors)
    info = inspect_vectors(path)
    assert isinstance(info, VectorInfo) and info.vocab_size == shape[0]


def test_gensim_test_data_prefix_is_understood():
    wv = load_vectors("gensim-test-data:test_glove.txt")
    assert len(wv) == 76 and wv.path.endswith("test_glove.txt")


def test_gensim_model_files_warn_that_they_are_pickles(tmp_path, gensim_data):
    from gensim.models import KeyedVectors

    from embedstudio.core.jobs import RecordingReporter
    from embedstudio.core.vectors import load_vectors

    kv = KeyedVectors.load_word2vec_format(str(gensim_data("euclidean_vectors.bin")), binary=True)
    kv.save(str(tmp_path / "model.kv"))
    reporter = RecordingReporter()
    with pytest.raises(VectorFileError, match=r"model\.kv is a gensim model file, a Python pickle") as err:
        load_vectors(tmp_path / "model.kv", reporter=reporter)
    assert "--trust-pickle" in str(err.value) and "vectors convert" in str(err.value)
    wv = load_vectors(tmp_path / "model.kv", reporter=reporter, trust_pickle=True)
    assert len(wv) == 2747
    assert any("model.kv is a gensim model file, which is a Python pickle" in w for w in reporter.warnings)
    assert any("because you said you trust it" in w for w in wv.info.warnings)
