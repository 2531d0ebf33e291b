"""Vocabulary and tokenisation: an adapted Keras ``TextVectorization`` and token counts that match it.

The same layer is later placed in front of the trained model, so a saved ``model.keras`` takes raw
strings and tokenises them exactly as training did.

Standardization. Every option is a registered, serialisable function of TensorFlow string ops
(``embedstudio>standardize_<name>``), so ``model.keras`` embeds it and reloads with ``safe_mode=True``.
Every option first turns Unicode line/paragraph separators, other spaces and control characters into a
space (so no token can hold a character that Keras' saved vocabulary would split a line on; issue 9) and
deletes invisible format characters (zero-width spaces, soft hyphens).

- ``lower_split_punctuation`` (the default without vector files): lower case; every punctuation mark or
  symbol becomes its own token instead of being deleted (``old-fashioned`` -> ``old - fashioned``); the
  clitics the Stanford/PTB tokenizer (GloVe, word2vec) keeps are kept as tokens (``don't`` -> ``do n't``,
  ``it's`` -> ``it 's``; also ``'re 'll 'd 've 'm``); decimal numbers stay whole (``1.5``, ``2,000``).
- ``…_keep_hyphens``: the same, but a hyphen between two word characters stays inside the word
  (``e-mail``), for vector files that list hyphenated words.
- ``split_punctuation`` / ``split_punctuation_keep_hyphens``: the same without lower-casing (cased files).
- The Keras options ``lower_and_strip_punctuation`` (the old default), ``lower``, ``strip_punctuation``,
  ``none``, with the separator/control-character cleaning added.
- ``auto`` (the default): with vector files, lower-case only if the file's vocabulary is lower case, then
  the candidate with the best token coverage against the file (ties, within 0.1 point, go to the simplest);
  without vector files, ``lower_split_punctuation``. See :func:`resolve_standardize`.
"""

from __future__ import annotations

import collections
import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .config import STANDARDIZE, TextConfig
from .jobs import CancelToken, Reporter, ThrottledProgress, ensure_cancel, ensure_reporter
from .quiet_import import import_keras_quietly, import_tensorflow_quietly

AUTO = "auto"
SCRATCH_DEFAULT = "lower_split_punctuation"
# Simplest first (config.STANDARDIZE's order): the order breaks coverage ties.
STANDARDIZE_OPTIONS = tuple(name for name in STANDARDIZE if name != "auto")
STANDARDIZE_LABELS = {
    AUTO: "Automatic (matched to the vector file)",
    "lower_split_punctuation": "Lower case, punctuation as tokens, clitics kept",
    "split_punctuation": "Punctuation as tokens, clitics kept (case kept)",
    "lower_split_punctuation_keep_hyphens": "Lower case, punctuation as tokens, hyphenated words kept",
    "split_punctuation_keep_hyphens": "Punctuation as tokens, hyphenated words kept (case kept)",
    "lower_and_strip_punctuation": "Lower case, punctuation deleted (Keras' default)",
    "lower": "Lower case only",
    "strip_punctuation": "Punctuation deleted (case kept)",
    "none": "Unchanged",
}
# Kept for callers of the old mapping: the Keras built-in each legacy option corresponds to.
STANDARDIZE_TO_KERAS: dict[str, str | None] = {
    "lower_and_strip_punctuation": "lower_and_strip_punctuation",
    "lower": "lower",
    "strip_punctuation": "strip_punctuation",
    "none": None,
}

# Keras' own punctuation pattern (keras/src/layers/preprocessing/text_vectorization.py), repeated here so
# that the legacy strip options delete exactly what Keras deletes.
KERAS_STRIP_REGEX = r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'
# Line/paragraph separators, every other space, and control characters (Cc holds \x0b \x0c \x1c-\x1e
# and U+0085, which str.splitlines() breaks on).
SEPARATORS_REGEX = r"[\p{Cc}\p{Z}]"
FORMAT_CHARS_REGEX = r"\p{Cf}"
TIE_TOLERANCE = 0.001  # coverage within 0.1 point counts as a tie
LOWERCASE_UPPER_SHARE = 0.01  # a vocabulary is lower case when under 1% of its cased words hold a capital
CASE_SAMPLE = 50_000  # words of the vector file looked at for that
_P1, _P2, _P3 = "\x01", "\x02", "\x03"  # placeholders (Cc, so never in cleaned text) for ' . , kept in tokens

