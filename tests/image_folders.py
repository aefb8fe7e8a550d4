"""Image data the tests make themselves: folders of coloured shapes (in class subfolders or flat), a truncated image,
and a CIFAR-10 archive in torchvision's format."""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

# A class per shape, each drawn in its own colour on black, so a decoded pixel's value says which image it came from.
SHAPE_COLOURS = {"circles": (230, 40, 40), "squares": (40, 200, 60), "triangles": (50, 80, 220)}
SIZE = 64


def shape_image(shape: str, index: int, size: int = SIZE) -> Image.Image:
    """A ``shape`` in its class's colour, centred, on black; ``index`` varies its extent (at least a third of the
    image across, so the centre pixel is always the colour and the corner always black)."""
    image = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(image)
    half = size // 6 + index % (size // 4)
    box = (size // 2 - half, size // 2 - half, size // 2 + half, size // 2 + half)
    colour = SHAPE_COLOURS[shape]
    if shape == "circles":
        draw.ellipse(box, fill=colour)
    elif shape == "squares":
        draw.rectangle(box, fill=colour)
    else:
        draw.polygon([(box[0], box[3]), (box[2], box[3]), (size // 2, box[1])], fill=colour)
    return image


def shapes_folder(root: Path, per_class: int = 70, flat: bool = False) -> Path:
    """``per_class`` PNGs of each shape, in class subfolders (ImageFolder-style) or all in ``root``."""
    for shape in SHAPE_COLOURS:
        directory = root if flat else root / shape
        directory.mkdir(parents=True, exist_ok=True)
        for index in range(per_class):
            shape_image(shape, index).save(directory / f"{shape}_{index:03d}.png")
    return root


def truncate(path: Path) -> Path:
    """Cut an image file to its first half, as an interrupted download leaves it."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def cifar10_archive(root: Path, train: np.ndarray, test: np.ndarray) -> dict[str, str]:
    """``train`` and ``test`` uint8 (N, 32, 32, 3) images as torchvision's CIFAR-10 folder under ``root``: the first
    training batch file holds them all and the other four are empty. Returns each file's MD5, to stand in for the
    published ones torchvision checks."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    batches = {"data_batch_1": train, **{f"data_batch_{n}": train[:0] for n in range(2, 6)}, "test_batch": test}
    for name, images in batches.items():
        # CIFAR-10 stores each image as its R, G and B planes, one row of 3,072 bytes
        rows = images.transpose(0, 3, 1, 2).reshape(len(images), 3 * 32 * 32)
        record = {"data": rows, "labels": [index % 10 for index in range(len(images))]}
        (folder / name).write_bytes(pickle.dumps(record))
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": [f"class{n}" for n in range(10)]}))
    return {path.name: hashlib.md5(path.read_bytes()).hexdigest() for path in folder.iterdir()}
