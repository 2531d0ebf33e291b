"""Format detection from content: every format, compressed variants, misleading names, and what is refused."""

from __future__ import annotations

import bz2
import gzip
import lzma
import pickle
import zipfile

import numpy as np
import pytest

from embedstudio.core.errors import ConfigError, VectorFileError
from embedstudio.core.vectors import VECTOR_SUFFIXES, detect_format
from embedstudio.core.vectors.formats import UNKNOWN_FORMAT, normalise_format

WORDS = ["the", "cat", "sat", "on", "mat"]


def _matrix(n=len(WORDS), dim=4, seed=0):  # noqa: B008 - WORDS is a module constant
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


def _text_lines(words, matrix):
    return "".join(w + " " + " ".join(f"{x:.6f}" for x in row) + "\n" for w, row in zip(words, matrix))


def glove_bytes():
    return _text_lines(WORDS, _matrix()).encode()


def w2v_text_bytes():
    m = _matrix()
    return (f"{len(WORDS)} {m.shape[1]}\n" + _text_lines(WORDS, m)).encode()


def w2v_binary_bytes(words=WORDS, matrix=None, newline=True):
    m = _matrix(len(words)) if matrix is None else matrix
    body = b"".join(
        w.encode() + b" " + row.astype("<f4").tobytes() + (b"\n" if newline else b"") for w, row in zip(words, m)
    )
    return f"{len(words)} {m.shape[1]}\n".encode() + body


def _write(path, data):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "maker, expected",
    [
        (glove_bytes, "glove"),
        (w2v_text_bytes, "word2vec_text"),
        (w2v_binary_bytes, "word2vec_binary"),
        (lambda: w2v_binary_bytes(newline=False), "word2vec_binary"),
    ],
)
def test_text_and_binary_formats_are_told_apart_by_content_not_name(tmp_path, maker, expected):
    # Deliberately misleading suffixes: the content must decide.
    for name in ("vectors.bin", "vectors.txt", "vectors.vec", "noext"):
        assert detect_format(_write(tmp_path / name, maker())) == expected


@pytest.mark.parametrize(
    "compress, suffix",
    [
        (gzip.compress, ".gz"),
        (bz2.compress, ".bz2"),
        (lzma.compress, ".xz"),
        (None, ".zip"),
    ],
)
def test_compressed_files_are_detected_through_the_compression(tmp_path, compress, suffix):
    for maker, expected in ((glove_bytes, "glove"), (w2v_binary_bytes, "word2vec_binary")):
        path = tmp_path / f"v-{expected}{suffix}"
        if compress is None:
            with zipfile.ZipFile(path, "w") as zf:
                zf.writestr("inner/vectors.txt", maker())
        else:
            path.write_bytes(compress(maker()))
        assert detect_format(path) == expected
        # The compression is found from magic bytes, not the suffix.
        renamed = path.rename(tmp_path / f"renamed-{expected}{suffix}.data")
        assert detect_format(renamed) == expected


def test_fasttext_bin_both_header_generations_and_gensim_pickles(gensim_data, tmp_path):
    assert detect_format(gensim_data("lee_fasttext.bin")) == "fasttext_bin"  # old header, no magic
    assert detect_format(gensim_data("lee_fasttext_new.bin")) == "fasttext_bin"  # magic 0x2F4F16BA
    assert detect_format(gensim_data("pang_lee_polarity_fasttext.bin")) == "fasttext_bin"  # supervised
    assert detect_format(gensim_data("lee_fasttext.vec")) == "word2vec_text"  # fastText .vec
    assert detect_format(gensim_data("euclidean_vectors.bin")) == "word2vec_binary"
    assert detect_format(gensim_data("test_glove.txt")) == "glove"

    from gensim.models import KeyedVectors

    kv = KeyedVectors(vector_size=4)
    kv.add_vectors(WORDS, _matrix())
    kv.save(str(tmp_path / "model.kv"), separately=["vectors"])
    assert detect_format(tmp_path / "model.kv") == "gensim"


def test_empty_and_blank_files_are_errors_that_say_so(tmp_path):
    with pytest.raises(VectorFileError, match=r"empty\.txt: the file is empty"):
        detect_format(_write(tmp_path / "empty.txt", b""))
    with pytest.raises(VectorFileError, match=r"blank\.txt: the file holds only blank space"):
        detect_format(_write(tmp_path / "blank.txt", b"\n\n  \n"))
    with pytest.raises(VectorFileError, match=r"empty\.txt\.gz: the file is empty"):
        detect_format(_write(tmp_path / "empty.txt.gz", gzip.compress(b"")))


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(VectorFileError, match=r"nothere\.vec: the vector file does not exist"):
        detect_format(tmp_path / "nothere.vec")
    with pytest.raises(VectorFileError, match="this is a folder"):
        detect_format(tmp_path)


@pytest.mark.parametrize(
    "content, detail",
    [
        (b"label\ttext\nham\tGo until jurong point\n", "not a word followed by numbers"),
        (b"<!DOCTYPE html><html><body>Sign in</body></html>\n", "web page (HTML)"),
        (b"\x93NUMPY\x01\x00v\x00{'descr': '<f4'}", "NumPy array"),
        (pickle.dumps({"a": 1}, protocol=4), "pickle, but not a gensim model"),
        (bytes(range(256)) * 4, "binary file"),
    ],
)
def test_unknown_content_names_the_known_formats_and_what_it_looks_like(tmp_path, content, detail):
    path = _write(tmp_path / "mystery.txt", content)
    with pytest.raises(VectorFileError) as err:
        detect_format(path)
    message = str(err.value)
    assert message.startswith(f"mystery.txt {UNKNOWN_FORMAT}")
    assert "expected GloVe text, word2vec text/binary, fastText .vec/.bin or gensim KeyedVectors" in message
    assert detail in message


def test_zip_with_several_members_lists_them(tmp_path):
    path = tmp_path / "glove.6B.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for d in (50, 100, 200):
            zf.writestr(f"glove.6B.{d}d.txt", glove_bytes())
    with pytest.raises(VectorFileError) as err:
        detect_format(path)
    assert "glove.6B.zip: the zip archive holds 3 files (glove.6B.50d.txt, glove.6B.100d.txt" in str(err.value)
    assert "Unzip it" in str(err.value)


def test_damaged_gzip_is_reported_as_incomplete_download(tmp_path):
    data = gzip.compress(glove_bytes() * 2000)
    path = _write(tmp_path / "cut.txt.gz", data[: len(data) // 2])
    from embedstudio.core.vectors import load_vectors

    with pytest.raises(VectorFileError, match=r"cut\.txt\.gz: the gzip data is damaged or incomplete"):
        load_vectors(path)


def test_header_followed_by_something_else_is_not_guessed(tmp_path):
    path = _write(tmp_path / "odd.txt", b"3 4\nthis is just a sentence of text\nand another one here\n")
    with pytest.raises(VectorFileError, match="looks like a word2vec header, but what follows"):
        detect_format(path)


def test_format_names_and_suffixes():
    assert normalise_format("fastText-vec") == "word2vec_text"
    assert normalise_format("AUTO") == "auto"
    with pytest.raises(ConfigError, match="Vector format 'fasttxt' is unknown"):
        normalise_format("fasttxt")
    for suffix in (".txt", ".vec", ".bin", ".gz", ".bz2", ".zip", ".kv", ".model"):
        assert suffix in VECTOR_SUFFIXES
