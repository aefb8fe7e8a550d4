"""Per-config statistics of a tidy experiment table, the ranking, and findings written from the numbers.

Definitions (also printed in the report):

- **stability score** of a trial: the mean of its per-epoch ``d_loss_var`` (the variance of
  the per-batch D losses within an epoch) over its last ``STABILITY_EPOCHS`` epochs. Lower is
  steadier. A config's score is the mean over its seeds.
- a config is **unstable** when its score is more than ``UNSTABLE_FACTOR`` times the median
  score of all configs in the experiment.
- **ranking**: by final FID (lower is better) when the trials measured it, else by stability score.
"""

from __future__ import annotations

import math

import pandas as pd

from analysis.load import CONFIG_COLUMNS
from trainables.metric_keys import DIVERGED_REASON, HIGHER_IS_BETTER

STABILITY_EPOCHS = 5
UNSTABLE_FACTOR = 2.0
BASELINE_SCHEDULER = "constant"
FINAL_METRICS = ("d_loss", "g_loss", "d_loss_var", "g_loss_var", "d_real", "d_fake", "d_acc")
# The quality metrics the report shows (trainables.metric_keys.QualityMetrics; is_std is only is_score's spread).
REPORTED_QUALITY = ("fid", "is_score", "precision", "recall", "class_kl", "classes_covered")


def config_columns(frame: pd.DataFrame) -> list[str]:
    """What tells configs apart: batch size and scheduler, plus any other setting that varies (not the seed)."""
    varying = [
        column
        for column in CONFIG_COLUMNS
        if column in frame.columns and column != "seed" and frame[column].nunique(dropna=False) > 1
    ]
    return ["batch_size", "scheduler", *[column for column in varying if column not in ("batch_size", "scheduler")]]


def config_label(config: tuple, columns: list[str]) -> str:
    values = dict(zip(columns, config))
    extra = [f"{column} {values[column]}" for column in columns[2:]]
    return " · ".join([f"batch {values['batch_size']}", str(values["scheduler"]), *extra])


def quality_metrics(frame: pd.DataFrame) -> list[str]:
    return [name for name in REPORTED_QUALITY if name in frame.columns and frame[name].notna().any()]


