"""benchmarks/gpu_check.py: its ``--cpu`` mode runs every check end to end (so the script a GPU machine runs cannot
rot), it needs no Ray, and each check fails when what it checks is broken."""

from __future__ import annotations

import json

import pytest
import torch

import trainables.loop
from benchmarks import gpu_check
from tests.helpers import REPO, run_script
from trainables.training_precision import cpu_has_bf16

CPU = torch.device("cpu")


@pytest.mark.slow  # fresh processes: the script, and the trial processes it starts
def test_the_cpu_mode_runs_every_check_and_prints_the_json_as_its_table(tmp_path):
    out = tmp_path / "gpu_check.json"
    argv = "--cpu --batch-sizes 128 --steps 4 --processes 1 2 --eval-samples 500 --json".split()
    finished = run_script("-m", "benchmarks.gpu_check", *argv, out)
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    result = json.loads(out.read_text())
    outcomes = {check["name"]: check["outcome"] for check in result["checks"]}
    assert outcomes == {
        "placement": "pass",
        "no host sync in a step": "n/a",  # CUDA only
        "bit-exact resume, deterministic algorithms": "pass",
        "bit-exact resume, torch's default algorithms (as a trial runs)": "pass",
        "checkpoint between devices": "pass",
        "images too large for the GPU, sent a batch at a time": "pass",
        "evaluator on the device against the CPU": "pass",
        "a NaN trial ends as diverged": "pass",
    }
    for check in result["checks"]:
        assert (
            f"| {check['name']} | {check['outcome']} | {check['detail']} | {check['seconds']:.1f} |" in finished.stdout
        )
    placed = next(check["detail"] for check in result["checks"] if check["name"] == "placement")
    assert "noise z" in placed and "classifier's inputs" in placed  # the evaluator was placed too: MNIST was found
    assert [(speed["model"], speed["batch_size"]) for speed in result["speeds"]] == [("mlp", 128), ("dcgan", 128)]
    for speed in result["speeds"]:
        assert speed["steps_per_s"]["fp32"] > 0 and speed["steps_per_s"]["tf32"] is None  # tf32 is CUDA's
        assert (speed["steps_per_s"]["bf16"] is not None) == cpu_has_bf16()
    assert [sharing["processes"] for sharing in result["sharing"]] == [1, 2]
    for sharing in result["sharing"]:
        # a trial process imports torch and the trainables and holds a model and the reference: 0.1 to 10 GiB
        assert sharing["steps_per_s"] > 0 and sharing["memory"] == "peak RSS" and 0.1 < sharing["memory_gib_each"] < 10
    assert finished.stdout.rstrip().endswith(f"No check failed.\nwrote {out}")


def test_it_imports_neither_ray_nor_the_analysis():
    """The borrowed GPU machines have torch, torchvision and numpy, and no Ray: the script must run there."""
    unwanted = "{'ray', 'pandas', 'matplotlib', 'tune_gan', 'analysis'}"
    code = f"import sys, benchmarks.gpu_check; print(sorted({{m.split('.')[0] for m in sys.modules}} & {unwanted}))"
    assert run_script("-c", code, check=True).stdout.strip() == "[]"


def test_weight_difference_is_the_largest_change_of_any_weight():
    config = gpu_check.trial_config(steps=1, epochs=1)
    first, second = gpu_check.training_on(config, CPU), gpu_check.training_on(config, CPU)
    assert gpu_check.weight_difference(first, second) == 0.0  # the same seed: the same initial weights
    with torch.no_grad():
        second.generator[2].bias[3] += 0.5
        second.discriminator[1].weight[0, 0] -= 0.25
    assert gpu_check.weight_difference(first, second) == pytest.approx(0.5, abs=1e-6)


@pytest.mark.slow  # trains both models three times over
def test_a_resume_that_restores_nothing_fails_the_resume_check(monkeypatch):
    """A restore that loses the state (here: a fresh training, as if the checkpoint were ignored) must fail; under
    torch's default algorithms, which need not be exact on a GPU, the same difference is information."""
    monkeypatch.setattr(
        gpu_check, "through_checkpoint", lambda written, device: gpu_check.training_on(written.config, device)
    )
    row = gpu_check.check_resume_deterministic(CPU)
    assert row.outcome == gpu_check.FAIL and "max |Δweight|" in row.detail
    monkeypatch.setattr(gpu_check, "resumed_difference", lambda config, device: 0.5)
    row = gpu_check.check_resume_default(CPU)
    assert (row.outcome, row.detail) == (
        gpu_check.INFO,
        "3 epochs straight against 1 + a checkpoint + 2: mlp max |Δweight| 0.5; dcgan max |Δweight| 0.5",
    )


