"""Scoring a generator's samples: the feature extractor, the real reference set, and when to score.

Glue around trainables.quality.metrics's pure math. The real side of every metric (the reference images'
features, their k-NN radii at both k and their Gaussian) depends only on the data (dataset, size, channels) and
the extractor (trainables.quality.extractors), so :func:`real_reference` computes it once and caches it on disk
under the extractor's weights' checksum; a sweep computes or loads it on the driver and hands it to every trial.
Samples are scored as the uint8 images they would be saved as, like the real ones, so saved samples
(``python -m tune_gan.evaluate checkpoint --save-samples``) score the same anywhere.
"""

from __future__ import annotations

import math
import os
import pickle
import time
import warnings
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, Callable, Protocol

import torch
from torch import nn

from trainables.config import CLASSIFIER, NATIVE_SIZE, TrialConfig, one_line
from trainables.data import cache_dir, dataset_key, load_real_sample, load_reference_images, to_uint8
from trainables.metric_keys import ANCHOR_KEYS, CLASS_SHARES, EVAL_TIME_S, QUALITY_METRICS
from trainables.quality.anchors import ANCHOR_SAMPLES, score_anchors
from trainables.quality.classifier import ClassifierWeightsError, recorded_sha256
from trainables.quality.extractors import FeatureExtractor
from trainables.quality.metrics import (
    DENSITY_NEIGHBOURHOOD,
    NEIGHBOURHOOD,
    FeatureStats,
    feature_stats,
    neighbour_radii,
)
from trainables.quality.scorers import Evaluation, RealReference, score
from trainables.training_precision import precision_context

_EVAL_NOISE_SEED_OFFSET = 2_000_003  # keeps the evaluation noise apart from the training and grid noise
_BATCH = 500  # noise vectors through G at once
# What a result reports for an epoch that was not evaluated.
NOT_EVALUATED: dict[str, float] = {
    **{name: math.nan for name in (*QUALITY_METRICS, *CLASS_SHARES, *ANCHOR_KEYS)},
    EVAL_TIME_S: 0.0,
}


def reference_cache_path(
    dataset: str,
    directory: Path | None = None,
    extractor: FeatureExtractor | None = None,
    image_shape: tuple[int, int, int] = (1, NATIVE_SIZE, NATIVE_SIZE),
) -> Path:
    """Where the reference of ``dataset`` at ``image_shape`` in ``extractor``'s features (the dataset's classifier
    by default) is cached, keyed by the weights' checksum; ``directory`` defaults to ``reference/`` in tune-gan's
    cache dir. A folder is named by its files (trainables.data.dataset_key)."""
    directory = directory or cache_dir() / "reference"
    extractor = extractor or classifier_of(dataset)
    channels, size, _ = image_shape
    data = dataset_key(dataset, channels, size)
    network = "" if extractor.name == CLASSIFIER else f"-{extractor.name}"
    return directory / f"{data}{network}-{extractor.weights_sha256[:16]}-k{NEIGHBOURHOOD}-k{DENSITY_NEIGHBOURHOOD}.pt"


def classifier_of(dataset: str) -> FeatureExtractor:
    return FeatureExtractor(CLASSIFIER, dataset, weights_sha256=recorded_sha256(dataset))


def real_reference(
    dataset: str,
    data_root: Path,
    directory: Path | None = None,
    extractor: FeatureExtractor | None = None,
    image_shape: tuple[int, int, int] = (1, NATIVE_SIZE, NATIVE_SIZE),
    progress: Callable[[str], None] = print,
    anchor_samples: int = ANCHOR_SAMPLES,
) -> RealReference:
    """The reference set's reference (trainables.data.load_reference_images) in ``extractor``'s features (the
    dataset's classifier by default), with its anchors (trainables.quality.anchors, ``anchor_samples`` images each):
    from the cache when it is there, else computed from the data and cached."""
    extractor = extractor or classifier_of(dataset)
    path = reference_cache_path(dataset, directory, extractor, image_shape)
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
        if set(saved["anchors"]) == set(ANCHOR_KEYS):  # else cached before the anchors were: computed again
            return RealReference(**{**saved, "stats": FeatureStats(**saved["stats"])})
    except (OSError, RuntimeError, EOFError, pickle.UnpicklingError, KeyError, TypeError):
        pass  # not cached yet, or an unreadable cache file: compute it again
    channels, size, _ = image_shape
    images = load_reference_images(dataset, data_root, size, channels, progress)
    if extractor.name != CLASSIFIER:
        progress(f"scoring the {len(images):,} reference images in {extractor.name}'s features (once, then cached)")
    features_of = extractor.load()
    features, _logits = features_of(images)
    reference = RealReference(
        dataset,
        extractor.weights_sha256,
        features,
        neighbour_radii(features),
        neighbour_radii(features, DENSITY_NEIGHBOURHOOD),
        feature_stats(features),
        extractor.name,
        extractor.weights,
    )
    real_sample = load_real_sample(dataset, data_root, anchor_samples, size, channels)
    if extractor.name != CLASSIFIER:
        progress(f"scoring {len(real_sample):,} real images and as many of noise as anchors (once, then cached)")
    reference = replace(reference, anchors=score_anchors(features_of, reference, real_sample))
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")  # a concurrent reader never sees half a file
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save({**asdict(reference), "stats": asdict(reference.stats)}, partial)
        os.replace(partial, path)
    except OSError as error:  # a read-only home, a full disk: score without the cache
        warnings.warn(f"could not cache the real reference at {path} ({one_line(error)}); it will be computed again")
    return reference


