"""Issue 13, item 3: in-app training speed against a bare ``model.fit`` on the same model and arrays, one run.

    .venv/bin/python benchmarks/bench_training_speed.py                       # cnn, 8,000 rows, 4 epochs
    .venv/bin/python benchmarks/bench_training_speed.py --preset average --rows 20000
    .venv/bin/python benchmarks/bench_training_speed.py --runs 1 --epochs 3   # quicker

Three measurements on one generated CSV (training_data.py), each in a new process:
- ours, in-app: ``train(cfg)``, the function the CLI and the GUI's worker call. Per-epoch seconds come from
  the run's metrics.jsonl (its callback times on_epoch_begin..on_epoch_end, validation included), and a
  reporter that stamps every step gives the time outside ``fit``: imports, loading, splitting, the
  vocabulary, tokenising, building the model, evaluating and saving (proving the model reloads is left to
  the caller and is not part of train()).
- the anchor, bare Keras: the same arrays and the same compiled model, built with the app's own functions
  (load_dataset, make_splits, build_vectorizer, vectorize, build_model, compile_model), then ``model.fit``
  with the same batch size, epochs, validation data and shuffling, and only a timing callback that measures
  epochs the same way.
- through the CLI: ``python -m embedstudio train CONFIG`` timed from outside (the whole process), with its
  per-epoch seconds from metrics.jsonl.
samples/s = training rows / epoch seconds; the medians skip epoch 1 (it traces the tf.functions in both) and
epoch 1 is shown apart. The GUI worker calls the same train(); it is not measured here (tests/gui owns it).
The machine is shared: the load average is printed beside every figure; figures under load are indicative.
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

START = time.perf_counter()

from common import load_now, machine_note, peak_rss_bytes, report, run_worker  # noqa: E402
from training_data import base_config, training_csv  # noqa: E402

GOAL = 0.97


class Timeline:
    """A Reporter that stamps each new step message (progress) and keeps nothing else."""

    def __init__(self) -> None:
        self.steps: list[tuple[float, str]] = []

    def progress(self, done, total=None, message=""):
        if message and (not self.steps or self.steps[-1][1] != message):
            self.steps.append((time.perf_counter(), message))

    def info(self, message):
        pass

    def warning(self, message):
        pass

    def event(self, kind, payload):
        pass


def worker(mode: str, config_json: str) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    raw = json.loads(config_json)
    from embedstudio.core.config import RunConfig

    cfg = RunConfig.from_dict(raw)
    if mode == "ours":
        from embedstudio.core.training import train

        timeline = Timeline()
        begin = time.perf_counter()
        timeline.steps.append((begin, "run folder, import of keras"))
        result = train(cfg, reporter=timeline)
        end = time.perf_counter()
        steps = timeline.steps + [(end, "end")]
        durations: dict[str, float] = {}
        for (t0, name), (t1, _) in zip(steps, steps[1:], strict=False):
            durations[name] = durations.get(name, 0.0) + (t1 - t0)
        description = json.loads((result.run_dir / "description.json").read_text(encoding="utf-8"))
        report({"epochs": [row["seconds"] for row in result.history], "train_seconds": end - begin,
                "process_seconds": end - START, "import_seconds": begin - START, "steps": durations,
                "n_train": description["splits"]["train"], "peak": peak_rss_bytes()})
        return
    # bare Keras on the same arrays and model
    import keras
    import numpy as np

    from embedstudio.core.datasets import load_dataset, make_splits
    from embedstudio.core.models import build_model, compile_model
    from embedstudio.core.text import build_vectorizer, vectorize, vocabulary

    keras.utils.set_random_seed(cfg.training.seed)
    ds = load_dataset(cfg.data)
    splits = make_splits(ds, validation_fraction=cfg.data.validation_fraction, test_fraction=cfg.data.test_fraction,
                         seed=cfg.training.seed)
    vectorizer = build_vectorizer(splits.train.texts, cfg.text)
    index = {c: i for i, c in enumerate(splits.classes)}
    x_train = vectorize(vectorizer, splits.train.texts)
    x_val = vectorize(vectorizer, splits.validation.texts)
    y_train = np.asarray([index[c] for c in splits.train.labels], dtype="int64")
    y_val = np.asarray([index.get(c, -1) for c in splits.validation.labels], dtype="int64")
    model = build_model(cfg, vocab_size=len(vocabulary(vectorizer)), num_classes=len(splits.classes),
                        embedding_matrices=None, covered_masks=None)
    compile_model(model, cfg)
    epochs: list[float] = []

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t = time.monotonic()

        def on_epoch_end(self, epoch, logs=None):
            epochs.append(time.monotonic() - self.t)

    begin = time.perf_counter()
    model.fit(x_train, y_train, batch_size=cfg.training.batch_size, epochs=cfg.training.epochs,
              validation_data=(x_val, y_val), shuffle=True, verbose=0, callbacks=[EpochTimer()])
    report({"epochs": epochs, "fit_seconds": time.perf_counter() - begin, "n_train": len(y_train),
            "peak": peak_rss_bytes()})


def _rate(result: dict) -> tuple[float, float]:
    """(median samples/s over epochs 2.., samples/s of epoch 1)."""
    n, epochs = result["n_train"], result["epochs"]
    later = epochs[1:] or epochs
    return n / statistics.median(later), n / epochs[0]


def cli_run(cfg_dict: dict, tmp: Path) -> dict:
    path = tmp / "cli-config.json"
    path.write_text(json.dumps(cfg_dict), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]), TF_CPP_MIN_LOG_LEVEL="3")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "embedstudio", "train", str(path)], capture_output=True,
                          text=True, env=env)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    run_dir = Path(next(line[5:] for line in proc.stdout.splitlines() if line.startswith("run: ")))
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]
    description = json.loads((run_dir / "description.json").read_text(encoding="utf-8"))
    return {"epochs": [r["seconds"] for r in rows], "wall": wall, "n_train": description["splits"]["train"],
            "run_seconds": description.get("seconds")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="cnn")
    parser.add_argument("--rows", type=int, default=8000)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--sequence-length", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--no-cli", action="store_true")
    parser.add_argument("--worker", nargs=2, metavar=("MODE", "CONFIG_JSON"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return 0
    data = training_csv(args.rows)
    script = Path(__file__)
    with tempfile.TemporaryDirectory(prefix="embedstudio-bench-train-") as tmp:
        cfg = base_config(data, Path(tmp) / "runs", preset=args.preset, epochs=args.epochs,
                          sequence_length=args.sequence_length, batch_size=args.batch_size)
        cfg_json = json.dumps(cfg.to_dict())
        env = {"EMBEDSTUDIO_HOME": str(Path(tmp) / "home"), "TF_CPP_MIN_LOG_LEVEL": "3"}
        print(f"== {args.preset}, {args.rows:,} rows, sequence {args.sequence_length}, batch {args.batch_size}, "
              f"{args.epochs} epochs {machine_note()}", flush=True)
        ours, bare, cli, loads = [], [], [], []
        for _ in range(args.runs):
            ours.append(run_worker(script, "ours", cfg_json, env=env))
            loads.append(load_now())
            bare.append(run_worker(script, "bare", cfg_json, env=env))
            loads.append(load_now())
            if not args.no_cli:
                cli.append(cli_run(cfg.to_dict(), Path(tmp)))
                loads.append(load_now())
    n = ours[0]["n_train"]
    o_rate = statistics.median(_rate(r)[0] for r in ours)
    b_rate = statistics.median(_rate(r)[0] for r in bare)
    o_first = statistics.median(_rate(r)[1] for r in ours)
    b_first = statistics.median(_rate(r)[1] for r in bare)
    print(f"training rows {n:,}; loads during the runs: {', '.join(loads)}")
    print(f"ours, train(): {o_rate:,.0f} samples/s (median of epochs 2..{args.epochs}, {args.runs} runs); "
          f"epoch 1 {o_first:,.0f}/s; per-epoch seconds {[round(e, 2) for r in ours for e in r['epochs']]}")
    print(f"bare model.fit: {b_rate:,.0f} samples/s; epoch 1 {b_first:,.0f}/s; per-epoch seconds "
          f"{[round(e, 2) for r in bare for e in r['epochs']]}")
    print(f"ratio ours / bare: {o_rate / b_rate:.3f} (goal ≥ {GOAL}); epoch 1: {o_first / b_first:.3f}")
    best = min(ours, key=lambda r: r["train_seconds"])
    fit = best["steps"].get("Training", 0.0)
    total = best["process_seconds"]
    outside = total - fit
    print(f"time outside fit (run of {best['train_seconds']:.1f} s in train(), {total:.1f} s in its process): "
          f"{outside:.1f} s = {100 * outside / total:.0f}% of the process, "
          f"{100 * (best['train_seconds'] - fit) / best['train_seconds']:.0f}% "
          f"of train()")
    parts = {"imports before train()": best["import_seconds"], **best["steps"]}
    for name, seconds in sorted(parts.items(), key=lambda kv: -kv[1]):
        if seconds < 0.005:
            continue
        print(f"  {name:<30} {seconds:7.2f} s  {100 * seconds / total:5.1f}%")
    c_rate = None
    if cli:
        c_rate = statistics.median(_rate(r)[0] for r in cli)
        c_wall = statistics.median(r["wall"] for r in cli)
        c_fit = statistics.median(sum(r["epochs"]) for r in cli)
        print(f"through the CLI: {c_rate:,.0f} samples/s ({c_rate / b_rate:.3f}× bare); whole process {c_wall:.1f} s "
              f"of which the epochs {c_fit:.1f} s: {100 * (c_wall - c_fit) / c_wall:.0f}% outside fit")
    print("\n| what | ours | anchor (bare model.fit) | ratio | peak RSS ours / bare | runs | load |")
    print("|---|---|---|---|---|---|---|")
    print(f"| train() samples/s, epochs 2..{args.epochs} median | {o_rate:,.0f} | {b_rate:,.0f} | "
          f"{o_rate / b_rate:.3f} | "
          f"{max(r['peak'] for r in ours) / 2**20:,.0f} / {max(r['peak'] for r in bare) / 2**20:,.0f} MiB | "
          f"{args.runs} | {loads[0]} … {loads[-1]} |")
    if c_rate:
        print(f"| CLI samples/s | {c_rate:,.0f} | {b_rate:,.0f} | {c_rate / b_rate:.3f} | - | {args.runs} | "
              f"{loads[-1]} |")
    print(f"| time outside fit, share of the train() process | {100 * outside / total:.0f}% ({outside:.1f} s) "
          "| - | - | - | 1 | "
          f"{loads[0]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
