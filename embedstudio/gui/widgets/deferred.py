"""Plots built when they are first needed, not while the window opens.

Threads: GUI thread only (``build_pending`` schedules its work on the GUI thread's event loop).

Importing pyqtgraph (0.25-0.7 s; most of it is ``pyqtgraph.Qt`` touching every Qt class) and building a
PlotWidget (≈40 ms each, and the areas hold 12) used to happen before the window could show: 1.4 s of the
GUI thread's 1.6 s at start-up (benchmarks/bench_gui_startup.py, docs/field-notes.md). Each plot now sits
in a ``DeferredWidget`` placeholder and is built by whichever comes first:

* ``build_pending()``: once the window is on screen and pyqtgraph has been imported in a worker
  (``heavy_imports.import_plotting``), every placeholder is built, one per event-loop turn, those on screen
  first, so no turn holds the GUI thread for more than one plot;
* the placeholder is shown before then (its tab opened): it is built on the next turn, after the frame
  that shows the tab;
* code needs the real widget: ``widget()`` builds it at once (tests, and reads such as point counts).

Calls that only feed data (``when_built(fn)``) never build: before the build they are queued and run in
order right after it, so a dataset imported while the window opens does not pull pyqtgraph in early.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

import shiboken6
from PySide6.QtCore import QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

W = TypeVar("W", bound=QWidget)

_pending: list[weakref.ref[DeferredWidget]] = []  # placeholders not built yet, in creation order
_building = False


class DeferredWidget(QWidget, Generic[W]):
    """A placeholder for ``factory()``'s widget (the factory imports the plot module): ``widget()``,
    ``is_built()``, ``when_built(fn)``; it fills the placeholder's area once built."""

    def __init__(self, factory: Callable[[], W], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._factory = factory
        self._widget: W | None = None
        self._queued: list[tuple[str | None, Callable[[W], object]]] = []
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.failed = False  # its factory raised in build_pending
        _pending.append(weakref.ref(self))

    def is_built(self) -> bool:
        return self._widget is not None

    def widget(self) -> W:
        """The real widget, built now if it was not yet (with the queued calls applied to it)."""
        if self._widget is None:
            widget = self._factory()
            self._layout.addWidget(widget)
            # Recompute the size hints above now: a splitter shown later in this turn (the results' tabs
            # appear with the report) otherwise shared its space by the empty placeholder's stale hint
            # (841 px for the confusion matrix instead of 952).
            self._layout.activate()
            self.updateGeometry()
            self._widget = widget
            queued, self._queued = self._queued, []
            for _key, fn in queued:
                fn(widget)
        return self._widget

    def when_built(self, fn: Callable[[W], object], key: str | None = None) -> None:
        """``fn(widget)`` now if the widget exists, else right after it is built (calls keep their order).
        A queued call with the same ``key`` is dropped: a call that sets the whole content replaces the last."""
        if self._widget is not None:
            fn(self._widget)
            return
        if key is not None:
            self._queued = [(k, f) for k, f in self._queued if k != key]
        self._queued.append((key, fn))

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self._widget is None:
            QTimer.singleShot(0, self, self._build_if_shown)  # after the frame that shows the area

    def _build_if_shown(self) -> None:
        if self._widget is None and self.isVisible():
            self.widget()


def pending() -> list[DeferredWidget]:
    """The placeholders not built yet (nor failed to) whose Qt object still exists, in creation order."""
    alive = []
    for ref in _pending:
        placeholder = ref()
        if placeholder is None or not shiboken6.isValid(placeholder):
            continue
        if not placeholder.is_built() and not placeholder.failed:
            alive.append(placeholder)
    _pending[:] = [weakref.ref(p) for p in alive]
    return alive


def build_pending(on_done: Callable[[], object] | None = None) -> None:
    """Build every placeholder not built yet, one per event-loop turn, the visible ones first; then
    ``on_done()``. A second call while a pass runs joins it (its ``on_done`` is called when that ends)."""
    global _building
    callbacks = [on_done] if on_done is not None else []
    if _building:
        _waiting.extend(callbacks)
        return
    _building = True
    _waiting.extend(callbacks)

    def step() -> None:
        global _building
        todo = pending()
        if not todo:
            _building = False
            done, _waiting[:] = list(_waiting), []
            for fn in done:
                fn()
            return
        visible = [p for p in todo if p.isVisible()]
        QTimer.singleShot(0, step)  # first: a plot that fails to build reports its error, the rest still build
        placeholder = (visible or todo)[0]
        try:
            placeholder.widget()
        except Exception:
            placeholder.failed = True  # not tried again by this loop; widget() would raise again
            raise

    QTimer.singleShot(0, step)


_waiting: list[Callable[[], object]] = []