_CHUNK = 1024


def _split_punctuation(x: Any, *, lower: bool, keep_hyphens: bool) -> Any:
    tf = import_tensorflow_quietly()

    x = _clean(x)
    if lower:
        x = tf.strings.lower(x, encoding="utf-8")
    x = tf.strings.regex_replace(x, "\u2019", "'")  # typographic apostrophe, as the vector files spell it
    x = tf.strings.regex_replace(x, r"(\w)([nN])'([tT])\b", "\\1 \\2" + _P1 + "\\3")
    x = tf.strings.regex_replace(x, r"(\w)'([sS]|[rR][eE]|[lL][lL]|[dD]|[vV][eE]|[mM])\b", "\\1 " + _P1 + "\\2")
    for _ in range(2):  # non-overlapping matches: twice covers 1,000,000 and 1.2.3
        x = tf.strings.regex_replace(x, r"(\d)\.(\d)", "\\1" + _P2 + "\\2")
        x = tf.strings.regex_replace(x, r"(\d),(\d)", "\\1" + _P3 + "\\2")
        if keep_hyphens:
            x = tf.strings.regex_replace(x, r"(\w)-(\w)", "\\1\x04\\2")
    x = tf.strings.regex_replace(x, r"([\p{P}\p{S}])", " \\1 ")
    x = tf.strings.regex_replace(x, _P1, "'")
    x = tf.strings.regex_replace(x, _P2, ".")
    x = tf.strings.regex_replace(x, _P3, ",")
    if keep_hyphens:
        x = tf.strings.regex_replace(x, "\x04", "-")
    return x


def _clean(x: Any) -> Any:
    tf = import_tensorflow_quietly()

    x = tf.strings.regex_replace(x, FORMAT_CHARS_REGEX, "")
    return tf.strings.regex_replace(x, SEPARATORS_REGEX, " ")


def _legacy(x: Any, *, lower: bool, strip: bool) -> Any:
    tf = import_tensorflow_quietly()

    x = _clean(x)
    if lower:
        x = tf.strings.lower(x)
    if strip:
        x = tf.strings.regex_replace(x, KERAS_STRIP_REGEX, "")
    return x


_BODIES: dict[str, Callable[[Any], Any]] = {
    "lower_split_punctuation": functools.partial(_split_punctuation, lower=True, keep_hyphens=False),
    "split_punctuation": functools.partial(_split_punctuation, lower=False, keep_hyphens=False),
    "lower_split_punctuation_keep_hyphens": functools.partial(_split_punctuation, lower=True, keep_hyphens=True),
    "split_punctuation_keep_hyphens": functools.partial(_split_punctuation, lower=False, keep_hyphens=True),
    "lower_and_strip_punctuation": functools.partial(_legacy, lower=True, strip=True),
    "lower": functools.partial(_legacy, lower=True, strip=False),
    "strip_punctuation": functools.partial(_legacy, lower=False, strip=True),
    "none": functools.partial(_legacy, lower=False, strip=False),
}


@functools.cache
def standardizers() -> dict[str, Callable[[Any], Any]]:
    """``{option: registered function}``; registering them lets ``keras.saving.load_model`` find them by
    name (``embedstudio>standardize_<option>``) with ``safe_mode=True``. Keras is imported here."""
    keras = import_keras_quietly()

    out = {}
    for option, body in _BODIES.items():

        def standardize(inputs: Any, _body: Callable[[Any], Any] = body) -> Any:
            return _body(inputs)

        standardize.__name__ = standardize.__qualname__ = f"standardize_{option}"
        out[option] = keras.saving.register_keras_serializable(package="embedstudio", name=f"standardize_{option}")(
            standardize
        )
    return out


def concrete_standardize(name: str) -> str:
    """``name`` itself, or the scratch default for ``auto`` (use :func:`resolve_standardize` with vectors)."""
    if name == AUTO:
        return SCRATCH_DEFAULT
    if name not in _BODIES:
        from .errors import ConfigError

        raise ConfigError(f"'text.standardize' is {name!r}; choose one of auto, {', '.join(STANDARDIZE_OPTIONS)}.")
    return name


