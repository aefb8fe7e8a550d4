"""Write every plot, the tidy table and a report (Markdown + self-contained HTML) for one experiment.

    python analysis/report.py EXPERIMENT_DIR [--out DIR] [--rank-by fid|recall|...]

The findings are computed from this experiment's numbers (analysis.stats), never typed in; the
HTML page is the Markdown report rendered by python-markdown, with its images embedded.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: put the repo root, not this folder, first on the import path.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import base64
import html
import math
from dataclasses import dataclass
from typing import Callable

import markdown
import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from analysis import images, intervals, outcomes, plots, stats
from analysis.load import export, load_experiment
from trainables.cli_args import OneLineErrorParser, one_line
from trainables.metric_keys import HIGHER_IS_BETTER

# Per-config numbers of the ranked table after the quality metrics, each a mean with its interval over seeds.
TABLE_ESTIMATES = (
    "fid_fluctuation",
    "late_d_loss_var_corrected",
    "late_d_loss_var",
    "d_acc",
    "epochs_done",
    "g_updates",
)


@dataclass(frozen=True)
class Plot:
    file: str
    caption: str
    figure: Figure | None


def all_plots(frame: pd.DataFrame, rank_by: str = stats.DEFAULT_RANK_BY) -> list[Plot]:
    """Every figure of the report; a figure the data cannot support (e.g. no quality metrics) is None."""
    best_checkpoint = images.best_checkpoint(frame, rank_by)
    return [
        Plot(
            "loss_curves.png",
            "D and G loss per epoch (dashed: equilibrium values log 4 and log 2)",
            plots.loss_curves(frame),
        ),
        _per_update(frame, "loss_curves_by_updates.png", "D and G loss per generator update", plots.loss_curves),
        Plot("stability_curves.png", "Within-epoch loss variance per epoch", plots.stability_curves(frame)),
        _per_update(
            frame, "stability_by_updates.png", "Within-epoch loss variance per generator update", plots.stability_curves
        ),
        Plot("stability_heatmap.png", "Stable seeds by batch size and scheduler", plots.stability_heatmap(frame)),
        Plot("lr_schedules.png", "Learning rate per epoch, as the trials ran", plots.lr_curves(frame)),
        Plot("discriminator.png", "D(x), D(G(z)) and D accuracy per epoch", plots.discriminator_curves(frame)),
        Plot("quality.png", "Image quality per evaluated epoch", plots.quality_curves(frame)),
        _per_update(frame, "quality_by_updates.png", "Image quality per generator update", plots.quality_curves),
        Plot("stage_montage.png", "Fixed-noise samples across training", images.stage_montage(frame)),
        Plot("final_grids.png", "Final 25 generated images per config", images.final_grids(frame)),
        Plot(
            "interpolation.png",
            "Latent-space interpolation through the best-ranked config's generator",
            images.latent_interpolation(best_checkpoint) if best_checkpoint else None,
        ),
        Plot("parallel_coordinates.png", "Config → final metrics", plots.parallel_coordinates(frame)),
    ]


def _per_update(frame: pd.DataFrame, file: str, caption: str, draw: Callable[..., Figure | None]) -> Plot:
    """A figure drawn against generator updates; None for results written before trials counted them."""
    counted = "g_updates" in frame.columns and frame["g_updates"].notna().any()
    return Plot(file, caption, draw(frame, x="g_updates") if counted else None)


def config_table(frame: pd.DataFrame, rank_by: str = stats.DEFAULT_RANK_BY) -> pd.DataFrame:
    """The report's main table: one row per config, ranked, every number a mean with its interval over seeds."""
    table = stats.ranking(stats.summary(frame), rank_by)
    columns = stats.config_columns(frame)
    shown = table[["rank", *columns, "seeds", "verdict", "outcomes"]].copy()
    quality = stats.quality_metrics(frame)
    ordered = [*([rank_by] if rank_by in quality else []), *[name for name in quality if name != rank_by]]
    for metric in [*ordered, *TABLE_ESTIMATES]:
        if metric in table.columns:
            shown[metric] = table[metric].map(str)
    return shown


# Per-trial columns of the trials table: how each seed ended and its last evaluation.
TRIAL_TABLE_COLUMNS = (
    "seed",
    "status",
    "outcome",
    "outcome_epoch",
    "outcome_detail",
    "fid",
    "is_score",
    "precision",
    "recall",
    "classes_covered",
    "fid_fluctuation",
    "late_d_loss_var_corrected",
    "late_d_loss_var",
)


