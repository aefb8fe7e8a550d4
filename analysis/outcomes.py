"""What each trial ended as, judged by what its samples show rather than by how calm its losses were.

A calm loss is not a good run: a collapsed generator and a winning discriminator give low loss
variance, and a decaying LR, a larger batch and fewer updates per epoch lower it by construction.
So a trial is judged by its divergence (the loop's rule, trainables.divergence) and by its
samples' quality at each evaluation (trainables.quality.metrics), and a generator that has not learned
the data yet is told apart from one that learned it and then dropped modes. Every threshold is
defined here, once, and printed in the report as :data:`DEFINITIONS`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import torch

from trainables.data import class_names
from trainables.divergence import COLLAPSE_D_LOSS, SATURATION
from trainables.metric_keys import ANCHOR_METRICS, ANCHORS, CLASS_SHARES, DIVERGED_STATUS, TERMINATED, anchor_key
from trainables.quality.metrics import covered

# An evaluation drew the data when at least this share of the real test set's k-NN neighbourhoods (k = 5) holds a
# sample (coverage). Measured with the MNIST evaluator on 5,000 samples of the README's study: grey blobs (batch 1024,
# 12 epochs) 0.0006-0.0017, even where their density was 0.93 and precision 1.00 (they sit in a few large balls of
# outlying real images); noisy but readable 1s only (batch 128 · warmup_cosine) 0.013, with density 0.34. On 5,000
# real images: 1s only 0.12, 0s, 1s and 7s 0.32; 10,000 real training images 0.95.
LEARNED_COVERAGE = 0.005
# ... and at least this many times what the anchors of failure score, one real image repeated and uniform noise
# (trainables.quality.anchors), in whatever features the study was scored in. In the MNIST classifier's, one digit
# repeated covers 0.0003 and noise 0.0001 (10,000 each), and grey blobs, the generator that did not learn,
# 0.0006-0.0017: up to 5.7x the repeated digit, so LEARNED_COVERAGE stands there; in Inception's features on a user's
# folder, where these were never measured, the line rises with what failure scores.
FAILURE_MARGIN = 5
FEW_MODES_CLASSES = 5  # having drawn the data, G has mode-collapsed when at most this many classes get a fair share
COVERAGE_DROP = 0.5  # ... or when its coverage fell below this fraction of its best so far
# An evaluation shows one image for every z when its samples' mean pairwise feature distance is below this fraction of
# the real test set's (`diversity`). Measured with the MNIST evaluator on the 2-core EPYC VM, 5,000 images a set: a
# generator forced to one output 0.0016-0.0018; one real digit under pixel noise of σ 2, 8, 16 and 32 grey levels
# 0.0099, 0.038, 0.074 and 0.14; an untrained Figure 1 G 0.019; grey blobs (batch 1024 · constant, epochs 1-11 of
# seeds 0-2; batch 128 · warmup_cosine, epochs 1-3) 0.047-0.15; batch 128 · constant seed 0 drawing its first 1s, 3s
# and 8s at epochs 3-4, 0.37 and 0.32, then one noisy glyph for every z at epochs 5-6, 0.094 and 0.096; varied digits
# (batch 128, epoch 8) 0.54. Real images: 1s only 0.32, 7s only 0.44, 0s, 1s and 7s 0.79, 10,000 training images
# 0.98; uniform noise 0.26. In a 12-epoch sweep of all of MNIST the same seed went on to one noise pattern for every z
# at epochs 10 and 12 (seen in its final grid, precision 0) at 0.20: a collapsed generator's one image may be as
# varied as that, so the line sits between it and uniform noise, the second condition keeping the blobs out.
ONE_IMAGE_DIVERSITY = 0.25
# ... and below this fraction of its best diversity so far. A generator starts as one image for every z (untrained:
# 0.019), and the grey blobs it first draws vary as little as a collapsed one's samples (above), but never fell below
# 0.68x their best so far; a generator has collapsed to one output only where it had more variety before (batch 128
# above: 0.37, then 0.094; in the 12-epoch sweep its best 0.35, then 0.20, 0.57x). Blobs that never varied did not
# learn.
DIVERSITY_DROP = 0.6
# ONE_IMAGE_DIVERSITY sits just under uniform noise's diversity in the MNIST classifier's features (0.26); where the
# study's features give noise less (its anchor), the line is noise's: varied noise is not one image for every z.
# An evaluation's classes are named only where its precision is above this: below it the samples do not look like data
# and the classifier's label is no digit the generator draws. Measured on 5,000 real training digits under Gaussian
# pixel noise (2-core EPYC VM), precision against the share of labels that are the digit's: 0.88 and 0.78, 100 %; 0.56,
# 91 %; 0.49-0.52, 22-70 %; 0.37 and below, 14 % or less (10 % is chance). Generated: first digits (batch 128, epochs
# 3-8) 0.64-0.75; one noisy glyph for every z 0.001 and 0.16; uniform noise and one noise image 0.000.
DATA_LIKE_PRECISION = 0.5
FIRST_DRAWN_EVALUATIONS = 2  # too early to judge: first drew the data at one of the last this-many evaluations ...
IMPROVING_EVALUATIONS = 3  # quality is still improving when FID fell at each of the last this-many evaluations
FID_TOLERANCE = 0.25  # quality fell when the last FID is more than this much above the trial's best FID
LATE_EPOCHS = 5  # the loss variances are averaged over the last epochs

# A trial's outcome, worst first: the first that applies is the one reported.
DIVERGED = "diverged"
DID_NOT_LEARN = "did not learn"
MODE_COLLAPSE = "mode collapse"
QUALITY_FELL = "quality fell"
STABLE = "stable"
# Not judged: finished and not failed, but it drew the data only at its end, at its best so far (more epochs needed).
TOO_EARLY = "too early to judge"
UNFINISHED = "unfinished"  # errored, or still running: not judged
NOT_MEASURED = "quality not measured"  # finished without quality evaluations: its samples cannot be judged
# Scored in features where a real sample covers no more than failure: its numbers cannot judge its samples.
FEATURES_BLIND = "features cannot judge"
LOSSES_UNINFORMATIVE = (DIVERGED, MODE_COLLAPSE)  # their losses say nothing of stability: left out of late_*
FAILED = (DIVERGED, DID_NOT_LEARN, MODE_COLLAPSE)  # ended without varied samples like the data
JUDGED = (DIVERGED, DID_NOT_LEARN, MODE_COLLAPSE, QUALITY_FELL, STABLE)  # outcomes that say how a seed ended
FINISHED = (*JUDGED, TOO_EARLY, NOT_MEASURED, FEATURES_BLIND)  # ran all its epochs, or stopped because it diverged
FAILURE_UNTOLD = (NOT_MEASURED, FEATURES_BLIND)  # finished, but no number tells whether it failed

DEFINITIONS = f"""\
- A trial **diverged** when the training loop stopped it: a non-finite loss, a **discriminator
  collapse** (D loss below {COLLAPSE_D_LOSS:g} with D accuracy 1.0) or D's output saturated (D(x)
  and D(G(z)) both within {SATURATION:g} of 0 or of 1), for `divergence_patience` epochs in a row.
