"""Image-quality metrics as pure functions of a classifier's outputs: no models, files or devices here.

Every function takes what the evaluator classifier (trainables.quality.classifier) made of a set of
images, its logits or its penultimate features, and returns numbers:

- :func:`inception_score`: exp(mean KL(p(y|x) ‖ p(y))) per split, mean and std over the splits
  (Salimans et al. 2016, with the dataset's own classifier in Inception's place).
- :func:`fid`: the Fréchet distance between Gaussians fitted to two feature sets (Heusel et al. 2017).
- :func:`manifold_metrics`: the k-nearest-neighbour manifold estimates. Precision and recall
  (Kynkäänniemi et al. 2019, k = 3): the fraction of generated samples inside some real sample's
  k-NN ball, and of real samples inside some generated sample's ball. Density and coverage
  (Naeem et al. 2020, k = 5), from the real balls only: density is how many real balls a sample
  lands in, over k, averaged (about 1 for samples like the data, near 0 for samples unlike it);
  coverage is the fraction of real balls holding at least one sample (falls when G drops modes).
  Recall's balls are the generated samples' own, which shrink to nothing when G's samples cluster,
  and precision counts a sample inside one outlying real image's large ball as real: density and
  coverage are the ones that tell "looks like data but few modes" from "looks like nothing".
- :func:`mean_pairwise_distance`: how far apart two samples' features lie on average; the ``diversity`` scorer
  divides the samples' by the real set's, which tells one image for every z (near 0) from a generator that
  draws one class in its many shapes (real 1s alone: a third of the data's), with no class labels.
- :func:`class_kl`, :func:`classes_covered`: how far the predicted-class histogram of the samples
  is from uniform, and how many classes get at least half their uniform share.

The conventions follow torch-fidelity's implementations (contiguous IS splits, population std,
self included as the 0-th neighbour, ``<=`` at the ball's edge for precision and recall), density
and coverage those of the authors' ``prdc`` package (``<`` at the edge), and the tests check each
value against theirs on the same inputs. Written out rather than called so that the real
set's neighbour radii can be computed once per dataset and reused by every evaluation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

IS_SPLITS = 10
NEIGHBOURHOOD = 3  # k of precision and recall's k-NN balls, as in Kynkäänniemi et al. 2019
DENSITY_NEIGHBOURHOOD = 5  # k of density and coverage's balls, as in Naeem et al. 2020
_DISTANCE_ROWS = 500  # rows of a distance block: 500 x 10,000 floats is 20 MB


@dataclass(frozen=True)
class FeatureStats:
    """The Gaussian FID fits to a feature set: mean (D,) and covariance (D, D), in float64."""

    mean: torch.Tensor
    cov: torch.Tensor


def feature_stats(features: torch.Tensor) -> FeatureStats:
    """Mean and unbiased covariance (as ``numpy.cov``) of (N, D) features."""
    features = features.double()
    return FeatureStats(features.mean(dim=0), torch.cov(features.T))


def fid(first: FeatureStats, second: FeatureStats) -> float:
    """‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁Σ₂)^½.

    tr (Σ₁Σ₂)^½ is the sum of the square roots of the eigenvalues of Σ₁^½ Σ₂ Σ₁^½, a symmetric
    matrix with the same eigenvalues as Σ₁Σ₂, so a symmetric eigensolver gives them (real and,
    up to rounding, non-negative) without a general matrix square root.
    """
    diff = first.mean - second.mean
    root = _psd_sqrt(first.cov)
    middle = root @ second.cov @ root
    trace_sqrt = torch.linalg.eigvalsh((middle + middle.T) / 2).clamp(min=0).sqrt().sum()
    return float(diff @ diff + first.cov.trace() + second.cov.trace() - 2 * trace_sqrt)


def _psd_sqrt(matrix: torch.Tensor) -> torch.Tensor:
    values, vectors = torch.linalg.eigh(matrix)
    return (vectors * values.clamp(min=0).sqrt()) @ vectors.T


def inception_score(logits: torch.Tensor, splits: int = IS_SPLITS) -> tuple[float, float]:
    """(mean, population std) over ``splits`` contiguous splits of exp(mean KL(p(y|x) ‖ p(y)))."""
    count = len(logits)
    if count < splits:
        raise ValueError(f"inception_score needs at least {splits} samples for {splits} splits, got {count}")
    log_p = logits.double().log_softmax(dim=1)
    scores = []
    for split in range(splits):
        part = log_p[split * count // splits : (split + 1) * count // splits]
        log_marginal = part.logsumexp(dim=0) - math.log(len(part))  # log p(y), finite even where p(y) underflows
        scores.append((part.exp() * (part - log_marginal)).sum(dim=1).mean().exp())
    scores = torch.stack(scores)
    return float(scores.mean()), float(scores.std(correction=0))


def neighbour_radii(features: torch.Tensor, k: int = NEIGHBOURHOOD) -> torch.Tensor:
    """Each point's distance to its k-th nearest neighbour in the same set (itself being the 0-th)."""
    if len(features) <= k:
        raise ValueError(f"k-NN radii with k={k} need more than {k} points, got {len(features)}")
    distances = _DistanceRows(features)
    return torch.cat(
        [distances.of(rows).topk(k + 1, dim=1, largest=False).values[:, k] for rows in features.split(_DISTANCE_ROWS)]
    )


