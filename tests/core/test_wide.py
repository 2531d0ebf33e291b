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
