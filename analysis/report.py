"""Write every plot, the tidy table and a report (Markdown + self-contained HTML) for one experiment.

    python analysis/report.py EXPERIMENT_DIR [--out DIR] [--rank-by fid|recall|...]

The findings are computed from this experiment's numbers (analysis.findings, as records), never
typed in, and worded by analysis.wording; the HTML page is the Markdown report rendered by
python-markdown, with its images embedded.
"""

from __future__ import annotations

import base64
import html
import io
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import markdown
import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from analysis import findings, images, intervals, outcomes, plots, stats, wording
from analysis.load import export, load_experiment
from trainables.checkpoint import CheckpointError
from trainables.cli_args import OneLineErrorParser, one_line
from trainables.metric_keys import HIGHER_IS_BETTER
from tune_gan.search_space import SEED

# Per-config numbers of the ranked table after the quality metrics, each a mean with its interval over seeds.
TABLE_ESTIMATES = (
    "g_updates",
    "fid_fluctuation",
    "late_d_loss_var_corrected",
    "late_d_loss_var",
    "d_acc",
    "epochs_done",
)


@dataclass(frozen=True)
class ReportData:
    """Everything the report states, computed once from the experiment's tidy table; the rendering functions below
    only format it, so the tables, findings and plots cannot disagree about a number."""

    experiment: str
    frame: pd.DataFrame
    rank_by: str
    columns: list[str]  # what tells configs apart (stats.config_columns)
    trials: pd.DataFrame  # stats.per_trial
    summary: pd.DataFrame  # stats.summary, by config
    ranked: pd.DataFrame  # stats.ranking of the summary, best first
    findings: dict[str, list[findings.Finding]]  # the records answering each of findings.QUESTIONS
    best_checkpoint: Path | None  # the best-ranked config's lowest seed's, when on this machine


def report_data(frame: pd.DataFrame, experiment: str | Path, rank_by: str = stats.DEFAULT_RANK_BY) -> ReportData:
    """The report's numbers for ``frame`` (:func:`analysis.load.load_experiment`'s table of ``experiment``): each
    per-trial and per-config table once, handed to the findings rather than recomputed there."""
    trials = stats.per_trial(frame)
    table = stats.summary(trials)
    ranked = stats.ranking(table, rank_by)
    return ReportData(
        experiment=str(experiment),
        frame=frame,
        rank_by=rank_by,
        columns=stats.config_columns(trials),
        trials=trials,
        summary=table,
        ranked=ranked,
        findings=findings.findings(frame, rank_by, trials=trials, table=table, ranked=ranked),
        best_checkpoint=images.best_checkpoint(frame, ranked),
    )


@dataclass(frozen=True)
class Plot:
    file: str
    caption: str
    figure: Figure | None


def all_plots(data: ReportData) -> list[Plot]:
    """Every figure of the report; a figure the data cannot support (e.g. no quality metrics) is None."""
    frame = data.frame
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
        Plot("stability_heatmap.png", "Stable seeds per config", plots.stability_heatmap(data.summary)),
        Plot("lr_schedules.png", "Learning rate per epoch, as the trials ran", plots.lr_curves(frame)),
        Plot("discriminator.png", "D(x), D(G(z)) and D accuracy per epoch", plots.discriminator_curves(frame)),
        Plot("quality.png", "Image quality per evaluated epoch", plots.quality_curves(frame)),
        _per_update(frame, "quality_by_updates.png", "Image quality per generator update", plots.quality_curves),
        Plot("stage_montage.png", "Fixed-noise samples across training", images.stage_montage(frame)),
        Plot("final_grids.png", "Final 25 generated images per config", images.final_grids(frame)),
        Plot(
            "interpolation.png",
            "Latent-space interpolation through the best-ranked config's generator",
            images.latent_interpolation(data.best_checkpoint) if data.best_checkpoint else None,
        ),
        Plot("parallel_coordinates.png", "Config → final metrics", plots.parallel_coordinates(data.trials)),
    ]


