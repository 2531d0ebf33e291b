"""The robustness corpus: bad inputs built from scratch, each run through the real CLI in a subprocess.

Every case builds its own files, runs one ``embedstudio`` command and says what a good outcome is: the
exit code and the key words of the message (or of the output, for inputs that must work). Outcomes:

- ``clear``: the expected exit code, all key words, no traceback;
- ``unclear``: the app refused or answered, but not with the expected code or key words;
- ``crash``: a traceback, ``error: unexpected ...`` or death by a signal;
- ``hang``: no answer within the case's time limit;
- ``silent wrong``: exit 0 on an input that must be refused, or a wrong answer with exit 0;
- ``code execution``: the input ran code it carried (a marker appeared).

Run ``python -m tests.robustness.corpus`` for the totals table (``--root DIR`` measures another
checkout of EmbedStudio, e.g. an export of an older commit; ``--cases a,b`` runs a few; ``-v`` lists
each case). ``tests/robustness/test_corpus.py`` asserts every case is ``clear``.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import re
import socket
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.robustness.helpers import cli_env, glove_bytes, hostile_pickle, word2vec_binary_bytes  # noqa: E402

OUTCOMES = ("clear", "unclear", "crash", "hang", "silent wrong", "code execution")
FASTTEXT_MAGIC = struct.pack("<i", 793712314)


@dataclass
class Case:
    args: list[str]
    code: int = 2  # the exit code of a good outcome
    words: tuple[str, ...] = ()  # key words (case-insensitive) expected in stdout + stderr
    marker: Path | None = None  # must not exist afterwards (code execution)
    check: Callable[[str], bool] | None = None  # extra check of stdout for a good outcome
    timeout: float = 90.0
    before: list[list[str]] = field(default_factory=list)  # commands run first (e.g. fill the cache)
    between: Callable[[], None] | None = None  # runs after ``before``, before ``args``


@dataclass
class Spec:
    name: str
    kind: str  # vectors | datasets | archives | configs | runs
    owner: str  # the area that owns the fix: robustness | datasets | evaluation
    build: Callable[[Path], Case]


CASES: list[Spec] = []


def case(kind: str, owner: str = "robustness"):
    def register(fn: Callable[[Path], Case]) -> Callable[[Path], Case]:
        CASES.append(Spec(fn.__name__.removeprefix("c_"), kind, owner, fn))
        return fn

    return register


def _w(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


RNG = np.random.default_rng(7)
WORDS = ["the", "cat", "sat", "on", "mat", "dog"]


def _matrix(rows: int = 6, dim: int = 4) -> np.ndarray:
    return RNG.standard_normal((rows, dim)).astype(np.float32)


def _vinfo(path: Path, *extra: str) -> list[str]:
    return ["vectors", "info", str(path), *extra]


def _folder_dataset(root: Path, n: int = 6) -> Path:
    for label in ("pos", "neg"):
        for i in range(n):
            _w(root / label / f"{i}.txt", f"{label} text {i} about {'good fun' if label == 'pos' else 'bad dull'}")
    return root


def _tar_gz(path: Path, members: dict[str, bytes]) -> Path:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return _w(path, buf.getvalue())


def _docs(n: int = 6) -> dict[str, bytes]:
    return {
        f"ds/{label}/{i}.txt": f"{label} document {i} with words".encode() for label in ("pos", "neg") for i in range(n)
    }


def _toml(path: Path, body: str, *, bom: bool = False) -> Path:
    base = '[data]\npath = "data"\n[embedding]\nmode = "scratch"\n[training]\nepochs = 1\n'
    text = body if body.startswith("#full") else base + body
    return _w(path, (b"\xef\xbb\xbf" if bom else b"") + text.encode())


def _fasttext_header(
    *,
    dim=10,
    ws=5,
    epoch=5,
    min_count=1,
    neg=5,
    word_ngrams=1,
    loss=2,
    model=2,
    bucket=100,
    minn=3,
    maxn=6,
    lr_update=100,
    t=1e-4,
    entries=2,
    nwords=2,
    nlabels=0,
) -> bytes:
    out = FASTTEXT_MAGIC + struct.pack("<i", 12)
    out += struct.pack(
        "<12id", dim, ws, epoch, min_count, neg, word_ngrams, loss, model, bucket, minn, maxn, lr_update, t
    )
    out += struct.pack("<3iqq", entries, nwords, nlabels, 10, 0)
    return out


def _fasttext_file(**kwargs) -> bytes:
    """A small but complete unsupervised fastText .bin built field by field."""
    dim = kwargs.get("dim", 10)
    bucket = kwargs.get("bucket", 100)
    out = _fasttext_header(**kwargs)
    for word in (b"hello", b"world"):
        out += word + b"\x00" + struct.pack("<qb", 5, 0)
    rows = 2 + max(bucket, 0)
    out += b"\x00" + struct.pack("<2q", rows, dim) + np.ones((rows, max(dim, 0)), "<f4").tobytes()
    out += b"\x00" + struct.pack("<2q", 2, dim) + np.ones((2, max(dim, 0)), "<f4").tobytes()
    return out


# ---- vectors: untrusted code -------------------------------------------------------------
@case("vectors")
def c_pickle_named_kv(d: Path) -> Case:
    m = d / "ran"
    return Case(_vinfo(_w(d / "v.kv", hostile_pickle(m))), words=("pickle", "--trust-pickle"), marker=m)


@case("vectors")
def c_pickle_named_txt(d: Path) -> Case:
    m = d / "ran"
    return Case(
        ["vectors", "neighbors", str(_w(d / "glove.txt", hostile_pickle(m))), "cat"],
        words=("pickle", "--trust-pickle"),
        marker=m,
    )


@case("vectors")
def c_pickle_gzipped(d: Path) -> Case:
    m = d / "ran"
    return Case(_vinfo(_w(d / "v.kv.gz", gzip.compress(hostile_pickle(m)))), words=("pickle",), marker=m)


@case("vectors")
def c_pickle_in_zip(d: Path) -> Case:
    m = d / "ran"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("vectors.txt", hostile_pickle(m))
    return Case(_vinfo(_w(d / "v.zip", buf.getvalue())), words=("pickle",), marker=m)


@case("vectors")
def c_pickle_forced_format(d: Path) -> Case:
    m = d / "ran"
    return Case(_vinfo(_w(d / "v.bin", hostile_pickle(m)), "--format", "gensim"), words=("pickle",), marker=m)


# ---- vectors: text vs binary, header vs rows ------------------------------------------------
@case("vectors")
def c_vec_header_dim_larger_than_rows(d: Path) -> Case:
    body = b"3 10\n" + glove_bytes(WORDS[:3], 4)
    return Case(_vinfo(_w(d / "v.vec", body)), words=("header", "10", "4 numbers"))


@case("vectors")
def c_vec_bad_token_line_2(d: Path) -> Case:
    body = b"3 4\ncat 0.1 0.2 zz 0.4\n" + glove_bytes(WORDS[:2], 4)
    return Case(_vinfo(_w(d / "v.vec", body)), words=("line 2", "zz"))


@case("vectors")
def c_vec_header_dim_smaller_than_rows(d: Path) -> Case:
    body = b"3 3\n" + glove_bytes(WORDS[:3], 4)
    return Case(_vinfo(_w(d / "v.vec", body)), words=("header", "3", "4 numbers"))


@case("vectors")
def c_bin_first_row_zeros(d: Path) -> Case:
    m = _matrix()
    m[0] = 0
    return Case(
        _vinfo(_w(d / "v.bin", word2vec_binary_bytes(["</s>"] + WORDS[1:], m))),
        code=0,
        words=("vocabulary: 6 words", "dimension: 4"),
    )


@case("vectors")
def c_bin_first_row_nan(d: Path) -> Case:
    m = _matrix()
    m[0, 1] = np.nan
    return Case(_vinfo(_w(d / "v.bin", word2vec_binary_bytes(WORDS, m))), code=0, words=("vocabulary: 6 words", "NaN"))


@case("vectors")
def c_bin_sparse_rows(d: Path) -> Case:
    m = np.eye(6, 8, dtype=np.float32)
    return Case(_vinfo(_w(d / "v.bin", word2vec_binary_bytes(WORDS, m))), code=0, words=("vocabulary: 6 words",))


@case("vectors")
def c_bin_large_counts(d: Path) -> Case:
    m = np.abs(_matrix()) * 1e6
    return Case(_vinfo(_w(d / "v.bin", word2vec_binary_bytes(WORDS, m))), code=0, words=("vocabulary: 6 words",))


@case("vectors")
def c_bin_truncated(d: Path) -> Case:
    data = word2vec_binary_bytes(WORDS, _matrix())
    return Case(_vinfo(_w(d / "v.bin", data[:-30])), words=("truncated", "download it again"))


@case("vectors")
def c_bin_header_count_too_big_message_math(d: Path) -> Case:
    data = word2vec_binary_bytes(WORDS, _matrix()).replace(b"6 4\n", b"9 4\n", 1)
    # 6 full records are present; the header promises 9: the message must not say "expected ... found" nonsense.
    return Case(_vinfo(_w(d / "v.bin", data)), words=("header says 9 words", "after word 6", "truncated"))


@case("vectors")
def c_utf16_glove(d: Path) -> Case:
    return Case(_vinfo(_w(d / "v.txt", glove_bytes().decode().encode("utf-16"))), words=("UTF-16",))


@case("vectors")
def c_nul_byte_in_text(d: Path) -> Case:
    data = glove_bytes().replace(b"cat", b"c\x00t", 1)
    return Case(_vinfo(_w(d / "v.txt", data)), code=0, words=("line 2", "NUL", "vocabulary: 4 words"))


@case("vectors")
def c_glove_bad_token_line_3(d: Path) -> Case:
    lines = glove_bytes(WORDS, 4).split(b"\n")
    fields = lines[2].split(b" ")
    fields[3] = b"1.2.3"
    lines[2] = b" ".join(fields)
    return Case(_vinfo(_w(d / "v.txt", b"\n".join(lines))), words=("line 3", "1.2.3"))


@case("vectors")
def c_empty_file(d: Path) -> Case:
    return Case(_vinfo(_w(d / "v.txt", b"")), words=("empty",))


@case("vectors")
def c_directory_as_vectors(d: Path) -> Case:
    (d / "folder.vec").mkdir()
    return Case(_vinfo(d / "folder.vec"), words=("folder",))


@case("vectors")
def c_missing_vectors(d: Path) -> Case:
    return Case(_vinfo(d / "nope.vec"), words=("does not exist",))


@case("vectors")
def c_symlink_loop_vectors(d: Path) -> Case:
    os.symlink(d / "b.vec", d / "a.vec")
    os.symlink(d / "a.vec", d / "b.vec")
    return Case(_vinfo(d / "a.vec"), words=("symbolic link", "loop"))


@case("vectors")
def c_fifo_vectors(d: Path) -> Case:
    os.mkfifo(d / "pipe.vec")
    return Case(_vinfo(d / "pipe.vec"), words=("not a regular file",), timeout=30)


@case("vectors")
def c_dev_zero_vectors(d: Path) -> Case:
    return Case(_vinfo(Path("/dev/zero")), words=("not a regular file",), timeout=30)


@case("vectors")
def c_huge_word(d: Path) -> Case:
    data = glove_bytes() + b"x" * 300_000 + b" 0.1 0.2 0.3 0.4\n"
    return Case(
        _vinfo(_w(d / "v.txt", data)),
        code=0,
        words=("vocabulary: 4 words", "longer than"),
        check=lambda out: len(out) < 5000,
    )


@case("vectors")
def c_html_page(d: Path) -> Case:
    return Case(_vinfo(_w(d / "v.vec", b"<!DOCTYPE html><html><body>Sign in</body></html>\n")), words=("web page",))


@case("vectors")
def c_gz_truncated(d: Path) -> Case:
    data = gzip.compress(glove_bytes(WORDS * 50, 8) * 4)
    return Case(_vinfo(_w(d / "v.txt.gz", data[: len(data) // 2])), words=("gzip", "incomplete"))


@case("vectors")
def c_gz_flipped_byte(d: Path) -> Case:
    data = bytearray(gzip.compress(glove_bytes(WORDS, 8)))
    data[-6] ^= 0xFF  # inside the CRC32 trailer
    return Case(_vinfo(_w(d / "v.txt.gz", bytes(data))), words=("gzip", "damaged"))


@case("vectors")
def c_zip_garbage(d: Path) -> Case:
    data = b"PK\x03\x04" + bytes(range(256)) * 4
    return Case(_vinfo(_w(d / "v.zip", data)), words=("zip",), check=None)


@case("vectors")
def c_zip_two_members(d: Path) -> Case:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.txt", glove_bytes())
        zf.writestr("b.txt", glove_bytes())
    return Case(_vinfo(_w(d / "v.zip", buf.getvalue())), words=("holds 2 files",))


@case("vectors")
def c_zip_bomb_fasttext(d: Path) -> Case:
    # A fastText magic followed by 256 MiB of zeros: the header is invalid; nothing may be unpacked first.
    buf = io.BytesIO()
    with (
        zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf,
        zf.open("model.bin", "w", force_zip64=True) as fh,
    ):
        fh.write(FASTTEXT_MAGIC + struct.pack("<i", 12))
        block = bytes(1 << 20)
        for _ in range(256):
            fh.write(block)
    return Case(_vinfo(_w(d / "v.zip", buf.getvalue())), words=("fastText", "dim"), timeout=60)


@case("vectors")
def c_fasttext_sigfpe(d: Path) -> Case:
    return Case(_vinfo(_w(d / "m.bin", _fasttext_file(bucket=0, maxn=6))), words=("bucket",))


@case("vectors")
def c_fasttext_negative_dim(d: Path) -> Case:
    return Case(_vinfo(_w(d / "m.bin", _fasttext_header(dim=-4) + bytes(64))), words=("dim",))


@case("vectors")
def c_fasttext_huge_vocabulary(d: Path) -> Case:
    return Case(
        _vinfo(_w(d / "m.bin", _fasttext_header(entries=2_000_000_000, nwords=2_000_000_000) + bytes(64))),
        words=("words",),
    )


@case("vectors")
def c_fasttext_minn_above_maxn(d: Path) -> Case:
    return Case(_vinfo(_w(d / "m.bin", _fasttext_file(minn=7, maxn=3))), words=("minn", "maxn"))


@case("vectors")
def c_fasttext_matrix_larger_than_file(d: Path) -> Case:
    data = _fasttext_file()
    return Case(_vinfo(_w(d / "m.bin", data[: len(data) - 500])), words=("truncated",))


@case("vectors")
def c_fasttext_bad_loss(d: Path) -> Case:
    return Case(_vinfo(_w(d / "m.bin", _fasttext_file(loss=9))), words=("loss",))


@case("vectors")
def c_limit_zero(d: Path) -> Case:
    return Case(_vinfo(_w(d / "v.txt", glove_bytes()), "--limit", "0"), words=("--limit",))


@case("vectors")
def c_neighbors_k_zero(d: Path) -> Case:
    return Case(["vectors", "neighbors", str(_w(d / "v.txt", glove_bytes())), "cat", "-k", "0"], words=("-k",))


@case("vectors")
def c_analogy_k_negative(d: Path) -> Case:
    return Case(
        ["vectors", "analogy", str(_w(d / "v.txt", glove_bytes())), "the", "cat", "sat", "-k", "-3"], words=("-k",)
    )


@case("vectors")
def c_unknown_format_option(d: Path) -> Case:
    return Case(_vinfo(_w(d / "v.txt", glove_bytes()), "--format", "word3vec"), words=("format", "word3vec"))


# ---- vectors: the cache ---------------------------------------------------------------------
def _cache_case(d: Path, damage: Callable[[Path], None]) -> Case:
    words = [f"w{i}" for i in range(50)]
    m = _matrix(50, 8)
    src = _w(
        d / "v.txt",
        "".join(w + " " + " ".join(f"{x:.6f}" for x in row) + "\n" for w, row in zip(words, m, strict=False)),
    )
    a, b = m[3], m[5]
    expected = float(np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b))
    cache_root = d / "home" / "cache"

    def corrupt() -> None:
        entries = [p for p in cache_root.rglob("matrix.npy")]
        if not entries:
            raise RuntimeError("the first load left no cache entry")
        damage(entries[0].parent)

    return Case(
        ["vectors", "similarity", str(src), "w3", "w5"],
        code=0,
        words=(),
        check=lambda out: abs(float(out.strip().splitlines()[-1]) - expected) < 1e-3,
        before=[["vectors", "info", str(src)]],
        between=corrupt,
    )


@case("vectors")
def c_cache_flipped_matrix_bytes(d: Path) -> Case:
    def damage(entry: Path) -> None:
        p = entry / "matrix.npy"
        data = bytearray(p.read_bytes())
        for i in range(len(data) - 8 * 4 * 8, len(data), 7):
            data[i] ^= 0x55
        data[-(47 * 32) + 3] ^= 0x55  # the exponent byte of row 3 (w3)
        p.write_bytes(bytes(data))

    return _cache_case(d, damage)


@case("vectors")
def c_cache_swapped_words(d: Path) -> Case:
    def damage(entry: Path) -> None:
        for p in entry.iterdir():
            if p.name.startswith("words"):
                data = p.read_bytes()
                words = data.split(b"\n")
                words[3], words[4] = words[4], words[3]
                p.write_bytes(b"\n".join(words))

    return _cache_case(d, damage)


@case("vectors")
def c_cache_npy_header_shape(d: Path) -> Case:
    def damage(entry: Path) -> None:
        p = entry / "matrix.npy"
        data = p.read_bytes()
        p.write_bytes(data.replace(b"(50, 8)", b"(50, 4)", 1))

    return _cache_case(d, damage)


@case("vectors")
def c_cache_bad_meta_field(d: Path) -> Case:
    def damage(entry: Path) -> None:
        p = entry / "meta.json"
        info = json.loads(p.read_text())
        info["meta"]["duplicates"] = "many"
        info["meta"]["warnings"] = 5
        info["meta"]["duplicate_examples"] = None
        p.write_text(json.dumps(info))

    return _cache_case(d, damage)


@case("vectors")
def c_cache_meta_not_json(d: Path) -> Case:
    return _cache_case(d, lambda entry: (entry / "meta.json").write_bytes(b"\x00{not json"))


# ---- datasets --------------------------------------------------------------------------------
def _dinfo(path: Path, *extra: str) -> list[str]:
    return ["dataset", "info", str(path), *extra]


@case("datasets")
def c_folder_symlink_to_outside_file(d: Path) -> Case:
    root = _folder_dataset(d / "data")
    _w(d / "secret.txt", "root:x:0:0:SECRET")
    os.symlink(d / "secret.txt", root / "pos" / "passwd.txt")
    return Case(
        _dinfo(root, "--format", "folders"),
        code=0,
        words=("symbolic link", "outside"),
        check=lambda out: "SECRET" not in out and re.search(r"^\s+pos\s+6$", out, re.M) is not None,
    )


@case("datasets")
def c_folder_class_is_symlink_out(d: Path) -> Case:
    root = _folder_dataset(d / "data")
    _w(d / "etc" / "shadow.txt", "secret")
    os.symlink(d / "etc", root / "etc")
    return Case(
        _dinfo(root, "--format", "folders"), code=0, words=("symbolic link",), check=lambda out: "classes (2)" in out
    )


@case("datasets")
def c_dataset_fifo(d: Path) -> Case:
    os.mkfifo(d / "data.csv")
    return Case(_dinfo(d / "data.csv"), words=("not a regular file",), timeout=30)


@case("datasets")
def c_dataset_symlink_loop(d: Path) -> Case:
    os.symlink(d / "b", d / "a")
    os.symlink(d / "a", d / "b")
    return Case(_dinfo(d / "a"), words=("symbolic link", "loop"))


@case("datasets")
def c_dataset_dev_zero(d: Path) -> Case:
    return Case(_dinfo(Path("/dev/zero"), "--format", "csv"), words=("not a regular file",), timeout=30)


@case("datasets", owner="datasets")
def c_nbsp_only_lines(d: Path) -> Case:
    return Case(_dinfo(_w(d / "d.txt", "\u00a0\n\u00a0\u00a0\n" * 5), "--format", "fasttext"), words=("d.txt",))


@case("datasets", owner="datasets")
def c_fs_gs_only(d: Path) -> Case:
    return Case(_dinfo(_w(d / "d.txt", "\x1c\x1d\n" * 5)), words=("d.txt",))


@case("datasets", owner="datasets")
def c_jsonl_first_object_empty(d: Path) -> Case:
    return Case(_dinfo(_w(d / "d.jsonl", "{}\n" + '{"text": "a b", "label": "x"}\n' * 3)), words=("d.jsonl", "line 1"))


@case("datasets", owner="datasets")
def c_jsonl_deeply_nested(d: Path) -> Case:
    return Case(_dinfo(_w(d / "d.jsonl", "[" * 100_000 + "]" * 100_000 + "\n")), words=("d.jsonl", "line 1"))


@case("datasets", owner="datasets")
def c_csv_headerless_first_row_kept(d: Path) -> Case:
    rows = "".join(f"text number {i} here,{'a' if i % 2 else 'b'}\n" for i in range(20))
    return Case(_dinfo(_w(d / "d.csv", rows)), code=0, words=("rows read: 20",))


@case("datasets", owner="datasets")
def c_dialogue_not_stripped(d: Path) -> Case:
    root = d / "data"
    for label in ("billing", "tech"):
        for i in range(8):
            _w(root / label / f"{i}.txt", f"Customer: my {label} issue {i}\nAgent: let me help with {label}\n")
    return Case(_dinfo(root), code=0, words=("empty dropped: 0", "stripped headers/footers/quotes: no"))


@case("datasets", owner="datasets")
def c_csv_all_labels_empty(d: Path) -> Case:
    return Case(_dinfo(_w(d / "d.csv", "text,label\n" + "some text,\n" * 10)), words=("label", "empty"))


@case("datasets", owner="datasets")
def c_binary_file_as_csv(d: Path) -> Case:
    return Case(_dinfo(_w(d / "d.csv", bytes(range(256)) * 20)), words=("binary",))


@case("datasets", owner="datasets")
def c_delimiter_two_chars(d: Path) -> Case:
    return Case(_dinfo(_w(d / "d.csv", "text,label\na,b\n"), "--delimiter", "ab"), words=("delimiter",))


# ---- archives ---------------------------------------------------------------------------------
@case("archives")
def c_tar_gz_truncated(d: Path) -> Case:
    path = _tar_gz(d / "ds.tar.gz", _docs(40))
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) * 2 // 3])
    return Case(_dinfo(path), words=("ds.tar.gz", "incomplete"))


@case("archives")
def c_tar_gz_flipped_byte(d: Path) -> Case:
    path = _tar_gz(d / "ds.tar.gz", _docs(40))
    raw = bytearray(path.read_bytes())
    raw[-7] ^= 0x01  # the CRC32 trailer: the data decompresses fine, only the check can tell
    path.write_bytes(bytes(raw))
    return Case(_dinfo(path), words=("ds.tar.gz", "damaged"))


@case("archives")
def c_tar_gz_bomb(d: Path) -> Case:
    path = d / "bomb.tar.gz"
    size = 96 << 20
    with gzip.open(path, "wb", compresslevel=1) as gz:
        for name, data in _docs(3).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            gz.write(info.tobuf(format=tarfile.GNU_FORMAT) + data + bytes(-len(data) % 512))
        info = tarfile.TarInfo("ds/pos/zeros.txt")
        info.size = size
        gz.write(info.tobuf(format=tarfile.GNU_FORMAT))
        block = b"a" * (1 << 20)
        for _ in range(size >> 20):
            gz.write(block)
        gz.write(bytes(1024))
    return Case(_dinfo(path), code=0, words=("zeros.txt", "96.0 MB", "skipped"), timeout=60)


@case("archives")
def c_zip_bomb_dataset(d: Path) -> Case:
    path = d / "bomb.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in _docs(3).items():
            zf.writestr(name, data)
        with zf.open("ds/pos/big.txt", "w", force_zip64=True) as fh:
            block = b"a" * (1 << 20)
            for _ in range(80):
                fh.write(block)
    return Case(_dinfo(path), code=0, words=("big.txt", "80.0 MB", "skipped"), timeout=60)


@case("archives")
def c_zip_crc_mismatch(d: Path) -> Case:
    path = d / "ds.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in _docs(6).items():
            zf.writestr(name, data)
    raw = bytearray(path.read_bytes())
    at = raw.find(b"pos document 2")
    raw[at] ^= 0x20
    path.write_bytes(bytes(raw))
    return Case(_dinfo(path), words=("ds.zip", "damaged"))


@case("archives")
def c_zip_truncated(d: Path) -> Case:
    path = d / "ds.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in _docs(20).items():
            zf.writestr(name, data)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    return Case(_dinfo(path), words=("ds.zip", "incomplete"))


@case("archives")
def c_tar_symlink_member(d: Path) -> Case:
    path = d / "ds.tar.gz"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in _docs(6).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("ds/pos/passwd.txt")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tf.addfile(link)
    path.write_bytes(buf.getvalue())
    return Case(_dinfo(path), code=0, check=lambda out: re.search(r"^\s+pos\s+6$", out, re.M) is not None)


@case("archives")
def c_tar_not_gzip_inside(d: Path) -> Case:
    return Case(
        _dinfo(_w(d / "ds.tar.gz", gzip.compress(b"this is not a tar archive at all" * 40))), words=("ds.tar.gz",)
    )


@case("archives")
def c_bz2_tar_truncated(d: Path) -> Case:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:bz2") as tf:
        for name, data in _docs(40).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    raw = buf.getvalue()
    return Case(_dinfo(_w(d / "ds.tar.bz2", raw[: len(raw) // 2])), words=("ds.tar.bz2", "incomplete"))


# ---- configs ----------------------------------------------------------------------------------
def _train(path: Path) -> list[str]:
    return ["train", str(path)]


@case("configs")
def c_config_validation_fraction_nan(d: Path) -> Case:
    body = '[data]\npath = "data"\nvalidation_fraction = nan\n[embedding]\nmode = "scratch"\n'
    return Case(_train(_w(d / "c.toml", body)), words=("data.validation_fraction", "nan"))


@case("configs")
def c_config_learning_rate_inf(d: Path) -> Case:
    return Case(_train(_toml(d / "c.toml", "learning_rate = inf\n")), words=("training.learning_rate", "inf"))


@case("configs")
def c_config_dropout_nan(d: Path) -> Case:
    return Case(_train(_toml(d / "c.toml", "[model]\ndropout = nan\n")), words=("model.dropout",))


@case("configs")
def c_config_seed_negative(d: Path) -> Case:
    return Case(_train(_toml(d / "c.toml", "seed = -1\n")), words=("training.seed",))


@case("configs")
def c_config_seed_too_big(d: Path) -> Case:
    return Case(_train(_toml(d / "c.toml", f"seed = {2**40}\n")), words=("training.seed",))


@case("configs")
def c_config_encoding_rot13(d: Path) -> Case:
    return Case(
        _train(_w(d / "c.toml", '[data]\npath = "data"\nencoding = "rot13"\n[embedding]\nmode = "scratch"\n')),
        words=("data.encoding", "rot13"),
    )


@case("configs")
def c_config_encoding_hex(d: Path) -> Case:
    return Case(
        _train(_w(d / "c.toml", '[data]\npath = "data"\nencoding = "hex"\n[embedding]\nmode = "scratch"\n')),
        words=("data.encoding", "hex"),
    )


@case("configs")
def c_config_encoding_unknown(d: Path) -> Case:
    body = '[data]\npath = "data"\nencoding = "klingon-8"\n[embedding]\nmode = "scratch"\n'
    return Case(_train(_w(d / "c.toml", body)), words=("data.encoding", "klingon-8"))


@case("configs")
def c_config_schema_negative(d: Path) -> Case:
    return Case(_train(_w(d / "c.toml", 'schema_version = -1\n[data]\npath = "data"\n')), words=("schema_version",))


@case("configs")
def c_config_is_directory(d: Path) -> Case:
    (d / "conf.toml").mkdir()
    return Case(_train(d / "conf.toml"), words=("folder",))


@case("configs")
def c_config_bom(d: Path) -> Case:
    return Case(_train(_toml(d / "c.toml", "seed = -5\n", bom=True)), words=("training.seed",))


@case("configs")
def c_config_fifo(d: Path) -> Case:
    os.mkfifo(d / "c.toml")
    return Case(_train(d / "c.toml"), words=("not a regular file",), timeout=30)


@case("configs")
def c_config_not_utf8(d: Path) -> Case:
    return Case(_train(_w(d / "c.toml", b'[data]\npath = "d\xe9"\n')), words=("c.toml", "UTF-8"))


@case("configs")
def c_config_set_nan_override(d: Path) -> Case:
    return Case(
        ["train", str(_toml(d / "c.toml", "")), "--set", "data.test_fraction=NaN"], words=("data.test_fraction",)
    )


# ---- run folders -------------------------------------------------------------------------------
def _run_dir(
    d: Path, *, status: str = "running", pid: int | None = None, model: bool = False, report: bool = False
) -> Path:
    run = d / "runs" / "20260101-000000-r"
    _w(run / "config.json", json.dumps({"name": "r"}))
    desc = {
        "status": status,
        "created": "2026-01-01T00:00:00+00:00",
        "environment": {"pid": pid if pid is not None else _dead_pid(), "hostname": socket.gethostname()},
    }
    _w(run / "description.json", json.dumps(desc))
    _w(run / "labels.json", json.dumps(["neg", "pos"]))
    if model:
        _w(run / "model.keras", b"PK\x03\x04 truncated")
    if report:
        _w(run / "report.json", json.dumps({"accuracy": 0.9, "macro_f1": 0.9}))
    return run


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@case("runs")
def c_run_killed_shows_interrupted(d: Path) -> Case:
    run = _run_dir(d)
    return Case(
        ["runs", "--runs-dir", str(run.parent)],
        code=0,
        check=lambda out: re.search(r"^interrupted\s", out, re.M) is not None,
    )


@case("runs")
def c_run_killed_after_training_keeps_report(d: Path) -> Case:
    run = _run_dir(d, report=True)
    return Case(
        ["runs", "--runs-dir", str(run.parent)],
        code=0,
        words=("0.9000", "no model"),
        check=lambda out: re.search(r"^interrupted\s", out, re.M) is not None,
    )


@case("runs")
def c_run_evaluations_symlink_out(d: Path) -> Case:
    run = _run_dir(d, status="completed")
    (d / "elsewhere").mkdir()
    os.symlink(d / "elsewhere", run / "evaluations")
    return Case(
        ["evaluate", str(run), str(_folder_dataset(d / "data"))], words=("symbolic link", "outside"), check=None
    )


@case("runs")
def c_run_model_symlink_out(d: Path) -> Case:
    run = _run_dir(d, status="completed")
    _w(d / "other" / "model.keras", b"PK")
    os.symlink(d / "other" / "model.keras", run / "model.keras")
    return Case(["predict", str(run), "some text"], words=("symbolic link", "outside"))


@case("runs")
def c_run_description_corrupt(d: Path) -> Case:
    run = _run_dir(d)
    (run / "description.json").write_bytes(b'{"status": "runn')
    return Case(["runs", "--runs-dir", str(run.parent)], code=0, words=(str(run.name),))


@case("runs", owner="evaluation")
def c_run_truncated_model(d: Path) -> Case:
    run = _run_dir(d, status="completed", model=True)
    return Case(["predict", str(run), "some text"], words=("model.keras", "damaged"))


@case("runs", owner="evaluation")
def c_run_labels_wrong_length(d: Path) -> Case:
    # A real two-class model (a tiny scratch run trained first), whose labels.json is then given 7 names.
    _folder_dataset(d / "data", n=10)
    body = (
        f'name = "r"\nruns_dir = "{d / "trained"}"\n[data]\npath = "{d / "data"}"\n'
        '[embedding]\nmode = "scratch"\ndim = 4\n[model]\npreset = "average"\n'
        "[training]\nepochs = 1\n"
    )
    config = _w(d / "c.toml", body)
    run = d / "runs" / "r"

    def relabel() -> None:
        trained = next((d / "trained").iterdir())
        run.parent.mkdir(parents=True, exist_ok=True)
        trained.rename(run)
        (run / "labels.json").write_text(json.dumps(["a", "b", "c", "d", "e", "f", "g"]))

    return Case(
        ["predict", str(run), "x"],
        words=("labels.json", "7 class names", "2 outputs"),
        before=[_train(config)],
        between=relabel,
        timeout=180,
    )


@case("runs", owner="evaluation")
def c_predict_no_text(d: Path) -> Case:
    run = _run_dir(d, status="completed")
    return Case(["predict", str(run)], words=("text",))


@case("runs", owner="evaluation")
def c_predict_top_zero(d: Path) -> Case:
    run = _run_dir(d, status="completed")
    return Case(["predict", str(run), "x", "--top", "0"], words=("--top",))


@case("runs", owner="evaluation")
def c_predict_latin1_file(d: Path) -> Case:
    run = _run_dir(d, status="completed")
    return Case(
        ["predict", str(run), "--file", str(_w(d / "t.txt", "caf\xe9 cr\xe8me\n".encode("latin-1")))],
        words=("model.keras",),
    )


@case("runs")
def c_run_folder_missing(d: Path) -> Case:
    return Case(["evaluate", str(d / "no-run"), str(d)], words=("not found",))


# ---- running ----------------------------------------------------------------------------------
@dataclass
class Result:
    spec: Spec
    outcome: str
    code: int | None
    seconds: float
    detail: str


def classify(case_: Case, proc: subprocess.CompletedProcess | None, timed_out: bool) -> tuple[str, str]:
    if case_.marker is not None and case_.marker.exists():
        return "code execution", f"{case_.marker.name} was created"
    if timed_out or proc is None:
        return "hang", f"no answer within {case_.timeout:.0f} s"
    text = proc.stdout + proc.stderr
    if proc.returncode < 0 or proc.returncode > 128 and proc.returncode != 130:
        return "crash", f"exit {proc.returncode}"
    if "Traceback (most recent call last)" in text or "error: unexpected" in text:
        line = next((ln for ln in text.splitlines() if "unexpected" in ln), text.strip().splitlines()[-1:])
        return "crash", str(line)[:200]
    words_ok = all(w.lower() in text.lower() for w in case_.words)
    check_ok = True
    if case_.check is not None and proc.returncode == 0:
        try:
            check_ok = bool(case_.check(proc.stdout))
        except Exception:  # noqa: BLE001 - a malformed answer is a wrong answer
            check_ok = False
    if proc.returncode == case_.code and words_ok and check_ok:
        return "clear", ""
    first = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
    shown = first[0][:200] if first else ""
    if proc.returncode == 0 and (case_.code != 0 or not check_ok):
        return "silent wrong", f"exit 0: {shown}"
    missing = [w for w in case_.words if w.lower() not in text.lower()]
    return "unclear", f"exit {proc.returncode}, missing {missing}: {shown}"


def run_case(spec: Spec, workdir: Path, *, root: Path = ROOT, python: str = sys.executable) -> Result:
    workdir.mkdir(parents=True, exist_ok=True)
    home = workdir / "home"
    case_ = spec.build(workdir)
    env = cli_env(home)
    env["PYTHONPATH"] = str(root)
    start = time.perf_counter()

    def call(args: list[str]) -> subprocess.CompletedProcess:
        return subprocess.run(
            [python, "-m", "embedstudio", *args],
            env=env,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=case_.timeout,
            stdin=subprocess.DEVNULL,
            cwd=workdir,
        )

    try:
        for args in case_.before:
            call(args)
        if case_.between is not None:
            case_.between()
        proc = call(case_.args)
        outcome, detail = classify(case_, proc, False)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        outcome, detail = classify(case_, None, True)
        code = None
    except Exception as exc:  # noqa: BLE001 - a case whose set-up fails is reported, not fatal
        outcome, detail, code = "unclear", f"set-up failed: {type(exc).__name__}: {exc}", None
    return Result(spec, outcome, code, time.perf_counter() - start, detail)


def totals(results: list[Result]) -> dict[str, int]:
    counts = Counter(r.outcome for r in results)
    return {"cases": len(results), **{o: counts.get(o, 0) for o in OUTCOMES}}


def table(results: list[Result]) -> str:
    kinds = sorted({r.spec.kind for r in results})
    header = f"{'':<10}" + "".join(f"{h:>15}" for h in ("cases", *OUTCOMES))
    lines = [header]
    for kind in kinds + ["total"]:
        rows = results if kind == "total" else [r for r in results if r.spec.kind == kind]
        t = totals(rows)
        lines.append(f"{kind:<10}" + "".join(f"{t[h]:>15}" for h in ("cases", *OUTCOMES)))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.robustness.corpus", description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the EmbedStudio checkout to measure")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--cases", help="comma-separated case names (default: all)")
    parser.add_argument("--json", type=Path, help="also write the per-case results here")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each case's outcome")
    args = parser.parse_args(argv)
    wanted = set(args.cases.split(",")) if args.cases else None
    specs = [s for s in CASES if wanted is None or s.name in wanted]
    results = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="es-corpus-") as tmp:
        for number, spec in enumerate(specs, start=1):
            # Numbered folders: a case's name must not leak its key words into the paths in a message.
            result = run_case(spec, Path(tmp) / f"case{number:03d}", root=args.root.resolve(), python=args.python)
            results.append(result)
            if args.verbose:
                print(
                    f"{result.outcome:<15} {spec.kind:<9} {spec.owner:<11} {spec.name:<42} {result.seconds:5.1f}s "
                    f"{result.detail}",
                    flush=True,
                )
    print(
        f"robustness corpus: {len(results)} cases against {args.root.resolve()} ({time.perf_counter() - started:.0f} s)"
    )
    print(table(results))
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    {
                        "name": r.spec.name,
                        "kind": r.spec.kind,
                        "owner": r.spec.owner,
                        "outcome": r.outcome,
                        "code": r.code,
                        "detail": r.detail,
                        "seconds": round(r.seconds, 2),
                    }
                    for r in results
                ],
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
