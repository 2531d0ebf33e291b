"""The offline user guide (resources/help/guide.html) in a help viewer, the keyboard-shortcut list built
from the menus, and the guide section that belongs to each area and error.

Threads: GUI thread only. Nothing here reaches the network: the guide is a local file; its rare external
links open in the system browser only when clicked.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QMainWindow,
    QMenu,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

GUIDE = "help/guide.html"
# The guide's section for each area of the main window (F1), and for other topics.
AREA_SECTIONS = {
    "Start": "start",
    "Vectors": "vectors",
    "Dataset": "dataset",
    "Model": "model",
    "Training": "training",
    "Runs": "runs",
}
SECTIONS = (*AREA_SECTIONS.values(), "projects", "shortcuts", "troubleshooting")

_viewer: HelpViewer | None = None  # one guide window, reused


def guide_path() -> Path:
    from embedstudio.resources import resource

    return resource(GUIDE)


def guide_url(section: str = "") -> QUrl:
    url = QUrl.fromLocalFile(str(guide_path()))
    if section:
        url.setFragment(section)
    return url


def open_in_browser(section: str = "") -> bool:
    """The guide in the system's web browser (a local file:// page)."""
    return QDesktopServices.openUrl(guide_url(section))


class HelpViewer(QDialog):
    """The guide in a QTextBrowser, with Back, Contents and Open in Browser."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("helpViewer")
        self.setWindowTitle("EmbedStudio User Guide")
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)  # http(s) links (licences, papers) go to the system browser
        self.browser.setSearchPaths([str(guide_path().parent)])
        self._section = ""
        self.browser.sourceChanged.connect(lambda url: setattr(self, "_section", url.fragment()))
        back = QPushButton("Back")
        back.clicked.connect(self.browser.backward)
        self.browser.backwardAvailable.connect(back.setEnabled)
        back.setEnabled(False)
        contents = QPushButton("Contents")
        contents.clicked.connect(lambda: self.show_section("contents"))
        external = QPushButton("Open in Browser")
        external.setToolTip("Show this page in the system's web browser")
        external.clicked.connect(lambda: open_in_browser(self.section()))
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.close)
        row = QHBoxLayout()
        for b in (back, contents, external):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(close)
        lay = QVBoxLayout(self)
        lay.addWidget(self.browser, 1)
        lay.addLayout(row)
        self.resize(760, 620)

    def show_section(self, section: str = "") -> None:
        url = guide_url(section)
        if self.browser.source().toLocalFile() != url.toLocalFile():
            self.browser.setSource(url)
        if section:
            self.browser.scrollToAnchor(section)
            QTimer.singleShot(0, lambda: self.browser.scrollToAnchor(section))  # again once laid out
        self._section = section

    def section(self) -> str:
        """The section shown last (opened at, or reached by a link)."""
        return self._section


def show_guide(section: str = "", parent: QWidget | None = None) -> HelpViewer:
    """Open (or raise) the guide window at ``section``. A top-level window of its own, so it stays usable
    while a modal error dialog is open."""
    global _viewer
    if _viewer is None:
        _viewer = HelpViewer(parent)
    _viewer.show_section(section)
    _viewer.show()
    _viewer.raise_()
    _viewer.activateWindow()
    return _viewer


def current_viewer() -> HelpViewer | None:
    return _viewer


# ---- keyboard shortcuts -------------------------------------------------------------------------
def shortcut_rows(window: QMainWindow) -> list[tuple[str, str, str]]:
    """(menu, command, shortcut) for every menu command with a shortcut, in menu order."""
    rows = []
    for top in window.menuBar().actions():
        menu = top.menu()
        if not isinstance(menu, QMenu):
            continue
        for act in menu.actions():
            keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in act.shortcuts() if not k.isEmpty()]
            if keys and act.text():
                text = act.text().replace("&", "")
                for prefix in ("Undo ", "Redo "):  # "Undo Set epochs to 4": the command, not the last edit
                    if text.startswith(prefix):
                        text = prefix.strip()
                rows.append((top.text().replace("&", ""), text, ", ".join(keys)))
    return rows


class ShortcutsDialog(QDialog):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard Shortcuts — EmbedStudio")
        rows = shortcut_rows(window)
        self.table = QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels(["Menu", "Command", "Shortcut"])
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(value))
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table, 1)
        lay.addWidget(buttons)
        self.resize(540, 660)
