"""Load a Tune experiment into one tidy DataFrame: a row per trial x epoch.

Built on ``tune.ExperimentAnalysis`` (Tune's own loader), so it reads a finished,
running or partly failed experiment, on a local path or a storage URI Tune accepts.

A config column and a metric column never share a name (trainables.metric_keys refuses it at
import); results written before the per-epoch LR got its own name are renamed on the way in.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from ray import tune

from trainables.config import TrialConfig, current_names
from trainables.metric_keys import DIVERGED, DIVERGED_STATUS
from tune_gan.search_space import DEFAULT_STORAGE, GRID_AXES, SPEC_FILE, SweepSpec
from tune_gan.study import members_of, saved_spec

CONFIG_COLUMNS: tuple[str, ...] = tuple(field.name for field in dataclasses.fields(TrialConfig))
CONFIG_DEFAULTS = TrialConfig().to_dict()
TRIAL_COLUMNS = ("trial_id", "status", "checkpoint")
# Metrics of older results that were named like a config field (the LR in use, reported as lr_g / lr_d).
_RENAMED_METRICS = {"lr_g": "lr_g_in_use", "lr_d": "lr_d_in_use"}
# Tune's bookkeeping, not something the trial measured.
_TUNE_COLUMNS = {
    "timestamp",
    "checkpoint_dir_name",
    "should_checkpoint",
    "done",
    "training_iteration",
    "trial_id",
    "date",
    "time_this_iter_s",
    "time_total_s",
    "pid",
    "hostname",
    "node_ip",
    "time_since_restore",
    "iterations_since_restore",
}


def load_experiment(path: str | Path) -> pd.DataFrame:
    """One row per trial x reported epoch, with the trial's status, latest checkpoint and config columns.

    A trial that never reported (pending, or failed at its start) still gets one row, with
    NaN metrics, so errors are visible. Tune's status is kept, except that a trial that
    stopped early because it diverged is ``DIVERGED`` (its reason in ``diverged_reason``).
    ``checkpoint`` is the trial's latest checkpoint directory, where its sample grids and
    generator are.
    """
    location = str(path) if "://" in str(path) else str(Path(path).expanduser().resolve())
    analysis = tune.ExperimentAnalysis(location)
    frames = []
    for trial in analysis.trials:
        history = analysis.trial_dataframes.get(trial.trial_id, pd.DataFrame())
        metrics = [
            column for column in history.columns if column not in _TUNE_COLUMNS and not column.startswith("config/")
        ]
        if len(history):
            history = history[metrics].rename(columns=_RENAMED_METRICS)
        else:
            history = pd.DataFrame({"epoch": [math.nan]})
        clashing = set(history.columns) & set(CONFIG_COLUMNS)
        if clashing:
            raise ValueError(f"trial {trial.trial_id} reports {sorted(clashing)}, which are also config fields")
        checkpoint = analysis.get_last_checkpoint(trial)
        diverged = DIVERGED in history and bool(history[DIVERGED].iloc[-1])
        trial_info = {
            "trial_id": trial.trial_id,
            "status": DIVERGED_STATUS if diverged else trial.status,
            "checkpoint": checkpoint.path if checkpoint else None,
            # A setting added since the trial ran has its default there, which keeps what the code did before it.
            **{
                key: value
                for key, value in {**CONFIG_DEFAULTS, **current_names(trial.config)}.items()
                if key in CONFIG_COLUMNS
            },
        }
        frames.append(history.assign(**trial_info))
    frame = latest_per_epoch(pd.concat(frames, ignore_index=True))
    leading = [column for column in (*TRIAL_COLUMNS, *CONFIG_COLUMNS) if column in frame.columns]
    frame = frame[leading + [column for column in frame.columns if column not in leading]]
    return in_grid_order(frame)


def in_grid_order(frame: pd.DataFrame) -> pd.DataFrame:
    """The study's axes first, then any other setting (e.g. a --sweep axis), then the epoch."""
    order = [column for column in (*GRID_AXES, *CONFIG_COLUMNS) if column in frame.columns]
    return frame.sort_values([*dict.fromkeys(order), "epoch"], ignore_index=True)


class StudyError(Exception):
    """Experiments that are not runs of one study; the message names the setting or trial, one line."""


def check_one_study(specs: dict[str, SweepSpec]) -> None:
    """Experiments are one study when their trials share every setting but the grid's values (seeds included)."""
    (first_uri, first), *others = specs.items()
    for uri, spec in others:
        if set(spec.grid) != set(first.grid):
            raise StudyError(
                f"{uri}: grid axes {', '.join(spec.grid)}, but {first_uri} has {', '.join(first.grid)}: experiments "
                "pooled into one study sweep the same axes"
            )
        for key in sorted(set(first.settings) | set(spec.settings)):
            if spec.settings.get(key) != first.settings.get(key):
                theirs, ours = spec.settings.get(key), first.settings.get(key)
                raise StudyError(
                    f"{uri}: {key} {theirs}, but {first_uri} has {ours}: experiments pooled into one study share "
                    "every setting but the grid's values"
                )


def load_study(experiments: Sequence[str | Path]) -> pd.DataFrame:
    """Several experiments of one study as one :func:`load_experiment` table: each experiment given, with those
    recorded as added to it. A trial is its config and seed: one run twice (in two experiments) is an error, as is
    a setting that differs between them (:func:`check_one_study`). One experiment alone is loaded as it is."""
    members = members_of(experiments)
    if len(members) == 1:
        return load_experiment(members[0])
    specs = {uri: saved_spec(uri) for uri in members}
    for uri, spec in specs.items():
        if spec is None:
            raise StudyError(f"{uri}: no {SPEC_FILE}, so its settings cannot be checked against the others'")
    check_one_study(specs)
    frames = {uri: load_experiment(uri) for uri in members}
    seen: dict[tuple, str] = {}
    for uri, frame in frames.items():
        columns = [column for column in CONFIG_COLUMNS if column in frame.columns]
        for config in frame.drop_duplicates("trial_id")[columns].itertuples(index=False):
            if tuple(config) in seen:
                trial = " · ".join(f"{axis} {getattr(config, axis)}" for axis in GRID_AXES)
                raise StudyError(f"{trial}: run in both {seen[tuple(config)]} and {uri}; a study runs each trial once")
            seen[tuple(config)] = uri
    return in_grid_order(pd.concat(frames.values(), ignore_index=True))


def latest_per_epoch(frame: pd.DataFrame) -> pd.DataFrame:
    """Each trial's epochs once: where a trial's results hold an epoch twice (a resume can leave a row its
    checkpoint never knew of), the latest row, the one the resumed run wrote. Rows without an epoch stay."""
    reported = frame["epoch"].notna()
    latest = ~frame.duplicated(["trial_id", "epoch"], keep="last") | ~reported
    return frame[latest]


def newest_experiment(storage: str | Path = DEFAULT_STORAGE) -> Path:
    """The most recently started Tune experiment directory under ``storage``."""
    states = sorted(Path(storage).expanduser().glob("*/experiment_state-*.json"), key=lambda path: path.stat().st_mtime)
    if not states:
        raise FileNotFoundError(f"no Tune experiment under {storage}; set TUNE_GAN_EXPERIMENT to one")
    return states[-1].parent


def export(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write the table as Parquet or CSV, by the file's suffix."""
    path = Path(path)
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        raise ValueError(f"{path}: the suffix must be .parquet or .csv")
    return path
