"""Estimates over seeds and comparisons between two configs, each kept inside its metric's range.

A sweep has a few seeds per config, and a GAN's seeds can differ by an order of magnitude (one
collapsed seed's FID of 1,250 beside 160 and 200), so the arithmetic is chosen per metric:

- **FID** is positive and, over seeds that include a collapse, heavily right-skewed: it is
  estimated on the log scale, as a geometric mean with the Student-t interval of the mean log,
  and two configs are compared as a ratio of geometric means with Welch's interval of the
  difference of mean logs. Neither can leave (0, ∞).
- Every other number is estimated by its mean with a Student-t interval, and compared by the
  difference of means with Welch's interval (unequal variances, Welch-Satterthwaite degrees of
  freedom); each bound is then clipped to the metric's range (:func:`metric_range`: [0, 1] for a
  share, precision or coverage; [1, K] for the IS of a network of K classes), which a t-interval
  on a few bounded values can overshoot.
- How many seeds of two configs ended stable is compared as a difference of shares with
  Newcombe's interval (from the two Wilson score intervals, inside [-1, 1]) and Fisher's exact
  test, which is what decides: at 3 seeds against 3 no split can reach p < 0.1.

Every comparison carries its two-sided p-value (Welch's t-test on the same scale, or Fisher's);
the findings adjust the p-values of each question's comparisons together with Holm's method
(:func:`holm`), and only an adjusted p below 1 − :data:`CONFIDENCE` decides. One seed has no spread
to measure, and two sides with no spread at all (1, 1, 1 against 2, 2, 2 classes) give no test:
neither decides anything.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import stats
from statsmodels.stats.multitest import multipletests

from trainables.config import CLASSIFIER
from trainables.metric_keys import METRICS, value_range

CONFIDENCE = 0.95
ALPHA = 1 - CONFIDENCE
# Estimated as geometric means and compared as ratios (from the metric registry, as each metric's range is).
LOG_SCALE = frozenset(metric.key for metric in METRICS if metric.log_scale)
METHOD = (
    f"{CONFIDENCE:.0%} intervals over seeds. FID: geometric mean with the Student-t interval of the mean log FID; "
    "two configs compared as the ratio of their geometric means, with Welch's interval on the log scale (a set "
    "holding a FID of 0 is taken on the plain scale instead). Every other "
    "metric: mean with its Student-t interval, compared by the difference of means with Welch's interval, each bound "
    "clipped to the metric's range. Shares of stable seeds: Wilson score intervals, compared by the difference of "
    "shares with Newcombe's interval and Fisher's exact test. Within each question the comparisons' p-values are "
    f"adjusted together by Holm's method, and a difference is called only when its adjusted p is below {ALPHA:.2g}. "
    "n is the number of seeds with a value; with 5 or fewer the seeds' own values are printed. One seed, or no "
    "spread on either side, decides nothing."
)

# Why a comparison has no test; "" when it has one.
ONE_SEED, NO_VALUES, NO_SPREAD = "one seed", "no values", "no spread"


def metric_range(metric: str, extractor: str = CLASSIFIER) -> tuple[float, float]:
    """What ``metric`` can take in ``extractor``'s features (trainables.metric_keys.value_range)."""
    return value_range(metric, extractor)


def _finite(values: Sequence[float]) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    return array[np.isfinite(array)]


def _log_scale(metric: str, *sides: np.ndarray) -> bool:
    """Whether ``metric`` is taken on the log scale for these values: a log-scale metric whose values are all positive
    (a FID of 0, a perfect match up to rounding, leaves that set on the plain scale, clipped at 0)."""
    return metric in LOG_SCALE and all(bool((side > 0).all()) for side in sides)


def _clip(value: float, low: float, high: float) -> float:
    return float(min(max(value, low), high)) if math.isfinite(value) else value


@dataclass(frozen=True)
class Estimate:
    """A config's ``metric`` over its seeds: the mean (the geometric mean on the log scale) with its interval, inside
    the metric's range, and the per-seed values it rests on (NaN bounds with fewer than 2 values)."""

    metric: str
    center: float
    low: float
    high: float
    values: tuple[float, ...]
    geometric: bool = False  # on the log scale: the centre is the geometric mean

    @property
    def n(self) -> int:
        return len(self.values)


def estimate(values: Sequence[float], metric: str, extractor: str = CLASSIFIER) -> Estimate:
    """``metric``'s estimate over the finite ``values``, scored in ``extractor``'s features."""
    array = _finite(values)
    kept = tuple(float(value) for value in array)
    if len(array) == 0:
        return Estimate(metric, math.nan, math.nan, math.nan, kept)
    geometric = _log_scale(metric, array)
    scaled = np.log(array) if geometric else array
    center = float(scaled.mean())
    low = high = math.nan
    if len(array) > 1:
        spread = float(scaled.std(ddof=1))
        low, high = (
            (center, center)
            if spread == 0
            else stats.t.interval(CONFIDENCE, df=len(array) - 1, loc=center, scale=spread / math.sqrt(len(array)))
        )
    if geometric:
        return Estimate(metric, math.exp(center), math.exp(low), math.exp(high), kept, geometric=True)
    floor, ceiling = metric_range(metric, extractor)
    return Estimate(metric, center, _clip(float(low), floor, ceiling), _clip(float(high), floor, ceiling), kept)


