"""The sweep's final table on hand-made Tune results: a trial that errored before Tune wrote its params."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pyarrow.fs

from tune_gan.results_table import format_table, rank_by, results_table
from tune_gan.search_space import SweepSpec


def spec() -> SweepSpec:
    return SweepSpec.from_json(
        '{"base": {"epochs": 4}, "batch_sizes": [128, 256], "schedulers": ["constant"], "seeds": [0], "resources": {}}'
    )


def result(tmp_path, name: str, config=None, metrics=None, error=None) -> SimpleNamespace:
    return SimpleNamespace(
        config=config, metrics=metrics, error=error, path=str(tmp_path / name), filesystem=pyarrow.fs.LocalFileSystem()
    )


def test_a_trial_that_died_before_its_params_were_written_is_an_error_not_pending(tmp_path):
    finished = result(tmp_path, "a", {**spec().trial_configs()[0].to_dict()}, {"epoch": 4})
    died = result(tmp_path, "b", error=RuntimeError("The actor died unexpectedly before finishing this task."))
    table = results_table([finished, died], spec())
    assert table[["batch_size", "status", "epochs_done"]].values.tolist() == [[128, "TERMINATED", 4], [256, "ERROR", 0]]
    assert "schedule" not in table and "seed" not in table  # one value each: the settings lines say them
    # Without that error the missing grid point has simply not started.
    table = results_table([finished], spec())
    assert table["status"].tolist() == ["TERMINATED", "PENDING"]


def test_ranking_by_a_quality_metric_puts_diverged_trials_after_the_rest_and_unevaluated_last():
    table = pd.DataFrame(
        {
            "seed": [0, 1, 2, 3, 4],
            "status": ["TERMINATED", "DIVERGED", "TERMINATED", "TERMINATED", "DIVERGED"],
            "fid": [300.0, 50.0, 100.0, float("nan"), 400.0],
            "recall": [0.2, 0.9, 0.3, float("nan"), 0.0],
        }
    )
    # The diverged trial with the best FID of all still comes after every trial that finished.
    assert rank_by(table, "fid")["seed"].tolist() == [2, 0, 1, 4, 3]
    assert rank_by(table, "recall")["seed"].tolist() == [2, 0, 1, 4, 3]  # higher is better


def test_the_printed_table_leaves_out_a_quality_metric_no_trial_has_only_where_others_were_measured(tmp_path):
    """Scored in Inception's features, no trial has classes: their columns would be NaN in every row. Without any
    evaluation (eval_every 0) every quality column stays, NaN, as the settings lines say why."""
    metrics = {"epoch": 4, "d_loss": 1.2, "fid": 95.0, "coverage": 0.25, "classes_covered": float("nan")}
    finished = [
        result(tmp_path, str(index), config.to_dict(), metrics) for index, config in enumerate(spec().trial_configs())
    ]
    header = format_table(results_table(finished, spec())).splitlines()[0].split()
    assert "fid" in header and "coverage" in header and "classes_covered" not in header and "class_kl" not in header
    unevaluated = [result(tmp_path, "u", spec().trial_configs()[0].to_dict(), {"epoch": 4, "d_loss": 1.2})]
    header = format_table(results_table(unevaluated, spec())).splitlines()[0].split()
    assert {"fid", "coverage", "classes_covered", "d_loss"} <= set(header) and "reason" not in header
