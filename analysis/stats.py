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
from analysis.intervals import (
    BETTER,
    NO_CONCLUSION,
    NO_VALUES,
    ONE_SEED,
    WORSE,
    Difference,
    difference,
    mean_interval,
    share_difference,
)
from analysis.load import CONFIG_COLUMNS, latest_per_epoch
from trainables.config import TrialConfig
from trainables.metric_keys import DIVERGED_REASON, HIGHER_IS_BETTER
from tune_gan.search_space import BATCH_SIZE, SCHEDULER, SEED

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
UNDECIDED_WHY = "one seed, unfinished seeds or unmeasured quality cannot decide"
RANKING_RULE = (
    "Ranked by the share of finished seeds that diverged or mode-collapsed (fewest first; configs with no finished "
    "seed last), then by the mean final {rank_by}"
)
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
        if column in frame.columns and column != SEED and frame[column].nunique(dropna=False) > 1
    ]
    return [BATCH_SIZE, SCHEDULER, *[column for column in varying if column not in (BATCH_SIZE, SCHEDULER)]]


def config_label(config: tuple, columns: list[str]) -> str:
    """E.g. 'batch 128 · constant · latent_dim 256'; also of part of a config (a plot's panel leaves one out)."""
    formats = {BATCH_SIZE: "batch {}", SCHEDULER: "{}"}
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
            finished=int((group["outcome"] != outcomes.UNFINISHED).sum()),
        )
        row.update({metric: mean_interval(group[metric]) for metric in estimated})
        rows.append(row)
    return pd.DataFrame(rows)


def ranking(table: pd.DataFrame, rank_by: str = DEFAULT_RANK_BY) -> pd.DataFrame:
    """The summary best first: by the share of its finished seeds that collapsed (fewest first; a config with no
    finished seed last, as nothing is known of it yet), then by ``rank_by``'s mean over seeds."""
    keys = {"_collapsed_share": table["collapsed"] / table["finished"].where(table["finished"] > 0)}
    if rank_by in table.columns:
        sign = -1 if HIGHER_IS_BETTER[rank_by] else 1
        keys["_metric"] = table[rank_by].map(lambda estimate: sign * estimate.mean)
    ranked = (
        table.assign(**keys)
        .sort_values(list(keys), na_position="last", kind="stable", ignore_index=True)
        .drop(columns=list(keys))
    )
    ranked.insert(0, "rank", range(1, len(ranked) + 1))
    return ranked


# ---- findings -----------------------------------------------------------------------------------------------


def _comparison(description: str, a: str, b: str, values_a, values_b, higher_is_better: bool, words=None) -> str:
    """'{description}, {a} − {b}: +x [lo, hi] (n=3 vs 3): {a} is worse.' or '…: within seed-to-seed spread,
    no conclusion.' or '…: one seed cannot decide.'"""
    return _stated(description, a, b, difference(values_a, values_b, higher_is_better), words)


def _stated(description: str, a: str, b: str, result: Difference, words=None, shown: str = "") -> str:
    """A comparison's sentence: the difference ``result`` (a − b) with its interval, ``shown`` before it, and what
    it allows one to conclude."""
    better, worse = words or ("better", "worse")
    conclusion = {
        BETTER: f"{a} is {better}",
        WORSE: f"{a} is {worse}",
        NO_CONCLUSION: "within seed-to-seed spread, no conclusion",
        ONE_SEED: "one seed cannot decide",
        NO_VALUES: "no seed to compare on one side",
    }[result.verdict]
    return f"{description}, {a} − {b}: {shown}{result}: {conclusion}."


def _stable_shares(
    description: str, a: str, b: str, trials_a: pd.DataFrame, trials_b: pd.DataFrame
) -> tuple[Difference, str]:
    """How many seeds ended stable, a against b, among the seeds that could be judged (finished, quality measured):
    the difference of the shares with its interval, and its sentence."""
    counts = []
    for trials in (trials_a, trials_b):
        judged = trials["outcome"].isin(outcomes.JUDGED)
        counts += [int((trials["outcome"] == outcomes.STABLE).sum()), int(judged.sum())]
    result = share_difference(*counts)
    shown = f"{counts[0]} of {counts[1]} vs {counts[2]} of {counts[3]} stable, "
    return result, _stated(description, a, b, result, ("more often stable", "less often stable"), shown)


