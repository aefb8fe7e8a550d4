"""Image figures: sample grids across training, the final grids, and latent-space interpolation.

They read each trial's latest checkpoint directory (the ``checkpoint`` column of the tidy
table), which holds every sample grid the trial saved and its generator. A config is shown by its
seeds, not by one of them: its lowest seed may be the one that failed. Where one seed must stand
for a config, it is the config's best seed that did not fail (:func:`seed_order`). A seed that
failed (analysis.outcomes.FAILED) is framed in its outcome's colour (analysis.plots.OUTCOME_COLORS)
and its outcome named. Laid out like the plots (analysis.plots): constrained layout, configs in
their own colours, long titles and labels broken to fit.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from PIL import Image
from torchvision.utils import make_grid

from analysis import outcomes
from analysis.configs import config_columns, config_label
from analysis.plots import OUTCOME_COLORS, config_colors, suptitle, wrap
from analysis.wording import OUTCOME_WORDS
from trainables.checkpoint import CheckpointError, read_state, saved_sample_grids
from trainables.config import SEED, TrialConfig
from trainables.metric_keys import HIGHER_IS_BETTER, label
from trainables.models import build_models

MAX_STAGES = 6
# Outcomes of a seed that finished without failing: the seeds that may stand for their config.
DID_NOT_FAIL = tuple(outcome for outcome in outcomes.FINISHED if outcome not in outcomes.FAILED)
GRID_INCHES = 1.45  # a panel: a saved 5x5 grid (152 px) at about its own size at 110 dpi
GRIDS_PER_LINE = 6  # panels a line: two configs of three seeds, each grid near its own size at page width
# The montage shows every seed while that takes at most this many lines of panels: no taller than the one-seed montage
# of the reference sweep's 12 configs (about two screens); past it, one seed per config.
MONTAGE_LINES = 12
FRAME_WIDTH = 2.5  # points: the frame of a failed seed's grid


def _local_checkpoints(frame: pd.DataFrame) -> dict[str, Path]:
    """Each trial's latest checkpoint directory that is on this machine, by trial id."""
    latest = frame.dropna(subset=["checkpoint"]).drop_duplicates("trial_id", keep="last")
    paths = {trial: Path(path) for trial, path in zip(latest["trial_id"], latest["checkpoint"])}
    return {trial: path for trial, path in paths.items() if path.is_dir()}


def seed_order(seeds: pd.DataFrame, rank_by: str) -> pd.DataFrame:
    """One config's seeds (rows of :func:`analysis.stats.per_trial`) best first: those that finished without failing,
    then those that failed, then the unfinished; within each, by their final ``rank_by``, then the lowest seed (a
    seed without a value of ``rank_by`` after those with one). The first is the seed that stands for the config."""
    standing = np.select(
        [seeds["outcome"].isin(DID_NOT_FAIL), seeds["outcome"].isin(outcomes.FAILED)], [0, 1], default=2
    )
    sign = -1 if HIGHER_IS_BETTER[rank_by] else 1
    value = sign * seeds[rank_by] if rank_by in seeds else math.nan
    keys = {"_standing": standing, "_value": value}
    return seeds.assign(**keys).sort_values([*keys, SEED], na_position="last", kind="stable").drop(columns=list(keys))


def _in_rank_order(trials: pd.DataFrame, ranked: pd.DataFrame) -> list[tuple[tuple, int, pd.DataFrame]]:
    """(config, its rank, its seeds by seed number) for each config of ``ranked`` (:func:`analysis.stats.ranking`'s
    table of ``trials``, :func:`analysis.stats.per_trial`'s), best first."""
    columns = config_columns(trials)
    seeds = {config: group.sort_values(SEED) for config, group in trials.groupby(columns)}
    configs = ranked[columns].itertuples(index=False, name=None)
    return [(config, rank, seeds[config]) for config, rank in zip(configs, ranked["rank"])]


def _last_grid(checkpoint: Path | None) -> tuple[int, Path] | None:
    """(epoch, file) of the last sample grid a checkpoint directory holds; None without one."""
    grids = saved_sample_grids(checkpoint) if checkpoint is not None else {}
    return (max(grids), grids[max(grids)]) if grids else None


