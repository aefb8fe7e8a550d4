"""A real Ray Tune smoke sweep through the CLI, its files read back, and --resume of it."""

from __future__ import annotations

import fcntl
import io
import json
import os
import pty
import re
import shutil
import struct
import subprocess
import sys
import termios

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image
from ray import tune

from analysis import questions, stats
from analysis.load import load_experiment
from tests.helpers import REPO, read_events, results, run_sweep, sample_grid_steps, trial_dirs
from trainables.metric_keys import EVAL_TIME_S, QUALITY_METRICS, TRAIN_METRICS
from trainables.training_precision import cpu_has_bf16
from tune_gan.console import PROGRESS_COLUMNS, significant
from tune_gan.search_space import GRID_AXES, SPEC_FILE

pytestmark = pytest.mark.slow  # every test here starts Ray

GRID = {(128, "constant"), (128, "warmup_cosine"), (256, "constant"), (256, "warmup_cosine")}
GRID_PX = 5 * 28 + 6 * 2


def test_sweep_finishes_and_prints_the_table(smoke):
    experiment, finished = smoke
    assert finished.returncode == 0, finished.stderr[-3000:]
    table = finished.stdout.split("Results, one row per trial:\n")[1]
    header = table.splitlines()[0].split()
    # The table a user reads, spelled out as printed.
    assert (
        header
        == (
            "batch_size schedule status epochs_done d_loss g_loss d_loss_var g_loss_var fid is_score "
            "coverage density precision recall class_kl classes_covered"
        ).split()
    )  # lr_scaling none and seed 0, the same in every row, are in the settings lines
    rows = [line.split() for line in table.splitlines()[1:5]]
    assert {(int(row[0]), row[1]) for row in rows} == GRID
    assert all(row[2] == "TERMINATED" and row[3] == "2" for row in rows)
    assert f"Experiment: {experiment.as_uri()}" in finished.stdout


def test_into_a_pipe_the_sweep_prints_its_settings_events_and_progress_in_a_few_plain_lines(smoke):
    """What `make demo` shows: the resolved settings, a line per trial finished with its final values (4
    significant digits, equal to what the trial reported), the progress, and the final table; no escape codes, no
    Ray or Tune logs."""
    experiment, finished = smoke
    output = finished.stdout + finished.stderr
    assert len(output.splitlines()) <= 40, output
    assert "\x1b" not in output
    before_table = finished.stdout.split("Results, one row per trial:\n")[0].splitlines()
    assert before_table[1:6] == [
        "tune-gan: 4 trials: batch_size 128 256 × schedule constant warmup_cosine × lr_scaling none × seed 0",
        "tune-gan: settings that differ from the preset smoke: subset 1024",
        "tune-gan: 2 trial(s) at once (as many as the CPUs hold), each on 1 CPU(s) and 0 GPU(s)",
        f"tune-gan: experiment {experiment.as_uri()} (every setting in {SPEC_FILE})",
        "tune-gan: dashboard http://127.0.0.1:8265",
    ]
    events = [line for line in before_table if line.startswith("finished ")]
    expected = set()
    for trial in trial_dirs(experiment):
        final, config = results(trial)[-1], json.loads((trial / "params.json").read_text())
        expected.add(
            f"finished batch_size {config['batch_size']} · schedule {config['schedule']}: 2/2 epochs, "
            f"D loss {significant(final['d_loss'])}, G loss {significant(final['g_loss'])}, "
            f"FID {significant(final['fid'])}, "
            f"classes {final['classes_covered']}"
        )
    assert set(events) == expected and len(events) == 4
    assert before_table[-2].startswith("progress: 8/8 epochs (100 %), 4 of 4 trials ended, ")
    assert not any(line.startswith(("Trial train_gan", "== Status ==", "+---", "20")) for line in before_table)


