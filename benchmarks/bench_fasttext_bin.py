"""Issue 13, item 1: reading a fastText ``.bin`` model, three ways, in one run (each in a new process).

    .venv/bin/python benchmarks/bench_fasttext_bin.py
    .venv/bin/python benchmarks/bench_fasttext_bin.py --file cc.en.300.bin   # a real model, if you have one

- ``fasttext.load_model`` (fasttext-wheel's C++ loader) alone: the floor of what a loader that keeps the
  subwords must pay;
- ours, ``load_vectors``: that loader, plus every word's vector built by fastText (row + n-grams, averaged);
- gensim's ``load_facebook_vectors``, the anchor (and the tests' reference path).
Without ``--file`` the model is trained once with fasttext-wheel on a generated corpus (40k words, dim 100,
1M n-gram buckets: a 430 MB .bin, like a small real model) and kept under $EMBEDSTUDIO_BENCH_DIR.
Peak RSS is VmHWM above the interpreter.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from common import load_now, peak_rss_hwm, report, run_worker
from synthetic import BENCH_DIR

MODEL = BENCH_DIR / "fasttext-40k-100d-1Mbuckets.bin"


def worker(mode: str, path: str) -> None:
    import numpy as np  # noqa: F401

    if mode == "fasttext":
        import fasttext
    elif mode == "gensim":
        from gensim.models.fasttext import load_facebook_vectors
    else:
        from embedstudio.core.vectors import load_vectors
    base = peak_rss_hwm()
    start = time.perf_counter()
    if mode == "fasttext":
        model = fasttext.load_model(path)
        words, oov = len(model.words), model.get_word_vector("qqzzyxw")
    elif mode == "gensim":
        kv = load_facebook_vectors(path)
        words, oov = len(kv.index_to_key), kv.get_vector("qqzzyxw")
    else:
        vectors = load_vectors(path)
        words, oov = len(vectors), vectors.vector("qqzzyxw")
    report({"seconds": time.perf_counter() - start, "growth": peak_rss_hwm() - base, "words": words, "oov": len(oov)})


def make_model(path: Path) -> None:
    import fasttext
    import numpy as np
    from gensim.test.utils import datapath

    rng = np.random.default_rng(0)
    real = Path(datapath("lee_background.cor")).read_text(encoding="utf-8").split()
    syllables = ["ka", "to", "ri", "mu", "sen", "pla", "dor", "vi", "que", "nal", "ber", "lo", "xi", "tan", "gro"]
    made = list(dict.fromkeys("".join(rng.choice(syllables, rng.integers(2, 5))) + str(i % 7) for i in range(60000)))
    corpus = path.with_suffix(".corpus.txt")
    with open(corpus, "w", encoding="utf-8") as fh:
        for _ in range(3000):
            fh.write(" ".join(list(rng.choice(real, 60)) + list(rng.choice(made, 60))) + "\n")
    model = fasttext.train_unsupervised(
        str(corpus), model="skipgram", dim=100, minCount=1, epoch=1, bucket=1_000_000, thread=2, verbose=0
    )
    model.save_model(str(path))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--worker", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return 0
    path = args.file or MODEL
    if not path.exists():
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        print(f"training {path} once ...", flush=True)
        make_model(path)
    rows = {}
    for mode in ("fasttext", "ours", "gensim"):
        results = [run_worker(Path(__file__), mode, str(path)) for _ in range(args.runs)]
        rows[mode] = {
            "seconds": statistics.median(r["seconds"] for r in results),
            "growth": max(r["growth"] for r in results),
            "words": results[0]["words"],
            "load": load_now(),
        }
        print(f"{mode}: {rows[mode]}", flush=True)
    gensim = rows["gensim"]["seconds"]
    print(f"\n{path.name} ({path.stat().st_size / 2**20:,.0f} MiB, {rows['ours']['words']:,} words), {args.runs} runs")
    print("| reader | time | vs gensim | peak RSS above the interpreter | load |")
    print("|---|---|---|---|---|")
    for mode, label in (
        ("fasttext", "fasttext.load_model alone (the floor)"),
        ("ours", "ours: load_vectors (fastText's loader + every word's vector)"),
        ("gensim", "gensim load_facebook_vectors (the anchor)"),
    ):
        r = rows[mode]
        print(
            f"| {label} | {r['seconds']:.2f} s | {gensim / r['seconds']:.1f}× | {r['growth'] / 2**20:,.0f} MiB | "
            f"{r['load']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
