"""The image figures (analysis.images) on crafted trials with checkpoints: which seed stands for a config, and every
seed shown, the failed ones framed."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

from analysis import images, stats
from analysis.plots import OUTCOME_COLORS, config_colors
from tests.crafted import (
    EPOCHS,
    Seed,
    add_sample_grids,
    crafted,
    crafted_config,
    crafted_trial_id,
    top_config_lowest_seed_failed,
    with_checkpoints,
)
from tests.helpers import flip_a_bit
from trainables.checkpoint import SAMPLES_DIR, STATE_FILE, CheckpointError, sample_grid_name
from trainables.metric_keys import RANKABLE

COLLAPSED = (10, 10, 10, 4, 3, 3)  # mode collapse from epoch 4
ORANGE, RED = to_rgba(OUTCOME_COLORS["mode collapse"]), to_rgba(OUTCOME_COLORS["diverged"])
# tests.crafted.top_config_lowest_seed_failed's configs in rank order, and how each seed ended (None: did not fail).
RANKED = {
    "1. batch 128 · constant": ["mode collapse", None, None],
    "2. batch 256 · warmup_cosine": [None, None, "diverged"],
    "3. batch 512 · step": [None, "mode collapse", None],
    "4. batch 1024 · constant": ["mode collapse", "mode collapse", None],
}
STAGES = (1, 2, 3, 4, 5, 6)  # with_checkpoints saves epochs 3 and 6; the fixture adds the rest


def tables(frame: pd.DataFrame, rank_by: str = "fid") -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, str]:
    """(frame, per-trial table, ranking, rank_by): what the image functions take."""
    trials = stats.per_trial(frame)
    return frame, trials, stats.ranking(stats.summary(trials), rank_by), rank_by


@pytest.fixture(scope="module")
def ranked_sweep(tmp_path_factory) -> pd.DataFrame:
    """:func:`tests.crafted.top_config_lowest_seed_failed` with checkpoints holding a sample grid at every epoch."""
    frame = with_checkpoints(top_config_lowest_seed_failed(), tmp_path_factory.mktemp("ranked"))
    add_sample_grids(frame, tuple(epoch for epoch in STAGES if epoch not in (3, EPOCHS)))
    return frame


def grid_file(frame: pd.DataFrame, config: tuple, seed: int, epoch: int = EPOCHS) -> Path:
    trial_id = crafted_trial_id(crafted_config(config, seed))
    (checkpoint,) = frame.loc[frame["trial_id"] == trial_id, "checkpoint"].unique()
    return Path(checkpoint) / SAMPLES_DIR / sample_grid_name(epoch)


def pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path))


def block_title(ax) -> tuple[str, str]:
    """(text, colour) of the title of the config block (subfigure) that holds ``ax``."""
    block = ax.get_figure(root=False)
    (title,) = [text for text in block.findobj(Text) if text.get_text() == block.get_suptitle()]
    return title.get_text(), title.get_color()


def panels(figure: Figure) -> dict[str, list[dict]]:
    """Each config block's visible panels by the block's title: its line, title, frame colour (None: unframed),
    y-label and image (None: no image)."""
    found: dict[str, list[dict]] = {}
    for ax in figure.axes:
        if not ax.get_visible():
            continue
        frame = ax.spines["top"]
        found.setdefault(block_title(ax)[0], []).append(
            {
                "line": ax.get_subplotspec().rowspan.start,
                "title": ax.get_title(),
                "frame": to_rgba(frame.get_edgecolor()) if frame.get_visible() else None,
                "ylabel": ax.get_ylabel(),
                "image": np.asarray(ax.images[0].get_array()) if ax.images else None,
            }
        )
    return found


def test_the_summary_shows_the_top_configs_best_seed_that_did_not_fail(ranked_sweep):
    """Batch 128 ranks first; its seed 0 mode-collapsed (with the lowest FID of all), so it shows seed 1 (FID 120 <
    130) by FID, seed 2 (coverage 0.95 > 0.92) by coverage, never batch 1024's seed 2 though its FID (90) is lower."""
    config = (128, "constant")
    for rank_by, seed, name in (("fid", 1, "FID"), ("coverage", 2, "coverage")):
        label, png = images.best_samples(*tables(ranked_sweep, rank_by))
        assert label == (
            f"Ranked first: batch 128 · constant, seed {seed}, epoch 6 (the best by final {name} of its seeds that did "
            "not fail)"
        )
        assert png == grid_file(ranked_sweep, config, seed).read_bytes()
        # The interpolation walks the same generator.
        assert (
            images.best_checkpoint(*tables(ranked_sweep, rank_by)) == grid_file(ranked_sweep, config, seed).parents[1]
        )
    # Nothing measured: no number tells whether a seed failed, and the lowest seed stands for the config.
    label, png = images.best_samples(*tables(ranked_sweep.drop(columns=list(RANKABLE))))
    assert label == "Ranked first: batch 128 · constant, seed 0, epoch 6 (the lowest of its finished seeds)"
    assert png == grid_file(ranked_sweep, config, 0).read_bytes()


