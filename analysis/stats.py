"""Per-trial outcomes, per-config estimates over seeds, the ranking, and findings written from the numbers.

The findings answer the study's three questions (:data:`QUESTIONS`) from this experiment's
numbers, never typed in: each sentence names the values, the number of seeds and the interval it
rests on (analysis.intervals), and a comparison whose interval covers zero says so. What "stable",
"mode collapse" and the rest mean is defined once, in analysis.outcomes.
"""

from __future__ import annotations

import math
from typing import Iterator

import pandas as pd

from analysis import outcomes
from analysis.intervals import BETTER, NO_CONCLUSION, ONE_SEED, WORSE, difference, mean_interval
from analysis.load import CONFIG_COLUMNS, latest_per_epoch
from trainables.config import TrialConfig
from trainables.metric_keys import DIVERGED_REASON, HIGHER_IS_BETTER

STABILITY, IMAGES, SCHEDULES = (
    "Which batch sizes train stably?",
    "Which settings give good images?",
    "Does an LR schedule fix the unstable ones?",
)
QUESTIONS = (STABILITY, IMAGES, SCHEDULES)
BASELINE_SCHEDULER = "constant"
DEFAULT_RANK_BY = "fid"
# The quality metrics the report shows (trainables.metric_keys.QualityMetrics; is_std is only is_score's spread).
REPORTED_QUALITY = ("fid", "is_score", "precision", "recall", "class_kl", "classes_covered")
RANKABLE = REPORTED_QUALITY
FINAL_METRICS = ("d_loss", "g_loss", "d_real", "d_fake", "d_acc", "g_updates")
LATE_VARIANCES = ("d_loss_var", "d_loss_var_corrected", "g_loss_var", "g_loss_var_corrected")
# Per-trial numbers estimated over seeds in the summary, besides the quality metrics.
ESTIMATED = ("epochs_done", *FINAL_METRICS, *(f"late_{name}" for name in LATE_VARIANCES), "fid_fluctuation")

# A config's verdict on stability (outcomes.DEFINITIONS).
STABLE_CONFIG, UNSTABLE_CONFIG, UNDECIDED = "stable", "unstable", "undecided"
_OUTCOME_WORDS = {
    outcomes.DIVERGED: "diverged",
    outcomes.MODE_COLLAPSE: "mode-collapsed",
    outcomes.QUALITY_FELL: "lost quality at the end",
    outcomes.STABLE: "stable",
    outcomes.UNFINISHED: "unfinished",
    outcomes.NOT_MEASURED: "finished without quality evaluations",
}


def config_columns(frame: pd.DataFrame) -> list[str]:
    """What tells configs apart: batch size and scheduler, plus any other setting that varies (not the seed)."""
    varying = [
        column
        for column in CONFIG_COLUMNS
        if column in frame.columns and column != "seed" and frame[column].nunique(dropna=False) > 1
    ]
    return ["batch_size", "scheduler", *[column for column in varying if column not in ("batch_size", "scheduler")]]


def config_label(config: tuple, columns: list[str]) -> str:
    """E.g. 'batch 128 · constant · latent_dim 256'; also of part of a config (a plot's panel leaves one out)."""
    formats = {"batch_size": "batch {}", "scheduler": "{}"}
    return " · ".join(formats.get(column, f"{column} {{}}").format(value) for column, value in zip(columns, config))


def quality_metrics(frame: pd.DataFrame) -> list[str]:
    return [name for name in REPORTED_QUALITY if name in frame.columns and frame[name].notna().any()]


def _present(frame: pd.DataFrame, names: tuple[str, ...]) -> list[str]:
    return [name for name in names if name in frame.columns]


