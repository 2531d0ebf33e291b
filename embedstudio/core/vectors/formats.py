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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

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
FORMAT_ALIASES = {
    "fasttext_vec": "word2vec_text",
    "vec": "word2vec_text",
    "fasttext": "fasttext_bin",
    "kv": "gensim",
    "keyedvectors": "gensim",
}
VECTOR_SUFFIXES = (".txt", ".vec", ".bin", ".w2v", ".kv", ".model", ".wv", ".vectors", ".gz", ".bz2", ".xz", ".zip")

UNKNOWN_FORMAT = (
    "is not a vector file EmbedStudio knows: expected GloVe text, word2vec text/binary, "
    "fastText .vec/.bin or gensim KeyedVectors"
)

FASTTEXT_MAGIC = struct.pack("<i", 793712314)
HEAD_BYTES = 1 << 18  # enough for several lines of 300-d text vectors, or one of 10,000-d
MAX_DIM = 100_000  # numbers per word; a header above it is damaged (real files stay at a few thousand)
MAX_WORD_BYTES = 1000  # longer "words" are damage or a wrong dimension (gensim's real files stay far below)
_COMPRESSION_SUFFIXES = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zip": "zip"}
_DECOMPRESSION_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError, zipfile.BadZipFile)


PICKLE_RISK = (
    "a Python pickle: opening it runs any code its author put in it, so EmbedStudio opens it only "
    "when you say you trust its source"
)
PICKLE_ROUTE = (
    "If you trust where it came from, open it with --trust-pickle (CLI) or "
    "trust_pickle = true on the vector source (embedding.vectors[N].trust_pickle in a run "
    "configuration); the GUI asks first. Safer: on a trusted machine convert it once with "
    "'embedstudio vectors convert FILE OUT.bin --trust-pickle' (word2vec binary, which carries no "
    "code) and use OUT.bin here."
)


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

    def __init__(self, inner: BinaryIO | io.BufferedIOBase, name: str, compression: str) -> None:
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
                f"{self.name}: the {self._compression} data is damaged or incomplete ({excerpt(err)}).",
                hint="The download was probably cut short; download the file again.",
            ) from err

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        try:
            return self._inner.readline(-1 if size is None else size)
        except _DECOMPRESSION_ERRORS as err:
            raise VectorFileError(
                f"{self.name}: the {self._compression} data is damaged or incomplete ({excerpt(err)}).",
                hint="The download was probably cut short; download the file again.",
            ) from err


@dataclass
class OpenedVectorFile:
    """A vector file opened for reading, decompressed if needed."""

    path: Path
    stream: BinaryIO | io.RawIOBase  # the (decompressed) bytes
    name: str  # for messages: "glove.txt", "glove.zip:glove.txt"
    compression: str | None
    file_size: int  # bytes on disk (compressed size for compressed files)
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
        raise VectorFileError(
            f"{path}: the vector file does not exist.", hint="Check the path; the file may have been moved or deleted."
        )
    if path.is_dir():
        raise VectorFileError(f"{path}: this is a folder, not a vector file.", hint="Choose the vector file inside it.")
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
    raw = open(path, "rb")  # noqa: SIM115 - closed in the finally below, or handed to the caller's context
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
        openers: dict[str, Callable[[BinaryIO], io.BufferedIOBase]] = {
            "gzip": lambda f: gzip.GzipFile(fileobj=f, mode="rb"),
            "bz2": bz2.BZ2File,
            "xz": lzma.LZMAFile,
        }
        opener = openers[compression]
        with opener(raw) as inner:
            yield OpenedVectorFile(
                path, _DecompressingReader(inner, path.name, compression), path.name, compression, size, raw
            )
    finally:
        raw.close()


