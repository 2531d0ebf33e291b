"""Model area: a form built from the config's field specs (gui/widgets/config_form.py), the vector-file
pickers, and the live summary that core ``model_inputs.summarize`` computes (layers, parameter counts, the
two-phase schedule, and the advice training would give, each mention a link to its control).

Threads: the form runs on the GUI thread; ``summarize`` runs in a Worker 400 ms after the last edit, and
JobRunner drops the results of superseded jobs. Every edit goes through ``AppState.set_field``/``edit_config``,
so it is undoable.
"""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QLabel,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from embedstudio.core import presets
from embedstudio.core.config import RunConfig, VectorSource
from embedstudio.core.errors import ConfigError
from embedstudio.core.jobs import CancelToken, Reporter
from embedstudio.core.model_inputs import Summary
from embedstudio.gui.jobs import JobRunner, WorkerPool
from embedstudio.gui.state import AppState
from embedstudio.gui.widgets.config_files import ConfigFileButtons
from embedstudio.gui.widgets.config_form import ConfigForm, FieldRow, set_value
from embedstudio.gui.widgets.summary_view import SummaryView
from embedstudio.gui.widgets.vector_pickers import VectorPickers

SUMMARY_DELAY_MS = 400
MODEL_SECTIONS = ("text", "embedding", "model", "training")  # what the model's shape depends on

# (title, the field paths it shows, in order)
GROUPS = (
    (
        "Architecture",
        "model.preset model.filters model.kernel_size model.conv_blocks model.rnn_units model.dense_units",
    ),
    ("Architecture", "model.dropout"),
    ("Embedding", "embedding.mode embedding.train_oov_rows embedding.unfreeze_epoch embedding.unfreeze_lr_factor"),
    ("Embedding", "embedding.dim embedding.oov_policy"),
    ("Text", "text.standardize text.sequence_length text.max_tokens"),
    ("Training", "training.optimizer training.learning_rate training.batch_size training.epochs"),
    ("Training", "training.early_stopping training.patience training.class_weights training.seed"),
)


def validation_error(cfg: RunConfig, sections: tuple[str, ...] | None = None) -> ConfigError | None:
    """The first problem ``validate`` finds (of ``sections``), or None; the config is not changed."""
    try:
        cfg.validate(sections=sections)
    except ConfigError as exc:
        return exc
    return None


def summarize_job(
    cfg: RunConfig, dataset: Any, vectors: list[Any], *, reporter: Reporter, cancel: CancelToken
) -> Summary:
    """Core ``summarize`` in a Worker, TensorFlow imported there without stalling the GUI thread."""
    from embedstudio.core.model_inputs import summarize
    from embedstudio.gui.heavy_imports import import_tensorflow

    reporter.progress(0, None, "Building the model")
    import_tensorflow()
    return summarize(cfg, dataset, vectors, cancel)