@torch.no_grad()
def generate(generator: nn.Module, noise: torch.Tensor) -> torch.Tensor | None:
    """G's samples for ``noise`` as uint8 (N, C, H, W) images on G's device, made in eval mode (BatchNorm's
    running statistics); None when any sample is not finite (a run diverged to NaN), as then nothing can be scored."""
    was_training = generator.training
    generator.eval()
    device = next(generator.parameters()).device
    images = []
    try:
        for chunk in noise.split(_BATCH):
            samples = generator(chunk.to(device))
            if not bool(torch.isfinite(samples).all()):
                return None
            images.append(to_uint8(samples))
    finally:
        generator.train(was_training)
    return torch.cat(images)


def evaluation_noise(config: TrialConfig, count: int | None = None) -> torch.Tensor:
    """The trial's fixed evaluation noise (CPU), the same at every evaluation so that they compare."""
    rng = torch.Generator().manual_seed(config.seed + _EVAL_NOISE_SEED_OFFSET)
    return torch.randn(count or config.eval_samples, config.latent_dim, generator=rng)


def is_eval_epoch(epoch: int, eval_every: int, finished: bool) -> bool:
    """Every ``eval_every`` epochs and at the trial's last epoch (also an early stop); never when 0."""
    return eval_every > 0 and (epoch % eval_every == 0 or finished)


def evaluations_after(epoch: int, eval_every: int, epochs: int) -> int:
    """How many times a trial of ``epochs`` epochs is scored after epoch ``epoch`` (0: in all), by
    :func:`is_eval_epoch`."""
    return sum(is_eval_epoch(later, eval_every, later == epochs) for later in range(epoch + 1, epochs + 1))


class QualityEvaluator:
    """Scores images against one real reference in the features of the extractor it was computed with."""

    def __init__(self, reference: RealReference, device: str | torch.device = "cpu"):
        if reference.extractor == CLASSIFIER:
            expected = recorded_sha256(reference.dataset)
            if reference.extractor_sha256 != expected:
                raise ClassifierWeightsError(
                    f"the real reference of {reference.dataset!r} was computed with classifier weights "
                    f"{reference.extractor_sha256[:16]}, but the shipped weights are {expected[:16]}"
                )
        self.device = torch.device(device)
        self.features = FeatureExtractor(
            reference.extractor, reference.dataset, reference.weights, reference.extractor_sha256
        ).load(device)
        self.real = reference.to(device)

    def score(self, images: torch.Tensor) -> dict[str, float]:
        """Every quality metric of uint8 (N, C, H, W) images against the real reference."""
        return score(self._evaluation(images))

    def _evaluation(self, images: torch.Tensor) -> Evaluation:
        features, logits = self.features(images)
        return Evaluation(features, logits, self.real)

    def evaluate(self, generator: nn.Module, noise: torch.Tensor) -> dict[str, Any]:
        """One result's quality keys: every metric of G's samples for ``noise``, and ``eval_time_s``.

        A generator whose samples are not finite (a run diverged to NaN) has nothing to score:
        its metrics are NaN.
        """
        started = time.perf_counter()
        with precision_context("fp32", self.device):
            images = generate(generator, noise)
        if images is None:
            return {**NOT_EVALUATED, EVAL_TIME_S: time.perf_counter() - started}
        evaluation = self._evaluation(images)
        shares = dict(zip(CLASS_SHARES, evaluation.histogram.tolist())) if self.real.has_classes else {}
        scores = {**score(evaluation), **shares, **self.real.anchors}
        return {**NOT_EVALUATED, **scores, EVAL_TIME_S: time.perf_counter() - started}


class TrainingState(Protocol):
    """What the evaluator reads of a trial's training (trainables.loop.GANTraining), which imports this package."""

    epoch: int
    finished: bool
    generator: nn.Module


class TrialEvaluator:
    """When and on which noise one trial's generator is scored: the trainable's schedule, usable without Ray."""

    def __init__(self, config: TrialConfig, reference: RealReference | None, device: str | torch.device = "cpu"):
        if config.eval_every and reference is None:
            raise ValueError(f"eval_every={config.eval_every} needs the real reference (trainables.quality.evaluator)")
        self.eval_every = config.eval_every
        self.evaluator = QualityEvaluator(reference, device) if config.eval_every else None
        self.noise = evaluation_noise(config) if config.eval_every else None

    def after_epoch(self, training: TrainingState) -> dict[str, Any]:
        """The quality keys of the epoch ``training`` just finished: scored on an evaluation epoch, else NaN."""
        if self.evaluator is None or not is_eval_epoch(training.epoch, self.eval_every, training.finished):
            return NOT_EVALUATED
        return self.evaluator.evaluate(training.generator, self.noise)