def per_trial(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per trial: config, status, outcome (and its epoch), final and late metrics, last quality."""
    frame = latest_per_epoch(frame)
    rows = []
    for trial_id, history in frame.groupby("trial_id", sort=False):
        done = history.dropna(subset=["epoch"]).sort_values("epoch")
        first = history.iloc[0]
        row = {column: first[column] for column in ("trial_id", "status", *CONFIG_COLUMNS) if column in history}
        row["epochs_done"] = int(done["epoch"].max()) if len(done) else 0
        reason = str(done[DIVERGED_REASON].iloc[-1]) if DIVERGED_REASON in done and len(done) else ""
        outcome = outcomes.trial_outcome(done, str(first["status"]), int(first["epochs"]), reason)
        row.update(outcome=outcome.outcome, outcome_epoch=outcome.epoch, outcome_detail=outcome.detail)
        for metric in _present(done, FINAL_METRICS):
            row[metric] = done[metric].iloc[-1] if len(done) else math.nan
        for metric in _present(done, LATE_VARIANCES):
            row[f"late_{metric}"] = done[metric].tail(outcomes.LATE_EPOCHS).mean()
        evaluations = done.dropna(subset=["fid"]) if "fid" in done else done.iloc[:0]
        for metric in quality_metrics(frame):
            row[metric] = evaluations[metric].iloc[-1] if len(evaluations) else math.nan
        row["fid_fluctuation"] = outcomes.fid_fluctuation(evaluations) if len(evaluations) else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


def config_verdict(trial_outcomes: list[str]) -> str:
    """STABLE_CONFIG when every seed (at least 2) is stable, UNSTABLE_CONFIG when a judged seed is not, else
    UNDECIDED (one seed, unfinished seeds, or no quality measured)."""
    judged = [outcome for outcome in trial_outcomes if outcome != outcomes.UNFINISHED]
    if len(judged) < 2:
        return UNDECIDED
    if any(outcome in outcomes.UNSTABLE for outcome in judged):
        return UNSTABLE_CONFIG
    if len(judged) == len(trial_outcomes) and all(outcome == outcomes.STABLE for outcome in judged):
        return STABLE_CONFIG
    return UNDECIDED


def outcome_counts(trials: pd.DataFrame) -> str:
    """E.g. '2 of 3 seeds mode-collapsed (by epochs 10, 15); 1 of 3 seeds diverged (discriminator collapse by
    epoch 12)'."""
    parts = []
    total = len(trials)
    for outcome, word in _OUTCOME_WORDS.items():
        matching = trials[trials["outcome"] == outcome].sort_values("outcome_epoch")
        if matching.empty:
            continue
        text = f"{len(matching)} of {total} seed{'s' if total > 1 else ''} {word}"
        if outcome == outcomes.DIVERGED:
            stops = zip(matching["outcome_detail"], matching["outcome_epoch"])
            text += f" ({'; '.join(f'{_divergence_kind(detail)} by epoch {int(epoch)}' for detail, epoch in stops)})"
        elif outcome in outcomes.UNSTABLE:
            epochs = ", ".join(str(int(epoch)) for epoch in matching["outcome_epoch"])
            text += f" ({'by epoch' if len(matching) == 1 else 'by epochs'} {epochs})"
        parts.append(text)
    return "; ".join(parts)


def _divergence_kind(reason: str) -> str:
    """The kind of divergence from the loop's reason (trainables.divergence): 'discriminator collapse: d_loss < …'
    gives 'discriminator collapse', 'non-finite d_loss (nan) at epoch 3' gives 'non-finite d_loss'."""
    return reason.split(":")[0].split(" (")[0] or "stopped"


def summary(trials: pd.DataFrame) -> pd.DataFrame:
    """One row per config of :func:`per_trial`'s table: seeds, outcome counts, verdict, and an :class:`Estimate` of
    every per-trial number."""
    columns = config_columns(trials)
    estimated = [*_present(trials, ESTIMATED), *quality_metrics(trials)]
    rows = []
    for config, group in trials.groupby(columns, sort=True):
        row = dict(zip(columns, config))
        row.update(
            label=config_label(config, columns),
            seeds=len(group),
            verdict=config_verdict(list(group["outcome"])),
            outcomes=outcome_counts(group),
            stable=int((group["outcome"] == outcomes.STABLE).sum()),
            collapsed=int(group["outcome"].isin(outcomes.COLLAPSED).sum()),
        )
        row.update({metric: mean_interval(group[metric]) for metric in estimated})
        rows.append(row)
    return pd.DataFrame(rows)


