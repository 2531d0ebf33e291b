"""Issue 13, item 1: a user's FIRST open of a vector file (parse + cache write), against gensim, in one run.

    .venv/bin/python benchmarks/bench_first_open.py                 # the real GloVe 6B 50d + the scaling table
    .venv/bin/python benchmarks/bench_first_open.py --only real     # only ../shared/data/vectors/glove.6B.50d.txt.gz
    .venv/bin/python benchmarks/bench_first_open.py --only scaling --sizes 100k 400k   # skip the 2M file
    .venv/bin/python benchmarks/bench_first_open.py --no-gensim-2m  # the 2M row without gensim (about 2 minutes)

What is timed, each in a new process, with the OS file cache warm for every reader alike:
- ours, first open: ``load_vectors(path)`` with no cache entry: parse, checks and writing the memory-mapped
  cache entry (with fsync), i.e. what ``embedstudio vectors info FILE`` waits for the first time;
- ours, parse only: ``load_vectors(path, use_cache=False)``, so the cache write's share is visible;
- gensim: ``KeyedVectors.load_word2vec_format(path, no_header=True)``, the anchor;
- the floor: reading the file's bytes in 1 MiB chunks;
- cached reopen: ``load_vectors(path)`` again in a new process (the call, and the whole process);
- through the CLI: ``python -m embedstudio vectors info FILE`` (cache cleared first) against a process
  that imports gensim and loads the same file, both timed from outside as a user sees them.
Peak RSS is the process's VmHWM (/proc/self/status; ru_maxrss on Linux carries the parent's peak across
fork + exec, so it can report the benchmark's own process instead of the worker's); "growth" is above the peak
just before the load, divided by the final float32 matrix. The real file is gunzipped once to
$EMBEDSTUDIO_BENCH_DIR (never the repository). The machine is shared: the load average is printed beside
every figure and figures taken under load are indicative; ratios come from the same run.
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import (
    load_now,
    machine_note,
    mib,
    peak_rss_hwm,
    ratio,
    read_floor_seconds,
    report,
    run_worker,
    shared_data,
    timed,
)
from synthetic import BENCH_DIR, ensure_file

CACHE_ENV = {"EMBEDSTUDIO_CACHE_DIR": str(BENCH_DIR / "cache-first-open")}
REAL = "vectors/glove.6B.50d.txt.gz"
SIZES = {"100k": "glove-100k-50d.txt", "400k": "glove-400k-50d.txt", "2M": "glove-2M-50d.txt"}
SKIP_GENSIM = False
FIRST_OPEN_GOAL = 15.0  # × gensim
RSS_GOAL = 1.5  # × the matrix, above the interpreter
REOPEN_GOAL_S = 0.2


def worker(mode: str, path: str) -> None:
    import numpy as np  # noqa: F401  (imported before the baseline so it does not count as load memory)

    if mode == "raw":
        report({"seconds": read_floor_seconds(path)})
        return
    if mode == "gensim":
        from gensim.models import KeyedVectors

        base = peak_rss_hwm()
        kv, seconds = timed(KeyedVectors.load_word2vec_format, path, no_header=True)
        report(
            {
                "seconds": seconds,
                "peak": peak_rss_hwm(),
                "growth": peak_rss_hwm() - base,
                "matrix_bytes": kv.vectors.nbytes,
                "shape": list(kv.vectors.shape),
            }
        )
        return
    from embedstudio.core.vectors import load_vectors
    from embedstudio.core.vectors.cache import VectorCache

    cache = VectorCache()
    if mode == "clear":
        cache.clear(path)
        report({})
        return
    if mode == "first":
        cache.clear(path)
    from embedstudio.core.vectors.cache import wait_for_cache_writes

    base = peak_rss_hwm()
    cpu, start = time.process_time(), time.perf_counter()
    vectors = load_vectors(path, format="auto", use_cache=mode != "parse")
    seconds = time.perf_counter() - start  # the vectors are in the caller's hands
    cpu = time.process_time() - cpu  # all threads' CPU: what the call costs when no other job waits for a core
    wait_for_cache_writes()
    written = time.perf_counter() - start  # ... and the cache entry is complete, with norms and word index
    row = float(vectors.matrix[len(vectors) // 2].sum())  # touch the matrix (a mapped one pages in)
    load_peak = peak_rss_hwm()  # before any query touches the norms, word index and coarse copy
    probe = vectors.words[len(vectors) // 3]
    query_start = time.perf_counter()
    vectors.neighbors(probe, 10)
    first_query = time.perf_counter() - query_start
    report(
        {
            "seconds": seconds,
            "cpu": cpu,
            "written": written,
            "first_query": first_query,
            "peak": peak_rss_hwm(),
            "growth": peak_rss_hwm() - base,
            "load_growth": load_peak - base,
            "base": base,
            "matrix_bytes": int(vectors.matrix.nbytes),
            "shape": list(vectors.matrix.shape),
            "from_cache": bool(vectors.info.from_cache),
            "row": row,
        }
    )


def _runs(script: Path, mode: str, path: Path, runs: int, env: dict | None = None) -> tuple[list[dict], list[float]]:
    results, walls = [], []
    for _ in range(runs):
        start = time.perf_counter()
        results.append(run_worker(script, mode, str(path), env=env))
        walls.append(time.perf_counter() - start)
    return results, walls


def _median(rows: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def _process_wall(cmd: list[str], env: dict) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, **env))
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return time.perf_counter() - start


def bench_file(label: str, path: Path, runs: int, *, gensim: bool = True, cli: bool = False) -> dict:
    gensim = gensim and not SKIP_GENSIM
    script = Path(__file__)
    size_mb = path.stat().st_size / 1e6
    print(f"\n== {label}: {path.name} ({size_mb:,.0f} MB) {machine_note()}", flush=True)
    raw, _ = _runs(script, "raw", path, 1)
    parse, _ = _runs(script, "parse", path, 1, CACHE_ENV)
    first, _ = _runs(script, "first", path, runs, CACHE_ENV)  # the last one leaves the entry for the reopens
    load_first = load_now()
    ref = None
    if gensim:
        ref, _ = _runs(script, "gensim", path, runs)
    load_ref = load_now()
    reopen, reopen_walls = _runs(script, "reopen", path, 3, CACHE_ENV)
    n, d = first[0]["shape"]
    out = {
        "label": label,
        "shape": (n, d),
        "raw": raw[0]["seconds"],
        "first": _median(first, "seconds"),
        "written": _median(first, "written"),
        "first_query": _median(first, "first_query"),
        "reopen_query": _median(reopen, "first_query"),
        "parse": parse[0]["seconds"],
        "first_peak": max(r["peak"] for r in first),
        "first_growth": max(r["growth"] for r in first),
        "first_load_growth": max(r["load_growth"] for r in first),
        "matrix": first[0]["matrix_bytes"],
        "base": first[0]["base"],
        "reopen": _median(reopen, "seconds"),
        "reopen_cpu": _median(reopen, "cpu"),
        "reopen_wall": statistics.median(reopen_walls),
        "reopen_cached": all(r["from_cache"] for r in reopen),
        "runs": runs,
        "load": load_first,
    }
    print(f"floor, reading the bytes: {out['raw']:.2f} s  [{load_first}]")
    print(
        f"ours, first open incl. cache write: {out['first']:.2f} s (median of {runs}; "
        f"parse only {out['parse']:.2f} s, "
        f"so the cache write and checks cost {out['first'] - out['parse']:+.2f} s)  [{load_first}]"
    )
    print(
        f"ours, the cache entry complete (written on a thread while the caller has the vectors): "
        f"{out['written']:.2f} s; first query of the session {out['first_query'] * 1000:.1f} ms after a first "
        f"open, {out['reopen_query'] * 1000:.1f} ms after a cached reopen  [{load_now()}]"
    )
    print(
        f"ours, peak RSS {mib(out['first_peak'])}: {out['first_growth'] / out['matrix']:.2f}× the "
        f"{mib(out['matrix'])} matrix above the {mib(out['base'])} interpreter (goal ≤ {RSS_GOAL}×), "
        f"{out['first_load_growth'] / out['matrix']:.2f}× before the first query maps the coarse copy in"
    )
    if ref:
        out.update(
            gensim=_median(ref, "seconds"),
            gensim_peak=max(r["peak"] for r in ref),
            gensim_growth=max(r["growth"] for r in ref),
            load_ref=load_ref,
        )
        print(
            f"gensim load_word2vec_format: {out['gensim']:.2f} s (median of {runs}), peak RSS "
            f"{mib(out['gensim_peak'])} ({out['gensim_growth'] / out['matrix']:.2f}× the matrix)  [{load_ref}]"
        )
        print(
            f"first open: {ratio(out['gensim'], out['first'])} gensim (goal ≥ {FIRST_OPEN_GOAL:.0f}×; until the "
            f"cache entry is complete {ratio(out['gensim'], out['written'])}; parse alone "
            f"{ratio(out['gensim'], out['parse'])})"
        )
    print(
        f"cached reopen: {out['reopen'] * 1000:.0f} ms in the call ({out['reopen_cpu'] * 1000:.0f} ms CPU), "
        f"{out['reopen_wall']:.2f} s for the whole new "
        f"process (median of 3, from cache: {out['reopen_cached']}; goal < {REOPEN_GOAL_S} s beyond process start) "
        f" [{load_now()}]",
        flush=True,
    )
    if cli and gensim:
        walls_ours, walls_gensim = [], []
        cmd_gensim = [
            sys.executable,
            "-c",
            "import sys; from gensim.models import KeyedVectors; "
            "KeyedVectors.load_word2vec_format(sys.argv[1], no_header=True)",
            str(path),
        ]
        for _ in range(runs):
            run_worker(script, "clear", str(path), env=CACHE_ENV)
            walls_ours.append(
                _process_wall(
                    [sys.executable, "-m", "embedstudio", "vectors", "info", str(path)],
                    dict(CACHE_ENV, PYTHONPATH=str(Path(__file__).resolve().parents[1])),
                )
            )
            walls_gensim.append(_process_wall(cmd_gensim, {}))
        out.update(cli=statistics.median(walls_ours), cli_gensim=statistics.median(walls_gensim), load_cli=load_now())
        print(
            f"through the CLI, `embedstudio vectors info` first open: {out['cli']:.2f} s vs a gensim process "
            f"{out['cli_gensim']:.2f} s: {ratio(out['cli_gensim'], out['cli'])} (whole processes, median of {runs})"
            f"  [{out['load_cli']}]",
            flush=True,
        )
    return out


def real_file() -> Path | None:
    gz = shared_data(REAL)
    if gz is None:
        return None
    target = BENCH_DIR / "glove.6B.50d.txt"
    if not target.exists() or target.stat().st_mtime < gz.stat().st_mtime:
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".part")
        with gzip.open(gz, "rb") as src, open(part, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 22)
        os.replace(part, target)
    return target


def scaled_file(size: str) -> Path:
    """The scaling table's file of ``size`` words: the real GloVe 6B 50d lines (its first 100k, all 400k, or
    all of them 5 times with the copies' words suffixed ``_r1``..``_r4``, so every word is unique) when
    ../shared/data has it; otherwise synthetic.py's generated GloVe text of that size (slow to generate once)."""
    rows = {"100k": 100_000, "400k": 400_000, "2M": 2_000_000}[size]
    real = real_file()
    if real is None:
        return ensure_file(SIZES[size])
    target = BENCH_DIR / f"glove6b-{size}-50d.txt"
    if target.exists():
        return target
    lines = real.read_bytes().split(b"\n")
    lines = [line for line in lines if line]
    part = target.with_name(target.name + ".part")
    with open(part, "wb", buffering=1 << 22) as out:
        written, copy = 0, 0
        while written < rows:
            take = lines[: rows - written]
            if copy == 0:
                out.write(b"\n".join(take) + b"\n")
            else:
                suffix = b"_r%d " % copy
                out.write(b"\n".join(suffix.join(line.split(b" ", 1)) for line in take) + b"\n")
            written += len(take)
            copy += 1
    os.replace(part, target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["real", "scaling", "all"], default="all")
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
    parser.add_argument("--runs", type=int, default=2, help="runs of each first open (median)")
    parser.add_argument("--no-gensim-2m", action="store_true", help="skip gensim on the 2M-word file")
    parser.add_argument("--skip-gensim", action="store_true", help="ours only (a quick re-check)")
    parser.add_argument("--worker", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return 0
    global SKIP_GENSIM
    SKIP_GENSIM = args.skip_gensim
    results = []
    if args.only in ("real", "all"):
        path = real_file()
        if path is not None:
            results.append(bench_file("real GloVe 6B 50d (gunzipped copy)", path, args.runs, cli=True))
            gz = shared_data(REAL)
            results.append(bench_file("real GloVe 6B 50d, the .gz itself", gz, 1))
    if args.only in ("scaling", "all"):
        for size in args.sizes:
            path = scaled_file(size)
            results.append(
                bench_file(
                    f"{size} × 50 GloVe text",
                    path,
                    args.runs if size != "2M" else 1,
                    gensim=not (size == "2M" and args.no_gensim_2m),
                )
            )
    print(
        "\n| file | words × dim | ours first open | cache complete | gensim | ratio (complete) | parse only | "
        "floor (read) | peak RSS ours (× matrix) | peak RSS gensim | cached reopen (call / process) | "
        "first query | runs | load |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        n, d = r["shape"]
        g = r.get("gensim")
        both = f"{ratio(g, r['first'])} ({ratio(g, r['written'])})" if g else "-"
        print(
            f"| {r['label']} | {n:,} × {d} | {r['first']:.2f} s | {r['written']:.2f} s | "
            f"{f'{g:.2f} s' if g else '-'} | {both} | "
            f"{r['parse']:.2f} s | {r['raw']:.2f} s | "
            f"{mib(r['first_peak'])} ({r['first_growth'] / r['matrix']:.2f}×) | "
            f"{mib(r['gensim_peak']) if g else '-'} | {r['reopen'] * 1000:.0f} ms / {r['reopen_wall']:.2f} s | "
            f"{r['first_query'] * 1000:.1f} / {r['reopen_query'] * 1000:.1f} ms | {r['runs']} | {r['load']} |"
        )
    scaling = [r for r in results if "× 50 GloVe text" in r["label"]]
    if len(scaling) > 1:
        print("\nscaling (per million words, ours first open / gensim / peak RSS growth per matrix byte):")
        for r in scaling:
            n = r["shape"][0]
            g = r.get("gensim")
            per_m = g / n * 1e6 if g else float("nan")
            print(
                f"  {n:>9,} words: {r['first'] / n * 1e6:6.2f} s/M  gensim {per_m:6.2f} s/M"
                f"  RSS {r['first_growth'] / r['matrix']:.2f}×"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