@dataclass(frozen=True)
class Effect:
    """a against b: ``value`` is a − b, or a ÷ b when ``ratio``, with its interval and the two-sided p-value of the
    test that they do not differ (NaN with ``no_test`` saying why: ONE_SEED, NO_VALUES or NO_SPREAD)."""

    value: float
    low: float
    high: float
    p_value: float
    ratio: bool
    n_a: int
    n_b: int
    no_test: str = ""


def on_test_scale(a: Sequence[float], b: Sequence[float], metric: str) -> tuple[np.ndarray, np.ndarray, bool]:
    """Two sides' finite values on the scale their comparison tests them on (the log of a log-scale metric's), and
    whether that is the log scale."""
    a, b = _finite(a), _finite(b)
    ratio = _log_scale(metric, a, b)
    return (np.log(a), np.log(b), True) if ratio else (a, b, False)


def difference(a: Sequence[float], b: Sequence[float], metric: str, extractor: str = CLASSIFIER) -> Effect:
    """``metric`` of seeds ``a`` against seeds ``b``: the ratio of geometric means on the log scale, else the difference
    of means (its interval clipped to what two values in the metric's range can differ by), with Welch's test."""
    a_scaled, b_scaled, ratio = on_test_scale(a, b, metric)
    n_a, n_b = len(a_scaled), len(b_scaled)
    if min(n_a, n_b) == 0:
        return Effect(math.nan, math.nan, math.nan, math.nan, ratio, n_a, n_b, NO_VALUES)
    shift = float(a_scaled.mean() - b_scaled.mean())
    low = high = p_value = math.nan
    no_test = ""
    if min(n_a, n_b) < 2:
        no_test = ONE_SEED
    elif a_scaled.std(ddof=1) == 0 and b_scaled.std(ddof=1) == 0:
        no_test = NO_SPREAD
    else:
        with warnings.catch_warnings():  # a side whose seeds agree exactly has variance 0, which Welch's test handles
            warnings.filterwarnings("ignore", "Precision loss occurred", RuntimeWarning)
            test = stats.ttest_ind(a_scaled, b_scaled, equal_var=False)
        interval = test.confidence_interval(CONFIDENCE)
        low, high, p_value = float(interval.low), float(interval.high), float(test.pvalue)
    if ratio:
        return Effect(math.exp(shift), math.exp(low), math.exp(high), p_value, True, n_a, n_b, no_test)
    floor, ceiling = metric_range(metric, extractor)
    width = ceiling - floor
    return Effect(shift, _clip(low, -width, width), _clip(high, -width, width), p_value, False, n_a, n_b, no_test)


def wilson_interval(successes: int, n: int) -> tuple[float, float]:
    """The Wilson score interval of the share ``successes / n`` (scipy's); NaN for n = 0."""
    if n == 0:
        return math.nan, math.nan
    interval = stats.binomtest(successes, n).proportion_ci(CONFIDENCE, method="wilson")
    return float(interval.low), float(interval.high)


def share_difference(successes_a: int, n_a: int, successes_b: int, n_b: int) -> Effect:
    """successes_a/n_a − successes_b/n_b with Newcombe's hybrid score interval (his method 10, 1998) and Fisher's
    exact test of the 2×2 table."""
    if min(n_a, n_b) == 0:
        return Effect(math.nan, math.nan, math.nan, math.nan, False, n_a, n_b, NO_VALUES)
    share_a, share_b = successes_a / n_a, successes_b / n_b
    value = share_a - share_b
    if min(n_a, n_b) < 2:
        return Effect(value, math.nan, math.nan, math.nan, False, n_a, n_b, ONE_SEED)
    (low_a, high_a), (low_b, high_b) = wilson_interval(successes_a, n_a), wilson_interval(successes_b, n_b)
    low = value - math.hypot(share_a - low_a, high_b - share_b)
    high = value + math.hypot(high_a - share_a, share_b - low_b)
    p_value = float(stats.fisher_exact([[successes_a, n_a - successes_a], [successes_b, n_b - successes_b]]).pvalue)
    return Effect(value, low, high, p_value, False, n_a, n_b)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment of a family of p-values (statsmodels'); NaN entries (no test) are left out of the
    family and stay NaN."""
    tested = [index for index, p_value in enumerate(p_values) if math.isfinite(p_value)]
    adjusted = [math.nan] * len(p_values)
    if tested:
        corrected = multipletests([p_values[index] for index in tested], alpha=ALPHA, method="holm")[1]
        for index, value in zip(tested, corrected):
            adjusted[index] = float(value)
    return adjusted
