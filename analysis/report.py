"""Write every plot, the tidy table and a report (Markdown + self-contained HTML) for one experiment.

    python analysis/report.py EXPERIMENT_DIR [--out DIR]

The findings are computed from this experiment's numbers (analysis.stats), never typed in.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: put the repo root, not this folder, first on the import path.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse
import base64
import html
from dataclasses import dataclass

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from analysis import images, plots, stats
from analysis.load import export, load_experiment
from trainables.cli_args import one_line


@dataclass(frozen=True)
class Plot:
    file: str
    caption: str
    figure: Figure | None


def all_plots(frame: pd.DataFrame) -> list[Plot]:
    """Every figure of the report; a figure the data cannot support (e.g. no quality metrics) is None."""
    best_checkpoint = images.best_checkpoint(frame)
    return [
        Plot(
            "loss_curves.png",
            "D and G loss per epoch (dashed: equilibrium values log 4 and log 2)",
            plots.loss_curves(frame),
        ),
        Plot("stability_curves.png", "Within-epoch loss variance per epoch", plots.stability_curves(frame)),
        Plot("stability_heatmap.png", "Stability score by batch size and scheduler", plots.stability_heatmap(frame)),
        Plot("lr_schedules.png", "Learning rate per epoch", plots.lr_curves(frame)),
        Plot("discriminator.png", "D(x), D(G(z)) and D accuracy per epoch", plots.discriminator_curves(frame)),
        Plot("quality.png", "Image quality per evaluated epoch", plots.quality_curves(frame)),
        Plot("stage_montage.png", "Fixed-noise samples across training", images.stage_montage(frame)),
        Plot("final_grids.png", "Final 25 generated images per config", images.final_grids(frame)),
        Plot(
            "interpolation.png",
            "Latent-space interpolation through the best-ranked config's generator",
            images.latent_interpolation(best_checkpoint) if best_checkpoint else None,
        ),
        Plot("parallel_coordinates.png", "Config → final metrics", plots.parallel_coordinates(frame)),
    ]


def _mean_std(table: pd.DataFrame, metric: str) -> pd.Series:
    mean, std = table[f"{metric}_mean"], table[f"{metric}_std"]
    return mean.map("{:.4g}".format) + std.map(lambda value: "" if pd.isna(value) else f" ± {value:.2g}")


def config_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The report's main table: one row per config, final and best metrics as mean ± std over seeds."""
    table = stats.ranking(stats.summary(frame))
    columns = stats.config_columns(frame)
    shown = table[["rank", *columns, "seeds", "statuses"]].copy()
    shown["epochs"] = table["epochs_done_mean"].map("{:.0f}".format)
    metrics = ["stability", "d_loss", "g_loss", "d_loss_var", "g_loss_var", "d_acc"]
    for metric in stats.quality_metrics(frame):
        metrics += [metric, f"best_{metric}"]
    for metric in metrics:
        shown[metric] = _mean_std(table, metric)
    return shown


def _markdown_table(table: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(map(str, table.columns)) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


def write_report(experiment: str | Path, out: Path) -> Path:
    """Write the PNGs, results.csv/.parquet, report.md and report.html into ``out``; return report.md."""
    frame = load_experiment(experiment)
    out.mkdir(parents=True, exist_ok=True)
    export(frame, out / "results.csv")
    export(frame, out / "results.parquet")
    written = []
    for plot in all_plots(frame):
        if plot.figure is not None:
            plot.figure.savefig(out / plot.file, dpi=110)
            plt.close(plot.figure)
            written.append(plot)
    table = config_table(frame)
    findings = stats.findings(frame)
    trials = frame.drop_duplicates("trial_id")
    statuses = ", ".join(f"{count} {status}" for status, count in trials["status"].value_counts().items())
    title = f"tune-gan report: {Path(str(experiment)).name}"
    intro = (
        f"Experiment `{experiment}`: {len(trials)} trials ({statuses}), "
        f"{frame['epoch'].notna().sum()} trial-epochs. Ranked by `{stats.ranking(stats.summary(frame))['rank_by'][0]}`"
        " (lower is better); values are mean ± std over seeds."
    )
    definitions = (
        stats.__doc__.split("Definitions (also printed in the report):")[1]
        .strip()
        .replace("``STABILITY_EPOCHS``", str(stats.STABILITY_EPOCHS))
        .replace("``UNSTABLE_FACTOR``", f"{stats.UNSTABLE_FACTOR:g}")
    )

    markdown = [
        f"# {title}",
        "",
        intro,
        "",
        "## Findings",
        "",
        *[f"- {line}" for line in findings],
        "",
        "## Configs, ranked",
        "",
        _markdown_table(table),
        "",
        "## Definitions",
        "",
        definitions,
        "",
        "## Plots",
        "",
    ]
    for plot in written:
        markdown += [f"### {plot.caption}", "", f"![{plot.caption}]({plot.file})", ""]
    (out / "report.md").write_text("\n".join(markdown))

    body = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{html.escape(intro)}</p>",
        "<h2>Findings</h2><ul>",
        *[f"<li>{html.escape(line)}</li>" for line in findings],
        "</ul><h2>Configs, ranked</h2>",
        table.to_html(index=False, border=0),
        "<h2>Definitions</h2>",
        f"<pre>{html.escape(definitions)}</pre>",
        "<h2>Plots</h2>",
    ]
    for plot in written:
        encoded = base64.b64encode((out / plot.file).read_bytes()).decode("ascii")
        body += [
            f"<h3>{html.escape(plot.caption)}</h3>",
            f'<img alt="{html.escape(plot.caption)}" src="data:image/png;base64,{encoded}">',
        ]
    style = "body{font-family:sans-serif;max-width:1100px;margin:auto}img{max-width:100%}td,th{padding:2px 8px}"
    (out / "report.html").write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
        f"</title><style>{style}</style></head><body>{''.join(body)}</body></html>"
    )
    return out / "report.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="report.py", description=__doc__.splitlines()[0])
    parser.add_argument("experiment", help="experiment directory (storage path / name), or a storage URI")
    parser.add_argument("--out", help="where to write the report (default: EXPERIMENT/report)")
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
        report = write_report(args.experiment, out.expanduser().resolve())
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
