"""Everything between a dataset and ``build_model``: split, tokenizer, vocabulary, vectors, embedding matrices,
the TF-IDF path, and the ``auto`` rules. ``train()``, the study and the GUI's model summary all use it, so
the model the summary shows is the model training builds.

- :func:`prepare_model_inputs` returns a :class:`ModelInputs` (the resolved config, the split, the adapted
  vectorizer(s), matrices, coverage, token arrays and counts).
- :func:`summarize` builds the model for a summary without training.
- :func:`resolve_auto` applies the ``auto`` preset's documented rules (below) to a config.

The ``auto`` rules (they read only the training split; nothing is tuned per dataset):

1. Recipe: ``wide_deep`` (a TF-IDF word uni+bigram linear path and an embedding path, fitted separately and
   mixed on validation, ``core.wide``): a linear n-gram model is the strong baseline on every
   text-classification set; the mix keeps what it knows while the embedding path adds what the vectors know.
2. Embedding path: the Kim CNN when the texts are short (95th percentile ≤ ``SHORT_TEXT`` tokens: sentences
   and questions, where word order and short phrases carry the class), otherwise SWEM (mean + max pooling:
   long documents are mostly topic, a bag of vectors captures it and costs little).
3. ``text.sequence_length``: the 95th percentile of training lengths in tokens, clipped to
   [``MIN_LENGTH``, ``MAX_LENGTH``]; 95% of texts are read whole.
4. ``text.max_tokens``: the words seen at least twice in training (a word seen once teaches nothing that
   carries over; the same min_df = 2 the TF-IDF baseline uses), capped at ``MAX_VOCABULARY``; with fewer
   than ``MIN_VOCABULARY`` such words, every word.
5. Epochs: ``training.epochs`` left at its default (10) becomes ``AUTO_EPOCHS``; a budget set in the config
   is kept. Early stopping ends training; the cap is a safety. The embedding path trains alone
   (``core.wide``) and a bag of vectors learns slowly: 20NG's SWEM path was still gaining 1–3 points of
   validation accuracy per epoch at epoch 10.
6. TF-IDF path: word unigrams and bigrams in at least two training texts, the ``model.wide_features``
   most frequent; sublinear tf × smoothed idf, unit-length rows: the baseline's features on the app's
   tokens. It is fitted by liblinear and mixed with the embedding path on validation (``core.wide``).
"""

from __future__ import annotations

import collections
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import presets
from .advice import Advice, class_weight_advice, coverage_advice, subword_advice
from .config import RunConfig, data_path
from .errors import TrainingError
from .events import TrainingStep
from .jobs import CancelToken, Reporter, ensure_cancel, ensure_reporter

SHORT_TEXT = 60
MIN_LENGTH, MAX_LENGTH = 16, 1000
MIN_VOCABULARY, MAX_VOCABULARY = 1000, 50_000
MIN_DF = 2
AUTO_EPOCHS = 30
_TFIDF_CHUNK = 2048


@dataclass
class WidePath:
    """The TF-IDF path: a count-mode TextVectorization over word uni+bigrams and the idf weights."""

    vectorizer: Any
    idf: np.ndarray
    ngrams: list[str] = field(default_factory=list)  # feature i + 1 (0 counts the n-grams outside)
    standardize: str = "lower_split_punctuation"

    @property
    def features(self) -> int:
        return int(self.idf.shape[0])


