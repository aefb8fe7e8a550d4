"""Plots of a tidy experiment table (see :func:`analysis.load.load_experiment`); each returns a Figure.

One colour per scheduler throughout; curves are means over seeds with a ±1 std band. The curves
can be drawn against epochs, generator updates or real images seen (:data:`X_AXES`): at equal
epochs a larger batch has taken fewer updates, so batch sizes compare differently on each axis.
A setting that varies beyond batch size and scheduler (latent_dim, lr_d, ...) gets panels, or a
marker, of its own: no curve is a mean over two configs.

Every figure is laid out by matplotlib's constrained layout, and its long titles are broken into
lines that fit (:func:`fit`): a figure is as wide as what it shows (a few epochs, one scheduler),
and a title wider than the canvas would be cut off at both ends.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath

from analysis.intervals import metric_range
from analysis.stats import LATE_VARIANCES, config_columns, config_label, quality_metrics
from analysis.wording import number
from tune_gan.search_space import BATCH_SIZE, SCHEDULER

PANELS_PER_ROW = 3  # a figure wider than three panels is unreadable at page width
SCHEDULER_COLORS = {"constant": "tab:blue", "step": "tab:orange", "warmup_cosine": "tab:green"}
BATCH_STYLES = ("-", "--", ":", "-.")
SETTING_MARKERS = ("o", "s", "^", "D", "v", "P")  # one per setting of the config columns beyond batch and scheduler
D_EQUILIBRIUM = math.log(4)  # D loss when D(x) = D(G(z)) = 1/2: the minimax game's equilibrium
G_EQUILIBRIUM = math.log(2)
X_AXES = {"epoch": "epoch", "g_updates": "generator updates", "images_seen": "real images seen"}


def scheduler_color(scheduler: str) -> str:
    return SCHEDULER_COLORS.get(scheduler, "tab:gray")


def fit(text: str, width: float, fontsize: float | str) -> str:
    """``text`` broken at spaces into lines at most ``width`` inches wide at ``fontsize``. Measured here, not left to
    matplotlib's ``wrap=True``, which wraps only when drawing: after the layout has placed the text, and never in
    the notebook's inline figures."""
    font = FontProperties(size=fontsize)
    measure = TextToPath()
    lines: list[str] = []
    for word in text.split(" "):
        longer = f"{lines[-1]} {word}" if lines else word
        if lines and measure.get_text_width_height_descent(longer, font, ismath=False)[0] > width * 72:
            lines.append(word)
        else:
            lines[-1:] = [longer]
    return "\n".join(lines)


def suptitle(fig: Figure, text: str, fontsize: float | str = "large") -> None:
    """The figure's title, in as many lines as its width needs (less a margin for the layout's padding)."""
    fig.suptitle(fit(text, fig.get_figwidth() - 0.3, fontsize), fontsize=fontsize)


