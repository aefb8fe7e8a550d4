"""How many seeds per config would decide a comparison that the seeds run so far left undecided.

The answer assumes the difference and the spread observed so far are the true ones, and asks for the seeds per
config at which the comparison's own test, at its level, finds that difference with probability :data:`POWER`:

- **A metric** (Welch's test, on the log scale for FID as in :mod:`analysis.intervals`): the observed difference
  over the two sides' pooled standard deviation is Cohen's d; statsmodels' ``TTestIndPower`` gives the t-test's
  power at n seeds a config, and the answer is the fewest n that reach :data:`POWER`.
- **Shares of stable seeds** (Fisher's exact test): the power of Fisher's test at n seeds a side is summed exactly
  over every pair of counts the two shares can give (:func:`fisher_power`), and n is the smallest that reaches
  :data:`POWER`; a normal approximation would promise too much at the handful of seeds a GAN study runs.

The level is the family's level divided by the number of comparisons in it: the level Holm's method tests its
smallest p-value at, so the number is enough whatever the other comparisons show. Above :data:`MAX_SEEDS` the answer
is "more than that": the difference is too small against the spread for any practical number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import stats
from statsmodels.stats.power import TTestIndPower

from analysis.intervals import on_test_scale
from analysis.wording import number

POWER = 0.8
MAX_SEEDS = 50
METHOD = (
    "for a comparison left without a conclusion, the seeds per config at which its own test would find the "
    f"difference seen so far with {100 * POWER:.0f} % power, at the level Holm's method tests its smallest p-value "
    "at (0.05 over the comparisons of the question), if that difference and the spread hold: for a metric, Cohen's "
    "d on the test's scale solved with statsmodels' power of the t-test; for shares of stable seeds, the exact "
    f"power of Fisher's test summed over every outcome; never fewer than one more than the comparison has. Above "
    f"{MAX_SEEDS} seeds per config it says so."
)


@dataclass(frozen=True)
class SeedsNeeded:
    """Seeds per config that would decide a comparison: ``seeds`` (None: more than :data:`MAX_SEEDS`) at ``level``
    with ``power``; ``effect_size`` is Cohen's d for a metric, the observed difference of shares for stable seeds."""

    seeds: int | None
    level: float
    power: float
    effect_size: float


def seeds_for_difference(a: Sequence[float], b: Sequence[float], metric: str, level: float) -> SeedsNeeded | None:
    """For a metric's values over the seeds of two configs; None when a side has fewer than 2 values, neither side
    has spread (no standard deviation to scale the difference by) or the means are equal (nothing to find)."""
    a, b, _ = on_test_scale(a, b, metric)
    if min(len(a), len(b)) < 2:
        return None
    spread = math.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
    if spread == 0 or a.mean() == b.mean():
        return None
    d = abs(a.mean() - b.mean()) / spread
    return SeedsNeeded(_solved(d, level), level, POWER, float(d))


def _solved(d: float, level: float) -> int | None:
    """The fewest seeds per config at which the t-test has the power; by counting up rather than statsmodels'
    ``solve_power``, whose root finder fails to converge for some effects (its power rises with n, so the first n
    reached is the rounded-up solution)."""
    analysis = TTestIndPower()
    return next(
        (n for n in range(2, MAX_SEEDS + 1) if analysis.power(effect_size=d, nobs1=n, alpha=level, ratio=1.0) >= POWER),
        None,
    )


def fisher_rejects(n: int, level: float) -> np.ndarray:
    """Which 2×2 tables of n seeds a side Fisher's two-sided exact test rejects at ``level``: entry [x_a, x_b] for
    x_a stable seeds of n against x_b of n. The p-value is scipy's: with both margins fixed, the hypergeometric
    probability of every table at most as likely as the one seen."""
    rejects = np.zeros((n + 1, n + 1), dtype=bool)
    for total in range(2 * n + 1):
        x_a = np.arange(max(0, total - n), min(n, total) + 1)
        pmf = stats.hypergeom.pmf(x_a, 2 * n, total, n)
        at_most_as_likely = pmf[None, :] <= pmf[:, None] * (1 + 1e-7)  # scipy's tolerance for ties
        p_values = (pmf[None, :] * at_most_as_likely).sum(axis=1)
        rejects[x_a, total - x_a] = p_values <= level
    return rejects


def fisher_power(share_a: float, share_b: float, n: int, level: float) -> float:
    """The probability that Fisher's test at ``level`` rejects, with n seeds a side stable with these shares."""
    counts = np.arange(n + 1)
    chances = np.outer(stats.binom.pmf(counts, n, share_a), stats.binom.pmf(counts, n, share_b))
    return float(chances[fisher_rejects(n, level)].sum())


def seeds_for_shares(stable_a: int, n_a: int, stable_b: int, n_b: int, level: float) -> SeedsNeeded | None:
    """For the stable seeds of two configs; None when a side has fewer than 2 seeds judged or the shares are equal."""
    share_a, share_b = (stable_a / n_a, stable_b / n_b) if min(n_a, n_b) >= 2 else (0, 0)
    if share_a == share_b:
        return None
    seeds = next((n for n in range(2, MAX_SEEDS + 1) if fisher_power(share_a, share_b, n, level) >= POWER), None)
    return SeedsNeeded(seeds, level, POWER, abs(share_a - share_b))


def seeds_needed_text(needed: SeedsNeeded) -> str:
    """'About 9 seeds per config would decide it (80 % power at level 0.0125), if the difference and spread seen so
    far hold.'"""
    power = f"{100 * needed.power:.0f} % power at level {number(needed.level)}"
    if needed.seeds is None:
        return (
            f"Even {MAX_SEEDS} seeds per config would likely not decide it ({power}): the difference is small against "
            "the spread."
        )
    return (
        f"About {needed.seeds} seeds per config would decide it ({power}), if the difference and spread seen so far "
        "hold."
    )
