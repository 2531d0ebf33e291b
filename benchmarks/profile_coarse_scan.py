"""Where the coarse scan's time goes (issue 13): the int8 -> float32 conversion against the float32 sgemv,
per scan block size, on one thread, on generated codes of the benchmark's shape (no file needed).

    .venv/bin/python benchmarks/profile_coarse_scan.py                  # 400k × 100
    .venv/bin/python benchmarks/profile_coarse_scan.py --rows 400000 --dim 300

CPU time (process_time) per full scan of every row, beside the load average: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy loads OpenBLAS
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from common import machine_note  # noqa: E402


def _cpu_ms(scan, repeats: int) -> float:
    scan()
    start = time.process_time()
    for _ in range(repeats):
        scan()
    return (time.process_time() - start) * 1000 / repeats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=400_000)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args(argv)
    n, d = args.rows, args.dim
    rng = np.random.default_rng(0)
    codes = rng.integers(-127, 128, (n, d)).astype(np.int8)
    vector = rng.standard_normal(d).astype(np.float32)
    out = np.empty(n, dtype=np.float32)
    print(f"== coarse scan of {n:,} × {d} int8 codes, one thread {machine_note()}")
    for kib in (128, 256, 512, 1024, 2048, 4096):
        rows = max(64, kib * 1024 // (4 * d))
        buffer = np.empty((rows, d), dtype=np.float32)

        def convert(rows: int = rows, buffer: np.ndarray = buffer) -> None:
            for s in range(0, n, rows):
                np.copyto(buffer[: min(rows, n - s)], codes[s : s + rows], casting="unsafe")

        def multiply(rows: int = rows, buffer: np.ndarray = buffer) -> None:
            for s in range(0, n, rows):
                e = min(s + rows, n)
                np.matmul(buffer[: e - s], vector, out=out[s:e])

        def both(rows: int = rows, buffer: np.ndarray = buffer) -> None:
            for s in range(0, n, rows):
                e = min(s + rows, n)
                block = buffer[: e - s]
                np.copyto(block, codes[s:e], casting="unsafe")
                np.matmul(block, vector, out=out[s:e])

        print(
            f"block {kib:>5} KiB: convert {_cpu_ms(convert, args.repeats):5.2f} ms CPU, sgemv "
            f"{_cpu_ms(multiply, args.repeats):5.2f} ms, both {_cpu_ms(both, args.repeats):5.2f} ms"
        )
    matrix = rng.standard_normal((n, d)).astype(np.float32)
    exact = _cpu_ms(lambda: np.matmul(matrix, vector, out=out), args.repeats)
    print(f"the float32 sgemv over the whole matrix (the exact path's scan): {exact:.2f} ms CPU {machine_note()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
