"""Issue 13, item 1: how load time and peak memory grow from 100k to 400k to 2M words (dim 100, synthetic).

    .venv/bin/python benchmarks/bench_vector_scaling.py                    # 100k, 400k and 2M words
    .venv/bin/python benchmarks/bench_vector_scaling.py --sizes 100k 400k  # skip the 2M files (~2 GB)

For GloVe text and word2vec binary files of 100k, 400k and 2M words × 100 (synthetic.py), each step in a
new process:
- the floor: reading the file's bytes (1 MiB chunks, the OS file cache warm as for every reader);
- first open: ``load_vectors`` with no cache entry, until the vectors are in the caller's hands (the cache
  is written on a thread meanwhile), then until the entry is complete;
- cached reopen: ``load_vectors`` again in a new process: the call's wall and CPU time.
Peak RSS is ru_maxrss above the interpreter, as a multiple of the float32 matrix. "per M words" divides each
time by the words: linear growth keeps it flat. gensim is not run here (bench_first_open.py and
bench_cache.py compare with it); the anchor of every time is the floor measured in the same run, and the
load average is printed beside every line.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import load_now, peak_rss_hwm, read_floor_seconds, report, run_worker
from synthetic import BENCH_DIR, ensure_file

CACHE_ENV = {"EMBEDSTUDIO_CACHE_DIR": str(BENCH_DIR / "cache-scaling")}
FILES = {
    ("text", "100k"): "glove-100k-100d.txt",
    ("text", "400k"): "glove-400k-100d.txt",
    ("text", "2M"): "glove-2M-100d.txt",
    ("binary", "100k"): "word2vec-100k-100d.bin",
    ("binary", "400k"): "word2vec-400k-100d.bin",
    ("binary", "2M"): "word2vec-2M-100d.bin",
}


def worker(mode: str, path: str) -> None:
    import numpy as np  # noqa: F401  (before the baseline, so it does not count as load memory)

    if mode == "raw":
        report({"seconds": read_floor_seconds(path)})
        return
    from embedstudio.core.vectors import load_vectors
    from embedstudio.core.vectors.cache import VectorCache, wait_for_cache_writes

    if mode == "first":
        VectorCache().clear(path)
    base = peak_rss_hwm()
    cpu, start = time.process_time(), time.perf_counter()
    vectors = load_vectors(path)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    load_peak = peak_rss_hwm()
    wait_for_cache_writes()
    report(
        {
            "seconds": seconds,
            "cpu": cpu,
            "written": time.perf_counter() - start,
            "growth": load_peak - base,
            "write_growth": peak_rss_hwm() - base,
            "matrix": int(vectors.matrix.nbytes),
            "words": len(vectors),
            "from_cache": vectors.info.from_cache,
        }
    )


def measure(path: Path, runs: int) -> dict:
    script = Path(__file__)
    raw = [run_worker(script, "raw", str(path))["seconds"] for _ in range(runs)]
    first = [run_worker(script, "first", str(path), env=CACHE_ENV) for _ in range(runs)]
    load_first = load_now()
    reopen = [run_worker(script, "reopen", str(path), env=CACHE_ENV) for _ in range(max(runs, 3))]
    assert all(r["from_cache"] for r in reopen) and not any(r["from_cache"] for r in first)
    med = statistics.median
    return {
        "words": first[0]["words"],
        "matrix": first[0]["matrix"],
        "raw": med(raw),
        "first": med(r["seconds"] for r in first),
        "written": med(r["written"] for r in first),
        "first_growth": max(r["growth"] for r in first),
        "write_growth": max(r["write_growth"] for r in first),
        "reopen": med(r["seconds"] for r in reopen),
        "reopen_cpu": med(r["cpu"] for r in reopen),
        "reopen_growth": max(r["growth"] for r in reopen),
        "runs": runs,
        "load": f"{load_first}, {load_now()}",
        "size": path.stat().st_size,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", choices=["100k", "400k", "2M"], default=["100k", "400k", "2M"])
    parser.add_argument("--kinds", nargs="+", choices=["text", "binary"], default=["text", "binary"])
    parser.add_argument("--runs", type=int, default=3, help="runs of each step below 2M words (median)")
    parser.add_argument("--worker", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return 0
    rows = []
    for kind in args.kinds:
        for size in args.sizes:
            # Generated in a process of its own, so this one stays small.
            generator = str(Path(__file__).with_name("synthetic.py"))
            subprocess.run([sys.executable, generator, FILES[(kind, size)]], check=True)
            path = ensure_file(FILES[(kind, size)])
            result = measure(path, 1 if size == "2M" else args.runs)
            result.update(kind=kind, label=size)
            rows.append(result)
            print(f"{kind} {size}: {result}", flush=True)
    print(
        "\n| format | words × dim | file | floor (read) | first open (handed over) | ratio to floor | cache complete | "
        "s per M words | peak RSS load (× matrix) | peak RSS with the cache write | cached reopen call (CPU) | "
        "reopen peak RSS | runs | load |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        m = r["matrix"]
        print(
            f"| {r['kind']} | {r['words']:,} × 100 | {r['size'] / 2**20:,.0f} MiB | {r['raw']:.2f} s | "
            f"{r['first']:.2f} s | {r['first'] / r['raw']:.1f}× | {r['written']:.2f} s | "
            f"{r['first'] / r['words'] * 1e6:.2f} | {r['first_growth'] / m:.2f}× | {r['write_growth'] / m:.2f}× | "
            f"{r['reopen'] * 1000:.0f} ms ({r['reopen_cpu'] * 1000:.0f} ms) | {r['reopen_growth'] / 2**20:.0f} MiB | "
            f"{r['runs']} | {r['load']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
