"""Training images: fetched once on the driver, decoded once to a uint8 (N, C, S, S) tensor, batched by index.

torchvision's per-sample path (PIL image -> ToTensor -> Normalize for every image
of every epoch) costs about a quarter of an MLP epoch on a CPU. Instead the data is
decoded once (MNIST's IDX files directly, CIFAR-10's arrays and any folder of images
through trainables.image_files) into a uint8 tensor that Tune ships to every trial
through the object store, and each epoch draws batches by a seeded permutation of
that tensor and scales them to [-1, 1] in one vectorised op. A decoded folder too
large to ship stays a memory-mapped file each trial maps (:class:`MappedImages`).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import torch
from torchvision import datasets

from trainables.config import CLASSIFIED_DATASETS, FOLDER_PREFIX, NATIVE_SIZE, one_line
from trainables.image_files import ImageFilesError, decode_folder, fit_arrays, folder_data_name, list_folder

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
    """One split of MNIST or FashionMNIST as (N, 1, 28, 28) uint8 images and (N,) int64 labels; downloads into
    ``root`` when online.

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
    return split.data.unsqueeze(1).contiguous(), split.targets


def load_train_images(
    dataset: str,
    root: Path,
    image_size: int = NATIVE_SIZE,
    channels: int = 1,
    progress: Callable[[str], None] = print,
) -> torch.Tensor:
    """The training set as uint8 (N, channels, image_size, image_size); downloads into ``root`` when online. A
    folder's is its decoded file under the cache dir, memory-mapped (trainables.image_files); ``progress`` gets the
    lines about a first decode and the files left out."""
    if dataset in CLASSIFIED_DATASETS:
        images = load_labelled_images(dataset, root, train=True)[0]
        return images.expand(-1, channels, -1, -1).contiguous() if channels != 1 else images
    if dataset == "cifar10":
        return torch.from_numpy(fit_arrays(load_cifar10(root), image_size, channels))
    try:
        listing = list_folder(Path(dataset.removeprefix(FOLDER_PREFIX)))
        if listing.left_out_line():
            progress(listing.left_out_line())
        path = decode_folder(listing, image_size, channels, cache_dir() / "images", progress)
    except ImageFilesError as error:
        raise DataUnavailableError(str(error)) from None
    return torch.from_numpy(np.load(path, mmap_mode="c"))  # copy-on-write: writable, so torch does not warn


REFERENCE_SAMPLE = 10_000  # a folder's reference: a seeded sample of at most this many of its images
REFERENCE_SEED = 0


def load_reference_images(
    dataset: str, root: Path, image_size: int = NATIVE_SIZE, channels: int = 1, progress: Callable[[str], None] = print
) -> torch.Tensor:
    """The real images every quality number is measured against, as :func:`load_train_images` gives them: the
    dataset's test split where it has one (MNIST's, FashionMNIST's, CIFAR-10's 10,000), else a fixed sample
    (:func:`reference_rows`) of the folder's images."""
    if dataset in CLASSIFIED_DATASETS:
        images = load_labelled_images(dataset, root, train=False)[0]
        return images.expand(-1, channels, -1, -1).contiguous() if channels != 1 else images
    if dataset == "cifar10":
        return torch.from_numpy(fit_arrays(load_cifar10(root, train=False), image_size, channels))
    images = load_train_images(dataset, root, image_size, channels, progress)
    return images[reference_rows(len(images))]


def reference_rows(count: int) -> torch.Tensor:
    """The rows of a folder's images that form its reference: all of them up to :data:`REFERENCE_SAMPLE`, else that
    many drawn without replacement by :data:`REFERENCE_SEED`, in increasing order (so the file is read forward)."""
    if count <= REFERENCE_SAMPLE:
        return torch.arange(count)
    order = torch.randperm(count, generator=torch.Generator().manual_seed(REFERENCE_SEED))
    return order[:REFERENCE_SAMPLE].sort().values


REAL_SAMPLE_SEED = 1  # the anchors' real sample (trainables.quality.anchors), apart from the reference's


def load_real_sample(
    dataset: str, root: Path, samples: int, image_size: int = NATIVE_SIZE, channels: int = 1
) -> torch.Tensor:
    """Up to ``samples`` training images drawn by :data:`REAL_SAMPLE_SEED`: from the rows outside the reference
    where the reference is a sample of the same images (a folder's, :func:`reference_rows`) and leaves any, else from
    all of them (a split of its own, or a folder whose reference holds every image)."""
    images = load_train_images(dataset, root, image_size, channels, progress=lambda line: None)
    return real_sample(images, dataset, samples)


def real_sample(images: torch.Tensor, dataset: str, samples: int) -> torch.Tensor:
    """:func:`load_real_sample`'s draw from ``dataset``'s training images, already loaded."""
    rows = torch.arange(len(images))
    if dataset.startswith(FOLDER_PREFIX) and real_sample_is_apart(dataset, len(images)):
        outside = torch.ones(len(images), dtype=torch.bool)
        outside[reference_rows(len(images))] = False
        rows = rows[outside]
    order = torch.randperm(len(rows), generator=torch.Generator().manual_seed(REAL_SAMPLE_SEED))
    return images[rows[order[:samples]].sort().values]


def real_sample_is_apart(dataset: str, count: int) -> bool:
    """Whether :func:`load_real_sample` draws images the reference does not hold: a split of their own, or a folder's
    images outside its reference sample; not where a folder's reference holds all its ``count`` images."""
    return not dataset.startswith(FOLDER_PREFIX) or count > REFERENCE_SAMPLE


