"""Reading the members of a dataset archive (.tar.gz, .tar.bz2, .tar.xz, .tar, .zip) without trusting it.

- Integrity: a tar is decompressed by gzip/bz2/lzma's own file readers (they check the CRC and notice a
  stream that ends early), and the end of the tar must be its end-of-archive block; tarfile's stream
  mode alone stops quietly at a damaged or cut-off header and checks no CRC. zipfile checks each
  member's CRC. Any of these is a DatasetError that says the archive is damaged or incomplete.
- Bounds: a member larger than :data:`MAX_DOCUMENT_BYTES` is skipped unread (declared sizes bound every
  read: tarfile and zipfile never return more than a member's header says), and the members read
  may not add up to more than ``max_total_bytes`` (a decompression bomb stops there, with a message
  saying how to raise the ceiling).
- Links: symbolic and hard link members are never followed (only regular files are read), as folder
  datasets skip links that leave their root.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import DatasetError
from ..fileio import human_bytes

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024  # one document; larger members are skipped with a warning
MAX_TOTAL_BYTES = 8 * 1024 * 1024 * 1024  # all documents of one archive together
_ERRORS = (
    tarfile.TarError,
    zipfile.BadZipFile,
    EOFError,
    OSError,
    zlib.error,
    lzma.LZMAError,
    NotImplementedError,
    RuntimeError,
    ValueError,
)


@dataclass
class ArchiveRead:
    """What was skipped while reading an archive, for the import report."""

    oversized: list[tuple[str, int]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)

    def warnings(self, path: Path) -> list[str]:
        out = []
        if self.oversized:
            shown = ", ".join(f"{name} ({human_bytes(size)})" for name, size in self.oversized[:3])
            more = f" and {len(self.oversized) - 3} more" if len(self.oversized) > 3 else ""
            out.append(
                f"{path}: {len(self.oversized)} files larger than {human_bytes(MAX_DOCUMENT_BYTES)} were "
                f"skipped as too large to be one document: {shown}{more}."
            )
        if self.links:
            shown = ", ".join(self.links[:3]) + (", ..." if len(self.links) > 3 else "")
            out.append(f"{path}: {len(self.links)} links inside the archive were not followed ({shown}).")
        return out


def damaged(path: Path, err: BaseException) -> DatasetError:
    detail = str(err).strip() or type(err).__name__
    if len(detail) > 160:
        detail = detail[:160] + "..."
    return DatasetError(
        f"{path}: the archive is damaged or incomplete ({detail}).",
        hint="The download was probably cut short or corrupted; download it again.",
    )


def iter_members(
    path: Path,
    *,
    read: ArchiveRead | None = None,
    max_total_bytes: int = MAX_TOTAL_BYTES,
    max_document_bytes: int = MAX_DOCUMENT_BYTES,
    check_end: bool = True,
    progress: Callable[[float], None] | None = None,
) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of every regular file in the archive at ``path``, checked as the module says.

    ``check_end=False`` is for a quick look at the first members (the caller stops early).
    ``progress`` is called with the bytes of the archive file read so far (it may raise Cancelled).
    """
    progress = progress or (lambda done: None)
    read = read if read is not None else ArchiveRead()
    total = 0

    def account(name: str, size: int) -> bool:
        nonlocal total
        if size > max_document_bytes:
            read.oversized.append((name, size))
            return False
        total += size
        if total > max_total_bytes:
            raise DatasetError(
                f"{path}: the files in this archive add up to more than {human_bytes(max_total_bytes)} of text "
                "(the ceiling for one dataset); it may be a decompression bomb.",
                hint="If the data really is that large, raise the ceiling (data.max_bytes) or unpack it and "
                "use a smaller part.",
            )
        return True

    try:
        if _is_zip(path):
            yield from _zip_members(path, read, account, progress)
        else:
            yield from _tar_members(path, read, account, check_end, progress)
    except DatasetError:
        raise
    except _ERRORS as err:
        raise damaged(path, err) from None


def _is_zip(path: Path) -> bool:
    with open(path, "rb") as fh:
        magic = fh.read(4)
    return magic in (b"PK\x03\x04", b"PK\x05\x06") or (not magic and path.name.lower().endswith(".zip"))