def _summary_trial(trials: pd.DataFrame, ranked: pd.DataFrame, rank_by: str) -> tuple[pd.Series, str] | None:
    """The trial whose samples stand beside the summary, and what its label opens with: the best-ranked config's best
    seed that did not fail (:func:`seed_order`). Where every seed of that config failed (or none finished), the first
    config down the ranking with a seed that did not fail, the label opening with that. Where no seed finished without
    failing, the best-ranked config's first seed by :func:`seed_order`, its label saying that it failed and how, so
    that the reader sees what the study's best got to; None without a seed."""
    columns = config_columns(trials)
    ranking = _in_rank_order(trials, ranked)
    for position, (config, rank, seeds) in enumerate(ranking):
        best = seed_order(seeds, rank_by).iloc[0]
        if best["outcome"] in DID_NOT_FAIL:
            top = config_label(ranking[0][0], columns)
            opening = f"no seed of {top} finished without failing; the best-ranked config with one, ranked {rank}: "
            return best, opening if position else "Ranked first: "
    if not ranking:
        return None
    best = seed_order(ranking[0][2], rank_by).iloc[0]
    return best, f"No seed of any config finished without failing; ranked first ({OUTCOME_WORDS[best['outcome']]}): "


def _summary_checkpoint(
    frame: pd.DataFrame, trials: pd.DataFrame, ranked: pd.DataFrame, rank_by: str
) -> tuple[pd.Series, str, Path] | None:
    """:func:`_summary_trial`'s trial and opening with its checkpoint directory, where that is on this machine."""
    shown = _summary_trial(trials, ranked, rank_by)
    checkpoint = _local_checkpoints(frame).get(shown[0]["trial_id"]) if shown is not None else None
    return None if checkpoint is None else (*shown, checkpoint)


def best_checkpoint(frame: pd.DataFrame, trials: pd.DataFrame, ranked: pd.DataFrame, rank_by: str) -> Path | None:
    """The latest checkpoint of the trial whose samples stand beside the summary (:func:`best_samples`), so that the
    interpolation walks the generator the reader saw; None where it is not on this machine. ``trials`` and ``ranked``
    are :func:`analysis.stats.per_trial`'s and :func:`analysis.stats.ranking`'s tables of ``frame``."""
    shown = _summary_checkpoint(frame, trials, ranked, rank_by)
    return None if shown is None else shown[2]


def best_samples(
    frame: pd.DataFrame, trials: pd.DataFrame, ranked: pd.DataFrame, rank_by: str
) -> tuple[str, bytes] | None:
    """The last 5x5 grid of the best-ranked config's best seed that did not fail (see :func:`_summary_trial` for a
    config all of whose seeds failed): (what it shows: config, seed, epoch; its PNG bytes as the trial saved it). None
    where no seed finished without failing, or its checkpoint is not on this machine or holds no grid."""
    shown = _summary_checkpoint(frame, trials, ranked, rank_by)
    final = _last_grid(shown[2]) if shown is not None else None
    if final is None:
        return None
    trial, opening, _ = shown
    columns = config_columns(trials)
    chosen = _chosen(rank_by, pd.notna(trial.get(rank_by)))
    why = ""
    if trial["outcome"] in outcomes.FAILURE_UNTOLD:  # whether it failed, no number tells
        why = f" (the {chosen} of its finished seeds)"
    elif trial["outcome"] in DID_NOT_FAIL:
        why = f" (the {chosen} of its seeds that did not fail)"
    label = f"{opening}{config_label(tuple(trial[columns]), columns)}, seed {trial[SEED]}, epoch {final[0]}{why}"
    return label, final[1].read_bytes()


def _chosen(rank_by: str, measured: bool) -> str:
    """How :func:`seed_order` picked a config's seed: by its final ``rank_by`` where that was measured."""
    return f"best by final {label(rank_by)}" if measured else "lowest"


def _failure(trial: pd.Series) -> str | None:
    """The trial's outcome where it failed (analysis.outcomes.FAILED)."""
    return trial["outcome"] if trial["outcome"] in outcomes.FAILED else None


