"""Model area: preset, embedding use, layer sizes and training settings, bound by name to ``state.config``.

Threads: the form runs on the GUI thread; the live summary builds the Keras model in a Worker
(``model_summary``), started 400 ms after the last edit, and late results of superseded jobs are dropped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox,
                               QHBoxLayout, QHeaderView, QLabel, QPushButton, QScrollArea, QSpinBox, QSplitter,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from embedstudio.core.config import (EMBEDDING_MODES, OOV_POLICIES, OPTIMIZERS, PRESETS, RunConfig, VectorSource,
                                     load_config, save_config)
from embedstudio.core.errors import ConfigError, UserError
from embedstudio.core import presets
from embedstudio.gui import dialogs
from embedstudio.gui.state import AppState
from embedstudio.gui.jobs import ErrorInfo, JobRunner, WorkerPool

SUMMARY_DELAY_MS = 400
CONFIG_FILTER = "Run configuration (*.toml *.json);;All files (*)"

LAYER_FIELDS = ("model.filters", "model.kernel_size", "model.conv_blocks", "model.rnn_units", "model.dense_units")
MODE_LABELS = {"frozen": "frozen (pre-trained, not trained)", "finetune": "fine-tune (pre-trained, trained)",
               "scratch": "from scratch (no vector file)", "two_phase": "two-phase (frozen, then fine-tuned)"}
PRESET_LABELS = {p.name: p.label for p in presets.PRESETS.values()}


# ---- dotted-name access to the RunConfig (the form is bound to fields by name) -----------------
def get_field(cfg: RunConfig, name: str) -> Any:
    obj: Any = cfg
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def set_field(cfg: RunConfig, name: str, value: Any) -> None:
    *path, last = name.split(".")
    obj: Any = cfg
    for part in path:
        obj = getattr(obj, part)
    setattr(obj, last, value)


def validation_error(cfg: RunConfig) -> ConfigError | None:
    """The first problem RunConfig.validate() finds, checked on a copy so the edited config is untouched."""
    try:
        cfg.copy().validate()
    except ConfigError as exc:
        return exc
    return None


def field_of_error(message: str, names: list[str]) -> str | None:
    """The field a ConfigError message names first (messages quote the dotted field name)."""
    hits = [(message.find(n), -len(n), n) for n in names if message.find(n) >= 0]
    return min(hits)[2] if hits else None


# ---- the live summary (worker thread) ------------------------------------------------------------
@dataclass
class SummaryInput:
    """Everything the summary job reads, copied on the GUI thread before the job starts."""

    config: RunConfig
    dataset: Any = None                     # the imported Dataset (read only), if any
    num_classes: int = 2
    vectors: list[Any] = field(default_factory=list)  # WordVectors | None per embedding source
    vocabulary: list[str] | None = None     # a vocabulary computed earlier for the same texts/settings


@dataclass
class ModelSummary:
    rows: list[dict]
    counts: dict[str, int]
    vocab_size: int
    num_classes: int
    vocabulary: list[str] | None
    notes: list[str]
    config: RunConfig | None = None   # what it was built from (the vocabulary cache key)
    dataset: Any = None


def _embedding_inputs(inp: SummaryInput, vocab: list[str] | None, vocab_size: int, notes: list[str]):
    """Embedding matrices and covered masks shaped as training will build them."""
    import numpy as np

    cfg = inp.config
    if cfg.embedding.mode == "scratch":
        return None, None
    needed = max(1, presets.vector_files_needed(cfg.model.preset, cfg.embedding.mode))
    matrices, masks = [], []
    for index in range(needed):
        wv = inp.vectors[index] if index < len(inp.vectors) else None
        if wv is not None and vocab is not None:
            from embedstudio.core.embedding import build_embedding_matrix

            matrix, mask, _ = build_embedding_matrix(vocab, wv, policy=cfg.embedding.oov_policy,
                                                     seed=cfg.training.seed)
        else:
            dim = wv.dim if wv is not None else cfg.embedding.dim
            if wv is None:
                notes.append(f"Vector file {index + 1} is not loaded: its dimension is taken as {dim} "
                             "(embedding.dim). Load it in Vectors for exact counts.")
            matrix, mask = np.zeros((vocab_size, dim), dtype="float32"), np.zeros(vocab_size, dtype=bool)
            if cfg.embedding.mode == "frozen" and cfg.embedding.train_oov_rows:
                notes.append("Which rows are out of vocabulary is known only with a dataset and loaded "
                             "vectors: every row is counted as trainable here.")
        matrices.append(matrix)
        masks.append(mask)
    return matrices, masks


def model_summary(inp: SummaryInput, *, reporter, cancel) -> ModelSummary:
    """Build the model the config describes and count its parameters (runs in a Worker)."""
    from embedstudio.gui.heavy_imports import import_tensorflow

    reporter.progress(0, None, "Building the model")
    import_tensorflow()
    from embedstudio.core.models import build_model, parameter_counts, summary_rows

    cfg, notes = inp.config, []
    vocab, num_classes = inp.vocabulary, inp.num_classes
    if inp.dataset is not None:
        # The vocabulary comes from the training split only, exactly as train() builds it.
        from embedstudio.core.datasets import make_splits

        splits = make_splits(inp.dataset, validation_fraction=cfg.data.validation_fraction,
                             test_fraction=cfg.data.test_fraction, seed=cfg.data.split_seed)
        num_classes = max(2, len(splits.classes))
        if vocab is None:
            from embedstudio.core.text import build_vectorizer, vocabulary

            vocab = vocabulary(build_vectorizer(list(splits.train.texts), cfg.text, cancel=cancel))
    cancel.raise_if_cancelled()
    vocab_size = len(vocab) if vocab is not None else cfg.text.max_tokens
    if vocab is None:
        notes.append(f"No dataset imported: the vocabulary is taken as text.max_tokens = {vocab_size:,} "
                     "and the classes as 2.")
    matrices, masks = _embedding_inputs(inp, vocab, vocab_size, notes)
    cancel.raise_if_cancelled()
    model = build_model(cfg, vocab_size=vocab_size, num_classes=num_classes, embedding_matrices=matrices,
                        covered_masks=masks)
    return ModelSummary(summary_rows(model), parameter_counts(model), vocab_size, num_classes, vocab, notes,
                        config=cfg, dataset=inp.dataset)


# ---- form widgets ------------------------------------------------------------------------------
class FieldRow(QWidget):
    """A form control with its inline error message under it."""

    def __init__(self, control: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.control = control
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setObjectName("fieldError")
        self.error.setStyleSheet("color: #b00020;")
        self.error.setVisible(False)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(control)
        lay.addWidget(self.error)

    def set_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))


def _spin(lo: int, hi: int, step: int = 1) -> QSpinBox:
    w = QSpinBox()
    w.setRange(lo, hi)
    w.setSingleStep(step)
    w.setKeyboardTracking(False)
    w.setAccelerated(True)
    return w


def _dspin(lo: float, hi: float, step: float, decimals: int) -> QDoubleSpinBox:
    w = QDoubleSpinBox()
    w.setRange(lo, hi)
    w.setSingleStep(step)
    w.setDecimals(decimals)
    w.setKeyboardTracking(False)
    return w


def _combo(values: tuple[str, ...], labels: dict[str, str] | None = None) -> QComboBox:
    w = QComboBox()
    for v in values:
        w.addItem((labels or {}).get(v, v), v)
    return w


@dataclass
class Binding:
    """One config field bound to one control: how to read and write the control's value."""

    name: str
    row: FieldRow
    read: Callable[[], Any]
    write: Callable[[Any], None]
    changed: Any  # the control's change signal


