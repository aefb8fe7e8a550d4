"""The field's Inception-v3 feature extractor, with its weights loaded without running code from the file.

FID, Inception Score, precision/recall and density/coverage are only comparable across papers when they are measured
in the same feature space: the TensorFlow 2015 Inception-v3 graph, which torch-fidelity ships converted to PyTorch as
``inception-v3-compat`` (its TF1-exact bilinear resize to 299 px included). So the network and its forward pass are
torch-fidelity's own :class:`FeatureExtractorInceptionV3`; only its loading is replaced. Its constructor either
downloads the weights or reads a given file with ``torch.load(weights_only=False)``, i.e. unpickles it, and a
weights file fetched from the internet must not be able to run code. Here the file is read with
``weights_only=True`` and must be a plain state dict of exactly that network's tensors.
"""

from __future__ import annotations

import os
import pickle
from http.client import HTTPException
from pathlib import Path
from unittest import mock

import torch
import torch_fidelity.feature_extractor_inceptionv3 as fidelity_inception
from torch import nn
from torch.hub import download_url_to_file
from torch_fidelity.feature_extractor_inceptionv3 import URL_INCEPTION_V3, FeatureExtractorInceptionV3

from trainables.config import one_line
from trainables.data import cache_dir

EXTRACTOR_NAME = "inception-v3-compat"
# The pool features FID, KID and precision/recall use; the logits without the bias, which the Inception Score uses.
EXTRACTOR_FEATURES = ["2048", "logits_unbiased"]
# Seconds Inception-v3 takes for one image on one CPU thread (any input size: it resizes to 299 px): what a CPU
# sweep's scoring costs. benchmarks/image_sizes.py measured it on the 2-core AMD EPYC development VM, in batches of 50
# at 64 px; benchmarks/results/image-sizes-cpu-2core-vm.json holds the run (a test keeps the two equal).
CPU_SECONDS_PER_IMAGE = 0.226
WEIGHTS_URL = URL_INCEPTION_V3
WEIGHTS_FILE_NAME = WEIGHTS_URL.rsplit("/", 1)[-1]


class FeatureWeightsError(RuntimeError):
    """The Inception weights are missing, unreachable or not a safe state dict; the message is one line for the user."""


def default_weights_path() -> Path:
    """Under tune-gan's cache dir, so every sweep on the machine shares one download."""
    return cache_dir() / "weights" / WEIGHTS_FILE_NAME


def load_inception(weights: str | os.PathLike | None = None, device: str | torch.device = "cpu") -> nn.Module:
    """torch-fidelity's ``inception-v3-compat`` extractor with the weights at ``weights``, frozen, on ``device``.

    ``weights=None`` reads the default location and downloads torch-fidelity's file there first if it is absent.
    """
    if weights is None:
        path = default_weights_path()
        if not path.is_file():
            download_weights(path)
    else:
        path = Path(weights).expanduser()
        if not path.is_file():
            raise FeatureWeightsError(
                f"no Inception weights file at {path}; download {WEIGHTS_URL} and pass its path with "
                "--feature-weights PATH (which also serves a machine that is offline)"
            )
    net = _unloaded_inception()
    net.load_state_dict(_read_state_dict(path, expected=net.state_dict()))
    return net.to(device).eval().requires_grad_(False)


def download_weights(path: Path) -> None:
    """torch-fidelity's weights file into ``path``; torch.hub writes a temporary file first: no partial file stays."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        download_url_to_file(WEIGHTS_URL, str(path))
    except (OSError, HTTPException) as error:
        raise FeatureWeightsError(
            f"no Inception weights at {path} and downloading {WEIGHTS_URL} failed ({one_line(error)}); "
            "on an offline machine, fetch that file elsewhere and pass its path with --feature-weights PATH"
        ) from None


def _unloaded_inception() -> FeatureExtractorInceptionV3:
    """torch-fidelity's network with its initial weights: the constructor's download and unpickling are skipped.

    The patches last only for the construction, but they are process-wide: do not construct one concurrently in
    another thread.
    """
    with (
        mock.patch.object(fidelity_inception, "load_state_dict_from_url"),
        mock.patch.object(FeatureExtractorInceptionV3, "load_state_dict"),
    ):
        return FeatureExtractorInceptionV3(EXTRACTOR_NAME, EXTRACTOR_FEATURES)


def _read_state_dict(path: Path, expected: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The file's tensors, refused unless they are exactly ``expected``'s names and shapes."""
    try:
        state_dict = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise FeatureWeightsError(
            f"Inception weights file {path} was refused: loading it without running code found more than tensors "
            "in it (it is corrupt, or holds objects whose unpickling could run code)"
        ) from None
    except Exception as error:  # a corrupt file fails anywhere in the parser: KeyError, EOFError, RuntimeError, ...
        raise FeatureWeightsError(
            f"Inception weights file {path} is not a torch weights file ({type(error).__name__}: {one_line(error)})"
        ) from None
    if not isinstance(state_dict, dict) or not all(isinstance(value, torch.Tensor) for value in state_dict.values()):
        raise FeatureWeightsError(
            f"Inception weights file {path} holds a {type(state_dict).__name__}, not a state dict of tensors"
        )
    mismatch = _state_dict_mismatch(state_dict, expected)
    if mismatch:
        raise FeatureWeightsError(f"Inception weights file {path} is not {EXTRACTOR_NAME}'s state dict: {mismatch}")
    return state_dict


def _state_dict_mismatch(given: dict[str, torch.Tensor], expected: dict[str, torch.Tensor]) -> str:
    """How ``given``'s names and shapes differ from ``expected``'s, in a few words; empty when they match."""
    missing = sorted(expected.keys() - given.keys())
    unexpected = sorted(given.keys() - expected.keys())
    misshapen = sorted(name for name in expected.keys() & given.keys() if given[name].shape != expected[name].shape)
    problems = [
        f"{len(names)} {kind} (first: {names[0]})"
        for kind, names in (("missing", missing), ("unexpected", unexpected), ("of the wrong shape", misshapen))
        if names
    ]
    return "; ".join(problems)


def inception_features(net: nn.Module, images: torch.Tensor, batch: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """(pool features (N, 2048), bias-free logits (N, 1008)), float32 on ``net``'s device, of uint8 (N, C, H, W) images.

    The extractor itself resizes to 299 px and scales [0, 255] to [-1, 1], so images of any size go in as they are;
    grey ones (C = 1) are repeated to the three channels it takes. Autocast is switched off because the field's
    numbers are fp32 ones. ``batch`` images go through at a time, to bound the memory of the 299 px activations.
    """
    if images.dtype != torch.uint8 or images.dim() != 4 or images.shape[1] not in (1, 3) or len(images) == 0:
        raise ValueError(
            f"inception_features takes uint8 images (N, C, H, W) with N > 0 and C 1 or 3, "
            f"got {images.dtype} {tuple(images.shape)}"
        )
    device = next(net.parameters()).device
    features, logits = [], []
    with torch.no_grad(), torch.autocast(device.type, enabled=False):
        for chunk in images.split(batch):
            chunk_features, chunk_logits = net(chunk.to(device).expand(-1, 3, -1, -1))
            features.append(chunk_features)
            logits.append(chunk_logits)
    return torch.cat(features), torch.cat(logits)
