"""Binary cache of parsed vector files, so that a file is parsed once and later opens in well under a second.

Layout: ``<root>/<key>/`` with ``matrix.npy`` (float32, memory-mapped on load), ``words.txt``
(UTF-8, one separator-joined blob: decoding one blob is far faster than unpickling a list) and
``meta.json``. ``key`` hashes the source's absolute path, the format and the limit, so a re-parse
replaces the old entry instead of piling up; the source's size and mtime (ns) are stored inside and
checked on load, so an edited or replaced source is never served stale.

An entry is written into a temporary directory under the root and renamed into place, so a crash
or full disk never leaves a half-written entry that looks valid.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Sequence

import numpy as np

SCHEMA_VERSION = 1
_TEMP_PREFIX = ".tmp-"
_TRASH_PREFIX = ".old-"
_STALE_TEMP_SECONDS = 3600  # a temp dir this old belongs to a crashed writer, not a running one
_SEPARATORS = ("\n", "\x00")


def default_cache_root() -> Path:
    """``$EMBEDSTUDIO_CACHE_DIR`` if set, else the platform's user cache directory + ``/vectors``."""
    override = os.environ.get("EMBEDSTUDIO_CACHE_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("embedstudio", appauthor=False)) / "vectors"


class VectorCache:
    """Parsed vector files keyed by (source path, format, limit) and validated by size + mtime."""

    def __init__(self, root: str | os.PathLike | None = None) -> None:
        self.root = Path(root) if root is not None else default_cache_root()

    # -- reading ---------------------------------------------------------------------------------
    def load(self, source_path: str | os.PathLike, *, format: str, limit: int | None
             ) -> tuple[list[str], np.ndarray, dict] | None:
        """(words, read-only memory-mapped float32 matrix, meta) or None if absent, stale or unreadable."""
        entry = self._entry_dir(source_path, format, limit)
        info = _read_info(entry)
        if info is None or not _is_fresh(info, source_path):
            return None
        try:
            matrix = np.load(entry / "matrix.npy", mmap_mode="r", allow_pickle=False)
            words = _read_words(entry / "words.txt", info["separator"], info["words"])
        except (OSError, ValueError, EOFError, UnicodeDecodeError):
            return None  # damaged or half-deleted entry: a miss, and the next store() replaces it
        if matrix.dtype != np.float32 or matrix.ndim != 2 or matrix.shape[0] != len(words):
            return None
        return words, matrix, info["meta"]

    def entry_info(self, source_path: str | os.PathLike) -> list[dict]:
        """Every cache entry of ``source_path`` (any format or limit), newest first, for the GUI.

        Each dict: ``path`` (entry directory), ``source``, ``format``, ``limit``, ``words``, ``dim``,
        ``size`` (bytes on disk), ``created`` (epoch seconds), ``fresh`` (matches the source now).
        """
        wanted = _source_identity(source_path)
        return [item for item in self.entries() if item["source"] == wanted]

    def entries(self) -> list[dict]:
        """Every entry in the cache, as :meth:`entry_info` describes them, newest first."""
        found = [{
            "path": entry, "source": info["source"], "format": info["format"], "limit": info["limit"],
            "words": info["words"], "dim": info["dim"], "size": _tree_size(entry),
            "created": info["created"], "fresh": _is_fresh(info, info["source"]),
        } for entry, info in self._entries()]
        return sorted(found, key=lambda item: item["created"], reverse=True)

    def size(self) -> int:
        """Bytes used by the whole cache, including leftovers of interrupted writes."""
        return _tree_size(self.root) if self.root.is_dir() else 0

    # -- writing ---------------------------------------------------------------------------------
    def store(self, source_path: str | os.PathLike, *, format: str, limit: int | None,
              words: Sequence[str], matrix: np.ndarray, meta: dict) -> Path:
        """Write an entry atomically and return its directory. ``meta`` must be JSON-serialisable."""
        matrix = np.asarray(matrix)
        if matrix.ndim != 2 or matrix.shape[0] != len(words):
            raise ValueError(f"{len(words)} words do not match a matrix of shape {matrix.shape}")
        stat = os.stat(source_path)
        self.root.mkdir(parents=True, exist_ok=True)
        self._remove_abandoned_temps()
        entry = self._entry_dir(source_path, format, limit)
        separator = _choose_separator(words)
        info = {
            "schema_version": SCHEMA_VERSION, "source": _source_identity(source_path),
            "source_size": stat.st_size, "source_mtime_ns": stat.st_mtime_ns,
            "format": format, "limit": limit, "words": len(words), "dim": int(matrix.shape[1]),
            "separator": separator, "created": time.time(), "meta": meta,
        }
        temp = Path(tempfile.mkdtemp(prefix=_TEMP_PREFIX, dir=self.root))
        try:
            _write_entry(temp, words, matrix, info)
            _replace_dir(temp, entry)
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
        return entry

    def clear(self, source_path: str | os.PathLike | None = None) -> int:
        """Delete the entries of ``source_path`` (or the whole cache); return the bytes freed."""
        if source_path is None:
            targets = [p for p in self.root.iterdir()] if self.root.is_dir() else []
        else:
            targets = [item["path"] for item in self.entry_info(source_path)]
        freed = 0
        for target in targets:
            size = _tree_size(target) if target.is_dir() else target.stat().st_size
            if target.is_dir():
                shutil.rmtree(target, ignore_errors=True)
            else:
                target.unlink(missing_ok=True)
            if not target.exists():
                freed += size
        return freed

    # -- internals -------------------------------------------------------------------------------
    def _entry_dir(self, source_path, format: str, limit: int | None) -> Path:
        key = json.dumps([_source_identity(source_path), format, limit])
        return self.root / hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]

    def _entries(self):
        if not self.root.is_dir():
            return
        for entry in self.root.iterdir():
            if entry.name.startswith((_TEMP_PREFIX, _TRASH_PREFIX)):
                continue
            info = _read_info(entry)
            if info is not None:
                yield entry, info

    def _remove_abandoned_temps(self) -> None:
        cutoff = time.time() - _STALE_TEMP_SECONDS
        for path in self.root.iterdir():
            if path.name.startswith(_TRASH_PREFIX) or (
                    path.name.startswith(_TEMP_PREFIX) and path.stat().st_mtime < cutoff):
                shutil.rmtree(path, ignore_errors=True)


