"""The vector library table: one row per file in AppState.library, with load and cache state."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from embedstudio.core.config import data_path
from embedstudio.gui.state import AppState, display_name

COLUMNS = ("Use", "Name", "Format", "Dim", "Vocabulary", "File size", "State", "Cache")
TOOLTIPS = (
    "Tick to use these vectors for training (two ticked files: the 'multi' model concatenates them)",
    "The vector file (hover for its full path)",
    "Detected from the file's content, not its name",
    "Numbers per word",
    "Words in the file",
    "Size on disk",
    "Whether the file is loaded into memory; a failed file says why (hover it) and can be removed",
    "A binary copy that makes the next load fast; clear it with 'Clear cache'",
)


@dataclass
class RowStatus:
    """What the panel knows about a library file besides the loaded vectors."""

    state: str = "not loaded"  # not loaded | loading | loaded | failed | cancelled
    percent: int | None = None
    reason: str = ""  # why loading failed (the error message), shown in the State column
    format: str = ""
    cache_bytes: int = 0
    cache_words: int | None = None
    cache_dim: int | None = None


def human_size(n: int | None) -> str:
    if n is None:
        return "—"
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


class LibraryModel(QAbstractTableModel):
    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.status: dict[str, RowStatus] = {}
        self._sizes: dict[str, int | None] = {}

    def paths(self) -> list[str]:
        return list(self.state.library)

    def status_of(self, path: str) -> RowStatus:
        return self.status.setdefault(path, RowStatus())

    def refresh(self) -> None:
        self.beginResetModel()
        for path in self.state.library:
            if path not in self._sizes:
                try:
                    self._sizes[path] = os.path.getsize(data_path(path))
                except OSError:
                    self._sizes[path] = None
        self.endResetModel()

    def row_changed(self, path: str) -> None:
        if path in self.state.library:
            row = self.state.library.index(path)
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    # ---- Qt interface ------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.state.library)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return TOOLTIPS[section]
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return base | Qt.ItemFlag.ItemIsUserCheckable if index.column() == 0 else base

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.state.library):
            return None
        path = self.state.library[index.row()]
        col = index.column()
        if col == 0 and role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if self.state.is_selected(path) else Qt.CheckState.Unchecked
        failed = self.status_of(path).state == "failed" and path not in self.state.vectors
        if role == Qt.ItemDataRole.ToolTipRole:
            if failed and col in (1, 6):
                return f"{data_path(path)}\n\nFailed to load: {self.status_of(path).reason}"
            return str(data_path(path)) if col == 1 else TOOLTIPS[col]
        if role == Qt.ItemDataRole.ForegroundRole and failed:
            return QColor("#b03a2e")
        if role == Qt.ItemDataRole.UserRole:
            return path
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (3, 4, 5):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cell(path, col)
        return None

    def setData(
        self, index: QModelIndex | QPersistentModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole
    ) -> bool:
        if index.column() == 0 and role == Qt.ItemDataRole.CheckStateRole:
            path = self.state.library[index.row()]
            self.state.select_vectors(path, Qt.CheckState(value) == Qt.CheckState.Checked)
            self.dataChanged.emit(index, index)
            return True
        return False

    def _cell(self, path: str, col: int) -> str:
        st = self.status_of(path)
        wv = self.state.vectors.get(path)
        if col == 1:
            return display_name(path)
        if col == 2:
            return (wv.format if wv is not None else st.format) or "?"
        if col == 3:
            dim = wv.dim if wv is not None else st.cache_dim
            return "—" if dim is None else str(dim)
        if col == 4:
            n = len(wv) if wv is not None else st.cache_words
            return "—" if n is None else f"{n:,}"
        if col == 5:
            return human_size(self._sizes.get(path))
        if col == 6:
            if wv is not None:
                return "loaded (from cache)" if getattr(wv.info, "from_cache", False) else "loaded"
            if st.state == "loading":
                return "loading…" if st.percent is None else f"loading {st.percent}%"
            if st.state == "failed" and st.reason:
                first = st.reason.splitlines()[0].replace(str(data_path(path)), display_name(path))
                return f"failed: {first[:60]}…" if len(first) > 60 else f"failed: {first}"
            return st.state
        if col == 7:
            return f"cached, {human_size(st.cache_bytes)}" if st.cache_bytes else "—"
        return ""
