"""Faults injected for real: a trial's worker killed mid-epoch, and a Ray node lost mid-sweep."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from analysis import questions
from analysis.load import load_experiment
from tests.helpers import (
    BATCH_AND_SCHEDULE_QUESTIONS,
    free_port,
    kill_session,
    recorded_epochs,
    reported_metrics,
    results,
    run_script,
    run_sweep,
    sample_grid_steps,
    session_pids,
    start_sweep,
    trial_config,
    trial_dirs,
    uninterrupted_metrics,
    wait_for,
)
from trainables.checkpoint import read_state

pytestmark = pytest.mark.slow  # every test here starts Ray


def sweep_with_its_worker_killed(storage: Path, name: str, grid: str, max_failures: int) -> tuple[int, str, dict]:
    """A one-trial sweep whose worker is killed once its first epoch is recorded: mid-way through a later epoch,
    whichever the worker has reached. Its exit code, its output and that first result."""
    driver = start_sweep(
        *grid.split(), "--max-failures", str(max_failures), "--storage-path", str(storage), "--name", name
    )
    first = wait_for(lambda: next((rows[0] for trial in trial_dirs(storage / name) if (rows := results(trial))), None))
    os.kill(first["pid"], signal.SIGKILL)
    output, _ = driver.communicate(timeout=600)
    return driver.returncode, output, first


def test_killed_worker_restarts_from_its_checkpoint_with_identical_metrics(tmp_path, mnist_images):
    grid = "--preset smoke --batch-sizes 128 --schedules warmup_cosine --epochs 4 --warmup-epochs 1 --subset 4096"
    code, output, first = sweep_with_its_worker_killed(tmp_path, "killed", grid, max_failures=1)
    assert code == 0, output[-4000:]

    (trial,) = trial_dirs(tmp_path / "killed")
    rows = results(trial)
    assert [row["epoch"] for row in rows] == [1, 2, 3, 4]
    assert rows[-1]["pid"] != first["pid"]  # a new worker finished it
    assert "TERMINATED" in output.split("Results, one row per trial:")[1]
    # Said once, in a line; Tune's own log of the traceback is hidden.
    (restarted,) = [line for line in output.splitlines() if line.startswith("restarted ")]
    assert restarted.startswith("restarted batch_size 128 · schedule warmup_cosine · lr_scaling none · seed 0: failed")
    assert restarted.endswith(f"continues from its checkpoint (log: {trial / 'error.txt'})")
    assert "Trial task failed" not in output
    torch.set_num_threads(1)
    assert reported_metrics(trial) == uninterrupted_metrics(trial_config(trial), mnist_images)


def test_a_trial_that_fails_for_good_prints_its_traceback_once_with_its_log(tmp_path):
    """--max-failures 0 and a killed worker: the trial errors. The console says so in one line naming its epoch and
    the error file in the experiment, then prints that file's traceback, once (Tune's own log of it is hidden)."""
    grid = "--preset smoke --batch-sizes 128 --schedules constant --epochs 4 --subset 4096"
    code, output, _ = sweep_with_its_worker_killed(tmp_path, "failed", grid, max_failures=0)
    assert code == 1, output[-4000:]
    (trial,) = trial_dirs(tmp_path / "failed")
    error_file = trial / "error.txt"
    lines = output.splitlines()
    (at,) = [index for index, line in enumerate(lines) if line.startswith("ERROR ")]
    epoch = len(results(trial))
    assert lines[at] == (
        f"ERROR batch_size 128 · schedule constant · lr_scaling none · seed 0: failed after epoch {epoch} of 4, no "
        f"restarts left (log: {error_file}):"
    )
    traceback = error_file.read_text().strip()
    assert traceback.startswith("Failure # 1 (occurred at ") and "The actor died unexpectedly" in traceback
    assert "\n".join(lines[at + 1 : at + 1 + len(traceback.splitlines())]) == traceback
    assert output.count("Failure # 1 (occurred at ") == 1 and "Trial task failed" not in output
    assert f"progress: {epoch}/{epoch} epochs (100 %), 1 of 1 trials ended (1 failed)" in output


def test_a_killed_sweep_resumes_where_it_stopped(tmp_path, mnist_images):
    """The driver killed outright (SIGKILL) mid-sweep, then --resume: every trial finishes, no epoch the experiment
    had recorded is trained again, the metrics equal an uninterrupted run's, and only the last 2 checkpoints are
    kept. A driver stopped by Ctrl-C resumes so in tests/test_object_storage.py, in a bucket."""
    driver = start_sweep(*"--preset smoke --subset 2048 --epochs 4 --name cut".split(), "--storage-path", str(tmp_path))
    experiment = tmp_path / "cut"
    try:
        wait_for(lambda: any(recorded_epochs(experiment).values()), every=0.5)  # a checkpoint to resume from
        driver.send_signal(signal.SIGKILL)
        driver.communicate(timeout=300)
    finally:
        kill_session(driver)  # a killed driver leaves Ray's dashboard and runtime-env agents behind
    before = {trial.name: results(trial) for trial in trial_dirs(experiment)}
    recorded = recorded_epochs(experiment)
    assert any(len(rows) < 4 for rows in before.values())  # it really was cut short
    assert any(recorded.values())
    partial = load_experiment(experiment)  # analysis works on the unfinished experiment
    assert partial["trial_id"].nunique() == 4
    assert (partial.drop_duplicates("trial_id")["status"] != "TERMINATED").any()
    found = questions.answers(partial)
    assert [answer.text for answer in found] == list(BATCH_AND_SCHEDULE_QUESTIONS)
    assert all(answer.summary() for answer in found)

    resumed = run_sweep("--resume", "--storage-path", str(tmp_path), "--name", "cut")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert len(trial_dirs(experiment)) == 4  # the same trials continued, none added
    torch.set_num_threads(1)
    for trial in trial_dirs(experiment):
        rows, kept = results(trial), recorded.get(trial.name, 0)
        assert [row["epoch"] for row in rows] == [1, 2, 3, 4]
        assert rows[:kept] == before[trial.name][:kept]  # the same rows, same pid and time: not trained again
        assert reported_metrics(trial) == uninterrupted_metrics(trial_config(trial), mnist_images)
        assert sample_grid_steps(trial) == [1, 2, 3, 4]  # no grid logged twice across the resume
        assert [path.name for path in sorted(trial.glob("checkpoint_*"))] == ["checkpoint_000002", "checkpoint_000003"]


@pytest.fixture
def small_disk(tmp_path):
    """A 160 MiB tmpfs: room for about three of an MLP trial's 35 MB checkpoints. Skipped where mounting is not
    allowed (it needs root, or CAP_SYS_ADMIN)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160m", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.decode().strip()}): the full-disk fault needs one")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "--lazy", str(disk)], check=True)


