"""The names of everything a trial reports per epoch: one place, imported by the loop, the sweep and analysis."""

from __future__ import annotations

from dataclasses import dataclass, fields

from trainables.config import NUM_CLASSES, TrialConfig


@dataclass(frozen=True)
class EpochMetrics:
    """What one training epoch reports. Losses are means over the epoch's batches."""

    epoch: int  # 1-based: the number of epochs finished
    d_loss: float  # BCE(D(x), 1) + BCE(D(G(z)), 0)
    g_loss: float  # non-saturating BCE(D(G(z)), 1)
    d_loss_var: float  # variance of the per-batch D losses within the epoch: the design's stability metric
    g_loss_var: float  # variance of the per-batch G losses within the epoch
    # d_loss_var minus the part mini-batch sampling explains (per-sample loss variance / batch size, averaged
    # over the epoch's batches): what is left is the losses' movement, comparable across batch sizes.
    d_loss_var_corrected: float
    g_loss_var_corrected: float
    d_real: float  # mean D(x) on real images
    d_fake: float  # mean D(G(z)) on generated images, before D's step
    d_acc: float  # D accuracy on real + fake at threshold 0.5
    lr_g_in_use: float  # the LR in use during this epoch (the config's lr_g is the peak, before lr_scaling)
    lr_d_in_use: float
    g_updates: int  # generator steps taken so far (cumulative): batch sizes compared at equal updates
    images_seen: int  # real training images D has seen so far (cumulative)
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
    """What one evaluation of G's samples reports (trainables.quality.metrics has the definitions)."""

    is_score: float  # Inception-Score formula with the dataset's classifier: mean over 10 splits
    is_std: float  # its std over the splits
    fid: float  # Fréchet distance to the real test set in the classifier's feature space
    precision: float  # fraction of samples on the real data manifold (k-NN, k = 3)
    recall: float  # fraction of the real test set covered by the samples' manifold
    density: float  # real k-NN balls (k = 5) a sample lies in, over k, averaged: ~1 like data, ~0 unlike it
    coverage: float  # fraction of the real k-NN balls (k = 5) holding a sample: falls as modes are dropped
    class_kl: float  # KL(predicted-class histogram ‖ uniform), nats
    classes_covered: int  # classes predicted for at least half their uniform share of the samples


QUALITY_METRICS: tuple[str, ...] = tuple(field.name for field in fields(QualityMetrics))
# Reported beside them: the share of the samples the classifier puts in each class, by label, so that a report can
# name the classes a generator draws (trainables.data.class_names).
CLASS_SHARES: tuple[str, ...] = tuple(f"class_share_{label}" for label in range(NUM_CLASSES))
# Direction of each quality metric: True when higher is better.
HIGHER_IS_BETTER: dict[str, bool] = {
    "is_score": True,
    "is_std": False,
    "fid": False,
    "precision": True,
    "recall": True,
    "density": True,
    "coverage": True,
    "class_kl": False,
    "classes_covered": True,
}
# What each quality metric is measured in, for axis labels.
UNITS: dict[str, str] = {
    "is_score": "effective classes",
    "is_std": "effective classes",
    "fid": "classifier features²",
    "precision": "fraction of samples",
    "recall": "fraction of real images",
    "density": "balls per sample ÷ k",
    "coverage": "fraction of real balls",
    "class_kl": "nats",
    "classes_covered": "classes",
}

# Everything a trial reports per epoch. A key that is also a config field would overwrite the config's value
# (or be overwritten by it) in every table that holds both, as lr_g once did: refused here, at import.
REPORTED_KEYS: tuple[str, ...] = (
    *TRAIN_METRICS,
    *QUALITY_METRICS,
    *CLASS_SHARES,
    EVAL_TIME_S,
    DIVERGED,
    DIVERGED_REASON,
)
_CONFIG_FIELDS = {field.name for field in fields(TrialConfig)}
if _CONFIG_FIELDS & set(REPORTED_KEYS):
    raise ImportError(f"metric keys {sorted(_CONFIG_FIELDS & set(REPORTED_KEYS))} are also TrialConfig fields")
