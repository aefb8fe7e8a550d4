"""The two generator/discriminator pairs, each an ``nn.Sequential`` that reads like its layer table.

Each pair is built for the data's image shape (C, S, S): C 1 (grey) or 3 (RGB), S 28 or a power of two from 32 to
256 px. G maps (N, latent_dim) noise to (N, C, S, S) in [-1, 1] and D maps such images to (N, 1) in (0, 1), so the
training loop does not care which pair, or which size, it trains. At (1, 28, 28), the default and MNIST's and
FashionMNIST's shape, both pairs are exactly the ones those studies trained: the same modules, parameter counts,
``state_dict`` keys and (under the same seed) initial weights, so their checkpoints and numbers stand. At 32 to 256
px the DCGAN pair is pytorch/examples' DCGAN (dcgan/main.py), one block per doubling.
``python -m trainables.models --channels 3 --image-size 64`` prints the tables.
"""

from __future__ import annotations

import argparse
import operator

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _spectral_norm

# What build_models takes as image_shape = (channels, size, size): 28 px is MNIST's own size (the 28 px pairs below),
# the powers of two are the sized DCGAN's (4 px doubled once per block); trainables.config.IMAGE_SIZES, the sizes other
# data is resized to, are these less 28.
ALLOWED_CHANNELS = (1, 3)
ALLOWED_SIZES = (28, 32, 64, 128, 256)


class Dropout(nn.Dropout):
    """``nn.Dropout`` with the keep-mask drawn as ``uniform >= p``: the same Bernoulli(1 - p) mask.

    On the CPU, torch's dropout (``bernoulli_`` plus its backward) took 15 ms forward and backward
    for a 512 x 1024 activation, this 3 ms (1 thread, torch 2.14): it was the largest cost of an
    MLP step after the matrix multiplies. On a GPU torch's fused dropout kernel is used as is.
    """

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0 or input.device.type != "cpu":
            return super().forward(input)
        keep = torch.rand_like(input).ge_(self.p).mul_(1 / (1 - self.p))  # 0 or 1 / (1 - p), in place
        return input * keep


def check_image_shape(image_shape) -> tuple[int, int, int]:
    """``image_shape`` as a (channels, size, size) tuple of ints; a ``ValueError`` naming it if no pair is built for it.

    Allowed: channels 1 or 3, size 28 or a power of two 32 to 256 (:data:`ALLOWED_CHANNELS`, :data:`ALLOWED_SIZES`).
    """
    try:
        shape = tuple(operator.index(value) for value in image_shape)
    except TypeError:
        shape = None
    if shape is None or len(shape) != 3 or any(isinstance(value, bool) for value in image_shape):
        raise ValueError(f"image_shape={image_shape!r}: give (channels, size, size) as 3 ints, e.g. (1, 28, 28)")
    channels, height, width = shape
    if channels not in ALLOWED_CHANNELS:
        raise ValueError(f"image_shape={shape}: {channels} channels; allowed are 1 (grey) or 3 (RGB)")
    if height != width:
        raise ValueError(f"image_shape={shape}: {height} x {width} px; images are square, (channels, size, size)")
    if height not in ALLOWED_SIZES:
        raise ValueError(f"image_shape={shape}: size {height} px; allowed are 28 or a power of two 32, 64, 128, 256")
    return shape


def mlp_generator(latent_dim: int = 100, image_shape: tuple[int, int, int] = (1, 28, 28)) -> nn.Sequential:
    """Figure 1's generator: Linear 100→256→512→1024→C·S² (784 at 1x28x28), LeakyReLU(0.2) between, Tanh last."""
    image_shape = check_image_shape(image_shape)
    pixels = image_shape[0] * image_shape[1] * image_shape[2]
    return nn.Sequential(
        nn.Linear(latent_dim, 256),  # (N, latent) -> (N, 256)
        nn.LeakyReLU(0.2),
        nn.Linear(256, 512),  # -> (N, 512)
        nn.LeakyReLU(0.2),
        nn.Linear(512, 1024),  # -> (N, 1024)
        nn.LeakyReLU(0.2),
        nn.Linear(1024, pixels),  # -> (N, C·S²): (N, 784) at 1x28x28
        nn.Tanh(),
        nn.Unflatten(1, image_shape),  # -> (N, C, S, S)
    )


