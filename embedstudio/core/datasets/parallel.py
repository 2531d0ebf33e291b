"""Cleaning many documents on every core: chunks of texts go to a small pool of worker processes.

Mail/news stripping and HTML cleaning are pure-Python string work that holds the GIL, so threads gain
nothing; processes do. The pool is started once per process (``spawn``, so it is safe from a thread of
the GUI and from a frozen app that calls ``multiprocessing.freeze_support()``), warmed while the archive
file is still being read (a dataset file of :data:`WARM_BYTES` or more: a folder of many small files
starts it when cleaning begins, since most folders need no cleaning and two process starts cost more
than a plain folder import gains), and reused by later imports. Chunks come back in order; at most
``2 × workers`` are in flight, so memory stays bounded. Cancel is checked between chunks.

The workers do not re-import the caller's ``__main__`` (``spawn`` normally does, which would run a
script that has no ``if __name__ == "__main__"`` guard again in every worker): the main module is left
out of the preparation data while this module starts its workers. Where worker processes cannot start
(no ``spawn``, a sandbox), the same function runs in this process instead: the result is identical, only
slower.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from ..jobs import CancelToken, ensure_cancel

MIN_TEXTS = 4000  # fewer documents are cleaned faster here than the pool starts and pickles
WARM_BYTES = 8 << 20  # a dataset file this large is likely to hold MIN_TEXTS documents
CHUNK = 512  # documents per task: large enough that pickling, not scheduling, is the overhead
_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_broken = False


def workers() -> int:
    """Worker processes: one per core this process may run on, at most 4."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


@contextlib.contextmanager
def _without_main() -> Iterator[None]:
    """Workers started inside this block import only what their tasks need, not ``__main__``."""
    from multiprocessing import spawn

    original = spawn.get_preparation_data

    def preparation(name: str) -> dict[str, Any]:
        data = original(name)
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
        return data

    spawn.get_preparation_data = preparation
    try:
        yield
    finally:
        spawn.get_preparation_data = original


def _submit(p: ProcessPoolExecutor, fn: Callable[..., Any], *args: Any) -> Future:
    """``p.submit`` (which may start a worker process) with the main module kept out of new workers."""
    with _lock, _without_main():
        return p.submit(fn, *args)


def _noop() -> int:
    return os.getpid()


def pool() -> ProcessPoolExecutor | None:
    """The shared pool (started on first use), or None on one core or where processes cannot start."""
    global _pool, _broken
    import multiprocessing

    if workers() < 2 or _broken or multiprocessing.parent_process() is not None:
        return None  # one core, processes failed before, or this is itself a worker
    with _lock:
        if _pool is None:
            try:
                _pool = ProcessPoolExecutor(workers(), mp_context=multiprocessing.get_context("spawn"))
                atexit.register(_pool.shutdown, wait=False, cancel_futures=True)
            except (OSError, ValueError, RuntimeError, ImportError):
                _broken = True
                return None
        return _pool


def warm() -> None:
    """Start the worker processes now (they import only this package), so that they are ready by the time
    the documents are read."""
    p = pool()
    if p is None:
        return
    try:
        for _ in range(workers()):
            _submit(p, _noop)
    except RuntimeError:  # shutting down, or broken
        _mark_broken()


def _mark_broken() -> None:
    global _pool, _broken
    with _lock:
        _broken = True
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


def map_chunks(
    fn: Callable[..., Any],
    chunks: Iterable[Any],
    *args: Any,
    total: int,
    cancel: CancelToken | None = None,
) -> Iterator[Any]:
    """``fn(chunk, *args)`` for every chunk, in order: on the pool when ``total`` items make it worth it,
    otherwise (or when the pool fails) here. ``fn`` must be a module-level function (it is pickled)."""
    cancel = ensure_cancel(cancel)
    p = pool() if total >= MIN_TEXTS else None
    if p is None:
        for chunk in chunks:
            cancel.raise_if_cancelled()
            yield fn(chunk, *args)
        return
    pending: list[tuple[Any, Future]] = []
    source = iter(chunks)
    try:
        while True:
            while len(pending) < 2 * workers():
                chunk = next(source, None)
                if chunk is None:
                    break
                pending.append((chunk, _submit(p, fn, chunk, *args)))
            if not pending:
                return
            chunk, future = pending.pop(0)
            cancel.raise_if_cancelled()
            try:
                result = future.result()
            except Exception:  # noqa: BLE001 - a broken pool (a worker died, could not start): work here
                _mark_broken()
                yield fn(chunk, *args)
                for chunk, _ in pending:
                    yield fn(chunk, *args)
                pending = []
                for chunk in source:
                    cancel.raise_if_cancelled()
                    yield fn(chunk, *args)
                return
            yield result
    finally:
        for _, future in pending:
            future.cancel()


SPECULATED = {"headers": True, "footers": True, "quotes": True}  # what mail detection picks on mail archives


def clean_each(texts: list[str]) -> list[str]:
    """``clean_text`` with the :data:`SPECULATED` rules on each text (run on the pool)."""
    from .cleaning import clean_text

    return [clean_text(t, **SPECULATED) for t in texts]


class Speculation:
    """Documents cleaned with the :data:`SPECULATED` rules on the pool while the archive is still being
    read, so the cleaning overlaps the read. The import decides its rules after the read, as always; it
    uses these results only when it decides on exactly these rules (same function, same texts: the same
    output), and drops them otherwise."""

    def __init__(self) -> None:
        self.pool = pool()
        self.sources: list[str] = []
        self.texts: list[str] = []
        self.futures: list[tuple[list[str], Future]] = []

    def add(self, source: str, text: str) -> None:
        if self.pool is None:
            return
        self.sources.append(source)
        self.texts.append(text)
        if len(self.texts) >= CHUNK:
            self._submit()

    def _submit(self) -> None:
        if self.texts and self.pool is not None:
            try:
                self.futures.append((self.sources, _submit(self.pool, clean_each, self.texts)))
            except RuntimeError:
                self.pool = None
            self.sources, self.texts = [], []

    def results(self) -> dict[str, str] | None:
        """{source: cleaned text}, or None when the pool failed (the import then cleans as usual)."""
        self._submit()
        if self.pool is None:
            self.cancel()
            return None
        out: dict[str, str] = {}
        try:
            for sources, future in self.futures:
                out.update(zip(sources, future.result()))
        except Exception:  # noqa: BLE001 - a broken pool: clean as usual
            _mark_broken()
            return None
        return out

    def cancel(self) -> None:
        for _, future in self.futures:
            future.cancel()
