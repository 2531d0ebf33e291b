"""AppState: the one object every panel reads and edits (glue-style: panels stay thin).

Lives on the GUI thread only. Workers never touch it; their results are handed to it from
signal handlers (``returned``), so every signal here is emitted on the GUI thread.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from embedstudio.core.config import GENSIM_DATA_PREFIX, DataConfig, RunConfig, VectorSource

if TYPE_CHECKING:  # the real classes import numpy-heavy modules; only needed for annotations
    from embedstudio.core.datasets import Dataset
    from embedstudio.core.vectors import WordVectors


def _default_runs_dir() -> Path:
    from embedstudio.core.runs import default_runs_dir

    return Path(default_runs_dir())


def display_name(path: str | os.PathLike) -> str:
    text = str(path)
    if text.startswith(GENSIM_DATA_PREFIX):
        return f"{text[len(GENSIM_DATA_PREFIX):]} (demo)"
    return Path(text).name or text


def _key(path: str | os.PathLike) -> str:
    """Library entries are keyed by their path as given (gensim-test-data: names are not real paths)."""
    return str(path)


class AppState(QObject):
    """The edited RunConfig, the imported dataset, the vector library and the runs directory."""

    config_changed = Signal()          # any field of ``config`` was edited (or config replaced)
    dataset_changed = Signal(object)   # Dataset | None
    vectors_changed = Signal()         # library list or a load state changed
    run_finished = Signal(object)      # Path of a run directory that was written
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

    # ---- runs directory --------------------------------------------------------------
    @property
    def runs_dir(self) -> Path:
        if self._runs_dir is None:
            self._runs_dir = _default_runs_dir()
        return self._runs_dir

    @runs_dir.setter
    def runs_dir(self, path: str | os.PathLike) -> None:
        self.set_runs_dir(path)

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

    def set_config(self, cfg: RunConfig) -> None:
        """Replace the whole config (File > Open config); the vector paths join the library."""
        self.config = cfg
        for src in cfg.embedding.vectors:
            if _key(src.path) not in self.library:
                self.library.append(_key(src.path))
                self.vectors_changed.emit()
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
        same = all(getattr(data, f.name) == getattr(self.dataset_source, f.name)
                   for f in dataclasses.fields(DataConfig) if f.name not in split_only)
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
        """Use (or stop using) a library file for training; ``only`` replaces the current choice."""
        key = _key(path)
        vecs = self.config.embedding.vectors
        if selected:
            if only:
                self.config.embedding.vectors = [v for v in vecs if _key(v.path) == key] or [VectorSource(path=key)]
            elif not self.is_selected(key):
                vecs.append(VectorSource(path=key))
        else:
            self.config.embedding.vectors = [v for v in vecs if _key(v.path) != key]
        self.config_changed.emit()

    def selected_vectors(self) -> list[WordVectors | None]:
        """The loaded WordVectors for each of ``config.embedding.vectors`` (None where not loaded)."""
        return [self.vectors.get(_key(v.path)) for v in self.config.embedding.vectors]