def _source_identity(source_path) -> str:
    return str(Path(source_path).resolve())


def _is_fresh(info: dict, source_path) -> bool:
    try:
        stat = os.stat(source_path)
    except OSError:
        return False
    return (info["source"] == _source_identity(source_path) and info["source_size"] == stat.st_size
            and info["source_mtime_ns"] == stat.st_mtime_ns)


def _read_info(entry: Path) -> dict | None:
    try:
        info = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or info.get("schema_version") != SCHEMA_VERSION:
        return None
    return info


def _choose_separator(words: Sequence[str]) -> str | None:
    """A character no word contains, so the vocabulary is one blob; None means fall back to JSON."""
    blob = "".join(words)
    return next((separator for separator in _SEPARATORS if separator not in blob), None)


def _write_entry(directory: Path, words: Sequence[str], matrix: np.ndarray, info: dict) -> None:
    separator = info["separator"]
    if separator is None:
        text = json.dumps(list(words), ensure_ascii=False)
    else:
        text = separator.join(words)
    with open(directory / "words.txt", "wb") as fh:
        fh.write(text.encode("utf-8", "surrogatepass"))
        fh.flush()
        os.fsync(fh.fileno())
    with open(directory / "matrix.npy", "wb") as fh:
        np.save(fh, np.ascontiguousarray(matrix, dtype=np.float32), allow_pickle=False)
        fh.flush()
        os.fsync(fh.fileno())
    # meta.json last: an entry without it is never read as valid.
    with open(directory / "meta.json", "w", encoding="utf-8") as fh:
        json.dump(info, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())


def _read_words(path: Path, separator: str | None, count: int) -> list[str]:
    text = path.read_bytes().decode("utf-8", "surrogatepass")
    if separator is None:
        return json.loads(text)
    return text.split(separator) if count else []


def _replace_dir(new: Path, target: Path) -> None:
    """Rename ``new`` to ``target``; an existing ``target`` is first moved aside, then deleted.

    A directory cannot be renamed over a non-empty one, so there is a short window without an
    entry (a cache miss), never one with a mixed or partial entry.
    """
    old = None
    if target.exists():
        old = target.with_name(f"{_TRASH_PREFIX}{target.name}-{os.getpid()}-{time.monotonic_ns()}")
        try:
            os.replace(target, old)
        except FileNotFoundError:  # another process replaced it at the same moment
            old = None
    os.replace(new, target)
    if old is not None:
        # On Windows a memory-mapped matrix cannot be deleted; the next store() retries.
        shutil.rmtree(old, ignore_errors=True)


def _tree_size(path: Path) -> int:
    total = 0
    for dirpath, _dirnames, filenames in os.walk(path):
        for name in filenames:
            try:
                total += os.stat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total
