"""Plots of a tidy experiment table (see :func:`analysis.load.load_experiment`); each returns a Figure.

One colour per config, the same in every figure of an experiment (:func:`config_colors`); curves
are means over seeds with a ±1 std band. The curves can be drawn against epochs, generator updates
or real images seen (:data:`X_AXES`): at equal epochs a larger batch has taken fewer updates, so
batch sizes compare differently on each axis. A setting that varies beyond batch size and
schedule (latent_dim, lr_d, ...) gets panels, or a marker, of its own: no curve is a mean over two
configs.

Every figure is laid out by matplotlib's constrained layout, at most three panels a row, its legend
once, below the panels; its long titles are broken into lines that fit (:func:`wrap`): a figure is
as wide as what it shows, and a title wider than the canvas would be cut off at both ends. Axes
never use an offset ("1e−5+1"): a reader sees the values themselves.
"""

from __future__ import annotations

import functools
import math
import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from analysis import outcomes
from analysis.configs import config_columns, config_label
from analysis.intervals import CONFIDENCE, metric_range
from analysis.stats import LATE_VARIANCES, extractor_of, measured, outcome_counts, quality_metrics
from analysis.wording import number
from trainables.config import BATCH_SIZE, SCHEDULE
from trainables.metric_keys import HIGHER_IS_BETTER, PARALLEL, UNITS, shown_in
from trainables.metric_keys import label as metric_label

PANELS_PER_ROW = 3  # a figure wider than three panels is unreadable at page width
PANEL_SIZE = (3.6, 2.8)  # inches: three panels a row fill a page
STYLE = {"axes.formatter.useoffset": False, "legend.fontsize": 8}
# Each outcome's colour in the outcome chart, worst first as analysis.outcomes orders them.
OUTCOME_COLORS = {
    outcomes.DIVERGED: "#c62828",
    outcomes.MODE_COLLAPSE: "#ef8a17",
    outcomes.DID_NOT_LEARN: "#9e9e9e",
    outcomes.QUALITY_FELL: "#f2d024",
    outcomes.TOO_EARLY: "#64b5f6",
    outcomes.STABLE: "#2e7d32",
    outcomes.NOT_MEASURED: "#cfd8dc",
    outcomes.FEATURES_BLIND: "#b0bec5",
    outcomes.UNFINISHED: "#eceff1",
}
SETTING_MARKERS = ("o", "s", "^", "D", "v", "P")  # one per setting of the config columns beyond batch and schedule
D_EQUILIBRIUM = math.log(4)  # D loss when D(x) = D(G(z)) = 1/2: the minimax game's equilibrium
G_EQUILIBRIUM = math.log(2)
X_AXES = {"epoch": "epoch", "g_updates": "generator updates", "images_seen": "real images seen"}


def styled(draw):
    """Draw the figure under :data:`STYLE` (axis formatters read it when they are made)."""

    @functools.wraps(draw)
    def drawn(*args, **kwargs):
        with plt.rc_context(STYLE):
            return draw(*args, **kwargs)

    return drawn


def config_colors(table: pd.DataFrame) -> dict[tuple, str]:
    """One colour per config (:func:`analysis.configs.config_columns`' values, sorted) of any table of the experiment:
    the same configs get the same colours in every figure."""
    columns = config_columns(table)
    configs = sorted(table[columns].drop_duplicates().itertuples(index=False, name=None))
    palette = plt.get_cmap("tab10" if len(configs) <= 10 else "tab20").colors
    return {config: to_hex(palette[index % len(palette)]) for index, config in enumerate(configs)}


LEGEND_ENTRY_EXTRA = 0.7  # inches a legend entry takes besides its label: the handle and the gaps


