"""The names of everything a trial reports per epoch: one place, imported by the loop, the sweep and analysis."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class EpochMetrics:
    """What one training epoch reports. Losses are means over the epoch's batches."""

    epoch: int  # 1-based: the number of epochs finished
    d_loss: float  # BCE(D(x), 1) + BCE(D(G(z)), 0)
    g_loss: float  # non-saturating BCE(D(G(z)), 1)
    d_loss_var: float  # variance of the per-batch D losses within the epoch: the stability metric
    g_loss_var: float  # variance of the per-batch G losses within the epoch
    d_real: float  # mean D(x) on real images
    d_fake: float  # mean D(G(z)) on generated images, before D's step
    d_acc: float  # D accuracy on real + fake at threshold 0.5
    lr_g: float  # the LR in use during this epoch
    lr_d: float
    epoch_time_s: float  # wall time of the epoch's training steps
    images_per_s: float  # real images consumed per second
    peak_rss_mib: float  # the process's peak resident memory so far (in Tune: since the trial started)


TRAIN_METRICS: tuple[str, ...] = tuple(field.name for field in fields(EpochMetrics))
# Depend on the machine, so they differ between otherwise identical runs.
MACHINE_METRICS: tuple[str, ...] = ("epoch_time_s", "images_per_s", "peak_rss_mib")

# Reported beside the epoch metrics by the trainable: whether the run stopped early and why.
DIVERGED = "diverged"
DIVERGED_REASON = "diverged_reason"