@dataclass
class ModelInputs:
    cfg: RunConfig  # resolved: concrete preset, standardize, sizes
    splits: Any
    classes: list[str]
    vectorizer: Any
    vocab: list[str]
    vectors: list[Any] = field(default_factory=list)
    matrices: list[np.ndarray] | None = None
    masks: list[np.ndarray] | None = None
    coverage: list[dict] = field(default_factory=list)
    wide: WidePath | None = None
    standardize: dict = field(default_factory=dict)  # text.StandardizeChoice.to_dict()
    auto: dict = field(default_factory=dict)  # the auto rules applied (empty if not auto)
    data: dict[str, tuple[Any, np.ndarray]] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        out = {name: len(getattr(self.splits, name).texts) for name in ("train", "validation", "test")}
        out.update(
            vocab_size=len(self.vocab),
            num_classes=len(self.classes),
            wide_features=self.wide.features if self.wide else 0,
        )
        return out

    def model_kwargs(self) -> dict[str, Any]:
        return dict(
            vocab_size=len(self.vocab),
            num_classes=len(self.classes),
            embedding_matrices=self.matrices,
            covered_masks=self.masks,
            wide_features=self.wide.features if self.wide else None,
        )

    def build_model(self) -> Any:
        from .models import build_model

        return build_model(self.cfg, **self.model_kwargs())

    def features(
        self,
        texts: list[str],
        *,
        reporter: Reporter | None = None,
        cancel: CancelToken | None = None,
        message: str = "Tokenising",
    ) -> Any:
        """What the model (not the end-to-end one) takes for ``texts``: token ids, plus TF-IDF if wide."""
        from .text import vectorize

        ids = vectorize(self.vectorizer, texts, reporter=reporter, cancel=cancel, message=message)
        if self.wide is None:
            return ids
        return [ids, tfidf_matrix(self.wide, texts, cancel=cancel)]

    def tokenize_splits(self, *, reporter: Reporter | None = None, cancel: CancelToken | None = None) -> None:
        """``data[name] = (features, int64 labels)`` for train, validation and test, in memory."""
        index = {c: i for i, c in enumerate(self.classes)}
        for name in ("train", "validation", "test"):
            table = getattr(self.splits, name)
            x = self.features(
                list(table.texts), reporter=reporter, cancel=cancel, message=f"Tokenising the {name} texts"
            )
            # A test label the training data never showed cannot be predicted; evaluation counts it as an error.
            y = np.asarray([index.get(str(label), -1) for label in table.labels], dtype="int64")
            self.data[name] = (x, y)

    def end_to_end(self, model: Any) -> Any:
        """Raw strings ``(batch, 1)`` -> tokenizer(s) -> ``model``: the model ``model.keras`` holds."""
        import keras

        from .models import _layer_class

        _strip_training_state(model)
        text = keras.Input(shape=(1,), dtype="string", name="text")
        ids = self.vectorizer(text)
        if self.wide is None:
            return keras.Model(text, model(ids), name="text_classifier")
        layer = _layer_class("SublinearTfidf")(self.wide.features, name="tfidf")  # unit-length rows
        layer.build((None, self.wide.features))
        layer.idf.assign(self.wide.idf.astype("float32"))
        counts = keras.layers.Reshape((self.wide.features,), name="ngram_counts_flat")(self.wide.vectorizer(text))
        tfidf = layer(counts)
        return keras.Model(text, model([ids, tfidf]), name="text_classifier")


def _strip_training_state(model: Any) -> None:
    """Drop the optimizer and compile settings before export: training scaffolding, not part of the
    classifier (a saved optimizer can fail to reload, and a compile config makes every reload build one)."""
    if getattr(model, "optimizer", None) is not None:
        model.optimizer = None
    if hasattr(model, "_compile_config"):
        model._compile_config = None
    model.compiled = False


