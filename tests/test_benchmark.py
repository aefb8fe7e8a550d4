"""The throughput benchmark runs end to end (tiny sizes) and writes every cell to its JSON."""

from __future__ import annotations

import json

import pytest

from tests.helpers import run_script

pytestmark = pytest.mark.slow  # the benchmark starts Ray


def test_the_benchmark_measures_every_cell(tmp_path):
    out = tmp_path / "throughput.json"
    argv = "--quick --batch-sizes 128 --images 512 --epochs 2 --tune-batch-size 128 --json".split()
    finished = run_script("benchmarks/throughput.py", *argv, out)
    assert finished.returncode == 0, finished.stderr[-3000:]
    results = json.loads(out.read_text())
    (row,) = results["loop"]
    assert row["batch_size"] == 128
    for name in ("project_images_per_s", "reference_images_per_s", "gemm_floor_images_per_s"):
        assert row[name] > 0
    assert row["project_over_floor"] == row["project_images_per_s"] / row["gemm_floor_images_per_s"]
    tune = results["tune"]
    assert tune["tune_over_direct"] > 0 and tune["grid_1cpu_images_per_s"] > 0 and tune["grid_2cpu_images_per_s"] > 0
    assert 0 < tune["later_trial_start_s"] < tune["first_trial_start_s"]  # reuse_actors: no new worker after the first
    assert tune["rounds"] == 1 and tune["tune_over_direct_per_round"] == [tune["tune_over_direct"]]
    assert tune["grid_1cpu_over_2cpu_per_round"] == [tune["grid_1cpu_over_2cpu"]] and tune["two_threads_speedup"] > 0
    assert 100 < tune["rss_floor_mib"] < tune["peak_rss_mib_per_trial"] < 10_000  # a trial holds more than the floor
    assert f"| 128 | {row['project_images_per_s']:,.0f} |" in finished.stdout
    assert tune["tune_eval_s"] > 0
    evaluation = results["evaluation"]
    assert evaluation["samples"] == 10_000 and evaluation["eval_s"] > 0
    assert evaluation["epoch_128_s"] == 60_000 / row["project_images_per_s"]
    assert evaluation["eval_over_epoch"] == evaluation["eval_s"] / evaluation["epoch_128_s"]
    assert f"| evaluation ÷ epoch | {100 * evaluation['eval_over_epoch']:.1f} % |" in finished.stdout
