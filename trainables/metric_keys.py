"""The metric registry: every metric a trial reports and every per-trial number the analysis derives, once, with its
label, unit, better direction and the views that show it (:data:`METRICS`). The loop, the evaluator, the sweep's
views and the report derive their lists from it."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from trainables.config import CLASSIFIER, EXTRACTOR_CLASSES, NUM_CLASSES, TrialConfig


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
# A trial's status, one vocabulary for every table and view: Tune's own, and DIVERGED_STATUS for a trial that stopped
# early because it diverged (analysis.load and tune_gan.results_table set it where the last report says DIVERGED).
TERMINATED, ERROR, RUNNING, PENDING, DIVERGED_STATUS = "TERMINATED", "ERROR", "RUNNING", "PENDING", "DIVERGED"


# Where a metric is shown; each is a Metric's ``shown_in`` member, and each list of what a view shows is derived
# from the registry below by :func:`shown_in`.
PROGRESS = "progress"  # the sweep's trial rows while it runs (and Tune's table under --verbose)
SWEEP_TABLE = "sweep table"  # the table a sweep ends with (tune_gan.results_table)
RANKABLE_QUALITY = "rankable"  # a quality metric the report shows and both --rank-by flags accept
CONFIG_ESTIMATE = "config estimate"  # estimated over each config's seeds at their last epoch (analysis.stats)
LATE_MEAN = "late mean"  # as late_*: its mean over a trial's last LATE_EPOCHS epochs, estimated over seeds
CONFIG_TABLE = "config table"  # the report's per-config table, after the quality metrics
TRIAL_TABLE = "trial table"  # the report's per-trial table, after the seed
BESIDE_RANKING = "beside the ranking"  # the report's ranked table: shown beside the ranking metric (first two)
PARALLEL = "parallel coordinates"  # an axis of the report's parallel-coordinates figure, where measured
VIEWS = (
    PROGRESS,
    SWEEP_TABLE,
    RANKABLE_QUALITY,
    CONFIG_ESTIMATE,
    LATE_MEAN,
    CONFIG_TABLE,
    TRIAL_TABLE,
    BESIDE_RANKING,
    PARALLEL,
)

NON_NEGATIVE, UNIT_INTERVAL, ANY_REAL = (0.0, math.inf), (0.0, 1.0), (-math.inf, math.inf)

# Who computes a metric: a training epoch (EpochMetrics), one evaluation of G's samples (a scorer of
# trainables.quality.scorers), or the analysis from a trial's history (analysis.stats.per_trial).
TRAINING, QUALITY, PER_TRIAL = "training", "quality", "per trial"


@dataclass(frozen=True)
class Metric:
    """One metric, once: its key in results and tables, its header in the progress view, its unit for axis labels,
    which direction is better (None where neither is: a loss is not a score), where it is shown, the values it can
    take and the scale its estimates over seeds are taken on (analysis.intervals)."""

    key: str
    source: str  # TRAINING, QUALITY or PER_TRIAL
    label: str = ""  # its name in headers and the report's tables; the key where empty
    unit: str = ""
    higher_is_better: bool | None = None
    shown_in: tuple[str, ...] = ()  # of VIEWS
    value_range: tuple[float, float] = NON_NEGATIVE  # an interval over seeds is clipped to it (in the classifier's)
    # Its ceiling is the number of classes of the features it was scored in (trainables.config.EXTRACTOR_CLASSES).
    ceiling_is_classes: bool = False
    log_scale: bool = False  # estimated as a geometric mean and compared as a ratio (a skewed, positive metric)
    # Counts the dataset's own classes, so it exists only in a shipped classifier's features (NaN in a trial's results
    # otherwise, and left out of `tune-gan evaluate`'s).
    needs_classes: bool = False

    def __post_init__(self) -> None:
        unknown = sorted(set(self.shown_in) - set(VIEWS))
        if self.source not in (TRAINING, QUALITY, PER_TRIAL) or unknown:
            raise ValueError(f"metric {self.key!r}: source {self.source!r} or views {unknown} unknown")


_LOSS_VARIANCE = (SWEEP_TABLE, LATE_MEAN)

# Every metric a trial reports and every per-trial number the analysis derives, in the order tables show them. A
# new quality metric is its entry here and its scorer (trainables.quality.scorers); a view shows it when listed in
# its shown_in.
METRICS: tuple[Metric, ...] = (
    Metric("epoch", TRAINING, "epoch", shown_in=(PROGRESS,)),
    Metric("d_loss", TRAINING, "D loss", "nats", shown_in=(PROGRESS, SWEEP_TABLE, CONFIG_ESTIMATE, PARALLEL)),
    Metric("g_loss", TRAINING, "G loss", "nats", shown_in=(PROGRESS, SWEEP_TABLE, CONFIG_ESTIMATE, PARALLEL)),
    Metric("d_loss_var", TRAINING, "D loss variance", "nats²", shown_in=_LOSS_VARIANCE),
    # Less the sampling noise's share, which can exceed the whole: negative values happen.
    Metric(
        "d_loss_var_corrected",
        TRAINING,
        "corrected D loss variance",
        "nats²",
        shown_in=(LATE_MEAN,),
        value_range=ANY_REAL,
    ),
    Metric("g_loss_var", TRAINING, "G loss variance", "nats²", shown_in=_LOSS_VARIANCE),
    Metric(
        "g_loss_var_corrected",
        TRAINING,
        "corrected G loss variance",
        "nats²",
        shown_in=(LATE_MEAN,),
        value_range=ANY_REAL,
    ),
    Metric("d_real", TRAINING, "D(x)", "probability", shown_in=(CONFIG_ESTIMATE,), value_range=UNIT_INTERVAL),
    Metric("d_fake", TRAINING, "D(G(z))", "probability", shown_in=(CONFIG_ESTIMATE,), value_range=UNIT_INTERVAL),
    Metric("lr_g_in_use", TRAINING, unit="LR"),
    Metric("lr_d_in_use", TRAINING, unit="LR"),
    Metric("g_updates", TRAINING, "G updates", "G steps", shown_in=(CONFIG_ESTIMATE, CONFIG_TABLE, TRIAL_TABLE)),
    Metric("images_seen", TRAINING, unit="images"),
    Metric("epoch_time_s", TRAINING, unit="s"),
    Metric("images_per_s", TRAINING, unit="images/s"),
    Metric("peak_rss_mib", TRAINING, unit="MiB"),
    Metric(
        "fid",
        QUALITY,
        label="FID",
        unit="features²",
        higher_is_better=False,
        shown_in=(PROGRESS, SWEEP_TABLE, RANKABLE_QUALITY, TRIAL_TABLE, BESIDE_RANKING, PARALLEL),
        log_scale=True,
    ),
    Metric(
        "is_score",
        QUALITY,
        label="IS",
        unit="effective classes",
        higher_is_better=True,
        shown_in=(SWEEP_TABLE, RANKABLE_QUALITY, TRIAL_TABLE, PARALLEL),
        value_range=(1.0, float(NUM_CLASSES)),
        ceiling_is_classes=True,
    ),
    Metric("is_std", QUALITY, unit="effective classes", higher_is_better=False),
    Metric(
        "coverage",
        QUALITY,
        unit="fraction of real balls",
        higher_is_better=True,
        shown_in=(SWEEP_TABLE, RANKABLE_QUALITY, TRIAL_TABLE, BESIDE_RANKING, PARALLEL),
        value_range=UNIT_INTERVAL,
    ),
    Metric(
        "density",
        QUALITY,
        unit="balls per sample ÷ k",
        higher_is_better=True,
        shown_in=(SWEEP_TABLE, RANKABLE_QUALITY, TRIAL_TABLE, PARALLEL),
    ),
    Metric(
        "precision",
        QUALITY,
        unit="fraction of samples",
        higher_is_better=True,
        shown_in=(SWEEP_TABLE, RANKABLE_QUALITY, TRIAL_TABLE, PARALLEL),
        value_range=UNIT_INTERVAL,
    ),
    Metric(
        "recall",
        QUALITY,
        unit="fraction of real images",
        higher_is_better=True,
        shown_in=(SWEEP_TABLE, RANKABLE_QUALITY, TRIAL_TABLE, PARALLEL),
        value_range=UNIT_INTERVAL,
    ),
    Metric(
        "class_kl",
        QUALITY,
        "class KL",
        unit="nats",
        higher_is_better=False,
        shown_in=(SWEEP_TABLE, RANKABLE_QUALITY, PARALLEL),
        needs_classes=True,
        value_range=(0.0, math.log(NUM_CLASSES)),
    ),
    Metric(
        "classes_covered",
        QUALITY,
        label="classes",
        unit="classes",
        higher_is_better=True,
        shown_in=(PROGRESS, SWEEP_TABLE, RANKABLE_QUALITY, TRIAL_TABLE, BESIDE_RANKING, PARALLEL),
        value_range=(0.0, float(NUM_CLASSES)),
        needs_classes=True,
    ),
    # The samples' mean pairwise feature distance ÷ the real test set's: about 1 for the data's variety, near 0 for one
    # image for every z (analysis.outcomes). Higher is better up to the data's 1, not beyond, so it ranks nothing.
    Metric(
        "diversity",
        QUALITY,
        unit="mean distance ÷ real's",
        higher_is_better=True,
        shown_in=(TRIAL_TABLE,),
    ),
    Metric("fid_fluctuation", PER_TRIAL, "FID fluctuation", "FID ratio", shown_in=(CONFIG_TABLE, TRIAL_TABLE)),
    Metric(
        "late_d_loss_var_corrected",
        PER_TRIAL,
        unit="nats²",
        shown_in=(CONFIG_TABLE, TRIAL_TABLE, PARALLEL),
        value_range=ANY_REAL,
    ),
    Metric("late_d_loss_var", PER_TRIAL, unit="nats²", shown_in=(CONFIG_TABLE, TRIAL_TABLE, PARALLEL)),
    Metric("late_g_loss_var_corrected", PER_TRIAL, unit="nats²", value_range=ANY_REAL),
    Metric("late_g_loss_var", PER_TRIAL, unit="nats²"),
    Metric(
        "d_acc",
        TRAINING,
        "D accuracy",
        unit="fraction",
        shown_in=(CONFIG_ESTIMATE, CONFIG_TABLE, PARALLEL),
        value_range=UNIT_INTERVAL,
    ),
    Metric("epochs_done", PER_TRIAL, unit="epochs", shown_in=(CONFIG_TABLE,)),
)
METRIC: dict[str, Metric] = {metric.key: metric for metric in METRICS}


def shown_in(view: str) -> tuple[str, ...]:
    """The keys of the metrics ``view`` shows, in the registry's order."""
    return tuple(metric.key for metric in METRICS if view in metric.shown_in)