def mlp_discriminator(image_shape: tuple[int, int, int] = (1, 28, 28)) -> nn.Sequential:
    """Figure 1's discriminator: Linear C·S²→1024→512→256→1, LeakyReLU(0.2) + Dropout(0.3), Sigmoid last."""
    image_shape = check_image_shape(image_shape)
    pixels = image_shape[0] * image_shape[1] * image_shape[2]
    return nn.Sequential(
        nn.Flatten(),  # (N, C, S, S) -> (N, C·S²): (N, 784) at 1x28x28
        nn.Linear(pixels, 1024),  # -> (N, 1024)
        nn.LeakyReLU(0.2),
        Dropout(0.3),
        nn.Linear(1024, 512),  # -> (N, 512)
        nn.LeakyReLU(0.2),
        Dropout(0.3),
        nn.Linear(512, 256),  # -> (N, 256)
        nn.LeakyReLU(0.2),
        Dropout(0.3),
        nn.Linear(256, 1),  # -> (N, 1)
        nn.Sigmoid(),
    )


def dcgan_generator(latent_dim: int = 100, channels: int = 1) -> nn.Sequential:
    """The FashionMNIST study's 28 px DCGAN generator (no biases: BatchNorm follows every layer but the last)."""
    return nn.Sequential(
        nn.Linear(latent_dim, 7 * 7 * 256, bias=False),  # (N, latent) -> (N, 12544)
        nn.BatchNorm1d(7 * 7 * 256),
        nn.LeakyReLU(0.3),
        nn.Unflatten(1, (256, 7, 7)),  # -> (N, 256, 7, 7)
        nn.ConvTranspose2d(256, 128, 5, stride=1, padding=2, bias=False),  # -> (N, 128, 7, 7)
        nn.BatchNorm2d(128),
        nn.LeakyReLU(0.3),
        nn.ConvTranspose2d(128, 64, 5, stride=2, padding=2, output_padding=1, bias=False),  # -> (N, 64, 14, 14)
        nn.BatchNorm2d(64),
        nn.LeakyReLU(0.3),
        nn.ConvTranspose2d(64, channels, 5, stride=2, padding=2, output_padding=1, bias=False),  # -> (N, C, 28, 28)
        nn.Tanh(),
    )


def dcgan_discriminator(spectral_norm: bool = False, channels: int = 1) -> nn.Sequential:
    """The 28 px DCGAN discriminator; ``spectral_norm`` wraps every weighted layer to bound D's Lipschitz constant."""
    norm = _spectral_norm if spectral_norm else (lambda layer: layer)
    return nn.Sequential(
        norm(nn.Conv2d(channels, 64, 5, stride=2, padding=2)),  # (N, C, 28, 28) -> (N, 64, 14, 14)
        nn.LeakyReLU(0.3),
        Dropout(0.3),
        norm(nn.Conv2d(64, 128, 5, stride=2, padding=2)),  # -> (N, 128, 7, 7)
        nn.LeakyReLU(0.3),
        Dropout(0.3),
        nn.Flatten(),  # -> (N, 6272)
        norm(nn.Linear(128 * 7 * 7, 1)),  # -> (N, 1)
        nn.Sigmoid(),
    )


# The sized DCGAN's widths: 64 channels at the image end (pytorch/examples' ngf = ndf = 64), doubling per block towards
# 4x4, capped at 512. At 64 px that is pytorch/examples' 512-256-128-64, which the cap leaves as it is. Uncapped, a 256
# px pair would reach 2048 channels at 4x4: G 48.0 M and D 44.7 M parameters (latent 100), 70 % and 75 % of them in the
# one layer between 2048 channels at 4 px and 1024 at 8 px, maps too small to need them; capped, 12.0 M and 11.2 M.
DCGAN_WIDTH = 64
DCGAN_MAX_WIDTH = 512


