"""Learning-rate schedules, built from ``torch.optim.lr_scheduler`` and stepped once per epoch.

Epoch ``e`` (0-based) trains entirely at the LR the scheduler holds after ``e`` steps. The base LR is
the optimizer's, the config's peak LR after ``lr_scaling`` (``TrialConfig.peak_lr_g`` / ``peak_lr_d``):

- ``constant``: the base LR throughout.
- ``step``: base LR x ``step_gamma`` ** (e // ``step_every``); by default x0.1 at epochs 20, 40, ...
- ``warmup_cosine``: linear rise from ``lr_floor`` x base at epoch 0 to the base LR at epoch
  ``warmup_epochs``, then cosine annealing down to ``lr_floor`` x base at the last epoch.
"""

from __future__ import annotations

from torch.optim import Optimizer, lr_scheduler

from trainables.config import TrialConfig


def build_scheduler(optimizer: Optimizer, config: TrialConfig) -> lr_scheduler.LRScheduler:
    """The schedule named by ``config.schedule`` for one optimizer (G and D each get their own)."""
    if config.schedule == "constant":
        return lr_scheduler.ConstantLR(optimizer, factor=1.0, total_iters=0)
    if config.schedule == "step":
        return lr_scheduler.StepLR(optimizer, step_size=config.step_every, gamma=config.step_gamma)
    if config.schedule == "warmup_cosine":
        base_lr = optimizer.param_groups[0]["lr"]
        cosine_epochs = config.epochs - 1 - config.warmup_epochs
        cosine = lr_scheduler.CosineAnnealingLR(optimizer, T_max=cosine_epochs, eta_min=base_lr * config.lr_floor)
        if config.warmup_epochs == 0:
            return cosine
        warmup = lr_scheduler.LinearLR(
            optimizer, start_factor=config.lr_floor, end_factor=1.0, total_iters=config.warmup_epochs
        )
        return lr_scheduler.SequentialLR(optimizer, [warmup, cosine], milestones=[config.warmup_epochs])
    raise ValueError(f"schedule={config.schedule!r}: allowed are constant, step, warmup_cosine")
