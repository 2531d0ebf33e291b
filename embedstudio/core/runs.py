"""Run directories: one folder per training run that the CLI writes and the GUI's history reads.

Layout: ``config.json`` (the full RunConfig), ``description.json`` (environment, data hashes, status),
``metrics.jsonl`` (one line per epoch), and at the end ``model.keras``, ``vocabulary.txt``,
``labels.json``, ``coverage.json``, ``report.json``, ``misclassified.jsonl``, ``evaluations/``.
No TensorFlow here: listing runs must be instant.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import platform
import re
import socket
import sys
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from .config import GENSIM_DATA_PREFIX, RunConfig, data_path
from .errors import RunError
from .fileio import atomic_write_json, check_free_space, file_sha256, human_bytes, is_disk_full, is_inside
from .jobs import Reporter

CONFIG_FILE = "config.json"
DESCRIPTION_FILE = "description.json"
METRICS_FILE = "metrics.jsonl"
MODEL_FILE = "model.keras"
VOCABULARY_FILE = "vocabulary.txt"
LABELS_FILE = "labels.json"
COVERAGE_FILE = "coverage.json"
REPORT_FILE = "report.json"
MISCLASSIFIED_FILE = "misclassified.jsonl"
EVALUATIONS_DIR = "evaluations"
STATUSES = ("running", "completed", "stopped", "failed", "interrupted")
CHECKPOINT_FILE = "checkpoint.weights.h5"
RESERVE_FILE = ".status-reserve"  # freed to record the run's status when the disk is full
RESERVE_BYTES = 256 * 1024
_TEMP_MODEL = f".{MODEL_FILE}.tmp.keras"
TIME_FORMAT = "%Y%m%d-%H%M%S"

# Files above this size are fingerprinted (size, mtime, first and last MiB) instead of fully hashed:
# hashing a multi-GB vector file at every run start would cost more than the run's set-up.
FULL_HASH_LIMIT = 256 * 1024 * 1024
_SAMPLE_BYTES = 1 << 20
_LIBRARIES = (
    "tensorflow",
    "tensorflow-cpu",
    "keras",
    "numpy",
    "scipy",
    "scikit-learn",
    "gensim",
    "fasttext-wheel",
    "platformdirs",
)


def default_runs_dir() -> Path:
    """``$EMBEDSTUDIO_HOME/runs`` if set, else ``<user data dir>/embedstudio/runs``."""
    home = os.environ.get("EMBEDSTUDIO_HOME")
    if home:
        return Path(home).expanduser() / "runs"
    import platformdirs

    return Path(platformdirs.user_data_dir("embedstudio")) / "runs"


def slugify(name: str, *, max_length: int = 48) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return text[:max_length].rstrip("-") or "run"


def create_run_dir(runs_dir: str | os.PathLike, name: str) -> Path:
    """A new, empty ``<YYYYmmdd-HHMMSS>-<slug>`` folder; adds ``-2``, ``-3``... rather than reuse one."""
    runs_dir = Path(runs_dir)
    try:
        runs_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunError(
            f"Cannot create the runs folder {runs_dir}: {exc.strerror or exc}.",
            hint="Choose another runs folder (runs_dir) you can write to.",
        ) from None
    base = f"{_dt.datetime.now().strftime(TIME_FORMAT)}-{slugify(name)}"
    for attempt in range(1, 10_000):
        path = runs_dir / (base if attempt == 1 else f"{base}-{attempt}")
        try:
            path.mkdir(exist_ok=False)  # atomic: two processes cannot both get the same folder
            return path
        except FileExistsError:
            continue
    raise RunError(f"Could not find a free run folder name for {base!r} in {runs_dir}.")


def check_run_links(run_dir: str | os.PathLike) -> None:
    """RunError if a run folder holds a symbolic link that leads out of it.

    A run folder can come from someone else (shared, unzipped); a link such as ``evaluations ->
    /home/you/.ssh`` would make ``evaluate`` write there, and ``model.keras -> elsewhere`` would load a
    file the run never wrote. Links that stay inside the folder are allowed.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunError(
            f"Run folder not found: {run_dir}",
            hint="Give the folder of a training run (it holds config.json and description.json).",
        )
    for entry in run_dir.iterdir():
        candidates = [entry]
        if entry.name == EVALUATIONS_DIR and entry.is_dir() and not entry.is_symlink():
            candidates += list(entry.iterdir())
        for candidate in candidates:
            if candidate.is_symlink() and not is_inside(candidate, run_dir):
                target = os.readlink(candidate)
                raise RunError(
                    f"{run_dir}: {candidate.relative_to(run_dir)} is a symbolic link to {target}, "
                    "outside the run folder; EmbedStudio does not follow it.",
                    hint="Replace the link with the file or folder itself, or use a copy of the run.",
                )


