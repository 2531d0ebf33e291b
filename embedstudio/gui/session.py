"""The session around the settings: the autosaved workspace read back as it was, and a lock file that
tells a second window on the same profile (or a start after a crash) apart from a normal start.

Qt-free; the main window calls it on the GUI thread.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from embedstudio.core.config import RunConfig
from embedstudio.core.errors import UserError
from embedstudio.gui.preferences import workspace_path


def load_session(path: Path) -> RunConfig:
    """The autosaved settings as they were, unfinished ones too (no vector file chosen yet): checked for
    known fields and types like any config, but not validated, since the form shows what is still wrong."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: {exc}") from None
    if not isinstance(raw, dict):
        raise UserError(f"{path}: not a run configuration")
    return RunConfig.from_dict(raw, validate=False)


def session_lock_path() -> Path:
    return workspace_path().with_name("session.lock")


def take_session_lock(enabled: bool = True) -> str:
    """'' normally; 'other' when another running EmbedStudio holds this profile; 'crashed' when the last
    session did not close (its autosaved settings were restored)."""
    if not enabled:
        return ""
    path = session_lock_path()
    state = ""
    try:
        pid = int(path.read_text(encoding="utf-8").strip() or 0)
    except (OSError, ValueError):
        pid = 0
    if pid and pid != os.getpid():
        try:
            os.kill(pid, 0)
            state = "other"
        except ProcessLookupError:
            state = "crashed"
        except PermissionError:
            state = "other"
    if state != "other":
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"{os.getpid()}\n", encoding="utf-8")
        except OSError:
            pass
    return state


def release_session_lock(enabled: bool = True) -> None:
    if not enabled:
        return
    path = session_lock_path()
    try:
        if path.read_text(encoding="utf-8").strip() == str(os.getpid()):
            path.unlink()
    except (OSError, ValueError):
        pass
