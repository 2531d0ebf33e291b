"""Vectors area with real widgets, real vector files and real Workers (offscreen)."""

from __future__ import annotations

import numpy as np
import pytest
from gui_helpers import wait_worker, write_glove
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from embedstudio.gui.panels.vectors_panel import VectorsPanel
from embedstudio.gui.state import AppState


@pytest.fixture
def panel(qtbot, pool, tiny_workspace):
    p = VectorsPanel(tiny_workspace.state, pool)
    qtbot.addWidget(p)
    p.resize(1100, 760)
    p.show()
    return p


def load(qtbot, panel, path) -> None:
    panel.add_files([str(path)], load=False)
    worker = panel.load(str(path))
    wait_worker(qtbot, worker)


def cell(panel, row: int, col: int) -> str:
    m = panel.library_model
    return m.data(m.index(row, col))


def test_add_file_loads_it_in_a_worker(qtbot, panel, tiny_workspace):
    path = str(tiny_workspace.vectors)
    panel.add_files([path], load=False)
    worker = panel.load(path)
    assert worker is not None and worker.isRunning() or worker.isFinished()
    assert cell(panel, 0, 6).startswith("loading")
    wait_worker(qtbot, worker)
    state = tiny_workspace.state
    assert state.is_loaded(path)
    wv = state.vectors[path]
    assert len(wv) == 12 and wv.dim == 4
    # The library row shows what was read, and the first loaded file is used for training.
    assert [cell(panel, 0, c) for c in (2, 3, 4, 6)] == ["glove", "4", "12", "loaded"]
    assert state.is_selected(path) and state.selected_vectors() == [wv]
    use = panel.library_model.index(0, 0)
    assert panel.library_model.data(use, Qt.CheckStateRole) == Qt.Checked
    # Unticking "Use" takes the file out of the training config, ticking puts it back.
    assert panel.library_model.setData(use, Qt.Unchecked.value, Qt.CheckStateRole)
    assert not state.is_selected(path) and state.config.embedding.vectors == []
    assert panel.library_model.setData(use, Qt.Checked.value, Qt.CheckStateRole)
    assert state.selected_vectors() == [wv]
    # A text file is cached after its first load (written on a thread), and the cache column says so.
    qtbot.waitUntil(lambda: cell(panel, 0, 7).startswith("cached"), timeout=30_000)


def test_the_cache_column_follows_the_background_write_without_polling(qtbot, panel, tiny_workspace):
    """The cache writer tells the panel when the entry is complete (a signal queued to the GUI thread)."""
    from embedstudio.core.vectors.cache import VectorCache

    path = str(tiny_workspace.vectors)
    VectorCache().clear(path)
    panel.add_files([path], load=False)
    with qtbot.waitSignal(panel.cache_written, timeout=30_000) as signal:
        wait_worker(qtbot, panel.load(path))
    assert signal.args == [path]
    write = tiny_workspace.state.vectors[path].cache_write
    assert write is not None and write.finished.is_set() and write.entry is not None
    qtbot.waitUntil(lambda: cell(panel, 0, 7).startswith("cached"), timeout=5_000)  # the queued slot's refresh


def test_neighbours_analogy_similarity_shown(qtbot, panel, tiny_workspace):
    load(qtbot, panel, tiny_workspace.vectors)
    ex = panel.explore
    assert ex.wv is tiny_workspace.state.vectors[str(tiny_workspace.vectors)]
    ex.k.setValue(3)
    ex.word.setText("good")
    qtbot.mouseClick(ex.neighbours_button, Qt.LeftButton)
    assert ex.model.rowCount() == 3
    assert ex.model.value(0, 1) == "great"  # the nearest by construction of the tiny vectors
    assert "good" in ex.header.text()
    found = ex.query_analogy("man", "king", "woman")
    assert found[0][0] == "queen"
    assert ex.model.value(0, 1) == "queen"
    score = ex.query_similarity("good", "bad")
    assert score < 0 and "cosine" in ex.similarity_label.text()
    # An unknown word in a file without subwords: the message says so, no dialog, no crash.
    assert ex.query_neighbours("zebra") == []
    assert "zebra" in ex.header.text() and ex.model.rowCount() == 0


