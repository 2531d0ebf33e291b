"""The Load Config… / Save Config… buttons: replace every setting with a TOML or JSON file (one undoable
``AppState.set_config``), or write them all to one, atomically. Errors go to the error dialog.

Threads: GUI thread only (a configuration file is a few kilobytes).
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QPushButton, QWidget

from embedstudio.core.config import load_config, save_config
from embedstudio.core.errors import UserError
from embedstudio.gui import dialogs
from embedstudio.gui.jobs import ErrorInfo
from embedstudio.gui.state import AppState

CONFIG_FILTER = "Run configuration (*.toml *.json);;All files (*)"


class ConfigFileButtons(QWidget):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        for text, tip, slot in (
            ("Load Config…", "Replace every setting with a saved TOML or JSON file", self.load_dialog),
            ("Save Config…", "Write every setting (data, vectors, model, training) to a file", self.save_dialog),
        ):
            button = QPushButton(text)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            lay.addWidget(button)
        lay.addStretch(1)

    def load(self, path: str | os.PathLike) -> bool:
        """Replace ``state.config`` with a TOML/JSON file; errors go to the error dialog."""
        try:
            self.state.set_config(load_config(path))
        except UserError as exc:
            return self._error(str(exc), "Could not open the configuration")
        return True

    def save(self, path: str | os.PathLike) -> bool:
        """Write ``state.config`` (TOML for .toml, JSON otherwise), atomically."""
        try:
            save_config(self.state.config, path)
        except (UserError, OSError) as exc:
            return self._error(f"Could not save {path}: {exc}", "Could not save the configuration")
        return True

    def _error(self, message: str, title: str) -> bool:
        dialogs.show_error(self.window(), ErrorInfo(message, "", True), title=title)
        return False

    def load_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load configuration", str(Path.home()), CONFIG_FILTER)
        if path:
            self.load(path)

    def save_dialog(self) -> None:
        home = str(Path.home() / "embedstudio.toml")
        path, _ = QFileDialog.getSaveFileName(self, "Save configuration", home, CONFIG_FILTER)
        if path:
            self.save(path)
