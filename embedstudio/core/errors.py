"""Errors meant for the user: one readable message that names the file, line or field."""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix. ``str(err)`` is shown as-is, without a traceback."""

    def __init__(self, message: str, *, hint: str | None = None):
        self.message = message
        self.hint = hint
        super().__init__(message if not hint else f"{message}\n{hint}")


class VectorFileError(UserError):
    """A vector file that cannot be read (names the file and, where known, the line)."""


class DatasetError(UserError):
    """A dataset that cannot be imported (names the file, line or column)."""


class ConfigError(UserError):
    """An invalid run configuration. The message names the field; ``field`` holds its dotted path
    (``model.dropout``, ``embedding.vectors[0].path``) when one field is at fault, so a form can point at
    the control without reading the message."""

    def __init__(self, message: str, *, field: str | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.field = field


class RunError(UserError):
    """A run directory that is missing or unreadable."""


class TrainingError(UserError):
    """Training failed in a way the user can act on (NaN loss, empty split, ...)."""
