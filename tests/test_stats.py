"""Per-trial rows, per-config summaries and the ranking (analysis.stats) on crafted tables whose answer is known."""

from __future__ import annotations

import pytest

from analysis import outcomes, stats
from analysis.configs import config_columns
from analysis.questions import comparison as compared
from analysis.questions.study import study_of
from tests.crafted import Seed, answers, comparison, crafted, sentences
from tests.helpers import shown
from tests.reference_stats import welch_on_logs, wilson


def test_a_collapsed_config_is_never_stable_nor_first_whatever_its_loss_variance():
    collapsed = (10, 9, 3, 2, 2, 2)  # mode collapse from epoch 3 on, FID flat at the end: stalled
    frame = crafted(
        {
            # The best FID and the calmest losses, but its generators draw two classes.
            (1024, "warmup_cosine"): [Seed(50.0 + seed, classes=collapsed, d_loss_var=1e-6) for seed in range(3)],
            (128, "constant"): [Seed(100.0 + 5 * seed, d_loss_var=0.05) for seed in range(3)],
        }
    )
    trials = stats.per_trial(frame)
    large = trials[trials["batch_size"] == 1024]
    assert set(large["outcome"]) == {outcomes.MODE_COLLAPSE} and set(large["outcome_epoch"]) == {3.0}
    assert set(large["outcome_detail"]) == {"10 classes at epoch 1 → 2 classes at epoch 6"}
    assert set(large["improving"]) == {False}
    ranked = stats.ranking(stats.summary(trials))
    assert ranked["label"].tolist() == ["batch 128 · constant", "batch 1024 · warmup_cosine"]
    assert ranked.set_index("label")["verdict"].to_dict() == {
        "batch 128 · constant": stats.STABLE_CONFIG,
        "batch 1024 · warmup_cosine": stats.UNSTABLE_CONFIG,
    }
    text = sentences(frame)
    assert (
        "batch 1024 · warmup_cosine: unstable: 3 of 3 seeds mode-collapsed (seed 0 from epoch 3: 10 classes at epoch 1 "
        "→ 2 classes at epoch 6; seed 1 from epoch 3: 10 classes at epoch 1 → 2 classes at epoch 6; seed 2 from epoch "
        "3: 10 classes at epoch 1 → 2 classes at epoch 6; 0 of 3 still improving when training ended); 0 of 3 stable "
        f"[0, {shown(wilson(0, 3)[1])}]." in text
    )
    # The loss variances are shown over the seeds that did not collapse, and decide nothing.
    table = stats.summary(trials).set_index("label")
    assert table.loc["batch 1024 · warmup_cosine", "late_d_loss_var"].n == 0
    assert table.loc["batch 128 · constant", "late_d_loss_var"].center == pytest.approx(0.05)
    assert "variance" not in text


def test_ranking_first_needs_two_finished_seeds_and_unfinished_seeds_are_left_out():
    collapsed = (10, 9, 3, 2, 2, 2)
    frame = crafted(
        {
            (128, "constant"): [Seed(100.0, classes=(10,) * 2, status="RUNNING") for _ in range(3)],
            (256, "constant"): [Seed(200.0), Seed(210.0), Seed(220.0, classes=collapsed)],
            (512, "constant"): [Seed(150.0, classes=collapsed), Seed(150.0, classes=collapsed), Seed(99.0)],
            (1024, "constant"): [Seed(50.0), Seed(40.0, classes=(10,) * 2, status="RUNNING")],
        }
    )
    ranked = stats.ranking(stats.summary(stats.per_trial(frame)))
    # 256: 1 of 3 failed; 512: 2 of 3; 1024: the best FID, but one finished seed; 128: none finished. (Only batch
    # size varies, so it is all a label names.)
    assert ranked["label"].tolist() == ["batch 256", "batch 512", "batch 1024", "batch 128"]
    assert ranked[["failed", "finished"]].values.tolist() == [[1, 3], [2, 3], [0, 1], [0, 0]]
    # The running seed's FID (40, at epoch 2) is not batch 1024's estimate.
    assert ranked.set_index("label").loc["batch 1024", "fid"].values == (50.0,)
    # Quality is estimated over the seeds that did not fail (issue 33: failure and quality are two answers); over
    # every finished seed it is in the appendix's columns.
    assert ranked.set_index("label").loc["batch 512", "fid"].values == (99.0,)
    everyone = ranked.set_index("label").loc["batch 512", stats.ALL_FINISHED.format(metric="fid")]
    assert everyone.values == (150.0, 150.0, 99.0)


