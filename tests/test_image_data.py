"""Any image data as training data: a folder of images (class subfolders or flat) and CIFAR-10, centre-cropped and
resized to the study's size in grey or RGB, decoded once into the cache, with its reference sample; what a user is
told about files left out, truncated images and a full disk."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image, ImageOps
from torchvision import datasets

from tests.image_folders import SHAPE_COLOURS, SIZE, cifar10_archive, shape_image, shapes_folder, truncate
from trainables import data, image_files
from trainables.config import ConfigError, TrialConfig
from trainables.data import (
    DataUnavailableError,
    MappedImages,
    load_reference_images,
    load_train_images,
    reference_rows,
    resolve_data_dir,
    shipped_images,
)
from trainables.image_files import fit_image, list_folder

PER_CLASS = 70


def luma(rgb: tuple[int, int, int]) -> int:
    """PIL's documented RGB -> L conversion, L = R * 299/1000 + G * 587/1000 + B * 114/1000, rounded."""
    return int(round((rgb[0] * 299 + rgb[1] * 587 + rgb[2] * 114) / 1000))


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "tune-gan" / "images"


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    return shapes_folder(tmp_path_factory.mktemp("shapes"), PER_CLASS)


def folder(path) -> str:
    return f"folder:{path}"


def test_a_class_folder_decodes_to_every_image_in_its_colour(shapes, cache):
    images = load_train_images(folder(shapes), shapes, 64, 3, progress=lambda line: None)
    assert images.shape == (3 * PER_CLASS, 3, 64, 64) and images.dtype == torch.uint8
    # Sorted by relative path: the circles, then the squares, then the triangles; each one's centre is its colour and
    # its corner black (the PNGs are lossless and already 64 px, so nothing is resampled).
    for index, colour in enumerate(SHAPE_COLOURS.values()):
        block = images[index * PER_CLASS : (index + 1) * PER_CLASS]
        assert (block[:, :, SIZE // 2, SIZE // 2] == torch.tensor(colour, dtype=torch.uint8)).all()
        assert (block[:, :, 0, 0] == 0).all()
    assert list_folder(shapes).classes == tuple(SHAPE_COLOURS)


def test_grey_is_pil_luma_and_a_smaller_size_is_pil_fit(shapes, cache):
    grey = load_train_images(folder(shapes), shapes, 32, 1, progress=lambda line: None)
    assert grey.shape == (3 * PER_CLASS, 1, 32, 32)
    expected = [luma(colour) for colour in SHAPE_COLOURS.values()]
    assert [int(grey[index * PER_CLASS, 0, 16, 16]) for index in range(3)] == expected
    # Each image is what PIL's own ImageOps.fit makes of the file.
    first = sorted(shapes.rglob("*.png"))[0]
    reference = np.asarray(ImageOps.fit(Image.open(first).convert("L"), (32, 32), Image.Resampling.BICUBIC))
    assert np.array_equal(grey[0, 0].numpy(), reference)


def test_fit_image_cuts_the_centred_square_of_a_wide_image():
    # 96 x 64: a red band 16 px wide at each side, blue between: the centred 64 x 64 square is all blue.
    pixels = np.zeros((64, 96, 3), dtype=np.uint8)
    pixels[:, :16] = pixels[:, -16:] = (255, 0, 0)
    pixels[:, 16:-16] = (0, 0, 255)
    fitted = fit_image(Image.fromarray(pixels), 64, 3)
    assert fitted.shape == (3, 64, 64) and (fitted.transpose(1, 2, 0) == (0, 0, 255)).all()
    # Same size, same pixels: no resampling.
    square = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    assert np.array_equal(fit_image(Image.fromarray(square), 32, 3), square.transpose(2, 0, 1))


def test_a_flat_folder_and_files_that_are_not_images(tmp_path, cache):
    root = shapes_folder(tmp_path / "flat", per_class=4, flat=True)
    (root / "README.md").write_text("my photos\n")
    (root / "notes.txt").write_text("x")
    listing = list_folder(root)
    assert listing.classes == () and len(listing.images) == 12
    assert listing.left_out_line() == f"left out 2 file(s) of {root} that are not images: README.md, notes.txt"
    said = []
    images = load_train_images(folder(root), root, 64, 3, progress=said.append)
    assert len(images) == 12 and said == [listing.left_out_line()]


def test_a_truncated_image_is_refused_by_name_and_leaves_no_cache_file(tmp_path, cache):
    root = shapes_folder(tmp_path / "broken", per_class=3)
    broken = truncate(root / "squares" / "squares_001.png")
    with pytest.raises(DataUnavailableError, match=f"image {broken} is truncated or corrupt") as error:
        load_train_images(folder(root), root, 64, 3, progress=lambda line: None)
    assert "\n" not in str(error.value)
    assert not cache.exists() or not list(cache.iterdir())


def test_a_truncated_image_is_refused_even_after_weasyprint_let_pil_pad_them(tmp_path, cache, monkeypatch):
    """WeasyPrint sets PIL's process-wide LOAD_TRUNCATED_IMAGES on import; a sweep that writes its report has it."""
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    root = shapes_folder(tmp_path / "broken", per_class=3)
    broken = truncate(root / "circles" / "circles_002.png")
    with pytest.raises(DataUnavailableError, match=f"image {broken} is truncated or corrupt"):
        load_train_images(folder(root), root, 64, 3, progress=lambda line: None)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True


def test_an_empty_or_missing_folder_is_one_line(tmp_path, cache):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "a.txt").write_text("x")
    with pytest.raises(DataUnavailableError, match="holds no image PIL can read"):
        load_train_images(folder(tmp_path / "empty"), tmp_path, 64, 3)
    with pytest.raises(DataUnavailableError, match="does not exist or is not a directory"):
        load_train_images(folder(tmp_path / "nowhere"), tmp_path, 64, 3)


def test_the_decoded_file_is_reused_until_a_file_changes(tmp_path, cache, monkeypatch):
    root = shapes_folder(tmp_path / "reused", per_class=3)
    first = load_train_images(folder(root), root, 32, 3, progress=lambda line: None)
    (decoded,) = cache.iterdir()

    def no_decoding(*args):
        raise AssertionError("decoded again")

    monkeypatch.setattr(image_files, "decode_image", no_decoding)
    assert torch.equal(load_train_images(folder(root), root, 32, 3, progress=lambda line: None), first)
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache.parent.parent))
    shape_image("circles", 60).save(root / "circles" / "circles_000.png")  # a changed file: a new key
    changed = load_train_images(folder(root), root, 32, 3, progress=lambda line: None)
    assert len(list(cache.iterdir())) == 2 and not torch.equal(changed, first)
    assert decoded in list(cache.iterdir())


