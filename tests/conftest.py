"""Shared fixtures: MNIST from the data dir the environment names (TUNE_GAN_DATA), and one real smoke sweep."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import torch

from tests.helpers import run_sweep
from trainables.data import load_train_images, resolve_data_dir


@pytest.fixture(scope="session")
def mnist_images() -> torch.Tensor:
    """All 60,000 MNIST training images, uint8 (N, 28, 28)."""
    return load_train_images("mnist", resolve_data_dir(None))


@pytest.fixture(autouse=True)
def _one_thread():
    """Same kernels in every test, whatever the machine: exact-equality tests compare CPU runs."""
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def smoke(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """A real 2x2 smoke sweep (2 epochs on 1,024 images): (experiment dir, finished process).

    Its storage path is given as a ``file://`` URI, the way an object store's (``s3://``) is;
    the tests that resume it or add to it name the same directory as a plain path."""
    storage = tmp_path_factory.mktemp("storage")
    uri = storage.as_uri()
    finished = run_sweep("--preset", "smoke", "--subset", "1024", "--storage-path", uri, "--name", "smoke")
    assert finished.returncode == 0, finished.stderr[-3000:]
    return storage / "smoke", finished
