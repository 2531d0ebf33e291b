"""Import TensorFlow/Keras (and pyqtgraph) from a worker thread without freezing the GUI thread.

Threads: ``import_tensorflow`` and ``import_plotting`` are meant for a Worker's thread; they only block the
thread that calls them.
``prime_gui_thread`` runs on the GUI thread, once, before any worker may load TensorFlow.

Two things in a plain ``import tensorflow`` hold the GIL long enough to stall the event loop, measured
with a 20 ms QTimer probe on the project machine:

* CPython loads extension modules with ``dlopen`` while holding the GIL (so does ``ctypes.CDLL``), and
  ``dlopen`` of ``libtensorflow_cc`` (800 MB, static initialisers) takes 0.2 s warm and ~1 s cold.
  Calling libc's ``dlopen`` through a ctypes *function call* releases the GIL; once the libraries are
  resident, the extension's own ``dlopen`` returns at once.
* The import creates millions of objects, so the cyclic GC runs full collections of 100-150 ms each
  (and keeps doing so during training). Collecting is pointless during the import, and ``gc.freeze()``
  afterwards moves the imported objects out of every later collection.

And one that holds no GIL: ``dlopen`` runs the library's static initialisers under glibc's loader lock,
which ``__cxa_thread_atexit`` (the first use of a C++ ``thread_local`` with a destructor) also takes. The
GUI thread does exactly that the first time it starts a QAbstractAnimation (Qt's per-thread animation
timer), e.g. when a busy QProgressBar is painted, and then waits out the whole ``dlopen`` (0.4-0.7 s seen
in gdb, under load). ``prime_gui_thread`` makes that first use happen early.
"""

from __future__ import annotations

import ctypes
import gc
import importlib.util
import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from embedstudio.core.jobs import CancelToken, Reporter

_lock = threading.Lock()
# Set while import_tensorflow runs: the GUI thread's collector (gui/main_thread_gc.py) waits until it is
# clear, because gc.disable() above does not stop collections it starts itself, and a full collection over
# the import's millions of new objects held the GIL for 0.4-1.5 s (benchmarks/bench_gui_responsiveness.py).
importing = threading.Event()
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


# What a training imports, in this order: TensorFlow/Keras, then the TF-IDF path's and the evaluation's
# SciPy and scikit-learn modules (core/wide.py, core/baselines.py, core/model_inputs.py, core/evaluation.py,
# core/training.py, core/datasets/splits.py). Imported here, under the collector's pause and gc.freeze(),
# rather than lazily in the middle of a training: there their objects filled the young generation, and
# the GUI thread's next collection took 120-325 ms (benchmarks/bench_gui_responsiveness.py --trace).
TRAINING_MODULES = (
    "keras",
    "tensorflow",
    "scipy.sparse",
    "scipy.optimize",
    "sklearn.feature_extraction.text",
    "sklearn.svm",
    "sklearn.metrics",
    "sklearn.model_selection",
    "sklearn.utils.class_weight",
)


def _import_training_modules() -> None:
    """TRAINING_MODULES, as import statements (PyInstaller follows these, not imports by name; see
    tests/packaging/test_packaging_files.py)."""
    import keras  # noqa: F401
    import scipy.optimize  # noqa: F401
    import scipy.sparse  # noqa: F401
    import sklearn.feature_extraction.text  # noqa: F401
    import sklearn.metrics  # noqa: F401
    import sklearn.model_selection  # noqa: F401
    import sklearn.svm  # noqa: F401
    import sklearn.utils.class_weight  # noqa: F401
    import tensorflow  # noqa: F401


def _all_imported() -> bool:
    return all(name in sys.modules for name in TRAINING_MODULES)


def import_tensorflow() -> None:
    """Import ``tensorflow``, ``keras`` and the rest of TRAINING_MODULES (idempotent, thread-safe) without
    long GIL holds."""
    if _all_imported():
        return
    with _lock:
        if _all_imported():
            return
        from embedstudio.core.quiet_import import native_stderr_captured

        # TensorFlow's libraries print start-up lines from their static initialisers: keep them off the terminal.
        with native_stderr_captured():
            importing.set()
            try:
                _preload_shared_libraries()
                was_enabled = gc.isenabled()
                gc.disable()
                try:
                    _import_training_modules()
                finally:
                    gc.freeze()
                    if was_enabled:
                        gc.enable()
            finally:
                importing.clear()


def import_plotting(*, reporter: Reporter | None = None, cancel: CancelToken | None = None) -> None:
    """Import pyqtgraph, which the plots need (gui/widgets/deferred.py builds them once it is in).

    0.25-0.7 s, nearly all of it Python (``pyqtgraph.Qt`` reads every attribute of the Qt modules, which
    makes PySide6 create its enum types), so the GUI thread gets the GIL back at every switch interval
    instead of waiting for the whole import. It creates no QObject, so its thread does not matter to Qt."""
    if reporter is not None:
        reporter.progress(0, None, "loading the plotting library")
    import pyqtgraph  # noqa: F401 - the import is the point


_primed = False


def prime_gui_thread() -> None:
    """Create Qt's per-thread animation timer now, on the GUI thread (see the module docstring)."""
    global _primed
    if _primed:
        return
    from PySide6.QtCore import QVariantAnimation

    animation = QVariantAnimation()
    animation.setDuration(1)
    animation.setStartValue(0)
    animation.setEndValue(1)
    animation.start()
    animation.stop()
    _primed = True
