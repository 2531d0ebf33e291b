"""Workarounds for PySide6 bugs that would crash or hang the app (applied once, by gui/worker.py).

``SignalInstance.emit()`` in PySide6 6.12.0 returns ``True`` without taking a reference, so every emit
from Python drops one reference to ``True``. A fresh process aborts after ~600 emits with "Fatal Python
error: bool_dealloc"; with TensorFlow loaded it takes longer, but a training run emits ten events a
second, so an hour's run would kill the app. On Python 3.11 (``True`` is not yet immortal) we measure
the leak once and, if present, give ``True``/``False`` a reserve of references no run can exhaust.
"""

from __future__ import annotations

import ctypes
import sys

RESERVE = 1 << 40  # references: a million emits a second for twelve days


def emit_drops_bool_references() -> bool:
    """Whether ``Signal.emit()`` steals a reference to its return value in this PySide6."""
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        ping = Signal()

    probe = _Probe()
    before = sys.getrefcount(True)
    result = None
    for _ in range(4):
        result = probe.ping.emit()
    del result
    return sys.getrefcount(True) < before


def _add_references(obj: object, count: int) -> bool:
    """Raise ``obj``'s reference count by ``count``; False (and nothing changed) if the layout is not the
    usual one (``ob_refcnt`` first), which a check of ``sys.getrefcount`` would reveal."""
    before = sys.getrefcount(obj)
    cell = ctypes.c_ssize_t.from_address(id(obj))
    if cell.value != before - 1:  # getrefcount counts its own argument
        return False
    cell.value += count
    return True


def protect_bool_refcounts() -> bool:
    """Apply the ``True``/``False`` reserve when needed; returns whether it was applied."""
    if sys.version_info >= (3, 12):
        return False  # True and False are immortal: a stolen reference cannot free them
    if not emit_drops_bool_references():
        return False
    return all(_add_references(obj, RESERVE) for obj in (True, False))
