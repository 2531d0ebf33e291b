"""Training your own word vectors on your texts: fastText (with subwords) or word2vec.

Texts are tokenised exactly as the classifier's default Keras ``TextVectorization`` does
(``lower_and_strip_punctuation``, whitespace split), so the vectors' words are the vocabulary's words.

Threads and processes:
- fastText (fasttext-wheel) trains in a *child process* (``python -c``; multiprocessing spawn in a
  frozen app, which must call ``multiprocessing.freeze_support()`` at start). Its Python binding has
  no callback and no way to stop training, so in-process it could neither report progress nor be
  cancelled. The child's stderr goes to a log file; the calling thread polls it for fastText's own
  progress lines ("Progress: 42.0% ... avg.loss: ...", printed every 0.1 s from its token counter),
  derives the epoch from them, and terminates the child on cancel.
- word2vec (gensim) trains in the calling thread with gensim's worker threads. Progress comes from
  the corpus iterator (lines handed to gensim, per epoch); on cancel the iterator stops, so the
  current epoch ends at once and ``Cancelled`` is raised from gensim's epoch-end callback.
"""

from __future__ import annotations

import bz2
import collections
import gzip
import io
import json
import multiprocessing
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from embedstudio.core.errors import ConfigError, DatasetError, TrainingError
from embedstudio.core.jobs import Cancelled, CancelToken, Reporter, ThrottledProgress, ensure_cancel, ensure_reporter

TRAINING_ALGORITHMS = ("fasttext", "word2vec")
MAX_BUCKET = 2_000_000  # fastText's default
MIN_BUCKET = 10_000
_POLL_SECONDS = 0.2
_GENSIM_MAX_SENTENCE = 10_000  # gensim silently truncates longer sentences; we split them instead

