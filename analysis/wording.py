"""The one renderer of the findings: records (analysis.findings) and estimates (analysis.intervals) to words.

The report's sentences and table cells, and the notebook's table of findings, are all made here,
so a number reads the same everywhere: 3 significant digits (whole with thousands separators
from 1,000), an interval in brackets, n and, with 5 seeds or fewer, the seeds' own values.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis import findings as found
from analysis import outcomes, stats
from analysis.intervals import ALPHA, NO_SPREAD, NO_VALUES, ONE_SEED, Effect, Estimate
from analysis.power import MAX_SEEDS, SeedsNeeded
from trainables.config import SEED
from tune_gan.search_space import STUDY_AXES

SHOWN_VALUES = 5  # with at most this many seeds, an estimate prints their values
_OUTCOME_WORDS = {
    outcomes.DIVERGED: "diverged",
    outcomes.DID_NOT_LEARN: "did not learn",
    outcomes.MODE_COLLAPSE: "mode-collapsed",
    outcomes.QUALITY_FELL: "lost quality",
    outcomes.STABLE: "stable",
    outcomes.UNFINISHED: "unfinished",
    outcomes.NOT_MEASURED: "finished without quality evaluations",
}
RANKING_RULE = (
    "Ranked with configs of at least {seeds} finished seeds first, then by the share of finished seeds that failed "
    "(diverged, did not learn or mode-collapsed; fewest first), then by the final {rank_by} over finished seeds"
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


def _values(values: tuple[float, ...]) -> str:
    return ", ".join(number(value) for value in values)


def interval_text(estimate: Estimate) -> str:
    """'344 [21, 5,600]': the estimate and its interval, for a table whose seeds are counted in a column of their own;
    'n/a' without values; the value alone for one."""
    if estimate.n == 0:
        return "n/a"
    if estimate.n == 1:
        return number(estimate.center)
    return f"{number(estimate.center)} [{number(estimate.low)}, {number(estimate.high)}]"


def estimate_text(estimate: Estimate) -> str:
    """'344 [21, 5,600] (n=3: 164, 201, 1,251)'; 'n/a' without values; no interval for one."""
    if estimate.n == 0:
        return "n/a"
    seeds = f": {_values(estimate.values)}" if 1 < estimate.n <= SHOWN_VALUES else ""
    return f"{interval_text(estimate)} (n={estimate.n}{seeds})"


def outcome_counts_text(counts: dict[str, int]) -> str:
    """'2 stable · 1 mode-collapsed': how many seeds ended each way, worst first, leaving out outcomes none had."""
    return " · ".join(f"{counts[outcome]} {word}" for outcome, word in _OUTCOME_WORDS.items() if counts.get(outcome))


def effect_text(effect: Effect) -> str:
    """'+2.48 [−32, +36.9]' for a difference, '×1.8 [×0.9, ×3.6]' for a ratio; the value alone without a test."""
    if math.isnan(effect.value):
        return ""
    show = (lambda value: f"×{number(value)}") if effect.ratio else signed
    if math.isnan(effect.low):
        return show(effect.value)
    return f"{show(effect.value)} [{show(effect.low)}, {show(effect.high)}]"


def share_text(successes: int, n: int, low: float, high: float) -> str:
    """'2 of 3 stable [0.21, 0.94]' (Wilson)."""
    if n == 0:
        return "no judged seed"
    return f"{successes} of {n} stable [{number(low)}, {number(high)}]"


def _side_text(side: found.Side, estimate: Estimate | None) -> str:
    return f"{int(sum(side.values))} of {len(side.values)}" if estimate is None else estimate_text(estimate)


def _p_text(comparison: found.Comparison) -> str:
    if comparison.effect.no_test:
        return ""
    test = "Fisher" if comparison.metric == found.STABLE_SHARE else "Welch"
    adjusted = (
        f", Holm-adjusted {number(comparison.p_adjusted)} over {comparison.family}" if comparison.family > 1 else ""
    )
    return f"; {test} p {number(comparison.effect.p_value)}{adjusted}"


def _direction_words(comparison: found.Comparison) -> dict[str, str]:
    """What BETTER and WORSE are called for this comparison's metric."""
    if comparison.metric == found.STABLE_SHARE:
        return {found.BETTER: "more often stable", found.WORSE: "less often stable"}
    return {found.BETTER: "better", found.WORSE: "worse"}


