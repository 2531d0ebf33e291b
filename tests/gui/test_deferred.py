"""Plots built after the window shows (gui/widgets/deferred.py) and the first frame before other work (app.py)."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

from PySide6.QtWidgets import QLabel, QTabWidget

from embedstudio.gui.widgets.deferred import DeferredWidget, build_pending, pending

ROOT = Path(__file__).resolve().parents[2]


def _label_factory(made: list):
    def make() -> QLabel:
        label = QLabel("built")
        made.append(label)
        return label

    return make


def test_queued_calls_run_in_order_after_the_build_and_a_keyed_call_replaces_the_last(qtbot):
    made: list = []
    holder = DeferredWidget(_label_factory(made))
    qtbot.addWidget(holder)
    holder.when_built(lambda w: w.setText("first"), "text")
    holder.when_built(lambda w: w.setToolTip("tip"))
    holder.when_built(lambda w: w.setText("second"), "text")
    assert not made and not holder.is_built(), "feeding data does not build"
    label = holder.widget()
    assert made == [label] and holder.is_built()
    assert label.text() == "second" and label.toolTip() == "tip"
    assert label.parentWidget() is holder, "the plot fills the placeholder"
    holder.when_built(lambda w: w.setText("now"))
    assert label.text() == "now", "once built, calls run at once"
    assert holder.widget() is label, "built once"


def test_a_placeholder_builds_on_the_turn_after_it_is_shown(qtbot):
    made: list = []
    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    shown_first = DeferredWidget(_label_factory(made))
    hidden = DeferredWidget(_label_factory(made))
    tabs.addTab(shown_first, "one")
    tabs.addTab(hidden, "two")
    tabs.show()
    assert not shown_first.is_built(), "not while the frame that shows it is being made"
    qtbot.waitUntil(shown_first.is_built)
    assert not hidden.is_built(), "a tab not opened waits"
    tabs.setCurrentWidget(hidden)
    qtbot.waitUntil(hidden.is_built)


def test_build_pending_builds_every_placeholder_then_calls_back(qtbot):
    made: list = []
    holders = [DeferredWidget(_label_factory(made)) for _ in range(3)]
    for holder in holders:
        qtbot.addWidget(holder)
    done: list = []
    build_pending(on_done=lambda: done.append(True))
    assert not made, "one per event-loop turn, starting on the next"
    qtbot.waitUntil(lambda: bool(done))
    assert all(h.is_built() for h in holders) and not [p for p in pending() if p in holders]


def test_the_window_paints_its_first_frame_without_pyqtgraph_and_builds_the_plots_after():
    code = textwrap.dedent("""
        import sys
        from PySide6.QtCore import QTimer
        from embedstudio.gui.app import after_first_paint, make_application
        from embedstudio.gui.main_window import MainWindow
        from embedstudio.gui.preferences import Preferences
        from embedstudio.gui.widgets.deferred import pending
        app = make_application()
        w = MainWindow(prefs=Preferences(demo_offered=True), save_prefs=False, warm_up=False)
        w.show()
        order = []
        after_first_paint(w, lambda: order.append(('pyqtgraph' in sys.modules, len(pending()))), w.after_show)
        def check():
            if order and not pending() and not w.pool.running():
                app.quit()
            else:
                QTimer.singleShot(50, check)
        QTimer.singleShot(50, check)
        QTimer.singleShot(120_000, app.quit)
        app.exec()
        print('FIRST_FRAME', order)
        print('AFTER', 'pyqtgraph' in sys.modules, len(pending()), w.training_panel.curves.point_count('train_loss'))
        w.close()
    """)
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    first = next(line for line in res.stdout.splitlines() if line.startswith("FIRST_FRAME"))
    imported, waiting = ast.literal_eval(first.split(" ", 1)[1])[0]
    assert not imported and waiting >= 9, "the first frame came before pyqtgraph and the nine plot areas"
    assert "AFTER True 0 0" in res.stdout, "then pyqtgraph is in and every plot area is built"
