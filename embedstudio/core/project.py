"""The project file (``.esproj``): one JSON document that holds a whole workspace, so it can be saved,
reopened and handed to a colleague: the vector library, the run configuration (its ``data`` section is the
dataset source and every import option; ``embedding.vectors`` says which library files train) and the runs
folder.

Qt-free. ``save_project`` writes atomically; ``load_project`` checks the format and migrates older schema
versions (the embedded run configuration is migrated by ``core.config.migrate``), and every problem is one
``ProjectError`` naming the file and the key. Paths inside the project's folder are stored relative to it, so
a folder holding the project and its data can be moved or shared; other paths are absolute.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import GENSIM_DATA_PREFIX, PACKAGE_DATA_PREFIX, RunConfig, drop_none
from .errors import ConfigError, UserError

FORMAT = "embedstudio-project"
SCHEMA_VERSION = 1
SUFFIX = ".esproj"
KNOWN_KEYS = ("format", "schema_version", "saved_by", "vector_library", "config", "runs_dir")

# Each migration takes the dict of schema version N and returns version N+1 (none yet: version 1 is the first).
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


class ProjectError(UserError):
    """A project file that cannot be read or written; the message names the file (and the key)."""


@dataclass
class Project:
    """A workspace: the library's vector files, the run configuration and where runs are written."""

    config: RunConfig = field(default_factory=RunConfig)
    vector_library: list[str] = field(default_factory=list)
    runs_dir: str = ""

    def to_dict(self, base_dir: str | os.PathLike | None = None) -> dict[str, Any]:
        """The JSON document; with ``base_dir`` the paths inside that folder are written relative to it."""
        from embedstudio import __version__

        cfg = self.config.to_dict()
        rel: Callable[[str], str] = (lambda p: _relative(p, Path(base_dir))) if base_dir is not None else str
        data = cfg["data"]
        for key in ("path", "test_path", "validation_path"):
            data[key] = rel(data[key])
        for src in cfg["embedding"]["vectors"]:
            src["path"] = rel(src["path"])
        cfg["runs_dir"] = rel(cfg["runs_dir"])
        return {
            "format": FORMAT,
            "schema_version": SCHEMA_VERSION,
            "saved_by": f"EmbedStudio {__version__}",
            "vector_library": [rel(p) for p in self.vector_library],
            "config": drop_none(cfg),
            "runs_dir": rel(self.runs_dir),
        }


def _relative(path: str, base: Path) -> str:
    if not path or path.startswith((GENSIM_DATA_PREFIX, PACKAGE_DATA_PREFIX)):
        return path
    p = Path(os.path.expanduser(path))
    if not p.is_absolute():
        return path
    try:
        return Path(os.path.relpath(p, base)).as_posix() if base.resolve() in p.resolve().parents else str(p)
    except (OSError, ValueError):  # another drive on Windows
        return str(p)


def _absolute(path: str, base: Path) -> str:
    if not path or path.startswith((GENSIM_DATA_PREFIX, PACKAGE_DATA_PREFIX)):
        return path
    p = Path(os.path.expanduser(path))
    return str(p if p.is_absolute() else (base / p).resolve())


# ---- reading --------------------------------------------------------------------------------
def migrate(raw: dict[str, Any], where: str = "project") -> dict[str, Any]:
    """Bring a project document of any supported schema version to ``SCHEMA_VERSION`` (a copy)."""
    raw = copy.deepcopy(raw)
    version = raw.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ProjectError(
            f"{where}: 'schema_version' must be a whole number from 1 to {SCHEMA_VERSION}, not {version!r}."
        )
    if version > SCHEMA_VERSION:
        raise ProjectError(
            f"{where} was saved by a newer EmbedStudio (project schema version {version}; this one reads up to "
            f"{SCHEMA_VERSION}).",
            hint="Update EmbedStudio to open it.",
        )
    while version < SCHEMA_VERSION:
        raw = MIGRATIONS[version](raw)
        version += 1
    raw["schema_version"] = SCHEMA_VERSION
    return raw


