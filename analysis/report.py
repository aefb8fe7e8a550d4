"""Write every plot, the tidy table and a report (Markdown, a self-contained HTML page and its PDF) for one experiment.

    python analysis/report.py EXPERIMENT_DIR [--out DIR] [--rank-by fid|recall|...]

The questions follow the grid that was run (analysis.questions: one module per question, its records computed from
this experiment's numbers, never typed in, and worded by the same module); the HTML page is the Markdown report
rendered by python-markdown, with its images embedded, and the PDF is that page laid out on A4 by WeasyPrint.
The answers come first, each question's evidence in its section (its ``evidence``), every other number and figure in
the appendix.
"""

from __future__ import annotations

import base64
import html
import io
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import markdown
import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
from markdown.extensions.toc import slugify
from matplotlib.figure import Figure

from analysis import images, intervals, outcomes, plots, power, stats, wording
from analysis.configs import TwinGroup, config_label, twins_text
from analysis.load import StudyError, export, load_study
from analysis.questions import Answer, all_records, ask
from analysis.questions.family import more_seeds, more_seeds_text
from analysis.questions.ranking import RANKED_TABLE, ranking_rule
from analysis.questions.study import study_of
from trainables.checkpoint import CheckpointError
from trainables.config import CLASSIFIER, SEED, TRAINING_PRECISION, one_line, resolved_extractor
from trainables.metric_keys import (
    BESIDE_RANKING,
    CONFIG_TABLE,
    HIGHER_IS_BETTER,
    METRIC,
    RANKABLE,
    TRIAL_TABLE,
    label,
    shown_in,
)
from trainables.training_precision import PRECISIONS
from tune_gan.cli_args import OneLineErrorParser
from tune_gan.study import members_of


@dataclass(frozen=True)
class ReportData:
    """Everything the report states, computed once from the experiment's tidy table; the rendering functions below
    only format it, so the tables, findings and plots cannot disagree about a number."""

    experiment: str
    pooled: tuple[str, ...]  # the other experiments of its study whose trials the frame holds too
    frame: pd.DataFrame  # twins merged (analysis.configs)
    rank_by: str
    columns: list[str]  # what tells configs apart (analysis.configs.config_columns)
    trials: pd.DataFrame  # stats.per_trial
    summary: pd.DataFrame  # stats.summary, by config
    ranked: pd.DataFrame  # stats.ranking of the summary, best first
    answers: list[Answer]  # each question the grid asks, with the records answering it
    twins: list[TwinGroup]  # configs that ran the same runs, shown as one
    best_checkpoint: Path | None  # the best-ranked config's lowest seed's, when on this machine


def report_data(
    frame: pd.DataFrame, experiment: str | Path, rank_by: str = stats.DEFAULT_RANK_BY, pooled: Sequence[str] = ()
) -> ReportData:
    """The report's numbers for ``frame`` (:func:`analysis.load.load_study`'s table of ``experiment`` and the
    ``pooled`` ones): twins merged, each per-trial and per-config table once, shared by every question and figure."""
    study = study_of(frame, rank_by)
    trials, ranked = study.trials, study.ranked
    frame = study.frame
    return ReportData(
        experiment=str(experiment),
        pooled=tuple(pooled),
        frame=frame,
        rank_by=rank_by,
        columns=study.columns,
        trials=trials,
        summary=study.table,
        ranked=ranked,
        answers=ask(study),
        twins=study.twins,
        best_checkpoint=images.best_checkpoint(frame, trials, ranked, rank_by),
    )


@dataclass(frozen=True)
class Plot:
    file: str
    caption: str
    figure: Figure | None
    reading: str = ""  # what to read in it: said beside it in the appendix


BEST_SAMPLES = "best_samples.png"  # the best-ranked config's final grid, beside the summary