def _conclusion_text(comparison: found.Comparison) -> str:
    words = _direction_words(comparison)
    if comparison.conclusion == found.NO_CONCLUSION and comparison.effect.p_value < ALPHA:
        return f"no conclusion once adjusted for the {comparison.family} comparisons"
    return {
        found.BETTER: f"{comparison.a.config} is {words[found.BETTER]}",
        found.WORSE: f"{comparison.a.config} is {words[found.WORSE]}",
        found.NO_CONCLUSION: "within seed-to-seed spread, no conclusion",
        ONE_SEED: "one seed cannot decide",
        NO_VALUES: "no seed to compare on one side",
        NO_SPREAD: "no spread on either side to test against, no conclusion",
    }[comparison.conclusion]


def _epochs(epochs) -> str:
    return ", ".join(str(epoch) for epoch in sorted(set(epochs)))


def _updates(side: found.Side) -> str:
    return f"{side.config}: {number(sum(side.updates) / len(side.updates))} at epoch {_epochs(side.epochs)}"


def _basis(comparison: found.Comparison) -> str:
    """What the two sides were taken at: 'At equal epochs (epoch 12)', 'Final fid at constant LR', ..."""
    metric, where = comparison.metric, f" at {comparison.context}" if comparison.context else ""
    if comparison.topic == found.SEEDS_STABLE:
        return f"Seeds stable{where}"
    if comparison.topic == found.EQUAL_EPOCHS:
        common = max(comparison.a.epochs + comparison.b.epochs, default=0)
        stopped = sorted({epoch for epoch in comparison.a.epochs + comparison.b.epochs if epoch < common})
        note = f"; seeds that stopped earlier at their last evaluation, epoch {_epochs(stopped)}" if stopped else ""
        return f"At equal epochs (epoch {common}{note}){where}, {metric}"
    if comparison.topic == found.EQUAL_UPDATES:
        counts = f"{_updates(comparison.a)}; {_updates(comparison.b)}"
        return f"At equal generator updates ({counts}){where}, {metric}"
    if comparison.topic == found.BEST_VS_RUNNER_UP:
        return f"Best against runner-up, final {metric}"
    return f"Final {metric}{where}"


def comparison_text(comparison: found.Comparison) -> str:
    """'Final fid at constant LR, warmup_cosine vs constant: 344 [...] (n=3: ...) vs 200 [...] (n=3: ...), ratio ×1.7
    [×0.9, ×3.3]; Welch p 0.07, Holm-adjusted 0.2 over 4: within seed-to-seed spread, no conclusion.'"""
    a, b, metric = comparison.a, comparison.b, comparison.metric
    effect = effect_text(comparison.effect)
    kind = "ratio " if comparison.effect.ratio else "difference "
    shown = f", {kind}{effect}" if effect else ""
    text = (
        f"{_basis(comparison)}, {a.config} vs {b.config}: {_side_text(a, comparison.a_estimate)} vs "
        f"{_side_text(b, comparison.b_estimate)}"
        f"{shown}{_p_text(comparison)}: {_conclusion_text(comparison)}."
    )
    if comparison.lrs_differ:
        text += (
            f" The two ran at different generator LRs at those updates ({a.config}: {_lrs(a)}; {b.config}: {_lrs(b)})."
        )
    if comparison.selected:
        text += f" The two were picked by ranking on {metric} itself, so even the adjusted p is optimistic."
    if comparison.seeds_needed is not None:
        text += " " + seeds_needed_text(comparison.seeds_needed)
    return text


