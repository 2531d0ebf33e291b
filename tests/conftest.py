"""Shared fixtures. Keeps every test away from the user's real config, cache and runs."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (ROOT / ".." / "shared" / "data").resolve()


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    """Point platformdirs' config/cache/data directories at a temporary home."""
    home = tmp_path_factory.mktemp("home")
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_CACHE_HOME", "cache"), ("XDG_DATA_HOME", "data")):
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.setenv("EMBEDSTUDIO_HOME", str(home / "embedstudio"))
    yield
    cache = sys.modules.get("embedstudio.core.vectors.cache")
    if cache is not None:  # a vector cache written on a thread finishes inside the test that started it
        cache.wait_for_cache_writes(timeout=120)


def shared_data(relative: str) -> Path:
    """Path of a file under ../shared/data, or skip the test with a clear reason."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"needs ../shared/data/{relative}, which is absent in this checkout")
    return path


@pytest.fixture
def gensim_data():
    from gensim.test.utils import datapath

    return lambda name: Path(datapath(name))
