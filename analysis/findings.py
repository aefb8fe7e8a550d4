"""The study's three questions answered as records: outcome counts, comparisons, the ranking, schedule effects.

Every finding is computed from this experiment's numbers (analysis.stats' tables) and returned
as a typed record; nothing here is worded (analysis.wording renders the records into the report's
sentences and the notebook's table). Each question's comparisons are one family: their p-values
are adjusted together by Holm's method, and a comparison's conclusion is better or worse only
when its adjusted p says so. The rules (what is compared with what, at which epoch or update
count) are stated once in analysis.outcomes.DEFINITIONS.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Iterator, Union

import numpy as np
import pandas as pd

from analysis import outcomes, stats
from analysis.intervals import ALPHA, Effect, Estimate, difference, estimate, holm, share_difference
from analysis.load import latest_per_epoch
from analysis.power import SeedsNeeded, seeds_for_difference, seeds_for_shares
from trainables.config import BATCH_SIZE, SCHEDULE, SEED, TrialConfig
from trainables.metric_keys import HIGHER_IS_BETTER

STABILITY, IMAGES, SCHEDULES = (
    "Which batch sizes train stably?",
    "Which settings give good images?",
    "Does an LR schedule fix the unstable ones?",
)
QUESTIONS = (STABILITY, IMAGES, SCHEDULES)
BASELINE_SCHEDULE = "constant"
EQUAL_UPDATES_TOLERANCE = 0.10  # two evaluations are at equal updates when their counts differ by at most this share
SAME_LR_TOLERANCE = 0.01  # two LRs as they ran are the same when they differ by at most this share
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
# What a schedule did for its constant-LR baseline.
FIXES, DOES_NOT_FIX, NOT_SHOWN, STILL_UNDECIDED, DID_NOT_ACT, NOTHING_TO_FIX, BASELINE_NOT_LEARNED = (
    "fixes it",
    "does not fix it",
    "stable on every seed, not told from chance",
    "undecided",
    "did not act",
    "nothing to fix",
    "baseline did not learn",
)


@dataclass(frozen=True)
class SeedOutcome:
    seed: int
    outcome: str
    epoch: float  # from which epoch (NaN for stable or unjudged)
    detail: str
    improving: bool | None
    g_updates: float  # generator updates the seed took


@dataclass(frozen=True)
class ConfigOutcomes:
    """How the seeds of one config ended, its verdict, and its share of stable seeds with its Wilson interval."""

    question: str
    config: str
    verdict: str
    why: str  # why an undecided config is undecided (analysis.stats' *_WHY)
    seeds: tuple[SeedOutcome, ...]
    stable: int
    judged: int
    stable_low: float
    stable_high: float


@dataclass(frozen=True)
class Side:
    """One side of a comparison: the config, and per seed its value with the epoch, generator updates and generator LR
    it was taken at (for a stable-share comparison, 1 for a stable seed and 0 for another judged one)."""

    config: str
    values: tuple[float, ...]
    epochs: tuple[int, ...] = ()
    updates: tuple[float, ...] = ()
    lrs: tuple[float, ...] = ()
    configs: tuple[tuple[tuple[str, object], ...], ...] = ()  # the configs its seeds ran, as (column, value) pairs


@dataclass(frozen=True)
class Comparison:
    """``metric`` of config ``a`` against config ``b`` at ``context`` (the settings both share), on the ``topic``'s
    basis; ``p_adjusted`` and ``family`` are Holm's over the question's comparisons, ``conclusion`` what they allow."""

    question: str
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


@dataclass(frozen=True)
class NotComparable:
    """Two configs that could not be compared on ``topic`` (for equal updates: the closest counts were too far apart,
    or the smaller batch had no evaluation)."""

    question: str
    topic: str
    context: str
    a: str
    b: str
    a_updates: float
    b_updates: float  # NaN when b has no evaluation at all


@dataclass(frozen=True)
class RankedConfig:
    question: str
    rank: int
    config: str
    metric: str
    estimate: Estimate  # of the metric over finished seeds
    finished: int
    failed: int  # finished seeds that diverged, did not learn or mode-collapsed
    ranks_first: bool  # has enough finished seeds to rank first (stats.MIN_SEEDS_TO_RANK_FIRST)


@dataclass(frozen=True)
class ScheduleEffect:
    """What ``schedule`` did at ``context`` for the constant-LR baseline there: ``effect`` is one of FIXES,
    DOES_NOT_FIX, NOT_SHOWN, STILL_UNDECIDED, DID_NOT_ACT, NOTHING_TO_FIX, BASELINE_NOT_LEARNED."""

    question: str
    context: str
    schedule: str
    baseline_verdict: str
    verdict: str
    effect: str
    epochs: int  # how many epochs the two ran (for DID_NOT_ACT)


@dataclass(frozen=True)
class Note:
    """A finding without numbers to compare: ``kind`` is one of the NOTE_* names; ``count`` where it has one."""

    question: str
    kind: str
    count: int = 0


NO_EPOCHS, TRIALS_NOT_MEASURED, NO_QUALITY, NO_BASELINE, NO_UNSTABLE_BASELINE, UNDECIDED_BASELINES, FAMILY = (
    "no epochs",
    "trials not measured",
    "no quality",
    "no baseline",
    "no unstable baseline",
    "undecided baselines",
    "family",
)

Finding = Union[ConfigOutcomes, Comparison, NotComparable, RankedConfig, ScheduleEffect, Note]


def findings(
    frame: pd.DataFrame,
    rank_by: str = stats.DEFAULT_RANK_BY,
    *,
    trials: pd.DataFrame | None = None,
    table: pd.DataFrame | None = None,
    ranked: pd.DataFrame | None = None,
) -> dict[str, list[Finding]]:
    """The records answering each of :data:`QUESTIONS`. ``trials``, ``table`` and ``ranked`` are
    :func:`~analysis.stats.per_trial` of ``frame``, :func:`~analysis.stats.summary` of that and its
    :func:`~analysis.stats.ranking` by ``rank_by``, when the caller has them already."""
    trials = stats.per_trial(frame) if trials is None else trials
    if trials["epochs_done"].max() == 0:
        return {question: [Note(question, NO_EPOCHS)] for question in QUESTIONS}
    table = stats.summary(trials) if table is None else table
    ranked = stats.ranking(table, rank_by) if ranked is None else ranked
    study = _Study(latest_per_epoch(frame), trials, table, stats.config_columns(trials), rank_by)
    answers = {
        STABILITY: study.stability(),
        IMAGES: study.images(ranked),
        SCHEDULES: study.schedules(),
    }
    return {question: _settle(_adjusted(records)) for question, records in answers.items()}


def _adjusted(records: list[Finding]) -> list[Finding]:
    """The records with every comparison's Holm-adjusted p over the family of the question's comparisons, its
    conclusion, and a FAMILY note after them when there is more than one."""
    compared = [index for index, record in enumerate(records) if isinstance(record, Comparison)]
    adjusted = holm([records[index].effect.p_value for index in compared])
    family = sum(math.isfinite(p_value) for p_value in adjusted)
    out = list(records)
    for index, p_adjusted in zip(compared, adjusted):
        record = out[index]
        conclusion = _conclude(record, p_adjusted)
        needed = _seeds_needed(record, ALPHA / max(1, family)) if conclusion == NO_CONCLUSION else None
        out[index] = dataclasses.replace(
            record, p_adjusted=p_adjusted, family=family, conclusion=conclusion, seeds_needed=needed
        )
    if family > 1:
        out.append(Note(records[0].question, FAMILY, family))
    return out


@dataclass(frozen=True)
class MoreSeeds:
    """What more seeds would settle: ``decidable`` comparisons left undecided would be decided by ``seeds`` per config
    (the most any of them needs); their configs have ``seeds_now`` (the fewest on either side)."""

    decidable: int
    seeds: int
    seeds_now: int
    configs: tuple[tuple[tuple[str, object], ...], ...]  # the configs they compare (Side.configs)


def more_seeds(answers: dict[str, list[Finding]]) -> MoreSeeds | None:
    """Over every question's comparisons; None when no undecided one would be decided by a practical number."""
    needing = [
        record
        for records in answers.values()
        for record in records
        if isinstance(record, Comparison) and record.seeds_needed is not None and record.seeds_needed.seeds is not None
    ]
    if not needing:
        return None
    return MoreSeeds(
        decidable=len(needing),
        seeds=max(record.seeds_needed.seeds for record in needing),
        seeds_now=min(min(record.effect.n_a, record.effect.n_b) for record in needing),
        configs=tuple(sorted({config for record in needing for config in (*record.a.configs, *record.b.configs)})),
    )


