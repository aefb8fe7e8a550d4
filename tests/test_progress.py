"""The console's progress arithmetic (done, total, throughput, ETA) on crafted event sequences, its text, and the
ETA benchmark's replay of a crafted experiment whose every epoch time is known."""

from __future__ import annotations

import dataclasses
import json

import pytest

from benchmarks.eta import largest_error, most_at_once, replay, trial_timeline
from tune_gan.console import duration as duration_text
from tune_gan.console import (
    finished_line,
    latest_failure,
    placement_line,
    progress_text,
    scored_seconds,
    scoring_line,
    settings_lines,
    significant,
    visible_trials,
)
from tune_gan.progress import DIVERGED, ERROR, FINISHED, PENDING, RUNNING, SweepProgress, TrialProgress
from tune_gan.resources import Placement, place
from tune_gan.scoring_cost import ScoringCost
from tune_gan.search_space import SPEC_FILE, Resources, SweepSpec
from tune_gan.sweep import build_parser, settings_baseline, spec_from_args, trial_image_bytes


def three_trials(slots: int = 2) -> SweepProgress:
    """A and C at batch 128, B at 1024, 4 epochs each."""
    trials = {
        "A": TrialProgress({"batch_size": 128, "seed": 0}, 128, 4),
        "B": TrialProgress({"batch_size": 1024, "seed": 0}, 1024, 4),
        "C": TrialProgress({"batch_size": 128, "seed": 1}, 128, 4),
    }
    return SweepProgress(trials, slots)


def test_a_fresh_sweep_counts_epochs_throughput_and_the_time_left():
    progress = three_trials()
    assert progress.snapshot(0).eta_s is None  # nothing measured yet
    progress.started("A", 0)
    progress.started("B", 0)
    progress.result("A", epoch=1, seconds=10, images=1000, shown={}, at=10)
    progress.result("B", epoch=1, seconds=20, images=1000, shown={}, at=20)
    snapshot = progress.snapshot(20)
    assert (snapshot.epochs_done, snapshot.epochs_total, snapshot.trials_ended) == (2, 12, 0)
    assert snapshot.images_per_s == pytest.approx(2000 / 20)
    # A: 3 epochs x 10 s less the 10 s since its epoch = 20; B: 3 x 20 = 60; C (batch 128, A's speed) 4 x 10 = 40
    # on the first slot free, A's at 20: ends at 60.
    assert snapshot.eta_s == pytest.approx(60)
    assert progress_text(snapshot) == (
        "2/12 epochs (17 %), 0 of 3 trials ended, 100 img/s, 20 s elapsed, ETA ~1 m 00 s"
    )


def test_the_time_left_counts_the_evaluations_left_at_their_own_speed():
    """One trial of 4 epochs scored at epochs 2 and 4, training 1 s an epoch. Before any evaluation is measured the
    sweep's estimate (100 s) stands for one: 3 x 1 + 2 x 100 after epoch 1. Epoch 2 took 51 s, 50 of them scoring:
    what is left is 2 x 1 + 1 x 50 (a wall-time mean of epochs would say 2 x 26)."""
    progress = SweepProgress({"A": TrialProgress({"seed": 0}, 128, 4, eval_every=2)}, slots=1, evaluation_s=100.0)
    progress.started("A", 0)
    progress.result("A", epoch=1, seconds=1, images=1000, shown={}, at=1)
    assert progress.trials["A"].evaluations_left == 2 and progress.snapshot(1).eta_s == pytest.approx(203)
    progress.result("A", epoch=2, seconds=51, images=1000, shown={}, at=52, evaluation_s=50)
    assert progress.trials["A"].evaluations_left == 1 and progress.snapshot(52).eta_s == pytest.approx(52)
    never = SweepProgress({"B": TrialProgress({"seed": 0}, 128, 4)}, slots=1, evaluation_s=100.0)  # eval_every 0
    never.result("B", epoch=1, seconds=1, images=1000, shown={}, at=1)
    assert never.snapshot(1).eta_s == pytest.approx(3)


def test_an_epochs_scoring_time_is_its_eval_time_s_where_it_was_scored():
    assert scored_seconds({"eval_time_s": 12.5}) == 12.5
    assert scored_seconds({"eval_time_s": float("nan")}) == 0.0 and scored_seconds({}) == 0.0