def _setting(column: str, value) -> str:
    return {BATCH_SIZE: f"batch {value}", SCHEDULER: f"{value} LR"}.get(column, f"{column} {value}")


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
    ranked: pd.DataFrame | None = None,
) -> dict[str, list[str]]:
    """Sentences answering each of :data:`QUESTIONS`, computed from this experiment's numbers. ``trials``, ``table``
    and ``ranked`` are :func:`per_trial` of ``frame``, :func:`summary` of that and its :func:`ranking` by
    ``rank_by``, when the caller has them already."""
    trials = per_trial(frame) if trials is None else trials
    if trials["epochs_done"].max() == 0:
        return {question: ["No trial reported an epoch yet, so there is nothing to compare."] for question in QUESTIONS}
    table = summary(trials) if table is None else table
    ranked = ranking(table, rank_by) if ranked is None else ranked
    columns = config_columns(trials)
    return {
        STABILITY: _stability_findings(trials, table, columns),
        IMAGES: _image_findings(latest_per_epoch(frame), trials, table, ranked, columns, rank_by),
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
    smallest = trials[BATCH_SIZE].min()
    others = [column for column in columns if column != BATCH_SIZE]
    for context, group in table.groupby(others, sort=True):
        verdicts = {
            verdict: sorted(set(group.loc[group["verdict"] == verdict, BATCH_SIZE]))
            for verdict in (STABLE_CONFIG, UNSTABLE_CONFIG, UNDECIDED)
        }
        listed = "; ".join(
            f"{verdict}: {', '.join(map(str, batches))}" for verdict, batches in verdicts.items() if batches
        )
        setting = " · ".join(_setting(column, value) for column, value in zip(others, context))
        out.append(f"Batch sizes with {setting}: {listed}.")
    for context, batch, (larger, base) in _pairs(trials, columns, BATCH_SIZE, smallest):
        out.append(_stable_shares(f"Seeds stable at {context}", f"batch {batch}", f"batch {smallest}", larger, base)[1])
    if "late_d_loss_var_corrected" in trials and trials["late_d_loss_var_corrected"].notna().any():
        for context, batch, (larger, base) in _pairs(trials, columns, BATCH_SIZE, smallest):
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
    frame: pd.DataFrame,
    trials: pd.DataFrame,
    table: pd.DataFrame,
    ranked: pd.DataFrame,
    columns: list[str],
    rank_by: str,
) -> list[str]:
    if rank_by not in trials or trials[rank_by].isna().all():
        return [
            "No image-quality metrics were measured in this experiment (eval_every 0), so which settings give good "
            "images cannot be answered from numbers: judge by the sample grids, or rerun with --eval-every."
        ]
    direction = "higher" if HIGHER_IS_BETTER[rank_by] else "lower"
    listing = "; ".join(
        f"{row['rank']}. {row['label']}: {row[rank_by]}, {row['collapsed']} of {row['finished']} finished seeds "
        "collapsed"
        for _, row in ranked.iterrows()
    )
    out = [f"{RANKING_RULE.format(rank_by=rank_by)} ({direction} is better): {listing}."]
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
    """Each batch size against the smallest, at equal epochs and at equal generator updates, each side by its
    evaluations up to that point (not its final ones, which may lie at another epoch)."""
    smallest = trials[BATCH_SIZE].min()
    evaluations = frame[frame[rank_by].notna()].sort_values("epoch")
    out = []
    for context, batch, (larger, base) in _pairs(trials, columns, BATCH_SIZE, smallest):
        epoch = _common_epoch(evaluations, pd.concat([larger, base]))
        if math.isnan(epoch):
            continue
        large_rows = _last_evaluations(evaluations, larger, "epoch", epoch)
        base_rows = _last_evaluations(evaluations, base, "epoch", epoch)
        stopped = sorted({int(row["epoch"]) for row in [*large_rows, *base_rows] if row["epoch"] < epoch})
        note = (
            f"; seeds not evaluated at it at their last evaluation before, epoch {_epochs(stopped)}" if stopped else ""
        )
        described = f"At equal epochs (epoch {int(epoch)}{note}) with {context}, {rank_by}"
        out.append(_batch_comparison(described, batch, smallest, large_rows, base_rows, rank_by))
        out.append(_equal_updates_comparison(evaluations, context, batch, smallest, large_rows, base, epoch, rank_by))
    return out


def _epochs(epochs: list[int]) -> str:
    return ", ".join(map(str, epochs))


def _common_epoch(evaluations: pd.DataFrame, compared: pd.DataFrame) -> float:
    """The last epoch the compared trials all reached an evaluation at, not counting the trials that diverged (which
    take part with their last evaluation, the end of what their run produced); NaN when none was evaluated."""
    last = evaluations.groupby("trial_id")["epoch"].max().reindex(compared["trial_id"]).to_numpy()
    went_on = last[(compared["outcome"] != outcomes.DIVERGED).to_numpy()]
    went_on = went_on[~pd.isna(went_on)]
    return float(went_on.min()) if len(went_on) else float(pd.Series(last).max())


def _last_evaluations(evaluations: pd.DataFrame, trials: pd.DataFrame, axis: str, limit: float) -> list[pd.Series]:
    """Each trial's last evaluation with ``axis`` (epoch or g_updates) at most ``limit``, for those that have one."""
    rows = []
    for trial_id in trials["trial_id"]:
        history = evaluations[(evaluations["trial_id"] == trial_id) & (evaluations[axis] <= limit)]
        if len(history):
            rows.append(history.iloc[-1])
    return rows


