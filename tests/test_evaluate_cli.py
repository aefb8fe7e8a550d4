"""``python -m tune_gan.evaluate``: accuracy, real baselines, scoring a trial checkpoint, and its bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from tests.helpers import run_script, trial_dirs
from trainables.checkpoint import STATE_FILE
from trainables.config import TrialConfig
from trainables.data import resolve_data_dir
from trainables.loop import GANTraining
from trainables.metric_keys import QUALITY_METRICS
from trainables.models import build_models
from trainables.quality.classifier import read_manifest
from trainables.quality.evaluator import QualityEvaluator, real_reference
from tune_gan import evaluate

PROG = "python -m tune_gan.evaluate"


def run_evaluate(argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        code = evaluate.main(argv)
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def last_checkpoint(trial: Path) -> Path:
    return sorted(trial.glob("checkpoint_*"))[-1]


def last_result(trial: Path) -> dict:
    return json.loads((trial / "result.json").read_text().splitlines()[-1])


def test_checkpoint_scores_repeat_the_trials_last_evaluation_and_save_the_samples(smoke, tmp_path, capsys):
    experiment, _ = smoke
    trial = trial_dirs(experiment)[0]
    reported = last_result(trial)
    samples = tmp_path / "samples.pt"
    argv = ["checkpoint", str(last_checkpoint(trial)), "--json"]  # as many samples as the trial scored: 2,000
    code, out, err = run_evaluate([*argv, "--save-samples", str(samples)], capsys)
    assert code == 0, err
    scored = json.loads(out)
    assert scored["epoch"] == 2 and scored["dataset"] == "mnist" and scored["samples"] == 2000
    for name in QUALITY_METRICS:  # the trial's own noise and generator: the trial's own numbers
        assert scored[name] == pytest.approx(reported[name], rel=1e-6, abs=1e-9), name
    images = torch.load(samples, weights_only=True)
    assert images.dtype == torch.uint8 and images.shape == (2000, 1, 28, 28)
    evaluator = QualityEvaluator(real_reference("mnist", resolve_data_dir(None)))
    rescored = evaluator.score(images)  # what any tool reading the file gets with our classifier
    assert rescored["fid"] == pytest.approx(scored["fid"], rel=1e-9) and rescored["recall"] == scored["recall"]
    code, out, err = run_evaluate([*argv[:2], "--n", "500", "--json"], capsys)
    assert code == 0 and json.loads(out)["samples"] == 500 and json.loads(out)["fid"] != scored["fid"]


@pytest.mark.slow
def test_accuracy_and_real_baselines(capsys):
    code, out, err = run_evaluate(["accuracy", "--dataset", "mnist", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["accuracy"] == pytest.approx(read_manifest()["mnist"]["test_accuracy"], abs=0.001)
    code, out, err = run_evaluate(["real", "--dataset", "mnist", "--json"], capsys)
    assert code == 0, err
    real = json.loads(out)
    assert real["test_set"]["is_score"] > 9 and real["test_set"]["classes_covered"] == 10
    train = real["real_sample"]  # 10,000 of the training split, apart from the test set every number is against
    assert (train["images"], train["apart_from_reference"], real["reference_images"]) == (10_000, True, 10_000)
    assert train["fid"] < 5 and train["precision"] > 0.8 and train["recall"] > 0.8
    code, out, _ = run_evaluate(["real", "--dataset", "mnist"], capsys)
    assert code == 0 and f"  fid: {train['fid']:.4g}" in out.splitlines()


@pytest.mark.slow
def test_runs_as_a_module():
    finished = run_script("-m", "tune_gan.evaluate", "accuracy", "--dataset", "fashion_mnist", "--json", timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert json.loads(finished.stdout)["accuracy"] >= 0.90


def assert_one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(PROG) and " error: " in lines[0], err
    for fragment in fragments:
        assert fragment in lines[0], err


def test_bad_input_is_one_line_and_exit_2(smoke, tmp_path, capsys):
    experiment, _ = smoke
    checkpoint = last_checkpoint(trial_dirs(experiment)[0])
    code, _, err = run_evaluate(["checkpoint", str(tmp_path)], capsys)
    assert_one_line_error(code, err, str(tmp_path), "not a tune-gan trial checkpoint")
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "state.pt").write_bytes(b"\x80\x02 not a checkpoint")
    code, _, err = run_evaluate(["checkpoint", str(corrupt / "state.pt")], capsys)
    assert_one_line_error(code, err, str(corrupt / "state.pt"), "corrupt")
    code, _, err = run_evaluate(["checkpoint", str(checkpoint), "--n", "0"], capsys)
    assert_one_line_error(code, err, "--n", "'0' is not an integer >= 100")
    existing = tmp_path / "keep.pt"
    existing.write_text("earlier samples")
    code, _, err = run_evaluate(["checkpoint", str(checkpoint), "--save-samples", str(existing)], capsys)
    assert_one_line_error(code, err, str(existing), "already exists")
    assert existing.read_text() == "earlier samples"
    code, _, err = run_evaluate(["accuracy", "--dataset", "cifar"], capsys)
    assert_one_line_error(code, err, "'cifar'", "mnist", "fashion_mnist")


def test_a_checkpoint_whose_contents_do_not_fit_is_one_line_and_exit_2(tmp_path, capsys, mnist_images):
    """A state.pt that loads but whose config or weights cannot be rebuilt into a generator: a one-line error naming
    the checkpoint, exit 2, never a traceback."""
    config = TrialConfig(epochs=1, subset=256, batch_size=64)
    state = GANTraining(config, mnist_images).state_dict()
    dcgan, _ = build_models("dcgan", config.latent_dim)
    broken = {
        "dcgan_weights_for_an_mlp": {**state, "generator": dcgan.state_dict()},
        "weights_not_a_dict": {**state, "generator": [1, 2, 3]},
        "config_a_list": {**state, "config": [1, 2]},
        "config_with_an_unknown_key": {**state, "config": {**state["config"], "colour": "red"}},
        "config_with_a_bad_value": {**state, "config": {**state["config"], "batch_size": 0}},
    }
    for name, contents in broken.items():
        checkpoint = tmp_path / name
        checkpoint.mkdir()
        torch.save(contents, checkpoint / STATE_FILE)
        code, out, err = run_evaluate(["checkpoint", str(checkpoint)], capsys)
        assert_one_line_error(code, err, str(checkpoint), "holds no generator this tune-gan can rebuild")
        assert out == ""