def test_a_trial_that_diverges_takes_its_epochs_left_out_of_the_total():
    progress = three_trials()
    progress.started("A", 0)
    progress.started("B", 0)
    progress.result("A", epoch=1, seconds=10, images=1000, shown={}, at=10)
    progress.result("B", epoch=1, seconds=20, images=1000, shown={}, at=20)
    progress.result("A", epoch=2, seconds=10, images=1000, shown={}, at=30)
    progress.ended("A", DIVERGED)
    snapshot = progress.snapshot(30)
    assert (snapshot.epochs_done, snapshot.epochs_total) == (3, 2 + 4 + 4)
    assert (snapshot.trials_ended, snapshot.trials_failed) == (1, 1)
    assert [trial.status for trial in progress.trials.values()] == [DIVERGED, RUNNING, PENDING]
    # B: 60 - 10 since its epoch = 50; C takes the slot A left: 4 x 10 = 40.
    assert snapshot.eta_s == pytest.approx(50)


def test_an_errored_trial_leaves_the_total_too():
    progress = three_trials()
    progress.started("C", 0)
    progress.result("C", epoch=1, seconds=10, images=1000, shown={}, at=10)
    progress.ended("C", ERROR)
    snapshot = progress.snapshot(10)
    assert (snapshot.epochs_done, snapshot.epochs_total, snapshot.trials_failed) == (1, 1 + 4 + 4, 1)
    with pytest.raises(ValueError, match="RUNNING"):
        progress.ended("A", RUNNING)


def test_a_resume_counts_what_was_done_before_but_not_in_the_throughput():
    progress = three_trials()
    progress.seen("A", FINISHED, 4)
    progress.seen("B", PENDING, 2)
    progress.seen("C", PENDING, 0)
    before = progress.snapshot(100)
    assert (before.epochs_done, before.epochs_total, before.trials_ended) == (6, 12, 1)
    assert before.images_per_s is None and before.eta_s is None
    progress.started("B", 100)
    progress.result("B", epoch=3, seconds=5, images=500, shown={}, at=105)
    snapshot = progress.snapshot(105)
    assert (snapshot.epochs_done, snapshot.epochs_before) == (7, 6)
    assert snapshot.images_per_s == pytest.approx(500 / 5)  # this session's epoch only
    assert progress_text(snapshot).startswith("7/12 epochs (58 %, 6 before the resume), 1 of 3 trials ended, 100 img/s")
    # B: 1 epoch x 5 s; C (batch 128, none measured: any batch's 5 s) 4 x 5 = 20 on the free slot.
    assert snapshot.eta_s == pytest.approx(20)


def test_a_restarted_trial_repeats_the_epochs_after_its_checkpoint():
    progress = three_trials()
    progress.started("A", 0)
    for epoch in (1, 2, 3):
        progress.result("A", epoch=epoch, seconds=10, images=1000, shown={}, at=10 * epoch)
    progress.restarted("A")
    assert progress.trials["A"].status == PENDING
    progress.result("A", epoch=3, seconds=12, images=1000, shown={}, at=45)  # its checkpoint was epoch 2
    assert progress.trials["A"].status == RUNNING
    assert (progress.snapshot(45).epochs_done, progress.snapshot(45).epochs_before) == (3, 0)


@pytest.mark.parametrize(
    "value, text",
    [(1720.4, "1,720"), (12345.6, "12,346"), (0.773172, "0.7732"), (1.15884, "1.159"), (172.34, "172.3"),
     (3, "3"), (float("nan"), "–"), (None, "–")],
)  # fmt: skip
def test_numbers_read_with_four_significant_digits(value, text):
    assert significant(value) == text


@pytest.mark.parametrize("seconds, text", [(41.4, "41 s"), (725, "12 m 05 s"), (6720, "1 h 52 m"), (59.6, "1 m 00 s")])
def test_durations(seconds, text):
    assert duration_text(seconds) == text


