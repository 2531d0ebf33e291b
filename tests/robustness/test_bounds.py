"""Bounded work on hostile input: the leakage check, word and message lengths, the cache's integrity checks."""

from __future__ import annotations

import json

import numpy as np

from embedstudio.core.datasets import checks
from embedstudio.core.datasets.types import TextTable
from embedstudio.core.jobs import RecordingReporter
from embedstudio.core.vectors import load_vectors
from embedstudio.core.vectors.cache import VectorCache, wait_for_cache_writes

from .helpers import glove_bytes, run_cli


def _table(rows):
    t = TextTable()
    for i, (text, label) in enumerate(rows):
        t.append(text, label, f"{i}.txt")
    return t


def test_leakage_check_finds_named_classes_and_lists_only_a_few():
    rows = [(f"posted to comp.graphics about item {i}", "comp.graphics") for i in range(6)]
    rows += [(f"a note about sci.med and item {i}", "sci.med") for i in range(6)]
    rows += [(f"nothing to see {i}", "misc") for i in range(6)]
    rows += [(f"the Class{i:03d} document", f"class{i:03d}") for i in range(40)]
    t = _table(rows)
    classes = sorted(set(t.labels))
    found = checks._classes_named_in_text(t, classes)
    assert "comp.graphics" in found and "sci.med" in found and "misc" not in found
    assert len(found) == 42  # the 40 one-document classes name themselves too (any case)
    warning = checks.leakage_warnings(t, classes, "train")[-1]
    assert "and 37 more" in warning and warning.count("'") == 10  # five names shown
    # "comp.graphics" must appear with its dot: 'comp graphics' is another text.
    assert (
        checks._classes_named_in_text(
            _table([("comp graphics news", "comp.graphics")] * 3 + [("other", "b")] * 3), ["comp.graphics", "b"]
        )
        == []
    )


def test_a_huge_word_is_skipped_and_the_message_stays_short(tmp_path):
    path = tmp_path / "v.txt"
    path.write_bytes(glove_bytes() + b"y" * 2_000_000 + b" 0.1 0.2 0.3 0.4\n" + glove_bytes(["dog"]))
    reporter = RecordingReporter()
    wv = load_vectors(path, reporter=reporter, use_cache=False)
    assert wv.words == ["the", "cat", "sat", "mat", "dog"]
    message = next(w for w in reporter.warnings if "longer than 1,000 bytes" in w)
    assert "line 5" in message and "2,000,000 bytes long" in message and len(message) < 400


def test_cache_verify_finds_and_removes_a_damaged_entry(tmp_path):
    src = tmp_path / "v.txt"
    words = [f"w{i}" for i in range(20)]
    m = np.random.default_rng(1).standard_normal((20, 4)).astype(np.float32)
    src.write_text(
        "".join(w + " " + " ".join(f"{x:.6f}" for x in row) + "\n" for w, row in zip(words, m, strict=False))
    )
    home = tmp_path / "home"
    assert run_cli(["vectors", "info", src], home).returncode == 0
    ok = run_cli(["vectors", "cache", "--verify"], home)
    assert ok.returncode == 0 and "1 ok, 0 damaged" in ok.stdout
    matrix = next((home / "cache").rglob("matrix.npy"))
    data = bytearray(matrix.read_bytes())
    data[-5] ^= 0x40
    matrix.write_bytes(bytes(data))
    bad = run_cli(["vectors", "cache", "--verify"], home)
    assert "0 ok, 1 damaged" in bad.stdout and "checksum mismatch" in bad.stdout
    assert not matrix.exists()


def test_a_damaged_cache_entry_is_rebuilt_and_said(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDSTUDIO_CACHE_DIR", str(tmp_path / "cache"))
    src = tmp_path / "v.txt"
    src.write_bytes(glove_bytes())
    first = load_vectors(src)
    assert wait_for_cache_writes(timeout=60)  # the entry is written on a thread
    meta = next((tmp_path / "cache").rglob("meta.json"))
    info = json.loads(meta.read_text())
    info["meta"]["warnings"] = 5
    meta.write_text(json.dumps(info))
    reporter = RecordingReporter()
    again = load_vectors(src, reporter=reporter)
    assert not again.info.from_cache and again.words == first.words
    assert any("cached copy of v.txt was not used" in line for line in reporter.infos)
    assert load_vectors(src).info.from_cache  # rebuilt
    assert VectorCache(tmp_path / "cache").load(src, format="glove", limit=None) is not None


def test_json_with_names_that_are_not_utf8_is_written_losslessly(tmp_path):
    import os

    from embedstudio.core.fileio import atomic_write_json
    from embedstudio.core.runs import update_description

    name = os.fsdecode(b"caf\xe9")  # a Latin-1 folder name as Python sees it on a UTF-8 system
    update_description(tmp_path, classes=[name, "ok"])
    text = (tmp_path / "description.json").read_text(encoding="utf-8")
    assert json.loads(text)["classes"] == [name, "ok"]
    atomic_write_json(tmp_path / "plain.json", {"name": "café"})
    assert "café" in (tmp_path / "plain.json").read_text(encoding="utf-8")  # readable when it can be


def test_a_tiny_binary_file_whose_numbers_look_like_text_is_still_binary(tmp_path):
    from .helpers import word2vec_binary_bytes

    # 6.005876e16 as float32 is the bytes 'UUU[': printable, yet the records end exactly at the file's end.
    path = tmp_path / "v.bin"
    path.write_bytes(word2vec_binary_bytes(["0"], np.array([[6.005876e16]], dtype=np.float32)))
    wv = load_vectors(path, use_cache=False)
    assert wv.info.format == "word2vec_binary" and wv.words == ["0"]
