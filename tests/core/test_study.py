"""The data-efficiency study on tiny generated data: subsets, the four arms, its files and its plot."""

import csv
import json

import pytest

from embedstudio.core.datasets import load_dataset
from embedstudio.core.errors import ConfigError
from embedstudio.core.jobs import RecordingReporter
from embedstudio.core.study import format_table, parse_fractions, run_study, stratified_subset
from tests.core.test_training import make_csv_dataset, make_glove, tiny_config


def test_stratified_subset_keeps_every_class_and_is_seeded(tmp_path):
    table = load_dataset(tiny_config(tmp_path, make_csv_dataset(tmp_path / "d.csv"), mode="scratch").data).train
    small = stratified_subset(table, 0.05, seed=1)
    assert set(small.labels) == set(table.labels) and len(small.texts) == 4
    assert stratified_subset(table, 0.05, seed=1).texts == small.texts
    assert stratified_subset(table, 1.0, seed=1) is table


def test_parse_fractions_refuses_bad_values():
    assert parse_fractions("1,0.05,0.05") == [0.05, 1.0]
    for bad in ("0", "1.5", "a,b", ""):
        with pytest.raises(ConfigError):
            parse_fractions(bad)


def test_study_writes_its_files_and_plot(tmp_path):
    csv_path = make_csv_dataset(tmp_path / "reviews.csv", n=80)
    glove = make_glove(tmp_path / "glove.txt")
    cfg = tiny_config(tmp_path, csv_path, vectors=[glove], preset="auto", epochs=1)
    reporter = RecordingReporter()
    result = run_study(
        cfg,
        fractions=[0.25, 1.0],
        seeds=1,
        study_dir=tmp_path / "study",
        reporter=reporter,
        keep_models=(("finetune", 1.0),),
    )
    assert len(result.cells) == 2 * 4
    assert [e for e in reporter.events if e[0] == "study_cell"][-1][1] == {k: v for k, v in result.cells[-1].items()}
    saved = json.loads((tmp_path / "study" / "study.json").read_text())
    assert saved["kind"] == "study" and len(saved["cells"]) == 8 and saved["test_size"] > 0
    with open(tmp_path / "study" / "study.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 8 and {r["arm"] for r in rows} == {"tfidf", "scratch", "frozen", "finetune"}
    small, full = result.table
    assert small["train_examples"] < full["train_examples"]
    assert full["finetune"]["n"] == 1 and "pretrained_gain_points" in full
    assert "vectors fine-tuned" in format_table(result.table)
    kept = [c for c in result.cells if c["run_dir"] and (tmp_path / c["run_dir"] / "model.keras").exists()]
    assert [(c["arm"], c["fraction"]) for c in kept] == [("finetune", 1.0)]

    from embedstudio.study_plot import write_study_plot

    png = write_study_plot(result.table, tmp_path / "study" / "study.png", title="tiny")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 2000


def test_the_study_needs_a_vector_file(tmp_path):
    cfg = tiny_config(tmp_path, make_csv_dataset(tmp_path / "d.csv"), mode="scratch")
    with pytest.raises(ConfigError, match="vector file"):
        run_study(cfg, fractions=[1.0], seeds=1, study_dir=tmp_path / "s")
    assert run_study(cfg, fractions=[1.0], seeds=1, arms=("tfidf", "scratch"), study_dir=tmp_path / "s").cells
