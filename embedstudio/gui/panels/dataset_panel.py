"""Dataset area: choose a source, pick columns from a preview, set cleaning and splits, import in a Worker.

Threads: the preview and the import run in Workers (JobRunner); results reach AppState through
queued signals on the GUI thread. The panel only edits ``state.config.data`` and calls the core.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from embedstudio.core.datasets.types import TablePreview
from embedstudio.gui.jobs import JobRunner, Worker, WorkerPool
from embedstudio.gui.state import AppState, ConfigEdit
from embedstudio.gui.widgets.class_list import rows_from_dataset
from embedstudio.gui.widgets.column_picker import as_list
from embedstudio.gui.widgets.dataset_options import DatasetOptions
from embedstudio.gui.widgets.dataset_view import DatasetView, ImportResult, import_with_stats

if TYPE_CHECKING:
    from embedstudio.core.config import RunConfig

DATA_FILTER = (
    "Datasets (*.csv *.tsv *.tab *.xlsx *.parquet *.jsonl *.ndjson *.txt *.train *.test *.cor *.ft *.tar.gz "
    "*.tgz *.tar.bz2 *.tar.xz *.tar *.zip);;All files (*)"
)
FOLDER_FORMATS = ("folders", "split", "lines_per_class")


@dataclass
class SourcePreview:
    """What the preview Worker found: the first rows, and (folders on disk) the class folders."""

    table: TablePreview
    classes: list[dict] | None  # list_class_folders rows; None when only an import can list them
    note: str = ""  # a choice the preview made (another sheet than the first)


def preview_source(
    path: str, delimiter: str, has_header, encoding: str, sheet: str = "", exclude=None, *, reporter, cancel
) -> SourcePreview:
    from embedstudio.core.datasets import detect_dataset_format, list_class_folders, list_sheets, preview_table
    from embedstudio.core.datasets.detect import is_archive
    from embedstudio.core.errors import DatasetError

    reporter.progress(0, None, "reading the first rows")

    def read(sheet: str):
        return preview_table(path, delimiter=delimiter, has_header=has_header, encoding=encoding, n=50, sheet=sheet)

    note = ""
    try:
        table = read(sheet)
    except DatasetError:
        # A workbook whose first sheet is a cover note: show the first sheet that holds a table instead.
        if sheet or detect_dataset_format(Path(path)) != "excel":
            raise
        names = [s["name"] for s in list_sheets(path)]
        for name in names[1:]:
            cancel.raise_if_cancelled()
            try:
                table = read(name)
            except DatasetError:
                continue
            note = f"The first sheet, {names[0]!r}, holds no table of texts and labels; showing the sheet {name!r}."
            break
        else:
            raise
    classes = None
    if table.format in FOLDER_FORMATS and Path(path).is_dir() and not is_archive(Path(path)):
        reporter.progress(0, None, "listing the class folders")
        classes = list_class_folders(path, exclude=exclude) or None
    return SourcePreview(table, classes, note)


def edit_name(before: RunConfig, after: RunConfig, default_excluded: Sequence[str] = ()) -> str:
    """A readable undo name for the Dataset area's own edits ('' lets AppState name it). ``default_excluded``
    is what an unset data.exclude leaves out."""
    b, a = before.data, after.data
    if b.exclude != a.exclude:
        old = set(default_excluded if b.exclude is None else b.exclude)
        new = set(default_excluded if a.exclude is None else a.exclude)
        if new - old and not old - new:
            return "Leave out " + ", ".join(sorted(new - old))
        if old - new and not new - old:
            return "Keep " + ", ".join(sorted(old - new))
        return "Choose the classes"
    if b.text_column != a.text_column:
        names = as_list(a.text_column)
        if not names:
            return "Choose the text column automatically"
        return ("Use the text columns " if len(names) > 1 else "Use the text column ") + " + ".join(names)
    return ""


class ClassListEdit(ConfigEdit):
    """An edit that includes data.exclude: never merged into the previous one."""

    def id(self) -> int:  # noqa: A003 - Qt's name
        return -1


class DatasetPanel(QWidget):
    def __init__(self, state: AppState, pool: WorkerPool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state, self.pool = state, pool
        self.opened_paths: list[str] = []  # for File > Recent Files
        self.result: ImportResult | None = None
        self._import_after_preview = False
        self._writing = False  # our own config edits must not reload the form
        self._previewed: str | None = None
        self._listed_classes = False  # the class list came from list_class_folders (not from an import)
        self._opening = ""  # a source the user just chose, until it imported or failed
        self._exclude = copy.copy(state.config.data.exclude)  # data.exclude as last seen (Undo re-imports)
        self._preview_note = ""  # a choice the last preview made (which sheet), shown with the import summary
        self._build()
        self.refresh_from_config()
        self.state.config_changed.connect(self._on_config_changed)

    def _build(self) -> None:
        self.options = DatasetOptions()
        self.import_button = QPushButton("Import")
        self.import_button.setToolTip("Read the dataset with these settings (Ctrl+I)")
        self.import_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the import")
        self.progress = QProgressBar(textVisible=False)
        self.progress.setMaximumWidth(180)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.view = DatasetView()
        self.runner = JobRunner(
            self.pool,
            self,
            progress=self.progress,
            cancel_button=self.cancel_button,
            busy_widgets=[self.import_button],
            status=self.status,
        )
        self.preview_runner = JobRunner(self.pool, self)
        left = self._options_pane()
        self.splitter = splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.view)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setCollapsible(0, False)
        splitter.setSizes([max(500, left.minimumWidth()), 800])
        QVBoxLayout(self).addWidget(splitter)

        self.import_button.clicked.connect(self.import_dataset)
        self.options.changed.connect(self._options_changed)
        self.options.browse_file.connect(self.open_dialog)
        self.options.browse_folder.connect(self.open_folder_dialog)
        self.options.browse_test.connect(self._browse_test)
        self.options.browse_validation.connect(self._browse_validation)
        self.options.path_entered.connect(self._path_typed)

    def _options_pane(self) -> QWidget:
        """The options form in its scroll area, with Import, Cancel, the progress bar and the status line."""
        self.scroll_area = scroll = QScrollArea()
        scroll.setWidget(self.options)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        # The form fits its pane (no sideways scrolling that hides half a field); the splitter cannot
        # squeeze the pane below what the form needs.
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        left = QWidget()
        left.setMinimumWidth(self.options.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width())
        left_lay = QVBoxLayout(left)
        left_lay.setContentsMargins(0, 0, 0, 0)
        left_lay.addWidget(scroll, 1)
        row = QHBoxLayout()
        for w in (self.import_button, self.cancel_button, self.progress):
            row.addWidget(w)
        row.addStretch(1)
        left_lay.addLayout(row)
        left_lay.addWidget(self.status)
        return left

    # ---- config binding ----------------------------------------------------------------
    def refresh_from_config(self) -> None:
        """Show ``state.config.data`` (after a config was opened); previews the source if there is one."""
        self.options.load_from(self.state.config)
        if self.state.config.data.path:
            self.preview()

    def _on_config_changed(self) -> None:
        """Another area (Model, Runs' re-run, File > Open Config) or Undo changed the config: show it."""
        if self._writing:
            return
        self.options.load_from(self.state.config)
        d = self.state.config.data
        exclude_changed, self._exclude = d.exclude != self._exclude, copy.copy(d.exclude)
        if d.path and d.path != self._previewed:
            self.preview()
        elif exclude_changed and self._shown_exclude_differs():
            self.import_dataset()  # Undo of a class tick: the documents follow the class list

    def _shown_exclude_differs(self) -> bool:
        """The dataset on screen was imported from this source with other classes left out."""
        shown = self.state.dataset_source
        d = self.state.config.data
        return (
            shown is not None and self.state.dataset is not None and shown.path == d.path and shown.exclude != d.exclude
        )

    def _edit(self, change, text: str = "") -> bool:
        """Apply ``change`` to the config as one undoable edit (the form already shows it)."""
        self._writing = True
        try:
            after = self.state.config.copy()
            change(after)
            if after.data.exclude != self.state.config.data.exclude:
                # Each tick of the class list is its own undo step (spin-box steps merge; ticks must not).
                text = text or edit_name(self.state.config, after, self.options.excluded_by_default())
                self.state.undo.push(ClassListEdit(self.state, self.state.config.copy(), after, text))
                return True
            if not text:
                text = edit_name(self.state.config, after)
            return self.state.edit_config(change, text)
        finally:
            self._writing = False
            self._exclude = copy.copy(self.state.config.data.exclude)

    def _options_changed(self) -> None:
        d = self.state.config.data
        before = (d.delimiter, d.has_header, d.encoding, d.sheet, d.format)
        exclude = d.exclude
        self._edit(self.options.write_to)
        d = self.state.config.data
        if before != (d.delimiter, d.has_header, d.encoding, d.sheet, d.format):
            self.preview()
        elif exclude != d.exclude:
            self.import_dataset()  # the class list changed: import again (in the Worker, as always)

    # ---- choosing a source -------------------------------------------------------------
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open dataset file", self._start_dir(), DATA_FILTER)
        if path:
            self.open_path(path)

    def open_folder_dialog(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open dataset folder", self._start_dir())
        if path:
            self.open_path(path)

    def _browse_test(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Test set", self._start_dir(), DATA_FILTER)
        if path:
            self.options.test_edit.setText(path)
            self._options_changed()

    def _browse_validation(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Validation set", self._start_dir(), DATA_FILTER)
        if path:
            self.options.validation_edit.setText(path)
            self._options_changed()

    def _start_dir(self) -> str:
        current = self.state.config.data.path
        if current and not current.startswith("gensim-test-data:") and Path(current).exists():
            return str(Path(current).parent)
        return self.state.start_dir("dataset")  # where the last dataset that imported was

    def _path_typed(self, path: str) -> None:
        if path and path != self.state.config.data.path:
            self.open_path(path)

    def open_path(self, path, *, auto_import: bool = True) -> Worker | None:
        """Use ``path`` as the data source: reset format/columns, preview it, then import (by default)."""

        def change(cfg) -> None:
            d = cfg.data
            d.path, d.format, d.text_column, d.label_column, d.test_path = str(path), "auto", "", "", ""
            d.delimiter, d.has_header, d.sheet, d.exclude, d.validation_path = "", None, "", None, ""

        self.opened_paths.append(str(path))
        self._opening = str(path)
        self.options.columns = []
        self.options.detected_mail = None  # a new source: what auto cleaning does is not known yet
        self.options.set_detected_html(None)
        self.options.set_data_test_source("")
        self.options.set_classes(None, None)
        self._edit(change, f"Use the dataset {Path(str(path)).name}")
        self.options.load_from(self.state.config)
        self._import_after_preview = auto_import
        return self.preview()

    def preview(self) -> Worker | None:
        d = self.state.config.data
        if not d.path:
            return None
        self._previewed = d.path
        data = self.state.config.copy().data
        return self.preview_runner.start(
            preview_source,
            d.path,
            d.delimiter,
            d.has_header,
            d.encoding,
            d.sheet,
            None if d.exclude is None else list(d.exclude),
            name="Preview",
            on_result=self._show_preview,
            on_error=lambda info: self._failed(info, data, during="open"),
        )

    def _show_preview(self, found: SourcePreview) -> None:
        preview = found.table
        d = self.state.config.data
        self._preview_note = found.note
        if found.note:
            self._edit(
                lambda cfg, name=preview.sheet: setattr(cfg.data, "sheet", name), f"Use the sheet {preview.sheet}"
            )
            self.status.setText(found.note)
        self.options.show_preview(preview)
        if found.classes is not None:
            self._listed_classes = True
            self.options.set_classes(found.classes, d.exclude)
        elif preview.format not in FOLDER_FORMATS:
            self._listed_classes = False
            shown = self.state.dataset_source
            if self.result is not None and shown is not None and shown.path == d.path:
                self.options.set_classes(rows_from_dataset(self.result.dataset, shown.exclude), shown.exclude)
            else:
                self.options.set_classes(None, None)
        if preview.format in ("csv", "tsv", "jsonl", "excel", "parquet"):
            named = as_list(d.text_column)
            kept = bool(named) and all(c in preview.columns for c in named)
            text = d.text_column if kept else preview.suggested_text_column
            label = d.label_column if d.label_column in preview.columns else preview.suggested_label_column
            self.options.set_column_choices(preview.columns, text, label)
            if (d.text_column, d.label_column) != (text, label):

                def change(cfg, text=text, label=label) -> None:
                    cfg.data.text_column, cfg.data.label_column = text, label

                self._edit(change, "Choose the text and label columns")
        else:
            self.options.set_column_choices([], "", "")
        if self._import_after_preview:
            self._import_after_preview = False
            self.import_dataset()

    # ---- import ------------------------------------------------------------------------
    def import_dataset(self) -> Worker | None:
        self._edit(self.options.write_to)
        d = self.state.config.data
        if d.validation_fraction + d.test_fraction >= 0.95:
            self.status.setText("Validation + test fractions leave nothing to train on; lower them.")
            return None
        if not self.state.config.data.path:
            self.status.setText("Choose a dataset file or folder first.")
            return None
        self.status.setText("Importing…")
        data = self.state.config.copy().data
        return self.runner.start(
            import_with_stats,
            data,
            name="Importing dataset",
            on_result=lambda result: self._imported(result, data),
            on_cancelled=lambda: self.status.setText("Import cancelled."),
            on_error=lambda info: self._failed(info, data, during="import"),
        )

    def _imported(self, result: ImportResult, data=None) -> None:
        self.result = result
        self._opening = ""
        self.view.show_result(result)
        if self._preview_note and data is not None and data.sheet:
            self.view.add_notice(self._preview_note)
        ds = result.dataset
        n_test = len(ds.test) if ds.test is not None else 0
        self.status.setText(
            f"Imported {len(ds.train):,} training"
            + (f" and {n_test:,} test" if n_test else "")
            + f" documents in {len(ds.classes)} classes."
        )
        self.state.set_dataset(ds, data)
        self.options.set_detected_mail(result.dataset.report.looks_like_mail)
        self.options.set_detected_html(ds.report.html_cleaned)
        self.options.set_data_test_source(ds.report.test_source if ds.test is not None else "")
        if not self._listed_classes or not self.options.class_list.names():
            # archives, one file per class and tables: the import result lists the classes
            self.options.set_classes(
                rows_from_dataset(ds, data.exclude if data else None), data.exclude if data else None
            )
            self.options.classes_note.setText(
                "Untick a class to leave it out; the import runs again."
                if ds.report.format in FOLDER_FORMATS
                else "Untick a label to leave its rows out; the import runs again."
            )

    def _failed(self, info, data, *, during: str) -> None:
        """A preview or import failed. If an earlier dataset is still shown, the Data field goes back to it
        (one undoable edit), so the form never names a file whose documents are not the ones on screen."""
        self._import_after_preview = False
        opened, self._opening = self._opening == data.path, ""
        failed = Path(data.path).name or data.path
        message = info.message.strip().splitlines()[0] if info.message else "it failed"
        message = message.removeprefix(f"{data.path}: ").removeprefix(f"{Path(data.path)}: ")
        shown = self.state.dataset_source
        if self.state.dataset is not None and shown is not None and shown.path != data.path and opened:

            def back(cfg, shown=shown) -> None:
                cfg.data = copy.deepcopy(shown)

            self._edit(back, f"Back to the dataset {Path(shown.path).name} ({failed} did not open)")
            self.options.load_from(self.state.config)
            self._previewed = shown.path
            self.preview()  # the preview and the class list show the dataset on screen again
            self.view.show_failure(
                f"Could not {during} {failed}: {message}",
                f"Still showing the previous dataset, {shown.path}. Undo (Ctrl+Z) returns to {failed}'s settings.",
            )
        elif self.state.dataset is not None and shown is not None and shown.path != data.path:
            self.view.show_failure(  # e.g. Undo back to a file that does not open: the form names it, so say so
                f"Could not {during} {failed}: {message}",
                f"The documents below are still those of {shown.path}, not of {failed}.",
            )
        elif self.state.dataset is not None:
            self.view.show_failure(
                f"Could not {during} {failed} with these settings: {message}",
                "The documents below are from the last import that worked.",
            )
        else:
            self.view.clear(f"Could not {during} {failed}: {message}")
            self.view.show_failure(
                f"Could not {during} {failed}: {message}", "Fix the settings on the left and Import."
            )
        self.status.setText(f"Could not {during} {failed} (see the message on the right).")
