"""Training on more than one device or machine, on TensorFlow's own ``tf.distribute``.

``training.distribute`` chooses the strategy:

- ``"none"``: this process, as before (nothing here imports TensorFlow);
- ``"mirrored"``: ``tf.distribute.MirroredStrategy``, every GPU of this machine (one CPU replica without one);
- ``"multi_worker"``: ``tf.distribute.MultiWorkerMirroredStrategy``, several processes or machines described
  by the standard ``TF_CONFIG`` environment variable (cluster spec and this process's task).

Every worker runs the same ``train()``; with ``R`` replicas in sync, ``training.batch_size`` is the batch of one
replica, the global batch is ``R * batch_size`` and the learning rate is multiplied by ``R`` (the linear scaling
rule of the tf.distribute guides). Only the chief (task ``chief``, else ``worker`` 0) writes the run folder;
the other workers write into a scratch folder of their own that is deleted at the end. ``BackupAndRestore``
keeps each worker's training state under ``<runs_dir>/.backup/<config key>/``, so starting the same
configuration again after a worker died resumes from the last finished epoch.

``launch_local`` is what ``embedstudio train CONFIG --workers N`` runs: N worker processes on loopback with a
generated ``TF_CONFIG``, leaving one normal run folder. See docs/scale-out.md for real machines.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from .config import DISTRIBUTE as STRATEGIES  # noqa: F401  (the choices of training.distribute)
from .config import RunConfig
from .errors import ConfigError, TrainingError

BACKUP_DIR = ".backup"
WORKER_RESULT_PREFIX = "EMBEDSTUDIO-WORKER "
WORKER_LOG = "worker-{index}.log"


# ---- TF_CONFIG -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ClusterTask:
    """What ``TF_CONFIG`` says about the cluster and about this process."""

    cluster: dict[str, list[str]]
    task_type: str
    task_index: int

    @property
    def workers(self) -> int:
        return sum(len(self.cluster.get(kind, [])) for kind in ("chief", "worker"))

    @property
    def is_chief(self) -> bool:
        if self.task_type == "chief":
            return True
        return self.task_type == "worker" and self.task_index == 0 and not self.cluster.get("chief")


def read_tf_config(environ: dict[str, str] | None = None) -> ClusterTask | None:
    """The parsed ``TF_CONFIG``, or None when it is not set. A malformed one raises ConfigError naming what
    is wrong (TensorFlow itself would fail later with a less useful message, or hang waiting for peers)."""
    raw = (os.environ if environ is None else environ).get("TF_CONFIG", "").strip()
    if not raw:
        return None
    where = "TF_CONFIG"
    try:
        spec = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{where} is not valid JSON ({exc.msg} at column {exc.colno}). It must look like "
            '{"cluster": {"worker": ["host1:port", "host2:port"]}, "task": {"type": "worker", '
            '"index": 0}}.'
        ) from None
    if not isinstance(spec, dict) or not isinstance(spec.get("cluster"), dict):
        raise ConfigError(
            f'{where} has no "cluster" object: give the address of every worker, e.g. '
            '"cluster": {"worker": ["host1:12345", "host2:12345"]}.'
        )
    cluster: dict[str, list[str]] = {}
    for kind, addresses in spec["cluster"].items():
        if not isinstance(addresses, list) or not all(isinstance(a, str) and ":" in a for a in addresses):
            raise ConfigError(f'{where}: cluster.{kind} must be a list of "host:port" addresses, not {addresses!r}.')
        cluster[kind] = list(addresses)
    unknown = set(cluster) - {"chief", "worker"}
    if unknown:
        raise ConfigError(
            f"{where}: cluster has {', '.join(sorted(unknown))}; MultiWorkerMirroredStrategy uses only "
            '"chief" and "worker" tasks (parameter servers are not supported).'
        )
    task = spec.get("task")
    if not isinstance(task, dict) or task.get("type") not in cluster:
        raise ConfigError(
            f'{where}: "task" must name this process\'s entry in the cluster, e.g. '
            f'{{"type": "worker", "index": 0}}; the cluster has '
            f"{', '.join(cluster) or 'no tasks'}."
        )
    index = task.get("index", 0)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(cluster[task["type"]]):
        raise ConfigError(
            f"{where}: task.index is {index!r}, but cluster.{task['type']} lists "
            f"{len(cluster[task['type']])} address(es) (index 0 to {len(cluster[task['type']]) - 1})."
        )
    return ClusterTask(cluster=cluster, task_type=task["type"], task_index=index)


def local_tf_configs(workers: int, host: str = "127.0.0.1") -> list[str]:
    """``TF_CONFIG`` for each of ``workers`` processes on this machine, each on a free port of ``host``."""
    ports = []
    sockets = []
    try:
        for _ in range(workers):  # hold every socket until all ports are chosen, so none repeats
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            sockets.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in sockets:
            s.close()
    cluster = {"worker": [f"{host}:{port}" for port in ports]}
    return [json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}}) for i in range(workers)]


# ---- the plan of one run ------------------------------------------------------------------------------
@dataclass
class Plan:
    """The strategy of one run and what follows from it, as ``train()`` uses it."""

    name: str = "none"
    strategy: Any = None
    replicas: int = 1
    task: ClusterTask | None = None
    base_batch_size: int = 0
    base_learning_rate: float = 0.0
    backup_dir: Path | None = None
    counter: Any = None
    scratch: Path | None = None
    resumed_epoch: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def is_chief(self) -> bool:
        return self.task is None or self.task.is_chief

    @property
    def workers(self) -> int:
        return self.task.workers if self.task else 1

    # -- the hooks train() calls ------------------------------------------------------------
    def run_dir(self, runs_dir: Path, name: str) -> Path:
        """The chief's new run folder; a scratch folder for the other workers (deleted by ``finish``)."""
        from .runs import create_run_dir

        if self.task is None or self.task.is_chief:
            return create_run_dir(runs_dir, name)
        self.scratch = Path(tempfile.mkdtemp(prefix=f"embedstudio-{self.task.task_type}-{self.task.task_index}-"))
        return self.scratch

    def start(self, cfg: RunConfig, run_dir: Path, runs_dir: Path) -> None:
        """Scale the batch and learning rate in ``cfg`` (a copy, after config.json was written), choose the
        backup folder and record the strategy in description.json."""
        if self.name == "none":
            return
        from .runs import update_description

        t = cfg.training
        self.base_batch_size, self.base_learning_rate = t.batch_size, t.learning_rate
        t.batch_size = t.batch_size * self.replicas
        t.learning_rate = t.learning_rate * self.replicas
        key = hashlib.sha256(
            json.dumps([cfg.to_dict(), self.task.cluster if self.task else None], sort_keys=True, default=str).encode()
        ).hexdigest()[:16]
        who = f"{self.task.task_type}-{self.task.task_index}" if self.task else "local"
        self.backup_dir = runs_dir / BACKUP_DIR / key / who
        self.resumed_epoch = _backed_up_epoch(self.backup_dir)
        update_description(run_dir, distribute=self.describe())

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "strategy": self.name,
            "replicas": self.replicas,
            "workers": self.workers,
            "per_replica_batch_size": self.base_batch_size,
            "global_batch_size": self.base_batch_size * self.replicas,
            "base_learning_rate": self.base_learning_rate,
            "learning_rate": self.base_learning_rate * self.replicas,
            "learning_rate_rule": "linear: base learning rate × replicas",
        }
        if self.task is not None:
            out["cluster"] = self.task.cluster
            out["chief"] = f"{self.task.task_type}:{self.task.task_index}" if self.is_chief else None
        if self.backup_dir is not None:
            out["backup_dir"] = str(self.backup_dir.parent)
        if self.resumed_epoch:
            out["resumed_after_epoch"] = self.resumed_epoch
        return out

    def scope(self) -> Any:
        """Build and compile the model inside this (a no-op without a strategy)."""
        return self.strategy.scope() if self.strategy is not None else contextlib.nullcontext()

    def prepare(self, model: Any) -> Any:
        """Work around Keras 3's multi-worker gaps on this model (see ``_keras_multi_worker_fixes``)."""
        if self.name == "multi_worker":
            _keras_multi_worker_fixes(model, across_workers=self.workers > 1)
        return model

    def callbacks(self) -> list[Any]:
        """``BackupAndRestore`` (resume after a restart) and a step counter, for distributed runs."""
        if self.name == "none" or self.backup_dir is None:
            return []
        import keras

        self.backup_dir.mkdir(parents=True, exist_ok=True)
        self.counter = _step_counter()
        return [
            keras.callbacks.BackupAndRestore(str(self.backup_dir), save_freq="epoch", delete_checkpoint=True),
            self.counter,
        ]

    def finish(self) -> dict[str, Any]:
        """After training: what this worker did; deletes a non-chief's scratch folder and empty backups."""
        if self.name == "none":
            return {}
        done = {
            "task": f"{self.task.task_type}:{self.task.task_index}" if self.task else "local",
            "chief": self.is_chief,
        }
        if self.counter is not None:
            done.update(
                steps=self.counter.steps, epochs=self.counter.epochs, fit_seconds=round(self.counter.seconds, 3)
            )
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
        if self.backup_dir is not None:
            for folder in (self.backup_dir, self.backup_dir.parent, self.backup_dir.parent.parent):
                with contextlib.suppress(OSError):
                    folder.rmdir()  # only when empty: a backup left by a crash stays for the restart
        return done