def _zip_members(path: Path, read: ArchiveRead, account, progress) -> Iterator[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as zf:
        declared = _declared_zip_entries(zf)
        if declared is not None and declared != len(zf.infolist()):
            # A damaged central directory (e.g. a comment length) hides members without any error.
            raise DatasetError(
                f"{path}: the archive is damaged or incomplete: its directory lists "
                f"{len(zf.infolist()):,} files, but its end record announces {declared:,}.",
                hint="The download was probably corrupted; download it again.",
            )
        for info in zf.infolist():
            progress(info.header_offset)
            if info.is_dir():
                continue
            if (info.external_attr >> 16) & 0o170000 == 0o120000:  # a symlink stored by Info-ZIP
                read.links.append(info.filename)
                continue
            if not account(info.filename, info.file_size):
                continue
            yield info.filename, zf.read(info)  # zipfile checks the CRC at the end of each member


def _declared_zip_entries(zf: zipfile.ZipFile) -> int | None:
    """The entry count in the zip's end-of-central-directory record (None if it cannot be read)."""
    try:
        private: Any = zipfile  # _EndRecData is the reader zipfile itself uses; it is not in the typed API
        end = private._EndRecData(zf.fp)
        return int(end[private._ECD_ENTRIES_TOTAL]) if end else None
    except (AttributeError, OSError, IndexError, TypeError, ValueError):
        return None


def _decompressed(raw: BinaryIO) -> BinaryIO | io.BufferedIOBase:
    magic = raw.read(6)
    raw.seek(0)
    if magic.startswith(b"\x1f\x8b"):
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if magic.startswith(b"BZh"):
        return bz2.BZ2File(raw)
    if magic.startswith(b"\xfd7zXZ\x00"):
        return lzma.LZMAFile(raw)
    return raw


def _tar_members(path: Path, read: ArchiveRead, account, check_end: bool, progress) -> Iterator[tuple[str, bytes]]:
    """The fast path (:class:`_PlainTar`) while the headers are plain ustar/GNU file, folder and link
    headers; at the first header it does not handle (pax or GNU long names, sparse files, base-256 sizes, a
    bad checksum, the end of the data), ``tarfile`` takes over from that member on, with its own rules
    and messages."""
    done = 0
    with _PlainTar(path) as plain:
        try:
            for kind, name in plain.entries():
                progress(plain.compressed)
                if kind == "link":
                    read.links.append(name)
                elif kind != "file" or not account(name, plain.size):
                    plain.skip_data()
                else:
                    data = plain.data()
                    done += 1
                    yield name, data
                    continue
                done += 1
            if plain.finished(check_end):
                return
        except _Unusual:
            pass
    yield from _tarfile_members(path, read, account, check_end, progress, skip=done)


class _Unusual(Exception):
    """A tar header the fast path leaves to ``tarfile``."""


_BLOCK = 512
_READ_BLOCK = 1 << 20


class _PlainTar:
    """Reads a (compressed) tar as one sequential stream: a thread decompresses it 1 MiB at a time
    (zlib, bz2 and lzma release the GIL, so this overlaps the parsing here), and the 512-byte headers are
    parsed as tarfile parses them (the same names, sizes and checksum rule) for the plain types only."""

    def __init__(self, path: Path) -> None:
        import queue
        import threading

        self.path = path
        self.compressed = 0  # bytes of the archive file read so far
        self.size = 0
        self._buf = b""
        self._pos = 0
        self._eof = False
        self._queue: queue.Queue = queue.Queue(maxsize=8)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._decompress, name="archive-decompress", daemon=True)
        self._thread.start()

    def _decompress(self) -> None:
        import queue

        try:
            with open(self.path, "rb") as raw, _decompressed(raw) as inner:
                while not self._stop.is_set():
                    block = inner.read(_READ_BLOCK)
                    item: tuple[bytes, int] | BaseException = (block, raw.tell())
                    while not self._stop.is_set():
                        try:
                            self._queue.put(item, timeout=0.1)
                            break
                        except queue.Full:
                            continue
                    if not block:
                        return
        except BaseException as exc:  # noqa: BLE001 - handed to the reading thread, which raises it
            self._queue.put(exc)

    def __enter__(self) -> _PlainTar:
        return self

    def __exit__(self, *exc: object) -> None:
        import queue

        self._stop.set()
        while self._thread.is_alive():
            try:
                self._queue.get(timeout=0.05)
            except queue.Empty:
                pass
        self._thread.join()

    def _fill(self, n: int) -> bool:
        """At least ``n`` unread bytes buffered (False if the data ends first)."""
        if len(self._buf) - self._pos >= n:
            return True
        parts = [self._buf[self._pos :]]
        have = len(parts[0])
        while have < n and not self._eof:
            item = self._queue.get()
            if isinstance(item, BaseException):
                raise item
            block, self.compressed = item
            if not block:
                self._eof = True
                break
            parts.append(block)
            have += len(block)
        self._buf, self._pos = b"".join(parts), 0
        return have >= n

    def _take(self, n: int) -> bytes:
        out = self._buf[self._pos : self._pos + n]
        self._pos += n
        return out

    def entries(self) -> Iterator[tuple[str, str]]:
        """(kind, name) per member: kind 'file' (then :meth:`data` or :meth:`skip_data`), 'dir',
        'link' or 'other'. Stops before an all-zero block (the end-of-archive marker)."""
        while True:
            if not self._fill(_BLOCK):
                raise _Unusual  # cut off: tarfile says where
            header = self._buf[self._pos : self._pos + _BLOCK]
            if header.count(0) == _BLOCK:
                return
            kind, name, size = _plain_header(header)
            self._take(_BLOCK)
            self.size = size if kind == "file" else 0
            yield kind, name

    def data(self) -> bytes:
        size, padded = self.size, -(-self.size // _BLOCK) * _BLOCK
        if not self._fill(padded):
            raise _Unusual  # the member is cut short: tarfile's message
        out = self._take(size)
        self._pos += padded - size
        return out

    def skip_data(self) -> None:
        """Past the member's data without holding it (it may be far too large to read)."""
        left = -(-self.size // _BLOCK) * _BLOCK
        while left:
            available = len(self._buf) - self._pos
            if not available:
                if not self._fill(1):
                    raise _Unusual
                continue
            step = min(available, left)
            self._pos += step
            left -= step

    def finished(self, check_end: bool) -> bool:
        """After the end marker: read to the end (so the decompressor checks its CRC)."""
        if check_end:
            while True:
                self._buf, self._pos = b"", 0
                if not self._fill(1):
                    break
        return True


_PLAIN_TYPES = {b"0": "file", b"\x00": "file", b"7": "file", b"5": "dir", b"1": "link", b"2": "link"}


def _plain_header(header: bytes) -> tuple[str, str, int]:
    """(kind, name, size) of a ustar/GNU header as ``tarfile.TarInfo.frombuf`` reads it; raises _Unusual
    for anything else (pax and GNU long-name headers, sparse files, base-256 numbers, a bad checksum)."""
    kind = _PLAIN_TYPES.get(header[156:157])
    if kind is None or header[124] & 0x80 or header[148] & 0x80:
        raise _Unusual
    try:
        checksum = int(_nts(header[148:156], "ascii").strip() or "0", 8)
        size = int(_nts(header[124:136], "ascii").strip() or "0", 8)
    except (ValueError, UnicodeDecodeError):
        raise _Unusual from None
    unsigned = 256 + sum(header) - sum(header[148:156])  # the checksum field counts as spaces (256)
    if checksum != unsigned:
        raise _Unusual  # tarfile also accepts the signed sum; it decides
    name = _nts(header[0:100], "utf-8")
    if header[156:157] == b"\x00" and name.endswith("/"):
        kind = "dir"
    if kind == "dir":
        name = name.rstrip("/")
    prefix = _nts(header[345:500], "utf-8")
    if prefix:
        name = prefix + "/" + name
    return kind, name, size


def _nts(field: bytes, encoding: str) -> str:
    end = field.find(b"\x00")
    return (field if end < 0 else field[:end]).decode(encoding, "surrogateescape" if encoding != "ascii" else "strict")


def _tarfile_members(
    path: Path, read: ArchiveRead, account, check_end: bool, progress, skip: int = 0
) -> Iterator[tuple[str, bytes]]:
    """The members through ``tarfile`` (every tar dialect); the first ``skip`` members were already handled."""
    # tarfile's random-access mode over the decompressor (seeks only forward, as a stream, but reads each
    # header and member through the decompressor's C buffer: about twice as fast as tarfile's stream mode).
    with open(path, "rb") as raw, _decompressed(raw) as inner:
        with tarfile.open(fileobj=inner, mode="r:") as tf:
            for index, member in enumerate(tf):
                progress(raw.tell())
                if index < skip:
                    continue
                if member.issym() or member.islnk():
                    read.links.append(member.name)
                    continue
                if not member.isfile() or not account(member.name, member.size):
                    continue
                handle = tf.extractfile(member)
                data = handle.read() if handle is not None else b""
                if len(data) != member.size:
                    raise DatasetError(
                        f"{path}: the archive is damaged or incomplete: {member.name} ends after "
                        f"{len(data):,} of its {member.size:,} bytes.",
                        hint="The download was probably cut short; download it again.",
                    )
                yield member.name, data
            if not check_end:
                return
            end = tf.offset
        _check_tar_end(path, inner, end)


def _check_tar_end(path: Path, inner: BinaryIO | io.BufferedIOBase, end: int) -> None:
    """The tar stream must stop at an end-of-archive block of zeros, and the compressed data must be whole."""
    inner.seek(end)
    block = inner.read(512)
    if len(block) < 512 or block.strip(b"\x00"):
        what = "is cut off" if len(block) < 512 else "holds a damaged header"
        raise DatasetError(
            f"{path}: the archive is damaged or incomplete: it {what} at byte {end:,} of the "
            "unpacked data, before its end-of-archive marker; the files after that were not read.",
            hint="The download was probably cut short or corrupted; download it again.",
        )
    while inner.read(1 << 20):  # the rest (padding): reading to the end makes gzip/bz2/xz check their CRC
        pass
