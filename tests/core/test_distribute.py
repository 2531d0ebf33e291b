"""Scale-out on tf.distribute: TF_CONFIG checks, the config field, and a real 2-worker CPU training on loopback
(MultiWorkerMirroredStrategy, two processes) that leaves one normal, reloadable run folder."""

import json
import re
import sys
from pathlib import Path

import pytest

from embedstudio.core import distribute
from embedstudio.core.config import RunConfig
from embedstudio.core.errors import ConfigError, TrainingError
from embedstudio.core.evaluation import predict_texts
from embedstudio.core.jobs import RecordingReporter
from embedstudio.core.runs import list_runs, load_run

sys.path.insert(0, str(Path(__file__).parent))
from test_training import make_folder_dataset, make_glove, tiny_config  # noqa: E402


def tf_config(cluster, task_type="worker", index=0):
    return {"TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": task_type, "index": index}})}


# ---- TF_CONFIG and the config field (no TensorFlow) ------------------------------------------------
def test_tf_config_absent_and_parsed():
    assert distribute.read_tf_config({}) is None
    two = {"worker": ["10.0.0.1:2222", "10.0.0.2:2222"]}
    first = distribute.read_tf_config(tf_config(two, index=0))
    second = distribute.read_tf_config(tf_config(two, index=1))
    assert (first.workers, first.is_chief, second.is_chief) == (2, True, False)
    with_chief = {"chief": ["a:1"], "worker": ["b:1", "c:1"]}
    assert distribute.read_tf_config(tf_config(with_chief, "chief", 0)).is_chief
    assert not distribute.read_tf_config(tf_config(with_chief, "worker", 0)).is_chief
    assert distribute.read_tf_config(tf_config(with_chief, "worker", 0)).workers == 3


@pytest.mark.parametrize(
    "raw, words",
    [
        ("{not json", "not valid JSON"),
        (json.dumps({"task": {"type": "worker", "index": 0}}), 'no "cluster"'),
        (json.dumps({"cluster": {"worker": ["a:1"]}}), '"task" must name'),
        (
            json.dumps({"cluster": {"worker": ["a:1", "b:1"]}, "task": {"type": "worker", "index": 2}}),
            "task.index is 2",
        ),
        (
            json.dumps({"cluster": {"worker": ["a:1"], "ps": ["p:1"]}, "task": {"type": "worker", "index": 0}}),
            "parameter servers",
        ),
        (json.dumps({"cluster": {"worker": ["no-port"]}, "task": {"type": "worker", "index": 0}}), "host:port"),
    ],
)
def test_bad_tf_config_is_one_clear_message(raw, words):
    with pytest.raises(ConfigError) as err:
        distribute.read_tf_config({"TF_CONFIG": raw})
    assert "TF_CONFIG" in str(err.value) and words in str(err.value)


def test_local_tf_configs_give_each_worker_its_own_port():
    configs = [json.loads(c) for c in distribute.local_tf_configs(3)]
    addresses = configs[0]["cluster"]["worker"]
    assert len(set(addresses)) == 3 and all(a.startswith("127.0.0.1:") for a in addresses)
    assert [c["task"] for c in configs] == [{"type": "worker", "index": i} for i in range(3)]
    assert all(c["cluster"] == configs[0]["cluster"] for c in configs)


def test_distribute_field_is_declared_and_checked():
    cfg = RunConfig()
    assert cfg.training.distribute == "none"
    cfg.training.distribute = "horovod"
    with pytest.raises(ConfigError) as err:
        cfg.validate(sections=("training",))
    assert err.value.field == "training.distribute"
    assert "multi_worker" in str(err.value)