def all_plots(data: ReportData) -> list[Plot]:
    """Every figure of the report; a figure the data cannot support (e.g. no quality metrics) is None."""
    frame, rank_by = data.frame, data.rank_by
    by_updates = " The same against generator updates: at equal epochs a larger batch has taken fewer steps."
    return [
        Plot("outcomes.png", "How each config's seeds ended", plots.outcome_chart(data.trials, data.summary)),
        Plot(
            "seed_spread.png",
            f"Final {label(rank_by)} of every seed",
            plots.seed_spread(data.trials, data.ranked, rank_by),
        ),
        Plot(
            "final_grids.png",
            "Final 25 generated images of every seed",
            images.final_grids(frame, data.trials, data.ranked),
        ),
        Plot(
            "schedules.png",
            f"The LR as it ran, and {label(rank_by)} over training",
            plots.schedule_curves(frame, rank_by),
        ),
        Plot(
            "loss_curves.png",
            "D and G loss per epoch",
            plots.loss_curves(frame),
            "Losses flat and far from the dashed equilibrium lines mean one network is winning, not that training is "
            "stable.",
        ),
        _per_update(
            frame, "loss_curves_by_updates.png", "D and G loss per generator update", plots.loss_curves, by_updates
        ),
        Plot(
            "stability_curves.png",
            "Within-epoch loss variance per epoch",
            plots.stability_curves(frame),
            "A larger batch, a decaying LR and a collapsed generator all lower it by construction: read it beside the "
            "samples, never as a score.",
        ),
        _per_update(
            frame,
            "stability_by_updates.png",
            "Within-epoch loss variance per generator update",
            plots.stability_curves,
            by_updates,
        ),
        Plot(
            "discriminator.png",
            "D(x), D(G(z)) and D accuracy per epoch",
            plots.discriminator_curves(frame),
            "D accuracy near 1 with D(G(z)) near 0 is a discriminator that wins; D(x) and D(G(z)) near 0.5 is the "
            "game's equilibrium.",
        ),
        Plot(
            "quality.png",
            "Image quality per evaluated epoch",
            plots.quality_curves(frame),
            f"Every quality metric at each evaluation; coverage under {outcomes.LEARNED_COVERAGE:g} means the samples "
            "did not draw the data yet.",
        ),
        _per_update(
            frame, "quality_by_updates.png", "Image quality per generator update", plots.quality_curves, by_updates
        ),
        Plot(
            "stage_montage.png",
            "Fixed-noise samples across training",
            images.stage_montage(frame, data.trials, data.ranked, rank_by),
            "Blobs that never sharpen did not learn; a few shapes repeated across the grid are mode collapse.",
        ),
        Plot(
            "interpolation.png",
            "Latent-space interpolation through the best-ranked config's generator",
            images.latent_interpolation(data.best_checkpoint) if data.best_checkpoint else None,
            "Gradual change from one end to the other means a smooth latent space; the same image all along is "
            "collapse.",
        ),
        Plot(
            "parallel_coordinates.png",
            "Config → final metrics",
            plots.parallel_coordinates(data.trials),
            "Which settings lead where: one line per trial, every axis scaled from its lowest to its highest value.",
        ),
    ]


def _per_update(frame: pd.DataFrame, file: str, caption: str, draw: Callable[..., Figure | None], reading: str) -> Plot:
    """A figure drawn against generator updates; None for results written before trials counted them."""
    counted = "g_updates" in frame.columns and frame["g_updates"].notna().any()
    return Plot(file, caption, draw(frame, x="g_updates") if counted else None, reading)


def config_table(data: ReportData) -> pd.DataFrame:
    """Every per-config number, ranked: one row per config, every number an estimate with its interval, n and the
    seeds' values (the appendix shows it a few configs at a time, the notebook whole). Quality is estimated over the
    seeds that did not fail, and again over every finished seed (:data:`analysis.stats.ALL_FINISHED`)."""
    table = data.ranked
    shown = table[["rank", *data.columns, "seeds", "verdict"]].copy()
    shown["stable"] = [
        wording.share_text(row["stable"], row["judged"], *row["stable_interval"]) for _, row in table.iterrows()
    ]
    shown["failed"] = [
        wording.failed_share_text(
            row["failed"], row["told"], row["finished"], *row["failed_interval"], "finished seeds failed"
        )
        for _, row in table.iterrows()
    ]
    quality = _quality_in_rank_order(data)
    with_failed = [stats.ALL_FINISHED.format(metric=metric) for metric in quality]
    for metric in [*quality, *with_failed, *shown_in(CONFIG_TABLE)]:
        if metric in table.columns:
            shown[metric] = table[metric].map(wording.cell)
    return shown


def _quality_in_rank_order(data: ReportData) -> list[str]:
    """The measured quality metrics, the ranking metric first."""
    quality = stats.quality_metrics(data.trials)
    return [*([data.rank_by] if data.rank_by in quality else []), *[name for name in quality if name != data.rank_by]]


