"""Quality of any image data in Inception's features (trainables.quality.extractors): the real reference of a folder
computed in them and cached per data and weights, the evaluator scoring samples in them, classes only where a
classifier is shipped, and the weights file refused when missing or changed."""

from __future__ import annotations

import json
import math

import pytest
import torch
import torch_fidelity

from tests.image_folders import shapes_folder
from tests.inception_weights import save_random_inception_weights
from tests.test_evaluate_cli import run_evaluate
from trainables.config import CLASSIFIER, INCEPTION, ConfigError, TrialConfig
from trainables.data import load_reference_images
from trainables.metric_keys import CLASS_SHARES, anchor_key
from trainables.quality import extractors, inception
from trainables.quality.evaluator import QualityEvaluator, real_reference, reference_cache_path
from trainables.quality.extractors import FeatureExtractor, feature_extractor
from trainables.quality.inception import FeatureWeightsError, inception_features, load_inception
from trainables.quality.metrics import feature_stats, fid

SIZE = 32


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    return save_random_inception_weights(tmp_path_factory.mktemp("weights") / "inception.pt")


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    """5 images a class, 15 in all: the reference is all of them (fewer than 10,000)."""
    return shapes_folder(tmp_path_factory.mktemp("shapes"), per_class=5)


def folder_config(shapes, **settings) -> TrialConfig:
    return TrialConfig(dataset=f"folder:{shapes}", image_size=SIZE, **settings)


def test_each_dataset_measures_quality_in_its_extractor():
    assert TrialConfig().extractor == CLASSIFIER and TrialConfig(dataset="fashion_mnist").extractor == CLASSIFIER
    assert TrialConfig(dataset="cifar10").extractor == INCEPTION
    assert TrialConfig(dataset="mnist", feature_extractor=INCEPTION).extractor == INCEPTION
    with pytest.raises(ConfigError) as error:
        TrialConfig(dataset="cifar10", feature_extractor=CLASSIFIER)
    assert str(error.value) == (
        "feature_extractor='classifier': a classifier is shipped for mnist, fashion_mnist only, not cifar10; use "
        "inception-v3-compat (or auto)"
    )