def test_a_filling_storage_path_stops_the_sweep_resumably(small_disk, mnist_images):
    grid = "--preset smoke --batch-sizes 128 --schedules constant --epochs 4 --subset 1024 --name full"
    stopped = run_sweep(*grid.split(), "--storage-path", str(small_disk))
    assert stopped.returncode == 1, stopped.stderr[-3000:]  # stopped, trials left to resume
    errors = [line for line in stopped.stderr.splitlines() if line.startswith("sweep.py: error:")]
    assert len(errors) == 1 and errors[0].startswith(f"sweep.py: error: --storage-path {small_disk}: ")
    assert "MiB free, less than the" in errors[0] and errors[0].endswith("(make room, then --resume)")
    (trial,) = trial_dirs(small_disk / "full")
    done = [row["epoch"] for row in results(trial)]
    assert done and done == list(range(1, len(done) + 1)) and len(done) < 4  # intact, and cut short
    # Every checkpoint written stays loadable (one may be a step past the recorded results: the trial ran on
    # until the interrupt reached it; --resume goes on from the one the experiment state recorded).
    assert {read_state(checkpoint)["epoch"] for checkpoint in trial.glob("checkpoint_*")} <= {*done, len(done) + 1}

    subprocess.run(["mount", "-o", "remount,size=400m", str(small_disk)], check=True)  # room again
    resumed = run_sweep("--resume", "--storage-path", str(small_disk), "--name", "full")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert [row["epoch"] for row in results(trial)] == [1, 2, 3, 4]
    assert reported_metrics(trial) == uninterrupted_metrics(trial_config(trial), mnist_images)


