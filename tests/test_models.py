import math

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from tests.helpers import run_script
from trainables.models import (
    Dropout,
    build_models,
    dcgan_discriminator,
    dcgan_generator,
    logits_module,
    main,
    mlp_discriminator,
    mlp_generator,
    parameter_count,
)


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


# --- Image shapes: (C, S, S), C 1 or 3, S 28 or 32 to 256 px ---------------------------------------------------------

# The sized DCGAN's widths at 4, 8, ..., S/2 px, written out: 64 at the image end, doubling towards 4x4, capped at 512.
WIDTHS = {
    32: (256, 128, 64),
    64: (512, 256, 128, 64),  # pytorch/examples' ngf * 8, 4, 2, 1 with ngf = 64
    128: (512, 512, 256, 128, 64),
    256: (512, 512, 512, 256, 128, 64),
}


def dcgan_counts(latent_dim: int, channels: int, size: int) -> tuple[int, int, int]:
    """(G, D, D with spectral norm) parameter counts from the widths: 4x4 kernels, no conv biases, BatchNorm 2 per
    channel; D with spectral norm has no BatchNorm and a bias on each block's conv instead (1 per channel)."""
    w = WIDTHS[size]
    g = latent_dim * w[0] * 16 + 2 * w[0]  # ConvT latent -> w0 to 4x4, BN
    g += sum(wide * narrow * 16 + 2 * narrow for wide, narrow in zip(w, w[1:]))  # blocks up to S/2 px
    g += w[-1] * channels * 16  # last ConvT to C channels
    d = channels * w[-1] * 16  # first conv, no BN
    blocks = list(zip(w[::-1], w[::-1][1:]))  # (narrow, wide) down to 4x4
    d_core = d + sum(narrow * wide * 16 for narrow, wide in blocks) + w[0] * 16  # convs, and the 4x4 -> 1 conv
    return g, d_core + sum(2 * wide for _, wide in blocks), d_core + sum(wide for _, wide in blocks)


def test_closed_form_reproduces_pytorch_examples_published_counts():
    assert dcgan_counts(100, 3, 64)[:2] == (3_576_704, 2_765_568)


# pytorch/examples dcgan/main.py's Generator and Discriminator (their ``main`` Sequentials) and weights_init, as there.
def examples_generator(nz: int, ngf: int, nc: int) -> nn.Sequential:
    return nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False),
        nn.BatchNorm2d(ngf * 8),
        nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False),
        nn.BatchNorm2d(ngf * 4),
        nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
        nn.BatchNorm2d(ngf * 2),
        nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
        nn.BatchNorm2d(ngf),
        nn.ReLU(True),
        nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),
        nn.Tanh(),
    )


def examples_discriminator(ndf: int, nc: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
        nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
        nn.BatchNorm2d(ndf * 2),
        nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),
        nn.BatchNorm2d(ndf * 4),
        nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False),
        nn.BatchNorm2d(ndf * 8),
        nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False),
        nn.Sigmoid(),
    )


