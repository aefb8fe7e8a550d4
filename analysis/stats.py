"""Per-trial outcomes, per-config estimates over seeds and the ranking: the tables the findings and the report use.

What "stable", "mode collapse" and the rest mean is defined once, in analysis.outcomes; the
estimates' arithmetic is analysis.intervals'. Nothing here is worded: analysis.findings turns these
tables into records, analysis.wording into sentences.
"""

from __future__ import annotations

import math

import pandas as pd

from analysis import outcomes
from analysis.configs import config_columns, config_label
from analysis.intervals import estimate, wilson_interval
from analysis.load import CONFIG_COLUMNS, latest_per_epoch
from trainables.config import CLASSIFIER, resolved_extractor
from trainables.metric_keys import (
    CONFIG_ESTIMATE,
    DIVERGED_REASON,
    HIGHER_IS_BETTER,
    LATE_MEAN,
    PER_TRIAL,
    QUALITY_METRICS,
    RANKABLE,
    of_source,
    shown_in,
)

DEFAULT_RANK_BY = "fid"
MIN_SEEDS_TO_RANK_FIRST = 2
LAST_EPOCH = shown_in(CONFIG_ESTIMATE)  # their values at a trial's last epoch
LATE_VARIANCES = shown_in(LATE_MEAN)  # their means over its last LATE_EPOCHS epochs, as late_*
# Per-trial numbers estimated over seeds in the summary, besides the quality metrics.
ESTIMATED = (*LAST_EPOCH, *of_source(PER_TRIAL))

# A config's verdict on stability (outcomes.DEFINITIONS), and why an undecided one is undecided.
STABLE_CONFIG, UNSTABLE_CONFIG, NOT_LEARNED_CONFIG, UNDECIDED = "stable", "unstable", "did not learn", "undecided"
ONE_SEED_WHY, UNFINISHED_WHY, IMPROVING_WHY, UNMEASURED_WHY, TOO_EARLY_WHY, BLIND_WHY = (
    "one seed cannot decide",
    "unfinished seeds",
    "still improving when training ended",
    "quality not measured",
    "more epochs needed: a seed first drew the data at its end",
    "its features cannot tell real images from failure",
)


def measured(frame: pd.DataFrame, names: tuple[str, ...]) -> list[str]:
    """The ``names`` that ``frame`` holds a value of, in their order."""
    return [name for name in names if name in frame.columns and frame[name].notna().any()]


def quality_metrics(frame: pd.DataFrame) -> list[str]:
    return measured(frame, RANKABLE)


def _present(frame: pd.DataFrame, names: tuple[str, ...]) -> list[str]:
    return [name for name in names if name in frame.columns]


