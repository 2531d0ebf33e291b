"""Issue 13, item 3: peak RSS of a training run as the dataset grows, streamed (data.streaming = "on") against
in memory ("off"), on generated CSVs of 100k, 500k and 2M rows, in one run.

    .venv/bin/python benchmarks/bench_streaming.py                       # 100k, 500k, 2M; on and off
    .venv/bin/python benchmarks/bench_streaming.py --rows 100000 500000  # a quicker check
    .venv/bin/python benchmarks/bench_streaming.py --modes on            # streamed only

Every training is tiny on purpose (1 epoch, the "average" model, 16-d embedding learned from scratch,
sequence length 64, batches of 512), so the figure is the memory of the data path, not of the model. Each
run is `train(cfg)` in a new process; peak RSS is that process's ru_maxrss. The CSVs (short Zipf texts, 4
classes, 8-40 words a row) are generated once under $EMBEDSTUDIO_BENCH_DIR. The machine is shared: the
load average is printed beside every figure.
"""

from __future__ import annotations

import argparse
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


def worker(mode: str, path: str) -> None:
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
    result = train(cfg, reporter=RecordingReporter())
    seconds = time.perf_counter() - start
    report(
        {
            "seconds": seconds,
            "peak": peak_rss_bytes(),
            "base": base,
            "status": result.status,
            "accuracy": (result.report or {}).get("accuracy"),
            "streamed": (result.run_dir / "description.json").read_text().count('"streaming": true') > 0,
        }
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", nargs="+", type=int, default=[100_000, 500_000, 2_000_000])
    parser.add_argument("--modes", nargs="+", choices=["on", "off"], default=["on", "off"])
    parser.add_argument("--worker", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return 0
    print(f"streamed vs in-memory training, peak RSS as rows grow {machine_note()}", flush=True)
    results = []
    for rows in args.rows:
        path = streaming_csv(rows)
        for mode in args.modes:
            r = run_worker(Path(__file__), mode, str(path))
            r.update(rows=rows, mode=mode, load=load_now(), size=path.stat().st_size)
            results.append(r)
            print(
                f"{rows:>9,} rows ({path.stat().st_size / 1e6:,.0f} MB CSV), streaming {mode}: peak RSS "
                f"{mib(r['peak'])}, {r['seconds']:.1f} s, test accuracy {r['accuracy']:.3f}, streamed "
                f"{r['streamed']}  [{r['load']}]",
                flush=True,
            )
    print("\n| rows | CSV | streaming | peak RSS | RSS per 1k rows above 100k | run time | streamed | load |")
    print("|---|---|---|---|---|---|---|---|")
    first = {r["mode"]: r for r in results if r["rows"] == min(args.rows)}
    for r in results:
        f = first[r["mode"]]
        slope = (r["peak"] - f["peak"]) / max(1, (r["rows"] - f["rows"]) / 1000) if r["rows"] > f["rows"] else 0
        print(
            f"| {r['rows']:,} | {r['size'] / 1e6:,.0f} MB | {r['mode']} | {mib(r['peak'])} | "
            f"{slope / 1024:,.1f} KiB | {r['seconds']:.1f} s | {r['streamed']} | {r['load']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
