"""Progress reporting and cooperative cancellation for long core jobs.

Every long core function takes ``reporter`` and ``cancel`` keyword arguments that default
to no-ops, so the CLI (terminal bar), the GUI (queued Qt signals) and tests share one code path.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Protocol


class Cancelled(BaseException):
    """Raised when the user cancels. A BaseException, so a library's ``except Exception`` cannot swallow it."""


class CancelToken:
    """A thread-safe flag that the UI sets and the job polls."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()


class Reporter(Protocol):
    """What a job may tell its caller. All methods must be cheap and thread-safe."""

    def progress(self, done: float, total: float | None = None, message: str = "") -> None:
        """``done`` out of ``total`` units (``total=None`` means unknown / busy)."""

    def info(self, message: str) -> None:
        """A line for the log."""

    def warning(self, message: str) -> None:
        """A recoverable problem the user should see (the job goes on)."""

    def event(self, kind: str, payload: dict[str, Any]) -> None:
        """Structured data, e.g. ``("batch", {...})`` or ``("epoch", {...})`` from training."""


class NullReporter:
    """Discards everything except warnings, which it keeps for inspection."""

    def __init__(self) -> None:
        self.warnings: list[str] = []

    def progress(self, done: float, total: float | None = None, message: str = "") -> None:
        pass

    def info(self, message: str) -> None:
        pass

    def warning(self, message: str) -> None:
        self.warnings.append(message)

    def event(self, kind: str, payload: dict[str, Any]) -> None:
        pass


class RecordingReporter(NullReporter):
    """Keeps everything; used by tests and by code that wants to replay a job's log."""

    def __init__(self) -> None:
        super().__init__()
        self.progress_calls: list[tuple[float, float | None, str]] = []
        self.infos: list[str] = []
        self.events: list[tuple[str, dict[str, Any]]] = []

    def progress(self, done: float, total: float | None = None, message: str = "") -> None:
        self.progress_calls.append((done, total, message))

    def info(self, message: str) -> None:
        self.infos.append(message)

    def event(self, kind: str, payload: dict[str, Any]) -> None:
        self.events.append((kind, payload))


class ThrottledProgress:
    """Forwards progress only when the rounded percentage changes or ``interval`` seconds passed.

    Keeps a per-byte or per-line loop from flooding the GUI's event queue.
    """

    def __init__(
        self,
        reporter: Reporter,
        total: float | None,
        message: str = "",
        *,
        interval: float = 0.1,
        cancel: CancelToken | None = None,
        unit: str = "",
    ) -> None:
        self._reporter = reporter
        if unit:  # e.g. "B": a terminal shows 15.2 MB/15.2 MB instead of a raw count
            reporter.event("progress_unit", {"message": message, "unit": unit})
        self._total = total
        self._message = message
        self._interval = interval
        self._cancel = cancel
        self._last_pct = -1
        self._last_time = 0.0

    def __call__(self, done: float, message: str | None = None) -> None:
        if self._cancel is not None:
            self._cancel.raise_if_cancelled()
        now = time.monotonic()
        pct = int(100 * done / self._total) if self._total else -1
        if pct != self._last_pct or now - self._last_time >= self._interval:
            self._last_pct = pct
            self._last_time = now
            self._reporter.progress(done, self._total, message if message is not None else self._message)


def ensure_reporter(reporter: Reporter | None) -> Reporter:
    return reporter if reporter is not None else NullReporter()


def ensure_cancel(cancel: CancelToken | None) -> CancelToken:
    return cancel if cancel is not None else CancelToken()
