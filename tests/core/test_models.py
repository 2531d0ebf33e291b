"""Presets, embedding modes (frozen, fine-tune, scratch, two-phase, OOV rows only) and parameter counts."""

import keras
import numpy as np
import pytest

from embedstudio.core import presets
from embedstudio.core.config import PRESETS, RunConfig, VectorSource
from embedstudio.core.models import (
    build_model,
    compile_model,
    custom_objects,
    deep_training_model,
    embedding_layers,
    parameter_counts,
    summary_rows,
    unfreeze_callback,
)

V, D, L, CLASSES = 30, 6, 20, 3


def tiny_config(preset="cnn", mode="finetune", **embedding):
    cfg = RunConfig()
    cfg.text.sequence_length = L
    cfg.model.preset = preset
    cfg.model.filters = 4
    cfg.model.dense_units = 4
    cfg.model.rnn_units = 4
    cfg.embedding.mode = mode
    cfg.embedding.vectors = [VectorSource(path="a.txt"), VectorSource(path="b.txt")]
    cfg.embedding.dim = 5
    cfg.training.learning_rate = 0.05
    for key, value in embedding.items():
        setattr(cfg.embedding, key, value)
    cfg.validate()
    return cfg


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    matrix = rng.normal(size=(V, D)).astype("float32")
    matrix[0] = 0
    covered = np.ones(V, dtype=bool)
    covered[[0, 1, 7, 8, 9]] = False
    x = rng.integers(1, V, size=(32, L))
    x[:, 15:] = 0
    x[0] = 0  # an all-padding row
    y = rng.integers(0, CLASSES, size=32)
    return matrix, covered, x, y


def build(cfg, data, **kwargs):
    matrix, covered, _, _ = data
    model = build_model(
        cfg,
        vocab_size=V,
        num_classes=CLASSES,
        embedding_matrices=[matrix, matrix * 2],
        covered_masks=[covered, covered],
        **kwargs,
    )
    return compile_model(model, cfg)


def embedding_weights(model):
    return [np.array(layer.get_weights()[0]) for layer in embedding_layers(model)]


def test_every_preset_is_described():
    assert set(presets.PRESETS) == set(PRESETS)
    assert all(len(p.description) > 20 for p in presets.PRESETS.values())


BUILDABLE = list(PRESETS)  # auto without data builds its recipe (wide_deep) at the config sizes
WIDE_FEATURES = 12


def model_input(preset, x):
    """Token ids, plus a sparse TF-IDF block for the wide presets."""
    if not (presets.get(preset).wide or preset == "auto"):
        return x
    import scipy.sparse as sp

    return [x, sp.random(len(x), WIDE_FEATURES, density=0.3, format="csr", random_state=1, dtype="float32")]


CASES = [(name, {}) for name in BUILDABLE] + [
    (name, {"embedding_dropout": 0.2, "bigram_buckets": 50}) for name in ("average", "swem", "wide_deep")
]


