"""Shared fixtures: MNIST from the data dir the environment names (TUNE_GAN_DATA), the real sweeps, and a crafted table
with checkpoints on disk."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import ray
import torch

from tests.crafted import LONG_LABELS, with_checkpoints
from tests.helpers import FAST_TIER_ENV, run_sweep
from trainables.data import load_train_images, resolve_data_dir

# Fixtures that run a real sweep: a test using one is in the slow tier however cheap its own part.
SWEEP_FIXTURES = {"smoke", "mixed_outcomes", "three_seeds"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SWEEP_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _ray_only_in_the_slow_tier(request, monkeypatch):
    """A test outside the slow tier (pyproject's ``slow`` marker) that starts Ray, in this process or by a sweep
    (tests.helpers), fails at once naming the marker it lacks: the fast tier stays fast and needs no Ray."""
    if request.node.get_closest_marker("slow") is None:

        def refuse(*args, **kwargs):
            raise RuntimeError(f"{request.node.nodeid} starts Ray: mark it @pytest.mark.slow")

        monkeypatch.setattr(ray, "init", refuse)
        monkeypatch.setenv(FAST_TIER_ENV, request.node.nodeid)


@pytest.fixture(scope="session", autouse=True)
def _own_cache_dir(tmp_path_factory):
    """tune-gan's cache (the real references of the quality metrics) in a directory of the test session's own,
    shared by the sweeps the tests start, never the user's."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def mnist_images() -> torch.Tensor:
    """All 60,000 MNIST training images, uint8 (N, 1, 28, 28)."""
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


@pytest.fixture(scope="session")
def three_seeds(tmp_path_factory) -> Path:
    """A real sweep of 2 batch sizes x 2 schedules x 3 seeds, 3 epochs on 1,024 images, scored every epoch: the
    4-config 3-seed study whose report the analysis, browser and PDF tests read."""
    storage = tmp_path_factory.mktemp("seeds")
    finished = run_sweep(
        *("--batch-sizes", "64", "128", "--schedules", "constant", "warmup_cosine", "--seeds", "0", "1", "2"),
        *("--epochs", "3", "--subset", "1024", "--warmup-epochs", "1", "--sample-every", "1"),
        *("--eval-every", "1", "--eval-samples", "500", "--storage-path", str(storage), "--name", "seeds"),
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    return storage / "seeds"


@pytest.fixture
def crafted_with_checkpoints(tmp_path) -> pd.DataFrame:
    """:data:`tests.crafted.LONG_LABELS` crafted, each trial with a checkpoint directory on disk as a trial writes it:
    noise sample grids at epochs 3 and 6, and an untrained generator of its config."""
    return with_checkpoints(LONG_LABELS, tmp_path)