def more_seeds_text(more: found.MoreSeeds, experiment: str, grid: dict[str, list]) -> str:
    """'**More seeds.** 2 comparisons left undecided would be decided by about 9 seeds per config at the spread seen
    so far (the most any needs; 3 now). To add 6 to the configs they compare: `tune-gan sweep --add-seeds E
    --batch-sizes 1024 --seeds 3 4 5 6 7 8`, then `tune-gan report E`.' ``grid`` holds each config column's values
    in the study; a study axis whose values the comparisons do not all involve is narrowed by its flag."""
    add, first = max(1, more.seeds - more.seeds_now), max(grid[SEED], default=-1) + 1
    flags = []
    for axis in STUDY_AXES:
        involved = sorted({value for config in more.configs for column, value in config if column == axis.field})
        if axis.field != SEED and involved and set(involved) < set(grid.get(axis.field, ())):
            flags.append(f"--{axis.flag.replace('_', '-')} {' '.join(map(str, involved))} ")
    which = "the comparison" if more.decidable == 1 else f"{more.decidable} comparisons"
    to = "the configs they compare" if flags else "every config"
    seeds = " ".join(str(seed) for seed in range(first, first + add))
    return (
        f"**More seeds.** {which.capitalize()} left undecided would be decided by about {more.seeds} seeds per config "
        f"at the spread seen so far (the most {'it' if more.decidable == 1 else 'any'} needs; {more.seeds_now} now). "
        f"To add {add} to {to}: `tune-gan sweep --add-seeds {experiment} {''.join(flags)}--seeds {seeds}`, then "
        f"`tune-gan report {experiment}`."
    )


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


def _lrs(side: found.Side) -> str:
    return _values(tuple(sorted(set(side.lrs))))


def _improving(seeds: list[found.SeedOutcome]) -> str:
    told = [seed for seed in seeds if seed.improving is not None]
    if not told:
        return ""
    improving = sum(seed.improving for seed in told)
    return f"{improving} of {len(told)} still improving when training ended"


def _seed_text(seed: found.SeedOutcome) -> str:
    if seed.outcome == outcomes.DIVERGED:
        where = f" at epoch {int(seed.epoch)}"
    elif seed.outcome == outcomes.DID_NOT_LEARN or math.isnan(seed.epoch):
        where = ""  # a generator that never learned has no epoch it happened at
    else:
        where = f" from epoch {int(seed.epoch)}"
    detail = f": {seed.detail}" if seed.detail else ""
    return f"seed {seed.seed}{where}{detail}"


def config_outcomes_text(record: found.ConfigOutcomes) -> str:
    """'batch 1024 · constant: did not learn: 3 of 3 seeds did not learn (seed 0: in 696 generator updates, best
    coverage 0.0009; ...; 3 of 3 still improving when training ended); 0 of 3 stable [0, 0.56].'"""
    verdict = record.verdict + (f" ({record.why})" if record.why else "")
    parts = []
    total = len(record.seeds)
    for outcome, word in _OUTCOME_WORDS.items():
        seeds = [seed for seed in record.seeds if seed.outcome == outcome]
        if not seeds:
            continue
        if outcome in (outcomes.STABLE, outcomes.UNFINISHED, outcomes.NOT_MEASURED):
            listed = f"seed{'s' if len(seeds) > 1 else ''} {', '.join(str(seed.seed) for seed in seeds)}"
        else:
            listed = "; ".join(_seed_text(seed) for seed in seeds)
        trend = _improving(seeds) if outcome != outcomes.DIVERGED else ""
        inside = "; ".join(part for part in (listed, trend) if part)
        parts.append(f"{len(seeds)} of {total} seed{'s' if total > 1 else ''} {word} ({inside})")
    shares = share_text(record.stable, record.judged, record.stable_low, record.stable_high)
    return f"{record.config}: {verdict}: {'; '.join(parts)}; {shares}."