def value_range(key: str, extractor: str = CLASSIFIER) -> tuple[float, float]:
    """The values ``key`` can take when scored in ``extractor``'s features (non-negative for a name not registered):
    the Inception Score lies in [1, 10] in a shipped classifier's, in [1, 1008] in Inception's."""
    metric = METRIC.get(key)
    if metric is None:
        return NON_NEGATIVE
    floor, ceiling = metric.value_range
    return (floor, float(EXTRACTOR_CLASSES[extractor])) if metric.ceiling_is_classes else (floor, ceiling)


def label(key: str) -> str:
    """The metric's name in headers and the report's words ("FID", "G updates")."""
    return METRIC[key].label or key


def of_source(source: str) -> tuple[str, ...]:
    """The keys of the metrics ``source`` computes, in the registry's order."""
    return tuple(metric.key for metric in METRICS if metric.source == source)


QUALITY_METRICS: tuple[str, ...] = of_source(QUALITY)
RANKABLE: tuple[str, ...] = shown_in(RANKABLE_QUALITY)
HIGHER_IS_BETTER: dict[str, bool] = {
    metric.key: metric.higher_is_better for metric in METRICS if metric.higher_is_better is not None
}
UNITS: dict[str, str] = {metric.key: metric.unit for metric in METRICS}
# Reported beside the quality metrics: the share of the samples the classifier puts in each class, by label, so
# that a report can name the classes a generator draws (trainables.data.class_names).
CLASS_SHARES: tuple[str, ...] = tuple(f"class_share_{label}" for label in range(NUM_CLASSES))
# Reported beside every evaluation: what known sets score against the same reference in the same features
# (trainables.quality.anchors): a real sample, one real image repeated and uniform noise, each by these metrics. The
# label-free outcome lines (analysis.outcomes) are set by them.
ANCHORS: tuple[str, ...] = ("real", "one_image", "noise")
ANCHOR_METRICS: tuple[str, ...] = ("fid", "coverage", "diversity")


