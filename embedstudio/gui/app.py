"""Entry point of the desktop app: ``main(argv)``, the ``--self-test``, and SIGTERM / test hooks.

Environment hooks (used by the real-X-server test and by packaging smoke tests):
EMBEDSTUDIO_SHOWN_FILE=path   written on the event loop's first turn after ``window.show()``;
EMBEDSTUDIO_READY_FILE=path   written once the window's first frame is painted (before ``after_show`` runs);
EMBEDSTUDIO_SCREENSHOT=path   the window grabs itself into this PNG once start-up jobs are done;
EMBEDSTUDIO_QUIT_AFTER_MS=n   close cleanly after n milliseconds.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QSocketNotifier, Qt, QThread, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget

if TYPE_CHECKING:
    from embedstudio.gui.main_window import MainWindow

SCREENSHOT_MAX_WAIT_MS = 30_000
FIRST_PAINT_MAX_WAIT_MS = 500  # a window that gets no paint (started minimised) goes on after this
log = logging.getLogger(__name__)


def _parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="embedstudio gui", description="EmbedStudio desktop app")
    p.add_argument("paths", nargs="*", help="vector files, datasets or configurations to open")
    p.add_argument(
        "--self-test",
        action="store_true",
        help="open the window, load the demo, train one short epoch, write a run, exit 0 on success",
    )
    p.add_argument("--no-warm-up", action="store_true", help="do not import TensorFlow in the background")
    return p.parse_args(argv)


def make_application() -> QApplication:
    app = QApplication.instance()
    if app is None:
        # Fractional scale factors (125 %, 150 %) render crisply instead of being rounded to 1x/2x.
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(sys.argv[:1])
    elif not isinstance(app, QApplication):
        raise RuntimeError("A QCoreApplication already exists in this process: EmbedStudio needs a QApplication.")
    app.setApplicationName("EmbedStudio")
    app.setDesktopFileName("embedstudio")  # lets Wayland docks match the window to its .desktop entry
    app.setOrganizationName("EmbedStudio")
    app.setApplicationDisplayName("EmbedStudio")
    return app


# ---- process-wide set-up, all of it here ------------------------------------------------------------
def crash_log_path() -> Path:
    """The same file the CLI writes its unexpected errors to."""
    import platformdirs

    return Path(platformdirs.user_log_dir("embedstudio")) / "last-error.txt"


def write_crash_log(text: str) -> Path:
    from embedstudio.core.fileio import atomic_write_text

    path = crash_log_path()
    try:
        atomic_write_text(path, text)
    except OSError:
        log.warning("could not write %s", path)
    return path


class _UncaughtRelay(QObject):
    """Carries an uncaught exception from any thread to the GUI thread, where the dialog is shown."""

    caught = Signal(str, str)  # message, traceback text


_relay: _UncaughtRelay | None = None


def _dialog_parent() -> QWidget | None:
    return QApplication.activeWindow() or next(
        (w for w in QApplication.topLevelWidgets() if w.isVisible() and w.objectName() == "mainWindow"), None
    )


def _show_uncaught(message: str, details: str) -> None:
    from embedstudio.gui import dialogs
    from embedstudio.gui.jobs import ErrorInfo

    path = write_crash_log(details)
    info = ErrorInfo(f"{message}\n\nThe details were saved to {path}.", details, False)
    dialogs.show_error(_dialog_parent(), info, title="Unexpected error")


def report_uncaught(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """What ``sys.excepthook`` and ``threading.excepthook`` do: the error dialog and last-error.txt."""
    details = "".join(traceback.format_exception(exc_type, exc, tb))
    sys.stderr.write(details)
    message = f"{exc_type.__name__}: {exc}" if str(exc) else exc_type.__name__
    if _relay is not None:
        _relay.caught.emit(message, details)  # queued when raised off the GUI thread
    else:
        write_crash_log(details)


def _thread_hook(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    report_uncaught(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback)


def install_exception_hooks(app: QApplication) -> None:
    """An exception in a slot or a plain thread reaches the user as the error dialog, never only stderr."""
    global _relay
    if _relay is None:
        _relay = _UncaughtRelay(app)
        _relay.caught.connect(_show_uncaught)
    sys.excepthook = report_uncaught
    threading.excepthook = _thread_hook


def set_up_gui_thread(app: QApplication) -> None:
    """The GUI process's global set-up, in one visible place (call once, on the GUI thread):

    * the cyclic garbage collector runs on the GUI thread only (gui/main_thread_gc.py says why);
    * Qt's per-thread animation timer is created before any worker loads TensorFlow (gui/heavy_imports.py);
    * spin and combo boxes change with the mouse wheel only when focused (gui/widgets/config_form.py).
    """
    from embedstudio.gui import main_thread_gc
    from embedstudio.gui.heavy_imports import prime_gui_thread
    from embedstudio.gui.widgets.config_form import install_wheel_guard

    assert QThread.currentThread() is app.thread(), "set_up_gui_thread runs on the GUI thread"
    main_thread_gc.install()
    prime_gui_thread()
    install_wheel_guard(app)


class _WakeupNotifier(QSocketNotifier):
    """Reads the wake-up socket; holds both ends of the pair so they live as long as the notifier."""

    def __init__(self, read_sock: socket.socket, write_sock: socket.socket, parent: QObject) -> None:
        super().__init__(read_sock.fileno(), QSocketNotifier.Type.Read, parent)
        self.sockets = (read_sock, write_sock)


def install_sigterm_handler(app: QApplication, on_term: Callable[[], None]) -> QSocketNotifier | None:
    """Route SIGTERM/SIGINT into the Qt event loop (Python handlers do not run while Qt waits in C++)."""
    try:
        read_sock, write_sock = socket.socketpair()
    except OSError:
        return None
    read_sock.setblocking(False)
    write_sock.setblocking(False)
    signal.set_wakeup_fd(write_sock.fileno())
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)  # the wake-up byte does the work

    notifier = _WakeupNotifier(read_sock, write_sock, app)

    def on_wakeup() -> None:
        try:
            read_sock.recv(64)
        except OSError:
            pass
        on_term()

    notifier.activated.connect(on_wakeup)
    return notifier


class _FirstPaint(QObject):
    """Calls ``callbacks`` on the event-loop turn after ``window``'s first paint event, that is once its
    first frame is complete, or after FIRST_PAINT_MAX_WAIT_MS if no paint comes."""

    def __init__(self, window: QWidget, callbacks: list[Callable[[], object]]) -> None:
        super().__init__(window)
        self.window, self.callbacks = window, callbacks
        window.installEventFilter(self)
        QTimer.singleShot(FIRST_PAINT_MAX_WAIT_MS, self, self._run)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.window and event.type() == QEvent.Type.Paint:
            self.window.removeEventFilter(self)
            QTimer.singleShot(0, self, self._run)  # the paint pass this event starts finishes first
        return False

    def _run(self) -> None:
        callbacks, self.callbacks = self.callbacks, []
        self.window.removeEventFilter(self)
        for fn in callbacks:
            fn()


def after_first_paint(window: QWidget, *callbacks: Callable[[], object]) -> None:
    """Run ``callbacks`` (in order) once ``window`` (shown) has painted its first frame: work that starts
    jobs or fills areas waits until the user sees the window (issue 13 §5, benchmarks/bench_gui_startup.py)."""
    _FirstPaint(window, list(callbacks))


def _write_ready_file(path: str) -> None:
    from embedstudio.core.fileio import atomic_write_text

    atomic_write_text(path, f"{os.getpid()}\n")


def _install_env_hooks(window: MainWindow) -> None:
    shown = os.environ.get("EMBEDSTUDIO_SHOWN_FILE")
    if shown:
        QTimer.singleShot(0, lambda: _write_ready_file(shown))
    shot = os.environ.get("EMBEDSTUDIO_SCREENSHOT")
    if shot:
        _screenshot_when_settled(window, shot)
    quit_after = os.environ.get("EMBEDSTUDIO_QUIT_AFTER_MS")
    if quit_after:
        QTimer.singleShot(int(quit_after), lambda: window.request_quit(confirm=False))


def _screenshot_when_settled(window: MainWindow, path: str) -> None:
    """Grab once no start-up job (demo loads) runs any more, or after SCREENSHOT_MAX_WAIT_MS."""
    taken: list[bool] = []

    def grab() -> None:
        if not taken:
            taken.append(True)
            window.grab().save(path)

    def check() -> None:
        from embedstudio.gui.widgets.deferred import pending

        busy = [w for w in window.pool.running() if w is not window.warmup_worker]
        if not busy and not pending():
            QTimer.singleShot(300, grab)
        else:
            QTimer.singleShot(200, check)

    QTimer.singleShot(500, check)
    QTimer.singleShot(SCREENSHOT_MAX_WAIT_MS, grab)


def main(argv: list[str] | None = None) -> int:
    args = _parse(list(sys.argv[1:] if argv is None else argv))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    app = make_application()
    set_up_gui_thread(app)
    install_exception_hooks(app)
    if args.self_test:
        from embedstudio.gui.self_test import run_self_test

        return run_self_test(app)

    from embedstudio.gui.main_window import MainWindow
    from embedstudio.gui.preferences import load_preferences

    prefs, warning = load_preferences()
    if args.paths:
        prefs.demo_offered = True  # the user asked for specific files; do not load the demo over them
    window = MainWindow(prefs=prefs, prefs_warning=warning, warm_up=not args.no_warm_up)
    window.show()
    ready = os.environ.get("EMBEDSTUDIO_READY_FILE")
    first_frame: list[Callable[[], object]] = [lambda: _write_ready_file(ready)] if ready else []
    first_frame.append(window.after_show)
    if args.paths:
        first_frame.append(lambda: window.open_paths([Path(p) for p in args.paths]))
    after_first_paint(window, *first_frame)
    notifier = install_sigterm_handler(app, lambda: window.request_quit(confirm=False))
    _install_env_hooks(window)
    app.setQuitOnLastWindowClosed(True)
    code = app.exec()
    window.pool.wait_all()
    del notifier
    return code