# ---- reading runs -------------------------------------------------------------------------------
@dataclass
class RunRecord:
    """What a run directory holds, read without TensorFlow. ``problems`` lists anything unreadable."""

    path: Path
    config: dict
    description: dict
    metrics: list[dict]
    report: dict | None
    status: str
    problems: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.config.get("name") or self.description.get("name") or self.path.name)

    @property
    def created(self) -> _dt.datetime | None:
        stamp = self.description.get("created")
        if stamp:
            try:
                return _dt.datetime.fromisoformat(stamp)
            except ValueError:
                pass
        try:
            return _dt.datetime.strptime(self.path.name[:15], TIME_FORMAT)
        except ValueError:
            return None

    @property
    def test_accuracy(self) -> float | None:
        return _number(self.report, "accuracy")

    @property
    def macro_f1(self) -> float | None:
        return _number(self.report, "macro_f1")

    @property
    def message(self) -> str:
        return str(self.description.get("message") or "")

    @property
    def has_model(self) -> bool:
        return (self.path / MODEL_FILE).is_file()

    @property
    def usable(self) -> bool:
        """A run can be used (predict, evaluate, compare) when it holds its model and its test report."""
        return self.has_model and self.report is not None

    def leftovers(self) -> str:
        """What an interrupted or failed run still holds, in words (for the CLI and the GUI)."""
        has_checkpoint = (self.path / CHECKPOINT_FILE).is_file()
        if self.has_model:
            return "model and report: usable" if self.report is not None else "a model but no test report"
        parts = ["a test report but no model: not a usable run" if self.report is not None else "no model"]
        if has_checkpoint:
            parts.append(f"the last good weights are in {CHECKPOINT_FILE}")
        if self.metrics:
            parts.append(f"{len(self.metrics)} epochs in {METRICS_FILE}")
        return "; ".join(parts)

    def run_config(self) -> RunConfig:
        """The run's configuration as a RunConfig (raises ConfigError if it no longer validates)."""
        return RunConfig.from_dict(self.config)

    @property
    def is_baseline(self) -> bool:
        return self.description.get("kind") == "baseline" or bool(self.description.get("baseline"))

    @property
    def dataset(self) -> str:
        """The dataset's file or folder name (``sms.csv``), without its folders."""
        data = self.config.get("data") if isinstance(self.config.get("data"), dict) else {}
        return _path_name(str((data or {}).get("path") or ""))

    @property
    def vectors(self) -> str:
        """The vector files' names, or "none (baseline)" / "none (from scratch)" when it used none."""
        if self.is_baseline:
            return ""
        emb = self.config.get("embedding") if isinstance(self.config.get("embedding"), dict) else {}
        if (emb or {}).get("mode") == "scratch":
            return "from scratch"
        sources = (emb or {}).get("vectors") or []
        names = [_path_name(str(v.get("path", ""))) for v in sources if isinstance(v, dict) and v.get("path")]
        return ", ".join(names)

    @property
    def epochs(self) -> int | None:
        """Epochs trained: the report's count, else the epoch lines written (None for a baseline)."""
        value = (self.report or {}).get("epochs_completed")
        if isinstance(value, int):
            return value
        return len(self.metrics) if self.metrics else None

    @property
    def seconds(self) -> float | None:
        """Wall time of the whole run (set-up, training, evaluation), as recorded when it ended."""
        for source in (self.description, self.report or {}):
            value = source.get("seconds")
            if isinstance(value, (int, float)):
                return float(value)
        return None

    @property
    def vs_tfidf(self) -> dict | None:
        """The report's comparison with TF-IDF + LinearSVC on the same split, when it was made."""
        vs = (self.report or {}).get("vs_tfidf")
        return vs if isinstance(vs, dict) and "accuracy_points" in vs else None

    @property
    def failure(self) -> str:
        """Why a run did not complete, in words ("" for a completed run without problems)."""
        parts = [self.message] if self.message and self.status != "completed" else []
        parts += self.problems
        return "; ".join(p for p in parts if p)


