"""The GAN training loop: plain PyTorch, no Ray, so it can be run, tested and profiled on its own.

Per batch (the assignment's recipe, as in pytorch/examples' dcgan):

1. ``fake = G(z)`` once, graph kept for the generator step.
2. Discriminator step, G frozen: ``BCE(D(x), 1) + BCE(D(fake.detach()), 0)``.
3. Generator step, D frozen: the non-saturating ``BCE(D(fake), 1)``.

D keeps Figure 1's ``Sigmoid`` as its last module (the model and its parameter counts are as
specified), but the losses are computed from its logits, the output before that module, with
BCE-with-logits: the same function, without the probability's rounding to 0 or 1 (where BCE
clamps its log at -100) and without CUDA's BCE kernel, whose range check on a NaN input is a
device-side assert that kills the process instead of ending the trial as diverged. A non-finite
value now flows into the epoch's statistics on every device, and the divergence rule reads it there.

"Frozen" is ``requires_grad_(False)`` on the other network's parameters, so a step can
only ever write gradients into the network it updates. Per-batch statistics stay on
the device until the epoch ends, so a GPU is not synchronised every batch.

The per-batch statistics (:func:`batch_stats`) and their reduction to an epoch's
(:func:`epoch_stats`) are pure functions of D's outputs and the losses, so they can be
checked on a fixed generator and discriminator without training.
"""

from __future__ import annotations

import dataclasses
import math
import random
import time
from typing import Any, Iterator

import numpy as np
import torch
import torch.nn.functional as F

from trainables.config import NATIVE_SIZE, TrialConfig
from trainables.data import epoch_batches, images_on, take_subset
from trainables.divergence import divergence_reason
from trainables.metric_keys import EpochMetrics
from trainables.models import build_models, logits_module
from trainables.process_memory import peak_rss_mib
from trainables.schedules import build_scheduler
from trainables.training_precision import check_precision, precision_context

SAMPLE_GRID_SIZE = 25  # the 5x5 grid of fixed-noise samples
_FIXED_NOISE_SEED_OFFSET = 1_000_003  # keeps the sample noise apart from the training noise stream
# One batch's statistics, the columns of a row of :func:`batch_stats`. The sampling variances are the parts of
# the batch's D and G losses that come from which samples the batch drew (see :func:`sampling_variance`).
BATCH_STATS = ("d_loss", "g_loss", "d_real", "d_fake", "d_acc", "d_loss_sampling_var", "g_loss_sampling_var")
# Reported as their means over the epoch's batches.
EPOCH_MEANS = ("d_loss", "g_loss", "d_real", "d_fake", "d_acc")
LOSSES = ("d_loss", "g_loss")  # reported with their within-epoch variance, raw and corrected for sampling


def bce(logits: torch.Tensor, label: float, reduction: str = "mean") -> torch.Tensor:
    """BCE(sigmoid(logits), label), computed from the logits in fp32 (also under bf16 autocast)."""
    logits = logits.float()
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, label), reduction=reduction)


def discriminator_loss(logits_on_real: torch.Tensor, logits_on_fake: torch.Tensor) -> torch.Tensor:
    """BCE(D(x), 1) + BCE(D(G(z)), 0), each a mean over its batch, from D's logits."""
    return bce(logits_on_real, 1.0) + bce(logits_on_fake, 0.0)


def generator_loss(logits_on_fake: torch.Tensor) -> torch.Tensor:
    """The non-saturating BCE(D(G(z)), 1), a mean over the batch, from D's logits."""
    return bce(logits_on_fake, 1.0)


def sampling_variance(per_sample_losses: torch.Tensor) -> torch.Tensor:
    """How much a batch-mean loss varies only because of which samples the batch drew.

    The mean of B independent per-sample losses varies by their variance / B, estimated here
    with the batch's own unbiased per-sample variance.
    """
    return per_sample_losses.var(correction=1) / per_sample_losses.numel()


