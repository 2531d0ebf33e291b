"""The Start page: the three steps of a training (vectors, data, train), each with its state, one big Train
button, and what the demo workspace is for. It reads AppState and the pool only; every button asks the main
window (through a signal) to do what the menus do.

Threads: GUI thread only; it refreshes when the state or the pool's busy state changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from embedstudio.gui.jobs import WorkerPool
from embedstudio.gui.state import AppState, display_name

DONE, BUSY, MISSING = "✓", "…", "✗"  # ✓ done, … in progress, ✗ missing
MARK_COLOURS = {DONE: "#1b7d3a", BUSY: "#8a6d00", MISSING: "#b03a2e"}

DEMO_TEXT = (
    "<b>This is the demo workspace.</b> It shows the whole path from word vectors to a trained text "
    "classifier on data that ships with EmbedStudio: <b>BBC News</b> (about 2,200 articles in 5 topics: business, "
    "entertainment, politics, sport, tech) with <b>GloVe 6B 50d</b> vectors (400,000 words). Press Train to see "
    "a model learn in about a minute, then compare it with the TF-IDF baseline in Runs. Replace the data or "
    "the vectors with your own at any time (steps 1 and 2); File &gt; New Project starts empty."
)


@dataclass
class Step:
    mark: str  # DONE | BUSY | MISSING
    text: str


def vectors_step(state: AppState, pool: WorkerPool) -> Step:
    cfg = state.config
    if cfg.embedding.mode == "scratch":
        return Step(DONE, "Not needed: the model learns its own word vectors from scratch.")
    chosen = [v.path for v in cfg.embedding.vectors]
    if not chosen:
        if state.library:
            return Step(MISSING, "Tick a vector file in the Vectors area to use it for training.")
        return Step(MISSING, "Add a word-vector file (GloVe, word2vec or fastText).")
    missing = [p for p in chosen if not state.is_loaded(p)]
    names = ", ".join(display_name(p) for p in chosen)
    if not missing:
        sizes = ", ".join(f"{len(wv):,} words × {wv.dim}" for wv in state.selected_vectors() if wv is not None)
        return Step(DONE, f"{names} loaded ({sizes}).")
    if any(w.name.startswith("Loading") for w in pool.running()):
        return Step(BUSY, f"Loading {', '.join(display_name(p) for p in missing)}…")
    return Step(MISSING, f"{', '.join(display_name(p) for p in missing)} not loaded: see the Vectors area.")


def missing_steps_hint(vectors: Step, data: Step) -> str:
    """What the Train step waits for, naming each step not done yet: "Complete step 1 (word vectors) first."."""
    steps = (("1", "word vectors", vectors), ("2", "labelled data", data))
    todo = [f"step {n} ({what})" for n, what, step in steps if step.mark != DONE]
    return f"Complete {' and '.join(todo)} first."


def data_step(state: AppState, pool: WorkerPool) -> Step:
    data = state.config.data
    if not data.path:
        return Step(MISSING, "Open a labelled dataset (CSV/TSV, Excel, fastText, one folder per class…).")
    ds = state.dataset_for(data)
    if ds is not None:
        test = f", {len(ds.test):,} test" if ds.test is not None else ""
        return Step(DONE, f"{display_name(data.path)}: {len(ds.train):,} texts{test}, {len(ds.classes)} classes.")
    if any(w.name in ("Importing dataset", "Preview") for w in pool.running()):
        return Step(BUSY, f"Importing {display_name(data.path)}…")
    source = state.dataset_source
    if state.dataset is not None and source is not None and source.path == data.path:
        return Step(MISSING, "The import options changed since the last import: import again (Ctrl+I).")
    return Step(MISSING, f"{display_name(data.path)} is not imported yet: see the Dataset area.")


def describe_recipe(cfg) -> str:
    """ "Automatic (from the data), vectors fine-tune (pre-trained, trained), at most 6 epochs"."""
    from embedstudio.core.config import spec_of
    from embedstudio.core.presets import PRESETS

    preset = PRESETS[cfg.model.preset].label if cfg.model.preset in PRESETS else cfg.model.preset
    mode = (spec_of("embedding.mode").choice_labels or {}).get(cfg.embedding.mode, cfg.embedding.mode)
    return f"{preset}, vectors {mode}, at most {cfg.training.epochs} epoch{'' if cfg.training.epochs == 1 else 's'}"


# (key, label, the area its button asks for, button text, tooltip)
STEP_ROWS = (
    ("vectors", "1. Word vectors", "vectors", "Vectors…", "Add or pick word-vector files in the Vectors area"),
    ("data", "2. Labelled data", "dataset", "Dataset…", "Open and clean a dataset in the Dataset area"),
    ("train", "3. Train", "model", "Model…", "Choose the network and how it uses the vectors"),
)


class StartPage(QWidget):
    """``StartPage(state, pool)``: emits ``requested(name)`` for 'vectors', 'dataset', 'train', 'demo',
    'new', 'open_project', 'model', 'guide'."""

    requested = Signal(str)

    def __init__(self, state: AppState, pool: WorkerPool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state, self.pool = state, pool
        self.demo_name = ""  # the demo workspace's config name (set by the main window)
        self._build()
        for signal in (state.config_changed, state.vectors_changed, state.dataset_changed, pool.busy_changed):
            signal.connect(lambda *_: self.refresh())
        self.refresh()

    def _build(self) -> None:
        title = QLabel("Train a text classifier in three steps")
        font = QFont(title.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        title.setFont(font)
        self.demo_label = QLabel(DEMO_TEXT)
        self.demo_label.setWordWrap(True)
        self.demo_label.setObjectName("demoNote")
        self.demo_label.setStyleSheet(
            "#demoNote { background: palette(alternate-base); border: 1px solid palette(mid); padding: 8px; }"
        )
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        inner = QWidget()
        inner.setMaximumWidth(980)
        lay = QVBoxLayout(inner)
        lay.setSpacing(14)
        lay.addWidget(title)
        lay.addWidget(self.demo_label)
        lay.addLayout(self._steps_grid(font))
        lay.addLayout(self._train_row(font))
        lay.addWidget(line)
        lay.addLayout(self._more_row())
        lay.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        holder = QWidget()
        centre = QHBoxLayout(holder)
        centre.addStretch(1)
        centre.addWidget(inner, 6)
        centre.addStretch(1)
        scroll.setWidget(holder)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    def _steps_grid(self, font: QFont) -> QGridLayout:
        """One row per step of STEP_ROWS: its state mark, name, what it holds, and the button to its area."""
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(12)
        self.marks: dict[str, QLabel] = {}
        self.texts: dict[str, QLabel] = {}
        self.step_buttons: dict[str, QPushButton] = {}
        big = QFont(font)
        big.setPointSizeF(font.pointSizeF() * 0.8)
        for row, (key, label, request, button, tip) in enumerate(STEP_ROWS):
            mark = QLabel()
            mark.setFont(big)
            mark.setFixedWidth(36)
            mark.setAlignment(Qt.AlignmentFlag.AlignCenter)
            name = QLabel(f"<b>{label}</b>")
            text = QLabel()
            text.setWordWrap(True)
            text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
            go = QPushButton(button)
            go.setToolTip(tip)
            go.clicked.connect(lambda checked=False, r=request: self.requested.emit(r))
            grid.addWidget(mark, row, 0)
            grid.addWidget(name, row, 1)
            grid.addWidget(text, row, 2)
            grid.addWidget(go, row, 3)
            self.marks[key], self.texts[key], self.step_buttons[key] = mark, text, go
        grid.setColumnStretch(2, 1)
        return grid

    def _train_row(self, font: QFont) -> QHBoxLayout:
        """The big Train button and the hint that says what is still missing."""
        self.train_button = QPushButton("Train")
        self.train_button.setObjectName("bigTrain")
        tf = QFont(font)
        tf.setPointSizeF(font.pointSizeF() * 0.9)
        self.train_button.setFont(tf)
        self.train_button.setMinimumSize(220, 52)
        self.train_button.setToolTip("Train a model with the current settings (Ctrl+R)")
        self.train_button.clicked.connect(lambda: self.requested.emit("train"))
        self.train_hint = QLabel()
        self.train_hint.setWordWrap(True)
        train_row = QHBoxLayout()
        train_row.addWidget(self.train_button)
        train_row.addWidget(self.train_hint, 1)
        return train_row

    def _more_row(self) -> QHBoxLayout:
        """New Project, Open Project…, the demo workspace and the guide."""
        self.demo_button = QPushButton("Open the Demo Workspace")
        self.demo_button.setToolTip("BBC News + GloVe 6B 50d, shipped with EmbedStudio")
        self.demo_button.clicked.connect(lambda: self.requested.emit("demo"))
        new = QPushButton("New Project")
        new.clicked.connect(lambda: self.requested.emit("new"))
        open_project = QPushButton("Open Project…")
        open_project.clicked.connect(lambda: self.requested.emit("open_project"))
        guide = QPushButton("User Guide (F1)")
        guide.clicked.connect(lambda: self.requested.emit("guide"))
        more = QHBoxLayout()
        for b in (new, open_project, self.demo_button, guide):
            more.addWidget(b)
        more.addStretch(1)
        return more

    # ---- state -------------------------------------------------------------------------
    def steps(self) -> dict[str, Step]:
        vectors, data = vectors_step(self.state, self.pool), data_step(self.state, self.pool)
        training = any(w.name.startswith("Training") for w in self.pool.running())
        if training:
            train = Step(BUSY, "Training is running: watch it in the Training area.")
        elif vectors.mark == DONE and data.mark == DONE:
            train = Step(DONE, f"Ready: {describe_recipe(self.state.config)}.")
        else:
            train = Step(MISSING, missing_steps_hint(vectors, data))
        return {"vectors": vectors, "data": data, "train": train}

    def refresh(self) -> None:
        steps = self.steps()
        for key, step in steps.items():
            self.marks[key].setText(step.mark)
            self.marks[key].setStyleSheet(f"color: {MARK_COLOURS[step.mark]};")
            self.marks[key].setToolTip({DONE: "done", BUSY: "in progress", MISSING: "missing"}[step.mark])
            self.texts[key].setText(step.text)
        ready = steps["train"].mark == DONE
        self.train_button.setEnabled(ready)
        self.train_hint.setText(
            steps["train"].text
            if not ready
            else "Trains with the settings of the Model area; the run is saved in the Runs area."
        )
        is_demo = bool(self.demo_name) and self.state.config.name == self.demo_name
        self.demo_label.setVisible(is_demo)
        self.demo_button.setVisible(not is_demo)
