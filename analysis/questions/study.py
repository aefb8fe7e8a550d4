"""The tables every question is computed from, and the sides of a comparison drawn from them.

A :class:`Study` is built once per report from the tidy table with its twins merged (analysis.configs): the
per-trial and per-config tables (analysis.stats), the ranking, the axes the grid varied, and the evaluations of the
ranking metric. The helpers here pick what a comparison compares (a value of an axis against its baseline at each
setting of the other axes, each side's seeds); nothing here is worded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterator

import pandas as pd

from analysis import outcomes, stats
from analysis.configs import TwinGroup, axes, config_columns, config_label, merge_twins, plain_values
from analysis.load import latest_per_epoch
from analysis.questions.comparison import Side


@dataclass(frozen=True)
class Note:
    """A finding without numbers to compare, worded by the question that has it: ``kind`` is one of its note kinds,
    ``count`` where it has one, ``text`` any name it needs (a config, an axis value)."""

    kind: str
    count: int = 0
    text: str = ""


@dataclass
class Study:
    """One experiment's (or pooled study's) tables, twins merged (``frame`` each trial's epochs once, as
    :func:`study_of` builds it); ``axes`` are the grid's axes (analysis.configs)."""

    frame: pd.DataFrame
    trials: pd.DataFrame
    table: pd.DataFrame
    ranked: pd.DataFrame
    rank_by: str
    twins: list[TwinGroup] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.columns = config_columns(self.trials)
        self.axes = axes(self.trials)
        rank_by = self.rank_by
        measured = rank_by in self.frame.columns and self.frame[rank_by].notna().any()
        self.evaluations = (
            self.frame[self.frame[rank_by].notna()].sort_values("epoch") if measured else self.frame.iloc[:0]
        )
        self.verdicts = self.table.set_index("label")["verdict"].to_dict()
        self.extractor = stats.extractor_of(self.trials)

    @property
    def quality_measured(self) -> bool:
        return self.rank_by in self.trials and self.trials[self.rank_by].notna().any()

    # ---- configs and axis values ---------------------------------------------------------------------------------

    def label_of(self, trials: pd.DataFrame) -> str:
        """The label of the config whose trials these are."""
        return config_label(tuple(trials.iloc[0][self.columns]), self.columns)

    def configs_of(self, rows: pd.DataFrame) -> tuple[tuple[tuple[str, object], ...], ...]:
        """The configs ``rows`` ran, as (column, value) pairs of plain values (a twin as each value it ran under)."""
        points = rows[self.columns].drop_duplicates().itertuples(index=False)
        return tuple(
            tuple((column, plain) for column, value in zip(self.columns, point) for plain in plain_values(value))
            for point in points
        )

    def values_of(self, axis: tuple[str, ...]) -> list[tuple]:
        """The values ``axis`` took, sorted (a value of a linked axis is a tuple of its columns' values)."""
        return sorted(set(self.trials[list(axis)].itertuples(index=False, name=None)))

    def pairs(self, axis: tuple[str, ...], baseline: tuple) -> Iterator[tuple[str, tuple, pd.DataFrame, pd.DataFrame]]:
        """For each value of ``axis`` other than the baseline, at each setting of the other config columns where both
        ran: (the setting's label, the value, trials at that value, trials at the baseline), by setting then value. A
        twin's setting holds each of its values, so a merged config stands in for every config it merged: the
        baseline's twin is the baseline, a twin of the other settings is the baseline of each of them."""
        others = [column for column in self.columns if column not in axis]
        at_baseline = self._holding(list(axis), baseline)
        found = []
        values = self.trials.loc[~at_baseline, list(axis)].apply(tuple, axis=1)
        for value in sorted(set(values)):
            rows = self.trials[~at_baseline][values == value]
            groups = rows.groupby(others, sort=True) if others else [((), rows)]
            for context, group in groups:
                context = context if isinstance(context, tuple) else (context,)
                base = self.trials[at_baseline & self._holding(others, context)]
                if not base.empty:
                    found.append((context, value, group, base))
        for context, value, group, base in sorted(found, key=lambda pair: pair[:2]):
            yield config_label(context, others), value, group, base

    def _holding(self, columns: list[str], values: tuple) -> pd.Series:
        """Per trial: whether its config ran under ``values`` of ``columns`` (either side may be a twin's)."""
        held = pd.Series(True, index=self.trials.index)
        for column, wanted in zip(columns, values):
            held &= self.trials[column].map(lambda ran, wanted=wanted: _holds(ran, wanted))
        return held

    def trials_of(self, config: pd.Series) -> pd.DataFrame:
        return self.trials[(self.trials[self.columns] == config[self.columns]).all(axis=1)]

    def verdict_of(self, trials: pd.DataFrame) -> str:
        return self.verdicts[self.label_of(trials)]

    # ---- sides ---------------------------------------------------------------------------------------------------

    @staticmethod
    def working(trials: pd.DataFrame) -> pd.DataFrame:
        """The seeds that finished and did not fail: the ones a config's quality is told by."""
        return trials[trials["outcome"].isin(outcomes.FINISHED) & ~trials["outcome"].isin(outcomes.FAILED)]

    def final_side(self, trials: pd.DataFrame, metric: str, label: str) -> Side:
        """The working seeds' last evaluations of ``metric``."""
        done = self.working(trials).dropna(subset=[metric])
        return Side(
            label,
            tuple(done[metric]),
            tuple(int(epoch) for epoch in done["evaluated_epoch"]),
            tuple(done["g_updates"]) if "g_updates" in done else (),
            configs=self.configs_of(trials),
        )

    def rows_side(self, label: str, rows: list[pd.Series], metric: str, trials: pd.DataFrame) -> Side:
        """Given evaluation rows (one per seed) of ``metric``; ``trials`` are the configs' trials, for their names."""
        return Side(
            label,
            tuple(row[metric] for row in rows),
            tuple(int(row["epoch"]) for row in rows),
            tuple(row["g_updates"] for row in rows) if "g_updates" in self.frame else (),
            tuple(row["lr_g_in_use"] for row in rows) if "lr_g_in_use" in self.frame else (),
            configs=self.configs_of(trials),
        )

    def stable_side(self, label: str, trials: pd.DataFrame) -> Side:
        """1 for each judged seed that ended stable, 0 for each other judged one."""
        judged = trials[trials["outcome"].isin(outcomes.JUDGED)]
        return Side(
            label,
            tuple(float(outcome == outcomes.STABLE) for outcome in judged["outcome"]),
            configs=self.configs_of(trials),
        )

    # ---- evaluations up to an epoch ------------------------------------------------------------------------------

    def common_epoch(self, compared: pd.DataFrame) -> float:
        """The last epoch the compared trials all reached an evaluation at; NaN when none was evaluated."""
        last = self.evaluations.groupby("trial_id")["epoch"].max().reindex(compared["trial_id"]).to_numpy()
        last = last[~pd.isna(last)]
        return float(last.min()) if len(last) else math.nan

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


def _holds(ran, wanted) -> bool:
    """Whether a config that ran under setting value ``ran`` ran under ``wanted`` (either may be a twin's)."""
    return bool(set(plain_values(ran)) & set(plain_values(wanted)))


def study_of(frame: pd.DataFrame, rank_by: str = stats.DEFAULT_RANK_BY) -> Study:
    """The study of a tidy table: twins merged, then every table computed once."""
    merged, twins = merge_twins(latest_per_epoch(frame))
    trials = stats.per_trial(merged)
    table = stats.summary(trials)
    return Study(merged, trials, table, stats.ranking(table, rank_by), rank_by, twins)
