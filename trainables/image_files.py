"""Images from files, decoded once: a folder of images (or CIFAR-10's arrays) as one uint8 (N, C, S, S) array.

Decoding a large folder with PIL takes minutes, far longer than a trial should wait, and every trial of every sweep
trains on the same pixels. So a folder is decoded once, on the driver, centre-cropped and resized to the study's
size, into a ``.npy`` file under the cache dir, keyed by the folder's files (each one's relative path, size and
modification time) and the size and channels. Every later sweep on the same folder reads that file; one too large
for memory is read memory-mapped (trainables.data).

A folder is ImageFolder-style (a subfolder per class) or flat; its images are every file under it that PIL reads.
Files that are not images (a README, ``.DS_Store``) are counted and named in one line and left out; an image that
PIL reads the header of but cannot decode to its end (a truncated download) is refused by name, since leaving it
out silently would change the data behind the user's back.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from trainables.config import one_line

CACHE_FORMAT = 1  # of the decoded files' layout; part of their key, so a change decodes again
PROGRESS_EVERY_S = 5.0  # a large folder's first decode prints how far it is this often
SHOWN_NAMES = 3  # files named in the one line about those left out


class ImageFilesError(RuntimeError):
    """A folder cannot be used as training data; the message is one line for the user."""


@dataclass(frozen=True)
class FolderListing:
    """The image files of a folder, sorted by relative path, and the files left out as not images."""

    root: Path
    images: tuple[Path, ...]
    not_images: tuple[Path, ...]
    classes: tuple[str, ...]  # the class subfolders, sorted; empty for a flat folder

    def left_out_line(self) -> str:
        """'left out 2 file(s) of /data/art that are not images: README.md, notes.txt' or ''."""
        if not self.not_images:
            return ""
        names = ", ".join(str(path.relative_to(self.root)) for path in self.not_images[:SHOWN_NAMES])
        more = f" and {len(self.not_images) - SHOWN_NAMES} more" if len(self.not_images) > SHOWN_NAMES else ""
        return f"left out {len(self.not_images)} file(s) of {self.root} that are not images: {names}{more}"


def list_folder(root: Path) -> FolderListing:
    """Every file under ``root`` whose header PIL reads, and those it does not; the header alone is read here."""
    if not root.is_dir():
        raise ImageFilesError(f"dataset folder {root} does not exist or is not a directory")
    images, not_images = [], []
    for path in sorted(path for path in root.rglob("*") if path.is_file()):
        try:
            with Image.open(path):
                images.append(path)
        except (UnidentifiedImageError, OSError):
            not_images.append(path)
    if not images:
        raise ImageFilesError(f"dataset folder {root} holds no image PIL can read ({len(not_images)} other file(s))")
    top = {path.relative_to(root).parts[0] for path in images}
    nested = all(len(path.relative_to(root).parts) > 1 for path in images)
    return FolderListing(root, tuple(images), tuple(not_images), tuple(sorted(top)) if nested else ())


def fit_image(image: Image.Image, size: int, channels: int) -> np.ndarray:
    """One image as uint8 (channels, size, size): converted to grey (PIL's ITU-R 601-2 luma) or RGB, then its
    centred square cut out and resized with PIL's antialiasing bicubic filter (``ImageOps.fit``)."""
    image = ImageOps.fit(image.convert("L" if channels == 1 else "RGB"), (size, size), Image.Resampling.BICUBIC)
    pixels = np.asarray(image, dtype=np.uint8)
    return pixels[None] if channels == 1 else pixels.transpose(2, 0, 1)


def folder_key(listing: FolderListing, size: int, channels: int) -> str:
    """What the decoded file depends on: each image's relative path, size in bytes and modification time (a changed
    or added file changes the key without reading every byte of a large folder), the size, channels and layout."""
    digest = hashlib.sha256(f"{CACHE_FORMAT} {size} {channels}".encode())
    for path in listing.images:
        stat = path.stat()
        digest.update(f"\0{path.relative_to(listing.root)}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def folder_data_name(listing: FolderListing, size: int, channels: int) -> str:
    """The folder's decoded data as a file name: its name, its key and the shape, e.g. ``art-1f2e…-3x64px``."""
    return f"{listing.root.name or 'root'}-{folder_key(listing, size, channels)}-{channels}x{size}px"


def decoded_path(listing: FolderListing, size: int, channels: int, directory: Path) -> Path:
    return directory / f"{folder_data_name(listing, size, channels)}.npy"


def decode_folder(
    listing: FolderListing,
    size: int,
    channels: int,
    directory: Path,
    progress: Callable[[str], None] = print,
) -> Path:
    """The decoded ``.npy`` of ``listing`` at ``size`` and ``channels`` under ``directory``: the cached one when it
    is there, else decoded now (progress every :data:`PROGRESS_EVERY_S`), written whole before it appears."""
    path = decoded_path(listing, size, channels, directory)
    if path.is_file():
        return path
    count = len(listing.images)
    needed = count * channels * size * size
    directory.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(directory).free
    if needed > free:
        raise ImageFilesError(
            f"decoding {count:,} images of {listing.root} at {channels}x{size}x{size} needs {needed / 2**30:.2f} GiB "
            f"in {directory}, which has {free / 2**30:.2f} GiB free; free space there or set XDG_CACHE_HOME elsewhere"
        )
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    array = np.lib.format.open_memmap(partial, mode="w+", dtype=np.uint8, shape=(count, channels, size, size))
    try:
        shown = time.monotonic()
        for row, image_path in enumerate(listing.images):
            array[row] = decode_image(image_path, size, channels)
            if time.monotonic() - shown >= PROGRESS_EVERY_S:
                shown = time.monotonic()
                progress(f"decoding {listing.root}: {row + 1:,} of {count:,} images ({(row + 1) / count:.0%})")
        array.flush()
        del array
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return path


def decode_image(path: Path, size: int, channels: int) -> np.ndarray:
    """One file as :func:`fit_image` makes it; a file PIL cannot decode to its end is refused by name.

    PIL's ``ImageFile.LOAD_TRUNCATED_IMAGES`` is process-wide, and WeasyPrint (the report's PDF) sets it on import,
    which would let a truncated file decode as grey padding in any process that also wrote a report. So it is off
    while a file decodes here, and put back as it was after.
    """
    lenient = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with Image.open(path) as image:
            image.load()
            return fit_image(image, size, channels)
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageFilesError(
            f"image {path} is truncated or corrupt ({one_line(error)}); replace or remove it"
        ) from None
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = lenient


def fit_arrays(images: np.ndarray, size: int, channels: int) -> np.ndarray:
    """uint8 (N, H, W, 3) or (N, H, W) arrays (CIFAR-10's, MNIST's) as :func:`fit_image` makes each."""
    return np.stack([fit_image(Image.fromarray(image), size, channels) for image in images])
