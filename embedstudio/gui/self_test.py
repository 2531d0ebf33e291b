"""``embedstudio gui --self-test``: open the window, load the demo, train one short epoch, write a run.

Exit code 0 when a completed run folder with its config was written; 1 on any error dialog or failed
run; 2 on timeout. Runs go to a temporary folder, and the user's preferences are neither read nor written.

Threads: all of this runs on the GUI thread, driven by timers and the panels' signals.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from embedstudio.gui import dialogs

TIMEOUT_MS = 600_000
POLL_MS = 100


class SelfTest:
    def __init__(self, app: QApplication, runs_dir: Path) -> None:
        from embedstudio.gui.main_window import MainWindow
        from embedstudio.gui.preferences import Preferences

        self.app = app
        self.code: int | None = None
        self.window = MainWindow(prefs=Preferences(), save_prefs=False)
        self.window.state.set_runs_dir(runs_dir)
        self.training_started = False
        dialogs.error_listeners.append(self._on_error)
        self.window.state.run_finished.connect(self._on_run_finished)

    def start(self) -> None:
        self.window.show()
        self._say("window shown; loading the demo vectors and dataset")
        self.window.after_show()
        QTimer.singleShot(POLL_MS, self._poll)
        QTimer.singleShot(TIMEOUT_MS, lambda: self._finish(2, f"timed out after {TIMEOUT_MS // 1000} s"))

    def _poll(self) -> None:
        if self.code is not None or self.training_started:
            return
        state = self.window.state
        if state.dataset is not None and state.selected_vectors() and all(state.selected_vectors()):
            self._start_training()
        else:
            QTimer.singleShot(POLL_MS, self._poll)

    def _start_training(self) -> None:
        state = self.window.state
        state.config.training.epochs = 1
        state.notify_config()
        panel = self.window.training_panel
        documents = len(state.dataset.train) if state.dataset is not None else 0
        self._say(f"demo loaded ({documents} documents); training one epoch")
        self.training_started = True
        self.window.show_area("Training")
        if panel.start() is None:
            self._finish(1, "training did not start: " + panel.status.text())

    def _on_run_finished(self, run_dir) -> None:
        run_dir = Path(run_dir)
        result = self.window.training_panel.last_result
        status = result.status if result is not None else "unknown"
        if not (run_dir / "config.json").is_file():
            self._finish(1, f"the run folder {run_dir} has no config.json")
        elif status != "completed":
            self._finish(1, f"the run ended as {status!r}")
        else:
            accuracy = ((result.report if result is not None else None) or {}).get("accuracy")
            extra = f", test accuracy {accuracy:.3f}" if isinstance(accuracy, float) else ""
            self._finish(0, f"run written to {run_dir}{extra}")

    def _on_error(self, info) -> None:
        self._finish(1, f"error shown to the user: {info.message}\n{info.details}")

    def _say(self, text: str) -> None:
        print(f"self-test: {text}", flush=True)

    def _finish(self, code: int, message: str) -> None:
        if self.code is not None:
            return
        self.code = code
        self._say(("passed: " if code == 0 else "FAILED: ") + message)
        self.window.request_quit(confirm=False)
        self._exit_when_closed()

    def _exit_when_closed(self) -> None:
        if self.window.isVisible() or self.window.pool.running():
            QTimer.singleShot(POLL_MS, self._exit_when_closed)
        else:
            self.app.exit(self.code)


def run_self_test(app: QApplication) -> int:
    with tempfile.TemporaryDirectory(prefix="embedstudio-self-test-") as runs:
        test = SelfTest(app, Path(runs))
        QTimer.singleShot(0, test.start)
        code = app.exec()
        test.window.pool.wait_all()
        dialogs.error_listeners.remove(test._on_error)
    if test.code is None:
        print("self-test: FAILED: the event loop ended early", file=sys.stderr)
        return 1
    # Closing the last window ends the event loop with 0 before app.exit(code) runs: trust the verdict.
    return test.code or code
