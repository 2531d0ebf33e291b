"""'Train your own vectors': fastText or word2vec on the current dataset's texts or on a corpus file."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from embedstudio.gui.jobs import JobRunner, WorkerPool
from embedstudio.gui.state import AppState

ALGORITHMS = {"fasttext": "fastText (subwords: vectors for unseen words too)", "word2vec": "word2vec (skip-gram)"}


def default_output_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("embedstudio", appauthor=False)) / "vectors"


def run_training(
    out_path: str,
    texts: list[str] | None,
    corpus_path: str | None,
    algorithm: str,
    dim: int,
    epochs: int,
    min_count: int,
    *,
    reporter,
    cancel,
) -> Path:
    from embedstudio.core.vectors import train_vectors

    return Path(
        train_vectors(
            out_path=out_path,
            texts=texts,
            corpus_path=corpus_path,
            algorithm=algorithm,
            dim=dim,
            epochs=epochs,
            min_count=min_count,
            reporter=reporter,
            cancel=cancel,
        )
    )


class TrainVectorsDialog(QDialog):
    """Emits ``trained(path)`` when a vector file was written."""

    trained = Signal(object)

    def __init__(self, state: AppState, pool: WorkerPool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Train your own vectors")
        self.state = state
        self.result_path: Path | None = None
        self._build_texts_choice()
        self._build_settings()
        self.out_edit = QLineEdit(str(self._default_output()))
        self.out_edit.setToolTip("Where the new vector file is written; it is then added to the library")
        self.out_browse = QPushButton("Browse…")
        self.out_browse.clicked.connect(self._browse_output)
        self.progress = QProgressBar(textVisible=False)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.train_button = QPushButton("Train")
        self.cancel_button = QPushButton("Cancel")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        self.runner = JobRunner(
            pool,
            self,
            progress=self.progress,
            cancel_button=self.cancel_button,
            busy_widgets=[self.train_button, self.close_button],
            status=self.status,
        )
        self.train_button.clicked.connect(self.start)
        self.algorithm.currentIndexChanged.connect(lambda _i: self.out_edit.setText(str(self._default_output())))
        run_row = QHBoxLayout()
        for w in (self.train_button, self.cancel_button, self.progress):
            run_row.addWidget(w)
        lay = QVBoxLayout(self)
        lay.addLayout(self._form())
        lay.addLayout(run_row)
        lay.addWidget(self.status)
        lay.addWidget(buttons)
        self.resize(640, 360)

    def _build_texts_choice(self) -> None:
        """The current dataset's texts (when one is imported) or a corpus file."""
        ds = self.state.dataset
        self.use_dataset = QRadioButton(
            f"Texts of the current dataset ({len(ds.train):,} documents)"
            if ds
            else "Texts of the current dataset (none imported)"
        )
        self.use_dataset.setEnabled(ds is not None)
        self.use_corpus = QRadioButton("A corpus file (plain text, one document per line)")
        group = QButtonGroup(self)
        group.addButton(self.use_dataset)
        group.addButton(self.use_corpus)
        (self.use_dataset if ds is not None else self.use_corpus).setChecked(True)
        self.corpus_edit = QLineEdit()
        self.corpus_browse = QPushButton("Browse…")
        self.corpus_browse.clicked.connect(self._browse_corpus)

    def _build_settings(self) -> None:
        self.algorithm = QComboBox()
        for key, label in ALGORITHMS.items():
            self.algorithm.addItem(label, key)
        self.dim = QSpinBox(minimum=2, maximum=1000, value=100)
        self.dim.setToolTip("Numbers per word: 50–300 is usual; smaller trains faster")
        self.epochs = QSpinBox(minimum=1, maximum=200, value=5)
        self.epochs.setToolTip("Passes over the texts")
        self.min_count = QSpinBox(minimum=1, maximum=1000, value=2)
        self.min_count.setToolTip("Words seen fewer times than this get no vector of their own")

    def _form(self) -> QFormLayout:
        form = QFormLayout()
        form.addRow("Texts", self.use_dataset)
        corpus_row = QHBoxLayout()
        corpus_row.addWidget(self.use_corpus)
        corpus_row.addWidget(self.corpus_edit, 1)
        corpus_row.addWidget(self.corpus_browse)
        form.addRow("", corpus_row)
        form.addRow("Algorithm", self.algorithm)
        form.addRow("Dimensions", self.dim)
        form.addRow("Epochs", self.epochs)
        form.addRow("Minimum count", self.min_count)
        out_row = QHBoxLayout()
        out_row.addWidget(self.out_edit, 1)
        out_row.addWidget(self.out_browse)
        form.addRow("Save as", out_row)
        return form

    def _default_output(self) -> Path:
        algo = self.algorithm.currentData() if hasattr(self, "algorithm") else "fasttext"
        source = Path(self.state.config.data.path).stem.split(":")[-1] if self.state.dataset else "corpus"
        stamp = time.strftime("%Y%m%d-%H%M%S")
        return default_output_dir() / f"{source or 'corpus'}-{algo}-{stamp}.bin"

    def _browse_corpus(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Corpus file", "", "Text files (*.txt *.cor);;All files (*)")
        if path:
            self.corpus_edit.setText(path)
            self.use_corpus.setChecked(True)

    def _browse_output(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save vectors as", self.out_edit.text(), "Vectors (*.bin)")
        if path:
            self.out_edit.setText(path)

    def start(self):
        texts, corpus = None, None
        if self.use_dataset.isChecked() and self.state.dataset is not None:
            texts = list(self.state.dataset.train.texts)
        else:
            corpus = self.corpus_edit.text().strip()
            if not corpus:
                self.status.setText("Choose a corpus file, or import a dataset first.")
                return None
        out = Path(self.out_edit.text().strip())
        out.parent.mkdir(parents=True, exist_ok=True)
        self.status.setText("Training…")
        return self.runner.start(
            run_training,
            str(out),
            texts,
            corpus,
            self.algorithm.currentData(),
            self.dim.value(),
            self.epochs.value(),
            self.min_count.value(),
            name="Training vectors",
            on_result=self._finished,
        )

    def _finished(self, path: Path) -> None:
        self.result_path = path
        self.status.setText(f"Wrote {path}. It was added to the library.")
        self.trained.emit(path)

    def reject(self) -> None:
        if self.runner.is_running():
            self.runner.cancel()  # closing while training: stop the job, the dialog closes when it is done
            self.runner.finished.connect(lambda _w: QDialog.reject(self))
            return
        super().reject()