def per_trial(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per trial: config, status, epochs done, final metrics, stability score, best quality."""
    rows = []
    for trial_id, history in frame.groupby("trial_id", sort=False):
        done = history.dropna(subset=["epoch"]).sort_values("epoch")
        first = history.iloc[0]
        row = {column: first[column] for column in ("trial_id", "status", *CONFIG_COLUMNS) if column in history}
        row["epochs_done"] = int(done["epoch"].max()) if len(done) else 0
        final = done.iloc[-1] if len(done) else None
        for metric in FINAL_METRICS:
            row[metric] = final[metric] if final is not None else math.nan
        row["stability"] = done["d_loss_var"].tail(STABILITY_EPOCHS).mean() if len(done) else math.nan
        for metric in quality_metrics(frame):
            measured = done[metric].dropna()
            row[metric] = measured.iloc[-1] if len(measured) else math.nan
            best = measured.max() if HIGHER_IS_BETTER[metric] else measured.min()
            row[f"best_{metric}"] = best if len(measured) else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per config: trial count, statuses, and mean and std over seeds of every per-trial number."""
    trials = per_trial(frame)
    columns = config_columns(frame)
    numbers = [
        column
        for column in trials.columns
        if column not in (*CONFIG_COLUMNS, "trial_id", "status") and pd.api.types.is_numeric_dtype(trials[column])
    ]
    grouped = trials.groupby(columns, sort=True)
    table = grouped[numbers].agg(["mean", "std"])
    table.columns = [f"{metric}_{stat}" for metric, stat in table.columns]
    table.insert(0, "seeds", grouped.size())
    table.insert(1, "statuses", grouped["status"].agg(lambda statuses: ", ".join(sorted(set(statuses)))))
    return table.reset_index()


def ranking(table: pd.DataFrame) -> pd.DataFrame:
    """The summary sorted best first, with the metric it was ranked by in ``rank_by``."""
    rank_by = "fid_mean" if "fid_mean" in table.columns and table["fid_mean"].notna().any() else "stability_mean"
    ranked = table.sort_values(rank_by, na_position="last", ignore_index=True)
    ranked.insert(0, "rank", range(1, len(ranked) + 1))
    return ranked.assign(rank_by=rank_by)


def _fmt(value: float) -> str:
    return f"{value:.3g}"


def findings(frame: pd.DataFrame) -> list[str]:
    """Sentences answering the study's three questions, each computed from this experiment's numbers."""
    table = summary(frame)
    columns = config_columns(frame)
    label = {index: config_label(tuple(row[columns]), columns) for index, row in table.iterrows()}
    scores = table["stability_mean"]
    if scores.notna().sum() == 0:
        return ["No trial reported an epoch yet, so there is nothing to compare."]
    return [
        *_stability_findings(table, scores, label),
        *_divergence_findings(frame),
        *_image_findings(frame, table, label),
        *_schedule_findings(table, scores),
    ]


def _divergence_findings(frame: pd.DataFrame) -> list[str]:
    last = frame[frame["status"] == "DIVERGED"].sort_values("epoch").groupby("trial_id", sort=False).tail(1)
    if last.empty:
        return []
    names = "; ".join(
        f"batch {row['batch_size']} · {row['scheduler']} · seed {row['seed']} ({row[DIVERGED_REASON]})"
        for _, row in last.iterrows()
    )
    return [f"Diverged and stopped early: {names}."]


def _stability_findings(table: pd.DataFrame, scores: pd.Series, label: dict) -> list[str]:
    median = scores.median()
    out = [
        f"Stability score = mean D-loss variance over the last {STABILITY_EPOCHS} epochs (lower is steadier); "
        f"median over the {scores.notna().sum()} configs: {_fmt(median)}."
    ]
    steadiest, shakiest = scores.idxmin(), scores.idxmax()
    out.append(
        f"Steadiest: {label[steadiest]} ({_fmt(scores[steadiest])}); "
        f"least steady: {label[shakiest]} ({_fmt(scores[shakiest])}, {scores[shakiest] / median:.1f}× the median)."
    )
    unstable = [index for index in scores.index if scores[index] > UNSTABLE_FACTOR * median]
    if unstable:
        names = "; ".join(f"{label[index]} ({scores[index] / median:.1f}× the median)" for index in unstable)
        out.append(f"Unstable (score above {UNSTABLE_FACTOR:g}× the median): {names}.")
    else:
        out.append(f"No config is unstable: none scores above {UNSTABLE_FACTOR:g}× the median.")
    for scheduler, group in table.groupby("scheduler"):
        by_batch = group.groupby("batch_size")["stability_mean"].mean().dropna()
        if len(by_batch) > 1:
            smallest = by_batch.index.min()
            ratios = ", ".join(
                f"batch {batch}: {by_batch[batch] / by_batch[smallest]:.2g}×"
                for batch in by_batch.index
                if batch != smallest
            )
            out.append(f"With {scheduler} LR, relative to batch {smallest} ({_fmt(by_batch[smallest])}): {ratios}.")
    return out


def _image_findings(frame: pd.DataFrame, table: pd.DataFrame, label: dict) -> list[str]:
    if "fid_mean" in table.columns and table["fid_mean"].notna().any():
        fid = table["fid_mean"]
        out = [
            f"Best images by final FID: {label[fid.idxmin()]} ({_fmt(fid.min())}); "
            f"worst: {label[fid.idxmax()]} ({_fmt(fid.max())})."
        ]
        if "classes_covered_mean" in table.columns:
            partial = [label[index] for index, covered in table["classes_covered_mean"].items() if covered < 10]
            out.append(
                "Every config covers all 10 classes."
                if not partial
                else f"Fewer than 10 classes covered (mode collapse): {'; '.join(partial)}."
            )
        return out
    fooled = table["d_fake_mean"]
    strong = [label[index] for index, accuracy in table["d_acc_mean"].items() if accuracy >= 0.95]
    out = [
        "No image-quality metrics were measured in this experiment; judge images by the sample grids. "
        f"As a proxy, final mean D(G(z)) (higher: G fools D more) is highest for {label[fooled.idxmax()]} "
        f"({_fmt(fooled.max())}) and lowest for {label[fooled.idxmin()]} ({_fmt(fooled.min())})."
    ]
    out.append(
        f"D separates real from fake almost perfectly (final D accuracy ≥ 0.95), a sign of weak samples, for: "
        f"{'; '.join(strong)}."
        if strong
        else "No config ends with D accuracy ≥ 0.95."
    )
    return out


def _schedule_findings(table: pd.DataFrame, scores: pd.Series) -> list[str]:
    if BASELINE_SCHEDULER not in set(table["scheduler"]):
        return [f"No {BASELINE_SCHEDULER}-LR baseline in this experiment, so schedules cannot be compared with it."]
    median = scores.median()
    baseline = table[table["scheduler"] == BASELINE_SCHEDULER].groupby("batch_size")["stability_mean"].mean()
    out = []
    for scheduler in sorted(set(table["scheduler"]) - {BASELINE_SCHEDULER}):
        own = table[table["scheduler"] == scheduler].groupby("batch_size")["stability_mean"].mean()
        shared = [batch for batch in own.index if batch in baseline.index and not math.isnan(own[batch])]
        if not shared:
            continue
        lower = [batch for batch in shared if own[batch] < baseline[batch]]
        ratios = ", ".join(f"batch {batch}: {own[batch] / baseline[batch]:.2g}×" for batch in shared)
        out.append(
            f"{scheduler} vs constant LR, stability score ratio ({ratios}): lower at {len(lower)} of "
            f"{len(shared)} batch sizes."
        )
        fixed = [
            batch
            for batch in shared
            if baseline[batch] > UNSTABLE_FACTOR * median and own[batch] <= UNSTABLE_FACTOR * median
        ]
        if fixed:
            out.append(
                f"{scheduler} brings the unstable constant-LR batch size(s) {', '.join(map(str, fixed))} "
                f"back under {UNSTABLE_FACTOR:g}× the median."
            )
    return out