# ---- the auto rules ---------------------------------------------------------------------------------
def resolve_auto(cfg: RunConfig, train_texts: list[str] | None, standardize: str) -> tuple[RunConfig, dict]:
    """``cfg`` with the ``auto`` preset replaced by what its rules choose (see the module docstring), and
    a record of the statistics and choices. A concrete preset is returned unchanged."""
    if cfg.model.preset != "auto":
        return cfg, {}
    from .text import token_counts, token_lengths

    cfg = cfg.copy()
    cfg.model.preset = "wide_deep"
    record: dict[str, Any] = {"recipe": "wide_deep"}
    if not train_texts:
        cfg.model.deep_path = "swem"
        record.update(deep_path="swem", note="no training texts: the recipe's defaults")
        return cfg, record
    lengths = token_lengths(train_texts, standardize)
    p95 = float(np.percentile(lengths, 95)) if len(lengths) else 0.0
    cfg.model.deep_path = "kim_cnn" if p95 <= SHORT_TEXT else "swem"
    cfg.text.sequence_length = int(min(MAX_LENGTH, max(MIN_LENGTH, math.ceil(p95))))
    counts = token_counts(train_texts, standardize)
    repeated = sum(1 for n in counts.values() if n >= MIN_DF)
    words = repeated if repeated >= MIN_VOCABULARY else len(counts)
    cfg.text.max_tokens = int(min(MAX_VOCABULARY, words) + 2)
    if cfg.training.epochs == _default_epochs():  # a budget set in the config is kept
        cfg.training.epochs = AUTO_EPOCHS
    record.update(
        deep_path=cfg.model.deep_path,
        p95_tokens=p95,
        median_tokens=float(np.median(lengths)),
        sequence_length=cfg.text.sequence_length,
        distinct_words=len(counts),
        words_seen_twice=repeated,
        max_tokens=cfg.text.max_tokens,
        epochs=cfg.training.epochs,
        rules=f"deep path kim_cnn if p95 <= {SHORT_TEXT} tokens else swem; sequence length = p95 in "
        f"[{MIN_LENGTH}, {MAX_LENGTH}]; vocabulary = words seen >= {MIN_DF} times "
        f"(all words if under {MIN_VOCABULARY}), at most {MAX_VOCABULARY}; up to {AUTO_EPOCHS} epochs unless "
        "training.epochs is set, early stopping decides",
    )
    return cfg, record


def _default_epochs() -> int:
    from .config import TrainingConfig

    return TrainingConfig().epochs


# ---- the TF-IDF path ---------------------------------------------------------------------------------
def build_wide_path(
    train_texts: list[str], standardize: str, max_features: int, *, cancel: CancelToken | None = None
) -> WidePath:
    """Word unigrams + bigrams in at least ``MIN_DF`` training texts (the ``max_features`` most frequent),
    their smoothed idf, and a count-mode TextVectorization that counts exactly them in raw strings."""
    import keras

    from .text import keras_standardize, roundtrips, standardize_texts

    cancel = ensure_cancel(cancel)
    df: collections.Counter = collections.Counter()
    for start in range(0, len(train_texts), 2048):
        cancel.raise_if_cancelled()
        for line in standardize_texts(train_texts[start : start + 2048], standardize):
            df.update(set(_ngrams(line)))
    kept = [(g, n) for g, n in df.items() if n >= MIN_DF and roundtrips(g)]
    if len(kept) < 2:  # tiny data: every n-gram
        kept = [(g, n) for g, n in df.items() if roundtrips(g)]
    kept.sort(key=lambda item: (-item[1], item[0]))
    kept = kept[: max(1, max_features - 1)]
    vocabulary = [g for g, _ in kept]
    n_docs = max(len(train_texts), 1)
    # Index 0 counts the n-grams outside the vocabulary; its idf 0 keeps it out of the features.
    idf = np.concatenate([[0.0], [math.log((1 + n_docs) / (1 + n)) + 1 for _, n in kept]]).astype("float32")
    vectorizer = keras.layers.TextVectorization(
        standardize=keras_standardize(standardize),
        split="whitespace",
        ngrams=2,
        output_mode="count",
        vocabulary=vocabulary or ["[none]"],
        name="ngram_counts",
    )
    if not vocabulary:
        idf = np.zeros(2, dtype="float32")
    return WidePath(vectorizer, idf, vocabulary, standardize)


def _ngrams(line: str) -> list[str]:
    """The word unigrams and bigrams of a standardized line, as ``TextVectorization(ngrams=2)`` forms them."""
    tokens = line.split(" ") if line else []
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]


