"""Property tests (hypothesis) for the vector readers and the dataset readers.

- Any input: the only exception allowed out of a reader is the app's UserError family.
- Valid generated files round-trip exactly (words and float32 bits), through every writer.
- Differential: on generated valid text and binary files, the reader equals gensim's own parse.

CI runs a bounded number of examples (60 per test, derandomized: a few seconds each); set
EMBEDSTUDIO_FUZZ_EXAMPLES (e.g. 2000) for a longer, randomized run. Counts and times per test:
``pytest tests/robustness/test_properties.py --hypothesis-show-statistics``.
"""

from __future__ import annotations

import io
import os
import tarfile
import zipfile

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from embedstudio.core.errors import UserError  # noqa: E402
from embedstudio.core.vectors import load_vectors  # noqa: E402
from embedstudio.core.vectors.convert import write_vectors  # noqa: E402

EXAMPLES = int(os.environ.get("EMBEDSTUDIO_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize="EMBEDSTUDIO_FUZZ_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Words as gensim can write and read them: no whitespace, no NUL, at most a few characters.
WORD = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Zs", "Zl", "Zp", "Cc")), min_size=1, max_size=8)
FLOAT32 = st.floats(width=32, allow_nan=False, allow_infinity=False)


@st.composite
def vector_sets(draw, max_words: int = 12, max_dim: int = 6):
    words = draw(st.lists(WORD, min_size=1, max_size=max_words, unique=True))
    dim = draw(st.integers(1, max_dim))
    values = draw(st.lists(FLOAT32, min_size=len(words) * dim, max_size=len(words) * dim))
    return words, np.asarray(values, dtype=np.float32).reshape(len(words), dim)


def _write(path, words, matrix, fmt) -> None:
    with open(path, "wb") as fh:
        write_vectors(fh, words, matrix, fmt)


def _load_only_user_errors(path, **kwargs):
    try:
        return load_vectors(path, use_cache=False, **kwargs)
    except UserError:
        return None


# ---- any bytes: only UserError ------------------------------------------------------------------
@FUZZ
@given(data=st.binary(max_size=3000), suffix=st.sampled_from([".txt", ".vec", ".bin", ".kv", ".gz", ".zip"]))
def test_vector_reader_on_any_bytes_raises_only_user_errors(tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("any") / f"v{suffix}"
    path.write_bytes(data)
    for fmt in ("auto", "glove", "word2vec_text", "word2vec_binary"):
        _load_only_user_errors(path, format=fmt)


@st.composite
def mutated_vector_files(draw):
    """A valid text or binary file, then a few byte edits: what damage looks like."""
    words, matrix = draw(vector_sets())
    fmt = draw(st.sampled_from(["glove", "word2vec_text", "word2vec_binary"]))
    buf = io.BytesIO()
    write_vectors(buf, words, matrix, fmt)
    data = bytearray(buf.getvalue())
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        kind = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        at = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "cut":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:
            del data[at : at + draw(st.integers(1, 8))]
    return bytes(data), fmt


@FUZZ
@given(case=mutated_vector_files())
def test_damaged_vector_files_raise_only_user_errors(tmp_path_factory, case):
    data, fmt = case
    path = tmp_path_factory.mktemp("mut") / ("v.bin" if fmt == "word2vec_binary" else "v.txt")
    path.write_bytes(data)
    wv = _load_only_user_errors(path)
    if wv is not None:
        assert wv.matrix.shape == (len(wv.words), wv.dim) and wv.matrix.dtype == np.float32


@FUZZ
@given(header=st.binary(min_size=0, max_size=120), tail=st.binary(max_size=200))
def test_fasttext_headers_raise_only_user_errors(tmp_path_factory, header, tail):
    import struct

    path = tmp_path_factory.mktemp("ft") / "m.bin"
    path.write_bytes(struct.pack("<i", 793712314) + struct.pack("<i", 12) + header + tail)
    _load_only_user_errors(path)


# ---- valid files round-trip, and equal gensim ---------------------------------------------------
@FUZZ
@given(vs=vector_sets(), fmt=st.sampled_from(["glove", "word2vec_text", "word2vec_binary"]))
def test_valid_files_round_trip_exactly(tmp_path_factory, vs, fmt):
    words, matrix = vs
    if fmt == "glove" and matrix.shape[1] == 1 and any(_is_number(w) for w in words[:1]):
        return  # a 1-d GloVe file whose first word is a number is a word2vec header: ambiguous by design
    path = tmp_path_factory.mktemp("rt") / ("v.bin" if fmt == "word2vec_binary" else "v.txt")
    _write(path, words, matrix, fmt)
    wv = load_vectors(path, use_cache=False, format=fmt)
    assert wv.words == words
    np.testing.assert_array_equal(wv.matrix, matrix)
    detected = load_vectors(path, use_cache=False)  # detection agrees with what was written
    assert detected.words == words
    np.testing.assert_array_equal(detected.matrix, matrix)


def _is_number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True


@FUZZ
@given(vs=vector_sets(), binary=st.booleans())
def test_reader_equals_gensim_on_generated_files(tmp_path_factory, vs, binary):
    from gensim.models import KeyedVectors

    words, matrix = vs
    path = tmp_path_factory.mktemp("gs") / ("v.bin" if binary else "v.vec")
    _write(path, words, matrix, "word2vec_binary" if binary else "word2vec_text")
    kv = KeyedVectors.load_word2vec_format(str(path), binary=binary)
    wv = load_vectors(path, use_cache=False, format="word2vec_binary" if binary else "word2vec_text")
    assert wv.words == list(kv.index_to_key)
    np.testing.assert_array_equal(wv.matrix, kv.vectors)


# ---- dataset readers ------------------------------------------------------------------------------
def _load_dataset_only_user_errors(path, fmt="auto"):
    from embedstudio.core.config import DataConfig
    from embedstudio.core.datasets import load_dataset

    try:
        return load_dataset(DataConfig(path=str(path), format=fmt))
    except UserError:
        return None


@FUZZ
@given(
    data=st.binary(max_size=2000),
    name=st.sampled_from(["d.csv", "d.tsv", "d.jsonl", "d.txt", "d.tar.gz", "d.zip", "d.tar"]),
)
def test_dataset_readers_on_any_bytes_raise_only_user_errors(tmp_path_factory, data, name):
    path = tmp_path_factory.mktemp("ds") / name
    path.write_bytes(data)
    _load_dataset_only_user_errors(path)


@st.composite
def damaged_archives(draw):
    # Each document has words of its own (a document that is only punctuation is rightly dropped as empty).
    docs = {
        f"ds/{label}/{i}.txt": (f"{label} document {i} " + draw(st.text(max_size=40))).encode("utf-8", "surrogatepass")
        for label in ("a", "b")
        for i in range(draw(st.integers(1, 4)))
    }
    kind = draw(st.sampled_from(["tar.gz", "zip"]))
    buf = io.BytesIO()
    if kind == "zip":
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, data in docs.items():
                zf.writestr(name, data)
    else:
        with tarfile.open(fileobj=buf, mode="w:gz") as tf:
            for name, data in docs.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    data = bytearray(buf.getvalue())
    damage = draw(st.sampled_from(["none", "flip", "cut"]))
    at = draw(st.integers(0, len(data) - 1))
    if damage == "flip":
        data[at] ^= draw(st.integers(1, 255))
    elif damage == "cut":
        del data[at:]
    return bytes(data), kind, damage, docs


@FUZZ
@given(case=damaged_archives())
def test_archives_are_read_whole_or_refused(tmp_path_factory, case):
    """A damaged archive is refused or read completely: never a silent part of it."""
    data, kind, damage, docs = case
    path = tmp_path_factory.mktemp("arc") / f"d.{kind}"
    path.write_bytes(data)
    ds = _load_dataset_only_user_errors(path, fmt="folders")
    if damage == "none":
        assert ds is not None
    if ds is not None:
        rows = ds.report.rows_read
        # Fewer documents only with a warning that says why (a damaged size field can make a member look
        # larger than one document may be: it is then skipped unread, and the warning names it).
        explained = any("skipped as too large" in w or "not followed" in w for w in ds.report.warnings)
        assert rows == len(docs) or explained, f"{damage}: {rows} of {len(docs)} documents read without an error"
