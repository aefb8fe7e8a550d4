"""Seeds needed to decide a comparison: against statsmodels, closed forms and Cohen's table, and simulated at the
number found."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.power import TTestIndPower

from analysis import power as seeds_power
from analysis.power import MAX_SEEDS, POWER, fisher_power, fisher_rejects, seeds_for_difference, seeds_for_shares


def test_a_difference_of_one_standard_deviation_needs_cohens_17_seeds():
    """Cohen (1988), table 2.4.1: d = 1.0 at a two-sided 0.05 and power 0.80 takes n = 17 a group."""
    needed = seeds_for_difference([1.0, 2.0, 3.0], [2.0, 3.0, 4.0], "d_loss", level=0.05)  # means 2, 3; SDs 1
    assert (needed.seeds, needed.effect_size, needed.level, needed.power) == (17, 1.0, 0.05, POWER)


def test_fid_is_compared_on_the_log_scale_as_statsmodels_solves_it():
    a, b = [160.0, 200.0, 240.0], [300.0, 420.0, 380.0]
    logs_a, logs_b = np.log(a), np.log(b)
    d = abs(logs_a.mean() - logs_b.mean()) / math.sqrt((logs_a.var(ddof=1) + logs_b.var(ddof=1)) / 2)
    expected = math.ceil(TTestIndPower().solve_power(effect_size=d, alpha=0.05 / 3, power=0.8))
    needed = seeds_for_difference(a, b, "fid", level=0.05 / 3)
    assert needed.effect_size == pytest.approx(d) and needed.seeds == expected


def test_at_the_seeds_found_welchs_test_decides_in_about_the_stated_share_of_draws():
    a, b, level = [0.52, 0.61, 0.47], [0.58, 0.70, 0.66], 0.05 / 2
    needed = seeds_for_difference(a, b, "coverage", level)
    spread = math.sqrt((np.var(a, ddof=1) + np.var(b, ddof=1)) / 2)
    rng = np.random.default_rng(0)
    draws = 4000
    decided = sum(
        stats.ttest_ind(
            rng.normal(np.mean(a), spread, needed.seeds), rng.normal(np.mean(b), spread, needed.seeds), equal_var=False
        ).pvalue
        < level
        for _ in range(draws)
    )
    assert 2 < needed.seeds < MAX_SEEDS
    assert decided / draws == pytest.approx(POWER, abs=0.04)


def test_fishers_rejections_are_scipys():
    for n, level in ((5, 0.05), (7, 0.0125)):
        rejects = fisher_rejects(n, level)
        for x_a, x_b in itertools.product(range(n + 1), repeat=2):
            p_value = stats.fisher_exact([[x_a, n - x_a], [x_b, n - x_b]]).pvalue
            assert rejects[x_a, x_b] == (p_value <= level), (n, x_a, x_b)


def test_all_stable_against_none_takes_five_seeds_at_a_quarter_of_the_level():
    """Every seed stable against none: at n a side the only tables are n/n against 0/n, whose Fisher p is
    2 / C(2n, n): 2/70 = 0.029 at 4, 2/252 = 0.0079 at 5 seeds; the level 0.05 / 4 = 0.0125 lies between."""
    assert 2 / math.comb(8, 4) > 0.0125 > 2 / math.comb(10, 5)
    needed = seeds_for_shares(3, 3, 0, 3, level=0.05 / 4)
    assert (needed.seeds, needed.effect_size) == (5, 1.0)


def test_at_the_seeds_found_fishers_test_decides_in_the_share_of_draws_computed():
    level = 0.05
    needed = seeds_for_shares(3, 4, 1, 4, level)  # 75 % against 25 % stable
    power = fisher_power(0.75, 0.25, needed.seeds, level)
    assert power >= POWER > fisher_power(0.75, 0.25, needed.seeds - 1, level)
    rng = np.random.default_rng(1)
    draws = 3000
    n = needed.seeds
    decided = 0
    for stable_a, stable_b in zip(rng.binomial(n, 0.75, draws), rng.binomial(n, 0.25, draws)):
        decided += stats.fisher_exact([[stable_a, n - stable_a], [stable_b, n - stable_b]]).pvalue <= level
    assert decided / draws == pytest.approx(power, abs=0.03)


def test_a_difference_too_small_for_any_practical_number_is_capped_and_said_so():
    needed = seeds_for_difference([100.0, 150.0, 125.0], [110.0, 140.0, 130.0], "fid", level=0.05)
    assert needed.seeds is None
    assert TTestIndPower().power(effect_size=needed.effect_size, nobs1=MAX_SEEDS, alpha=0.05) < POWER
    assert seeds_power.seeds_needed_text(needed) == (
        "Even 50 seeds per config would likely not decide it (80 % power at level 0.05): the difference is small "
        "against the spread."
    )
    assert seeds_for_shares(2, 3, 2, 3, level=0.05) is None  # no difference to find
    assert seeds_for_difference([1.0, 2.0], [2.0, 1.0], "d_loss", 0.05) is None
    assert seeds_for_difference([1.0], [2.0, 3.0], "d_loss", 0.05) is None  # one seed: no spread to go by
    assert seeds_for_difference([1.0, 1.0], [2.0, 2.0], "d_loss", 0.05) is None  # no spread on either side
