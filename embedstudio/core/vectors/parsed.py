"""What any vector reader found, before ``readers.py`` turns it into a :class:`WordVectors`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from embedstudio.core.vectors.text_reader import MAX_LISTED, TextVectors

__all__ = ["MAX_LISTED", "Parsed"]


@dataclass
class Parsed(TextVectors):
    """The text reader's result (whose ``warnings`` that reader already reported), plus warnings still to
    report and a subword model."""

    new_warnings: list[str] = field(default_factory=list)
    subword_model: Any = None
