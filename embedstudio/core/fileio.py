"""Small file helpers shared by the core: atomic writes, content hashes, and the rules for paths that
come from untrusted places (symlinks that leave a folder, special files)."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Iterator


@contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """A binary handle on a temporary file beside ``path``; fsynced and renamed into place when the block ends.

    A crash, a full disk or an exception inside the block leaves the previous file intact instead of a
    half-written one, and removes the temporary file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_output(path) as fh:
        fh.write(data)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=False) + "\n")


def file_sha256(path: str | os.PathLike, *, chunk: int = 1 << 20) -> str:
    """Content hash of a file, or of every file under a directory (sorted by relative path)."""
    path = Path(path)
    h = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for f in files:
        if path.is_dir():
            h.update(str(f.relative_to(path)).encode("utf-8", "surrogateescape") + b"\0")
        with open(f, "rb") as fh:
            while block := fh.read(chunk):
                h.update(block)
    return h.hexdigest()


def is_inside(path: str | os.PathLike, root: str | os.PathLike) -> bool:
    """Whether ``path``, with every symlink resolved, lies inside ``root`` (also resolved).

    A symlink loop or an unresolvable link counts as outside.
    """
    try:
        real = Path(os.path.realpath(path, strict=True))
    except (OSError, RuntimeError):
        return False
    base = Path(os.path.realpath(root))
    return real == base or base in real.parents


def walk_files(root: str | os.PathLike, boundary: str | os.PathLike | None = None
               ) -> tuple[list[Path], list[Path]]:
    """Every regular file under ``root`` (sorted), and the symlinks skipped because they lead out of
    ``boundary`` (default ``root``).

    Symlinks are followed only when their target lies inside the boundary; each real folder is walked
    once, so a link loop ends. Names starting with '.' are the caller's business (they are listed).
    """
    root = Path(root)
    base = Path(os.path.realpath(boundary if boundary is not None else root))
    files: list[Path] = []
    outside: list[Path] = []
    seen_dirs: set[str] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        real = os.path.realpath(folder)
        if real in seen_dirs:
            continue
        seen_dirs.add(real)
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            path = Path(entry.path)
            if entry.is_symlink() and not is_inside(path, base):
                outside.append(path)
                continue
            try:
                if entry.is_dir():
                    stack.append(path)
                elif entry.is_file():
                    files.append(path)
            except OSError:
                continue
    return sorted(files), sorted(outside)