class ModelPanel(QWidget):
    """The Model area. Public: ``load_config(path)``, ``save_config(path)``, ``refresh_from_config()``,
    ``control(name)``, ``is_shown(name)``, ``field_error(name)``, ``jump_to(name)``, ``summary`` (the last
    core Summary), ``summary_updated`` signal."""

    summary_updated = Signal(object)  # model_inputs.Summary, after it is shown

    def __init__(self, state: AppState, pool: WorkerPool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state, self.pool = state, pool
        self.summary: Summary | None = None
        self.form = ConfigForm(self)
        self._summary_pending = False
        self._build()
        self._summary_timer = QTimer(self, singleShot=True, interval=SUMMARY_DELAY_MS)
        self._summary_timer.timeout.connect(self.compute_summary)
        # Rebuilt after every edit: errors show inline (a dialog per keystroke would be unbearable).
        self.summary_jobs = JobRunner(
            pool, self, error_dialog=False, on_busy=lambda: self.summary_status.setText("Building the model…")
        )
        self.form.edited.connect(self._on_form_edit)
        state.config_changed.connect(self.refresh_from_config)
        state.vectors_changed.connect(self._on_vectors_changed)
        state.dataset_changed.connect(lambda _ds: self.schedule_summary())
        self.refresh_from_config()

    # ---- construction ----------------------------------------------------------------
    def _build(self) -> None:
        self.scroll_area = QScrollArea(widgetResizable=True)
        self.scroll_area.setWidget(self._form_page())
        self.scroll_area.setMinimumWidth(380)
        self.general_error = QLabel(wordWrap=True)
        self.general_error.setVisible(False)
        self.general_error.setStyleSheet("color: #b00020;")
        self.config_files = ConfigFileButtons(self.state)
        left = QWidget()
        left_lay = QVBoxLayout(left)
        left_lay.setContentsMargins(0, 0, 0, 0)
        left_lay.addWidget(self.config_files)
        left_lay.addWidget(self.general_error)
        left_lay.addWidget(self.scroll_area, 1)
        split = QSplitter(Qt.Orientation.Horizontal, childrenCollapsible=False)
        split.addWidget(left)
        self.summary_view = SummaryView()
        self.summary_view.link_activated.connect(self.jump_to)
        self.summary_table, self.totals = self.summary_view.table, self.summary_view.totals
        self.summary_status = self.summary_view.status
        split.addWidget(self.summary_view)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 5)
        split.setSizes([520, 680])
        QVBoxLayout(self).addWidget(split)

    def _form_page(self) -> QWidget:
        """The grouped form: one box per GROUPS title, the preset's description and the vector pickers."""
        page = QWidget()
        col = QVBoxLayout(page)
        forms: dict[str, QFormLayout] = {}
        for title, paths in GROUPS:  # a title listed twice continues its box (keeps the lines short)
            if title not in forms:
                box = QGroupBox(title)
                forms[title] = QFormLayout(box)
                col.addWidget(box)
            self.form.add_all(forms[title], paths.split())
        self.preset_info = QLabel(wordWrap=True)
        self.preset_info.setStyleSheet("color: palette(mid);")
        forms["Architecture"].insertRow(1, "", self.preset_info)
        self.pickers = VectorPickers(forms["Embedding"], 1, self)
        self.source_rows = self.pickers.rows
        self.pickers.edited.connect(self._on_sources_edited)
        col.addStretch(1)
        return page

    # ---- config -> form --------------------------------------------------------------------
    def refresh_from_config(self) -> None:
        """Show ``state.config`` in the form (after any edit, undo, or an opened configuration)."""
        self.form.load(self.state.config)
        self.pickers.fill(list(self.state.library), self.state.config)
        self._update_visibility()
        self._show_validation()
        self.schedule_summary()

    def _update_visibility(self) -> None:
        cfg = self.state.config
        self.form.update_visibility(cfg)
        self.preset_info.setText(
            presets.get(cfg.model.preset).description if cfg.model.preset in presets.PRESETS else ""
        )
        self.pickers.update_visibility(cfg)
        self.control("training.patience").setEnabled(cfg.training.early_stopping)

    # ---- form -> config --------------------------------------------------------------------
    def _on_form_edit(self, path: str, value: Any) -> None:
        if path not in ("model.preset", "embedding.mode"):
            self.state.set_field(path, value)
            return

        def change(cfg: RunConfig) -> None:  # one undo step: the choice and the vector files it needs
            set_value(cfg, path, value)
            count = max(1, presets.vector_files_needed(cfg.model.preset, cfg.embedding.mode))
            del cfg.embedding.vectors[count:]

        self.state.edit_config(change)

    def _on_sources_edited(self, chosen: list[str]) -> None:
        """embedding.vectors from the pickers: one file, or as many as the preset needs."""

        def change(cfg: RunConfig) -> None:
            count = max(1, presets.vector_files_needed(cfg.model.preset, cfg.embedding.mode))
            old = {v.path: v for v in cfg.embedding.vectors}
            cfg.embedding.vectors = [old.get(p) or VectorSource(path=p) for p in chosen[:count] if p]

        self.state.edit_config(change, "Change the vector files")

    def _on_vectors_changed(self) -> None:
        self.pickers.fill(list(self.state.library), self.state.config)
        self._show_validation()
        self.schedule_summary()

    # ---- validation: the error's field names the control -------------------------------------
    def _row_of(self, field: str | None) -> FieldRow | None:
        if field is None:
            return None
        if field.startswith("embedding.vectors"):
            return self.pickers.row_for(field)
        return self.form.rows.get(field)

    def _show_validation(self) -> None:
        self.form.clear_errors()
        for source in self.source_rows:
            source.set_error("")
        self.general_error.setVisible(False)
        err = validation_error(self.state.config, MODEL_SECTIONS)
        if err is None:
            return
        row = self._row_of(err.field)
        if row is not None and not row.isHidden():
            row.set_error(str(err))
        else:
            self.general_error.setText(str(err))
            self.general_error.setVisible(True)

    def field_error(self, name: str) -> str:
        """The inline message shown next to ``name`` ('' when none); the general one for other fields."""
        row = self._row_of(name)
        if row is not None:
            return row.error.text() if not row.error.isHidden() else ""
        return self.general_error.text() if not self.general_error.isHidden() else ""

    def control(self, name: str) -> QWidget:
        """The form control bound to the config field ``name`` (e.g. 'model.dropout')."""
        return self.form.fields[name].control

    def is_shown(self, name: str) -> bool:
        """Whether the form currently offers the field ``name`` (fields of other presets/modes are hidden)."""
        return self.form.is_shown(name)

    def jump_to(self, name: str) -> bool:
        """An advice link: scroll to the control of ``name``, focus it and highlight it for a moment."""
        return self.form.jump_to(name, self.scroll_area)

    # ---- summary ---------------------------------------------------------------------------
    def schedule_summary(self) -> None:
        """Rebuild the summary 400 ms after the last edit; while the area is hidden, only when it is shown."""
        if self.isVisible():
            self._summary_timer.start()
        else:
            self._summary_pending = True

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._summary_pending:
            self._summary_pending = False
            self._summary_timer.start()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802
        super().hideEvent(event)
        if self._summary_timer.isActive():
            self._summary_timer.stop()
            self._summary_pending = True

    def compute_summary(self) -> None:
        """Start the summary job now (normally 400 ms after the last edit)."""
        self._summary_timer.stop()
        if validation_error(self.state.config, MODEL_SECTIONS) is not None:
            # A summary of other settings would mislead.
            self.summary_view.clear("Fix the settings marked in red to see the model.")
            return
        cfg = self.state.config.copy()  # the worker reads a copy; the dataset and vectors are read-only
        vectors = [self.state.vectors.get(v.path) for v in cfg.embedding.vectors]
        self.summary_jobs.start(
            summarize_job,
            cfg,
            self.state.dataset,
            vectors,
            name="Model summary",
            on_result=self._show_summary,
            on_error=lambda info: self.summary_status.setText(f"The model cannot be built: {info.message}"),
        )

    def _show_summary(self, s: Summary) -> None:
        self.summary = s
        self.summary_view.show_summary(s)
        self.summary_updated.emit(s)

    # ---- config files (gui/widgets/config_files.py) -------------------------------------------
    def load_config(self, path: str | os.PathLike) -> bool:
        return self.config_files.load(path)

    def save_config(self, path: str | os.PathLike) -> bool:
        return self.config_files.save(path)