def validate(raw: Any, where: str = "project", base_dir: str | os.PathLike | None = None) -> Project:
    """Check a project document (any supported version) and build the Project; relative paths are resolved
    against ``base_dir``. The run configuration is checked for known fields and types but not validated as a
    whole, because a workspace may be unfinished (no vector file chosen yet): Train validates it."""
    if not isinstance(raw, dict):
        raise ProjectError(f"{where} is not an EmbedStudio project (the top level is not a JSON object).")
    if raw.get("format") != FORMAT:
        hint = (
            "It looks like a run configuration: open it with File > Open Config…."
            if "data" in raw or "embedding" in raw
            else "Choose a file saved with File > Save Project."
        )
        raise ProjectError(f"{where} is not an EmbedStudio project ('format' is not \"{FORMAT}\").", hint=hint)
    raw = migrate(raw, where)
    unknown = sorted(set(raw) - set(KNOWN_KEYS))
    if unknown:
        raise ProjectError(f"{where}: unknown key '{unknown[0]}' (known: {', '.join(KNOWN_KEYS)}).")
    library = raw.get("vector_library", [])
    if not isinstance(library, list) or not all(isinstance(p, str) for p in library):
        raise ProjectError(f"{where}: 'vector_library' must be a list of file paths.")
    runs_dir = raw.get("runs_dir", "")
    if not isinstance(runs_dir, str):
        raise ProjectError(f"{where}: 'runs_dir' must be a folder path (text), not {runs_dir!r}.")
    cfg_raw = raw.get("config", {})
    if not isinstance(cfg_raw, dict):
        raise ProjectError(f"{where}: 'config' must be an object holding the run configuration.")
    try:
        cfg = RunConfig.from_dict(cfg_raw, base_dir=base_dir, validate=False)
    except ConfigError as exc:
        raise ProjectError(f"{where}: in 'config': {exc}") from None
    base = Path(base_dir) if base_dir is not None else None
    resolve: Callable[[str], str] = (lambda p: _absolute(p, base)) if base is not None else str
    library = list(dict.fromkeys(resolve(p) for p in library))
    for src in cfg.embedding.vectors:  # the vectors the configuration trains on are always in the library
        if src.path and src.path not in library:
            library.append(src.path)
    return Project(config=cfg, vector_library=library, runs_dir=resolve(runs_dir) or cfg.runs_dir)


def load_project(path: str | os.PathLike) -> Project:
    """Read a ``.esproj`` file; relative paths in it are relative to its folder."""
    from .fileio import check_readable_path

    path = Path(path)
    check_readable_path(path, ProjectError, what="project file")
    if path.is_dir():
        raise ProjectError(f"{path} is a folder, not a project file.", hint="Choose a .esproj file.")
    if not path.is_file():
        raise ProjectError(f"Project file not found: {path}")
    try:
        raw = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ProjectError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}).") from None
    except json.JSONDecodeError as exc:
        raise ProjectError(
            f"{path}, line {exc.lineno}, column {exc.colno}: invalid JSON ({exc.msg}).",
            hint="The file is damaged; open an earlier copy or save the project again.",
        ) from None
    except OSError as exc:
        raise ProjectError(f"Could not read {path}: {exc.strerror or exc}") from None
    return validate(raw, str(path), base_dir=path.parent)


def save_project(project: Project, path: str | os.PathLike) -> Path:
    """Write ``project`` atomically (a crash leaves the previous file intact); adds ``.esproj`` when the
    name has no suffix. Returns the path written."""
    from .fileio import atomic_write_json

    path = Path(path)
    if not path.suffix:
        path = path.with_suffix(SUFFIX)
    try:
        atomic_write_json(path, project.to_dict(base_dir=path.parent.resolve()))
    except OSError as exc:
        raise ProjectError(f"Could not save the project to {path}: {exc.strerror or exc}") from None
    return path
