"""Model area: preset form, inline validation, the live parameter summary, config save/load."""

from __future__ import annotations

import pytest
from test_training_panel_helpers import make_workspace

from embedstudio.core import presets
from embedstudio.core.config import load_config, spec_of
from embedstudio.gui.panels.model_panel import ModelPanel
from embedstudio.gui.state import AppState


def choose(combo, value) -> None:
    index = combo.findData(value)
    assert index >= 0, f"{value!r} is not offered"
    combo.setCurrentIndex(index)


def shown(panel: ModelPanel, name: str) -> bool:
    return panel.is_shown(name)


@pytest.fixture
def panel(qtbot, pool, tmp_path):
    ws = make_workspace(tmp_path, load=False)
    p = ModelPanel(ws.state, pool)
    qtbot.addWidget(p)
    return p


def wait_summary(qtbot, panel: ModelPanel):
    """Start the summary now and wait for the model to be built and shown."""
    with qtbot.waitSignal(panel.summary_updated, timeout=120_000):
        panel.compute_summary()
    qtbot.waitUntil(lambda: panel.summary_jobs.current is None, timeout=60_000)
    return panel.summary


def test_picking_a_preset_changes_the_form_and_the_config(panel):
    combo = panel.control("model.preset")
    assert shown(panel, "model.filters") and not shown(panel, "model.rnn_units")
    choose(combo, "bilstm")
    assert panel.state.config.model.preset == "bilstm"
    assert shown(panel, "model.rnn_units") and shown(panel, "model.dense_units")
    assert not shown(panel, "model.filters") and not shown(panel, "model.conv_blocks")
    assert panel.preset_info.text() == presets.get("bilstm").description
    choose(combo, "average")
    assert not any(shown(panel, n) for n in ("model.filters", "model.rnn_units", "model.dense_units"))
    choose(combo, "multi")
    assert not panel.source_rows[1].isHidden(), "the two-file preset shows a second vector picker"


def test_mode_shows_only_its_own_settings(panel):
    mode = panel.control("embedding.mode")
    choose(mode, "two_phase")
    assert shown(panel, "embedding.unfreeze_epoch") and shown(panel, "embedding.unfreeze_lr_factor")
    assert not shown(panel, "embedding.train_oov_rows")
    choose(mode, "frozen")
    assert shown(panel, "embedding.train_oov_rows") and not shown(panel, "embedding.unfreeze_epoch")
    choose(mode, "scratch")
    assert shown(panel, "embedding.dim") and panel.source_rows[0].isHidden()
    assert panel.state.config.embedding.mode == "scratch"


def test_invalid_values_show_inline_messages_next_to_their_field(panel):
    dropout = panel.control("model.dropout")
    assert (dropout.minimum(), dropout.maximum()) == spec_of("model.dropout").range, "the control's range is the spec's"
    panel.state.set_field("model.dropout", 0.98)  # as a hand-edited config file could hold it
    assert panel.state.config.model.dropout == pytest.approx(0.98)
    message = panel.field_error("model.dropout")
    assert "model.dropout" in message and "0.95" in message
    assert panel.field_error("model.filters") == ""
    dropout.setValue(0.4)
    assert panel.field_error("model.dropout") == ""

    # A rule across two fields: the unfreeze epoch must come before the last epoch.
    choose(panel.control("embedding.mode"), "two_phase")
    panel.control("training.epochs").setValue(2)
    panel.control("embedding.unfreeze_epoch").setValue(5)
    assert "after the last epoch" in panel.field_error("embedding.unfreeze_epoch")
    panel.compute_summary()
    assert panel.summary_jobs.current is None, "no model is built from an invalid configuration"
    assert "Fix the settings" in panel.summary_status.text()
    panel.control("training.epochs").setValue(6)
    assert panel.field_error("embedding.unfreeze_epoch") == ""


def test_the_multi_preset_without_a_second_file_is_flagged(panel):
    choose(panel.control("model.preset"), "multi")
    assert "embedding.vectors needs two entries" in panel.field_error("model.preset")
    second = panel.source_rows[1].control
    second.setCurrentIndex(1)  # the only library file, twice: valid (the same vectors side by side)
    assert len(panel.state.config.embedding.vectors) == 2
    assert panel.field_error("model.preset") == ""


def test_errors_land_on_the_control_their_field_names(panel):
    """The panel finds the control from ConfigError.field, not from the message text."""
    choose(panel.control("embedding.mode"), "two_phase")
    panel.state.set_field("training.epochs", 2)
    panel.state.set_field("embedding.unfreeze_epoch", 5)
    message = panel.field_error("embedding.unfreeze_epoch")
    assert "training.epochs" in message, "the message names both fields"
    assert panel.field_error("training.epochs") == "", "but only the field it is about is marked"
    assert panel.form.rows["embedding.unfreeze_epoch"].error.isVisible() or not panel.isVisible()


def test_form_controls_come_from_the_field_specs(panel):
    for path in ("model.filters", "training.batch_size", "text.sequence_length", "model.dropout"):
        control, fspec = panel.control(path), spec_of(path)
        assert control.minimum() == fspec.range[0] and control.maximum() == min(fspec.range[1], 2**31 - 1)
        assert fspec.help in control.toolTip()
    assert "Used by:" in panel.control("model.rnn_units").toolTip()
    combo = panel.control("embedding.mode")
    assert [combo.itemData(i) for i in range(combo.count())] == list(spec_of("embedding.mode").choices)


