"""What tells one config from another: the settings that vary, the axes they form, a config's label, and twins.

A config is named by the settings that vary in the study, and only by those ("batch 128 · lr_scaling linear", not
"batch 128 · constant · lr_scaling linear"); its label is built here and nowhere else. Settings that vary together,
one value of each always with the same value of the others (a linked axis: model mlp with spectral_norm False, model
dcgan with spectral_norm True), form one axis, which the report asks one question of.

**Twins** are configs whose trials are the same runs: their settings differ only in what acts through the LR
(trainables.config.LR_SETTINGS) and their LRs as they ran are equal in every epoch, as lr_scaling at its reference
batch size is, or a schedule that never acted in the epochs run. They are one config: :func:`merge_twins` keeps one
trial per seed and names the config by every member's value (:class:`Twin`), so no view compares a run with itself.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.load import CONFIG_COLUMNS
from trainables.config import BATCH_SIZE, LR_SETTINGS, SCHEDULE, SEED, TrialConfig

SAME_LR_DIGITS = 12  # two LRs as they ran are the same run's when they agree to this many significant digits


@functools.total_ordering
@dataclass(frozen=True)
class Twin:
    """A setting's value in a merged config: every value its twins ran under, the one kept first. It sorts right after
    its first value, beside any plain value of the same setting, so tables and figures keep their order."""

    values: tuple

    def __str__(self) -> str:
        return " = ".join(str(value) for value in self.values)

    def _key(self):
        return (self.values[0], 1)

    def __lt__(self, other) -> bool:
        return self._key() < (other._key() if isinstance(other, Twin) else (other, 0))

    def __eq__(self, other) -> bool:
        return isinstance(other, Twin) and self.values == other.values

    def __hash__(self) -> int:
        return hash(self.values)


def plain_values(value) -> tuple:
    """The values a config's setting ran under: a twin's every one, else the value itself (a numpy scalar as the
    Python number it holds)."""
    if isinstance(value, Twin):
        return value.values
    return (value.item() if isinstance(value, np.generic) else value,)


def config_columns(frame: pd.DataFrame) -> list[str]:
    """The settings that vary (never the seed), in the grid's order: batch size, schedule, then the others as
    TrialConfig lists them; a setting whose values are one twin's varied in the grid too, and names the merged config.
    Batch size and schedule when nothing varies, so that a single config still has a name."""
    varying = [
        column
        for column in CONFIG_COLUMNS
        if column in frame.columns
        and column != SEED
        and (frame[column].nunique(dropna=False) > 1 or frame[column].map(lambda value: isinstance(value, Twin)).any())
    ]
    first = [column for column in (BATCH_SIZE, SCHEDULE) if column in varying]
    return [*first, *[column for column in varying if column not in first]] or [BATCH_SIZE, SCHEDULE]


def axes(frame: pd.DataFrame) -> list[tuple[str, ...]]:
    """The config columns grouped into axes: columns whose values determine each other (as many distinct pairs as
    distinct values of either) are one linked axis; every other column is an axis alone."""
    columns = [column for column in config_columns(frame) if frame[column].nunique(dropna=False) > 1]
    points = frame[columns].drop_duplicates()
    out: list[tuple[str, ...]] = []
    for column in columns:
        for index, axis in enumerate(out):
            together = points[[*axis, column]].drop_duplicates()
            if len(together) == points[column].nunique() == points[list(axis)].drop_duplicates().shape[0]:
                out[index] = (*axis, column)
                break
        else:
            out.append((column,))
    return out


def setting_text(column: str, value) -> str:
    """One setting of a config in words: 'batch 128', 'warmup_cosine', 'lr_scaling none = linear'."""
    if column == BATCH_SIZE:
        return f"batch {value}"
    if column == SCHEDULE:
        return str(value)
    return f"{column} {value}"


def config_label(config: tuple, columns: list[str] | tuple[str, ...]) -> str:
    """The config's name: its settings along ``columns`` (:func:`config_columns`, or part of them), e.g.
    'batch 1024 · lr_scaling linear'; also of part of a config (a plot's panel leaves one out)."""
    return " · ".join(setting_text(column, value) for column, value in zip(columns, config))


@dataclass(frozen=True)
class TwinGroup:
    """Configs that ran the same runs: ``merged`` is the label they are shown under, ``members`` their own labels, and
    ``epochs`` how many epochs their LRs were compared over."""

    merged: str
    members: tuple[str, ...]
    epochs: int


def twins_text(groups: list[TwinGroup]) -> str:
    """'**Twins.** batch 128 · lr_scaling none and batch 128 · lr_scaling linear ran the same runs ...': once in the
    report, for every group."""
    said = "; ".join(
        f"{' and '.join(group.members)} ran the same runs (the same settings and the same LRs in all {group.epochs} "
        f"epochs), shown once as {group.merged}"
        for group in groups
    )
    return f"**Twins.** {said}. Twins are one config: neither compared with each other nor counted in any family."


def _lr_signature(runs: pd.DataFrame) -> tuple | None:
    """The LRs a config ran at, epoch by epoch (rounded to SAME_LR_DIGITS); None without them on record."""
    if "lr_g_in_use" not in runs or runs["lr_g_in_use"].isna().all():
        return None
    per_epoch = runs.dropna(subset=["epoch"]).groupby("epoch")[["lr_g_in_use", "lr_d_in_use"]].first()
    rounded = per_epoch.apply(lambda column: column.map(lambda lr: float(f"{lr:.{SAME_LR_DIGITS}g}")))
    return tuple(rounded.itertuples(name=None))


def merge_twins(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[TwinGroup]]:
    """``frame`` (a tidy table, a row per trial and epoch) with each group of twins as one config, and the groups. Of
    a group, the first member in the grid's order (the setting's default first) keeps its trials; a seed only another
    member ran is taken from it; every differing setting's value becomes a :class:`Twin`."""
    columns = [column for column in config_columns(frame) if frame[column].nunique(dropna=False) > 1]
    lr_columns = [column for column in columns if column in LR_SETTINGS]
    if not lr_columns:
        return frame, []
    others = [column for column in columns if column not in LR_SETTINGS]
    defaults = TrialConfig().to_dict()
    groups: dict[tuple, list[tuple]] = {}
    signatures: dict[tuple, tuple] = {}
    for config, runs in frame.groupby(columns, sort=True):
        config = config if isinstance(config, tuple) else (config,)
        signature = _lr_signature(runs)
        if signature is None:
            return frame, []
        signatures[config] = signature
        key = (tuple(value for column, value in zip(columns, config) if column in others), signature)
        groups.setdefault(key, []).append(config)
    merged_frame, found = frame, []
    for members in groups.values():
        if len(members) < 2:
            continue
        # The member whose LR settings are most often their defaults is kept (lr_scaling none, constant LR).
        members = sorted(
            members,
            key=lambda config: sum(
                value != defaults[column] for column, value in zip(columns, config) if column in lr_columns
            ),
        )
        twin_values = []
        for position, column in enumerate(columns):
            values = list(dict.fromkeys(config[position] for config in members))
            twin_values.append(Twin(tuple(values)) if len(values) > 1 else values[0])
        member_rows = [(merged_frame[columns] == list(config)).all(axis=1) for config in members]
        kept_seeds: set = set()
        keep = pd.Series(True, index=merged_frame.index)
        for rows in member_rows:
            seeds = set(merged_frame.loc[rows, SEED])
            keep &= ~(rows & merged_frame[SEED].isin(kept_seeds))
            kept_seeds |= seeds
        in_group = np.logical_or.reduce(member_rows)
        merged_frame = merged_frame[keep].copy()
        in_group = in_group[keep]
        for column, value in zip(columns, twin_values):
            if isinstance(value, Twin):
                merged_frame[column] = merged_frame[column].astype(object)
                merged_frame.loc[in_group, column] = [value] * int(in_group.sum())
        found.append(
            TwinGroup(
                config_label(tuple(twin_values), columns),
                tuple(config_label(config, columns) for config in members),
                len(signatures[members[0]]),
            )
        )
    return merged_frame, found