def _path_name(path: str) -> str:
    if path.startswith(GENSIM_DATA_PREFIX):
        return path[len(GENSIM_DATA_PREFIX) :]
    return Path(path).name or path


def _number(report: dict | None, key: str) -> float | None:
    value = (report or {}).get(key)
    return float(value) if isinstance(value, (int, float)) else None


def is_run_dir(path: Path) -> bool:
    return path.is_dir() and ((path / CONFIG_FILE).is_file() or (path / DESCRIPTION_FILE).is_file())


def _read_json(path: Path, problems: list[str], *, required: bool) -> Any:
    if not path.is_file():
        if required:
            problems.append(f"{path.name} is missing")
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.append(f"{path.name} is unreadable ({exc})")
        return None


def read_misclassified(run_dir: str | os.PathLike) -> list[dict]:
    """The rows of a run's ``misclassified.jsonl`` (text, true, predicted, confidence, source); a torn line
    from a crash is skipped, the others are still worth reading."""
    return read_metrics(Path(run_dir) / MISCLASSIFIED_FILE)


def read_metrics(path: Path, problems: list[str] | None = None) -> list[dict]:
    """Epoch lines of ``metrics.jsonl``; a torn last line (a crash mid-write) is skipped and noted."""
    rows: list[dict] = []
    if not path.is_file():
        return rows
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        if problems is not None:
            problems.append(f"{path.name} is unreadable ({exc})")
        return rows
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            if problems is not None:
                problems.append(f"{path.name}, line {number}: not valid JSON, skipped")
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


def _read_record(path: Path) -> tuple[RunRecord, list[str]]:
    problems: list[str] = []
    config = _read_json(path / CONFIG_FILE, problems, required=True)
    description = _read_json(path / DESCRIPTION_FILE, problems, required=True)
    report = _read_json(path / REPORT_FILE, problems, required=False)
    metrics = read_metrics(path / METRICS_FILE, problems)
    description = description if isinstance(description, dict) else {}
    status = description.get("status")
    if status not in STATUSES:
        status = "failed" if problems else "running"
    gone = status == "running" and _process_gone(description)
    if gone:
        status = "interrupted"
    record = RunRecord(
        path=path,
        config=config if isinstance(config, dict) else {},
        description=description,
        metrics=metrics,
        report=report if isinstance(report, dict) else None,
        status=status,
        problems=problems,
    )
    if gone:
        problems.append(
            "marked running, but the process that trained it has ended (killed, out of memory or "
            f"a power cut): it was interrupted; it holds {record.leftovers()}"
        )
    return record, problems


def _pid_alive(text: str) -> bool:
    """Whether the process with this pid (as text) still runs on this machine (unknown: assume it does)."""
    if not text.isdigit():
        return True
    try:
        os.kill(int(text), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _process_gone(description: dict) -> bool:
    """Whether the process that wrote a 'running' run has ended (pid and hostname are stored under
    ``environment``; older runs had them at the top level)."""
    env = description.get("environment")
    env = env if isinstance(env, dict) else {}
    pid, host = env.get("pid", description.get("pid")), env.get("hostname", description.get("hostname"))
    if not isinstance(pid, int) or host != socket.gethostname():
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OSError):
        return False
    return False