def keras_standardize(name: str) -> Callable[[Any], Any]:
    """The callable TextVectorization gets for a ``TextConfig.standardize`` option."""
    return standardizers()[concrete_standardize(name)]


def standardize_texts(texts: Sequence[str], name: str) -> list[str]:
    """``texts`` as the tokenizer sees them (for previews and statistics), tokens joined by one space."""
    tf = import_tensorflow_quietly()

    fn = _BODIES[concrete_standardize(name)]
    out: list[str] = []
    for chunk in _chunks(texts):
        for row in tf.strings.split(fn(tf.constant(chunk, dtype=tf.string))).to_list():
            out.append(" ".join(t.decode("utf-8", "replace") for t in row))
    return out


def _chunks(texts: Sequence[str], size: int = _CHUNK) -> Iterator[list[str]]:
    for start in range(0, len(texts), size):
        yield list(texts[start : start + size])


def roundtrips(token: str) -> bool:
    """Whether Keras can store ``token`` in its one-token-per-line vocabulary asset and read it back
    (the reader splits lines like ``str.splitlines``, which also breaks on U+0085, U+2028, \\x0b …)."""
    return bool(token) and token.strip() == token and len(token.splitlines()) == 1 and "\r" not in token


def build_vectorizer(
    train_texts: list[str], cfg: TextConfig, *, reporter: Reporter | None = None, cancel: CancelToken | None = None
) -> Any:
    """A ``keras.layers.TextVectorization`` adapted on ``train_texts`` (integer output, padded/truncated
    to ``cfg.sequence_length``; ``cfg.max_tokens`` counts the padding and ``[UNK]`` entries too).

    ``cfg.standardize = "auto"`` means the scratch default here; resolve it first when vectors are used.
    A token that could not round-trip through the saved vocabulary is dropped (with a count in the log).
    """
    keras = import_keras_quietly()
    tf = import_tensorflow_quietly()

    reporter = ensure_reporter(reporter)
    cancel = ensure_cancel(cancel)
    vectorizer = keras.layers.TextVectorization(
        max_tokens=cfg.max_tokens,
        standardize=keras_standardize(cfg.standardize),
        split="whitespace",
        output_mode="int",
        output_sequence_length=cfg.sequence_length,
        name="text_vectorization",
    )
    total = len(train_texts)
    progress = ThrottledProgress(reporter, total, "Building the vocabulary", cancel=cancel)

    def batches() -> Iterator[Any]:
        done = 0
        for chunk in _chunks(train_texts):
            progress(done)
            yield tf.constant(chunk, dtype=tf.string)
            done += len(chunk)
        progress(done)

    # A generator (not a list) makes adapt() stream the texts in chunks, so progress and cancel work.
    vectorizer.adapt(batches())
    drop_unsafe_tokens(vectorizer, reporter)
    return vectorizer


def drop_unsafe_tokens(vectorizer: Any, reporter: Reporter | None = None) -> int:
    """Remove vocabulary entries that would not survive ``model.keras``' vocabulary file; returns how many."""
    vocab = vocabulary(vectorizer)
    bad = [token for token in vocab[2:] if not roundtrips(token)]
    if bad:
        vectorizer.set_vocabulary([token for token in vocab if token not in set(bad) or token in vocab[:2]])
        ensure_reporter(reporter).info(
            f"Dropped {len(bad):,} vocabulary token(s) that the saved model could not store "
            f"(e.g. {bad[0]!r}); they count as unknown words."
        )
    return len(bad)


def vocabulary(vectorizer: Any) -> list[str]:
    """The adapted vocabulary as plain ``str`` (Keras returns ``np.str_``); index 0 is padding, 1 is ``[UNK]``."""
    return [str(token) for token in vectorizer.get_vocabulary()]


