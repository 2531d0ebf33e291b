"""A multi-select for the text column(s) of a table (``data.text_column`` takes one name or a list).

The columns are listed likeliest first (``TablePreview.text_column_ranking``: the longest, most varied
texts); the automatic choice is marked. Ticked columns are joined in the order they were ticked (a config's
list keeps its order). Nothing ticked means automatic (the config's empty text column).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

AUTO_MARK = "  (auto choice)"
ROW_HEIGHT = 20
MAX_VISIBLE_ROWS = 5


def as_list(value: str | list[str]) -> list[str]:
    """The config's text_column as a list of names (a comma-separated string allowed, as on the CLI)."""
    if isinstance(value, list):
        return [v for v in value if v]
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def ordered_columns(columns: list[str], ranking: list[str]) -> list[str]:
    """``ranking`` first (likeliest text columns), then the remaining columns in file order."""
    first = [c for c in ranking if c in columns]
    return first + [c for c in columns if c not in first]


class TextColumnPicker(QListWidget):
    """``set_columns(columns, auto, chosen)``; ``chosen()`` is the ticked names; ``edited`` after a tick."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loading = False
        self.auto = ""
        self._picked: list[str] = []  # ticked names, in the order they were ticked
        self.setToolTip(
            "The column(s) holding the text to classify, likeliest first. Tick several to join them "
            "(title and description, say); the automatic choice has the longest, most varied texts"
        )
        self.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.itemChanged.connect(self._item_changed)
        self._fit_height(0)

    def set_columns(self, columns: list[str], auto: str, chosen: list[str]) -> None:
        self._loading = True
        try:
            self.clear()
            self.auto = auto
            self._picked = [c for c in chosen if c in columns]
            for name in columns:
                item = QListWidgetItem(name + (AUTO_MARK if name == auto else ""))
                item.setData(Qt.ItemDataRole.UserRole, name)
                item.setFlags((item.flags() | Qt.ItemFlag.ItemIsUserCheckable) & ~Qt.ItemFlag.ItemIsSelectable)
                item.setCheckState(Qt.CheckState.Checked if name in chosen else Qt.CheckState.Unchecked)
                if name == auto:
                    item.setToolTip("The automatic choice: the longest, most varied texts")
                self.addItem(item)
        finally:
            self._loading = False
        self._fit_height(len(columns))

    def columns(self) -> list[str]:
        return [self.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.count())]

    def chosen(self) -> list[str]:
        return list(self._picked)

    def set_chosen(self, names: list[str]) -> None:
        self._loading = True
        try:
            self._picked = [c for c in names if c in self.columns()]
            for i in range(self.count()):
                item = self.item(i)
                item.setCheckState(
                    Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole) in names else Qt.CheckState.Unchecked
                )
        finally:
            self._loading = False

    def item_for(self, name: str) -> QListWidgetItem | None:
        return next(
            (self.item(i) for i in range(self.count()) if self.item(i).data(Qt.ItemDataRole.UserRole) == name), None
        )

    def value(self) -> str | list[str]:
        """What ``data.text_column`` gets: '' (automatic), one name, or a list of names."""
        chosen = self.chosen()
        if not chosen:
            return ""
        return chosen[0] if len(chosen) == 1 else chosen

    def _item_changed(self, item: QListWidgetItem) -> None:
        if self._loading:
            return
        name = item.data(Qt.ItemDataRole.UserRole)
        if item.checkState() == Qt.CheckState.Checked and name not in self._picked:
            self._picked.append(name)
        elif item.checkState() != Qt.CheckState.Checked and name in self._picked:
            self._picked.remove(name)
        self.edited.emit()

    def _fit_height(self, rows: int) -> None:
        shown = max(2, min(rows, MAX_VISIBLE_ROWS))
        row = self.sizeHintForRow(0) if self.count() else ROW_HEIGHT
        self.setFixedHeight(shown * max(row, 1) + 2 * self.frameWidth() + 2)