def tfidf_matrix(wide: WidePath, texts: list[str], *, cancel: CancelToken | None = None) -> Any:
    """Sublinear TF-IDF rows (SciPy CSR, float32) for ``texts``, exactly as ``SublinearTfidf`` computes them
    on the counts of ``wide.vectorizer`` (counted here by scikit-learn's sparse CountVectorizer: the Keras
    layer's dense count rows cost features × texts floats)."""
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import CountVectorizer

    from .text import standardize_texts

    cancel = ensure_cancel(cancel)
    if not wide.ngrams or not texts:
        return sp.csr_matrix((len(texts), wide.features), dtype="float32")
    counter = CountVectorizer(analyzer=_ngrams, vocabulary={g: i for i, g in enumerate(wide.ngrams)}, dtype=np.float32)
    parts = []
    for start in range(0, len(texts), _TFIDF_CHUNK):
        cancel.raise_if_cancelled()
        parts.append(counter.transform(standardize_texts(texts[start : start + _TFIDF_CHUNK], wide.standardize)))
    counts = sp.hstack([sp.csr_matrix((len(texts), 1), dtype="float32"), sp.vstack(parts)]).tocsr()
    counts.data = (1.0 + np.log(counts.data)).astype("float32")
    weighted = counts.multiply(wide.idf[None, :]).tocsr()
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    weighted = sp.diags((1.0 / np.maximum(norms, 1e-12)).astype("float32")) @ weighted
    weighted.eliminate_zeros()
    return weighted.astype("float32").tocsr()


# ---- the whole preamble ---------------------------------------------------------------------------------
def vector_sources(cfg: RunConfig, reporter: Reporter | None = None) -> list[Any]:
    e = cfg.embedding
    if e.mode == "scratch":
        return []
    wanted = max(1, presets.vector_files_needed(cfg.model.preset, e.mode))
    if len(e.vectors) > wanted and reporter is not None:
        ignored = ", ".join(v.path for v in e.vectors[wanted:])
        reporter.warning(
            f"The {cfg.model.preset} preset uses {wanted} vector file(s); ignoring {ignored}. "
            "Choose a preset made for two vector files "
            f"({', '.join(p.name for p in presets.PRESETS.values() if p.vector_files > 1)})."
        )
    return list(e.vectors[:wanted])


def load_vector_source(
    source: Any, given: dict[str, Any] | None, *, reporter: Reporter | None = None, cancel: CancelToken | None = None
) -> Any:
    if given:
        for key in (source.path, str(data_path(source.path))):
            if key in given:
                return given[key]
    from .vectors import load_vectors

    return load_vectors(
        data_path(source.path),
        format=source.format,
        limit=source.limit,
        reporter=reporter,
        cancel=cancel,
        trust_pickle=bool(getattr(source, "trust_pickle", False)),
    )


def make_run_splits(cfg: RunConfig, dataset: Any, reporter: Reporter | None = None) -> Any:
    from .datasets import make_splits

    splits = make_splits(
        dataset,
        validation_fraction=cfg.data.validation_fraction,
        test_fraction=cfg.data.test_fraction,
        seed=_split_seed(cfg),
    )
    for warning in getattr(splits, "warnings", []) or []:
        ensure_reporter(reporter).warning(warning)
    return splits


def _split_seed(cfg: RunConfig) -> int:
    seed = getattr(cfg.data, "split_seed", None)
    return int(seed) if seed is not None else cfg.training.seed


