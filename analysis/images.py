"""Image figures: sample grids across training, the final grids, and latent-space interpolation.

They read each trial's latest checkpoint directory (the ``checkpoint`` column of the tidy
table), which holds every sample grid the trial saved and its generator. Laid out like the plots
(analysis.plots): constrained layout, long titles and labels broken to fit.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure
from PIL import Image
from torchvision.utils import make_grid

from analysis.plots import PANELS_PER_ROW, config_colors, suptitle, wrap
from analysis.stats import config_columns, config_label
from trainables.checkpoint import CheckpointError, read_state, saved_sample_grids
from trainables.config import SEED, TrialConfig
from trainables.models import build_models

MAX_STAGES = 6


def _first_seed_checkpoints(frame: pd.DataFrame) -> list[tuple[tuple, str, Path]]:
    """(config, its label, checkpoint dir) for the lowest seed of each config that has a local checkpoint."""
    columns = config_columns(frame)
    trials = frame.dropna(subset=["checkpoint"]).sort_values(SEED).drop_duplicates("trial_id")
    out = []
    for config, runs in trials.groupby(columns, sort=True):
        checkpoint = Path(runs["checkpoint"].iloc[0])
        if checkpoint.is_dir():
            out.append((config, config_label(config, columns), checkpoint))
    return out


def _stages(epochs: list[int]) -> list[int]:
    """Up to MAX_STAGES saved epochs spread from the first to the last."""
    if len(epochs) <= MAX_STAGES:
        return epochs
    picks = np.linspace(0, len(epochs) - 1, MAX_STAGES).round().astype(int)
    return [epochs[index] for index in picks]


def stage_montage(frame: pd.DataFrame) -> Figure | None:
    """For each config, its fixed-noise 5x5 grids at the saved stages, early to late, side by side."""
    rows = [(label, saved_sample_grids(checkpoint)) for _, label, checkpoint in _first_seed_checkpoints(frame)]
    rows = [(label, grids) for label, grids in rows if grids]
    if not rows:
        return None
    columns = max(len(_stages(list(grids))) for _, grids in rows)
    fig, axes = plt.subplots(
        len(rows), columns, squeeze=False, figsize=(1.9 * columns + 1.2, 2.0 * len(rows)), layout="constrained"
    )
    for row, (label, grids) in enumerate(rows):
        stages = _stages(list(grids))
        for column in range(columns):
            ax = axes[row, column]
            ax.axis("off")
            if column < len(stages):
                ax.imshow(Image.open(grids[stages[column]]), cmap="gray")
                ax.set_title(f"epoch {stages[column]}", fontsize=8)
        axes[row, 0].text(
            -0.08,
            0.5,
            wrap(label, 1.8, 8),
            transform=axes[row, 0].transAxes,
            rotation=90,
            ha="right",
            va="center",
            fontsize=8,
        )
    suptitle(fig, "Samples from the same noise across training (first seed of each config)")
    return fig


def final_grids(frame: pd.DataFrame) -> Figure | None:
    """The last 5x5 grid of each config, three a row, titled in the config's colour."""
    colors = config_colors(frame)
    finals = [
        (config, label, max(grids), grids[max(grids)])
        for config, label, checkpoint in _first_seed_checkpoints(frame)
        if (grids := saved_sample_grids(checkpoint))
    ]
    if not finals:
        return None
    columns = min(PANELS_PER_ROW, len(finals))
    rows = -(-len(finals) // columns)
    fig, axes = plt.subplots(rows, columns, squeeze=False, figsize=(2.4 * columns, 2.6 * rows), layout="constrained")
    for ax in axes.flat:
        ax.axis("off")
    for ax, (config, label, epoch, grid) in zip(axes.flat, finals):
        ax.imshow(Image.open(grid), cmap="gray")
        ax.set_title(f"{wrap(label, 2.2, 8)}\nepoch {epoch}", fontsize=8, color=colors[config])
    suptitle(fig, "Final 25 generated images of each config (its lowest seed)")
    return fig


def _best_trial(frame: pd.DataFrame, ranked: pd.DataFrame) -> pd.Series | None:
    """The latest row of the best-ranked config's lowest seed whose checkpoint is on this machine; ``ranked`` is
    :func:`analysis.stats.ranking`'s table of the experiment."""
    best = ranked.iloc[0]
    columns = config_columns(frame)
    trials = frame[(frame[columns] == best[columns]).all(axis=1)].dropna(subset=["checkpoint"]).sort_values(SEED)
    if not len(trials) or not Path(trials["checkpoint"].iloc[0]).is_dir():
        return None
    return trials.iloc[0]


def best_checkpoint(frame: pd.DataFrame, ranked: pd.DataFrame) -> Path | None:
    """The latest checkpoint of the best-ranked config's lowest seed, if it is on this machine."""
    trial = _best_trial(frame, ranked)
    return None if trial is None else Path(trial["checkpoint"])


def best_samples(frame: pd.DataFrame, ranked: pd.DataFrame) -> tuple[str, bytes] | None:
    """The best-ranked config's lowest seed's last 5x5 grid: (what it shows, its PNG bytes as the trial saved it);
    None where that checkpoint is not on this machine or holds no grid."""
    trial = _best_trial(frame, ranked)
    grids = saved_sample_grids(Path(trial["checkpoint"])) if trial is not None else {}
    if not grids:
        return None
    columns = config_columns(frame)
    label = config_label(tuple(trial[columns]), columns)
    return f"{label}, seed {trial[SEED]}, epoch {max(grids)}", grids[max(grids)].read_bytes()


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
    generator, _ = build_models(config.model, config.latent_dim, config.spectral_norm)
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