def dcgan_widths(size: int) -> tuple[int, ...]:
    """The sized DCGAN's feature widths at 4, 8, ..., size/2 px (G's order; D's is the reverse), one per block.

    min(64 · size / (2r), 512) at r px: (256, 128, 64) at 32 px, (512, 256, 128, 64) at 64 px, (512, 512, 256, 128, 64)
    at 128 px, (512, 512, 512, 256, 128, 64) at 256 px.
    """
    if size not in ALLOWED_SIZES[1:]:
        raise ValueError(f"size={size!r}: the sized DCGAN takes a power of two 32, 64, 128, 256")
    blocks = size.bit_length() - 3  # log2(size / 4): 3 at 32 px ... 6 at 256 px
    return tuple(min(DCGAN_WIDTH * size // (2 * 4 * 2**block), DCGAN_MAX_WIDTH) for block in range(blocks))


def _dcgan_init(module: nn.Module) -> None:
    """pytorch/examples' ``weights_init``: convolutions N(0, 0.02), BatchNorm scale N(1, 0.02), biases 0."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def sized_dcgan_generator(latent_dim: int, image_shape: tuple[int, int, int]) -> nn.Sequential:
    """pytorch/examples' DCGAN generator for (C, S, S) images, S a power of two from 32 to 256.

    Noise (N, latent) to a 4x4 map, then one block per doubling: ConvTranspose2d(4, stride 2, padding 1, no bias:
    BatchNorm follows) + BatchNorm2d + ReLU, the last block to C channels with Tanh. At 3x64x64, latent 100:

        Unflatten                            (N, 100) -> (N, 100, 1, 1)
        ConvTranspose2d(100, 512, 4, 1, 0)   -> (N, 512, 4, 4)     + BatchNorm2d + ReLU
        ConvTranspose2d(512, 256, 4, 2, 1)   -> (N, 256, 8, 8)     + BatchNorm2d + ReLU
        ConvTranspose2d(256, 128, 4, 2, 1)   -> (N, 128, 16, 16)   + BatchNorm2d + ReLU
        ConvTranspose2d(128, 64, 4, 2, 1)    -> (N, 64, 32, 32)    + BatchNorm2d + ReLU
        ConvTranspose2d(64, 3, 4, 2, 1)      -> (N, 3, 64, 64)     + Tanh

    Widths: :func:`dcgan_widths`. Weights initialised as pytorch/examples does (:func:`_dcgan_init`).
    """
    channels, size, _ = check_image_shape(image_shape)
    if size == 28:
        raise ValueError(
            f"image_shape={(channels, size, size)}: the sized DCGAN takes 32 to 256 px; 28 px: dcgan_generator"
        )
    widths = dcgan_widths(size)  # at 4, 8, ..., S/2 px
    layers = [
        nn.Unflatten(1, (latent_dim, 1, 1)),  # (N, latent) -> (N, latent, 1, 1)
        nn.ConvTranspose2d(latent_dim, widths[0], 4, 1, 0, bias=False),  # -> (N, widths[0], 4, 4)
        nn.BatchNorm2d(widths[0]),
        nn.ReLU(),
    ]
    for width, narrower in zip(widths, widths[1:]):  # (N, width, r, r) -> (N, narrower, 2r, 2r), up to S/2 px
        layers += [nn.ConvTranspose2d(width, narrower, 4, 2, 1, bias=False), nn.BatchNorm2d(narrower), nn.ReLU()]
    layers += [
        nn.ConvTranspose2d(widths[-1], channels, 4, 2, 1, bias=False),  # (N, 64, S/2, S/2) -> (N, C, S, S)
        nn.Tanh(),
    ]
    generator = nn.Sequential(*layers)
    generator.apply(_dcgan_init)
    return generator


def sized_dcgan_discriminator(image_shape: tuple[int, int, int], spectral_norm: bool = False) -> nn.Sequential:
    """pytorch/examples' DCGAN discriminator for (C, S, S) images, S a power of two from 32 to 256: G mirrored.

    Conv2d(C, 64, 4, stride 2, padding 1) + LeakyReLU(0.2), no BatchNorm on the image; then one block per halving,
    Conv2d(4, 2, 1, no bias) + BatchNorm2d + LeakyReLU(0.2), down to 4x4; then a Conv2d(4, 1, 0) from the 4x4 map to
    one logit + Flatten + Sigmoid. At 3x64x64:

        Conv2d(3, 64, 4, 2, 1)      (N, 3, 64, 64) -> (N, 64, 32, 32)   + LeakyReLU(0.2)
        Conv2d(64, 128, 4, 2, 1)    -> (N, 128, 16, 16)   + BatchNorm2d + LeakyReLU(0.2)
        Conv2d(128, 256, 4, 2, 1)   -> (N, 256, 8, 8)     + BatchNorm2d + LeakyReLU(0.2)
        Conv2d(256, 512, 4, 2, 1)   -> (N, 512, 4, 4)     + BatchNorm2d + LeakyReLU(0.2)
        Conv2d(512, 1, 4, 1, 0)     -> (N, 1, 1, 1)       + Flatten -> (N, 1) + Sigmoid

    ``spectral_norm``: as in SN-GAN (Miyato et al., 2018), every Conv2d is wrapped in spectral norm and D has no
    BatchNorm; the blocks' convolutions then have a bias (dropped above only because BatchNorm's shift follows).
    Weights initialised as pytorch/examples does (:func:`_dcgan_init`), before spectral norm wraps them.
    """
    channels, size, _ = check_image_shape(image_shape)
    if size == 28:
        raise ValueError(
            f"image_shape={(channels, size, size)}: the sized DCGAN takes 32 to 256 px; 28 px: dcgan_discriminator"
        )
    widths = dcgan_widths(size)[::-1]  # at S/2, S/4, ..., 4 px
    batch_norm = not spectral_norm
    layers = [
        nn.Conv2d(channels, widths[0], 4, 2, 1, bias=False),  # (N, C, S, S) -> (N, 64, S/2, S/2)
        nn.LeakyReLU(0.2),
    ]
    for width, wider in zip(widths, widths[1:]):  # (N, width, r, r) -> (N, wider, r/2, r/2), down to 4 px
        layers += [nn.Conv2d(width, wider, 4, 2, 1, bias=not batch_norm)]
        layers += [nn.BatchNorm2d(wider)] if batch_norm else []
        layers += [nn.LeakyReLU(0.2)]
    layers += [
        nn.Conv2d(widths[-1], 1, 4, 1, 0, bias=False),  # (N, widths[-1], 4, 4) -> (N, 1, 1, 1)
        nn.Flatten(),  # -> (N, 1)
        nn.Sigmoid(),
    ]
    discriminator = nn.Sequential(*layers)
    discriminator.apply(_dcgan_init)
    if spectral_norm:
        for layer in discriminator:
            if isinstance(layer, nn.Conv2d):
                _spectral_norm(layer)  # in place: the layer stays where it is, its weight now the normalised one
    return discriminator


def build_models(
    model: str, latent_dim: int, spectral_norm: bool = False, image_shape: tuple[int, int, int] = (1, 28, 28)
) -> tuple[nn.Sequential, nn.Sequential]:
    """(generator, discriminator) for a model name of :data:`trainables.config.MODELS` and the data's image shape.

    ``image_shape`` (channels, size, size): channels 1 or 3, size 28 or 32, 64, 128, 256 (:func:`check_image_shape`).
    The DCGAN at 28 px is the FashionMNIST study's pair, at 32 to 256 px pytorch/examples' (``sized_dcgan_*``).
    ``spectral_norm`` is the DCGAN discriminator's; the MLP pair has none.
    """
    if model not in ("mlp", "dcgan"):
        raise ValueError(f"model={model!r}: allowed are mlp, dcgan")
    channels, size, _ = image_shape = check_image_shape(image_shape)
    if model == "mlp":
        return mlp_generator(latent_dim, image_shape), mlp_discriminator(image_shape)
    if size == 28:
        return dcgan_generator(latent_dim, channels), dcgan_discriminator(spectral_norm, channels)
    return sized_dcgan_generator(latent_dim, image_shape), sized_dcgan_discriminator(image_shape, spectral_norm)


def logits_module(discriminator: nn.Sequential) -> nn.Sequential:
    """D without its last ``Sigmoid``: the same modules (shared, not copied), giving the logits the losses take."""
    if not isinstance(discriminator[-1], nn.Sigmoid):
        raise ValueError(f"a discriminator ends in Sigmoid, not {discriminator[-1]}")
    return discriminator[:-1]


def parameter_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def layer_table(module: nn.Sequential) -> str:
    """One line per layer with its parameter count, then the total."""
    width = max(len(str(layer)) for layer in module)
    rows = [f"  {index:>2}  {str(layer):<{width}} {parameter_count(layer):>10,}" for index, layer in enumerate(module)]
    return "\n".join(rows + [f"  {'total':<{width + 4}} {parameter_count(module):>10,}"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Print each model's layer table and parameter count.")
    parser.add_argument("--latent-dim", type=int, default=100, help="size of the generator's input noise")
    parser.add_argument("--spectral-norm", action="store_true", help="spectral norm in the DCGAN discriminator")
    parser.add_argument("--channels", type=int, default=1, help="image channels: 1 (grey) or 3 (RGB)")
    parser.add_argument("--image-size", type=int, default=28, help="image height = width: 28, 32, 64, 128 or 256")
    args = parser.parse_args(argv)
    shape = (args.channels, args.image_size, args.image_size)
    try:
        check_image_shape(shape)
    except ValueError as error:
        parser.error(str(error))
    images = "x".join(map(str, shape))
    for model in ("mlp", "dcgan"):
        generator, discriminator = build_models(model, args.latent_dim, args.spectral_norm and model == "dcgan", shape)
        print(f"{model} generator (latent {args.latent_dim}) -> {images} images:\n{layer_table(generator)}\n")
        print(f"{model} discriminator ({images} images):\n{layer_table(discriminator)}\n")


if __name__ == "__main__":
    main()