def examples_weights_init(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        torch.nn.init.normal_(m.weight, 0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        torch.nn.init.normal_(m.weight, 1.0, 0.02)
        torch.nn.init.zeros_(m.bias)


def test_64px_rgb_dcgan_is_pytorch_examples_netg_and_netd_layer_for_layer_and_weight_for_weight():
    """Built in the order main.py builds them (netG, init, netD, init) under one seed: the same parameters, the same
    initial values, the same outputs."""
    torch.manual_seed(7)
    net_g = examples_generator(100, 64, 3)
    net_g.apply(examples_weights_init)
    net_d = examples_discriminator(64, 3)
    net_d.apply(examples_weights_init)
    torch.manual_seed(7)
    generator, discriminator = build_models("dcgan", 100, image_shape=(3, 64, 64))
    assert parameter_count(net_g) == parameter_count(generator) == 3_576_704
    assert parameter_count(net_d) == parameter_count(discriminator) == 2_765_568
    for ours, theirs in ((generator, net_g), (discriminator, net_d)):
        assert [p.shape for p in ours.parameters()] == [p.shape for p in theirs.parameters()]
        assert all(torch.equal(a, b) for a, b in zip(ours.parameters(), theirs.parameters()))
    noise = torch.randn(5, 100)
    images = generator(noise)
    torch.testing.assert_close(images, net_g(noise.view(5, 100, 1, 1)))
    torch.testing.assert_close(discriminator(images), net_d(images).view(-1, 1))


@pytest.mark.parametrize("size", [32, 64, 128])
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("latent_dim", [128, 256])
def test_sized_dcgan_shapes_ranges_blocks_and_parameter_counts(size, channels, latent_dim):
    torch.manual_seed(0)
    generator, discriminator = build_models("dcgan", latent_dim, image_shape=(channels, size, size))
    images = generator(torch.randn(4, latent_dim))
    assert images.shape == (4, channels, size, size)
    assert images.min() >= -1 and images.max() <= 1
    scores = discriminator(images)
    assert scores.shape == (4, 1)
    assert ((scores > 0) & (scores < 1)).all()
    assert isinstance(discriminator[-1], nn.Sigmoid) and logits_module(discriminator)(images).shape == (4, 1)

    blocks = round(math.log2(size / 4))  # 3 at 32 px, 4 at 64, 5 at 128
    ups = [layer for layer in generator if isinstance(layer, nn.ConvTranspose2d)]
    downs = [layer for layer in discriminator if isinstance(layer, nn.Conv2d)]
    assert [layer.stride for layer in ups] == [(1, 1)] + [(2, 2)] * blocks  # to 4x4, then one per doubling
    assert [layer.stride for layer in downs] == [(2, 2)] * blocks + [(1, 1)]  # one per halving, then 4x4 -> 1x1
    assert all(layer.kernel_size == (4, 4) and layer.bias is None for layer in ups + downs)
    assert [layer.out_channels for layer in ups] == [*WIDTHS[size], channels]
    assert [layer.out_channels for layer in downs] == [*WIDTHS[size][::-1], 1]
    assert [type(layer) for layer in generator[:4]] == [nn.Unflatten, nn.ConvTranspose2d, nn.BatchNorm2d, nn.ReLU]
    assert not isinstance(discriminator[1], nn.BatchNorm2d)  # none on the image-side conv
    assert sum(isinstance(layer, nn.BatchNorm2d) for layer in discriminator) == blocks - 1

    expected_g, expected_d, _ = dcgan_counts(latent_dim, channels, size)
    assert parameter_count(generator) == expected_g
    assert parameter_count(discriminator) == expected_d


def test_sized_dcgan_initialisation_is_pytorch_examples():
    torch.manual_seed(0)
    generator, discriminator = build_models("dcgan", 100, image_shape=(3, 128, 128))
    for model in (generator, discriminator):
        convs = [layer.weight for layer in model if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d))]
        big = max(convs, key=torch.Tensor.numel)  # 512 x 512 x 4 x 4
        assert abs(big.mean().item()) < 1e-3 and abs(big.std().item() - 0.02) < 1e-3
        scales = torch.cat([layer.weight for layer in model if isinstance(layer, nn.BatchNorm2d)])
        assert abs(scales.mean().item() - 1) < 3e-3 and abs(scales.std().item() - 0.02) < 3e-3
        shifts = torch.cat([layer.bias for layer in model if isinstance(layer, nn.BatchNorm2d)])
        assert torch.equal(shifts, torch.zeros_like(shifts))


def test_256px_forward_of_a_batch_of_two():
    generator, discriminator = build_models("dcgan", 128, image_shape=(3, 256, 256))
    images = generator(torch.randn(2, 128))
    assert images.shape == (2, 3, 256, 256)
    assert discriminator(images).shape == (2, 1)
    assert sum(isinstance(layer, nn.ConvTranspose2d) for layer in generator) == 1 + 6
    assert max(layer.out_channels for layer in generator if isinstance(layer, nn.ConvTranspose2d)) == 512  # the cap
    assert (parameter_count(generator), parameter_count(discriminator)) == dcgan_counts(128, 3, 256)[:2]


@pytest.mark.parametrize("size", [32, 64, 128])
def test_spectral_norm_wraps_every_conv_of_sized_d_and_drops_its_batchnorm(size):
    torch.manual_seed(0)
    _, discriminator = build_models("dcgan", 100, spectral_norm=True, image_shape=(3, size, size))
    convs = [layer for layer in discriminator if isinstance(layer, nn.Conv2d)]
    assert len(convs) == round(math.log2(size / 4)) + 1
    for conv in convs:
        assert parametrize.is_parametrized(conv, "weight")
        assert [type(p).__name__ for p in conv.parametrizations.weight] == ["_SpectralNorm"]
        assert 0.999 < torch.linalg.matrix_norm(conv.weight.flatten(1), ord=2).item() < 1.1  # normalised
        assert abs(conv.parametrizations.weight.original.std().item() - 0.02) < 2e-3  # initialised before wrapping
    assert not any(isinstance(module, nn.modules.batchnorm._BatchNorm) for module in discriminator.modules())
    assert parameter_count(discriminator) == dcgan_counts(100, 3, size)[2]
    scores = discriminator(torch.rand(3, 3, size, size) * 2 - 1)
    assert scores.shape == (3, 1) and ((scores > 0) & (scores < 1)).all()