def ranking_text(records: list[found.RankedConfig], rank_by: str) -> str:
    listing = "; ".join(
        f"{record.rank}. {record.config}: {rank_by} {estimate_text(record.estimate)}, {record.failed} of "
        f"{record.finished} finished seeds failed"
        + ("" if record.ranks_first else " (too few finished seeds to rank first)")
        for record in records
    )
    return f"{RANKING_RULE.format(seeds=stats.MIN_SEEDS_TO_RANK_FIRST, rank_by=rank_by)}: {listing}."


_EFFECT_WORDS = {
    found.FIXES: "fixes it",
    found.DOES_NOT_FIX: "does not fix it",
    found.NOT_SHOWN: "ends stable on every seed, but that many seeds cannot tell it from chance (below): no "
    "conclusion yet",
    found.NOTHING_TO_FIX: "has nothing to fix, as constant LR is stable here",
}


def schedule_text(record: found.ScheduleEffect) -> str:
    if record.effect == found.DID_NOT_ACT:
        return (
            f"{record.context}: {record.schedule}'s LR as it ran equals constant LR's at all {record.epochs} epochs: "
            "the schedule did not act in these epochs, so it is not judged."
        )
    said = (
        f"{record.context}: with {found.BASELINE_SCHEDULE} LR {record.baseline_verdict}, "
        f"with {record.schedule} {record.verdict}"
    )
    if record.effect == found.BASELINE_NOT_LEARNED:
        return (
            f"{record.context}: with {found.BASELINE_SCHEDULE} LR the generators did not learn the data in these "
            f"epochs (with {record.schedule}: {record.verdict}), so there is no instability for {record.schedule} "
            "to fix yet; train longer to ask."
        )
    if record.effect == found.STILL_UNDECIDED:
        return (
            f"{said}; whether {record.schedule} fixes anything cannot be told while the baseline is "
            f"{record.baseline_verdict}."
        )
    return f"{said}: so {record.schedule} {_EFFECT_WORDS[record.effect]}."


def note_text(note: found.Note) -> str:
    count = note.count
    return {
        found.NO_EPOCHS: "No trial reported an epoch yet, so there is nothing to compare.",
        found.TRIALS_NOT_MEASURED: f"{count} trial{'s' if count != 1 else ''} measured no image quality "
        "(eval_every 0), so their samples cannot be judged: they are undecided, whatever their loss variance.",
        found.NO_QUALITY: "No image-quality metrics were measured in this experiment (eval_every 0), so which settings "
        "give good images cannot be answered from numbers: judge by the sample grids, or rerun with --eval-every.",
        found.NO_BASELINE: f"No {found.BASELINE_SCHEDULE}-LR baseline in this experiment, so schedules cannot be "
        "compared with it.",
        found.NO_UNSTABLE_BASELINE: f"No {found.BASELINE_SCHEDULE}-LR config is unstable, so there is no instability "
        "for a schedule to fix.",
        found.UNDECIDED_BASELINES: f"No {found.BASELINE_SCHEDULE}-LR config is known to be unstable: {count} "
        f"{'is' if count == 1 else 'are'} undecided or did not learn, so whether a schedule fixes one cannot be "
        "told yet.",
        found.FAMILY: f"{count} comparisons answer this question. At {1 - ALPHA:.0%} each, about {count * ALPHA:.1f} "
        "of them would be called different by chance alone if nothing differed, so their p-values are adjusted "
        f"together (Holm) and only an adjusted p below {ALPHA:.2g} decides.",
    }[note.kind]


def sentence(record: found.Finding, rank_by: str = stats.DEFAULT_RANK_BY) -> str:
    if isinstance(record, found.Comparison):
        return comparison_text(record)
    if isinstance(record, found.ConfigOutcomes):
        return config_outcomes_text(record)
    if isinstance(record, found.ScheduleEffect):
        return schedule_text(record)
    if isinstance(record, found.NotComparable):
        if math.isnan(record.b_updates):
            return (
                f"{record.a} and {record.b} at {record.context} cannot be compared at equal updates: {record.b} has no "
                "evaluation to compare."
            )
        return (
            f"{record.a} and {record.b} at {record.context} cannot be compared at equal generator updates: no "
            f"evaluation of {record.a} lies within {found.EQUAL_UPDATES_TOLERANCE:.0%} of one of {record.b} in updates "
            f"({record.a}: {number(record.a_updates)} by the common epoch, {record.b}'s nearest: "
            f"{number(record.b_updates)}); evaluate more often (--eval-every) to compare them."
        )
    if isinstance(record, found.Note):
        return note_text(record)
    raise TypeError(f"no wording for {type(record).__name__}")