@contextmanager
def _open_zip_member(raw: BinaryIO, path: Path):
    try:
        archive = zipfile.ZipFile(raw)
    except zipfile.BadZipFile as err:
        raise VectorFileError(
            f"{path.name}: the zip archive is damaged or incomplete ({excerpt(err)}).",
            hint="The download was probably cut short; download it again.",
        ) from err
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if not members:
            raise VectorFileError(
                f"{path.name}: the zip archive holds no file.",
                hint="Choose the vector file itself, or a zip that holds exactly one.",
            )
        if len(members) > 1:
            listed = ", ".join(m.filename for m in members[:6]) + (", ..." if len(members) > 6 else "")
            raise VectorFileError(
                f"{path.name}: the zip archive holds {len(members)} files ({listed}); EmbedStudio reads "
                "a zip that holds exactly one vector file.",
                hint="Unzip it and choose the file you want (for GloVe, one dimension per file).",
            )
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
        raise VectorFileError(
            f"{name}: the file is empty." if not head else f"{name}: the file holds only blank space.",
            hint="Choose a GloVe, word2vec or fastText vector file; this one may not have downloaded completely.",
        )
    encoding = _utf16_or_32(head)
    if encoding:
        raise VectorFileError(
            f"{name} is {encoding} text; EmbedStudio reads text vector files in UTF-8.",
            hint=f"Convert it to UTF-8 first, for example: iconv -f {encoding} -t UTF-8 '{name}' > vectors-utf8.txt",
        )
    if head.startswith(FASTTEXT_MAGIC) or _looks_like_old_fasttext(head):
        return "fasttext_bin"
    if is_pickle(head):
        if b"gensim" in head[:4096]:
            return "gensim"
        raise _unknown(name, "It is a Python pickle, but not a gensim model.")
    if head.startswith(b"\x93NUMPY"):
        raise _unknown(
            name,
            "It is a NumPy array (.npy), for example the '.vectors.npy' part of a gensim "
            "model; choose the gensim file without that suffix instead.",
        )
    lines = _complete_lines(head, whole_file)
    if not lines:
        raise _unknown(name, "Its first line is longer than 256 KB, so it is not text vectors.")
    header = _header(lines[0])
    if header is not None:
        return _format_after_header(head, lines, header, name=name, whole_file=whole_file, suffix=suffix)
    if _looks_like_glove(lines):
        return "glove"
    raise _unknown(name, _what_it_looks_like(head))


def _utf16_or_32(head: bytes) -> str | None:
    """'UTF-16' / 'UTF-32' when the head is text in those encodings (by BOM, or by the NUL pattern)."""
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "UTF-32"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    sample = head[:400]
    if len(sample) >= 40 and not sample.startswith(FASTTEXT_MAGIC):
        even, odd = sample[0::2], sample[1::2]
        for zeros, text in ((even, odd), (odd, even)):
            printable = sum(32 <= b < 127 or b in (9, 10, 13) for b in text)
            if zeros.count(0) > 0.9 * len(zeros) and printable > 0.9 * len(text):
                return "UTF-16"
    return None


def excerpt(value: object, limit: int = 160) -> str:
    """``str(value)`` cut to ``limit`` characters for a message (a damaged file's bytes can be huge)."""
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _unknown(name: str, detail: str = "") -> VectorFileError:
    return VectorFileError(
        f"{name} {UNKNOWN_FORMAT}." + (f" {detail}" if detail else ""),
        hint="Choose the vector file itself (for example glove.6B.100d.txt, "
        "GoogleNews-vectors-negative300.bin, cc.en.300.vec or cc.en.300.bin).",
    )


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
    (dim, ws, epoch, min_count, neg, word_ngrams, loss, model, bucket, minn, maxn, lr_update_rate, t) = struct.unpack(
        "<12id", head[:56]
    )
    return (
        0 < dim <= 100_000
        and 0 < ws <= 1000
        and 0 < epoch <= 1_000_000
        and min_count >= 0
        and 0 <= neg <= 1000
        and 0 < word_ngrams <= 100
        and loss in (1, 2, 3, 4)
        and model in (1, 2, 3)
        and 0 <= bucket <= 1_000_000_000
        and 0 <= minn <= 100
        and 0 <= maxn <= 100
        and lr_update_rate > 0
        and 0.0 <= t < 1.0
    )


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


def _format_after_header(
    head: bytes, lines: list[bytes], header: tuple[int, int], *, name: str, whole_file: bool, suffix: str
) -> str:
    """Text or binary after a ``<count> <dim>`` header, from evidence over several records.

    Text wins when most of the following lines are a word and ``dim`` numbers (one bad token cannot
    flip the decision; the text reader then names its line and column). Binary needs every record
    the head holds to parse as word, space, ``4 * dim`` bytes and a separator, with words that decode
    and vector bytes that are not printable text. When the lines are text vectors of another
    dimension, the file is text whose header disagrees (the text reader says so exactly).
    """
    count, dim = header
    if dim < 1:
        raise _unknown(
            name, f"Its first line '{count} {dim}' looks like a word2vec header, but a dimension of 0 is impossible."
        )
    if dim > MAX_DIM:
        raise VectorFileError(
            f"{name}, line 1: the header gives {dim:,} numbers per word, more than the "
            f"{MAX_DIM:,} any real vector file has; the header is damaged.",
            hint="Fix the first line ('<word count> <dimension>') or download the file again.",
        )
    body = lines[1:]
    if body and _share(body, lambda line: _is_text_vector_line(line, dim)) >= 0.5:
        return "word2vec_text"
    after = head.split(b"\n", 1)[1] if b"\n" in head else b""
    if _looks_like_binary_records(after, dim, count, whole_file):
        return "word2vec_binary"
    if len(lines) > 1 and _looks_like_glove(lines) and len(lines[1].split()) == 2:
        return "glove"  # a 1-d GloVe file whose first word happens to be a number
    if body and _text_dim(body) is not None:
        return "word2vec_text"  # text vectors of another dimension: the reader reports the mismatch
    if not after.strip():
        # Only a header: nothing to tell text from binary but the name.
        return "word2vec_binary" if suffix == ".bin" else "word2vec_text"
    raise _unknown(
        name,
        f"Its first line '{count} {dim}' looks like a word2vec header, but what follows is "
        f"neither text lines of a word and {dim} numbers nor binary word2vec records of "
        f"{dim} float32 numbers ({4 * dim} bytes) each.",
    )


