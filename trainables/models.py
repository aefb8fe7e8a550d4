"""The two generator/discriminator pairs, each an ``nn.Sequential`` that reads like its layer table.

Both pairs speak images of shape (N, 1, 28, 28) in [-1, 1], so the training loop
does not care which one it trains. ``python -m trainables.models`` prints the tables.
"""

from __future__ import annotations

import argparse

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _spectral_norm

IMAGE_SHAPE = (1, 28, 28)
IMAGE_PIXELS = 28 * 28


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


def mlp_generator(latent_dim: int = 100) -> nn.Sequential:
    """Figure 1's generator: Linear 100→256→512→1024→784, LeakyReLU(0.2) between, Tanh last."""
    return nn.Sequential(
        nn.Linear(latent_dim, 256),  # (N, latent) -> (N, 256)
        nn.LeakyReLU(0.2),
        nn.Linear(256, 512),  # -> (N, 512)
        nn.LeakyReLU(0.2),
        nn.Linear(512, 1024),  # -> (N, 1024)
        nn.LeakyReLU(0.2),
        nn.Linear(1024, IMAGE_PIXELS),  # -> (N, 784)
        nn.Tanh(),
        nn.Unflatten(1, IMAGE_SHAPE),  # -> (N, 1, 28, 28)
    )


def mlp_discriminator() -> nn.Sequential:
    """Figure 1's discriminator: Linear 784→1024→512→256→1, LeakyReLU(0.2) + Dropout(0.3), Sigmoid last."""
    return nn.Sequential(
        nn.Flatten(),  # (N, 1, 28, 28) -> (N, 784)
        nn.Linear(IMAGE_PIXELS, 1024),  # -> (N, 1024)
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


def dcgan_generator(latent_dim: int = 100) -> nn.Sequential:
    """The FashionMNIST study's DCGAN generator (no biases: BatchNorm follows every layer but the last)."""
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
        nn.ConvTranspose2d(64, 1, 5, stride=2, padding=2, output_padding=1, bias=False),  # -> (N, 1, 28, 28)
        nn.Tanh(),
    )


def dcgan_discriminator(spectral_norm: bool = False) -> nn.Sequential:
    """The DCGAN discriminator; ``spectral_norm`` wraps every weighted layer to bound D's Lipschitz constant."""
    norm = _spectral_norm if spectral_norm else (lambda layer: layer)
    return nn.Sequential(
        norm(nn.Conv2d(1, 64, 5, stride=2, padding=2)),  # (N, 1, 28, 28) -> (N, 64, 14, 14)
        nn.LeakyReLU(0.3),
        Dropout(0.3),
        norm(nn.Conv2d(64, 128, 5, stride=2, padding=2)),  # -> (N, 128, 7, 7)
        nn.LeakyReLU(0.3),
        Dropout(0.3),
        nn.Flatten(),  # -> (N, 6272)
        norm(nn.Linear(128 * 7 * 7, 1)),  # -> (N, 1)
        nn.Sigmoid(),
    )


def build_models(model: str, latent_dim: int, spectral_norm: bool = False) -> tuple[nn.Sequential, nn.Sequential]:
    """(generator, discriminator) for a model name of :data:`trainables.config.MODELS`."""
    if model == "mlp":
        return mlp_generator(latent_dim), mlp_discriminator()
    if model == "dcgan":
        return dcgan_generator(latent_dim), dcgan_discriminator(spectral_norm)
    raise ValueError(f"model={model!r}: allowed are mlp, dcgan")


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
    args = parser.parse_args(argv)
    for model in ("mlp", "dcgan"):
        generator, discriminator = build_models(model, args.latent_dim, args.spectral_norm and model == "dcgan")
        print(f"{model} generator (latent {args.latent_dim}):\n{layer_table(generator)}\n")
        print(f"{model} discriminator:\n{layer_table(discriminator)}\n")


if __name__ == "__main__":
    main()