def legend_below(fig: Figure, handles: list, columns: int = 3) -> None:
    """The figure's one legend, under its panels, in at most ``columns`` columns and as few as the labels' widths
    need to stay inside the figure."""
    widest = max(text_width(handle.get_label(), STYLE["legend.fontsize"]) for handle in handles) + LEGEND_ENTRY_EXTRA
    fitting = max(1, int(fig.get_figwidth() // widest))
    fig.legend(handles=handles, loc="outside lower center", ncols=min(columns, fitting, len(handles)), frameon=False)


def _config_handles(table: pd.DataFrame, styles: dict[tuple, dict]) -> list:
    columns = config_columns(table)
    return [plt.Line2D([], [], label=config_label(config, columns), **style) for config, style in styles.items()]


def text_width(text: str, fontsize: float | str) -> float:
    """How wide ``text`` is drawn at ``fontsize``, in inches."""
    return TextToPath().get_text_width_height_descent(text, FontProperties(size=fontsize), ismath=False)[0] / 72


def wrap(text: str, width: float, fontsize: float | str) -> str:
    """``text`` broken at spaces (and a word too wide for a line after its underscores) into lines at most ``width``
    inches wide at ``fontsize``. Measured here, not left to matplotlib's ``wrap=True``, which wraps only when
    drawing: after the layout has placed the text, and never in the notebook's inline figures."""
    lines: list[str] = []
    for word in text.split(" "):
        # A word wider than the line (a metric's name) breaks after its underscores.
        pieces = [word] if text_width(word, fontsize) <= width else re.split(r"(?<=_)", word)
        for index, piece in enumerate(pieces):
            longer = f"{lines[-1]}{'' if index else ' '}{piece}" if lines else piece
            if lines and text_width(longer, fontsize) > width:
                lines.append(piece)
            else:
                lines[-1:] = [longer]
    return "\n".join(lines)


def suptitle(fig: Figure, text: str, fontsize: float | str = "large") -> None:
    """The figure's title, in as many lines as its width needs (less a margin for the layout's padding)."""
    fig.suptitle(wrap(text, fig.get_figwidth() - 0.3, fontsize), fontsize=fontsize)


def _epochs(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.dropna(subset=["epoch"])


def _panels(table: pd.DataFrame) -> tuple[list[str], list[tuple]]:
    """The config columns but the schedule (batch size first) and each of their settings, sorted: a panel or row
    apiece, so that a setting varying beyond batch size (latent_dim, lr_d, ...) is never averaged over; one panel
    when only the schedule varies."""
    columns = [column for column in config_columns(table) if column != SCHEDULE]
    return columns, sorted(table[columns].drop_duplicates().itertuples(index=False, name=None)) if columns else [()]


def _in_panel(table: pd.DataFrame, columns: list[str], panel: tuple) -> pd.DataFrame:
    return table[(table[columns] == list(panel)).all(axis=1)] if columns else table


def _full_config(table: pd.DataFrame, columns: list[str], panel: tuple, schedule) -> tuple:
    """A panel's settings (:func:`_panels`) with the schedule, in :func:`analysis.configs.config_columns`' order."""
    settings = {**dict(zip(columns, panel)), SCHEDULE: schedule}
    return tuple(settings[column] for column in config_columns(table))


def _line_styles(table: pd.DataFrame) -> dict[tuple, dict]:
    """Per config: its colour (:func:`config_colors`) and, where more than batch size and schedule varies, a marker
    per setting of the other config columns, so that configs tell apart in grey too."""
    colors = config_colors(table)
    beyond = [index for index, column in enumerate(config_columns(table)) if column not in (BATCH_SIZE, SCHEDULE)]
    others = sorted({tuple(config[index] for index in beyond) for config in colors})

    def marker(config: tuple) -> dict:
        if len(others) < 2:
            return {}
        return {
            "marker": SETTING_MARKERS[others.index(tuple(config[index] for index in beyond)) % len(SETTING_MARKERS)]
        }

    return {config: {"color": color, **marker(config)} for config, color in colors.items()}


def _mean_band(ax, history: pd.DataFrame, metric: str, label: str, x: str = "epoch", **line) -> None:
    """Mean over seeds per point of ``x``, with a ±1 std band where there is more than one seed, inside the metric's
    range (no FID band below 0); ``line`` styles the mean's line (its colour the band's too)."""
    stats = history.groupby(x)[metric].agg(["mean", "std"])
    ax.plot(stats.index, stats["mean"], label=label, **line)
    if stats["std"].notna().any():
        floor, ceiling = metric_range(metric, extractor_of(history))
        low = (stats["mean"] - stats["std"]).clip(lower=floor)
        high = (stats["mean"] + stats["std"]).clip(upper=ceiling)
        ax.fill_between(stats.index, low, high, color=line["color"], alpha=0.2)


@styled
def loss_curves(frame: pd.DataFrame, x: str = "epoch") -> Figure:
    """D and G loss against ``x``; rows are batch sizes (and settings of any other varying config column), columns
    schedules; dashed lines mark equilibrium."""
    colors = config_colors(frame)
    history = _epochs(frame)
    columns, panels = _panels(history)
    # A column of panels per schedule where the schedule varies; one column where it does not.
    schedules = sorted(history[SCHEDULE].unique()) if SCHEDULE in config_columns(history) else [None]
    fig, axes = plt.subplots(
        len(panels),
        len(schedules),
        squeeze=False,
        sharex=x == "epoch",  # at equal updates a larger batch's run is shorter
        sharey=True,
        figsize=(PANEL_SIZE[0] * len(schedules), PANEL_SIZE[1] * len(panels) + 0.6),
        layout="constrained",
    )
    for row, panel in enumerate(panels):
        for column, schedule in enumerate(schedules):
            ax = axes[row, column]
            in_panel = _in_panel(history, columns, panel)
            runs = in_panel[in_panel[SCHEDULE] == schedule] if schedule is not None else in_panel
            config = _full_config(history, columns, panel, schedule)
            color = colors.get(config, "black")  # a panel of a combination the grid did not run stays empty
            if len(runs):
                _mean_band(ax, runs, "d_loss", "D loss", x=x, color=color)
                _mean_band(ax, runs, "g_loss", "G loss", x=x, color=color, linestyle=":")
            ax.axhline(D_EQUILIBRIUM, color="black", linestyle="--", linewidth=0.8)
            ax.axhline(G_EQUILIBRIUM, color="gray", linestyle="--", linewidth=0.8)
            ax.set_title(wrap(config_label(config, config_columns(history)), 3.4, 9), fontsize=9, color=color)
            if row == len(panels) - 1:
                ax.set_xlabel(X_AXES[x])
            if column == 0:
                ax.set_ylabel(f"BCE loss ({UNITS['d_loss']})")
    handles = [
        plt.Line2D([], [], color="dimgray", label="D loss"),
        plt.Line2D([], [], color="dimgray", linestyle=":", label="G loss"),
        plt.Line2D([], [], color="black", linestyle="--", linewidth=0.8, label="log 4 (D equilibrium)"),
        plt.Line2D([], [], color="gray", linestyle="--", linewidth=0.8, label="log 2 (G equilibrium)"),
    ]
    legend_below(fig, handles, columns=4)
    suptitle(fig, f"Loss per {X_AXES[x]} (mean over seeds, band ±1 std; colour: the config)")
    return fig


def stability_curves(frame: pd.DataFrame, x: str = "epoch") -> Figure:
    """Within-epoch loss variance against ``x``, raw and sampling-corrected (when reported), a panel per variance, a
    line per config. The corrected variance can be negative, so its axis is symmetric-log."""
    metrics = measured(frame, LATE_VARIANCES)
    scales = {
        name: {"value": "symlog", "linthresh": 1e-4} if name.endswith("_corrected") else "log" for name in metrics
    }
    return _per_config_lines(
        frame,
        [(name, UNITS[name]) for name in metrics],
        "Loss variance within each epoch: raw, and less mini-batch sampling noise",
        x,
        scales,
    )


@styled
def outcome_chart(trials: pd.DataFrame, summary: pd.DataFrame) -> Figure:
    """How each config's seeds ended (analysis.outcomes), a bar per config split by outcome, with the config's verdict
    at its right; ``trials`` and ``summary`` are :func:`analysis.stats.per_trial`'s and
    :func:`analysis.stats.summary`'s tables."""
    columns = config_columns(trials)
    colors = config_colors(trials)
    configs = list(colors)
    counts = outcome_counts(trials)
    verdicts = {tuple(row[columns]): row["verdict"] for _, row in summary.iterrows()}
    index = configs if len(columns) > 1 else [config[0] for config in configs]  # counts' index: a config's values
    fig, ax = plt.subplots(figsize=(6.0, 1.3 + 0.32 * len(configs)), layout="constrained")
    rows = np.arange(len(configs))
    left = np.zeros(len(configs))
    for outcome, color in OUTCOME_COLORS.items():
        if outcome in counts.columns:
            widths = counts[outcome].reindex(index, fill_value=0).to_numpy()
            ax.barh(rows, widths, left=left, color=color, edgecolor="white", label=outcome)
            left += widths
    ax.set_yticks(rows, [wrap(config_label(config, columns), 2.6, 8) for config in configs], fontsize=8)
    for label, config in zip(ax.get_yticklabels(), configs):
        label.set_color(colors[config])
    ax.set_ylim(len(configs) - 0.5, -0.5)  # the first config on top
    ax.set_xlim(0, left.max())
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.set_xlabel("seeds")
    verdict = ax.twinx()
    verdict.set_ylim(ax.get_ylim())
    verdict.set_yticks(rows, [verdicts[config] for config in configs], fontsize=8)
    verdict.tick_params(length=0)
    legend_below(fig, ax.get_legend_handles_labels()[0], columns=5)
    suptitle(fig, "How each config's seeds ended (right: the config's verdict)", fontsize=10)
    return fig


@styled
def seed_spread(trials: pd.DataFrame, ranked: pd.DataFrame, metric: str) -> Figure | None:
    """Every finished seed's final ``metric`` as a dot (hollow: the seed failed), and beside it the config's estimate
    with its interval over the seeds that did not fail, a row per config in rank order; ``ranked`` is
    :func:`analysis.stats.ranking`'s table. None
    when ``metric`` was not measured."""
    if metric not in ranked.columns:
        return None
    columns = config_columns(trials)
    colors = config_colors(trials)
    finished = trials[trials["outcome"].isin(outcomes.FINISHED)].dropna(subset=[metric])
    fig, ax = plt.subplots(figsize=(7.2, 1.6 + 0.45 * len(ranked)), layout="constrained")
    geometric = False
    for row, config in enumerate(ranked.itertuples(index=False)):
        key = tuple(getattr(config, column) for column in columns)
        seeds = _in_panel(finished, columns, key)
        failed = seeds["outcome"].isin(outcomes.FAILED)
        for hollow, drawn in ((False, seeds[~failed]), (True, seeds[failed])):
            ax.scatter(
                drawn[metric],
                np.full(len(drawn), row - 0.12),
                s=30,
                zorder=3,
                gid="seeds",
                color="white" if hollow else colors[key],
                edgecolors=colors[key],
            )
        estimated = getattr(config, metric)
        geometric |= estimated.geometric
        if estimated.n:
            bounds = [[estimated.center - estimated.low], [estimated.high - estimated.center]]
            ax.errorbar(
                estimated.center,
                row + 0.2,
                xerr=None if math.isnan(estimated.low) else bounds,
                fmt="D",
                color="black",
                markersize=4,
                capsize=3,
            )
    ax.set_yticks(
        range(len(ranked)),
        [wrap(f"{rank}. {label}", 2.6, 8) for rank, label in zip(ranked["rank"], ranked["label"])],
    )
    for label, config in zip(ax.get_yticklabels(), ranked[columns].itertuples(index=False, name=None)):
        label.set_color(colors[config])
    ax.set_ylim(len(ranked) - 0.5, -0.5)
    if geometric:  # ticks at 1, 2 and 5 times a power of ten, written as plain numbers
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(subs=(1, 2, 5)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: number(value)))
        ax.xaxis.set_minor_formatter(NullFormatter())
    better = "higher" if HIGHER_IS_BETTER[metric] else "lower"
    ax.set_xlabel(f"final {metric_label(metric)} ({UNITS[metric]}; {better} is better)")
    centre = "geometric mean" if geometric else "mean"
    handles = [
        plt.Line2D([], [], marker="o", linestyle="", color="dimgray", label="a seed"),
        plt.Line2D(
            [], [], marker="o", linestyle="", color="dimgray", markerfacecolor="white", label="a seed that failed"
        ),
        plt.Line2D(
            [],
            [],
            marker="D",
            color="black",
            markersize=4,
            label=f"{centre} of the seeds that did not fail, {CONFIDENCE:.0%} interval",
        ),
    ]
    legend_below(fig, handles)
    suptitle(fig, f"Final {metric_label(metric)} of every seed, configs in rank order", fontsize=10)
    return fig


@styled
def schedule_curves(frame: pd.DataFrame, metric: str) -> Figure:
    """The generator's LR as it ran (and the discriminator's, where it differs) beside ``metric`` at each evaluation,
    a line per config: what a schedule did to the LR next to what it did to the samples."""
    history = _epochs(frame)
    lr_d_differs = not np.allclose(history["lr_d_in_use"], history["lr_g_in_use"], equal_nan=True)
    panels = [("lr_g_in_use", "generator LR as it ran")]
    if lr_d_differs:
        panels.append(("lr_d_in_use", "discriminator LR as it ran"))
    if metric in history.columns and history[metric].notna().any():
        panels.append((metric, f"{metric_label(metric)} ({UNITS[metric]})"))
    columns = config_columns(history)
    styles = _line_styles(frame)
    fig, axes = plt.subplots(
        1, len(panels), squeeze=False, figsize=(PANEL_SIZE[0] * len(panels), PANEL_SIZE[1] + 0.9), layout="constrained"
    )
    for ax, (name, label) in zip(axes.flat, panels):
        for config, runs in history.groupby(columns):
            _mean_band(ax, runs.dropna(subset=[name]), name, config_label(config, columns), **styles[config])
        if name.startswith("lr_"):
            ax.set_yscale("log")
            label += " (learning rate)" if not lr_d_differs else ""
        ax.set_ylabel(wrap(label, 2.6, 9), fontsize=9)
        ax.set_xlabel("epoch")
    legend_below(fig, _config_handles(frame, styles))
    suptitle(
        fig,
        f"The LR as each config ran it, and {metric_label(metric)} over training (mean over seeds, band ±1 std)",
        fontsize=10,
    )
    return fig


@styled
def _per_config_lines(
    frame: pd.DataFrame,
    metrics: list[tuple[str, str]],
    title: str,
    x: str = "epoch",
    scales: dict[str, str | dict] | None = None,
) -> Figure:
    """A panel per (metric, unit), at most three a row, a line per config; ``scales`` sets a panel's y scale."""
    history = _epochs(frame)
    columns = config_columns(history)
    styles = _line_styles(frame)
    columns_of_panels = min(len(metrics), PANELS_PER_ROW)
    rows = math.ceil(len(metrics) / columns_of_panels)
    fig, axes = plt.subplots(
        rows,
        columns_of_panels,
        squeeze=False,
        sharex=x == "epoch",
        figsize=(PANEL_SIZE[0] * columns_of_panels, PANEL_SIZE[1] * rows + 0.9),
        layout="constrained",
    )
    for ax in axes.flat[len(metrics) :]:
        ax.axis("off")
    for ax, (metric, unit) in zip(axes.flat, metrics):
        for config, runs in history.groupby(columns):
            _mean_band(ax, runs.dropna(subset=[metric]), metric, config_label(config, columns), x, **styles[config])
        scale = (scales or {}).get(metric, "linear")
        if isinstance(scale, dict):
            ax.set_yscale(scale["value"], linthresh=scale["linthresh"])
        else:
            ax.set_yscale(scale)
        ax.set_xlabel(X_AXES[x])
        ax.set_ylabel(wrap(f"{metric} ({unit})", 2.6, 9), fontsize=9)
    legend_below(fig, _config_handles(frame, styles))
    suptitle(fig, title)
    return fig


def discriminator_curves(frame: pd.DataFrame) -> Figure:
    """Mean D(x), mean D(G(z)) and D accuracy per epoch, per config."""
    return _per_config_lines(
        frame,
        [(name, UNITS[name]) for name in ("d_real", "d_fake", "d_acc")],
        "Discriminator outputs: D(x) on real, D(G(z)) on fake, accuracy at 0.5",
    )


def quality_curves(frame: pd.DataFrame, x: str = "epoch") -> Figure | None:
    """Each quality metric per evaluation (FID, IS, precision, recall, classes) against ``x``; None when none was
    measured."""
    present = quality_metrics(frame)
    if not present:
        return None
    return _per_config_lines(
        frame, [(metric, UNITS[metric]) for metric in present], f"Image quality per {X_AXES[x]}", x
    )


def _coordinate(values: pd.Series, title: str, log: bool = False) -> tuple[str, pd.Series, str, str]:
    """One axis of the parallel coordinates: (its title, the values scaled min to max, the min's and max's text). A
    number is placed by its value (its log2 if ``log``), anything else (a schedule, a flag) by its sorted order."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        position = np.log2(values.astype(float)) if log else values.astype(float)
        ends = number(values.min()), number(values.max())
    else:
        categories = sorted(set(values), key=str)
        position = values.map(categories.index).astype(float)
        ends = str(categories[0]), str(categories[-1])
    low, high = position.min(), position.max()
    return title, (position - low) / (high - low) if high > low else position * 0 + 0.5, *ends


@styled
def parallel_coordinates(trials: pd.DataFrame) -> Figure:
    """Each trial as a line from its config (batch size, schedule, any other varying setting) to its final
    metrics; ``trials`` is :func:`analysis.stats.per_trial`'s table."""
    styles = _line_styles(trials)
    columns = config_columns(trials)
    trials = trials.dropna(subset=["late_d_loss_var"])
    coordinates = [
        _coordinate(trials[column], "log2 batch size" if column == BATCH_SIZE else column, log=column == BATCH_SIZE)
        for column in columns
    ]
    coordinates += [_coordinate(trials[metric], metric) for metric in measured(trials, shown_in(PARALLEL))]
    spacing = min(1.0, 10.5 / len(coordinates))  # inches between axes: the figure stays within a page's width
    fig, ax = plt.subplots(figsize=(spacing * len(coordinates) + 1, 4.6), layout="constrained")
    for index, (_, _, bottom, top) in enumerate(coordinates):
        ax.axvline(index, color="black", linewidth=0.8)
        ax.text(index, -0.08, wrap(bottom, spacing - 0.1, 7), ha="center", va="top", fontsize=7)
        ax.text(index, 1.04, wrap(top, spacing - 0.1, 7), ha="center", va="bottom", fontsize=7)
    for row, config in enumerate(trials[columns].itertuples(index=False, name=None)):
        ax.plot(
            range(len(coordinates)),
            [scaled.iloc[row] for _, scaled, _, _ in coordinates],
            color=styles[config]["color"],
            alpha=0.8,
        )
    ax.set_xticks(
        range(len(coordinates)), [wrap(title, spacing - 0.1, 7) for title, _, _, _ in coordinates], fontsize=7
    )
    ax.set_yticks([])
    ax.set_ylim(-0.15, 1.12)
    legend_below(fig, _config_handles(trials, {config: {"color": style["color"]} for config, style in styles.items()}))
    ax.set_title("Config → final metrics, one line per trial (axes scaled min to max)", fontsize=9)
    return fig
