"""Regenerate the README's "Targets" results section from the committed configs in examples/.

Runs benchmarks/bench_quality.py (every target through the CLI, with TF-IDF and fastText on the same split)
unless ``--from FILE`` gives the JSON it wrote, optionally adds a study table (``--study DIR``: a folder
``embedstudio study`` wrote), and replaces the text between the README's results markers.

    .venv/bin/python scripts/update_readme_results.py                       # measure, then rewrite
    .venv/bin/python scripts/update_readme_results.py --from rows.json --study runs/bbc-study
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- results:targets:begin -->", "<!-- results:targets:end -->"


def targets_table(rows: list[dict]) -> str:
    lines = [
        "| data | command | ours: accuracy / macro-F1 | TF-IDF + SVC (same split) | fastText (same split) | "
        "target | time (train) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        metric = "acc" if r["metric"] == "accuracy" else "macro-F1"
        verdict = "met" if r["passed"] else "**not met**"
        lines.append(
            f"| {r['label']} | `{r['command']}` | **{r['accuracy']:.3f}** / {r['macro_f1']:.3f} "
            f"({r['resolved']['preset']}, {r['resolved']['deep_path']} path) | {r['tfidf_accuracy']:.3f} / "
            f"{r['tfidf_macro_f1']:.3f} | {r['fasttext_accuracy']:.3f} / {r['fasttext_macro_f1']:.3f} | "
            f"{metric} ≥ {r['target']}: {verdict} | {r['train_seconds']:.0f} s{_load(r)} |"
        )
    return "\n".join(lines)


def _load(row: dict) -> str:
    """The machine's 1-minute load average before and after training, when the row recorded it."""
    load = row.get("load_average")
    return f" (load {min(load):g}–{max(load):g})" if load else ""


def study_table(study_dir: Path) -> str:
    sys.path.insert(0, str(ROOT))
    from embedstudio.core.study import format_table

    data = json.loads((study_dir / "study.json").read_text(encoding="utf-8"))
    name = data["config"].get("name") or study_dir.name
    return (
        f"Study `{name}` ({data['seeds']} seed(s); test set {data['test_size']:,} texts; "
        f"{data['seconds']:.0f} s), accuracy mean ± std:\n\n```text\n{format_table(data['table'])}\n```"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", help="bench_quality.py --json output to use instead of measuring")
    parser.add_argument("--study", action="append", default=[], help="a study folder to add (repeatable)")
    args = parser.parse_args(argv)
    if args.source:
        rows = json.loads(Path(args.source).read_text(encoding="utf-8"))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "rows.json"
            subprocess.run(
                [sys.executable, str(ROOT / "benchmarks" / "bench_quality.py"), "--json", str(out)], check=True
            )
            rows = json.loads(out.read_text(encoding="utf-8"))
    parts = [targets_table(rows)] + [study_table(Path(s)) for s in args.study]
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise SystemExit(f"README.md has no {BEGIN} … {END} markers")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(head + BEGIN + "\n" + "\n\n".join(parts) + "\n" + END + tail, encoding="utf-8")
    print(f"updated {readme}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
