"""Per-trial rows, per-config summaries and the ranking (analysis.stats) on crafted tables whose answer is known."""

from __future__ import annotations

import pytest

from analysis import findings, outcomes, stats
from tests.crafted import Seed, comparison, crafted, sentences
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
    # 256: 1 of 3 failed; 512: 2 of 3; 1024: the best FID, but one finished seed; 128: none finished.
    assert ranked["label"].tolist() == [
        "batch 256 · constant",
        "batch 512 · constant",
        "batch 1024 · constant",
        "batch 128 · constant",
    ]
    assert ranked[["failed", "finished"]].values.tolist() == [[1, 3], [2, 3], [0, 1], [0, 0]]
    # The running seed's FID (40, at epoch 2) is not batch 1024's estimate.
    assert ranked.set_index("label").loc["batch 1024 · constant", "fid"].values == (50.0,)


def test_lr_scaling_is_one_more_config_dimension():
    frame = crafted(
        {
            (128, "constant", "none"): [Seed(100.0 + seed) for seed in range(3)],
            (1024, "constant", "none"): [Seed(300.0 + seed) for seed in range(3)],
            (128, "constant", "linear"): [Seed(110.0 + seed) for seed in range(3)],
            (1024, "constant", "linear"): [Seed(150.0 + seed) for seed in range(3)],
        }
    )
    assert stats.config_columns(frame) == ["batch_size", "schedule", "lr_scaling"]
    ranked = stats.ranking(stats.summary(stats.per_trial(frame)))
    assert ranked["label"].tolist()[:2] == [
        "batch 128 · constant · lr_scaling none",
        "batch 128 · constant · lr_scaling linear",
    ]
    # Batch sizes compared within each scaling: x3 unscaled, x1.36 with linear scaling.
    for scaling, large, small in (("none", 300.0, 100.0), ("linear", 150.0, 110.0)):
        found = comparison(frame, findings.EQUAL_EPOCHS, f"constant LR · lr_scaling {scaling}")
        expected = welch_on_logs([large + seed for seed in range(3)], [small + seed for seed in range(3)])
        assert (found.effect.value, found.effect.low, found.effect.high) == pytest.approx(expected[:3])
        assert found.conclusion == findings.WORSE
