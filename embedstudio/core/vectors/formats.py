"""Which kind of vector file is this? Decided from the bytes, not the name.

Downloads are often renamed (``.txt`` for word2vec binary, ``.vec`` for GloVe, ``.bin`` for a fastText
*supervised* model), so the file's content decides: fastText's magic number, a pickle that names gensim,
a ``<count> <dim>`` header followed by text or by raw float32 records, or lines of a word and numbers.
The extension only breaks a tie the content cannot. gzip, bz2, xz and single-member zip files are opened
transparently, also recognised by their magic bytes.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import struct
import zipfile
import zlib
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

import numpy as np

from embedstudio.core.errors import ConfigError, VectorFileError

FORMATS = ("glove", "word2vec_text", "word2vec_binary", "fasttext_bin", "gensim")
FORMAT_LABELS = {
    "glove": "GloVe text (no header)",
    "word2vec_text": "word2vec text / fastText .vec",
    "word2vec_binary": "word2vec binary",
    "fasttext_bin": "fastText .bin model (with subwords)",
    "gensim": "gensim KeyedVectors / model",
}
# Names people use for the same thing; normalised by :func:`normalise_format`.
FORMAT_ALIASES = {"fasttext_vec": "word2vec_text", "vec": "word2vec_text", "fasttext": "fasttext_bin",
                  "kv": "gensim", "keyedvectors": "gensim"}
VECTOR_SUFFIXES = (".txt", ".vec", ".bin", ".w2v", ".kv", ".model", ".wv", ".vectors",
                   ".gz", ".bz2", ".xz", ".zip")
COMPRESSIONS = ("gzip", "bz2", "xz", "zip")

UNKNOWN_FORMAT = ("is not a vector file EmbedStudio knows: expected GloVe text, word2vec text/binary, "
                  "fastText .vec/.bin or gensim KeyedVectors")

FASTTEXT_MAGIC = struct.pack("<i", 793712314)
HEAD_BYTES = 1 << 18  # enough for several lines of 300-d text vectors, or one of 10,000-d
_COMPRESSION_SUFFIXES = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zip": "zip"}
_DECOMPRESSION_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError, zipfile.BadZipFile)


PICKLE_RISK = ("a Python pickle: opening it runs any code its author put in it, so EmbedStudio opens it only "
               "when you say you trust its source")
PICKLE_ROUTE = ("If you trust where it came from, open it with --trust-pickle (CLI) or "
                "trust_pickle = true on the vector source (embedding.vectors[N].trust_pickle in a run "
                "configuration); the GUI asks first. Safer: on a trusted machine convert it once with "
                "'embedstudio vectors convert FILE OUT.bin --trust-pickle' (word2vec binary, which carries no "
                "code) and use OUT.bin here.")


class PickleRefused(VectorFileError):
    """A vector file that is a Python pickle (a gensim native model) was not opened: it is not trusted."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} is a gensim model file, {PICKLE_RISK}.", hint=PICKLE_ROUTE)
        self.name = name


def is_pickle(head: bytes) -> bool:
    """Whether ``head`` (a file's first decompressed bytes) starts like a binary Python pickle."""
    return head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05")


def normalise_format(fmt: str) -> str:
    """``fmt`` as one of :data:`FORMATS` or ``"auto"``; ConfigError for anything else."""
    value = (fmt or "auto").strip().lower().replace("-", "_")
    value = FORMAT_ALIASES.get(value, value)
    if value != "auto" and value not in FORMATS:
        raise ConfigError(f"Vector format {fmt!r} is unknown; choose auto, {', '.join(FORMATS)}.")
    return value