- An evaluation **drew the data** when at least {LEARNED_COVERAGE:.1%} of the real test set's k-NN
  neighbourhoods (k = 5) hold a sample (`coverage`, Naeem et al. 2020). Grey blobs score below 0.002 even
  where precision is 1.00 and density 0.9 (they sit in a few large balls of outlying real images); noisy
  1s alone score about 0.013, real 1s alone 0.12: precision and density cannot tell blobs from digits.
  In features without the dataset's classes (Inception's, on any data but MNIST and FashionMNIST,
  whose classifiers' measured lines stand) the line is also at least {FAILURE_MARGIN:g}× what the
  **anchors** of failure cover: one real image repeated and uniform
  noise, each scored against the same reference once and cached with it, beside a seeded sample of
  real images (each trial reports all three). Where the real sample covers less than that line, the
  features cannot tell data from failure: no trial is judged (**features cannot judge**).
  A trial **did not learn** (in N generator updates) when no evaluation drew the data: more updates or
  a larger LR, not a fix for collapse, is what it needs.
- A trial that drew the data shows **mode collapse** at an evaluation where at most
  {FEW_MODES_CLASSES} of the 10 classes get at least half their fair share of the samples (only where
  a classifier of the dataset's own classes scored it), or where its coverage fell below
  {COVERAGE_DROP:g}× its best so far. Any trial shows it where its samples barely differ, whether or
  not it drew the data: **one image for every z**, when their mean pairwise distance in the study's
  feature space (`diversity`) is below {ONE_IMAGE_DIVERSITY:g}× the real test set's (or noise's
  anchor, where less) and below {DIVERSITY_DROP:g}× its own best so far (one real digit under pixel
  noise of σ 16 grey levels scores 0.074, real 1s alone 0.32; an untrained generator, one image for every z from the
  start, scores 0.019, and the grey blobs it first draws stay near their best: a generator that never
  had more variety did not learn). It mode-collapsed at the epoch from which every later evaluation
  shows it (said with what it fell from and what its last samples draw: "9 classes at epoch 8 → 2
  classes at epoch 14: Trouser (61%), Bag (30%)", "… → one image for every z at epoch 14"). Classes
  are named, by the dataset's names, only for samples that **look like data**: precision above
  {DATA_LIKE_PRECISION:g}. Below it the classifier's label is no digit the generator draws (on real
  digits under pixel noise, precision 0.37 and below goes with labels right for at most 14 % of them,
  chance being 10 %; 0.56 and above with at least 91 %). A generator drawing only realistic 1s has
  mode-collapsed; one drawing blobs did not learn.
