"""Where a first open's peak RSS comes from: VmRSS (anonymous / file-backed) sampled every millisecond on a thread,
labelled with the phase of ``load_vectors`` and of the cache write thread running at that moment.

    .venv/bin/python benchmarks/trace_first_open_memory.py ../shared/data/vectors/glove.6B.50d.txt.gz
    .venv/bin/python benchmarks/trace_first_open_memory.py FILE --query      # then the first query too
    .venv/bin/python benchmarks/trace_first_open_memory.py FILE --tracemalloc  # Python allocations at the peak

Prints, per phase (in the order they started), the highest RSS seen while it ran, as MiB above the RSS before
the load and as a multiple of the final float32 matrix; then VmHWM. The cache goes to a temporary directory
(cleared first), so this is always a first open. A diagnosis tool, not a benchmark: the sampler and the
wrappers cost a little time, nothing in memory.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def _status() -> dict[str, int]:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            fields[key] = int(value.split()[0]) * 1024
    return fields


class Phases:
    """The phases running right now (one stack per thread) and the highest RSS seen in each."""

    def __init__(self) -> None:
        self.stacks: dict[int, list[str]] = {}
        self.peaks: dict[str, dict[str, int]] = {}
        self.order: list[str] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def enter(self, name: str) -> None:
        with self.lock:
            self.stacks.setdefault(threading.get_ident(), []).append(name)
            if name not in self.peaks:
                self.order.append(name)
                self.peaks[name] = {}
        self.sample()

    def leave(self) -> None:
        self.sample()
        with self.lock:
            self.stacks[threading.get_ident()].pop()

    def sample(self) -> None:
        status = _status()
        with self.lock:
            running = {stack[-1] for stack in self.stacks.values() if stack} or {"(between phases)"}
            for name in running:
                peak = self.peaks.setdefault(name, {})
                if name not in self.order:
                    self.order.append(name)
                if status["VmRSS"] > peak.get("VmRSS", 0):
                    peak.update(status)

    def run_sampler(self) -> None:
        while not self.stop.is_set():
            self.sample()
            time.sleep(0.001)


def wrap(phases: Phases, owner, attribute: str, label: str | None = None) -> None:
    original = getattr(owner, attribute)

    @functools.wraps(original)
    def traced(*args, **kwargs):
        phases.enter(label or attribute)
        try:
            return original(*args, **kwargs)
        finally:
            phases.leave()

    setattr(owner, attribute, traced)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path")
    parser.add_argument("--query", action="store_true", help="then one nearest-neighbour query")
    parser.add_argument("--tracemalloc", action="store_true", help="print the largest Python allocations at the end")
    args = parser.parse_args()
    cache_dir = tempfile.mkdtemp(prefix="trace-first-open-")
    os.environ["EMBEDSTUDIO_CACHE_DIR"] = cache_dir

    import numpy as np  # noqa: F401  (before the baseline, as in bench_first_open)

    from embedstudio.core.vectors import cache, queries, readers, text_reader
    from embedstudio.core.vectors.cache import wait_for_cache_writes

    phases = Phases()
    parser_class = text_reader._TextVectorParser
    for name in ("_run_parallel", "_finish", "_drop_duplicates"):
        wrap(phases, parser_class, name, f"parse.{name}")
    wrap(phases, text_reader, "_may_have_duplicates", "parse._may_have_duplicates")
    wrap(phases, text_reader, "_return_freed_memory", "parse._return_freed_memory")
    wrap(phases, readers, "_non_finite_warning", "load._non_finite_warning")
    wrap(phases, readers, "_to_cache", "load._to_cache (starts the writer)")
    for name in (
        "_choose_separator",
        "_source_sample",
        "_write_words",
        "_query_data",
        "_write_matrix",
        "_write_codes",
        "_save_npy",
        "_write_json",
        "_replace_dir",
    ):
        wrap(phases, cache, name, f"cache.{name}")
    wrap(phases, queries.NeighbourIndex, "nearest", "query.nearest")
    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start(5)
    sampler = threading.Thread(target=phases.run_sampler, daemon=True)
    sampler.start()
    base = _status()
    phases.enter("load_vectors")
    vectors = readers.load_vectors(args.path)
    phases.leave()
    phases.enter("wait_for_cache_writes")
    wait_for_cache_writes()
    phases.leave()
    matrix_bytes = vectors.matrix.nbytes
    after_load = _status()
    if args.query:
        phases.enter("first query")
        vectors.neighbors(vectors.words[len(vectors) // 3], 10)
        phases.leave()
    phases.stop.set()
    sampler.join()
    end = _status()

    def show(rss: int) -> str:
        grown = rss - base["VmRSS"]
        return f"{grown / 2**20:7.1f} MiB {grown / matrix_bytes:5.2f}×"

    print(f"{args.path}: {len(vectors):,} × {vectors.dim}, matrix {matrix_bytes / 2**20:.1f} MiB")
    print(f"RSS before the load {base['VmRSS'] / 2**20:.1f} MiB (VmHWM {base['VmHWM'] / 2**20:.1f} MiB)")
    print(f"{'phase':45s} {'peak RSS above base':>22s}   anon / file MiB at that peak")
    for name in phases.order:
        peak = phases.peaks[name]
        if peak:
            print(
                f"{name:45s} {show(peak['VmRSS']):>22s}   "
                f"{peak['RssAnon'] / 2**20:6.1f} / {peak['RssFile'] / 2**20:6.1f}"
            )
    print(f"after the load and write: VmRSS {show(after_load['VmRSS'])}, VmHWM {show(after_load['VmHWM'])}")
    print(f"at the end:               VmRSS {show(end['VmRSS'])}, VmHWM {show(end['VmHWM'])}")
    if args.tracemalloc:
        import tracemalloc

        snapshot = tracemalloc.take_snapshot()
        print("largest live Python allocations at the end (tracemalloc):")
        for stat in snapshot.statistics("traceback")[:8]:
            print(f"  {stat.size / 2**20:7.1f} MiB in {stat.count:,} blocks; {stat.traceback.format()[-1].strip()}")
    import shutil

    shutil.rmtree(cache_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
