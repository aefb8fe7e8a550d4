"""Means over seeds with 95 % intervals, and differences between two configs with theirs.

A sweep has a few seeds per config, so every number the report states about a config is a mean with
a Student-t interval (mean ± t·s/√n, from ``scipy.stats``), and every comparison is a difference of
means with Welch's t-interval (unequal variances, Welch-Satterthwaite degrees of freedom). How many
seeds of two configs ended stable is compared as a difference of shares with Newcombe's interval
(from the two shares' Wilson score intervals), which stays inside [-1, 1] and is usable at 3 seeds,
where a normal approximation is not. A difference whose interval covers zero is within
seed-to-seed spread; one seed has no spread to measure, so it decides nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
METHOD = (
    f"{CONFIDENCE:.0%} intervals over seeds: Student-t for a config's mean (mean ± t·s/√n), Welch's t-interval "
    "for the difference between two configs' means, Newcombe's interval (from Wilson score intervals) for the "
    "difference between their shares of stable seeds; n is the number of seeds with a value. With one seed there "
    "is no interval, and no comparison is decided."
)

# Verdicts of a comparison a − b, for a metric where lower (or higher) is better.
BETTER, WORSE, NO_CONCLUSION, ONE_SEED, NO_VALUES = "better", "worse", "no conclusion", "one seed", "no values"


def _finite(values: Sequence[float]) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    return array[np.isfinite(array)]


def number(value: float) -> str:
    """How the report prints a number: 3 significant digits, or whole with thousands separators from 1,000."""
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def signed(value: float) -> str:
    return ("+" if value > 0 else "") + number(value)


@dataclass(frozen=True)
class Estimate:
    """A config's mean over ``n`` seeds with its interval (NaN bounds when n < 2)."""

    mean: float
    low: float
    high: float
    n: int

    def __str__(self) -> str:
        if self.n == 0:
            return "n/a"
        if self.n == 1:
            return f"{number(self.mean)} (n=1)"
        return f"{number(self.mean)} [{number(self.low)}, {number(self.high)}] (n={self.n})"


def mean_interval(values: Sequence[float]) -> Estimate:
    """The mean of the finite ``values`` and its Student-t interval."""
    array = _finite(values)
    n = len(array)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    mean = float(array.mean())
    if n == 1:
        return Estimate(mean, math.nan, math.nan, 1)
    spread = float(array.std(ddof=1))
    if spread == 0:
        return Estimate(mean, mean, mean, n)
    low, high = stats.t.interval(CONFIDENCE, df=n - 1, loc=mean, scale=spread / math.sqrt(n))
    return Estimate(mean, float(low), float(high), n)


@dataclass(frozen=True)
class Difference:
    """mean(a) − mean(b) with Welch's interval; ``verdict`` reads it for a metric's direction."""

    value: float
    low: float
    high: float
    n_a: int
    n_b: int
    higher_is_better: bool

    @property
    def verdict(self) -> str:
        """BETTER or WORSE (for a) when the interval excludes zero; else NO_CONCLUSION; ONE_SEED below 2 seeds,
        NO_VALUES when a side has none."""
        if min(self.n_a, self.n_b) == 0:
            return NO_VALUES
        if min(self.n_a, self.n_b) < 2:
            return ONE_SEED
        if self.low <= 0 <= self.high:
            return NO_CONCLUSION
        return BETTER if (self.value > 0) == self.higher_is_better else WORSE

    def __str__(self) -> str:
        if min(self.n_a, self.n_b) == 0:
            return f"(n={self.n_a} vs {self.n_b})"
        if min(self.n_a, self.n_b) < 2:
            return f"{signed(self.value)} (n={self.n_a} vs {self.n_b})"
        return f"{signed(self.value)} [{signed(self.low)}, {signed(self.high)}] (n={self.n_a} vs {self.n_b})"


def difference(a: Sequence[float], b: Sequence[float], higher_is_better: bool) -> Difference:
    """mean(a) − mean(b) of the finite values, with Welch's t-interval."""
    a, b = _finite(a), _finite(b)
    value = float(a.mean() - b.mean()) if len(a) and len(b) else math.nan
    if min(len(a), len(b)) < 2:
        return Difference(value, math.nan, math.nan, len(a), len(b), higher_is_better)
    if a.std(ddof=1) == 0 and b.std(ddof=1) == 0:  # no spread on either side: the difference is exact
        return Difference(value, value, value, len(a), len(b), higher_is_better)
    interval = stats.ttest_ind(a, b, equal_var=False).confidence_interval(CONFIDENCE)
    return Difference(value, float(interval.low), float(interval.high), len(a), len(b), higher_is_better)


def wilson_interval(successes: int, n: int) -> tuple[float, float]:
    """The Wilson score interval of the share ``successes / n`` (scipy's)."""
    interval = stats.binomtest(successes, n).proportion_ci(CONFIDENCE, method="wilson")
    return float(interval.low), float(interval.high)


def share_difference(successes_a: int, n_a: int, successes_b: int, n_b: int) -> Difference:
    """successes_a/n_a − successes_b/n_b with Newcombe's hybrid score interval (his method 10, 1998), higher better."""
    if min(n_a, n_b) == 0:
        return Difference(math.nan, math.nan, math.nan, n_a, n_b, higher_is_better=True)
    share_a, share_b = successes_a / n_a, successes_b / n_b
    value = share_a - share_b
    if min(n_a, n_b) < 2:
        return Difference(value, math.nan, math.nan, n_a, n_b, higher_is_better=True)
    (low_a, high_a), (low_b, high_b) = wilson_interval(successes_a, n_a), wilson_interval(successes_b, n_b)
    low = value - math.hypot(share_a - low_a, high_b - share_b)
    high = value + math.hypot(high_a - share_a, share_b - low_b)
    return Difference(value, low, high, n_a, n_b, higher_is_better=True)