def test_mlp_follows_the_image_shape():
    generator, discriminator = build_models("mlp", 100, image_shape=(3, 32, 32))
    linear_g = [layer for layer in generator if isinstance(layer, nn.Linear)]
    linear_d = [layer for layer in discriminator if isinstance(layer, nn.Linear)]
    assert linear_g[-1].out_features == 3 * 32 * 32 and linear_d[0].in_features == 3 * 32 * 32
    assert [layer.out_features for layer in linear_g[:-1]] == [256, 512, 1024]  # hidden layers as in Figure 1
    assert [layer.out_features for layer in linear_d[1:]] == [512, 256, 1]
    pixels = 3 * 32 * 32
    assert parameter_count(generator) == (100 + 1) * 256 + 257 * 512 + 513 * 1024 + 1025 * pixels
    assert parameter_count(discriminator) == (pixels + 1) * 1024 + 1025 * 512 + 513 * 256 + 257
    images = generator(torch.randn(4, 100))
    assert images.shape == (4, 3, 32, 32) and discriminator(images).shape == (4, 1)


def test_dcgan_at_28px_rgb_is_the_28px_pair_with_three_channels():
    generator, discriminator = build_models("dcgan", 100, image_shape=(3, 28, 28))
    images = generator(torch.randn(4, 100))
    assert images.shape == (4, 3, 28, 28) and discriminator(images).shape == (4, 1)
    gray_g, gray_d = build_models("dcgan", 100)
    assert parameter_count(generator) - parameter_count(gray_g) == 2 * 64 * 25  # last ConvT: 64 x C x 5 x 5
    assert parameter_count(discriminator) - parameter_count(gray_d) == 2 * 64 * 25  # first conv: C x 64 x 5 x 5


# Today's 28 px pairs, frozen as they were before image shapes (trainables/models.py at c313f7c), so that the
# checkpoints and numbers of the MNIST and FashionMNIST studies stand.
def todays_mlp_generator(latent_dim: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(latent_dim, 256),
        nn.LeakyReLU(0.2),
        nn.Linear(256, 512),
        nn.LeakyReLU(0.2),
        nn.Linear(512, 1024),
        nn.LeakyReLU(0.2),
        nn.Linear(1024, 784),
        nn.Tanh(),
        nn.Unflatten(1, (1, 28, 28)),
    )


def todays_mlp_discriminator() -> nn.Sequential:
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 1024),
        nn.LeakyReLU(0.2),
        Dropout(0.3),
        nn.Linear(1024, 512),
        nn.LeakyReLU(0.2),
        Dropout(0.3),
        nn.Linear(512, 256),
        nn.LeakyReLU(0.2),
        Dropout(0.3),
        nn.Linear(256, 1),
        nn.Sigmoid(),
    )


def todays_dcgan_generator(latent_dim: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(latent_dim, 7 * 7 * 256, bias=False),
        nn.BatchNorm1d(7 * 7 * 256),
        nn.LeakyReLU(0.3),
        nn.Unflatten(1, (256, 7, 7)),
        nn.ConvTranspose2d(256, 128, 5, stride=1, padding=2, bias=False),
        nn.BatchNorm2d(128),
        nn.LeakyReLU(0.3),
        nn.ConvTranspose2d(128, 64, 5, stride=2, padding=2, output_padding=1, bias=False),
        nn.BatchNorm2d(64),
        nn.LeakyReLU(0.3),
        nn.ConvTranspose2d(64, 1, 5, stride=2, padding=2, output_padding=1, bias=False),
        nn.Tanh(),
    )