def ranked_table(data: ReportData) -> pd.DataFrame:
    """The body's table of configs, best first: only what decides the ranking (how the seeds ended, the ranking
    metric) and two quality metrics beside it, each an estimate with its interval; the seeds' own values are in
    the dot plot, every other number in :func:`config_table`."""
    table, columns = data.ranked, data.columns
    counts = {
        config if isinstance(config, tuple) else (config,): row.to_dict()
        for config, row in stats.outcome_counts(data.trials).iterrows()
    }
    shown = pd.DataFrame(
        {
            "rank": table["rank"],
            "config": table["label"],
            "seeds": table["seeds"],
            "outcomes": [
                wording.outcome_counts_text(counts[config])
                for config in table[columns].itertuples(index=False, name=None)
            ],
            "failed": [
                wording.failed_share_text(row["failed"], row["told"], row["finished"], *row["failed_interval"], "")
                for _, row in table.iterrows()
            ],
        }
    )
    measured = _quality_in_rank_order(data)
    beside = [name for name in shown_in(BESIDE_RANKING) if name in measured and name != data.rank_by][:2]
    for metric in [*([data.rank_by] if data.rank_by in measured else []), *beside]:
        shown[metric] = table[metric].map(wording.interval_n_text)
    return shown


# Per-trial columns of the trials tables: how each seed ended, then its last evaluation and loss variances.
TRIAL_OUTCOME_COLUMNS = (SEED, "status", "outcome", "outcome_epoch", "outcome_detail", "improving")
TRIAL_NUMBER_COLUMNS = (SEED, *shown_in(TRIAL_TABLE))


def trial_table(data: ReportData) -> pd.DataFrame:
    """One row per trial, by config then seed: its outcome, from which epoch, its last quality and loss variances."""
    trials = data.trials.sort_values([*data.columns, SEED], ignore_index=True)
    labels = [config_label(config, data.columns) for config in trials[data.columns].itertuples(index=False)]
    shown = pd.DataFrame({"config": labels})
    for column in dict.fromkeys((*TRIAL_OUTCOME_COLUMNS, *TRIAL_NUMBER_COLUMNS)):
        if column in trials.columns:
            shown[column] = trials[column].map(wording.cell)
    return shown


def _markdown_table(table: pd.DataFrame) -> str:
    """A pipe table; a ``|`` inside a cell (a divergence reason, say) is escaped so that it cannot split the cell."""
    rows = [list(table.columns), *table.itertuples(index=False)]
    lines = ["| " + " | ".join(str(cell).replace("|", r"\|") for cell in row) + " |" for row in rows]
    return "\n".join([lines[0], "|" + "---|" * len(table.columns), *lines[1:]])


def _ranked_header(name: str) -> str:
    """The ranked table's header: a quality metric as the field writes it, over the seeds it is estimated on."""
    return f"{label(name)} of the seeds that did not fail" if name in METRIC else _in_words(name)


def _in_words(name: str) -> str:
    """A column's name as a table header or the appendix's row: a metric by its label ("FID", "G updates"), also over
    every finished seed or averaged over the last epochs where the column is that ("late_d_loss_var"); anything else
    in words, which break to fit a narrow column ("epochs done")."""
    for key in METRIC:
        words = label(key).replace("_", " ")
        if name == key:
            return words
        if name == stats.ALL_FINISHED.format(metric=key):
            return stats.ALL_FINISHED.format(metric=words)
        if name == f"late_{key}":
            return f"{words}, last {outcomes.LATE_EPOCHS} epochs"
    return name.replace("_", " ")