def test_where_every_seed_of_the_top_config_failed_the_summary_says_so_and_shows_the_next_that_worked(tmp_path):
    """Batch 128 ranks first (two finished seeds, both collapsed); batch 1024 has one seed, which worked."""
    frame = with_checkpoints(
        {(128, "constant"): [Seed(100.0, classes=COLLAPSED)] * 2, (1024, "step"): [Seed(300.0)]}, tmp_path
    )
    label, png = images.best_samples(*tables(frame))
    assert label == (
        "no seed of batch 128 · constant finished without failing; the best-ranked config with one, ranked 2: "
        "batch 1024 · step, seed 0, epoch 6 (the best by final FID of its seeds that did not fail)"
    )
    assert png == grid_file(frame, (1024, "step"), 0).read_bytes()
    failed = frame[frame["trial_id"] != crafted_trial_id(crafted_config((1024, "step"), 0))]
    # No seed anywhere that did not fail: the best-ranked config's seed, said to have failed (it used to be no image,
    # which left a study of short runs without its samples and interpolation).
    label, png = images.best_samples(*tables(failed))
    assert label.startswith("No seed of any config finished without failing; ranked first (mode-collapsed): batch 128")
    assert images.best_checkpoint(*tables(failed)) is not None


def test_the_final_grids_show_every_seed_in_rank_order_the_failed_ones_framed(ranked_sweep):
    figure = images.final_grids(*tables(ranked_sweep)[:3])
    shown = panels(figure)
    frames = {None: None, "mode collapse": ORANGE, "diverged": RED}
    # One panel per seed, each its seed's last grid, titled by seed and epoch, a failed one framed and named.
    assert {block: [(panel["title"], panel["frame"]) for panel in drawn] for block, drawn in shown.items()} == {
        block: [
            (f"seed {seed} · epoch 6" + (f"\n{outcome}" if outcome else ""), frames[outcome])
            for seed, outcome in enumerate(outcomes)
        ]
        for block, outcomes in RANKED.items()
    }
    assert list(shown) == list(RANKED)
    for block, config in zip(RANKED, ((128, "constant"), (256, "warmup_cosine"), (512, "step"), (1024, "constant"))):
        for seed, panel in enumerate(shown[block]):
            assert np.array_equal(panel["image"], pixels(grid_file(ranked_sweep, config, seed)))
    # Each config's title in its colour.
    colors = config_colors(ranked_sweep)
    titles = dict(block_title(ax) for ax in figure.axes)
    assert [titles[block] for block in RANKED] == [
        colors[config] for config in ((128, "constant"), (256, "warmup_cosine"), (512, "step"), (1024, "constant"))
    ]
    plt.close(figure)


def test_a_seed_without_samples_keeps_its_panel(ranked_sweep):
    gone = crafted_trial_id(crafted_config((512, "step"), 2))
    frame = ranked_sweep.assign(checkpoint=ranked_sweep["checkpoint"].where(ranked_sweep["trial_id"] != gone))
    figure = images.final_grids(*tables(frame)[:3])
    drawn = panels(figure)["3. batch 512 · step"]
    assert [(panel["title"], panel["image"] is None) for panel in drawn] == [
        ("seed 0 · epoch 6", False),
        ("seed 1 · epoch 6\nmode collapse", False),
        ("seed 2", True),
    ]
    assert sum(len(panel) for panel in panels(figure).values()) == 12
    plt.close(figure)


