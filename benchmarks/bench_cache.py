"""Issue 4, item 2: the binary cache. First load (parse + cache write) vs gensim, then reopening.

    .venv/bin/python benchmarks/bench_cache.py                  # all three 400k files
    .venv/bin/python benchmarks/bench_cache.py --file glove     # one of: glove, word2vec-text, word2vec-binary
    .venv/bin/python benchmarks/bench_cache.py --rows 40000     # quick trial on smaller files

Goes through the app's own entry point, ``embedstudio.core.vectors.load_vectors``. Every step runs
in a new process, so "reopen" is what a user gets on the next start of the app (the operating
system's file cache is warm, as it is on a real second start). The cache lives under
$EMBEDSTUDIO_BENCH_DIR/cache, never in the user's real cache. gensim's time for the same file is
printed beside ours (for the 300-d text file gensim needs about 1.5-2 minutes; --no-gensim-text skips it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from common import machine_note, mib, peak_rss_bytes, report, run_worker, timed, verdict
from synthetic import BENCH_DIR, SPECS, ensure_file

REOPEN_GOAL_S = 0.5
REOPENS = 3
FILES = {
    "glove": "glove-400k-100d.txt",
    "word2vec-text": "word2vec-400k-300d.txt",
    "word2vec-binary": "word2vec-400k-300d.bin",
}
CACHE_ENV = {"EMBEDSTUDIO_CACHE_DIR": str(BENCH_DIR / "cache")}


def worker(mode: str, path: str, fmt: str) -> None:
    start = time.perf_counter()
    if mode == "gensim":
        from gensim.models import KeyedVectors

        kwargs = {"binary": fmt == "word2vec_binary", "no_header": fmt == "glove"}
        kv, seconds = timed(KeyedVectors.load_word2vec_format, path, **kwargs)
        report({"seconds": seconds, "shape": list(kv.vectors.shape)})
        return
    from embedstudio.core.vectors import load_vectors
    from embedstudio.core.vectors.cache import VectorCache

    imported = time.perf_counter()
    cache = VectorCache()
    if mode == "first":
        cache.clear(path)
        baseline = peak_rss_bytes()
        vectors, seconds = timed(load_vectors, path, format=fmt)
        assert not vectors.info.from_cache
        from embedstudio.core.vectors.cache import wait_for_cache_writes

        wait_for_cache_writes()  # the entry is written on a thread after the vectors were handed over
        report(
            {
                "seconds": seconds,
                "peak_growth": peak_rss_bytes() - baseline,
                "matrix_bytes": vectors.matrix.nbytes,
                "cache_bytes": sum(e["size"] for e in cache.entry_info(path)),
                "shape": list(vectors.matrix.shape),
            }
        )
    elif mode == "reopen":
        vectors, seconds = timed(load_vectors, path, format=fmt)
        row = float(vectors.matrix[len(vectors) // 2].sum())  # touch the mapped matrix
        report(
            {
                "seconds": seconds,
                "from_cache": vectors.info.from_cache,
                "mapped": _is_mapped(vectors.matrix),
                "import_seconds": imported - start,
                "row": row,
                "process_seconds": time.perf_counter() - start,
            }
        )
    elif mode == "invalidate":
        fresh_before = cache.load(path, format=fmt, limit=None) is not None
        stat = os.stat(path)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        try:
            stale_after_touch = cache.load(path, format=fmt, limit=None) is None
            state = [entry["fresh"] for entry in cache.entry_info(path)]
        finally:
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        report(
            {
                "fresh_before": fresh_before,
                "stale_after_touch": stale_after_touch,
                "entry_fresh": state,
                "fresh_again": cache.load(path, format=fmt, limit=None) is not None,
            }
        )


def _is_mapped(matrix) -> bool:
    import numpy as np

    base = matrix
    while base is not None:
        if isinstance(base, np.memmap):
            return True
        base = getattr(base, "base", None)
    return False


def bench(name: str, rows: int | None, with_gensim: bool) -> bool:
    path = ensure_file(name, rows=rows)
    _, dim, kind = SPECS[name]
    fmt = kind.replace("-", "_")
    script = Path(__file__)
    print(f"\n== {kind}: {path.name} ({path.stat().st_size / 1e6:,.0f} MB) {machine_note()}", flush=True)
    first = run_worker(script, "first", str(path), fmt, env=CACHE_ENV)
    n, d = first["shape"]
    print(
        f"first load (parse + write cache): {first['seconds']:.2f} s for {n:,} × {d}; peak RSS growth "
        f"{first['peak_growth'] / first['matrix_bytes']:.2f}× the matrix; cache entry {mib(first['cache_bytes'])}"
    )
    if with_gensim:
        ref = run_worker(script, "gensim", str(path), fmt)
        print(
            f"gensim load_word2vec_format: {ref['seconds']:.2f} s "
            f"(first load {ref['seconds'] / first['seconds']:.1f}× faster than gensim)"
        )
    reopens = [run_worker(script, "reopen", str(path), fmt, env=CACHE_ENV) for _ in range(REOPENS)]
    seconds = statistics.median(r["seconds"] for r in reopens)
    all_cached = all(r["from_cache"] and r["mapped"] for r in reopens)
    whole = statistics.median(r["process_seconds"] for r in reopens)
    print(
        f"reopen from cache (new process, median of {REOPENS}): {seconds:.3f} s "
        f"(goal <{REOPEN_GOAL_S} s, {REOPEN_GOAL_S / seconds:.0f}× under it)  {verdict(seconds < REOPEN_GOAL_S)}"
    )
    line = f"  memory-mapped: {all_cached}; including the import of the vectors package: {whole:.2f} s"
    if with_gensim:
        line += f"; {ref['seconds'] / seconds:.0f}× faster than gensim's load"
    print(line)
    check = run_worker(script, "invalidate", str(path), fmt, env=CACHE_ENV)
    invalidation_ok = (
        check["fresh_before"]
        and check["stale_after_touch"]
        and check["entry_fresh"] == [False]
        and check["fresh_again"]
    )
    print(f"changed mtime invalidates the entry (GUI sees it as stale): {invalidation_ok}  {verdict(invalidation_ok)}")
    return seconds < REOPEN_GOAL_S and all_cached and invalidation_ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", choices=[*FILES, "all"], default="all")
    parser.add_argument("--rows", type=int, default=None, help="smaller files for a quick trial")
    parser.add_argument("--no-gensim-text", action="store_true", help="skip gensim on the 300-d text file")
    parser.add_argument("--worker", nargs=3, metavar=("MODE", "PATH", "FORMAT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return 0
    keys = list(FILES) if args.file == "all" else [args.file]
    results = [bench(FILES[key], args.rows, not (args.no_gensim_text and key == "word2vec-text")) for key in keys]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
