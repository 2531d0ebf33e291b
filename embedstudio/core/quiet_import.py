"""Import TensorFlow/Keras without the C++ start-up chatter that TF_CPP_MIN_LOG_LEVEL cannot silence.

TensorFlow 2.21 prints absl/oneDNN lines to file descriptor 2 from its libraries' static initialisers,
before its logging is initialised, so the environment variable has no effect on them. We point fd 2 at a
temporary file while the libraries load, and replay what was captured if loading fails, so a broken
install still explains itself.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.RLock()


@contextmanager
def native_stderr_captured() -> Iterator[None]:
    """Send what native code writes to fd 2 into a temporary file; replay it if the block raises."""
    with _lock:
        try:
            sys.stderr.flush()
        except (AttributeError, ValueError):
            pass
        try:
            saved = os.dup(2)
        except OSError:  # no fd 2 (a windowed app on some platforms): nothing to silence
            yield
            return
        with tempfile.TemporaryFile() as sink:
            os.dup2(sink.fileno(), 2)
            try:
                yield
            except BaseException:
                os.dup2(saved, 2)
                sink.seek(0)
                sys.stderr.write(sink.read().decode("utf-8", "replace"))
                raise
            finally:
                os.dup2(saved, 2)
                os.close(saved)


_imported = False  # set once keras and tensorflow are fully imported (by this module or gui/heavy_imports)


def import_keras_quietly():
    """Return the ``keras`` module, importing TensorFlow with its start-up log lines suppressed.

    Thread-safe: the import runs under this module's lock, the one gui/heavy_imports.import_tensorflow
    also holds (through ``native_stderr_captured``) while it imports. Two threads entering TensorFlow's
    circular imports at once fail with "partially initialized module", and ``"tensorflow" in sys.modules``
    is already true while the first is still importing, so it is no proof that the import is over.
    """
    global _imported
    if not _imported:
        with _lock:
            if not _imported:
                os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
                with native_stderr_captured():
                    import keras
                    import tensorflow  # noqa: F401 - keras' backend; imported here so its chatter is captured
                _imported = True
    import keras

    return keras


def import_tensorflow_quietly():
    """Return the ``tensorflow`` module, imported as :func:`import_keras_quietly` imports it."""
    import_keras_quietly()
    import tensorflow

    return tensorflow
