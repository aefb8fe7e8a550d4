"""Which batch sizes train stably? The assignment's question, asked of the batch-size axis.

Each batch size is compared with the smallest at every setting of the other axes: how many seeds ended stable, and
the ranking metric at equal epochs and at equal generator updates (a larger batch takes fewer steps an epoch), each
side by its seeds that did not fail, at their evaluations up to that point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import stats
from analysis.questions.axis import AxisQuestion
from analysis.questions.comparison import EQUAL_EPOCHS, EQUAL_UPDATES, compare, decisions_text, metric_name
from analysis.questions.study import Study
from analysis.wording import number, share_text

EQUAL_UPDATES_TOLERANCE = 0.10  # two evaluations are at equal updates when their counts differ by at most this share
SAME_LR_TOLERANCE = 0.01  # two LRs as they ran are the same when they differ by at most this share
VERDICT_WORDS = {
    stats.STABLE_CONFIG: "stable",
    stats.UNSTABLE_CONFIG: "unstable",
    stats.NOT_LEARNED_CONFIG: "did not learn in these epochs (more updates needed, not a fix for instability)",
    stats.UNDECIDED: "undecided",
}


@dataclass(frozen=True)
class NotComparable:
    """Two batch sizes that could not be compared at equal updates: the closest counts were too far apart, or the
    smaller batch had no evaluation (``b_updates`` NaN)."""

    context: str
    a: str
    b: str
    a_updates: float
    b_updates: float


class BatchSizeQuestion(AxisQuestion):
    evidence = ("outcomes.png",)

    def __init__(self, study: Study, axis: tuple[str, ...]):
        super().__init__(study, axis)
        self.baseline = self.values[0]  # the smallest batch

    @property
    def text(self) -> str:
        return "Which batch sizes train stably?"

    def quality(self, context: str, a: str, b: str, trials: pd.DataFrame, base: pd.DataFrame) -> list:
        """At equal epochs and at equal generator updates, each side by its working seeds' evaluations up to that
        point (not their final ones, which may lie at another epoch)."""
        study = self.study
        if not study.quality_measured:
            return []
        larger, smaller = study.working(trials), study.working(base)
        epoch = study.common_epoch(pd.concat([larger, smaller]))
        if math.isnan(epoch):
            return []
        rank_by = study.rank_by
        at_epoch = compare(
            EQUAL_EPOCHS,
            context,
            rank_by,
            study.rows_side(a, study.last_evaluations(larger, epoch), rank_by, trials),
            study.rows_side(b, study.last_evaluations(smaller, epoch), rank_by, base),
            study.extractor,
        )
        if larger.empty or smaller.empty:  # no seed of one side worked: nothing to match updates with
            return [at_epoch]
        return [at_epoch, self.equal_updates(context, a, b, larger, smaller, epoch, trials, base)]

    def equal_updates(self, context, a, b, larger, smaller, epoch, trials, base):
        """The larger batch at the latest of its evaluated epochs (up to the common ``epoch``) where every smaller-batch
        seed has an evaluation within 10 % of its generator updates, against those evaluations; not comparable when
        no evaluated epoch has such a match (the record then holds the counts at the common epoch)."""
        study = self.study
        evaluations = study.evaluations
        if "g_updates" not in evaluations:
            return NotComparable(context, a, b, math.nan, math.nan)
        own = evaluations[evaluations["trial_id"].isin(larger["trial_id"])]
        first_miss = None
        for candidate in sorted(set(own.loc[own["epoch"] <= epoch, "epoch"]), reverse=True):
            large_rows = [row for row in study.last_evaluations(larger, candidate) if row["epoch"] == candidate]
            target = float(np.mean([row["g_updates"] for row in large_rows]))
            nearest = []
            for trial_id in smaller["trial_id"]:
                history = evaluations[evaluations["trial_id"] == trial_id]
                if len(history):
                    nearest.append(history.loc[(history["g_updates"] - target).abs().idxmin()])
            updates = [row["g_updates"] for row in [*large_rows, *nearest]]
            if nearest and max(updates) <= (1 + EQUAL_UPDATES_TOLERANCE) * min(updates):
                a_side = study.rows_side(a, large_rows, study.rank_by, trials)
                b_side = study.rows_side(b, nearest, study.rank_by, base)
                lrs = [*a_side.lrs, *b_side.lrs]
                differ = bool(lrs) and max(lrs) > (1 + SAME_LR_TOLERANCE) * min(lrs)
                return compare(
                    EQUAL_UPDATES, context, study.rank_by, a_side, b_side, study.extractor, lrs_differ=differ
                )
            if first_miss is None:
                first_miss = (target, float(np.mean([row["g_updates"] for row in nearest])) if nearest else math.nan)
        target, b_updates = first_miss or (math.nan, math.nan)
        return NotComparable(context, a, b, target, b_updates)

    # ---- words ---------------------------------------------------------------------------------------------------

    def summary(self, records: list) -> str:
        """The configs by verdict, each with its stable seeds, then every difference resolved."""
        by_verdict: dict[str, list[str]] = {}
        for _, row in self.study.ranked.sort_values(self.study.columns).iterrows():
            shown = f"{row['label']} ({share_text(row['stable'], row['judged'], *row['stable_interval'])})"
            by_verdict.setdefault(row["verdict"], []).append(shown)
        verdicts = "; ".join(
            f"{said}: {', '.join(by_verdict[verdict])}"
            for verdict, said in VERDICT_WORDS.items()
            if verdict in by_verdict
        )
        what = f"stable seeds or {metric_name(self.study.rank_by)}" if self.study.quality_measured else "stable seeds"
        return f"{verdicts[0].upper()}{verdicts[1:]}. {decisions_text(records, what)}".strip()

    def sentence(self, record) -> str:
        if isinstance(record, NotComparable):
            return not_comparable_text(record)
        return super().sentence(record)


def not_comparable_text(record: NotComparable) -> str:
    where = f" at {record.context}" if record.context else ""
    if math.isnan(record.b_updates):
        return (
            f"{record.a} and {record.b}{where} cannot be compared at equal updates: {record.b} has no evaluation to "
            "compare."
        )
    return (
        f"{record.a} and {record.b}{where} cannot be compared at equal generator updates: no evaluation of {record.a} "
        f"lies within {EQUAL_UPDATES_TOLERANCE:.0%} of one of {record.b} in updates ({record.a}: "
        f"{number(record.a_updates)} by the common epoch, {record.b}'s nearest: {number(record.b_updates)}); evaluate "
        "more often (--eval-every) to compare them."
    )
