"""Dataset area: choose a source, pick columns from a preview, set cleaning and splits, import in a Worker.

Threads: the preview and the import run in Workers (JobRunner); results reach AppState through
queued signals on the GUI thread. The panel only edits ``state.config.data`` and calls the core.
"""

from __future__ import annotations

from pathlib import Path

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

from embedstudio.gui.jobs import JobRunner, Worker, WorkerPool
from embedstudio.gui.state import AppState
from embedstudio.gui.widgets.dataset_options import DatasetOptions
from embedstudio.gui.widgets.dataset_view import DatasetView, ImportResult, import_with_stats

DATA_FILTER = (
    "Datasets (*.csv *.tsv *.tab *.jsonl *.ndjson *.txt *.train *.test *.cor *.ft *.tar.gz *.tgz "
    "*.tar.bz2 *.tar.xz *.tar *.zip);;All files (*)"
)


def preview_source(path: str, delimiter: str, has_header, encoding: str, *, reporter, cancel):
    from embedstudio.core.datasets import preview_table

    reporter.progress(0, None, "reading the first rows")
    return preview_table(path, delimiter=delimiter, has_header=has_header, encoding=encoding, n=50)


class DatasetPanel(QWidget):
    def __init__(self, state: AppState, pool: WorkerPool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state, self.pool = state, pool
        self.opened_paths: list[str] = []  # for File > Recent Files
        self.result: ImportResult | None = None
        self._import_after_preview = False
        self._writing = False  # our own config edits must not reload the form
        self._previewed: str | None = None
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
        self.progress = QProgressBar(textVisible=False, maximumWidth=180)
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

        scroll = QScrollArea()
        scroll.setWidget(self.options)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.NoFrame)
        left = QWidget()
        left_lay = QVBoxLayout(left)
        left_lay.setContentsMargins(0, 0, 0, 0)
        left_lay.addWidget(scroll, 1)
        row = QHBoxLayout()
        for w in (self.import_button, self.cancel_button, self.progress):
            row.addWidget(w)
        row.addStretch(1)
        left_lay.addLayout(row)
        left_lay.addWidget(self.status)
        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.view)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([470, 800])
        QVBoxLayout(self).addWidget(splitter)

        self.import_button.clicked.connect(self.import_dataset)
        self.options.changed.connect(self._options_changed)
        self.options.browse_file.connect(self.open_dialog)
        self.options.browse_folder.connect(self.open_folder_dialog)
        self.options.browse_test.connect(self._browse_test)
        self.options.path_entered.connect(self._path_typed)

    # ---- config binding ----------------------------------------------------------------
    def refresh_from_config(self) -> None:
        """Show ``state.config.data`` (after a config was opened); previews the source if there is one."""
        self.options.load_from(self.state.config)
        if self.state.config.data.path:
            self.preview()

    def _on_config_changed(self) -> None:
        """Another area (Model, Runs' re-run, File > Open Config) changed the config: show it."""
        if self._writing:
            return
        self.options.load_from(self.state.config)
        if self.state.config.data.path and self.state.config.data.path != self._previewed:
            self.preview()

    def _edit(self, change, text: str = "") -> bool:
        """Apply ``change`` to the config as one undoable edit (the form already shows it)."""
        self._writing = True
        try:
            return self.state.edit_config(change, text)
        finally:
            self._writing = False

    def _options_changed(self) -> None:
        before = (self.state.config.data.delimiter, self.state.config.data.has_header, self.state.config.data.encoding)
        self._edit(self.options.write_to)
        after = (self.state.config.data.delimiter, self.state.config.data.has_header, self.state.config.data.encoding)
        if before != after:
            self.preview()

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
            d.delimiter, d.has_header = "", None

        self.opened_paths.append(str(path))
        self.options.columns = []
        self.options.detected_mail = None  # a new source: what auto cleaning does is not known yet
        self._edit(change, f"Use the dataset {Path(str(path)).name}")
        self.options.load_from(self.state.config)
        self._import_after_preview = auto_import
        return self.preview()

    def preview(self) -> Worker | None:
        d = self.state.config.data
        if not d.path:
            return None
        self._previewed = d.path
        return self.preview_runner.start(
            preview_source,
            d.path,
            d.delimiter,
            d.has_header,
            d.encoding,
            name="Preview",
            on_result=self._show_preview,
            on_error=lambda _info: setattr(self, "_import_after_preview", False),
        )

    def _show_preview(self, preview) -> None:
        d = self.state.config.data
        self.options.show_preview(preview.columns, preview.rows, preview.format)
        if preview.format in ("csv", "tsv", "jsonl"):
            text = d.text_column or preview.suggested_text_column
            label = d.label_column or preview.suggested_label_column
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
        )

    def _imported(self, result: ImportResult, data=None) -> None:
        self.result = result
        self.view.show_result(result)
        ds = result.dataset
        self.status.setText(f"Imported {len(ds.train):,} documents in {len(ds.classes)} classes.")
        self.state.set_dataset(ds, data)
        self.options.set_detected_mail(result.dataset.report.looks_like_mail)