def render(answers: dict[str, list[found.Finding]], rank_by: str = stats.DEFAULT_RANK_BY) -> dict[str, list[str]]:
    """Each question's sentences: the ranking's records as one sentence, every other record as its own."""
    out = {}
    for question, records in answers.items():
        ranked = [record for record in records if isinstance(record, found.RankedConfig)]
        sentences = []
        for record in records:
            if isinstance(record, found.RankedConfig):
                if record is ranked[0]:
                    sentences.append(ranking_text(ranked, rank_by))
                continue
            sentences.append(sentence(record, rank_by))
        out[question] = sentences
    return out


_SHORT_EFFECTS = {
    found.FIXES: "fixes constant LR's instability",
    found.DOES_NOT_FIX: "does not fix constant LR's instability",
    found.NOT_SHOWN: "was stable on every seed where constant LR was not, but not beyond chance",
    found.DID_NOT_ACT: "did not act in these epochs",
    found.NOTHING_TO_FIX: "had nothing to fix (constant LR was stable)",
    found.BASELINE_NOT_LEARNED: "had nothing to fix yet (constant LR did not learn)",
}


def _decided(records: list[found.Finding]) -> list[found.Comparison]:
    return [
        record
        for record in records
        if isinstance(record, found.Comparison) and record.conclusion in (found.BETTER, found.WORSE)
    ]


def _called(comparison: found.Comparison) -> str:
    """'batch 1024 is worse than batch 128 (fid at equal epochs, warmup_cosine LR: ×1.61 [×1.3, ×2], Holm-adjusted p
    0.0144)'."""
    word = _direction_words(comparison)[comparison.conclusion]
    basis = {found.EQUAL_EPOCHS: " at equal epochs", found.EQUAL_UPDATES: " at equal updates"}.get(comparison.topic, "")
    where = ", ".join(part for part in (f"{comparison.metric}{basis}", comparison.context) if part)
    return (
        f"{comparison.a.config} is {word} than {comparison.b.config} ({where}: {effect_text(comparison.effect)}, "
        f"Holm-adjusted p {number(comparison.p_adjusted)})"
    )


def _listed(labels: list[str]) -> str:
    return "; ".join(labels)


def _stability_summary(records: list[found.Finding]) -> str:
    configs = [record for record in records if isinstance(record, found.ConfigOutcomes)]
    by_verdict: dict[str, list[str]] = {}
    for record in configs:
        shown = f"{record.config} ({share_text(record.stable, record.judged, record.stable_low, record.stable_high)})"
        by_verdict.setdefault(record.verdict, []).append(shown)
    said = {
        stats.STABLE_CONFIG: "stable",
        stats.UNSTABLE_CONFIG: "unstable",
        stats.NOT_LEARNED_CONFIG: "did not learn in these epochs (more updates needed, not a fix for instability)",
        stats.UNDECIDED: "undecided",
    }
    # One sentence for all the verdicts: configs apart by commas, verdicts by semicolons.
    verdicts = "; ".join(
        f"{said[verdict]}: {', '.join(by_verdict[verdict])}" for verdict in said if verdict in by_verdict
    )
    return f"{verdicts[0].upper()}{verdicts[1:]}. {_decisions(records, 'stable seeds')}".strip()


def _decisions(records: list[found.Finding], what: str) -> str:
    decided = _decided(records)
    if decided:
        return "Resolved: " + "; ".join(_called(comparison) for comparison in decided) + "."
    compared = [record for record in records if isinstance(record, found.Comparison)]
    return f"No difference in {what} is resolved ({len(compared)} compared)." if compared else ""


