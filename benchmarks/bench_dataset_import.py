"""Issue 13, item 2: dataset import speed against scikit-learn's route on the same data, in one run.

    .venv/bin/python benchmarks/bench_dataset_import.py                  # both comparisons
    .venv/bin/python benchmarks/bench_dataset_import.py --only 20ng       # needs ../shared/data
    .venv/bin/python benchmarks/bench_dataset_import.py --only folders --files 10000

1. The 20 Newsgroups archive (../shared/data/datasets/20news-bydate.tar.gz, 18,846 messages): ours is
   ``load_dataset(DataConfig(path=archive))`` with its defaults (it sees mail and strips headers, signature
   footers and quoted replies; drops empty and duplicate rows). The anchor reads the same archive with
   ``tarfile``, decodes latin-1 as scikit-learn's fetch_20newsgroups does, and applies scikit-learn's own
   ``strip_newsgroup_header``, ``strip_newsgroup_footer`` and ``strip_newsgroup_quoting`` to every message.
2. A generated folder dataset (one sub-folder per class, one UTF-8 file per document; 50,000 files by
   default, made once under $EMBEDSTUDIO_BENCH_DIR): ours is ``load_dataset(DataConfig(path=folder))``, the
   anchor ``sklearn.datasets.load_files(folder, encoding="utf-8")``.
Every measurement runs in a new process (peak RSS is that process's; ours also prints the peak of each
cleaning worker process, core/datasets/parallel.py, which ru_maxrss does not count), alternating ours and
the anchor, with the OS file cache warm for both. The machine is shared: the load average is printed beside
every figure; figures taken under load are indicative, the ratio is from the same run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from common import (
    load_now,
    machine_note,
    peak_rss_bytes,
    ratio,
    report,
    run_worker,
    shared_data,
    timed,
    vm_hwm_bytes,
)
from synthetic import BENCH_DIR, synthetic_words

ARCHIVE = "datasets/20news-bydate.tar.gz"
CLASSES = 10


def worker(mode: str, path: str) -> None:
    base = peak_rss_bytes()
    if mode == "ours":
        from embedstudio.core.config import DataConfig
        from embedstudio.core.datasets import load_dataset

        start = time.perf_counter()
        ds = load_dataset(DataConfig(path=path))
        seconds = time.perf_counter() - start
        rows = len(ds.train.texts) + (len(ds.test.texts) if ds.test is not None else 0)
        chars = sum(map(len, ds.train.texts)) + (sum(map(len, ds.test.texts)) if ds.test is not None else 0)
        report(
            {
                "seconds": seconds,
                "rows": rows,
                "chars": chars,
                "peak": peak_rss_bytes(),
                "growth": peak_rss_bytes() - base,
                "stripped": [ds.report.stripped_headers, ds.report.stripped_footers, ds.report.stripped_quotes],
                "worker_peaks": _pool_peaks(),
            }
        )
    elif mode == "sklearn-20ng":
        import tarfile

        from sklearn.datasets._twenty_newsgroups import (
            strip_newsgroup_footer,
            strip_newsgroup_header,
            strip_newsgroup_quoting,
        )

        def read() -> list[str]:
            texts = []
            with tarfile.open(path, "r:gz") as tar:
                for member in tar:
                    if member.isfile():
                        text = tar.extractfile(member).read().decode("latin-1")
                        texts.append(strip_newsgroup_quoting(strip_newsgroup_footer(strip_newsgroup_header(text))))
            return texts

        texts, seconds = timed(read)
        report(
            {
                "seconds": seconds,
                "rows": len(texts),
                "chars": sum(map(len, texts)),
                "peak": peak_rss_bytes(),
                "growth": peak_rss_bytes() - base,
            }
        )
    elif mode == "sklearn-folders":
        from sklearn.datasets import load_files

        bunch, seconds = timed(load_files, path, encoding="utf-8", decode_error="replace")
        report(
            {
                "seconds": seconds,
                "rows": len(bunch.data),
                "chars": sum(map(len, bunch.data)),
                "peak": peak_rss_bytes(),
                "growth": peak_rss_bytes() - base,
            }
        )
    else:
        raise SystemExit(f"unknown mode {mode}")


def _pool_peaks() -> list[int]:
    """Peak RSS (VmHWM) of the cleaning worker processes, which this process's ru_maxrss does not count."""
    from embedstudio.core.datasets import parallel

    peaks = (vm_hwm_bytes(pid) for pid in list(getattr(parallel._pool, "_processes", None) or {}))
    return [peak for peak in peaks if peak is not None]


