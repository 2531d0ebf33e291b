"""A column-oriented, sortable, read-only table model for large tables (100k+ rows stay instant).

Rows are never copied into widgets: the view asks for the visible cells only, and sorting keeps
a permutation of row indices instead of reordering the data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

DISPLAY_CHARS = 300  # a cell shows one line of this many characters
TOOLTIP_CHARS = 2000
SORT_KEY_CHARS = 200  # long documents are sorted by their beginning


def _one_line(value: Any, limit: int) -> str:
    text = value if isinstance(value, str) else _format(value)
    text = " ".join(text[: limit * 2].split()) if ("\n" in text[: limit * 2] or "\t" in text[: limit * 2]) else text
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (np.floating,)):
        return f"{float(value):.4g}"
    return "" if value is None else str(value)


class ColumnTableModel(QAbstractTableModel):
    """``set_data(headers, columns)`` where each column is a sequence of equal length."""

    def __init__(
        self,
        headers: Sequence[str] = (),
        columns: Sequence[Sequence[Any]] = (),
        parent=None,
        *,
        tooltips: Sequence[str] | None = None,
        cell_style: Callable[[int, int], dict[int, Any] | None] | None = None,
    ) -> None:
        super().__init__(parent)
        self._headers: list[str] = []
        self._columns: list[Sequence[Any]] = []
        self._order: np.ndarray = np.arange(0)
        self._tooltips = list(tooltips) if tooltips else []
        self._cell_style = cell_style
        self.set_data(headers, columns, tooltips=tooltips)

    def set_data(
        self, headers: Sequence[str], columns: Sequence[Sequence[Any]], tooltips: Sequence[str] | None = None
    ) -> None:
        lengths = {len(c) for c in columns}
        if len(lengths) > 1:
            raise ValueError(f"columns have different lengths: {sorted(lengths)}")
        self.beginResetModel()
        self._headers = list(headers)
        self._columns = list(columns)
        self._tooltips = list(tooltips) if tooltips else []
        self._order = np.arange(lengths.pop() if lengths else 0)
        self.endResetModel()

    def source_row(self, row: int) -> int:
        """The index into the original columns of the row shown at ``row``."""
        return int(self._order[row])

    def value(self, row: int, column: int) -> Any:
        return self._columns[column][self.source_row(row)]

    # ---- Qt model interface ----------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._order)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._headers)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        value = self.value(index.row(), index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return _one_line(value, DISPLAY_CHARS)
        if role == Qt.ItemDataRole.ToolTipRole:
            text = _format(value)
            return text[:TOOLTIP_CHARS] if len(text) > 60 else None
        if (
            role == Qt.ItemDataRole.TextAlignmentRole
            and isinstance(value, (int, float, np.number))
            and not isinstance(value, bool)
        ):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return value
        if self._cell_style is not None:
            style = self._cell_style(self.source_row(index.row()), index.column())
            if style and role in style:
                return style[role]
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole and section < len(self._headers):
                return self._headers[section]
            if role == Qt.ItemDataRole.ToolTipRole and section < len(self._tooltips):
                return self._tooltips[section]
        elif role == Qt.ItemDataRole.DisplayRole:
            return section + 1
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not self._columns or column >= len(self._columns):
            return
        self.layoutAboutToBeChanged.emit()
        col = self._columns[column]
        if isinstance(col, np.ndarray) and col.dtype != object:
            idx = np.argsort(col, kind="stable")
        else:
            # Never np.asarray a text column: a fixed-width unicode array of long documents is enormous.
            idx = np.array(sorted(range(len(col)), key=lambda i: _sort_key(col[i])), dtype=np.int64)
        self._order = idx[::-1].copy() if order == Qt.SortOrder.DescendingOrder else idx
        self.layoutChanged.emit()


def _sort_key(value: Any) -> tuple:
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return (0, float(value), "")
    return (1, 0.0, str(value)[:SORT_KEY_CHARS].lower())