def _images_summary(records: list[found.Finding], rank_by: str) -> str:
    ranked = [record for record in records if isinstance(record, found.RankedConfig)]
    if not ranked:
        return " ".join(sentence(record, rank_by) for record in records if isinstance(record, found.Note))
    best = ranked[0]
    text = (
        f"{best.config} ranks first: {rank_by} {estimate_text(best.estimate)}, {best.failed} of {best.finished} "
        "finished seeds failed"
    )
    if not best.ranks_first:
        text += f" (no config has {stats.MIN_SEEDS_TO_RANK_FIRST} finished seeds: provisional)"
    runner_up = [
        record for record in records if isinstance(record, found.Comparison) and record.topic == found.BEST_VS_RUNNER_UP
    ]
    if runner_up and runner_up[0].conclusion == found.BETTER:
        text += f", better than the runner-up {runner_up[0].b.config}"
    elif runner_up:
        text += f", not told apart from the runner-up {runner_up[0].b.config} ({_conclusion_text(runner_up[0])})"
    others = [record for record in records if not (isinstance(record, found.Comparison) and record.selected)]
    return f"{text}. {_decisions(others, 'image quality')}".strip()


def _schedules_summary(records: list[found.Finding], rank_by: str) -> str:
    effects = [record for record in records if isinstance(record, found.ScheduleEffect)]
    if not effects:
        return " ".join(sentence(record, rank_by) for record in records if isinstance(record, found.Note))
    parts = []
    for record in effects:
        short = _SHORT_EFFECTS.get(record.effect, f"cannot be judged yet (constant LR {record.baseline_verdict})")
        parts.append(f"at {record.context}, {record.schedule} {short}")
    said = _listed(parts)
    return f"{said[0].upper()}{said[1:]}. {_decisions(records, 'quality')}".strip()


def summary(answers: dict[str, list[found.Finding]], rank_by: str = stats.DEFAULT_RANK_BY) -> dict[str, str]:
    """Each question's answer in a few sentences, from the same records as its section: the verdicts, the ranking's
    first config, the schedules' effects, and every difference the adjusted comparisons resolved."""
    if any(
        isinstance(record, found.Note) and record.kind == found.NO_EPOCHS
        for records in answers.values()
        for record in records
    ):
        return {question: note_text(found.Note(question, found.NO_EPOCHS)) for question in answers}
    return {
        found.STABILITY: _stability_summary(answers[found.STABILITY]),
        found.IMAGES: _images_summary(answers[found.IMAGES], rank_by),
        found.SCHEDULES: _schedules_summary(answers[found.SCHEDULES], rank_by),
    }


def findings_frame(answers: dict[str, list[found.Finding]], rank_by: str = stats.DEFAULT_RANK_BY) -> pd.DataFrame:
    """The findings as one table for the notebook: a row per record, its kind and sentence, and for a comparison its
    sides, effect, interval, p-values and conclusion."""
    rows = []
    for question, records in answers.items():
        for record in records:
            row = {"question": question, "kind": type(record).__name__}
            if isinstance(record, found.Comparison):
                row.update(
                    topic=record.topic,
                    context=record.context,
                    metric=record.metric,
                    a=record.a.config,
                    b=record.b.config,
                    n_a=record.effect.n_a,
                    n_b=record.effect.n_b,
                    effect=record.effect.value,
                    low=record.effect.low,
                    high=record.effect.high,
                    ratio=record.effect.ratio,
                    p=record.effect.p_value,
                    p_adjusted=record.p_adjusted,
                    conclusion=record.conclusion,
                )
            elif isinstance(record, found.ConfigOutcomes):
                row.update(a=record.config, verdict=record.verdict)
            row["text"] = (
                ranking_text([record], rank_by) if isinstance(record, found.RankedConfig) else sentence(record, rank_by)
            )
            rows.append(row)
    return pd.DataFrame(rows)
