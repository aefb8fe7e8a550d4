"""Where trials run (tune_gan.resources): per-GPU shares in Ray's units, bounded by CPUs, memory and the user."""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path

import pytest
import ray
from ray import tune

from tests.helpers import run_script
from trainables.config import ConfigError
from tune_gan import sweep
from tune_gan.resources import (
    GPU_MEMORY_MARGIN,
    TRIAL_GPU_PEAK_GIB,
    Placement,
    PlacementError,
    gpu_share,
    place,
    trials_fitting_a_gpu,
)
from tune_gan.search_space import Resources

ASSIGNMENT_TRIALS = 36  # 4 batch sizes x 3 schedules x 3 seeds


@pytest.mark.parametrize(
    "cluster, resources, expected",
    [
        # 8 GPUs x 36 trials: 5 a GPU at 0.2, all 36 at once (a pooled 8/36 = 0.2222 fits only 4 a GPU: 32)
        ({"CPU": 36.0, "GPU": 8.0}, Resources(), Placement(36, 0.2, 5, 8, "trials")),
        # one GPU, 16 CPUs: the 16 trials the CPUs run share it, 1/16 each
        ({"CPU": 16.0, "GPU": 1.0}, Resources(), Placement(16, 0.0625, 16, 1, "cpus")),
        ({"CPU": 16.0, "GPU": 1.0}, Resources(max_concurrent=4), Placement(4, 0.25, 4, 1, "max_concurrent")),
        ({"CPU": 8.0, "GPU": 1.0}, Resources(cpus_per_trial=2), Placement(4, 0.25, 4, 1, "cpus")),
        # 3 a GPU: 0.3333 each (Ray's 0.0001 units, rounded down), never 3 x 0.33333... > 1
        ({"CPU": 6.0, "GPU": 2.0}, Resources(), Placement(6, 0.3333, 3, 2, "cpus")),
        ({"CPU": 64.0, "GPU": 64.0}, Resources(), Placement(36, 1.0, 1, 64, "trials")),  # at most one GPU a trial
        ({"CPU": 2.0}, Resources(), Placement(2, 0.0, 0, 0, "cpus")),
        ({"CPU": 64.0}, Resources(), Placement(36, 0.0, 0, 0, "trials")),
        # an explicit request is kept; the trials at once are what it fits: 2 of 0.5 on the one GPU
        ({"CPU": 16.0, "GPU": 1.0}, Resources(gpus_per_trial=0.5), Placement(2, 0.5, 2, 1, "requested")),
        # 0.2 is 2,000 units: 5 a GPU, where the float 1 // 0.2 says 4
        ({"CPU": 16.0, "GPU": 1.0}, Resources(gpus_per_trial=0.2), Placement(5, 0.2, 5, 1, "requested")),
        ({"CPU": 36.0, "GPU": 8.0}, Resources(trials_per_gpu=4), Placement(32, 0.25, 4, 8, "requested")),
        ({"CPU": 16.0, "GPU": 8.0}, Resources(gpus_per_trial=2.0), Placement(4, 2.0, 0, 8, "requested")),
        ({"CPU": 16.0, "GPU": 1.0}, Resources(gpus_per_trial=0.0), Placement(16, 0.0, 0, 1, "cpus")),  # GPU unused
        ({"CPU": 16.0}, Resources(max_concurrent=3), Placement(3, 0.0, 0, 0, "max_concurrent")),
        ({"CPU": 8.0}, Resources(cpus_per_trial=3), Placement(2, 0.0, 0, 0, "cpus")),  # 8 // 3 CPUs
        ({"CPU": 16.0, "GPU": 1.0}, Resources(gpus_per_trial=0.0625), Placement(16, 0.0625, 16, 1, "cpus")),
    ],
)
def test_each_gpu_holds_its_share_of_the_trials_at_once(cluster, resources, expected):
    assert place(resources, ASSIGNMENT_TRIALS, cluster) == expected


def test_gpu_memory_bounds_the_trials_on_each_gpu():
    """A 4 GiB GPU holds floor(4 x 0.9 / 1.0) = 3 trials; 16 CPUs would put 16 on it."""
    held = int(4.0 * GPU_MEMORY_MARGIN / TRIAL_GPU_PEAK_GIB)
    assert held == 3
    assert place(Resources(), ASSIGNMENT_TRIALS, {"CPU": 16.0, "GPU": 1.0}, gpu_memory_gib=4.0) == Placement(
        3, 0.3333, 3, 1, "gpu_memory", 4.0
    )
    # an 80 GiB GPU holds 72: the CPUs bind first
    assert place(Resources(), ASSIGNMENT_TRIALS, {"CPU": 16.0, "GPU": 1.0}, gpu_memory_gib=80.0).bound == "cpus"
    # the user who knows better: --trials-per-gpu is not bounded by the estimate
    assert place(Resources(trials_per_gpu=8), 36, {"CPU": 16.0, "GPU": 1.0}, gpu_memory_gib=4.0).at_once == 8


@pytest.mark.parametrize("trials", range(1, 101))
def test_k_shares_fit_one_gpu_and_k_plus_one_do_not(trials):
    """In Ray's integer units (1/10,000 GPU), checked independently of the float share."""
    units = round(gpu_share(trials) * 10_000)
    assert trials * units <= 10_000 < (trials + 1) * units
    assert trials_fitting_a_gpu(gpu_share(trials)) == trials


