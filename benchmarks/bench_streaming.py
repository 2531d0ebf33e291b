"""Issue 13, item 3: peak RSS of a training run as the dataset grows, streamed (data.streaming = "on": the CSV
is read in chunks into the run's cache, core/streaming.py) against in memory ("off"), on generated CSVs of
100k, 500k and 2M rows, in one run.

    .venv/bin/python benchmarks/bench_streaming.py                       # 100k, 500k, 2M; in memory up to 500k
    .venv/bin/python benchmarks/bench_streaming.py --rows 100000 500000  # a quicker check
    .venv/bin/python benchmarks/bench_streaming.py --modes on            # streamed only
    .venv/bin/python benchmarks/bench_streaming.py --memory-rows 2000000 # in memory at 2M too (≈2+ GB)

Every training is tiny on purpose (1 epoch, the "average" model, 16-d embedding learned from scratch,
sequence length 64, batches of 512), so the figure is the memory of the data path, not of the model. Each
run is `train(cfg)` in a new process; peak RSS is that process's ru_maxrss. The CSVs (short Zipf texts, 4
classes, 8-40 words a row) are generated once under $EMBEDSTUDIO_BENCH_DIR. The machine is shared: the
load average is printed beside every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
from common import load_now, machine_note, mib, peak_rss_bytes, report, run_worker
from synthetic import BENCH_DIR, synthetic_words

SEQUENCE_LENGTH = 64


def streaming_csv(rows: int, classes: int = 4, seed: int = 5) -> Path:
    path = BENCH_DIR / f"stream-{rows}rows-{classes}classes.csv"
    if path.exists():
        return path
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    words = np.array([w for w in synthetic_words(40_000, seed=seed) if w.isalpha()][:30_000], dtype=object)
    p = 1.0 / np.arange(1, len(words) + 1)
    p /= p.sum()
    part = path.with_name(path.name + ".part")
    with open(part, "w", encoding="utf-8") as fh:
        fh.write("text,label\n")
        for start in range(0, rows, 50_000):
            n = min(50_000, rows - start)
            lengths = rng.integers(8, 41, n)
            tokens = rng.choice(len(words), int(lengths.sum()), p=p)
            labels = np.arange(start, start + n) % classes
            # Each class prefers its own slice of the vocabulary for a fifth of its words.
            topical = rng.random(len(tokens)) < 0.2
            row_of = np.repeat(np.arange(n), lengths)
            tokens[topical] = (labels[row_of[topical]] * 5000 + tokens[topical] % 5000) % len(words)
            cuts = np.cumsum(lengths)[:-1]
            lines = [" ".join(chunk) for chunk in np.split(words[tokens], cuts)]
            fh.write("".join(f"{line},topic{label}\n" for line, label in zip(lines, labels.tolist())))
    os.replace(part, path)
    return path


def worker(mode: str, path: str, compare: bool = False) -> None:
    from embedstudio.core.config import RunConfig
    from embedstudio.core.jobs import RecordingReporter
    from embedstudio.core.training import train

    base = peak_rss_bytes()
    cfg = RunConfig()
    cfg.name = "stream-bench"
    cfg.runs_dir = str(BENCH_DIR / "stream-runs")
    cfg.data.path = path
    cfg.data.streaming = mode
    cfg.data.validation_fraction = 0.05
    cfg.data.test_fraction = 0.05
    cfg.text.sequence_length = SEQUENCE_LENGTH
    cfg.text.max_tokens = 20_000
    cfg.embedding.mode = "scratch"
    cfg.embedding.dim = 16
    cfg.model.preset = "average"
    cfg.model.dense_units = 16
    cfg.training.epochs = 1
    cfg.training.min_steps = 0
    cfg.training.batch_size = 512
    cfg.training.early_stopping = False
    cfg.validate()
    start = time.perf_counter()
    result = train(cfg, reporter=RecordingReporter(), compare=compare)
    seconds = time.perf_counter() - start
    report(
        {
            "seconds": seconds,
            "peak": peak_rss_bytes(),
            "base": base,
            "status": result.status,
            "accuracy": (result.report or {}).get("accuracy"),
            "streamed": json.loads((result.run_dir / "description.json").read_text()).get("streaming_read", "memory"),
        }
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", nargs="+", type=int, default=[100_000, 500_000, 2_000_000])
    parser.add_argument("--modes", nargs="+", choices=["on", "off"], default=["on", "off"])
    parser.add_argument(
        "--memory-rows", type=int, default=500_000, help="largest dataset trained in memory (off) as well"
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="also score the TF-IDF + LinearSVC comparison in every run (streamed: on at most "
        "streaming.BASELINE_ROWS rows a split; it is most of a run's time)",
    )
    parser.add_argument("--worker", nargs=3, metavar=("MODE", "PATH", "COMPARE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker[0], args.worker[1], args.worker[2] == "1")
        return 0
    print(f"streamed vs in-memory training, peak RSS as rows grow {machine_note()}", flush=True)
    results = []
    for rows in args.rows:
        path = streaming_csv(rows)
        for mode in args.modes:
            if mode == "off" and rows > args.memory_rows:
                continue
            r = run_worker(Path(__file__), mode, str(path), "1" if args.compare else "0")
            r.update(rows=rows, mode=mode, load=load_now(), size=path.stat().st_size)
            results.append(r)
            print(
                f"{rows:>9,} rows ({path.stat().st_size / 1e6:,.0f} MB CSV), streaming {mode}: peak RSS "
                f"{mib(r['peak'])}, {r['seconds']:.1f} s, test accuracy {r['accuracy']:.3f}, read "
                f"{r['streamed']}  [{r['load']}]",
                flush=True,
            )
    print(
        "\n| rows | CSV | streaming | read | peak RSS | RSS slope per 1,000 rows (from the row above) | time | load |"
    )  # noqa: E501
    print("|---|---|---|---|---|---|---|---|")
    previous: dict[str, dict] = {}
    for r in sorted(results, key=lambda r: (r["mode"], r["rows"])):
        p = previous.get(r["mode"])
        slope = f"{(r['peak'] - p['peak']) / ((r['rows'] - p['rows']) / 1000) / 2**20:,.3f} MiB" if p else "–"
        previous[r["mode"]] = r
        print(
            f"| {r['rows']:,} | {r['size'] / 1e6:,.0f} MB | {r['mode']} | {r['streamed']} | {mib(r['peak'])} | "
            f"{slope} | {r['seconds']:.1f} s | {r['load']} |"
        )
    for mode in ("on", "off"):
        runs = sorted((r for r in results if r["mode"] == mode), key=lambda r: r["rows"])
        if len(runs) >= 2:
            first, last = runs[0], runs[-1]
            slope = (last["peak"] - first["peak"]) / ((last["rows"] - first["rows"]) / 1000) / 2**20
            print(f"streaming {mode}: {slope:,.3f} MiB per 1,000 rows from {first['rows']:,} to {last['rows']:,} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