def _seeds_needed(comparison: Comparison, level: float) -> SeedsNeeded | None:
    """The seeds per config that would decide ``comparison`` at ``level`` (analysis.power); at least one more than
    it has, since the seeds it has did not (power is a chance, and these seeds fell in the rest)."""
    a, b = comparison.a.values, comparison.b.values
    if comparison.metric == STABLE_SHARE:  # a side's values: 1 per stable seed, 0 per other judged one
        needed = seeds_for_shares(int(sum(a)), len(a), int(sum(b)), len(b), level)
    else:
        needed = seeds_for_difference(a, b, comparison.metric, level)
    if needed is None or needed.seeds is None:
        return needed
    return dataclasses.replace(needed, seeds=max(needed.seeds, min(len(a), len(b)) + 1))


def _conclude(comparison: Comparison, p_adjusted: float) -> str:
    effect = comparison.effect
    if effect.no_test:
        return effect.no_test
    if not p_adjusted < ALPHA:
        return NO_CONCLUSION
    a_higher = effect.value > 1 if effect.ratio else effect.value > 0
    return BETTER if a_higher == comparison.higher_is_better else WORSE


def _settle(records: list[Finding]) -> list[Finding]:
    """Schedule effects that depend on their stable-share comparison, decided once that comparison is adjusted."""
    shares = {
        (record.context, record.a.config): record
        for record in records
        if isinstance(record, Comparison) and record.metric == STABLE_SHARE and record.question == SCHEDULES
    }
    out = []
    for record in records:
        if isinstance(record, ScheduleEffect) and record.effect == NOT_SHOWN:
            comparison = shares.get((record.context, record.schedule))
            if comparison is not None and comparison.conclusion == BETTER:
                record = dataclasses.replace(record, effect=FIXES)
        out.append(record)
    return out


