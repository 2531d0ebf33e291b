"""Import TensorFlow/Keras without the C++ start-up chatter that TF_CPP_MIN_LOG_LEVEL cannot silence.

TensorFlow 2.21 prints absl/oneDNN lines to file descriptor 2 before its logging is initialised, so the
environment variable has no effect on them. We point fd 2 at a temporary file for the import only, and
replay what was captured if the import fails, so a broken install still explains itself.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading

_lock = threading.Lock()


def import_keras_quietly():
    """Return the ``keras`` module, importing TensorFlow with its start-up log lines suppressed."""
    if "keras" in sys.modules and "tensorflow" in sys.modules:
        return sys.modules["keras"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _lock:
        try:
            sys.stderr.flush()
        except (AttributeError, ValueError):
            pass
        try:
            saved = os.dup(2)
        except OSError:  # no fd 2 (a windowed app on some platforms): nothing to silence
            import keras

            return keras
        with tempfile.TemporaryFile() as sink:
            os.dup2(sink.fileno(), 2)
            try:
                import tensorflow  # noqa: F401 - keras' backend; imported here so its chatter is captured
                import keras
            except BaseException:
                os.dup2(saved, 2)
                sink.seek(0)
                sys.stderr.write(sink.read().decode("utf-8", "replace"))
                raise
            finally:
                os.dup2(saved, 2)
                os.close(saved)
    return keras