def prepare_model_inputs(
    cfg: RunConfig,
    dataset: Any = None,
    vectors: dict[str, Any] | None = None,
    cancel: CancelToken | None = None,
    *,
    reporter: Reporter | None = None,
    splits: Any = None,
    step: Callable[[TrainingStep], None] | None = None,
    tokenize: bool = True,
) -> ModelInputs:
    """Split -> tokenizer (``auto`` matched to the vectors) -> ``auto`` rules -> vocabulary -> embedding
    matrices -> TF-IDF path -> token arrays. ``dataset``/``splits``/``vectors`` skip what the caller holds;
    ``step(s)`` is told when each of training's steps up to ``TrainingStep.EMBEDDING`` begins.
    ``tokenize=False`` skips the arrays."""
    from .text import build_vectorizer, token_counts, vocabulary

    reporter = ensure_reporter(reporter)
    cancel = ensure_cancel(cancel)
    step = step or (lambda _step: cancel.raise_if_cancelled())
    splits = _run_splits(cfg, dataset, splits, reporter, cancel, step)
    classes = [str(c) for c in splits.classes]
    # Streamed from the file (core/streaming.py), the texts are a view of the run's text store on disk.
    train_texts = splits.train.texts if hasattr(splits.train, "store") else list(splits.train.texts)

    sources = vector_sources(cfg, reporter)
    loaded = []
    if sources:
        step(TrainingStep.LOAD_VECTORS)
        loaded = [load_vector_source(s, vectors, reporter=reporter, cancel=cancel) for s in sources]
    choice, resolved, auto = _resolve_choices(cfg, train_texts, loaded, reporter, cancel)
    step(TrainingStep.VOCABULARY)
    vectorizer = build_vectorizer(train_texts, resolved.text, reporter=reporter, cancel=cancel)
    vocab = vocabulary(vectorizer)
    inputs = ModelInputs(
        resolved, splits, classes, vectorizer, vocab, vectors=loaded, standardize=choice.to_dict(), auto=auto
    )
    if loaded:
        step(TrainingStep.EMBEDDING)
        _add_embedding_matrices(inputs, token_counts(train_texts, vectorizer, cancel=cancel), reporter)
    from .models import is_wide

    if is_wide(resolved):
        inputs.wide = build_wide_path(train_texts, choice.chosen, resolved.model.wide_features, cancel=cancel)
        reporter.info(f"TF-IDF path: {inputs.wide.features - 1:,} word unigrams and bigrams")
    if tokenize:
        inputs.tokenize_splits(reporter=reporter, cancel=cancel)
    return inputs


def _resolve_choices(
    cfg: RunConfig, train_texts: list[str], loaded: list[Any], reporter: Reporter, cancel: CancelToken
) -> tuple[Any, RunConfig, dict]:
    """(the tokenizer choice, the config with ``auto`` settings made concrete, the auto rules applied)."""
    from .text import resolve_standardize

    choice = resolve_standardize(cfg.text, train_texts, loaded, cancel=cancel)
    resolved, auto = resolve_auto(cfg, train_texts, choice.chosen)
    resolved.text.standardize = choice.chosen
    if cfg.text.standardize == "auto":
        reporter.info(f"Tokenizer: {choice.chosen} ({choice.reason})")
    if auto:
        reporter.info(
            f"Auto preset: {resolved.model.preset} with the {resolved.model.deep_path} path, sequence "
            f"length {resolved.text.sequence_length}, vocabulary {resolved.text.max_tokens:,}"
        )
    return choice, resolved, auto


def _run_splits(
    cfg: RunConfig,
    dataset: Any,
    splits: Any,
    reporter: Reporter,
    cancel: CancelToken,
    step: Callable[[TrainingStep], None],
) -> Any:
    """The run's splits: ``splits`` when given, else made from ``dataset`` (imported when not given)."""
    if splits is None:
        step(TrainingStep.LOAD_DATASET)
        if dataset is None:
            from .datasets import load_dataset

            dataset = load_dataset(cfg.data, reporter=reporter, cancel=cancel)
        step(TrainingStep.SPLIT)
        splits = make_run_splits(cfg, dataset, reporter)
    _check_splits(cfg, splits)
    sizes = {name: len(getattr(splits, name).texts) for name in ("train", "validation", "test")}
    reporter.info(
        f"Split: {sizes['train']:,} train, {sizes['validation']:,} validation, "
        f"{sizes['test']:,} test; {len(splits.classes)} classes"
    )
    return splits