def _per_update(frame: pd.DataFrame, file: str, caption: str, draw: Callable[..., Figure | None]) -> Plot:
    """A figure drawn against generator updates; None for results written before trials counted them."""
    counted = "g_updates" in frame.columns and frame["g_updates"].notna().any()
    return Plot(file, caption, draw(frame, x="g_updates") if counted else None)


def config_table(data: ReportData) -> pd.DataFrame:
    """The report's main table: one row per config, ranked, every number an estimate with its interval over seeds."""
    table, rank_by = data.ranked, data.rank_by
    shown = table[["rank", *data.columns, "seeds", "verdict"]].copy()
    shown["stable"] = [
        wording.share_text(row["stable"], row["judged"], *row["stable_interval"]) for _, row in table.iterrows()
    ]
    quality = stats.quality_metrics(data.trials)
    ordered = [*([rank_by] if rank_by in quality else []), *[name for name in quality if name != rank_by]]
    for metric in [*ordered, *TABLE_ESTIMATES]:
        if metric in table.columns:
            shown[metric] = table[metric].map(wording.cell)
    return shown


# Per-trial columns of the trials table: how each seed ended and its last evaluation.
TRIAL_TABLE_COLUMNS = (
    SEED,
    "status",
    "outcome",
    "outcome_epoch",
    "outcome_detail",
    "improving",
    "g_updates",
    "fid",
    "is_score",
    "coverage",
    "density",
    "precision",
    "recall",
    "classes_covered",
    "fid_fluctuation",
    "late_d_loss_var_corrected",
    "late_d_loss_var",
)


def trial_table(data: ReportData) -> pd.DataFrame:
    """One row per trial, by config then seed: its outcome, from which epoch, its last quality and loss variances."""
    trials = data.trials.sort_values([*data.columns, SEED], ignore_index=True)
    labels = [stats.config_label(config, data.columns) for config in trials[data.columns].itertuples(index=False)]
    shown = pd.DataFrame({"config": labels})
    for column in TRIAL_TABLE_COLUMNS:
        if column in trials.columns:
            shown[column] = trials[column].map(wording.cell)
    return shown


def _markdown_table(table: pd.DataFrame) -> str:
    """A pipe table; a ``|`` inside a cell (a divergence reason, say) is escaped so that it cannot split the cell."""
    rows = [list(table.columns), *table.itertuples(index=False)]
    lines = ["| " + " | ".join(str(cell).replace("|", r"\|") for cell in row) + " |" for row in rows]
    return "\n".join([lines[0], "|" + "---|" * len(table.columns), *lines[1:]])


def report_markdown(data: ReportData, plots_shown: list[Plot]) -> str:
    """The report as Markdown: the three answers, the ranked configs, the definitions, the plots. Every block is
    set off by blank lines, which python-markdown needs to see a table or a list rather than a paragraph."""
    frame, rank_by = data.frame, data.rank_by
    statuses = ", ".join(f"{count} {status}" for status, count in data.trials["status"].value_counts().items())
    direction = "higher" if HIGHER_IS_BETTER[rank_by] else "lower"
    lines = [
        f"# tune-gan report: {Path(data.experiment).name}",
        "",
        f"Experiment `{data.experiment}`: {len(data.trials)} trials ({statuses}), {frame['epoch'].notna().sum()} "
        f"trial-epochs. {wording.RANKING_RULE.format(seeds=stats.MIN_SEEDS_TO_RANK_FIRST, rank_by=f'`{rank_by}`')} "
        f"({direction} is better). Every per-config number is an estimate over seeds with its "
        f"{intervals.CONFIDENCE:.0%} interval and n, the number of seeds (FID: a geometric mean), and the seeds' own "
        f"values where there are {wording.SHOWN_VALUES} or fewer.",
        "",
        *[f"- **{question}** {answer}" for question, answer in wording.summary(data.findings, rank_by).items()],
        "",
    ]
    for question, sentences in wording.render(data.findings, rank_by).items():
        lines += [f"## {question}", "", *[f"- {sentence}" for sentence in sentences], ""]
    lines += [
        "## Configs, ranked",
        "",
        _markdown_table(config_table(data)),
        "",
        "## Trials",
        "",
        _markdown_table(trial_table(data)),
        "",
        "## Definitions",
        "",
        outcomes.DEFINITIONS.rstrip("\n"),  # a blank line inside the list would make it a list of paragraphs
        f"- Intervals: {intervals.METHOD}",
        "",
        "## Plots",
        "",
    ]
    for plot in plots_shown:
        lines += [f"### {plot.caption}", "", f"![{plot.caption}]({plot.file})", ""]
    return "\n".join(lines)


