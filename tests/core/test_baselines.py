"""TF-IDF + LinearSVC and fastText supervised baselines on tiny separable splits."""

import random
from pathlib import Path

import numpy as np
import pytest

from embedstudio.core.baselines import _fasttext_proba, fasttext_line, fasttext_supervised, tfidf_linear
from embedstudio.core.datasets import Splits, TextTable
from embedstudio.core.errors import TrainingError
from embedstudio.core.jobs import Cancelled, CancelToken, RecordingReporter

VOCABULARY = {
    "sport": ["goal", "match", "team", "score", "league"],
    "food": ["bread", "cheese", "soup", "salad", "pasta"],
    "tech home": ["laptop", "phone", "screen", "cable", "chip"],  # a class name with a space
}
SHARED = ["the", "a", "of", "today", "really"]


def table(n, seed, *, sort=False):
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = list(VOCABULARY)[i % 3]
        words = [rng.choice(VOCABULARY[label]) for _ in range(3)] + [rng.choice(SHARED) for _ in range(3)]
        rng.shuffle(words)
        rows.append((" ".join(words) + ("\nsecond line" if i % 5 == 0 else ""), label))
    if sort:  # grouped by class: how many datasets come off disk
        rows.sort(key=lambda r: r[1])
    return TextTable([t for t, _ in rows], [label for _, label in rows], [f"row{i}" for i in range(n)])


def splits(*, sort=False):
    return Splits(train=table(90, 1, sort=sort), validation=table(9, 2), test=table(30, 3), classes=sorted(VOCABULARY))


def test_tfidf_linear_separates_and_reports():
    reporter = RecordingReporter()
    report = tfidf_linear(splits(), reporter=reporter)
    assert report["accuracy"] >= 0.9
    assert report["baseline"] == "tfidf_linear" and report["params"]["min_df"] == 2
    assert report["params"]["C"] in (0.1, 0.3, 1.0, 3.0, 10.0) and report["C_chosen_on"] == "validation"
    assert report["params"]["ngram_range"] == [1, 2]
    assert report["classes"] == sorted(VOCABULARY) and report["features"] > 10
    assert sum(map(sum, report["confusion_matrix"])) == 30
    assert "TF-IDF" in reporter.infos[-1]
    assert report["refit_on"] == "train+validation"  # C chosen on validation, then fitted on both


def test_tfidf_linear_refit_is_recorded_and_can_be_turned_off():
    s = splits()
    alone = tfidf_linear(s, refit=False)
    assert alone["refit_on"] == "train"
    refit = tfidf_linear(s)
    assert refit["params"]["C"] == alone["params"]["C"]  # the same choice, made on the train-only fits
    assert refit["validation_accuracy_by_C"] == alone["validation_accuracy_by_C"]
    bare = Splits(train=s.train, validation=TextTable([], [], []), test=s.test, classes=s.classes)
    assert tfidf_linear(bare)["refit_on"] == "train"  # nothing to refit on


def test_a_saved_baseline_run_records_its_refit(tmp_path):
    from embedstudio.core.baselines import save_baseline_run
    from embedstudio.core.config import RunConfig
    from embedstudio.core.runs import load_run

    cfg = RunConfig()
    cfg.data.path = str(tmp_path / "data.csv")
    cfg.runs_dir = str(tmp_path / "runs")
    s = splits()
    tfidf = load_run(save_baseline_run(cfg, "tfidf", tfidf_linear(s), s))
    assert tfidf.description["refit_on"] == "train+validation"
    fasttext = load_run(save_baseline_run(cfg, "fasttext", fasttext_supervised(s, epoch=5, lr=0.5), s))
    assert fasttext.description["refit_on"] == "train"


def test_tfidf_linear_binary_and_tiny_vocabulary():
    s = Splits(
        train=TextTable(["good", "bad", "fine", "awful"], ["p", "n", "p", "n"], [""] * 4),
        validation=TextTable([], [], []),
        test=TextTable(["good", "awful", "fine"], ["p", "n", "p"], [""] * 3),
        classes=["n", "p"],
    )
    reporter = RecordingReporter()
    report = tfidf_linear(s, reporter=reporter)  # no word occurs twice: min_df falls back to 1
    assert report["accuracy"] == 1.0 and report["params"]["min_df"] == 1
    assert "min_df=1" in reporter.warnings[0]


def test_fasttext_trains_on_a_class_sorted_split():
    # The split arrives sorted by class; fastText then fails silently unless the file is shuffled.
    report = fasttext_supervised(splits(sort=True), epoch=25, lr=0.5, seed=3)
    assert report["accuracy"] >= 0.9
    assert report["params"]["shuffled"] and report["params"]["bucket"] == 10_000
    assert report["baseline"] == "fasttext_supervised"
    again = fasttext_supervised(splits(sort=True), epoch=25, lr=0.5, seed=3)
    assert again["confusion_matrix"] == report["confusion_matrix"]  # one thread + seed: reproducible