def _add_embedding_matrices(inputs: ModelInputs, counts: Any, reporter: Reporter) -> None:
    """One embedding matrix, mask and coverage report per vector file (file ``i`` seeded ``seed + i``)."""
    from .embedding import build_embedding_matrix

    cfg = inputs.cfg
    inputs.matrices, inputs.masks = [], []
    for i, wv in enumerate(inputs.vectors):
        matrix, mask, report = build_embedding_matrix(
            inputs.vocab,
            wv,
            policy=cfg.embedding.oov_policy,
            seed=cfg.training.seed + i,
            counts=counts,
            reporter=reporter,
        )
        inputs.matrices.append(matrix)
        inputs.masks.append(mask)
        inputs.coverage.append(report.to_dict())


def _check_splits(cfg: RunConfig, splits: Any) -> None:
    if len(splits.train.texts) == 0:
        raise TrainingError(f"{cfg.data.path}: the training split is empty; the dataset needs more rows.")
    if len(splits.classes) < 2:
        raise TrainingError(
            f"{cfg.data.path}: only one class ({', '.join(map(str, splits.classes)) or 'none'}) "
            "was found; a classifier needs at least two."
        )


# ---- the model summary -------------------------------------------------------------------------------
@dataclass
class Summary:
    rows: list[dict]
    params: dict[str, int]  # models.parameter_counts: rows × dim once, the OOV rows trainable
    vocab_size: int
    num_classes: int
    vocabulary: list[str] | None
    notes: list[str]
    config: RunConfig  # resolved (auto preset and tokenizer applied)
    auto: dict = field(default_factory=dict)
    state: int = 0  # entries of non-parameter state (the OOV index map), not counted as parameters
    schedule: str = ""  # two-phase: "frozen until epoch 3, then all 313,074 trainable at lr × 0.1"
    advice: list[Advice] = field(default_factory=list)  # what to change before Start (core/advice.py)

    @property
    def counts(self) -> dict[str, int]:
        return self.params


def summarize(
    cfg: RunConfig,
    dataset: Any = None,
    vectors: dict[str, Any] | list[Any] | None = None,
    cancel: CancelToken | None = None,
    *,
    reporter: Reporter | None = None,
) -> Summary:
    """Build the model ``train()`` would build for ``cfg`` and count its parameters, without training.

    With a dataset, the split, tokenizer, ``auto`` rules, vocabulary and matrices are training's own. Without
    one, the vocabulary is taken as ``text.max_tokens`` and the classes as 2 (said in ``notes``). ``vectors``
    is ``{config path: WordVectors}`` or a list in ``embedding.vectors`` order; a file not given is not
    loaded (its dimension is taken as ``embedding.dim``, said in ``notes``). ``advice`` says what training
    would warn about (frozen random rows, subwords without subword information, imbalance)."""
    cancel = ensure_cancel(cancel)
    cfg = cfg.copy()
    sources = vector_sources(cfg)
    if isinstance(vectors, (list, tuple)):
        vectors = {s.path: wv for s, wv in zip(sources, vectors) if wv is not None}
    given = dict(vectors or {})
    loaded = [_given(given, s) for s in sources]
    if dataset is not None and all(wv is not None for wv in loaded):
        inputs = prepare_model_inputs(cfg, dataset, given, cancel, reporter=reporter, tokenize=False)
        advice = coverage_advice(inputs.cfg, inputs.coverage) + class_weight_advice(cfg, inputs.splits.train.labels)
        summary = _summary(inputs.build_model(), inputs.cfg, inputs.vocab, len(inputs.classes), [], inputs.auto)
    else:
        summary = _approximate(cfg, dataset, sources, loaded, cancel)
        advice = []
        if dataset is not None:
            advice = class_weight_advice(cfg, make_run_splits(cfg, dataset).train.labels)
    summary.advice = subword_advice(cfg, loaded) + advice
    return summary


