"""The Inception extractor (trainables.quality.inception): torch-fidelity's own module, run the way torch-fidelity
runs it, as the reference for its features; weights files that would run code, or are missing offline, refused."""

from __future__ import annotations

import os
import pickle

import pytest
import torch
from torch import nn
from torch_fidelity.feature_extractor_inceptionv3 import URL_INCEPTION_V3, FeatureExtractorInceptionV3

from tests.inception_weights import FEATURES, NAME, save_random_inception_weights
from trainables.quality import inception
from trainables.quality.inception import FeatureWeightsError, inception_features, load_inception


def random_uint8_images(count: int, channels: int, size: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (count, channels, size, size), dtype=torch.uint8, generator=generator)


@pytest.fixture(scope="module")
def random_weights(tmp_path_factory: pytest.TempPathFactory):
    return save_random_inception_weights(tmp_path_factory.mktemp("weights") / "inception.pt")


@pytest.fixture(scope="module")
def fidelity_reference(random_weights):
    """torch-fidelity's module built by its own loader from the same file (trusted here: this test wrote it)."""
    return FeatureExtractorInceptionV3(NAME, FEATURES, feature_extractor_weights_path=str(random_weights))


def fidelity_forward(net: nn.Module, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """As torch-fidelity's get_featuresdict_from_dataset runs it: one uint8 batch, under no_grad."""
    with torch.no_grad():
        return net(images)


def test_features_equal_torch_fidelity_module_on_colour_and_grey_images(random_weights, fidelity_reference):
    net = load_inception(random_weights)
    assert not net.training and not any(parameter.requires_grad for parameter in net.parameters())

    colour = random_uint8_images(4, 3, 64, seed=1)
    features, logits = inception_features(net, colour, batch=3)  # two chunks: 3 + 1
    expected_features, expected_logits = fidelity_forward(fidelity_reference, colour)
    assert features.shape == (4, 2048) and logits.shape == (4, 1008)
    assert features.dtype == logits.dtype == torch.float32
    torch.testing.assert_close(features, expected_features, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(logits, expected_logits, rtol=1e-5, atol=1e-5)
    # The comparison means something: the images' features differ by far more than the tolerance.
    assert (features[0] - features[1]).abs().max() > 1e-2

    grey = random_uint8_images(4, 1, 28, seed=2)
    grey_features, grey_logits = inception_features(net, grey)
    expected_features, expected_logits = fidelity_forward(fidelity_reference, grey.repeat(1, 3, 1, 1))
    torch.testing.assert_close(grey_features, expected_features, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(grey_logits, expected_logits, rtol=1e-5, atol=1e-5)


def test_features_refuse_float_images(random_weights):
    with pytest.raises(ValueError, match="uint8"):
        inception_features(load_inception(random_weights), torch.rand(2, 3, 32, 32))


class WritesMarkerFile:
    """Unpickling it calls open(marker, "w"), creating the marker file."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return open, (self.marker, "w")


def pickle_dump(obj, path) -> None:
    with open(path, "wb") as file:
        pickle.dump(obj, file, protocol=2)  # torch.load warns about newer protocols


@pytest.mark.parametrize("save", [torch.save, pickle_dump])
def test_weights_whose_unpickling_runs_code_are_refused_unrun(tmp_path, save):
    marker = tmp_path / "code-ran"
    path = tmp_path / "evil.pt"
    save({"Conv2d_1a_3x3.conv.weight": WritesMarkerFile(str(marker))}, path)

    with pytest.raises(FeatureWeightsError) as refused:
        load_inception(path)
    assert not marker.exists()
    message = str(refused.value)
    assert "\n" not in message and str(path) in message and "was refused" in message


def test_weights_that_are_garbage_or_the_wrong_state_dict_are_refused_on_one_line(tmp_path, random_weights):
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a weights file at all")  # read as a pickle, it fails on an opcode the safe loader lacks
    other_garbage = tmp_path / "other-garbage.pt"
    other_garbage.write_bytes(b"hello world")  # read as a pickle, it fails elsewhere in torch.load's parser
    not_a_dict = tmp_path / "list.pt"
    torch.save([torch.zeros(1)], not_a_dict)
    wrong_keys = tmp_path / "wrong-keys.pt"
    torch.save({"fc.weight": torch.zeros(1008, 2048), "extra": torch.zeros(1)}, wrong_keys)
    wrong_shape = tmp_path / "wrong-shape.pt"
    state_dict = torch.load(random_weights, weights_only=True)
    state_dict["fc.weight"] = torch.zeros(10, 2048)
    torch.save(state_dict, wrong_shape)

    for path, reason in [
        (garbage, "it is corrupt, or holds objects whose unpickling could run code"),
        (other_garbage, "is not a torch weights file (KeyError"),
        (not_a_dict, "holds a list, not a state dict of tensors"),
        (wrong_keys, "565 missing (first: Conv2d_1a_3x3.bn.bias); 1 unexpected (first: extra)"),
        (wrong_shape, "1 of the wrong shape (first: fc.weight)"),
    ]:
        with pytest.raises(FeatureWeightsError) as refused:
            load_inception(path)
        message = str(refused.value)
        assert "\n" not in message and str(path) in message and reason in message


def test_missing_weights_file_names_the_url_and_the_flag(tmp_path):
    path = tmp_path / "absent.pt"
    with pytest.raises(FeatureWeightsError) as refused:
        load_inception(path)
    message = str(refused.value)
    assert "\n" not in message
    assert str(path) in message and URL_INCEPTION_V3 in message and "--feature-weights PATH" in message


def test_default_weights_offline_names_the_path_tried_and_the_url(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    tried = []

    def offline(url, dst, *args, **kwargs):
        tried.append((url, dst))
        raise OSError("Network is unreachable")

    monkeypatch.setattr(inception, "download_url_to_file", offline)
    with pytest.raises(FeatureWeightsError) as refused:
        load_inception()
    expected_path = tmp_path / "tune-gan" / "weights" / os.path.basename(URL_INCEPTION_V3)
    assert tried == [(URL_INCEPTION_V3, str(expected_path))]
    message = str(refused.value)
    assert "\n" not in message
    assert str(expected_path) in message and URL_INCEPTION_V3 in message and "--feature-weights PATH" in message
    assert "Network is unreachable" in message and not expected_path.exists()
