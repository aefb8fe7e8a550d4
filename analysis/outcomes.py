"""What each trial ended as, judged by what it produced rather than by how calm its losses were.

A calm loss is not a good run: a collapsed generator and a winning discriminator give low loss
variance, and a decaying LR or a larger batch lower it by construction. So a trial is judged by
its divergence (the loop's rule, trainables.divergence) and by the quality of its samples
(trainables.quality), and every threshold of that judgement is defined here, once, and printed
in the report as :data:`DEFINITIONS`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from trainables.divergence import COLLAPSE_D_LOSS, SATURATION

MODE_COLLAPSE_CLASSES = 5  # an evaluation has mode-collapsed when at most this many classes get a fair share ...
RECALL_DROP = 0.5  # ... or its recall fell below this fraction of the trial's best recall so far ...
MEANINGFUL_RECALL = 0.1  # ... once that best was at least this (below it recall is too small to fall)
QUALITY_WINDOW = 3  # the last evaluations over which quality must hold
FID_TOLERANCE = 0.25  # quality holds when the last FID is at most this much worse than the window's best
LATE_EPOCHS = 5  # the loss variances are averaged over the last epochs

# A trial's outcome, worst first: the first that applies is the one reported.
DIVERGED = "diverged"
MODE_COLLAPSE = "mode collapse"
QUALITY_FELL = "quality fell"
STABLE = "stable"
UNFINISHED = "unfinished"  # errored, or still running: not judged
NOT_MEASURED = "quality not measured"  # finished without quality evaluations: collapse cannot be judged
COLLAPSED = (DIVERGED, MODE_COLLAPSE)
UNSTABLE = (DIVERGED, MODE_COLLAPSE, QUALITY_FELL)
JUDGED = (*UNSTABLE, STABLE)  # outcomes that say whether a seed was stable

DEFINITIONS = f"""\
- A trial **diverged** when the training loop stopped it: a non-finite loss, a **discriminator
  collapse** (D loss below {COLLAPSE_D_LOSS:g} with D accuracy 1.0) or D's output saturated (D(x)
  and D(G(z)) both within {SATURATION:g} of 0 or of 1), for `divergence_patience` epochs in a row.
- An evaluation shows **mode collapse** when at most {MODE_COLLAPSE_CLASSES} of the 10 classes get
  at least half their fair share of the samples, or when recall has fallen below {RECALL_DROP:g}×
  the trial's best recall so far (once that best was at least {MEANINGFUL_RECALL:g}): G has dropped
  modes. A trial mode-collapsed at the epoch from which every later evaluation shows it. A generator
  that has not yet learned the data fails the same test: it is not producing varied images either.
- **Quality held** when the last FID is at most {FID_TOLERANCE:.0%} above the best of the last
  {QUALITY_WINDOW} evaluations. **FID fluctuation** is (max − min) ÷ min of FID over those evaluations.
- A trial is **stable** when it finished all its epochs without diverging, without mode collapse at
  its last evaluation, and with quality held. A **config is stable** when every one of its seeds
  (at least 2) is; one seed cannot decide.
- **Sampling-corrected loss variance** (`d_loss_var_corrected`): the within-epoch variance of the
  per-batch D loss minus the part mini-batch sampling explains (the per-sample loss variance ÷ batch
  size, averaged over the epoch). The raw variance of a batch mean falls as 1/batch size, so only
  the corrected one compares batch sizes. Both are averaged over each trial's last {LATE_EPOCHS} epochs.
- **A decaying LR lowers by construction**: the raw and corrected loss variances and the FID
  fluctuation (smaller steps move the networks less), so a schedule's calmer numbers are not evidence
  that it fixed anything; this report judges schedules by collapses and image quality instead.
- Ranking: first by the share of a config's finished seeds that diverged or mode-collapsed (fewest
  first; a config with no finished seed last), then by the ranking metric's mean over seeds; never by
  loss variance. Batch sizes are compared at equal epochs (the last epoch every seed that did not
  diverge was evaluated at; a seed that diverged earlier with its last evaluation) and at equal
  generator updates (the larger batch there, against the smaller batch's last evaluation within the
  updates the larger one had taken).
"""


@dataclass(frozen=True)
class TrialOutcome:
    """How one trial ended, and from which epoch (NaN for a stable or unjudged trial)."""

    outcome: str
    epoch: float
    detail: str = ""


def mode_collapsed(evaluations: pd.DataFrame) -> pd.Series:
    """Per evaluation (rows in epoch order): whether it shows mode collapse (see DEFINITIONS)."""
    few_classes = evaluations["classes_covered"] <= MODE_COLLAPSE_CLASSES
    best_recall = evaluations["recall"].cummax()
    recall_fell = (best_recall >= MEANINGFUL_RECALL) & (evaluations["recall"] < RECALL_DROP * best_recall)
    return few_classes | recall_fell


def mode_collapse_epoch(evaluations: pd.DataFrame) -> float:
    """The epoch from which every evaluation shows mode collapse; NaN when the last one does not."""
    collapsed = mode_collapsed(evaluations).to_numpy()
    if not len(collapsed) or not collapsed[-1]:
        return math.nan
    healthy = [index for index, value in enumerate(collapsed) if not value]
    start = healthy[-1] + 1 if healthy else 0
    return float(evaluations["epoch"].iloc[start])


def fid_window(evaluations: pd.DataFrame) -> pd.Series:
    return evaluations["fid"].tail(QUALITY_WINDOW)


def fid_fluctuation(evaluations: pd.DataFrame) -> float:
    """(max − min) ÷ min of FID over the last evaluations; NaN with fewer than two."""
    window = fid_window(evaluations)
    return float((window.max() - window.min()) / window.min()) if len(window) > 1 else math.nan


def quality_held(evaluations: pd.DataFrame) -> bool:
    window = fid_window(evaluations)
    return bool(window.iloc[-1] <= (1 + FID_TOLERANCE) * window.min())


def trial_outcome(history: pd.DataFrame, status: str, epochs: int, diverged_reason: str = "") -> TrialOutcome:
    """The outcome of one trial from its per-epoch rows (epoch order, one row per epoch) and Tune status."""
    evaluations = history.dropna(subset=["fid"]) if "fid" in history else history.iloc[:0]
    if status == "DIVERGED":
        collapse = mode_collapse_epoch(evaluations) if len(evaluations) else math.nan
        also = "" if math.isnan(collapse) else f"; mode-collapsed from epoch {int(collapse)}"
        return TrialOutcome(DIVERGED, float(history["epoch"].max()), diverged_reason + also)
    if status != "TERMINATED" or history.empty or history["epoch"].max() < epochs:
        return TrialOutcome(UNFINISHED, math.nan, status.lower())
    if evaluations.empty:
        return TrialOutcome(NOT_MEASURED, math.nan)
    collapse = mode_collapse_epoch(evaluations)
    if not math.isnan(collapse):
        last = evaluations.iloc[-1]
        return TrialOutcome(
            MODE_COLLAPSE, collapse, f"{int(last['classes_covered'])} classes, recall {last['recall']:.2g}"
        )
    if not quality_held(evaluations):
        window = fid_window(evaluations)
        return TrialOutcome(
            QUALITY_FELL, float(evaluations["epoch"].iloc[-1]), f"FID {window.min():.3g} → {window.iloc[-1]:.3g}"
        )
    return TrialOutcome(STABLE, math.nan)