def test_summary_counts_a_frozen_embedding_as_non_trainable(qtbot, pool, tmp_path):
    ws = make_workspace(tmp_path)  # dataset and vectors loaded: the real vocabulary and dimension
    panel = ModelPanel(ws.state, pool)
    qtbot.addWidget(panel)
    choose(panel.control("embedding.mode"), "frozen")
    s = wait_summary(qtbot, panel)
    embedding = next(r for r in s.rows if r["name"] == "embedding")
    vocab = s.vocab_size
    assert vocab == len(s.vocabulary) and vocab < ws.state.config.text.max_tokens, "the dataset's own vocabulary"
    assert s.num_classes == 3
    assert embedding["params"] == vocab * 8 and embedding["trainable"] == 0
    assert s.counts["non_trainable"] == embedding["params"]
    assert s.counts["trainable"] == s.counts["total"] - embedding["params"] > 0
    assert "frozen" in panel.summary_table.item(0, 4).text()
    assert f"{s.counts['non_trainable']:,}" in panel.totals.text()

    choose(panel.control("embedding.mode"), "finetune")
    s = wait_summary(qtbot, panel)
    assert s.counts["non_trainable"] == 0 and s.counts["trainable"] == s.counts["total"]


def test_summary_is_debounced_and_stale_results_are_dropped(qtbot, panel):
    panel.show()
    shown_summaries = []
    panel.summary_updated.connect(shown_summaries.append)
    filters = panel.control("model.filters")
    for value in (20, 24, 28):  # quick edits: one summary, 400 ms after the last
        filters.setValue(value)
    assert panel._summary_timer.isActive() and panel.summary_jobs.current is None
    panel._summary_timer.stop()
    panel.compute_summary()
    first = panel.summary_jobs.current
    filters.setValue(32)
    panel._summary_timer.stop()
    with qtbot.waitSignal(panel.summary_updated, timeout=120_000):
        panel.compute_summary()  # supersedes the first job
    qtbot.waitUntil(lambda: panel.summary_jobs.current is None, timeout=60_000)
    assert first.cancel_token.cancelled
    assert len(shown_summaries) == 1
    conv = next(r for r in shown_summaries[0].rows if r["name"] == "conv_1")
    assert conv["output_shape"].endswith("32)"), "only the latest settings are shown"


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_save_and_load_config_round_trip(qtbot, pool, panel, tmp_path, suffix):
    choose(panel.control("model.preset"), "gru")
    panel.control("model.rnn_units").setValue(48)
    panel.control("training.epochs").setValue(3)
    choose(panel.control("training.optimizer"), "rmsprop")
    path = tmp_path / f"saved{suffix}"
    assert panel.save_config(path)
    assert load_config(path).to_dict() == panel.state.config.to_dict()

    other = AppState()
    other_panel = ModelPanel(other, pool)
    qtbot.addWidget(other_panel)
    assert other_panel.load_config(path)
    assert other.config.to_dict() == panel.state.config.to_dict()
    assert other_panel.control("model.preset").currentData() == "gru"
    assert other_panel.control("model.rnn_units").value() == 48
    assert other_panel.control("training.optimizer").currentData() == "rmsprop"
    assert other_panel.source_rows[0].control.currentData() == panel.state.config.embedding.vectors[0].path


def test_model_warnings_show_before_start_as_links_to_their_control(qtbot, pool, tmp_path):
    """Issue 12 item 11: advice speaks the control's label and jumps to and highlights the control."""
    ws = make_workspace(tmp_path)
    panel = ModelPanel(ws.state, pool)
    qtbot.addWidget(panel)
    panel.show()
    choose(panel.control("embedding.oov_policy"), "subwords")  # the GloVe file has no subwords
    wait_summary(qtbot, panel)
    advice = panel.summary_view.advice
    assert advice.isVisible()
    label = spec_of("embedding.oov_policy").label
    assert f"{label} “" in advice.text() and "topics.glove.txt" in advice.text()
    assert 'href="embedding.oov_policy"' in advice.text()
    assert "embedding.oov_policy =" not in advice.text() and "&amp;" not in advice.text(), "no config syntax"
    advice.linkActivated.emit("embedding.oov_policy")  # what a click on the link sends
    assert panel.form.highlighted == "embedding.oov_policy"
    form_label = (
        panel.form.rows["embedding.oov_policy"]
        .parentWidget()
        .layout()
        .labelForField(panel.form.rows["embedding.oov_policy"])
    )
    assert form_label.text() == label and "background-color" in form_label.styleSheet()
    assert panel.control("embedding.oov_policy").hasFocus() or not panel.isActiveWindow()
    panel.form.highlight_timer.timeout.emit()
    assert panel.form.highlighted is None and form_label.styleSheet() == ""

    choose(panel.control("embedding.oov_policy"), "random")
    wait_summary(qtbot, panel)
    assert not panel.summary_view.advice.isVisible(), "the advice goes when its cause goes"


def test_summary_shows_learned_oov_rows_as_state_and_the_two_phase_schedule(qtbot, pool, tmp_path):
    """Issue 12 items 13 and 14: the index map is not a parameter; the unfreeze is in the summary."""
    ws = make_workspace(tmp_path)
    panel = ModelPanel(ws.state, pool)
    qtbot.addWidget(panel)
    choose(panel.control("embedding.mode"), "frozen")
    frozen = wait_summary(qtbot, panel)
    panel.control("embedding.train_oov_rows").setChecked(True)
    learned = wait_summary(qtbot, panel)
    assert learned.counts["total"] == frozen.counts["total"]
    assert learned.counts["trainable"] > frozen.counts["trainable"]  # the OOV rows ([UNK]) learn
    assert learned.state == learned.vocab_size and f"index map of {learned.state:,} integers" in panel.totals.text()

    panel.control("training.epochs").setValue(4)
    choose(panel.control("embedding.mode"), "two_phase")
    s = wait_summary(qtbot, panel)
    assert f"frozen until epoch {ws.state.config.embedding.unfreeze_epoch}, then all {s.counts['total']:,}" in (
        panel.totals.text()
    )