def _bind(name: str, control: QWidget) -> Binding:
    row = FieldRow(control)
    if isinstance(control, QComboBox):
        return Binding(name, row, control.currentData,
                       lambda v: control.setCurrentIndex(max(0, control.findData(v))), control.currentIndexChanged)
    if isinstance(control, QCheckBox):
        return Binding(name, row, control.isChecked, lambda v: control.setChecked(bool(v)), control.toggled)
    return Binding(name, row, control.value, control.setValue, control.valueChanged)


# ---- the panel -----------------------------------------------------------------------------------
class ModelPanel(QWidget):
    """The Model area. Public: ``load_config(path)``, ``save_config(path)``, ``refresh_from_config()``,
    ``field_error(name)``, ``summary`` (the last ModelSummary), ``summary_updated`` signal."""

    summary_updated = Signal(object)  # ModelSummary, after it is shown

    def __init__(self, state: AppState, pool: WorkerPool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state, self.pool = state, pool
        self.summary: ModelSummary | None = None
        self._bindings: dict[str, Binding] = {}
        self._updating = False
        self._vocab_cache: dict[tuple, list[str]] = {}
        self._summary_pending = False
        self._build()
        self._summary_timer = QTimer(self, singleShot=True, interval=SUMMARY_DELAY_MS,
                                     timeout=self.compute_summary)
        # Rebuilt after every edit: errors show inline (a dialog per keystroke would be unbearable).
        self.summary_jobs = JobRunner(pool, self, error_dialog=False,
                                      on_busy=lambda: self.summary_status.setText("Building the model…"))
        state.config_changed.connect(self._on_external_change)
        state.vectors_changed.connect(self._on_vectors_changed)
        state.dataset_changed.connect(lambda _ds: self.schedule_summary())
        self.refresh_from_config()

    # ---- construction ----------------------------------------------------------------
    def _build(self) -> None:
        form = QWidget()
        col = QVBoxLayout(form)
        col.addWidget(self._architecture_group())
        col.addWidget(self._embedding_group())
        col.addWidget(self._text_group())
        col.addWidget(self._training_group())
        col.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(form)
        scroll.setMinimumWidth(380)

        self.general_error = QLabel()
        self.general_error.setWordWrap(True)
        self.general_error.setStyleSheet("color: #b00020;")
        self.general_error.setVisible(False)
        self.load_button = QPushButton("Load Config…")
        self.load_button.setToolTip("Replace every setting with a saved TOML or JSON run configuration")
        self.load_button.clicked.connect(self.load_config_dialog)
        self.save_button = QPushButton("Save Config…")
        self.save_button.setToolTip("Write every setting (data, vectors, model, training) to a TOML or JSON file")
        self.save_button.clicked.connect(self.save_config_dialog)
        buttons = QHBoxLayout()
        buttons.addWidget(self.load_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)

        left = QWidget()
        left_lay = QVBoxLayout(left)
        left_lay.setContentsMargins(0, 0, 0, 0)
        left_lay.addLayout(buttons)
        left_lay.addWidget(self.general_error)
        left_lay.addWidget(scroll, 1)

        split = QSplitter(Qt.Horizontal)
        split.addWidget(left)
        split.addWidget(self._summary_box())
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 5)
        split.setSizes([520, 680])
        split.setChildrenCollapsible(False)
        lay = QVBoxLayout(self)
        lay.addWidget(split)

    def _add(self, form: QFormLayout, label: str, name: str, control: QWidget, tip: str) -> Binding:
        b = _bind(name, control)
        control.setToolTip(tip)
        form.addRow(label, b.row)
        self._bindings[name] = b
        b.changed.connect(lambda *_a, n=name: self._on_edit(n))
        return b

    def _architecture_group(self) -> QGroupBox:
        box = QGroupBox("Architecture")
        form = QFormLayout(box)
        self.preset = self._add(form, "Preset", "model.preset", _combo(PRESETS, PRESET_LABELS),
                                "The network that reads the word vectors")
        self.preset_info = QLabel()
        self.preset_info.setWordWrap(True)
        self.preset_info.setStyleSheet("color: palette(mid);")
        form.addRow("", self.preset_info)
        self._add(form, "Filters", "model.filters", _spin(1, 4096, 16), "Convolution filters per block")
        self._add(form, "Kernel size", "model.kernel_size", _spin(1, 64), "Words each convolution filter spans")
        self._add(form, "Conv blocks", "model.conv_blocks", _spin(1, 6),
                  "Convolution + max-pooling blocks stacked on each other")
        self._add(form, "RNN units", "model.rnn_units", _spin(1, 4096, 16),
                  "Units of the recurrent layer (per direction for the BiLSTM)")
        self._add(form, "Dense units", "model.dense_units", _spin(1, 8192, 16),
                  "Width of the hidden dense layer before the output")
        self._add(form, "Dropout", "model.dropout", _dspin(0.0, 1.0, 0.05, 2),
                  "Fraction of units dropped during training (0 to 0.95)")
        return box

    def _embedding_group(self) -> QGroupBox:
        box = QGroupBox("Embedding")
        form = QFormLayout(box)
        self.source_rows = []
        for index in range(2):
            combo = QComboBox()
            combo.setToolTip("A vector file from the Vectors library" +
                             (" (the second file of the two-file preset)" if index else ""))
            combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(18)
            row = FieldRow(combo)
            combo.currentIndexChanged.connect(lambda *_a: self._on_sources_edited())
            form.addRow(f"Vector file {index + 1}" if index else "Vector file", row)
            self.source_rows.append(row)
        self._add(form, "Mode", "embedding.mode", _combo(EMBEDDING_MODES, MODE_LABELS),
                  "Frozen keeps the pre-trained vectors fixed; fine-tune trains them too; scratch learns new "
                  "vectors; two-phase trains frozen first, then unfreezes them at a lower learning rate")
        self._add(form, "", "embedding.train_oov_rows", QCheckBox("Learn vectors for words the file lacks"),
                  "Frozen mode: keep the covered rows fixed but train the rows of out-of-vocabulary words")
        self._add(form, "Unfreeze at epoch", "embedding.unfreeze_epoch", _spin(1, 10_000),
                  "Two-phase: the epoch at which the embedding starts to train")
        self._add(form, "LR factor after unfreezing", "embedding.unfreeze_lr_factor", _dspin(1e-6, 10.0, 0.05, 4),
                  "Two-phase: the learning rate is multiplied by this when the embedding unfreezes")
        self._add(form, "Dimension", "embedding.dim", _spin(1, 4096, 25),
                  "Size of the vectors learned from scratch")
        self._add(form, "Missing words", "embedding.oov_policy", _combo(OOV_POLICIES),
                  "How rows of words without a vector start: zeros, random (scaled like the file), the "
                  "mean vector plus noise, or built from fastText subwords")
        return box

    def _text_group(self) -> QGroupBox:
        box = QGroupBox("Text")
        form = QFormLayout(box)
        self._add(form, "Sequence length", "text.sequence_length", _spin(1, 100_000, 50),
                  "Tokens per text: longer texts are cut, shorter ones padded")
        self._add(form, "Max tokens", "text.max_tokens", _spin(2, 10_000_000, 1000),
                  "Vocabulary size, counting padding and [UNK]; the rarer words become [UNK]")
        return box

    def _training_group(self) -> QGroupBox:
        box = QGroupBox("Training")
        form = QFormLayout(box)
        self._add(form, "Optimiser", "training.optimizer", _combo(OPTIMIZERS), "The gradient-descent variant")
        lr = _dspin(1e-7, 10.0, 1e-4, 6)
        self._add(form, "Learning rate", "training.learning_rate", lr, "Step size of the optimiser")
        self._add(form, "Batch size", "training.batch_size", _spin(1, 65536, 16), "Texts per gradient step")
        self._add(form, "Epochs", "training.epochs", _spin(1, 10_000), "Passes over the training texts")
        self._add(form, "", "training.early_stopping", QCheckBox("Stop early when validation loss stalls"),
                  "Stop and keep the best weights when the validation loss has not improved for 'patience' epochs")
        self._add(form, "Patience", "training.patience", _spin(1, 1000),
                  "Epochs without improvement before stopping early")
        self._add(form, "", "training.class_weights", QCheckBox("Weight classes by inverse frequency"),
                  "Give rare classes more weight in the loss (for imbalanced data)")
        self._add(form, "Seed", "training.seed", _spin(0, 2**31 - 1), "Random seed: the same seed repeats a run")
        return box

    def _summary_box(self) -> QGroupBox:
        box = QGroupBox("Summary")
        lay = QVBoxLayout(box)
        self.summary_table = QTableWidget(0, 5)
        self.summary_table.setHorizontalHeaderLabels(["Layer", "Type", "Output shape", "Parameters", "Trainable"])
        self.summary_table.verticalHeader().setVisible(False)
        self.summary_table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.summary_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.summary_table.horizontalHeader().setStretchLastSection(True)
        self.summary_table.setToolTip("The layers of the model as it will be built, with honest parameter counts")
        self.totals = QLabel("")
        self.totals.setWordWrap(True)
        self.totals.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.summary_notes = QLabel("")
        self.summary_notes.setWordWrap(True)
        self.summary_status = QLabel("")
        self.summary_status.setWordWrap(True)
        self.summary_notes.setStyleSheet("color: #8a5a00;")
        for w in (self.totals, self.summary_notes, self.summary_status):
            lay.addWidget(w)
        lay.addWidget(self.summary_table, 1)
        return box

    # ---- config -> form --------------------------------------------------------------------
    def refresh_from_config(self) -> None:
        """Show ``state.config`` in the form (after a config was loaded or edited elsewhere)."""
        cfg = self.state.config
        self._updating = True
        try:
            for name, b in self._bindings.items():
                b.write(get_field(cfg, name))
            self._fill_sources()
        finally:
            self._updating = False
        self._update_visibility()
        self._show_validation()
        self.schedule_summary()

    def _fill_sources(self) -> None:
        paths = list(self.state.library)
        for src in self.state.config.embedding.vectors:
            if src.path not in paths:
                paths.append(src.path)
        chosen = [v.path for v in self.state.config.embedding.vectors]
        for index, row in enumerate(self.source_rows):
            combo: QComboBox = row.control
            combo.blockSignals(True)
            combo.clear()
            combo.addItem("(none)", "")
            for p in paths:
                combo.addItem(_short_name(p), p)
                combo.setItemData(combo.count() - 1, p, Qt.ToolTipRole)
            combo.setCurrentIndex(max(0, combo.findData(chosen[index])) if index < len(chosen) else 0)
            combo.blockSignals(False)

    def _update_visibility(self) -> None:
        cfg = self.state.config
        used = presets.get(cfg.model.preset).fields if cfg.model.preset in presets.PRESETS else ()
        for name in LAYER_FIELDS:
            self._set_row_visible(self._bindings[name].row, name in used)
        self.preset_info.setText(_preset_text(cfg.model.preset))
        mode = cfg.embedding.mode
        self._set_row_visible(self._bindings["embedding.train_oov_rows"].row, mode == "frozen")
        for name in ("embedding.unfreeze_epoch", "embedding.unfreeze_lr_factor"):
            self._set_row_visible(self._bindings[name].row, mode == "two_phase")
        self._set_row_visible(self._bindings["embedding.dim"].row, mode == "scratch")
        self._set_row_visible(self._bindings["embedding.oov_policy"].row, mode != "scratch")
        self._set_row_visible(self.source_rows[0], mode != "scratch")
        self._set_row_visible(self.source_rows[1], mode != "scratch" and presets.vector_files_needed(cfg.model.preset, mode) > 1)
        self._bindings["training.patience"].row.control.setEnabled(cfg.training.early_stopping)

    @staticmethod
    def _set_row_visible(row: QWidget, visible: bool) -> None:
        row.setVisible(visible)
        form = row.parentWidget().layout() if row.parentWidget() else None
        if isinstance(form, QFormLayout):
            label = form.labelForField(row)
            if label is not None:
                label.setVisible(visible)

    # ---- form -> config --------------------------------------------------------------------
    def _on_edit(self, name: str) -> None:
        if self._updating:
            return
        set_field(self.state.config, name, self._bindings[name].read())
        if name == "model.preset":
            self._write_sources()
        self._after_edit()

    def _on_sources_edited(self) -> None:
        if not self._updating:
            self._write_sources()
            self._after_edit()

    def _write_sources(self) -> None:
        """embedding.vectors from the source pickers: one file, or two for the multi preset."""
        cfg = self.state.config
        count = max(1, presets.vector_files_needed(cfg.model.preset, cfg.embedding.mode))
        old = {v.path: v for v in cfg.embedding.vectors}
        paths = [self.source_rows[i].control.currentData() for i in range(count)]
        if count == 1 and len(cfg.embedding.vectors) > 1 and not paths[0]:
            paths = []
        cfg.embedding.vectors = [old.get(p) or VectorSource(path=p) for p in paths if p]

    def _after_edit(self) -> None:
        self._update_visibility()
        self._show_validation()
        self._updating = True  # our own edit: the form already shows it
        try:
            self.state.notify_config()
        finally:
            self._updating = False
        self.schedule_summary()

    def _on_external_change(self) -> None:
        if not self._updating:
            self.refresh_from_config()

    def _on_vectors_changed(self) -> None:
        self._updating = True
        try:
            self._fill_sources()
        finally:
            self._updating = False
        self._show_validation()
        self.schedule_summary()

    # ---- validation --------------------------------------------------------------------------
    def _error_targets(self) -> dict[str, FieldRow]:
        targets = {name: b.row for name, b in self._bindings.items()}
        targets["embedding.vectors[1]"] = self.source_rows[1]
        targets["embedding.vectors"] = self.source_rows[0]
        return targets

    def _show_validation(self) -> None:
        targets = self._error_targets()
        for row in set(targets.values()):
            row.set_error("")
        self.general_error.setVisible(False)
        err = validation_error(self.state.config)
        if err is None:
            return
        message = str(err)
        name = field_of_error(message, list(targets))
        if name is not None and not targets[name].isHidden():
            targets[name].set_error(message)
        else:
            self.general_error.setText(message)
            self.general_error.setVisible(True)

    def field_error(self, name: str) -> str:
        """The inline message shown next to ``name`` ('' when none); the general one for other fields."""
        targets = self._error_targets()
        if name in targets:
            row = targets[name]
            return row.error.text() if not row.error.isHidden() else ""
        return self.general_error.text() if not self.general_error.isHidden() else ""

    # ---- summary ---------------------------------------------------------------------------
    def schedule_summary(self) -> None:
        """Rebuild the summary 400 ms after the last edit; while the area is hidden, only when it is shown."""
        if self.isVisible():
            self._summary_timer.start()
        else:
            self._summary_pending = True

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._summary_pending:
            self._summary_pending = False
            self._summary_timer.start()

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        if self._summary_timer.isActive():
            self._summary_timer.stop()
            self._summary_pending = True

    def control(self, name: str) -> QWidget:
        """The form control bound to the config field ``name`` (e.g. 'model.dropout')."""
        return self._bindings[name].row.control

    def is_shown(self, name: str) -> bool:
        """Whether the form currently offers the field ``name`` (fields of other presets/modes are hidden)."""
        return not self._bindings[name].row.isHidden()

    def _summary_input(self) -> SummaryInput:
        cfg = self.state.config.copy()
        ds = self.state.dataset
        inp = SummaryInput(config=cfg, vectors=[self.state.vectors.get(v.path) for v in cfg.embedding.vectors])
        if ds is not None:
            inp.dataset = ds
            inp.vocabulary = self._vocab_cache.get(self._vocab_key(ds, cfg))
        return inp

    @staticmethod
    def _vocab_key(ds: Any, cfg: RunConfig) -> tuple:
        """What the training split's vocabulary depends on."""
        return (id(ds), cfg.text.max_tokens, cfg.text.standardize, cfg.data.validation_fraction,
                cfg.data.test_fraction, cfg.training.seed)

    def compute_summary(self) -> None:
        """Start the summary job now (normally 400 ms after the last edit)."""
        self._summary_timer.stop()
        if validation_error(self._summary_check_config()) is not None:
            self.summary_status.setText("Fix the settings marked in red to see the model.")
            self.summary_table.setRowCount(0)  # a summary of other settings would mislead
            self.totals.setText("")
            self.summary_notes.setText("")
            return
        self.summary_jobs.start(model_summary, self._summary_input(), name="Model summary",
                                on_result=self._show_summary, on_error=self._show_summary_error)

    def _summary_check_config(self) -> RunConfig:
        """The config as the summary needs it valid: data paths do not matter for the model's shape."""
        cfg = self.state.config.copy()
        cfg.data.validation_fraction, cfg.data.test_fraction, cfg.data.delimiter = 0.1, 0.2, ""
        cfg.data.max_rows = None
        return cfg

    def _show_summary_error(self, info: ErrorInfo) -> None:
        self.summary_status.setText(f"The model cannot be built: {info.message}")

    def _show_summary(self, s: ModelSummary) -> None:
        if s.dataset is not None and s.vocabulary is not None:
            self._vocab_cache = {self._vocab_key(s.dataset, s.config): s.vocabulary}
        self.summary = s
        t = self.summary_table
        t.setRowCount(len(s.rows))
        for r, row in enumerate(s.rows):
            frozen = row["params"] - row["trainable"]
            values = [row["name"], row["type"], row["output_shape"], f"{row['params']:,}",
                      f"{row['trainable']:,}" + (f"  ({frozen:,} frozen)" if frozen else "")]
            for c, v in enumerate(values):
                item = QTableWidgetItem(v)
                if c >= 3:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                t.setItem(r, c, item)
        c = s.counts
        self.totals.setText(f"<b>Total parameters:</b> {c['total']:,} &nbsp; <b>Trainable:</b> {c['trainable']:,}"
                            f" &nbsp; <b>Non-trainable:</b> {c['non_trainable']:,}<br>"
                            f"Vocabulary {s.vocab_size:,} words, {s.num_classes} classes.")
        self.summary_notes.setText("<br>".join(s.notes))
        self.summary_status.setText("")
        self.summary_updated.emit(s)

    # ---- config files ------------------------------------------------------------------------
    def load_config(self, path: str | os.PathLike) -> bool:
        """Replace ``state.config`` with a TOML/JSON file; errors go to the error dialog."""
        try:
            cfg = load_config(path)
        except UserError as exc:
            dialogs.show_error(self.window(), ErrorInfo(str(exc), "", True))
            return False
        self.state.set_config(cfg)
        return True

    def save_config(self, path: str | os.PathLike) -> bool:
        """Write ``state.config`` (TOML for .toml, JSON otherwise), atomically."""
        try:
            save_config(self.state.config, path)
        except (UserError, OSError) as exc:
            dialogs.show_error(self.window(), ErrorInfo(f"Could not save {path}: {exc}", "", True))
            return False
        return True

    def load_config_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load configuration", str(Path.home()), CONFIG_FILTER)
        if path:
            self.load_config(path)

    def save_config_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save configuration", str(Path.home() / "embedstudio.toml"),
                                              CONFIG_FILTER)
        if path:
            self.save_config(path)


def _short_name(path: str) -> str:
    return path.split(":", 1)[1] if path.startswith("gensim-test-data:") else Path(path).name


def _preset_text(preset: str) -> str:
    return presets.get(preset).description if preset in presets.PRESETS else ""