def todays_dcgan_discriminator(spectral_norm: bool) -> nn.Sequential:
    norm = torch.nn.utils.parametrizations.spectral_norm if spectral_norm else (lambda layer: layer)
    return nn.Sequential(
        norm(nn.Conv2d(1, 64, 5, stride=2, padding=2)),
        nn.LeakyReLU(0.3),
        Dropout(0.3),
        norm(nn.Conv2d(64, 128, 5, stride=2, padding=2)),
        nn.LeakyReLU(0.3),
        Dropout(0.3),
        nn.Flatten(),
        norm(nn.Linear(128 * 7 * 7, 1)),
        nn.Sigmoid(),
    )


TODAY = {
    ("mlp", False): lambda latent_dim: (todays_mlp_generator(latent_dim), todays_mlp_discriminator()),
    ("dcgan", False): lambda latent_dim: (todays_dcgan_generator(latent_dim), todays_dcgan_discriminator(False)),
    ("dcgan", True): lambda latent_dim: (todays_dcgan_generator(latent_dim), todays_dcgan_discriminator(True)),
}
TODAYS_CALLS = {  # the functions, called with today's arguments
    ("mlp", False): lambda latent_dim: (mlp_generator(latent_dim), mlp_discriminator()),
    ("dcgan", False): lambda latent_dim: (dcgan_generator(latent_dim), dcgan_discriminator(False)),
    ("dcgan", True): lambda latent_dim: (dcgan_generator(latent_dim), dcgan_discriminator(True)),
}


@pytest.mark.parametrize(("model", "spectral_norm"), list(TODAY))
@pytest.mark.parametrize("latent_dim", [100, 128])
@pytest.mark.parametrize("how", ["build_models default", "build_models (1, 28, 28)", "today's calls"])
def test_28px_grey_pairs_are_todays_modules_keys_shapes_and_initial_weights(model, spectral_norm, latent_dim, how):
    torch.manual_seed(3)
    expected = TODAY[model, spectral_norm](latent_dim)
    torch.manual_seed(3)
    if how == "today's calls":
        built = TODAYS_CALLS[model, spectral_norm](latent_dim)
    elif how == "build_models default":
        built = build_models(model, latent_dim, spectral_norm)
    else:
        built = build_models(model, latent_dim, spectral_norm, image_shape=(1, 28, 28))
    for ours, today in zip(built, expected):
        assert str(ours) == str(today)
        ours_state, today_state = ours.state_dict(), today.state_dict()
        assert [(k, v.shape) for k, v in ours_state.items()] == [(k, v.shape) for k, v in today_state.items()]
        assert all(torch.equal(ours_state[key], today_state[key]) for key in today_state)  # default init, same draws
        assert parameter_count(ours) == parameter_count(today)


@pytest.mark.parametrize("model", ["mlp", "dcgan"])
@pytest.mark.parametrize(
    ("image_shape", "named"),
    [
        ((2, 32, 32), "(2, 32, 32): 2 channels; allowed are 1 (grey) or 3 (RGB)"),
        ((3, 48, 48), "(3, 48, 48): size 48 px; allowed are 28 or a power of two 32, 64, 128, 256"),
        ((1, 16, 16), "(1, 16, 16): size 16 px; allowed are 28 or a power of two 32, 64, 128, 256"),
        ((1, 512, 512), "(1, 512, 512): size 512 px; allowed are 28"),
        ((3, 32, 64), "(3, 32, 64): 32 x 64 px; images are square"),
        ((28, 28), "(28, 28): give (channels, size, size) as 3 ints"),
        ((1, 28.0, 28), "(1, 28.0, 28): give (channels, size, size) as 3 ints"),
    ],
)
def test_bad_image_shapes_are_refused_in_one_line_naming_the_value(model, image_shape, named):
    with pytest.raises(ValueError) as refused:
        build_models(model, 100, image_shape=image_shape)
    message = str(refused.value)
    assert message.startswith(f"image_shape={named}")
    assert "\n" not in message


def test_models_module_prints_the_tables_for_a_shape(capsys):
    main(["--channels", "3", "--image-size", "64"])
    output = capsys.readouterr().out
    assert "dcgan generator (latent 100) -> 3x64x64 images" in output
    assert "3,576,704" in output and "2,765,568" in output  # pytorch/examples' netG and netD
    assert f"{1025 * 3 * 64 * 64 + (100 + 1) * 256 + 257 * 512 + 513 * 1024:,}" in output  # the MLP's G
    with pytest.raises(SystemExit):
        main(["--channels", "2"])
    assert "image_shape=(2, 28, 28): 2 channels; allowed are 1 (grey) or 3 (RGB)" in capsys.readouterr().err
