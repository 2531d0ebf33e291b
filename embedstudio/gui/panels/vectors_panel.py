"""Vectors area: the library of vector files (load in Workers), Explore, Map, Coverage, own vectors, cache.

Threads: loading, coverage and training of vectors run in Workers; their results reach AppState
through queued signals on the GUI thread. Queries and the PCA map are fast enough for the GUI thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from embedstudio.core.config import data_path
from embedstudio.gui import dialogs
from embedstudio.gui.jobs import ErrorInfo, JobRunner, Worker, WorkerPool
from embedstudio.gui.state import AppState, display_name
from embedstudio.gui.widgets.deferred import DeferredWidget
from embedstudio.gui.widgets.train_vectors_dialog import TrainVectorsDialog
from embedstudio.gui.widgets.vector_coverage import CoverageWidget
from embedstudio.gui.widgets.vector_explore import ExploreWidget
from embedstudio.gui.widgets.vector_library import LibraryModel

if TYPE_CHECKING:
    from embedstudio.gui.widgets.vector_map import VectorMap

VECTOR_FILTER = (
    "Vector files (*.txt *.vec *.bin *.w2v *.kv *.model *.wv *.vectors *.gz *.bz2 *.xz *.zip);;All files (*)"
)


def load_vector_file(path: str, *, reporter, cancel, trust_pickle: bool = False):
    """Word vectors from ``path``; a supervised fastText model (a classifier such as lid.176.ftz) is refused
    here: its input vectors were trained for its own labels, so the library marks it failed with the reason."""
    from embedstudio.core.errors import VectorFileError
    from embedstudio.core.supervised_fasttext import is_supervised
    from embedstudio.core.vectors import load_vectors

    real = data_path(path)
    if is_supervised(real):
        raise VectorFileError(
            f"{real.name} is a supervised fastText model (a text classifier), not general word vectors.",
            hint="Its vectors were trained for its own labels, so neighbours are noise and a model built on them "
            f"inherits that task. Use it as a baseline instead (embedstudio evaluate {real.name} DATA), and "
            "remove it from the library.",
        )
    return load_vectors(path, reporter=reporter, cancel=cancel, trust_pickle=trust_pickle)


def is_pickle_file(path: str) -> bool:
    """Whether the vector file at ``path`` is a gensim model (a Python pickle); reads only its head."""
    from embedstudio.core.errors import UserError
    from embedstudio.core.vectors import detect_format

    try:
        return detect_format(data_path(path)) == "gensim"
    except (UserError, OSError):
        return False


def _vector_map() -> VectorMap:
    from embedstudio.gui.widgets.vector_map import VectorMap

    return VectorMap()


class VectorsPanel(QWidget):
    file_opened = Signal(str)  # a file loaded (File > Recent Files lists only those)
    file_failed = Signal(str)  # a file failed to load
    cache_written = Signal(str)  # a file's background cache write finished (emitted on the writer's thread)

    def __init__(self, state: AppState, pool: WorkerPool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state, self.pool = state, pool
        self.opened_paths: list[str] = []  # for File > Recent Files
        self.trusted_pickles: set[str] = set()  # gensim files the user agreed to open this session
        self.train_dialog: TrainVectorsDialog | None = None
        self._build()
        # One load per file, side by side; the error dialog is shown by _load_failed after the row is marked.
        self.load_jobs = JobRunner(
            pool, self, progress=self.progress, cancel_button=self.cancel_button, error_dialog=False
        )
        self.state.vectors_changed.connect(self._on_vectors_changed)
        self.state.config_changed.connect(self.library_model.refresh)
        # Emitted on the cache writer's thread, so Qt queues it to this panel's (the GUI) thread.
        self.cache_written.connect(self._on_cache_written, Qt.ConnectionType.QueuedConnection)
        self._on_vectors_changed()

    @property
    def map(self) -> VectorMap:
        """The Map tab, built now if it was not yet (gui/widgets/deferred.py)."""
        return self.map_tab.widget()

    # ---- layout ------------------------------------------------------------------------
    def _build(self) -> None:
        button = self._button
        self.add_button = button(
            "Add files…", "Add GloVe, word2vec or fastText files to the library (they load at once)"
        )
        self.remove_button = button("Remove", "Remove the selected files from the library (the files stay on disk)")
        self.load_button = button("Load", "Read the selected files into memory (in the background)")
        self.unload_button = button("Unload", "Free the memory of the selected files")
        self.train_button = button("Train your own…", "Train fastText or word2vec vectors on your dataset or a corpus")
        self.clear_cache_button = button("Clear cache", "Delete the binary copies that make loading fast")
        self.cancel_button = button("Cancel", "Stop loading")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar(textVisible=False)
        self.progress.setMaximumWidth(200)
        self.progress.setVisible(False)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self._build_table()
        self._build_tabs()
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self._top_pane())
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([200, 560])
        QVBoxLayout(self).addWidget(splitter)

        self.add_button.clicked.connect(self.open_dialog)
        self.remove_button.clicked.connect(lambda: self.remove(self.selected_paths()))
        self.load_button.clicked.connect(lambda: [self.load(p) for p in self.selected_paths()])
        self.unload_button.clicked.connect(self._unload_selected)
        self.train_button.clicked.connect(self.open_train_dialog)
        self.clear_cache_button.clicked.connect(self.clear_cache)

    @staticmethod
    def _button(text: str, tip: str) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        return button

    def _build_table(self) -> None:
        """The library: one row per vector file, with its state."""
        self.library_model = LibraryModel(self.state, self)
        self.table = QTableView()
        self.table.setModel(self.library_model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._on_selection())
        self.table.setToolTip("Double-click a row to load it; a failed row says why (hover its State)")
        self.table.doubleClicked.connect(lambda idx: self.load(self.library_model.paths()[idx.row()]))

    def _build_tabs(self) -> None:
        self.explore = ExploreWidget()
        self.map_tab = DeferredWidget(_vector_map)  # the Map tab's page; the map is built after the window shows
        self.coverage = CoverageWidget(self.state, self.pool)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.explore, "Explore")
        self.tabs.addTab(self.map_tab, "Map")
        self.tabs.addTab(self.coverage, "Coverage")
        self.tabs.setTabToolTip(0, "Nearest neighbours, analogies, similarity")
        self.tabs.setTabToolTip(1, "2-D PCA projection of words and their neighbours")
        self.tabs.setTabToolTip(2, "How much of the current dataset the vectors cover")

    def _top_pane(self) -> QWidget:
        """The library's buttons, the table and the message line."""
        buttons = QHBoxLayout()
        for w in (
            self.add_button,
            self.remove_button,
            self.load_button,
            self.unload_button,
            self.cancel_button,
            self.progress,
        ):
            buttons.addWidget(w)
        buttons.addStretch(1)
        buttons.addWidget(self.train_button)
        buttons.addWidget(self.clear_cache_button)
        top = QWidget()
        top_lay = QVBoxLayout(top)
        top_lay.setContentsMargins(0, 0, 0, 0)
        top_lay.addLayout(buttons)
        top_lay.addWidget(self.table, 1)
        top_lay.addWidget(self.message)
        return top

    # ---- library -----------------------------------------------------------------------
    def open_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Add vector files", self.state.start_dir("vectors"), VECTOR_FILTER
        )
        if paths:
            self.state.remember_dir("vectors", paths[-1])
            self.add_files(paths)

    def add_files(self, paths, *, load: bool = True) -> None:
        """Add files to the library and (by default) load them in the background."""
        for p in paths:
            path = str(p)
            self.state.add_vectors(path)
            self.opened_paths.append(path)
            self._detect_format(path)
            if load and not self.state.is_loaded(path):
                self.load(path)
        if paths:
            self.select_path(str(paths[-1]))

    def remove(self, paths: list[str]) -> None:
        for path in paths:
            self.load_jobs.forget(path)  # whatever a cancelled load still reports is dropped
            self.state.remove_vectors(path)

    def selected_paths(self) -> list[str]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        paths = self.library_model.paths()
        return [paths[r] for r in rows if r < len(paths)]

    def select_path(self, path: str) -> None:
        if path in self.state.library:
            self.table.selectRow(self.state.library.index(path))

    def current_vectors(self):
        """The loaded vectors of the selected row, else the first loaded file."""
        for path in self.selected_paths():
            if path in self.state.vectors:
                return self.state.vectors[path]
        return next(iter(self.state.vectors.values()), None)

    def _detect_format(self, path: str) -> None:
        from embedstudio.core.errors import UserError
        from embedstudio.core.vectors import detect_format

        try:
            self.library_model.status_of(path).format = detect_format(data_path(path))
        except (UserError, OSError):
            self.library_model.status_of(path).format = "?"

    def _refresh_cache_info(self) -> None:
        from embedstudio.core.vectors.cache import VectorCache

        cache = VectorCache()
        for path in self.state.library:
            entries = cache.entry_info(data_path(path)) if data_path(path).exists() else []
            fresh = [e for e in entries if e["fresh"]]
            st = self.library_model.status_of(path)
            st.cache_bytes = sum(e["size"] for e in entries)
            st.cache_words = fresh[0]["words"] if fresh else None
            st.cache_dim = fresh[0]["dim"] if fresh else None

    def _on_vectors_changed(self) -> None:
        self._refresh_cache_info()
        self.library_model.refresh()
        self._on_selection()

    def _on_selection(self) -> None:
        wv = self.current_vectors()
        self.explore.set_vectors(wv)
        self.map_tab.when_built(lambda m: m.set_vectors(wv), "vectors")
        self.coverage.set_vectors(wv)
        selected = self.selected_paths()
        for w in (self.remove_button, self.load_button, self.unload_button):
            w.setEnabled(bool(selected))
        failed = [p for p in selected if self.library_model.status_of(p).state == "failed"]
        if failed:
            reason = self.library_model.status_of(failed[0]).reason.splitlines()[0]
            self._show_message(f"Failed to load: {reason} Press Remove to drop it.", warning=True)

    # ---- loading -----------------------------------------------------------------------
    def load(self, path: str) -> Worker | None:
        """Load ``path`` in a Worker (added to the library first). Returns the worker, or None if loaded."""
        path = str(path)
        if path not in self.state.library:
            self.state.add_vectors(path)
        if self.state.is_loaded(path):
            return None
        running = self.load_jobs.job(path)
        if running is not None:
            return running
        trust = path in self.trusted_pickles
        if not trust and is_pickle_file(path):
            if not self.confirm_pickle(path):
                self.library_model.status_of(path).state = "not loaded"
                self._show_message(f"{display_name(path)} was not opened: it is a Python pickle.", warning=True)
                self.library_model.row_changed(path)
                return None
            self.trusted_pickles.add(path)
            trust = True
        st = self.library_model.status_of(path)
        st.state, st.percent, st.reason = "loading", None, ""
        worker = self.load_jobs.start(
            load_vector_file,
            path,
            key=path,
            trust_pickle=trust,
            name=f"Loading {display_name(path)}",
            on_progress=lambda d, t, m: self._load_progress(path, d, t),
            on_warning=lambda text: self._show_message(text, warning=True),
            on_result=lambda wv: self._loaded(path, wv),
            on_error=lambda info: self._load_failed(path, info),
            on_cancelled=lambda: self._load_cancelled(path),
            on_done=lambda: self._load_done(path),
        )
        self.library_model.row_changed(path)
        return worker

    def confirm_pickle(self, path: str) -> bool:
        """Ask before opening a gensim model file: it is a pickle that runs code it carries. Default No."""
        from embedstudio.core.vectors.formats import PICKLE_RISK

        answer = QMessageBox.warning(
            self.window(),
            "Open a file that can run code?",
            f"{display_name(path)} is a gensim model file, {PICKLE_RISK}.\n\nOpen it only if you trust where "
            "it came from. The safe route: convert it once on a trusted machine with "
            "'embedstudio vectors convert FILE OUT.bin --trust-pickle' and open OUT.bin.\n\nOpen it anyway?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _unload_selected(self) -> None:
        for path in self.selected_paths():
            self.unload(path)

    def unload(self, path: str) -> None:
        self.state.unload_vectors(path)
        self.library_model.status_of(path).state = "not loaded"
        self.library_model.row_changed(path)

    @property
    def loads(self) -> dict[str, Worker]:
        """The running loads by path."""
        return {str(k): w for k in self.load_jobs.keys() if (w := self.load_jobs.job(k)) is not None}  # noqa: SIM118 - a JobRunner, not a dict

    def cancel_loads(self) -> None:
        self.load_jobs.cancel()

    def _load_progress(self, path: str, done: float, total) -> None:
        st = self.library_model.status_of(path)
        st.percent = int(100 * done / total) if total else None
        self.library_model.row_changed(path)

    def _loaded(self, path: str, wv) -> None:
        if path not in self.state.library:
            return  # removed while loading
        st = self.library_model.status_of(path)
        st.state, st.format = "loaded", wv.format
        self.file_opened.emit(path)
        if not self.state.config.embedding.vectors:
            self.state.select_vectors(path)  # the first loaded file is used for training unless the user picks
        self.state.add_vectors(path, wv)
        write = getattr(wv, "cache_write", None)
        if write is not None:  # a first open: the cache entry is written on a thread after the vectors came
            write.add_done_callback(lambda _write, p=path: self._emit_cache_written(p))
        if wv.info.warnings:
            self._show_message(" ".join(wv.info.warnings[:3]), warning=True)
        else:
            self._show_message(f"Loaded {display_name(path)}: {len(wv):,} words × {wv.dim}.")
        if not self.selected_paths():
            self.select_path(path)

    def _load_failed(self, path: str, info: ErrorInfo) -> None:
        st = self.library_model.status_of(path)
        st.state, st.reason = "failed", info.message.strip()
        self.library_model.row_changed(path)
        self.file_failed.emit(path)
        self._show_message(info.message.splitlines()[0], warning=True)
        dialogs.show_error(self.window(), info, title="Could not load the vector file", help_section="vectors")

    def _load_cancelled(self, path: str) -> None:
        self.library_model.status_of(path).state = "cancelled"
        self._show_message(f"Loading {display_name(path)} was cancelled.")

    def _load_done(self, path: str) -> None:
        self._on_cache_written(path)  # a reopen from the cache, or a write that already finished

    def _emit_cache_written(self, path: str) -> None:
        """On the cache writer's thread: hand the news to the GUI thread (the panel may be gone by then)."""
        try:
            self.cache_written.emit(path)
        except RuntimeError:  # the panel's C++ object was deleted while the write ran
            pass

    def _on_cache_written(self, path: str) -> None:
        self._refresh_cache_info()
        if path in self.state.library:
            self.library_model.row_changed(path)

    def _show_message(self, text: str, *, warning: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #a04000;" if warning else "")

    # ---- own vectors and cache ---------------------------------------------------------
    def open_train_dialog(self) -> TrainVectorsDialog:
        self.train_dialog = TrainVectorsDialog(self.state, self.pool, self)
        self.train_dialog.trained.connect(lambda p: self.add_files([str(p)]))
        self.train_dialog.show()
        return self.train_dialog

    def clear_cache(self, *, confirm: bool = True) -> int:
        from embedstudio.core.vectors.cache import VectorCache

        cache = VectorCache()
        size = cache.size()
        if confirm:
            answer = QMessageBox.question(
                self,
                "Clear vector cache",
                f"Delete the vector cache ({size / 1e6:.1f} MB)? Loaded files stay loaded; the next load of a "
                "large text file will be slower.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return 0
        freed = cache.clear()
        self._show_message(f"Cleared the vector cache ({freed / 1e6:.1f} MB).")
        self._on_vectors_changed()
        return freed