def test_multi_worker_without_tf_config_says_what_to_do(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    cfg = RunConfig()
    cfg.training.distribute = "multi_worker"
    with pytest.raises(ConfigError) as err:
        distribute.plan_for(cfg)
    assert err.value.field == "training.distribute"
    assert "TF_CONFIG" in str(err.value) and "--workers" in str(err.value)


def test_none_plan_changes_nothing(tmp_path):
    cfg = RunConfig()
    plan = distribute.plan_for(cfg)
    plan.start(cfg, tmp_path, tmp_path)
    assert (cfg.training.batch_size, cfg.training.learning_rate) == (
        RunConfig().training.batch_size,
        RunConfig().training.learning_rate,
    )
    assert plan.callbacks() == [] and plan.is_chief and not (tmp_path / "description.json").exists()


def test_workers_flag_must_be_positive(tmp_path, capsys):
    from embedstudio.cli import main

    data = make_folder_dataset(tmp_path / "data", n_per_class=4)
    from embedstudio.core.config import save_config

    save_config(tiny_config(tmp_path, data, mode="scratch"), tmp_path / "run.json")
    assert main(["train", str(tmp_path / "run.json"), "--workers", "-1"]) == 2
    assert "--workers is -1" in capsys.readouterr().err


# ---- two real workers on loopback ---------------------------------------------------------------------
def test_two_local_workers_train_one_normal_run(tmp_path):
    data = make_folder_dataset(tmp_path / "data", n_per_class=24)
    vectors = make_glove(tmp_path / "vectors.txt")
    cfg = tiny_config(tmp_path, data, vectors=[vectors], preset="average", mode="finetune", epochs=2)
    reporter = RecordingReporter()

    result = distribute.launch_local(cfg, workers=2, reporter=reporter)

    assert result.status == "completed"
    run = load_run(result.run_dir)
    assert run.status == "completed" and run.has_model and not run.problems
    # The run records the strategy, the replicas and the scaled batch and learning rate.
    d = run.description["distribute"]
    assert (d["strategy"], d["replicas"], d["workers"]) == ("multi_worker", 2, 2)
    assert (d["per_replica_batch_size"], d["global_batch_size"]) == (8, 16)
    assert d["learning_rate"] == pytest.approx(2 * d["base_learning_rate"])
    assert run.run_config().training.batch_size == 8  # config.json stays the user's configuration
    # Both workers took part: each ran every step of the synchronous training, and only one was the chief.
    tasks = run.description["launcher"]["tasks"]
    assert [t["exit_code"] for t in tasks] == [0, 0]
    assert [t["chief"] for t in tasks] == [True, False]
    n_train = run.description["splits"]["train"]
    steps = 2 * -(-n_train // 16)
    assert [t["steps"] for t in tasks] == [steps, steps]
    assert [t["epochs"] for t in tasks] == [2, 2]
    for i in (0, 1):
        assert f"[worker {i}] Training" in (result.run_dir / f"worker-{i}.log").read_text(encoding="utf-8")
    assert [row["epoch"] for row in run.metrics] == [1, 2]
    # One run folder only; the second worker's scratch folder and the backups are gone.
    runs = list_runs(tmp_path / "runs")
    assert [r.path for r in runs] == [result.run_dir]
    assert not (tmp_path / "runs" / distribute.BACKUP_DIR).exists()
    worker_log = (result.run_dir / "worker-1.log").read_text(encoding="utf-8")
    scratch = next(line.split("Run folder: ", 1)[1] for line in worker_log.splitlines() if "Run folder: " in line)
    assert not Path(scratch).exists()
    # Reloadable: the saved end-to-end model predicts raw texts.
    probabilities = predict_texts(result.run_dir, ["good great lovely", "bad awful dull"])
    assert len(probabilities) == 2 and all(set(p) == {"neg", "pos"} for p in probabilities)
    assert any("[worker 0] epoch 2" in line for line in reporter.infos)


def test_one_local_worker_through_the_cli(tmp_path, capsys):
    from embedstudio.cli import main
    from embedstudio.core.config import save_config

    data = make_folder_dataset(tmp_path / "data", n_per_class=12)
    save_config(tiny_config(tmp_path, data, mode="scratch", epochs=1), tmp_path / "run.json")
    assert main(["train", str(tmp_path / "run.json"), "--workers", "1"]) == 0
    run_dir = Path(next(line[5:] for line in capsys.readouterr().out.splitlines() if line.startswith("run: ")))
    run = load_run(run_dir)
    assert run.status == "completed" and run.has_model
    assert (run.description["distribute"]["replicas"], run.description["launcher"]["workers"]) == (1, 1)


def test_a_failing_worker_fails_the_launch_with_its_message(tmp_path):
    cfg = tiny_config(tmp_path, tmp_path / "missing-data", mode="scratch")
    with pytest.raises(TrainingError) as err:
        distribute.launch_local(cfg, workers=2)
    # Both workers fail on the missing data; the first to exit is named, and the launcher ends the other.
    assert re.match(r"Worker [01] failed \(exit 2\): ", str(err.value)) and "missing-data" in str(err.value)


def test_mirrored_on_cpu_is_one_replica_and_a_normal_run(tmp_path):
    from embedstudio.core.training import train

    data = make_folder_dataset(tmp_path / "data", n_per_class=12)
    cfg = tiny_config(tmp_path, data, mode="scratch", epochs=1, distribute="mirrored")
    result = train(cfg)
    run = load_run(result.run_dir)
    assert run.status == "completed" and run.has_model
    d = run.description["distribute"]
    assert (d["strategy"], d["replicas"], d["global_batch_size"]) == ("mirrored", 1, 8)
    assert result.distributed["steps"] > 0 and result.distributed["chief"]
    assert not (tmp_path / "runs" / distribute.BACKUP_DIR).exists()
    assert predict_texts(result.run_dir, ["good great"])[0].keys() == {"neg", "pos"}


def test_a_crashed_run_resumes_from_its_backup(tmp_path):
    """BackupAndRestore: a process that dies during epoch 2 leaves the backup of epoch 1; starting the same
    configuration again resumes from there and finishes, and the backup is then gone."""
    import os
    import subprocess

    from embedstudio.core.config import load_config, save_config
    from embedstudio.core.training import train

    data = make_folder_dataset(tmp_path / "data", n_per_class=12)
    config_file = tmp_path / "run.json"
    save_config(
        tiny_config(tmp_path, data, mode="scratch", epochs=4, distribute="mirrored", early_stopping=False), config_file
    )
    # The run's reporter hears of epoch 2 before BackupAndRestore saves it: dying there is a crash mid-training.
    crash = """
import os, sys
from embedstudio.core.config import load_config
from embedstudio.core.training import train

class DieAtEpoch2:
    def progress(self, *args, **kwargs): pass
    def info(self, message): pass
    def warning(self, message): pass
    def event(self, kind, payload):
        if kind == "epoch" and payload["epoch"] == 2:
            os._exit(9)

train(load_config(sys.argv[1]), reporter=DieAtEpoch2())
"""
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", crash, str(config_file)], env=env, capture_output=True, timeout=600)
    assert proc.returncode == 9, proc.stderr.decode(errors="replace")[-2000:]
    backups = tmp_path / "runs" / distribute.BACKUP_DIR
    saved = [json.loads(p.read_text())["epoch"] for p in backups.glob("*/local/training_metadata.json")]
    assert saved == [1]

    result = train(load_config(config_file))
    run = load_run(result.run_dir)
    assert run.status == "completed"
    assert run.description["distribute"]["resumed_after_epoch"] == 1
    assert [row["epoch"] for row in run.metrics] == [2, 3, 4]
    assert not backups.exists()


def test_a_frozen_app_starts_its_workers_through_its_own_command(tmp_path, monkeypatch):
    """A packaged app has no `python -c`: its executable is the `embedstudio` command. A stand-in executable that
    only accepts the command's arguments (no interpreter flags) trains one worker through `--distribute-worker`."""
    launcher = tmp_path / "embedstudio-frozen"
    launcher.write_text(
        "#!/bin/sh\n"
        'case "$1" in -*) [ "$1" = --distribute-worker ] || { echo "not a flag of embedstudio: $1" >&2; exit 9; }'
        " ;; esac\n"
        f'exec "{sys.executable}" -m embedstudio "$@"\n',
        encoding="utf-8",
    )
    launcher.chmod(0o755)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(launcher))
    assert distribute.worker_argv("python3", tmp_path / "c.json") == [
        str(launcher),
        distribute.WORKER_FLAG,
        str(tmp_path / "c.json"),
    ]
    data = make_folder_dataset(tmp_path / "data", n_per_class=12)
    result = distribute.launch_local(tiny_config(tmp_path, data, mode="scratch", epochs=1), workers=1)
    run = load_run(result.run_dir)
    assert run.status == "completed" and run.has_model
    assert run.description["launcher"]["workers"] == 1