def test_a_first_decode_reports_its_progress(tmp_path, cache, monkeypatch):
    root = shapes_folder(tmp_path / "slow", per_class=2)
    monkeypatch.setattr(image_files, "PROGRESS_EVERY_S", 0.0)
    said = []
    load_train_images(folder(root), root, 32, 3, progress=said.append)
    assert said == [f"decoding {root}: {row:,} of 6 images ({row / 6:.0%})" for row in range(1, 7)]


def test_a_disk_too_small_is_refused_before_writing(tmp_path, cache, monkeypatch):
    root = shapes_folder(tmp_path / "big", per_class=2)
    monkeypatch.setattr(image_files.shutil, "disk_usage", lambda path: type("Usage", (), {"free": 1000})())
    with pytest.raises(DataUnavailableError, match=r"needs 0\.00 GiB in .* which has 0\.00 GiB free"):
        load_train_images(folder(root), root, 64, 3)
    assert not list(cache.iterdir())


def test_a_folder_too_large_for_the_object_store_is_mapped_by_each_trial(shapes, cache, monkeypatch):
    images = load_train_images(folder(shapes), shapes, 32, 3, progress=lambda line: None)
    assert isinstance(shipped_images(images, folder(shapes), shapes), np.ndarray)
    monkeypatch.setattr(data, "in_memory_limit", lambda: images.numel() - 1)
    mapped = shipped_images(images, folder(shapes), shapes)
    assert mapped == MappedImages(folder(shapes), str(shapes), 32, 3)
    assert torch.equal(mapped.open(), images)