- A trial is **too early to judge** when it would show mode collapse but first drew the data at one
  of its last {FIRST_DRAWN_EVALUATIONS} evaluations, and its last evaluation has its best FID and its
  best coverage so far: a generator forming its first digits (FID 1031 → 839 → 745 → 791 → 539, its
  first 4 classes at 539), even where FID rose once on the way. It finished and did not fail, but
  says nothing yet on stability: it is not judged, and its config is undecided, more epochs needed.
  One image for every z is mode collapse even then. Likewise a generator that shows few classes only
  at its last evaluation, where it has its best FID and its best coverage so far, has lost nothing:
  it is not called mode-collapsed.
- **Quality fell** when the last FID is more than {FID_TOLERANCE:.0%} above the trial's best FID.
  The best is over the whole run, not the last few evaluations: an LR decayed to 1 % of its peak
  freezes FID at the end, which a window of the last evaluations would call "held" for free, but it
  cannot undo a fall from the best. **FID fluctuation** is (max − min) ÷ min of FID over the last
  {IMPROVING_EVALUATIONS} evaluations, shown, never used to judge (a decaying LR lowers it by construction).
- A trial is **stable** when it finished all its epochs without diverging, drew the data, and ended
  neither mode-collapsed, too early to judge nor with its quality fallen. A **config is stable** when
  every one of its seeds (at least 2) is; **unstable** when a seed diverged, or mode-collapsed or lost
  quality and had stopped improving; it **did not learn** when a seed did not learn and none is
  unstable; otherwise it is undecided, and says why: more epochs needed when a seed was too early to
  judge, else unfinished seeds, quality not measured, or still improving.
- **Still improving**: FID fell at each of the last {IMPROVING_EVALUATIONS} evaluations, so more
  epochs would likely change the verdict (a generator drawing mostly 1s whose FID fell at every
  evaluation is early in training, not stuck); **stalled** otherwise. Said for every outcome but
  diverged.