def load_run(path: str | os.PathLike) -> RunRecord:
    """Read one run directory; RunError names the missing or unreadable file."""
    path = Path(path)
    if not path.is_dir():
        raise RunError(f"Run folder not found: {path}")
    for required in (CONFIG_FILE, DESCRIPTION_FILE):
        if not (path / required).is_file():
            raise RunError(
                f"{path} is not a complete run: {required} is missing.",
                hint="Pick a folder created by EmbedStudio's training (it holds config.json).",
            )
    record, problems = _read_record(path)
    fatal = [p for p in problems if p.startswith((CONFIG_FILE, DESCRIPTION_FILE))]
    if fatal:
        raise RunError(f"{path}: {fatal[0]}.")
    return record


def list_runs(runs_dir: str | os.PathLike | None = None, *, reporter: Reporter | None = None) -> list[RunRecord]:
    """Every run under ``runs_dir`` (default: ``default_runs_dir()``), newest first.

    Folders that are not runs are skipped; a run with missing or corrupt files is still listed (with
    ``problems``) and reported as a warning, never a crash.
    """
    runs_dir = Path(runs_dir) if runs_dir is not None else default_runs_dir()
    if not runs_dir.is_dir():
        return []
    records = []
    for child in runs_dir.iterdir():
        if child.name.startswith(".") or not is_run_dir(child):
            continue
        record, problems = _read_record(child)
        if problems and reporter is not None:
            reporter.warning(f"Run {child.name}: " + "; ".join(problems))
        records.append(record)
    # timestamp(): descriptions carry a UTC offset, names parsed from folders do not (local time).
    records.sort(key=lambda r: (r.created.timestamp() if r.created else 0.0, r.path.name), reverse=True)
    return records


# ---- changing runs: rename, trash, restore -------------------------------------------------------
TRASH_DIR = ".trash"  # inside the runs folder; list_runs skips dot-folders


def rename_run(run_dir: str | os.PathLike, name: str) -> str:
    """Give a run a new display name (``config.json`` and ``description.json``; the folder keeps its
    name, so links to it stay valid). Returns the name stored; RunError for an empty name or a run
    that is still training."""
    run_dir = Path(run_dir)
    name = " ".join(str(name).split())
    if not name:
        raise RunError(f"{run_dir}: a run name cannot be empty.", hint="Type a name, or press Esc to keep the old one.")
    record = load_run(run_dir)
    if record.status == "running":
        raise RunError(f"{run_dir.name} is still training; rename it when it has finished.")
    config = dict(record.config)
    config["name"] = name
    atomic_write_json(run_dir / CONFIG_FILE, config)
    update_description(run_dir, name=name)
    return name


def trash_run(run_dir: str | os.PathLike) -> Path:
    """Move a run folder into ``<runs folder>/.trash`` (nothing is deleted); returns where it went.

    RunError if the run is still training or the move fails; the folder is then where it was."""
    run_dir = Path(run_dir)
    if not is_run_dir(run_dir):
        raise RunError(f"Run folder not found: {run_dir}")
    description = _read_json(run_dir / DESCRIPTION_FILE, [], required=False)
    if isinstance(description, dict) and description.get("status") == "running" and not _process_gone(description):
        raise RunError(f"{run_dir.name} is still training; stop it before moving it to the trash.")
    trash = run_dir.parent / TRASH_DIR
    target = trash / run_dir.name
    for attempt in range(2, 10_000):
        if not target.exists():
            break
        target = trash / f"{run_dir.name}-{attempt}"
    try:
        trash.mkdir(exist_ok=True)
        os.rename(run_dir, target)  # same folder tree: a rename, never a copy
    except OSError as exc:
        raise RunError(
            f"Cannot move {run_dir} to the trash ({trash}): {exc.strerror or exc}.",
            hint="Check that you may write to the runs folder.",
        ) from None
    return target