def _share(lines: list[bytes], test) -> float:
    return sum(1 for line in lines if test(line)) / len(lines) if lines else 0.0


def _text_dim(lines: list[bytes]) -> int | None:
    """The dimension of text vector lines (most lines a word and the same count of numbers), or None."""
    counts = Counter(len(line.split()) - 1 for line in lines[:20])
    dim, seen = counts.most_common(1)[0]
    if dim < 1 or seen < max(1, 0.5 * min(len(lines), 20)):
        return None
    good = _share(
        [line for line in lines[:20] if len(line.split()) - 1 == dim], lambda line: _is_text_vector_line(line, dim)
    )
    return dim if good >= 0.8 else None


def _is_text_vector_line(line: bytes, dim: int) -> bool:
    fields = line.split()
    return len(fields) >= dim + 1 and all(_is_float(f) for f in fields[-dim:])


def _is_float(token: bytes) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


_TEXT_BYTES = bytes(range(0x20, 0x7F)) + b"\t\n\r"
_MAX_RECORDS_CHECKED = 16


def _looks_like_binary_records(data: bytes, dim: int, count: int, whole_file: bool) -> bool:
    """Whether ``data`` (the head after the header line) parses as word2vec binary records.

    Each record is a word (no newline inside, at most MAX_WORD_BYTES, decodable), a space and
    ``4 * dim`` bytes; the next record may start with a newline. Up to 16 records (or as many as
    the head or the header's count hold) must all parse. Zeros, NaN, huge counts or sparse rows are
    all fine: what rules binary out is structure, or vector bytes that are almost all printable
    text (text misread as float32).
    """
    need = 4 * dim
    pos = 0
    vector_bytes = bytearray()
    records = 0
    while records < min(count, _MAX_RECORDS_CHECKED):
        if data[pos : pos + 1] == b"\n":
            pos += 1
        space = data.find(b" ", pos, pos + MAX_WORD_BYTES + 1)
        if space < 0:
            if len(data) - pos > MAX_WORD_BYTES or b"\n" in data[pos:]:
                return False
            break  # the head (or a truncated file) ends inside this word
        word = data[pos:space]
        if not word or b"\n" in word or not _decodes(word):
            return False
        if space + 1 + need > len(data):
            # The head ends inside the record (or the file is truncated: the reader says so).
            partial = data[space + 1 :]
            vector_bytes += partial[: len(partial) - len(partial) % 4]
            if not vector_bytes:
                return records > 0 or not partial  # a word and nothing after it
            break
        vector_bytes += data[space + 1 : space + 1 + need]
        pos = space + 1 + need
        records += 1
    if not vector_bytes:
        return False
    if whole_file and records == count and not data[pos:].strip(b"\n"):
        return True  # every record the header announces, ending exactly at the end of the file
    textual = sum(1 for b in vector_bytes if b in _TEXT_BYTES) / len(vector_bytes)
    return textual < 0.9


def _decodes(word: bytes) -> bool:
    try:
        text = word.decode("utf-8")
    except UnicodeDecodeError:
        text = word.decode("latin-1")  # the reader accepts Latin-1 words too (with a warning)
        if any(0x80 <= b < 0xA0 for b in word):  # C1 controls: not Latin-1 text either
            return False
    return not any(ord(c) < 0x20 and c not in "\t" for c in text)


def _looks_like_glove(lines: list[bytes]) -> bool:
    sample = lines[:20]
    counts = Counter(len(line.split()) for line in sample)
    usual, seen = counts.most_common(1)[0]
    if usual < 2 or seen < max(1, int(0.8 * len(sample))):
        return False
    dim = usual - 1
    candidates = [line for line in sample if len(line.split()) >= usual]
    # Most lines, not all: one bad token must reach the reader, which names its line and column.
    return _share(candidates, lambda line: _is_text_vector_line(line, dim)) >= 0.8