@pytest.mark.parametrize(
    "cluster, resources, message",
    [
        ({"CPU": 4.0, "GPU": 1.0}, Resources(gpus_per_trial=2.0), "--gpus-per-trial 2: the Ray cluster has 1 GPUs"),
        ({"CPU": 4.0}, Resources(trials_per_gpu=2), "--trials-per-gpu 2: the Ray cluster has 0 GPUs"),
        ({"CPU": 2.0}, Resources(cpus_per_trial=4), "--cpus-per-trial 4: the Ray cluster has only 2 CPUs"),
    ],
)
def test_a_request_the_cluster_cannot_hold_is_refused_naming_it(cluster, resources, message):
    with pytest.raises(PlacementError, match=message):
        place(resources, ASSIGNMENT_TRIALS, cluster)


def test_the_two_spellings_of_the_gpu_request_are_refused_together():
    with pytest.raises(ConfigError, match=r"--trials-per-gpu 4 and --gpus-per-trial 0.25: two spellings"):
        Resources(gpus_per_trial=0.25, trials_per_gpu=4)


def wait_for_all_trials(config: dict) -> None:
    """A trial that records the GPU Ray gave it and waits (up to a deadline) until every trial of the grid has
    started: all of them finish only if all run at once."""
    directory = Path(config["directory"])
    (directory / f"{os.getpid()}.gpu").write_text(os.environ["CUDA_VISIBLE_DEVICES"])
    deadline = time.monotonic() + config["deadline_s"]
    while len(list(directory.glob("*.gpu"))) < config["trials"] and time.monotonic() < deadline:
        time.sleep(0.05)
    tune.report({"all_started": len(list(directory.glob("*.gpu"))) == config["trials"]})


# 9 trials on 2 GPUs: a share of 1/ceil(9/2) = 0.2 puts 5 on each and runs all 9; the pooled 2/9 = 0.222 would fit
# 4 on each, 8 at once. The 36 trials on 8 GPUs of the issue, at a quarter of the Ray workers.
LOGICAL_GPUS, TRIALS_ON_THEM = 2, 9


def run_on_logical_gpus(directory: str) -> None:
    """The sweep's placement as Ray makes it, run in a process of its own (its Ray workers end with it): a local Ray
    with a CPU a trial and LOGICAL_GPUS GPUs (logical resources: no GPU is needed), and TRIALS_ON_THEM trials asking
    for the share computed here. Fails unless every trial ran while all the others had started."""
    placement = place(Resources(), TRIALS_ON_THEM, {"CPU": float(TRIALS_ON_THEM), "GPU": float(LOGICAL_GPUS)})
    assert placement.gpus_per_trial == 0.2 and placement.at_once == TRIALS_ON_THEM
    ray.init(address="local", num_cpus=TRIALS_ON_THEM, num_gpus=LOGICAL_GPUS, include_dashboard=False)
    try:
        trainable = tune.with_resources(wait_for_all_trials, {"cpu": 1, "gpu": placement.gpus_per_trial})
        space = {"directory": str(Path(directory) / "gpus"), "trials": TRIALS_ON_THEM, "deadline_s": 300.0}
        results = tune.Tuner(
            trainable,
            param_space=space,
            tune_config=tune.TuneConfig(num_samples=TRIALS_ON_THEM),
            run_config=tune.RunConfig(name="placement", storage_path=str(Path(directory) / "runs"), verbose=0),
        ).fit()
    finally:
        ray.shutdown()
    assert all(result.metrics["all_started"] for result in results)


@pytest.mark.slow
def test_ray_runs_9_trials_at_once_on_2_logical_gpus_five_on_each(tmp_path):
    (tmp_path / "gpus").mkdir()
    code = f"from tests.test_resources import run_on_logical_gpus; run_on_logical_gpus({str(tmp_path)!r})"
    finished = run_script("-c", code)
    assert finished.returncode == 0, finished.stderr[-3000:]
    given = Counter(path.read_text() for path in (tmp_path / "gpus").glob("*.gpu"))
    assert sorted(given) == [str(gpu) for gpu in range(LOGICAL_GPUS)] and max(given.values()) <= 5
    assert sum(given.values()) == TRIALS_ON_THEM


def test_both_spellings_on_the_command_line_exit_2_in_one_line(tmp_path, capsys):
    argv = ["--preset", "smoke", "--trials-per-gpu", "4", "--gpus-per-trial", "0.25", "--storage-path", str(tmp_path)]
    assert sweep.main(argv) == 2
    error = capsys.readouterr().err
    assert error == (
        "sweep.py: error: --trials-per-gpu 4 and --gpus-per-trial 0.25: two spellings of one setting, give one\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_the_resolved_request_is_saved_in_one_spelling(monkeypatch):
    monkeypatch.setattr(ray, "cluster_resources", lambda: {"CPU": 16.0, "GPU": 2.0})
    spec = sweep.spec_from_args(sweep.build_parser().parse_args(["--preset", "smoke", "--trials-per-gpu", "3"]))
    resolved, placement = sweep.fit_to_cluster(spec)
    assert (resolved.resources.gpus_per_trial, resolved.resources.trials_per_gpu) == (0.3333, 0)
    assert placement == Placement(4, 0.3333, 3, 2, "trials")  # the smoke grid's 4 trials


def test_a_tf32_sweep_whose_trials_get_no_gpu_is_refused_before_they_start(monkeypatch):
    monkeypatch.setattr(ray, "cluster_resources", lambda: {"CPU": 2.0})
    spec = sweep.spec_from_args(sweep.build_parser().parse_args(["--preset", "smoke", "--training-precision", "tf32"]))
    with pytest.raises(sweep.SweepError) as refused:
        sweep.fit_to_cluster(spec)
    assert str(refused.value) == (
        "training_precision tf32: TF32 is CUDA's, and this sweep's trials get no GPU: use fp32 or bf16"
    )
    monkeypatch.setattr(ray, "cluster_resources", lambda: {"CPU": 2.0, "GPU": 1.0})
    assert sweep.fit_to_cluster(spec)[0].resources.gpus_per_trial == 0.5
