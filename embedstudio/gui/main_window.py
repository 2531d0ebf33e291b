"""The main window: the Start page and five areas as tabs, menus, projects, drag-and-drop routing, status bar,
preferences, help.

Threads: only the GUI thread runs this module. Long jobs go through the panels' workers; the
TensorFlow warm-up is a Worker started after the window is shown.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from functools import partial
from pathlib import Path

import shiboken6
from PySide6.QtCore import QRect, QSettings, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeySequence, QUndoGroup
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFileDialog,
    QFrame,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QProgressDialog,
    QScrollArea,
    QTabWidget,
    QTextEdit,
    QWidget,
)

from embedstudio.core.config import RunConfig, data_path, load_config, save_config
from embedstudio.core.errors import UserError
from embedstudio.core.jobs import CancelToken, Reporter
from embedstudio.core.project import SUFFIX as PROJECT_SUFFIX
from embedstudio.core.project import Project, ProjectError, load_project, save_project
from embedstudio.gui import dialogs, help
from embedstudio.gui.drop_routing import route_paths
from embedstudio.gui.heavy_imports import import_plotting
from embedstudio.gui.jobs import ErrorInfo, Worker, WorkerPool
from embedstudio.gui.panels.dataset_panel import DatasetPanel
from embedstudio.gui.panels.model_panel import ModelPanel
from embedstudio.gui.panels.runs_panel import RunsPanel
from embedstudio.gui.panels.training_panel import TrainingPanel
from embedstudio.gui.panels.vectors_panel import VectorsPanel
from embedstudio.gui.preferences import Preferences, recovery_path, save_preferences, workspace_path
from embedstudio.gui.session import load_session, release_session_lock, take_session_lock
from embedstudio.gui.start_page import StartPage
from embedstudio.gui.state import AppState
from embedstudio.gui.widgets.deferred import build_pending
from embedstudio.gui.widgets.job_status import JobStatus

log = logging.getLogger(__name__)

AREAS = ("Start", "Vectors", "Dataset", "Model", "Training", "Runs")
CONFIG_FILTER = "Run configuration (*.toml *.json);;All files (*)"
PROJECT_FILTER = "EmbedStudio project (*.esproj);;All files (*)"
FRAME_ALLOWANCE = (16, 48)  # width, height a window manager's frame may add, until the real frame is known
AUTOSAVE_MS = 1500  # the session's settings are written this long after the last edit (crash recovery)


def settings() -> QSettings:
    """Window geometry only; everything else lives in the JSON preferences."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "EmbedStudio", "EmbedStudio")


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
        self._project_path: Path | None = None
        self._project_saved: dict | None = None  # the project as last opened or saved (for the "*" marker)
        self.recovery: Project | None = None  # an unsaved session a crash left behind, offered in after_show
        self.warmup_worker: Worker | None = None
        self.plots_worker: Worker | None = None  # imports pyqtgraph once the window is shown
        self.hard_exit: Callable[[int], object] = os._exit  # "Quit Now": leave without waiting for training
        self.stop_progress: QProgressDialog | None = None
        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.setInterval(AUTOSAVE_MS)
        self._autosave.timeout.connect(self._write_workspace)
        self._build_areas()
        self._build_status_bar()
        self._build_menus()
        self.setAcceptDrops(True)
        lock = take_session_lock(save_prefs)
        crashed = save_prefs and lock != "other" and recovery_path().is_file()
        if crashed:
            self._read_recovery()
        self._apply_preferences(restore_session=not crashed)
        for signal in (self.state.config_changed, self.state.vectors_changed, self.state.runs_dir_changed):
            signal.connect(self._update_title)
        self.state.undo.cleanChanged.connect(self._update_title)
        self.state.undo.indexChanged.connect(self._autosave.start)
        self.state.vectors_changed.connect(self._autosave.start)
        self.state.runs_dir_changed.connect(self._autosave.start)
        self.state.dataset_changed.connect(self._dataset_imported)
        self.vectors_panel.file_opened.connect(lambda path: self.prefs.add_recent("vectors", path))
        self.vectors_panel.file_failed.connect(lambda path: self._forget_recent("vectors", path))
        self._update_title()
        self._restore_geometry()
        if lock == "other":
            self.status_message(
                "Another EmbedStudio window uses the same profile: settings saved by the one that quits last win.",
                warning=True,
            )
        if prefs_warning:
            self.status_message(prefs_warning, warning=True)

    # ---- construction ----------------------------------------------------------------
    def _build_areas(self) -> None:
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.start_page = StartPage(self.state, self.pool)
        self.start_page.demo_name = _demo_name()
        self.start_page.requested.connect(self._start_page_request)
        self.vectors_panel = VectorsPanel(self.state, self.pool)
        self.dataset_panel = DatasetPanel(self.state, self.pool)
        self.model_panel = ModelPanel(self.state, self.pool)
        self.training_panel = TrainingPanel(self.state, self.pool)
        self.runs_panel = RunsPanel(self.state, self.pool)
        self.runs_panel.rerun_requested.connect(self.rerun)
        self.panels: dict[str, QWidget] = {
            "Start": self.start_page,
            "Vectors": self.vectors_panel,
            "Dataset": self.dataset_panel,
            "Model": self.model_panel,
            "Training": self.training_panel,
            "Runs": self.runs_panel,
        }
        tips = {
            "Start": "The three steps to a trained model, with their state, and a Train button",
            "Vectors": "Word-vector files: load, explore, check coverage, train your own",
            "Dataset": "Import labelled texts, clean them and choose the splits",
            "Model": "Choose the network and how it uses the vectors",
            "Training": "Train, watch the curves, stop at any time",
            "Runs": "Every training run: metrics, reports, comparison",
        }
        for area in AREAS:
            i = self.tabs.addTab(self._scrollable(self.panels[area]) if area != "Start" else self.panels[area], area)
            self.tabs.setTabToolTip(i, tips[area])
            self.panels[area].setProperty("helpSection", help.AREA_SECTIONS[area])  # F1 and error dialogs
        self.setCentralWidget(self.tabs)

    @staticmethod
    def _scrollable(panel: QWidget) -> QScrollArea:
        """The area in a scroll area: on a small screen (1366×768, or 1920×1080 at 200 %) the window fits and
        the area scrolls, instead of its minimum size pushing the status bar off the screen."""
        holder = QScrollArea()
        holder.setWidgetResizable(True)
        holder.setFrameShape(QFrame.Shape.NoFrame)
        holder.setWidget(panel)
        return holder

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
        self._action(
            file_menu, "&New Project", self.new_project, QKeySequence.StandardKey.New, "Start an empty workspace"
        )
        self._action(
            file_menu,
            "Open &Project…",
            self.open_project_dialog,
            "Ctrl+Alt+P",
            "Open a saved workspace: vectors, dataset and its options, settings, runs folder",
        )
        self._action(
            file_menu,
            "Save P&roject",
            self.save_project,
            "Ctrl+Alt+S",
            "Save the workspace (vector library, dataset and its options, settings, runs folder) as one file",
        )
        self._action(file_menu, "Save Project As…", self.save_project_as, None, "Save the workspace to a new file")
        file_menu.addSeparator()
        self.act_open_vectors = self._action(
            file_menu,
            "Open &Vectors…",
            self.vectors_panel.open_dialog,
            QKeySequence.StandardKey.Open,
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
        self._action(
            file_menu, "&Save Config", self.save_config, QKeySequence.StandardKey.Save, "Save the current configuration"
        )
        self._action(
            file_menu,
            "Save Config &As…",
            self.save_config_as,
            QKeySequence.StandardKey.SaveAs,
            "Save the current configuration to a new file",
        )
        self.recent_menu = file_menu.addMenu("&Recent Files")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._action(
            file_menu,
            "Open Demo &Workspace",
            self.open_demo_workspace,
            None,
            "BBC News articles (5 topics) with GloVe 6B 50d vectors, shipped with the app",
        )
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit, "Quit EmbedStudio")

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
        self.act_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence(QKeySequence.StandardKey.Redo)])
        edit_menu.addAction(self.act_undo)
        edit_menu.addAction(self.act_redo)
        edit_menu.addSeparator()
        self._action(edit_menu, "&Copy", self._copy_focused, QKeySequence.StandardKey.Copy, "Copy the selected cells")
        self._action(edit_menu, "Select &All", self._select_all_focused, QKeySequence.StandardKey.SelectAll)
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
            self._action(view_menu, f"&{area}", partial(self.show_area, area), f"Ctrl+{i + 1}")

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
        self.act_help = self._action(
            help_menu,
            "&User Guide",
            self.show_help,
            QKeySequence.StandardKey.HelpContents,
            "The guide's section for the area on screen (offline)",
        )
        self._action(
            help_menu,
            "User Guide in &Browser",
            lambda: help.open_in_browser(self.current_help_section()),
            None,
            "Open the guide in the system's web browser",
        )
        self._action(help_menu, "&Keyboard Shortcuts", self.show_shortcuts, "Ctrl+/", "Every shortcut of the menus")
        help_menu.addSeparator()
        self._action(help_menu, "&About EmbedStudio", lambda: dialogs.about_box(self), None)
        self._action(help_menu, "About &Qt", lambda: QMessageBox.aboutQt(self), None)

    # ---- preferences and geometry ------------------------------------------------------
    def _apply_preferences(self, *, restore_session: bool = True) -> None:
        p = self.prefs
        self.state.last_dirs = dict(p.last_dirs)
        if p.runs_dir:
            self.state.set_runs_dir(p.runs_dir)
        file_cfg: RunConfig | None = None
        if p.last_project and Path(p.last_project).is_file():
            try:
                project = load_project(p.last_project)
                self._apply_project(project, Path(p.last_project), load_inputs=False)
                file_cfg = project.config
            except UserError as exc:
                self.status_message(f"Could not reopen the last project: {exc}", warning=True)
        elif p.last_config and Path(p.last_config).is_file():
            try:
                file_cfg = load_config(p.last_config)
                self._config_path = Path(p.last_config)
                self.state.set_config(file_cfg)
            except UserError as exc:
                self.status_message(f"Could not reopen the last configuration: {exc}", warning=True)
        if restore_session and p.demo_offered and workspace_path().is_file():
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
        p.last_config = str(self._config_path) if self._config_path else ""
        p.last_project = str(self._project_path) if self._project_path else ""
        p.last_area = self.current_area()
        p.last_dirs = dict(self.state.last_dirs)
        # Recent Files lists only files that opened: vectors when loaded (file_opened), datasets when imported.
        self.vectors_panel.opened_paths.clear()
        self.dataset_panel.opened_paths.clear()
        return p

    def write_preferences(self) -> None:
        if self._save_prefs:
            try:
                save_preferences(self.collect_preferences())
                save_config(self.state.config, workspace_path())
                recovery_path().unlink(missing_ok=True)  # a clean exit leaves nothing to recover
            except OSError as exc:
                self.status_message(f"Could not save preferences: {exc}", warning=True)

    def _restore_geometry(self) -> None:
        """The last geometry if it is still on a screen; else (first start) a size that fits the screen's
        available geometry, window frame included, centred on it."""
        geometry = settings().value("main_window/geometry")
        if geometry is not None and self.restoreGeometry(geometry) and self._on_a_screen():
            return
        avail = self._available_geometry()
        if avail is None:
            self.resize(1280, 800)
            return
        w = min(1280, avail.width() - FRAME_ALLOWANCE[0])
        h = min(800, avail.height() - FRAME_ALLOWANCE[1])
        self.resize(max(w, 320), max(h, 240))
        free_h = avail.height() - self.height() - FRAME_ALLOWANCE[1]
        self.move(avail.x() + (avail.width() - self.width()) // 2, avail.y() + max(free_h, 0) // 2)

    def _available_geometry(self) -> QRect | None:
        screen = self.screen() or QApplication.primaryScreen()
        return screen.availableGeometry() if screen is not None else None

    def _on_a_screen(self) -> bool:
        frame = self.frameGeometry()
        return any(s.availableGeometry().intersected(frame).height() > 100 for s in QApplication.screens())

    def fit_to_screen(self) -> None:
        """Once the real frame is known (the window is shown): shrink and move the window so all of it, the
        status bar included, lies within the screen's available geometry."""
        avail = self._available_geometry()
        if avail is None or self.isMaximized() or self.isFullScreen():
            return
        frame, inner = self.frameGeometry(), self.geometry()
        extra_w, extra_h = frame.width() - inner.width(), frame.height() - inner.height()
        w = min(inner.width(), avail.width() - extra_w)
        h = min(inner.height(), avail.height() - extra_h)
        if (w, h) != (inner.width(), inner.height()):
            self.resize(w, h)
        frame = self.frameGeometry()
        x = min(max(frame.x(), avail.x()), avail.right() + 1 - frame.width())
        y = min(max(frame.y(), avail.y()), avail.bottom() + 1 - frame.height())
        if (x, y) != (frame.x(), frame.y()):
            self.move(x, y)

    # ---- areas -------------------------------------------------------------------------
    def _follow_area_undo(self, _index: int) -> None:
        parts = (self.tabs, self.undo_group, self.runs_panel, self.runs_panel.undo, self.state.undo)
        if self._closing or not all(shiboken6.isValid(p) for p in parts):
            return  # the tabs emit this while the window is being torn down
        in_runs = self.current_area() == "Runs"
        self.undo_group.setActiveStack(self.runs_panel.undo if in_runs else self.state.undo)

    def show_area(self, area: str) -> None:
        self.tabs.setCurrentIndex(AREAS.index(area))

    def current_area(self) -> str:
        return AREAS[self.tabs.currentIndex()]

    def status_message(self, text: str, *, warning: bool = False, timeout_ms: int = 0) -> None:
        self.statusBar().setStyleSheet("QStatusBar { color: #a04000; }" if warning else "")
        self.statusBar().showMessage(text, timeout_ms or (0 if warning else 8000))

    def _update_title(self, *_args: object) -> None:
        """ "name — EmbedStudio", with "*" while the project or configuration differs from its file."""
        if self._project_path is not None:
            name = self._project_path.stem
        else:
            name = self._config_path.stem if self._config_path else (self.state.config.name or "untitled")
        self.setWindowTitle(f"{name}{'*' if self.is_modified() else ''} — EmbedStudio")

    def is_modified(self) -> bool:
        """Whether the open project (or else the configuration) differs from its file."""
        if self._project_path is not None:
            return self.state.is_modified() or _comparable(self.current_project()) != self._project_saved
        return self.state.is_modified()

    def _write_workspace(self) -> None:
        """Autosave: the settings (restored on the next start) and the whole workspace as a recovery project,
        which a clean exit deletes; found at start-up it means the last session crashed."""
        if self._save_prefs:
            try:
                save_config(self.state.config, workspace_path())
                save_project(self.current_project(), recovery_path())
                save_preferences(self.collect_preferences())
            except (OSError, UserError) as exc:
                self.status_message(f"Could not autosave the settings: {exc}", warning=True)

    def _read_recovery(self) -> None:
        try:
            self.recovery = load_project(recovery_path())
        except UserError as exc:
            log.warning("recovery file unreadable: %s", exc)
            self.recovery = None

    def offer_recovery(self) -> bool:
        """After a crash: "Recover the unsaved session?" Recover restores the autosaved workspace (marked
        modified); Discard starts from the last saved file. True when recovered."""
        project, self.recovery = self.recovery, None
        if project is None:
            return False
        Role = QMessageBox.ButtonRole
        choice = dialogs.ask(
            self,
            "Recover the unsaved session?",
            "EmbedStudio did not close properly last time. Recover the unsaved session?",
            [("Recover", Role.AcceptRole), ("Discard", Role.DestructiveRole)],
            informative="Recover brings back the settings, vector library and runs folder as they were autosaved "
            "a moment before. Discard starts from the last saved file.",
        )
        if choice != 0:
            recovery_path().unlink(missing_ok=True)
            self.status_message("The unsaved session was discarded.")
            return False
        saved_project = self._project_saved
        self._apply_project(project, self._project_path, load_inputs=False, modified=True)
        self._project_saved = saved_project
        self._update_title()
        self.status_message("The unsaved session was recovered; save it to keep it (File > Save Project).")
        return True

    def confirm_unsaved(self, action: str, *, untitled_too: bool = False) -> bool:
        """Before ``action`` replaces or leaves work that differs from its file: Save, Don't Save or Cancel.
        True to go on. An untitled session is autosaved and restored on the next start, so quitting does not
        ask about it; ``untitled_too`` (New, Open Project) asks, since the session itself is replaced."""
        if not self.is_modified():
            return True
        if self._project_path is None and self._config_path is None and not untitled_too:
            return True
        target = self._project_path or self._config_path
        text = (
            f"Save the changes to {target.name} before {action}?"
            if target is not None
            else f"Save the current work as a project before {action}?"
        )
        Role = QMessageBox.ButtonRole
        choice = dialogs.ask(
            self,
            "Unsaved changes",
            text,
            [("Save", Role.AcceptRole), ("Don't Save", Role.DestructiveRole), ("Cancel", Role.RejectRole)],
        )
        if choice == 0:
            if self._project_path is not None or target is None:
                return self.save_project()
            return self.save_config()
        return choice == 1

    # ---- start-up ----------------------------------------------------------------------
    def after_show(self) -> None:
        """Called once the window is on screen (app.py: after its first frame): build the plots (pyqtgraph
        is imported in a worker first, then one plot per event-loop turn: gui/widgets/deferred.py), warm
        TensorFlow up, and open the demo on first start.

        The warm-up does not wait for the plots, although its import holds the GIL for long stretches
        (each plot's ≈40 ms on the GUI thread then takes 0.1-2 s of wall time under load): the demo's
        dataset import imports TensorFlow too (core/text.py), and the import had better be the warm-up's,
        under the collector's pause and gc.freeze(). Both import under core/quiet_import's lock, so two
        threads never enter TensorFlow's circular imports at once ("partially initialized module")."""
        self.plots_worker = Worker(import_plotting, name="Preparing plots", cancellable=False)
        self.plots_worker.returned.connect(lambda _: build_pending())
        self.plots_worker.errored.connect(lambda info: dialogs.show_error(self, info))
        self.pool.start(self.plots_worker)
        if self._warm_up:
            self.warmup_worker = Worker(warm_up_tensorflow, name="Preparing TensorFlow", cancellable=False)
            self.warmup_worker.returned.connect(
                lambda v: self.status_message(f"TensorFlow {v} ready.", timeout_ms=4000)
            )
            self.warmup_worker.errored.connect(lambda info: dialogs.show_error(self, info))
            self.pool.start(self.warmup_worker)
        self.fit_to_screen()
        if self.recovery is not None:
            self.offer_recovery()
        if not self.prefs.demo_offered:
            self.prefs.demo_offered = True
            self.open_demo_workspace()
        else:
            self._load_workspace_inputs()

    def open_demo_workspace(self) -> bool:
        from embedstudio.resources import demo_config_path

        if not self.confirm_unsaved("opening the demo workspace", untitled_too=True):
            return False
        try:
            cfg = load_config(demo_config_path())
        except (UserError, FileNotFoundError) as exc:
            self.status_message(f"The demo workspace could not be opened: {exc}", warning=True)
            return False
        self._project_path = self._project_saved = None
        self._set_config(cfg, None)
        self._load_workspace_inputs()
        self.show_area("Start")
        self.status_message(
            "Demo workspace: BBC News articles (5 topics) with GloVe 6B 50d vectors. Press Train (Ctrl+R)."
        )
        return True

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
            dialogs.show_error(
                self, ErrorInfo(str(exc), "", True), title="Could not open the configuration", help_section="projects"
            )
            self._forget_recent("config", path)
            return False
        self._project_path = self._project_saved = None  # the configuration file is now the document
        self.state.remember_dir("config", path)
        self._set_config(cfg, Path(path))
        self.prefs.add_recent("config", str(path))
        self.prefs.last_config = str(path)
        self.status_message(f"Opened configuration {path}")
        return True

    def open_config_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open configuration", self.state.start_dir("config"), CONFIG_FILTER)
        if path:
            self.open_config(path)

    # ---- projects ------------------------------------------------------------------------
    def current_project(self) -> Project:
        """The workspace on screen: vector library, configuration (dataset source and options included) and
        runs folder."""
        runs = str(self.state.runs_dir) if self.state.custom_runs_dir else ""
        return Project(config=self.state.config.copy(), vector_library=list(self.state.library), runs_dir=runs)

    def new_project(self) -> bool:
        """An empty workspace (asks first when the current one has unsaved changes)."""
        if not self.confirm_unsaved("starting a new project", untitled_too=True):
            return False
        project = Project()
        project.runs_dir = self.prefs.runs_dir
        self._apply_project(project, None)
        self.show_area("Start")
        self.status_message("New project: add word vectors (step 1) and a dataset (step 2), then Train.")
        return True

    def open_project(self, path: str | os.PathLike) -> bool:
        path = Path(path)
        if not self.confirm_unsaved(f"opening {path.name}", untitled_too=True):
            return False
        try:
            project = load_project(path)
        except UserError as exc:
            dialogs.show_error(
                self, ErrorInfo(str(exc), "", True), title="Could not open the project", help_section="projects"
            )
            self._forget_recent("project", path)
            return False
        self._apply_project(project, path)
        self.prefs.add_recent("project", str(path))
        self.state.remember_dir("project", path)
        self.status_message(f"Opened project {path}")
        return True

    def _apply_project(
        self, project: Project, path: Path | None, *, load_inputs: bool = True, modified: bool = False
    ) -> None:
        """Make the workspace what ``project`` holds: library (loaded files it keeps stay loaded), settings,
        runs folder; then load its vectors and import its dataset in workers."""
        for old in list(self.state.library):
            if old not in project.vector_library:
                self.vectors_panel.remove([old])
        for lib_path in project.vector_library:
            self.state.add_vectors(lib_path)
        if project.runs_dir:
            self.state.set_runs_dir(project.runs_dir)
        else:
            self.state.reset_runs_dir()
        self.state.set_dataset(None)
        self._config_path = None
        self._project_path = path
        self.state.set_config(project.config.copy(), modified=modified)
        self._project_saved = _comparable(self.current_project()) if path is not None else None
        self._update_title()
        if load_inputs:
            self._load_workspace_inputs()

    def open_project_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open project", self.state.start_dir("project"), PROJECT_FILTER)
        if path:
            self.open_project(path)

    def save_project(self) -> bool:
        if self._project_path is None:
            return self.save_project_as()
        return self._write_project(self._project_path)

    def save_project_as(self) -> bool:
        name = (self.state.config.name or "untitled") + ".esproj"
        path, _ = QFileDialog.getSaveFileName(
            self, "Save project", str(Path(self.state.start_dir("project")) / name), PROJECT_FILTER
        )
        return bool(path) and self._write_project(Path(path))

    def _write_project(self, path: Path) -> bool:
        try:
            written = save_project(self.current_project(), path)
        except ProjectError as exc:
            dialogs.show_error(
                self, ErrorInfo(str(exc), "", True), title="Could not save the project", help_section="projects"
            )
            return False
        self._project_path, self._config_path = written, None
        self._project_saved = _comparable(self.current_project())
        self.state.mark_saved()
        self.state.remember_dir("project", written)
        self.prefs.add_recent("project", str(written))
        self.prefs.last_project = str(written)
        self._update_title()
        self.status_message(f"Saved project {written}")
        return True

    def save_config(self) -> bool:
        if self._config_path is None:
            return self.save_config_as()
        return self._write_config(self._config_path)

    def save_config_as(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save configuration", str(Path(self.state.start_dir("config")) / "embedstudio.toml"), CONFIG_FILTER
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
        self._project_path = self._project_saved = None
        self.state.mark_saved()
        self.state.remember_dir("config", path)
        self.prefs.add_recent("config", str(path))
        self.prefs.last_config = str(path)
        self._update_title()
        self.status_message(f"Saved {path}")
        return True

    def choose_runs_dir(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Runs folder", str(self.state.runs_dir))
        if path:
            self.state.set_runs_dir(path)
            self.prefs.runs_dir = path

    # ---- recent files ------------------------------------------------------------------
    def _fill_recent_menu(self) -> None:
        """Files that opened, newest first; a file that has gone since is left out (and forgotten)."""
        self.recent_menu.clear()
        self.collect_preferences()
        any_added = False
        for kind, paths in self.prefs.recent.items():
            self.prefs.recent[kind] = [p for p in paths if _exists(p)]
        for kind, opener in (
            ("project", self.open_project),
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

    def _forget_recent(self, kind: str, path: str | os.PathLike) -> None:
        self.prefs.recent[kind] = [p for p in self.prefs.recent.get(kind, []) if p != str(path)]

    def _dataset_imported(self, ds: object) -> None:
        """A dataset that imported joins Recent Files (one that failed never does)."""
        if ds is not None and self.state.dataset_source is not None and self.state.dataset_source.path:
            self.prefs.add_recent("dataset", self.state.dataset_source.path)
            self.state.remember_dir("dataset", self.state.dataset_source.path)

    # ---- start page and help ---------------------------------------------------------------
    def _start_page_request(self, what: str) -> None:
        actions: dict[str, Callable[[], object]] = {
            "vectors": lambda: self.show_area("Vectors"),
            "dataset": lambda: self.show_area("Dataset"),
            "model": lambda: self.show_area("Model"),
            "train": self.train,
            "demo": self.open_demo_workspace,
            "new": self.new_project,
            "open_project": self.open_project_dialog,
            "guide": lambda: self.show_help("start"),
        }
        actions[what]()

    def current_help_section(self) -> str:
        return help.AREA_SECTIONS.get(self.current_area(), "")

    def show_help(self, section: str | None = None) -> help.HelpViewer:
        """F1: the guide at the section of the area on screen (or ``section``)."""
        return help.show_guide(self.current_help_section() if section is None else section)

    def show_shortcuts(self) -> help.ShortcutsDialog:
        box = help.ShortcutsDialog(self)
        box.show()
        return box

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
    @staticmethod
    def _accept_local_files(event: QDragMoveEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self._accept_local_files(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        self._accept_local_files(event)

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.open_paths(paths)

    def open_paths(self, paths: list[Path]) -> dict[str, list[Path]]:
        """Send each path to the area that understands it (drag-and-drop and command-line arguments); a
        project file opens as the project."""
        projects = [Path(p) for p in paths if Path(p).suffix.lower() == PROJECT_SUFFIX]
        routed = route_paths([Path(p) for p in paths if Path(p).suffix.lower() != PROJECT_SUFFIX])
        routed["project"] = projects
        if projects:
            self.open_project(projects[-1])
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
        self._autosave.stop()  # a pending autosave would write the recovery file a clean exit removes
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


def _comparable(project: Project) -> dict:
    """A project as a plain dict for "is it modified?" (without the version that saved it)."""
    raw = project.to_dict()
    raw.pop("saved_by", None)
    return raw


def _exists(path: str) -> bool:
    try:
        return data_path(path).exists()
    except UserError:
        return False


def _demo_name() -> str:
    from embedstudio.resources import demo_config_path

    try:
        return load_config(demo_config_path()).name
    except (UserError, FileNotFoundError):
        return ""


def _middle_elide(path: str, limit: int = 70) -> str:
    return path if len(path) <= limit else path[: limit // 2 - 1] + "…" + path[-(limit // 2) :]
