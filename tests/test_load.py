"""Tune results as the tidy table (analysis.load): real sweeps, a real errored and diverged trial, epochs twice."""

from __future__ import annotations

import json
import math
import os
import shutil

import pandas as pd
import pytest
import ray
from ray import tune

from analysis import stats
from analysis.load import CONFIG_COLUMNS, export, latest_per_epoch, load_experiment, newest_experiment
from tests.crafted import Seed, crafted, sentences
from trainables.config import TrialConfig
from trainables.data import resolve_data_dir
from trainables.metric_keys import TRAIN_METRICS
from trainables.quality.evaluator import real_reference
from trainables.trainable import train_gan


def test_duplicate_epoch_rows_count_once_the_latest():
    frame = crafted({(128, "constant"): [Seed(100.0), Seed(110.0)]})
    stale = frame[frame["epoch"] == 6].assign(fid=999.0)
    doubled = pd.concat([frame.iloc[:5], stale.iloc[:1], frame.iloc[5:]], ignore_index=True)  # stale row first
    assert len(latest_per_epoch(doubled)) == len(frame)
    assert stats.per_trial(doubled)["fid"].tolist() == [100.0, 110.0]
    assert stats.per_trial(doubled)["epochs_done"].tolist() == [6, 6]


@pytest.mark.slow
def test_loader_gives_one_row_per_trial_and_epoch(smoke):
    experiment, _ = smoke
    frame = load_experiment(experiment)
    assert len(frame) == 4 * 2
    assert set(CONFIG_COLUMNS) | set(TRAIN_METRICS) | {"trial_id", "status", "checkpoint"} <= set(frame.columns)
    assert frame.groupby("trial_id")["epoch"].apply(list).tolist() == [[1, 2]] * 4
    assert set(frame["status"]) == {"TERMINATED"}
    assert all(os.path.isdir(path) for path in frame["checkpoint"])
    assert newest_experiment(experiment.parent) == experiment


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_export_round_trip(smoke, tmp_path, suffix):
    frame = load_experiment(smoke[0])
    written = export(frame, tmp_path / f"table{suffix}")
    back = pd.read_parquet(written) if suffix == ".parquet" else pd.read_csv(written)
    assert back.shape == frame.shape
    assert back["d_loss"].tolist() == pytest.approx(frame["d_loss"].tolist())


@pytest.mark.slow
def test_loader_keeps_the_latest_row_of_an_epoch_recorded_twice(smoke, tmp_path):
    """As a resume can leave it: epoch 2's row, then the resumed run's epoch 2 again."""
    experiment = tmp_path / "copy"
    shutil.copytree(smoke[0], experiment)
    result_file = sorted(experiment.glob("*/result.json"))[0]
    rows = result_file.read_text().splitlines()
    stale = json.dumps({**json.loads(rows[1]), "d_loss": 99.0})
    result_file.write_text("\n".join([rows[0], stale, rows[1]]) + "\n")
    frame = load_experiment(experiment)
    trial = frame[frame["trial_id"] == json.loads(rows[0])["trial_id"]]
    assert trial["epoch"].tolist() == [1, 2]
    assert trial["d_loss"].tolist() == [json.loads(rows[0])["d_loss"], json.loads(rows[1])["d_loss"]]


@pytest.mark.slow
def test_tidy_table_holds_each_epochs_lr_as_the_scheduler_ran_it(tmp_path, mnist_images):
    """The per-epoch LR columns against the schedules' closed forms (the config's peak lr_g stays its own column)."""
    ray.init(address="local", num_cpus=2, include_dashboard=False)
    try:
        tune.Tuner(
            tune.with_parameters(train_gan, images=mnist_images[:256].numpy(), reference=None),
            param_space={
                **TrialConfig(
                    epochs=4, subset=256, batch_size=64, eval_every=0, step_every=1, step_gamma=0.5
                ).to_dict(),
                "warmup_epochs": 1,
                "schedule": tune.grid_search(["step", "warmup_cosine"]),
            },
            run_config=tune.RunConfig(name="lrs", storage_path=str(tmp_path)),
        ).fit()
    finally:
        ray.shutdown()
    frame = load_experiment(tmp_path / "lrs")
    peak, floor = 2e-4, 0.01
    cosine = [peak * floor + (peak - peak * floor) * (1 + math.cos(math.pi * t / 2)) / 2 for t in range(3)]
    expected = {"step": [peak * 0.5**epoch for epoch in range(4)], "warmup_cosine": [peak * floor, *cosine]}
    for schedule, lrs in expected.items():
        runs = frame[frame["schedule"] == schedule]
        assert runs["lr_g_in_use"].tolist() == pytest.approx(lrs, rel=1e-9)
        assert runs["lr_d_in_use"].tolist() == pytest.approx(lrs, rel=1e-9)
        assert set(runs["lr_g"]) == {peak}


@pytest.fixture(scope="module")
def mixed_outcomes(tmp_path_factory, mnist_images):
    """A real Tune run of 4 trials: batch size 0 fails at the start (ERROR); lr_d = lr_g = 0.9 makes D separate
    perfectly from epoch 3 on (DIVERGED at epoch 5, before its 6). Quality is scored every 4 epochs and where a trial
    stops."""
    storage = tmp_path_factory.mktemp("mixed")
    reference = real_reference("mnist", resolve_data_dir(None))
    params = {
        **TrialConfig(epochs=6, subset=256, batch_size=64, eval_every=4, eval_samples=500).to_dict(),
        "batch_size": tune.grid_search([64, 0]),
        "lr_d": tune.grid_search([2e-4, 0.9]),
        "lr_g": tune.sample_from(lambda spec: spec.config.lr_d),
    }
    ray.init(address="local", num_cpus=2, include_dashboard=False)
    try:
        tune.Tuner(
            tune.with_parameters(train_gan, images=mnist_images[:256].numpy(), reference=reference),
            param_space=params,
            run_config=tune.RunConfig(name="mixed", storage_path=str(storage)),
        ).fit()
    finally:
        ray.shutdown()
    return storage / "mixed"


@pytest.mark.slow
def test_errored_and_diverged_trials_appear_with_their_status(mixed_outcomes):
    frame = load_experiment(mixed_outcomes)
    trials = frame.drop_duplicates("trial_id").set_index(["batch_size", "lr_d"])["status"].to_dict()
    assert trials == {(0, 2e-4): "ERROR", (0, 0.9): "ERROR", (64, 2e-4): "TERMINATED", (64, 0.9): "DIVERGED"}
    errored = frame[frame["batch_size"] == 0]
    assert len(errored) == 2 and errored["epoch"].isna().all()
    diverged = frame[frame["status"] == "DIVERGED"]
    assert diverged["epoch"].tolist() == [1, 2, 3, 4, 5]  # stopped before its 6 epochs
    assert diverged["diverged_reason"].iloc[-1].startswith("discriminator collapse")
    assert frame[frame["status"] == "TERMINATED"]["epoch"].tolist() == [1, 2, 3, 4, 5, 6]
    assert frame[frame["status"] == "TERMINATED"]["fid"].notna().tolist() == [False] * 3 + [True, False, True]
    assert diverged["fid"].notna().tolist() == [False] * 3 + [True, True]  # and scored where it stopped
    assert (
        "batch 64 · lr_g 0.9 · lr_d 0.9: undecided (one seed cannot decide): 1 of 1 seed diverged (seed 0 at epoch 5: "
        "discriminator collapse" in sentences(frame)
    )
