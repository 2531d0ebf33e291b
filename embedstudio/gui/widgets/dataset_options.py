"""The Dataset area's settings form, bound field by field to ``RunConfig.data`` (and training.seed)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QHeaderView,
                               QLabel, QLineEdit, QPushButton, QSpinBox, QTableView, QVBoxLayout, QWidget)

from embedstudio.core.config import DATA_FORMATS, RunConfig
from embedstudio.gui.widgets.table_model import ColumnTableModel

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
        self.format = _combo([("Auto-detect", "auto")] + [(f, f) for f in DATA_FORMATS if f != "auto"])
        self.format.setToolTip("How to read the source; auto-detect looks at the folder layout or the first lines")
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
        self.format.currentIndexChanged.connect(self._emit)

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
        self.encoding = QLineEdit()
        self.encoding.setToolTip("Text encoding; undecodable files fall back to cp1252/latin-1 with a warning")
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
        self.encoding.editingFinished.connect(self._emit)

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
        self.lowercase = QCheckBox("Lowercase")
        self.lowercase.setToolTip("Lowercase the texts at import (the vectorizer also lowercases by default)")
        self.drop_empty = QCheckBox("Drop empty rows")
        self.drop_empty.setToolTip("Rows with no words break averaging models (NaN loss); dropping is recommended")
        self.drop_duplicates = QCheckBox("Drop duplicates")
        self.drop_duplicates.setToolTip("Identical text + label rows are kept once")
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
        for w in (self.strip_headers, self.strip_footers, self.strip_quotes, self.lowercase, self.drop_empty,
                  self.drop_duplicates):
            w.toggled.connect(self._emit)

    def _build_splits(self) -> None:
        self.splits_box = QGroupBox("Splits")
        self.validation = QDoubleSpinBox(minimum=0.0, maximum=0.9, singleStep=0.05, decimals=2)
        self.validation.setToolTip("Share of the training data held out to watch overfitting and stop early")
        self.test = QDoubleSpinBox(minimum=0.0, maximum=0.9, singleStep=0.05, decimals=2)
        self.test.setToolTip("Share held out for the final score (ignored when the data has its own test set)")
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1)
        self.seed.setToolTip("Same seed, same split: runs stay comparable")
        self.max_rows = QSpinBox(minimum=0, maximum=100_000_000, singleStep=1000)
        self.max_rows.setSpecialValueText("all")
        self.max_rows.setToolTip("Use only the first N rows (0 = all), for quick experiments")
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
        for w in (self.validation, self.test):
            w.valueChanged.connect(self._emit)
        self.seed.valueChanged.connect(self._emit)
        self.max_rows.valueChanged.connect(self._emit)

    # ---- binding ---------------------------------------------------------------------
    def load_from(self, cfg: RunConfig) -> None:
        d = cfg.data
        self._loading = True
        try:
            self.path_edit.setText(d.path)
            self.test_edit.setText(d.test_path)
            _set_combo_data(self.format, d.format)
            _set_combo_data(self.delimiter, d.delimiter)
            _set_combo_data(self.header, d.has_header)
            self.encoding.setText(d.encoding)
            known = self.columns or [c for c in (d.text_column, d.label_column) if c]
            self.set_column_choices(known, d.text_column, d.label_column)
            auto = d.strip_headers is None and d.strip_footers is None and d.strip_quotes is None
            self.auto_mail.setChecked(auto)
            self.strip_headers.setChecked(bool(d.strip_headers))
            self.strip_footers.setChecked(bool(d.strip_footers))
            self.strip_quotes.setChecked(bool(d.strip_quotes))
            self._auto_toggled(auto, emit=False)
            self.lowercase.setChecked(d.lowercase)
            self.drop_empty.setChecked(d.drop_empty)
            self.drop_duplicates.setChecked(d.drop_duplicates)
            self.validation.setValue(d.validation_fraction)
            self.test.setValue(d.test_fraction)
            self.seed.setValue(cfg.training.seed)
            self.max_rows.setValue(d.max_rows or 0)
        finally:
            self._loading = False

    def write_to(self, cfg: RunConfig) -> None:
        d = cfg.data
        d.path = self.path_edit.text().strip()
        d.test_path = self.test_edit.text().strip()
        d.format = self.format.currentData()
        d.delimiter = self.delimiter.currentData()
        d.has_header = self.header.currentData()
        d.encoding = self.encoding.text().strip() or "utf-8"
        d.text_column = self.text_column.currentData() or ""
        d.label_column = self.label_column.currentData() or ""
        auto = self.auto_mail.isChecked()
        d.strip_headers = None if auto else self.strip_headers.isChecked()
        d.strip_footers = None if auto else self.strip_footers.isChecked()
        d.strip_quotes = None if auto else self.strip_quotes.isChecked()
        d.lowercase = self.lowercase.isChecked()
        d.drop_empty = self.drop_empty.isChecked()
        d.drop_duplicates = self.drop_duplicates.isChecked()
        d.validation_fraction = round(self.validation.value(), 4)
        d.test_fraction = round(self.test.value(), 4)
        d.max_rows = self.max_rows.value() or None
        cfg.training.seed = self.seed.value()

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

    def _auto_toggled(self, auto: bool, emit: bool = True) -> None:
        for w in (self.strip_headers, self.strip_footers, self.strip_quotes):
            w.setEnabled(not auto)
        if emit:
            self._emit()

    def _path_edited(self) -> None:
        if not self._loading:
            self.path_entered.emit(self.path_edit.text().strip())

    def _emit(self, *_args) -> None:
        if not self._loading:
            self.changed.emit()