# ---- opening (with transparent decompression) ---------------------------------------------
class _DecompressingReader(io.RawIOBase):
    """A read-only binary stream over a decompressor that carries the file's display name.

    It turns the decompressors' assorted exceptions (EOFError, zlib.error, BadGzipFile, ...) into one
    VectorFileError that names the file, so a damaged download never surfaces as a raw traceback.
    """

    def __init__(self, inner: BinaryIO, name: str, compression: str) -> None:
        super().__init__()
        self._inner = inner
        self.name = name
        self._compression = compression

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        try:
            return self._inner.read(size)
        except _DECOMPRESSION_ERRORS as err:
            raise VectorFileError(
                f"{self.name}: the {self._compression} data is damaged or incomplete ({err}).",
                hint="The download was probably cut short; download the file again.") from err

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def readline(self, size: int = -1) -> bytes:
        try:
            return self._inner.readline(size)
        except _DECOMPRESSION_ERRORS as err:
            raise VectorFileError(
                f"{self.name}: the {self._compression} data is damaged or incomplete ({err}).",
                hint="The download was probably cut short; download the file again.") from err


@dataclass
class OpenedVectorFile:
    """A vector file opened for reading, decompressed if needed."""

    path: Path
    stream: BinaryIO        # the (decompressed) bytes
    name: str               # for messages: "glove.txt", "glove.zip:glove.txt"
    compression: str | None
    file_size: int          # bytes on disk (compressed size for compressed files)
    _raw: BinaryIO
    _member_size: int | None = None

    def fraction_read(self) -> float | None:
        """How far the read has got, measured on the file on disk (works for compressed files too)."""
        try:
            if self.compression == "zip":
                return self.stream.tell() / self._member_size if self._member_size else None
            return self._raw.tell() / self.file_size if self.file_size else None
        except (OSError, ValueError, AttributeError):
            return None


def check_vector_path(path: str | os.PathLike) -> Path:
    """The path as a Path, or VectorFileError if it is missing, a folder, or unreadable."""
    from embedstudio.core.fileio import path_problem

    path = Path(path)
    problem = path_problem(path, what="vector file")
    if problem:
        raise VectorFileError(problem)
    if not path.exists():
        raise VectorFileError(f"{path}: the vector file does not exist.",
                              hint="Check the path; the file may have been moved or deleted.")
    if path.is_dir():
        raise VectorFileError(f"{path}: this is a folder, not a vector file.",
                              hint="Choose the vector file inside it.")
    if not os.access(path, os.R_OK):
        raise VectorFileError(f"{path}: you may not read this file.", hint="Check its permissions.")
    return path


def compression_of(magic: bytes) -> str | None:
    """The compression a file's first bytes announce, or None for an uncompressed file."""
    if magic.startswith(b"\x1f\x8b"):
        return "gzip"
    # A text file could start with "BZh"; the block magic (digits of pi) or the end-of-stream magic
    # (digits of sqrt(pi), for empty content) right after it cannot be text.
    if magic.startswith(b"BZh") and magic[4:10] in (b"\x31\x41\x59\x26\x53\x59", b"\x17\x72\x45\x38\x50\x90"):
        return "bz2"
    if magic.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if magic.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    return None


@contextmanager
def open_vector_file(path: str | os.PathLike) -> Iterator[OpenedVectorFile]:
    """Open ``path`` for reading its (decompressed) bytes; closes everything on exit."""
    path = check_vector_path(path)
    raw = open(path, "rb")
    try:
        size = os.fstat(raw.fileno()).st_size
        compression = compression_of(raw.read(16))
        raw.seek(0)
        if compression is None:
            yield OpenedVectorFile(path, raw, path.name, None, size, raw)
            return
        if compression == "zip":
            with _open_zip_member(raw, path) as (member, info):
                name = f"{path.name}:{info.filename}"
                stream = _DecompressingReader(member, name, "zip")
                yield OpenedVectorFile(path, stream, name, "zip", size, raw, info.file_size)
            return
        opener = {"gzip": lambda f: gzip.GzipFile(fileobj=f, mode="rb"), "bz2": bz2.BZ2File,
                  "xz": lzma.LZMAFile}[compression]
        with opener(raw) as inner:
            yield OpenedVectorFile(path, _DecompressingReader(inner, path.name, compression), path.name,
                                   compression, size, raw)
    finally:
        raw.close()