def run_in_a_terminal(argv: list[str], columns: int = 160, rows: int = 40) -> str:
    """``python tune_gan/sweep.py ARGV`` with a pseudo-terminal for its stdout and stderr, as a user's shell runs
    it; everything it wrote, escape codes included."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": str(rows)}
    driver = subprocess.Popen(
        [sys.executable, "tune_gan/sweep.py", *argv], cwd=REPO, stdout=follower, stderr=follower, env=env
    )
    os.close(follower)
    written = bytearray()
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: every writer has closed the terminal
            break
        if not chunk:
            break
        written += chunk
    os.close(leader)
    assert driver.wait(timeout=600) == 0, written[-3000:].decode(errors="replace")
    return written.decode(errors="replace")


def test_a_terminal_gets_the_live_view(tmp_path):
    """In a terminal the progress is a bar and a row per trial, redrawn in place; its last frame shows every trial
    finished with the values it reported."""
    written = run_in_a_terminal(
        [*"--preset smoke --subset 1024 --eval-samples 200".split(), "--storage-path", str(tmp_path), "--name", "tty"]
    )
    assert "\x1b[" in written  # drawn with cursor moves and colours
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", written).replace("\r", "")
    last_frame = screen.split("Results, one row per trial:")[0].rsplit("8/8 epochs (100 %)", 1)[1]
    assert "━" * 30 in screen.split("Results, one row per trial:")[0]  # the full bar
    rows = {}
    for line in last_frame.splitlines():
        cells = line.split()
        if len(cells) == 8 and cells[2] == "FINISHED":
            rows[(int(cells[0]), cells[1])] = cells
    assert set(rows) == GRID
    for trial in trial_dirs(tmp_path / "tty"):
        final, config = results(trial)[-1], json.loads((trial / "params.json").read_text())
        cells = rows[(config["batch_size"], config["schedule"])]
        assert cells[3:] == [
            "2/2",
            *(significant(final[key]) for key in ("d_loss", "g_loss", "fid", "classes_covered")),
        ]


def test_verbose_shows_tunes_table_and_rays_lines_instead(tmp_path):
    """--verbose: Tune's table, as last printed before the final one, with every trial's latest epoch, losses, FID
    and classes covered equal to what it reported; Ray's INFO lines; no progress view."""
    finished = run_sweep(
        *"--preset smoke --schedules constant --epochs 1 --subset 512 --eval-samples 200 --verbose".split(),
        *("--storage-path", str(tmp_path), "--name", "verbose"),
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    progress = finished.stdout.split("Results, one row per trial:\n")[0].splitlines()
    header = [cell.strip() for cell in [line for line in progress if line.startswith("| Trial name")][-1].split("|")]
    assert header[-len(PROGRESS_COLUMNS) - 1 : -1] == list(PROGRESS_COLUMNS.values())
    assert set(GRID_AXES) <= set(header)
    shown = {}  # trial name -> its cells in the last table that lists it
    for line in progress:
        if line.startswith("| train_gan_"):
            cells = dict(zip(header, (cell.strip() for cell in line.split("|"))))
            shown[cells["Trial name"]] = cells
    trials = trial_dirs(tmp_path / "verbose")
    assert len(shown) == len(trials) == 2
    for trial in trials:
        final, cells = results(trial)[-1], shown["_".join(trial.name.split("_")[:4])]
        assert int(cells[PROGRESS_COLUMNS["epoch"]]) == final["epoch"] == 1
        for key in ("d_loss", "g_loss", "fid", "classes_covered"):
            assert float(cells[PROGRESS_COLUMNS[key]]) == pytest.approx(final[key], rel=1e-4), key
    output = finished.stderr + finished.stdout
    assert "View the dashboard at" in output and "Started a local Ray instance" in output
    assert not any(line.startswith(("finished ", "progress: ")) for line in progress)


def test_any_setting_swept_is_one_more_config_dimension(tmp_path):
    """--sweep latent_dim=64,128: two trials, one per latent size, in the final table, their params and the
    report's per-config summary; and a local Ray without its dashboard. The trials train in bf16 where the CPU has it
    (this project's VMs do), which their params record."""
    precision = "bf16" if cpu_has_bf16() else "fp32"
    finished = run_sweep(
        *"--preset smoke --batch-sizes 128 --schedules constant --epochs 1 --subset 512 --eval-every 0".split(),
        *("--sweep", "latent_dim=64,128", "--no-dashboard", "--storage-path", str(tmp_path), "--name", "latent"),
        *("--training-precision", precision),
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    table = finished.stdout.split("Results, one row per trial:\n")[1].splitlines()
    assert table[0].split()[:2] == ["latent_dim", "status"]  # the grid's other axes have one value each
    assert [row.split()[:2] for row in table[1:3]] == [["64", "TERMINATED"], ["128", "TERMINATED"]]
    params = [json.loads((trial / "params.json").read_text()) for trial in trial_dirs(tmp_path / "latent")]
    assert sorted(param["latent_dim"] for param in params) == [64, 128]
    assert [param["training_precision"] for param in params] == [precision, precision]
    frame = load_experiment(tmp_path / "latent")
    summary = stats.summary(stats.per_trial(frame))
    assert summary["latent_dim"].tolist() == [64, 128]
    # Without quality measured, the answers say so instead of comparing latent sizes by a metric they lack.
    found = {answer.text: answer for answer in questions.answers(frame)}
    assert any(
        "measured no image quality" in sentence for sentence in found["Which settings give good images?"].sentences()
    )
    # Latent size is the only setting that varies: the one axis asked of, and all a config's label names.
    assert list(found) == ["Which settings give good images?", "What does latent_dim 128 change against 64?"]
    assert summary["label"].tolist() == [f"latent_dim {size}" for size in (64, 128)]
    assert "tune-gan: dashboard off" in finished.stdout
    assert "Started a local Ray instance" not in finished.stderr + finished.stdout  # Ray's INFO lines: --verbose


def test_a_linked_axis_gives_each_setting_a_plain_key_and_column_of_its_own(tmp_path):
    """--sweep model+spectral_norm=mlp+false,dcgan+true: two trials, not the four of the settings' product; each
    setting a plain key of the trial's params, a column of the final table and of load_experiment, as a plain axis's
    is. The saved spec runs again, linked, with --add-seeds."""
    finished = run_sweep(
        *"--preset smoke --batch-sizes 128 --schedules constant --epochs 1 --subset 512 --eval-every 0".split(),
        *("--sweep", "model+spectral_norm=mlp+false,dcgan+true", "--no-dashboard"),
        *("--storage-path", str(tmp_path), "--name", "linked"),
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert (
        "tune-gan: 2 trials: batch_size 128 × schedule constant × lr_scaling none × seed 0 × "
        "model+spectral_norm mlp+False dcgan+True"
    ) in finished.stdout.splitlines()
    table = finished.stdout.split("Results, one row per trial:\n")[1].splitlines()
    assert table[0].split()[:3] == ["model", "spectral_norm", "status"]  # the only axis that varies
    rows = sorted(row.split()[:3] for row in table[1:3])
    assert rows == [["dcgan", "True", "TERMINATED"], ["mlp", "False", "TERMINATED"]]
    pairs = [("dcgan", True), ("mlp", False)]
    params = [json.loads((trial / "params.json").read_text()) for trial in trial_dirs(tmp_path / "linked")]
    assert sorted((param["model"], param["spectral_norm"]) for param in params) == pairs
    added = run_sweep("--add-seeds", str(tmp_path / "linked"), "--seeds", "1", "--no-dashboard", "--name", "added")
    assert added.returncode == 0, added.stderr[-3000:]
    for name, seed in (("linked", 0), ("added", 1)):
        trials = load_experiment(tmp_path / name).drop_duplicates("trial_id")
        assert sorted(zip(trials["model"], trials["spectral_norm"])) == pairs
        assert trials["seed"].tolist() == [seed, seed] and trials["spectral_norm"].dtype == bool


def test_experiment_analysis_loads_every_metric_of_every_epoch(smoke):
    experiment, _ = smoke
    analysis = tune.ExperimentAnalysis(str(experiment))
    assert {(config["batch_size"], config["schedule"]) for config in analysis.get_all_configs().values()} == GRID
    assert len(analysis.trial_dataframes) == 4
    for frame in analysis.trial_dataframes.values():
        assert frame["epoch"].tolist() == [1, 2]
        assert set(TRAIN_METRICS) <= set(frame.columns)
        assert frame[list(TRAIN_METRICS)].notna().all().all()
        # The smoke preset evaluates every epoch: every quality key, in range, in its own time.
        assert frame[list(QUALITY_METRICS)].notna().all().all()
        assert frame["is_score"].between(1, 10).all() and frame["fid"].gt(0).all()
        assert frame["precision"].between(0, 1).all() and frame["recall"].between(0, 1).all()
        assert frame["classes_covered"].between(1, 10).all() and frame["class_kl"].between(0, 2.31).all()
        assert frame[EVAL_TIME_S].gt(0).all()
    saved = json.loads((experiment / SPEC_FILE).read_text())
    assert saved["resources"] == {
        "cpus_per_trial": 1,
        "gpus_per_trial": 0.0,
        "trials_per_gpu": 0,  # resolved into gpus_per_trial, the one spelling saved
        "max_concurrent": 0,
        "keep_checkpoints": 2,
        "max_failures": 1,
    }
    assert saved["settings"]["subset"] == 1024 and saved["settings"]["epochs"] == 2
    assert saved["grid"] == {
        "batch_size": [128, 256],
        "schedule": ["constant", "warmup_cosine"],
        "lr_scaling": ["none"],
        "seed": [0],
    }


def test_checkpoints_hold_state_and_every_sample_grid(smoke):
    experiment, _ = smoke
    for trial in trial_dirs(experiment):
        checkpoints = sorted(trial.glob("checkpoint_*"))
        assert [path.name for path in checkpoints] == ["checkpoint_000000", "checkpoint_000001"]
        state = torch.load(checkpoints[-1] / "state.pt", weights_only=True)
        assert state["epoch"] == 2 and state["config"]["subset"] == 1024
        assert {"generator", "discriminator", "opt_g", "opt_d", "sched_g", "sched_d", "rng"} <= set(state)
        grids = sorted(path.name for path in (checkpoints[-1] / "samples").iterdir())
        assert grids == ["epoch_0001.png", "epoch_0002.png"]
        for grid in grids:
            with Image.open(checkpoints[-1] / "samples" / grid) as image:
                assert image.size == (GRID_PX, GRID_PX)
                assert len(np.unique(np.asarray(image.convert("L")))) > 10  # a picture, not a blank


def test_tensorboard_has_scalars_and_sample_images(smoke):
    experiment, _ = smoke
    for trial in trial_dirs(experiment):
        values = [
            value
            for path in trial.glob("events.out.tfevents.*")
            for event in read_events(path)
            for value in event.summary.value
        ]
        tags = {value.tag for value in values}
        assert {"ray/tune/d_loss", "ray/tune/g_loss_var", "ray/tune/lr_g_in_use"} <= tags
        assert sample_grid_steps(trial) == [1, 2]  # one grid per sample epoch, at the epoch as the step
        images = [value.image for value in values if value.tag == "samples"]
        with Image.open(io.BytesIO(images[0].encoded_image_string)) as image:
            assert image.size == (GRID_PX, GRID_PX)
        # The quality of every evaluated epoch is a TensorBoard scalar too, at the epoch as the step.
        fid_by_step = {
            event.step: value.simple_value
            for path in trial.glob("events.out.tfevents.*")
            for event in read_events(path)
            for value in event.summary.value
            if value.tag == "ray/tune/fid"
        }
        reported = {
            row["epoch"]: row["fid"] for row in map(json.loads, (trial / "result.json").read_text().splitlines())
        }
        assert fid_by_step == pytest.approx(reported, rel=1e-6)


def test_an_existing_experiment_is_not_overwritten(smoke):
    experiment, _ = smoke
    before = {path: path.stat().st_mtime_ns for path in experiment.rglob("*")}
    again = run_sweep("--preset", "smoke", "--storage-path", str(experiment.parent), "--name", "smoke")
    assert again.returncode == 2
    assert again.stderr.strip() == (
        f"sweep.py: error: --name smoke: {experiment} already exists; pass --resume to finish it"
    )
    assert {path: path.stat().st_mtime_ns for path in experiment.rglob("*")} == before


def test_resume_of_a_finished_experiment_reruns_nothing(smoke):
    experiment, _ = smoke
    checkpoints = sorted(experiment.rglob("checkpoint_*"))
    resumed = run_sweep("--resume", "--storage-path", str(experiment.parent), "--name", "smoke")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    before_table, table = resumed.stdout.split("Results, one row per trial:\n")
    assert all(row.split()[2:4] == ["TERMINATED", "2"] for row in table.splitlines()[1:5])  # after batch, schedule
    # The progress counts the epochs done before; nothing trained, so no throughput.
    assert (
        before_table.splitlines()[-2]
        == "progress: 8/8 epochs (100 %, 8 before the resume), 4 of 4 trials ended, 0 s elapsed"
    )
    (settings,) = [
        line for line in resumed.stdout.splitlines() if "settings that differ from a trial's defaults" in line
    ]
    assert {"epochs 2", "subset 1024", "eval_every 1"} <= set(settings.split(": ", 2)[2].split(", "))
    assert sorted(experiment.rglob("checkpoint_*")) == checkpoints


def test_resume_removes_result_rows_past_the_recorded_checkpoint(smoke, tmp_path):
    """What a driver stopped between Tune's state save and its result upload leaves: a row the state does not
    know of (here an epoch 3 after the recorded epoch-2 checkpoint). --resume removes it before Tune reads the
    files back."""
    experiment = tmp_path / "copy"
    shutil.copytree(smoke[0], experiment)
    trial = sorted(experiment.glob("train_gan_*"))[0]
    results, progress = trial / "result.json", trial / "progress.csv"
    original_results, original_progress = results.read_text(), progress.read_text()
    last = json.loads(original_results.splitlines()[-1])
    results.write_text(original_results + json.dumps({**last, "epoch": 3, "d_loss": 99.0}) + "\n")
    table = pd.read_csv(progress)
    progress.write_text(original_progress + table.tail(1).assign(epoch=3).to_csv(header=False, index=False))
    assert pd.read_csv(progress)["epoch"].tolist() == [1, 2, 3]

    resumed = run_sweep("--resume", "--storage-path", str(tmp_path), "--name", "copy")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "removed 2 result row(s) past the trials' recorded checkpoints" in resumed.stdout
    assert [json.loads(line)["epoch"] for line in results.read_text().splitlines()] == [1, 2]
    assert results.read_text() == original_results
    assert pd.read_csv(progress).equals(pd.read_csv(io.StringIO(original_progress)))


def test_a_diverging_trial_is_stopped_and_reported(tmp_path):
    finished = run_sweep(
        "--preset",
        "smoke",
        "--batch-sizes",
        "64",
        "--schedules",
        "constant",
        "--epochs",
        "8",
        "--subset",
        "512",
        "--lr-g",
        "0.9",
        "--lr-d",
        "0.9",
        "--storage-path",
        str(tmp_path),
        "--name",
        "absurd",
    )
    assert finished.returncode == 0, finished.stderr[-3000:]  # diverging is an outcome, not a failure
    table = finished.stdout.split("Results, one row per trial:\n")[1].splitlines()
    assert table[1].split()[:6] == ["64", "constant", "none", "0", "DIVERGED", "5"]
    assert table[2].startswith(
        "diverged: batch_size 64 · schedule constant · lr_scaling none · seed 0: discriminator collapse"
    )
    # Said as it happened, and its 3 epochs not run left out of the total.
    progress = finished.stdout.split("Results, one row per trial:\n")[0].splitlines()
    assert [line for line in progress if line.startswith("DIVERGED ")] == [
        f"DIVERGED batch_size 64 · schedule constant · lr_scaling none · seed 0: stopped at epoch 5 of 8: "
        f"{table[2].split(': ', 2)[2]}"
    ]
    assert progress[-2].startswith("progress: 5/5 epochs (100 %), 1 of 1 trials ended (1 failed), ")


def test_a_dcgan_fashion_mnist_sweep_scores_its_samples_and_ranks_by_fid(tmp_path):
    finished = run_sweep(
        *"--preset dcgan --batch-sizes 64 128 --schedules constant --epochs 2 --subset 512".split(),
        *"--eval-every 1 --eval-samples 500 --rank-by fid".split(),
        *("--storage-path", str(tmp_path), "--name", "dcgan"),
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    analysis = tune.ExperimentAnalysis(str(tmp_path / "dcgan"))
    finals = {}
    for trial_id, frame in analysis.trial_dataframes.items():
        config = analysis.get_all_configs()[trial_id]
        assert (config["model"], config["dataset"], config["spectral_norm"]) == ("dcgan", "fashion_mnist", True)
        assert frame["epoch"].tolist() == [1, 2]
        assert frame[list(QUALITY_METRICS)].notna().all().all() and frame[EVAL_TIME_S].gt(0).all()
        finals[config["batch_size"]] = frame["fid"].iloc[-1]
    table = finished.stdout.split("Results, one row per trial:\n")[1].splitlines()
    header = table[0].split()
    rows = [dict(zip(header, line.split())) for line in table[1:3]]
    assert [int(row["batch_size"]) for row in rows] == sorted(finals, key=finals.get)  # best (lowest) FID first
    assert [float(row["fid"]) for row in rows] == pytest.approx(sorted(finals.values()), rel=1e-3)
