"""How the report writes a number (analysis.wording)."""

from __future__ import annotations

import pytest

from analysis import wording
from analysis.intervals import estimate
from tests.reference_stats import wilson


@pytest.mark.parametrize(
    "value, text",
    [(0.012345, "0.0123"), (999.4, "999"), (999.6, "1,000"), (-999.6, "-1,000"), (1234.6, "1,235"), (12.0, "12")],
)
def test_a_number_is_three_significant_digits_or_whole_from_a_thousand(value, text):
    assert wording.number(value) == text


def test_a_share_says_what_it_counts_with_its_wilson_interval():
    low, high = wilson(1, 3)
    assert wording.share_text(1, 3, low, high, "finished seeds failed") == (
        f"1 of 3 finished seeds failed [{wording.number(low)}, {wording.number(high)}]"
    )
    assert wording.share_text(1, 3, low, high, "") == f"1 of 3 [{wording.number(low)}, {wording.number(high)}]"
    assert wording.share_text(0, 0, 0.0, 1.0) == "no judged seed"
    low, high = wilson(1, 1)
    assert wording.share_text(1, 1, low, high, "finished seeds failed") == (
        f"1 of 1 finished seed failed [{wording.number(low)}, {wording.number(high)}]"
    )


def test_an_estimate_with_its_seed_count():
    assert wording.interval_n_text(estimate([100.0], "fid")) == "100 (n=1)"
    assert wording.interval_n_text(estimate([], "fid")) == "n/a (n=0)"