- **Loss variances** (raw and sampling-corrected, averaged over each trial's last {LATE_EPOCHS} epochs and
  over the seeds that neither diverged nor mode-collapsed) are shown, never called better or worse:
  a decaying LR moves the networks less, a collapsed generator or a winning discriminator makes
  the losses flat, and an epoch holds 468 updates at batch 128 but 58 at batch 1024, so neither
  the raw nor the corrected within-epoch variance compares runs as a measure of stability.
- Ranking: configs with at least 2 finished seeds first; then by the share of finished seeds that
  **failed** (diverged, did not learn or mode-collapsed; a seed too early to judge finished but did not
  fail, and one whose quality was not measured or whose features cannot judge is left out of the
  share, its failure untold; a config none of whose seeds could be judged counts none failed;
  fewest first), then by the ranking metric over the finished seeds that did not fail: how
  often a config fails and how good it is when it works are two answers (the appendix gives the
  quality over every finished seed too). Final numbers are each finished seed's last evaluation;
  unfinished seeds are left out, and quality comparisons take the seeds that did not fail. Batch
  sizes are compared at equal epochs and at equal generator updates: the larger batch at its latest
  evaluation (up to the common epoch) for which every smaller-batch seed has an evaluation within
  10 % of it in updates, against those; both counts are printed, and whether the two ran at
  different LRs there. **Twins**, configs that differ only in LR settings and ran the same LRs in
  every epoch (any lr_scaling at batch 128; a schedule that never acted), ran the same runs: they
  are one config, named by both values, and never compared with each other.
"""


@dataclass(frozen=True)
class TrialOutcome:
    """How one trial ended: the outcome, from which epoch (NaN for stable, too early to judge or unjudged), what the
    samples showed, and whether quality was still improving at the end (None where that is not said: diverged,
    unjudged, or fewer than :data:`IMPROVING_EVALUATIONS` evaluations)."""

    outcome: str
    epoch: float
    detail: str = ""
    improving: bool | None = None


def _anchor(evaluations: pd.DataFrame, anchor: str, metric: str) -> float:
    """What ``anchor`` scored in ``metric`` against the trial's reference (the evaluations' anchor column); NaN for
    results written before anchors were."""
    column = anchor_key(anchor, metric)
    return float(evaluations[column].max()) if column in evaluations and evaluations[column].notna().any() else math.nan


def study_anchors(frame: pd.DataFrame) -> dict[str, dict[str, float]] | None:
    """What each anchor scored in each of ANCHOR_METRICS, in the study's features against its reference (the same
    in every evaluation of every trial); None for results written before anchors were."""
    scores = {anchor: {metric: _anchor(frame, anchor, metric) for metric in ANCHOR_METRICS} for anchor in ANCHORS}
    return None if all(math.isnan(value) for row in scores.values() for value in row.values()) else scores


def _label_free(evaluations: pd.DataFrame) -> bool:
    """Whether the trial was scored in features without the dataset's classes (Inception's): the lines measured in
    a shipped classifier's features stand where one scored it (FashionMNIST's noise covers 0.002 there, MNIST's 0)."""
    return _breadth(evaluations) == "coverage"


def drew_data_line(evaluations: pd.DataFrame) -> float:
    """The coverage at which samples drew the data: LEARNED_COVERAGE, or, in label-free features, FAILURE_MARGIN x
    what one real image repeated or noise covers there where that is more."""
    failure = max(_anchor(evaluations, "one_image", "coverage"), _anchor(evaluations, "noise", "coverage"))
    if math.isnan(failure) or not _label_free(evaluations):
        return LEARNED_COVERAGE
    return max(LEARNED_COVERAGE, FAILURE_MARGIN * failure)


def one_image_line(evaluations: pd.DataFrame) -> float:
    """The diversity under which samples are one image for every z: ONE_IMAGE_DIVERSITY, or, in label-free features,
    noise's where less."""
    noise = _anchor(evaluations, "noise", "diversity")
    return ONE_IMAGE_DIVERSITY if math.isnan(noise) or not _label_free(evaluations) else min(ONE_IMAGE_DIVERSITY, noise)