def per_trial(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per trial: config, status, outcome (its epoch, detail, whether still improving), final and late
    metrics, its last evaluation's quality."""
    frame = latest_per_epoch(frame)
    rows = []
    for trial_id, history in frame.groupby("trial_id", sort=False):
        done = history.dropna(subset=["epoch"]).sort_values("epoch")
        first = history.iloc[0]
        row = {column: first[column] for column in ("trial_id", "status", *CONFIG_COLUMNS) if column in history}
        row["epochs_done"] = int(done["epoch"].max()) if len(done) else 0
        reason = str(done[DIVERGED_REASON].iloc[-1]) if DIVERGED_REASON in done and len(done) else ""
        outcome = outcomes.trial_outcome(done, str(first["status"]), int(first["epochs"]), reason)
        row.update(
            outcome=outcome.outcome,
            outcome_epoch=outcome.epoch,
            outcome_detail=outcome.detail,
            improving=outcome.improving,
        )
        for metric in _present(done, LAST_EPOCH):
            row[metric] = done[metric].iloc[-1] if len(done) else math.nan
        for metric in _present(done, LATE_VARIANCES):
            row[f"late_{metric}"] = done[metric].tail(outcomes.LATE_EPOCHS).mean()
        evaluations = done.dropna(subset=["fid"]) if "fid" in done else done.iloc[:0]
        for metric in measured(frame, QUALITY_METRICS):
            row[metric] = evaluations[metric].iloc[-1] if len(evaluations) else math.nan
        row["evaluated_epoch"] = evaluations["epoch"].iloc[-1] if len(evaluations) else math.nan
        row["fid_fluctuation"] = outcomes.fid_fluctuation(evaluations) if len(evaluations) else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


def outcome_counts(trials: pd.DataFrame) -> pd.DataFrame:
    """How many seeds of each config (a row per config, by :func:`config_columns`) ended with each outcome (a column
    per outcome that occurred); ``trials`` is :func:`per_trial`'s table."""
    return trials.groupby(config_columns(trials))["outcome"].value_counts().unstack(fill_value=0)


def config_verdict(trials: pd.DataFrame) -> tuple[str, str]:
    """(verdict, why) of one config's seeds (rows of :func:`per_trial`), as outcomes.DEFINITIONS states: stable when
    every seed (at least 2) is; unstable when a seed diverged, or mode-collapsed or lost quality and had stopped
    improving; did not learn when a seed did not learn and none is unstable; else undecided, saying why: first that a
    seed was too early to judge (more epochs needed), then unfinished seeds, then unmeasured ones."""
    judged = trials[trials["outcome"].isin(outcomes.JUDGED)]
    unjudged = (
        (TOO_EARLY_WHY, outcomes.TOO_EARLY),
        (UNFINISHED_WHY, outcomes.UNFINISHED),
        (UNMEASURED_WHY, outcomes.NOT_MEASURED),
        (BLIND_WHY, outcomes.FEATURES_BLIND),
    )
    waiting = [why for why, outcome in unjudged if (trials["outcome"] == outcome).any()]
    if len(judged) < 2:
        return UNDECIDED, waiting[0] if len(trials) >= 2 and waiting else ONE_SEED_WHY
    stopped = judged["improving"].map(lambda improving: improving is not True)
    settled = (judged["outcome"] == outcomes.DIVERGED) | (
        judged["outcome"].isin((outcomes.MODE_COLLAPSE, outcomes.QUALITY_FELL)) & stopped
    )
    if settled.any():
        return UNSTABLE_CONFIG, ""
    if len(judged) == len(trials) and (judged["outcome"] == outcomes.STABLE).all():
        return STABLE_CONFIG, ""
    if (judged["outcome"] == outcomes.DID_NOT_LEARN).any():
        return NOT_LEARNED_CONFIG, ""
    if waiting:
        return UNDECIDED, waiting[0]
    return UNDECIDED, IMPROVING_WHY


ALL_FINISHED = "{metric} over all finished seeds"  # a quality metric's estimate with the failed seeds in it too


def extractor_of(frame: pd.DataFrame) -> str:
    """The network a study was scored in (one per study: analysis.load refuses to pool others), from its trials'
    dataset and feature_extractor; the classifier for tables without them."""
    if frame.empty or "dataset" not in frame:
        return CLASSIFIER
    first = frame.iloc[0]
    chosen = first.get("feature_extractor", "auto")
    return resolved_extractor(first["dataset"], chosen if isinstance(chosen, str) else "auto")


def summary(trials: pd.DataFrame) -> pd.DataFrame:
    """One row per config of :func:`per_trial`'s table: seeds, outcome counts, verdict, the share of stable seeds and
    of failed seeds (of the finished seeds whose failure is told, ``told``) with their Wilson intervals, and an
    :class:`~analysis.intervals.Estimate` of every per-trial number. How often a config fails and how good it is when
    it works are two answers: a quality metric is estimated over the finished seeds that did not fail (and, as
    :data:`ALL_FINISHED`, over every finished seed, for the appendix); the training numbers over finished seeds, the
    loss variances over those that neither diverged nor mode-collapsed."""
    columns = config_columns(trials)
    estimated = _present(trials, ESTIMATED)
    quality = quality_metrics(trials)
    extractor = extractor_of(trials)
    rows = []
    for config, group in trials.groupby(columns, sort=True):
        finished = group[group["outcome"].isin(outcomes.FINISHED)]
        judged = int(group["outcome"].isin(outcomes.JUDGED).sum())
        stable = int((group["outcome"] == outcomes.STABLE).sum())
        failed = int(finished["outcome"].isin(outcomes.FAILED).sum())
        told = int((~finished["outcome"].isin(outcomes.FAILURE_UNTOLD)).sum())  # the failed share's seeds
        verdict, why = config_verdict(group)
        row = dict(zip(columns, config))
        row.update(
            label=config_label(config, columns),
            seeds=len(group),
            verdict=verdict,
            verdict_why=why,
            stable=stable,
            judged=judged,
            stable_interval=wilson_interval(stable, judged),
            failed=failed,
            failed_interval=wilson_interval(failed, told),
            told=told,
            finished=len(finished),
        )
        calm = finished[~finished["outcome"].isin(outcomes.LOSSES_UNINFORMATIVE)]
        for metric in estimated:
            source = calm if metric.startswith("late_") else finished
            row[metric] = estimate(source[metric], metric, extractor)
        working = finished[~finished["outcome"].isin(outcomes.FAILED)]
        for metric in quality:
            row[metric] = estimate(working[metric], metric, extractor)
            row[ALL_FINISHED.format(metric=metric)] = estimate(finished[metric], metric, extractor)
        rows.append(row)
    return pd.DataFrame(rows)


def ranking(table: pd.DataFrame, rank_by: str = DEFAULT_RANK_BY) -> pd.DataFrame:
    """The summary best first: configs with at least MIN_SEEDS_TO_RANK_FIRST finished seeds first, then by the share
    of finished seeds that failed (outcomes.FAILED; fewest first), of those whose failure is told (not
    outcomes.FAILURE_UNTOLD; 0 where none is: none is known to have failed; a config with no finished seed last, as
    nothing is known of it), then by ``rank_by``'s estimate over the finished seeds that did not fail."""
    told = table["told"].where(table["told"] > 0)
    keys = {
        "_few_seeds": table["finished"] < MIN_SEEDS_TO_RANK_FIRST,
        "_failed_share": (table["failed"] / told).fillna(0.0).where(table["finished"] > 0),
    }
    if rank_by in table.columns:
        sign = -1 if HIGHER_IS_BETTER[rank_by] else 1
        keys["_metric"] = table[rank_by].map(lambda estimated: sign * estimated.center)
    ranked = (
        table.assign(**keys)
        .sort_values(list(keys), na_position="last", kind="stable", ignore_index=True)
        .drop(columns=list(keys))
    )
    ranked.insert(0, "rank", range(1, len(ranked) + 1))
    return ranked
