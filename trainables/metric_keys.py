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
# Seconds one quality evaluation took; reported every epoch (0.0 when the epoch was not evaluated), never
# part of epoch_time_s or images_per_s.
EVAL_TIME_S = "eval_time_s"
# Depend on the machine, so they differ between otherwise identical runs.
MACHINE_METRICS: tuple[str, ...] = ("epoch_time_s", "images_per_s", "peak_rss_mib", EVAL_TIME_S)

# Reported beside the epoch metrics by the trainable: whether the run stopped early and why.
DIVERGED = "diverged"
DIVERGED_REASON = "diverged_reason"


@dataclass(frozen=True)
class QualityMetrics:
    """What one evaluation of G's samples reports (trainables.quality has the definitions)."""

    is_score: float  # Inception-Score formula with the dataset's classifier: mean over 10 splits
    is_std: float  # its std over the splits
    fid: float  # Fréchet distance to the real test set in the classifier's feature space
    precision: float  # fraction of samples on the real data manifold (k-NN, k = 3)
    recall: float  # fraction of the real test set covered by the samples' manifold
    class_kl: float  # KL(predicted-class histogram ‖ uniform), nats
    classes_covered: int  # classes predicted for at least half their uniform share of the samples


QUALITY_METRICS: tuple[str, ...] = tuple(field.name for field in fields(QualityMetrics))
# Direction of each quality metric: True when higher is better.
HIGHER_IS_BETTER: dict[str, bool] = {
    "is_score": True,
    "is_std": False,
    "fid": False,
    "precision": True,
    "recall": True,
    "class_kl": False,
    "classes_covered": True,
}