def batch_stats(
    d_loss: torch.Tensor,
    g_loss: torch.Tensor,
    logits_on_real: torch.Tensor,
    logits_on_fake: torch.Tensor,
    logits_on_fake_in_g_step: torch.Tensor,
) -> torch.Tensor:
    """One batch's row of :data:`BATCH_STATS`, on the batch's device (nothing is synchronised).

    ``d_loss`` and ``g_loss`` are the losses the steps trained on, ``logits_on_real`` and ``logits_on_fake``
    D's detached logits in its own step, ``logits_on_fake_in_g_step`` the updated D's logits in G's step.
    D(x) and D(G(z)) are reported as probabilities, D's Sigmoid of those logits.
    The per-sample losses are recomputed from those logits rather than taken from the training loss,
    so the training computes exactly what it did without them. D's loss is the sum of two independent
    batch means (real and fake), so its sampling variance is the sum of theirs.
    """
    real_losses = bce(logits_on_real, 1.0, reduction="none")
    fake_losses = bce(logits_on_fake, 0.0, reduction="none")
    g_losses = bce(logits_on_fake_in_g_step, 1.0, reduction="none")
    d_on_real, d_on_fake = torch.sigmoid(logits_on_real.float()), torch.sigmoid(logits_on_fake.float())
    stats = {
        "d_loss": d_loss,
        "g_loss": g_loss,
        "d_real": d_on_real.mean(),
        "d_fake": d_on_fake.mean(),
        "d_acc": ((d_on_real > 0.5).float().mean() + (d_on_fake < 0.5).float().mean()) / 2,
        "d_loss_sampling_var": sampling_variance(real_losses) + sampling_variance(fake_losses),
        "g_loss_sampling_var": sampling_variance(g_losses),
    }
    return torch.stack([stats[name] for name in BATCH_STATS])


def epoch_stats(per_batch: torch.Tensor) -> dict[str, float]:
    """The epoch's loss and D statistics, named as in :class:`EpochMetrics`, from its (batches, BATCH_STATS) rows.

    Each loss's variance is the sample variance (n − 1) of its per-batch values, unbiased like the
    sampling variance it is compared with, so that their difference is not biased by the number of
    batches (NaN with one batch). That variance shrinks with the batch size even when the losses do not
    move, because a bigger batch's mean is less noisy; its ``_corrected`` version subtracts the epoch's
    mean sampling variance (:func:`sampling_variance`), leaving the movement of the losses themselves,
    comparable across batch sizes.
    """
    column = dict(zip(BATCH_STATS, per_batch.double().unbind(dim=1)))
    stats = {name: column[name].mean().item() for name in EPOCH_MEANS}
    for loss in LOSSES:
        variance = column[loss].var(correction=1).item() if len(per_batch) > 1 else math.nan
        stats[f"{loss}_var"] = variance
        stats[f"{loss}_var_corrected"] = variance - column[f"{loss}_sampling_var"].mean().item()
    return stats