def plan_for(cfg: RunConfig) -> Plan:
    """The run's strategy, created at once: MultiWorkerMirroredStrategy must exist before any other TensorFlow
    operation of the process, so ``train()`` calls this first."""
    name = cfg.training.distribute
    if name == "none":
        return Plan()
    if name == "mirrored":
        import tensorflow as tf

        strategy = tf.distribute.MirroredStrategy()
        return Plan(name=name, strategy=strategy, replicas=int(strategy.num_replicas_in_sync))
    task = read_tf_config()
    if task is None:
        raise ConfigError(
            'training.distribute is "multi_worker" but the TF_CONFIG environment variable is not set. '
            "Set it on every machine (see docs/scale-out.md), or try it on this machine with "
            "`embedstudio train CONFIG --workers 2`.",
            field="training.distribute",
        )
    import tensorflow as tf

    try:
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    except (RuntimeError, ValueError) as exc:
        raise TrainingError(
            f"Could not start the multi-worker strategy: {exc}. It must be created before this process runs any "
            "other TensorFlow operation: run multi-worker training from the command line "
            "(`embedstudio train CONFIG`), one process per worker, not from the desktop app."
        ) from None
    return Plan(name=name, strategy=strategy, replicas=int(strategy.num_replicas_in_sync), task=task)


