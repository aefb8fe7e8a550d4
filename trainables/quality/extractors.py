"""The network every quality metric is measured in: the dataset's shipped classifier, or the field's Inception-v3.

MNIST and FashionMNIST keep their shipped classifiers (trainables.quality.classifier), so their numbers stand; any
other data is measured in torch-fidelity's ``inception-v3-compat`` features (trainables.quality.inception), as papers
report FID and IS. Classes (class shares, classes covered, class KL) exist only with a classifier trained on the
dataset's own labels: Inception's 1008 ImageNet classes are not the user's classes, so with it those metrics are
NaN, and its logits serve the Inception Score alone, whose range is then [1, 1008].
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from trainables.config import CLASSIFIER, INCEPTION, TrialConfig
from trainables.quality.classifier import classify, file_sha256, load_classifier, recorded_sha256
from trainables.quality.inception import (
    FeatureWeightsError,
    default_weights_path,
    download_weights,
    inception_features,
    load_inception,
)
from trainables.training_precision import precision_context


@dataclass(frozen=True)
class Features:
    """A loaded extractor: called on uint8 (N, C, H, W) images, their (features, logits) on its device, in fp32
    whatever precision the trial trains in; ``net`` is the network itself (benchmarks.gpu_check checks its device)."""

    net: nn.Module
    extract: Callable[[nn.Module, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
    device: torch.device

    def __call__(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with precision_context("fp32", self.device):
            return self.extract(self.net, images)


@dataclass(frozen=True)
class FeatureExtractor:
    """Which network, for which dataset (the classifier's), from which weights file (Inception's, absolute), and that
    file's SHA-256: recorded with every real reference, so scores are never set against another network's."""

    name: str  # CLASSIFIER or INCEPTION
    dataset: str
    weights: str = ""  # Inception's weights; "" for the classifier, which ships with the code
    weights_sha256: str = ""

    @property
    def has_classes(self) -> bool:
        return self.name == CLASSIFIER

    def load(self, device: str | torch.device = "cpu") -> Features:
        """The network on ``device``, after checking its weights are the ones recorded."""
        device = torch.device(device)
        if self.name == CLASSIFIER:
            net = load_classifier(self.dataset, device)
            extract = classify
        else:
            if file_sha256(Path(self.weights)) != self.weights_sha256:
                raise FeatureWeightsError(
                    f"Inception weights {self.weights} changed since the sweep started (sha256 recorded "
                    f"{self.weights_sha256[:16]}); every trial must score with the same network"
                )
            net = load_inception(self.weights, device)
            extract = inception_features
        return Features(net, extract, device)


def feature_extractor(config: TrialConfig, weights: str | os.PathLike | None = None) -> FeatureExtractor:
    """The extractor of ``config``'s experiment, ready on this machine: for Inception, the weights file at
    ``weights`` (``--feature-weights``), else the cache dir's, downloaded there first when it is absent; a missing
    file is refused in one line naming the URL to fetch it from."""
    if config.extractor == CLASSIFIER:
        return FeatureExtractor(CLASSIFIER, config.dataset, weights_sha256=recorded_sha256(config.dataset))
    path = Path(weights).expanduser().resolve() if weights else default_weights_path()
    if weights is None and not path.is_file():
        download_weights(path)
    load_inception(path)  # refuses a missing or unsafe file, in one line, before any trial starts
    return FeatureExtractor(INCEPTION, config.dataset, str(path), file_sha256(path))
