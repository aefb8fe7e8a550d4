"""A study of a user's own colour images, end to end: a folder of RGB shapes swept by the real CLI, scored in
Inception's features read through --feature-weights (random weights the test saves: the published ones cannot be
downloaded here), reported without classes, and a trial's checkpoint scored again by `tune-gan evaluate`."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from analysis import outcomes, stats, wording
from analysis.load import load_experiment
from analysis.report import write_report
from tests.helpers import run_sweep, trial_dirs
from tests.image_folders import shapes_folder
from tests.inception_weights import save_random_inception_weights
from tests.test_evaluate_cli import run_evaluate
from trainables.checkpoint import saved_sample_grids
from trainables.config import INCEPTION
from trainables.metric_keys import ANCHOR_KEYS
from trainables.quality.classifier import file_sha256
from trainables.quality.evaluator import real_reference
from trainables.quality.extractors import FeatureExtractor


@pytest.mark.slow  # about a minute on the 2-core VM, most of it Inception on the CPU
def test_a_colour_folder_sweeps_into_a_report_scored_in_inception_features(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # the decoded folder and its reference, fresh
    folder = shapes_folder(tmp_path / "images", per_class=12)  # 36 distinct images in 3 class subfolders
    weights = save_random_inception_weights(tmp_path / "inception.pt")
    finished = run_sweep(  # the WikiArt study's preset, latent 128 against 256, small: 32 px, one seed, 2 epochs
        *("--preset", "art_latent", "--dataset", f"folder:{folder}", "--image-size", "32"),
        *"--batch-sizes 16 --seeds 0 --epochs 2 --eval-every 2 --eval-samples 100".split(),
        *("--feature-weights", str(weights), "--no-dashboard", "--storage-path", str(tmp_path), "--name", "shapes"),
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert "tune-gan: 2 trials: batch_size 16 × schedule constant × lr_scaling none × seed 0 × latent_dim 128 256" in (
        finished.stdout
    )
    assert f"scoring the 36 reference images in {INCEPTION}'s features (once, then cached)" in finished.stdout
    # The evaluation settings given are kept (no CPU defaults), and what they cost is said.
    assert f"tune-gan: scoring: 100 samples in {INCEPTION}'s features at 1 evaluation(s), about " in finished.stdout
    frame = load_experiment(tmp_path / "shapes")
    assert set(frame["dataset"]) == {f"folder:{folder}"} and set(frame["image_size"]) == {32}
    evaluated = frame.dropna(subset=["fid"])
    assert len(evaluated) == 2 and evaluated["classes_covered"].isna().all()  # each seed at epoch 2
    # Every evaluation carries the anchors of the reference the driver cached, computed here again from the cache.
    extractor = FeatureExtractor(INCEPTION, f"folder:{folder}", str(weights), file_sha256(weights))
    reference = real_reference(f"folder:{folder}", folder, None, extractor, (3, 32, 32))
    for key in ANCHOR_KEYS:
        assert evaluated[key].tolist() == pytest.approx([reference.anchors[key]] * 2, rel=1e-6), key
    # The reference is the folder itself, so its real sample covers every real neighbourhood: the features can judge.
    assert reference.anchors["anchor_real_coverage"] == 1.0
    trials = stats.per_trial(frame)
    assert set(trials["outcome"]) <= set(outcomes.JUDGED) | {outcomes.TOO_EARLY}
    # The sample grids are in colour: the generator's three channels differ.
    for trial in trial_dirs(tmp_path / "shapes"):
        with Image.open(saved_sample_grids(sorted(trial.glob("checkpoint_*"))[-1])[2]) as grid:
            pixels = np.asarray(grid).astype(int)
            assert grid.mode == "RGB" and (pixels[..., 0] != pixels[..., 1]).mean() > 0.5
    report = write_report(tmp_path / "shapes", tmp_path / "report").read_text()
    assert f"scored in fp32 in {INCEPTION}'s features, which know no classes of this data" in report
    assert "classes" not in report.split("## Appendix")[0].split("| rank |")[1].splitlines()[0]  # no class column
    assert f"a real sample FID {wording.number(max(reference.anchors['anchor_real_fid'], 0.0))}, coverage 1, " in report
    assert (tmp_path / "report" / "report.pdf").stat().st_size > 10_000
    # `tune-gan evaluate checkpoint` on a trial's last checkpoint: in the same features, with the reference the sweep
    # cached, it repeats the trial's own last evaluation (the trial's noise; on one thread there, two here).
    trial = trial_dirs(tmp_path / "shapes")[0]
    latent_dim = json.loads((trial / "params.json").read_text())["latent_dim"]
    samples = tmp_path / "samples.pt"
    argv = ["checkpoint", str(sorted(trial.glob("checkpoint_*"))[-1]), "--json", "--save-samples", str(samples)]
    code, out, err = run_evaluate([*argv, "--feature-weights", str(weights)], capsys)
    assert code == 0, err
    assert "reference images" not in err  # read from the cache, not scored again
    scored = json.loads(out, parse_constant=lambda name: pytest.fail(f"not JSON: {name}"))  # the result alone
    images = torch.load(samples, weights_only=True)
    assert images.shape == (100, 3, 32, 32) and images.dtype == torch.uint8
    (trials_fid,) = evaluated.loc[evaluated["latent_dim"] == latent_dim, "fid"]
    assert scored["fid"] == pytest.approx(trials_fid, rel=1e-4)
    assert not {"classes_covered", "class_kl"} & scored.keys()  # Inception's features have no classes of the folder
    code, _, err = run_evaluate([*argv[:3], "--feature-weights", str(tmp_path / "nowhere.pt")], capsys)
    assert code == 2 and err.count("\n") == 1 and "nowhere.pt" in err