def test_a_seed_whose_failure_no_number_tells_is_left_out_of_the_failed_share():
    """Batch 128's third seed measured no quality: of the two that did, one mode-collapsed. 1 of 2 failed, and the
    third is named beside the share, not counted as a seed that did not fail (1 of 3)."""
    collapsed = (10, 9, 3, 2, 2, 2)
    frame = crafted({(128, "constant"): [Seed(100.0), Seed(300.0, classes=collapsed), Seed(120.0)]})
    unmeasured = frame["trial_id"] == frame["trial_id"].unique()[2]
    frame.loc[unmeasured, ["fid", "coverage"]] = float("nan")
    (row,) = stats.summary(stats.per_trial(frame)).to_dict("records")
    assert (row["failed"], row["told"], row["finished"]) == (1, 2, 3)
    assert row["failed_interval"] == pytest.approx(wilson(1, 2))
    low, high = (shown(bound) for bound in wilson(1, 2))
    assert f"batch 128 · constant: 1 of 2 finished seeds failed [{low}, {high}], 1 more not judged" in sentences(frame)


def test_a_config_known_to_fail_ranks_after_those_none_of_whose_seeds_could_be_judged():
    """Nothing measured: batch 256's diverged seed is its one seed whose failure is told (1 of 1 failed), the other
    configs' are all untold and count none failed, so it ranks last, they in their order."""
    frame = crafted(
        {(256, "constant"): [Seed(150.0), Seed(170.0, status="DIVERGED")], (512, "step"): [Seed(200.0)] * 2}
    )
    unmeasured = frame.drop(columns=["fid", "coverage"])
    ranked = stats.ranking(stats.summary(stats.per_trial(unmeasured)))
    assert ranked["label"].tolist() == ["batch 512 · step", "batch 256 · constant"]
    assert ranked[["failed", "told", "finished"]].values.tolist() == [[0, 0, 2], [1, 1, 2]]


def test_a_study_whose_features_cannot_judge_ranks_by_its_metric_alone_and_says_so():
    """A real sample covers 0.015 where drawing the data takes 0.02: no seed is judged, so no config is said to
    fail less; the lower FID orders them, and the summary says that is all it does."""
    frame = crafted({(batch, "constant"): [Seed(fid), Seed(fid + 10)] for batch, fid in ((128, 200.0), (256, 100.0))})
    frame["classes_covered"] = float("nan")  # features without the dataset's classes
    anchors = {"one_image_coverage": 0.004, "noise_coverage": 0.002, "real_coverage": 0.015}
    for name, value in anchors.items():
        frame[f"anchor_{name}"] = value
    trials = stats.per_trial(frame)
    assert set(trials["outcome"]) == {outcomes.FEATURES_BLIND}
    ranked = stats.ranking(stats.summary(trials))
    assert ranked["label"].tolist() == ["batch 256", "batch 128"]
    assert ranked[["failed", "told", "finished"]].values.tolist() == [[0, 0, 2], [0, 0, 2]]
    summary = answers(frame)["Which settings give good images?"].summary()
    assert summary.startswith(
        "No seed could be judged by its numbers, so no config is known to fail less than another; by FID alone "
        "batch 256 comes first: FID 105 "
    )
    assert "over its finished seeds" in summary and "0 of 2" not in sentences(frame)
    assert "batch 128: none of 2 finished seeds could be judged, FID 205 " in sentences(frame)


def test_lr_scaling_is_one_more_config_dimension():
    frame = crafted(
        {
            (128, "constant", "none"): [Seed(100.0 + seed) for seed in range(3)],
            (1024, "constant", "none"): [Seed(300.0 + seed) for seed in range(3)],
            (128, "constant", "linear"): [Seed(110.0 + seed) for seed in range(3)],
            (1024, "constant", "linear"): [Seed(150.0 + seed) for seed in range(3)],
        }
    )
    # A label names only the settings that vary (the schedule does not).
    assert config_columns(frame) == ["batch_size", "lr_scaling"]
    # lr_scaling at batch 128 multiplies the LR by 1: those configs ran the same runs (twins), so they are one config,
    # shown once and kept by its unscaled trials (which the crafted table gives other FIDs than a real run would).
    ranked = study_of(frame).ranked
    assert ranked["label"].tolist()[0] == "batch 128 · lr_scaling none = linear"
    assert len(ranked) == 3
    # Batch sizes compared within each scaling, against the one batch-128 config: x3 unscaled, x1.5 with linear.
    for scaling, large in (("none", 300.0), ("linear", 150.0)):
        found = comparison(frame, compared.EQUAL_EPOCHS, f"lr_scaling {scaling}")
        expected = welch_on_logs([large + seed for seed in range(3)], [100.0 + seed for seed in range(3)])
        assert (found.effect.value, found.effect.low, found.effect.high) == pytest.approx(expected[:3])
        assert found.conclusion == compared.WORSE