def ranking(table: pd.DataFrame, rank_by: str = DEFAULT_RANK_BY) -> pd.DataFrame:
    """The summary best first: by how many seeds collapsed (fewest first), then by ``rank_by``'s mean over seeds."""
    if rank_by not in table.columns:
        ranked = table.sort_values("collapsed", kind="stable", ignore_index=True)
    else:
        sign = -1 if HIGHER_IS_BETTER[rank_by] else 1
        key = table[rank_by].map(lambda estimate: sign * estimate.mean)
        ranked = (
            table.assign(_key=key)
            .sort_values(["collapsed", "_key"], na_position="last", kind="stable", ignore_index=True)
            .drop(columns="_key")
        )
    ranked.insert(0, "rank", range(1, len(ranked) + 1))
    return ranked


# ---- findings -----------------------------------------------------------------------------------------------


def _comparison(description: str, a: str, b: str, values_a, values_b, higher_is_better: bool, words=None) -> str:
    """'{description}, {a} − {b}: +x [lo, hi] (n=3 vs 3): {a} is worse.' or '…: within seed-to-seed spread,
    no conclusion.' or '…: one seed cannot decide.'"""
    better, worse = words or ("better", "worse")
    result = difference(values_a, values_b, higher_is_better)
    conclusion = {
        BETTER: f"{a} is {better}",
        WORSE: f"{a} is {worse}",
        NO_CONCLUSION: "within seed-to-seed spread, no conclusion",
        ONE_SEED: "one seed cannot decide",
    }[result.verdict]
    return f"{description}, {a} − {b}: {result}: {conclusion}."


def _setting(column: str, value) -> str:
    return {"batch_size": f"batch {value}", "scheduler": f"{value} LR"}.get(column, f"{column} {value}")


def _pairs(trials: pd.DataFrame, columns: list[str], axis: str, baseline) -> Iterator[tuple[str, object, tuple]]:
    """For each setting of the other config columns: (its label, a value of ``axis`` other than the baseline,
    (trials at that value, trials at the baseline))."""
    others = [column for column in columns if column != axis]
    for context, group in trials.groupby(others, sort=True) if others else [((), trials)]:
        context = context if isinstance(context, tuple) else (context,)
        base = group[group[axis] == baseline]
        if base.empty:
            continue
        label = " · ".join(_setting(column, value) for column, value in zip(others, context))
        for value in sorted(set(group[axis]) - {baseline}):
            yield label, value, (group[group[axis] == value], base)


def findings(
    frame: pd.DataFrame,
    rank_by: str = DEFAULT_RANK_BY,
    *,
    trials: pd.DataFrame | None = None,
    table: pd.DataFrame | None = None,
) -> dict[str, list[str]]:
    """Sentences answering each of :data:`QUESTIONS`, computed from this experiment's numbers. ``trials`` and
    ``table`` are :func:`per_trial` of ``frame`` and :func:`summary` of that, when the caller has them already."""
    trials = per_trial(frame) if trials is None else trials
    if trials["epochs_done"].max() == 0:
        return {question: ["No trial reported an epoch yet, so there is nothing to compare."] for question in QUESTIONS}
    table = summary(trials) if table is None else table
    columns = config_columns(trials)
    return {
        STABILITY: _stability_findings(trials, table, columns),
        IMAGES: _image_findings(latest_per_epoch(frame), trials, table, columns, rank_by),
        SCHEDULES: _schedule_findings(trials, table, columns, rank_by),
    }


def _stability_findings(trials: pd.DataFrame, table: pd.DataFrame, columns: list[str]) -> list[str]:
    out = []
    if (trials["outcome"] == outcomes.NOT_MEASURED).any():
        out.append(
            "Some trials measured no image quality (eval_every 0), so mode collapse cannot be judged for them: "
            "they are undecided, whatever their loss variance."
        )
    for _, row in table.iterrows():
        note = " (one seed cannot decide)" if row["seeds"] == 1 else ""
        out.append(f"{row['label']}: {row['verdict']}{note}: {row['outcomes']}.")
    smallest = trials["batch_size"].min()
    others = [column for column in columns if column != "batch_size"]
    for context, group in table.groupby(others, sort=True):
        verdicts = {
            verdict: sorted(set(group.loc[group["verdict"] == verdict, "batch_size"]))
            for verdict in (STABLE_CONFIG, UNSTABLE_CONFIG, UNDECIDED)
        }
        listed = "; ".join(
            f"{verdict}: {', '.join(map(str, batches))}" for verdict, batches in verdicts.items() if batches
        )
        setting = " · ".join(_setting(column, value) for column, value in zip(others, context))
        out.append(f"Batch sizes with {setting}: {listed}.")
    if "late_d_loss_var_corrected" in trials and trials["late_d_loss_var_corrected"].notna().any():
        for context, batch, (larger, base) in _pairs(trials, columns, "batch_size", smallest):
            out.append(
                _comparison(
                    f"Loss movement (sampling-corrected D-loss variance, last {outcomes.LATE_EPOCHS} epochs) "
                    f"at {context}",
                    f"batch {batch}",
                    f"batch {smallest}",
                    larger["late_d_loss_var_corrected"],
                    base["late_d_loss_var_corrected"],
                    higher_is_better=False,
                    words=("calmer", "less calm"),
                )
            )
    return out


