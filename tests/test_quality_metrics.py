"""The metric math (trainables.quality.metrics): closed forms, extremes, and the reference implementations' values on
the same inputs (torch-fidelity for FID, IS, precision and recall; the authors' prdc for density and coverage)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from prdc import compute_prdc
from scipy.spatial.distance import pdist
from torch_fidelity.metric_fid import fid_features_to_statistics, fid_statistics_to_metric
from torch_fidelity.metric_isc import isc_features_to_metric
from torch_fidelity.metric_prc import calculate_precision_recall_full

from trainables.quality.metrics import (
    DENSITY_NEIGHBOURHOOD,
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
    neighbour_radii,
)
from trainables.quality.scorers import DIVERSITY_SAMPLES, Evaluation, RealReference, diversity


def manifold(real: torch.Tensor, generated: torch.Tensor) -> ManifoldMetrics:
    return manifold_metrics(real, generated, neighbour_radii(real), neighbour_radii(real, DENSITY_NEIGHBOURHOOD))


def correlated_features(count: int, dim: int, seed: int, shift: float = 0.0) -> torch.Tensor:
    """Draws of one non-isotropic Gaussian with a full covariance (a fixed linear map of white noise), shifted."""
    mixing = torch.randn(dim, dim, generator=torch.Generator().manual_seed(0)) / math.sqrt(dim)
    return torch.randn(count, dim, generator=torch.Generator().manual_seed(seed)) @ mixing + shift


def test_fid_of_two_known_gaussians_is_the_closed_form():
    # Diagonal covariances commute: tr (S1 S2)^1/2 = sum sqrt(a_i b_i), FID = |m1 - m2|^2 + sum (sqrt a - sqrt b)^2.
    a, b = torch.tensor([1.0, 4.0, 9.0, 0.25], dtype=torch.float64), torch.tensor([4.0, 1.0, 9.0, 1.0]).double()
    m1, m2 = torch.tensor([0.0, 1.0, 2.0, 3.0]).double(), torch.tensor([1.0, 1.0, 0.0, 3.0]).double()
    expected = float(((m1 - m2) ** 2).sum() + ((a.sqrt() - b.sqrt()) ** 2).sum())
    assert fid(FeatureStats(m1, torch.diag(a)), FeatureStats(m2, torch.diag(b))) == pytest.approx(expected, rel=1e-12)
    # A rotated pair: FID is invariant to rotating both Gaussians alike.
    rotation, _ = torch.linalg.qr(torch.randn(4, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64))
    rotated = fid(
        FeatureStats(rotation @ m1, rotation @ torch.diag(a) @ rotation.T),
        FeatureStats(rotation @ m2, rotation @ torch.diag(b) @ rotation.T),
    )
    assert rotated == pytest.approx(expected, rel=1e-9)


def test_fid_equals_torch_fidelity_on_the_same_features():
    real, fake = correlated_features(5000, 64, seed=1), correlated_features(5000, 64, seed=2, shift=0.3)
    ours = fid(feature_stats(fake), feature_stats(real))
    theirs = fid_statistics_to_metric(fid_features_to_statistics(fake), fid_features_to_statistics(real), False)
    assert ours == pytest.approx(theirs["frechet_inception_distance"], rel=1e-6)
    stats = feature_stats(real)
    assert np.allclose(stats.cov.numpy(), np.cov(real.numpy(), rowvar=False), rtol=1e-9, atol=1e-12)


def test_inception_score_equals_torch_fidelity_and_its_extremes():
    logits = torch.randn(2000, 10, generator=torch.Generator().manual_seed(3)) * 3
    is_mean, is_std = inception_score(logits)
    theirs = isc_features_to_metric(logits, splits=10, shuffle=False)
    assert is_mean == pytest.approx(theirs["inception_score_mean"], rel=1e-9)
    assert is_std == pytest.approx(theirs["inception_score_std"], rel=1e-6)
    # Confident and evenly spread over 10 classes: IS -> 10; one class for all: IS = 1.
    confident = torch.full((1000, 10), -50.0)
    confident[torch.arange(1000), torch.arange(1000) % 10] = 50.0
    assert inception_score(confident)[0] == pytest.approx(10.0, rel=1e-9)
    single = torch.zeros(1000, 10)
    single[:, 4] = 50.0
    assert inception_score(single) == pytest.approx((1.0, 0.0), abs=1e-9)


def test_precision_recall_equal_torch_fidelity_on_the_same_features():
    real, fake = correlated_features(3000, 32, seed=4), correlated_features(2500, 32, seed=5, shift=0.2)
    ours = manifold(real, fake)
    theirs = calculate_precision_recall_full(fake, real, neighborhood=3, batch_size=10_000)
    assert (ours.precision, ours.recall) == pytest.approx(theirs, abs=2 / 2500)  # a sample at a ball's edge may round
    assert 0.3 < ours.precision < 0.95 and 0.3 < ours.recall < 0.95  # the test means something: neither extreme


def test_density_coverage_equal_prdc_on_the_same_features():
    real, fake = correlated_features(3000, 32, seed=4), correlated_features(2500, 32, seed=5, shift=0.2)
    ours = manifold(real, fake)
    theirs = compute_prdc(real_features=real.numpy(), fake_features=fake.numpy(), nearest_k=DENSITY_NEIGHBOURHOOD)
    assert ours.density == pytest.approx(theirs["density"], abs=2 / 2500)
    assert ours.coverage == pytest.approx(theirs["coverage"], abs=2 / 3000)
    assert 0.3 < ours.density < 0.95 and 0.3 < ours.coverage < 0.95  # neither extreme


def test_manifold_metrics_extremes():
    cloud = correlated_features(1000, 16, seed=6)
    same = manifold(cloud, cloud.clone())
    assert (same.precision, same.recall, same.coverage) == (1.0, 1.0, 1.0)
    # A ball (radius: the distance to the 5th nearest other point, its edge excluded) holds its centre and 4
    # neighbours, so the set against itself has density 1, up to float32 rounding of a distance at a ball's edge.
    assert same.density == pytest.approx(1.0, abs=1e-3)
    far = manifold(cloud, cloud + 100.0)
    assert (far.precision, far.recall, far.density, far.coverage) == (0.0, 0.0, 0.0, 0.0)
    # Samples of one end of a 2-D real cloud: on its manifold (precision 1, density near 1), covering little of it.
    flat = correlated_features(1000, 2, seed=6)
    end = manifold(flat, flat[flat[:, 0] > flat[:, 0].quantile(0.9)])
    assert end.precision == 1.0 and end.recall < 0.15 and end.coverage < 0.15 and end.density > 0.7
    # Many copies of one real point: it lies in the same few real balls, so coverage is a handful of balls out of
    # 1,000, and density is that handful over k, the same for every copy.
    # (cdist in float64 decides which balls hold it; the point is one no ball's edge passes within 1e-3 of.)
    exact = cloud.double()
    radii = torch.cdist(exact, exact).topk(DENSITY_NEIGHBOURHOOD + 1, dim=1, largest=False).values[:, -1]
    margins = (torch.cdist(exact, exact) - radii).abs().min(dim=1).values
    index = int(torch.nonzero(margins > 1e-3)[0])
    point = cloud[index : index + 1]
    holding = int((torch.cdist(exact[index : index + 1], exact)[0] < radii).sum())
    copies = manifold(cloud, point.repeat(500, 1))
    assert copies.coverage == pytest.approx(holding / 1000) and copies.density == pytest.approx(holding / 5)


def test_neighbour_radii_are_the_kth_nearest_other_point():
    points = torch.tensor([[0.0], [1.0], [3.0], [6.0], [10.0]])
    # distances from 0: 1, 3, 6, 10 -> 3rd nearest other point at 6; from 3: 2, 3, 3, 7 -> 3
    assert neighbour_radii(points, k=3).tolist() == pytest.approx([6.0, 5.0, 3.0, 5.0, 9.0])
    with pytest.raises(ValueError, match="more than 3 points"):
        neighbour_radii(points[:3], k=3)


def test_class_histogram_kl_and_coverage():
    logits = torch.zeros(100, 10)
    logits[torch.arange(100), torch.arange(100) % 10] = 1.0  # uniform over the classes
    uniform = class_histogram(logits)
    assert uniform.tolist() == pytest.approx([0.1] * 10)
    assert class_kl(uniform) == pytest.approx(0.0, abs=1e-12) and classes_covered(uniform) == 10
    logits[:, :] = 0.0
    logits[:, 7] = 1.0  # every sample the same class
    single = class_histogram(logits)
    assert class_kl(single) == pytest.approx(math.log(10)) and classes_covered(single) == 1
    # 60 % class 0, 36 % class 1, 4 % class 2: class 2 is below half its uniform share (5 %)
    skewed = torch.tensor([0.6, 0.36, 0.04] + [0.0] * 7, dtype=torch.float64)
    assert classes_covered(skewed) == 2
    assert class_kl(skewed) == pytest.approx(sum(p * math.log(p * 10) for p in (0.6, 0.36, 0.04)))


def test_radii_over_several_distance_blocks_equal_cdists():
    points = correlated_features(1200, 16, seed=7)  # three blocks of at most 500 rows, the last one short
    expected = torch.cdist(points, points).topk(4, dim=1, largest=False).values[:, 3]
    assert torch.allclose(neighbour_radii(points), expected, rtol=1e-5, atol=1e-5)


def test_mean_pairwise_distance_is_the_closed_form_and_scipys():
    # A 3-4-5 triangle: the three distances' mean is 4.
    assert mean_pairwise_distance(torch.tensor([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]])) == pytest.approx(4.0)
    points = correlated_features(1200, 16, seed=8)  # three blocks of at most 500 rows, the last one short
    assert mean_pairwise_distance(points) == pytest.approx(pdist(points.double().numpy()).mean(), rel=1e-5)
    assert mean_pairwise_distance(points[:1].repeat(50, 1)) == pytest.approx(0.0, abs=1e-3)  # one point, 50 times
    with pytest.raises(ValueError, match="at least 2 points"):
        mean_pairwise_distance(points[:1])


def test_diversity_is_the_first_samples_mean_distance_over_the_real_sets():
    real = correlated_features(600, 16, seed=9)
    reference = RealReference("mnist", "", real, torch.ones(600), torch.ones(600), feature_stats(real))
    logits = torch.zeros(DIVERSITY_SAMPLES + 500, 10)

    def of(features: torch.Tensor) -> float:
        return diversity(Evaluation(features, logits[: len(features)], reference))

    assert of(real) == pytest.approx(1.0)
    assert of(real * 0.25) == pytest.approx(0.25)  # distances scale with the features
    assert of(real[:1].repeat(600, 1)) == pytest.approx(0.0, abs=1e-4)  # one image for every z
    # Only the first DIVERSITY_SAMPLES samples count: the 500 far-off ones after them change nothing.
    samples = torch.cat([correlated_features(DIVERSITY_SAMPLES, 16, seed=10), torch.full((500, 16), 1e3)])
    expected = pdist(samples[:DIVERSITY_SAMPLES].double().numpy()).mean() / pdist(real.double().numpy()).mean()
    assert of(samples) == pytest.approx(expected, rel=1e-5)
