"""Builders shared by the robustness tests: hostile pickles, tiny vector files, CLI runs in a subprocess."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


class _Payload:
    """Unpickling this creates ``marker``: proof that loading ran code the file carried."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def hostile_pickle(marker: Path) -> bytes:
    """A protocol-4 pickle that names gensim in its first bytes (so it is detected as a gensim model)
    and runs ``os.mkdir(marker)`` when loaded."""
    return pickle.dumps(
        {"__class__": "gensim.models.keyedvectors.KeyedVectors", "payload": _Payload(marker)}, protocol=4
    )


def glove_bytes(words=("the", "cat", "sat", "mat"), dim: int = 4, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    lines = [w + " " + " ".join(f"{v:.5f}" for v in rng.standard_normal(dim)) for w in words]
    return ("\n".join(lines) + "\n").encode()


def word2vec_binary_bytes(words, matrix: np.ndarray, *, newline: bool = True) -> bytes:
    out = [f"{len(words)} {matrix.shape[1]}\n".encode()]
    for word, row in zip(words, matrix, strict=False):
        out.append(word.encode() + b" " + np.asarray(row, dtype="<f4").tobytes() + (b"\n" if newline else b""))
    return b"".join(out)


def cli_env(tmp_home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(ROOT),
        QT_QPA_PLATFORM="offscreen",
        TF_CPP_MIN_LOG_LEVEL="3",
        PYTHONHASHSEED="0",
        XDG_CONFIG_HOME=str(tmp_home / "config"),
        XDG_CACHE_HOME=str(tmp_home / "cache"),
        XDG_DATA_HOME=str(tmp_home / "data"),
        EMBEDSTUDIO_HOME=str(tmp_home / "embedstudio"),
    )
    return env


def run_cli(
    args, tmp_home: Path, *, timeout: float = 120, python: str = sys.executable, root: Path = ROOT
) -> subprocess.CompletedProcess:
    env = cli_env(tmp_home)
    env["PYTHONPATH"] = str(root)
    return subprocess.run(
        [python, "-m", "embedstudio", *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