def _grid_panel(ax: Axes, grid: Path | None, title: str, failed: str | None, fontsize: float) -> None:
    """One sample grid (or, without one, a note saying so) in a panel GRID_INCHES wide, titled; where ``failed`` (its
    seed's outcome, one of analysis.outcomes.FAILED) is given, framed in that outcome's colour and named in the
    title."""
    ax.set_xticks([])
    ax.set_yticks([])
    if grid is not None:
        ax.imshow(Image.open(grid), cmap="gray")
    else:
        ax.text(0.5, 0.5, "no samples\non this machine", ha="center", va="center", fontsize=fontsize, color="gray")
    for spine in ax.spines.values():
        spine.set_visible(failed is not None)
        spine.set_color(OUTCOME_COLORS.get(failed, "black"))
        spine.set_linewidth(FRAME_WIDTH)
    text = "\n".join(wrap(line, GRID_INCHES, fontsize) for line in (title, failed) if line)
    ax.set_title(text, fontsize=fontsize, color=OUTCOME_COLORS.get(failed, "black"))


def _config_blocks(
    trials: pd.DataFrame, configs: list[tuple[tuple, int]], lines: int, panels: int, title: str
) -> tuple[Figure, list[np.ndarray]]:
    """A figure of a block per config of ``configs`` ((config, rank), in rank order), each ``lines`` x ``panels``
    panels (the grid of each) under the config's rank and label in its colour, as many blocks side by side as
    GRIDS_PER_LINE panels allow; the panels of each block, to be filled or hidden."""
    across = max(1, GRIDS_PER_LINE // panels)
    rows = -(-len(configs) // across)
    fig = plt.figure(
        figsize=(GRID_INCHES * panels * across + 0.4, rows * (lines * (GRID_INCHES + 0.35) + 0.25) + 0.4),
        layout="constrained",
    )
    blocks = fig.subfigures(rows, across, squeeze=False, wspace=0.04)
    for block in blocks.flat[len(configs) :]:
        block.set_visible(False)
    columns = config_columns(trials)
    colors = config_colors(trials)
    for block, (config, rank) in zip(blocks.flat, configs):
        label = wrap(f"{rank}. {config_label(config, columns)}", GRID_INCHES * panels - 0.2, 9)
        block.suptitle(label, fontsize=9, color=colors[config])
    suptitle(fig, title)
    return fig, [block.subplots(lines, panels, squeeze=False) for block in blocks.flat[: len(configs)]]


def final_grids(frame: pd.DataFrame, trials: pd.DataFrame, ranked: pd.DataFrame) -> Figure | None:
    """The last 5x5 grid of every seed, small and titled by seed and epoch, a block per config in rank order, a seed
    that failed framed and named; None where no trial's grids are on this machine. ``trials`` and ``ranked`` are
    :func:`analysis.stats.per_trial`'s and :func:`analysis.stats.ranking`'s tables of ``frame``."""
    found = _local_checkpoints(frame)
    finals = {trial: _last_grid(found.get(trial)) for trial in trials["trial_id"]}
    if not any(finals.values()):
        return None
    ranking = _in_rank_order(trials, ranked)
    most = max(len(seeds) for _, _, seeds in ranking)
    fig, blocks = _config_blocks(
        trials,
        [(config, rank) for config, rank, _ in ranking],
        -(-most // GRIDS_PER_LINE),
        min(most, GRIDS_PER_LINE),
        "Final 25 generated images of every seed, configs in rank order (framed: a seed that failed)",
    )
    for axes, (_, _, seeds) in zip(blocks, ranking):
        for ax in axes.flat[len(seeds) :]:
            ax.set_visible(False)
        for ax, (_, trial) in zip(axes.flat, seeds.iterrows()):
            final = finals[trial["trial_id"]]
            title = f"seed {trial[SEED]}" + (f" · epoch {final[0]}" if final else "")
            _grid_panel(ax, final[1] if final else None, title, _failure(trial), 7)
    return fig


def _stages(epochs: list[int]) -> list[int]:
    """Up to MAX_STAGES saved epochs spread from the first to the last."""
    if len(epochs) <= MAX_STAGES:
        return epochs
    picks = np.linspace(0, len(epochs) - 1, MAX_STAGES).round().astype(int)
    return [epochs[index] for index in picks]


def stage_montage(frame: pd.DataFrame, trials: pd.DataFrame, ranked: pd.DataFrame, rank_by: str) -> Figure | None:
    """Each seed's fixed-noise 5x5 grids at the saved stages, early to late, a line per seed, a block per config in
    rank order; where every seed would take more than MONTAGE_LINES lines, one seed per config: its best seed that
    did not fail (:func:`seed_order`). A seed that failed is framed from the epoch its outcome set in. None where no
    trial's grids are on this machine. ``trials`` and ``ranked`` are :func:`analysis.stats.per_trial`'s and
    :func:`analysis.stats.ranking`'s tables of ``frame``."""
    saved = {trial: grids for trial, path in _local_checkpoints(frame).items() if (grids := saved_sample_grids(path))}
    stages = {trial: _stages(list(grids)) for trial, grids in saved.items()}
    ranking = [
        (config, rank, seeds[seeds["trial_id"].isin(saved)]) for config, rank, seeds in _in_rank_order(trials, ranked)
    ]
    ranking = [(config, rank, seeds) for config, rank, seeds in ranking if len(seeds)]
    if not ranking:
        return None
    panels = max(len(epochs) for epochs in stages.values())
    across = max(1, GRIDS_PER_LINE // panels)
    most = max(len(seeds) for _, _, seeds in ranking)
    every = -(-len(ranking) // across) * most <= MONTAGE_LINES
    chosen = _chosen(rank_by, rank_by in trials and trials[rank_by].notna().any())
    which = "every seed" if every else f"one seed of each config, the {chosen} of those that did not fail"
    fig, blocks = _config_blocks(
        trials,
        [(config, rank) for config, rank, _ in ranking],
        most if every else 1,
        panels,
        f"Samples from the same noise across training ({which}; framed: from the epoch a seed failed)",
    )
    for axes, (_, _, seeds) in zip(blocks, ranking):
        shown = seeds if every else seed_order(seeds, rank_by).head(1)
        for line, (_, trial) in zip(axes, shown.iterrows()):
            epochs = stages[trial["trial_id"]]
            failed = _failure(trial)
            onset = np.nanmin([trial["outcome_epoch"], epochs[-1]])  # the last stage where the outcome came after it
            for ax, epoch in zip(line, epochs):
                _grid_panel(
                    ax, saved[trial["trial_id"]][epoch], f"epoch {epoch}", failed if epoch >= onset else None, 7
                )
            line[0].set_ylabel(f"seed {trial[SEED]}", fontsize=8)
            for ax in line[len(epochs) :]:
                ax.set_visible(False)
        for line in axes[len(shown) :]:
            for ax in line:
                ax.set_visible(False)
    return fig


def slerp(start: torch.Tensor, end: torch.Tensor, fraction: float) -> torch.Tensor:
    """Spherical interpolation: follows the shell where Gaussian latent vectors concentrate."""
    cos = torch.dot(start / start.norm(), end / end.norm()).clamp(-1.0, 1.0)
    angle = torch.arccos(cos)
    if angle < 1e-6:
        return torch.lerp(start, end, fraction)
    return (torch.sin((1 - fraction) * angle) * start + torch.sin(fraction * angle) * end) / torch.sin(angle)


@torch.no_grad()
def latent_interpolation(checkpoint: Path, steps: int = 10, seed: int = 0) -> Figure:
    """Walk between two seeded latent points, linearly and spherically, through a trial's final generator."""
    try:
        state = read_state(checkpoint)
    except CheckpointError as error:
        raise CheckpointError(f"checkpoint {checkpoint} cannot be read ({error})") from None
    config = TrialConfig.from_dict(state["config"])
    generator, _ = build_models(config.model, config.latent_dim, config.spectral_norm, config.image_shape)
    generator.load_state_dict(state["generator"])
    generator.eval()
    start, end = torch.randn(2, config.latent_dim, generator=torch.Generator().manual_seed(seed))
    fractions = torch.linspace(0, 1, steps).tolist()
    linear = torch.stack([torch.lerp(start, end, fraction) for fraction in fractions])
    spherical = torch.stack([slerp(start, end, fraction) for fraction in fractions])
    images = generator(torch.cat([linear, spherical]))
    strip = make_grid(images, nrow=steps, padding=2, normalize=True, value_range=(-1, 1))
    fig, ax = plt.subplots(figsize=(1.0 * steps, 2.6), layout="constrained")
    ax.imshow(strip.permute(1, 2, 0).numpy())
    ax.set_yticks([15, 45], ["linear", "spherical"])
    ax.set_xticks([])
    ax.set_xlabel(f"z₀ → z₁ in {steps} steps (epoch {state['epoch']})")
    title = f"Latent interpolation: batch {config.batch_size} · {config.schedule} · seed {config.seed}"
    ax.set_title(wrap(title, steps - 0.3, 9), fontsize=9)
    return fig
