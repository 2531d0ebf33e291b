"""Binary cache of parsed vector files, so that a file is parsed once and later opens in well under a second.

Layout: ``<root>/<key>/`` with ``matrix.npy`` (float32, memory-mapped on load), ``words.txt``
(UTF-8, one separator-joined blob: decoding one blob is far faster than unpickling a list) and
``meta.json``. ``key`` hashes the source's absolute path, the format and the limit, so a re-parse
replaces the old entry instead of piling up; the source's size and mtime (ns) are stored inside and
checked on load, so an edited or replaced source is never served stale.

An entry is written into ``<root>/.partial-<key>/`` and renamed into place, so a crash or full disk
never leaves a half-written entry that looks valid. The write is resumable: the matrix goes out in
4 MiB blocks whose digests are recorded (``progress.json``) after each fsync'd stretch, so a writer that
was killed leaves a partial entry whose finished blocks the next writer checks against its own matrix
and skips. ``store_in_background`` runs the write on a thread, so that a first open hands the vectors
to the caller at once; it also builds the row norms and the word index (stored as ``norms.npy``,
``word_hashes.npy`` and ``word_rows.npy``) and the int8 coarse copy that fast queries scan
(``coarse_codes.npy``, ``coarse_scales.npy``, ``coarse_errors.npy``: 0.25× the matrix), so that the first
query of a session is as fast as any. ``on_done`` tells the caller when the write has finished.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# 2: checksums of the words and the matrix, and a sampled fingerprint of the source;
# 3: the matrix checksum over 4 MiB block digests (resumable writes), row norms and a word index;
# 4: the int8 coarse copy that fast queries scan (queries.CoarseCopy).
SCHEMA_VERSION = 4
VERIFY_ON_OPEN_BYTES = 64 * 1024 * 1024  # matrices up to this size are hashed at every open
_HASH_BLOCK = 1 << 22
_SAMPLE = 1 << 16
_TEMP_PREFIX = ".tmp-"
_TRASH_PREFIX = ".old-"
_PARTIAL_PREFIX = ".partial-"  # ".partial-<key>": a resumable write of entry <key>
_STALE_PARTIAL_SECONDS = 7 * 24 * 3600  # a partial entry nobody resumed for a week is removed
_SYNC_BLOCKS = 16  # fsync and record progress every 16 blocks (64 MiB)
_EXTRA_FILES = ("norms.npy", "word_hashes.npy", "word_rows.npy")
_COARSE_FILES = ("coarse_scales.npy", "coarse_errors.npy")  # checked at every open, with the extras
_CODES_FILE = "coarse_codes.npy"  # n × d int8, checked like the matrix (its checksum is "codes_hash")
UNPACK_PREFIX = ".unpack-"  # decompressed copies for gensim/fasttext: ".unpack-<pid>-..."
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
        self.last_problem: str | None = None  # why the last load() found a damaged entry (None: fine or absent)
        # The row norms and word index of the last load()'s entry (``QueryData``), when it has them.
        self.last_query_data: QueryData | None = None

    # -- reading ---------------------------------------------------------------------------------
    def load(
        self, source_path: str | os.PathLike, *, format: str, limit: int | None, verify_matrix: bool | None = None
    ) -> tuple[Sequence[str], np.ndarray, dict] | None:
        """(words, read-only memory-mapped float32 matrix, meta) or None if absent, stale or damaged.

        Always checked: the entry's fields, the source's size, mtime and sampled fingerprint, the words'
        checksum and the matrix file's header and length. The matrix checksum too when
        ``verify_matrix`` is true, or by default when the matrix is at most VERIFY_ON_OPEN_BYTES
        (larger ones: :meth:`verify`, ``embedstudio vectors cache --verify``). A damaged entry is a miss
        (``last_problem`` says why) and the next store() replaces it; nothing here raises.
        """
        self.last_problem = None
        self.last_query_data = None
        entry = self._entry_dir(source_path, format, limit)
        info = _read_info(entry)
        if info is None:
            if (entry / "meta.json").exists():
                self.last_problem = "its meta.json is unreadable or has invalid fields"
            return None
        if not _is_fresh(info, source_path):
            return None
        try:
            problem = _check_entry(entry, info, verify_matrix)
            if problem is None:
                matrix = np.load(entry / "matrix.npy", mmap_mode="r", allow_pickle=False)
                words = _read_words(entry / "words.txt", info["separator"], info["words"])
                if len(words) != info["words"] or matrix.shape != (info["words"], info["dim"]):
                    problem = "its word list or matrix does not match its description"
                else:
                    # _check_entry checked the coarse codes with the matrix when it checked the matrix.
                    self.last_query_data = _read_query_data(entry, info, words, verify_codes=False)
        except (OSError, ValueError, EOFError, UnicodeDecodeError, TypeError, KeyError) as err:
            problem = f"it cannot be read ({type(err).__name__})"
        if problem is not None:
            self.last_problem = problem
            return None
        return words, matrix, info["meta"]

    def wait_for_write(self, source_path: str | os.PathLike, *, format: str, limit: int | None) -> None:
        """If this process is writing that entry in the background, wait until it is written (a second open
        of a file right after the first then comes from the cache, instead of parsing the file again)."""
        with _ACTIVE_LOCK:
            running = _ACTIVE.get(str(self._entry_dir(source_path, format, limit)))
        if running is not None:
            running.wait()

    def verify(self) -> list[tuple[dict, str | None]]:
        """Check every entry completely (matrix checksum included); damaged entries are deleted.

        Returns (entry as :meth:`entries` describes it, problem or None) for each entry.
        """
        results = []
        for item in self.entries():
            info = _read_info(item["path"])
            try:
                problem = _check_entry(item["path"], info, True) if info is not None else "unreadable meta.json"
            except (OSError, ValueError) as err:
                problem = f"it cannot be read ({type(err).__name__})"
            if problem is not None:
                shutil.rmtree(item["path"], ignore_errors=True)
            results.append((item, problem))
        return results

    def entry_info(self, source_path: str | os.PathLike) -> list[dict]:
        """Every cache entry of ``source_path`` (any format or limit), newest first, for the GUI.

        Each dict: ``path`` (entry directory), ``source``, ``format``, ``limit``, ``words``, ``dim``,
        ``size`` (bytes on disk), ``created`` (epoch seconds), ``fresh`` (matches the source now).
        """
        wanted = _source_identity(source_path)
        return [item for item in self.entries() if item["source"] == wanted]

    def entries(self) -> list[dict]:
        """Every entry in the cache, as :meth:`entry_info` describes them, newest first."""
        found = [
            {
                "path": entry,
                "source": info["source"],
                "format": info["format"],
                "limit": info["limit"],
                "words": info["words"],
                "dim": info["dim"],
                "size": _tree_size(entry),
                "created": info["created"],
                "fresh": _is_fresh(info, info["source"]),
            }
            for entry, info in self._entries()
        ]
        return sorted(found, key=lambda item: item["created"], reverse=True)

    def size(self) -> int:
        """Bytes used by the whole cache, including leftovers of interrupted writes."""
        return _tree_size(self.root) if self.root.is_dir() else 0

    # -- writing ---------------------------------------------------------------------------------
    def store(
        self,
        source_path: str | os.PathLike,
        *,
        format: str,
        limit: int | None,
        words: Sequence[str],
        matrix: np.ndarray,
        meta: dict,
        on_query_data: Callable[[QueryData], None] | None = None,
    ) -> Path | None:
        """Write an entry atomically and return its directory. ``meta`` must be JSON-serialisable.

        Resumes a partial entry that a killed writer left (its finished blocks are checked and skipped).
        Returns None when another live process is writing the same entry right now. ``on_query_data``
        receives the row norms and word index as soon as they are built, before the files are written, and
        again with the coarse copy (memory-mapped from the finished entry) once the entry is in place.
        """
        matrix = np.asarray(matrix)
        if matrix.ndim != 2 or matrix.shape[0] != len(words):
            raise ValueError(f"{len(words)} words do not match a matrix of shape {matrix.shape}")
        stat = os.stat(source_path)
        self.root.mkdir(parents=True, exist_ok=True)
        self._remove_abandoned_temps()
        entry = self._entry_dir(source_path, format, limit)
        separator = _choose_separator(words)
        info = {
            "schema_version": SCHEMA_VERSION,
            "source": _source_identity(source_path),
            "source_size": stat.st_size,
            "source_mtime_ns": stat.st_mtime_ns,
            "source_sample": _source_sample(source_path, stat.st_size),
            "format": format,
            "limit": limit,
            "words": len(words),
            "dim": int(matrix.shape[1]),
            "separator": separator,
            "created": time.time(),
            "meta": meta,
        }
        partial = entry.with_name(_PARTIAL_PREFIX + entry.name)
        partial.mkdir(exist_ok=True)
        if not _take_lock(partial):
            return None
        try:
            query = _write_entry(partial, words, matrix, info, on_query_data)
            _replace_dir(partial, entry)  # still locked, so no other writer can take the partial meanwhile
        except BaseException:
            (partial / "lock").unlink(missing_ok=True)  # the finished blocks stay for the next writer
            raise
        (entry / "lock").unlink(missing_ok=True)
        _return_freed_memory()  # the writer's temporaries, kept in its thread's malloc arena otherwise
        if on_query_data is not None:
            # The codes memory-mapped from the finished entry (never held in memory while writing); the rest
            # is already in memory.
            from embedstudio.core.vectors.queries import CoarseCopy

            codes = np.load(entry / _CODES_FILE, mmap_mode="r", allow_pickle=False)
            mapped = _map_written_matrix(entry / "matrix.npy", query.matrix_file, matrix.shape)
            on_query_data(
                QueryData(query.inverse_norms, query.word_index, CoarseCopy(codes, *query.coarse), matrix=mapped)
            )
        return entry

    def store_in_background(
        self,
        source_path: str | os.PathLike,
        *,
        format: str,
        limit: int | None,
        words: Sequence[str],
        matrix: np.ndarray,
        meta: dict,
        on_query_data: Callable[[QueryData], None] | None = None,
        on_done: Callable[[CacheWrite], None] | None = None,
    ) -> CacheWrite:
        """:meth:`store` on a thread of its own; returns at once. The matrix must not change meanwhile (the
        reader hands it to the caller read-only). A second write of the same entry from this process while one
        runs is skipped (its ``on_done`` then runs when the running write finishes). The thread is not a daemon:
        the interpreter finishes the write before it exits.

        ``on_done(write)`` runs on the writer's thread when the write has finished, failed or was skipped
        (``write.entry``, ``write.error``); a GUI hands it on to its own thread (a Qt signal)."""
        key = str(self._entry_dir(source_path, format, limit))
        write = CacheWrite(key)
        write.source = _source_identity(source_path)
        with _ACTIVE_LOCK:
            running = _ACTIVE.get(key)
            if running is not None and running.thread is not None and running.thread.is_alive():
                if on_done is not None:
                    running.callbacks.append(on_done)  # it is running, so its callbacks have not run yet
                return running
            _ACTIVE[key] = write
            if on_done is not None:
                write.callbacks.append(on_done)

        # The thread takes the words and matrix out of this list and lets go of them before the callbacks run, so
        # that a caller who swapped in the entry's mapped matrix (on_query_data) has the parsed one freed by then.
        payload = [(words, matrix)]
        del words, matrix

        def run() -> None:
            job_words, job_matrix = payload.pop()
            try:
                write.entry = self.store(
                    source_path,
                    format=format,
                    limit=limit,
                    words=job_words,
                    matrix=job_matrix,
                    meta=meta,
                    on_query_data=on_query_data,
                )
            except Exception as err:  # a full disk or a read-only folder only costs speed next time
                write.error = err
            finally:
                del job_words, job_matrix
                with _ACTIVE_LOCK:
                    if _ACTIVE.get(key) is write:
                        del _ACTIVE[key]
                    callbacks, write.callbacks = write.callbacks, []
                    write.finished.set()  # under the lock: add_done_callback either queues or calls at once
                for callback in callbacks:
                    callback(write)

        write.thread = threading.Thread(target=run, name="vector-cache-write", daemon=False)
        write.thread.start()
        return write

    def clear(self, source_path: str | os.PathLike | None = None) -> int:
        """Delete the entries of ``source_path`` (or the whole cache); return the bytes freed.

        Waits first for this process's background writes, so that none lands after the clearing."""
        wait_for_cache_writes()
        if source_path is None:
            targets = [p for p in self.root.iterdir()] if self.root.is_dir() else []
        else:
            targets = [item["path"] for item in self.entry_info(source_path)]
            targets += [p for p in self._partials() if _partial_source(p) == _source_identity(source_path)]
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

    def _partials(self) -> list[Path]:
        return [p for p in self.root.iterdir() if p.name.startswith(_PARTIAL_PREFIX)] if self.root.is_dir() else []

    def _entries(self):
        if not self.root.is_dir():
            return
        for entry in self.root.iterdir():
            if entry.name.startswith((_TEMP_PREFIX, _TRASH_PREFIX, _PARTIAL_PREFIX)):
                continue
            info = _read_info(entry)
            if info is not None:
                yield entry, info

    def _remove_abandoned_temps(self) -> None:
        self.remove_leftovers()

    def remove_leftovers(self) -> int:
        """Delete what interrupted writers left behind; returns the bytes freed.

        Temporary entries and unpacked copies carry the writer's pid (``.tmp-<pid>-``, ``.unpack-<pid>-``):
        those of processes that no longer exist go at once, the others (a load running in another
        process) stay. Temporary entries without a pid (older versions) go after an hour.
        """
        if not self.root.is_dir():
            return 0
        freed = 0
        cutoff = time.time() - _STALE_TEMP_SECONDS
        for path in self.root.iterdir():
            name = path.name
            if name.startswith(_TRASH_PREFIX):
                stale = True
            elif name.startswith(_PARTIAL_PREFIX):
                # Kept for the next writer to resume, unless its source is gone or nobody did for a week.
                try:
                    stale = not _lock_alive(path) and (
                        path.stat().st_mtime < time.time() - _STALE_PARTIAL_SECONDS
                        or not os.path.exists(_partial_source(path) or "")
                    )
                except OSError:
                    continue
            elif name.startswith((_TEMP_PREFIX, UNPACK_PREFIX)):
                pid = _pid_in(name)
                try:
                    stale = (not _pid_alive(pid)) if pid is not None else path.stat().st_mtime < cutoff
                except OSError:
                    continue
            else:
                continue
            if stale:
                size = _tree_size(path) if path.is_dir() else _file_size(path)
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
                freed += size if not path.exists() else 0
        return freed


