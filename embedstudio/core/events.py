"""Typed events that long jobs report, and the named steps of a training run.

A job tells its caller about structured progress through ``Reporter.event(kind, payload)`` (see
core/jobs.py). The payload on that wire stays a plain dict, so every reporter (the CLI's terminal bar,
the test recorders, the readers' wrappers) keeps working; the dataclasses here are the one description
of what each kind carries. Producers build an event and send it with ``emit(reporter, event)``;
consumers that want types (the GUI) turn a ``(kind, payload)`` back into its dataclass with ``parse``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, ClassVar, Protocol


class _EventReporter(Protocol):
    def event(self, kind: str, payload: dict[str, Any]) -> None: ...


class TrainingStep(IntEnum):
    """The steps of one training run, in order (``int(step)`` is its position for progress bars)."""

    LOAD_DATASET = 0
    SPLIT = 1
    LOAD_VECTORS = 2  # before the vocabulary: the tokenizer's ``auto`` choice reads the vectors
    VOCABULARY = 3
    EMBEDDING = 4
    BUILD_MODEL = 5
    TRAIN = 6
    EVALUATE = 7
    SAVE = 8

    @property
    def label(self) -> str:
        return _STEP_LABELS[self]


_STEP_LABELS = {
    TrainingStep.LOAD_DATASET: "Loading the dataset",
    TrainingStep.SPLIT: "Splitting",
    TrainingStep.LOAD_VECTORS: "Loading word vectors",
    TrainingStep.VOCABULARY: "Building the vocabulary",
    TrainingStep.EMBEDDING: "Building the embedding",
    TrainingStep.BUILD_MODEL: "Building the model",
    TrainingStep.TRAIN: "Training",
    TrainingStep.EVALUATE: "Evaluating on the test set",
    TrainingStep.SAVE: "Saving the run",
}
STEP_LABELS: tuple[str, ...] = tuple(_STEP_LABELS[s] for s in TrainingStep)


@dataclass(frozen=True)
class Event:
    """Base of every typed event; ``KIND`` is the name on the ``Reporter.event`` wire."""

    KIND: ClassVar[str] = ""

    def payload(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class RunEvent(Event):
    """The run folder exists (``status='running'``) or the run ended with ``status``."""

    KIND: ClassVar[str] = "run"
    run_dir: str
    status: str
    message: str = ""


@dataclass(frozen=True)
class BatchEvent(Event):
    """At most ~10 a second during fit: where training is, the running loss, speed and time left."""

    KIND: ClassVar[str] = "batch"
    epoch: int
    epochs: int
    batch: int
    batches: int
    loss: float | None = None
    accuracy: float | None = None
    samples_per_sec: float | None = None
    eta_s: float | None = None

    @property
    def fraction_done(self) -> float:
        """Share of all batches of all epochs finished (0..1)."""
        epochs, batches = max(1, self.epochs), max(1, self.batches)
        return min(1.0, ((self.epoch - 1) * batches + self.batch) / (epochs * batches))


@dataclass(frozen=True)
class EpochEvent(Event):
    """One row of metrics.jsonl: the end of an epoch (``partial`` when Stop cut it short)."""

    KIND: ClassVar[str] = "epoch"
    epoch: int
    loss: float | None = None
    accuracy: float | None = None
    val_loss: float | None = None
    val_accuracy: float | None = None
    lr: float | None = None
    seconds: float | None = None
    partial: bool = False
    batches: int | None = None

    def payload(self) -> dict[str, Any]:
        """The metrics.jsonl row: ``partial`` and ``batches`` only for an epoch that Stop cut short."""
        row = dataclasses.asdict(self)
        if not self.partial:
            del row["partial"], row["batches"]
        return row

    def metrics(self) -> dict[str, float]:
        """The metric values present, by the names the curves plot."""
        names = ("loss", "accuracy", "val_loss", "val_accuracy")
        return {n: float(getattr(self, n)) for n in names if getattr(self, n) is not None}


@dataclass(frozen=True)
class ModelEvent(Event):
    """The Keras model was built: its layer summary rows and parameter counts."""

    KIND: ClassVar[str] = "model"
    summary: list[Any] = field(default_factory=list)
    params: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class OtherEvent(Event):
    """Any kind without its own dataclass (``report``, ``coverage``, ``vectors_epoch`` …), kept as sent."""

    kind: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        return dict(self.data)


_TYPES: dict[str, type[Event]] = {cls.KIND: cls for cls in (RunEvent, BatchEvent, EpochEvent, ModelEvent)}


def emit(reporter: _EventReporter, event: Event) -> None:
    """Send ``event`` through a core Reporter."""
    if isinstance(event, OtherEvent):
        reporter.event(event.kind, event.payload())
    else:
        reporter.event(event.KIND, event.payload())


def parse(kind: str, payload: dict[str, Any]) -> Event:
    """The typed event for a ``(kind, payload)`` pair; unknown keys are ignored, unknown kinds kept whole."""
    cls = _TYPES.get(kind)
    if cls is None:
        return OtherEvent(kind=kind, data=dict(payload))
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in payload.items() if k in names})