# The page's look: readable line length, tables with a header row and zebra rows (scrolling sideways when wider
# than the page; a cell stays on one line, so that a number and its interval read together), code spans set off,
# figures centred.
STYLE = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; max-width: 1100px;
       margin: 0 auto; padding: 1.5em 2em 4em; }
h1 { font-size: 1.7em; border-bottom: 2px solid #d0d7de; padding-bottom: .3em; }
h2 { font-size: 1.3em; margin-top: 2em; border-bottom: 1px solid #d0d7de; padding-bottom: .2em; }
h3 { font-size: 1.05em; margin: 2em 0 .5em; text-align: center; }
li { margin: .25em 0; }
code { font: .9em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #eff1f3;
       padding: .1em .35em; border-radius: 4px; overflow-wrap: anywhere; }
table { display: block; overflow-x: auto; border-collapse: collapse; font-size: 13px; margin: 1em 0; }
th, td { padding: 4px 10px; border: 1px solid #d0d7de; text-align: left; vertical-align: top; white-space: nowrap; }
th { background: #f0f3f6; font-weight: 600; }
tbody tr:nth-child(even) { background: #f6f8fa; }
img { display: block; margin: 0 auto; max-width: 100%; height: auto; }
"""


def report_html(report: str, pngs: dict[str, bytes]) -> str:
    """The Markdown rendered to one self-contained page, every image (``pngs``, by file name) embedded."""
    body = markdown.markdown(report, extensions=["tables"])
    for file, png in pngs.items():
        body = body.replace(f'src="{file}"', f'src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}"')
    title = html.escape(report.splitlines()[0].lstrip("# "))
    return (
        f"<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{title}</title>"
        f"<style>{STYLE}</style></head>\n<body>\n{body}\n</body></html>\n"
    )


def _png(figure: Figure) -> bytes:
    """The figure as PNG bytes, the one rendering both the PNG file and the page embed; the figure is closed."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    plt.close(figure)
    return buffer.getvalue()


def write_report(experiment: str | Path, out: Path, rank_by: str = stats.DEFAULT_RANK_BY) -> Path:
    """Write the PNGs, results.csv/.parquet, report.md and report.html into ``out``; return report.md."""
    data = report_data(load_experiment(experiment), experiment, rank_by)
    drawn = [(plot, _png(plot.figure)) for plot in all_plots(data) if plot.figure is not None]
    report = report_markdown(data, [plot for plot, _ in drawn])
    page = report_html(report, {plot.file: png for plot, png in drawn})
    out.mkdir(parents=True, exist_ok=True)
    export(data.frame, out / "results.csv")
    export(data.frame, out / "results.parquet")
    for plot, png in drawn:
        (out / plot.file).write_bytes(png)
    (out / "report.md").write_text(report)
    (out / "report.html").write_text(page)
    return out / "report.md"


def main(argv: list[str] | None = None, prog: str = "report.py") -> int:
    parser = OneLineErrorParser(prog=prog, description=__doc__.splitlines()[0])
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
        print(f"{prog}: error: {args.experiment}: not a directory (give a Tune experiment directory)", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else (Path("report") if is_uri else Path(args.experiment) / "report")
    try:
        report = write_report(args.experiment, out.expanduser().resolve(), args.rank_by)
    except ValueError as error:  # ExperimentAnalysis: no experiment state there
        print(
            f"{prog}: error: {args.experiment}: not a Tune experiment ({one_line(error)})",
            file=sys.stderr,
        )
        return 2
    except CheckpointError as error:  # the interpolation's generator: damaged after its trial wrote it
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    print(f"Report: {report}\nHTML:   {report.with_suffix('.html')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
