"""The throughput benchmark runs end to end (tiny sizes) and writes every cell to its JSON; the benchmarks' records
keep the recorded results' schema and render their tables (no Ray)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from benchmarks import eta, image_sizes, soak, throughput
from tests.helpers import REPO, run_script
from tests.inception_weights import save_random_inception_weights
from trainables.quality.inception import CPU_SECONDS_PER_IMAGE
from trainables.training_precision import cpu_has_bf16
from tune_gan.scoring_cost import CPU_TRAINING_FLOP_PER_S

RESULTS = REPO / "benchmarks" / "results"


@pytest.mark.slow  # the benchmark starts Ray
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
    if cpu_has_bf16():  # this VM's CPU (AVX512-BF16): bf16 is measured beside fp32
        assert row["bf16_over_project"] == row["bf16_images_per_s"] / row["project_images_per_s"]
    else:
        assert row["bf16_images_per_s"] is None and "no bf16 arithmetic on this device" in finished.stdout
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


def test_the_throughput_records_write_the_recorded_json_as_it_is():
    recorded = json.loads((RESULTS / "cpu-2core-vm.json").read_text())
    header = throughput.Header(**{name: recorded[name] for name in list(recorded)[:6]})
    tune = throughput.TuneCells(
        **{name: tuple(v) if isinstance(v, list) else v for name, v in recorded["tune"].items()}
    )
    loop = tuple(throughput.LoopRow(**row) for row in recorded["loop"])
    run = throughput.Throughput(header, loop, tune, throughput.EvaluationCost(**recorded["evaluation"]))
    assert json.dumps(run.as_json(), indent=2) == json.dumps(recorded, indent=2)  # the same keys, in the same order
    assert "tune" not in throughput.Throughput(header, loop, None, run.evaluation).as_json()  # --no-tune


def test_the_throughput_tables_render_from_records(capsys):
    throughput.render_loop_row(throughput.LoopRow(128, 2165.4, 1415.2, 2931.0, 1.53, 0.74, 5090.6, 2.35))
    throughput.render_loop_row(throughput.LoopRow(256, 2165.4, 1415.2, 2931.0, 1.53, 0.74, None, None))
    ones = {field.name: 1.0 for field in dataclasses.fields(throughput.TuneCells)}
    one_round = {"tune_over_direct_per_round": (1.0,), "grid_1cpu_over_2cpu_per_round": (1.0,)}
    throughput.render_tune(throughput.TuneCells(**{**ones, **one_round}), 512)
    two = {
        "tune_over_direct": 0.991,
        "tune_over_direct_per_round": (0.97, 1.01),
        "grid_1cpu_over_2cpu_per_round": (1, 2),
    }
    throughput.render_tune(throughput.TuneCells(**{**ones, **two}), 256)
    throughput.render_evaluation(throughput.EvaluationCost(10_000, 2.14, 27.7, 0.077), threads=1)
    printed = capsys.readouterr().out
    assert "| 128 | 2,165 | 1,415 | 2,931 | 1.53 | 0.74 | 5,091 | 2.35 |\n" in printed
    assert "| 256 | 2,165 | 1,415 | 2,931 | 1.53 | 0.74 | — | no bf16 arithmetic on this device |\n" in printed
    assert "| in Tune ÷ direct (whole epochs, rounds alternating) | 1.000 |\n" in printed  # one round: no range
    assert "| in Tune ÷ direct (whole epochs, rounds alternating) | 0.991 (0.97–1.01 over 2 rounds) |\n" in printed
    assert "| one loop's speed-up from 1 to 2 threads (direct, batch 256) | 1.00× |\n" in printed
    assert "| one evaluation of 10,000 samples (direct, 1 thread(s), median of 3) | 2.14 s |\n" in printed
    assert printed.endswith("| evaluation ÷ epoch | 7.7 % |\n")


def test_the_soak_record_writes_the_recorded_row_and_renders_it(capsys):
    recorded = json.loads((RESULTS / "soak-cpu-2core-vm.json").read_text())
    result = soak.Soak("x86_64 CPU, 2 cores", 12, 2, 2, 48, (), 0, 0, 636.84)
    assert {**result.row(), "mismatched": []} == recorded and list(result.row()) == list(recorded)[:-1]
    assert result.passed and not dataclasses.replace(result, mismatched=("a",)).passed
    run = soak.SweepRun(Path("/x/soak"), 2, 0, 0, 636.84, "the sweep's output")
    soak.render(dataclasses.replace(result, mismatched=("a", "b")), run)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("| machine | trials | kills |") and lines[1] == "|" + "---|" * 9
    assert lines[2] == "| x86_64 CPU, 2 cores | 12 | 2 | 2 | 48 | 2 | 0 | 0 | 636.8 |"
    assert lines[3:] == ["Experiment: /x/soak", "mismatched trials: a, b", "the sweep's output"]


def test_the_eta_report_renders_from_its_record(capsys):
    point = eta.EtaPoint(percent=50.0, elapsed_s=60.0, eta_s=72.0, actual_left_s=60.0)
    eta.render([eta.EtaAccuracy("exp", (point,), point), eta.EtaAccuracy("other", (), point)])
    printed = capsys.readouterr().out
    assert printed.startswith(
        "### exp\n\n| epochs done | elapsed | ETA shown | really left | error |\n|---|---|---|---|---|\n"
    )
    assert "| 50 % | 1 m 00 s | 1 m 12 s | 1 m 00 s | +20 % |\n" in printed
    assert "the largest error was +20 % (at 50 %): within the 25 % target.\n\n### other\n" in printed


def test_the_image_sizes_record_writes_the_recorded_json_as_it_is_and_renders_it(capsys):
    recorded = json.loads((RESULTS / "image-sizes-cpu-2core-vm.json").read_text())
    rows = tuple(image_sizes.SizeRow(**row) for row in recorded["rows"])
    run = image_sizes.ImageSizes(**{**recorded, "rows": rows})
    assert json.dumps(run.as_json(), indent=2) == json.dumps(recorded, indent=2)
    # The scoring cost and the training time a CPU sweep estimates are this run's.
    assert CPU_SECONDS_PER_IMAGE == round(recorded["inception_s_per_image"], 3)
    assert CPU_TRAINING_FLOP_PER_S == round(run.training_gflop_per_s, 1) * 1e9
    assert [row.size for row in rows] == [32, 64, 128] and all(
        row.epoch_10k_s == 10_000 / row.images_per_s
        and row.training_gflop_per_s == row.training_gflop_per_image * row.images_per_s
        for row in rows
    )
    image_sizes.render(
        dataclasses.replace(run, rows=(image_sizes.SizeRow(64, 40.0, 250.0, 2.5, 100.0),), inception_s_per_image=0.15)
    )
    printed = capsys.readouterr().out
    assert "| 64 px | 40.0 | 4.2 min | 2.500 | 100.0 |\n\ntraining's median rate: 100.0 GFLOP/s\n" in printed
    assert printed.endswith("Inception-v3 features, any size: 0.150 s an image (5.0 min for 2,000 samples)\n")


def test_the_image_sizes_benchmark_measures_a_size_and_inception(tmp_path):
    weights = save_random_inception_weights(tmp_path / "inception.pt")
    out = tmp_path / "sizes.json"
    assert (
        image_sizes.main(
            [
                "--sizes",
                "32",
                "--images",
                "128",
                "--feature-weights",
                str(weights),
                "--inception-batch",
                "4",
                "--json",
                str(out),
            ]
        )
        == 0
    )
    (row,) = json.loads(out.read_text())["rows"]
    assert row["size"] == 32 and row["images_per_s"] > 0 and row["epoch_10k_s"] == 10_000 / row["images_per_s"]
    assert json.loads(out.read_text())["inception_s_per_image"] > 0
