"""Shared fixtures: the MNIST training set from the data dir the environment names (TUNE_GAN_DATA)."""

from __future__ import annotations

import pytest
import torch

from trainables.data import load_train_images, resolve_data_dir


@pytest.fixture(scope="session")
def mnist_images() -> torch.Tensor:
    """All 60,000 MNIST training images, uint8 (N, 28, 28)."""
    return load_train_images("mnist", resolve_data_dir(None))


@pytest.fixture(autouse=True)
def _one_thread():
    """Same kernels in every test, whatever the machine: exact-equality tests compare CPU runs."""
    torch.set_num_threads(1)
