"""core summarize: counts as a user means them (issue 12 item 13), the two-phase schedule (item 14), and the
advice the Model area shows before Start in the controls' words, with config syntax for the CLI (item 11)."""

from embedstudio.core.advice import Advice, class_weight_advice
from embedstudio.core.config import spec_of
from embedstudio.core.datasets import load_dataset
from embedstudio.core.model_inputs import prepare_model_inputs, summarize
from embedstudio.core.vectors import load_vectors
from tests.core.test_training import make_csv_dataset, make_glove, tiny_config


def frozen_summary(tmp_path, train_oov_rows, vectors_file=None):
    tmp_path.mkdir(exist_ok=True)
    csv = make_csv_dataset(tmp_path / "reviews.csv")
    glove = vectors_file or make_glove(tmp_path / "glove.txt")
    cfg = tiny_config(tmp_path, csv, vectors=[glove], mode="frozen", embedding={"train_oov_rows": train_oov_rows})
    dataset, wv = load_dataset(cfg.data), load_vectors(glove)
    return cfg, dataset, summarize(cfg, dataset, [wv]), wv


def test_learning_oov_rows_moves_parameters_to_trainable_without_adding_any(tmp_path):
    cfg, dataset, fixed, wv = frozen_summary(tmp_path, False)
    _cfg, _ds, learned, _wv = frozen_summary(tmp_path, True, tmp_path / "glove.txt")
    inputs = prepare_model_inputs(cfg, dataset, {cfg.embedding.vectors[0].path: wv}, tokenize=False)
    vocab, dim = len(inputs.vocab), wv.dim
    oov = int((~inputs.masks[0][1:]).sum())  # uncovered rows except padding: the rows that learn
    assert 0 < oov < vocab
    assert learned.params["total"] == fixed.params["total"], "the embedding's rows × dim are counted once"
    assert learned.params["trainable"] - fixed.params["trainable"] == oov * dim
    assert fixed.params["non_trainable"] - learned.params["non_trainable"] == oov * dim
    embedding = next(r for r in learned.rows if r["name"] == "embedding")
    assert embedding["params"] == vocab * dim and embedding["trainable"] == oov * dim
    assert learned.state == vocab and fixed.state == 0, "the index map is state, not parameters"


def test_two_phase_summary_says_when_everything_becomes_trainable(tmp_path):
    csv = make_csv_dataset(tmp_path / "reviews.csv")
    glove = make_glove(tmp_path / "glove.txt")
    cfg = tiny_config(tmp_path, csv, vectors=[glove], mode="two_phase", epochs=4, embedding={"unfreeze_epoch": 3})
    s = summarize(cfg, load_dataset(cfg.data), [load_vectors(glove)])
    assert s.params["non_trainable"] > 0
    assert s.schedule == f"frozen until epoch 3, then all {s.params['total']:,} trainable at lr × 0.1"
    cfg.embedding.mode = "finetune"
    assert summarize(cfg, load_dataset(cfg.data), [load_vectors(glove)]).schedule == ""


def test_frozen_random_rows_are_advised_in_the_controls_words(tmp_path):
    few = tmp_path / "few.txt"
    few.write_text("good 0.1 0.2\nbad -0.1 0.3\n", encoding="utf-8")
    _cfg, _ds, s, _wv = frozen_summary(tmp_path, False, few)
    (frozen,) = [a for a in s.advice if a.field == "embedding.train_oov_rows"]
    label = spec_of("embedding.train_oov_rows").label
    assert f"“{label}” on" in frozen.text() and "train_oov_rows" not in frozen.text()
    assert "stays random and frozen" in frozen.cli() and "embedding.train_oov_rows = true" in frozen.cli()
    assert ("“" + label + "” on", "embedding.train_oov_rows") in frozen.segments()
    assert any(a.field == "text.standardize" for a in s.advice), "2 words of a vocabulary: low coverage"
    _cfg, _ds, learned, _wv = frozen_summary(tmp_path / "learned", True, few)
    assert not any(a.field == "embedding.train_oov_rows" for a in learned.advice)


def test_subwords_for_a_file_without_subwords_is_advised_without_a_dataset(tmp_path):
    glove = make_glove(tmp_path / "glove.txt")
    cfg = tiny_config(tmp_path, tmp_path / "none.csv", vectors=[glove], embedding={"oov_policy": "subwords"})
    s = summarize(cfg, None, [load_vectors(glove)])
    (advice,) = s.advice
    assert advice.field == "embedding.oov_policy"
    assert "Missing words “" in advice.text() and "glove.txt" in advice.text()
    assert "embedding.oov_policy = subwords" in advice.cli()


def test_class_weight_advice_follows_the_training_labels(tmp_path):
    cfg = tiny_config(tmp_path, tmp_path / "x.csv", mode="scratch")
    (advice,) = class_weight_advice(cfg, ["a"] * 50 + ["b"] * 5)
    assert advice.field == "training.class_weights"
    assert "“Weight classes by inverse frequency” on" in advice.text()
    assert "training.class_weights = true" in advice.cli()
    assert class_weight_advice(cfg, ["a"] * 10 + ["b"] * 5) == []
    cfg.training.class_weights = True
    assert class_weight_advice(cfg, ["a"] * 50 + ["b"] * 5) == []


def test_advice_templates_render_fields_and_choices():
    a = Advice("embedding.mode", "Try [[embedding.mode=finetune]] or check [[text.standardize]].")
    assert a.cli() == "Try embedding.mode = finetune or check text.standardize."
    mode = spec_of("embedding.mode")
    assert a.text() == f"Try {mode.label} “{mode.choice_labels['finetune']}” or check “Standardize”."
    assert [f for _t, f in a.segments() if f] == ["embedding.mode", "text.standardize"]


def test_summarize_advises_class_weights_for_imbalanced_training_data(tmp_path):
    rows = ["text,label"] + [f"good fine film number {i},pos" for i in range(60)]
    rows += [f"bad awful film number {i},neg" for i in range(8)]
    csv = tmp_path / "skewed.csv"
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    cfg = tiny_config(tmp_path, csv, mode="scratch")
    dataset = load_dataset(cfg.data)
    assert [a.field for a in summarize(cfg, dataset).advice] == ["training.class_weights"]
    cfg.training.class_weights = True
    assert summarize(cfg, dataset).advice == []


def test_cli_messages_are_said_with_the_controls_labels_in_the_gui():
    from embedstudio.core.advice import in_gui_words
    from embedstudio.core.config import spec_of

    said = in_gui_words("Accuracy will flatter the model; consider training.class_weights = true.")
    assert "training.class_weights" not in said and f"“{spec_of('training.class_weights').label}” on" in said
    assert (
        in_gui_words("not a setting: foo.bar, data.no_such_field = 3")
        == "not a setting: foo.bar, data.no_such_field = 3"
    )