def test_the_montage_shows_every_seed_while_it_fits(ranked_sweep):
    """Six stages: a config a line of blocks, three seeds each: twelve lines, MONTAGE_LINES. A failed seed's panels
    are framed from the epoch it failed: epoch 4 for the collapsed ones, 6 for the diverged one."""
    figure = images.stage_montage(*tables(ranked_sweep))
    assert "(every seed;" in figure.get_suptitle().replace("\n", " ")
    shown = panels(figure)
    assert list(shown) == list(RANKED)
    for block, outcomes in RANKED.items():
        lines = {}
        for panel in shown[block]:
            lines.setdefault(panel["line"], []).append(panel)
        assert [line[0]["ylabel"] for line in lines.values()] == [f"seed {seed}" for seed in range(3)]
        for outcome, line in zip(outcomes, lines.values()):
            onset = {None: None, "mode collapse": 4, "diverged": 6}[outcome]
            assert [(panel["title"], panel["frame"]) for panel in line] == [
                (f"epoch {epoch}\n{outcome}", to_rgba(OUTCOME_COLORS[outcome]))
                if onset and epoch >= onset
                else (f"epoch {epoch}", None)
                for epoch in STAGES
            ]
    assert sum(len(drawn) for drawn in shown.values()) == 12 * len(STAGES)
    plt.close(figure)


def test_past_its_lines_the_montage_shows_each_configs_best_seed_that_did_not_fail(tmp_path):
    """A fifth config makes fifteen lines: one seed a config, the best that did not fail (batch 128: seed 1, not its
    collapsed seed 0; batch 1024: seed 2), else the best of those that failed (batch 2048: seed 1, FID 400 < 410)."""
    configs = {**top_config_lowest_seed_failed(), (2048, "constant"): [Seed(410.0, classes=COLLAPSED)] * 3}
    configs[(2048, "constant")][1] = Seed(400.0, classes=COLLAPSED)
    frame = with_checkpoints(configs, tmp_path)
    add_sample_grids(frame, tuple(epoch for epoch in STAGES if epoch not in (3, EPOCHS)))
    figure = images.stage_montage(*tables(frame))
    assert (
        "(one seed of each config, the best by final FID of those that did not fail;"
        in figure.get_suptitle().replace("\n", " ")
    )
    shown = panels(figure)
    assert {block: {panel["ylabel"] for panel in drawn if panel["ylabel"]} for block, drawn in shown.items()} == {
        "1. batch 128 · constant": {"seed 1"},
        "2. batch 256 · warmup_cosine": {"seed 0"},
        "3. batch 512 · step": {"seed 0"},
        "4. batch 1024 · constant": {"seed 2"},
        "5. batch 2048 · constant": {"seed 1"},
    }
    assert {block: len(drawn) for block, drawn in shown.items()} == {block: len(STAGES) for block in shown}
    framed = [panel["title"] for panel in shown["5. batch 2048 · constant"] if panel["frame"] == ORANGE]
    assert framed == [f"epoch {epoch}\nmode collapse" for epoch in (4, 5, 6)]
    last = next(panel for panel in shown["1. batch 128 · constant"] if panel["title"] == "epoch 6")
    assert np.array_equal(last["image"], pixels(grid_file(frame, (128, "constant"), 1)))
    plt.close(figure)


def test_without_checkpoints_there_are_no_image_figures():
    frame = crafted(top_config_lowest_seed_failed())
    assert images.final_grids(*tables(frame)[:3]) is None
    assert images.stage_montage(*tables(frame)) is None
    assert images.best_samples(*tables(frame)) is None


def test_a_damaged_generator_is_not_interpolated(crafted_with_checkpoints):
    checkpoint = Path(crafted_with_checkpoints["checkpoint"].iloc[0])
    assert images.latent_interpolation(checkpoint).axes  # as written, it draws
    flip_a_bit(checkpoint / STATE_FILE)
    with pytest.raises(CheckpointError, match=re.escape(f"checkpoint {checkpoint} cannot be read (state.pt does not")):
        images.latent_interpolation(checkpoint)
