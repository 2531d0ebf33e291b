"""Shared helpers for the benchmark scripts: run a measurement in a fresh process, peak RSS, printing.

Each measurement runs in its own interpreter so that one reader's memory (or gensim's) never
inflates another's peak RSS, and so that "reopen" really means a new process opening the cache.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # lets a worker process import synthetic/common as plain modules
RESULT_PREFIX = "BENCH-RESULT "


def peak_rss_bytes() -> int:
    """Peak resident set size of this process so far."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # Linux reports KiB


def run_worker(script: Path, *args: str, env: dict | None = None) -> dict:
    """Run ``script --worker args...`` in a new interpreter and return the JSON it reports."""
    environment = dict(os.environ, **(env or {}))
    proc = subprocess.run(
        [sys.executable, str(script), "--worker", *args], capture_output=True, text=True, env=environment
    )
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX) :])
    raise RuntimeError(
        f"worker {script.name} {' '.join(args)} failed (exit {proc.returncode}):\n"
        f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )


def vm_hwm_bytes(pid: int | str = "self") -> int | None:
    """Peak RSS (VmHWM in /proc/PID/status) of a process, or None where /proc does not say (not Linux, gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return next((int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmHWM:")), None)


def peak_rss_hwm() -> int:
    """This process's peak RSS as VmHWM (ru_maxrss would carry over the parent's peak across exec on Linux),
    else ru_maxrss."""
    peak = vm_hwm_bytes()
    return peak if peak is not None else peak_rss_bytes()


READ_BLOCK = 1 << 20


def read_floor_seconds(path: str | Path) -> float:
    """The floor of any reader of ``path``: seconds to read its bytes, unbuffered, in 1 MiB blocks."""
    start = time.perf_counter()
    with open(path, "rb", buffering=0) as fh:
        while fh.read(READ_BLOCK):
            pass
    return time.perf_counter() - start


def report(result: dict) -> None:
    """Called inside a worker: hand ``result`` back to the parent process."""
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - start


def median_ms(fn, repeats: int) -> tuple[float, float]:
    """(median, max) wall time of ``fn()`` in milliseconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def machine_note() -> str:
    """Timings on a shared machine mean little without the load they ran under."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"[machine: {os.cpu_count()} cores, load average {load:.1f}]"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def mib(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:,.0f} MiB"


def load_now() -> str:
    """The 1-minute load average right now, printed beside every figure (the machine is shared)."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"load {load:.1f}/{os.cpu_count()} cores"


ROOT = HERE.parent
SHARED_DATA = Path(os.environ.get("EMBEDSTUDIO_SHARED_DATA", ROOT.parent / "shared" / "data"))


def shared_data(relative: str) -> Path | None:
    """``../shared/data/<relative>`` (or under $EMBEDSTUDIO_SHARED_DATA), or None with a printed reason."""
    path = SHARED_DATA / relative
    if not path.exists():
        print(f"SKIP: needs ../shared/data/{relative}, which is absent here ({path})", flush=True)
        return None
    return path


def ratio(anchor: float, ours: float) -> str:
    """How many times faster than the anchor (``anchor / ours`` for times)."""
    return f"{anchor / ours:.2f}×" if ours > 0 else "n/a"
