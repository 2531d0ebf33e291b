"""The Model area's summary of the model as it will be built: its layers, the parameter counts as a user
means them, the two-phase schedule, and the advice training would give, each control it mentions a link
(``link_activated(field path)``; the Model panel jumps to and highlights the control).

Threads: GUI thread only; it shows a core ``model_inputs.Summary`` computed in a worker.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGroupBox, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from embedstudio.core.model_inputs import Summary

COLUMNS = ["Layer", "Type", "Output shape", "Parameters", "Trainable"]


class SummaryView(QGroupBox):
    link_activated = Signal(str)  # the config field path an advice link names

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Summary", parent)
        lay = QVBoxLayout(self)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setToolTip("The layers of the model as it will be built, with honest parameter counts")
        self.totals = QLabel(wordWrap=True)
        self.totals.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.advice = QLabel(wordWrap=True, textFormat=Qt.TextFormat.RichText)
        self.advice.setVisible(False)
        self.advice.setStyleSheet("color: #8a5a00;")
        self.advice.setToolTip("Click a setting's name to go to it")
        self.advice.linkActivated.connect(self.link_activated)
        self.notes = QLabel(wordWrap=True)
        self.notes.setStyleSheet("color: palette(mid);")
        self.status = QLabel(wordWrap=True)
        for w in (self.totals, self.advice, self.notes, self.status):
            lay.addWidget(w)
        lay.addWidget(self.table, 1)

    def clear(self, status: str) -> None:
        self.table.setRowCount(0)
        for label in (self.totals, self.advice, self.notes):
            label.setText("")
        self.advice.setVisible(False)
        self.status.setText(status)

    def show_summary(self, s: Summary) -> None:
        self.table.setRowCount(len(s.rows))
        for r, row in enumerate(s.rows):
            frozen = row["params"] - row["trainable"]
            values = [
                row["name"],
                row["type"],
                row["output_shape"],
                f"{row['params']:,}",
                f"{row['trainable']:,}" + (f"  ({frozen:,} frozen)" if frozen else ""),
            ]
            for c, v in enumerate(values):
                item = QTableWidgetItem(v)
                if c >= 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        self.totals.setText(totals_html(s))
        self.advice.setText(advice_html(s))
        self.advice.setVisible(bool(s.advice))
        self.notes.setText("<br>".join(html.escape(n, quote=False) for n in s.notes))
        self.status.setText("")


def totals_html(s: Summary) -> str:
    """Totals as a user means them, the index map as state, and the two-phase schedule."""
    c = s.counts
    text = (
        f"<b>Total parameters:</b> {c['total']:,} &nbsp; <b>Trainable:</b> {c['trainable']:,}"
        f" &nbsp; <b>Non-trainable:</b> {c['non_trainable']:,}<br>"
        f"Vocabulary {s.vocab_size:,} words, {s.num_classes} classes."
    )
    if s.state:
        text += f" Plus an index map of {s.state:,} integers (which rows learn; not parameters)."
    if s.schedule:
        text += f"<br><b>Two-phase:</b> {html.escape(s.schedule, quote=False)}."
    return text


def advice_html(summary: Summary) -> str:
    """Each piece of advice as a paragraph; each control it mentions is a link whose href is the field path."""
    items = []
    for advice in summary.advice:
        parts = [
            html.escape(text, quote=False) if path is None else f'<a href="{path}">{html.escape(text, quote=False)}</a>'
            for text, path in advice.segments()
        ]
        items.append("⚠ " + "".join(parts))
    return "<br>".join(items)
