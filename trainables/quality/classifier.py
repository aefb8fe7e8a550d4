"""The shipped evaluator networks: one small CNN classifier per dataset, the eyes of every quality metric.

Inception-based scores judge 28x28 grey digits with a network that never saw one; a classifier
trained on the dataset itself is the usual stand-in for MNIST-like data. Its softmax gives the
Inception-Score-style numbers and the class histogram, its penultimate layer (``FEATURE_DIM``
features after a ReLU) the space where FID and precision/recall are measured.

The weights live beside this file, one ``<dataset>.pt`` each, written by
``python -m trainables.quality.train_classifier`` together with ``manifest.json``, which records each
file's SHA-256 and test accuracy. :func:`load_classifier` refuses weights that do not match
their checksum, so every score in every trial comes from the same network. Nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from trainables.config import NUM_CLASSES
from trainables.data import to_unit_range

WEIGHTS_DIR = Path(__file__).resolve().parent / "classifier_weights"
MANIFEST = WEIGHTS_DIR / "manifest.json"
FEATURE_DIM = 128


class ClassifierWeightsError(RuntimeError):
    """The shipped weights are missing or altered; the message is one line for the user."""


def classifier_net() -> nn.Sequential:
    """Three stride-2 conv blocks and a 128-unit hidden layer; input (N, 1, 28, 28) in [-1, 1], output logits.

    Small on purpose: an evaluation pushes 10,000 samples through it inside a one-CPU trial, and
    stride-2 convolutions downsample at a fraction of what max pooling costs on a CPU.
    """
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, stride=2, padding=1),  # (N, 1, 28, 28) -> (N, 32, 14, 14)
        nn.BatchNorm2d(32),
        nn.ReLU(inplace=True),
        nn.Conv2d(32, 64, 3, stride=2, padding=1),  # -> (N, 64, 7, 7)
        nn.BatchNorm2d(64),
        nn.ReLU(inplace=True),
        nn.Conv2d(64, 64, 3, stride=2, padding=1),  # -> (N, 64, 4, 4)
        nn.BatchNorm2d(64),
        nn.ReLU(inplace=True),
        nn.Flatten(),  # -> (N, 1024)
        nn.Dropout(0.3),
        nn.Linear(64 * 4 * 4, FEATURE_DIM),  # -> (N, 128)
        nn.ReLU(inplace=True),  # the penultimate features end here
        nn.Linear(FEATURE_DIM, NUM_CLASSES),  # -> (N, 10) logits
    )


def features_and_logits(net: nn.Sequential, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(penultimate features (N, FEATURE_DIM), logits (N, NUM_CLASSES)) of images in [-1, 1]."""
    features = net[:-1](images)
    return features, net[-1](features)


def weights_path(dataset: str) -> Path:
    return WEIGHTS_DIR / f"{dataset}.pt"


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_manifest() -> dict[str, dict[str, Any]]:
    """Per dataset: sha256, test_accuracy and how the weights were trained."""
    return json.loads(MANIFEST.read_text()) if MANIFEST.is_file() else {}


def recorded_sha256(dataset: str) -> str:
    entry = read_manifest().get(dataset)
    if entry is None:
        raise ClassifierWeightsError(
            f"no evaluator weights recorded for dataset {dataset!r} in {MANIFEST}; "
            f"train them with: python -m trainables.quality.train_classifier --dataset {dataset}"
        )
    return entry["sha256"]


def save_classifier(dataset: str, net: nn.Sequential, record: dict[str, Any]) -> Path:
    """Write ``net``'s weights as the dataset's evaluator and record their checksum (and ``record``) in the manifest."""
    WEIGHTS_DIR.mkdir(exist_ok=True)
    path = weights_path(dataset)
    torch.save(net.state_dict(), path)
    manifest = read_manifest()
    manifest[dataset] = {**record, "sha256": file_sha256(path)}
    MANIFEST.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return path


def load_classifier(dataset: str, device: str | torch.device = "cpu") -> nn.Sequential:
    """The dataset's shipped classifier in eval mode, after checking its weights against the manifest."""
    path, expected = weights_path(dataset), recorded_sha256(dataset)
    if not path.is_file():
        raise ClassifierWeightsError(f"evaluator weights {path} are missing (the manifest records sha256 {expected})")
    actual = file_sha256(path)
    if actual != expected:
        raise ClassifierWeightsError(
            f"evaluator weights {path} have sha256 {actual}, but the manifest records {expected}; "
            "restore the file or retrain with python -m trainables.quality.train_classifier"
        )
    with torch.device("meta"):  # no initial weights: drawing them would advance the trial's global RNG
        net = classifier_net()
    net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True), assign=True)
    return net.to(device).eval().requires_grad_(False)


_BATCH = 500  # images through the classifier at once: its activations stay a few tens of MB


_LUMA = (0.299, 0.587, 0.114)  # ITU-R 601-2, as PIL converts RGB to grey; they sum to 1, so grey turned RGB is exact


def grey(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 3, H, W) as uint8 (N, 1, H, W) by luma, rounded."""
    weights = torch.tensor(_LUMA, device=images.device).view(1, 3, 1, 1)
    return (images.float() * weights).sum(1, keepdim=True).round_().clamp_(0, 255).to(torch.uint8)


@torch.no_grad()
def classify(net: nn.Sequential, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(features, logits) of uint8 (N, 1, 28, 28) images, on the classifier's device; RGB ones (grey data turned
    to RGB) are scored as grey, the classifier's input."""
    device = next(net.parameters()).device
    if images.shape[1] == 3:
        images = grey(images)
    outputs = [features_and_logits(net, to_unit_range(chunk).to(device)) for chunk in images.split(_BATCH)]
    return torch.cat([features for features, _ in outputs]), torch.cat([logits for _, logits in outputs])


def accuracy(net: nn.Sequential, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Top-1 accuracy on uint8 (N, 1, 28, 28) images."""
    _features, logits = classify(net, images)
    return float((logits.argmax(dim=1).cpu() == labels).double().mean())