def test_a_folder_reference_in_inception_features_is_computed_once_and_cached(shapes, weights, tmp_path, monkeypatch):
    config = folder_config(shapes)
    extractor = feature_extractor(config, weights)
    assert extractor == FeatureExtractor(INCEPTION, config.dataset, str(weights), extractor.weights_sha256)
    said = []
    reference = real_reference(config.dataset, shapes, tmp_path, extractor, config.image_shape, said.append)
    # The features are Inception's of the folder's reference images, computed independently here.
    images = load_reference_images(config.dataset, shapes, SIZE, 3, progress=lambda line: None)
    expected, _logits = inception_features(load_inception(weights), images)
    torch.testing.assert_close(reference.features, expected)
    assert (reference.extractor, reference.weights, reference.has_classes) == (INCEPTION, str(weights), False)
    assert said == [
        f"scoring the 15 reference images in {INCEPTION}'s features (once, then cached)",
        "scoring 15 real images and as many of noise as anchors (once, then cached)",
    ]
    # The anchors, computed independently: the real sample is the folder's 15 images again (the reference holds them
    # all), one image repeated has no spread, and noise is its own Gaussian.
    anchors = reference.anchors
    assert anchors[anchor_key("real", "fid")] == pytest.approx(0.0, abs=0.01)
    assert anchors[anchor_key("real", "coverage")] == 1.0
    assert anchors[anchor_key("one_image", "diversity")] == pytest.approx(0.0, abs=0.01)  # 0 but for float error
    noise = torch.randint(0, 256, images.shape, dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    noise_features, _logits = inception_features(load_inception(weights), noise)
    assert anchors[anchor_key("noise", "fid")] == pytest.approx(fid(feature_stats(noise_features), reference.stats))
    path = reference_cache_path(config.dataset, tmp_path, extractor, config.image_shape)
    assert path.is_file() and f"3x{SIZE}px-{INCEPTION}-{extractor.weights_sha256[:16]}" in path.name
    assert path.name.startswith(shapes.name)

    def no_extractor(self, device="cpu"):
        raise AssertionError("computed again")

    monkeypatch.setattr(FeatureExtractor, "load", no_extractor)
    cached = real_reference(config.dataset, shapes, tmp_path, extractor, config.image_shape)
    assert torch.equal(cached.features, reference.features)


@pytest.mark.slow  # 60 images through Inception on one thread: about 20 s
def test_samples_are_scored_in_inception_features_without_classes(shapes, weights, tmp_path):
    config = folder_config(shapes)
    extractor = feature_extractor(config, weights)
    reference = real_reference(
        config.dataset, shapes, tmp_path, extractor, config.image_shape, lambda line: None, anchor_samples=10
    )  # anchors are tested apart; 10 noise images keep Inception's time on the samples
    evaluator = QualityEvaluator(reference)
    images = load_reference_images(config.dataset, shapes, SIZE, 3, progress=lambda line: None)
    scores = evaluator.score(images[:12])
    features, _logits = inception_features(load_inception(weights), images[:12])
    assert scores["fid"] == pytest.approx(fid(feature_stats(features), reference.stats), rel=1e-6)
    assert not {"classes_covered", "class_kl"} & scores.keys()  # not NaN: they do not exist without classes
    # The reference scored against itself: every sample is in the real manifold, and every real image is covered.
    itself = evaluator.score(images)
    assert itself["precision"] == 1.0 and itself["recall"] == 1.0 and itself["coverage"] == 1.0
    # 0 but for the matrix square root's numerics: 15 points in 2048 dimensions give a covariance of rank 14.
    assert itself["fid"] == pytest.approx(0.0, abs=0.01)
    generator = torch.nn.Sequential(
        torch.nn.Linear(4, 3 * SIZE * SIZE), torch.nn.Tanh(), torch.nn.Unflatten(1, (3, SIZE, SIZE))
    )
    result = evaluator.evaluate(generator, torch.randn(12, 4, generator=torch.Generator().manual_seed(0)))
    # A trial's results keep every key, NaN where the features define none.
    assert all(math.isnan(result[key]) for key in (*CLASS_SHARES, "classes_covered", "class_kl"))
    assert math.isfinite(result["fid"])


@pytest.mark.slow  # the 15 images, their anchors and the real sample through Inception: about 15 s
def test_evaluate_real_scores_a_folder_in_inception_features(shapes, weights, tmp_path, monkeypatch, capsys):
    """`tune-gan evaluate real` on a folder: its real sample against its reference, in the features and at the shape a
    sweep of it uses. The folder's 15 images are its whole reference, so the sample is the same images (said so),
    scoring FID 0 and coverage 1, as its anchor did; no class metric exists in these features."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    argv = ["real", "--dataset", f"folder:{shapes}", "--image-size", str(SIZE), "--feature-weights", str(weights)]
    code, out, err = run_evaluate([*argv, "--json"], capsys)
    assert code == 0, err
    real = json.loads(out, parse_constant=lambda name: pytest.fail(f"not JSON: {name}"))
    assert {key: real[key] for key in ("features", "image_shape", "reference_images")} == {
        "features": INCEPTION,
        "image_shape": [3, SIZE, SIZE],
        "reference_images": 15,
    }
    assert "test_set" not in real and not {"classes_covered", "class_kl"} & real["real_sample"].keys()
    sample = real["real_sample"]
    assert (sample["images"], sample["apart_from_reference"], sample["coverage"]) == (15, False, 1.0)
    extractor = feature_extractor(folder_config(shapes), weights)
    reference = real_reference(f"folder:{shapes}", shapes, None, extractor, (3, SIZE, SIZE))  # the cached one
    assert sample["fid"] == pytest.approx(reference.anchors[anchor_key("real", "fid")], abs=1e-6)
    assert sample["fid"] == pytest.approx(0.0, abs=0.01)
    assert "reference images" in err  # its progress, kept off stdout


def test_weights_changed_after_the_sweep_started_are_refused(shapes, weights, tmp_path):
    copy = tmp_path / "inception.pt"
    copy.write_bytes(weights.read_bytes())
    config = folder_config(shapes)
    extractor = feature_extractor(config, copy)
    save_random_inception_weights(copy)  # the same seed: the same tensors, written again
    extractor.load()
    state = torch.load(copy, weights_only=True)
    state[next(iter(state))].add_(1.0)
    torch.save(state, copy)
    with pytest.raises(FeatureWeightsError, match="changed since the sweep started"):
        extractor.load()


def test_missing_weights_are_one_line_naming_where_to_fetch_them(shapes, tmp_path, monkeypatch):
    config = folder_config(shapes)
    with pytest.raises(FeatureWeightsError) as error:
        feature_extractor(config, tmp_path / "nowhere.pt")
    assert "\n" not in str(error.value) and inception.WEIGHTS_URL in str(error.value)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))

    def offline(url, destination):
        raise OSError("no network")

    monkeypatch.setattr(inception, "download_url_to_file", offline)
    with pytest.raises(FeatureWeightsError, match="downloading .* failed \\(no network\\)"):
        feature_extractor(config)
    assert extractors.feature_extractor(TrialConfig()).name == CLASSIFIER  # the classifier needs no file


class _Images(torch.utils.data.Dataset):
    """uint8 (C, H, W) images, as torch-fidelity's calculate_metrics reads a dataset."""

    def __init__(self, images: torch.Tensor):
        self.images = images

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.images[index]


@pytest.mark.slow  # the reference and both sides' samples through Inception: about 30 s
def test_fid_of_samples_equals_torch_fidelitys_calculate_metrics_with_the_same_weights(weights, tmp_path):
    """The whole chain, images to FID: our evaluator against a folder's reference, and torch-fidelity's own
    calculate_metrics on the same two image sets with the same weights file, computed independently."""
    shapes = shapes_folder(tmp_path / "shapes", per_class=10)  # 30 reference images
    config = folder_config(shapes)
    extractor = feature_extractor(config, weights)
    reference = real_reference(
        config.dataset, shapes, tmp_path, extractor, config.image_shape, lambda line: None, anchor_samples=10
    )
    real = load_reference_images(config.dataset, shapes, SIZE, 3, progress=lambda line: None)
    generated = torch.randint(
        0, 256, (30, 3, SIZE, SIZE), dtype=torch.uint8, generator=torch.Generator().manual_seed(2)
    )
    ours = QualityEvaluator(reference).score(generated)["fid"]
    theirs = torch_fidelity.calculate_metrics(
        input1=_Images(generated),
        input2=_Images(real),
        fid=True,
        feature_extractor_weights_path=str(weights),
        cuda=False,
        verbose=False,
        cache=False,
        batch_size=10,
        save_cpu_ram=True,  # no DataLoader worker processes
    )["frechet_inception_distance"]
    assert ours == pytest.approx(theirs, rel=1e-4)