def test_oov_word_answered_from_subwords_is_marked(qtbot, panel, gensim_data):
    path = gensim_data("lee_fasttext.bin")
    load(qtbot, panel, path)
    ex = panel.explore
    wv = ex.wv
    assert wv.has_subwords and wv.is_oov("filmmakingz")
    found = ex.query_neighbours("filmmakingz")
    assert len(found) == ex.k.value() and ex.model.rowCount() == len(found)
    assert "subwords" in ex.header.text()
    assert ex.query_similarity("filmmakingz", "film") is not None
    assert "from subwords" in ex.similarity_label.text()


def test_pca_map_has_points_with_labels(qtbot, panel, tiny_workspace):
    load(qtbot, panel, tiny_workspace.vectors)
    m = panel.map
    m.k.setValue(2)
    m.words_edit.setText("good, king")
    qtbot.mouseClick(m.plot_button, Qt.LeftButton)
    assert len(m.words) == 6 and m.words[0] == "good"
    assert m.scatter.data.shape[0] == 6
    pos = np.column_stack([m.scatter.data["x"], m.scatter.data["y"]])
    assert np.isfinite(pos).all() and np.ptp(pos[:, 0]) > 0
    visible = [item.toPlainText() for item in m.labels if item.isVisible()]
    assert sorted(visible) == sorted(m.words)
    # Fewer words next time: the extra labels are hidden, not left behind.
    assert m.plot_words(["film"]) == 3
    assert sum(item.isVisible() for item in m.labels) == 3


def test_coverage_against_dataset_is_sortable(qtbot, panel, tiny_workspace):
    from embedstudio.core.datasets import load_dataset

    state = tiny_workspace.state
    state.set_dataset(load_dataset(state.config.data))
    load(qtbot, panel, tiny_workspace.vectors)
    cov = panel.coverage
    assert cov.compute_button.isEnabled()
    worker = cov.compute()
    assert not cov.compute_button.isEnabled()  # no second start while it runs
    wait_worker(qtbot, worker)
    report = cov.report
    assert report is not None and 0 < report.vocab_coverage < 1 and 0 < report.token_coverage < 1
    assert f"{100 * report.vocab_coverage:.1f}%" in cov.summary.text()
    oov = dict(report.top_oov)
    assert "acting" in oov and "good" not in oov
    rows = cov.model.rowCount()
    assert rows == len(report.top_oov) > 3
    cov.table.sortByColumn(1, Qt.DescendingOrder)
    counts = [cov.model.value(r, 1) for r in range(rows)]
    assert counts == sorted(counts, reverse=True)
    cov.table.sortByColumn(0, Qt.AscendingOrder)
    words = [cov.model.value(r, 0) for r in range(rows)]
    assert words == sorted(words, key=str.lower)


def test_train_own_vectors_adds_them_to_the_library(qtbot, panel, tiny_workspace):
    from embedstudio.core.datasets import load_dataset

    state = tiny_workspace.state
    state.set_dataset(load_dataset(state.config.data))
    dialog = panel.open_train_dialog()
    qtbot.addWidget(dialog)
    assert dialog.use_dataset.isChecked()
    dialog.algorithm.setCurrentIndex(dialog.algorithm.findData("fasttext"))
    dialog.dim.setValue(8)
    dialog.epochs.setValue(1)
    dialog.min_count.setValue(1)
    dialog.out_edit.setText(str(tiny_workspace.root / "own" / "reviews-ft.bin"))
    worker = dialog.start()
    assert not dialog.train_button.isEnabled()
    wait_worker(qtbot, worker)
    assert dialog.train_button.isEnabled()
    out = dialog.result_path
    assert out is not None and out.is_file() and out.suffix == ".bin"
    assert str(out) in state.library
    loading = panel.loads.get(str(out))
    if loading is not None:
        wait_worker(qtbot, loading)
    wv = state.vectors[str(out)]
    assert wv.dim == 8 and wv.has_subwords and "film" in wv
    dialog.close()


