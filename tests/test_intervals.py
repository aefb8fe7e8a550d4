"""analysis.intervals against the textbook formulas, computed here by hand (scipy only for the t and normal quantiles
and tails): FID on the log scale, bounded metrics clipped to their range, Newcombe's interval with Fisher's exact test,
and Holm's adjustment."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from analysis.intervals import (
    LOG_SCALE,
    NO_SPREAD,
    NO_VALUES,
    ONE_SEED,
    Effect,
    Estimate,
    difference,
    estimate,
    holm,
    metric_range,
    share_difference,
    wilson_interval,
)
from tests.reference_stats import fisher_two_sided, t_interval, welch, wilson
from trainables.config import INCEPTION
from trainables.metric_keys import METRICS

COLLAPSED_FID = (1251.0, 164.0, 201.0)  # one collapsed seed beside two healthy ones


def test_fid_is_estimated_on_the_log_scale_as_a_geometric_mean():
    logs = [math.log(value) for value in COLLAPSED_FID]
    center, low, high = t_interval(logs)
    result = estimate(COLLAPSED_FID, "fid")
    assert isinstance(result, Estimate) and result.geometric and "fid" in LOG_SCALE
    assert result.center == pytest.approx(math.prod(COLLAPSED_FID) ** (1 / 3), rel=1e-12)  # the geometric mean
    assert (result.center, result.low, result.high) == pytest.approx((math.exp(center), math.exp(low), math.exp(high)))
    assert 0 < result.low < min(COLLAPSED_FID) and result.high > max(COLLAPSED_FID)
    assert result.values == COLLAPSED_FID and result.n == 3
    # What it avoids: the plain t-interval of these FIDs reaches below zero, which no FID can.
    assert t_interval(COLLAPSED_FID)[1] < 0


def test_fid_difference_is_a_ratio_with_welchs_interval_of_the_mean_logs():
    a, b = COLLAPSED_FID, (120.0, 150.0, 135.0, 160.0)
    shift, low, high, p_value = welch([math.log(v) for v in a], [math.log(v) for v in b])
    effect = difference(a, b, "fid")
    assert isinstance(effect, Effect) and effect.ratio and effect.no_test == ""
    assert (effect.n_a, effect.n_b) == (3, 4)
    geometric_a, geometric_b = math.prod(a) ** (1 / len(a)), math.prod(b) ** (1 / len(b))
    assert effect.value == pytest.approx(geometric_a / geometric_b, rel=1e-12)
    assert (effect.value, effect.low, effect.high) == pytest.approx((math.exp(shift), math.exp(low), math.exp(high)))
    assert effect.p_value == pytest.approx(p_value, rel=1e-9)
    assert 0 < effect.low < 1 < effect.high and effect.p_value > 0.05  # one collapse among three: not decided


def test_a_fid_of_zero_leaves_its_set_on_the_plain_scale_clipped_at_zero():
    # A perfect match, rounded to 0, has no log: that set is estimated by its mean, its interval clipped at 0.
    values = (0.0, 2.0, 10.0)
    center, low, high = t_interval(values)
    result = estimate(values, "fid")
    assert not result.geometric and result.center == pytest.approx(center) and low < 0
    assert (result.low, result.high) == (0.0, pytest.approx(high))
    effect = difference(values, (5.0, 6.0), "fid")
    assert not effect.ratio and effect.value == pytest.approx(center - 5.5)


def test_a_bounded_metrics_interval_is_clipped_to_its_range():
    values = (0.99, 0.5, 0.98)
    center, low, high = t_interval(values)
    assert high > 1 and 0 < low  # the t-interval overshoots a precision's range
    result = estimate(values, "precision")
    assert metric_range("precision") == (0.0, 1.0) and not result.geometric
    assert result.center == pytest.approx(sum(values) / 3, rel=1e-12)  # the plain mean
    assert result.low == pytest.approx(low) and result.high == 1.0


def test_a_difference_of_bounded_metrics_stays_within_what_two_values_can_differ_by():
    a, b = (0.99, 0.5, 0.98), (0.01, 0.5, 0.02)
    shift, low, high, p_value = welch(a, b)
    assert high > 1 > low > 0
    effect = difference(a, b, "precision")
    assert not effect.ratio and effect.value == pytest.approx(shift)
    assert effect.low == pytest.approx(low) and effect.high == 1.0
    assert effect.p_value == pytest.approx(p_value, rel=1e-9)  # the test itself is not clipped
    # Both ends overshoot (±3.04 by hand) and are clipped to [-1, 1].
    shift, low, high, p_value = welch((1.0, 0.0), (0.0, 1.0))
    assert low < -1 and high > 1
    effect = difference((1.0, 0.0), (0.0, 1.0), "coverage")
    assert (effect.value, effect.low, effect.high) == (0.0, -1.0, 1.0) and effect.p_value == pytest.approx(1.0)


def _draw(rng: np.random.Generator, metric: str, n: int) -> np.ndarray:
    if metric == "fid":
        if rng.random() < 0.3:  # one collapsed seed among healthy ones
            return np.concatenate([rng.uniform(1000, 2000, 1), rng.uniform(100, 300, n - 1)])
        return np.exp(rng.uniform(0, math.log(2000), n))
    low, high = metric_range(metric)
    if math.isinf(low):  # a metric of any sign (a corrected variance): a finite stretch around 0
        low = -5.0
    if math.isinf(high):  # a non-negative metric (a loss): a finite stretch of its range
        high = low + 10
    if metric == "classes_covered" and rng.random() < 0.5:  # whole classes, often the same on every seed
        return rng.integers(int(low), int(high) + 1, n).astype(float)
    return rng.uniform(low, high, n)


@pytest.mark.parametrize("metric", [*(metric.key for metric in METRICS), "fid", "d_loss"])
def test_every_estimate_and_difference_stays_inside_the_metrics_range(metric):
    rng = np.random.default_rng(0)
    floor, ceiling = metric_range(metric)
    width = ceiling - floor
    for _ in range(500):
        a, b = (_draw(rng, metric, int(rng.integers(2, 7))) for _ in range(2))
        for values in (a, b):
            result = estimate(values, metric)
            assert floor <= result.low <= result.center <= result.high <= ceiling, (values, result)
            if metric in LOG_SCALE:
                assert result.low > 0, (values, result)
        effect = difference(a, b, metric)
        if effect.no_test:  # no spread on either side: no interval
            assert effect.no_test == NO_SPREAD and math.isnan(effect.low) and math.isnan(effect.p_value)
            continue
        assert effect.low <= effect.value <= effect.high and 0 <= effect.p_value <= 1, (a, b, effect)
        if effect.ratio:
            assert effect.low > 0 and math.isfinite(effect.high), (a, b, effect)
        elif math.isfinite(width):
            assert -width <= effect.low and effect.high <= width, (a, b, effect)
        else:  # an unbounded metric: nothing to clip to, but the interval is finite
            assert math.isfinite(effect.low) and math.isfinite(effect.high), (a, b, effect)


def test_comparisons_without_a_test_say_why():
    flat = difference((1, 1, 1), (2, 2, 2), "classes_covered")
    assert flat.no_test == NO_SPREAD and flat.value == -1 and math.isnan(flat.p_value) and math.isnan(flat.low)
    one = difference((0.5,), (0.4, 0.6), "precision")
    assert one.no_test == ONE_SEED and one.value == pytest.approx(0.0) and math.isnan(one.p_value)
    assert difference((300.0,), COLLAPSED_FID, "fid").no_test == ONE_SEED
    empty = difference((), (0.4, 0.6), "precision")
    assert empty.no_test == NO_VALUES and math.isnan(empty.value) and (empty.n_a, empty.n_b) == (0, 2)
    # Non-finite values (a seed never evaluated) are not seeds.
    assert difference((math.nan, math.nan), (0.4, 0.6), "precision").no_test == NO_VALUES
    assert difference((0.5, math.nan), (0.4, 0.6), "precision").no_test == ONE_SEED
    single = estimate((0.7, math.nan), "precision")
    assert single.center == 0.7 and math.isnan(single.low) and math.isnan(single.high) and single.n == 1
    assert math.isnan(estimate((), "fid").center) and estimate((), "fid").n == 0
    flat_estimate = estimate((3, 3, 3), "classes_covered")  # no spread: the interval is the value itself
    assert (flat_estimate.center, flat_estimate.low, flat_estimate.high) == (3, 3, 3)


@pytest.mark.parametrize(("successes", "n"), [(0, 3), (3, 3), (2, 5), (4, 4), (1, 7)])
def test_wilson_interval_is_the_closed_form(successes, n):
    assert wilson_interval(successes, n) == pytest.approx(wilson(successes, n), abs=1e-12)


@pytest.mark.parametrize(
    ("table", "fisher"),
    [((3, 3, 0, 3), Fraction(2, 20)), ((2, 5, 4, 4), Fraction(21, 126)), ((1, 4, 3, 6), None)],
)
def test_share_difference_is_newcombes_interval_with_fishers_exact_test(table, fisher):
    successes_a, n_a, successes_b, n_b = table
    share_a, share_b = successes_a / n_a, successes_b / n_b
    (low_a, high_a), (low_b, high_b) = wilson(successes_a, n_a), wilson(successes_b, n_b)
    low = share_a - share_b - math.sqrt((share_a - low_a) ** 2 + (high_b - share_b) ** 2)
    high = share_a - share_b + math.sqrt((high_a - share_a) ** 2 + (share_b - low_b) ** 2)
    effect = share_difference(*table)
    assert not effect.ratio and effect.no_test == "" and (effect.n_a, effect.n_b) == (n_a, n_b)
    assert (effect.value, effect.low, effect.high) == pytest.approx((share_a - share_b, low, high), abs=1e-12)
    assert -1 <= effect.low <= effect.value <= effect.high <= 1
    by_hand = fisher_two_sided(*table)
    assert fisher is None or by_hand == fisher  # the hand count: 2 of C(6,3) = 20 tables for 3/3 vs 0/3
    assert effect.p_value == pytest.approx(float(by_hand), rel=1e-9)


def test_share_difference_on_newcombes_published_example():
    # Newcombe (1998), Statistics in Medicine 17:873, Table II, example (a): 56/70 − 48/80, method 10.
    published = share_difference(56, 70, 48, 80)
    assert (published.value, round(published.low, 4), round(published.high, 4)) == (pytest.approx(0.2), 0.0524, 0.3339)


def test_share_difference_without_a_test():
    assert share_difference(0, 0, 2, 3).no_test == NO_VALUES and math.isnan(share_difference(0, 0, 2, 3).value)
    one = share_difference(1, 1, 1, 3)
    assert one.no_test == ONE_SEED and one.value == pytest.approx(2 / 3) and math.isnan(one.p_value)


def test_holm_on_wikipedias_example():
    # Wikipedia, "Holm–Bonferroni method", example: H1 and H4 are rejected at α = 0.05, H2 and H3 are not.
    adjusted = holm([0.01, 0.04, 0.03, 0.005])
    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02], abs=1e-12)
    assert [p < 0.05 for p in adjusted] == [True, False, False, True]


def test_holm_leaves_untested_comparisons_out_of_the_family():
    adjusted = holm([0.01, math.nan, 0.04])
    assert adjusted[0] == pytest.approx(0.02) and math.isnan(adjusted[1]) and adjusted[2] == pytest.approx(0.04)
    assert holm([]) == [] and all(math.isnan(p) for p in holm([math.nan, math.nan]))
    assert holm([0.3, 0.9]) == pytest.approx([0.6, 0.9]) and holm([0.6, 0.9]) == [1.0, 1.0]  # monotone, capped at 1


def test_the_inception_scores_ceiling_is_the_classes_of_the_network_that_scored_it():
    """IS is exp of a KL bounded by log K for K classes: 10 for a shipped classifier, 1008 for Inception."""
    assert metric_range("is_score") == (1.0, 10.0) and metric_range("is_score", INCEPTION) == (1.0, 1008.0)
    spread = [9.2, 9.9, 9.95]  # a t-interval that would overshoot 10
    center = sum(spread) / 3
    assert estimate(spread, "is_score").high == 10.0
    assert estimate(spread, "is_score", INCEPTION).high == pytest.approx(t_interval(spread)[2])
    assert estimate(spread, "is_score", INCEPTION).high > 10 > center
    assert metric_range("precision", INCEPTION) == metric_range("precision") == (0.0, 1.0)
