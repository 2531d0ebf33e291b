"""The Dataset area's settings form for ``RunConfig.data``.

The plain settings (format, encoding, cleaning switches, fractions, row limits, split seed) are built from
their field specs by gui/widgets/config_form.py, like the Model form; ``load_from``/``write_to`` go through
that one binding. The class list (``data.exclude``), the text-column multi-select, the sheet chooser,
delimiter/header choices and the automatic mail and HTML cleaning are composite controls laid out here.

Every row fits the left pane at 1366 px: one control pair per row, widths from the font, no horizontal
scrolling (``tests/gui/test_dataset_area.py`` checks that no field is clipped).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from embedstudio.core.config import RunConfig
from embedstudio.gui.widgets.class_list import ClassList
from embedstudio.gui.widgets.column_picker import TextColumnPicker, as_list, ordered_columns
from embedstudio.gui.widgets.config_form import ConfigForm, make_field, set_value
from embedstudio.gui.widgets.table_model import ColumnTableModel

SPEC_FIELDS = (
    "data.format",
    "data.encoding",
    "data.lowercase",
    "data.drop_empty",
    "data.drop_duplicates",
    "data.validation_fraction",
    "data.test_fraction",
    "data.max_rows",
    "data.max_test_rows",
    "data.split_seed",
)

DELIMITERS = (("Auto-detect", ""), ("Comma ,", ","), ("Tab", "\\t"), ("Semicolon ;", ";"), ("Pipe |", "|"))
HEADER_CHOICES = (("Auto-detect", None), ("First row names the columns", True), ("No header row", False))
HTML_CHOICES = (
    ("Automatic (when a few percent hold HTML)", None),
    ("Remove tags, decode entities", True),
    ("Keep as written", False),
)
TABLE_FORMATS = ("csv", "tsv", "jsonl", "excel", "parquet")
DELIMITED_FORMATS = ("csv", "tsv")
CLEANING_NOTE = "Mail/news cleaning drops header lines (Newsgroups: names the class), signatures and quoted replies."
OWN_TEST_TIP = "Not used: the data brings its own test set ({source}). Clear the test set to hold out a fraction."
OWN_VALIDATION_TIP = "Not used: a validation set is given ({source}). Clear it to hold out a fraction."
TEXT_MARK, LABEL_MARK = "  [text]", "  [label]"
TEXT_COLUMN_COLOUR, LABEL_COLUMN_COLOUR = QColor(225, 238, 255), QColor(255, 240, 214)
MARKED_TEXT_COLOUR = QColor(20, 20, 20)


def _combo(items) -> QComboBox:
    box = QComboBox()
    for label, value in items:
        box.addItem(label, value)
    return box


def _set_combo_data(box: QComboBox, value) -> None:
    i = box.findData(value)
    box.setCurrentIndex(i if i >= 0 else 0)


def _path_row(edit: QLineEdit, *buttons: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    for b in buttons:
        row.addWidget(b)
    return row


class DatasetOptions(QWidget):
    """Emits ``changed`` after any edit was written into the config."""

    changed = Signal()
    browse_file = Signal()
    browse_folder = Signal()
    browse_test = Signal()
    browse_validation = Signal()
    path_entered = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loading = False
        self.columns: list[str] = []  # of the last previewed table, so the pickers keep every choice
        self.ranking: list[str] = []  # likeliest text columns first (TablePreview.text_column_ranking)
        self.auto_text = ""  # the automatic text column of the last preview
        self.fmt = ""  # the format the last preview detected
        self.sheets: list[str] = []  # Excel: every sheet of the workbook
        self.detected_mail: bool | None = None  # what the last import found (None: not imported yet)
        self.data_test_source = ""  # where the last import found a test set the data brought along
        self._default_excluded: dict[str, bool] = {}  # class -> left out by default (data.exclude unset)
        self._preview_columns: list[str] = []
        self._preview_cells: list[list[str]] = []
        self._preview_rows: list[list[str]] = []
        self._marks: list[str] = []  # the preview's headers with the text/label columns marked
        self._bind_spec_fields()
        self._build_source()
        self._build_classes()
        self._build_columns()
        self._build_cleaning()
        self._build_splits()
        self._boxes = lay = QVBoxLayout(self)
        for box in (self.source_box, self.classes_box, self.columns_box, self.cleaning_box, self.splits_box):
            lay.addWidget(box)
        lay.addStretch(1)
        self.classes_box.setVisible(False)

    def _bind_spec_fields(self) -> None:
        """The controls built from the config's field specs (SPEC_FIELDS), laid out by the groups below."""
        self.spec_form = ConfigForm(self)
        for path in SPEC_FIELDS:
            self.spec_form.adopt(path, make_field(path))
        self.spec_form.edited.connect(self._emit)
        c = lambda path: self.spec_form.fields[path].control  # noqa: E731
        self.format, self.encoding = c("data.format"), c("data.encoding")
        self.lowercase, self.drop_empty, self.drop_duplicates = (
            c("data.lowercase"),
            c("data.drop_empty"),
            c("data.drop_duplicates"),
        )
        self.validation, self.test = c("data.validation_fraction"), c("data.test_fraction")
        self.seed = self.spec_form.control("data.split_seed", QSpinBox)
        self.max_rows, self.max_test_rows = c("data.max_rows"), c("data.max_test_rows")
        self.test_tip, self.validation_tip = self.test.toolTip(), self.validation.toolTip()
        self.seed.setGroupSeparatorShown(False)  # a seed is a name, not a quantity: 1337, not 1,337
        # "windows-1252" must show whole (a 90 px box showed "ıtf-8" at 1366 px with a larger font)
        self.encoding.setMinimumWidth(self.encoding.fontMetrics().horizontalAdvance("windows-1252") + 24)
        self.encoding.setMaximumWidth(self.encoding.minimumWidth() + 40)

    # ---- groups ----------------------------------------------------------------------
    def _build_source(self) -> None:
        self.source_box = QGroupBox("Source")
        self.path_edit = QLineEdit(placeholderText="a folder per class, a split layout, an archive, or a file")
        self.path_edit.setToolTip(
            "Folder (one subfolder per class, or train/ and test/), .tar.gz/.zip archive, "
            "CSV/TSV, Excel, Parquet, JSONL, or fastText __label__ lines"
        )
        self.file_button = QPushButton("File…")
        self.file_button.setToolTip("Choose a data file or archive")
        self.folder_button = QPushButton("Folder…")
        self.folder_button.setToolTip("Choose a folder with one subfolder per class (or train/ and test/)")
        self.detected = QLabel("")
        self.sheet = QComboBox()
        self.sheet.setToolTip("Excel: the worksheet to read (data.sheet)")
        self.test_edit = QLineEdit(placeholderText="optional: a separate test file or folder")
        self.test_edit.setToolTip("If given, this is the test set; otherwise a test fraction is held out")
        self.test_button = QPushButton("…")
        self.test_button.setToolTip("Choose a separate test set")
        self.validation_edit = QLineEdit(placeholderText="optional: a separate validation file")
        self.validation_edit.setToolTip(
            "If given, this is the validation set (for phrase-level data whose random validation split leaks)"
        )
        self.validation_button = QPushButton("…")
        self.validation_button.setToolTip("Choose a separate validation set")
        for b in (self.test_button, self.validation_button):
            b.setFixedWidth(b.fontMetrics().horizontalAdvance("…") + 28)
        self._lay_out_source()
        self.file_button.clicked.connect(self.browse_file)
        self.folder_button.clicked.connect(self.browse_folder)
        self.test_button.clicked.connect(self.browse_test)
        self.validation_button.clicked.connect(self.browse_validation)
        self.path_edit.editingFinished.connect(self._path_edited)
        self.test_edit.editingFinished.connect(self._emit)
        self.validation_edit.editingFinished.connect(self._emit)
        self.sheet.currentIndexChanged.connect(self._emit)

    def _lay_out_source(self) -> None:
        form = QFormLayout(self.source_box)
        form.addRow("Data", _path_row(self.path_edit, self.file_button, self.folder_button))
        row = QHBoxLayout()
        row.addWidget(self.format)
        row.addWidget(self.detected, 1)
        form.addRow("Format", row)
        row = QHBoxLayout()
        row.addWidget(self.encoding)
        row.addStretch(1)
        form.addRow("Encoding", row)
        form.addRow("Sheet", self.sheet)
        form.addRow("Test set", _path_row(self.test_edit, self.test_button))
        form.addRow("Validation set", _path_row(self.validation_edit, self.validation_button))
        self.source_form = form
        self._set_row_visible(form, self.sheet, False)

    def _build_classes(self) -> None:
        self.classes_box = QGroupBox("Classes")
        self.class_list = ClassList()
        self.classes_note = QLabel("Untick a class to leave it out; the import runs again.")
        self.classes_note.setWordWrap(True)
        self.classes_note.setStyleSheet("color: #555;")
        lay = QVBoxLayout(self.classes_box)
        lay.addWidget(self.classes_note)
        lay.addWidget(self.class_list)
        self.class_list.edited.connect(self._classes_edited)

    def _build_columns(self) -> None:
        self.columns_box = QGroupBox("Columns")
        self.text_column = TextColumnPicker()
        self.label_column = QComboBox()
        self.label_column.setToolTip("The column holding the class label")
        self.delimiter = _combo(DELIMITERS)
        self.delimiter.setToolTip("Field separator of a CSV/TSV file")
        self.header = _combo(HEADER_CHOICES)
        self.header.setToolTip("Whether the first row names the columns")
        self.preview_caption = QLabel("The first rows of the file, as written (before cleaning)")
        self.preview_caption.setStyleSheet("color: #555;")
        self.preview_caption.setWordWrap(True)
        # Parented: the model is deleted with the widgets, never before the view that shows it (a parentless
        # model freed first by the garbage collector leaves the view a dangling pointer).
        self.preview_model = ColumnTableModel(parent=self, cell_style=self._preview_style)
        self.preview = QTableView()
        self.preview.setModel(self.preview_model)
        self.preview.verticalHeader().setDefaultSectionSize(20)
        self.preview.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.preview.horizontalHeader().setStretchLastSection(True)
        self.preview.setWordWrap(False)
        self.preview.setFixedHeight(150)
        self.preview.setToolTip(
            "The first rows of the file, as read with these settings; the text and label columns are marked. "
            "The Documents tab shows the same rows after cleaning (its Source column names the file and line)"
        )
        self.preview.verticalHeader().setVisible(False)  # the Documents tab's Source column names file and line
        form = QFormLayout(self.columns_box)
        self.columns_form = form
        form.addRow("Text", self.text_column)
        form.addRow("Label", self.label_column)
        form.addRow("Delimiter", self.delimiter)
        form.addRow("Header row", self.header)
        form.addRow(self.preview_caption)
        form.addRow(self.preview)
        self.text_column.edited.connect(self._columns_edited)
        self.label_column.currentIndexChanged.connect(self._columns_edited)
        self.delimiter.currentIndexChanged.connect(self._emit)
        self.header.currentIndexChanged.connect(self._emit)

    def _build_cleaning(self) -> None:
        self.cleaning_box = QGroupBox("Cleaning")
        self.auto_mail = QCheckBox("Mail/news cleaning only when the documents look like e-mail")
        self.auto_mail.setToolTip("Untick to choose each step yourself")
        self.strip_headers = QCheckBox("Strip headers")
        self.strip_headers.setToolTip(
            "Remove the header block (From:, Subject:, Newsgroups: …); "
            "the Newsgroups: line names the class and leaks the label"
        )
        self.strip_footers = QCheckBox("Strip signatures")
        self.strip_footers.setToolTip("Remove the signature block at the end of a message")
        self.strip_quotes = QCheckBox("Strip quotes")
        self.strip_quotes.setToolTip("Remove quoted replies ('>' lines and 'X writes:' lines)")
        self.strip_html = _combo(HTML_CHOICES)
        self.strip_html.setToolTip(
            "Remove HTML tags (<br />) and decode entities (&amp;, &#39;) so they do not become words (data.strip_html)"
        )
        self._lay_out_cleaning()
        self.auto_mail.toggled.connect(self._auto_toggled)
        for w in (self.strip_headers, self.strip_footers, self.strip_quotes):
            w.toggled.connect(self._emit)
        self.strip_html.currentIndexChanged.connect(self._emit)

    def _lay_out_cleaning(self) -> None:
        note = QLabel(CLEANING_NOTE)
        note.setWordWrap(True)
        note.setStyleSheet("color: #555;")
        lay = QVBoxLayout(self.cleaning_box)
        lay.addWidget(note)
        lay.addWidget(self.auto_mail)
        grid = QGridLayout()
        grid.setContentsMargins(18, 0, 0, 0)
        grid.addWidget(self.strip_headers, 0, 0)
        grid.addWidget(self.strip_footers, 0, 1)
        grid.addWidget(self.strip_quotes, 1, 0)
        lay.addLayout(grid)
        row = QHBoxLayout()
        row.addWidget(QLabel("HTML"))
        row.addWidget(self.strip_html, 1)
        lay.addLayout(row)
        row = QHBoxLayout()
        for w in (self.lowercase, self.drop_empty, self.drop_duplicates):
            row.addWidget(w)
        row.addStretch(1)
        lay.addLayout(row)

    def _build_splits(self) -> None:
        self.splits_box = QGroupBox("Splits")
        grid = QGridLayout(self.splits_box)
        self.validation_label, self.test_label = QLabel("Validation"), QLabel("Test")
        self.test_rows_label = QLabel("Test rows")
        cells = (
            (self.validation_label, self.validation, self.test_label, self.test),
            (QLabel("Rows"), self.max_rows, self.test_rows_label, self.max_test_rows),
            (QLabel("Split seed"), self.seed, None, None),
        )
        for r, row in enumerate(cells):
            for col, w in enumerate(row):
                if w is not None:
                    grid.addWidget(w, r, col)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        self.own_test_note = QLabel("")
        self.own_test_note.setWordWrap(True)
        self.own_test_note.setStyleSheet("color: #555;")
        self.own_test_note.setVisible(False)
        grid.addWidget(self.own_test_note, len(cells), 0, 1, 4)

    # ---- binding ---------------------------------------------------------------------
    def load_from(self, cfg: RunConfig) -> None:
        d = cfg.data
        self._loading = True
        try:
            self.spec_form.load(cfg)
            self.path_edit.setText(d.path)
            self.test_edit.setText(d.test_path)
            self.validation_edit.setText(d.validation_path)
            _set_combo_data(self.delimiter, d.delimiter)
            _set_combo_data(self.header, d.has_header)
            _set_combo_data(self.strip_html, d.strip_html)
            self._load_sheet(d.sheet)
            chosen = as_list(d.text_column)
            known = self.columns or list(dict.fromkeys([*chosen, *([d.label_column] if d.label_column else [])]))
            self.set_column_choices(known, d.text_column, d.label_column)
            if self.class_list.names():
                self.class_list.set_excluded(self._excluded_names(d.exclude))
                self._mark_preview_columns()
            auto = d.strip_headers is None and d.strip_footers is None and d.strip_quotes is None
            self.auto_mail.setChecked(auto)
            if not auto:
                self.strip_headers.setChecked(bool(d.strip_headers))
                self.strip_footers.setChecked(bool(d.strip_footers))
                self.strip_quotes.setChecked(bool(d.strip_quotes))
            self._auto_toggled(auto, emit=False)
        finally:
            self._loading = False
        self.update_split_state()

    def write_to(self, cfg: RunConfig) -> None:
        d = cfg.data
        for path in SPEC_FIELDS:
            set_value(cfg, path, self.spec_form.value(path))
        d.path = self.path_edit.text().strip()
        d.test_path = self.test_edit.text().strip()
        d.validation_path = self.validation_edit.text().strip()
        d.delimiter = self.delimiter.currentData()
        d.has_header = self.header.currentData()
        d.encoding = d.encoding or "utf-8"
        d.strip_html = self.strip_html.currentData()
        d.sheet = self._sheet_value(d.sheet)
        text = self.text_column.value()
        if as_list(text) != as_list(d.text_column):  # "a,b" in a config file stays as written when unchanged
            d.text_column = text
        d.label_column = self.label_column.currentData() or ""
        if self.class_list.names():
            unticked = self.class_list.excluded()
            if unticked != self._excluded_names(d.exclude):
                d.exclude = unticked
        auto = self.auto_mail.isChecked()
        d.strip_headers = None if auto else self.strip_headers.isChecked()
        d.strip_footers = None if auto else self.strip_footers.isChecked()
        d.strip_quotes = None if auto else self.strip_quotes.isChecked()
        d.validation_fraction = round(d.validation_fraction, 4)
        d.test_fraction = round(d.test_fraction, 4)

    def _excluded_names(self, exclude: list[str] | None) -> list[str]:
        """The listed classes ``exclude`` leaves out (None: those the class list shows as left out by default)."""
        import fnmatch

        names = self.class_list.names()
        if exclude is None:
            return [n for n in names if self._default_excluded.get(n, False)]
        return [n for n in names if any(fnmatch.fnmatchcase(n.lower(), p.lower()) for p in exclude)]

    # ---- classes ---------------------------------------------------------------------
    def excluded_by_default(self) -> list[str]:
        """The listed classes an unset data.exclude leaves out (unlabelled folders only in train)."""
        return self._excluded_names(None)

    def set_classes(self, rows: list[dict] | None, exclude: list[str] | None) -> None:
        """Show a dataset's classes (rows as ``list_class_folders`` gives them); None hides the list."""
        self._default_excluded = {r["name"]: r["excluded"] for r in rows or ()} if exclude is None else {}
        if not rows:
            self.class_list.set_rows([])
            self.classes_box.setVisible(False)
        else:
            self.class_list.set_rows(rows)
            if exclude is not None:
                self.class_list.set_excluded(self._excluded_names(exclude))
            self.classes_box.setVisible(True)
        self._mark_preview_columns()

    # ---- columns and sheets ----------------------------------------------------------
    def set_column_choices(self, columns: list[str], text, label: str) -> None:
        was_loading, self._loading = self._loading, True
        try:
            chosen = as_list(text)
            self.text_column.set_columns(ordered_columns(columns, self.ranking), self.auto_text, chosen)
            self.label_column.clear()
            self.label_column.addItem("(automatic)", "")
            for c in columns:
                self.label_column.addItem(c, c)
            _set_combo_data(self.label_column, label)
        finally:
            self._loading = was_loading
        self._mark_preview_columns()

    def show_preview(self, preview) -> None:
        """Show a ``TablePreview``: its rows, its format, and (tables) its columns ranked for the text picker."""
        fmt = preview.format
        self.fmt = fmt
        is_table = fmt in TABLE_FORMATS
        self.columns = list(preview.columns) if is_table else []
        self.ranking = list(preview.text_column_ranking) if is_table else []
        self.auto_text = preview.suggested_text_column if is_table else ""
        self._preview_columns = list(preview.columns)
        self._preview_rows = list(preview.rows)
        self._fill_preview()
        for i in range(len(self._preview_columns) - 1):
            self.preview.setColumnWidth(i, 120)
        # Only the choices this format has are shown: a folder of classes has no columns to pick.
        for w, shown in (
            (self.text_column, is_table),
            (self.label_column, is_table),
            (self.delimiter, fmt in DELIMITED_FORMATS),
            (self.header, fmt in (*DELIMITED_FORMATS, "excel")),
        ):
            w.setEnabled(shown)
            self._set_row_visible(self.columns_form, w, shown)
        self.columns_box.setTitle("Columns" if is_table else "Preview")
        self._place_classes(first=not is_table)
        self.detected.setText(f"detected: {fmt}")
        self.sheets = list(preview.sheets) if fmt == "excel" else []
        was_loading, self._loading = self._loading, True
        try:
            self._load_sheet(preview.sheet if fmt == "excel" else "")
        finally:
            self._loading = was_loading
        self._set_row_visible(self.source_form, self.sheet, fmt == "excel")
        self.preview_caption.setText(
            "The first rows of the file, as written (before cleaning). The Documents tab shows them cleaned."
            if is_table
            else "The first documents, as written (before cleaning), one row per file or line."
        )
        self.update_split_state()

    def _place_classes(self, *, first: bool) -> None:
        """Folders: the class list comes right after the source (it decides what is imported); tables: after
        the column pickers (the classes are the label column's values)."""
        lay = self._boxes
        lay.removeWidget(self.classes_box)
        lay.insertWidget(lay.indexOf(self.columns_box) + (0 if first else 1), self.classes_box)

    def _fill_preview(self) -> None:
        """The preview's cells; a labelled preview (folders …) leaves out the rows of unticked classes, as the
        import does, so the preview and the Documents tab show the same classes."""
        columns, rows = self._preview_columns, self._preview_rows
        if self.fmt not in TABLE_FORMATS and columns == ["label", "text"]:
            left_out = set(self.class_list.excluded())
            rows = [r for r in rows if not r or r[0] not in left_out]
        self._preview_cells = [[r[i] if i < len(r) else "" for r in rows] for i in range(len(columns))]
        self._marks = self._marked_headers()
        self.preview_model.set_data(self._marks, self._preview_cells)

    def _load_sheet(self, sheet: str) -> None:
        self.sheet.clear()
        for i, name in enumerate(self.sheets):
            self.sheet.addItem(f"{name}  (first sheet)" if i == 0 else name, "" if i == 0 else name)
        if sheet and sheet not in self.sheets[1:] and not (self.sheets and sheet in (self.sheets[0], "0")):
            self.sheet.addItem(sheet, sheet)  # a config's sheet that this workbook lacks: shown, the import says so
        first = bool(self.sheets) and sheet in ("", "0", self.sheets[0])
        _set_combo_data(self.sheet, "" if first else sheet)

    def _sheet_value(self, current: str) -> str:
        value = self.sheet.currentData() if self.sheet.count() else current
        if value == "" and self.sheets and current in ("0", self.sheets[0]):
            return current  # the first sheet named in the config stays named
        return value or ""

    def _marked_headers(self) -> list[str]:
        text, label = set(self.text_column.chosen() or [self.auto_text]), self.label_column.currentData()
        if self.fmt not in TABLE_FORMATS:
            return list(self._preview_columns)
        return [c + (TEXT_MARK if c in text else LABEL_MARK if c == label else "") for c in self._preview_columns]

    def _mark_preview_columns(self) -> None:
        if self._preview_columns:
            widths = [self.preview.columnWidth(i) for i in range(len(self._preview_columns))]
            self._fill_preview()
            for i, width in enumerate(widths[:-1]):
                self.preview.setColumnWidth(i, width)

    def preview_headers(self) -> list[str]:
        return [
            self.preview_model.headerData(i, Qt.Orientation.Horizontal) for i in range(self.preview_model.columnCount())
        ]

    def _preview_style(self, _row: int, column: int):
        headers = self._marks
        if column >= len(headers):
            return None
        # a dark text colour with the light tint, so a dark desktop theme keeps the cells readable
        if headers[column].endswith(TEXT_MARK):
            return {
                Qt.ItemDataRole.BackgroundRole: TEXT_COLUMN_COLOUR,
                Qt.ItemDataRole.ForegroundRole: MARKED_TEXT_COLOUR,
            }
        if headers[column].endswith(LABEL_MARK):
            return {
                Qt.ItemDataRole.BackgroundRole: LABEL_COLUMN_COLOUR,
                Qt.ItemDataRole.ForegroundRole: MARKED_TEXT_COLOUR,
            }
        return None

    def _classes_edited(self) -> None:
        self._mark_preview_columns()
        self._emit()

    def _columns_edited(self, *_args) -> None:
        self._mark_preview_columns()
        self._emit()

    # ---- splits ----------------------------------------------------------------------
    def set_data_test_source(self, source: str) -> None:
        """The last import found a test set that came with the data (a sibling test/ folder …); '' if none."""
        self.data_test_source = source
        self.update_split_state()

    def own_test_source(self) -> str:
        """Where the test set comes from when the data brings one ('' when a fraction is held out)."""
        if self.test_edit.text().strip():
            return self.test_edit.text().strip()
        if self.data_test_source:
            return self.data_test_source
        if self.fmt == "split":
            return "the test folder of the train/test layout"
        return ""

    def update_split_state(self) -> None:
        """Disable the fractions the data makes irrelevant, and say why in the tooltip."""
        source = self.own_test_source()
        for w in (self.test, self.test_label):
            w.setEnabled(not source)
        self.test.setToolTip(OWN_TEST_TIP.format(source=source) if source else self.test_tip)
        self.test_label.setToolTip(self.test.toolTip())
        for w in (self.max_test_rows, self.test_rows_label):
            w.setEnabled(bool(source))
        validation = self.validation_edit.text().strip()
        for w in (self.validation, self.validation_label):
            w.setEnabled(not validation)
        self.validation.setToolTip(OWN_VALIDATION_TIP.format(source=validation) if validation else self.validation_tip)
        self.own_test_note.setText(f"Test set: {source}. The test fraction is not used." if source else "")
        self.own_test_note.setVisible(bool(source))

    # ---- helpers ---------------------------------------------------------------------
    @staticmethod
    def _set_row_visible(form: QFormLayout, field: QWidget, visible: bool) -> None:
        field.setVisible(visible)
        label = form.labelForField(field)
        if label is not None:
            label.setVisible(visible)

    def set_detected_mail(self, looks_like_mail: bool) -> None:
        """The last import found the documents do (not) look like e-mail: show what auto mode applies."""
        self.detected_mail = looks_like_mail
        if self.auto_mail.isChecked():
            self._auto_toggled(True, emit=False)

    def set_detected_html(self, cleaned: int | None) -> None:
        """What automatic HTML cleaning did at the last import (None: not imported yet)."""
        label = HTML_CHOICES[0][0]
        if cleaned is not None:
            label = f"Automatic (cleaned {cleaned:,} documents)" if cleaned else "Automatic (no HTML found)"
        self.strip_html.setItemText(0, label)

    def auto_applies(self) -> bool:
        """Whether automatic mode strips headers/signatures/quotes (True until an import says otherwise)."""
        return self.detected_mail is not False

    def _auto_toggled(self, auto: bool, emit: bool = True) -> None:
        """In automatic mode the boxes show what is applied, marked "(auto)"; switching auto off keeps that
        effective state, so headers that were being stripped stay stripped unless the user unticks them."""
        for w, label in (
            (self.strip_headers, "Strip headers"),
            (self.strip_footers, "Strip signatures"),
            (self.strip_quotes, "Strip quotes"),
        ):
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
            self.update_split_state()
            self.changed.emit()