def _given(given: dict[str, Any], source: Any) -> Any:
    return next((given[k] for k in (source.path, str(data_path(source.path))) if k in given), None)


def _summary(
    model: Any, cfg: RunConfig, vocab: list[str] | None, num_classes: int, notes: list[str], auto: dict
) -> Summary:
    from .models import parameter_counts, state_size, summary_rows

    params = parameter_counts(model)
    vocab_size = len(vocab) if vocab is not None else cfg.text.max_tokens
    summary = Summary(
        summary_rows(model), params, vocab_size, num_classes, vocab, notes, cfg, auto, state=state_size(model)
    )
    e = cfg.embedding
    if e.mode == "two_phase":
        summary.schedule = (
            f"frozen until epoch {e.unfreeze_epoch}, then all {params['total']:,} trainable "
            f"at lr × {e.unfreeze_lr_factor:g}"
        )
    return summary


def _approximate(cfg: RunConfig, dataset: Any, sources: list[Any], loaded: list[Any], cancel: CancelToken) -> Summary:
    """The summary when a vector file is not loaded or no dataset is imported: zero matrices of the right
    shape (the parameter counts are exact; which rows are out of vocabulary is not known)."""
    from .models import build_model
    from .text import build_vectorizer, concrete_standardize, vocabulary

    notes: list[str] = []
    num_classes, vocab, texts = 2, None, None
    if dataset is not None:
        splits = make_run_splits(cfg, dataset)
        _check_splits(cfg, splits)
        texts = list(splits.train.texts)
        num_classes = len(splits.classes)
    standardize = concrete_standardize(cfg.text.standardize)
    resolved, auto = resolve_auto(cfg, texts, standardize)
    resolved.text.standardize = standardize
    wide = None
    if texts is not None:
        vocab = vocabulary(build_vectorizer(texts, resolved.text, cancel=cancel))
        from .models import is_wide

        if is_wide(resolved):
            wide = build_wide_path(texts, standardize, resolved.model.wide_features, cancel=cancel).features
    else:
        notes.append(
            f"No dataset imported: the vocabulary is taken as text.max_tokens = {resolved.text.max_tokens:,} "
            "and the classes as 2."
        )
    vocab_size = len(vocab) if vocab is not None else resolved.text.max_tokens
    matrices, masks = _zero_matrices(resolved, sources, loaded, vocab_size, notes)
    cancel.raise_if_cancelled()
    model = build_model(
        resolved,
        vocab_size=vocab_size,
        num_classes=max(2, num_classes),
        embedding_matrices=matrices,
        covered_masks=masks,
        wide_features=wide,
    )
    return _summary(model, resolved, vocab, max(2, num_classes), notes, auto)


def _zero_matrices(
    cfg: RunConfig, sources: list[Any], loaded: list[Any], vocab_size: int, notes: list[str]
) -> tuple[list[np.ndarray] | None, list[np.ndarray] | None]:
    """Matrices of the right shape (a file not loaded: ``embedding.dim`` columns), every row uncovered."""
    if not sources:
        return None, None
    matrices, masks = [], []
    for index, (source, wv) in enumerate(zip(sources, loaded)):
        dim = wv.dim if wv is not None else cfg.embedding.dim
        if wv is None:
            notes.append(
                f"Vector file {index + 1} ({Path(source.path).name}) is not loaded: its dimension is "
                f"taken as {dim} (embedding.dim)."
            )
        matrices.append(np.zeros((vocab_size, dim), dtype="float32"))
        masks.append(np.zeros(vocab_size, dtype=bool))
    if cfg.embedding.mode == "frozen" and cfg.embedding.train_oov_rows:
        notes.append(
            "Which rows are out of vocabulary is known only with a dataset and loaded vectors: "
            "every row is counted as trainable here."
        )
    return matrices, masks
