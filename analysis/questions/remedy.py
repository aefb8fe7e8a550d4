"""Does a remedy fix the unstable ones? Asked of an LR schedule (the assignment's question) and of LR scaling with the
batch ("Does scaling the LR with the batch rescue the large batches?").

At each setting of the other axes, each value of the axis (warmup_cosine, step; sqrt, linear) is judged against the
baseline that needs the remedy (constant LR; the unscaled LR): it fixes the baseline's instability only when the
baseline is unstable and the remedy's seeds end stable more often beyond chance (Fisher, adjusted with the question's
other comparisons); its quality is compared over the seeds that did not fail.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass

from analysis import stats
from analysis.questions.axis import AxisQuestion, capitalized
from analysis.questions.comparison import BETTER, SEEDS_STABLE, Comparison, decisions_text, metric_name
from analysis.questions.study import Study
from trainables.config import LR_SCALING, SCHEDULE

# What a remedy did for its baseline.
FIXES, DOES_NOT_FIX, NOT_SHOWN, STILL_UNDECIDED, NOTHING_TO_FIX, BASELINE_NOT_LEARNED = (
    "fixes it",
    "does not fix it",
    "stable on every seed, not told from chance",
    "undecided",
    "nothing to fix",
    "baseline did not learn",
)


@dataclass(frozen=True)
class RemedyEffect:
    """What ``remedy`` (a value of the axis) did at ``context`` for the baseline there."""

    context: str
    remedy: str
    baseline_verdict: str
    verdict: str
    effect: str


@dataclass(frozen=True)
class Remedy:
    """How a remedy axis is asked and said: its question, its baseline value, the baseline's name in a sentence, and
    the verb for a fix."""

    question: str
    baseline: str
    baseline_name: str
    fixes: str


REMEDIES = {
    SCHEDULE: Remedy("Does an LR schedule fix the unstable ones?", "constant", "constant LR", "fixes"),
    LR_SCALING: Remedy(
        "Does scaling the LR with the batch rescue the large batches?", "none", "the unscaled LR", "rescues"
    ),
}


class RemedyQuestion(AxisQuestion):
    evidence = ("schedules.png",)  # the LR as each config ran it, beside the ranking metric

    def __init__(self, study: Study, axis: tuple[str, ...]):
        super().__init__(study, axis)
        self.remedy = REMEDIES[axis[0]]
        self.needing = self.value_holding(
            (self.remedy.baseline,)
        )  # the value that needs the remedy, if the grid ran it
        if self.needing is not None:
            self.baseline = self.needing

    @property
    def text(self) -> str:
        return self.remedy.question

    def value_text(self, value: tuple) -> str:
        return str(value[0]) if self.axis == (SCHEDULE,) else super().value_text(value)

    def records(self) -> list:
        if self.needing is None:
            return super().records()  # every value compared with the first, as for any axis
        out: list = []
        for context, value, trials, base in self.study.pairs(self.axis, self.needing):
            remedy, baseline = self.value_text(value), self.value_text(self.value_of(base))
            base_verdict, own_verdict = self.study.verdict_of(base), self.study.verdict_of(trials)
            effect = {
                stats.UNSTABLE_CONFIG: {stats.UNSTABLE_CONFIG: DOES_NOT_FIX, stats.STABLE_CONFIG: NOT_SHOWN}.get(
                    own_verdict, STILL_UNDECIDED
                ),
                stats.STABLE_CONFIG: NOTHING_TO_FIX,
                stats.NOT_LEARNED_CONFIG: BASELINE_NOT_LEARNED,
            }.get(base_verdict, STILL_UNDECIDED)
            out.append(RemedyEffect(context, remedy, base_verdict, own_verdict, effect))
            if base_verdict == stats.UNSTABLE_CONFIG:
                out.append(self.stable_shares(context, remedy, baseline, trials, base))
            out += self.quality(context, remedy, baseline, trials, base)
        return out or super().records()

    # ---- words ---------------------------------------------------------------------------------------------------

    def summary(self, records: list) -> str:
        effects = [record for record in records if isinstance(record, RemedyEffect)]
        if not effects:
            return super().summary(records)
        parts = []
        for record in effects:
            short = self.short_effect(record)
            where = f"at {record.context}, " if record.context else ""
            parts.append(f"{where}{record.remedy} {short}")
        said = capitalized("; ".join(parts))
        what = f"stable seeds or {metric_name(self.study.rank_by)}" if self.study.quality_measured else "stable seeds"
        return f"{said}. {decisions_text(records, what)}".strip() + self.no_unstable(effects)

    def short_effect(self, record: RemedyEffect) -> str:
        name = self.remedy.baseline_name
        return {
            FIXES: f"{self.remedy.fixes} {name}'s instability",
            DOES_NOT_FIX: f"does not fix {name}'s instability",
            NOT_SHOWN: f"was stable on every seed where {name} was not, but not beyond chance",
            NOTHING_TO_FIX: f"had nothing to fix ({name} was stable)",
            BASELINE_NOT_LEARNED: f"had nothing to fix yet ({name} did not learn)",
        }.get(record.effect, f"cannot be judged yet ({name} {record.baseline_verdict})")

    def no_unstable(self, effects: list[RemedyEffect]) -> str:
        """' No constant-LR config is known to be unstable ...' where none was: why no remedy could fix one."""
        verdicts = [record.baseline_verdict for record in effects]
        if stats.UNSTABLE_CONFIG in verdicts:
            return ""
        name = self.remedy.baseline_name
        counts = Counter(verdict for verdict in verdicts if verdict != stats.STABLE_CONFIG)
        if counts:
            which = " and ".join(f"{count} {verdict}" for verdict, count in counts.items())
            return (
                f" No config at {name} is known to be unstable ({which}), so whether a remedy fixes one cannot be told "
                "yet."
            )
        return f" No config at {name} is unstable, so there is no instability to fix."

    def settle(self, records: list) -> list:
        """Effects that depend on their stable-share comparison, decided once that comparison is adjusted: a remedy
        stable on every seed fixes its baseline only when its stable seeds are more beyond chance."""
        shares = {
            (record.context, record.a.config): record
            for record in records
            if isinstance(record, Comparison) and record.topic == SEEDS_STABLE
        }
        out = []
        for record in records:
            if isinstance(record, RemedyEffect) and record.effect == NOT_SHOWN:
                comparison = shares.get((record.context, record.remedy))
                if comparison is not None and comparison.conclusion == BETTER:
                    record = dataclasses.replace(record, effect=FIXES)
            out.append(record)
        return out

    def sentence(self, record) -> str:
        if isinstance(record, RemedyEffect):
            return self.effect_text(record)
        return super().sentence(record)

    def effect_text(self, record: RemedyEffect) -> str:
        name = self.remedy.baseline_name
        where = f"{record.context}: " if record.context else ""
        said = f"{where}with {name} {record.baseline_verdict}, with {record.remedy} {record.verdict}"
        if record.effect == BASELINE_NOT_LEARNED:
            return (
                f"{where}with {name} the generators did not learn the data in these epochs (with {record.remedy}: "
                f"{record.verdict}), so there is no instability for {record.remedy} to fix yet; train longer to ask."
            )
        if record.effect == STILL_UNDECIDED:
            return (
                f"{said}; whether {record.remedy} fixes anything cannot be told while the baseline is "
                f"{record.baseline_verdict}."
            )
        words = {
            FIXES: f"{self.remedy.fixes} it",
            DOES_NOT_FIX: "does not fix it",
            NOT_SHOWN: "ends stable on every seed, but that many seeds cannot tell it from chance: no conclusion yet",
            NOTHING_TO_FIX: f"has nothing to fix, as {name} is stable here",
        }
        return f"{said}: so {record.remedy} {words[record.effect]}."
