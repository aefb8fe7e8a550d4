import shutil

import pytest
import torch

from trainables.data import (
    DataUnavailableError,
    check_idx_file,
    epoch_batches,
    expected_files,
    gpu_memory_for_images,
    images_on,
    load_train_images,
    resolve_data_dir,
    take_subset,
    to_unit_range,
)


def test_mnist_loads_as_uint8(mnist_images):
    assert mnist_images.shape == (60_000, 1, 28, 28) and mnist_images.dtype == torch.uint8


def test_images_scale_to_minus_one_one():
    scaled = to_unit_range(torch.tensor([[[[0, 255], [51, 204]]]], dtype=torch.uint8))  # (N, C, H, W), kept
    assert scaled.shape == (1, 1, 2, 2)
    assert scaled.flatten().tolist() == pytest.approx([-1.0, 1.0, -0.6, 0.6])


def test_batches_are_a_seeded_permutation_without_the_partial_batch():
    images = torch.arange(10, dtype=torch.uint8).view(10, 1, 1)
    batches = list(epoch_batches(images, 3, torch.Generator().manual_seed(7)))
    assert [len(batch) for batch in batches] == [3, 3, 3]
    seen = torch.cat(batches).flatten()
    assert len(set(seen.tolist())) == 9  # no image twice in an epoch
    again = list(epoch_batches(images, 3, torch.Generator().manual_seed(7)))
    assert all(torch.equal(a, b) for a, b in zip(batches, again))
    other = list(epoch_batches(images, 3, torch.Generator().manual_seed(8)))
    assert not all(torch.equal(a, b) for a, b in zip(batches, other))


def test_images_share_half_the_trials_part_of_its_gpu():
    """A trial of 1/4 GPU on an 80 GiB card may keep 10 GiB of images there; 1/3 (Ray's 0.3333) a sixth of it."""
    assert gpu_memory_for_images(80 * 2**30, 0.25) == 10 * 2**30
    assert gpu_memory_for_images(6 * 10**9, 0.3333) == 999_900_000


def test_images_go_to_the_device_only_where_they_fit_their_memory():
    """Sent on the meta device, which keeps shapes without values: the images move where their bytes fit, else the
    very tensor (a mapped file, say) stays, and each batch alone reaches the device with the resident path's shape."""
    images = torch.arange(40, dtype=torch.uint8).view(10, 1, 2, 2)  # 40 bytes
    meta = torch.device("meta")
    assert images_on(meta, images, 40).device == meta
    assert images_on(meta, images, None).device == meta
    kept = images_on(meta, images, 39)
    assert kept is images
    sent = list(epoch_batches(kept, 3, torch.Generator().manual_seed(7), meta))
    assert [(batch.device, batch.shape, batch.dtype) for batch in sent] == [(meta, (3, 1, 2, 2), torch.float32)] * 3


def test_batches_sent_a_batch_at_a_time_equal_the_resident_ones():
    """The same seed draws the same rows whichever memory the images are kept in, scaled after the copy."""
    images = torch.randint(0, 256, (10, 3, 2, 2), dtype=torch.uint8)
    resident = list(epoch_batches(images, 4, torch.Generator().manual_seed(3)))
    sent = list(epoch_batches(images, 4, torch.Generator().manual_seed(3), torch.device("cpu")))
    assert len(resident) == 2 and all(torch.equal(a, b) for a, b in zip(resident, sent))
    assert torch.equal(
        sent[0], to_unit_range(images[torch.randperm(10, generator=torch.Generator().manual_seed(3))[:4]])
    )


def test_subset_takes_the_first_images(mnist_images):
    assert torch.equal(take_subset(mnist_images, 100), mnist_images[:100])
    assert take_subset(mnist_images, 0) is mnist_images
    with pytest.raises(ValueError, match="subset=70000"):
        take_subset(mnist_images, 70_000)


def test_data_dir_resolution_order(monkeypatch, tmp_path):
    monkeypatch.setenv("TUNE_GAN_DATA", str(tmp_path / "from_env"))
    assert resolve_data_dir("relative/dir") == (resolve_data_dir(".") / "relative" / "dir")
    assert resolve_data_dir(None) == tmp_path / "from_env"
    monkeypatch.delenv("TUNE_GAN_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert resolve_data_dir(None) == tmp_path / "cache" / "tune-gan" / "data"


def test_missing_dataset_is_one_line_naming_dir_and_files(tmp_path):
    # A data root that is a file cannot hold or receive the dataset, online or not.
    root = tmp_path / "not_a_dir"
    root.write_text("")
    with pytest.raises(DataUnavailableError) as error:
        load_train_images("fashion_mnist", root)
    message = str(error.value)
    assert "\n" not in message
    assert str(root) in message
    assert "FashionMNIST/raw/train-images-idx3-ubyte" in message
    assert [path.name for path in expected_files("mnist", root)] == [
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ]


def damaged_copy(tmp_path, damage: str):
    """A copy of the MNIST data dir whose training images are truncated or whose header is overwritten."""
    source = resolve_data_dir(None) / "MNIST" / "raw"
    raw = tmp_path / "MNIST" / "raw"
    shutil.copytree(source, raw, ignore=shutil.ignore_patterns("*.gz"))
    images = raw / "train-images-idx3-ubyte"
    data = images.read_bytes()
    images.write_bytes(data[: len(data) - 784] if damage == "truncated" else b"\x50\x4b\x03\x04" + data[4:])
    return tmp_path, images


@pytest.mark.parametrize(
    "damage, says",
    [
        # 60,000 images of 28 x 28 bytes after a 16-byte header, one image short
        ("truncated", f"it holds {16 + 59_999 * 784:,} bytes where its header promises {16 + 60_000 * 784:,}"),
        ("corrupt", "its header 504b0304 is not an IDX array of unsigned bytes with 1 or 3 dimensions"),
    ],
)
def test_a_damaged_dataset_file_is_named(tmp_path, damage, says):
    root, images = damaged_copy(tmp_path, damage)
    with pytest.raises(DataUnavailableError) as error:
        load_train_images("mnist", root)
    assert str(error.value) == (
        f"data file {images} is truncated or corrupt: {says}; delete it to download it again, "
        "or replace it with the official file"
    )


def test_every_shipped_idx_file_passes_the_check():
    for dataset in ("mnist", "fashion_mnist"):
        for path in expected_files(dataset, resolve_data_dir(None)):
            check_idx_file(path)  # 60,000 or 10,000 images of 28 x 28 bytes, and as many labels
