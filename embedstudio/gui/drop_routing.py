"""Decide which area a dropped (or command-line) path belongs to: vectors, dataset or config.

Cheap on purpose (it runs on the GUI thread): suffixes first, then the core detectors, which read
only the first few KB of a file (an archive's member list at most).
"""

from __future__ import annotations

import json
from pathlib import Path

from embedstudio.core.errors import UserError

TAR_SUFFIXES = (".tar", ".tgz", ".tar.gz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
CONFIG_KEYS = {"schema_version", "data", "embedding", "model", "training", "text"}
_CONFIG_SNIFF_BYTES = 64 * 1024


def looks_like_config(path: Path) -> bool:
    suffix = path.suffix.lower()
    if suffix == ".toml":
        return True
    if suffix != ".json":
        return False
    try:
        with open(path, "rb") as fh:
            raw = json.loads(fh.read(_CONFIG_SNIFF_BYTES))
    except (OSError, ValueError):
        return False
    return isinstance(raw, dict) and bool(CONFIG_KEYS & set(raw))


def classify_path(path: Path) -> str:
    """'vectors' | 'dataset' | 'config' | 'unknown'."""
    from embedstudio.core.datasets import detect_dataset_format
    from embedstudio.core.datasets.detect import TABLE_SUFFIXES
    from embedstudio.core.vectors import detect_format

    if not path.exists():
        return "unknown"
    if path.is_dir():
        return "dataset"
    if looks_like_config(path):
        return "config"
    name = path.name.lower()
    if path.suffix.lower() in TABLE_SUFFIXES or name.endswith(TAR_SUFFIXES):
        return "dataset"  # a tar archive is never a vector file, and scanning its members is slow
    # Vectors first: a dataset sniffer accepts almost any text, the vector sniffer is strict (and an
    # archive of many files is rejected by it quickly, then recognised as a dataset).
    try:
        detect_format(path)
        return "vectors"
    except (UserError, OSError, ValueError):
        pass
    if name.endswith(".zip"):
        return "dataset"  # not a single vector file inside; the Dataset area reads its layout in a worker
    try:
        detect_dataset_format(path)
        return "dataset"
    except (UserError, OSError, ValueError):
        return "unknown"


def route_paths(paths: list[Path]) -> dict[str, list[Path]]:
    routed: dict[str, list[Path]] = {"vectors": [], "dataset": [], "config": [], "unknown": []}
    for p in paths:
        routed[classify_path(Path(p))].append(Path(p))
    return routed