@pytest.mark.parametrize("preset, extras", CASES)
def test_each_preset_builds_and_trains_one_batch(preset, extras, data):
    cfg = tiny_config(preset)
    for key, value in extras.items():
        setattr(cfg.model, key, value)
    model = build(cfg, data, wide_features=WIDE_FEATURES)
    _, _, x, y = data
    full_input = model_input(preset, x)
    trained = model
    if full_input is not x:  # wide_deep: Keras trains the embedding path; liblinear fits the TF-IDF path
        trained = compile_model(deep_training_model(model), cfg)
    before = [w.copy() for w in model.get_weights()]
    history = trained.fit(x if trained is not model else full_input, y, batch_size=len(y), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert any(not np.allclose(a, b) for a, b in zip(before, model.get_weights()))
    proba = model.predict(full_input, verbose=0)
    assert proba.shape == (32, CLASSES)
    np.testing.assert_allclose(proba.sum(axis=1), 1, atol=1e-5)
    assert len(embedding_layers(model)) == max(1, presets.get(preset).vector_files)


def test_cnn_pooling_adapts_to_short_sequences(data):
    cfg = tiny_config("cnn")
    cfg.text.sequence_length = 3
    cfg.model.conv_blocks = 3
    model = build_model(cfg, vocab_size=V, num_classes=CLASSES, embedding_matrices=[data[0]])
    assert model.predict(data[2][:, :3], verbose=0).shape == (32, CLASSES)


def test_frozen_embedding_is_unchanged_and_counted_non_trainable(data):
    model = build(tiny_config("average", "frozen"), data)
    before = embedding_weights(model)[0]
    np.testing.assert_array_equal(before, data[0])
    model.fit(data[2], data[3], epochs=2, batch_size=8, verbose=0)
    np.testing.assert_array_equal(embedding_weights(model)[0], before)
    counts = parameter_counts(model)
    head = D * CLASSES + CLASSES
    assert counts == {"total": V * D + head, "trainable": head, "non_trainable": V * D}
    row = next(r for r in summary_rows(model) if r["name"] == "embedding")
    assert row["params"] == V * D and row["trainable"] == 0 and row["type"] == "Embedding"
    assert "None" in row["output_shape"] and str(L) in row["output_shape"]


def test_finetune_changes_the_embedding(data):
    model = build(tiny_config("average", "finetune"), data)
    model.fit(data[2], data[3], epochs=1, batch_size=8, verbose=0)
    assert not np.allclose(embedding_weights(model)[0], data[0])
    assert parameter_counts(model)["non_trainable"] == 0


def test_scratch_uses_its_own_dimension(data):
    model = build(tiny_config("gru", "scratch"), data)
    assert embedding_weights(model)[0].shape == (V, 5)


def test_two_phase_unfreezes_only_at_the_switch(data):
    cfg = tiny_config("average", "two_phase", unfreeze_epoch=2, unfreeze_lr_factor=0.5)
    cfg.training.epochs = 3
    model = build(cfg, data)
    seen = []

    class Snapshot(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(
                (
                    embedding_weights(self.model)[0].copy(),
                    float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)),
                )
            )

    switch = unfreeze_callback(cfg)
    assert parameter_counts(model)["trainable"] == D * CLASSES + CLASSES
    model.fit(data[2], data[3], epochs=3, batch_size=8, verbose=0, callbacks=[switch, Snapshot()])
    np.testing.assert_array_equal(seen[0][0], data[0])  # epoch 1: frozen
    assert not np.allclose(seen[1][0], seen[0][0])  # epoch 2: trained after the switch
    assert not np.allclose(seen[2][0], seen[1][0])  # and it keeps training
    assert seen[0][1] == pytest.approx(0.05) and seen[1][1] == pytest.approx(0.025)
    assert switch.switched_at == 1
    assert parameter_counts(model)["non_trainable"] == 0


def test_train_oov_rows_keeps_covered_rows_fixed(data):
    matrix, covered, x, y = data
    model = build(tiny_config("average", "frozen", train_oov_rows=True), data)
    layer = embedding_layers(model)[0]
    oov_rows = [1, 7, 8, 9]  # uncovered rows except padding
    counts = parameter_counts(model)
    assert counts["trainable"] == len(oov_rows) * D + D * CLASSES + CLASSES
    np.testing.assert_allclose(layer.effective_matrix(), matrix)
    x = x.copy()
    x[1:, :4] = [7, 8, 9, 1]  # make sure the OOV rows are used
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    after = layer.effective_matrix()
    np.testing.assert_array_equal(after[covered], matrix[covered])
    np.testing.assert_array_equal(after[0], 0)
    assert all(not np.allclose(after[r], matrix[r]) for r in oov_rows)
    np.testing.assert_array_equal(np.array(layer.frozen.numpy()), matrix)


def test_average_gives_finite_output_for_all_padding(data):
    model = build(tiny_config("average", "finetune"), data)
    proba = model.predict(np.zeros((2, L), dtype="int64"), verbose=0)
    assert np.isfinite(proba).all()
    pool = custom_objects()["embedstudio>MaskedAveragePooling1D"]()
    values = np.ones((2, 3, 4), dtype="float32")
    mask = np.array([[False, False, False], [True, True, False]])
    out = np.asarray(pool(values, mask=mask))
    np.testing.assert_array_equal(out[0], 0)
    np.testing.assert_allclose(out[1], 1)


@pytest.mark.parametrize("preset, mode, oov", [("average", "frozen", True), ("bilstm", "finetune", False)])
def test_custom_layers_survive_keras_save_and_load(tmp_path, data, preset, mode, oov):
    model = build(tiny_config(preset, mode, train_oov_rows=oov), data)
    model.fit(data[2], data[3], epochs=1, batch_size=8, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, custom_objects=custom_objects(), compile=False)
    np.testing.assert_allclose(loaded.predict(data[2], verbose=0), model.predict(data[2], verbose=0), atol=1e-6)
    assert parameter_counts(loaded) == parameter_counts(model)


def test_missing_matrices_are_an_error(data):
    with pytest.raises(ValueError, match="embedding matri"):
        build_model(tiny_config("cnn", "frozen"), vocab_size=V, num_classes=3, embedding_matrices=None)
    with pytest.raises(ValueError, match="rows"):
        build_model(tiny_config("cnn", "frozen"), vocab_size=V + 1, num_classes=3, embedding_matrices=[data[0]])