def features_tell_data_from_failure(evaluations: pd.DataFrame) -> bool:
    """Whether a real sample covers more than the line failure stays under, in the trial's features (True for
    results without anchors): a network that gives real images no more coverage than noise judges no generator."""
    real = _anchor(evaluations, "real", "coverage")
    return math.isnan(real) or real >= drew_data_line(evaluations)


def drew_data(evaluations: pd.DataFrame) -> pd.Series:
    """Per evaluation (rows in epoch order): whether the samples drew the data (coverage ≥ :func:`drew_data_line`)."""
    return evaluations["coverage"] >= drew_data_line(evaluations)


def one_image(evaluations: pd.DataFrame) -> pd.Series:
    """Per evaluation: whether the generator has collapsed to one image for every z, its diversity below
    ONE_IMAGE_DIVERSITY and below DIVERSITY_DROP x its best so far; never for results without diversity (written
    before it was measured), which are judged as they were."""
    if "diversity" not in evaluations:
        return pd.Series(False, index=evaluations.index)
    diversity = evaluations["diversity"]
    return (diversity < one_image_line(evaluations)) & (diversity < DIVERSITY_DROP * diversity.cummax())


def mode_collapsed(evaluations: pd.DataFrame) -> pd.Series:
    """Per evaluation: whether it shows mode collapse: one image for every z, or, where this or an earlier evaluation
    drew the data, few classes or a coverage fallen from its best (see DEFINITIONS)."""
    learned = drew_data(evaluations).cummax()
    few_classes = evaluations["classes_covered"] <= FEW_MODES_CLASSES
    best_coverage = evaluations["coverage"].where(learned).cummax()
    coverage_fell = evaluations["coverage"] < COVERAGE_DROP * best_coverage
    return one_image(evaluations) | (learned & (few_classes | coverage_fell))


def mode_collapse_epoch(evaluations: pd.DataFrame) -> float:
    """The epoch from which every evaluation shows mode collapse; NaN when the last one does not."""
    collapsed = mode_collapsed(evaluations).to_numpy()
    if not len(collapsed) or not collapsed[-1]:
        return math.nan
    healthy = [index for index, value in enumerate(collapsed) if not value]
    start = healthy[-1] + 1 if healthy else 0
    return float(evaluations["epoch"].iloc[start])


def first_drew_data(evaluations: pd.DataFrame) -> int | None:
    """The position of the first evaluation that drew the data; None when none did."""
    drew = drew_data(evaluations).to_numpy()
    return int(drew.argmax()) if drew.any() else None


def too_early(evaluations: pd.DataFrame) -> bool:
    """Whether the generator first drew the data at one of its last FIRST_DRAWN_EVALUATIONS evaluations and its last
    evaluation has its best FID and its best coverage so far: it is forming its first digits, whatever FID did on the
    way there (see DEFINITIONS)."""
    first = first_drew_data(evaluations)
    return first is not None and first >= len(evaluations) - FIRST_DRAWN_EVALUATIONS and at_its_best(evaluations)


def at_its_best(evaluations: pd.DataFrame) -> bool:
    """Whether the last evaluation has the trial's best FID and its best coverage so far."""
    last = evaluations.iloc[-1]
    return bool(last["fid"] <= evaluations["fid"].min() and last["coverage"] >= evaluations["coverage"].max())


def _classes(count: int) -> str:
    return f"{count} class{'es' if count != 1 else ''}"


def looks_like_data(evaluation: pd.Series) -> bool:
    """Whether an evaluation's samples look like data (precision above DATA_LIKE_PRECISION); True for results without
    precision, whose classes are named as they were."""
    return "precision" not in evaluation.index or bool(evaluation["precision"] > DATA_LIKE_PRECISION)