def test_a_screen_too_short_shows_running_and_failed_trials_first_and_counts_the_rest():
    statuses = [FINISHED, FINISHED, RUNNING, ERROR, PENDING, PENDING, PENDING, FINISHED, RUNNING, PENDING]
    trials = [TrialProgress({"seed": index}, 128, 4, status=status) for index, status in enumerate(statuses)]
    shown, more = visible_trials(trials, limit=5)
    assert [trial.point["seed"] for trial in shown] == [2, 3, 4, 8]
    assert more == "… and 6 more trials (3 pending, 3 finished)"
    assert visible_trials(trials, limit=10) == (trials, "")


def test_an_event_line_shows_the_final_values():
    trial = TrialProgress({"batch_size": 128, "seed": 0}, 128, 20, epoch=20)
    trial.latest = {"epoch": 20, "d_loss": 1.15884, "g_loss": 0.773172, "fid": 1251.3, "classes_covered": float("nan")}
    assert (
        finished_line(trial) == "finished batch_size 128 · seed 0: 20/20 epochs, D loss 1.159, G loss 0.7732, FID 1,251"
    )
    text = (
        "Failure # 1 (occurred at x)\nboom\nFailure # 2 (occurred at y)\nTraceback (most recent call last):\nboom 2\n"
    )
    assert latest_failure(text) == "Failure # 2 (occurred at y)\nTraceback (most recent call last):\nboom 2"


def test_the_settings_in_a_few_lines_name_what_differs_from_the_preset():
    args = build_parser().parse_args(["--preset", "smoke", "--epochs", "3", "--seeds", "0", "1"])
    spec = spec_from_args(args)
    spec = dataclasses.replace(spec, resources=dataclasses.replace(spec.resources, gpus_per_trial=0.0))  # resolved
    placement = place(spec.resources, spec.num_trials, {"CPU": 2.0})
    lines = settings_lines(spec, *settings_baseline(args), "/runs/x", "127.0.0.1:8265", placement)
    assert lines == [
        "8 trials: batch_size 128 256 × schedule constant warmup_cosine × lr_scaling none × seed 0 1",
        "settings that differ from the preset smoke: epochs 3",
        "2 trial(s) at once (as many as the CPUs hold), each on 1 CPU(s) and 0 GPU(s)",
        f"experiment /runs/x (every setting in {SPEC_FILE})",
        "dashboard http://127.0.0.1:8265",
    ]


def test_the_placement_line_says_when_a_trials_images_outgrow_half_its_share_of_the_gpu():
    """4 trials on one 80 GiB GPU: each may keep 0.5 x 0.25 x 80 = 10 GiB of images there."""
    placement = Placement(4, 0.25, 4, 1, "cpus", gpu_memory_gib=80.0)
    said = (
        "4 trial(s) at once (as many as the CPUs hold), each on 1 CPU(s) and 0.25 GPU(s): up to 4 on each of 1 GPU(s) "
        "(80.0 GiB each)"
    )
    assert placement_line(Resources(), placement, 10 * 2**30) == said
    assert placement_line(Resources(), placement, 16 * 2**30) == (
        f"{said}; a trial's training images (16.0 GiB) outgrow half its share of GPU memory (10.0 GiB), so they stay "
        "in host memory and go to the GPU a batch at a time"
    )
    cpus = Placement(2, 0.0, 0, 0, "cpus")  # no GPU: the images are in host memory already
    assert (
        placement_line(Resources(), cpus, 16 * 2**30)
        == "2 trial(s) at once (as many as the CPUs hold), each on 1 CPU(s) and 0 GPU(s)"
    )


def test_a_trial_holds_the_images_its_subset_takes():
    """The smoke preset's trials train on 512 MNIST images of 28 x 28 bytes; all 300 of a smaller dataset."""
    spec = spec_from_args(build_parser().parse_args(["--preset", "smoke", "--subset", "512"]))
    assert trial_image_bytes(spec, 60_000) == 512 * 784
    assert trial_image_bytes(spec, 300) == 300 * 784


