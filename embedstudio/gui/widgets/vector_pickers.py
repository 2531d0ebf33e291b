"""The Model form's vector-file pickers: one combo box per file the preset reads (two for a two-file
preset), listing the Vectors library. ``edited(paths)`` after a user choice; the owner turns it into
``embedding.vectors`` through ``AppState.edit_config`` (undoable).

Threads: GUI thread only.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout

from embedstudio.core import presets
from embedstudio.core.config import GENSIM_DATA_PREFIX, RunConfig
from embedstudio.gui.widgets.config_form import FieldRow, set_row_visible


class VectorPickers(QObject):
    edited = Signal(list)  # the chosen paths, '' for "(none)"

    def __init__(self, form: QFormLayout, row: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[FieldRow] = []
        self.combos: list[QComboBox] = []
        for index in range(2):
            combo = QComboBox(minimumContentsLength=18)
            combo.setToolTip(
                "A vector file from the Vectors library" + (" (the second file of a two-file preset)" if index else "")
            )
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.currentIndexChanged.connect(lambda *_a: self.edited.emit(self.chosen()))
            self.combos.append(combo)
            self.rows.append(FieldRow(combo))
            form.insertRow(row + index, f"Vector file {index + 1}" if index else "Vector file", self.rows[-1])

    def chosen(self) -> list[str]:
        return [combo.currentData() for combo in self.combos]

    def fill(self, library: list[str], cfg: RunConfig) -> None:
        """Offer the library (and any file the config names), showing the config's choice; no signal."""
        chosen = [v.path for v in cfg.embedding.vectors]
        paths = list(library) + [p for p in chosen if p not in library]
        for index, combo in enumerate(self.combos):
            combo.blockSignals(True)
            combo.clear()
            combo.addItem("(none)", "")
            for p in paths:
                combo.addItem(short_name(p), p)
                combo.setItemData(combo.count() - 1, p, Qt.ItemDataRole.ToolTipRole)
            combo.setCurrentIndex(max(0, combo.findData(chosen[index])) if index < len(chosen) else 0)
            combo.blockSignals(False)

    def update_visibility(self, cfg: RunConfig) -> None:
        mode = cfg.embedding.mode
        set_row_visible(self.rows[0], mode != "scratch")
        set_row_visible(self.rows[1], mode != "scratch" and presets.vector_files_needed(cfg.model.preset, mode) > 1)

    def row_for(self, field: str) -> FieldRow:
        """The row an ``embedding.vectors[N]...`` error belongs to."""
        return self.rows[1] if field.startswith("embedding.vectors[1]") else self.rows[0]


def short_name(path: str) -> str:
    return path[len(GENSIM_DATA_PREFIX) :] if path.startswith(GENSIM_DATA_PREFIX) else Path(path).name
