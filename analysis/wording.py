"""How the report writes a number: one format for every sentence, table cell and figure label.

3 significant digits (whole with thousands separators from 1,000), an interval in brackets, n and, with 5 seeds or
fewer, the seeds' own values. The sentences themselves are each question's (analysis.questions).
"""

from __future__ import annotations

import math

import numpy as np

from analysis import outcomes
from analysis.intervals import Effect, Estimate
from trainables.metric_keys import label
from trainables.quality.anchors import ANCHOR_SAMPLES

SHOWN_VALUES = 5  # with at most this many seeds, an estimate prints their values
OUTCOME_WORDS = {
    outcomes.DIVERGED: "diverged",
    outcomes.DID_NOT_LEARN: "did not learn",
    outcomes.MODE_COLLAPSE: "mode-collapsed",
    outcomes.QUALITY_FELL: "lost quality",
    outcomes.TOO_EARLY: "too early to judge",
    outcomes.STABLE: "stable",
    outcomes.UNFINISHED: "unfinished",
    outcomes.NOT_MEASURED: "finished without quality evaluations",
    outcomes.FEATURES_BLIND: "scored in features that cannot tell real images from failure",
}


ANCHOR_WORDS = {"real": "a real sample", "one_image": "one real image repeated", "noise": "uniform noise"}


def anchors_text(anchors: dict[str, dict[str, float]]) -> str:
    """The anchors (analysis.outcomes.study_anchors) as the scale a generator's numbers sit on."""
    # Every anchor metric is at least 0: a real sample's FID of -0.008 is the matrix square root's float error.
    values = lambda scores: ", ".join(f"{label(key)} {number(max(value, 0.0))}" for key, value in scores.items())  # noqa: E731
    scored = "; ".join(f"{ANCHOR_WORDS[anchor]} {values(scores)}" for anchor, scores in anchors.items())
    return (
        f"For scale, what up to {ANCHOR_SAMPLES} images of each anchor (the real sample no more than the data holds) "
        f"score in this study's features against its reference: {scored}."
    )


def number(value: float) -> str:
    """3 significant digits, or whole with thousands separators from 1,000 (999.6 rounds to 1,000, not 1e+03)."""
    rounded = float(f"{value:.3g}")
    return f"{value:,.0f}" if abs(rounded) >= 1000 else f"{value:.3g}"


def signed(value: float) -> str:
    return ("+" if value > 0 else "") + number(value)


def cell(value) -> str:
    """A table cell: an estimate as :func:`estimate_text`, NaN or None as blank, a flag as yes / no, a number as
    :func:`number`."""
    if isinstance(value, Estimate):
        return estimate_text(value)
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, float):
        return "" if math.isnan(value) else number(value)
    return str(value)


def values_text(values: tuple[float, ...]) -> str:
    return ", ".join(number(value) for value in values)


def interval_text(estimate: Estimate) -> str:
    """'344 [21, 5,600]': the estimate and its interval, for a table whose seeds are counted in a column of their own;
    'n/a' without values; the value alone for one."""
    if estimate.n == 0:
        return "n/a"
    if estimate.n == 1:
        return number(estimate.center)
    return f"{number(estimate.center)} [{number(estimate.low)}, {number(estimate.high)}]"


def interval_n_text(estimate: Estimate) -> str:
    """'344 [21, 5,600] (n=3)': the estimate, its interval and how many seeds it rests on; 'n/a (n=0)' without."""
    return f"{interval_text(estimate)} (n={estimate.n})"


def estimate_text(estimate: Estimate) -> str:
    """'344 [21, 5,600] (n=3: 164, 201, 1,251)'; 'n/a' without values; no interval for one."""
    if estimate.n == 0:
        return "n/a"
    seeds = f": {values_text(estimate.values)}" if 1 < estimate.n <= SHOWN_VALUES else ""
    return f"{interval_text(estimate)} (n={estimate.n}{seeds})"


def outcome_counts_text(counts: dict[str, int]) -> str:
    """'2 stable · 1 mode-collapsed': how many seeds ended each way, worst first, leaving out outcomes none had."""
    return " · ".join(f"{counts[outcome]} {word}" for outcome, word in OUTCOME_WORDS.items() if counts.get(outcome))


def effect_text(effect: Effect) -> str:
    """'+2.48 [−32, +36.9]' for a difference, '×1.8 [×0.9, ×3.6]' for a ratio; the value alone without a test."""
    if math.isnan(effect.value):
        return ""
    show = (lambda value: f"×{number(value)}") if effect.ratio else signed
    if math.isnan(effect.low):
        return show(effect.value)
    return f"{show(effect.value)} [{show(effect.low)}, {show(effect.high)}]"


def failed_share_text(failed: int, told: int, finished: int, low: float, high: float, what: str) -> str:
    """'1 of 3 finished seeds failed [0.06, 0.79]' over the finished seeds whose failure is told; those whose is not
    (no quality measured, features that cannot judge) are named beside it, never counted as seeds that did not fail:
    '..., 1 more not judged', 'none of 2 finished seeds could be judged'."""
    if finished and not told:
        return f"none of {finished} finished seed{'s' if finished != 1 else ''} could be judged"
    text = share_text(failed, told, low, high, what)
    return f"{text}, {finished - told} more not judged" if finished > told else text


def share_text(successes: int, n: int, low: float, high: float, what: str = "stable") -> str:
    """'2 of 3 stable [0.21, 0.94]' (Wilson); ``what`` the successes are ('' in a table headed by it), its
    'seeds' read 'seed' when there is one ('1 of 1 finished seed failed')."""
    if n == 0:
        return "no judged seed" if what == "stable" else "no finished seed"
    if n == 1:
        what = what.replace("seeds", "seed")
    return f"{successes} of {n}{f' {what}' if what else ''} [{number(low)}, {number(high)}]"
