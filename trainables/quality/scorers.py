"""Each quality metric of the registry (trainables.metric_keys, source QUALITY) as a function of one evaluation.

A scorer takes the :class:`Evaluation` of a set of samples (the classifier's features and logits beside the real
reference) and returns the metric's value; shared work (the class histogram, the k-NN manifold pass, the Inception
Score's splits) is computed once per evaluation, on first use. Adding a quality metric is one registry entry and
one ``@scorer`` function here: the evaluator reports every registered scorer, and every quality metric of the
registry must have one (checked at import).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

import torch

from trainables.config import CLASSIFIER
from trainables.metric_keys import METRIC, QUALITY_METRICS
from trainables.quality.metrics import (
    FeatureStats,
    ManifoldMetrics,
    class_histogram,
    class_kl,
    classes_covered,
    feature_stats,
    fid,
    inception_score,
    manifold_metrics,
    mean_pairwise_distance,
)

# The samples whose pairwise distances give an evaluation's diversity: the first of them, a random subset as the
# evaluation noise is i.i.d. Their 4 million pairs take 0.013 s on the 2-core EPYC VM (all 10,000 samples' 100 million:
# 0.8 s, in every evaluation), and ten disjoint sets of 2,000 shuffled real training images score 0.984-1.000.
DIVERSITY_SAMPLES = 2_000


@dataclass(frozen=True)
class RealReference:
    """The real reference set as the metrics see it, for one dataset and one feature extractor
    (trainables.quality.evaluator computes and caches it; trainables.quality.extractors names the extractors)."""

    dataset: str
    extractor_sha256: str  # of the extractor's weights: the shipped classifier's or Inception's
    features: torch.Tensor  # (N, D) the extractor's features of the reference images
    radii: torch.Tensor  # (N,) their k-NN radii, k = NEIGHBOURHOOD (precision and recall)
    density_radii: torch.Tensor  # (N,) their k-NN radii, k = DENSITY_NEIGHBOURHOOD (density and coverage)
    stats: FeatureStats  # their Gaussian, for FID
    extractor: str = CLASSIFIER  # trainables.config's CLASSIFIER or INCEPTION
    weights: str = ""  # Inception's weights file; "" for the shipped classifier
    # What known sets score against it (trainables.quality.anchors), by trainables.metric_keys.ANCHOR_KEYS.
    anchors: dict[str, float] = field(default_factory=dict)

    @property
    def has_classes(self) -> bool:
        """Whether the features come with the dataset's own classes (a shipped classifier's), which class shares,
        classes covered and class KL count."""
        return self.extractor == CLASSIFIER

    @cached_property
    def spread(self) -> float:
        """The test set's mean pairwise feature distance, diversity's denominator: computed on first use, once per
        reference (0.9 s for 10,000 images on the 2-core EPYC VM), and not stored in the evaluator's cache file, whose
        entries stay valid."""
        return mean_pairwise_distance(self.features)

    def to(self, device: str | torch.device) -> "RealReference":
        stats = FeatureStats(self.stats.mean.to(device), self.stats.cov.to(device))
        moved = (self.features.to(device), self.radii.to(device), self.density_radii.to(device))
        return RealReference(
            self.dataset, self.extractor_sha256, *moved, stats, self.extractor, self.weights, self.anchors
        )


class Evaluation:
    """What the classifier made of one set of samples, beside the real set: what every scorer reads."""

    def __init__(self, features: torch.Tensor, logits: torch.Tensor, real: RealReference):
        self.features, self.logits, self.real = features, logits, real

    @cached_property
    def histogram(self) -> torch.Tensor:
        return class_histogram(self.logits)

    @cached_property
    def inception(self) -> tuple[float, float]:
        return inception_score(self.logits)

    @cached_property
    def manifold(self) -> ManifoldMetrics:
        return manifold_metrics(self.real.features, self.features, self.real.radii, self.real.density_radii)


SCORERS: dict[str, Callable[[Evaluation], float]] = {}


def scorer(key: str) -> Callable[[Callable[[Evaluation], float]], Callable[[Evaluation], float]]:
    """Register the decorated function as the scorer of the registry's quality metric ``key``."""
    if key not in QUALITY_METRICS:
        raise ValueError(f"{key!r} is not a quality metric of trainables.metric_keys.METRICS")

    def register(function: Callable[[Evaluation], float]) -> Callable[[Evaluation], float]:
        SCORERS[key] = function
        return function

    return register


def score(evaluation: Evaluation) -> dict[str, float]:
    """Every quality metric of ``evaluation`` that its features define, in the registry's order: the class metrics
    only where they come with the dataset's classes."""
    return {
        key: SCORERS[key](evaluation)
        for key in QUALITY_METRICS
        if evaluation.real.has_classes or not METRIC[key].needs_classes
    }


@scorer("is_score")
def is_score(evaluation: Evaluation) -> float:
    return evaluation.inception[0]


@scorer("is_std")
def is_std(evaluation: Evaluation) -> float:
    return evaluation.inception[1]


@scorer("fid")
def fid_to_real(evaluation: Evaluation) -> float:
    return fid(feature_stats(evaluation.features), evaluation.real.stats)


@scorer("precision")
def precision(evaluation: Evaluation) -> float:
    return evaluation.manifold.precision


@scorer("recall")
def recall(evaluation: Evaluation) -> float:
    return evaluation.manifold.recall


@scorer("density")
def density(evaluation: Evaluation) -> float:
    return evaluation.manifold.density


@scorer("coverage")
def coverage(evaluation: Evaluation) -> float:
    return evaluation.manifold.coverage


@scorer("diversity")
def diversity(evaluation: Evaluation) -> float:
    return mean_pairwise_distance(evaluation.features[:DIVERSITY_SAMPLES]) / evaluation.real.spread


@scorer("class_kl")
def class_kl_from_uniform(evaluation: Evaluation) -> float:
    return class_kl(evaluation.histogram)


@scorer("classes_covered")
def classes_with_their_share(evaluation: Evaluation) -> float:
    return classes_covered(evaluation.histogram)


_UNSCORED = set(QUALITY_METRICS) - set(SCORERS)
if _UNSCORED:
    raise ImportError(f"quality metrics without a scorer in trainables.quality.scorers: {sorted(_UNSCORED)}")