def _epochs(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.dropna(subset=["epoch"])


def _panels(table: pd.DataFrame) -> tuple[list[str], list[tuple]]:
    """The config columns but the scheduler (batch size first) and each of their settings, sorted: a panel or row
    apiece, so that a setting varying beyond batch size (latent_dim, lr_d, ...) is never averaged over."""
    columns = [column for column in config_columns(table) if column != SCHEDULER]
    return columns, sorted(table[columns].drop_duplicates().itertuples(index=False, name=None))


def _in_panel(table: pd.DataFrame, columns: list[str], panel: tuple) -> pd.DataFrame:
    return table[(table[columns] == list(panel)).all(axis=1)]


def _full_config(panel: tuple, scheduler: str) -> tuple:
    """A panel's settings (:func:`_panels`) with the scheduler, in :func:`analysis.stats.config_columns`' order."""
    return (panel[0], scheduler, *panel[1:])


def _line_styles(table: pd.DataFrame) -> dict[tuple, dict]:
    """Per config: colour by scheduler, dashes by batch size and, where more varies, a marker per setting of the
    other config columns, so that no two configs draw alike."""
    columns = config_columns(table)
    configs = sorted(table[columns].drop_duplicates().itertuples(index=False, name=None))
    batches = sorted({config[0] for config in configs})
    others = sorted({config[2:] for config in configs})
    return {
        config: {
            "color": scheduler_color(config[1]),
            "linestyle": BATCH_STYLES[batches.index(config[0]) % len(BATCH_STYLES)],
            **({"marker": SETTING_MARKERS[others.index(config[2:]) % len(SETTING_MARKERS)]} if len(others) > 1 else {}),
        }
        for config in configs
    }


def _mean_band(ax, history: pd.DataFrame, metric: str, label: str, x: str = "epoch", **line) -> None:
    """Mean over seeds per point of ``x``, with a ±1 std band where there is more than one seed, inside the metric's
    range (no FID band below 0); ``line`` styles the mean's line (its colour the band's too)."""
    stats = history.groupby(x)[metric].agg(["mean", "std"])
    ax.plot(stats.index, stats["mean"], label=label, **line)
    if stats["std"].notna().any():
        floor, ceiling = metric_range(metric)
        low = (stats["mean"] - stats["std"]).clip(lower=floor)
        high = (stats["mean"] + stats["std"]).clip(upper=ceiling)
        ax.fill_between(stats.index, low, high, color=line["color"], alpha=0.2)


def loss_curves(frame: pd.DataFrame, x: str = "epoch") -> Figure:
    """D and G loss against ``x``; rows are batch sizes (and settings of any other varying config column), columns
    schedulers; dashed lines mark equilibrium."""
    history = _epochs(frame)
    columns, panels = _panels(history)
    schedulers = sorted(history[SCHEDULER].unique())
    fig, axes = plt.subplots(
        len(panels),
        len(schedulers),
        squeeze=False,
        sharex=x == "epoch",  # at equal updates a larger batch's run is shorter
        sharey=True,
        figsize=(3.6 * len(schedulers), 2.8 * len(panels)),
        layout="constrained",
    )
    for row, panel in enumerate(panels):
        for column, scheduler in enumerate(schedulers):
            ax = axes[row, column]
            in_panel = _in_panel(history, columns, panel)
            runs = in_panel[in_panel[SCHEDULER] == scheduler]
            color = scheduler_color(scheduler)
            if len(runs):
                _mean_band(ax, runs, "d_loss", "D loss", x=x, color=color)
                _mean_band(ax, runs, "g_loss", "G loss", x=x, color=color, linestyle=":")
            ax.axhline(D_EQUILIBRIUM, color="black", linestyle="--", linewidth=0.8, label="log 4 (D equilibrium)")
            ax.axhline(G_EQUILIBRIUM, color="gray", linestyle="--", linewidth=0.8, label="log 2 (G equilibrium)")
            label = config_label(_full_config(panel, scheduler), config_columns(history))
            ax.set_title(fit(label, 3.4, 9), fontsize=9)
            if row == len(panels) - 1:
                ax.set_xlabel(X_AXES[x])
            if column == 0:
                ax.set_ylabel("BCE loss (nats)")
    axes[0, 0].legend(fontsize=7)
    suptitle(fig, f"Loss per {X_AXES[x]} (mean over seeds, band ±1 std)")
    return fig


def stability_curves(frame: pd.DataFrame, x: str = "epoch") -> Figure:
    """Within-epoch loss variance against ``x``, raw and sampling-corrected (when reported), one column per batch
    size (and setting of any other varying config column), one line per scheduler. The corrected variance can be
    negative, so its axis is symmetric-log."""
    history = _epochs(frame)
    columns, panels = _panels(history)
    metrics = [name for name in LATE_VARIANCES if name in history.columns and history[name].notna().any()]
    fig, axes = plt.subplots(
        len(metrics),
        len(panels),
        squeeze=False,
        sharex=x == "epoch",
        figsize=(3.6 * len(panels), 2.8 * len(metrics)),
        layout="constrained",
    )
    for column, panel in enumerate(panels):
        for row, metric in enumerate(metrics):
            ax = axes[row, column]
            for scheduler, runs in _in_panel(history, columns, panel).groupby(SCHEDULER):
                _mean_band(ax, runs, metric, scheduler, x=x, color=scheduler_color(scheduler))
            if metric.endswith("_corrected"):
                ax.set_yscale("symlog", linthresh=1e-4)
            else:
                ax.set_yscale("log")
            ax.set_title(fit(config_label(panel, columns), 3.4, 9), fontsize=9)
            ax.set_ylabel(f"{metric} (nats²)", fontsize=8)
            ax.set_xlabel(X_AXES[x])
    axes[0, 0].legend(fontsize=7)
    suptitle(fig, "Loss variance within each epoch: raw, and less mini-batch sampling noise")
    return fig


def stability_heatmap(table: pd.DataFrame) -> Figure:
    """Batch size (and setting of any other varying config column) x scheduler map of how many seeds ended stable
    (analysis.outcomes), with each config's verdict; ``table`` is :func:`analysis.stats.summary`'s."""
    columns, panels = _panels(table)
    schedulers = sorted(table[SCHEDULER].unique())
    cells = table.set_index([*columns, SCHEDULER])
    fractions = np.full((len(panels), len(schedulers)), np.nan)
    fig, ax = plt.subplots(
        figsize=(2.8 + 1.8 * len(schedulers) + 1.2 * (len(columns) - 1), 1.6 + 0.8 * len(panels)),  # row labels
        layout="constrained",
    )
    for row, panel in enumerate(panels):
        for column, scheduler in enumerate(schedulers):
            if (*panel, scheduler) in cells.index:
                cell = cells.loc[(*panel, scheduler)]
                fractions[row, column] = cell["stable"] / cell["seeds"]
                text = f"{cell['stable']}/{cell['seeds']} stable\n{cell['verdict']}"
                ax.text(column, row, text, ha="center", va="center", fontsize=8)
    image = ax.imshow(fractions, cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(schedulers)), schedulers)
    ax.set_yticks(range(len(panels)), [config_label(panel, columns) for panel in panels])
    ax.set_xlabel(SCHEDULER)
    fig.colorbar(image, ax=ax, label="fraction of seeds stable")
    suptitle(fig, "Stable seeds per config (drew the data; no divergence, collapse or fall in quality)", fontsize=9)
    return fig


