"""The training loop on its own, without Ray."""

import dataclasses
import math
import random

import numpy as np
import pytest
import torch
from PIL import Image

from trainables.checkpoint import read_state, restore_checkpoint, save_sample_grid, write_checkpoint
from trainables.config import TrialConfig
from trainables.data import epoch_batches, take_subset
from trainables.loop import GANTraining
from trainables.metric_keys import MACHINE_METRICS, TRAIN_METRICS
from trainables.models import build_models

SMALL = TrialConfig(epochs=3, subset=512, batch_size=64, scheduler="warmup_cosine", warmup_epochs=1)


def comparable(metrics) -> dict:
    return {key: value for key, value in dataclasses.asdict(metrics).items() if key not in MACHINE_METRICS}


def snapshot(module: torch.nn.Module) -> list[torch.Tensor]:
    return [parameter.detach().clone() for parameter in module.parameters()]


def changed(before: list[torch.Tensor], module: torch.nn.Module) -> bool:
    return any(not torch.equal(old, new) for old, new in zip(before, module.parameters()))


@pytest.mark.parametrize("model", ["mlp", "dcgan"])
def test_each_step_changes_only_its_own_network(mnist_images, model):
    training = GANTraining(dataclasses.replace(SMALL, model=model), mnist_images)
    real = training.images[:64].unsqueeze(1).float() / 127.5 - 1
    fake = training.generator(torch.randn(64, SMALL.latent_dim))
    g_before, d_before = snapshot(training.generator), snapshot(training.discriminator)
    training.discriminator_step(real, fake)
    assert changed(d_before, training.discriminator) and not changed(g_before, training.generator)
    assert all(parameter.grad is None for parameter in training.generator.parameters())
    assert not any(parameter.requires_grad for parameter in training.generator.parameters())

    g_before, d_before = snapshot(training.generator), snapshot(training.discriminator)
    training.generator_step(fake)
    assert changed(g_before, training.generator) and not changed(d_before, training.discriminator)
    assert not any(parameter.requires_grad for parameter in training.discriminator.parameters())


def test_epoch_metrics_are_complete_and_finite(mnist_images):
    metrics = GANTraining(SMALL, mnist_images).train_epoch()
    values = dataclasses.asdict(metrics)
    assert tuple(values) == TRAIN_METRICS
    assert all(math.isfinite(value) for value in values.values())
    assert metrics.epoch == 1 and metrics.d_loss > 0 and metrics.g_loss > 0
    assert metrics.d_loss_var > 0 and metrics.g_loss_var > 0  # 8 batches of different losses
    assert 0 < metrics.d_real < 1 and 0 < metrics.d_fake < 1 and 0 <= metrics.d_acc <= 1
    assert metrics.lr_g == metrics.lr_d == pytest.approx(2e-4 * 0.01)  # warmup starts at the floor
    assert metrics.images_per_s == pytest.approx(512 / metrics.epoch_time_s)


def test_same_seed_same_metrics_other_seed_different(mnist_images):
    first = [comparable(m) for m in GANTraining(SMALL, mnist_images).epochs()]
    second = [comparable(m) for m in GANTraining(SMALL, mnist_images).epochs()]
    other = [comparable(m) for m in GANTraining(dataclasses.replace(SMALL, seed=1), mnist_images).epochs()]
    assert len(first) == 3 and first == second
    assert first != other


