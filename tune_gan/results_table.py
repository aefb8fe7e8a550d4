"""The table a sweep ends with: one row per trial, its grid point, status and final metrics."""

from __future__ import annotations

import pandas as pd
from ray import tune

from tune_gan.search_space import GRID_AXES

FINAL_METRICS = ("d_loss", "g_loss", "d_loss_var", "g_loss_var")
COLUMNS = (*GRID_AXES, "status", "epochs_done", *FINAL_METRICS)


def results_table(results: tune.ResultGrid) -> pd.DataFrame:
    """Rows sorted by grid point; status is TERMINATED (all epochs done), ERROR or UNFINISHED."""
    rows = []
    for result in results:
        metrics = result.metrics or {}
        epochs_done = metrics.get("epoch", 0)
        if result.error:
            status = "ERROR"
        else:
            status = "TERMINATED" if epochs_done == result.config["epochs"] else "UNFINISHED"
        rows.append(
            {
                **{axis: result.config[axis] for axis in GRID_AXES},
                "status": status,
                "epochs_done": epochs_done,
                **{name: metrics.get(name, float("nan")) for name in FINAL_METRICS},
            }
        )
    return pd.DataFrame(rows, columns=list(COLUMNS)).sort_values(list(GRID_AXES), ignore_index=True)


def format_table(table: pd.DataFrame) -> str:
    return table.to_string(index=False, float_format=lambda value: f"{value:.4g}")