def trial_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per trial, by config then seed: its outcome, from which epoch, its last quality and loss variances."""
    trials = stats.per_trial(frame)
    columns = stats.config_columns(frame)
    trials = trials.sort_values([*columns, "seed"], ignore_index=True)
    shown = pd.DataFrame({"config": [stats.config_label(tuple(row[columns]), columns) for _, row in trials.iterrows()]})
    for column in TRIAL_TABLE_COLUMNS:
        if column in trials.columns:
            shown[column] = trials[column].map(_cell)
    return shown


def _cell(value) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else intervals.number(value)
    return str(value)


def _markdown_table(table: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(map(str, table.columns)) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


def report_markdown(frame: pd.DataFrame, experiment: str, plots_written: list[Plot], rank_by: str) -> str:
    """The report as Markdown: the three answers, the ranked configs, the definitions, the plots."""
    trials = frame.drop_duplicates("trial_id")
    statuses = ", ".join(f"{count} {status}" for status, count in trials["status"].value_counts().items())
    direction = "higher" if HIGHER_IS_BETTER[rank_by] else "lower"
    lines = [
        f"# tune-gan report: {Path(str(experiment)).name}",
        "",
        f"Experiment `{experiment}`: {len(trials)} trials ({statuses}), {frame['epoch'].notna().sum()} "
        f"trial-epochs. Configs are ranked by their final `{rank_by}` ({direction} is better). Every per-config "
        f"number is a mean over seeds with its {intervals.CONFIDENCE:.0%} interval and n, the number of seeds.",
        "",
    ]
    for question, sentences in stats.findings(frame, rank_by).items():
        lines += [f"## {question}", "", *[f"- {sentence}" for sentence in sentences], ""]
    lines += [
        "## Configs, ranked",
        "",
        _markdown_table(config_table(frame, rank_by)),
        "",
        "## Trials",
        "",
        _markdown_table(trial_table(frame)),
        "",
        "## Definitions",
        "",
        outcomes.DEFINITIONS,
        f"- Intervals: {intervals.METHOD}",
        "",
        "## Plots",
        "",
    ]
    for plot in plots_written:
        lines += [f"### {plot.caption}", "", f"![{plot.caption}]({plot.file})", ""]
    return "\n".join(lines)


def report_html(report: str, out: Path, plots_written: list[Plot]) -> str:
    """The Markdown rendered to one self-contained page, every image embedded."""
    body = markdown.markdown(report, extensions=["tables"])
    for plot in plots_written:
        encoded = base64.b64encode((out / plot.file).read_bytes()).decode("ascii")
        body = body.replace(f'src="{plot.file}"', f'src="data:image/png;base64,{encoded}"')
    title = html.escape(report.splitlines()[0].lstrip("# "))
    style = (
        "body{font-family:sans-serif;max-width:1100px;margin:auto;line-height:1.45}img{max-width:100%}"
        "table{border-collapse:collapse;font-size:13px}td,th{padding:2px 8px;border-bottom:1px solid #ddd}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title><style>{style}</style></head>"
        f"<body>{body}</body></html>"
    )


def write_report(experiment: str | Path, out: Path, rank_by: str = stats.DEFAULT_RANK_BY) -> Path:
    """Write the PNGs, results.csv/.parquet, report.md and report.html into ``out``; return report.md."""
    frame = load_experiment(experiment)
    out.mkdir(parents=True, exist_ok=True)
    export(frame, out / "results.csv")
    export(frame, out / "results.parquet")
    written = []
    for plot in all_plots(frame, rank_by):
        if plot.figure is not None:
            plot.figure.savefig(out / plot.file, dpi=110)
            plt.close(plot.figure)
            written.append(plot)
    report = report_markdown(frame, str(experiment), written, rank_by)
    (out / "report.md").write_text(report)
    (out / "report.html").write_text(report_html(report, out, written))
    return out / "report.md"


def main(argv: list[str] | None = None) -> int:
    parser = OneLineErrorParser(prog="report.py", description=__doc__.splitlines()[0])
    parser.add_argument("experiment", help="experiment directory (storage path / name), or a storage URI")
    parser.add_argument("--out", help="where to write the report (default: EXPERIMENT/report)")
    parser.add_argument(
        "--rank-by",
        choices=stats.RANKABLE,
        default=stats.DEFAULT_RANK_BY,
        help=f"quality metric the configs are ranked and compared by (default {stats.DEFAULT_RANK_BY})",
    )
    args = parser.parse_args(argv)
    matplotlib.use("Agg")  # files only, no display; the notebook imports this module and keeps its inline backend
    is_uri = "://" in args.experiment
    if not is_uri and not Path(args.experiment).expanduser().is_dir():
        print(
            f"report.py: error: {args.experiment}: not a directory (give a Tune experiment directory)", file=sys.stderr
        )
        return 2
    out = Path(args.out) if args.out else (Path("report") if is_uri else Path(args.experiment) / "report")
    try:
        report = write_report(args.experiment, out.expanduser().resolve(), args.rank_by)
    except ValueError as error:  # ExperimentAnalysis: no experiment state there
        print(
            f"report.py: error: {args.experiment}: not a Tune experiment ({one_line(error)})",
            file=sys.stderr,
        )
        return 2
    print(f"Report: {report}\nHTML:   {report.with_suffix('.html')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