def restore_run(trashed: str | os.PathLike, original: str | os.PathLike) -> Path:
    """Move a trashed run back to ``original`` (undo of :func:`trash_run`); RunError if that name is taken."""
    trashed, original = Path(trashed), Path(original)
    if original.exists():
        raise RunError(f"Cannot restore {original.name}: {original.parent} already holds a folder of that name.")
    try:
        os.rename(trashed, original)
    except OSError as exc:
        raise RunError(f"Cannot restore {original} from the trash: {exc.strerror or exc}.") from None
    return original


def flatten_config(config: dict, prefix: str = "") -> dict[str, Any]:
    """``{"training.epochs": 3, "embedding.vectors[0].path": ...}`` for a config dict as stored."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten_config(value, f"{path}."))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for i, item in enumerate(value):
                flat.update(flatten_config(item, f"{path}[{i}]."))
        else:
            flat[path] = value
    return flat


_NOT_SETTINGS = ("name", "runs_dir", "schema_version")


def config_diff(configs: list[dict]) -> list[tuple[str, list[Any]]]:
    """The settings that differ between runs: ``[(dotted path, [value per run])]`` in the order of the
    first config (a setting a run lacks is None). The name and the runs folder are not settings."""
    flats = [flatten_config(c or {}) for c in configs]
    paths = list(dict.fromkeys(p for f in flats for p in f))
    rows = []
    for path in paths:
        if path in _NOT_SETTINGS:
            continue
        values = [f.get(path) for f in flats]
        if any(v != values[0] for v in values[1:]):
            rows.append((path, values))
    return rows


def per_class_averages(per_class: dict[str, dict]) -> dict[str, dict[str, float]]:
    """Macro (over the classes with test examples, as the report's macro-F1) and support-weighted
    averages of precision, recall and F1; each with the total support."""
    rows = [m for m in per_class.values() if isinstance(m, dict)]
    supported = [m for m in rows if int(m.get("support", 0)) > 0]
    total = sum(int(m.get("support", 0)) for m in rows)
    out: dict[str, dict[str, float]] = {}
    for label, weight in (("macro avg", lambda m: 1.0), ("weighted avg", lambda m: float(m.get("support", 0)))):
        weights = [weight(m) for m in supported]
        norm = sum(weights)
        out[label] = {
            key: (sum(w * float(m.get(key, 0.0)) for w, m in zip(weights, supported)) / norm if norm else 0.0)
            for key in ("precision", "recall", "f1")
        }
        out[label]["support"] = total
    return out


# ---- writing runs -------------------------------------------------------------------------------
def now_iso() -> str:
    return _dt.datetime.now().astimezone().isoformat(timespec="seconds")


def update_description(run_dir: Path, **changes: Any) -> dict:
    """Merge ``changes`` into ``description.json`` (atomically) and return the result."""
    path = Path(run_dir) / DESCRIPTION_FILE
    try:
        current = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, json.JSONDecodeError):
        current = {}
    current.update(changes)
    atomic_write_json(path, current)
    return current


def reserve_status_space(run_dir: Path) -> None:
    """A small file whose space is given back to record the run's status if the disk fills up."""
    try:
        with open(Path(run_dir) / RESERVE_FILE, "wb") as fh:
            fh.write(bytes(RESERVE_BYTES))
            fh.flush()
            os.fsync(fh.fileno())
    except OSError:
        pass  # a disk already too full for this fails at the first checkpoint with a clear message


def record_status(run_dir: Path, **changes: Any) -> dict | None:
    """:func:`update_description` that still succeeds on a full disk: it frees the reserve file and
    retries, and as a last resort writes only the status fields. Never raises for a full disk."""
    run_dir = Path(run_dir)
    try:
        return update_description(run_dir, **changes)
    except OSError as err:
        if not is_disk_full(err):
            raise
    (run_dir / RESERVE_FILE).unlink(missing_ok=True)
    try:
        return update_description(run_dir, **changes)
    except OSError:
        pass
    small = {k: changes[k] for k in ("status", "message", "finished") if k in changes}
    try:
        return update_description(run_dir, **small)
    except OSError:
        return None


def release_status_space(run_dir: Path) -> None:
    (Path(run_dir) / RESERVE_FILE).unlink(missing_ok=True)


def weights_bytes(model: Any) -> int:
    """Bytes the model's weights take (float32 and wider), the bulk of a checkpoint or a .keras file."""
    total = 0
    for weight in getattr(model, "weights", []):
        shape = tuple(int(d) for d in weight.shape)
        size = 1
        for d in shape:
            size *= d
        total += size * int(getattr(getattr(weight, "dtype", None), "itemsize", 0) or 4)
    return total


def check_space_for(run_dir: Path, needed: int, what: str) -> None:
    """RunError naming the run folder and the space needed when its disk cannot hold ``needed`` bytes."""
    check_free_space(run_dir, needed + (1 << 20), RunError, what=what)


def disk_space_callback(run_dir: Path, model: Any) -> Any:
    """A Keras callback, placed before ModelCheckpoint, that refuses to start a checkpoint the disk
    cannot hold (a full disk mid-write has crashed h5py with SIGSEGV and left a partial file)."""
    import keras

    needed = weights_bytes(model)

    class _DiskSpace(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            check_space_for(Path(run_dir), needed, f"the checkpoint of epoch {epoch + 1} ({human_bytes(needed)})")

    return _DiskSpace()


def save_durably(path: Path, save: Any, *, needed: int, what: str) -> None:
    """Write ``path`` through ``save(temporary_path)`` and rename it into place.

    Checks the free space first; a failed save removes its partial file and raises RunError naming the
    folder and the space needed (a full disk) or the error. A Ctrl-C during the save is held until the
    file is in place: the second Ctrl-C only aborts what has not yet been made durable.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{path.suffix}")
    check_space_for(path.parent, needed, what)
    with _held_interrupt(), _scratch_folder(path.parent):
        try:
            save(tmp)
            os.replace(tmp, path)
        except BaseException as err:
            _remove_partial(tmp)
            if is_disk_full(err):
                raise RunError(
                    f"{path.parent}: the disk became full while saving {what} (it needs about "
                    f"{human_bytes(needed)}); the partial file was removed.",
                    hint="Free some space on that disk and train again.",
                ) from None
            raise


_SCRATCH_PREFIX = ".save-"


class _scratch_folder:
    """Point ``tempfile`` at ``<folder>/.save-<pid>-tmp`` during a save, so that what Keras unpacks there
    (its asset folders) is deleted afterwards, or by :func:`clean_interrupted_saves` after a kill -9,
    instead of piling up in the system's temp folder."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / f"{_SCRATCH_PREFIX}{os.getpid()}-tmp"
        self._previous: str | None = None

    def __enter__(self) -> _scratch_folder:
        import tempfile

        self.path.mkdir(exist_ok=True)
        self._previous = tempfile.tempdir
        tempfile.tempdir = str(self.path)
        return self

    def __exit__(self, *exc: Any) -> None:
        import tempfile

        tempfile.tempdir = self._previous
        _remove_partial(self.path)


def _remove_partial(tmp: Path) -> None:
    import shutil

    try:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
    except OSError:
        pass


class _held_interrupt:
    """Hold SIGINT (main thread only) during a block; ``bool(self)`` says whether one arrived."""

    def __init__(self) -> None:
        self.arrived = False
        self._previous: Any = None  # the SIGINT handler to restore (a callable, SIG_DFL/SIG_IGN or None)

    def __enter__(self) -> _held_interrupt:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            try:
                self._previous = signal.signal(signal.SIGINT, self._hold)
            except (ValueError, OSError):
                self._previous = None
        return self

    def _hold(self, signum: int, frame: Any) -> None:
        self.arrived = True
        print("warning: saving the model first; it is written in a moment", file=sys.stderr, flush=True)

    def __exit__(self, *exc: Any) -> None:
        import signal

        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def __bool__(self) -> bool:
        return self.arrived


def clean_interrupted_saves(runs_dir: str | os.PathLike) -> int:
    """Remove temporary files that interrupted saves left in runs whose process is gone; returns how many.

    Called when a training starts. The run's checkpoint (its last good weights) is kept.
    """
    runs_dir = Path(runs_dir)
    removed = 0
    if not runs_dir.is_dir():
        return 0
    for child in runs_dir.iterdir():
        if child.name.startswith(".") or not child.is_dir() or child.is_symlink():
            continue
        description = _read_json(child / DESCRIPTION_FILE, [], required=False)
        if not isinstance(description, dict):
            continue
        if description.get("status") == "running" and not _process_gone(description):
            continue  # a training in progress
        scratch = [p for p in child.glob(f"{_SCRATCH_PREFIX}*-tmp") if not _pid_alive(p.name.split("-")[1])]
        for leftover in [child / _TEMP_MODEL, *child.glob(".*.tmp"), *scratch]:
            if leftover.exists() and not leftover.is_symlink():
                _remove_partial(leftover)
                removed += 1
    return removed


def append_metrics(run_dir: Path, row: dict) -> None:
    """One JSON line per epoch, flushed at once so a crash keeps every finished epoch."""
    with open(Path(run_dir) / METRICS_FILE, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


# ---- environment description ------------------------------------------------------------------------
def fingerprint(path: str | os.PathLike) -> dict[str, Any]:
    """A content hash of a file or folder; large inputs get a cheap fingerprint that says so."""
    path = Path(path)
    if not path.exists():
        return {"path": str(path), "exists": False}
    if path.is_file():
        size = path.stat().st_size
        if size <= FULL_HASH_LIMIT:
            return {"path": str(path), "size": size, "sha256": file_sha256(path), "hash": "full"}
        return {"path": str(path), "size": size, "sha256": _sampled_hash(path), "hash": _SAMPLED_NOTE}
    files = sorted(p for p in path.rglob("*") if p.is_file())
    size = sum(p.stat().st_size for p in files)
    if size <= FULL_HASH_LIMIT:
        return {"path": str(path), "files": len(files), "size": size, "sha256": file_sha256(path), "hash": "full"}
    h = hashlib.sha256()
    for p in files:
        st = p.stat()
        h.update(f"{p.relative_to(path)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
    return {
        "path": str(path),
        "files": len(files),
        "size": size,
        "sha256": h.hexdigest(),
        "hash": "names, sizes and modification times of the files (folder too large to hash fully)",
    }


_SAMPLED_NOTE = "size, modification time and the first and last MiB (file too large to hash fully)"


def _sampled_hash(path: Path) -> str:
    st = path.stat()
    h = hashlib.sha256(f"{st.st_size}\0{st.st_mtime_ns}\0".encode())
    with open(path, "rb") as fh:
        h.update(fh.read(_SAMPLE_BYTES))
        fh.seek(max(0, st.st_size - _SAMPLE_BYTES))
        h.update(fh.read(_SAMPLE_BYTES))
    return h.hexdigest()


def installed_versions(names: Iterable[str] = _LIBRARIES) -> dict[str, str]:
    """``{distribution: version}`` for the installed ones among ``names``, read from package metadata
    (so nothing heavy is imported; a frozen app carries the metadata too)."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _describe_path(value: str) -> dict[str, Any]:
    if not value:
        return {}
    try:
        real = data_path(value)
    except Exception as exc:  # the demo prefix needs gensim; record why the hash is absent
        return {"path": value, "error": str(exc)}
    info = fingerprint(real)
    if str(real) != value:
        info["config_path"] = value
    return info


def describe_environment(cfg: RunConfig) -> dict[str, Any]:
    """Versions, platform, seed, and the dataset and vector files with content hashes."""
    from embedstudio import __version__

    return {
        "app": "EmbedStudio",
        "app_version": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "libraries": installed_versions(),
        "seed": cfg.training.seed,
        "dataset": _describe_path(cfg.data.path),
        "test_dataset": _describe_path(cfg.data.test_path),
        "vectors": [_describe_path(v.path) for v in cfg.embedding.vectors],
        "hostname": socket.gethostname(),
        "pid": os.getpid(),
    }
