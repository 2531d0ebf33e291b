"""Every case of the robustness corpus (``corpus.py``) through the real CLI: the expected exit code, no
traceback, the key words of its message, no code run by the input, no hang.

Cases whose command imports TensorFlow (evaluate/predict, dataset statistics) take 10-30 s each and are
marked slow. Cases whose fix belongs to another area and is still open are strict xfails: when that
area fixes one, this test fails until it is taken off the list.
"""

from __future__ import annotations

import pytest

from .corpus import CASES, run_case

# Commands that import TensorFlow (model loading, tokenizer statistics): seconds each.
SLOW = {
    "folder_symlink_to_outside_file",
    "folder_class_is_symlink_out",
    "csv_headerless_first_row_kept",
    "tar_gz_bomb",
    "zip_bomb_dataset",
    "tar_symlink_member",
    "run_evaluations_symlink_out",
    "run_model_symlink_out",
    "run_truncated_model",
    "run_labels_wrong_length",
    "predict_top_zero",
    "predict_latin1_file",
    "predict_no_text",
    "run_folder_missing",
    "dialogue_not_stripped",
}

# Open in other areas (issue 10 sections 2, 5 and 6), as strict xfails: none left.
KNOWN_OPEN: dict[str, str] = {}


def _param(spec):
    marks = []
    if spec.name in SLOW:
        marks.append(pytest.mark.slow)
    if spec.name in KNOWN_OPEN:
        marks.append(pytest.mark.xfail(reason=KNOWN_OPEN[spec.name], strict=True))
    return pytest.param(spec, id=spec.name, marks=marks)


def test_the_corpus_is_large_enough():
    kinds = {spec.kind for spec in CASES}
    assert len(CASES) >= 60 and kinds == {"vectors", "datasets", "archives", "configs", "runs"}
    assert len({spec.name for spec in CASES}) == len(CASES)


@pytest.mark.parametrize("spec", [_param(s) for s in CASES])
def test_case(spec, tmp_path_factory):
    # A neutral folder name: the test's own name would leak the case's key words into the paths it prints.
    result = run_case(spec, tmp_path_factory.mktemp("c"))
    assert result.outcome == "clear", f"{spec.name}: {result.outcome}: {result.detail}"
