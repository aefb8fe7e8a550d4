"""Plots of a tidy experiment table (see :func:`analysis.load.load_experiment`); each returns a Figure.

One colour per scheduler throughout; curves are means over seeds with a ±1 std band.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.stats import config_columns, config_label, per_trial, quality_metrics, summary

SCHEDULER_COLORS = {"constant": "tab:blue", "step": "tab:orange", "warmup_cosine": "tab:green"}
BATCH_STYLES = ("-", "--", ":", "-.")
D_EQUILIBRIUM = math.log(4)  # D loss when D(x) = D(G(z)) = 1/2: the minimax game's equilibrium
G_EQUILIBRIUM = math.log(2)


def scheduler_color(scheduler: str) -> str:
    return SCHEDULER_COLORS.get(scheduler, "tab:gray")


def _epochs(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.dropna(subset=["epoch"])


def _mean_band(ax, history: pd.DataFrame, metric: str, color: str, label: str, style: str = "-") -> None:
    """Mean over seeds per epoch, with a ±1 std band where there is more than one seed."""
    stats = history.groupby("epoch")[metric].agg(["mean", "std"])
    ax.plot(stats.index, stats["mean"], style, color=color, label=label)
    if stats["std"].notna().any():
        ax.fill_between(stats.index, stats["mean"] - stats["std"], stats["mean"] + stats["std"], color=color, alpha=0.2)


def loss_curves(frame: pd.DataFrame) -> Figure:
    """D and G loss per epoch; rows are batch sizes, columns schedulers; dashed lines mark equilibrium."""
    history = _epochs(frame)
    batches, schedulers = sorted(history["batch_size"].unique()), sorted(history["scheduler"].unique())
    fig, axes = plt.subplots(
        len(batches),
        len(schedulers),
        squeeze=False,
        sharex=True,
        sharey=True,
        figsize=(3.6 * len(schedulers), 2.8 * len(batches)),
    )
    for row, batch in enumerate(batches):
        for column, scheduler in enumerate(schedulers):
            ax = axes[row, column]
            runs = history[(history["batch_size"] == batch) & (history["scheduler"] == scheduler)]
            color = scheduler_color(scheduler)
            if len(runs):
                _mean_band(ax, runs, "d_loss", color, "D loss")
                _mean_band(ax, runs, "g_loss", color, "G loss", style=":")
            ax.axhline(D_EQUILIBRIUM, color="black", linestyle="--", linewidth=0.8, label="log 4 (D equilibrium)")
            ax.axhline(G_EQUILIBRIUM, color="gray", linestyle="--", linewidth=0.8, label="log 2 (G equilibrium)")
            ax.set_title(f"batch {batch} · {scheduler}", fontsize=9)
            if row == len(batches) - 1:
                ax.set_xlabel("epoch")
            if column == 0:
                ax.set_ylabel("BCE loss (nats)")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle("Loss curves (mean over seeds, band ±1 std)")
    fig.tight_layout()
    return fig


def stability_curves(frame: pd.DataFrame) -> Figure:
    """Within-epoch D- and G-loss variance per epoch, one panel per batch size, one line per scheduler."""
    history = _epochs(frame)
    batches = sorted(history["batch_size"].unique())
    fig, axes = plt.subplots(2, len(batches), squeeze=False, sharex=True, figsize=(3.6 * len(batches), 5.6))
    for column, batch in enumerate(batches):
        for row, metric in enumerate(("d_loss_var", "g_loss_var")):
            ax = axes[row, column]
            for scheduler, runs in history[history["batch_size"] == batch].groupby("scheduler"):
                _mean_band(ax, runs, metric, scheduler_color(scheduler), scheduler)
            ax.set_yscale("log")
            ax.set_title(f"batch {batch}", fontsize=9)
            ax.set_ylabel(f"{metric} (nats²)")
            ax.set_xlabel("epoch")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle("Loss variance within each epoch (lower is steadier)")
    fig.tight_layout()
    return fig


def stability_heatmap(frame: pd.DataFrame) -> Figure:
    """Batch size x scheduler map of the stability score (see analysis.stats)."""
    table = summary(frame).groupby(["batch_size", "scheduler"])["stability_mean"].mean().unstack("scheduler")
    fig, ax = plt.subplots(figsize=(1.8 + 1.6 * table.shape[1], 1.2 + 0.7 * table.shape[0]))
    image = ax.imshow(np.log10(table.to_numpy(dtype=float)), cmap="viridis_r", aspect="auto")
    for (row, column), value in np.ndenumerate(table.to_numpy(dtype=float)):
        ax.text(column, row, f"{value:.3g}", ha="center", va="center", color="white", fontsize=9)
    ax.set_xticks(range(table.shape[1]), table.columns)
    ax.set_yticks(range(table.shape[0]), table.index)
    ax.set_xlabel("scheduler")
    ax.set_ylabel("batch size")
    fig.colorbar(image, ax=ax, label="log10 stability score")
    ax.set_title("Stability score: mean D-loss variance, last epochs (lower is steadier)", fontsize=9)
    fig.tight_layout()
    return fig


def lr_curves(frame: pd.DataFrame) -> Figure:
    """The generator's and discriminator's LR per epoch for each scheduler."""
    history = _epochs(frame)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), sharey=True)
    for ax, metric in zip(axes, ("lr_g", "lr_d")):
        for scheduler, runs in history.groupby("scheduler"):
            ax.plot(
                *zip(*runs.groupby("epoch")[metric].mean().items()),
                color=scheduler_color(scheduler),
                label=scheduler,
                marker=".",
            )
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"{metric} (learning rate)")
    axes[0].legend(fontsize=8)
    fig.suptitle("Learning rate in use per epoch")
    fig.tight_layout()
    return fig


def _per_config_lines(frame: pd.DataFrame, metrics: list[tuple[str, str]], title: str) -> Figure:
    history = _epochs(frame)
    columns = config_columns(history)
    batches = sorted(history["batch_size"].unique())
    fig, axes = plt.subplots(1, len(metrics), squeeze=False, figsize=(4.2 * len(metrics), 3.6))
    for ax, (metric, unit) in zip(axes[0], metrics):
        for config, runs in history.groupby(columns):
            style = BATCH_STYLES[batches.index(runs["batch_size"].iloc[0]) % len(BATCH_STYLES)]
            _mean_band(
                ax,
                runs.dropna(subset=[metric]),
                metric,
                scheduler_color(runs["scheduler"].iloc[0]),
                config_label(config, columns),
                style,
            )
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"{metric} ({unit})")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def discriminator_curves(frame: pd.DataFrame) -> Figure:
    """Mean D(x), mean D(G(z)) and D accuracy per epoch, per config."""
    return _per_config_lines(
        frame,
        [("d_real", "probability"), ("d_fake", "probability"), ("d_acc", "fraction")],
        "Discriminator outputs: D(x) on real, D(G(z)) on fake, accuracy at 0.5",
    )


def quality_curves(frame: pd.DataFrame) -> Figure | None:
    """Each quality metric per evaluated epoch (FID, IS, precision, recall, classes); None when none was measured."""
    present = quality_metrics(frame)
    if not present:
        return None
    return _per_config_lines(frame, [(metric, "score") for metric in present], "Image quality over training")


def parallel_coordinates(frame: pd.DataFrame) -> Figure:
    """Each trial as a line from its config (batch size, scheduler) to its final metrics."""
    trials = per_trial(frame).dropna(subset=["stability"])
    schedulers = sorted(trials["scheduler"].unique())
    axes_spec = [
        ("batch_size", np.log2(trials["batch_size"].astype(float)), "log2 batch size"),
        ("scheduler", trials["scheduler"].map(schedulers.index).astype(float), "scheduler"),
    ]
    for metric in ("d_loss", "g_loss", "stability", "d_acc", *quality_metrics(frame)):
        axes_spec.append((metric, trials[metric].astype(float), metric))
    fig, ax = plt.subplots(figsize=(1.6 * len(axes_spec) + 1, 4))
    scaled = []
    for index, (name, values, title) in enumerate(axes_spec):
        low, high = values.min(), values.max()
        scaled.append((values - low) / (high - low) if high > low else values * 0 + 0.5)
        ax.axvline(index, color="black", linewidth=0.8)
        bottom, top = (schedulers[0], schedulers[-1]) if name == "scheduler" else (f"{low:.3g}", f"{high:.3g}")
        if name == "batch_size":
            bottom, top = f"{2**low:.0f}", f"{2**high:.0f}"
        ax.text(index, -0.08, bottom, ha="center", va="top", fontsize=7)
        ax.text(index, 1.04, top, ha="center", va="bottom", fontsize=7)
    for row in range(len(trials)):
        ax.plot(
            range(len(axes_spec)),
            [values.iloc[row] for values in scaled],
            color=scheduler_color(trials["scheduler"].iloc[row]),
            alpha=0.8,
        )
    ax.set_xticks(range(len(axes_spec)), [title for _, _, title in axes_spec], fontsize=8)
    ax.set_yticks([])
    ax.set_ylim(-0.15, 1.12)
    handles = [plt.Line2D([], [], color=scheduler_color(s), label=s) for s in schedulers]
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title("Config → final metrics, one line per trial (axes scaled min to max)", fontsize=9)
    fig.tight_layout()
    return fig