def _config_and(trials: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """:func:`trial_table`'s config and those of ``columns`` it has, headed in words."""
    return trials[["config", *[name for name in columns if name in trials]]].rename(columns=_in_words)


CONFIGS_PER_TABLE = 3  # the appendix's estimates, a few configs side by side: a table that fits the page's width


def _estimate_tables(data: ReportData) -> list[str]:
    """:func:`config_table` turned on its side, a quantity per row and :data:`CONFIGS_PER_TABLE` configs per table."""
    table = config_table(data)
    names = [f"{rank}. {label}" for rank, label in zip(table["rank"], data.ranked["label"])]
    sideways = table.drop(columns=["rank"]).set_axis(names).T
    quantity = pd.Series([_in_words(name) for name in sideways.index], index=sideways.index, name="")
    return [
        _markdown_table(pd.concat([quantity, sideways[names[start : start + CONFIGS_PER_TABLE]]], axis=1))
        for start in range(0, len(names), CONFIGS_PER_TABLE)
    ]


def _figure_markdown(plot: Plot) -> list[str]:
    return [f"![{plot.caption}]({plot.file})", ""]


def report_markdown(data: ReportData, plots_shown: list[Plot], best: tuple[str, bytes] | None = None) -> str:
    """The report as Markdown: the answers with the best config's samples beside them, each question's section with
    its evidence (:func:`evidence`) and findings, then the appendix: every estimate, the trials, the other
    figures with what to read in them, the definitions. Every block is set off by blank lines, which python-markdown
    needs to see a table or a list rather than a paragraph. ``best`` is :func:`analysis.images.best_samples`'."""
    frame, rank_by = data.frame, data.rank_by
    anchors = outcomes.study_anchors(frame)
    statuses = ", ".join(f"{count} {status}" for status, count in data.trials["status"].value_counts().items())
    direction = "higher" if HIGHER_IS_BETTER[rank_by] else "lower"
    shown = {plot.file: plot for plot in plots_shown}
    lines = [f"# tune-gan report: {Path(data.experiment).name}", ""]
    if best is not None:
        caption = html.escape(best[0])
        lines += [
            f'<figure class="beside"><img alt="{caption}" src="{BEST_SAMPLES}"><figcaption>{caption}</figcaption>'
            "</figure>",
            "",
        ]
    lines += [
        *[f"- **{answer.text}** {answer.summary()} [Evidence]({_anchor(answer.text)})" for answer in data.answers],
        "",
    ]
    if data.twins:
        lines += [twins_text(data.twins), ""]
    more = more_seeds(all_records(data.answers))
    if more is not None:
        grid = {column: sorted(data.trials[column].dropna().unique()) for column in (*data.columns, SEED)}
        lines += [more_seeds_text(more, data.experiment, grid), ""]
    lines += [
        f"Experiment `{data.experiment}`"
        + "".join(f", pooled with `{other}`" for other in data.pooled)
        + f": {len(data.trials)} trials ({statuses}), {frame['epoch'].notna().sum()} "
        f"trial-epochs, {training_arithmetic(data.trials)}. {ranking_rule(rank_by)} ({direction} is better). "
        f"Every per-config number is an estimate over seeds with its {intervals.CONFIDENCE:.0%} interval (FID: a "
        "geometric mean), a quality metric's over the seeds that did not fail; the appendix gives n and the seeds' "
        f"own values where there are {wording.SHOWN_VALUES} or fewer, and the quality over every finished seed.",
        "",
    ]
    placed = evidence(data.answers)
    for answer in data.answers:
        lines += [f"## {answer.text}", ""]
        for item in placed[answer.text]:
            if item == RANKED_TABLE:
                lines += [_markdown_table(ranked_table(data).rename(columns=_ranked_header)), ""]
            elif item in shown:
                lines += _figure_markdown(shown[item])
        lines += [*[f"- {sentence}" for sentence in answer.sentences()], ""]
    lines += ["## Appendix", "", "### Every estimate per config, ranked", ""]
    for table in _estimate_tables(data):
        lines += [table, ""]
    trials = trial_table(data)
    lines += [
        "### Trials: how each seed ended",
        "",
        _markdown_table(_config_and(trials, TRIAL_OUTCOME_COLUMNS)),
        "",
        "### Trials: last evaluation and loss variances",
        "",
        _markdown_table(_config_and(trials, TRIAL_NUMBER_COLUMNS)),
        "",
        "### More figures",
        "",
    ]
    in_sections = {item for items in placed.values() for item in items}
    for plot in plots_shown:
        if plot.file not in in_sections:
            lines += [f"**{plot.caption}.** {plot.reading}", "", *_figure_markdown(plot)]
    lines += [
        "### Definitions",
        "",
        outcomes.DEFINITIONS.rstrip("\n"),  # a blank line inside the list would make it a list of paragraphs
        *([f"- Anchors: {wording.anchors_text(anchors)}"] if anchors else []),
        f"- Intervals: {intervals.METHOD}",
        f"- Seeds needed: {power.METHOD}",
        "",
    ]
    return "\n".join(lines)


def training_arithmetic(trials: pd.DataFrame) -> str:
    """What the trials trained in ("trained in fp32") and which network scored them, in fp32 whatever they trained in
    ("the MNIST classifier's features", "inception-v3-compat's features, which know no classes of this data")."""
    precisions = sorted(trials[TRAINING_PRECISION].unique(), key=PRECISIONS.index)
    first = trials.iloc[0]
    extractor = resolved_extractor(first["dataset"], first.get("feature_extractor", "auto"))
    if extractor == CLASSIFIER:
        network = f"the shipped {first['dataset']} classifier's features"
    else:
        network = f"{extractor}'s features, which know no classes of this data"
    return f"trained in {' and '.join(precisions)}, scored in fp32 in {network}"


def evidence(answers: list[Answer]) -> dict[str, tuple[str, ...]]:
    """Each question's evidence (its figures and tables, in order), a figure in the first section that names it only;
    every other figure goes to the appendix."""
    placed: dict[str, tuple[str, ...]] = {}
    seen: set[str] = set()
    for answer in answers:
        placed[answer.text] = tuple(item for item in answer.question.evidence if item not in seen)
        seen |= set(placed[answer.text])
    return placed


def _anchor(heading: str) -> str:
    """The link to a heading, as python-markdown's toc extension names it."""
    return "#" + slugify(heading, "-")


# The page's look: readable line length, tables with a header row and zebra rows whose cells wrap so that no table is
# wider than the page, figures at the page's width, the best samples beside the summary. On paper (the PDF and a
# browser's print): A4, smaller type, the appendix from a new page, no figure or table row split across pages.
STYLE = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; max-width: 1100px;
       margin: 0 auto; padding: 1.5em 2em 4em; }