def make_folders(files: int) -> Path:
    """``files`` documents in CLASSES class folders, 30-300 words each, written once."""
    import numpy as np

    root = BENCH_DIR / f"folders-{files}"
    done = root / ".complete"
    if done.exists():
        return root
    print(f"generating {root} ({files:,} files) once ...", flush=True)
    rng = np.random.default_rng(7)
    vocab = np.array(synthetic_words(20_000, seed=5), dtype=object)
    zipf = 1.0 / np.arange(1, len(vocab) + 1)
    zipf /= zipf.sum()
    for c in range(CLASSES):
        (root / f"class{c:02d}").mkdir(parents=True, exist_ok=True)
    for i in range(files):
        words = vocab[rng.choice(len(vocab), size=int(rng.integers(30, 300)), p=zipf)]
        (root / f"class{i % CLASSES:02d}" / f"{i:06d}.txt").write_text(" ".join(words) + "\n", encoding="utf-8")
    done.write_text("ok\n")
    return root


def compare(label: str, path: Path, anchor_mode: str, anchor_label: str, runs: int) -> dict:
    script = Path(__file__)
    print(f"\n== {label} {machine_note()}", flush=True)
    ours, anchor, loads = [], [], []
    run_worker(script, anchor_mode, str(path))  # warm the OS file cache for both
    for _ in range(runs):
        ours.append(run_worker(script, "ours", str(path)))
        anchor.append(run_worker(script, anchor_mode, str(path)))
        loads.append(load_now())
    o = statistics.median(r["seconds"] for r in ours)
    a = statistics.median(r["seconds"] for r in anchor)
    out = {
        "label": label,
        "ours": o,
        "anchor": a,
        "anchor_label": anchor_label,
        "rows": ours[0]["rows"],
        "anchor_rows": anchor[0]["rows"],
        "peak": max(r["peak"] for r in ours),
        "anchor_peak": max(r["peak"] for r in anchor),
        "runs": runs,
        "load": loads[-1],
        "chars": ours[0]["chars"],
        "anchor_chars": anchor[0]["chars"],
        "worker_peaks": max((r.get("worker_peaks") or [] for r in ours), key=sum),
    }
    print(
        f"ours: {o:.2f} s for {out['rows']:,} documents ({out['chars'] / 1e6:.1f} M characters kept), peak RSS "
        f"{out['peak'] / 2**20:,.0f} MiB  [{', '.join(loads)}]"
    )
    print(
        f"{anchor_label}: {a:.2f} s for {out['anchor_rows']:,} documents ({out['anchor_chars'] / 1e6:.1f} M "
        f"characters), peak RSS {out['anchor_peak'] / 2**20:,.0f} MiB"
    )
    if out["worker_peaks"]:
        print(
            f"ours also ran {len(out['worker_peaks'])} cleaning worker processes, peak RSS "
            + " + ".join(f"{p / 2**20:,.0f}" for p in out["worker_peaks"])
            + " MiB"
        )
    print(f"ratio (anchor / ours, >1 means ours is faster): {ratio(a, o)} (median of {runs} each)", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["20ng", "folders", "all"], default="all")
    parser.add_argument("--files", type=int, default=50_000, help="documents in the generated folder dataset")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--worker", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return 0
    results = []
    if args.only in ("20ng", "all"):
        archive = shared_data(ARCHIVE)
        if archive is not None:
            results.append(
                compare(
                    "20 Newsgroups archive, headers/footers/quotes stripped",
                    archive,
                    "sklearn-20ng",
                    "tarfile + sklearn strip_newsgroup_*",
                    args.runs,
                )
            )
    if args.only in ("folders", "all"):
        folder = make_folders(args.files)
        results.append(
            compare(
                f"folder dataset, {args.files:,} files in {CLASSES} classes",
                folder,
                "sklearn-folders",
                "sklearn.datasets.load_files",
                args.runs,
            )
        )
    print("\n| what | ours | anchor | ratio | peak RSS ours / anchor | documents ours / anchor | runs | load |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['label']} | {r['ours']:.2f} s | {r['anchor']:.2f} s ({r['anchor_label']}) | "
            f"{ratio(r['anchor'], r['ours'])} | {r['peak'] / 2**20:,.0f} / {r['anchor_peak'] / 2**20:,.0f} MiB | "
            f"{r['rows']:,} / {r['anchor_rows']:,} | {r['runs']} | {r['load']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