@contextmanager
def _open_zip_member(raw: BinaryIO, path: Path):
    try:
        archive = zipfile.ZipFile(raw)
    except zipfile.BadZipFile as err:
        raise VectorFileError(f"{path.name}: the zip archive is damaged ({err}).",
                              hint="The download was probably cut short; download it again.") from err
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if not members:
            raise VectorFileError(f"{path.name}: the zip archive holds no file.",
                                  hint="Choose the vector file itself, or a zip that holds exactly one.")
        if len(members) > 1:
            listed = ", ".join(m.filename for m in members[:6]) + (", ..." if len(members) > 6 else "")
            raise VectorFileError(
                f"{path.name}: the zip archive holds {len(members)} files ({listed}); EmbedStudio reads "
                "a zip that holds exactly one vector file.",
                hint="Unzip it and choose the file you want (for GloVe, one dimension per file).")
        info = members[0]
        with archive.open(info) as member:
            yield member, info


def read_head(opened: OpenedVectorFile, size: int = HEAD_BYTES) -> tuple[bytes, bool]:
    """The first ``size`` decompressed bytes and whether they are the whole file."""
    head = opened.stream.read(size + 1)
    return head[:size], len(head) <= size


# ---- detection ----------------------------------------------------------------------------
def detect_format(path: str | os.PathLike) -> str:
    """``'glove' | 'word2vec_text' | 'word2vec_binary' | 'fasttext_bin' | 'gensim'`` from the content.

    fastText ``.vec`` files are ``'word2vec_text'``. Raises VectorFileError for a missing, empty or
    unrecognised file (the message says what the file looks like when it can tell).
    """
    with open_vector_file(path) as opened:
        head, whole = read_head(opened)
        return sniff_format(head, name=opened.name, whole_file=whole, suffix=_content_suffix(opened.path))


def _content_suffix(path: Path) -> str:
    """The suffix that describes the content: ``.bin`` for ``vectors.bin.gz``."""
    suffixes = [s.lower() for s in path.suffixes]
    while suffixes and suffixes[-1] in _COMPRESSION_SUFFIXES:
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


def sniff_format(head: bytes, *, name: str, whole_file: bool, suffix: str = "") -> str:
    """The format of a file whose first bytes are ``head`` (see :func:`detect_format`)."""
    if not head.strip():
        raise VectorFileError(f"{name}: the file is empty." if not head else f"{name}: the file holds only blank space.",
                              hint="Choose a GloVe, word2vec or fastText vector file; this one may not have "
                                   "downloaded completely.")
    if head.startswith(FASTTEXT_MAGIC) or _looks_like_old_fasttext(head):
        return "fasttext_bin"
    if is_pickle(head):
        if b"gensim" in head[:4096]:
            return "gensim"
        raise _unknown(name, "It is a Python pickle, but not a gensim model.")
    if head.startswith(b"\x93NUMPY"):
        raise _unknown(name, "It is a NumPy array (.npy), for example the '.vectors.npy' part of a gensim "
                             "model; choose the gensim file without that suffix instead.")
    lines = _complete_lines(head, whole_file)
    if not lines:
        raise _unknown(name, "Its first line is longer than 256 KB, so it is not text vectors.")
    header = _header(lines[0])
    if header is not None:
        return _format_after_header(head, lines, header, name=name, whole_file=whole_file, suffix=suffix)
    if _looks_like_glove(lines):
        return "glove"
    raise _unknown(name, _what_it_looks_like(head))


def _unknown(name: str, detail: str = "") -> VectorFileError:
    return VectorFileError(f"{name} {UNKNOWN_FORMAT}." + (f" {detail}" if detail else ""),
                           hint="Choose the vector file itself (for example glove.6B.100d.txt, "
                                "GoogleNews-vectors-negative300.bin, cc.en.300.vec or cc.en.300.bin).")


def _what_it_looks_like(head: bytes) -> str:
    start = head.lstrip()[:200].lower()
    if start.startswith((b"<!doctype html", b"<html")) or b"<html" in start:
        return "It is a web page (HTML): the download probably saved an error or login page instead of the file."
    if start.startswith(b"<?xml"):
        return "It is an XML file."
    if start.startswith((b"{", b"[")):
        return "It looks like JSON."
    if b"\x00" in head[:4096]:
        return "It is a binary file of a kind EmbedStudio does not recognise."
    return "Its lines are not a word followed by numbers."


