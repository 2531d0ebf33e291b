"""Import TensorFlow/Keras from a worker thread without freezing the GUI thread.

Threads: ``import_tensorflow`` is meant for a Worker's thread; it only blocks the thread that calls it.

Two things in a plain ``import tensorflow`` hold the GIL long enough to stall the event loop, measured
with a 20 ms QTimer probe on the project machine:

* CPython loads extension modules with ``dlopen`` while holding the GIL (so does ``ctypes.CDLL``), and
  ``dlopen`` of ``libtensorflow_cc`` (800 MB, static initialisers) takes 0.2 s warm and ~1 s cold.
  Calling libc's ``dlopen`` through a ctypes *function call* releases the GIL; once the libraries are
  resident, the extension's own ``dlopen`` returns at once.
* The import creates millions of objects, so the cyclic GC runs full collections of 100-150 ms each
  (and keeps doing so during training). Collecting is pointless during the import, and ``gc.freeze()``
  afterwards moves the imported objects out of every later collection.
"""

from __future__ import annotations

import ctypes
import gc
import importlib.util
import os
import sys
import threading
from pathlib import Path

_lock = threading.Lock()
_TF_LIBRARIES = ("libtensorflow_framework.so.2", "libtensorflow_cc.so.2", "python/lib_pywrap_tensorflow_common.so")


def _preload_shared_libraries() -> None:
    """dlopen TensorFlow's big shared libraries with the GIL released (Linux only; a no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    spec = importlib.util.find_spec("tensorflow")
    if spec is None or spec.origin is None:
        return
    root = Path(spec.origin).parent
    try:
        libc = ctypes.CDLL(None)
        dlopen = libc.dlopen
    except (OSError, AttributeError):
        return
    dlopen.restype = ctypes.c_void_p
    dlopen.argtypes = [ctypes.c_char_p, ctypes.c_int]
    for name in _TF_LIBRARIES:
        path = root / name
        if path.is_file():
            # The handle is deliberately never closed: the library must stay resident for the import.
            dlopen(os.fsencode(path), os.RTLD_NOW | os.RTLD_LOCAL)


def import_tensorflow() -> None:
    """Import ``tensorflow`` and ``keras`` (idempotent, thread-safe) without long GIL holds."""
    if "keras" in sys.modules and "tensorflow" in sys.modules:
        return
    with _lock:
        if "keras" in sys.modules and "tensorflow" in sys.modules:
            return
        _preload_shared_libraries()
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            import tensorflow  # noqa: F401 - the import is the point
            import keras  # noqa: F401
        finally:
            gc.freeze()
            if was_enabled:
                gc.enable()