def vectorize(
    vectorizer: Any,
    texts: Sequence[str],
    *,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
    message: str = "Tokenising",
) -> Any:
    """Integer sequences ``(len(texts), sequence_length)`` as an int64 NumPy array, computed in chunks."""
    import numpy as np

    tf = import_tensorflow_quietly()

    reporter = ensure_reporter(reporter)
    progress = ThrottledProgress(reporter, len(texts), message, cancel=cancel)
    length = vectorizer.get_config()["output_sequence_length"]
    parts = []
    done = 0
    for chunk in _chunks(texts):
        progress(done)
        parts.append(np.asarray(vectorizer(tf.constant(chunk, dtype=tf.string))))
        done += len(chunk)
    progress(done)
    if not parts:
        return np.zeros((0, length), dtype="int64")
    return np.concatenate(parts, axis=0).astype("int64", copy=False)


def _standardize_fn(vectorizer_or_standardize: Any) -> Callable[[Any], Any]:
    """The TF function that standardizes like ``vectorizer_or_standardize`` (a vectorizer or an option)."""
    value = vectorizer_or_standardize
    if value is None:
        return _BODIES["none"]
    if isinstance(value, str):
        if value in _BODIES or value == AUTO:
            return _BODIES[concrete_standardize(value)]
        raise ValueError(f"unknown standardize option {value!r}")
    config = value.get_config()
    if config.get("split", "whitespace") != "whitespace":
        raise ValueError("token_counts() needs a TextVectorization that splits on whitespace")
    standardize = getattr(value, "_standardize", None)
    if callable(standardize):
        return standardize
    builtin = config.get("standardize")  # a model saved before the registered functions
    tf = import_tensorflow_quietly()

    def keras_builtin(x: Any) -> Any:
        if builtin in ("lower", "lower_and_strip_punctuation"):
            x = tf.strings.lower(x)
        if builtin in ("strip_punctuation", "lower_and_strip_punctuation"):
            x = tf.strings.regex_replace(x, KERAS_STRIP_REGEX, "")
        return x

    return keras_builtin


def token_counts(
    texts: Sequence[str], vectorizer_or_standardize: Any = SCRATCH_DEFAULT, *, cancel: CancelToken | None = None
) -> collections.Counter:
    """How often each token occurs in ``texts``, tokenised as the vectorizer does (same TF string ops).

    ``vectorizer_or_standardize`` is an adapted TextVectorization, a ``TextConfig.standardize`` option
    (``auto`` = the scratch default), or ``None`` (text as it is). Words outside the vectorizer's
    vocabulary are counted too, so coverage can say how many running tokens the vocabulary itself drops.
    """
    tf = import_tensorflow_quietly()

    fn = _standardize_fn(vectorizer_or_standardize)
    counts: collections.Counter = collections.Counter()
    for chunk in _chunks(texts):
        if cancel is not None:
            cancel.raise_if_cancelled()
        tokens = tf.strings.split(fn(tf.constant(chunk, dtype=tf.string))).flat_values
        if tokens.shape[0] == 0:
            continue
        unique, _, count = tf.unique_with_counts(tokens)
        for token, n in zip(unique.numpy(), count.numpy()):
            counts[token.decode("utf-8", "replace")] += int(n)
    return counts


def token_lengths(texts: Sequence[str], standardize: str = SCRATCH_DEFAULT) -> Any:
    """The number of tokens of each text (int array), tokenised with ``standardize``."""
    import numpy as np

    tf = import_tensorflow_quietly()

    fn = _BODIES[concrete_standardize(standardize)]
    parts = [
        tf.strings.split(fn(tf.constant(chunk, dtype=tf.string))).row_lengths().numpy() for chunk in _chunks(texts)
    ]
    return np.concatenate(parts).astype("int64") if parts else np.zeros(0, dtype="int64")


# ---- matching the tokenizer to the vectors ---------------------------------------------------------
def is_lowercase_vocabulary(words: Sequence[str], sample: int = CASE_SAMPLE) -> bool:
    """True when under 1% of the (first ``sample``) words that have letters with case hold a capital."""
    cased = upper = 0
    for word in words[:sample]:
        if word.lower() != word.upper():
            cased += 1
            upper += word != word.lower()
    return cased == 0 or upper / cased < LOWERCASE_UPPER_SHARE