def _pid_in(name: str) -> int | None:
    """The writer's pid in ``.tmp-<pid>-xxxx`` / ``.unpack-<pid>-xxxx``, or None."""
    parts = name.lstrip(".").split("-")
    return int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else None


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _source_identity(source_path) -> str:
    return str(Path(source_path).resolve())


def _is_fresh(info: dict, source_path) -> bool:
    try:
        stat = os.stat(source_path)
    except OSError:
        return False
    return (
        info["source"] == _source_identity(source_path)
        and info["source_size"] == stat.st_size
        and info["source_mtime_ns"] == stat.st_mtime_ns
        and info["source_sample"] == _source_sample(source_path, stat.st_size)
    )


def _source_sample(source_path, size: int) -> str:
    """A hash of the source's size and its first, middle and last 64 KiB: a file swapped under the same
    size and mtime (a copy with ``touch -r``, a restored backup) is not served another file's vectors."""
    h = hashlib.blake2b(str(size).encode(), digest_size=16)
    try:
        with open(source_path, "rb") as fh:
            for offset in sorted({0, max(0, size // 2 - _SAMPLE // 2), max(0, size - _SAMPLE)}):
                fh.seek(offset)
                h.update(fh.read(_SAMPLE))
    except OSError:
        return ""
    return h.hexdigest()


_INFO_TYPES: dict[str, type | tuple[type, ...]] = {
    "source": str,
    "source_size": int,
    "source_mtime_ns": int,
    "source_sample": str,
    "format": str,
    "words": int,
    "dim": int,
    "created": (int, float),
    "meta": dict,
    "words_hash": str,
    "matrix_hash": str,
    "matrix_bytes": int,
}
_META_TYPES: dict[str, type] = {"duplicates": int, "duplicate_examples": list, "warnings": list}


def _read_info(entry: Path) -> dict | None:
    """The entry's meta.json if every field has the type it must have (else None: a damaged entry)."""
    try:
        info = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or info.get("schema_version") != SCHEMA_VERSION:
        return None
    for key, kind in _INFO_TYPES.items():
        if not isinstance(info.get(key), kind) or isinstance(info.get(key), bool):
            return None
    if not (info.get("limit") is None or isinstance(info["limit"], int)) or info.get("separator") not in (
        *_SEPARATORS,
        None,
    ):
        return None
    meta = info["meta"]
    for key, kind in _META_TYPES.items():
        if key in meta and not isinstance(meta[key], kind):
            return None
    if any(not isinstance(x, str) for x in meta.get("warnings", []) + meta.get("duplicate_examples", [])):
        return None
    if not (meta.get("header_count") is None or isinstance(meta["header_count"], int)):
        return None
    if info["words"] < 0 or info["dim"] < 1:
        return None
    return info


def _check_entry(entry: Path, info: dict, verify_matrix: bool | None) -> str | None:
    """Why the entry's files do not match its meta.json, or None."""
    words_blob = (entry / "words.txt").read_bytes()
    if _hash(words_blob) != info["words_hash"]:
        return "its word list was changed or damaged (checksum mismatch)"
    path = entry / "matrix.npy"
    with open(path, "rb") as fh:
        version = np.lib.format.read_magic(fh)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = read_header(fh)
        data_start = fh.tell()
    if shape != (info["words"], info["dim"]) or fortran or dtype != np.dtype("<f4"):
        return f"its matrix header says {shape} {dtype}, not ({info['words']}, {info['dim']}) float32"
    if os.path.getsize(path) - data_start != info["matrix_bytes"]:
        return "its matrix file has the wrong length"
    if verify_matrix is None:
        verify_matrix = info["matrix_bytes"] <= VERIFY_ON_OPEN_BYTES
    if verify_matrix and _file_hash(path, data_start) != info["matrix_hash"]:
        return "its matrix was changed or damaged (checksum mismatch)"
    codes = entry / _CODES_FILE
    if verify_matrix and isinstance(info.get("codes_hash"), str):
        start = os.path.getsize(codes) - info["words"] * info["dim"] if codes.exists() else 0
        if not codes.exists() or start < 0 or _file_hash(codes, start) != info["codes_hash"]:
            return "its coarse copy was changed or damaged (checksum mismatch)"
    return None


def _hash(data) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _file_hash(path: Path, start: int) -> str:
    """blake2b over the digests of the data's 4 MiB blocks (the checksum _write_matrix records)."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        fh.seek(start)
        while block := fh.read(_HASH_BLOCK):
            h.update(hashlib.blake2b(block, digest_size=16).digest())
    return h.hexdigest()


_WORDS_PER_PIECE = 8192  # words joined at a time: one str of all words may take 4 bytes a character


def _choose_separator(words: Sequence[str]) -> str | None:
    """A character no word contains, so the vocabulary is one blob; None means fall back to JSON."""
    from embedstudio.core.vectors.wordlist import WordList

    if isinstance(words, WordList):
        return words.separator.decode("ascii")  # no word contains it
    for separator in _SEPARATORS:
        if not any(
            separator in "".join(words[i : i + _WORDS_PER_PIECE]) for i in range(0, len(words), _WORDS_PER_PIECE)
        ):
            return separator
    return None


@dataclass
class QueryData:
    """What a query needs besides the matrix: 1/||row|| (float32), a word -> row index and the coarse copy
    (either None when absent)."""

    inverse_norms: np.ndarray
    word_index: Any = None  # queries.WordIndex
    coarse: Any = None  # queries.CoarseCopy (None until the entry's coarse copy is written)
    # The finished entry's matrix, memory-mapped, handed over with the coarse copy so that the caller can drop
    # the matrix it parsed (the same bytes): its queries then page in the coarse copy in place of the float32
    # matrix's anonymous memory instead of next to it.
    matrix: np.ndarray | None = None
    matrix_file: tuple[int, int] | None = None  # (st_dev, st_ino) of the matrix.npy this writer wrote


class CacheWrite:
    """A cache write running on a thread: ``wait()``, then ``entry`` (the directory, None if skipped) or
    ``error``."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.source = ""  # the source file's resolved path
        self.thread: threading.Thread | None = None
        self.entry: Path | None = None
        self.error: BaseException | None = None
        self.callbacks: list[Callable[[CacheWrite], None]] = []  # on_done callbacks, run once when it ends
        self.finished = threading.Event()  # set before the callbacks run

    def add_done_callback(self, callback: Callable[[CacheWrite], None]) -> None:
        """Call ``callback(write)`` when the write has finished: on the writer's thread, or at once on this
        thread if it already has. A GUI emits a signal from it, which Qt delivers on the GUI thread."""
        with _ACTIVE_LOCK:
            if not self.finished.is_set():
                self.callbacks.append(callback)
                return
        callback(self)

    def wait(self, timeout: float | None = None) -> bool:
        """True once the write has finished (or failed)."""
        if self.thread is not None:
            self.thread.join(timeout)
        return self.thread is None or not self.thread.is_alive()


_ACTIVE: dict[str, CacheWrite] = {}
_ACTIVE_LOCK = threading.Lock()


def cache_write_running(source_path: str | os.PathLike) -> bool:
    """Whether this process is writing a cache entry of ``source_path`` in the background right now."""
    wanted = _source_identity(source_path)
    with _ACTIVE_LOCK:
        return any(w.source == wanted and w.thread is not None and w.thread.is_alive() for w in _ACTIVE.values())


def wait_for_cache_writes(timeout: float | None = None) -> bool:
    """Wait for this process's background cache writes; True if none is left running."""
    deadline = None if timeout is None else time.monotonic() + timeout
    with _ACTIVE_LOCK:
        writes = list(_ACTIVE.values())
    for write in writes:
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        write.wait(left)
    with _ACTIVE_LOCK:
        return not any(w.thread is not None and w.thread.is_alive() for w in _ACTIVE.values())


def _take_lock(partial: Path) -> bool:
    """Own ``partial`` (a ``lock`` file holding our pid); False if a live process owns it."""
    lock = partial / "lock"
    for _ in range(3):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            if _lock_alive(partial):
                return False
            lock.unlink(missing_ok=True)  # its writer died: the partial entry is ours to resume
            continue
        with os.fdopen(fd, "w") as fh:
            fh.write(str(os.getpid()))
        return True
    return False


def _lock_alive(partial: Path) -> bool:
    try:
        text = (partial / "lock").read_text().strip()
    except OSError:
        return False
    return text.isdigit() and int(text) != os.getpid() and _pid_alive(int(text))


def _partial_source(partial: Path) -> str | None:
    try:
        return json.loads((partial / "progress.json").read_text(encoding="utf-8")).get("source")
    except (OSError, ValueError, AttributeError):
        return None


def _write_json(path: Path, data: dict) -> None:
    temp = path.with_name(path.name + ".new")
    with open(temp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(temp, path)


def _write_words(path: Path, words: Sequence[str], separator: str | None) -> tuple[str, np.ndarray | None]:
    """Write words.txt piece by piece (never one str or blob of all words next to the matrix); returns its
    checksum and every word's :func:`queries.word_hash` (None when the words need the JSON form)."""
    from embedstudio.core.vectors.queries import word_hashes

    h = hashlib.blake2b(digest_size=16)
    hashes = np.empty(len(words), dtype=np.uint64) if separator is not None else None
    with open(path, "wb") as fh:
        if separator is None:
            blob = _words_blob(words, None)
            h.update(blob)
            fh.write(blob)
        else:
            sep = separator.encode()
            for i in range(0, len(words), _WORDS_PER_PIECE):
                piece = _words_piece(words, i, sep)
                if hashes is not None:
                    hashes[i : i + _WORDS_PER_PIECE] = word_hashes(piece, sep)
                if i:
                    piece = sep + piece
                h.update(piece)
                fh.write(piece)
        fh.flush()
        os.fsync(fh.fileno())
    return h.hexdigest(), hashes


def _words_piece(words: Sequence[str], start: int, separator: bytes) -> bytes:
    """Words ``start``..``start + _WORDS_PER_PIECE - 1`` as UTF-8 joined by ``separator``: a slice of a
    WordList's blob when it has that separator (no str objects made), else joined and encoded."""
    from embedstudio.core.vectors.wordlist import WordList

    stop = min(start + _WORDS_PER_PIECE, len(words))
    if isinstance(words, WordList) and words.separator == separator:
        return words.piece(start, stop)
    return separator.decode().join(words[start:stop]).encode("utf-8", "surrogatepass")


def _words_blob(words: Sequence[str], separator: str | None) -> bytes:
    """The words joined by ``separator`` as UTF-8 (a JSON list when no separator fits), encoded piece by
    piece: a str of every word would take up to 4 bytes a character, next to the matrix."""
    if separator is None:
        return json.dumps(list(words), ensure_ascii=False).encode("utf-8", "surrogatepass")
    pieces = [
        separator.join(words[i : i + _WORDS_PER_PIECE]).encode("utf-8", "surrogatepass")
        for i in range(0, len(words), _WORDS_PER_PIECE)
    ]
    return separator.encode().join(pieces)


def _query_data(words: Sequence[str], matrix: np.ndarray, hashes: np.ndarray | None) -> QueryData:
    from embedstudio.core.vectors.queries import WordIndex, compute_inverse_norms

    index = WordIndex.from_hashes(words, hashes) if hashes is not None and len(words) else None
    return QueryData(compute_inverse_norms(matrix), index)


def _save_npy(path: Path, array: np.ndarray, checksum: Any) -> None:
    """Write ``array`` as .npy with fsync, adding its data bytes to ``checksum`` (a hashlib object)."""
    data = np.ascontiguousarray(array)
    with open(path, "wb") as fh:
        np.lib.format.write_array(fh, data, allow_pickle=False)
        fh.flush()
        os.fsync(fh.fileno())
    checksum.update(data.reshape(-1).data.cast("B"))


def _write_codes(directory: Path, matrix: np.ndarray) -> tuple[str, np.ndarray, np.ndarray]:
    """Write the coarse copy's codes block by block (never the whole copy in memory); return their checksum
    (:func:`_file_hash`'s, computed as they are written: reading them back would add a 4 MiB buffer) and the
    scales and errors."""
    from embedstudio.core.vectors.queries import block_rows, coarse_blocks

    n, d = matrix.shape
    scales = np.empty(n, dtype=np.float32)
    errors = np.empty(n, dtype=np.float32)
    path = directory / _CODES_FILE
    with open(path, "wb") as fh:
        header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.int8)), "fortran_order": False, "shape": (n, d)}
        np.lib.format.write_array_header_1_0(fh, header)
        digests = _BlockDigests()
        # Quarter-size blocks: their temporaries (a few times the block) come on top of the parsed matrix.
        for start, _inverse, block in coarse_blocks(matrix, max(64, block_rows(d) // 4)):
            scales[start : start + len(block.scales)] = block.scales
            errors[start : start + len(block.errors)] = block.errors
            fh.write(block.codes.data)
            digests.update(block.codes.data)
        fh.flush()
        os.fsync(fh.fileno())
    return digests.hexdigest(), scales, errors


class _BlockDigests:
    """:func:`_file_hash` of bytes fed in pieces of any size: blake2b over the digests of 4 MiB blocks."""

    def __init__(self) -> None:
        self._whole = hashlib.blake2b(digest_size=16)
        self._block = hashlib.blake2b(digest_size=16)
        self._filled = 0

    def update(self, data: Any) -> None:
        view = memoryview(data).cast("B")
        while len(view):
            take = min(len(view), _HASH_BLOCK - self._filled)
            self._block.update(view[:take])
            self._filled += take
            view = view[take:]
            if self._filled == _HASH_BLOCK:
                self._whole.update(self._block.digest())
                self._block, self._filled = hashlib.blake2b(digest_size=16), 0

    def hexdigest(self) -> str:
        if self._filled:
            self._whole.update(self._block.digest())
            self._block, self._filled = hashlib.blake2b(digest_size=16), 0
        return self._whole.hexdigest()


def _write_entry(
    directory: Path,
    words: Sequence[str],
    matrix: np.ndarray,
    info: dict,
    on_query_data: Callable[[QueryData], None] | None = None,
) -> QueryData:
    """Write every file of the entry; returns its norms and word index, with ``coarse`` holding the coarse
    copy's (scales, errors) (its codes are in the file only)."""
    matrix = np.ascontiguousarray(matrix, dtype="<f4")
    # matrix.npy (the largest file: its writes, checksums and fsyncs release the GIL) is written on a second
    # thread while this one writes the words, builds the norms and word index and writes the coarse copy; the
    # two share no file and no array they change. meta.json is still written last, after both.
    matrix_result: dict[str, Any] = {}

    def write_matrix() -> None:
        try:
            matrix_result["value"] = _write_matrix(directory, matrix, info)
        except BaseException as exc:  # re-raised on the writer's own thread below
            matrix_result["error"] = exc

    matrix_thread = threading.Thread(target=write_matrix, name="vector-cache-matrix", daemon=True)
    matrix_thread.start()
    try:
        info["words_hash"], hashes = _write_words(directory / "words.txt", words, info["separator"])
        query = _query_data(words, matrix, hashes)
        del hashes  # sorted in place into the index
        if on_query_data is not None:
            on_query_data(query)
        info["codes_hash"], scales, errors = _write_codes(directory, matrix)
    finally:
        matrix_thread.join()
    if "error" in matrix_result:
        raise matrix_result["error"]
    info["matrix_hash"], info["matrix_bytes"] = matrix_result["value"]
    matrix_file = _file_identity(directory / "matrix.npy")
    extras = [query.inverse_norms]
    if query.word_index is not None:
        extras += [query.word_index.hashes, query.word_index.rows]
    names = list(_EXTRA_FILES[: len(extras)]) + list(_COARSE_FILES)
    extras_hash = hashlib.blake2b(digest_size=16)
    for name, array in zip(names, extras + [scales, errors]):
        _save_npy(directory / name, array, extras_hash)
    info["extras"] = names
    info["extras_hash"] = extras_hash.hexdigest()
    (directory / "progress.json").unlink(missing_ok=True)
    # meta.json last: an entry without it is never read as valid.
    _write_json(directory / "meta.json", info)
    return QueryData(query.inverse_norms, query.word_index, (scales, errors), matrix_file=matrix_file)


def _return_freed_memory() -> None:
    from embedstudio.core.vectors.text_reader import _return_freed_memory as give_back

    give_back()


def _file_identity(path: Path) -> tuple[int, int]:
    stat = os.stat(path)
    return stat.st_dev, stat.st_ino


def _map_written_matrix(path: Path, identity: tuple[int, int] | None, shape: tuple[int, ...]) -> np.ndarray | None:
    """``path`` memory-mapped read-only if it is still the very file this writer wrote (same device and inode:
    an entry's files are never changed in place, only replaced or deleted, so its bytes are the matrix's);
    None if another writer has replaced the entry meanwhile or it cannot be mapped."""
    if identity is None:
        return None
    try:
        with open(path, "rb") as fh:
            stat = os.fstat(fh.fileno())
            if (stat.st_dev, stat.st_ino) != identity:
                return None
            version = np.lib.format.read_magic(fh)
            read_header = (
                np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            )
            file_shape, fortran, dtype = read_header(fh)
            if file_shape != tuple(shape) or fortran or dtype != np.dtype("<f4"):
                return None
            return np.memmap(fh, dtype="<f4", mode="r", offset=fh.tell(), shape=file_shape)
    except (OSError, ValueError):
        return None


def _write_matrix(directory: Path, matrix: np.ndarray, info: dict) -> tuple[str, int]:
    """Write matrix.npy block by block, resuming what a killed writer of the same source left; returns the
    checksum (blake2b of the blocks' digests) and the data's length."""
    import io

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, np.lib.format.header_data_from_array_1_0(matrix))
    head = header.getvalue()
    flat = matrix.reshape(-1).data.cast("B")
    path, progress_path = directory / "matrix.npy", directory / "progress.json"
    identity = {k: info[k] for k in ("source", "source_size", "source_mtime_ns", "source_sample", "format", "limit")}
    progress = {**identity, "shape": list(matrix.shape), "header": len(head), "digests": []}
    done: list[str] = []
    try:
        prior = json.loads(progress_path.read_text(encoding="utf-8"))
        if (
            isinstance(prior, dict)
            and all(prior.get(k) == v for k, v in progress.items() if k != "digests")
            and os.path.getsize(path) == len(head) + len(flat)
        ):
            done = [d for d in prior.get("digests", []) if isinstance(d, str)]
    except (OSError, ValueError):
        pass
    if not done:
        with open(path, "wb") as fh:
            fh.truncate(len(head) + len(flat))
    _write_json(progress_path, progress)
    whole = hashlib.blake2b(digest_size=16)
    digests: list[str] = []
    skipped = 0
    with open(path, "r+b") as fh:
        fh.write(head)
        for number, start in enumerate(range(0, len(flat), _HASH_BLOCK)):
            block = flat[start : start + _HASH_BLOCK]
            digest = hashlib.blake2b(block, digest_size=16).hexdigest()
            if number < len(done) and done[number] == digest:
                skipped += 1  # written by the killed writer and fsync'd before it recorded the digest
            else:
                fh.seek(len(head) + start)
                fh.write(block)
            digests.append(digest)
            whole.update(bytes.fromhex(digest))
            if (number + 1) % _SYNC_BLOCKS == 0 and number >= len(done):
                fh.flush()
                os.fsync(fh.fileno())
                _write_json(progress_path, dict(progress, digests=digests))
        fh.flush()
        os.fsync(fh.fileno())
    info["resumed_blocks"] = skipped
    return whole.hexdigest(), len(flat)


def _read_query_data(entry: Path, info: dict, words: Sequence[str], verify_codes: bool) -> QueryData | None:
    """The entry's stored norms, word index and coarse copy (memory-mapped), checked against their checksums
    (the codes only when ``verify_codes``); None if it has none."""
    from embedstudio.core.vectors.queries import CoarseCopy, WordIndex

    names = info.get("extras") or []
    if not names:
        return None
    arrays = {name: np.load(entry / name, mmap_mode="r", allow_pickle=False) for name in names}
    h = hashlib.blake2b(digest_size=16)
    for array in arrays.values():
        h.update(np.ascontiguousarray(array).reshape(-1).data.cast("B"))
    if h.hexdigest() != info.get("extras_hash"):
        raise ValueError("its norms or word index do not match their checksum")
    n = info["words"]
    if any(array.shape != (n,) for array in arrays.values()):
        raise ValueError("its norms or word index do not fit its matrix")
    index = None
    if "word_hashes.npy" in arrays and "word_rows.npy" in arrays:
        index = WordIndex(words, arrays["word_hashes.npy"], arrays["word_rows.npy"])
    coarse = None
    if all(name in arrays for name in _COARSE_FILES) and isinstance(info.get("codes_hash"), str):
        path = entry / _CODES_FILE
        codes = np.load(path, mmap_mode="r", allow_pickle=False)
        if codes.shape != (n, info["dim"]) or codes.dtype != np.int8:
            raise ValueError("its coarse copy does not fit its matrix")
        if verify_codes and _file_hash(path, os.path.getsize(path) - int(codes.nbytes)) != info["codes_hash"]:
            raise ValueError("its coarse copy was changed or damaged (checksum mismatch)")
        coarse = CoarseCopy(codes, arrays["coarse_scales.npy"], arrays["coarse_errors.npy"])
    return QueryData(arrays["norms.npy"], index, coarse)


def _read_words(path: Path, separator: str | None, count: int) -> Sequence[str]:
    """The entry's words: a WordList over words.txt's bytes (checked to be UTF-8 here, once), or the JSON list."""
    from embedstudio.core.vectors.wordlist import WordList

    blob = path.read_bytes()
    if separator is None:
        return json.loads(blob.decode("utf-8", "surrogatepass"))
    blob.decode("utf-8", "surrogatepass")  # raises UnicodeDecodeError (a cache miss) on damage
    return WordList.from_blob(blob, separator.encode(), count)


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
