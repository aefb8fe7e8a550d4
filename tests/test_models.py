import pytest
import torch

from tests.helpers import run_script
from trainables.models import Dropout, build_models, parameter_count


def test_mlp_parameter_counts_match_figure_1():
    generator, discriminator = build_models("mlp", 100)
    assert parameter_count(generator) == 1_486_352
    assert parameter_count(discriminator) == 1_460_225
    assert isinstance(generator, torch.nn.Sequential) and isinstance(discriminator, torch.nn.Sequential)
    assert isinstance(generator[-2], torch.nn.Tanh) and isinstance(discriminator[-1], torch.nn.Sigmoid)


def test_dcgan_parameter_counts():
    generator, discriminator = build_models("dcgan", 100)
    # Linear 100x12544 (no bias) + BN1d 2x12544 + ConvT 256x128x25 + BN 2x128 + ConvT 128x64x25 + BN 2x64 + ConvT 64x25
    assert parameter_count(generator) == 1_254_400 + 25_088 + 819_200 + 256 + 204_800 + 128 + 1_600
    # Conv 1->64 k5 (+bias) + Conv 64->128 k5 (+bias) + Linear 6272->1
    assert parameter_count(discriminator) == (25 * 64 + 64) + (64 * 128 * 25 + 128) + (6272 + 1)


@pytest.mark.parametrize("model", ["mlp", "dcgan"])
@pytest.mark.parametrize("latent_dim", [100, 128, 256])
def test_forward_shapes_and_ranges(model, latent_dim):
    generator, discriminator = build_models(model, latent_dim)
    images = generator(torch.randn(8, latent_dim))
    assert images.shape == (8, 1, 28, 28)
    assert images.min() >= -1 and images.max() <= 1
    scores = discriminator(images)
    assert scores.shape == (8, 1)
    assert ((scores > 0) & (scores < 1)).all()


def test_spectral_norm_wraps_every_weighted_layer_of_dcgan_d():
    _, discriminator = build_models("dcgan", 100, spectral_norm=True)
    weighted = [layer for layer in discriminator if hasattr(layer, "weight")]
    assert len(weighted) == 3
    assert all(torch.nn.utils.parametrize.is_parametrized(layer, "weight") for layer in weighted)
    assert discriminator(torch.randn(4, 1, 28, 28)).shape == (4, 1)


@pytest.mark.slow
def test_models_module_prints_layer_tables():
    output = run_script("-m", "trainables.models", "--latent-dim", "128", check=True).stdout
    assert "mlp generator (latent 128)" in output and "dcgan discriminator" in output
    assert "1,460,225" in output  # D does not depend on the latent size
    assert "ConvTranspose2d" in output


def test_dropout_is_bernoulli_keep_with_rescale_and_passes_gradient_through_the_mask():
    torch.manual_seed(0)
    dropout = Dropout(0.3)
    x = torch.ones(2000, 1000, requires_grad=True)
    y = dropout(x)
    dropped = (y == 0).float().mean().item()
    assert abs(dropped - 0.3) < 0.003  # 10 standard deviations of a 2M-element fraction
    assert torch.allclose(y[y != 0], torch.tensor(1 / 0.7))  # kept values rescaled, as nn.Dropout does
    y.sum().backward()
    assert torch.equal(x.grad, y.detach())  # d(x * mask)/dx = mask
    assert torch.equal(dropout.eval()(x), x)
    _generator, discriminator = build_models("mlp", 100)
    assert sum(isinstance(layer, Dropout) and layer.p == 0.3 for layer in discriminator) == 3