def test_a_cpu_sweep_scored_in_inception_says_what_its_scoring_costs_a_trial_against_its_training():
    """2,000 samples at 5 evaluations, 0.226 s an image: 2,260 s a trial, against 9,040 s of training."""
    cost = ScoringCost(samples=2000, evaluations=5, scoring_s=2260.0, training_s=9040.0)
    said = (
        "scoring: 2,000 samples in inception-v3-compat's features at 5 evaluation(s), about 37 m 40 s a trial on one "
        "CPU thread, 25% of its training (about 2 h 30 m; 0.226 s an image, measured on a 2-core EPYC)"
    )
    assert (
        scoring_line(cost, defaulted=False)
        == f"{said}; fewer --eval-samples, a larger --eval-every or a GPU shortens it"
    )
    small_folder = ScoringCost(samples=1000, evaluations=1, scoring_s=226.0, training_s=5.6)
    assert "about 3 m 46 s a trial on one CPU thread, 40x its training (about 6 s; " in scoring_line(small_folder, True)
    tiny = ScoringCost(samples=200, evaluations=1, scoring_s=45.2, training_s=0.44)  # 48 images at 32 px, 2 epochs
    assert "about 45 s a trial on one CPU thread, 103x its training (under a second; " in scoring_line(tiny, False)
    assert scoring_line(cost, defaulted=True) == (
        f"{said}: the CPU defaults for your own images, 2,000 samples as often as keeps scoring near 20% of training; "
        "--eval-samples and --eval-every choose otherwise"
    )


def write_trial(experiment, index: int, params: dict, epoch_s: float, started: int) -> None:
    """A trial directory as Tune writes it, its epochs ``epoch_s`` long from ``started`` (seconds since 1970)."""
    trial = experiment / f"train_gan_{index:05d}"
    trial.mkdir()
    (trial / "params.json").write_text(json.dumps(params))
    rows = [
        {
            "epoch": epoch,
            "time_this_iter_s": epoch_s,
            "time_total_s": epoch * epoch_s,
            "timestamp": started + int(epoch * epoch_s),
            "images_seen": 1000 * epoch,
        }
        for epoch in range(1, params["epochs"] + 1)
    ]
    (trial / "result.json").write_text("".join(json.dumps(row) + "\n" for row in rows))


def test_the_eta_replay_of_a_sweep_at_steady_speeds_is_exact_once_each_speed_is_measured(tmp_path):
    """Batch 128 epochs take 10 s, batch 256 5 s, 3 epochs each, 2 slots. Slot 1 runs (128, constant) 0-30 s then
    (256, warmup_cosine) 30-45 s; slot 2 (256, constant) 0-15 s then (128, warmup_cosine) 15-45 s. From 10 s on,
    when both speeds are measured, the ETA is the time really left."""
    grid = {"batch_size": (128, 256), "schedule": ("constant", "warmup_cosine")}
    spec = SweepSpec({"epochs": 3, "warmup_epochs": 0}, grid, Resources(gpus_per_trial=0.0))
    experiment = tmp_path / "steady"
    experiment.mkdir()
    (experiment / SPEC_FILE).write_text(spec.to_json())
    starts = [0, 0, 15, 30]
    for index, (config, start) in enumerate(zip(spec.trial_configs(), starts)):
        epoch_s = 10 if config.batch_size == 128 else 5
        write_trial(experiment, index, config.to_dict(), epoch_s, 1_000_000 + start)
    points = replay(experiment)
    assert [round(point.elapsed_s) for point in points] == [5, 10, 10, 15, 20, 25, 30, 35, 35, 40]
    assert [point.eta_s for point in points[1:]] == pytest.approx([point.actual_left_s for point in points[1:]])
    assert largest_error(points).error == pytest.approx(0, abs=1e-9)


def test_the_slots_of_a_replay_are_the_most_trials_that_ran_at_once(tmp_path):
    spec = SweepSpec({"epochs": 2}, {"seed": (0, 1, 2)}, Resources(gpus_per_trial=0.0))
    experiment = tmp_path / "three"
    experiment.mkdir()
    (experiment / SPEC_FILE).write_text(spec.to_json())
    for index, (config, start) in enumerate(zip(spec.trial_configs(), [0, 0, 20])):
        write_trial(experiment, index, config.to_dict(), 10, 1_000_000 + start)  # the third starts as two end
    timelines = [trial_timeline(path.parent, spec) for path in sorted(experiment.glob("*/result.json"))]
    assert most_at_once(timelines) == 2
