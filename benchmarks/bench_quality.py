"""Issue 8's targets, measured through the CLI with the defaults, each beside TF-IDF and fastText on the same split.

For each committed config (``examples/*-auto.toml``: the auto preset, the auto tokenizer, GloVe 6B 50d) it runs
``embedstudio train CONFIG`` and ``embedstudio baseline CONFIG`` in fresh processes, reads both run folders'
``report.json`` and prints our accuracy / macro-F1 next to TF-IDF + LinearSVC and fastText measured in the
same run, the wall time, and PASS/FAIL against the issue's target. The baselines use exactly the run's split
(same data, same split seed). Each row records the 1-minute load average before and after training (the
times are wall times on a shared machine). ``--json FILE`` also writes the rows (``scripts/update_readme_results.py``
turns them into the README's results section).

    .venv/bin/python benchmarks/bench_quality.py                  # all four (about 15 minutes on 2 cores)
    .venv/bin/python benchmarks/bench_quality.py --only trec sms  # a subset

The datasets 20NG, TREC and SMS live in ../shared/data (absent on a fresh clone: those rows are skipped).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {
    # name: (config, metric, target, what the issue measured TF-IDF at)
    "20ng": ("examples/20ng-auto.toml", "accuracy", 0.73, "20 Newsgroups bydate, stripped"),
    "trec": ("examples/trec-auto.toml", "accuracy", 0.90, "TREC (given 500-question test set)"),
    "sms": ("examples/sms-auto.toml", "macro_f1", 0.968, "SMS Spam (duplicates dropped, stratified 20% test)"),
    "bbc": ("examples/bbc-auto.toml", "accuracy", 0.975, "BBC News (duplicates dropped, stratified 20% test)"),
}


def cli(*args: str) -> tuple[float, str]:
    env = dict(
        os.environ,
        TF_CPP_MIN_LOG_LEVEL="3",
        PYTHONHASHSEED="0",
        PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "embedstudio", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise RuntimeError(f"embedstudio {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return time.monotonic() - started, proc.stdout


def _reports(runs_dir: Path) -> dict[str, dict]:
    out = {}
    for folder in sorted(runs_dir.iterdir()):
        report = folder / "report.json"
        description = json.loads((folder / "description.json").read_text(encoding="utf-8"))
        if report.is_file():
            key = description.get("baseline") or "neural"
            out[key] = {"report": json.loads(report.read_text(encoding="utf-8")), "description": description}
    return out


def measure(name: str) -> dict | None:
    config, metric, target, label = TARGETS[name]
    text = (ROOT / config).read_text(encoding="utf-8")
    if "shared/data" in text and not (ROOT.parent / "shared" / "data").is_dir():
        print(f"{name}: skipped, ../shared/data is absent")
        return None
    with tempfile.TemporaryDirectory(prefix=f"bench-quality-{name}-") as tmp:
        runs = Path(tmp)
        load_before = os.getloadavg()[0]
        train_s, _ = cli("train", config, "--runs-dir", str(runs))
        load_after = os.getloadavg()[0]
        base_s, _ = cli("baseline", config, "--runs-dir", str(runs))
        reports = _reports(runs)
    neural = reports["neural"]["report"]
    tfidf = reports["tfidf_linear"]["report"]
    fasttext = reports["fasttext_supervised"]["report"]
    resolved = reports["neural"]["description"].get("resolved", {})
    value = neural[metric]
    return {
        "name": name,
        "label": label,
        "command": f"embedstudio train {config}",
        "metric": metric,
        "target": target,
        "value": value,
        "passed": value >= target,
        "accuracy": neural["accuracy"],
        "macro_f1": neural["macro_f1"],
        "tfidf_accuracy": tfidf["accuracy"],
        "tfidf_macro_f1": tfidf["macro_f1"],
        "tfidf_C": tfidf["params"]["C"],
        "fasttext_accuracy": fasttext["accuracy"],
        "fasttext_macro_f1": fasttext["macro_f1"],
        "fasttext_settings": {k: fasttext["params"].get(k) for k in ("epoch", "lr")}
        | {"chosen_on": fasttext.get("settings_chosen_on")},
        "train_seconds": round(train_s, 1),
        "baseline_seconds": round(base_s, 1),
        "load_average": [round(load_before, 1), round(load_after, 1)],  # 1-minute, before and after training
        "resolved": {
            k: resolved.get(k) for k in ("preset", "deep_path", "standardize", "sequence_length", "max_tokens")
        },
        "test_size": sum(map(sum, neural["confusion_matrix"])),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(TARGETS), default=list(TARGETS))
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    rows = []
    for name in args.only:
        row = measure(name)
        if row is None:
            continue
        rows.append(row)
        print(
            f"{row['label']}: ours {row['accuracy']:.4f} acc / {row['macro_f1']:.4f} macro-F1 "
            f"({row['resolved']['preset']}/{row['resolved']['deep_path']}, {row['train_seconds']:.0f} s) | "
            f"TF-IDF {row['tfidf_accuracy']:.4f} / {row['tfidf_macro_f1']:.4f} | fastText "
            f"{row['fasttext_accuracy']:.4f} / {row['fasttext_macro_f1']:.4f} | "
            f"{row['metric']} {row['value']:.4f} vs target {row['target']} {'PASS' if row['passed'] else 'FAIL'}; "
            f"vs TF-IDF {100 * (row['accuracy'] - row['tfidf_accuracy']):+.1f} points",
            flush=True,
        )
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
