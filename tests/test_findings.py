"""The answers as records (analysis.findings): comparisons, schedule effects, notes, on crafted tables."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest

from analysis import findings, intervals, stats, wording
from analysis.power import seeds_for_difference
from tests.crafted import Seed, comparison, crafted, crafted_config, records, schedules_at_batch_1024, sentences
from tests.helpers import lrs_per_epoch, shown
from tests.reference_stats import geometric, welch_on_logs
from trainables.metric_keys import RANKABLE


def test_a_config_worse_on_every_seed_is_worse_by_a_ratio_of_geometric_means():
    small, large = [100.0, 110.0, 105.0], [300.0, 320.0, 310.0]
    frame = crafted({(128, "constant"): [Seed(f) for f in small], (1024, "constant"): [Seed(f) for f in large]})
    ratio, low, high, p = welch_on_logs(large, small)
    found = comparison(frame, findings.EQUAL_EPOCHS, "constant LR")
    assert found.a.values == tuple(large) and found.b.values == tuple(small) and found.a.epochs == (6, 6, 6)
    assert (found.effect.value, found.effect.low, found.effect.high, found.effect.p_value) == pytest.approx(
        (ratio, low, high, p)
    )
    # Two comparisons answer the images question (best against runner-up, equal epochs; equal updates is not
    # comparable): Holm doubles the smaller p, and the larger takes the max of that and its own.
    assert found.family == 2 and found.p_adjusted == pytest.approx(2 * p)
    assert found.conclusion == findings.WORSE
    assert (
        f"At equal epochs (epoch 6) at constant LR, fid, batch 1024 vs batch 128: 310 [{shown(geometric(large)[1])}, "
        f"{shown(geometric(large)[2])}] (n=3: 300, 320, 310) vs" in sentences(frame)
    )
    ranked = stats.ranking(stats.summary(stats.per_trial(frame)))
    assert ranked["label"].tolist() == ["batch 128 · constant", "batch 1024 · constant"]
    estimated = ranked["fid"].iloc[0]
    assert (estimated.center, estimated.low, estimated.high, estimated.n) == pytest.approx((*geometric(small), 3))


def test_overlapping_seeds_are_no_conclusion():
    frame = crafted(
        {
            (128, "constant"): [Seed(f) for f in (100, 150, 125)],
            (128, "warmup_cosine"): [Seed(f) for f in (110, 140, 130)],
        }
    )
    found = comparison(frame, findings.FINAL, "batch 128", findings.SCHEDULES)
    _, low, high, _ = welch_on_logs([110, 140, 130], [100, 150, 125])
    assert low < 1 < high and found.conclusion == findings.NO_CONCLUSION
    assert "within seed-to-seed spread, no conclusion." in wording.comparison_text(found)
    # How many seeds would decide it, at the family's level over its comparisons; far too many here.
    assert found.seeds_needed == seeds_for_difference(
        found.a.values, found.b.values, "fid", intervals.ALPHA / found.family
    )
    assert found.seeds_needed.seeds is None
    assert wording.comparison_text(found).endswith(wording.seeds_needed_text(found.seeds_needed))


def test_one_seed_decides_nothing():
    frame = crafted({(128, "constant"): [Seed(100.0)], (128, "warmup_cosine"): [Seed(300.0, classes=(2,) * 6)]})
    table = stats.summary(stats.per_trial(frame))
    assert set(zip(table["verdict"], table["verdict_why"])) == {(stats.UNDECIDED, stats.ONE_SEED_WHY)}
    found = comparison(frame, findings.FINAL, "batch 128", findings.SCHEDULES)
    assert found.conclusion == intervals.ONE_SEED
    assert "warmup_cosine vs constant: 300 (n=1) vs 100 (n=1), ratio ×3: one seed cannot decide." in sentences(frame)


def test_batch_sizes_compared_at_the_latest_equal_updates():
    """Batch 1024 takes 58 updates an epoch, batch 256 234: batch 1024's epoch 4 (232) meets batch 256's epoch 1
    (234), within 10 %; its epochs 5 (290) and 6 (348) meet nothing of batch 256 that close."""
    small = [
        Seed(0, fid_path=tuple(100.0 + 10 * seed + 50 * (6 - epoch) for epoch in range(1, 7))) for seed in range(3)
    ]
    large = [Seed(300.0 + 10 * seed) for seed in range(3)]
    frame = crafted({(256, "constant"): small, (1024, "constant"): large})
    found = comparison(frame, findings.EQUAL_UPDATES, "constant LR")
    assert (found.a.epochs, found.a.updates) == ((4,) * 3, (232,) * 3)
    assert (found.b.epochs, found.b.updates) == ((1,) * 3, (234,) * 3)
    assert found.a.values == tuple(300.0 + 10 * seed for seed in range(3))  # epoch 4 is on the flat stretch
    assert found.b.values == tuple(100.0 + 10 * seed + 250 for seed in range(3))
    assert not found.lrs_differ
    text = wording.comparison_text(found)
    assert text.startswith(
        "At equal generator updates (batch 1024: 232 at epoch 4; batch 256: 234 at epoch 1) at constant LR, fid"
    )
    # Batch 128 takes 468 an epoch: nothing of batch 1024's (at most 348) is within 10 % of it.
    frame = crafted({(128, "constant"): small, (1024, "constant"): large})
    (missed,) = records(frame, findings.NotComparable)
    assert (missed.a_updates, missed.b_updates) == (348, 468)


def test_equal_updates_at_different_lrs_say_so():
    frame = crafted(
        {(256, "warmup_cosine"): [Seed(100.0 + seed) for seed in range(2)], (1024, "warmup_cosine"): [Seed(300.0)] * 2}
    )
    found = comparison(frame, findings.EQUAL_UPDATES, "warmup_cosine LR")
    lrs = lrs_per_epoch(crafted_config((1024, "warmup_cosine"), 0))
    assert found.lrs_differ and found.a.lrs == (lrs[3],) * 2 and found.b.lrs == (lrs[0],) * 2
    assert "The two ran at different generator LRs at those updates" in wording.comparison_text(found)


def test_a_schedule_fixes_an_unstable_baseline_only_when_its_stable_seeds_are_beyond_chance():
    collapsed = (10, 9, 3, 2, 2, 2)
    frame = crafted(
        {
            **schedules_at_batch_1024(),
            (128, "constant"): [Seed(300.0, classes=collapsed), Seed(310.0), Seed(320.0, classes=collapsed)],
            (128, "warmup_cosine"): [Seed(200.0 + seed) for seed in range(3)],
        }
    )
    effects = {(record.context, record.schedule): record for record in records(frame, findings.ScheduleEffect)}
    # step's LR (x0.1 every 20 epochs) never left constant LR's in 6 epochs: not judged.
    assert effects["batch 1024", "step"].effect == findings.DID_NOT_ACT
    # 6 of 6 stable against 0 of 6: Fisher's p = 2 / C(12, 6), adjusted with the other comparisons, still decides.
    shares = comparison(frame, findings.SEEDS_STABLE, "batch 1024", findings.SCHEDULES)
    assert shares.effect.p_value == pytest.approx(2 / math.comb(12, 6)) and shares.conclusion == findings.BETTER
    assert effects["batch 1024", "warmup_cosine"].effect == findings.FIXES
    # 3 of 3 against 1 of 3 is within what 3 seeds can show by chance.
    assert (
        comparison(frame, findings.SEEDS_STABLE, "batch 128", findings.SCHEDULES).conclusion == findings.NO_CONCLUSION
    )
    assert effects["batch 128", "warmup_cosine"].effect == findings.NOT_SHOWN
    text = sentences(frame)
    assert "batch 1024: step's LR as it ran equals constant LR's at all 6 epochs: the schedule did not act" in text
    assert "batch 1024: with constant LR unstable, with warmup_cosine stable: so warmup_cosine fixes it." in text
    # The batch sizes' stable seeds are compared the same way, in the stability question's own family.
    found = comparison(frame, findings.SEEDS_STABLE, "constant LR", findings.STABILITY)
    assert (found.a.values, found.b.values) == ((0.0,) * 6, (0.0, 1.0, 0.0))
    assert found.conclusion == findings.NO_CONCLUSION


def test_a_single_seed_baseline_leaves_the_schedule_question_open():
    frame = crafted(
        {(128, "constant"): [Seed(300.0, classes=(10, 9, 3, 2, 2, 2))], (128, "warmup_cosine"): [Seed(200.0)]}
    )
    (effect,) = records(frame, findings.ScheduleEffect)
    assert (effect.baseline_verdict, effect.effect) == (stats.UNDECIDED, findings.STILL_UNDECIDED)
    (note,) = records(frame, findings.Note, findings.SCHEDULES)
    assert (note.kind, note.count) == (findings.UNDECIDED_BASELINES, 1)
    assert "there is no instability for a schedule to fix" not in sentences(frame)


def test_diverged_seeds_are_compared_at_their_stop_and_do_not_move_the_common_epoch():
    # Batch 128's seed 2 diverged at epoch 3 (FID 900 there); batch 1024's seed 0 at epoch 2 (FID 800).
    small = [Seed(100.0), Seed(110.0), Seed(0, classes=(10,) * 3, status="DIVERGED", fid_path=(950, 920, 900))]
    large = [Seed(0, classes=(10,) * 2, status="DIVERGED", fid_path=(820, 800)), Seed(300.0), Seed(310.0)]
    frame = crafted({(128, "constant"): small, (1024, "constant"): large})
    found = comparison(frame, findings.EQUAL_EPOCHS, "constant LR")
    assert (found.a.values, found.a.epochs) == ((800.0, 300.0, 310.0), (2, 6, 6))
    assert (found.b.values, found.b.epochs) == ((100.0, 110.0, 900.0), (6, 6, 3))
    assert found.effect.value == pytest.approx(welch_on_logs([800, 300, 310], [100, 110, 900])[0])
    assert "At equal epochs (epoch 6; seeds that stopped earlier at their last evaluation, epoch 2, 3)" in (
        wording.comparison_text(found)
    )
    trials = stats.per_trial(frame).set_index("trial_id")
    assert trials.loc["1024_constant_none_100_0", "outcome_detail"] == "discriminator collapse: …"


def test_a_side_without_values_is_no_values_not_one_seed():
    frame = crafted({(128, "constant"): [Seed(100.0), Seed(110.0)], (1024, "constant"): [Seed(300.0), Seed(310.0)]})
    frame.loc[frame["batch_size"] == 1024, "fid"] = np.nan  # batch 1024 never scored
    assert comparison(frame, findings.EQUAL_EPOCHS, "constant LR").conclusion == intervals.NO_VALUES
    assert "no seed to compare on one side." in sentences(frame)


def test_no_spread_on_either_side_is_no_conclusion():
    frame = crafted(
        {(128, "constant", "none", latent): [Seed(100.0 if latent == 128 else 200.0)] * 3 for latent in (128, 256)}
    )
    found = comparison(frame, findings.FINAL, "batch 128 · constant LR")
    assert found.effect.no_test == intervals.NO_SPREAD and found.conclusion == intervals.NO_SPREAD


def test_a_swept_setting_without_quality_measured_is_not_compared_by_quality():
    """eval_every 0: no quality columns; the answers say quality was not measured instead of failing on them."""
    frame = crafted({(128, "constant", "none", latent): [Seed(100.0)] * 2 for latent in (128, 256)})
    unmeasured = frame.drop(columns=list(RANKABLE))
    text = " ".join(
        sentence for section in wording.render(findings.findings(unmeasured)).values() for sentence in section
    )
    assert "measured no image quality" in text and "latent_dim 256 vs" not in text
    plt.close("all")
