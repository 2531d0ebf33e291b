"""Entry point of the desktop app: ``main(argv)``, the ``--self-test``, and SIGTERM / test hooks.

Environment hooks (used by the real-X-server test and by packaging smoke tests):
EMBEDSTUDIO_READY_FILE=path   written once the window is shown and painted;
EMBEDSTUDIO_SCREENSHOT=path   the window grabs itself into this PNG once start-up jobs are done;
EMBEDSTUDIO_QUIT_AFTER_MS=n   close cleanly after n milliseconds.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
from pathlib import Path

import embedstudio.gui.refcount_guard  # noqa: F401 - first: PySide6 6.12 on Python 3.11 needs it
from PySide6.QtCore import QSocketNotifier, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

SELF_TEST_TIMEOUT_MS = 600_000
SCREENSHOT_MAX_WAIT_MS = 30_000


def _parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="embedstudio gui", description="EmbedStudio desktop app")
    p.add_argument("paths", nargs="*", help="vector files, datasets or configurations to open")
    p.add_argument("--self-test", action="store_true",
                   help="open the window, load the demo, train one short epoch, write a run, exit 0 on success")
    p.add_argument("--no-warm-up", action="store_true", help="do not import TensorFlow in the background")
    return p.parse_args(argv)


def make_application() -> QApplication:
    app = QApplication.instance()
    if app is None:
        # Fractional scale factors (125 %, 150 %) render crisply instead of being rounded to 1x/2x.
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(sys.argv[:1])
    app.setApplicationName("EmbedStudio")
    app.setDesktopFileName("embedstudio")  # lets Wayland docks match the window to its .desktop entry
    app.setOrganizationName("EmbedStudio")
    app.setApplicationDisplayName("EmbedStudio")
    return app


def install_sigterm_handler(app: QApplication, on_term) -> QSocketNotifier | None:
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

    notifier = QSocketNotifier(read_sock.fileno(), QSocketNotifier.Read, app)

    def on_wakeup() -> None:
        try:
            read_sock.recv(64)
        except OSError:
            pass
        on_term()

    notifier.activated.connect(on_wakeup)
    notifier._sockets = (read_sock, write_sock)  # keep both ends alive as long as the notifier
    return notifier


def _write_ready_file(path: str) -> None:
    from embedstudio.core.fileio import atomic_write_text

    atomic_write_text(path, f"{os.getpid()}\n")


def _install_env_hooks(window) -> None:
    ready = os.environ.get("EMBEDSTUDIO_READY_FILE")
    if ready:
        QTimer.singleShot(0, lambda: _write_ready_file(ready))
    shot = os.environ.get("EMBEDSTUDIO_SCREENSHOT")
    if shot:
        _screenshot_when_settled(window, shot)
    quit_after = os.environ.get("EMBEDSTUDIO_QUIT_AFTER_MS")
    if quit_after:
        QTimer.singleShot(int(quit_after), lambda: window.request_quit(confirm=False))


def _screenshot_when_settled(window, path: str) -> None:
    """Grab once no start-up job (demo loads) runs any more, or after SCREENSHOT_MAX_WAIT_MS."""
    taken = []

    def grab() -> None:
        if not taken:
            taken.append(True)
            window.grab().save(path)

    def check() -> None:
        busy = [w for w in window.pool.running() if w is not window.warmup_worker]
        if not busy:
            QTimer.singleShot(300, grab)
        else:
            QTimer.singleShot(200, check)

    QTimer.singleShot(500, check)
    QTimer.singleShot(SCREENSHOT_MAX_WAIT_MS, grab)


def main(argv: list[str] | None = None) -> int:
    args = _parse(list(sys.argv[1:] if argv is None else argv))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    app = make_application()
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
    QTimer.singleShot(0, window.after_show)
    if args.paths:
        QTimer.singleShot(0, lambda: window.open_paths([Path(p) for p in args.paths]))
    notifier = install_sigterm_handler(app, lambda: window.request_quit(confirm=False))
    _install_env_hooks(window)
    app.setQuitOnLastWindowClosed(True)
    code = app.exec()
    window.pool.wait_all()
    del notifier
    return code
