"""Plots of a tidy experiment table (see :func:`analysis.load.load_experiment`); each returns a Figure.

One colour per scheduler throughout; curves are means over seeds with a ±1 std band. The curves
can be drawn against epochs, generator updates or real images seen (:data:`X_AXES`): at equal
epochs a larger batch has taken fewer updates, so batch sizes compare differently on each axis.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.stats import LATE_VARIANCES, config_columns, config_label, per_trial, quality_metrics, summary

SCHEDULER_COLORS = {"constant": "tab:blue", "step": "tab:orange", "warmup_cosine": "tab:green"}
BATCH_STYLES = ("-", "--", ":", "-.")
D_EQUILIBRIUM = math.log(4)  # D loss when D(x) = D(G(z)) = 1/2: the minimax game's equilibrium
G_EQUILIBRIUM = math.log(2)
X_AXES = {"epoch": "epoch", "g_updates": "generator updates", "images_seen": "real images seen"}


def scheduler_color(scheduler: str) -> str:
    return SCHEDULER_COLORS.get(scheduler, "tab:gray")


def _epochs(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.dropna(subset=["epoch"])


def _mean_band(
    ax, history: pd.DataFrame, metric: str, color: str, label: str, style: str = "-", x: str = "epoch"
) -> None:
    """Mean over seeds per point of ``x``, with a ±1 std band where there is more than one seed."""
    stats = history.groupby(x)[metric].agg(["mean", "std"])
    ax.plot(stats.index, stats["mean"], style, color=color, label=label)
    if stats["std"].notna().any():
        ax.fill_between(stats.index, stats["mean"] - stats["std"], stats["mean"] + stats["std"], color=color, alpha=0.2)


def loss_curves(frame: pd.DataFrame, x: str = "epoch") -> Figure:
    """D and G loss against ``x``; rows are batch sizes, columns schedulers; dashed lines mark equilibrium."""
    history = _epochs(frame)
    batches, schedulers = sorted(history["batch_size"].unique()), sorted(history["scheduler"].unique())
    fig, axes = plt.subplots(
        len(batches),
        len(schedulers),
        squeeze=False,
        sharex=x == "epoch",  # at equal updates a larger batch's run is shorter
        sharey=True,
        figsize=(3.6 * len(schedulers), 2.8 * len(batches)),
    )
    for row, batch in enumerate(batches):
        for column, scheduler in enumerate(schedulers):
            ax = axes[row, column]
            runs = history[(history["batch_size"] == batch) & (history["scheduler"] == scheduler)]
            color = scheduler_color(scheduler)
            if len(runs):
                _mean_band(ax, runs, "d_loss", color, "D loss", x=x)
                _mean_band(ax, runs, "g_loss", color, "G loss", style=":", x=x)
            ax.axhline(D_EQUILIBRIUM, color="black", linestyle="--", linewidth=0.8, label="log 4 (D equilibrium)")
            ax.axhline(G_EQUILIBRIUM, color="gray", linestyle="--", linewidth=0.8, label="log 2 (G equilibrium)")
            ax.set_title(f"batch {batch} · {scheduler}", fontsize=9)
            if row == len(batches) - 1:
                ax.set_xlabel(X_AXES[x])
            if column == 0:
                ax.set_ylabel("BCE loss (nats)")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(f"Loss per {X_AXES[x]} (mean over seeds, band ±1 std)")
    fig.tight_layout()
    return fig


def stability_curves(frame: pd.DataFrame, x: str = "epoch") -> Figure:
    """Within-epoch loss variance against ``x``, raw and sampling-corrected (when reported), one column per batch
    size, one line per scheduler. The corrected variance can be negative, so its axis is symmetric-log."""
    history = _epochs(frame)
    batches = sorted(history["batch_size"].unique())
    metrics = [name for name in LATE_VARIANCES if name in history.columns and history[name].notna().any()]
    fig, axes = plt.subplots(
        len(metrics),
        len(batches),
        squeeze=False,
        sharex=x == "epoch",
        figsize=(3.6 * len(batches), 2.8 * len(metrics)),
    )
    for column, batch in enumerate(batches):
        for row, metric in enumerate(metrics):
            ax = axes[row, column]
            for scheduler, runs in history[history["batch_size"] == batch].groupby("scheduler"):
                _mean_band(ax, runs, metric, scheduler_color(scheduler), scheduler, x=x)
            if metric.endswith("_corrected"):
                ax.set_yscale("symlog", linthresh=1e-4)
            else:
                ax.set_yscale("log")
            ax.set_title(f"batch {batch}", fontsize=9)
            ax.set_ylabel(f"{metric} (nats²)", fontsize=8)
            ax.set_xlabel(X_AXES[x])
    axes[0, 0].legend(fontsize=7)
    fig.suptitle("Loss variance within each epoch: raw, and less mini-batch sampling noise")
    fig.tight_layout()
    return fig


def stability_heatmap(frame: pd.DataFrame) -> Figure:
    """Batch size x scheduler map of how many seeds ended stable (analysis.outcomes), with each config's verdict."""
    table = summary(frame)
    cells = table.groupby(["batch_size", "scheduler"])
    counts = cells[["stable", "seeds"]].sum()
    fractions = (counts["stable"] / counts["seeds"]).unstack("scheduler")
    verdicts = cells["verdict"].agg(lambda verdicts: "/".join(sorted(set(verdicts))))
    labels = {
        cell: f"{counts.loc[cell, 'stable']}/{counts.loc[cell, 'seeds']} stable\n{verdicts[cell]}"
        for cell in counts.index
    }
    fig, ax = plt.subplots(figsize=(1.8 + 1.8 * fractions.shape[1], 1.2 + 0.8 * fractions.shape[0]))
    image = ax.imshow(fractions.to_numpy(dtype=float), cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
    for row, batch in enumerate(fractions.index):
        for column, scheduler in enumerate(fractions.columns):
            text = labels.get((batch, scheduler), "")
            ax.text(column, row, text, ha="center", va="center", fontsize=8)
    ax.set_xticks(range(fractions.shape[1]), fractions.columns)
    ax.set_yticks(range(fractions.shape[0]), fractions.index)
    ax.set_xlabel("scheduler")
    ax.set_ylabel("batch size")
    fig.colorbar(image, ax=ax, label="fraction of seeds stable")
    ax.set_title("Stable seeds per config (no divergence, no mode collapse, quality held)", fontsize=9)
    fig.tight_layout()
    return fig


def lr_curves(frame: pd.DataFrame) -> Figure:
    """The generator's and discriminator's LR per epoch for each scheduler."""
    history = _epochs(frame)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), sharey=True)
    for ax, metric in zip(axes, ("lr_g_in_use", "lr_d_in_use")):
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


