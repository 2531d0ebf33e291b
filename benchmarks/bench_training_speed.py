"""Issue 13, item 3: in-app training speed against a bare ``model.fit`` on the same model and arrays, one run.

    .venv/bin/python benchmarks/bench_training_speed.py                       # cnn, 8,000 rows, 4 epochs, 3 rounds
    .venv/bin/python benchmarks/bench_training_speed.py --preset average --rows 20000
    .venv/bin/python benchmarks/bench_training_speed.py --runs 1 --epochs 3   # quicker

Four measurements on one generated CSV (training_data.py), each in a new process, in rounds:
- ours, in-app: ``train(cfg)``, the function the CLI and the GUI's worker call.
- through the GUI's worker: a ``gui.jobs.Worker`` (a QThread) running the training panel's job
  (``run_training``) under a QApplication (offscreen), as the app's Start button does.
- through the CLI: ``python -m embedstudio train CONFIG``, timed from outside (the whole process).
- the anchor, bare Keras: the same arrays and the same compiled model, built with the app's own functions
  (load_dataset, make_splits, build_vectorizer, vectorize, build_model, compile_model), then ``model.fit``
  with the same batch size, epochs, validation data and shuffling, and only a timing callback that measures
  epochs the same way (on_epoch_begin..on_epoch_end, validation included, as the app's metrics.jsonl does).
samples/s = training rows / epoch seconds; the medians skip epoch 1 (it traces the tf.functions in both) and
epoch 1 is shown apart. Each round runs the four in a rotated order, so that a change of load during the
benchmark does not always fall on the same one; the ratio is the median of the rounds' paired ratios (each
path against the anchor of its own round), beside the ratio of the overall medians.
Where a run's time goes comes from the run itself (description.json ``timings``, seconds per phase of
train(): import, load, split, vocabulary, tokenise, build, fit, evaluate, TF-IDF comparison, save, reload
proof); the time of the process outside train() (interpreter, imports before train(), exit) is measured from
outside. The machine is shared: the load average is printed beside every figure; figures under load are
indicative.
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
MODES = ("ours", "bare", "cli", "gui")


def _run_record(run_dir: Path) -> dict:
    """Per-epoch seconds (metrics.jsonl), training rows and the run's own timings (description.json)."""
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]
    description = json.loads((run_dir / "description.json").read_text(encoding="utf-8"))
    return {
        "epochs": [r["seconds"] for r in rows],
        "n_train": description["splits"]["train"],
        "timings": description.get("timings", {}),
    }