def _image_findings(
    frame: pd.DataFrame, trials: pd.DataFrame, table: pd.DataFrame, columns: list[str], rank_by: str
) -> list[str]:
    if rank_by not in trials or trials[rank_by].isna().all():
        return [
            "No image-quality metrics were measured in this experiment (eval_every 0), so which settings give good "
            "images cannot be answered from numbers: judge by the sample grids, or rerun with --eval-every."
        ]
    ranked = ranking(table, rank_by)
    direction = "higher" if HIGHER_IS_BETTER[rank_by] else "lower"
    listing = "; ".join(f"{row['rank']}. {row['label']}: {row[rank_by]}" for _, row in ranked.iterrows())
    out = [
        f"Ranked by how many seeds collapsed (fewest first), then by final {rank_by} ({direction} is better): "
        f"{listing}."
    ]
    best = ranked.iloc[0]
    shown = [metric for metric in REPORTED_QUALITY if metric in ranked.columns and metric != rank_by]
    out.append(
        f"Best: {best['label']}, {rank_by} {best[rank_by]}; "
        + ", ".join(f"{metric} {best[metric]}" for metric in shown)
        + f"; {best['outcomes']}."
    )
    if len(ranked) > 1:
        runner_up = ranked.iloc[1]
        out.append(
            _comparison(
                f"Final {rank_by}",
                best["label"],
                runner_up["label"],
                _values(trials, columns, best, rank_by),
                _values(trials, columns, runner_up, rank_by),
                HIGHER_IS_BETTER[rank_by],
            )
        )
    collapsed = table[table["outcomes"].str.contains("mode-collapsed")]
    out.append(
        "Mode collapse: " + "; ".join(f"{row['label']}: {row['outcomes']}" for _, row in collapsed.iterrows()) + "."
        if len(collapsed)
        else "No seed ends in mode collapse."
    )
    out += _batch_size_comparisons(frame, trials, columns, rank_by)
    out += _setting_comparisons(trials, columns, rank_by)
    return out


def _values(trials: pd.DataFrame, columns: list[str], config: pd.Series, metric: str) -> pd.Series:
    return trials[(trials[columns] == config[columns]).all(axis=1)][metric]


def _batch_size_comparisons(frame: pd.DataFrame, trials: pd.DataFrame, columns: list[str], rank_by: str) -> list[str]:
    """Each batch size against the smallest, at equal epochs and at equal generator updates."""
    smallest = trials["batch_size"].min()
    out = []
    for context, batch, (larger, base) in _pairs(trials, columns, "batch_size", smallest):
        epochs = int(larger["epochs_done"].min())
        out.append(
            _comparison(
                f"At equal epochs (last evaluation, epoch {epochs}) with {context}, final {rank_by}",
                f"batch {batch}",
                f"batch {smallest}",
                larger[rank_by],
                base[rank_by],
                HIGHER_IS_BETTER[rank_by],
            )
        )
        out.append(_equal_updates_comparison(frame, context, batch, smallest, larger, base, rank_by))
    return out