# Keras' lower_and_strip_punctuation: tf.strings.lower (ASCII letters only), then removal of
# r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']' (all 32 ASCII punctuation marks), then a split on ASCII
# whitespace. Python's str.lower() and str.split() would also touch non-ASCII letters and spaces.
_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_KERAS_STANDARDIZE = {
    **{ord(c): ord(c) + 32 for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
    **{ord(c): None for c in _PUNCTUATION},
}
_ASCII_WHITESPACE = re.compile(r"[ \t\n\v\f\r]+")
_FASTTEXT_PROGRESS = re.compile(rb"Progress:\s*([0-9.]+)%.*?avg\.loss:\s*([0-9.naif+-]+)")


def tokenize(text: str) -> list[str]:
    """Tokens of ``text`` as Keras' default TextVectorization produces them."""
    return [t for t in _ASCII_WHITESPACE.split(text.translate(_KERAS_STANDARDIZE)) if t]


def train_vectors(
    *,
    out_path: str | os.PathLike,
    texts: Iterable[str] | None = None,
    corpus_path: str | os.PathLike | None = None,
    algorithm: str = "fasttext",
    dim: int = 100,
    epochs: int = 5,
    min_count: int = 2,
    window: int = 5,
    minn: int = 3,
    maxn: int = 6,
    seed: int = 1337,
    threads: int | None = None,
    bucket: int | None = None,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
) -> Path:
    """Train skip-gram vectors on ``texts`` or on ``corpus_path`` (one text per line, may be .gz/.bz2).

    Writes ``<out>.bin`` and ``<out>.vec`` (``out_path`` with or without one of those suffixes) and
    returns the ``.bin`` path. fastText: the full model (loads with subwords). word2vec: word2vec binary.
    ``threads=1`` makes a run repeatable for a given ``seed``; more threads are faster but not repeatable.
    ``threads=None`` means 2 for fastText and 1 for word2vec: fastText prints progress only from a
    separate thread, which it starts only when it has more than one (with one thread the bar stays
    busy until the end; cancel still works). gensim reports progress with any number.
    ``bucket=None`` sizes fastText's n-gram table to about twice the corpus's distinct n-grams.
    """
    reporter = ensure_reporter(reporter)
    cancel = ensure_cancel(cancel)
    if threads is None:
        threads = 2 if algorithm == "fasttext" else 1
    _check_params(algorithm, texts, corpus_path, dim, epochs, min_count, window, minn, maxn, threads)
    stem = _output_stem(Path(out_path))
    try:
        stem.parent.mkdir(parents=True, exist_ok=True)
        _train_into(
            stem,
            texts,
            corpus_path,
            algorithm,
            min_count,
            dict(
                dim=dim, epochs=epochs, window=window, minn=minn, maxn=maxn, seed=seed, threads=threads, bucket=bucket
            ),
            reporter,
            cancel,
        )
    except OSError as err:
        raise TrainingError(
            f"Training vectors into {stem.parent} failed: {err.strerror or err} "
            f"({getattr(err, 'filename', None) or stem.name}).",
            hint="Check that you may write to that folder and that the disk has room.",
        ) from err
    reporter.info(f"Wrote {stem.name}.bin and {stem.name}.vec.")
    return stem.with_name(stem.name + ".bin")


def _train_into(
    stem: Path,
    texts,
    corpus_path,
    algorithm: str,
    min_count: int,
    p: dict[str, Any],
    reporter: Reporter,
    cancel: CancelToken,
) -> None:
    with tempfile.TemporaryDirectory(prefix="embedstudio-train-") as work:
        corpus = Path(work) / "corpus.txt"
        counts, lines = _write_tokenised_corpus(corpus, texts, corpus_path, reporter, cancel)
        vocab = [w for w, c in counts.items() if c >= min_count]
        if not vocab:
            raise TrainingError(
                f"No word occurs at least {min_count} times in the {_corpus_name(corpus_path)} "
                f"({sum(counts.values()):,} tokens, {len(counts):,} distinct words).",
                hint="Lower min_count or give more text.",
            )
        reporter.info(
            f"Training {algorithm} vectors: {len(vocab):,} words of {len(counts):,} occur at least "
            f"{min_count} times; {sum(counts.values()):,} tokens in {lines:,} texts."
        )
        if algorithm == "fasttext":
            params = _fasttext_params(p, min_count, vocab)
            _train_fasttext(corpus, stem, params, Path(work) / "fasttext.log", reporter, cancel)
        else:
            _train_word2vec(corpus, lines, stem, _word2vec_params(p, min_count), reporter, cancel)


def _fasttext_params(p: dict[str, Any], min_count: int, vocab: list[str]) -> dict[str, Any]:
    """fastText's own argument names; ``bucket=None`` sizes the n-gram table from the vocabulary."""
    bucket = p["bucket"] if p["bucket"] is not None else _auto_bucket(vocab, p["minn"], p["maxn"])
    return dict(
        dim=p["dim"],
        epoch=p["epochs"],
        minCount=min_count,
        ws=p["window"],
        minn=p["minn"],
        maxn=p["maxn"],
        seed=p["seed"],
        thread=p["threads"],
        bucket=bucket,
    )


def _word2vec_params(p: dict[str, Any], min_count: int) -> dict[str, Any]:
    """gensim Word2Vec's argument names."""
    return dict(
        vector_size=p["dim"],
        epochs=p["epochs"],
        min_count=min_count,
        window=p["window"],
        seed=p["seed"],
        workers=p["threads"],
    )


def _check_params(algorithm, texts, corpus_path, dim, epochs, min_count, window, minn, maxn, threads) -> None:
    if algorithm not in TRAINING_ALGORITHMS:
        raise ConfigError(
            f"Unknown vector training algorithm {algorithm!r}; choose {' or '.join(TRAINING_ALGORITHMS)}."
        )
    if (texts is None) == (corpus_path is None):
        raise ConfigError("Give either texts or a corpus file to train vectors on, not both and not neither.")
    for name, value, low in (
        ("dim", dim, 1),
        ("epochs", epochs, 1),
        ("min_count", min_count, 1),
        ("window", window, 1),
        ("threads", threads, 1),
        ("minn", minn, 0),
        ("maxn", maxn, 0),
    ):
        if not isinstance(value, int) or value < low:
            raise ConfigError(f"Vector training: {name} is {value!r}; it must be a whole number of at least {low}.")
    if maxn and minn > maxn:
        raise ConfigError(f"Vector training: minn ({minn}) is larger than maxn ({maxn}).")


def _output_stem(out: Path) -> Path:
    return out.with_suffix("") if out.suffix.lower() in (".bin", ".vec") else out


def _corpus_name(corpus_path) -> str:
    return f"corpus {Path(corpus_path).name}" if corpus_path is not None else "texts"


# ---- corpus -------------------------------------------------------------------------------
def _write_tokenised_corpus(
    target: Path, texts, corpus_path, reporter: Reporter, cancel: CancelToken
) -> tuple[collections.Counter, int]:
    """Write one tokenised text per line; return token counts and the number of non-empty lines."""
    counts: collections.Counter = collections.Counter()
    lines = 0
    source, total = (
        _corpus_lines(Path(corpus_path), reporter)
        if corpus_path is not None
        else (texts, len(texts) if isinstance(texts, Sequence) else None)
    )
    progress = ThrottledProgress(reporter, total, "Tokenising the corpus", cancel=cancel)
    with open(target, "w", encoding="utf-8", newline="\n") as out:
        for done, text in enumerate(source, start=1):
            tokens = tokenize(text)
            if tokens:
                counts.update(tokens)
                out.write(" ".join(tokens) + "\n")
                lines += 1
            if done % 256 == 0:
                progress(done)
    cancel.raise_if_cancelled()
    if not counts:
        raise TrainingError(
            f"The {_corpus_name(corpus_path)} holds no words to train on.",
            hint="Choose texts that contain words (punctuation alone is removed).",
        )
    return counts, lines


def _corpus_lines(path: Path, reporter: Reporter) -> tuple[Iterator[str], None]:
    if not path.is_file():
        raise DatasetError(
            f"{path}: the corpus file does not exist.", hint="Choose a plain text file, one text per line."
        )
    return _decoded_lines(path, reporter), None


def _decoded_lines(path: Path, reporter: Reporter) -> Iterator[str]:
    """Lines of a plain, .gz or .bz2 text file; lines that are not UTF-8 are read as Latin-1."""
    from embedstudio.core.vectors.formats import compression_of

    try:
        with open(path, "rb") as fh:
            compression = compression_of(fh.read(16))
    except OSError as err:
        raise DatasetError(f"{path}: cannot read the corpus file ({err.strerror}).") from err
    openers: dict[str, Callable[..., BinaryIO | io.BufferedIOBase]] = {"gzip": gzip.open, "bz2": bz2.open}
    opener = openers.get(compression or "", open)
    if compression not in (None, "gzip", "bz2"):
        raise DatasetError(f"{path.name}: a {compression} corpus is not supported; use plain text, .gz or .bz2.")
    latin1: list[int] = []
    with opener(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                latin1.append(number)
                yield raw.decode("latin-1")
    if latin1:
        listed = ", ".join(map(str, latin1[:5])) + (f" and {len(latin1) - 5} more" if len(latin1) > 5 else "")
        reporter.warning(
            f"{path.name}: {len(latin1)} lines are not valid UTF-8 and were read as Latin-1 (line {listed})."
        )


def _auto_bucket(vocab: Sequence[str], minn: int, maxn: int) -> int:
    """About twice the distinct character n-grams of the vocabulary, so that few n-grams share a row.

    fastText's default of 2,000,000 rows costs dim × 8 MB even for a tiny corpus.
    """
    if maxn == 0:
        return 0
    grams: set[str] = set()
    for word in vocab:
        padded = f"<{word}>"
        for n in range(max(minn, 1), maxn + 1):
            grams.update(padded[i : i + n] for i in range(len(padded) - n + 1))
    return max(MIN_BUCKET, min(MAX_BUCKET, 2 * len(grams)))


# ---- fastText (child process) ---------------------------------------------------------------
def _train_fasttext(
    corpus: Path, stem: Path, params: dict[str, Any], log_path: Path, reporter: Reporter, cancel: CancelToken
) -> None:
    final_bin, final_vec = stem.with_name(stem.name + ".bin"), stem.with_name(stem.name + ".vec")
    job: dict[str, Any] = {
        "corpus": str(corpus),
        "params": params,
        "log": str(log_path),
        "bin": str(stem.with_name(f".{stem.name}.bin.{os.getpid()}.tmp")),
        "vec": str(stem.with_name(f".{stem.name}.vec.{os.getpid()}.tmp")),
        "result": str(log_path.with_name("result.json")),
    }
    job_path = log_path.with_name("job.json")
    job_path.write_text(json.dumps(job), encoding="utf-8")
    log_path.touch()
    if params["thread"] > 1:
        reporter.progress(0, params["epoch"], "fastText: reading the corpus")
    else:
        reporter.progress(0, None, "fastText: training (with one thread fastText reports no progress until the end)")
    child = _FastTextChild(job_path, log_path)
    try:
        _wait_for_fasttext(child, job, params["epoch"], reporter, cancel)
        os.replace(job["bin"], final_bin)
        os.replace(job["vec"], final_vec)
    finally:
        child.stop()
        for temp in (job["bin"], job["vec"]):
            try:
                os.unlink(temp)
            except OSError:
                pass


class _FastTextChild:
    """The training process: ``python -c`` normally; a multiprocessing child in a frozen app.

    ``python -c`` avoids multiprocessing's re-import of the caller's main script (a script without an
    ``if __name__ == "__main__"`` guard would run again in the child). A frozen app has no Python to
    run, so there multiprocessing's spawn is used, which needs ``multiprocessing.freeze_support()``.
    """

    def __init__(self, job_path: Path, log_path: Path) -> None:
        self._process: Any = None
        self._popen: subprocess.Popen | None = None
        if getattr(sys, "frozen", False):
            self._process = multiprocessing.get_context("spawn").Process(
                target=run_fasttext_job, args=(str(job_path),), name="embedstudio-fasttext", daemon=True
            )
            self._process.start()
            return
        package_root = str(Path(__file__).resolve().parents[3])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        with open(log_path, "ab") as log:
            self._popen = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "import sys; from embedstudio.core.vectors.own_vectors import "
                    "run_fasttext_job; run_fasttext_job(sys.argv[1])",
                    str(job_path),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=env,
            )

    def alive(self) -> bool:
        return self._popen.poll() is None if self._popen is not None else self._process.is_alive()

    @property
    def exitcode(self) -> int | None:
        return self._popen.returncode if self._popen is not None else self._process.exitcode

    def stop(self) -> None:
        """Terminate (if still running) and reap the child."""
        if self._popen is not None:
            if self._popen.poll() is None:
                self._popen.terminate()
            try:
                self._popen.wait(10)
            except subprocess.TimeoutExpired:
                self._popen.kill()
                self._popen.wait()
        elif self._process is not None:
            if self._process.is_alive():
                self._process.terminate()
            self._process.join(10)


def _wait_for_fasttext(
    child: _FastTextChild, job: dict[str, Any], epochs: int, reporter: Reporter, cancel: CancelToken
) -> None:
    watcher = _FastTextLogWatcher(Path(job["log"]), epochs, reporter)
    while child.alive():
        if cancel.cancelled:
            child.stop()
            raise Cancelled()
        watcher.update()
        time.sleep(_POLL_SECONDS)
    watcher.update()
    cancel.raise_if_cancelled()
    try:
        result = json.loads(Path(job["result"]).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        tail = watcher.tail()
        raise TrainingError(
            f"fastText training stopped unexpectedly (exit code {child.exitcode})."
            + (f" Its last output: {tail}" if tail else ""),
            hint="The computer may have run out of memory; try a smaller dim or corpus.",
        ) from None
    if result.get("error"):
        raise TrainingError(f"fastText training failed: {result['error']}", hint="Check min_count, dim and the corpus.")


class _FastTextLogWatcher:
    """Turns fastText's stderr progress lines into progress reports and per-epoch events."""

    def __init__(self, log_path: Path, epochs: int, reporter: Reporter) -> None:
        self.log_path = log_path
        self.epochs = epochs
        self.reporter = reporter
        self.offset = 0
        self.text = b""
        self.epochs_done = 0
        self.started = time.monotonic()

    def update(self) -> None:
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(self.offset)
                new = fh.read()
        except OSError:
            return
        if not new:
            return
        self.offset += len(new)
        self.text = (self.text + new)[-4096:]
        matches = _FASTTEXT_PROGRESS.findall(self.text)
        if not matches:
            return
        percent, loss_text = matches[-1]
        fraction = min(float(percent) / 100.0, 1.0)
        loss = _float_or_none(loss_text)
        done = round(fraction * self.epochs, 3)
        epoch = min(int(done) + 1, self.epochs)
        message = f"fastText: epoch {epoch} of {self.epochs}" + (f", loss {loss:.4f}" if loss is not None else "")
        self.reporter.progress(done, self.epochs, message)
        while self.epochs_done < int(done):
            self.epochs_done += 1
            self.reporter.event(
                "vectors_epoch",
                {
                    "algorithm": "fasttext",
                    "epoch": self.epochs_done,
                    "epochs": self.epochs,
                    "loss": loss,
                    "seconds": time.monotonic() - self.started,
                },
            )

    def tail(self) -> str:
        lines = [line.strip() for line in re.split(rb"[\r\n]+", self.text) if line.strip()]
        return " | ".join(line.decode("utf-8", "replace") for line in lines[-3:])


def _float_or_none(text: bytes) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def run_fasttext_job(job_path: str) -> None:
    """Entry point of the training child: trains, writes both files, then ``result.json``."""
    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    log = os.open(job["log"], os.O_WRONLY | os.O_APPEND)
    os.dup2(log, 2)  # fastText's C++ progress goes to stderr, which the parent reads from the log
    try:
        _train_fasttext_in_this_process(job)
        result: dict[str, str | None] = {"error": None}
    except Exception as err:  # the parent turns this into a TrainingError
        result = {"error": f"{type(err).__name__}: {err}"}
    temp = job["result"] + ".tmp"
    Path(temp).write_text(json.dumps(result), encoding="utf-8")
    os.replace(temp, job["result"])


def _train_fasttext_in_this_process(job: dict[str, Any]) -> None:
    import fasttext_pybind
    import numpy as np
    from fasttext.FastText import _build_args, _FastText, unsupervised_default

    from embedstudio.core.vectors.convert import write_vectors

    # train_unsupervised() does not accept ``seed``: build the same argument object it does, plus the seed.
    args = dict(unsupervised_default)
    args.update(input=job["corpus"], model="skipgram", verbose=2, **job["params"])
    built = _build_args(args, set(args))
    model = _FastText(args=built)
    fasttext_pybind.train(model.f, built)
    model.set_args(model.f.getArgs())
    model.save_model(job["bin"])
    # The .vec holds what fastText's own CLI writes: every word's vector, subwords included.
    words = model.get_words(on_unicode_error="replace")
    matrix = np.vstack([model.get_word_vector(w) for w in words]).astype(np.float32)
    with open(job["vec"], "wb") as fh:
        write_vectors(fh, words, matrix, "word2vec_text")


# ---- word2vec (gensim, in process) ----------------------------------------------------------
class _TrainingCorpus:
    """Re-iterable tokenised corpus that reports progress and stops early on cancel.

    gensim reads it in its producer thread during training: raising there would leave its workers
    waiting, so on cancel the iteration just ends and the epoch callback raises instead.
    """

    def __init__(self, path: Path, lines: int, epochs: int, reporter: Reporter, cancel: CancelToken) -> None:
        self.path = path
        self.lines = lines
        self.epochs = epochs
        self.reporter = reporter
        self.cancel = cancel
        self.epoch = 0  # set by the callback; 0 while building the vocabulary
        self.training = False

    def __iter__(self) -> Iterator[list[str]]:
        with open(self.path, encoding="utf-8") as fh:
            for number, line in enumerate(fh, start=1):
                if self.cancel.cancelled:
                    if not self.training:
                        raise Cancelled()
                    return
                tokens = line.split()
                for start in range(0, len(tokens), _GENSIM_MAX_SENTENCE):
                    yield tokens[start : start + _GENSIM_MAX_SENTENCE]
                if number % 256 == 0:
                    self._report(number)
        self._report(self.lines)

    def _report(self, line: int) -> None:
        if not self.training:
            self.reporter.progress(line, self.lines, "word2vec: building the vocabulary")
            return
        done = self.epoch + min(line / max(self.lines, 1), 1.0)
        self.reporter.progress(done, self.epochs, f"word2vec: epoch {self.epoch + 1} of {self.epochs}")


def _train_word2vec(
    corpus_path: Path, lines: int, stem: Path, params: dict[str, Any], reporter: Reporter, cancel: CancelToken
) -> None:
    from gensim.models import Word2Vec
    from gensim.models.callbacks import CallbackAny2Vec

    from embedstudio.core.vectors.convert import atomic_output, write_vectors

    corpus = _TrainingCorpus(corpus_path, lines, params["epochs"], reporter, cancel)

    class EpochEnd(CallbackAny2Vec):
        def __init__(self) -> None:
            self.previous_loss = 0.0
            self.started = time.monotonic()

        def on_epoch_end(self, model) -> None:
            if cancel.cancelled:
                raise Cancelled()
            corpus.epoch += 1
            total = model.get_latest_training_loss()
            loss, self.previous_loss = total - self.previous_loss, total
            reporter.event(
                "vectors_epoch",
                {
                    "algorithm": "word2vec",
                    "epoch": corpus.epoch,
                    "epochs": params["epochs"],
                    "loss": loss,
                    "seconds": time.monotonic() - self.started,
                },
            )
            reporter.progress(corpus.epoch, params["epochs"], f"word2vec: epoch {corpus.epoch} of {params['epochs']}")

    model = Word2Vec(sg=1, compute_loss=True, **params)
    model.build_vocab(corpus)
    corpus.training = True
    model.train(
        corpus, total_examples=model.corpus_count, epochs=params["epochs"], callbacks=[EpochEnd()], compute_loss=True
    )
    cancel.raise_if_cancelled()
    words, matrix = list(model.wv.index_to_key), model.wv.vectors
    with atomic_output(stem.with_name(stem.name + ".bin")) as fh:
        write_vectors(fh, words, matrix, "word2vec_binary")
    with atomic_output(stem.with_name(stem.name + ".vec")) as fh:
        write_vectors(fh, words, matrix, "word2vec_text")