def candidate_standardizations(lowercase: bool) -> list[str]:
    """The options ``auto`` weighs, simplest first; the case follows the vector file."""
    if lowercase:
        return ["lower_split_punctuation", "lower_split_punctuation_keep_hyphens", "lower_and_strip_punctuation"]
    return ["split_punctuation", "split_punctuation_keep_hyphens", "strip_punctuation"]


@dataclass
class CandidateCoverage:
    standardize: str
    vocab_coverage: float  # share of the distinct tokens (the max_tokens most frequent) with a vector
    token_coverage: float  # share of running tokens with a vector
    distinct_tokens: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class StandardizeChoice:
    chosen: str
    reason: str
    lowercase_vectors: bool | None
    candidates: list[CandidateCoverage] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "chosen": self.chosen,
            "reason": self.reason,
            "lowercase_vectors": self.lowercase_vectors,
            "candidates": [c.to_dict() for c in self.candidates],
        }


def candidate_coverage(
    texts: Sequence[str],
    vectors: Any,
    standardize: str,
    *,
    max_tokens: int | None = None,
    cancel: CancelToken | None = None,
) -> CandidateCoverage:
    """Vocabulary and token coverage of ``vectors`` on ``texts`` tokenised with ``standardize``."""
    counts = token_counts(texts, standardize, cancel=cancel)
    ranked = counts.most_common(max_tokens - 2 if max_tokens else None)
    words = [w for w, _ in ranked]
    found = _has_vector(words, vectors)
    total = sum(n for _, n in ranked)
    all_total = sum(counts.values())
    covered_tokens = sum(n for (w, n), ok in zip(ranked, found) if ok)
    return CandidateCoverage(
        standardize, sum(found) / max(len(words), 1), covered_tokens / max(all_total, 1), len(words) if total else 0
    )


def _has_vector(words: list[str], vectors: Any) -> list[bool]:
    if hasattr(vectors, "rows"):
        _, found = vectors.rows(words)
        return [bool(f) for f in found]
    return [w in vectors for w in words]


def resolve_standardize(
    cfg: TextConfig,
    train_texts: Sequence[str],
    vectors: Sequence[Any],
    *,
    sample: int = 20_000,
    cancel: CancelToken | None = None,
) -> StandardizeChoice:
    """The concrete option ``cfg.standardize`` means for this data and these vector files.

    A concrete option is used as it is (its coverage is still measured when vectors are given). ``auto``
    without vectors is the scratch default. ``auto`` with vectors: the case follows the first file
    (:func:`is_lowercase_vocabulary`), then the candidate with the best token coverage (mean over the
    files) on up to ``sample`` training texts wins; within 0.1 point the simpler (earlier) one wins.
    """
    texts = list(train_texts[:sample]) if len(train_texts) > sample else list(train_texts)
    if not vectors:
        chosen = concrete_standardize(cfg.standardize)
        reason = "no vector file: punctuation as tokens" if cfg.standardize == AUTO else "as configured"
        return StandardizeChoice(chosen, reason, None)
    lowercase = is_lowercase_vocabulary(vectors[0].words)
    names = candidate_standardizations(lowercase) if cfg.standardize == AUTO else [cfg.standardize]
    candidates = []
    for name in names:
        per_file = [candidate_coverage(texts, wv, name, max_tokens=cfg.max_tokens, cancel=cancel) for wv in vectors]
        candidates.append(
            CandidateCoverage(
                name,
                sum(c.vocab_coverage for c in per_file) / len(per_file),
                sum(c.token_coverage for c in per_file) / len(per_file),
                per_file[0].distinct_tokens,
            )
        )
    if cfg.standardize != AUTO:
        return StandardizeChoice(cfg.standardize, "as configured", lowercase, candidates)
    best = max(c.token_coverage for c in candidates)
    simplest = next(c for c in candidates if c.token_coverage >= best - TIE_TOLERANCE)
    case = "lower-case" if lowercase else "cased"
    reason = (
        f"{case} vector file; best token coverage {100 * simplest.token_coverage:.1f}% "
        f"(ties within {100 * TIE_TOLERANCE:.1f} point go to the simplest)"
    )
    return StandardizeChoice(simplest.standardize, reason, lowercase, candidates)
