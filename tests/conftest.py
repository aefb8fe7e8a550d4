"""Shared fixtures: MNIST from the data dir the environment names (TUNE_GAN_DATA), and one real smoke sweep."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import torch

from tests.helpers import run_sweep
from trainables.data import load_train_images, resolve_data_dir


@pytest.fixture(scope="session", autouse=True)
def _own_cache_dir(tmp_path_factory):
    """tune-gan's cache (the real references of the quality metrics) in a directory of the test session's own,
    shared by the sweeps the tests start, never the user's."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))


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
