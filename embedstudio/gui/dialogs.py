"""The error dialog every failed job goes to, and the About box."""

from __future__ import annotations

import logging
import platform
from collections.abc import Callable

from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QMessageBox, QWidget

import embedstudio
from embedstudio.core.runs import installed_versions
from embedstudio.gui.jobs import ErrorInfo

log = logging.getLogger(__name__)

# Distributions shown in the About box: (label, candidate distribution names). Read from package
# metadata so that opening About never imports TensorFlow.
_LIBRARIES = (
    ("TensorFlow", ("tensorflow-cpu", "tensorflow")),
    ("Keras", ("keras",)),
    ("NumPy", ("numpy",)),
    ("gensim", ("gensim",)),
    ("fastText", ("fasttext-wheel", "fasttext")),
    ("scikit-learn", ("scikit-learn",)),
    ("PySide6", ("PySide6-Essentials", "PySide6")),
    ("pyqtgraph", ("pyqtgraph",)),
)

# Extra listeners (the self-test prints errors and fails instead of waiting for a click).
error_listeners: list[Callable[[ErrorInfo], None]] = []


def library_versions() -> list[tuple[str, str]]:
    found = installed_versions(dist for _, dists in _LIBRARIES for dist in dists)
    rows = [("EmbedStudio", embedstudio.__version__), ("Python", platform.python_version()), ("Qt", qVersion())]
    for label, dists in _LIBRARIES:
        rows.append((label, next((found[d] for d in dists if d in found), "not installed")))
    return rows


def help_section_for(parent: QWidget | None) -> str:
    """The user-guide section an error shown over ``parent`` belongs to: the nearest widget that names one
    (each area does, as the ``helpSection`` property), else the area on screen, else troubleshooting."""
    w = parent
    while w is not None:
        section = w.property("helpSection")
        if section:
            return str(section)
        current = getattr(w, "current_help_section", None)
        if callable(current) and current():
            return str(current())
        w = w.parentWidget()
    return "troubleshooting"


def show_error(
    parent: QWidget | None, info: ErrorInfo, title: str = "EmbedStudio", *, help_section: str | None = None
) -> QMessageBox:
    """Show ``info.message`` readably, the traceback behind "Show Details...". Non-blocking (window-modal).
    Its Help button opens the user guide at ``help_section`` (default: the section of the area it came from;
    troubleshooting for a bug) and leaves the message open."""
    log.warning("error shown to the user: %s", info.message)
    for listener in list(error_listeners):
        listener(info)
    box = QMessageBox(parent)
    box.setObjectName("errorDialog")
    box.setIcon(QMessageBox.Icon.Warning if info.is_user_error else QMessageBox.Icon.Critical)
    box.setWindowTitle(title)
    lines = info.message.strip().splitlines() or ["Unknown error"]
    box.setText(lines[0])
    if len(lines) > 1:
        box.setInformativeText("\n".join(lines[1:]))
    if not info.is_user_error:
        box.setInformativeText(
            (box.informativeText() + "\n\n" if box.informativeText() else "")
            + "This looks like a bug in EmbedStudio; the details below help to report it."
        )
    if info.details and not info.is_user_error:  # a traceback helps report a bug; for a user error it is noise
        box.setDetailedText(info.details)
    elif info.details:
        log.debug("user error raised at:\n%s", info.details)
    section = help_section or (help_section_for(parent) if info.is_user_error else "troubleshooting")
    box.setProperty("helpSection", section)
    help_button = box.addButton("Help", QMessageBox.ButtonRole.HelpRole)
    help_button.setToolTip("Open the user guide's section about this")
    help_button.clicked.disconnect()  # the box stays open while the guide is read
    help_button.clicked.connect(lambda: _open_guide(section))
    ok = box.addButton(QMessageBox.StandardButton.Ok)
    box.setEscapeButton(ok)  # with a Help button beside it Qt picks no escape button: Esc and close() would not close
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setWindowModality(Qt.WindowModality.WindowModal if parent is not None else Qt.WindowModality.ApplicationModal)
    box.show()
    return box


def _open_guide(section: str) -> None:
    from embedstudio.gui.help import show_guide

    show_guide(section)


def about_text() -> str:
    rows = "".join(f"<tr><td>{name}</td><td>&nbsp;{version}</td></tr>" for name, version in library_versions())
    return (
        "<h3>EmbedStudio</h3><p>Text classifiers on pre-trained word vectors (GloVe, word2vec, fastText), "
        "offline.</p>"
        f"<table>{rows}</table>"
    )


def about_box(parent: QWidget | None) -> QMessageBox:
    box = QMessageBox(parent)
    box.setObjectName("aboutBox")
    box.setWindowTitle("About EmbedStudio")
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(about_text())
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.show()
    return box


def ask(
    parent: QWidget | None,
    title: str,
    text: str,
    buttons: list[tuple[str, QMessageBox.ButtonRole]],
    *,
    default: int = 0,
    informative: str = "",
) -> int:
    """A question with buttons that say what they do ("Replace and Train", not "Yes"); the index of the
    one clicked, or -1 when the box was closed. Modal: it returns when answered."""
    box = QMessageBox(parent)
    box.setObjectName("questionDialog")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setText(text)
    if informative:
        box.setInformativeText(informative)
    made = [box.addButton(label, role) for label, role in buttons]
    if 0 <= default < len(made):
        box.setDefaultButton(made[default])
    box.exec()
    clicked = box.clickedButton()
    return next((i for i, b in enumerate(made) if b is clicked), -1)
