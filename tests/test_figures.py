"""The report's figures (analysis.plots, analysis.images) on crafted tables with checkpoints and a real sweep."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from analysis import plots
from analysis.configs import config_label
from analysis.load import load_experiment
from analysis.report import ReportData, all_plots, report_data
from tests.crafted import Seed, crafted
from tests.helpers import REPORT_PNGS
from tests.reference_stats import geometric
from trainables.metric_keys import RANKABLE


def test_quality_metrics_drive_plots():
    frame = crafted({(128, "constant"): [Seed(100.0)], (1024, "constant"): [Seed(300.0)]})
    assert plots.quality_curves(frame) is not None
    assert plots.quality_curves(frame.drop(columns=list(RANKABLE))) is None
    for x, per_epoch in (("g_updates", {128: 468, 1024: 58}), ("images_seen", {128: 59_904, 1024: 59_392})):
        figure = plots.quality_curves(frame, x=x)
        lines = {line.get_label(): line.get_xdata().tolist() for line in figure.axes[0].get_lines()}
        for batch, step in per_epoch.items():
            assert lines[f"batch {batch}"] == [step * epoch for epoch in range(1, 7)]
        assert figure.axes[0].get_xlabel() == plots.X_AXES[x]
    # Eight quality metrics: three panels a row.
    assert [ax.get_subplotspec().get_geometry()[:2] for ax in plots.quality_curves(frame).axes][0] == (3, 3)


def test_the_seed_dot_plot_draws_every_finished_seed_once_hollow_where_it_failed():
    collapsed = (10, 10, 10, 4, 3, 3)
    frame = crafted(
        {
            (128, "constant"): [Seed(100.0), Seed(120.0, classes=collapsed), Seed(140.0)],
            (1024, "constant"): [Seed(300.0), Seed(310.0), Seed(50.0, classes=(10,) * 2, status="RUNNING")],
        }
    )
    data = report_data(frame, "crafted")
    figure = plots.seed_spread(data.trials, data.ranked, "fid")
    ax = figure.axes[0]
    rows = [label.get_text() for label in ax.get_yticklabels()]
    points: dict[str, list[tuple[float, bool]]] = {}
    for collection in ax.collections:
        if collection.get_gid() != "seeds":
            continue
        hollow = [tuple(face) == (1.0, 1.0, 1.0, 1.0) for face in collection.get_facecolors()] or [False]
        for x, y in collection.get_offsets():
            points.setdefault(rows[round(y + 0.12)], []).append((float(x), hollow[0]))
    # In rank order (batch 1024: none of its 2 finished seeds failed; batch 128: 1 of 3); the running seed is not
    # drawn, the mode-collapsed one is hollow.
    assert {row: sorted(values) for row, values in points.items()} == {
        "1. batch 1024": [(300.0, False), (310.0, False)],
        "2. batch 128": [(100.0, False), (120.0, True), (140.0, False)],
    }
    # Beside the dots, each config's geometric mean and its interval over the seeds that did not fail (issue 33:
    # failure and quality apart), from the same estimate as the tables.
    centres = [line.get_xdata()[0] for line in ax.get_lines() if line.get_marker() == "D"]
    assert centres == pytest.approx([geometric([300, 310])[0], geometric([100, 140])[0]])
    assert ax.get_xscale() == "log"
    plt.close(figure)


def texts_outside(figure: Figure) -> list[str]:
    """Each text the figure draws (titles, axis labels, tick labels, legends, annotations) that reaches outside its
    canvas by more than a pixel, with where it is; tick labels of ticks out of view and the axes of an image
    (``axis("off")``) are not drawn, so not checked."""
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    undrawn = set()
    for ax in figure.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
                if not ax.axison or tick.get_loc() is None or not low <= tick.get_loc() <= high:
                    undrawn |= {id(tick.label1), id(tick.label2)}
            if not ax.axison:
                undrawn.add(id(axis.label))
    canvas = figure.bbox
    outside = []
    for text in figure.findobj(Text):
        if id(text) in undrawn or not text.get_visible() or not text.get_text().strip():
            continue
        box = text.get_window_extent(renderer)
        if box.x0 < canvas.x0 - 1 or box.y0 < canvas.y0 - 1 or box.x1 > canvas.x1 + 1 or box.y1 > canvas.y1 + 1:
            outside.append(f"{text.get_text()!r} at {box.extents.round()} in {canvas.extents.round()}")
    return outside


def assert_every_figure_keeps_its_text_inside(data: ReportData) -> None:
    figures = [plot for plot in all_plots(data) if plot.figure is not None]
    assert {plot.file for plot in figures} == REPORT_PNGS
    try:
        assert {plot.file: texts_outside(plot.figure) for plot in figures} == {plot.file: [] for plot in figures}
    finally:
        plt.close("all")


# Figures of sample images laid out as grids of pictures, not plots: their columns are training stages or seeds.
IMAGE_FIGURES = {"stage_montage.png", "final_grids.png", "interpolation.png"}


@pytest.mark.slow
def test_every_plot_reads_at_page_width_in_the_configs_own_colours(crafted_with_checkpoints):
    """At most three panels a row, one legend, values without an offset ("1e-5+1"), and each config the same colour
    in every figure that draws it by config."""
    data = report_data(crafted_with_checkpoints, "crafted")
    colors = plots.config_colors(data.frame)
    labels = {config_label(config, data.columns): color for config, color in colors.items()}
    assert len(set(colors.values())) == len(colors) == 4
    coloured = []  # the figures whose legend names the configs
    try:
        for plot in all_plots(data):
            if plot.figure is None or plot.file in IMAGE_FIGURES:
                continue
            figure = plot.figure
            panels = [ax.get_subplotspec().get_geometry()[1] for ax in figure.axes if ax.get_subplotspec()]
            assert max(panels) <= plots.PANELS_PER_ROW, plot.file
            assert len(figure.legends) + sum(ax.get_legend() is not None for ax in figure.axes) <= 1, plot.file
            for ax in figure.axes:
                for axis in (ax.xaxis, ax.yaxis):
                    formatter = axis.get_major_formatter()
                    assert not getattr(formatter, "get_useOffset", lambda: False)(), plot.file
            for legend in figure.legends:
                for handle, text in zip(legend.legend_handles, legend.get_texts()):
                    if text.get_text() in labels:
                        assert handle.get_color() == labels[text.get_text()], (plot.file, text.get_text())
                        coloured.append(plot.file)
    finally:
        plt.close("all")
    assert set(coloured) >= {"schedules.png", "quality.png", "discriminator.png", "parallel_coordinates.png"}


@pytest.mark.slow
def test_every_report_figure_keeps_its_titles_and_labels_inside_the_canvas(crafted_with_checkpoints):
    assert_every_figure_keeps_its_text_inside(report_data(crafted_with_checkpoints, "crafted"))


@pytest.mark.slow
def test_every_figure_of_a_real_sweep_keeps_its_titles_and_labels_inside_the_canvas(smoke):
    assert_every_figure_keeps_its_text_inside(report_data(load_experiment(smoke[0]), smoke[0]))


def test_a_metric_name_wider_than_its_axis_breaks_after_its_underscores():
    wrapped = plots.wrap("late_d_loss_var_corrected", 0.7, 7)
    assert wrapped.replace("\n", "") == "late_d_loss_var_corrected" and wrapped.count("\n") >= 1
    assert all(line.endswith("_") for line in wrapped.splitlines()[:-1])
    assert all(plots.text_width(line, 7) <= 0.7 for line in wrapped.splitlines())
    assert plots.wrap("d_loss", 0.7, 7) == "d_loss"  # short enough: whole
