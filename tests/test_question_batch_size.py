"""Which batch sizes train stably? (analysis.questions.batch_size): batch sizes compared at equal epochs and equal
updates, on crafted tables."""

from __future__ import annotations

import numpy as np
import pytest

from analysis import intervals, stats
from analysis.questions import comparison as compared
from analysis.questions.batch_size import NotComparable
from analysis.questions.comparison import comparison_text
from tests.crafted import Seed, comparison, crafted, crafted_config, records, sentences
from tests.helpers import lrs_per_epoch, shown
from tests.reference_stats import geometric, welch_on_logs

QUESTION = "Which batch sizes train stably?"


def test_a_config_worse_on_every_seed_is_worse_by_a_ratio_of_geometric_means():
    small, large = [100.0, 110.0, 105.0], [300.0, 320.0, 310.0]
    frame = crafted({(128, "constant"): [Seed(f) for f in small], (1024, "constant"): [Seed(f) for f in large]})
    ratio, low, high, p = welch_on_logs(large, small)
    found = comparison(frame, compared.EQUAL_EPOCHS, "")
    assert found.a.values == tuple(large) and found.b.values == tuple(small) and found.a.epochs == (6, 6, 6)
    assert (found.effect.value, found.effect.low, found.effect.high, found.effect.p_value) == pytest.approx(
        (ratio, low, high, p)
    )
    # Two comparisons answer the batch-size question (the stable seeds, 3 of 3 on each side with p = 1, and FID at
    # equal epochs; equal updates is not comparable): Holm doubles the smaller p.
    assert found.family == 2 and found.p_adjusted == pytest.approx(2 * p)
    assert found.conclusion == compared.WORSE
    assert (
        f"At equal epochs (epoch 6), FID, batch 1024 vs batch 128: 310 [{shown(geometric(large)[1])}, "
        f"{shown(geometric(large)[2])}] (n=3: 300, 320, 310) vs" in sentences(frame)
    )
    # Only batch size varies, so it is all a config's label names.
    ranked = stats.ranking(stats.summary(stats.per_trial(frame)))
    assert ranked["label"].tolist() == ["batch 128", "batch 1024"]
    estimated = ranked["fid"].iloc[0]
    assert (estimated.center, estimated.low, estimated.high, estimated.n) == pytest.approx((*geometric(small), 3))


def test_batch_sizes_compared_at_the_latest_equal_updates():
    """Batch 1024 takes 58 updates an epoch, batch 256 234: batch 1024's epoch 4 (232) meets batch 256's epoch 1
    (234), within 10 %; its epochs 5 (290) and 6 (348) meet nothing of batch 256 that close."""
    small = [
        Seed(0, fid_path=tuple(100.0 + 10 * seed + 50 * (6 - epoch) for epoch in range(1, 7))) for seed in range(3)
    ]
    large = [Seed(300.0 + 10 * seed) for seed in range(3)]
    frame = crafted({(256, "constant"): small, (1024, "constant"): large})
    found = comparison(frame, compared.EQUAL_UPDATES, "")
    assert (found.a.epochs, found.a.updates) == ((4,) * 3, (232,) * 3)
    assert (found.b.epochs, found.b.updates) == ((1,) * 3, (234,) * 3)
    assert found.a.values == tuple(300.0 + 10 * seed for seed in range(3))  # epoch 4 is on the flat stretch
    assert found.b.values == tuple(100.0 + 10 * seed + 250 for seed in range(3))
    assert not found.lrs_differ
    text = comparison_text(found)
    assert text.startswith("At equal generator updates (batch 1024: 232 at epoch 4; batch 256: 234 at epoch 1), FID")
    # Batch 128 takes 468 an epoch: nothing of batch 1024's (at most 348) is within 10 % of it.
    frame = crafted({(128, "constant"): small, (1024, "constant"): large})
    (missed,) = records(frame, NotComparable)
    assert (missed.a_updates, missed.b_updates) == (348, 468)


def test_equal_updates_at_different_lrs_say_so():
    frame = crafted(
        {(256, "warmup_cosine"): [Seed(100.0 + seed) for seed in range(2)], (1024, "warmup_cosine"): [Seed(300.0)] * 2}
    )
    found = comparison(frame, compared.EQUAL_UPDATES, "")
    lrs = lrs_per_epoch(crafted_config((1024, "warmup_cosine"), 0))
    assert found.lrs_differ and found.a.lrs == (lrs[3],) * 2 and found.b.lrs == (lrs[0],) * 2
    assert "The two ran at different generator LRs at those updates" in comparison_text(found)


def test_failed_seeds_are_left_out_of_quality_and_counted_in_the_stable_seeds():
    # Item 4 of issue 33 changed this rule: a diverged seed used to take part with its last evaluation; how often a
    # config fails and how good it is when it works are now two answers, so quality is over the seeds that worked.
    small = [Seed(100.0), Seed(110.0), Seed(0, classes=(10,) * 3, status="DIVERGED", fid_path=(950, 920, 900))]
    large = [Seed(0, classes=(10,) * 2, status="DIVERGED", fid_path=(820, 800)), Seed(300.0), Seed(310.0)]
    frame = crafted({(128, "constant"): small, (1024, "constant"): large})
    found = comparison(frame, compared.EQUAL_EPOCHS, "")
    assert (found.a.values, found.a.epochs) == ((300.0, 310.0), (6, 6))
    assert (found.b.values, found.b.epochs) == ((100.0, 110.0), (6, 6))
    assert found.effect.value == pytest.approx(welch_on_logs([300, 310], [100, 110])[0])
    shares = comparison(frame, compared.SEEDS_STABLE, "")
    assert (shares.a.values, shares.b.values) == ((0.0, 1.0, 1.0), (1.0, 1.0, 0.0))
    trials = stats.per_trial(frame).set_index("trial_id")
    assert trials.loc["1024_constant_none_100_0", "outcome_detail"] == "discriminator collapse: …"


def test_a_side_without_values_is_no_values_not_one_seed():
    frame = crafted({(128, "constant"): [Seed(100.0), Seed(110.0)], (1024, "constant"): [Seed(300.0), Seed(310.0)]})
    frame.loc[frame["batch_size"] == 1024, "fid"] = np.nan  # batch 1024 never scored
    assert comparison(frame, compared.EQUAL_EPOCHS, "").conclusion == intervals.NO_VALUES
    assert "no seed to compare on one side." in sentences(frame)