def dataset_key(dataset: str, channels: int = 1, image_size: int = NATIVE_SIZE) -> str:
    """A file name for the data as trials see it: the dataset's name (MNIST's and FashionMNIST's alone at their own
    1 x 28 x 28, as their caches were always named), with its shape otherwise; a folder's names its files too
    (trainables.image_files.folder_key), so a changed folder is a new key."""
    if dataset in CLASSIFIED_DATASETS and (channels, image_size) == (1, NATIVE_SIZE):
        return dataset
    if dataset.startswith(FOLDER_PREFIX):
        return folder_data_name(list_folder(Path(dataset.removeprefix(FOLDER_PREFIX))), image_size, channels)
    return f"{dataset}-{channels}x{image_size}px"


def load_cifar10(root: Path, train: bool = True) -> np.ndarray:
    """One split of CIFAR-10's images as uint8 (N, 32, 32, 3); downloads into ``root`` when online."""
    try:
        return datasets.CIFAR10(root=str(root), train=train, download=True).data
    except (RuntimeError, OSError) as error:
        raise DataUnavailableError(
            f"dataset 'cifar10' is not in data dir {root} and could not be downloaded ({one_line(error)}); "
            f"expected {root / 'cifar-10-batches-py'}"
        ) from None


def in_memory_limit() -> int:
    """The most bytes of training images shipped through Ray's object store: a fifth of this machine's memory (the
    store holds about 30 % of it by default, and each node keeps one copy)."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 5


@dataclass(frozen=True)
class MappedImages:
    """A decoded folder too large to ship through the object store: each trial maps its node's decoded file, which
    that node reads from its cache dir or decodes first (on a Ray cluster each node has its own)."""

    dataset: str
    data_root: str
    image_size: int
    channels: int

    def open(self) -> torch.Tensor:
        return load_train_images(self.dataset, Path(self.data_root), self.image_size, self.channels)


def shipped_images(images: torch.Tensor, dataset: str, data_root: Path) -> np.ndarray | MappedImages:
    """What the driver hands every trial: the images themselves when they fit :func:`in_memory_limit`, else where
    each trial maps them from."""
    if images.numel() <= in_memory_limit():
        return np.ascontiguousarray(images.numpy())
    _, channels, size, _ = images.shape
    return MappedImages(dataset, str(data_root), size, channels)


def take_subset(images: torch.Tensor, subset: int) -> torch.Tensor:
    """The first ``subset`` images (MNIST's order is already mixed across classes); 0 keeps all."""
    if subset > len(images):
        raise ValueError(f"subset={subset}: the training set has only {len(images)} images")
    return images[:subset] if subset else images


def to_unit_range(images_uint8: torch.Tensor) -> torch.Tensor:
    """uint8 (N, C, H, W) -> float (N, C, H, W) in [-1, 1], the Tanh generator's range."""
    return images_uint8.float().div_(127.5).sub_(1.0)


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """Float (N, C, H, W) in [-1, 1] -> uint8, rounded: the inverse of :func:`to_unit_range`."""
    return images.add(1.0).mul_(127.5).round_().clamp_(0, 255).to(torch.uint8)


IMAGES_SHARE_OF_GPU = 0.5  # of a trial's share of its GPU's memory; the models, optimizers and scoring get the rest


def gpu_memory_for_images(gpu_memory_bytes: int, gpu_request: float) -> int:
    """The bytes of GPU memory a trial's training images may take: half the trial's share of the GPU (its request to
    Ray x the GPU's memory). Trials sharing a GPU each hold their own copy, so a per-trial share, not the GPU's."""
    return int(IMAGES_SHARE_OF_GPU * gpu_request * gpu_memory_bytes)


def images_on(device: torch.device, images: torch.Tensor, memory_for_images: int | None) -> torch.Tensor:
    """The training images where the loop indexes them: on ``device`` when they take at most ``memory_for_images``
    bytes there (None: any), so a batch is gathered without a copy; else where they are (host memory, or a mapped
    file too large for it), and :func:`epoch_batches` sends each batch on its own."""
    if memory_for_images is None or images.nbytes <= memory_for_images:
        return images.to(device)
    return images


def epoch_batches(
    images: torch.Tensor, batch_size: int, generator: torch.Generator, device: torch.device | None = None
) -> Iterator[torch.Tensor]:
    """Shuffled full batches in [-1, 1], on ``device`` (``images``' own by default); the last partial batch is dropped.

    Dropping it keeps every step's batch size equal, so per-batch loss variance is comparable
    and BatchNorm never sees a tiny batch. Images kept off the device (:func:`images_on`) travel a batch at a time
    as uint8, a quarter of float's bytes, from pinned memory on CUDA so the copy does not wait for the host.
    """
    device = images.device if device is None else device
    for rows in batch_indices(len(images), batch_size, generator, images.device):
        batch = images[rows]
        if batch.device != device:
            batch = (batch.pin_memory() if device.type == "cuda" else batch).to(device, non_blocking=True)
        yield to_unit_range(batch)


def batch_indices(
    count: int, batch_size: int, generator: torch.Generator, device: torch.device | str = "cpu"
) -> Iterator[torch.Tensor]:
    """The indices of one epoch's full batches: a seeded permutation of ``range(count)``, cut in order."""
    order = torch.randperm(count, generator=generator).to(device)
    for start in range(0, count - batch_size + 1, batch_size):
        yield order[start : start + batch_size]