@pytest.mark.parametrize("model", ["mlp", "dcgan"])
def test_checkpoint_round_trip_continues_like_an_uninterrupted_run(mnist_images, tmp_path, model):
    config = dataclasses.replace(SMALL, model=model, subset=256)
    uninterrupted = [comparable(m) for m in GANTraining(config, mnist_images).epochs()]

    first = GANTraining(config, mnist_images)
    head = [comparable(first.train_epoch())]
    samples = tmp_path / "samples"
    samples.mkdir()
    save_sample_grid(first.sample(), samples / "epoch_0001.png")
    checkpoint = tmp_path / "checkpoint"
    checkpoint.mkdir()
    write_checkpoint(checkpoint, first, samples)
    next_draws = np.random.rand(3).tolist(), random.random()  # the unused global streams, as saved

    torch.manual_seed(12345)  # a restarted worker's RNG is anywhere; the checkpoint must restore it
    resumed = GANTraining(config, mnist_images)
    np.random.seed(6789), random.seed(6789)
    restored_samples = tmp_path / "restored_samples"
    restore_checkpoint(checkpoint, resumed, restored_samples)
    assert (np.random.rand(3).tolist(), random.random()) == next_draws
    assert resumed.epoch == 1
    assert (restored_samples / "epoch_0001.png").is_file()
    tail = [comparable(m) for m in resumed.epochs()]
    assert head + tail == uninterrupted


def test_checkpoint_from_another_config_is_refused(mnist_images, tmp_path):
    training = GANTraining(SMALL, mnist_images)
    write_checkpoint(tmp_path, training, tmp_path)
    other = GANTraining(dataclasses.replace(SMALL, seed=3), mnist_images)
    with pytest.raises(ValueError, match="different config"):
        other.load_state_dict(read_state(tmp_path))


def test_sample_grid_is_a_5x5_png_and_sampling_uses_no_rng(mnist_images, tmp_path):
    training = GANTraining(SMALL, mnist_images)
    state = torch.get_rng_state()
    images = training.sample()
    assert torch.equal(torch.get_rng_state(), state)
    assert images.shape == (25, 1, 28, 28) and torch.equal(images, training.sample())
    save_sample_grid(images, tmp_path / "grid.png")
    with Image.open(tmp_path / "grid.png") as grid:
        assert grid.size == (5 * 28 + 6 * 2, 5 * 28 + 6 * 2)


def straightforward_losses(config: TrialConfig, images: torch.Tensor) -> list[tuple[float, float]]:
    """Per epoch (mean D loss, mean G loss) of the assignment's recipe written the plain way: unfused
    Adam, no freezing (the other network's stray gradients are zeroed before its own step), and a
    host sync per batch. Same seed and so the same random draws, in the same order, as the loop."""
    torch.manual_seed(config.seed)
    generator, discriminator = build_models(config.model, config.latent_dim)
    betas = (config.beta1, config.beta2)
    opt_g = torch.optim.Adam(generator.parameters(), lr=config.lr_g, betas=betas, foreach=False)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=config.lr_d, betas=betas, foreach=False)
    bce, batch_order = torch.nn.BCELoss(), torch.Generator().manual_seed(config.seed)
    epochs = []
    for _epoch in range(config.epochs):
        d_losses, g_losses = [], []
        for real in epoch_batches(take_subset(images, config.subset), config.batch_size, batch_order):
            ones, zeros = torch.ones(len(real), 1), torch.zeros(len(real), 1)
            fake = generator(torch.randn(len(real), config.latent_dim))
            opt_d.zero_grad()
            d_loss = bce(discriminator(real), ones) + bce(discriminator(fake.detach()), zeros)
            d_loss.backward()
            opt_d.step()
            opt_g.zero_grad()
            g_loss = bce(discriminator(fake), ones)
            g_loss.backward()
            opt_g.step()
            d_losses.append(d_loss.item())
            g_losses.append(g_loss.item())
        epochs.append((sum(d_losses) / len(d_losses), sum(g_losses) / len(g_losses)))
    return epochs


def test_the_fast_loop_computes_the_losses_of_the_straightforward_one(mnist_images):
    """Fused Adam, frozen networks and device-side statistics change no number beyond float rounding:
    every epoch's mean losses agree to a relative 1e-6 (1e-8 measured on a 2-core x86 VM)."""
    config = dataclasses.replace(SMALL, scheduler="constant", epochs=2)
    fast = [loss for m in GANTraining(config, mnist_images).epochs() for loss in (m.d_loss, m.g_loss)]
    plain = [loss for epoch in straightforward_losses(config, mnist_images) for loss in epoch]
    assert fast == pytest.approx(plain, rel=1e-6)
