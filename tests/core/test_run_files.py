"""Run-folder and file helpers moved out of the results widget: read_misclassified (core/runs.py) and the
atomic copy the model export uses (core/fileio.atomic_copy)."""

import json

import pytest


def test_read_misclassified_skips_a_torn_line(tmp_path):
    from embedstudio.core.runs import MISCLASSIFIED_FILE, read_misclassified

    row = {"text": "a b", "true": "pos", "predicted": "neg", "confidence": 0.9, "source": "x.txt"}
    (tmp_path / MISCLASSIFIED_FILE).write_text(json.dumps(row) + "\n" + '{"text": "cut', encoding="utf-8")
    assert read_misclassified(tmp_path) == [row]
    assert read_misclassified(tmp_path / "missing") == []


def test_atomic_copy_is_whole_or_absent(tmp_path):
    from embedstudio.core.fileio import atomic_copy
    from embedstudio.core.jobs import Cancelled, CancelToken

    source = tmp_path / "model.keras"
    source.write_bytes(bytes(range(256)) * 100)
    target = atomic_copy(source, tmp_path / "out" / "copy.keras", chunk=1000)
    assert target.read_bytes() == source.read_bytes()
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(Cancelled):
        atomic_copy(source, tmp_path / "out" / "second.keras", cancel=cancel, chunk=1000)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["copy.keras"], "no partial or temporary file"