TOKEN_AUTH = {**os.environ, "RAY_AUTH_MODE": "token"}  # a node or driver joining by host:port must know


def start_node(*args: str) -> subprocess.Popen:
    """``ray start --block ARGS`` in a session of its own, so every process of the node can be found by it."""
    ray = Path(sys.executable).parent / "ray"
    return subprocess.Popen(
        [str(ray), "start", "--block", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=TOKEN_AUTH,
    )


def cluster_cpus(address: str) -> float:
    """The CPUs the cluster at ``address`` offers now, asked from a short-lived driver (0 while unreachable)."""
    probe = f"import ray; ray.init(address='{address}', logging_level='ERROR'); print(ray.cluster_resources()['CPU'])"
    finished = run_script("-c", probe, env=TOKEN_AUTH, timeout=120)
    return float(finished.stdout.strip().splitlines()[-1]) if finished.returncode == 0 else 0.0


def test_trials_survive_the_loss_of_a_cluster_node(tmp_path):
    """A head and a second node on 127.0.0.1; the second node is killed mid-sweep; every trial finishes,
    the one that ran on the lost node retried on the head from its checkpoint in the shared storage."""
    address = f"127.0.0.1:{free_port()}"
    head = start_node(
        "--head",
        f"--port={address.split(':')[1]}",
        "--num-cpus=1",
        "--include-dashboard=false",
        f"--ray-client-server-port={free_port()}",
        "--min-worker-port=20000",
        "--max-worker-port=20999",
    )
    nodes = [head]
    try:
        wait_for(lambda: cluster_cpus(address) == 1.0, timeout=180, every=1)
        second = start_node(
            f"--address={address}", "--num-cpus=1", "--min-worker-port=21000", "--max-worker-port=21999"
        )
        nodes.append(second)
        wait_for(lambda: cluster_cpus(address) == 2.0, timeout=180, every=1)

        storage = tmp_path / "shared"  # both nodes write here, as they would to an NFS mount
        grid = "--preset smoke --batch-sizes 128 256 --schedules constant --epochs 4 --subset 4096 --name cluster"
        driver = start_sweep(*grid.split(), "--address", address, "--storage-path", str(storage))
        experiment = storage / "cluster"

        def trial_on_second_node() -> Path | None:
            on_second = session_pids(second.pid)
            return next(
                (trial for trial in trial_dirs(experiment) if (rows := results(trial)) and rows[0]["pid"] in on_second),
                None,
            )

        moved = wait_for(trial_on_second_node, timeout=300)
        kill_session(second)
        output, _ = driver.communicate(timeout=600)
        assert driver.returncode == 0, output[-4000:]
        assert len(trial_dirs(experiment)) == 2
        for trial in trial_dirs(experiment):
            assert [row["epoch"] for row in results(trial)] == [1, 2, 3, 4]
        assert results(moved)[-1]["pid"] != results(moved)[0]["pid"]  # finished by a worker on the head
    finally:
        for node in nodes:
            kill_session(node)
        # `ray start` left a pointer to its (now dead) cluster, which a plain ray.init() would try to join.
        pointer = Path("/tmp/ray/ray_current_cluster")
        if pointer.is_file() and address.split(":")[1] in pointer.read_text():
            pointer.unlink()
