"""What scripts/screenshots.py and scripts/screenshots_study.py share: a throw-away profile, the Qt
application set up as the app sets it up, waiting on the event loop, and grabbing a widget into a PNG.

Not a script of its own; both scripts import it (they run with ``scripts/`` first on ``sys.path``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZE = (1366, 768)  # the most common laptop screen; every area must be readable at this size
SCREEN = (1920, 1080)  # the offscreen platform's screen, larger than SIZE (see offscreen_screen)
DEFAULT_OUT = ROOT / "docs" / "screenshots"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the worktree's embedstudio, without installing it


def out_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"folder for the PNGs (default {DEFAULT_OUT})")


@contextmanager
def throwaway_profile(prefix: str = "embedstudio-shots-") -> Iterator[Path]:
    """Offscreen on a SCREEN-sized screen (unless QT_QPA_PLATFORM names another platform), with temporary
    config/cache/data folders, so the user's preferences, vector cache and runs are left alone; the folder is
    removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
            os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={offscreen_screen(Path(tmp))}"
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        saved = {var: os.environ.get(var) for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME")}
        for var in saved:
            os.environ[var] = str(Path(tmp) / var.lower())
        try:
            yield Path(tmp)
        finally:
            for var, value in saved.items():
                if value is None:
                    os.environ.pop(var, None)
                else:
                    os.environ[var] = value


def offscreen_screen(folder: Path) -> Path:
    """A config file for Qt's offscreen platform with one SCREEN-sized screen at 96 dpi. The main window fits
    itself to its screen, frame included (offscreen's default screen is 800x800, and it reports a 2-pixel
    frame), so the screen is larger than SIZE and the window is then resized to exactly SIZE."""
    path = folder / "offscreen-screen.json"
    screen = {"name": "screenshots", "x": 0, "y": 0, "width": SCREEN[0], "height": SCREEN[1], "logicalDpi": 96}
    path.write_text(json.dumps({"screens": [{**screen, "logicalBaseDpi": 96, "dpr": 1}]}), encoding="utf-8")
    return path


def make_app():
    """The QApplication with the GUI process's own set-up (gui/app.py), as ``embedstudio gui`` makes it."""
    from embedstudio.gui.app import make_application, set_up_gui_thread

    app = make_application()
    set_up_gui_thread(app)
    return app


def wait_until(predicate: Callable[[], object], timeout_s: float, what: str) -> None:
    """Run the event loop until ``predicate()`` holds; exit with a message naming ``what`` on timeout."""
    from PySide6.QtCore import QEventLoop, QTimer

    deadline = time.monotonic() + timeout_s
    loop = QEventLoop()
    timer = QTimer(interval=50)
    timer.timeout.connect(lambda: (predicate() or time.monotonic() > deadline) and loop.quit())
    timer.start()
    loop.exec()
    timer.stop()
    if not predicate():
        raise SystemExit(f"screenshots: timed out after {timeout_s:.0f} s waiting for {what}")


def pause(ms: int = 400) -> None:
    """Let the widgets repaint (charts redraw on a timer)."""
    deadline = time.monotonic() + ms / 1000
    wait_until(lambda: time.monotonic() > deadline, 10 + ms / 1000, "repaint")


class Shots:
    """Grabs widgets into ``out/NAME.png``, printing each path, and remembers what it wrote."""

    def __init__(self, out: Path) -> None:
        self.out = out.resolve()
        self.out.mkdir(parents=True, exist_ok=True)
        self.written: list[Path] = []

    def grab(self, widget, name: str) -> Path:
        pause()
        return self.save(widget, name)

    def save(self, widget, name: str) -> Path:
        path = self.out / f"{name}.png"
        if not widget.grab().save(str(path)):
            raise SystemExit(f"screenshots: could not write {path}")
        self.written.append(path)
        print(f"wrote {path}", flush=True)
        return path

    def grab_popup(self, name: str, action: Callable[[], object]) -> None:
        """Run ``action`` (which opens a modal question or a menu and blocks in its own loop), grab the
        popup it shows, then dismiss it (Cancel for a question)."""
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication, QMessageBox

        def shoot() -> None:
            popup = QApplication.activeModalWidget() or QApplication.activePopupWidget()
            if popup is None:
                QTimer.singleShot(100, shoot)
                return
            self.save(popup, name)
            if isinstance(popup, QMessageBox):
                cancel = next((b for b in popup.buttons() if b.text().replace("&", "") == "Cancel"), None)
                (cancel or popup.buttons()[-1]).click()
            else:
                popup.close()

        QTimer.singleShot(300, shoot)
        action()

    def summary(self, started: float) -> str:
        return f"screenshots: {len(self.written)} PNGs in {self.out} ({time.monotonic() - started:.0f} s)"
