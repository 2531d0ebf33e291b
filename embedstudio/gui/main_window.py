"""The main window: five areas as tabs, menus, drag-and-drop routing, status bar, preferences.

Threads: only the GUI thread runs this module. Long jobs go through the panels' workers; the
TensorFlow warm-up is a Worker started after the window is shown.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

import shiboken6
from PySide6.QtCore import QSettings, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence, QUndoGroup
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFileDialog,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QProgressDialog,
    QTabWidget,
    QTextEdit,
    QWidget,
)

from embedstudio.core.config import RunConfig, load_config, save_config
from embedstudio.core.errors import UserError
from embedstudio.core.jobs import CancelToken, Reporter
from embedstudio.gui import dialogs
from embedstudio.gui.drop_routing import route_paths
from embedstudio.gui.jobs import ErrorInfo, Worker, WorkerPool
from embedstudio.gui.panels.dataset_panel import DatasetPanel
from embedstudio.gui.panels.model_panel import ModelPanel
from embedstudio.gui.panels.runs_panel import RunsPanel
from embedstudio.gui.panels.training_panel import TrainingPanel
from embedstudio.gui.panels.vectors_panel import VectorsPanel
from embedstudio.gui.preferences import Preferences, save_preferences, workspace_path
from embedstudio.gui.session import load_session, release_session_lock, take_session_lock
from embedstudio.gui.state import AppState
from embedstudio.gui.widgets.job_status import JobStatus

log = logging.getLogger(__name__)

AREAS = ("Vectors", "Dataset", "Model", "Training", "Runs")
CONFIG_FILTER = "Run configuration (*.toml *.json);;All files (*)"
AUTOSAVE_MS = 1500  # the session's settings are written this long after the last edit (crash recovery)


def settings() -> QSettings:
    """Window geometry only; everything else lives in the JSON preferences."""
    return QSettings(QSettings.IniFormat, QSettings.UserScope, "EmbedStudio", "EmbedStudio")


def warm_up_tensorflow(*, reporter: Reporter, cancel: CancelToken) -> str:
    """Import TensorFlow/Keras once in the background so the first Train click does not wait ~2 s."""
    from embedstudio.gui.heavy_imports import import_tensorflow

    reporter.progress(0, None, "loading TensorFlow")
    import_tensorflow()
    import tensorflow as tf

    return tf.__version__


class MainWindow(QMainWindow):
    """``MainWindow(prefs=None)``: builds the state, the pool and the panels."""

    prefs_warning = Signal(str)

    def __init__(
        self,
        state: AppState | None = None,
        prefs: Preferences | None = None,
        prefs_warning: str | None = None,
        *,
        save_prefs: bool = True,
        warm_up: bool = True,
    ) -> None:
        super().__init__()
        self.setWindowTitle("EmbedStudio")
        self.setObjectName("mainWindow")
        self.state = state or AppState(parent=self)
        self.pool = WorkerPool(self)
        self.prefs = prefs or Preferences()
        self._save_prefs = save_prefs
        self._warm_up = warm_up
        self._closing = False
        self._config_path: Path | None = None
        self.warmup_worker: Worker | None = None
        self.hard_exit: Callable[[int], object] = os._exit  # "Quit Now": leave without waiting for training
        self.stop_progress: QProgressDialog | None = None
        self._autosave = QTimer(self, singleShot=True, interval=AUTOSAVE_MS, timeout=self._write_workspace)
        self._build_areas()
        self._build_status_bar()
        self._build_menus()
        self.setAcceptDrops(True)
        self._apply_preferences()
        self.state.config_changed.connect(self._update_title)
        self.state.undo.cleanChanged.connect(self._update_title)
        self.state.undo.indexChanged.connect(self._autosave.start)
        self._update_title()
        self._restore_geometry()
        lock = take_session_lock(save_prefs)
        if lock == "other":
            self.status_message(
                "Another EmbedStudio window uses the same profile: settings saved by the one that quits last win.",
                warning=True,
            )
        elif lock == "crashed":
            self.status_message(
                "EmbedStudio did not close properly last time; the settings it autosaved were "
                "restored (Edit > Undo is empty; File > Open Config… to start from a file).",
                warning=True,
            )
        if prefs_warning:
            self.status_message(prefs_warning, warning=True)

    # ---- construction ----------------------------------------------------------------
    def _build_areas(self) -> None:
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.vectors_panel = VectorsPanel(self.state, self.pool)
        self.dataset_panel = DatasetPanel(self.state, self.pool)
        self.model_panel = ModelPanel(self.state, self.pool)
        self.training_panel = TrainingPanel(self.state, self.pool)
        self.runs_panel = RunsPanel(self.state, self.pool)
        self.runs_panel.rerun_requested.connect(self.rerun)
        self.panels: dict[str, QWidget] = {
            "Vectors": self.vectors_panel,
            "Dataset": self.dataset_panel,
            "Model": self.model_panel,
            "Training": self.training_panel,
            "Runs": self.runs_panel,
        }
        tips = {
            "Vectors": "Word-vector files: load, explore, check coverage, train your own",
            "Dataset": "Import labelled texts, clean them and choose the splits",
            "Model": "Choose the network and how it uses the vectors",
            "Training": "Train, watch the curves, stop at any time",
            "Runs": "Every training run: metrics, reports, comparison",
        }
        for area in AREAS:
            i = self.tabs.addTab(self.panels[area], area)
            self.tabs.setTabToolTip(i, tips[area])
        self.setCentralWidget(self.tabs)

    def _build_status_bar(self) -> None:
        self.job_status = JobStatus(self.pool)
        self.statusBar().addPermanentWidget(self.job_status)

    def _action(
        self,
        menu: QMenu,
        text: str,
        slot: Callable[[], object],
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        tip: str = "",
    ) -> QAction:
        act = QAction(text, self)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        if tip:
            act.setStatusTip(tip)
            act.setToolTip(tip)
        act.triggered.connect(lambda checked=False: slot())
        menu.addAction(act)
        return act

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.act_open_vectors = self._action(
            file_menu,
            "Open &Vectors…",
            self.vectors_panel.open_dialog,
            QKeySequence.Open,
            "Add word-vector files to the library and load them",
        )
        self.act_open_dataset = self._action(
            file_menu,
            "Open &Dataset…",
            self.dataset_panel.open_dialog,
            "Ctrl+Shift+O",
            "Import a dataset file or archive",
        )
        self._action(
            file_menu,
            "Open Dataset &Folder…",
            self.dataset_panel.open_folder_dialog,
            None,
            "Import a folder with one subfolder per class (or train/ and test/ folders)",
        )
        file_menu.addSeparator()
        self._action(
            file_menu, "Open &Config…", self.open_config_dialog, "Ctrl+Alt+O", "Open a run configuration (TOML or JSON)"
        )
        self._action(file_menu, "&Save Config", self.save_config, QKeySequence.Save, "Save the current configuration")
        self._action(
            file_menu,
            "Save Config &As…",
            self.save_config_as,
            QKeySequence.SaveAs,
            "Save the current configuration to a new file",
        )
        self.recent_menu = file_menu.addMenu("&Recent Files")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._action(
            file_menu,
            "Open Demo &Workspace",
            self.open_demo_workspace,
            None,
            "Small movie-review dataset and fastText vectors that ship with the app",
        )
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.Quit, "Quit EmbedStudio")

        edit_menu = bar.addMenu("&Edit")
        # Undo acts on the configuration's edits, and in the Runs area on its renames and trash moves.
        self.undo_group = QUndoGroup(self)
        for stack in (self.state.undo, self.runs_panel.undo):
            self.undo_group.addStack(stack)
        self.undo_group.setActiveStack(self.state.undo)
        self.tabs.currentChanged.connect(self._follow_area_undo)
        self.act_undo = self.undo_group.createUndoAction(self, "&Undo")
        self.act_undo.setShortcut(QKeySequence.StandardKey.Undo)
        self.act_redo = self.undo_group.createRedoAction(self, "&Redo")
        self.act_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence.StandardKey.Redo])
        edit_menu.addAction(self.act_undo)
        edit_menu.addAction(self.act_redo)
        edit_menu.addSeparator()
        self._action(edit_menu, "&Copy", self._copy_focused, QKeySequence.Copy, "Copy the selected cells")
        self._action(edit_menu, "Select &All", self._select_all_focused, QKeySequence.SelectAll)
        edit_menu.addSeparator()
        self._action(edit_menu, "Runs &Folder…", self.choose_runs_dir, None, "Where training runs are saved")
        self._action(
            edit_menu,
            "Clear Vector &Cache…",
            self.vectors_panel.clear_cache,
            None,
            "Delete the fast binary copies of loaded vector files",
        )

        view_menu = bar.addMenu("&View")
        for i, area in enumerate(AREAS):
            self._action(view_menu, f"&{area}", lambda a=area: self.show_area(a), f"Ctrl+{i + 1}")

        run_menu = bar.addMenu("&Run")
        self.act_train = self._action(
            run_menu, "&Train", self.train, "Ctrl+R", "Train a model with the current settings"
        )
        self.act_stop = self._action(run_menu, "&Stop", self.stop, "Ctrl+.", "Stop training after the current batch")
        run_menu.addSeparator()
        self._action(
            run_menu,
            "&Import Dataset",
            self.dataset_panel.import_dataset,
            "Ctrl+I",
            "Import the dataset with the current settings",
        )

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&About EmbedStudio", lambda: dialogs.about_box(self), None)
        self._action(help_menu, "About &Qt", lambda: QMessageBox.aboutQt(self), None)

    # ---- preferences and geometry ------------------------------------------------------
    def _apply_preferences(self) -> None:
        p = self.prefs
        if p.runs_dir:
            self.state.set_runs_dir(p.runs_dir)
        file_cfg: RunConfig | None = None
        if p.last_config and Path(p.last_config).is_file():
            try:
                file_cfg = load_config(p.last_config)
                self._config_path = Path(p.last_config)
                self.state.set_config(file_cfg)
            except UserError as exc:
                self.status_message(f"Could not reopen the last configuration: {exc}", warning=True)
        if p.demo_offered and workspace_path().is_file():
            # The last session's settings come back exactly, edits made after the last save included.
            try:
                session = load_session(workspace_path())
                if file_cfg is None or session.to_dict() != file_cfg.to_dict():
                    self.state.set_config(session, modified=file_cfg is not None)
            except UserError as exc:
                self.status_message(f"Could not restore the last session's settings: {exc}", warning=True)
        for path in p.library:
            if path not in self.state.library:
                self.state.add_vectors(path)
        if p.last_dataset and not self.state.config.data.path:
            self.state.config.data.path = p.last_dataset
            self.state.notify_config()
        if p.last_area in AREAS:
            self.show_area(p.last_area)

    def collect_preferences(self) -> Preferences:
        p = self.prefs
        p.library = list(self.state.library)
        p.last_dataset = self.state.config.data.path
        p.runs_dir = str(self.state.runs_dir) if self.state.custom_runs_dir else p.runs_dir
        p.last_config = str(self._config_path) if self._config_path else p.last_config
        p.last_area = self.current_area()
        for path in self.vectors_panel.opened_paths:
            p.add_recent("vectors", path)
        for path in self.dataset_panel.opened_paths:
            p.add_recent("dataset", path)
        self.vectors_panel.opened_paths.clear()
        self.dataset_panel.opened_paths.clear()
        return p

    def write_preferences(self) -> None:
        if self._save_prefs:
            try:
                save_preferences(self.collect_preferences())
                save_config(self.state.config, workspace_path())
            except OSError as exc:
                self.status_message(f"Could not save preferences: {exc}", warning=True)

    def _restore_geometry(self) -> None:
        geometry = settings().value("main_window/geometry")
        if geometry is not None and self.restoreGeometry(geometry):
            return
        screen = QApplication.primaryScreen()
        avail = screen.availableGeometry() if screen else None
        w, h = 1280, 800
        if avail is not None:
            w, h = min(w, avail.width()), min(h, avail.height())
        self.resize(w, h)

    # ---- areas -------------------------------------------------------------------------
    def _follow_area_undo(self, _index: int) -> None:
        parts = (self.tabs, self.undo_group, self.runs_panel, self.runs_panel.undo, self.state.undo)
        if self._closing or not all(shiboken6.isValid(p) for p in parts):
            return  # the tabs emit this while the window is being torn down
        in_runs = self.tabs.currentWidget() is self.runs_panel
        self.undo_group.setActiveStack(self.runs_panel.undo if in_runs else self.state.undo)

    def show_area(self, area: str) -> None:
        self.tabs.setCurrentIndex(AREAS.index(area))

    def current_area(self) -> str:
        return AREAS[self.tabs.currentIndex()]

    def status_message(self, text: str, *, warning: bool = False, timeout_ms: int = 0) -> None:
        self.statusBar().setStyleSheet("QStatusBar { color: #a04000; }" if warning else "")
        self.statusBar().showMessage(text, timeout_ms or (0 if warning else 8000))

    def _update_title(self, *_args: object) -> None:
        """ "name — EmbedStudio", with "*" while the configuration differs from its file (or has none)."""
        name = self._config_path.stem if self._config_path else (self.state.config.name or "untitled")
        self.setWindowTitle(f"{name}{'*' if self.state.is_modified() else ''} — EmbedStudio")

    def _write_workspace(self) -> None:
        if self._save_prefs:
            try:
                save_config(self.state.config, workspace_path())
            except (OSError, UserError) as exc:
                self.status_message(f"Could not autosave the settings: {exc}", warning=True)

    def confirm_unsaved(self, action: str) -> bool:
        """Before ``action`` replaces or leaves a configuration that differs from its file: Save, Don't
        Save or Cancel. True to go on. (An untitled session needs no prompt: it is autosaved and restored.)"""
        if self._config_path is None or not self.state.is_modified():
            return True
        Role = QMessageBox.ButtonRole
        choice = dialogs.ask(
            self,
            "Unsaved changes",
            f"Save the changes to {self._config_path.name} before {action}?",
            [("Save", Role.AcceptRole), ("Don't Save", Role.DestructiveRole), ("Cancel", Role.RejectRole)],
        )
        if choice == 0:
            return self.save_config()
        return choice == 1

    # ---- start-up ----------------------------------------------------------------------
    def after_show(self) -> None:
        """Called once the window is on screen: warm TensorFlow up, and open the demo on first start."""
        if self._warm_up:
            self.warmup_worker = Worker(warm_up_tensorflow, name="Preparing TensorFlow", cancellable=False)
            self.warmup_worker.returned.connect(
                lambda v: self.status_message(f"TensorFlow {v} ready.", timeout_ms=4000)
            )
            self.warmup_worker.errored.connect(lambda info: dialogs.show_error(self, info))
            self.pool.start(self.warmup_worker)
        if not self.prefs.demo_offered:
            self.prefs.demo_offered = True
            self.open_demo_workspace()
        else:
            self._load_workspace_inputs()

    def open_demo_workspace(self) -> None:
        from embedstudio.resources import demo_config_path

        try:
            cfg = load_config(demo_config_path())
        except (UserError, FileNotFoundError) as exc:
            self.status_message(f"The demo workspace could not be opened: {exc}", warning=True)
            return
        self._set_config(cfg, None)
        self._load_workspace_inputs()
        self.status_message(
            "Demo workspace: BBC News articles (5 topics) with GloVe 6B 50d vectors. Press Train (Ctrl+R)."
        )

    def _load_workspace_inputs(self) -> None:
        """Load the config's vector files and import its dataset in workers, so Train works at once."""
        cfg = self.state.config
        for src in cfg.embedding.vectors:
            if not self.state.is_loaded(src.path):
                self.vectors_panel.load(src.path)
        if cfg.data.path and self.state.dataset_for(cfg.data) is None:
            self.dataset_panel.import_dataset()  # the Dataset area then shows what training will use

    # ---- config files --------------------------------------------------------------------
    def _set_config(self, cfg: RunConfig, path: Path | None) -> None:
        self._config_path = path
        self.state.set_config(cfg)  # every area listens to config_changed

    def open_config(self, path: str | os.PathLike) -> bool:
        if not self.confirm_unsaved(f"opening {Path(path).name}"):
            return False
        try:
            cfg = load_config(path)
        except UserError as exc:
            dialogs.show_error(self, ErrorInfo(str(exc), "", True), title="Could not open the configuration")
            return False
        self._set_config(cfg, Path(path))
        self.prefs.add_recent("config", str(path))
        self.prefs.last_config = str(path)
        self.status_message(f"Opened configuration {path}")
        return True

    def open_config_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open configuration", self._start_dir(), CONFIG_FILTER)
        if path:
            self.open_config(path)

    def save_config(self) -> bool:
        if self._config_path is None:
            return self.save_config_as()
        return self._write_config(self._config_path)

    def save_config_as(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save configuration", self._start_dir("embedstudio.toml"), CONFIG_FILTER
        )
        return bool(path) and self._write_config(Path(path))

    def _write_config(self, path: Path) -> bool:
        try:
            self.state.config.validate()
            save_config(self.state.config, path)
        except (UserError, OSError) as exc:
            dialogs.show_error(self, ErrorInfo(f"Could not save {path}: {exc}", "", True))
            return False
        self._config_path = path
        self.state.mark_saved()
        self.prefs.add_recent("config", str(path))
        self.prefs.last_config = str(path)
        self._update_title()
        self.status_message(f"Saved {path}")
        return True

    def _start_dir(self, name: str = "") -> str:
        base = self._config_path.parent if self._config_path else Path.home()
        return str(base / name) if name else str(base)

    def choose_runs_dir(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Runs folder", str(self.state.runs_dir))
        if path:
            self.state.set_runs_dir(path)
            self.prefs.runs_dir = path

    # ---- recent files ------------------------------------------------------------------
    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        self.collect_preferences()
        any_added = False
        for kind, opener in (
            ("vectors", self.vectors_panel.add_files),
            ("dataset", self.dataset_panel.open_path),
            ("config", self.open_config),
        ):
            paths = self.prefs.recent.get(kind, [])
            if not paths:
                continue
            if any_added:
                self.recent_menu.addSeparator()
            for path in paths:
                act = self.recent_menu.addAction(f"{kind.title()}: {_middle_elide(path)}")
                act.setToolTip(path)
                arg = [path] if kind == "vectors" else path
                act.triggered.connect(lambda checked=False, f=opener, a=arg: f(a))
                any_added = True
        if not any_added:
            self.recent_menu.addAction("No recent files").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear Recent Files", self._clear_recent)

    def _clear_recent(self) -> None:
        self.prefs.recent = {k: [] for k in self.prefs.recent}

    # ---- edit menu on whatever has focus ---------------------------------------------------
    def _copy_focused(self) -> None:
        w = QApplication.focusWidget()
        if isinstance(w, (QLineEdit, QTextEdit, QPlainTextEdit)):
            w.copy()
        elif isinstance(w, QAbstractItemView) and w.selectionModel() is not None:
            rows: dict[int, dict[int, str]] = {}
            for idx in w.selectionModel().selectedIndexes():
                rows.setdefault(idx.row(), {})[idx.column()] = str(idx.data() or "")
            text = "\n".join("\t".join(cols[c] for c in sorted(cols)) for _, cols in sorted(rows.items()))
            QApplication.clipboard().setText(text)

    def _select_all_focused(self) -> None:
        w = QApplication.focusWidget()
        if isinstance(w, (QLineEdit, QTextEdit, QPlainTextEdit, QAbstractItemView)):
            w.selectAll()

    # ---- run menu ----------------------------------------------------------------------
    def train(self) -> None:
        self.show_area("Training")
        self.training_panel.start()

    def stop(self) -> None:
        self.training_panel.stop()

    def training_running(self) -> bool:
        return self.training_panel.is_running()

    def rerun(self, cfg: RunConfig) -> bool:
        """Re-run a run's configuration (the Runs area's ``rerun_requested``): ask before replacing the
        settings on screen, then load its dataset and vectors like an opened configuration and train."""
        if self.training_running():
            self.status_message("Training is running; re-run it when it has finished.", warning=True)
            return False
        if not self.confirm_replace_config(
            f"Re-run “{cfg.name or cfg.model.preset}”",
            "Replace the current settings with this run's configuration and train it again?",
            "Replace and Train",
        ):
            return False
        self._set_config(cfg, None)
        self._load_workspace_inputs()
        self.train()
        return True

    def confirm_replace_config(self, title: str, text: str, accept: str = "Replace") -> bool:
        """True when the settings on screen may be replaced by another configuration (the user says so)."""
        Role = QMessageBox.ButtonRole
        return dialogs.ask(self, title, text, [(accept, Role.AcceptRole), ("Cancel", Role.RejectRole)]) == 0

    # ---- drag and drop -----------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragEnterEvent) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.open_paths(paths)

    def open_paths(self, paths: list[Path]) -> dict[str, list[Path]]:
        """Send each path to the area that understands it (drag-and-drop and command-line arguments)."""
        routed = route_paths(paths)
        if routed["vectors"]:
            self.vectors_panel.add_files(routed["vectors"])
            self.show_area("Vectors")
        if routed["dataset"]:
            self.dataset_panel.open_path(routed["dataset"][-1])
            self.show_area("Dataset")
        for cfg in routed["config"]:
            self.open_config(cfg)
        if routed["unknown"]:
            names = ", ".join(p.name for p in routed["unknown"])
            self.status_message(f"Not a vector file, dataset or configuration: {names}", warning=True)
        return routed

    # ---- closing -----------------------------------------------------------------------
    def request_quit(self, *, confirm: bool = True) -> None:
        self._confirm_close = confirm
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        confirm = getattr(self, "_confirm_close", True) and self.isVisible()
        if self._closing:
            event.ignore()  # already stopping; we close once the last worker is done
            return
        if confirm and not self.confirm_unsaved("quitting"):
            event.ignore()
            return
        if confirm and self.training_running():
            choice = self._ask_quit_while_training()
            if choice == "cancel":
                event.ignore()
                return
            if choice == "now" and self.training_running():
                event.ignore()
                self.quit_now()
                return
        # Re-checked after the question: training may have ended while it was open.
        if self.pool.running():
            event.ignore()
            self._stop_then_close()
            return
        self._finish_close()
        event.accept()

    def _ask_quit_while_training(self) -> str:
        Role = QMessageBox.ButtonRole
        choice = dialogs.ask(
            self,
            "Quit while training",
            "Training is running.",
            [("Stop and Quit", Role.AcceptRole), ("Quit Now", Role.DestructiveRole), ("Cancel", Role.RejectRole)],
            informative="Stop and Quit ends after the current batch and keeps the model trained so far (this "
            "can take a while). Quit Now leaves at once: the unfinished run is kept as 'stopped', "
            "without a model.",
        )
        return {0: "stop", 1: "now"}.get(choice, "cancel")

    def _stop_then_close(self) -> None:
        """Cancel every job and close when the last one is done, showing how long it has been."""
        self._closing = True
        self.status_message("Stopping running jobs before quitting…")
        self.pool.busy_changed.connect(self._close_when_idle)
        self.pool.cancel_all()
        if self.training_running():
            box = QProgressDialog("Stopping training after the current batch…", "Quit Now", 0, 0, self)
            box.setWindowTitle("Quitting EmbedStudio")
            box.setMinimumDuration(0)
            box.setAutoClose(False)
            box.canceled.connect(self.quit_now)
            started = QTimer(box, interval=1000)
            elapsed = [0]

            def tick() -> None:
                elapsed[0] += 1
                box.setLabelText(f"Stopping training after the current batch… ({elapsed[0]} s)")

            started.timeout.connect(tick)
            started.start()
            box.show()
            self.stop_progress = box
        if not self.pool.running():  # everything ended in between
            self._close_when_idle(False)

    def quit_now(self) -> None:
        """Leave without waiting: the unfinished run is marked 'stopped', settings are saved, the process ends."""
        from embedstudio.core.runs import update_description

        run_dir = self.training_panel.run_dir
        if self.training_running() and run_dir is not None:
            try:
                update_description(
                    run_dir,
                    status="stopped",
                    message="EmbedStudio was quit before the run finished; no model was saved.",
                )
            except OSError as exc:
                log.warning("could not mark %s stopped: %s", run_dir, exc)
        self.pool.cancel_all()
        self._finish_close()
        self.hard_exit(0)

    def _finish_close(self) -> None:
        self._confirm_close = False  # closed: closing again (a test's teardown, app exit) asks nothing
        settings().setValue("main_window/geometry", self.saveGeometry())
        self.write_preferences()
        release_session_lock(self._save_prefs)

    def _close_when_idle(self, busy: bool) -> None:
        if not busy and not self.pool.running():
            if self.stop_progress is not None:
                self.stop_progress.reset()
                self.stop_progress = None
            self._closing = False
            self._confirm_close = False
            QTimer.singleShot(0, self.close)


def _middle_elide(path: str, limit: int = 70) -> str:
    return path if len(path) <= limit else path[: limit // 2 - 1] + "…" + path[-(limit // 2) :]
