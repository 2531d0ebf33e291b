"""Where the shipped resources live: the source tree, an installed copy, or a PyInstaller bundle."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    candidates = []
    if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"):
        candidates.append(Path(sys._MEIPASS) / "resources")
    candidates.append(Path(__file__).resolve().parent.parent / "resources")
    candidates.append(Path(sys.prefix) / "share" / "embedstudio" / "resources")
    for c in candidates:
        if c.is_dir():
            return c
    raise FileNotFoundError("EmbedStudio's resources folder is missing; reinstall the application.")


def demo_config_path() -> Path:
    return resources_dir() / "demo" / "demo.toml"


def resource(relative: str) -> Path:
    return resources_dir() / relative