def _setting_comparisons(trials: pd.DataFrame, columns: list[str], rank_by: str) -> list[str]:
    """Each value of a setting that varies beyond batch size and scheduler (latent_dim, lr_d, ...) against its
    default (else its first value), at each setting of the other config columns where both sides measured it."""
    out = []
    defaults = TrialConfig().to_dict()
    for axis in columns[2:]:
        values = sorted(set(trials[axis]))
        baseline = defaults[axis] if defaults[axis] in values else values[0]
        for context, value, (other, base) in _pairs(trials, columns, axis, baseline):
            if other[rank_by].isna().all() or base[rank_by].isna().all():
                continue
            out.append(
                _comparison(
                    f"Final {rank_by} at {context}",
                    _setting(axis, value),
                    _setting(axis, baseline),
                    other[rank_by],
                    base[rank_by],
                    HIGHER_IS_BETTER[rank_by],
                )
            )
    return out


def _equal_updates_comparison(
    frame: pd.DataFrame, context: str, batch: int, smallest: int, larger: pd.DataFrame, base: pd.DataFrame, rank_by: str
) -> str:
    """The smaller batch's last evaluation within the updates the larger batch took in all, against the larger's."""
    updates = larger["g_updates"].min() if "g_updates" in larger else math.nan
    if math.isnan(updates):
        return f"Batch {batch} and {smallest} at {context} cannot be compared at equal updates: no update counts."
    early = [_last_evaluation_within(frame[frame["trial_id"] == trial_id], updates) for trial_id in base["trial_id"]]
    early = [row for row in early if row is not None]
    if not early:
        return (
            f"Batch {batch} and {smallest} at {context} cannot be compared at equal updates: batch {smallest} has no "
            f"evaluation within batch {batch}'s {updates:,.0f} generator updates; evaluate more often (--eval-every) "
            "or train longer."
        )
    epochs = sorted({int(row["epoch"]) for row in early})
    return _comparison(
        f"At equal generator updates (≤ {updates:,.0f}: batch {smallest} at epoch {', '.join(map(str, epochs))}) "
        f"with {context}, {rank_by}",
        f"batch {batch}",
        f"batch {smallest}",
        larger[rank_by],
        [row[rank_by] for row in early],
        HIGHER_IS_BETTER[rank_by],
    )


def _last_evaluation_within(history: pd.DataFrame, updates: float) -> pd.Series | None:
    """A trial's last evaluated epoch with at most ``updates`` generator updates, if any."""
    evaluated = history[history["fid"].notna() & (history["g_updates"] <= updates)].sort_values("epoch")
    return evaluated.iloc[-1] if len(evaluated) else None


def _schedule_findings(trials: pd.DataFrame, table: pd.DataFrame, columns: list[str], rank_by: str) -> list[str]:
    if BASELINE_SCHEDULER not in set(trials["scheduler"]):
        return [f"No {BASELINE_SCHEDULER}-LR baseline in this experiment, so schedules cannot be compared with it."]
    verdicts = {tuple(row[columns]): row for _, row in table.iterrows()}
    out = [
        "A decaying LR lowers the loss variances and the FID fluctuation by construction, so those are not "
        "evidence here; a schedule fixes a config when its seeds finish stable where constant LR's did not."
    ]
    unstable_baselines = 0
    for context, scheduler, (scheduled, base) in _pairs(trials, columns, "scheduler", BASELINE_SCHEDULER):
        base_row = verdicts[tuple(base.iloc[0][columns])]
        own_row = verdicts[tuple(scheduled.iloc[0][columns])]
        if base_row["verdict"] == UNSTABLE_CONFIG:
            unstable_baselines += 1
            fixed = {
                STABLE_CONFIG: "fixes it",
                UNSTABLE_CONFIG: "does not fix it",
                UNDECIDED: "undecided (one seed or unfinished seeds cannot decide)",
            }[own_row["verdict"]]
            out.append(
                f"{context}: with {BASELINE_SCHEDULER} LR, unstable: {base_row['outcomes']}; with {scheduler}: "
                f"{own_row['outcomes']}; so {scheduler} {fixed}."
            )
        if rank_by in scheduled and scheduled[rank_by].notna().any():
            out.append(
                _comparison(
                    f"Final {rank_by} at {context}",
                    scheduler,
                    BASELINE_SCHEDULER,
                    scheduled[rank_by],
                    base[rank_by],
                    HIGHER_IS_BETTER[rank_by],
                )
            )
    if not unstable_baselines:
        out.append(f"No {BASELINE_SCHEDULER}-LR config is unstable, so there is no instability for a schedule to fix.")
    return out
