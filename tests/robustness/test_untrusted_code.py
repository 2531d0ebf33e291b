"""Section 1 of the robustness work: a pickle never loads without explicit trust; symlinks never lead
out of a run folder or a dataset root."""

from __future__ import annotations

import bz2
import gzip
import json
import zipfile

import numpy as np
import pytest

from embedstudio.core.errors import RunError
from embedstudio.core.vectors import PickleRefused, detect_format, load_vectors

from .helpers import hostile_pickle, run_cli


def _hostile_files(tmp_path, marker):
    data = hostile_pickle(marker)
    files = {
        "vectors.kv": data,
        "renamed.txt": data,  # named like text vectors
        "model.kv.gz": gzip.compress(data),
        "model.bin.bz2": bz2.compress(data),
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    with zipfile.ZipFile(tmp_path / "inside.zip", "w") as zf:
        zf.writestr("vectors.txt", data)
    return sorted(files) + ["inside.zip"]


def test_a_hostile_pickle_is_detected_but_never_loaded(tmp_path):
    marker = tmp_path / "code-ran"
    for name in _hostile_files(tmp_path, marker):
        assert detect_format(tmp_path / name) == "gensim"  # detection reads bytes, never unpickles
        for fmt in ("auto", "gensim"):
            with pytest.raises(PickleRefused) as err:
                load_vectors(tmp_path / name, format=fmt)
            message = str(err.value)
            assert "Python pickle" in message and "--trust-pickle" in message and "vectors convert" in message
        assert not marker.exists(), f"{name}: loading ran the pickle's code"


def test_cli_refuses_a_pickle_in_every_vectors_command(tmp_path):
    marker = tmp_path / "code-ran"
    names = _hostile_files(tmp_path, marker)
    for args in (
        ["info", "vectors.kv"],
        ["neighbors", "renamed.txt", "cat"],
        ["similarity", "model.kv.gz", "a", "b"],
        ["analogy", "inside.zip", "a", "b", "c"],
        ["convert", "model.bin.bz2", "out.bin"],
    ):
        args = [args[0], str(tmp_path / args[1]), *args[2:]]
        if args[0] == "convert":
            args[-1] = str(tmp_path / "out.bin")
        result = run_cli(["vectors", *args], tmp_path / "home")
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert "is a gensim model file, a Python pickle" in result.stderr and "--trust-pickle" in result.stderr
    assert not marker.exists() and not (tmp_path / "out.bin").exists()
    assert names


def test_trust_pickle_opens_a_real_gensim_file_and_convert_is_the_safe_route(tmp_path):
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vector_size=3)
    kv.add_vectors(["a", "b", "c"], np.random.default_rng(0).standard_normal((3, 3)).astype(np.float32))
    kv.save(str(tmp_path / "model.kv"))
    result = run_cli(["vectors", "info", tmp_path / "model.kv", "--trust-pickle"], tmp_path / "home")
    assert result.returncode == 0, result.stderr
    assert "vocabulary: 3 words" in result.stdout
    result = run_cli(
        ["vectors", "convert", tmp_path / "model.kv", tmp_path / "safe.bin", "--trust-pickle"], tmp_path / "home"
    )
    assert result.returncode == 0, result.stderr
    wv = load_vectors(tmp_path / "safe.bin")  # no trust needed: word2vec binary carries no code
    assert wv.info.format == "word2vec_binary" and wv.words == ["a", "b", "c"]


def test_evaluate_refuses_a_symlink_out_of_the_run_folder(tmp_path):
    from embedstudio.core.evaluation import evaluate_run, load_run_model
    from embedstudio.core.runs import check_run_links

    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text("{}")
    (run / "labels.json").write_text(json.dumps(["a", "b"]))
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (run / "evaluations").symlink_to(outside, target_is_directory=True)
    with pytest.raises(RunError, match=r"evaluations is a symbolic link to .*elsewhere, outside the run folder"):
        check_run_links(run)
    with pytest.raises(RunError, match="outside the run folder"):
        evaluate_run(run, tmp_path / "data")
    (run / "evaluations").unlink()
    (run / "evaluations").mkdir()
    (run / "evaluations" / "old.json").symlink_to(outside / "x.json")
    with pytest.raises(RunError, match=r"evaluations/old\.json is a symbolic link"):
        check_run_links(run)
    (run / "evaluations" / "old.json").unlink()
    (run / "model.keras").symlink_to(outside / "model.keras")
    with pytest.raises(RunError, match=r"model\.keras is a symbolic link"):
        load_run_model(run)
    (run / "model.keras").unlink()
    (run / "inner.json").symlink_to(run / "labels.json")  # a link that stays inside is fine
    check_run_links(run)
    assert not any(outside.iterdir())


def test_folder_dataset_skips_links_that_leave_the_root(tmp_path):
    from embedstudio.core.config import DataConfig
    from embedstudio.core.datasets import load_dataset
    from embedstudio.core.jobs import RecordingReporter

    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:secret password line\n")
    secret_dir = tmp_path / "secret-dir"
    secret_dir.mkdir()
    (secret_dir / "key.txt").write_text("private key material")
    root = tmp_path / "data"
    for label in ("pos", "neg"):
        (root / label).mkdir(parents=True)
        for i in range(6):
            (root / label / f"{i}.txt").write_text(f"{label} document number {i} with some words")
    (root / "pos" / "passwd.txt").symlink_to(secret)
    (root / "neg" / "keys").symlink_to(secret_dir, target_is_directory=True)
    (root / "stolen").symlink_to(secret_dir, target_is_directory=True)  # a class folder that is a link out
    (root / "pos" / "again.txt").symlink_to(root / "neg" / "0.txt")  # inside the root: still read
    reporter = RecordingReporter()
    ds = load_dataset(
        DataConfig(path=str(root), format="folders", validation_fraction=0.0, test_fraction=0.2), reporter=reporter
    )
    texts = list(ds.train.texts) + list(ds.test.texts if ds.test is not None else [])
    assert not any("secret" in t or "private key" in t for t in texts)
    assert len(texts) == 13
    assert sorted(set(ds.train.labels)) == ["neg", "pos"]
    warnings = " ".join(reporter.warnings) + " ".join(ds.report.warnings)
    assert "3 symbolic links that point outside the dataset folder were skipped" in warnings


def test_a_link_loop_inside_a_class_folder_ends(tmp_path):
    from embedstudio.core.datasets.folders import class_files

    root = tmp_path / "data"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    (root / "a" / "1.txt").write_text("x")
    (root / "b" / "1.txt").write_text("y")
    (root / "a" / "loop").symlink_to(root / "a", target_is_directory=True)
    classes, _ = class_files(root)
    assert [p.name for p in classes["a"]] == ["1.txt"] and [p.name for p in classes["b"]] == ["1.txt"]