def drawn_classes(evaluation: pd.Series) -> str:
    """'Trouser (61%), Bag (20%), Sneaker (9%)': the classes an evaluation's samples cover
    (trainables.quality.covered), most first, by the names the trial's dataset gives them; '' for results without
    class shares, and for samples that do not look like data (:func:`looks_like_data`), whose labels name nothing the
    generator draws."""
    if not set(CLASS_SHARES) <= set(evaluation.index) or evaluation[list(CLASS_SHARES)].isna().any():
        return ""
    if not looks_like_data(evaluation):
        return ""
    shares = torch.tensor(evaluation[list(CLASS_SHARES)].astype(float).to_numpy())
    names = class_names(evaluation["dataset"])
    drawn = sorted(
        ((float(shares[label]), names[label]) for label in covered(shares).nonzero().flatten()), reverse=True
    )
    return ", ".join(f"{name} ({share:.0%})" for share, name in drawn)


def _what_it_draws(evaluation: pd.Series) -> str:
    """': 1 (70%), 8 (24%)' after an evaluation's class count; ': unlike the data (precision 0.02)' where the samples
    do not look like data, as the count is then the classifier's, not the generator's; '' where the results say
    neither."""
    if not looks_like_data(evaluation):
        return f": unlike the data (precision {evaluation['precision']:.2g})"
    drawn = drawn_classes(evaluation)
    return f": {drawn}" if drawn else ""


def _breadth(evaluations: pd.DataFrame) -> str:
    """How a trial's details say how much of the data its samples draw: its classes where a classifier counted them,
    else its coverage (features without the dataset's classes, trainables.quality.extractors)."""
    counted = "classes_covered" in evaluations and evaluations["classes_covered"].notna().all()
    return "classes_covered" if counted else "coverage"


def _drawn(evaluation: pd.Series, breadth: str) -> str:
    """'2 classes' or 'coverage 0.031'."""
    value = evaluation[breadth]
    return _classes(int(value)) if breadth == "classes_covered" else f"coverage {value:.2g}"


def collapse_detail(evaluations: pd.DataFrame, epoch: float) -> str:
    """What a collapse from ``epoch`` fell from, and what the last evaluation draws where the results say:
    '9 classes at epoch 8 → 2 classes at epoch 14: Trouser (61%), Bag (30%)', '9 classes at epoch 8 → one image for
    every z at epoch 14 (diversity 0.01)', 'coverage 0.21 at epoch 4 → coverage 0.06 at epoch 8' without classes,
    or, for a generator that never drew more, '2 classes at epoch 12, never more than 3'."""
    breadth = _breadth(evaluations)
    before = evaluations[(evaluations["epoch"] < epoch) & drew_data(evaluations)]
    last = evaluations.iloc[-1]
    if one_image(evaluations).iloc[-1]:
        end = f"one image for every z at epoch {int(last['epoch'])} (diversity {last['diversity']:.2g})"
    else:
        end = f"{_drawn(last, breadth)} at epoch {int(last['epoch'])}"
        if before.empty:
            most = evaluations.loc[drew_data(evaluations).cummax(), breadth].max()
            end += "" if most == last[breadth] else f", never more than {_drawn(pd.Series({breadth: most}), breadth)}"
        end += _what_it_draws(last)
    if before.empty:
        return end
    peak = before[before[breadth] == before[breadth].max()].iloc[-1]  # the latest at its best
    return f"{_drawn(peak, breadth)} at epoch {int(peak['epoch'])} → {end}"


def too_early_detail(evaluations: pd.DataFrame) -> str:
    """'first drew the data at epoch 10: 4 classes at epoch 10: 1 (40%), …; its best FID (539) and coverage (0.005) so
    far'."""
    first = evaluations.iloc[first_drew_data(evaluations)]
    last = evaluations.iloc[-1]
    drawn = f"{_drawn(last, _breadth(evaluations))} at epoch {int(last['epoch'])}{_what_it_draws(last)}"
    best = f"its best FID ({last['fid']:.3g}) and coverage ({last['coverage']:.2g}) so far"
    return f"first drew the data at epoch {int(first['epoch'])}; {drawn}; {best}"


