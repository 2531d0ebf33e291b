"""Advice about a model's settings, written once and said two ways: with the GUI's control labels (the Model
area shows it before Start, each mention a link to its control) and with config syntax (the CLI and the log).

A message is a template in which ``[[path]]`` names a setting and ``[[path=value]]`` a setting and the value
advised; :meth:`Advice.text` renders them with the spec's label and choice labels, :meth:`Advice.cli` as
``path = value``, and :meth:`Advice.segments` as ``(text, field or None)`` pieces a view turns into links.
The rules read only what the summary and training both know: coverage reports, the vector file, the training
labels (see ``docs/field-notes.md`` for the measurements behind the thresholds).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import RunConfig, spec_of

FROZEN_NOISE_SHARE = 0.3  # frozen random rows above this share are noise the model cannot fix (20NG: 0.32 vs 0.65)
LOW_COVERAGE = 0.2
IMBALANCE_RATIO = 5.0  # the dataset import's imbalance check uses the same ratio
_MENTION = re.compile(r"\[\[([\w.\[\]]+)(?:=([^\]]*))?\]\]")


@dataclass(frozen=True)
class Advice:
    """One piece of advice: ``field`` is the setting to change (the control a link jumps to)."""

    field: str
    template: str

    def segments(self) -> list[tuple[str, str | None]]:
        """The GUI text in pieces: ``(text, None)`` for prose, ``(label text, field)`` for a mention."""
        out: list[tuple[str, str | None]] = []
        pos = 0
        for m in _MENTION.finditer(self.template):
            if m.start() > pos:
                out.append((self.template[pos : m.start()], None))
            out.append((_label(m.group(1), m.group(2)), m.group(1)))
            pos = m.end()
        if pos < len(self.template):
            out.append((self.template[pos:], None))
        return out

    def text(self) -> str:
        """With the controls' labels, e.g. '“Learn vectors for words the file lacks” on'."""
        return "".join(part for part, _field in self.segments())

    def cli(self) -> str:
        """With config syntax, e.g. 'embedding.train_oov_rows = true'."""
        return _MENTION.sub(
            lambda m: m.group(1) + (f" = {m.group(2)}" if m.group(2) is not None else ""), self.template
        )


def _label(path: str, value: str | None) -> str:
    fspec = spec_of(path)
    if value is None:
        return f"“{fspec.label}”"
    if value in ("true", "false"):
        return f"“{fspec.label}” {'on' if value == 'true' else 'off'}"
    return f"{fspec.label} “{(fspec.choice_labels or {}).get(value, value)}”"


_CONFIG_MENTION = re.compile(
    r"\b((?:data|text|embedding|model|training)\.[a-z_]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[\w\-]+(?:\.[\w\-]+)*))?"
)


def in_gui_words(message: str) -> str:
    """``message`` with each config mention (``training.class_weights = true``) said with the control's label
    (“Weight classes by inverse frequency” on), for messages written for the CLI and shown in the GUI."""

    def label(m: re.Match) -> str:
        value = m.group(2)
        if value is not None:
            value = value.strip("\"'")
            value = value.lower() if value.lower() in ("true", "false") else value
        try:
            return _label(m.group(1), value)
        except (KeyError, ValueError, AttributeError):
            return m.group(0)

    return _CONFIG_MENTION.sub(label, message)


# ---- the rules ----------------------------------------------------------------------------------------
def coverage_advice(cfg: RunConfig, coverage: Iterable[dict[str, Any]]) -> list[Advice]:
    """Frozen random rows and vector files that cover little of the vocabulary (one per coverage report)."""
    out = []
    e = cfg.embedding
    for item in coverage:
        name = Path(str(item.get("vectors_path", ""))).name
        size = max(int(item.get("vocab_size", 0)), 1)
        covered = float(item.get("vocab_coverage", 0.0))
        uncovered = 1 - covered - int(item.get("subword_filled", 0)) / size
        if e.mode == "frozen" and not e.train_oov_rows and uncovered > FROZEN_NOISE_SHARE:
            out.append(
                Advice(
                    "embedding.train_oov_rows",
                    f"{100 * uncovered:.0f}% of the vocabulary has no vector in {name} and stays random and "
                    "frozen. Consider [[embedding.train_oov_rows=true]] (learn only those rows) or "
                    "[[embedding.mode=finetune]].",
                )
            )
        if item.get("vocab_size") and covered < LOW_COVERAGE:
            out.append(
                Advice(
                    "text.standardize",
                    f"{name} covers only {100 * covered:.1f}% of the vocabulary. Check that the vectors are in "
                    "the dataset's language and casing ([[text.standardize]]), or train from scratch.",
                )
            )
    return out


def subword_advice(cfg: RunConfig, vectors: Iterable[Any]) -> list[Advice]:
    """``oov_policy = subwords`` chosen for a vector file that has no subword information."""
    if cfg.embedding.mode == "scratch" or cfg.embedding.oov_policy != "subwords":
        return []
    return [
        Advice(
            "embedding.oov_policy",
            f"[[embedding.oov_policy=subwords]] needs a fastText .bin file; "
            f"{Path(str(getattr(wv, 'path', 'the vector file'))).name} has no subword information, so words "
            "without a vector start random instead. Choose another [[embedding.oov_policy]] option or a .bin file.",
        )
        for wv in vectors
        if wv is not None and not getattr(wv, "has_subwords", False)
    ]


def class_weight_advice(cfg: RunConfig, train_labels: Iterable[Any]) -> list[Advice]:
    """Strongly imbalanced training labels while classes are not weighted."""
    if cfg.training.class_weights:
        return []
    counts = Counter(str(label) for label in train_labels)
    if len(counts) < 2:
        return []
    (high_c, high), (low_c, low) = counts.most_common()[0], counts.most_common()[-1]
    if high / max(low, 1) < IMBALANCE_RATIO:
        return []
    return [
        Advice(
            "training.class_weights",
            f"The training classes are imbalanced: {high_c} has {high:,} examples, {low_c} only {low:,} "
            f"({high / max(low, 1):.1f}x). Consider [[training.class_weights=true]] and judge the model by macro-F1.",
        )
    ]
