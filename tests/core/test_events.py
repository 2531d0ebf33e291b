"""train() emits the typed events of core/events.py and reports its steps by the TrainingStep enum."""

from embedstudio.core.events import BatchEvent, EpochEvent, ModelEvent, RunEvent, TrainingStep, emit, parse
from embedstudio.core.jobs import RecordingReporter
from embedstudio.core.training import train
from tests.core.test_training import make_folder_dataset, make_glove, tiny_config


def test_training_events_are_the_typed_events_on_the_wire(tmp_path):
    data = make_folder_dataset(tmp_path / "reviews")
    glove = make_glove(tmp_path / "glove.txt")
    reporter = RecordingReporter()
    result = train(tiny_config(tmp_path, data, vectors=[glove], epochs=2), reporter=reporter)
    typed = [parse(kind, payload) for kind, payload in reporter.events]
    for event, (kind, payload) in zip(typed, reporter.events):
        if kind in ("run", "batch", "epoch", "model"):
            assert kind == event.KIND and event.payload() == payload, "nothing is lost in the round trip"
    runs = [e for e in typed if isinstance(e, RunEvent)]
    assert [r.status for r in runs] == ["running", "completed"] and runs[0].run_dir == str(result.run_dir)
    epochs = [e for e in typed if isinstance(e, EpochEvent)]
    assert [e.epoch for e in epochs] == [1, 2] and [e.payload() for e in epochs] == result.history
    batches = [e for e in typed if isinstance(e, BatchEvent)]
    assert batches[-1].fraction_done == 1.0
    (model,) = [e for e in typed if isinstance(e, ModelEvent)]
    assert model.params["total"] > 0 and model.summary
    # The steps, in the enum's order, each announced with its label at its position.
    steps = [(done, message) for done, total, message in reporter.progress_calls if total == len(TrainingStep)]
    announced = [TrainingStep(int(done)) for done, message in steps if message != "Done"]
    assert announced == sorted(announced) and TrainingStep.TRAIN in announced and TrainingStep.SAVE in announced
    assert all(message == TrainingStep(int(done)).label for done, message in steps if message != "Done")


def test_a_stopped_epoch_carries_its_batches_and_a_full_one_does_not():
    full, cut = EpochEvent(1, loss=0.5), EpochEvent(2, loss=0.4, partial=True, batches=3)
    assert "partial" not in full.payload() and cut.payload()["batches"] == 3
    reporter = RecordingReporter()
    emit(reporter, cut)
    assert parse(*reporter.events[0]) == cut