h1 { font-size: 1.7em; border-bottom: 2px solid #d0d7de; padding-bottom: .3em; }
h2 { font-size: 1.3em; margin-top: 2em; border-bottom: 1px solid #d0d7de; padding-bottom: .2em; clear: both; }
h3 { font-size: 1.1em; margin: 2em 0 .5em; }
li { margin: .25em 0; }
code { font: .9em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #eff1f3;
       padding: .1em .35em; border-radius: 4px; overflow-wrap: anywhere; }
table { border-collapse: collapse; font-size: 13px; margin: 1em 0; max-width: 100%; }
th, td { padding: 4px 8px; border: 1px solid #d0d7de; text-align: left; vertical-align: top;
         overflow-wrap: break-word; }
th { background: #f0f3f6; font-weight: 600; overflow-wrap: anywhere; }
tbody tr:nth-child(even) { background: #f6f8fa; }
img { display: block; margin: .5em auto; max-width: 100%; height: auto; }
figure.beside { float: right; margin: 0 0 1em 1.5em; text-align: center; font-size: .85em; color: #57606a;
                max-width: 210px; }
figure.beside img { width: 190px; image-rendering: pixelated; }
@page { size: A4; margin: 13mm 12mm 14mm;
        @bottom-center { content: counter(page) " / " counter(pages); font-size: 8pt; color: #57606a; } }
@media print {
  body { font-size: 8.5pt; line-height: 1.35; max-width: none; margin: 0; padding: 0; }
  h1 { font-size: 14pt; margin: 0 0 .4em; }
  h2 { font-size: 11pt; margin: 1em 0 .4em; break-after: avoid; }
  h3 { font-size: 9.5pt; margin: 1em 0 .3em; break-after: avoid; }
  h2#appendix { break-before: page; }
  li { margin: .1em 0; }
  table { font-size: 6.5pt; }
  th, td { padding: 1px 4px; }
  tr, img, figure { break-inside: avoid; }
  img { max-height: 8.5cm; width: auto; }
  figure.beside img { width: 3.6cm; max-height: none; }
}
"""


def report_html(report: str, pngs: dict[str, bytes]) -> str:
    """The Markdown rendered to one self-contained page, every image (``pngs``, by file name) embedded."""
    body = markdown.markdown(report, extensions=["tables", "toc"])
    for file, png in pngs.items():
        body = body.replace(f'src="{file}"', f'src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}"')
    title = html.escape(report.splitlines()[0].lstrip("# "))
    return (
        f"<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{title}</title>"
        f"<style>{STYLE}</style></head>\n<body>\n{body}\n</body></html>\n"
    )


PANGO_HINT = "apt-get install libpango-1.0-0 libpangoft2-1.0-0, or brew install pango"


def report_pdf(page: str) -> bytes | None:
    """The HTML page laid out on A4 by WeasyPrint (its print style: the answers and their evidence first, the appendix
    from a new page); None, said on stderr, where WeasyPrint cannot load the system's Pango."""
    try:
        import weasyprint  # loads Pango from the system when imported
    except OSError as error:
        print(f"report.py: warning: report.pdf not written ({one_line(error)}): {PANGO_HINT}", file=sys.stderr)
        return None
    return weasyprint.HTML(string=page).write_pdf()


def _png(figure: Figure) -> bytes:
    """The figure as PNG bytes, the one rendering both the PNG file and the page embed; the figure is closed."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    plt.close(figure)
    return buffer.getvalue()


def write_report(
    experiments: str | Path | Sequence[str | Path], out: Path, rank_by: str = stats.DEFAULT_RANK_BY
) -> Path:
    """Write the PNGs, results.csv/.parquet, report.md, report.html and report.pdf of the study of ``experiments``
    (one, or several pooled: :func:`analysis.load.load_study`) into ``out``; return report.md. Everything is made
    before the first file is written, so a report that fails leaves the last one in place."""
    experiments = [experiments] if isinstance(experiments, (str, Path)) else list(experiments)
    members = members_of(experiments)
    loaded = load_study(experiments)  # as Tune recorded it: the results files keep every trial, twins too
    data = report_data(loaded, members[0], rank_by, pooled=members[1:])
    drawn = [(plot, _png(plot.figure)) for plot in all_plots(data) if plot.figure is not None]
    best = images.best_samples(data.frame, data.trials, data.ranked, data.rank_by)
    report = report_markdown(data, [plot for plot, _ in drawn], best)
    pngs = {plot.file: png for plot, png in drawn} | ({BEST_SAMPLES: best[1]} if best else {})
    page = report_html(report, pngs)
    pdf = report_pdf(page)
    out.mkdir(parents=True, exist_ok=True)
    export(loaded, out / "results.csv")
    export(loaded, out / "results.parquet")
    for file, png in pngs.items():
        (out / file).write_bytes(png)
    (out / "report.md").write_text(report)
    (out / "report.html").write_text(page)
    if pdf is not None:
        (out / "report.pdf").write_bytes(pdf)
    else:  # an earlier report's PDF would no longer match its page
        (out / "report.pdf").unlink(missing_ok=True)
    return out / "report.md"


def build_parser(prog: str = "report.py") -> OneLineErrorParser:
    parser = OneLineErrorParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument(
        "experiments",
        nargs="+",
        metavar="experiment",
        help="experiment directory (storage path / name) or storage URI; several are pooled into one study, and an "
        "experiment's added seeds (tune-gan sweep --add-seeds) always are",
    )
    parser.add_argument("--out", help="where to write the report (default: the first EXPERIMENT/report)")
    parser.add_argument(
        "--rank-by",
        choices=RANKABLE,
        default=stats.DEFAULT_RANK_BY,
        help=f"quality metric the configs are ranked and compared by (default {stats.DEFAULT_RANK_BY})",
    )
    return parser


def main(argv: list[str] | None = None, prog: str = "report.py") -> int:
    args = build_parser(prog).parse_args(argv)
    matplotlib.use("Agg")  # files only, no display; the notebook imports this module and keeps its inline backend
    for experiment in args.experiments:
        if "://" not in experiment and not Path(experiment).expanduser().is_dir():
            print(f"{prog}: error: {experiment}: not a directory (give a Tune experiment directory)", file=sys.stderr)
            return 2
    first = args.experiments[0]
    out = Path(args.out) if args.out else (Path("report") if "://" in first else Path(first) / "report")
    try:
        report = write_report(args.experiments, out.expanduser().resolve(), args.rank_by)
    except StudyError as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    except ValueError as error:  # ExperimentAnalysis: no experiment state there
        given = " ".join(args.experiments)
        print(f"{prog}: error: {given}: not a Tune experiment ({one_line(error)})", file=sys.stderr)
        return 2
    except CheckpointError as error:  # the interpolation's generator: damaged after its trial wrote it
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    pdf = report.with_suffix(".pdf")
    print(f"Report: {report}\nHTML:   {report.with_suffix('.html')}" + (f"\nPDF:    {pdf}" if pdf.is_file() else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