def test_fasttext_probabilities_cover_every_class(tmp_path):
    import fasttext

    s = splits()
    path = tmp_path / "train.txt"
    path.write_text(
        "".join(
            f"__label__{s.classes.index(label)} {fasttext_line(text)}\n"
            for text, label in zip(s.train.texts, s.train.labels)
        )
    )
    model = fasttext.train_supervised(input=str(path), epoch=25, lr=0.5, bucket=1000, thread=1, verbose=0)
    proba = _fasttext_proba(model, ["goal match team", "", "soup\nbread"], 3)
    # fasttext-wheel's predict(list, k) repeats the top probability for every label; rows would sum to ~3
    np.testing.assert_allclose(proba.sum(axis=1), 1, atol=1e-3)
    assert proba[0].argmax() == s.classes.index("sport")
    assert len(set(proba[1])) == 3


def test_baselines_refuse_unusable_splits():
    one_class = Splits(
        train=TextTable(["a b", "c d"], ["x", "x"], ["", ""]),
        validation=TextTable([], [], []),
        test=TextTable(["a"], ["x"], [""]),
        classes=["x"],
    )
    with pytest.raises(TrainingError, match="one class"):
        tfidf_linear(one_class)
    no_test = splits()
    no_test.test = TextTable([], [], [])
    with pytest.raises(TrainingError, match="test split is empty"):
        fasttext_supervised(no_test)
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(Cancelled):
        tfidf_linear(splits(), cancel=cancel)


def test_baselines_become_run_folders_on_the_runs_split(tmp_path):
    from embedstudio.core.baselines import run_baselines
    from embedstudio.core.config import RunConfig
    from embedstudio.core.runs import list_runs

    data = tmp_path / "data.csv"
    t = table(120, 5)
    data.write_text(
        "text,label\n" + "".join(f'"{x.replace(chr(10), " ")}",{y}\n' for x, y in zip(t.texts, t.labels)),
        encoding="utf-8",
    )
    cfg = RunConfig()
    cfg.name = "tiny"
    cfg.runs_dir = str(tmp_path / "runs")
    cfg.data.path = str(data)
    cfg.embedding.mode = "scratch"
    results = run_baselines(cfg, which=("tfidf", "fasttext"))
    runs = {r.path: r for r in list_runs(tmp_path / "runs")}
    assert set(runs) == {Path(results["tfidf"]["run_dir"]), Path(results["fasttext"]["run_dir"])}
    for report in results.values():
        record = runs[Path(report["run_dir"])]
        assert record.status == "completed" and record.description["kind"] == "baseline"
        assert record.test_accuracy == report["accuracy"]
        assert record.description["splits"]["test"] == sum(map(sum, report["confusion_matrix"]))
    assert results["fasttext"]["params"]["wordNgrams"] == 2
    assert not list(Path(results["tfidf"]["run_dir"]).glob("model.keras"))


def test_fasttext_chooses_its_settings_on_validation_and_records_them():
    reporter = RecordingReporter()
    report = fasttext_supervised(splits(), lr_grid=(0.05, 1.0), epoch_grid=(2, 10), seed=3, reporter=reporter)
    tried = report["validation_accuracy_by_setting"]
    assert set(tried) == {"epoch=2, lr=0.05", "epoch=2, lr=1", "epoch=10, lr=0.05", "epoch=10, lr=1"}
    assert report["settings_chosen_on"] == "validation"
    chosen = f"epoch={report['params']['epoch']}, lr={report['params']['lr']:g}"
    assert tried[chosen] == max(tried.values())
    assert next(k for k, v in tried.items() if v == max(tried.values())) == chosen  # ties: the cheaper one
    assert f"{report['params']['epoch']} epochs" in reporter.infos[-1]


def test_fasttext_choice_ignores_the_test_split():
    # The same train and validation with a different test split: the same setting is chosen.
    s = splits()
    other = splits()
    other.test = table(30, 99)
    kwargs = {"lr_grid": (0.05, 1.0), "epoch_grid": (2, 10), "seed": 3}
    first, second = fasttext_supervised(s, **kwargs), fasttext_supervised(other, **kwargs)
    assert first["validation_accuracy_by_setting"] == second["validation_accuracy_by_setting"]
    assert (first["params"]["epoch"], first["params"]["lr"]) == (second["params"]["epoch"], second["params"]["lr"])


def test_fasttext_without_validation_uses_the_fallback_and_says_so():
    s = splits()
    s.validation = TextTable([], [], [])
    report = fasttext_supervised(s, seed=3)
    assert report["settings_chosen_on"] == "default (no validation split)"
    assert (report["params"]["epoch"], report["params"]["lr"]) == (25, 0.5)
    assert report["validation_accuracy_by_setting"] == {}


def test_fasttext_line_splits_punctuation_off_words():
    assert fasttext_line("Rates rose.\nThey didn't (again)!") == "rates rose . they didn ' t ( again ) !"