class GANTraining:
    """One trial's models, optimizers, schedules and RNG streams, advanced an epoch at a time.

    Everything that decides the next epoch's numbers is in :meth:`state_dict`, so a run
    restored from it continues exactly as the uninterrupted run would have (on the CPU).
    ``memory_for_images``: the most bytes of ``device`` memory the training images may take (None: any); larger ones
    stay in host memory and go to the device a batch at a time.
    """

    def __init__(
        self,
        config: TrialConfig,
        images: torch.Tensor,
        device: str | torch.device = "cpu",
        memory_for_images: int | None = None,
    ):
        self.config = config
        self.device = torch.device(device)
        check_precision(config.training_precision, self.device)
        torch.manual_seed(config.seed)  # model init, the training noise z and dropout masks
        # Unused by the loop, but seeded and checkpointed so that code added to it (augmentation, say) stays exact.
        np.random.seed(config.seed)
        random.seed(config.seed)
        if tuple(images.shape[1:]) != config.image_shape:
            raise ValueError(
                f"images of shape {tuple(images.shape[1:])} for a trial of image_shape {config.image_shape} "
                "(channels, size, size)"
            )
        generator, discriminator = build_models(
            config.model, config.latent_dim, config.spectral_norm, config.image_shape
        )
        self.generator = generator.to(self.device)
        self.discriminator = discriminator.to(self.device)
        self.discriminator_logits = logits_module(self.discriminator)
        betas = (config.beta1, config.beta2)
        # fused: one kernel per step for all parameters, instead of a handful of ops per tensor
        # The peak LRs after lr_scaling; the schedules act relative to them.
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=config.peak_lr_g, betas=betas, fused=True)
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=config.peak_lr_d, betas=betas, fused=True)
        self.sched_g = build_scheduler(self.opt_g, config)
        self.sched_d = build_scheduler(self.opt_d, config)
        self.images = images_on(self.device, take_subset(images, config.subset), memory_for_images)
        if len(self.images) < config.batch_size:
            raise ValueError(
                f"batch_size={config.batch_size}: more than the {len(self.images)} training images; an epoch trains "
                "on full batches"
            )
        self.batch_order = torch.Generator().manual_seed(config.seed)
        noise_rng = torch.Generator().manual_seed(config.seed + _FIXED_NOISE_SEED_OFFSET)
        self.fixed_noise = torch.randn(SAMPLE_GRID_SIZE, config.latent_dim, generator=noise_rng).to(self.device)
        self.epoch = 0
        self.g_updates = 0  # generator steps taken, counted as they complete
        self.recent: list[EpochMetrics] = []  # the last few epochs, for the divergence rule
        self.diverged: str | None = None  # why training stopped early, once it has

    def epochs(self) -> Iterator[EpochMetrics]:
        """Train the remaining epochs, yielding each one's metrics; stops early once the run diverged."""
        while not self.finished:
            yield self.train_epoch()

    @property
    def finished(self) -> bool:
        """All epochs trained, or stopped early because the run diverged."""
        return self.epoch >= self.config.epochs or self.diverged is not None

    def train_epoch(self) -> EpochMetrics:
        lr_g_in_use, lr_d_in_use = self.opt_g.param_groups[0]["lr"], self.opt_d.param_groups[0]["lr"]
        g_updates_before = self.g_updates
        self.generator.train()
        self.discriminator.train()
        started = time.perf_counter()
        batches = epoch_batches(self.images, self.config.batch_size, self.batch_order, self.device)
        rows = [self.train_step(real) for real in batches]
        per_batch = torch.stack(rows).cpu()  # (batches, BATCH_STATS); .cpu() waits for the device
        elapsed = time.perf_counter() - started
        self.sched_g.step()
        self.sched_d.step()
        self.epoch += 1
        metrics = EpochMetrics(
            epoch=self.epoch,
            **epoch_stats(per_batch),
            lr_g_in_use=lr_g_in_use,
            lr_d_in_use=lr_d_in_use,
            g_updates=self.g_updates,
            images_seen=self.g_updates * self.config.batch_size,  # each G step follows D's step on one real batch
            epoch_time_s=elapsed,
            images_per_s=(self.g_updates - g_updates_before) * self.config.batch_size / elapsed,
            peak_rss_mib=peak_rss_mib(),
        )
        self.recent = (self.recent + [metrics])[-max(1, self.config.divergence_patience) :]
        self.diverged = divergence_reason(self.recent, self.config.divergence_patience)
        return metrics

    def train_step(self, real: torch.Tensor) -> torch.Tensor:
        """One D step and one G step in the trial's precision; returns the batch's row of :data:`BATCH_STATS`.

        The precision's context spans one step, not the epoch: autocast keeps its bf16 copy of each trainable
        weight until the context exits, so over an epoch D would run on its first batch's weights throughout."""
        with precision_context(self.config.training_precision, self.device):
            z = torch.randn(len(real), self.config.latent_dim, device=self.device)
            fake = self.generator(z)
            d_loss, logits_on_real, logits_on_fake = self.discriminator_step(real, fake)
            g_loss, logits_on_fake_in_g_step = self.generator_step(fake)
        return batch_stats(d_loss, g_loss, logits_on_real, logits_on_fake, logits_on_fake_in_g_step)

    def discriminator_step(self, real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Update D on real (label 1) and detached fake (label 0) images, with G frozen.

        Returns the loss and D's logits on x and on G(z), all detached."""
        self.generator.requires_grad_(False)
        self.discriminator.requires_grad_(True)
        logits_on_real = self.discriminator_logits(real)
        logits_on_fake = self.discriminator_logits(fake.detach())
        d_loss = discriminator_loss(logits_on_real, logits_on_fake)
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()
        return d_loss.detach(), logits_on_real.detach(), logits_on_fake.detach()

    def generator_step(self, fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Update G so D calls its fakes real (non-saturating loss), with D frozen.

        Returns the loss and the updated D's logits on G(z), both detached."""
        self.generator.requires_grad_(True)
        self.discriminator.requires_grad_(False)
        logits_on_fake = self.discriminator_logits(fake)
        g_loss = generator_loss(logits_on_fake)
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_g.step()
        self.g_updates += 1
        return g_loss.detach(), logits_on_fake.detach()

    @torch.no_grad()
    def sample(self) -> torch.Tensor:
        """G's images (in [-1, 1]) for the fixed noise, in eval mode; consumes no RNG."""
        self.generator.eval()
        images = self.generator(self.fixed_noise).cpu()
        self.generator.train()
        return images

    def state_dict(self) -> dict[str, Any]:
        """Everything :meth:`load_state_dict` needs; loadable with ``torch.load(weights_only=True)``."""
        rng = {
            "torch": torch.get_rng_state(),
            "batch_order": self.batch_order.get_state(),
            "numpy": _numpy_rng_state(),
            "python": random.getstate(),
        }
        if self.device.type == "cuda":
            rng["cuda"] = torch.cuda.get_rng_state(self.device)
        return {
            "epoch": self.epoch,
            "g_updates": self.g_updates,
            "config": self.config.to_dict(),
            "image_shape": list(self.config.image_shape),  # (C, H, W) the networks were built for
            "generator": self.generator.state_dict(),
            "discriminator": self.discriminator.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "sched_g": self.sched_g.state_dict(),
            "sched_d": self.sched_d.state_dict(),
            "rng": rng,
            "recent": [dataclasses.asdict(metrics) for metrics in self.recent],
            "diverged": self.diverged,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        saved = TrialConfig.from_dict(state["config"])
        differing = [
            f"{name} {value!r} (this trial's: {getattr(self.config, name)!r})"
            for name, value in saved.to_dict().items()
            if value != getattr(self.config, name)
        ]
        if differing:
            raise ValueError(f"checkpoint was written by a different config: {'; '.join(differing)}")
        # Before images had a shape of their own setting, every checkpoint was of 1 x 28 x 28 images.
        shape = tuple(state.get("image_shape", (1, NATIVE_SIZE, NATIVE_SIZE)))
        if shape != self.config.image_shape:
            raise ValueError(
                f"checkpoint was written for {'x'.join(map(str, shape))} images, this trial's are "
                f"{'x'.join(map(str, self.config.image_shape))}: resume it with the data it was trained on"
            )
        self.epoch = state["epoch"]
        self.g_updates = state["g_updates"]
        self.recent = [EpochMetrics(**metrics) for metrics in state["recent"]]
        self.diverged = state["diverged"]
        self.generator.load_state_dict(state["generator"])
        self.discriminator.load_state_dict(state["discriminator"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.sched_g.load_state_dict(state["sched_g"])
        self.sched_d.load_state_dict(state["sched_d"])
        torch.set_rng_state(state["rng"]["torch"])
        self.batch_order.set_state(state["rng"]["batch_order"])
        _set_numpy_rng_state(state["rng"]["numpy"])
        random.setstate(state["rng"]["python"])
        if self.device.type == "cuda" and "cuda" in state["rng"]:
            torch.cuda.set_rng_state(state["rng"]["cuda"], self.device)


def _numpy_rng_state() -> dict[str, Any]:
    """numpy's global RNG state with its key as a tensor, which ``torch.load(weights_only=True)`` accepts."""
    state = np.random.get_state(legacy=False)
    return {
        **state,
        "state": {"key": torch.from_numpy(state["state"]["key"].astype(np.int64)), "pos": state["state"]["pos"]},
    }


def _set_numpy_rng_state(state: dict[str, Any]) -> None:
    key = state["state"]["key"].numpy().astype(np.uint32)
    np.random.set_state({**state, "state": {"key": key, "pos": state["state"]["pos"]}})
