"""The Dataset area's settings form for ``RunConfig.data`` (and training.seed).

The plain settings (format, encoding, cleaning switches, fractions, row limit, seed) are built from their
field specs by gui/widgets/config_form.py, like the Model form; ``load_from``/``write_to`` go through that
one binding. The column pickers, delimiter/header choices and the automatic mail cleaning are composite
controls laid out here."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QHeaderView,
                               QLabel, QLineEdit, QPushButton, QTableView, QVBoxLayout, QWidget)

from embedstudio.core.config import RunConfig
from embedstudio.gui.widgets.config_form import ConfigForm, make_field, set_value
from embedstudio.gui.widgets.table_model import ColumnTableModel

SPEC_FIELDS = ("data.format", "data.encoding", "data.lowercase", "data.drop_empty", "data.drop_duplicates",
               "data.validation_fraction", "data.test_fraction", "data.max_rows", "training.seed")

DELIMITERS = (("Auto-detect", ""), ("Comma ,", ","), ("Tab", "\\t"), ("Semicolon ;", ";"), ("Pipe |", "|"))
HEADER_CHOICES = (("Auto-detect", None), ("First row is a header", True), ("No header row", False))
TABLE_FORMATS = ("csv", "tsv", "jsonl")
CLEANING_NOTE = ("Mail/news cleaning drops header lines (Newsgroups: names the class), signatures and "
                 "quoted replies.")


def _combo(items) -> QComboBox:
    box = QComboBox()
    for label, value in items:
        box.addItem(label, value)
    return box


def _set_combo_data(box: QComboBox, value) -> None:
    i = box.findData(value)
    box.setCurrentIndex(i if i >= 0 else 0)


class DatasetOptions(QWidget):
    """Emits ``changed`` after any edit was written into the config."""

    changed = Signal()
    browse_file = Signal()
    browse_folder = Signal()
    browse_test = Signal()
    path_entered = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loading = False
        self.columns: list[str] = []   # of the last previewed table, so the pickers keep every choice
        self.detected_mail: bool | None = None  # what the last import found (None: not imported yet)
        self.spec_form = ConfigForm(self)
        for path in SPEC_FIELDS:
            self.spec_form.adopt(path, make_field(path))
        self.spec_form.edited.connect(self._emit)
        c = lambda path: self.spec_form.fields[path].control  # noqa: E731
        self.format, self.encoding = c("data.format"), c("data.encoding")
        self.lowercase, self.drop_empty, self.drop_duplicates = (c("data.lowercase"), c("data.drop_empty"),
                                                                 c("data.drop_duplicates"))
        self.validation, self.test = c("data.validation_fraction"), c("data.test_fraction")
        self.seed, self.max_rows = c("training.seed"), c("data.max_rows")
        self.encoding.setMaximumWidth(90)  # "utf-8", "cp1252": the row must fit a 1366 px screen
        self._build_source()
        self._build_columns()
        self._build_cleaning()
        self._build_splits()
        lay = QVBoxLayout(self)
        for box in (self.source_box, self.columns_box, self.cleaning_box, self.splits_box):
            lay.addWidget(box)
        lay.addStretch(1)

    # ---- groups ----------------------------------------------------------------------
    def _build_source(self) -> None:
        self.source_box = QGroupBox("Source")
        self.path_edit = QLineEdit(placeholderText="a folder per class, a split layout, an archive, or a file")
        self.path_edit.setToolTip("Folder (one subfolder per class, or train/ and test/), .tar.gz/.zip archive, "
                                  "CSV/TSV, JSONL, or fastText __label__ lines")
        self.file_button = QPushButton("File…")
        self.file_button.setToolTip("Choose a data file or archive")
        self.folder_button = QPushButton("Folder…")
        self.folder_button.setToolTip("Choose a folder with one subfolder per class (or train/ and test/)")
        self.detected = QLabel("")
        self.test_edit = QLineEdit(placeholderText="optional: a separate test file or folder")
        self.test_edit.setToolTip("If given, this is the test set; otherwise a test fraction is held out")
        self.test_button = QPushButton("…")
        self.test_button.setToolTip("Choose a separate test set")
        form = QFormLayout(self.source_box)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.file_button)
        row.addWidget(self.folder_button)
        form.addRow("Data", row)
        row = QHBoxLayout()
        row.addWidget(self.format)
        row.addWidget(self.detected, 1)
        form.addRow("Format", row)
        row = QHBoxLayout()
        row.addWidget(self.test_edit, 1)
        row.addWidget(self.test_button)
        form.addRow("Test set", row)
        self.file_button.clicked.connect(self.browse_file)
        self.folder_button.clicked.connect(self.browse_folder)
        self.test_button.clicked.connect(self.browse_test)
        self.path_edit.editingFinished.connect(self._path_edited)
        self.test_edit.editingFinished.connect(self._emit)

    def _build_columns(self) -> None:
        self.columns_box = QGroupBox("Columns")
        self.text_column = QComboBox()
        self.text_column.setToolTip("The column holding the text to classify")
        self.label_column = QComboBox()
        self.label_column.setToolTip("The column holding the class label")
        self.delimiter = _combo(DELIMITERS)
        self.delimiter.setToolTip("Field separator of a CSV/TSV file")
        self.header = _combo(HEADER_CHOICES)
        self.header.setToolTip("Whether the first row names the columns")
        self.preview_model = ColumnTableModel()
        self.preview = QTableView()
        self.preview.setModel(self.preview_model)
        self.preview.verticalHeader().setVisible(False)
        self.preview.horizontalHeader().setSectionResizeMode(QHeaderView.Interactive)
        self.preview.horizontalHeader().setStretchLastSection(True)
        self.preview.setWordWrap(False)
        self.preview.verticalHeader().setDefaultSectionSize(20)
        self.preview.setFixedHeight(150)
        self.preview.setToolTip("The first rows of the file, as read with these settings")
        form = QFormLayout(self.columns_box)
        row = QHBoxLayout()
        row.addWidget(QLabel("Text"))
        row.addWidget(self.text_column, 1)
        row.addWidget(QLabel("Label"))
        row.addWidget(self.label_column, 1)
        form.addRow(row)
        row = QHBoxLayout()
        row.addWidget(self.delimiter)
        row.addWidget(self.header, 1)
        row.addWidget(QLabel("Encoding"))
        self.encoding.setMaximumWidth(90)
        row.addWidget(self.encoding)
        form.addRow("Delimiter", row)
        form.addRow(self.preview)
        for box in (self.text_column, self.label_column):
            box.currentIndexChanged.connect(self._emit)
        self.delimiter.currentIndexChanged.connect(self._emit)
        self.header.currentIndexChanged.connect(self._emit)

    def _build_cleaning(self) -> None:
        self.cleaning_box = QGroupBox("Cleaning")
        self.auto_mail = QCheckBox("Mail/news cleaning only when the documents look like e-mail")
        self.auto_mail.setToolTip("Untick to choose each step yourself")
        self.strip_headers = QCheckBox("Strip headers")
        self.strip_headers.setToolTip("Remove the header block (From:, Subject:, Newsgroups: …); "
                                      "the Newsgroups: line names the class and leaks the label")
        self.strip_footers = QCheckBox("Strip signatures")
        self.strip_footers.setToolTip("Remove the signature block at the end of a message")
        self.strip_quotes = QCheckBox("Strip quotes")
        self.strip_quotes.setToolTip("Remove quoted replies ('>' lines and 'X writes:' lines)")
        note = QLabel(CLEANING_NOTE)
        note.setWordWrap(True)
        note.setStyleSheet("color: #555;")
        lay = QVBoxLayout(self.cleaning_box)
        lay.addWidget(note)
        lay.addWidget(self.auto_mail)
        row = QHBoxLayout()
        for w in (self.strip_headers, self.strip_footers, self.strip_quotes):
            row.addWidget(w)
        lay.addLayout(row)
        row = QHBoxLayout()
        for w in (self.lowercase, self.drop_empty, self.drop_duplicates):
            row.addWidget(w)
        lay.addLayout(row)
        self.auto_mail.toggled.connect(self._auto_toggled)
        for w in (self.strip_headers, self.strip_footers, self.strip_quotes):
            w.toggled.connect(self._emit)

    def _build_splits(self) -> None:
        self.splits_box = QGroupBox("Splits")
        form = QFormLayout(self.splits_box)
        row = QHBoxLayout()
        row.addWidget(QLabel("Validation"))
        row.addWidget(self.validation)
        row.addWidget(QLabel("Test"))
        row.addWidget(self.test)
        row.addWidget(QLabel("Seed"))
        row.addWidget(self.seed)
        form.addRow(row)
        form.addRow("Rows", self.max_rows)

    # ---- binding ---------------------------------------------------------------------
    def load_from(self, cfg: RunConfig) -> None:
        d = cfg.data
        self._loading = True
        try:
            self.spec_form.load(cfg)
            self.path_edit.setText(d.path)
            self.test_edit.setText(d.test_path)
            _set_combo_data(self.delimiter, d.delimiter)
            _set_combo_data(self.header, d.has_header)
            known = self.columns or [c for c in (d.text_column, d.label_column) if c]
            self.set_column_choices(known, d.text_column, d.label_column)
            auto = d.strip_headers is None and d.strip_footers is None and d.strip_quotes is None
            self.auto_mail.setChecked(auto)
            if not auto:
                self.strip_headers.setChecked(bool(d.strip_headers))
                self.strip_footers.setChecked(bool(d.strip_footers))
                self.strip_quotes.setChecked(bool(d.strip_quotes))
            self._auto_toggled(auto, emit=False)
        finally:
            self._loading = False

    def write_to(self, cfg: RunConfig) -> None:
        d = cfg.data
        for path in SPEC_FIELDS:
            set_value(cfg, path, self.spec_form.value(path))
        d.path = self.path_edit.text().strip()
        d.test_path = self.test_edit.text().strip()
        d.delimiter = self.delimiter.currentData()
        d.has_header = self.header.currentData()
        d.encoding = d.encoding or "utf-8"
        d.text_column = self.text_column.currentData() or ""
        d.label_column = self.label_column.currentData() or ""
        auto = self.auto_mail.isChecked()
        d.strip_headers = None if auto else self.strip_headers.isChecked()
        d.strip_footers = None if auto else self.strip_footers.isChecked()
        d.strip_quotes = None if auto else self.strip_quotes.isChecked()
        d.validation_fraction = round(d.validation_fraction, 4)
        d.test_fraction = round(d.test_fraction, 4)

    def set_column_choices(self, columns: list[str], text: str, label: str) -> None:
        was_loading, self._loading = self._loading, True
        try:
            for box, chosen in ((self.text_column, text), (self.label_column, label)):
                box.clear()
                box.addItem("(automatic)", "")
                for c in columns:
                    box.addItem(c, c)
                _set_combo_data(box, chosen)
        finally:
            self._loading = was_loading

    def show_preview(self, columns: list[str], rows: list[list[str]], fmt: str) -> None:
        self.columns = list(columns) if fmt in TABLE_FORMATS else []
        self.preview_model.set_data(columns, [[r[i] if i < len(r) else "" for r in rows] for i in range(len(columns))])
        for i in range(len(columns) - 1):
            self.preview.setColumnWidth(i, 120)
        is_table = fmt in TABLE_FORMATS
        for w in (self.text_column, self.label_column):
            w.setEnabled(is_table)
        for w in (self.delimiter, self.header):
            w.setEnabled(fmt in ("csv", "tsv"))
        self.detected.setText(f"detected: {fmt}")

    def set_detected_mail(self, looks_like_mail: bool) -> None:
        """The last import found the documents do (not) look like e-mail: show what auto mode applies."""
        self.detected_mail = looks_like_mail
        if self.auto_mail.isChecked():
            self._auto_toggled(True, emit=False)

    def auto_applies(self) -> bool:
        """Whether automatic mode strips headers/signatures/quotes (True until an import says otherwise)."""
        return self.detected_mail is not False

    def _auto_toggled(self, auto: bool, emit: bool = True) -> None:
        """In automatic mode the boxes show what is applied, marked "(auto)"; switching auto off keeps that
        effective state, so headers that were being stripped stay stripped unless the user unticks them."""
        for w, label in ((self.strip_headers, "Strip headers"), (self.strip_footers, "Strip signatures"),
                         (self.strip_quotes, "Strip quotes")):
            w.setEnabled(not auto)
            w.setText(f"{label} (auto)" if auto else label)
            if auto:
                w.blockSignals(True)
                w.setChecked(self.auto_applies())
                w.blockSignals(False)
        if emit:
            self._emit()

    def _path_edited(self) -> None:
        if not self._loading:
            self.path_entered.emit(self.path_edit.text().strip())

    def _emit(self, *_args) -> None:
        if not self._loading:
            self.changed.emit()
