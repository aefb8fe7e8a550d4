"""The table a sweep ends with: one row per grid point, its status and final metrics."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from ray import tune

from trainables.config import TrialConfig
from trainables.metric_keys import (
    DIVERGED,
    DIVERGED_REASON,
    DIVERGED_STATUS,
    ERROR,
    HIGHER_IS_BETTER,
    PENDING,
    QUALITY_METRICS,
    SWEEP_TABLE,
    TERMINATED,
    shown_in,
)
from tune_gan.search_space import SweepSpec

# The last result's losses and its quality: a trial is scored at its last epoch unless eval_every is 0.
SWEEP_METRICS = shown_in(SWEEP_TABLE)
COLUMNS = ("status", "epochs_done", *SWEEP_METRICS, "reason")  # after the sweep's axes
FINISHED = (TERMINATED, DIVERGED_STATUS)  # a diverged trial stopped early on purpose; nothing to resume


def trial_config(result: tune.Result) -> dict[str, Any] | None:
    """The trial's params: from its last result, else from the params.json Tune wrote at its start."""
    if result.config is not None:
        return result.config
    try:
        with result.filesystem.open_input_stream(f"{result.path}/params.json") as params:
            return json.loads(params.read())
    except FileNotFoundError:
        return None  # never started


def grid_point(config: TrialConfig, axes: tuple[str, ...]) -> tuple:
    """The config's values of the sweep's axes, in their order."""
    return tuple(getattr(config, axis) for axis in axes)


def results_table(results: tune.ResultGrid, spec: SweepSpec) -> pd.DataFrame:
    """Rows sorted by grid point, headed by the axes that vary (SweepSpec.varying_axes); status is TERMINATED (all
    epochs done), DIVERGED (stopped early, see ``reason``), ERROR, UNFINISHED or PENDING (not started)."""
    rows = {}
    unplaced_errors = 0  # errored before Tune wrote their params (e.g. the worker died as the trial started)
    for result in results:
        params = trial_config(result)
        if params is None:
            unplaced_errors += result.error is not None
            continue
        config = TrialConfig.from_dict(params)  # fills in fields added since an older experiment started
        metrics = result.metrics or {}
        epochs_done = metrics.get("epoch", 0)
        reason = ""
        if result.error:
            status = ERROR
        elif metrics.get(DIVERGED):
            status, reason = DIVERGED_STATUS, metrics[DIVERGED_REASON]
        else:
            status = TERMINATED if epochs_done == config.epochs else "UNFINISHED"
        rows[grid_point(config, spec.axes)] = {
            "status": status,
            "epochs_done": epochs_done,
            **{name: metrics.get(name, float("nan")) for name in SWEEP_METRICS},
            "reason": reason,
        }
    points = [grid_point(config, spec.axes) for config in spec.trial_configs()]
    unplaced = [point for point in points if point not in rows]
    # Which config an errored trial without params had is unknown, but when they account for every grid point
    # without a row, each of those errored.
    missing = ERROR if unplaced and unplaced_errors == len(unplaced) else PENDING
    table = [
        {**dict(zip(spec.axes, point)), **rows.get(point, {"status": missing, "epochs_done": 0, "reason": ""})}
        for point in points
    ]
    # The axes that tell trials apart; one with a single value is in the settings lines.
    return (
        pd.DataFrame(table, columns=[*spec.axes, *COLUMNS])
        .sort_values(list(spec.axes), ignore_index=True)
        .drop(columns=[axis for axis in spec.axes if axis not in spec.varying_axes])
    )


def rank_by(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The table sorted by a quality metric of the last evaluation, best first; diverged trials after the rest, however
    good their last samples (the report judges mode collapse too), and unevaluated trials last."""
    sign = -1 if HIGHER_IS_BETTER[metric] else 1
    keys = {
        "_unevaluated": table[metric].isna(),
        "_diverged": table["status"] == DIVERGED_STATUS,
        "_metric": sign * table[metric],
    }
    return (
        table.assign(**keys)
        .sort_values(list(keys), na_position="last", kind="stable", ignore_index=True)
        .drop(columns=list(keys))
    )


def format_table(table: pd.DataFrame) -> str:
    """The table without the reason column, nor a quality metric no trial has where others were measured (the class
    metrics of features without the data's classes), then one line per diverged trial with its reason."""
    quality = [name for name in SWEEP_METRICS if name in QUALITY_METRICS]
    unmeasured = [name for name in quality if table[name].isna().all()]
    shown = table.drop(columns=["reason", *(unmeasured if len(unmeasured) < len(quality) else [])])
    text = shown.to_string(index=False, float_format=lambda value: f"{value:.4g}")
    axes = table.columns[: table.columns.get_loc("status")]
    diverged = table[table["status"] == DIVERGED_STATUS]
    lines = [
        f"diverged: {' · '.join(f'{axis} {row[axis]}' for axis in axes)}: {row['reason']}"
        for _, row in diverged.iterrows()
    ]
    return "\n".join([text, *lines])
