"""core.wide: the TF-IDF path's liblinear fit, its refit on train + validation, and the mix weight."""

import numpy as np
import scipy.sparse as sp

from embedstudio.core.wide import MIX_GRID, choose_mix, fit_linear, log_softmax, train_plus_validation


def blobs(n, seed, classes=3, features=40):
    """Sparse rows whose class sets a few features, with noise; labels 0..classes-1."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    x = rng.random((n, features)) * (rng.random((n, features)) < 0.2)
    for c in range(classes):
        x[y == c, c * 5 : c * 5 + 5] += 0.6 * rng.random((int((y == c).sum()), 5))
    return sp.csr_matrix(x.astype("float32")), y


def test_refit_on_train_and_validation_keeps_the_choices_of_the_train_only_fit():
    x_train, y_train = blobs(60, 1)
    x_val, y_val = blobs(30, 2)
    alone = fit_linear(x_train, y_train, x_val, y_val, 3, refit=False)
    refit = fit_linear(x_train, y_train, x_val, y_val, 3)
    assert alone.refit_on == "train" and refit.refit_on == "train+validation"
    assert refit.to_dict()["refit_on"] == "train+validation"
    assert (refit.C, refit.temperature, refit.scores_by_c) == (alone.C, alone.temperature, alone.scores_by_c)
    # What validation may judge (the mix) is the train-only fit; the model gets the refitted weights.
    kernel, bias = refit.selection_weights
    np.testing.assert_array_equal(kernel, alone.kernel)
    np.testing.assert_array_equal(bias, alone.bias)
    assert not np.allclose(refit.kernel, alone.kernel)
    assert alone.selection_weights[0] is alone.kernel


def test_without_validation_nothing_is_refitted():
    x_train, y_train = blobs(60, 1)
    fitted = fit_linear(x_train, y_train, None, np.zeros(0, dtype=int), 3)
    assert fitted.refit_on == "train" and fitted.C_chosen_on.startswith("default")
    assert fitted.selection_weights[0] is fitted.kernel


def test_train_plus_validation_skips_labels_training_never_saw():
    x_train, y_train = blobs(6, 1)
    x_val, _ = blobs(4, 2)
    y_val = np.array([0, -1, 2, -1])
    x_all, y_all = train_plus_validation(x_train, y_train, x_val, y_val)
    assert x_all.shape == (8, x_train.shape[1]) and sp.issparse(x_all)
    np.testing.assert_array_equal(y_all, np.concatenate([y_train, [0, 2]]))
    np.testing.assert_array_equal(x_all[6:].toarray(), x_val[[0, 2]].toarray())
    dense, _ = train_plus_validation(x_train.toarray(), y_train, x_val.toarray(), y_val)
    assert isinstance(dense, np.ndarray) and dense.shape == (8, x_train.shape[1])


def test_a_refit_with_a_class_only_validation_shows_gets_its_column():
    x_train, y_train = blobs(60, 1, classes=2)  # classes 0 and 1 in training
    x_val, y_val = blobs(30, 2, classes=2)
    fitted = fit_linear(x_train, y_train, x_val, y_val, 3)  # a third class never seen
    assert fitted.kernel.shape == (x_train.shape[1], 3) and fitted.bias[2] < -1e3


def test_choose_mix_prefers_the_better_path():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 50)
    good = log_softmax(np.eye(3)[y] * 4.0)
    noise = log_softmax(rng.normal(size=(50, 3)))
    weight, losses = choose_mix(good, noise, y)
    assert weight == MIX_GRID[-1] and set(losses) == {f"{w:g}" for w in MIX_GRID}


WORDS = [f"w{i}" for i in range(60)]


def noisy_texts(n, seed, classes=3):
    """Texts whose class shows through a quarter of their words: C matters, and some C tie on validation."""
    import random

    from embedstudio.core.datasets import TextTable

    rng = random.Random(seed)
    texts, labels = [], []
    for i in range(n):
        c = i % classes
        words = [rng.choice(WORDS[c * 8 : c * 8 + 8]) if rng.random() < 0.25 else rng.choice(WORDS) for _ in range(12)]
        texts.append(" ".join(words))
        labels.append(f"c{c}")
    return TextTable(texts, labels, [""] * n)


# Computed with the two copies of the C loop before core.wide.choose_c replaced them (each ties the
# chosen C with a larger one: the smaller wins).
BEFORE = {
    1: (0.3, {"0.1": 0.7667, "0.3": 0.7833, "1": 0.7667, "3": 0.7833, "10": 0.75}),
    3: (0.3, {"0.1": 0.7167, "0.3": 0.7333, "1": 0.7333, "3": 0.7167, "10": 0.6833}),
}


def test_the_baseline_and_the_wide_path_choose_c_as_before_and_as_a_grid_search_on_validation():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.model_selection import GridSearchCV, PredefinedSplit
    from sklearn.svm import LinearSVC

    from embedstudio.core.baselines import tfidf_linear
    from embedstudio.core.datasets import Splits
    from embedstudio.core.wide import C_GRID, choose_c

    for seed, (c_before, scores_before) in BEFORE.items():
        s = Splits(noisy_texts(120, seed), noisy_texts(60, seed + 100), noisy_texts(30, seed + 200), ["c0", "c1", "c2"])
        report = tfidf_linear(s)
        assert (report["params"]["C"], report["validation_accuracy_by_C"]) == (c_before, scores_before)
        assert (report["C_chosen_on"], report["refit_on"]) == ("validation", "train+validation")
        vectorizer = TfidfVectorizer(sublinear_tf=True, min_df=2, ngram_range=(1, 2))
        x_train, x_val = vectorizer.fit_transform(s.train.texts), vectorizer.transform(s.validation.texts)
        y_train = np.array([int(label[1]) for label in s.train.labels])
        y_val = np.array([int(label[1]) for label in s.validation.labels])
        fitted = fit_linear(x_train, y_train, x_val, y_val, 3)
        assert (fitted.C, fitted.scores_by_c, fitted.C_chosen_on) == (c_before, scores_before, "validation")
        # scikit-learn's own selection on the same validation rows (its ties also go to the first C).
        search = GridSearchCV(
            LinearSVC(), {"C": list(C_GRID)}, cv=PredefinedSplit([-1] * len(y_train) + [0] * len(y_val))
        ).fit(sp.vstack([x_train, x_val]), np.concatenate([y_train, y_val]))
        assert search.best_params_["C"] == c_before
        assert [round(a, 4) for a in search.cv_results_["mean_test_score"]] == list(scores_before.values())
        choice = choose_c(x_train, y_train, x_val, y_val)
        assert (choice.C, choice.scores, choice.model.C) == (c_before, scores_before, c_before)


def test_without_usable_validation_both_keep_their_fallbacks():
    from embedstudio.core.baselines import tfidf_linear
    from embedstudio.core.datasets import Splits, TextTable

    train, test = noisy_texts(120, 1), noisy_texts(30, 201)
    none = Splits(train, TextTable([], [], []), test, ["c0", "c1", "c2"])
    report = tfidf_linear(none)
    assert (report["params"]["C"], report["refit_on"]) == (0.5, "train")
    assert report["C_chosen_on"] == "default (no validation split)"
    # Validation rows whose labels the classes do not hold: as before, the baseline scores its grid on them
    # (every C 0.0, so the first) and does not refit; the wide path falls back to C 0.5.
    unknown = Splits(train, TextTable(["w1 w2", "w3 w9"], ["zz", "zz"], ["", ""]), test, ["c0", "c1", "c2"])
    report = tfidf_linear(unknown)
    assert (report["params"]["C"], report["C_chosen_on"], report["refit_on"]) == (0.1, "validation", "train")
    assert set(report["validation_accuracy_by_C"].values()) == {0.0}
    x_train, y_train = blobs(60, 1)
    x_val, _ = blobs(2, 2)
    fitted = fit_linear(x_train, y_train, x_val, np.array([-1, -1]), 3)
    assert (fitted.C, fitted.C_chosen_on, fitted.scores_by_c, fitted.refit_on) == (
        0.5,
        "default (no validation split)",
        {},
        "train",
    )