def _backed_up_epoch(backup_dir: Path) -> int | None:
    try:
        return int(json.loads((backup_dir / "training_metadata.json").read_text(encoding="utf-8"))["epoch"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _step_counter() -> Any:
    import keras

    class StepCounter(keras.callbacks.Callback):
        """Steps and fit time this worker took part in: the proof that it trained, and its samples/s."""

        steps = 0
        epochs = 0
        seconds = 0.0

        def on_train_begin(self, logs: dict | None = None) -> None:
            self._start = time.perf_counter()

        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            self.steps += 1

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            self.epochs += 1

        def on_train_end(self, logs: dict | None = None) -> None:
            self.seconds = time.perf_counter() - self._start

    return StepCounter()


def _keras_multi_worker_fixes(model: Any, *, across_workers: bool) -> None:
    """Two per-model workarounds for Keras 3.15 under MultiWorkerMirroredStrategy (keras-team/keras#20585):

    - ``fit`` builds the model symbolically from its first batch by ``strategy.reduce``-ing the whole (x, y)
      tuple, which the collective strategy cannot do ("Attempt to convert a value (PerReplica...)"); the
      shapes are all it needs, so the first replica's local batch is used instead, with no collective;
    - every step ``strategy.reduce("MEAN", log, axis=0)``-s the scalar logs across workers, which fails on a
      rank-0 tensor ("Invalid reduction dimension 0"); the step returns each scalar as shape (1,), and the
      same reduction then averages over the replicas and yields the scalar.
    Both touch only this model object, and only in multi-worker runs; the second only when the cluster has
    more than one worker (with one, Keras reduces locally and the logs must stay scalars).
    """
    import types

    import tensorflow as tf

    def maybe_symbolic_build(self: Any, iterator: Any = None, data_batch: Any = None) -> None:
        if self._distribute_strategy is None:
            return
        if iterator is not None:
            for _, _, it in iterator:
                batch = next(it)
                data_batch = tf.nest.map_structure(
                    lambda v: (
                        self.distribute_strategy.experimental_local_results(v)[0]
                        if isinstance(v, tf.distribute.DistributedValues)
                        else v
                    ),
                    batch,
                )
                break
        with self.distribute_strategy.scope():
            self._symbolic_build(data_batch=data_batch)

    def ranked(step: Any) -> Any:
        def step_with_ranked_logs(data: Any) -> Any:
            return tf.nest.map_structure(
                lambda v: tf.reshape(v, [1]) if tf.is_tensor(v) and v.shape.rank == 0 else v, step(data)
            )

        return step_with_ranked_logs

    model._maybe_symbolic_build = types.MethodType(maybe_symbolic_build, model)
    if across_workers:
        model.train_step = ranked(model.train_step)
        model.test_step = ranked(model.test_step)


# ---- one worker process (what the local launcher starts) ------------------------------------------------
class _LineReporter:
    """A Reporter writing plain lines (a worker's log file), with epochs in full."""

    def __init__(self, tag: str) -> None:
        self.tag = tag

    def progress(self, done: float, total: float | None = None, message: str = "") -> None:
        pass

    def info(self, message: str) -> None:
        print(f"[{self.tag}] {message}", file=sys.stderr, flush=True)

    def warning(self, message: str) -> None:
        print(f"[{self.tag}] warning: {message}", file=sys.stderr, flush=True)

    def event(self, kind: str, payload: dict[str, Any]) -> None:
        if kind == "epoch":
            shown = "  ".join(
                f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in payload.items() if v is not None
            )
            self.info(shown)


def worker_main(config_path: str) -> int:
    """Run one worker of a multi-worker training: ``train()`` with TF_CONFIG from the environment. Prints one
    ``EMBEDSTUDIO-WORKER {json}`` line with what it did; exit code 0 on a finished run."""
    from .errors import UserError
    from .jobs import CancelToken
    from .training import train

    task = read_tf_config()
    tag = f"{task.task_type} {task.task_index}" if task else "worker"

    def terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt  # train() then marks the run as not finished

    signal.signal(signal.SIGTERM, terminate)
    outcome: dict[str, Any] = {"task": tag}
    try:
        from .config import load_config

        result = train(load_config(config_path), reporter=_LineReporter(tag), cancel=CancelToken())
    except UserError as exc:
        outcome.update(status="failed", message=str(exc))
        print(WORKER_RESULT_PREFIX + json.dumps(outcome), flush=True)
        return 2
    except KeyboardInterrupt:
        outcome.update(status="stopped", message="ended by the launcher")
        print(WORKER_RESULT_PREFIX + json.dumps(outcome), flush=True)
        return 130
    outcome.update(status=result.status, run_dir=str(result.run_dir), worker=result.distributed)
    print(WORKER_RESULT_PREFIX + json.dumps(outcome, default=str), flush=True)
    return 0


# ---- the local launcher ---------------------------------------------------------------------------------
@dataclass
class LaunchResult:
    run_dir: Path
    status: str
    report: dict | None
    history: list[dict]
    workers: list[dict]
    seconds: float
    message: str = ""
    coverage: list = field(default_factory=list)


def launch_local(
    cfg: RunConfig, *, workers: int, reporter: Any = None, cancel: Any = None, python: str | None = None
) -> LaunchResult:
    """Train ``cfg`` on ``workers`` local processes (MultiWorkerMirroredStrategy on loopback) and return the one
    run folder the chief wrote, with each worker's log (``worker-N.log``) and what it did in description.json."""
    from .jobs import ensure_cancel, ensure_reporter
    from .runs import read_metrics, update_description

    reporter = ensure_reporter(reporter)
    cancel = ensure_cancel(cancel)
    cfg = _launch_config(cfg, workers)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="embedstudio-launch-") as tmp:
        config_path = Path(tmp) / "config.json"
        config_path.write_text(json.dumps(cfg.to_dict()), encoding="utf-8")
        logs = [Path(tmp) / WORKER_LOG.format(index=i) for i in range(workers)]
        codes = _run_workers(config_path, logs, python or sys.executable, reporter, cancel)
        results = [_worker_result(log) for log in logs]
        chief = results[0]
        run_dir = Path(chief["run_dir"]) if chief.get("run_dir") else None
        if run_dir is not None:
            for i, log in enumerate(logs):
                shutil.copyfile(log, run_dir / WORKER_LOG.format(index=i))
        if any(code != 0 for code in codes):
            _raise_worker_failure(codes, results, logs, run_dir, cancel)
        if run_dir is None:
            raise TrainingError(f"The chief finished without naming its run folder:\n{_tail(logs[0])}")
    seconds = time.monotonic() - started
    tasks = [
        dict({"task": r.get("task")}, **(r.get("worker") or {}), exit_code=code)
        for r, code in zip(results, codes, strict=True)
    ]
    description = update_description(
        run_dir, launcher={"workers": workers, "host": "127.0.0.1", "seconds": round(seconds, 2), "tasks": tasks}
    )
    report_path = run_dir / "report.json"
    report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.is_file() else None
    reporter.info(f"All {workers} workers finished; run folder {run_dir}")
    return LaunchResult(
        run_dir=run_dir,
        status=description.get("status", chief.get("status", "")),
        report=report,
        history=read_metrics(run_dir),
        workers=tasks,
        seconds=seconds,
    )


def _launch_config(cfg: RunConfig, workers: int) -> RunConfig:
    """A validated copy of ``cfg`` for ``workers`` multi-worker processes writing to a concrete runs folder."""
    from .runs import default_runs_dir

    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(
            f"--workers is {workers!r}; give a whole number of worker processes, at least 1.", field="workers"
        )
    cfg = cfg.copy()
    cfg.training.distribute = "multi_worker"
    cfg.runs_dir = str(Path(cfg.runs_dir) if cfg.runs_dir else default_runs_dir())
    cfg.validate()
    return cfg


def _run_workers(config_path: Path, logs: list[Path], python: str, reporter: Any, cancel: Any) -> list[int]:
    """Start the workers, follow the chief's log, and return every exit code (all workers are ended after)."""
    procs = _start_workers(config_path, logs, python)
    reporter.info(
        f"Started {len(logs)} local worker process(es) on 127.0.0.1 (pids {', '.join(str(p.pid) for p in procs)})"
    )
    stop_tail = threading.Event()
    tail = threading.Thread(target=_follow, args=(logs[0], reporter, stop_tail), daemon=True)
    tail.start()
    try:
        return _wait(procs, cancel, reporter)
    finally:
        stop_tail.set()
        tail.join(timeout=5)
        _end(procs)


def _raise_worker_failure(
    codes: list[int], results: list[dict[str, Any]], logs: list[Path], run_dir: Path | None, cancel: Any
) -> NoReturn:
    """Cancelled, or TrainingError naming the first worker that failed by itself (not ended by the launcher)."""
    from .runs import update_description

    ended = (-signal.SIGTERM, -signal.SIGKILL, 130)  # the workers the launcher ended after a failure
    bad = next(
        (i for i, code in enumerate(codes) if code not in (0, *ended)),
        next(i for i, code in enumerate(codes) if code != 0),
    )
    if cancel.cancelled:
        message = "Stopped: the launcher ended the workers when asked to stop; no model was saved."
    else:
        message = f"Worker {bad} failed (exit {codes[bad]}): {results[bad].get('message') or _tail(logs[bad])}"
    if run_dir is not None:
        update_description(run_dir, status="stopped" if cancel.cancelled else "failed", message=message)
    if cancel.cancelled:
        from .jobs import Cancelled

        raise Cancelled()
    raise TrainingError(message + (f" Logs of every worker: {run_dir}" if run_dir else ""))


WORKER_FLAG = "--distribute-worker"  # `embedstudio --distribute-worker CONFIG`: one worker (see cli.main)


def worker_argv(python: str, config_path: Path) -> list[str]:
    """The command line of one local worker. A frozen (packaged) app has no ``python -c``: its executable is
    the ``embedstudio`` command itself, so the worker is started as ``embedstudio --distribute-worker CONFIG``
    (cli.main runs :func:`worker_main` for that flag before any other parsing)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, WORKER_FLAG, str(config_path)]
    code = "import sys; from embedstudio.core.distribute import worker_main; sys.exit(worker_main(sys.argv[1]))"
    return [python, "-c", code, str(config_path)]


def _start_workers(config_path: Path, logs: list[Path], python: str) -> list[subprocess.Popen]:
    package_root = str(Path(__file__).resolve().parents[2])  # the workers import this same embedstudio
    path = os.environ.get("PYTHONPATH", "")
    procs = []
    for i, tf_config in enumerate(local_tf_configs(len(logs))):
        env = dict(os.environ, TF_CONFIG=tf_config, PYTHONPATH=package_root + (os.pathsep + path if path else ""))
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        with open(logs[i], "wb") as out:
            procs.append(
                subprocess.Popen(
                    worker_argv(python, config_path),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    env=env,
                )
            )
    return procs


def _wait(procs: list[subprocess.Popen], cancel: Any, reporter: Any) -> list[int]:
    """Wait for every worker; when one fails or the user cancels, end the others (they would wait for it)."""
    while True:
        polled = [p.poll() for p in procs]
        codes = [c for c in polled if c is not None]
        if len(codes) == len(procs):
            return codes
        if cancel.cancelled or any(c != 0 for c in codes):
            if cancel.cancelled:
                reporter.info("Stopping the workers")
            _end(procs)
            return [p.wait() for p in procs]
        time.sleep(0.2)


def _end(procs: list[subprocess.Popen], grace: float = 10.0) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    deadline = time.monotonic() + grace
    for p in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        if p.poll() is None:
            p.kill()
            p.wait()


def _follow(path: Path, reporter: Any, stop: threading.Event) -> None:
    """Forward the chief's log lines to the reporter while it runs."""
    position = 0
    while True:
        finished = stop.is_set()
        try:
            with open(path, "rb") as fh:
                fh.seek(position)
                chunk = fh.read()
        except OSError:
            chunk = b""
        if chunk:
            complete = chunk.rfind(b"\n") + 1 if not finished else len(chunk)
            for line in chunk[:complete].decode("utf-8", "replace").splitlines():
                if line.startswith("[") and not line.startswith(WORKER_RESULT_PREFIX):
                    reporter.info(line)
            position += complete
        if finished:
            return
        stop.wait(0.3)


def _lines(path: Path) -> Iterator[str]:
    with contextlib.suppress(OSError):
        yield from path.read_text(encoding="utf-8", errors="replace").splitlines()


def _worker_result(log: Path) -> dict[str, Any]:
    for line in reversed(list(_lines(log))):
        if line.startswith(WORKER_RESULT_PREFIX):
            with contextlib.suppress(json.JSONDecodeError):
                return json.loads(line[len(WORKER_RESULT_PREFIX) :])
    return {}


def _tail(log: Path, lines: int = 15) -> str:
    text = [line for line in _lines(log) if line.strip()][-lines:]
    return "\n".join(text) or "(no output)"
