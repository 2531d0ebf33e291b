"""Bit-identical floats on millions of values: our reader against gensim's conversion.

    .venv/bin/python benchmarks/check_rounding.py             # about 7 million numbers, ~1 minute
    .venv/bin/python benchmarks/check_rounding.py --scale 0.1 # a quick run

gensim turns each field into ``np.float32(text)``: the text is parsed to the nearest float64, and
that is rounded to float32. Rounding a decimal straight to float32 differs from this in rare
"double rounding" cases, so the reader must take the same two steps. This script writes numbers of
every shape vector files use (5, 6 and 8 decimals as GloVe/word2vec/fastText print them, two
integer digits, full repr precision as gensim saves them, exponents) plus crafted cases lying just
past a float32 midpoint, reads them with ``read_text_vectors`` and compares every bit with
``float(text)`` rounded to float32, and a slice of them with gensim's own ``np.float32(text)``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import numpy as np

DIM = 100


def number_texts(scale: float, rng: np.random.Generator) -> list[str]:
    count = lambda n: max(1000, int(n * scale))  # noqa: E731
    texts: list[str] = []
    for decimals, n in ((5, 3_000_000), (6, 1_000_000), (8, 1_000_000), (4, 500_000)):
        values = rng.standard_normal(count(n)) * rng.choice([0.05, 0.5, 3.0], size=count(n))
        texts += [f"{v:.{decimals}f}" for v in values]
    texts += [f"{v:.5f}" for v in rng.uniform(-99, 99, count(300_000))]  # two integer digits
    texts += [repr(float(v)) for v in rng.standard_normal(count(1_000_000))]  # full precision
    texts += [repr(float(np.float32(v))) for v in rng.standard_normal(count(500_000))]
    texts += [f"{v:.6e}" for v in rng.standard_normal(count(200_000)) * 1e-4]  # exponents
    traps, uppers = midpoint_texts(count(100_000), rng)
    double_rounded = np.array([float(t) for t in traps]).astype(np.float32)
    differ = int(np.count_nonzero(double_rounded != uppers))
    print(f"{len(traps):,} crafted midpoint cases, of which {differ:,} round differently straight to float32")
    texts += traps
    order = rng.permutation(len(texts))
    return [texts[i] for i in order]


def midpoint_texts(n: int, rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
    """Decimals a hair past the midpoint of two neighbouring float32 values (double-rounding traps).

    Rounded straight to float32 each gives the outer neighbour (returned too); through float64 it
    becomes the midpoint, which rounds to the even neighbour: half the time the other one.
    """
    texts, uppers = [], []
    for value in rng.uniform(-4, 4, n).astype(np.float32):
        upper = np.nextafter(value, np.float32(np.inf) if value > 0 else np.float32(-np.inf))
        midpoint = (Decimal(float(value)) + Decimal(float(upper))) / 2
        texts.append(format(midpoint + (Decimal(float(upper)) - midpoint) * Decimal("1e-12"), ".30g"))
        uppers.append(upper)
    return texts, np.array(uppers, dtype=np.float32)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args(argv)
    from embedstudio.core.vectors.text_reader import read_text_vectors

    rng = np.random.default_rng(2026)
    texts = number_texts(args.scale, rng)
    rows = len(texts) // DIM
    texts = texts[: rows * DIM]
    with tempfile.TemporaryDirectory(prefix="embedstudio-rounding-") as folder:
        path = Path(folder) / "numbers.txt"
        with open(path, "w", encoding="ascii") as fh:
            for r in range(rows):
                fh.write(f"r{r} {' '.join(texts[r * DIM : (r + 1) * DIM])}\n")
        start = time.perf_counter()
        ours = read_text_vectors(path).matrix.ravel()
        seconds = time.perf_counter() - start
    reference = np.array([float(t) for t in texts]).astype(np.float32)
    mismatches = int(np.count_nonzero(ours.view(np.uint32) != reference.view(np.uint32)))
    sample = rng.choice(len(texts), size=min(len(texts), 300_000), replace=False)
    gensim_way = np.array([np.float32(texts[i]).item() for i in sample], dtype=np.float32)  # as gensim converts
    gensim_mismatches = int(np.count_nonzero(ours[sample].view(np.uint32) != gensim_way.view(np.uint32)))
    print(f"{len(texts):,} numbers read in {seconds:.1f} s")
    print(f"bitwise mismatches vs float(text) -> float32: {mismatches}")
    print(f"bitwise mismatches vs gensim's np.float32(text) on {len(sample):,} of them: {gensim_mismatches}")
    ok = mismatches == 0 and gensim_mismatches == 0
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
