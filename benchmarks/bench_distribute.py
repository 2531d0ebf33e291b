"""Issue 13, item 4: samples/s of one process against 1 and 2 local workers (tf.distribute multi-worker), one run.

    .venv/bin/python benchmarks/bench_distribute.py                    # average preset, 6,000 rows, 3 epochs
    .venv/bin/python benchmarks/bench_distribute.py --preset cnn --rows 4000

Three trainings of the same configuration (training_data.py's generated CSV, embedding learned from scratch):
- the anchor: ``embedstudio train CONFIG`` with training.distribute = "none" (one process, no strategy);
- ``embedstudio train CONFIG --workers 1``: MultiWorkerMirroredStrategy with one worker, i.e. the cost of the
  strategy and the launcher alone;
- ``embedstudio train CONFIG --workers 2``: two worker processes on 127.0.0.1, all-reducing every step.
Each is launched as a user would (a new process, timed from outside). samples/s = training rows / epoch
seconds from the chief's metrics.jsonl, the median of epochs 2..N (epoch 1 traces the tf.functions). With 2
workers the global batch is 2 × training.batch_size, so each epoch has half the steps.

This machine has 2 cores shared by other jobs, and both workers run on it: two processes that each
compute half of every batch and then exchange gradients over loopback can only show the overhead of the
collective, not a speed-up. The figure that matters on real machines is the per-worker compute kept busy
(see docs/scale-out.md); here the ratio is the price of the machinery. Figures under load are indicative.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import load_now, machine_note
from training_data import base_config, training_csv


def launch(cfg_path: Path, workers: int, env: dict) -> dict:
    cmd = [sys.executable, "-m", "embedstudio", "train", str(cfg_path)]
    cmd += ["--workers", str(workers)] if workers else []
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    run_dir = Path(next(line[5:] for line in proc.stdout.splitlines() if line.startswith("run: ")))
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]
    description = json.loads((run_dir / "description.json").read_text(encoding="utf-8"))
    n = description["splits"]["train"]
    epochs = [r["seconds"] for r in rows]
    later = epochs[1:] or epochs
    return {"run_dir": str(run_dir), "wall": wall, "epochs": epochs, "rate": n / statistics.median(later),
            "first_rate": n / epochs[0], "n_train": n,
            "tasks": (description.get("launcher") or {}).get("tasks"), "load": load_now(),
            "replicas": (description.get("distribute") or {}).get("replicas", 1),
            "global_batch": (description.get("distribute") or {}).get("global_batch_size")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="average")
    parser.add_argument("--rows", type=int, default=6000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--sequence-length", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args(argv)
    data = training_csv(args.rows)
    with tempfile.TemporaryDirectory(prefix="embedstudio-bench-dist-") as tmp:
        cfg = base_config(data, Path(tmp) / "runs", preset=args.preset, epochs=args.epochs,
                          sequence_length=args.sequence_length, batch_size=args.batch_size)
        cfg_path = Path(tmp) / "config.json"
        cfg_path.write_text(json.dumps(cfg.to_dict()), encoding="utf-8")
        env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]), TF_CPP_MIN_LOG_LEVEL="3",
                   EMBEDSTUDIO_HOME=str(Path(tmp) / "home"))
        print(f"== {args.preset}, {args.rows:,} rows, sequence {args.sequence_length}, batch {args.batch_size} per "
              f"replica, {args.epochs} epochs {machine_note()}", flush=True)
        results = {}
        for label, workers in (("1 process (distribute none)", 0), ("1 local worker", 1), ("2 local workers", 2)):
            r = launch(cfg_path, workers, env)
            results[label] = r
            print(f"{label}: {r['rate']:,.0f} samples/s (epochs {[round(e, 2) for e in r['epochs']]} s), whole command "
                  f"{r['wall']:.1f} s  [{r['load']}]", flush=True)
            if r["tasks"]:
                print("  workers: " + "; ".join(f"{t['task']} {t.get('steps')} steps in {t.get('fit_seconds')} s"
                                                 for t in r["tasks"]))
        anchor = results["1 process (distribute none)"]
    print("\n| what | samples/s (epochs 2.. median) | anchor: 1 process | ratio | replicas, global batch | "
          "whole command | load |")
    print("|---|---|---|---|---|---|---|")
    for label, r in results.items():
        print(f"| {label} | {r['rate']:,.0f} | {anchor['rate']:,.0f} | {r['rate'] / anchor['rate']:.2f} | "
              f"{r['replicas']}, {r['global_batch'] or args.batch_size} | {r['wall']:.1f} s | {r['load']} |")
    print("\n2 cores shared with other jobs: the 2-worker figure is the overhead of the collective on one machine, "
          "not the speed-up real machines give.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
