"""A checkable list of a dataset's classes (class folders, or labels), bound to ``data.exclude``.

Rows come from ``core.datasets.list_class_folders`` (before an import: file counts per split, and which
folders are left out by default and why) or from an import's result (archives, one file per class, tables).
Unticking a class leaves it out; ``edited`` fires after a user's tick, never while rows are loaded.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

COLUMNS = ("Class", "Train", "Test", "Note")
ROW_HEIGHT = 22
MAX_VISIBLE_ROWS = 8


def rows_from_dataset(dataset, exclude: list[str] | None) -> list[dict]:
    """The rows ``list_class_folders`` gives, built from an imported Dataset and its report."""
    from collections import Counter

    train = Counter(dataset.train.labels)
    test = Counter(dataset.test.labels) if dataset.test is not None else Counter()
    rows = [
        {"name": c, "train_files": train.get(c, 0), "test_files": test.get(c, 0), "excluded": False, "reason": ""}
        for c in dataset.classes
    ]
    for name, n in dataset.report.excluded.items():
        reason = "unlabelled, only in train" if exclude is None else "data.exclude"
        rows.append({"name": name, "train_files": n, "test_files": 0, "excluded": True, "reason": reason})
    return rows


def note_for(row: dict) -> str:
    if not row["excluded"]:
        return ""
    if row["reason"] == "unlabelled, only in train":
        return "unlabelled, only in train"
    return "left out"


class ClassList(QTreeWidget):
    """``set_rows(rows)`` shows classes; ``excluded()`` lists the unticked names; ``edited`` after a tick."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loading = False
        self.setColumnCount(len(COLUMNS))
        self.setHeaderLabels(list(COLUMNS))
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        header = self.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for col in (1, 2):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.setToolTip(
            "Untick a class to leave it out of the import (data.exclude); "
            "folders of unlabelled examples (unsup, unlabeled, unknown) start unticked"
        )
        self.itemChanged.connect(self._item_changed)
        self._fit_height(0)

    def set_rows(self, rows: list[dict]) -> None:
        self._loading = True
        try:
            self.clear()
            for row in rows:
                item = QTreeWidgetItem(
                    [row["name"], f"{row['train_files']:,}", f"{row['test_files']:,}", note_for(row)]
                )
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(0, Qt.CheckState.Unchecked if row["excluded"] else Qt.CheckState.Checked)
                for col in (1, 2):
                    item.setTextAlignment(col, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if row["excluded"] and row["reason"] == "unlabelled, only in train":
                    item.setToolTip(
                        3,
                        "Left out by default: the folder's name means unlabelled examples and it exists only in "
                        "train. Tick it to keep it as a class.",
                    )
                self.addTopLevelItem(item)
            self._style_rows()
        finally:
            self._loading = False
        self.setColumnHidden(2, not any(r["test_files"] for r in rows))  # no test set: no Test column
        self._fit_height(len(rows))

    def _items(self) -> list[QTreeWidgetItem]:
        return [item for i in range(self.topLevelItemCount()) if (item := self.topLevelItem(i)) is not None]

    def names(self) -> list[str]:
        return [item.text(0) for item in self._items()]

    def item_for(self, name: str) -> QTreeWidgetItem | None:
        found = self.findItems(name, Qt.MatchFlag.MatchExactly, 0)
        return found[0] if found else None

    def excluded(self) -> list[str]:
        return [item.text(0) for item in self._items() if item.checkState(0) != Qt.CheckState.Checked]

    def set_excluded(self, names: list[str]) -> None:
        """Tick every class except ``names`` (without emitting ``edited``)."""
        self._loading = True
        try:
            for item in self._items():
                item.setCheckState(0, Qt.CheckState.Unchecked if item.text(0) in names else Qt.CheckState.Checked)
            self._style_rows()
        finally:
            self._loading = False

    def _style_rows(self) -> None:
        for item in self._items():
            off = item.checkState(0) != Qt.CheckState.Checked
            if off and not item.text(3):
                item.setText(3, "left out")
            elif not off and item.text(3):
                item.setText(3, "")
            for col in range(len(COLUMNS)):
                item.setForeground(col, self.palette().placeholderText() if off else self.palette().text())

    def _item_changed(self, _item: QTreeWidgetItem, column: int) -> None:
        if self._loading or column != 0:
            return
        self._loading = True
        try:
            self._style_rows()
        finally:
            self._loading = False
        self.edited.emit()

    def _fit_height(self, rows: int) -> None:
        shown = max(2, min(rows, MAX_VISIBLE_ROWS))
        self.setFixedHeight(self.header().sizeHint().height() + shown * ROW_HEIGHT + 2 * self.frameWidth() + 4)