def test_a_folder_reference_is_a_fixed_sample_of_at_most_10000(shapes, cache, monkeypatch):
    every = load_train_images(folder(shapes), shapes, 32, 3, progress=lambda line: None)
    assert torch.equal(load_reference_images(folder(shapes), shapes, 32, 3), every)  # 210 images: all of them
    rows = reference_rows(25_000)
    assert len(rows) == 10_000 and len(set(rows.tolist())) == 10_000 and torch.equal(rows, rows.sort().values)
    assert torch.equal(rows, reference_rows(25_000))  # the same sample every time
    monkeypatch.setattr(data, "REFERENCE_SAMPLE", 50)
    sample = load_reference_images(folder(shapes), shapes, 32, 3)
    assert torch.equal(sample, every[reference_rows(len(every))]) and len(sample) == 50


def test_cifar10_in_torchvisions_format_at_its_size_and_larger(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    train, test = (rng.integers(0, 256, (count, 32, 32, 3), dtype=np.uint8) for count in (12, 5))
    md5 = cifar10_archive(tmp_path, train, test)
    # torchvision checks each file against CIFAR-10's published MD5s: these files stand in for them.
    train_list = [[f"data_batch_{n}", md5[f"data_batch_{n}"]] for n in range(1, 6)]
    monkeypatch.setattr(datasets.CIFAR10, "train_list", train_list)
    monkeypatch.setattr(datasets.CIFAR10, "test_list", [["test_batch", md5["test_batch"]]])
    monkeypatch.setitem(datasets.CIFAR10.meta, "md5", md5["batches.meta"])
    images = load_train_images("cifar10", tmp_path, 32, 3)
    assert torch.equal(images, torch.from_numpy(train.transpose(0, 3, 1, 2)))
    assert torch.equal(load_reference_images("cifar10", tmp_path, 32, 3), torch.from_numpy(test.transpose(0, 3, 1, 2)))
    larger = load_train_images("cifar10", tmp_path, 64, 3)
    expected = np.asarray(Image.fromarray(train[3]).resize((64, 64), Image.Resampling.BICUBIC)).transpose(2, 0, 1)
    assert larger.shape == (12, 3, 64, 64) and np.array_equal(larger[3].numpy(), expected)


def test_cifar10_offline_and_absent_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets.CIFAR10, "download", lambda self: (_ for _ in ()).throw(OSError("no network")))
    with pytest.raises(DataUnavailableError, match="dataset 'cifar10' is not in data dir .* could not be downloaded"):
        load_train_images("cifar10", tmp_path, 32, 3)


def test_mnist_as_rgb_repeats_its_grey(mnist_images):
    rgb = load_train_images("mnist", resolve_data_dir(None), 28, 3)
    assert mnist_images.shape == (60_000, 1, 28, 28) and rgb.shape == (60_000, 3, 28, 28)
    assert torch.equal(rgb, mnist_images.expand(-1, 3, -1, -1))


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"dataset": "mnist", "image_size": 64}, "image_size=64: mnist takes 28 (or 0: its default)"),
        ({"dataset": "cifar10", "image_size": 48}, "image_size=48: cifar10 takes 32, 64, 128, 256 (or 0: its default)"),
        ({"channels": 2}, "channels=2: allowed are 1 (grey), 3 (RGB) or 0 (the data's own)"),
        ({"dataset": "folder:"}, "dataset='folder:': allowed are mnist, fashion_mnist, cifar10 or folder:PATH"),
    ],
)
def test_bad_data_settings_are_one_line(settings, message):
    with pytest.raises(ConfigError) as error:
        TrialConfig(**settings)
    assert str(error.value) == message


def test_each_dataset_has_its_default_size_and_channels():
    datasets_ = ("mnist", "fashion_mnist", "cifar10", "folder:/x")
    shapes = {dataset: TrialConfig(dataset=dataset).image_shape for dataset in datasets_}
    assert shapes == {
        "mnist": (1, 28, 28),
        "fashion_mnist": (1, 28, 28),
        "cifar10": (3, 32, 32),
        "folder:/x": (3, 64, 64),
    }
    config = TrialConfig(dataset="folder:/x", image_size=128, channels=1)
    assert TrialConfig.from_dict(config.to_dict()) == config and config.image_shape == (1, 128, 128)