def _plain(value):
    """A numpy scalar as the Python number it holds, as configs name their values."""
    return value.item() if isinstance(value, np.generic) else value


def _setting(column: str, value) -> str:
    return {BATCH_SIZE: f"batch {value}", SCHEDULE: f"{value} LR"}.get(column, f"{column} {value}")


def _value_label(column: str, value) -> str:
    """How one side of a comparison along ``column`` is named: 'batch 1024', 'warmup_cosine', 'latent_dim 256'."""
    return {BATCH_SIZE: f"batch {value}", SCHEDULE: str(value)}.get(column, f"{column} {value}")


class _Study:
    """The tables one experiment's findings are computed from."""

    def __init__(
        self, frame: pd.DataFrame, trials: pd.DataFrame, table: pd.DataFrame, columns: list[str], rank_by: str
    ):
        self.frame = frame
        self.trials = trials
        self.table = table
        self.columns = columns
        self.rank_by = rank_by
        measured = rank_by in frame.columns and frame[rank_by].notna().any()
        self.evaluations = frame[frame[rank_by].notna()].sort_values("epoch") if measured else frame.iloc[:0]

    # ---- helpers ------------------------------------------------------------------------------------------------

    def pairs(self, axis: str, baseline) -> Iterator[tuple[str, object, pd.DataFrame, pd.DataFrame]]:
        """For each setting of the other config columns: (its label, a value of ``axis`` other than the baseline,
        trials at that value, trials at the baseline)."""
        others = [column for column in self.columns if column != axis]
        groups = self.trials.groupby(others, sort=True) if others else [((), self.trials)]
        for context, group in groups:
            context = context if isinstance(context, tuple) else (context,)
            base = group[group[axis] == baseline]
            if base.empty:
                continue
            label = " · ".join(_setting(column, value) for column, value in zip(others, context))
            for value in sorted(set(group[axis]) - {baseline}):
                yield label, value, group[group[axis] == value], base

    def config_of(self, trials: pd.DataFrame) -> str:
        return stats.config_label(tuple(trials.iloc[0][self.columns]), self.columns)

    def configs_of(self, rows: pd.DataFrame) -> tuple[tuple[tuple[str, object], ...], ...]:
        points = rows[self.columns].drop_duplicates().itertuples(index=False)
        return tuple(tuple(zip(self.columns, (_plain(value) for value in point))) for point in points)

    def final_side(self, trials: pd.DataFrame, metric: str, label: str | None = None) -> Side:
        """The finished seeds' last evaluations of ``metric``."""
        done = trials[trials["outcome"].isin(outcomes.FINISHED)].dropna(subset=[metric])
        return Side(
            label or self.config_of(trials),
            tuple(done[metric]),
            tuple(int(epoch) for epoch in done["evaluated_epoch"]),
            tuple(done["g_updates"]) if "g_updates" in done else (),
            configs=self.configs_of(trials),
        )

    def rows_side(self, label: str, rows: list[pd.Series], metric: str) -> Side:
        return Side(
            label,
            tuple(row[metric] for row in rows),
            tuple(int(row["epoch"]) for row in rows),
            tuple(row["g_updates"] for row in rows) if "g_updates" in self.frame else (),
            tuple(row["lr_g_in_use"] for row in rows) if "lr_g_in_use" in self.frame else (),
            configs=self.configs_of(pd.DataFrame(rows)) if rows else (),
        )

    def compare(self, question: str, topic: str, context: str, metric: str, a: Side, b: Side, **flags) -> Comparison:
        return Comparison(
            question,
            topic,
            context,
            metric,
            a,
            b,
            difference(a.values, b.values, metric),
            HIGHER_IS_BETTER[metric],
            estimate(a.values, metric),
            estimate(b.values, metric),
            **flags,
        )

    def stable_shares(self, question: str, context: str, a: str, b: str, trials_a, trials_b) -> Comparison:
        """How many judged seeds ended stable, a against b."""
        sides = []
        for label, trials in ((a, trials_a), (b, trials_b)):
            judged = trials[trials["outcome"].isin(outcomes.JUDGED)]
            stable = tuple(float(outcome == outcomes.STABLE) for outcome in judged["outcome"])
            sides.append(Side(label, stable, configs=self.configs_of(trials)))
        counts = [int(sum(sides[0].values)), len(sides[0].values), int(sum(sides[1].values)), len(sides[1].values)]
        return Comparison(question, SEEDS_STABLE, context, STABLE_SHARE, *sides, share_difference(*counts), True)

    # ---- the three questions ------------------------------------------------------------------------------------

    def stability(self) -> list[Finding]:
        out: list[Finding] = []
        unmeasured = int((self.trials["outcome"] == outcomes.NOT_MEASURED).sum())
        if unmeasured:
            out.append(Note(STABILITY, TRIALS_NOT_MEASURED, unmeasured))
        rows = self.table.set_index("label")
        for config, group in self.trials.groupby(self.columns, sort=True):
            label = stats.config_label(config, self.columns)
            row = rows.loc[label]  # the summary's row of this config
            seeds = tuple(
                SeedOutcome(
                    int(trial[SEED]),
                    trial["outcome"],
                    trial["outcome_epoch"],
                    trial["outcome_detail"],
                    trial["improving"],
                    trial["g_updates"] if "g_updates" in trial else math.nan,
                )
                for _, trial in group.sort_values(SEED).iterrows()
            )
            low, high = row["stable_interval"]
            out.append(
                ConfigOutcomes(
                    STABILITY,
                    label,
                    row["verdict"],
                    row["verdict_why"],
                    seeds,
                    row["stable"],
                    row["judged"],
                    low,
                    high,
                )
            )
        smallest = self.trials[BATCH_SIZE].min()
        for context, batch, larger, base in self.pairs(BATCH_SIZE, smallest):
            out.append(self.stable_shares(STABILITY, context, f"batch {batch}", f"batch {smallest}", larger, base))
        return out

    def images(self, ranked: pd.DataFrame) -> list[Finding]:
        rank_by = self.rank_by
        if rank_by not in self.trials or self.trials[rank_by].isna().all():
            return [Note(IMAGES, NO_QUALITY)]
        out: list[Finding] = [
            RankedConfig(
                IMAGES,
                int(row["rank"]),
                row["label"],
                rank_by,
                row[rank_by],
                int(row["finished"]),
                int(row["failed"]),
                row["finished"] >= stats.MIN_SEEDS_TO_RANK_FIRST,
            )
            for _, row in ranked.iterrows()
        ]
        if len(ranked) > 1:
            best, runner_up = (self.trials_of(ranked.iloc[index]) for index in (0, 1))
            out.append(
                self.compare(
                    IMAGES,
                    BEST_VS_RUNNER_UP,
                    "",
                    rank_by,
                    self.final_side(best, rank_by),
                    self.final_side(runner_up, rank_by),
                    selected=True,
                )
            )
        out += self.batch_size_comparisons()
        out += self.setting_comparisons()
        return out

    def trials_of(self, config: pd.Series) -> pd.DataFrame:
        return self.trials[(self.trials[self.columns] == config[self.columns]).all(axis=1)]

    def batch_size_comparisons(self) -> list[Finding]:
        """Each batch size against the smallest, at equal epochs and at equal generator updates, each side by its
        evaluations up to that point (not its final ones, which may lie at another epoch)."""
        smallest = self.trials[BATCH_SIZE].min()
        out: list[Finding] = []
        for context, batch, larger, base in self.pairs(BATCH_SIZE, smallest):
            larger, base = (trials[trials["outcome"].isin(outcomes.FINISHED)] for trials in (larger, base))
            epoch = self.common_epoch(pd.concat([larger, base]))
            if math.isnan(epoch):
                continue
            large_rows = self.last_evaluations(larger, epoch)
            base_rows = self.last_evaluations(base, epoch)
            a, b = f"batch {batch}", f"batch {smallest}"
            out.append(
                self.compare(
                    IMAGES,
                    EQUAL_EPOCHS,
                    context,
                    self.rank_by,
                    self.rows_side(a, large_rows, self.rank_by),
                    self.rows_side(b, base_rows, self.rank_by),
                )
            )
            out.append(self.equal_updates(context, a, b, larger, base, epoch))
        return out

    def common_epoch(self, compared: pd.DataFrame) -> float:
        """The last epoch the compared trials all reached an evaluation at, not counting the trials that diverged (which
        take part with their last evaluation, the end of what their run produced); NaN when none was evaluated."""
        last = self.evaluations.groupby("trial_id")["epoch"].max().reindex(compared["trial_id"]).to_numpy()
        went_on = last[(compared["outcome"] != outcomes.DIVERGED).to_numpy()]
        went_on = went_on[~pd.isna(went_on)]
        return float(went_on.min()) if len(went_on) else float(pd.Series(last).max())

    def last_evaluations(self, trials: pd.DataFrame, epoch: float) -> list[pd.Series]:
        """Each trial's last evaluation at or before ``epoch``, for those that have one."""
        rows = []
        for trial_id in trials["trial_id"]:
            history = self.evaluations[
                (self.evaluations["trial_id"] == trial_id) & (self.evaluations["epoch"] <= epoch)
            ]
            if len(history):
                rows.append(history.iloc[-1])
        return rows

    def equal_updates(self, context: str, a: str, b: str, larger: pd.DataFrame, base: pd.DataFrame, epoch: float):
        """The larger batch at the latest of its evaluated epochs (up to the common ``epoch``) where every smaller-batch
        seed has an evaluation within 10 % of its generator updates, against those evaluations; not comparable when
        no evaluated epoch has such a match (the record then holds the counts at the common epoch)."""
        if "g_updates" not in self.evaluations:
            return NotComparable(IMAGES, EQUAL_UPDATES, context, a, b, math.nan, math.nan)
        own = self.evaluations[self.evaluations["trial_id"].isin(larger["trial_id"])]
        first_miss = None
        for candidate in sorted(set(own.loc[own["epoch"] <= epoch, "epoch"]), reverse=True):
            large_rows = [row for row in self.last_evaluations(larger, candidate) if row["epoch"] == candidate]
            target = float(np.mean([row["g_updates"] for row in large_rows]))
            nearest = []
            for trial_id in base["trial_id"]:
                history = self.evaluations[self.evaluations["trial_id"] == trial_id]
                if len(history):
                    nearest.append(history.loc[(history["g_updates"] - target).abs().idxmin()])
            updates = [row["g_updates"] for row in [*large_rows, *nearest]]
            if nearest and max(updates) <= (1 + EQUAL_UPDATES_TOLERANCE) * min(updates):
                a_side = self.rows_side(a, large_rows, self.rank_by)
                b_side = self.rows_side(b, nearest, self.rank_by)
                lrs = [*a_side.lrs, *b_side.lrs]
                differ = bool(lrs) and max(lrs) > (1 + SAME_LR_TOLERANCE) * min(lrs)
                return self.compare(IMAGES, EQUAL_UPDATES, context, self.rank_by, a_side, b_side, lrs_differ=differ)
            if first_miss is None:
                first_miss = (target, float(np.mean([row["g_updates"] for row in nearest])) if nearest else math.nan)
        target, b_updates = first_miss or (math.nan, math.nan)
        return NotComparable(IMAGES, EQUAL_UPDATES, context, a, b, target, b_updates)

    def setting_comparisons(self) -> list[Finding]:
        """Each value of a setting that varies beyond batch size and schedule (latent_dim, lr_d, ...) against its
        default (else its first value), at each setting of the other config columns where both sides measured it."""
        out: list[Finding] = []
        defaults = TrialConfig().to_dict()
        for axis in self.columns[2:]:
            values = sorted(set(self.trials[axis]))
            baseline = defaults[axis] if defaults[axis] in values else values[0]
            for context, value, other, base in self.pairs(axis, baseline):
                a, b = (
                    self.final_side(trials, self.rank_by, _value_label(axis, v))
                    for trials, v in ((other, value), (base, baseline))
                )
                if a.values and b.values:
                    out.append(self.compare(IMAGES, FINAL, context, self.rank_by, a, b))
        return out

    def schedules(self) -> list[Finding]:
        if BASELINE_SCHEDULE not in set(self.trials[SCHEDULE]):
            return [Note(SCHEDULES, NO_BASELINE)]
        verdicts = self.table.set_index("label")["verdict"].to_dict()
        out: list[Finding] = []
        baselines = []
        for context, schedule, scheduled, base in self.pairs(SCHEDULE, BASELINE_SCHEDULE):
            base_verdict, own_verdict = verdicts[self.config_of(base)], verdicts[self.config_of(scheduled)]
            acted, epochs = self.lr_differs(scheduled, base)
            if not acted:
                out.append(ScheduleEffect(SCHEDULES, context, schedule, base_verdict, own_verdict, DID_NOT_ACT, epochs))
                continue
            baselines.append(base_verdict)
            effect = {
                stats.UNSTABLE_CONFIG: {stats.UNSTABLE_CONFIG: DOES_NOT_FIX, stats.STABLE_CONFIG: NOT_SHOWN}.get(
                    own_verdict, STILL_UNDECIDED
                ),
                stats.STABLE_CONFIG: NOTHING_TO_FIX,
                stats.NOT_LEARNED_CONFIG: BASELINE_NOT_LEARNED,
            }.get(base_verdict, STILL_UNDECIDED)
            out.append(ScheduleEffect(SCHEDULES, context, schedule, base_verdict, own_verdict, effect, epochs))
            if base_verdict == stats.UNSTABLE_CONFIG:
                out.append(self.stable_shares(SCHEDULES, context, schedule, BASELINE_SCHEDULE, scheduled, base))
            a, b = (
                self.final_side(scheduled, self.rank_by, schedule),
                self.final_side(base, self.rank_by, BASELINE_SCHEDULE),
            )
            if self.rank_by in self.trials and a.values and b.values:
                out.append(self.compare(SCHEDULES, FINAL, context, self.rank_by, a, b))
        if baselines and stats.UNSTABLE_CONFIG not in baselines:
            undecided = sum(verdict != stats.STABLE_CONFIG for verdict in baselines)
            out.append(Note(SCHEDULES, UNDECIDED_BASELINES if undecided else NO_UNSTABLE_BASELINE, undecided))
        return out

    def lr_differs(self, scheduled: pd.DataFrame, base: pd.DataFrame) -> tuple[bool, int]:
        """Whether the generator LR the scheduled trials ran at differed from the baseline's at any epoch both ran, and
        how many epochs that was (True when the LR was not recorded: nothing shows that it did not act)."""
        if "lr_g_in_use" not in self.frame:
            return True, 0
        per_epoch = [
            self.frame[self.frame["trial_id"].isin(trials["trial_id"])].groupby("epoch")["lr_g_in_use"].mean()
            for trials in (scheduled, base)
        ]
        own, baseline = (series.reindex(per_epoch[0].index.intersection(per_epoch[1].index)) for series in per_epoch)
        if own.empty:
            return True, 0
        same = np.isclose(own.to_numpy(), baseline.to_numpy(), rtol=SAME_LR_TOLERANCE, atol=0)
        return not bool(same.all()), len(own)
