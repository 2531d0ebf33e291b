"""Issue 4, item 1: our text-vector reader against gensim's load_word2vec_format, in one run.

    .venv/bin/python benchmarks/bench_text_reader.py                 # GloVe 400k × 100 (the goal's file)
    .venv/bin/python benchmarks/bench_text_reader.py --file all  # + word2vec text 400k × 300 (slow: gensim ~1.5 min)
    .venv/bin/python benchmarks/bench_text_reader.py --rows 40000    # quick trial on a smaller file

Prints gensim's time, ours, the speed-up (goal ≥ 10×), our peak RSS growth over the final float32
matrix (goal ≤ 1.5×), and whether words and floats are identical to gensim's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from common import machine_note, mib, peak_rss_bytes, report, run_worker, timed, verdict
from synthetic import SPECS, ensure_file

SPEED_GOAL = 10.0
MEMORY_GOAL = 1.5
FILES = {"glove": "glove-400k-100d.txt", "word2vec-text": "word2vec-400k-300d.txt"}


def worker(mode: str, path: str) -> None:
    import numpy as np

    baseline = peak_rss_bytes()
    no_header = not _has_header(path)
    if mode == "ours":
        from embedstudio.core.vectors.text_reader import read_text_vectors

        baseline = peak_rss_bytes()
        result, seconds = timed(read_text_vectors, path)
        report(
            {
                "seconds": seconds,
                "peak_growth": peak_rss_bytes() - baseline,
                "matrix_bytes": result.matrix.nbytes,
                "shape": list(result.matrix.shape),
            }
        )
        return
    from gensim.models import KeyedVectors

    from embedstudio.core.vectors.text_reader import read_text_vectors

    kv, seconds = timed(KeyedVectors.load_word2vec_format, path, no_header=no_header)
    ours = read_text_vectors(path)  # not timed: only to compare with gensim in the same process
    report(
        {
            "seconds": seconds,
            "words_equal": ours.words == kv.index_to_key,
            "floats_equal": bool(np.array_equal(ours.matrix, kv.vectors)),
            "shape": list(kv.vectors.shape),
        }
    )


def _has_header(path: str) -> bool:
    with open(path, "rb") as fh:
        fields = fh.readline().split()
    return len(fields) == 2 and all(f.isdigit() for f in fields)


def bench(name: str, rows: int | None) -> bool:
    path = ensure_file(name, rows=rows)
    total_rows, dim, kind = SPECS[name]
    print(f"\n== {kind}: {path.name} ({path.stat().st_size / 1e6:,.0f} MB) {machine_note()}")
    ours = run_worker(Path(__file__), "ours", str(path))
    print(f"ours:   {ours['seconds']:.2f} s for {ours['shape'][0]:,} × {ours['shape'][1]}", flush=True)
    ref = run_worker(Path(__file__), "gensim", str(path))
    speedup = ref["seconds"] / ours["seconds"]
    memory = ours["peak_growth"] / ours["matrix_bytes"]
    same = ref["words_equal"] and ref["floats_equal"]
    print(f"gensim: {ref['seconds']:.2f} s")
    print(f"speed-up {speedup:.1f}× (goal ≥{SPEED_GOAL:g}×)  {verdict(speedup >= SPEED_GOAL)}")
    print(
        f"peak RSS growth {mib(ours['peak_growth'])} = {memory:.2f}× the {mib(ours['matrix_bytes'])} float32 "
        f"matrix (goal ≤{MEMORY_GOAL:g}×)  {verdict(memory <= MEMORY_GOAL)}"
    )
    print(
        f"same words and order as gensim: {ref['words_equal']}; bit-identical floats: {ref['floats_equal']}  "
        f"{verdict(same)}"
    )
    return speedup >= SPEED_GOAL and memory <= MEMORY_GOAL and same


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", choices=[*FILES, "all"], default="glove")
    parser.add_argument("--rows", type=int, default=None, help="smaller file for a quick trial")
    parser.add_argument("--worker", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return 0
    names = list(FILES.values()) if args.file == "all" else [FILES[args.file]]
    ok = all([bench(name, args.rows) for name in names])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
