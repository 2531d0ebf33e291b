"""Keep PySide6 6.12 from crashing the interpreter on Python 3.10/3.11.

Measured here (PySide6-Essentials 6.12.0, cp310-abi3 wheel, CPython 3.11.7): every call of a
void-returning Qt method (``widget.setEnabled``, ``processEvents``, ``QThread.msleep`` …) takes one
reference from ``None`` without having added it, and every ``Signal.emit`` does the same to ``True``.
After a few thousand calls the count reaches zero and CPython aborts with "Fatal Python error:
none_dealloc" / "bool_dealloc" (a GUI session or a test run dies within minutes). PySide6 6.11.3 does
not do this, and on Python 3.12+ these singletons are immortal, so the bug is harmless there.

The guard gives None, True and False a reference count so large that the lost references can never
exhaust it — the same thing Python 3.12 does by making them immortal. They are never freed anyway.
Import this module before any Qt work; it is idempotent.
"""

from __future__ import annotations

import ctypes
import sys

_RESERVE = 1 << 40  # ~10^12 references: centuries of lost references at any realistic call rate


def _affected() -> bool:
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return False
    if hasattr(sys, "getobjects"):  # a Py_TRACE_REFS build lays PyObject out differently; do not touch it
        return False
    try:
        import PySide6
    except ImportError:
        return False
    return tuple(PySide6.__version_info__[:2]) >= (6, 12)


def guard_singletons() -> bool:
    """Raise the reference counts of None/True/False when this Python + PySide6 needs it; True if done."""
    if not _affected():
        return False
    for obj in (None, True, False):
        refcount = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is the first field of PyObject
        if refcount.value < _RESERVE // 2:
            refcount.value += _RESERVE
    return True


GUARDED = guard_singletons()
