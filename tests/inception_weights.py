"""Inception weights a test saves: the real ones cannot be downloaded on the test machines, and torch-fidelity's
network loads any state dict of its shape through the same path."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch_fidelity.feature_extractor_inceptionv3 as fidelity_inception
from torch import nn
from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

NAME, FEATURES = "inception-v3-compat", ["2048", "logits_unbiased"]


def save_random_inception_weights(path: Path) -> Path:
    """A seeded random state dict of torch-fidelity's network, saved with torch.save at ``path``.

    The network's default init shrinks activations to ~1e-8 by the pool layer, where any two outputs agree to 1e-5;
    He-initialised convolutions keep them ~1, and non-trivial batch-norm statistics make a loader that dropped the
    buffers give different features.
    """
    torch.manual_seed(0)
    with pytest.MonkeyPatch.context() as patch:  # its constructor would download the real weights
        patch.setattr(fidelity_inception, "load_state_dict_from_url", lambda *args, **kwargs: None)
        patch.setattr(FeatureExtractorInceptionV3, "load_state_dict", lambda self, state_dict: None)
        net = FeatureExtractorInceptionV3(NAME, FEATURES)
    for module in net.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.uniform_(module.weight, 0.5, 1.5)
            nn.init.normal_(module.bias, std=0.1)
            nn.init.normal_(module.running_mean, std=0.1)
            nn.init.uniform_(module.running_var, 0.5, 1.5)
    torch.save(net.state_dict(), path)
    return path