def _looks_like_old_fasttext(head: bytes) -> bool:
    """fastText files written before the magic number existed start directly with the arguments."""
    if len(head) < 56:
        return False
    (dim, ws, epoch, min_count, neg, word_ngrams, loss, model, bucket, minn, maxn,
     lr_update_rate, t) = struct.unpack("<12id", head[:56])
    return (0 < dim <= 100_000 and 0 < ws <= 1000 and 0 < epoch <= 1_000_000 and min_count >= 0
            and 0 <= neg <= 1000 and 0 < word_ngrams <= 100 and loss in (1, 2, 3, 4) and model in (1, 2, 3)
            and 0 <= bucket <= 1_000_000_000 and 0 <= minn <= 100 and 0 <= maxn <= 100
            and lr_update_rate > 0 and 0.0 <= t < 1.0)


def _complete_lines(head: bytes, whole_file: bool, max_lines: int = 50) -> list[bytes]:
    """Up to ``max_lines`` complete lines of ``head`` (a cut-off last line is dropped)."""
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    parts = head.split(b"\n", max_lines)
    if len(parts) > max_lines:
        parts = parts[:max_lines]
    elif not whole_file:
        parts = parts[:-1]
    return [p.rstrip(b"\r") for p in parts if p.strip()]


def _header(line: bytes) -> tuple[int, int] | None:
    fields = line.split()
    if len(fields) == 2 and all(f.isdigit() for f in fields):
        return int(fields[0]), int(fields[1])
    return None


def _format_after_header(head: bytes, lines: list[bytes], header: tuple[int, int], *, name: str,
                         whole_file: bool, suffix: str) -> str:
    count, dim = header
    if dim < 1:
        raise _unknown(name, f"Its first line '{count} {dim}' looks like a word2vec header, but a dimension "
                             "of 0 is impossible.")
    if len(lines) > 1 and _is_text_vector_line(lines[1], dim):
        return "word2vec_text"
    after = head.split(b"\n", 1)[1] if b"\n" in head else b""
    if _looks_like_binary_record(after, dim):
        return "word2vec_binary"
    if len(lines) > 1 and _looks_like_glove(lines) and len(lines[1].split()) == 2:
        return "glove"  # a 1-d GloVe file whose first word happens to be a number
    if not after.strip():
        # Only a header: nothing to tell text from binary but the name.
        return "word2vec_binary" if suffix == ".bin" else "word2vec_text"
    raise _unknown(name, f"Its first line '{count} {dim}' looks like a word2vec header, but what follows is "
                         f"neither text lines of a word and {dim} numbers nor binary word2vec records.")


def _is_text_vector_line(line: bytes, dim: int) -> bool:
    fields = line.split()
    return len(fields) >= dim + 1 and all(_is_float(f) for f in fields[-dim:])


def _is_float(token: bytes) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _looks_like_binary_record(data: bytes, dim: int) -> bool:
    data = data.lstrip(b"\n")
    space = data.find(b" ", 0, 1001)
    if space <= 0 or b"\n" in data[:space]:
        return False
    vector = data[space + 1: space + 1 + 4 * dim]
    usable = len(vector) // 4
    if usable == 0:
        return len(data) == space + 1  # the head ends right after the first word
    values = np.frombuffer(vector[:4 * usable], dtype="<f4")
    # Trained vectors hold moderate finite numbers; text read as float32 gives huge or tiny garbage.
    return bool(np.all(np.isfinite(values)) and np.all(np.abs(values) < 1e4)
                and np.mean(np.abs(values) > 1e-12) > 0.5)


def _looks_like_glove(lines: list[bytes]) -> bool:
    sample = lines[:20]
    counts = Counter(len(line.split()) for line in sample)
    usual, seen = counts.most_common(1)[0]
    if usual < 2 or seen < max(1, int(0.8 * len(sample))):
        return False
    dim = usual - 1
    return all(_is_text_vector_line(line, dim) for line in sample if len(line.split()) >= usual)
