"""Reference statistics from their textbook formulas (scipy only for the t and normal quantiles and tails): what the
tests check analysis.intervals and analysis.findings against."""

from __future__ import annotations

import math
from fractions import Fraction

from scipy import stats

from analysis.intervals import CONFIDENCE


def t_interval(values) -> tuple[float, float, float]:
    """mean ± t_{0.975, n-1} · s/√n."""
    values = [float(value) for value in values]
    n = len(values)
    mean = sum(values) / n
    sd = math.sqrt(sum((value - mean) ** 2 for value in values) / (n - 1))
    half = stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1) * sd / math.sqrt(n)
    return mean, mean - half, mean + half


def welch(a, b) -> tuple[float, float, float, float]:
    """mean(a) − mean(b), Welch's interval with Welch-Satterthwaite degrees of freedom, and the two-sided p-value."""
    a, b = [float(value) for value in a], [float(value) for value in b]
    mean_a, mean_b = sum(a) / len(a), sum(b) / len(b)
    var_a = sum((value - mean_a) ** 2 for value in a) / (len(a) - 1) / len(a)  # squared standard errors
    var_b = sum((value - mean_b) ** 2 for value in b) / (len(b) - 1) / len(b)
    se = math.sqrt(var_a + var_b)
    df = (var_a + var_b) ** 2 / (var_a**2 / (len(a) - 1) + var_b**2 / (len(b) - 1))
    shift = mean_a - mean_b
    half = stats.t.ppf(0.5 + CONFIDENCE / 2, df) * se
    return shift, shift - half, shift + half, 2 * stats.t.sf(abs(shift / se), df)


def wilson(successes: int, n: int) -> tuple[float, float]:
    """(p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n)."""
    z = stats.norm.ppf(0.5 + CONFIDENCE / 2)
    share = successes / n
    center = (share + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * math.sqrt(share * (1 - share) / n + z**2 / (4 * n**2))
    return center - half, center + half


def fisher_two_sided(successes_a: int, n_a: int, successes_b: int, n_b: int) -> Fraction:
    """The sum of the hypergeometric probabilities of every table with the margins observed that is no more likely
    than the observed one."""
    total, successes = n_a + n_b, successes_a + successes_b

    def probability(x: int) -> Fraction:
        return Fraction(math.comb(successes, x) * math.comb(total - successes, n_a - x), math.comb(total, n_a))

    observed = probability(successes_a)
    tables = range(max(0, n_a - (total - successes)), min(n_a, successes) + 1)
    return sum((probability(x) for x in tables if probability(x) <= observed), Fraction(0))


def welch_on_logs(a, b) -> tuple[float, float, float, float]:
    """(ratio, low, high, p) of the geometric means a ÷ b: Welch's test on the logs."""
    shift, low, high, p_value = welch([math.log(value) for value in a], [math.log(value) for value in b])
    return math.exp(shift), math.exp(low), math.exp(high), p_value


def geometric(values) -> tuple[float, float, float]:
    """The geometric mean and its 95 % interval (Student-t on the logs)."""
    center, low, high = t_interval([math.log(value) for value in values])
    return math.exp(center), math.exp(low), math.exp(high)