@dataclass(frozen=True)
class ManifoldMetrics:
    precision: float
    recall: float
    density: float
    coverage: float


def manifold_metrics(
    real: torch.Tensor,
    generated: torch.Tensor,
    real_radii: torch.Tensor,
    density_radii: torch.Tensor,
    k: int = NEIGHBOURHOOD,
    density_k: int = DENSITY_NEIGHBOURHOOD,
) -> ManifoldMetrics:
    """Precision, recall, density and coverage of generated vs real (N, D) features, in one pass over their
    distances; ``real_radii`` is ``neighbour_radii(real, k)``, ``density_radii`` is ``neighbour_radii(real,
    density_k)``."""
    generated_radii = neighbour_radii(generated, k)
    distances = _DistanceRows(real)
    within = torch.empty(distances.buffer.shape, dtype=torch.bool, device=real.device)
    inside_real = []  # per generated sample: inside some real ball?
    recalled = torch.zeros(len(real), dtype=torch.bool, device=real.device)  # per real sample: in a generated ball?
    covered = torch.zeros(len(real), dtype=torch.bool, device=real.device)  # per real ball: holds a sample?
    balls_holding = 0  # over all generated samples: how many real density balls each lies in
    for rows, radii in zip(generated.split(_DISTANCE_ROWS), generated_radii.split(_DISTANCE_ROWS)):
        to_real = distances.of(rows)
        mask = within[: len(rows)]
        inside_real.append(torch.le(to_real, real_radii, out=mask).any(dim=1))
        recalled |= torch.le(to_real, radii[:, None], out=mask).any(dim=0)
        torch.lt(to_real, density_radii, out=mask)
        balls_holding += int(mask.sum())
        covered |= mask.any(dim=0)
    return ManifoldMetrics(
        precision=float(torch.cat(inside_real).double().mean()),
        recall=float(recalled.double().mean()),
        density=balls_holding / (density_k * len(generated)),
        coverage=float(covered.double().mean()),
    )


def mean_pairwise_distance(features: torch.Tensor) -> float:
    """The mean Euclidean distance between two different points of (N, D) features, N ≥ 2, over all N(N − 1) ordered
    pairs, summed a block of rows at a time: 10,000 points need a 20 MB buffer rather than a 400 MB matrix. Each point's
    distance to itself, 0 up to float32 rounding, is in the sum but not in the count."""
    if len(features) < 2:
        raise ValueError(f"a mean pairwise distance needs at least 2 points, got {len(features)}")
    distances = _DistanceRows(features)
    total = sum(float(distances.of(rows).sum(dtype=torch.float64)) for rows in features.split(_DISTANCE_ROWS))
    return total / (len(features) * (len(features) - 1))


class _DistanceRows:
    """Euclidean distances from blocks of up to ``_DISTANCE_ROWS`` points to a fixed point set, computed into one
    reused buffer (as ``torch.cdist`` does for large inputs: |a|² + |b|² − 2a·b, clamped at 0, square root).

    A fresh distance matrix per block, freed and allocated again, made the malloc arena of a Ray trial's
    thread grow by hundreds of MiB; the one buffer keeps an evaluation's memory flat.
    """

    def __init__(self, points: torch.Tensor):
        self.points = points
        self.squared_norms = points.square().sum(dim=1)
        self.buffer = torch.empty(_DISTANCE_ROWS, len(points), dtype=points.dtype, device=points.device)

    def of(self, rows: torch.Tensor) -> torch.Tensor:
        """(len(rows), len(points)) distances, a view of the buffer valid until the next call."""
        out = self.buffer[: len(rows)]
        torch.addmm(self.squared_norms, rows, self.points.T, alpha=-2, out=out)
        return out.add_(rows.square().sum(dim=1, keepdim=True)).clamp_(min=0).sqrt_()


def class_histogram(logits: torch.Tensor) -> torch.Tensor:
    """The fraction of samples whose most likely class is each class, (C,) float64."""
    counts = torch.bincount(logits.argmax(dim=1), minlength=logits.shape[1])
    return counts.double() / len(logits)


def class_kl(histogram: torch.Tensor) -> float:
    """KL(histogram ‖ uniform) in nats: 0 when every class is equally frequent, log C for a single class."""
    present = histogram[histogram > 0]
    return float((present * (present * len(histogram)).log()).sum())


def covered(histogram: torch.Tensor) -> torch.Tensor:
    """Per class, whether it gets at least half its uniform share (1 / 2C) of the samples."""
    return histogram >= 0.5 / len(histogram)


def classes_covered(histogram: torch.Tensor) -> int:
    """How many classes get at least half their uniform share of the samples (:func:`covered`)."""
    return int(covered(histogram).sum())