def anchor_key(anchor: str, metric: str) -> str:
    """'anchor_noise_coverage': the column of what ``anchor`` scores in ``metric``."""
    return f"anchor_{anchor}_{metric}"


ANCHOR_KEYS: tuple[str, ...] = tuple(anchor_key(anchor, metric) for anchor in ANCHORS for metric in ANCHOR_METRICS)

# Everything a trial reports per epoch. A key that is also a config field would overwrite the config's value (or be
# overwritten by it) in every table that holds both: refused here, at import.
REPORTED_KEYS: tuple[str, ...] = (
    *TRAIN_METRICS,
    *QUALITY_METRICS,
    *CLASS_SHARES,
    *ANCHOR_KEYS,
    EVAL_TIME_S,
    DIVERGED,
    DIVERGED_REASON,
)
_CONFIG_FIELDS = {field.name for field in fields(TrialConfig)}
if _CONFIG_FIELDS & set(REPORTED_KEYS):
    raise ImportError(f"metric keys {sorted(_CONFIG_FIELDS & set(REPORTED_KEYS))} are also TrialConfig fields")
_UNREGISTERED = set(TRAIN_METRICS) ^ set(of_source(TRAINING))
if _UNREGISTERED:
    raise ImportError(f"EpochMetrics fields and the registry's training metrics differ: {sorted(_UNREGISTERED)}")
_UNREGISTERED_LATE = {f"late_{key}" for key in shown_in(LATE_MEAN)} ^ {
    key for key in of_source(PER_TRIAL) if key.startswith("late_")
}
if _UNREGISTERED_LATE:
    raise ImportError(f"late means and the registry's late_ metrics differ: {sorted(_UNREGISTERED_LATE)}")
_UNRANKABLE = [key for key in shown_in(RANKABLE_QUALITY) if METRIC[key].higher_is_better is None]
if _UNRANKABLE:
    raise ImportError(f"rankable metrics without a better direction: {_UNRANKABLE}")
