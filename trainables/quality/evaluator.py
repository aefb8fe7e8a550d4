"""Scoring a generator's samples: the shipped classifier, the real test set's reference, and when to score.

Glue around trainables.quality.metrics's pure math. The real side of every metric (the test set's
features, their k-NN radii at both k and their Gaussian) depends only on the dataset and the
classifier, so :func:`real_reference` computes it once and caches it on disk under the weights' checksum; a
sweep computes or loads it on the driver and hands it to every trial. Samples are scored as
the uint8 images they would be saved as, like the real ones, so saved samples
(``python -m tune_gan.evaluate checkpoint --save-samples``) score the same anywhere.
"""

from __future__ import annotations

import math
import os
import pickle
import time
import warnings
from dataclasses import asdict
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import nn

from trainables.config import TrialConfig, one_line
from trainables.data import cache_dir, load_labelled_images, to_uint8
from trainables.metric_keys import CLASS_SHARES, EVAL_TIME_S, QUALITY_METRICS
from trainables.quality.classifier import ClassifierWeightsError, classify, load_classifier, recorded_sha256
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
NOT_EVALUATED: dict[str, float] = {**{name: math.nan for name in (*QUALITY_METRICS, *CLASS_SHARES)}, EVAL_TIME_S: 0.0}


def reference_cache_path(dataset: str, directory: Path | None = None) -> Path:
    """Where the reference of ``dataset`` under the current weights is cached (keyed by their checksum);
    ``directory`` defaults to ``reference/`` in tune-gan's cache dir."""
    directory = directory or cache_dir() / "reference"
    return directory / f"{dataset}-{recorded_sha256(dataset)[:16]}-k{NEIGHBOURHOOD}-k{DENSITY_NEIGHBOURHOOD}.pt"


def real_reference(dataset: str, data_root: Path, directory: Path | None = None) -> RealReference:
    """The test set's reference: from the cache when it is there, else computed from the data and cached."""
    path = reference_cache_path(dataset, directory)
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
        return RealReference(**{**saved, "stats": FeatureStats(**saved["stats"])})
    except (OSError, RuntimeError, EOFError, pickle.UnpicklingError, KeyError, TypeError):
        pass  # not cached yet, or an unreadable cache file: compute it again
    images, _labels = load_labelled_images(dataset, data_root, train=False)
    classifier = load_classifier(dataset)
    features, _logits = classify(classifier, images)
    reference = RealReference(
        dataset,
        recorded_sha256(dataset),
        features,
        neighbour_radii(features),
        neighbour_radii(features, DENSITY_NEIGHBOURHOOD),
        feature_stats(features),
    )
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


class QualityEvaluator:
    """Scores images against one dataset's real reference with that dataset's shipped classifier."""

    def __init__(self, reference: RealReference, device: str | torch.device = "cpu"):
        expected = recorded_sha256(reference.dataset)
        if reference.classifier_sha256 != expected:
            raise ClassifierWeightsError(
                f"the real reference of {reference.dataset!r} was computed with classifier weights "
                f"{reference.classifier_sha256[:16]}, but the shipped weights are {expected[:16]}"
            )
        self.device = torch.device(device)
        self.classifier = load_classifier(reference.dataset, device)
        self.real = reference.to(device)

    def score(self, images: torch.Tensor) -> dict[str, float]:
        """Every quality metric of uint8 (N, 1, 28, 28) images against the real test set."""
        return score(self._evaluation(images))

    def _evaluation(self, images: torch.Tensor) -> Evaluation:
        with precision_context("fp32", self.device):  # whatever precision the trial trains in
            features, logits = classify(self.classifier, images)
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
        shares = dict(zip(CLASS_SHARES, evaluation.histogram.tolist()))
        return {**score(evaluation), **shares, EVAL_TIME_S: time.perf_counter() - started}


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
