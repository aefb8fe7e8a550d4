"""Training images: fetched once on the driver, decoded once to a uint8 tensor, batched by index.

torchvision's per-sample path (PIL image -> ToTensor -> Normalize for every image
of every epoch) costs about a quarter of an MLP epoch on a CPU. Instead the IDX
files are decoded once into a (N, 28, 28) uint8 tensor that Tune ships to every
trial through the object store, and each epoch draws batches by a seeded
permutation of that tensor and scales them to [-1, 1] in one vectorised op.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Iterator

import torch
from torchvision import datasets

from trainables.config import one_line

DATA_DIR_ENV = "TUNE_GAN_DATA"
_IDX_UNSIGNED_BYTE = 0x08  # the IDX type code of MNIST's and FashionMNIST's images and labels
_DATASET_CLASSES = {"mnist": datasets.MNIST, "fashion_mnist": datasets.FashionMNIST}


class DataUnavailableError(RuntimeError):
    """The dataset is neither on disk nor downloadable; the message is one line for the user."""


def class_names(dataset: str) -> tuple[str, ...]:
    """The dataset's class names by label, as torchvision names them ("Trouser"), MNIST's as their digits ("7")."""
    return tuple(name.split(" - ")[0] for name in _DATASET_CLASSES[dataset].classes)


def cache_dir() -> Path:
    """tune-gan's per-user cache dir (``$XDG_CACHE_HOME/tune-gan``), shared by every sweep."""
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "tune-gan"


def default_data_dir() -> Path:
    """Under the cache dir, so every sweep shares one download."""
    return cache_dir() / "data"


def resolve_data_dir(data_dir: str | os.PathLike | None) -> Path:
    """The absolute data root: the flag, else ``$TUNE_GAN_DATA``, else the cache dir.

    Absolute because Tune changes each trial's working directory.
    """
    chosen = data_dir or os.environ.get(DATA_DIR_ENV) or default_data_dir()
    return Path(chosen).expanduser().resolve()


def expected_files(dataset: str, root: Path) -> list[Path]:
    """Where torchvision looks for the decompressed IDX files of ``dataset`` under ``root``."""
    cls = _DATASET_CLASSES[dataset]
    raw = root / cls.__name__ / "raw"
    return [raw / Path(url).name.removesuffix(".gz") for url, _md5 in cls.resources]


def check_idx_file(path: Path) -> None:
    """Refuse a truncated or corrupt IDX file, naming it: its header must describe an unsigned-byte array and its
    size must be exactly what the header promises. torchvision only checks that the files exist, and would
    otherwise fail on such a file with a reshape error that names neither the file nor the cause."""
    with path.open("rb") as file:
        header = file.read(4)
        ndim = header[3] if len(header) == 4 else 0
        dims = file.read(4 * ndim)
    problem = None
    if len(header) < 4 or header[:2] != b"\0\0" or header[2] != _IDX_UNSIGNED_BYTE or ndim not in (1, 3):
        problem = f"its header {header.hex()} is not an IDX array of unsigned bytes with 1 or 3 dimensions"
    elif len(dims) < 4 * ndim:
        problem = "it ends inside its header"
    else:
        expected = 4 + 4 * ndim + math.prod(int.from_bytes(dims[i : i + 4], "big") for i in range(0, 4 * ndim, 4))
        if path.stat().st_size != expected:
            problem = f"it holds {path.stat().st_size:,} bytes where its header promises {expected:,}"
    if problem:
        raise DataUnavailableError(
            f"data file {path} is truncated or corrupt: {problem}; delete it to download it again, "
            "or replace it with the official file"
        )


def load_labelled_images(dataset: str, root: Path, train: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """One split as (N, 28, 28) uint8 images and (N,) int64 labels; downloads into ``root`` when online.

    Every file of the dataset already on disk is checked first (:func:`check_idx_file`)."""
    for path in expected_files(dataset, root):
        if path.is_file():
            check_idx_file(path)
    try:
        split = _DATASET_CLASSES[dataset](root=str(root), train=train, download=True)
    except (RuntimeError, OSError) as error:
        missing = [str(path) for path in expected_files(dataset, root) if not path.is_file()]
        raise DataUnavailableError(
            f"dataset {dataset!r} is not in data dir {root} and could not be downloaded ({one_line(error)}); "
            f"expected files: {', '.join(missing)}"
        ) from None
    return split.data.contiguous(), split.targets


def load_train_images(dataset: str, root: Path) -> torch.Tensor:
    """The training set as a (N, 28, 28) uint8 tensor; downloads into ``root`` when online."""
    return load_labelled_images(dataset, root, train=True)[0]


def take_subset(images: torch.Tensor, subset: int) -> torch.Tensor:
    """The first ``subset`` images (MNIST's order is already mixed across classes); 0 keeps all."""
    if subset > len(images):
        raise ValueError(f"subset={subset}: the training set has only {len(images)} images")
    return images[:subset] if subset else images


def to_unit_range(images_uint8: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 28, 28) -> float (N, 1, 28, 28) in [-1, 1], the Tanh generator's range."""
    return images_uint8.unsqueeze(1).float().div_(127.5).sub_(1.0)


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """Float (N, 1, 28, 28) in [-1, 1] -> uint8 (N, 28, 28), rounded: the inverse of :func:`to_unit_range`."""
    return images.squeeze(1).add(1.0).mul_(127.5).round_().clamp_(0, 255).to(torch.uint8)


def epoch_batches(images: torch.Tensor, batch_size: int, generator: torch.Generator) -> Iterator[torch.Tensor]:
    """Shuffled full batches in [-1, 1], on ``images``' device; the last partial batch is dropped.

    Dropping it keeps every step's batch size equal, so per-batch loss variance is comparable
    and BatchNorm never sees a tiny batch.
    """
    for rows in batch_indices(len(images), batch_size, generator, images.device):
        yield to_unit_range(images[rows])


def batch_indices(
    count: int, batch_size: int, generator: torch.Generator, device: torch.device | str = "cpu"
) -> Iterator[torch.Tensor]:
    """The indices of one epoch's full batches: a seeded permutation of ``range(count)``, cut in order."""
    order = torch.randperm(count, generator=generator).to(device)
    for start in range(0, count - batch_size + 1, batch_size):
        yield order[start : start + batch_size]
