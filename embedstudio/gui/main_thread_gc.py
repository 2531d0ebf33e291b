"""Run Python's cyclic garbage collector on the GUI thread only.

Threads: ``install()`` and the collections run on the GUI thread; workers never collect.

The collector runs in whichever thread happens to allocate when a threshold is crossed. When that is a
worker and the garbage holds Qt widgets (a closed panel kept in a reference cycle by its own slots), the
widgets are destroyed on the worker thread: it takes Qt's object lock and then waits for the GIL, while
the GUI thread holds the GIL and waits for that lock. gdb showed exactly this (a CSV-reading worker's
``gc_collect_main`` in ``~QObject``, the GUI thread in ``~QAction``), and the test suite hung. The cure
(pyqtgraph ships the same idea as ``util.garbage_collector``): turn automatic collection off and collect,
generation by generation with the usual thresholds, from a timer on the GUI thread.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer

INTERVAL_MS = 500

_installed: MainThreadGarbageCollector | None = None


class MainThreadGarbageCollector(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        self.timer = QTimer(self, interval=INTERVAL_MS)
        self.timer.timeout.connect(self.check)
        gc.disable()
        self.timer.start()

    def check(self) -> None:
        """Collect what automatic collection would have collected, but here, on the GUI thread; not while a
        worker imports TensorFlow (its objects are frozen out of collections once the import ends)."""
        from embedstudio.gui.heavy_imports import importing

        if importing.is_set():
            return
        counts = gc.get_count()
        generation = -1
        for gen in range(3):
            if counts[gen] > self.threshold[gen]:
                generation = gen
            else:
                break
        if generation >= 0:
            gc.collect(generation)


def install() -> MainThreadGarbageCollector | None:
    """Install once, from the GUI thread of a running QApplication (idempotent)."""
    global _installed
    app = QCoreApplication.instance()
    if _installed is not None or app is None or QThread.currentThread() is not app.thread():
        return _installed
    _installed = MainThreadGarbageCollector(app)
    return _installed