def test_cancel_a_load(qtbot, panel, tmp_path):
    rng = np.random.default_rng(0)
    words = {f"w{i}": rng.standard_normal(50).round(4).tolist() for i in range(60_000)}
    big = write_glove(tmp_path / "big.txt", words)
    panel.add_files([str(big)], load=False)
    worker = panel.load(str(big))
    cancelled = []
    worker.cancelled.connect(lambda: cancelled.append(True))
    panel.cancel_loads()
    wait_worker(qtbot, worker)
    assert cancelled
    assert not panel.state.is_loaded(str(big))
    assert cell(panel, 0, 6) == "cancelled"
    assert not panel.cancel_button.isEnabled()
    assert "cancelled" in panel.message.text()


def test_bad_vector_file_shows_error_naming_file_and_line(qtbot, panel, tmp_path):
    bad = tmp_path / "broken.txt"
    good = "".join(f"w{i} 0.1 0.2 0.3\n" for i in range(40))
    bad.write_text(good + "and 0.7 oops 0.9\n", encoding="utf-8")
    panel.add_files([str(bad)], load=False)
    worker = panel.load(str(bad))
    wait_worker(qtbot, worker)
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    assert boxes, "an error dialog should be shown"
    assert boxes[-1].icon() == QMessageBox.Warning  # a user error, not a crash report
    shown = boxes[-1].text() + "\n" + boxes[-1].informativeText()
    assert "broken.txt" in shown and "line 41" in shown
    assert cell(panel, 0, 6).startswith("failed: broken.txt, line 41")  # the reason, in the library
    for b in boxes:
        b.close()


def test_remove_and_unload(qtbot, panel, tiny_workspace):
    load(qtbot, panel, tiny_workspace.vectors)
    path = str(tiny_workspace.vectors)
    panel.unload(path)
    assert not panel.state.is_loaded(path) and cell(panel, 0, 6) == "not loaded"
    assert panel.explore.wv is None
    panel.remove([path])
    assert panel.library_model.rowCount() == 0 and not panel.state.config.embedding.vectors


def test_clear_cache_empties_cache_column(qtbot, panel, tiny_workspace):
    load(qtbot, panel, tiny_workspace.vectors)
    qtbot.waitUntil(lambda: cell(panel, 0, 7).startswith("cached"), timeout=30_000)  # written on a thread
    freed = panel.clear_cache(confirm=False)
    assert freed > 0 and cell(panel, 0, 7) == "—"
    assert panel.state.is_loaded(str(tiny_workspace.vectors))  # loaded vectors stay usable


def test_state_keys_demo_paths_unchanged(qtbot, pool):
    state = AppState()
    p = VectorsPanel(state, pool)
    qtbot.addWidget(p)
    p.add_files(["gensim-test-data:lee_fasttext.bin"], load=False)
    assert p.library_model.data(p.library_model.index(0, 1)) == "lee_fasttext.bin (demo)"
    assert p.library_model.data(p.library_model.index(0, 2)) == "fasttext_bin"
    assert p.library_model.data(p.library_model.index(0, 5)).endswith("KB")


def test_a_gensim_pickle_is_opened_only_after_the_user_says_yes(qtbot, panel, tmp_path, monkeypatch):
    import sys
    from pathlib import Path

    from gensim.models import KeyedVectors

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.robustness.helpers import hostile_pickle

    asked = []

    def answer(reply):
        def fake_warning(parent, title, text, buttons, default):
            asked.append((text, default))
            return reply

        return fake_warning

    marker = tmp_path / "code-ran"
    hostile = tmp_path / "vectors.txt"
    hostile.write_bytes(hostile_pickle(marker))
    monkeypatch.setattr(QMessageBox, "warning", answer(QMessageBox.No))
    panel.add_files([str(hostile)], load=False)
    assert panel.load(str(hostile)) is None
    assert asked and "Python pickle" in asked[0][0] and asked[0][1] == QMessageBox.No  # default No
    assert not marker.exists() and not panel.state.is_loaded(str(hostile))

    kv = KeyedVectors(vector_size=3)
    kv.add_vectors(["a", "b", "c"], np.random.default_rng(0).standard_normal((3, 3)).astype(np.float32))
    kv.save(str(tmp_path / "model.kv"))
    monkeypatch.setattr(QMessageBox, "warning", answer(QMessageBox.Yes))
    load(qtbot, panel, tmp_path / "model.kv")
    assert len(asked) == 2 and panel.state.is_loaded(str(tmp_path / "model.kv"))
