"""The Model area's live summary job: build the model the config describes and count its parameters.

Threads: ``model_summary`` runs in a Worker (it imports TensorFlow); its input is copied on the GUI thread.
It prepares the inputs as ``core.training`` does (training split -> vocabulary -> embedding matrices).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from embedstudio.core import presets
from embedstudio.core.config import RunConfig
from embedstudio.core.jobs import CancelToken, Reporter


@dataclass
class SummaryInput:
    """Everything the summary job reads, copied on the GUI thread before the job starts."""

    config: RunConfig
    dataset: Any = None  # the imported Dataset (read only), if any
    num_classes: int = 2
    vectors: list[Any] = field(default_factory=list)  # WordVectors | None per embedding source
    vocabulary: list[str] | None = None  # a vocabulary computed earlier for the same texts/settings


@dataclass
class ModelSummary:
    rows: list[dict]
    counts: dict[str, int]
    vocab_size: int
    num_classes: int
    vocabulary: list[str] | None
    notes: list[str]
    config: RunConfig | None = None  # what it was built from (the vocabulary cache key)
    dataset: Any = None


def _embedding_inputs(inp: SummaryInput, vocab: list[str] | None, vocab_size: int, notes: list[str]):
    """Embedding matrices and covered masks shaped as training will build them."""
    import numpy as np

    cfg = inp.config
    if cfg.embedding.mode == "scratch":
        return None, None
    needed = max(1, presets.vector_files_needed(cfg.model.preset, cfg.embedding.mode))
    matrices, masks = [], []
    for index in range(needed):
        wv = inp.vectors[index] if index < len(inp.vectors) else None
        if wv is not None and vocab is not None:
            from embedstudio.core.embedding import build_embedding_matrix

            matrix, mask, _ = build_embedding_matrix(vocab, wv, policy=cfg.embedding.oov_policy, seed=cfg.training.seed)
        else:
            dim = wv.dim if wv is not None else cfg.embedding.dim
            if wv is None:
                notes.append(
                    f"Vector file {index + 1} is not loaded: its dimension is taken as {dim} "
                    "(embedding.dim). Load it in Vectors for exact counts."
                )
            matrix, mask = np.zeros((vocab_size, dim), dtype="float32"), np.zeros(vocab_size, dtype=bool)
            if cfg.embedding.mode == "frozen" and cfg.embedding.train_oov_rows:
                notes.append(
                    "Which rows are out of vocabulary is known only with a dataset and loaded "
                    "vectors: every row is counted as trainable here."
                )
        matrices.append(matrix)
        masks.append(mask)
    return matrices, masks


def model_summary(inp: SummaryInput, *, reporter: Reporter, cancel: CancelToken) -> ModelSummary:
    """Build the model the config describes and count its parameters (runs in a Worker)."""
    from embedstudio.gui.heavy_imports import import_tensorflow

    reporter.progress(0, None, "Building the model")
    import_tensorflow()
    from embedstudio.core.models import build_model, parameter_counts, summary_rows

    cfg, notes = inp.config, []
    vocab, num_classes = inp.vocabulary, inp.num_classes
    if inp.dataset is not None:
        # The vocabulary comes from the training split only, exactly as train() builds it.
        from embedstudio.core.datasets import make_splits

        splits = make_splits(
            inp.dataset,
            validation_fraction=cfg.data.validation_fraction,
            test_fraction=cfg.data.test_fraction,
            seed=cfg.training.seed,
        )
        num_classes = max(2, len(splits.classes))
        if vocab is None:
            from embedstudio.core.text import build_vectorizer, vocabulary

            vocab = vocabulary(build_vectorizer(list(splits.train.texts), cfg.text, cancel=cancel))
    cancel.raise_if_cancelled()
    vocab_size = len(vocab) if vocab is not None else cfg.text.max_tokens
    if vocab is None:
        notes.append(
            f"No dataset imported: the vocabulary is taken as text.max_tokens = {vocab_size:,} and the classes as 2."
        )
    matrices, masks = _embedding_inputs(inp, vocab, vocab_size, notes)
    cancel.raise_if_cancelled()
    model = build_model(
        cfg, vocab_size=vocab_size, num_classes=num_classes, embedding_matrices=matrices, covered_masks=masks
    )
    return ModelSummary(
        summary_rows(model),
        parameter_counts(model),
        vocab_size,
        num_classes,
        vocab,
        notes,
        config=cfg,
        dataset=inp.dataset,
    )