def _equal_updates_comparison(
    evaluations: pd.DataFrame,
    context: str,
    batch: int,
    smallest: int,
    large_rows: list[pd.Series],
    base: pd.DataFrame,
    epoch: float,
    rank_by: str,
) -> str:
    """The larger batch at the common epoch (``large_rows``) against the smaller batch's last evaluation within the
    generator updates the larger batch had taken by then."""
    updates = [row["g_updates"] for row in large_rows if row["epoch"] == epoch] if "g_updates" in evaluations else []
    if not updates or pd.isna(min(updates)):
        return f"Batch {batch} and {smallest} at {context} cannot be compared at equal updates: no update counts."
    cap = min(updates)
    early = _last_evaluations(evaluations, base, "g_updates", cap)
    if not early:
        return (
            f"Batch {batch} and {smallest} at {context} cannot be compared at equal updates: batch {smallest} has no "
            f"evaluation within batch {batch}'s {cap:,.0f} generator updates by epoch {int(epoch)}; evaluate more "
            "often (--eval-every) or train longer."
        )
    described = (
        f"At equal generator updates (≤ {cap:,.0f}: batch {batch} at epoch {int(epoch)}, batch {smallest} at epoch "
        f"{_epochs(sorted({int(row['epoch']) for row in early}))}) with {context}, {rank_by}"
    )
    return _batch_comparison(described, batch, smallest, large_rows, early, rank_by)


def _batch_comparison(
    description: str, batch: int, smallest: int, large_rows: list[pd.Series], base_rows: list[pd.Series], rank_by: str
) -> str:
    """``rank_by`` of the larger batch's evaluations against the smallest batch's, as a comparison sentence."""
    return _comparison(
        description,
        f"batch {batch}",
        f"batch {smallest}",
        [row[rank_by] for row in large_rows],
        [row[rank_by] for row in base_rows],
        HIGHER_IS_BETTER[rank_by],
    )


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


def _schedule_findings(trials: pd.DataFrame, table: pd.DataFrame, columns: list[str], rank_by: str) -> list[str]:
    if BASELINE_SCHEDULER not in set(trials[SCHEDULER]):
        return [f"No {BASELINE_SCHEDULER}-LR baseline in this experiment, so schedules cannot be compared with it."]
    verdicts = {tuple(row[columns]): row for _, row in table.iterrows()}
    out = [
        "A decaying LR lowers the loss variances and the FID fluctuation by construction, so those are not "
        "evidence here; a schedule fixes a config when its seeds finish stable where constant LR's did not."
    ]
    unstable_baselines, undecided_baselines = set(), set()
    for context, scheduler, (scheduled, base) in _pairs(trials, columns, SCHEDULER, BASELINE_SCHEDULER):
        base_key, own_key = tuple(base.iloc[0][columns]), tuple(scheduled.iloc[0][columns])
        base_row, own_row = verdicts[base_key], verdicts[own_key]
        compared = (
            f"{context}: with {BASELINE_SCHEDULER} LR, {base_row['verdict']}: {base_row['outcomes']}; "
            f"with {scheduler}: {own_row['outcomes']}"
        )
        if base_row["verdict"] == UNSTABLE_CONFIG:
            unstable_baselines.add(base_key)
            shares, sentence = _stable_shares(
                f"Seeds stable at {context}", scheduler, BASELINE_SCHEDULER, scheduled, base
            )
            out.append(f"{compared}; so {scheduler} {_fixes(own_row['verdict'], shares.verdict)}.")
            out.append(sentence)
        elif base_row["verdict"] == UNDECIDED:
            undecided_baselines.add(base_key)
            out.append(f"{compared}; whether {scheduler} fixes anything cannot be told, as {UNDECIDED_WHY}.")
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
    if not unstable_baselines and undecided_baselines:
        out.append(
            f"No {BASELINE_SCHEDULER}-LR config is known to be unstable: {len(undecided_baselines)} of them "
            f"{'is' if len(undecided_baselines) == 1 else 'are'} undecided, so whether a schedule fixes one cannot "
            "be told yet."
        )
    elif not unstable_baselines:
        out.append(f"No {BASELINE_SCHEDULER}-LR config is unstable, so there is no instability for a schedule to fix.")
    return out


def _fixes(verdict: str, shares_verdict: str) -> str:
    """Whether a schedule whose config ended ``verdict`` fixes an unstable baseline, given how its share of stable
    seeds compares with the baseline's (``shares_verdict``)."""
    if verdict == UNSTABLE_CONFIG:
        return "does not fix it"
    if verdict == UNDECIDED:
        return f"is undecided, as {UNDECIDED_WHY}"
    if shares_verdict == BETTER:
        return "fixes it"
    return "ends stable on every seed, but that many seeds cannot tell it from chance (below): no conclusion yet"
