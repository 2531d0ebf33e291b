"""User preferences: a versioned JSON file (window geometry alone lives in QSettings).

JSON rather than pickled QSettings values so a Qt upgrade can never make old preferences unreadable,
and a schema_version with small migrations so new fields never break an old file. Qt-free on purpose.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from embedstudio.core.fileio import atomic_write_json

SCHEMA_VERSION = 2
MAX_RECENT = 10
RECENT_KINDS = ("project", "vectors", "dataset", "config")


@dataclass
class Preferences:
    schema_version: int = SCHEMA_VERSION
    recent: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in RECENT_KINDS})
    library: list[str] = field(default_factory=list)  # vector files shown in the Vectors area
    last_dataset: str = ""
    runs_dir: str = ""
    last_config: str = ""
    last_project: str = ""  # the .esproj open at the last exit (reopened on start)
    last_area: str = "Start"
    demo_offered: bool = False  # the demo workspace opens on first start only
    last_dirs: dict[str, str] = field(default_factory=dict)  # the folder last used per kind of file (dialogs)

    def add_recent(self, kind: str, path: str | os.PathLike) -> None:
        items = [p for p in self.recent.setdefault(kind, []) if p != str(path)]
        self.recent[kind] = [str(path), *items][:MAX_RECENT]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def preferences_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("embedstudio")) / "preferences.json"


def workspace_path() -> Path:
    """The last session's run configuration, saved on close so unsaved settings are never lost."""
    return preferences_path().with_name("workspace.json")


def recovery_path() -> Path:
    """The whole workspace, autosaved while the app runs and deleted on a clean exit: found at start-up, it
    means the last session crashed (core/project.py's format)."""
    return preferences_path().with_name("recovery.esproj")


# ---- migrations: each takes the dict of version N and returns version N+1 -----------------
def _migrate_1_to_2(raw: dict[str, Any]) -> dict[str, Any]:
    # Version 1 kept a single mixed "recent_files" list; version 2 groups recent files by kind.
    mixed = raw.pop("recent_files", []) or []
    recent: dict[str, list[str]] = {k: [] for k in RECENT_KINDS}
    for p in mixed:
        kind = "config" if str(p).endswith((".toml", ".json")) else "dataset" if os.path.isdir(p) else "vectors"
        recent[kind].append(str(p))
    raw["recent"] = recent
    return raw


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _migrate_1_to_2}


class PreferencesError(ValueError):
    """The file exists but cannot be understood."""


def _from_dict(raw: Any) -> Preferences:
    if not isinstance(raw, dict):
        raise PreferencesError("the top level is not an object")
    version = raw.get("schema_version", 1)
    if not isinstance(version, int) or version < 1:
        raise PreferencesError(f"schema_version {version!r} is not a positive integer")
    if version > SCHEMA_VERSION:
        raise PreferencesError(f"schema_version {version} is newer than this EmbedStudio ({SCHEMA_VERSION})")
    while version < SCHEMA_VERSION:
        raw = MIGRATIONS[version](raw)
        version += 1
    raw["schema_version"] = SCHEMA_VERSION
    prefs = Preferences()
    for f in fields(Preferences):
        if f.name in raw:
            value = raw[f.name]
            default = getattr(prefs, f.name)
            if not isinstance(value, type(default)):
                raise PreferencesError(f"'{f.name}' should be {type(default).__name__}, not {type(value).__name__}")
            setattr(prefs, f.name, value)
    for kind in RECENT_KINDS:
        prefs.recent.setdefault(kind, [])
    return prefs


def load_preferences(path: Path | None = None) -> tuple[Preferences, str | None]:
    """Read preferences; returns ``(prefs, warning)``.

    A missing file gives defaults silently. A corrupt one gives defaults plus a warning for the
    status bar, and is renamed to ``<name>.bad`` so the user can still look at it.
    """
    path = path or preferences_path()
    if not path.exists():
        return Preferences(), None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return _from_dict(raw), None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, PreferencesError) as exc:
        bad = path.with_name(path.name + ".bad")
        try:
            os.replace(path, bad)
            kept = f"kept as {bad.name}"
        except OSError:
            kept = "could not be renamed"
        return Preferences(), f"Preferences file {path} was unreadable ({exc}); using defaults (the old file {kept})."


def save_preferences(prefs: Preferences, path: Path | None = None) -> None:
    atomic_write_json(path or preferences_path(), prefs.to_dict())
