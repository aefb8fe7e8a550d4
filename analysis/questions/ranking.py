"""Which settings give good images? The ranking, how each config's seeds ended, and the best against the runner-up.

Always asked. A config's failure share (diverged, did not learn or mode-collapsed, with its Wilson interval) and its
quality over the seeds that did not fail are two answers: the ranking puts the failure share first, then the ranking
metric over the seeds that worked; every config's seeds are listed with how each ended.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from analysis import outcomes, stats
from analysis.intervals import Estimate
from analysis.questions.comparison import (
    BEST_VS_RUNNER_UP,
    BETTER,
    Comparison,
    compare,
    conclusion_text,
    metric_name,
)
from analysis.questions.question import Question
from analysis.questions.study import Note
from analysis.wording import OUTCOME_WORDS, estimate_text, failed_share_text, share_text
from trainables.config import SEED

RANKED_TABLE = "ranked table"  # the report's ranked table, in the evidence
NO_QUALITY, TRIALS_NOT_MEASURED, TRIALS_BLIND = "no quality", "trials not measured", "trials in blind features"
RANKING_RULE = (
    "Ranked with configs of at least {seeds} finished seeds first, then by the share of finished seeds that failed "
    "(diverged, did not learn or mode-collapsed; fewest first; of the seeds that could be judged, none where none "
    "could), then by the final "
    "{rank_by} over the seeds that did not fail"
)


@dataclass(frozen=True)
class SeedOutcome:
    seed: int
    outcome: str
    epoch: float  # from which epoch (NaN for stable or unjudged)
    detail: str
    improving: bool | None


@dataclass(frozen=True)
class ConfigOutcomes:
    """How the seeds of one config ended, its verdict, and its share of stable seeds with its Wilson interval."""

    config: str
    verdict: str
    why: str  # why an undecided config is undecided (analysis.stats' *_WHY)
    seeds: tuple[SeedOutcome, ...]
    stable: int
    judged: int
    stable_low: float
    stable_high: float


@dataclass(frozen=True)
class RankedConfig:
    rank: int
    config: str
    metric: str
    estimate: Estimate  # of the metric over the seeds that finished and did not fail
    finished: int
    told: int  # finished seeds whose failure is told (not outcomes.FAILURE_UNTOLD): the failed share's seeds
    failed: int  # finished seeds that diverged, did not learn or mode-collapsed
    failed_low: float  # the failed share's Wilson interval
    failed_high: float
    ranks_first: bool  # has enough finished seeds to rank first (stats.MIN_SEEDS_TO_RANK_FIRST)


def ranking_rule(rank_by: str) -> str:
    return RANKING_RULE.format(seeds=stats.MIN_SEEDS_TO_RANK_FIRST, rank_by=metric_name(rank_by))


def failed_text(record: RankedConfig) -> str:
    """'1 of 3 finished seeds failed [0.06, 0.79]'."""
    return failed_share_text(
        record.failed, record.told, record.finished, record.failed_low, record.failed_high, "finished seeds failed"
    )


def quality_text(record: RankedConfig) -> str:
    """'FID 215 [..] (n=2: ...) over the seeds that did not fail' (over its finished seeds where none could be
    judged), or why there is none."""
    seeds = "the seeds that did not fail" if record.told else "its finished seeds"
    if record.estimate.n == 0:
        return f"no {metric_name(record.metric)} of {seeds}"
    return f"{metric_name(record.metric)} {estimate_text(record.estimate)} over {seeds}"


class Ranking(Question):
    evidence = ("outcomes.png", "seed_spread.png", RANKED_TABLE, "final_grids.png")

    @property
    def text(self) -> str:
        return "Which settings give good images?"

    def records(self) -> list:
        study = self.study
        unmeasured = int((study.trials["outcome"] == outcomes.NOT_MEASURED).sum())
        out: list = [Note(TRIALS_NOT_MEASURED, unmeasured)] if unmeasured else []
        blind = study.trials[study.trials["outcome"] == outcomes.FEATURES_BLIND]
        out += [Note(TRIALS_BLIND, len(blind), str(blind["outcome_detail"].iloc[0]))] if len(blind) else []
        out += [self.config_outcomes(row) for _, row in study.ranked.iterrows()]
        if not study.quality_measured:
            return [Note(NO_QUALITY), *out]
        out += [
            RankedConfig(
                int(row["rank"]),
                row["label"],
                study.rank_by,
                row[study.rank_by],
                int(row["finished"]),
                int(row["told"]),
                int(row["failed"]),
                *row["failed_interval"],
                row["finished"] >= stats.MIN_SEEDS_TO_RANK_FIRST,
            )
            for _, row in study.ranked.iterrows()
        ]
        if len(study.ranked) > 1:
            best, runner_up = (study.trials_of(study.ranked.iloc[index]) for index in (0, 1))
            out.append(
                compare(
                    BEST_VS_RUNNER_UP,
                    "",
                    study.rank_by,
                    study.final_side(best, study.rank_by, study.ranked.iloc[0]["label"]),
                    study.final_side(runner_up, study.rank_by, study.ranked.iloc[1]["label"]),
                    study.extractor,
                    selected=True,
                )
            )
        return out

    def config_outcomes(self, row) -> ConfigOutcomes:
        group = self.study.trials_of(row)
        seeds = tuple(
            SeedOutcome(
                int(trial[SEED]), trial["outcome"], trial["outcome_epoch"], trial["outcome_detail"], trial["improving"]
            )
            for _, trial in group.sort_values(SEED).iterrows()
        )
        low, high = row["stable_interval"]
        return ConfigOutcomes(
            row["label"], row["verdict"], row["verdict_why"], seeds, row["stable"], row["judged"], low, high
        )

    # ---- words ---------------------------------------------------------------------------------------------------

    def summary(self, records: list) -> str:
        ranked = [record for record in records if isinstance(record, RankedConfig)]
        if not ranked:
            return NO_QUALITY_TEXT
        best = ranked[0]
        if not any(record.told for record in ranked):  # nothing to rank by failure: the metric alone orders them
            text = (
                f"No seed could be judged by its numbers, so no config is known to fail less than another; by "
                f"{metric_name(best.metric)} alone {best.config} comes first: {quality_text(best)}"
            )
        else:
            text = f"{best.config} ranks first: {failed_text(best)}; {quality_text(best)}"
        if not best.ranks_first:
            text += f" (no config has {stats.MIN_SEEDS_TO_RANK_FIRST} finished seeds: provisional)"
        runner_up = [record for record in records if isinstance(record, Comparison)]
        if runner_up and runner_up[0].conclusion == BETTER:
            text += f"; better than the runner-up {runner_up[0].b.config}"
        elif runner_up and ranked[1].finished and ranked[1].failed == ranked[1].finished:
            # Nothing to compare on quality: the runner-up's seeds all failed, which the ranking already put first.
            text += f"; the runner-up {ranked[1].config} has no seed that did not fail ({failed_text(ranked[1])})"
        elif runner_up:
            text += f"; not told apart from the runner-up {runner_up[0].b.config} ({conclusion_text(runner_up[0])})"
        return f"{text}."

    def sentences(self, records: list) -> list[str]:
        """The ranking as one sentence, then every other record as its own."""
        ranked = [record for record in records if isinstance(record, RankedConfig)]
        out = [ranking_text(ranked, self.study.rank_by)] if ranked else []
        return out + [self.any_sentence(record) for record in records if not isinstance(record, RankedConfig)]

    def sentence(self, record) -> str:
        if isinstance(record, ConfigOutcomes):
            return config_outcomes_text(record)
        if isinstance(record, Note) and record.kind == NO_QUALITY:
            return NO_QUALITY_TEXT
        if isinstance(record, Note) and record.kind == TRIALS_NOT_MEASURED:
            count = record.count
            return (
                f"{count} trial{'s' if count != 1 else ''} measured no image quality (eval_every 0), so their samples "
                "cannot be judged: they are undecided, whatever their loss variance."
            )
        if isinstance(record, Note) and record.kind == TRIALS_BLIND:
            return (
                f"{record.count} trial{'s' if record.count != 1 else ''} cannot be judged by their numbers: "
                f"{record.text}, so these features do not tell real images from failure (random or wrong feature "
                "weights, or a reference of near-copies). Judge them by the sample grids, or score them with "
                "Inception's published weights (--feature-weights)."
            )
        return super().sentence(record)


NO_QUALITY_TEXT = (
    "No image-quality metrics were measured in this experiment (eval_every 0), so which settings give good images "
    "cannot be answered from numbers: judge by the sample grids, or rerun with --eval-every."
)


def ranking_text(records: list[RankedConfig], rank_by: str) -> str:
    listing = "; ".join(
        f"{record.rank}. {record.config}: {failed_text(record)}, {quality_text(record)}"
        + ("" if record.ranks_first else " (too few finished seeds to rank first)")
        for record in records
    )
    return f"{ranking_rule(rank_by)}: {listing}."


def _improving(seeds: list[SeedOutcome]) -> str:
    told = [seed for seed in seeds if seed.improving is not None]
    if not told:
        return ""
    improving = sum(seed.improving for seed in told)
    return f"{improving} of {len(told)} still improving when training ended"


def _seed_text(seed: SeedOutcome) -> str:
    if seed.outcome == outcomes.DIVERGED:
        where = f" at epoch {int(seed.epoch)}"
    elif seed.outcome == outcomes.DID_NOT_LEARN or math.isnan(seed.epoch):
        where = ""  # a generator that never learned has no epoch it happened at
    else:
        where = f" from epoch {int(seed.epoch)}"
    detail = f": {seed.detail}" if seed.detail else ""
    return f"seed {seed.seed}{where}{detail}"


LISTED_BY_NUMBER = (  # their seeds need no detail
    outcomes.STABLE,
    outcomes.UNFINISHED,
    outcomes.NOT_MEASURED,
    outcomes.FEATURES_BLIND,
)


def config_outcomes_text(record: ConfigOutcomes) -> str:
    """'batch 1024: did not learn: 3 of 3 seeds did not learn (seed 0: in 696 generator updates, best coverage
    0.0009; ...; 3 of 3 still improving when training ended); 0 of 3 stable [0, 0.56].'"""
    verdict = record.verdict + (f" ({record.why})" if record.why else "")
    parts = []
    total = len(record.seeds)
    for outcome, word in OUTCOME_WORDS.items():
        seeds = [seed for seed in record.seeds if seed.outcome == outcome]
        if not seeds:
            continue
        if outcome in LISTED_BY_NUMBER:
            listed = f"seed{'s' if len(seeds) > 1 else ''} {', '.join(str(seed.seed) for seed in seeds)}"
        else:
            listed = "; ".join(_seed_text(seed) for seed in seeds)
        trend = _improving(seeds) if outcome != outcomes.DIVERGED else ""
        inside = "; ".join(part for part in (listed, trend) if part)
        parts.append(f"{len(seeds)} of {total} seed{'s' if total > 1 else ''} {word} ({inside})")
    shares = share_text(record.stable, record.judged, record.stable_low, record.stable_high)
    return f"{record.config}: {verdict}: {'; '.join(parts)}; {shares}."