def fid_window(evaluations: pd.DataFrame) -> pd.Series:
    return evaluations["fid"].tail(IMPROVING_EVALUATIONS)


def fid_fluctuation(evaluations: pd.DataFrame) -> float:
    """(max − min) ÷ min of FID over the last evaluations; NaN with fewer than two."""
    window = fid_window(evaluations)
    return float((window.max() - window.min()) / window.min()) if len(window) > 1 else math.nan


def still_improving(evaluations: pd.DataFrame) -> bool | None:
    """Whether FID fell at each of the last IMPROVING_EVALUATIONS evaluations; None with fewer."""
    window = fid_window(evaluations).to_numpy()
    if len(window) < IMPROVING_EVALUATIONS:
        return None
    return bool((window[1:] < window[:-1]).all())


def quality_fell(evaluations: pd.DataFrame) -> bool:
    return bool(evaluations["fid"].iloc[-1] > (1 + FID_TOLERANCE) * evaluations["fid"].min())


def trial_outcome(history: pd.DataFrame, status: str, epochs: int, diverged_reason: str = "") -> TrialOutcome:
    """The outcome of one trial from its per-epoch rows (epoch order, one row per epoch) and Tune status."""
    evaluations = history.dropna(subset=["fid"]) if "fid" in history else history.iloc[:0]
    if status == DIVERGED_STATUS:
        collapse = mode_collapse_epoch(evaluations) if len(evaluations) else math.nan
        also = "" if math.isnan(collapse) else f"; mode-collapsed from epoch {int(collapse)}"
        return TrialOutcome(DIVERGED, float(history["epoch"].max()), diverged_reason + also)
    if status != TERMINATED or history.empty or history["epoch"].max() < epochs:
        return TrialOutcome(UNFINISHED, math.nan, status.lower())
    if evaluations.empty:
        return TrialOutcome(NOT_MEASURED, math.nan)
    if "coverage" not in evaluations or evaluations["coverage"].isna().any():
        return TrialOutcome(NOT_MEASURED, math.nan, "no coverage: results written before it was measured")
    if not features_tell_data_from_failure(evaluations):
        real, line = _anchor(evaluations, "real", "coverage"), drew_data_line(evaluations)
        detail = f"a real sample covers {real:.2g} in these features, under the {line:.2g} that drawing the data takes"
        return TrialOutcome(FEATURES_BLIND, math.nan, detail)
    improving = still_improving(evaluations)
    last = evaluations.iloc[-1]
    collapse = mode_collapse_epoch(evaluations)
    one_output = bool(one_image(evaluations).iloc[-1])  # mode collapse, whether or not it drew the data
    if not one_output and not drew_data(evaluations).any():
        updates = [f"in {int(last['g_updates']):,} generator updates"] if "g_updates" in last else []
        detail = ", ".join([*updates, f"best coverage {evaluations['coverage'].max():.2g}"])
        return TrialOutcome(DID_NOT_LEARN, float(last["epoch"]), detail, improving)
    if not math.isnan(collapse) and not one_output and too_early(evaluations):
        return TrialOutcome(TOO_EARLY, math.nan, too_early_detail(evaluations), improving)
    if collapse == last["epoch"] and not one_output and at_its_best(evaluations):
        collapse = math.nan  # fewer classes only at an evaluation that is its best in FID and coverage: nothing fell
    if not math.isnan(collapse):
        return TrialOutcome(MODE_COLLAPSE, collapse, collapse_detail(evaluations, collapse), improving)
    if quality_fell(evaluations):
        best = evaluations.loc[evaluations["fid"].idxmin()]
        detail = (
            f"FID {best['fid']:.3g} at epoch {int(best['epoch'])} → {last['fid']:.3g} at epoch {int(last['epoch'])}"
        )
        return TrialOutcome(QUALITY_FELL, float(last["epoch"]), detail, improving)
    return TrialOutcome(STABLE, math.nan, "", improving)
