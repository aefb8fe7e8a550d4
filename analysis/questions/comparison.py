"""One comparison of two configs: its record, how it is made and concluded, and its sentences.

A comparison tests one metric of config ``a`` against config ``b`` (Welch's t-test on the metric's test scale, or
Fisher's exact test on how many seeds ended stable); which question it answers decides its Holm family
(analysis.questions.family), and only the adjusted p decides its conclusion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from analysis.intervals import (
    ALPHA,
    NO_SPREAD,
    NO_VALUES,
    ONE_SEED,
    Effect,
    Estimate,
    difference,
    estimate,
    share_difference,
)
from analysis.power import SeedsNeeded, seeds_needed_text
from analysis.wording import effect_text, estimate_text, number
from trainables.metric_keys import HIGHER_IS_BETTER, label

STABLE_SHARE = "stable share"  # the "metric" of a comparison of how many seeds ended stable

# A comparison's conclusion for its first side; or intervals' reason it has no test (ONE_SEED, NO_VALUES, NO_SPREAD).
BETTER, WORSE, NO_CONCLUSION = "better", "worse", "no conclusion"
# Topics: what a comparison compares at.
FINAL, EQUAL_EPOCHS, EQUAL_UPDATES, BEST_VS_RUNNER_UP, SEEDS_STABLE = (
    "final",
    "equal epochs",
    "equal updates",
    "best vs runner-up",
    "seeds stable",
)


@dataclass(frozen=True)
class Side:
    """One side of a comparison: the config (or axis value) it stands for, and per seed its value with the epoch,
    generator updates and generator LR it was taken at (for a stable-share comparison, 1 for a stable seed and 0 for
    another judged one)."""

    config: str
    values: tuple[float, ...]
    epochs: tuple[int, ...] = ()
    updates: tuple[float, ...] = ()
    lrs: tuple[float, ...] = ()
    configs: tuple[tuple[tuple[str, object], ...], ...] = ()  # the configs its seeds ran, as (column, value) pairs


@dataclass(frozen=True)
class Comparison:
    """``metric`` of ``a`` against ``b`` at ``context`` (the settings both share), on the ``topic``'s basis;
    ``p_adjusted`` and ``family`` are Holm's over its question's comparisons, ``conclusion`` what they allow."""

    topic: str
    context: str
    metric: str
    a: Side
    b: Side
    effect: Effect
    higher_is_better: bool
    a_estimate: Estimate | None = None  # the two sides' estimates; None for a stable-share comparison
    b_estimate: Estimate | None = None
    p_adjusted: float = math.nan
    family: int = 0
    conclusion: str = ""
    lrs_differ: bool = False  # the two sides ran at different LRs at the compared updates
    selected: bool = False  # b was picked by ranking on the same metric, so the unadjusted p is optimistic
    seeds_needed: SeedsNeeded | None = None  # for one left without a conclusion: the seeds per config to decide it


def compare(topic: str, context: str, metric: str, a: Side, b: Side, extractor: str, **flags) -> Comparison:
    """``metric`` of ``a`` against ``b`` (Welch on the metric's test scale), scored in ``extractor``'s features."""
    return Comparison(
        topic,
        context,
        metric,
        a,
        b,
        difference(a.values, b.values, metric, extractor),
        HIGHER_IS_BETTER[metric],
        estimate(a.values, metric, extractor),
        estimate(b.values, metric, extractor),
        **flags,
    )


def compare_stable_shares(context: str, a: Side, b: Side) -> Comparison:
    """How many judged seeds ended stable, ``a`` against ``b`` (Fisher); the sides are :meth:`Study.stable_side`'s."""
    counts = (int(sum(a.values)), len(a.values), int(sum(b.values)), len(b.values))
    return Comparison(SEEDS_STABLE, context, STABLE_SHARE, a, b, share_difference(*counts), True)


def conclude(comparison: Comparison, p_adjusted: float) -> str:
    effect = comparison.effect
    if effect.no_test:
        return effect.no_test
    if not p_adjusted < ALPHA:
        return NO_CONCLUSION
    a_higher = effect.value > 1 if effect.ratio else effect.value > 0
    return BETTER if a_higher == comparison.higher_is_better else WORSE


def decided(records: list) -> list[Comparison]:
    """The comparisons among ``records`` whose adjusted p decided them."""
    return [record for record in records if isinstance(record, Comparison) and record.conclusion in (BETTER, WORSE)]


# ---- words --------------------------------------------------------------------------------------------------------


def metric_name(metric: str) -> str:
    """A metric as the field writes it in a sentence: FID, IS, coverage; 'stable seeds' for a stable share."""
    return "stable seeds" if metric == STABLE_SHARE else label(metric)


def _side_text(side: Side, estimate: Estimate | None) -> str:
    return f"{int(sum(side.values))} of {len(side.values)}" if estimate is None else estimate_text(estimate)


def _p_text(comparison: Comparison) -> str:
    if comparison.effect.no_test:
        return ""
    test = "Fisher" if comparison.metric == STABLE_SHARE else "Welch"
    adjusted = (
        f", Holm-adjusted {number(comparison.p_adjusted)} over {comparison.family}" if comparison.family > 1 else ""
    )
    return f"; {test} p {number(comparison.effect.p_value)}{adjusted}"


def direction_words(comparison: Comparison) -> dict[str, str]:
    """What BETTER and WORSE are called for this comparison's metric."""
    if comparison.metric == STABLE_SHARE:
        return {BETTER: "more often stable", WORSE: "less often stable"}
    return {BETTER: "better", WORSE: "worse"}


def conclusion_text(comparison: Comparison) -> str:
    words = direction_words(comparison)
    if comparison.conclusion == NO_CONCLUSION and comparison.effect.p_value < ALPHA:
        return f"no conclusion once adjusted for the {comparison.family} comparisons"
    return {
        BETTER: f"{comparison.a.config} is {words[BETTER]}",
        WORSE: f"{comparison.a.config} is {words[WORSE]}",
        NO_CONCLUSION: "within seed-to-seed spread, no conclusion",
        ONE_SEED: "one seed cannot decide",
        NO_VALUES: "no seed to compare on one side",
        NO_SPREAD: "no spread on either side to test against, no conclusion",
    }[comparison.conclusion]


def _epochs(epochs) -> str:
    return ", ".join(str(epoch) for epoch in sorted(set(epochs)))


def _updates(side: Side) -> str:
    return f"{side.config}: {number(sum(side.updates) / len(side.updates))} at epoch {_epochs(side.epochs)}"


def _basis(comparison: Comparison) -> str:
    """What the two sides were taken at: 'At equal epochs (epoch 12)', 'Final FID at batch 128', ..."""
    metric = metric_name(comparison.metric)
    where = f" at {comparison.context}" if comparison.context else ""
    if comparison.topic == SEEDS_STABLE:
        return f"Seeds stable{where}"
    if comparison.topic == EQUAL_EPOCHS:
        common = max(comparison.a.epochs + comparison.b.epochs, default=0)
        return f"At equal epochs (epoch {common}){where}, {metric}"
    if comparison.topic == EQUAL_UPDATES:
        counts = f"{_updates(comparison.a)}; {_updates(comparison.b)}"
        return f"At equal generator updates ({counts}){where}, {metric}"
    if comparison.topic == BEST_VS_RUNNER_UP:
        return f"Best against runner-up, final {metric}"
    return f"Final {metric}{where}"


def _lrs(side: Side) -> str:
    return ", ".join(number(lr) for lr in sorted(set(side.lrs)))


def comparison_text(comparison: Comparison) -> str:
    """'Final FID at batch 128, warmup_cosine vs constant: 344 [...] (n=3: ...) vs 200 [...] (n=3: ...), ratio ×1.7
    [×0.9, ×3.3]; Welch p 0.07, Holm-adjusted 0.2 over 4: within seed-to-seed spread, no conclusion.'"""
    a, b = comparison.a, comparison.b
    effect = effect_text(comparison.effect)
    kind = "ratio " if comparison.effect.ratio else "difference "
    shown = f", {kind}{effect}" if effect else ""
    text = (
        f"{_basis(comparison)}, {a.config} vs {b.config}: {_side_text(a, comparison.a_estimate)} vs "
        f"{_side_text(b, comparison.b_estimate)}{shown}{_p_text(comparison)}: {conclusion_text(comparison)}."
    )
    if comparison.lrs_differ:
        text += (
            f" The two ran at different generator LRs at those updates ({a.config}: {_lrs(a)}; {b.config}: {_lrs(b)})."
        )
    if comparison.selected:
        text += (
            f" The two were picked by ranking on {metric_name(comparison.metric)} itself, so even the adjusted p is "
            "optimistic."
        )
    if comparison.seeds_needed is not None:
        text += " " + seeds_needed_text(comparison.seeds_needed)
    return text


def called_text(comparison: Comparison) -> str:
    """'batch 1024 is worse than batch 128 (FID at equal epochs, constant: ×1.61 [×1.3, ×2], Holm-adjusted p
    0.0144)'."""
    word = direction_words(comparison)[comparison.conclusion]
    basis = {EQUAL_EPOCHS: " at equal epochs", EQUAL_UPDATES: " at equal updates"}.get(comparison.topic, "")
    where = ", ".join(part for part in (f"{metric_name(comparison.metric)}{basis}", comparison.context) if part)
    return (
        f"{comparison.a.config} is {word} than {comparison.b.config} ({where}: {effect_text(comparison.effect)}, "
        f"Holm-adjusted p {number(comparison.p_adjusted)})"
    )


def decisions_text(records: list, what: str) -> str:
    """'Resolved: ...' naming every decided comparison, or how many were tested without one being resolved (one
    with no seed on a side has no test, so it is not counted: the count matches the family's)."""
    found = decided(records)
    if found:
        return "Resolved: " + "; ".join(called_text(comparison) for comparison in found) + "."
    tested = [record for record in records if isinstance(record, Comparison) and math.isfinite(record.p_adjusted)]
    return f"No difference in {what} is resolved ({len(tested)} compared)." if tested else ""
