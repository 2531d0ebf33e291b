"""convert_vectors: exact round trips between formats, compression, limits, and refused outputs."""

from __future__ import annotations

import numpy as np
import pytest

from embedstudio.core.errors import ConfigError, UserError
from embedstudio.core.jobs import Cancelled, CancelToken, RecordingReporter
from embedstudio.core.vectors import convert_vectors, detect_format, load_vectors


@pytest.fixture
def source(gensim_data):
    return gensim_data("euclidean_vectors.bin")


@pytest.mark.parametrize(
    "out_format, name",
    [
        ("word2vec_text", "e.vec"),
        ("glove", "e.txt"),
        ("word2vec_binary", "e2.bin"),
        ("gensim", "e.kv"),
        ("word2vec_text", "e.vec.gz"),
        ("word2vec_binary", "e.bin.bz2"),
    ],
)
def test_round_trip_is_exact(tmp_path, source, out_format, name):
    original = load_vectors(source, use_cache=False)
    reporter = RecordingReporter()
    info = convert_vectors(source, tmp_path / name, out_format=out_format, reporter=reporter)
    assert (info.format, info.vocab_size, info.dim) == (out_format, 2747, 10)
    assert info.file_size == (tmp_path / name).stat().st_size
    assert info.compression == {".gz": "gzip", ".bz2": "bz2"}.get((tmp_path / name).suffix)
    assert detect_format(tmp_path / name) == out_format
    back = load_vectors(tmp_path / name, use_cache=False, trust_pickle=out_format == "gensim")
    assert back.words == original.words
    np.testing.assert_array_equal(back.matrix, original.matrix)  # text keeps every float32 bit
    assert reporter.progress_calls[-1][0] == reporter.progress_calls[-1][1] == 2747
    # Text back to binary closes the loop.
    convert_vectors(tmp_path / name, tmp_path / "again.bin", trust_pickle=out_format == "gensim")
    np.testing.assert_array_equal(load_vectors(tmp_path / "again.bin", use_cache=False).matrix, original.matrix)


def test_limit_and_fasttext_subwords_warning(tmp_path, gensim_data):
    reporter = RecordingReporter()
    info = convert_vectors(gensim_data("lee_fasttext.bin"), tmp_path / "lee.bin", limit=100, reporter=reporter)
    assert info.vocab_size == 100 and not info.has_subwords
    assert any("subword n-grams are not written" in w for w in info.warnings)
    assert info.warnings[0] in reporter.warnings
    back = load_vectors(tmp_path / "lee.bin")
    assert back.words == load_vectors(gensim_data("lee_fasttext.bin")).words[:100]


def test_words_with_spaces_are_left_out_of_space_delimited_formats(tmp_path):
    src = tmp_path / "spaced.txt"
    # GloVe 840B style: a word with a space inside, read as everything before the numbers.
    src.write_text("new york 0.5 0.25\ncity 1.0 2.0\nplain 3.0 4.0\n", encoding="utf-8")
    assert "new york" in load_vectors(src)
    info = convert_vectors(src, tmp_path / "out.bin")
    assert info.vocab_size == 2
    assert any("1 words are empty or contain spaces" in w and "'new york'" in w for w in info.warnings)
    assert load_vectors(tmp_path / "out.bin").words == ["city", "plain"]


def test_refused_outputs(tmp_path, source):
    with pytest.raises(ConfigError, match="Cannot write vectors as 'fasttext_bin'.*original training run"):
        convert_vectors(source, tmp_path / "x.bin", out_format="fasttext_bin")
    with pytest.raises(UserError, match="would overwrite the file being converted"):
        convert_vectors(source, source, out_format="word2vec_binary")
    with pytest.raises(UserError, match="not .zip"):
        convert_vectors(source, tmp_path / "x.zip", out_format="word2vec_text")
    with pytest.raises(UserError, match="gensim file is written uncompressed"):
        convert_vectors(source, tmp_path / "x.kv.gz", out_format="gensim")
    (tmp_path / "afile").write_text("not a folder")
    with pytest.raises(UserError, match=r"afile/x\.vec: cannot write the converted vectors"):
        convert_vectors(source, tmp_path / "afile" / "x.vec", out_format="word2vec_text")


def test_cancel_leaves_no_output_or_temporary_file(tmp_path, source):
    token = CancelToken()

    class CancelWhileWriting(RecordingReporter):
        def progress(self, done, total=None, message=""):
            super().progress(done, total, message)
            if message.startswith("Writing"):
                token.cancel()

    with pytest.raises(Cancelled):
        convert_vectors(
            source, tmp_path / "out.vec", out_format="word2vec_text", reporter=CancelWhileWriting(), cancel=token
        )
    assert list(tmp_path.iterdir()) == []