def lr_curves(frame: pd.DataFrame) -> Figure:
    """The generator's and discriminator's LR per epoch for each config (configs that differ only in what does not
    change the LR draw on top of each other)."""
    history = _epochs(frame)
    columns = config_columns(history)
    styles = _line_styles(history)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), sharey=True, layout="constrained")
    for ax, metric in zip(axes, ("lr_g_in_use", "lr_d_in_use")):
        for config, runs in history.groupby(columns):
            ax.plot(
                *zip(*runs.groupby("epoch")[metric].mean().items()),
                label=config_label(config, columns),
                **{"marker": ".", **styles[config]},
            )
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"{metric} (learning rate)")
    axes[0].legend(fontsize=7)
    suptitle(fig, "Learning rate in use per epoch")
    return fig


def _per_config_lines(frame: pd.DataFrame, metrics: list[tuple[str, str]], title: str, x: str = "epoch") -> Figure:
    history = _epochs(frame)
    columns = config_columns(history)
    styles = _line_styles(history)
    columns_of_panels = min(len(metrics), PANELS_PER_ROW)
    rows = math.ceil(len(metrics) / columns_of_panels)
    fig, axes = plt.subplots(
        rows, columns_of_panels, squeeze=False, figsize=(4.2 * columns_of_panels, 3.4 * rows), layout="constrained"
    )
    for ax in axes.flat[len(metrics) :]:
        ax.axis("off")
    for ax, (metric, unit) in zip(axes.flat, metrics):
        for config, runs in history.groupby(columns):
            _mean_band(ax, runs.dropna(subset=[metric]), metric, config_label(config, columns), x, **styles[config])
        ax.set_xlabel(X_AXES[x])
        ax.set_ylabel(f"{metric} ({unit})")
        ax.ticklabel_format(axis="y", useOffset=False)  # no "1e-5+1" offset on a nearly flat IS
    axes[0, 0].legend(fontsize=7)
    suptitle(fig, title)
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


def _coordinate(values: pd.Series, title: str, log: bool = False) -> tuple[str, pd.Series, str, str]:
    """One axis of the parallel coordinates: (its title, the values scaled min to max, the min's and max's text). A
    number is placed by its value (its log2 if ``log``), anything else (a scheduler, a flag) by its sorted order."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        position = np.log2(values.astype(float)) if log else values.astype(float)
        ends = number(values.min()), number(values.max())
    else:
        categories = sorted(set(values), key=str)
        position = values.map(categories.index).astype(float)
        ends = str(categories[0]), str(categories[-1])
    low, high = position.min(), position.max()
    return title, (position - low) / (high - low) if high > low else position * 0 + 0.5, *ends


def parallel_coordinates(trials: pd.DataFrame) -> Figure:
    """Each trial as a line from its config (batch size, scheduler, any other varying setting) to its final
    metrics; ``trials`` is :func:`analysis.stats.per_trial`'s table."""
    trials = trials.dropna(subset=["late_d_loss_var"])
    schedulers = sorted(trials[SCHEDULER].unique())
    coordinates = [
        _coordinate(trials[column], "log2 batch size" if column == BATCH_SIZE else column, log=column == BATCH_SIZE)
        for column in config_columns(trials)
    ]
    late = [name for name in ("late_d_loss_var", "late_d_loss_var_corrected") if name in trials.columns]
    for metric in ("d_loss", "g_loss", *late, "d_acc", *quality_metrics(trials)):
        coordinates.append(_coordinate(trials[metric], metric))
    fig, ax = plt.subplots(figsize=(1.6 * len(coordinates) + 1, 4), layout="constrained")
    for index, (_, _, bottom, top) in enumerate(coordinates):
        ax.axvline(index, color="black", linewidth=0.8)
        ax.text(index, -0.08, bottom, ha="center", va="top", fontsize=7)
        ax.text(index, 1.04, top, ha="center", va="bottom", fontsize=7)
    for row in range(len(trials)):
        ax.plot(
            range(len(coordinates)),
            [scaled.iloc[row] for _, scaled, _, _ in coordinates],
            color=scheduler_color(trials[SCHEDULER].iloc[row]),
            alpha=0.8,
        )
    ax.set_xticks(range(len(coordinates)), [fit(title, 1.5, 8) for title, _, _, _ in coordinates], fontsize=8)
    ax.set_yticks([])
    ax.set_ylim(-0.15, 1.12)
    handles = [plt.Line2D([], [], color=scheduler_color(s), label=s) for s in schedulers]
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title("Config → final metrics, one line per trial (axes scaled min to max)", fontsize=9)
    return fig