def _per_config_lines(frame: pd.DataFrame, metrics: list[tuple[str, str]], title: str, x: str = "epoch") -> Figure:
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
                x,
            )
        ax.set_xlabel(X_AXES[x])
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


def quality_curves(frame: pd.DataFrame, x: str = "epoch") -> Figure | None:
    """Each quality metric per evaluation (FID, IS, precision, recall, classes) against ``x``; None when none was
    measured."""
    present = quality_metrics(frame)
    if not present:
        return None
    return _per_config_lines(frame, [(metric, "score") for metric in present], f"Image quality per {X_AXES[x]}", x)


def parallel_coordinates(frame: pd.DataFrame) -> Figure:
    """Each trial as a line from its config (batch size, scheduler) to its final metrics."""
    trials = per_trial(frame).dropna(subset=["late_d_loss_var"])
    schedulers = sorted(trials["scheduler"].unique())
    axes_spec = [
        ("batch_size", np.log2(trials["batch_size"].astype(float)), "log2 batch size"),
        ("scheduler", trials["scheduler"].map(schedulers.index).astype(float), "scheduler"),
    ]
    late = [name for name in ("late_d_loss_var", "late_d_loss_var_corrected") if name in trials.columns]
    for metric in ("d_loss", "g_loss", *late, "d_acc", *quality_metrics(frame)):
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