def gui_worker(cfg) -> dict:
    """The GUI's path: a Worker QThread running the training panel's job, under a running event loop."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from embedstudio.gui.jobs import Worker
    from embedstudio.gui.panels.training_panel import run_training

    app = QApplication.instance() or QApplication([])
    out: dict = {}
    events = [0]
    worker = Worker(run_training, cfg, None, None, name="training")
    worker.returned.connect(lambda result: out.update(run_dir=str(result.run_dir)))
    worker.errored.connect(lambda err: out.update(error=err.message))
    worker.job_event.connect(lambda event: events.__setitem__(0, events[0] + 1))  # delivered on the GUI thread
    worker.done.connect(app.quit)
    begin = time.perf_counter()
    worker.start()
    app.exec()
    worker.wait()
    if "error" in out:
        raise RuntimeError(out["error"])
    record = _run_record(Path(out["run_dir"]))
    record.update(wall=time.perf_counter() - START, job_seconds=time.perf_counter() - begin, events=events[0])
    return record


def worker(mode: str, config_json: str) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    raw = json.loads(config_json)
    from embedstudio.core.config import RunConfig

    cfg = RunConfig.from_dict(raw)
    if mode == "ours":
        from embedstudio.core.training import train

        begin = time.perf_counter()
        result = train(cfg)
        end = time.perf_counter()
        record = _run_record(result.run_dir)
        record.update(wall=end - START, import_seconds=begin - START, peak=peak_rss_bytes())
        report(record)
        return
    if mode == "gui":
        record = gui_worker(cfg)
        record["peak"] = peak_rss_bytes()
        report(record)
        return
    # bare Keras on the same arrays and model
    import keras
    import numpy as np

    from embedstudio.core.datasets import load_dataset, make_splits
    from embedstudio.core.models import build_model, compile_model
    from embedstudio.core.text import build_vectorizer, vectorize, vocabulary

    keras.utils.set_random_seed(cfg.training.seed)
    ds = load_dataset(cfg.data)
    splits = make_splits(
        ds,
        validation_fraction=cfg.data.validation_fraction,
        test_fraction=cfg.data.test_fraction,
        seed=cfg.training.seed,
    )
    vectorizer = build_vectorizer(splits.train.texts, cfg.text)
    index = {c: i for i, c in enumerate(splits.classes)}
    x_train = vectorize(vectorizer, splits.train.texts)
    x_val = vectorize(vectorizer, splits.validation.texts)
    y_train = np.asarray([index[c] for c in splits.train.labels], dtype="int64")
    y_val = np.asarray([index.get(c, -1) for c in splits.validation.labels], dtype="int64")
    model = build_model(
        cfg,
        vocab_size=len(vocabulary(vectorizer)),
        num_classes=len(splits.classes),
        embedding_matrices=None,
        covered_masks=None,
    )
    compile_model(model, cfg)
    epochs: list[float] = []

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t = time.monotonic()

        def on_epoch_end(self, epoch, logs=None):
            epochs.append(time.monotonic() - self.t)

    from embedstudio.core.training import effective_batch_size, effective_epochs

    begin = time.perf_counter()
    model.fit(  # the batch size and epochs the app trains with (small data: smaller batches, more epochs)
        x_train,
        y_train,
        batch_size=effective_batch_size(cfg, len(y_train)),
        epochs=effective_epochs(cfg, len(y_train)),
        validation_data=(x_val, y_val),
        shuffle=True,
        verbose=0,
        callbacks=[EpochTimer()],
    )
    report(
        {
            "epochs": epochs,
            "fit_seconds": time.perf_counter() - begin,
            "n_train": len(y_train),
            "peak": peak_rss_bytes(),
        }
    )


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
    proc = subprocess.run(
        [sys.executable, "-m", "embedstudio", "train", str(path)], capture_output=True, text=True, env=env
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    run_dir = Path(next(line[5:] for line in proc.stdout.splitlines() if line.startswith("run: ")))
    record = _run_record(run_dir)
    record["wall"] = wall
    return record


def _median(values) -> float:
    values = list(values)
    return statistics.median(values) if values else float("nan")


def _breakdown(name: str, record: dict) -> None:
    """Where one run's process spent its time: outside train() (measured from outside), then train()'s phases."""
    timings = record.get("timings") or {}
    phases = dict(timings.get("seconds", {}))
    wall = record["wall"]
    inside = timings.get("total", 0.0)
    fit = phases.get("fit", 0.0)
    parts = {"process outside train() (interpreter, imports, exit)": max(0.0, wall - inside), **phases}
    outside = wall - fit
    print(
        f"{name}: process {wall:.1f} s, train() {inside:.1f} s, fit {fit:.1f} s "
        f"(epochs {timings.get('epochs', 0):.1f} s);"
        f" outside fit {outside:.1f} s = {100 * outside / wall:.0f}% of the process, "
        f"{100 * timings.get('outside_fit_share', 0):.0f}% of train()"
    )
    for phase, seconds in sorted(parts.items(), key=lambda kv: -kv[1]):
        if seconds >= 0.005:
            print(f"  {phase:<52} {seconds:7.2f} s  {100 * seconds / wall:5.1f}%")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="cnn")
    parser.add_argument("--rows", type=int, default=8000)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--sequence-length", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--runs", type=int, default=3, help="rounds; each runs every path once, in a rotated order")
    parser.add_argument("--no-cli", action="store_true")
    parser.add_argument("--no-gui", action="store_true")
    parser.add_argument("--worker", nargs=2, metavar=("MODE", "CONFIG_JSON"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return 0
    data = training_csv(args.rows)
    script = Path(__file__)
    modes = [m for m in MODES if not (m == "cli" and args.no_cli) and not (m == "gui" and args.no_gui)]
    results: dict[str, list[dict]] = {m: [] for m in modes}
    rounds: list[dict[str, dict]] = []
    with tempfile.TemporaryDirectory(prefix="embedstudio-bench-train-") as tmp:
        cfg = base_config(
            data,
            Path(tmp) / "runs",
            preset=args.preset,
            epochs=args.epochs,
            sequence_length=args.sequence_length,
            batch_size=args.batch_size,
        )
        cfg_json = json.dumps(cfg.to_dict())
        env = {"EMBEDSTUDIO_HOME": str(Path(tmp) / "home"), "TF_CPP_MIN_LOG_LEVEL": "3", "QT_QPA_PLATFORM": "offscreen"}
        print(
            f"== {args.preset}, {args.rows:,} rows, sequence {args.sequence_length}, batch {args.batch_size}, "
            f"{args.epochs} epochs, {args.runs} rounds of {', '.join(modes)} {machine_note()}",
            flush=True,
        )
        for r in range(args.runs):
            order = modes[r % len(modes) :] + modes[: r % len(modes)]
            this: dict[str, dict] = {}
            for mode in order:
                before = load_now()
                if mode == "cli":
                    record = cli_run(cfg.to_dict(), Path(tmp))
                else:
                    record = run_worker(script, mode, cfg_json, env=env)
                record["load"] = before
                record["load_after"] = load_now()
                this[mode] = record
                results[mode].append(record)
                print(
                    f"  round {r + 1} {mode:<4} {_rate(record)[0]:7,.0f} samples/s  epochs "
                    f"{[round(e, 2) for e in record['epochs']]}  ({record['load']} → {record['load_after']})",
                    flush=True,
                )
            rounds.append(this)
    bare = results["bare"]
    b_rate = _median(_rate(r)[0] for r in bare)
    b_first = _median(_rate(r)[1] for r in bare)
    print(f"training rows {bare[0]['n_train']:,}")
    print(f"bare model.fit: {b_rate:,.0f} samples/s (median of epochs 2..{args.epochs}); epoch 1 {b_first:,.0f}/s")
    label = {"ours": "train()", "cli": "the CLI", "gui": "the GUI's worker"}
    table = []
    for mode in (m for m in modes if m != "bare"):
        rate = _median(_rate(r)[0] for r in results[mode])
        first = _median(_rate(r)[1] for r in results[mode])
        paired = [_rate(rd[mode])[0] / _rate(rd["bare"])[0] for rd in rounds]
        ratio = _median(paired)
        print(
            f"{label[mode]}: {rate:,.0f} samples/s; epoch 1 {first:,.0f}/s; ratio to bare: median of the rounds' "
            f"paired ratios {ratio:.3f} ({', '.join(f'{p:.3f}' for p in paired)}), of the medians "
            f"{rate / b_rate:.3f} (goal ≥ {GOAL}); epoch 1: {first / b_first:.3f}"
        )
        table.append((mode, rate, ratio))
    print()
    for mode in (m for m in modes if m != "bare"):
        best = min(results[mode], key=lambda r: r["wall"])
        _breakdown(f"{label[mode]} (its fastest round)", best)
    print("\n| what | ours | anchor (bare model.fit) | ratio (paired, median) | peak RSS ours / bare | rounds | load |")
    print("|---|---|---|---|---|---|---|")
    loads = [float(r["load"].split()[1].split("/")[0]) for rd in rounds for r in rd.values()]
    span = f"{min(loads):.1f}–{max(loads):.1f}"
    bare_peak = max(r.get("peak", 0) for r in bare) / 2**20
    for mode, rate, ratio in table:
        peak = max(r.get("peak", 0) for r in results[mode]) / 2**20
        peaks = f"{peak:,.0f} / {bare_peak:,.0f} MiB" if peak else "-"
        print(
            f"| {label[mode]} samples/s, epochs 2..{args.epochs} median | {rate:,.0f} | {b_rate:,.0f} | {ratio:.3f} | "
            f"{peaks} | {args.runs} | {span} |"
        )
    for mode in (m for m in modes if m != "bare"):
        shares = [
            (r["wall"] - r["timings"]["seconds"].get("fit", 0.0)) / r["wall"] for r in results[mode] if r.get("timings")
        ]
        inside = [r["timings"]["outside_fit_share"] for r in results[mode] if r.get("timings")]
        print(
            f"| time outside fit, {label[mode]}: share of the process / of train() | {100 * _median(shares):.0f}% / "
            f"{100 * _median(inside):.0f}% | - | - | - | {args.runs} | {span} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
