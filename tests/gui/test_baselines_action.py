"""The Baselines action (Training and Runs areas), the "vs TF-IDF" line of a neural run's results, and the
predict box's flags: real baselines, a real tiny training, real widgets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_training_panel_helpers import make_workspace, wait_done

from embedstudio.core.baselines import comparison_line
from embedstudio.core.runs import DESCRIPTION_FILE, REPORT_FILE
from embedstudio.gui import dialogs
from embedstudio.gui.panels.runs_panel import RunsPanel
from embedstudio.gui.panels.training_panel import TrainingPanel


@pytest.fixture
def errors(monkeypatch):
    seen = []
    monkeypatch.setattr(dialogs, "error_listeners", [lambda info: seen.append(info.message)])
    return seen


def test_baselines_from_training_appear_in_runs(qtbot, pool, tmp_path, errors):
    ws = make_workspace(tmp_path)
    training = TrainingPanel(ws.state, pool)
    runs = RunsPanel(ws.state, pool)
    qtbot.addWidget(training)
    qtbot.addWidget(runs)
    qtbot.waitUntil(lambda: runs.status.text().startswith("No runs"), timeout=10_000)

    action = training.baselines
    worker = action.start()
    assert worker is not None and not action.button.isEnabled() and action.cancel_button.isEnabled()
    assert action.start() is None, "a second click while the baselines run is refused"
    wait_done(qtbot, worker)
    assert not errors
    assert set(action.results) == {"tfidf", "fasttext"} and action.button.isEnabled()
    for report in action.results.values():
        assert Path(report["run_dir"]).parent == ws.runs_dir
        description = json.loads((Path(report["run_dir"]) / DESCRIPTION_FILE).read_text())
        assert description["kind"] == "baseline"
        saved = json.loads((Path(report["run_dir"]) / REPORT_FILE).read_text())
        assert saved["accuracy"] == report["accuracy"]
        assert f"{report['accuracy']:.3f}" in action.status.text()
    # Same split as a training of this configuration: the test split's size is the run's.
    sizes = {
        json.loads((Path(r["run_dir"]) / DESCRIPTION_FILE).read_text())["splits"]["test"]
        for r in action.results.values()
    }
    assert len(sizes) == 1

    # The Runs list refreshed by itself and lists both, with their test accuracy.
    qtbot.waitUntil(lambda: len(runs.records) == 2, timeout=20_000)
    names = sorted(r.name for r in runs.records)
    assert any("TF-IDF + LinearSVC" in n for n in names) and any("fastText" in n for n in names)
    assert {runs.cell(i, "Preset") for i in range(2)} == {"TF-IDF", "fastText"}  # the Preset column says which
    by_dir = {str(r.path): r for r in runs.records}
    for report in action.results.values():
        assert by_dir[report["run_dir"]].test_accuracy == pytest.approx(report["accuracy"])
    # Opening a baseline shows its report; it has no model, so no predict button.
    runs.open_run(0)
    assert "test accuracy" in runs.details.results.headline.text()
    assert not runs.details.results.predict_box.button.isEnabled()


def test_baselines_cancel_from_runs(qtbot, pool, tmp_path, errors):
    ws = make_workspace(tmp_path)
    runs = RunsPanel(ws.state, pool)
    qtbot.addWidget(runs)
    action = runs.baselines
    worker = action.start()
    action.cancel_button.click()
    wait_done(qtbot, worker)
    assert not errors and action.results is None
    assert action.status.text().startswith("Baselines cancelled")
    assert action.button.isEnabled() and not action.cancel_button.isEnabled()


def test_baselines_need_a_dataset(qtbot, pool, tmp_path, errors):
    ws = make_workspace(tmp_path, load=False)
    ws.state.config.data.path = ""
    runs = RunsPanel(ws.state, pool)
    qtbot.addWidget(runs)
    assert runs.baselines.start() is None
    assert len(errors) == 1 and "dataset" in errors[0].lower()


def test_neural_results_say_vs_tfidf_and_predict_shows_flags(qtbot, pool, tmp_path, errors):
    ws = make_workspace(tmp_path)
    ws.state.config.text.sequence_length = 5
    panel = TrainingPanel(ws.state, pool)
    qtbot.addWidget(panel)
    wait_done(qtbot, panel.start())
    assert not errors
    report = panel.last_result.report
    view = panel.results
    assert "vs_tfidf" in report
    assert view.versus.isVisibleTo(view) and view.versus.text() == comparison_line(report["vs_tfidf"])
    assert view.versus.text().startswith("vs TF-IDF: ") and "points accuracy" in view.versus.text()

    # Predict flags: a text longer than the sequence length is truncated; an unknown-word text is oov.
    with qtbot.waitSignal(view.prediction_ready, timeout=60_000):
        view.predict("ball goal team match score player coach ball goal")
    assert any(f.startswith("truncated") for f in view.flags)
    assert "truncated" in view.predict_box.flags.text()
    with qtbot.waitSignal(view.prediction_ready, timeout=60_000):
        view.predict("zzz qqq xxyy")
    assert any(f.startswith("oov") for f in view.flags) and "oov" in view.predict_box.flags.text()
    with qtbot.waitSignal(view.prediction_ready, timeout=60_000):
        view.predict("?!")
    assert "empty" in view.flags
    with qtbot.waitSignal(view.prediction_ready, timeout=60_000):
        view.predict("ball goal")
    assert view.flags == [] and view.predict_box.flags.text() == ""
    # A results view of a run whose report has no comparison shows no such line.
    view.show_run(panel.last_result.run_dir, {k: v for k, v in report.items() if k != "vs_tfidf"})
    assert not view.versus.isVisibleTo(view)
