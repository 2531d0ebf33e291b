"""The "Compare embeddings…" study in the GUI: a real (tiny) study through the dialog, drawn live from the
study_cell events, listed and reopened in the Runs area; Cancel and bad fractions."""

from __future__ import annotations

import json

import pytest

from embedstudio.core.study import ARMS, STUDY_FILE
from embedstudio.gui import dialogs
from embedstudio.gui.panels.runs_panel import RunsPanel
from embedstudio.gui.widgets.study_view import DEFAULT_FRACTIONS, StudyDialog, list_studies_job

from test_training_panel_helpers import make_workspace, wait_done


@pytest.fixture
def errors(monkeypatch):
    seen = []
    monkeypatch.setattr(dialogs, "error_listeners", [lambda info: seen.append(info.message)])
    return seen


def test_defaults(qtbot, pool, tmp_path):
    ws = make_workspace(tmp_path, load=False)
    dialog = StudyDialog(ws.state, pool)
    qtbot.addWidget(dialog)
    assert dialog.fractions.text() == DEFAULT_FRACTIONS == "0.05, 0.2, 1"
    assert dialog.seeds.value() == 1
    assert dialog.arms() == ARMS  # a vector file is configured: all four arms
    ws.state.config.embedding.vectors = []
    assert dialog.arms() == ("tfidf", "scratch")


def test_study_draws_live_then_is_listed_and_reopened(qtbot, pool, tmp_path, errors):
    ws = make_workspace(tmp_path)
    runs = RunsPanel(ws.state, pool)
    qtbot.addWidget(runs)
    qtbot.waitUntil(lambda: runs.studies.status.text().startswith("No studies"), timeout=10_000)
    # A folder with a corrupt study.json is skipped, not a crash.
    (ws.runs_dir / "20200101-000000-broken-study").mkdir(parents=True)
    (ws.runs_dir / "20200101-000000-broken-study" / STUDY_FILE).write_text("{not json", encoding="utf-8")

    dialog = StudyDialog(ws.state, pool)
    qtbot.addWidget(dialog)
    dialog.fractions.setText("0.4, 1")
    seen_points = []
    worker = dialog.start()
    assert worker is not None and not dialog.start_button.isEnabled() and dialog.cancel_button.isEnabled()
    worker.job_event.connect(lambda e: getattr(e, "kind", "") == "study_cell" and seen_points.append(
        len(dialog.view.cells)))
    wait_done(qtbot, worker)
    assert not errors

    # Live: every cell arrived as an event and the view grew one cell at a time.
    assert len(seen_points) == 2 * len(ARMS)
    assert dialog.view.cells and len(dialog.view.cells) == 2 * len(ARMS)
    for arm in ARMS:
        assert dialog.view.plot.point_count(arm) == 2
    assert dialog.view.table.rowCount() == 2
    assert dialog.view.plot.getPlotItem().ctrl.logXCheck.isChecked()  # log x
    # x = training examples: the full fraction trains on more texts than 0.4.
    xs = [p[0] for p in dialog.view.plot.series["tfidf"]]
    assert xs == sorted(xs) and xs[0] < xs[1]

    study_dir = dialog.result.study_dir
    data = json.loads((study_dir / STUDY_FILE).read_text(encoding="utf-8"))
    assert len(data["cells"]) == 2 * len(ARMS)
    assert dialog.start_button.isEnabled()

    # Runs area: the study is listed (the broken one is not); opening it shows its plot and table.
    qtbot.waitUntil(lambda: len(runs.studies.studies) == 1, timeout=20_000)
    assert runs.studies.studies[0]["folder"] == str(study_dir)
    runs.studies.list.setCurrentRow(0)
    assert runs.studies.view.table.rowCount() == 2
    assert all(runs.studies.view.plot.point_count(arm) == 2 for arm in ARMS)
    assert str(study_dir) in runs.studies.view.headline.text() and "complete" in runs.studies.view.headline.text()
    # The study's neural cells are not runs of the Runs list (they live inside the study folder).
    assert not any(str(r.path).startswith(str(study_dir)) for r in runs.records)


def test_cancel_stops_the_study(qtbot, pool, tmp_path, errors):
    ws = make_workspace(tmp_path)
    dialog = StudyDialog(ws.state, pool)
    qtbot.addWidget(dialog)
    worker = dialog.start()
    dialog.cancel_button.click()
    wait_done(qtbot, worker)
    assert not errors
    assert dialog.result is None and dialog.status.text().startswith("Cancelled")
    assert dialog.start_button.isEnabled() and not dialog.cancel_button.isEnabled()


def test_bad_fractions_are_refused_with_one_message(qtbot, pool, tmp_path, errors):
    ws = make_workspace(tmp_path, load=False)
    dialog = StudyDialog(ws.state, pool)
    qtbot.addWidget(dialog)
    dialog.fractions.setText("0.5, lots")
    assert dialog.start() is None
    assert len(errors) == 1 and "Fractions" in errors[0] and "between 0 and 1" in errors[0]
    dialog.fractions.setText("0, 1")
    assert dialog.start() is None and "above 0" in errors[1]
    assert list_studies_job(ws.runs_dir, reporter=None, cancel=_NoCancel()) == []


class _NoCancel:
    def raise_if_cancelled(self) -> None:
        pass