def test_a_checkpoint_restored_with_other_weights_fails(monkeypatch):
    restore = gpu_check.through_checkpoint

    def restore_and_change(written, device):
        restored = restore(written, device)
        with torch.no_grad():
            restored.generator[0].weight[0, 0] += 1.0
        return restored

    monkeypatch.setattr(gpu_check, "through_checkpoint", restore_and_change)
    row = gpu_check.check_checkpoint_moves(CPU)
    assert (row.outcome, row.detail) == (gpu_check.FAIL, "cpu → cpu: the restored weights differ")


def test_images_sent_by_batch_that_train_otherwise_fail_their_check(monkeypatch):
    """A path that sent other pixels than the resident images hold (each inverted) is caught by its weights."""
    images_on = trainables.loop.images_on

    def invert_when_kept(device, images, memory_for_images):
        return images_on(device, images if memory_for_images is None else 255 - images, memory_for_images)

    monkeypatch.setattr(trainables.loop, "images_on", invert_when_kept)
    row = gpu_check.check_images_sent_by_batch(CPU)
    assert row.outcome == gpu_check.FAIL
    assert row.detail.startswith("images kept on cpu, resident on cpu: max |Δweight| ")
    assert row.detail.endswith(" after 2 epochs")


def test_a_nan_trial_that_trains_on_fails_the_nan_check(monkeypatch):
    monkeypatch.setattr("trainables.loop.divergence_reason", lambda recent, patience: None)
    row = gpu_check.check_nan_trial(CPU, None)
    assert (row.outcome, row.detail) == (gpu_check.FAIL, "mlp: diverged None after 2 more epoch(s)")


def test_scores_apart_by_more_than_the_tolerance_fail_the_evaluator_check(monkeypatch):
    """FID 102 on the device against 100 on the CPU (2 %) fails, every other metric equal: the scores are the stub's,
    the device's first."""
    base = {key: 0.5 for key in (*gpu_check.QUALITY_METRICS, *gpu_check.CLASS_SHARES)}
    fids = iter([102.0, 100.0])
    monkeypatch.setattr(gpu_check, "scores_on", lambda *args: {**base, "fid": next(fids), "is_score": 1.0})
    row = gpu_check.check_evaluator(CPU, object(), 100)
    assert row.outcome == gpu_check.FAIL and row.detail.endswith("the largest difference 2 % (fid)")


def test_a_check_that_raises_is_its_fail_row():
    @gpu_check.check("crashes")
    def crashes():
        raise RuntimeError("CUDA error: device-side assert\ntriggered")

    row = crashes()
    assert (row.name, row.outcome, row.detail) == (
        "crashes",
        "FAIL",
        "RuntimeError: CUDA error: device-side assert triggered",
    )


def test_the_table_renders_from_the_records():
    result = gpu_check.GpuCheck(
        device="NVIDIA H100 · CUDA 13.0",
        torch_version="2.11.0",
        python_version="3.12.3",
        date="2026-12-05",
        seconds=212.4,
        checks=[gpu_check.Check("placement", "pass", "all on cuda", 1.34), gpu_check.Check("resume", "FAIL", "x", 3)],
        speeds=[
            gpu_check.StepSpeed("mlp", 128, {"fp32": 800.0, "bf16": 1200.0, "tf32": None}),
            gpu_check.StepSpeed("dcgan", 1024, {"fp32": 0.8412, "bf16": 1.5, "tf32": None}),
        ],
        sharing=[gpu_check.Sharing(4, 2400.0, 0.9375, "GPU memory")],
    )
    assert gpu_check.render(result).splitlines() == [
        "NVIDIA H100 · CUDA 13.0 · torch 2.11.0 · 2026-12-05 · 212 s",
        "",
        "| check | result | detail | s |",
        "| --- | --- | --- | ---: |",
        "| placement | pass | all on cuda | 1.3 |",
        "| resume | FAIL | x | 3.0 |",
        "| steps/s · mlp · batch 128 | measured | fp32 800 · bf16 1,200 (1.50×) · tf32 — |  |",
        "| steps/s · dcgan · batch 1024 | measured | fp32 0.841 · bf16 1.5 (1.78×) · tf32 — |  |",
        "| steps/s · 4 trial process(es) at once | measured | 2,400 in all, 600 each; 0.94 GiB of GPU memory each |  |",
        "",
        "FAILED: resume",
    ]
    assert (
        result.failed == ["resume"]
        and json.loads(json.dumps(result.as_json()))["sharing"][0]["memory_gib_each"] == 0.9375
    )


def test_the_recorded_run_reads_back_into_the_records_it_was_written_from(capsys):
    """The JSON of a recorded run and the records stay one schema: read back, they write the same JSON, and --show
    prints their table."""
    path = REPO / "benchmarks" / "results" / "gpu-check-cpu-2core-vm.json"
    recorded = json.loads(path.read_text())
    result = gpu_check.GpuCheck.from_json(recorded)
    assert json.dumps(result.as_json(), indent=2) == json.dumps(recorded, indent=2)
    assert gpu_check.main(["--show", str(path)]) == 0
    assert capsys.readouterr().out == gpu_check.render(result) + "\n"
