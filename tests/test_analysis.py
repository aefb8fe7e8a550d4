"""Analysis on a real smoke sweep, a real errored trial, and crafted tables whose answer is known."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pandas as pd
import pytest
import ray
import torch
from matplotlib.figure import Figure
from matplotlib.text import Text
from nbclient import NotebookClient
from PIL import Image
from ray import tune

from analysis import findings, images, intervals, outcomes, plots, report, stats, wording
from analysis.load import CONFIG_COLUMNS, export, latest_per_epoch, load_experiment, newest_experiment
from analysis.power import seeds_for_difference
from analysis.report import (
    ReportData,
    all_plots,
    config_table,
    report_data,
    report_html,
    report_markdown,
    trial_table,
)
from tests.helpers import REPO, flip_a_bit, lrs_per_epoch
from tests.reference_stats import geometric, welch_on_logs, wilson
from trainables.checkpoint import (
    SAMPLES_DIR,
    STATE_FILE,
    CheckpointError,
    sample_grid_name,
    save_sample_grid,
    write_state,
)
from trainables.config import TrialConfig
from trainables.data import resolve_data_dir
from trainables.metric_keys import TRAIN_METRICS
from trainables.models import build_models
from trainables.quality.evaluator import real_reference
from trainables.trainable import train_gan

REPORT_PNGS = {
    "loss_curves.png",
    "loss_curves_by_updates.png",
    "stability_curves.png",
    "stability_by_updates.png",
    "outcomes.png",
    "seed_spread.png",
    "schedules.png",
    "discriminator.png",
    "quality.png",
    "quality_by_updates.png",
    "stage_montage.png",
    "final_grids.png",
    "interpolation.png",
    "parallel_coordinates.png",
}


@pytest.mark.slow
def test_loader_gives_one_row_per_trial_and_epoch(smoke):
    experiment, _ = smoke
    frame = load_experiment(experiment)
    assert len(frame) == 4 * 2
    assert set(CONFIG_COLUMNS) | set(TRAIN_METRICS) | {"trial_id", "status", "checkpoint"} <= set(frame.columns)
    assert frame.groupby("trial_id")["epoch"].apply(list).tolist() == [[1, 2]] * 4
    assert set(frame["status"]) == {"TERMINATED"}
    assert all(os.path.isdir(path) for path in frame["checkpoint"])
    assert newest_experiment(experiment.parent) == experiment


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_export_round_trip(smoke, tmp_path, suffix):
    frame = load_experiment(smoke[0])
    written = export(frame, tmp_path / f"table{suffix}")
    back = pd.read_parquet(written) if suffix == ".parquet" else pd.read_csv(written)
    assert back.shape == frame.shape
    assert back["d_loss"].tolist() == pytest.approx(frame["d_loss"].tolist())


@pytest.fixture(scope="module")
def mixed_outcomes(tmp_path_factory, mnist_images):
    """A real Tune run of 4 trials: batch size 0 fails at the start (ERROR); lr_d 0.5 saturates D (DIVERGED).
    Quality is scored every 5 epochs and where a trial stops."""
    storage = tmp_path_factory.mktemp("mixed")
    reference = real_reference("mnist", resolve_data_dir(None))
    params = {
        **TrialConfig(epochs=6, subset=256, batch_size=64, eval_samples=500).to_dict(),
        "batch_size": tune.grid_search([64, 0]),
        "lr_d": tune.grid_search([2e-4, 0.5]),
    }
    ray.init(address="local", num_cpus=2, include_dashboard=False)
    try:
        tune.Tuner(
            tune.with_parameters(train_gan, images=mnist_images[:256].numpy(), reference=reference),
            param_space=params,
            run_config=tune.RunConfig(name="mixed", storage_path=str(storage)),
        ).fit()
    finally:
        ray.shutdown()
    return storage / "mixed"


@pytest.mark.slow
def test_errored_and_diverged_trials_appear_with_their_status(mixed_outcomes):
    frame = load_experiment(mixed_outcomes)
    trials = frame.drop_duplicates("trial_id").set_index(["batch_size", "lr_d"])["status"].to_dict()
    assert trials == {(0, 2e-4): "ERROR", (0, 0.5): "ERROR", (64, 2e-4): "TERMINATED", (64, 0.5): "DIVERGED"}
    errored = frame[frame["batch_size"] == 0]
    assert len(errored) == 2 and errored["epoch"].isna().all()
    diverged = frame[frame["status"] == "DIVERGED"]
    assert diverged["epoch"].tolist() == [1, 2, 3, 4]  # stopped before its 6 epochs
    assert diverged["diverged_reason"].iloc[-1].startswith("discriminator saturated")
    assert frame[frame["status"] == "TERMINATED"]["epoch"].tolist() == [1, 2, 3, 4, 5, 6]
    assert frame[frame["status"] == "TERMINATED"]["fid"].notna().tolist() == [False] * 4 + [True] * 2
    assert diverged["fid"].notna().tolist() == [False] * 3 + [True]  # scored where it stopped
    assert (
        "batch 64 · constant · lr_d 0.5: undecided (one seed cannot decide): 1 of 1 seed diverged (seed 0 at epoch 4: "
        "discriminator saturated" in sentences(frame)
    )


def shown(value: float) -> str:
    """How the report prints a number: 3 significant digits, or whole with thousands separators from 1,000."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def write_report(experiment: Path, out: Path) -> tuple[str, str]:
    """Run report.py as a user does; (its stdout, the report.md it wrote)."""
    finished = subprocess.run(
        [sys.executable, "analysis/report.py", str(experiment), "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    return finished.stdout, (out / "report.md").read_text()


def ranked_rows(markdown: str) -> list[dict[str, str]]:
    """The appendix's tables of every estimate per config of a report.md (a quantity per row, a few configs per
    table), one dict per config in rank order, keyed by the quantity's column name."""
    section = markdown.split("### Every estimate per config, ranked")[1].split("\n### ")[0]
    configs = []
    for block in section.strip().split("\n\n"):
        rows = [[cell.strip() for cell in line.split("|")[1:-1]] for line in block.splitlines()[2:]]
        configs += [{row[0].replace(" ", "_"): row[column] for row in rows} for column in range(1, len(rows[0]))]
    return configs


@pytest.mark.slow
def test_report_writes_every_plot_and_a_row_per_config(smoke, tmp_path):
    experiment, _ = smoke
    stdout, markdown = write_report(experiment, tmp_path)
    assert f"Report: {tmp_path / 'report.md'}" in stdout
    pngs = {path.name for path in tmp_path.glob("*.png")}
    assert pngs == REPORT_PNGS | {report.BEST_SAMPLES}  # the smoke trials scored their samples: quality.png is there
    for name in REPORT_PNGS:
        with Image.open(tmp_path / name) as image:
            assert image.width >= 300 and image.height >= 200
            assert len(set(image.convert("L").resize((64, 64)).tobytes())) > 5  # not a blank canvas
    rows = ranked_rows(markdown)
    assert len(rows) == 4
    # The quality columns hold each config's last evaluation (one seed: no interval), read back from its results.
    frame = load_experiment(experiment)
    for cells in rows:
        trial = frame[(frame["batch_size"] == int(cells["batch_size"])) & (frame["scheduler"] == cells["scheduler"])]
        assert cells["fid"] == f"{shown(trial['fid'].iloc[-1])} (n=1)"
        assert cells["coverage"] == f"{shown(trial['coverage'].iloc[-1])} (n=1)"
    assert all(f"]({name})" in markdown for name in REPORT_PNGS) and f'src="{report.BEST_SAMPLES}"' in markdown
    page = (tmp_path / "report.html").read_text()
    embedded = page.split('src="data:image/png;base64,')[1:]
    assert len(embedded) == len(pngs)
    Image.open(io.BytesIO(base64.b64decode(embedded[0].split('"')[0]))).verify()
    assert len(pd.read_parquet(tmp_path / "results.parquet")) == 8


def _final_results(experiment: Path) -> dict[tuple[int, str], list[dict]]:
    """Each config's trials' last result, read straight from their result.json files."""
    finals: dict[tuple[int, str], list[dict]] = {}
    for result_file in sorted(experiment.glob("*/result.json")):
        last = json.loads(result_file.read_text().splitlines()[-1])
        finals.setdefault((last["config"]["batch_size"], last["config"]["scheduler"]), []).append(last)
    return finals


@pytest.mark.slow
def test_report_of_a_three_seed_sweep_answers_with_intervals(three_seeds, tmp_path):
    _, markdown = write_report(three_seeds, tmp_path)
    headings = [line[3:] for line in markdown.splitlines() if line.startswith("## ")]
    assert headings[:3] == list(findings.QUESTIONS)
    rows = ranked_rows(markdown)
    finals = _final_results(three_seeds)
    assert len(rows) == len(finals) == 4 and all(len(trials) == 3 for trials in finals.values())
    for cells in rows:
        fids = [trial["fid"] for trial in finals[(int(cells["batch_size"]), cells["scheduler"])]]
        center, low, high = geometric(fids)
        seeds = ", ".join(shown(fid) for fid in fids)
        assert cells["fid"] == f"{shown(center)} [{shown(low)}, {shown(high)}] (n=3: {seeds})"
        assert cells["seeds"] == "3"
    # Every comparison between batch sizes is stated at equal epochs and at equal updates (evaluated every epoch,
    # batch 64's epoch 1, 16 updates, is within batch 128's 24).
    images_section = markdown.split(f"## {findings.IMAGES}")[1].split("## ")[0]
    assert images_section.count("At equal epochs") == images_section.count("At equal generator updates") == 2
    assert "(batch 128: 16 at epoch 2; batch 64: 16 at epoch 1)" in images_section
    assert "comparisons answer this question" in images_section  # the family Holm adjusts
    assert {"quality_by_updates.png", "loss_curves_by_updates.png", "stability_by_updates.png"} <= {
        path.name for path in tmp_path.glob("*.png")
    }


@pytest.mark.slow
def test_tidy_table_holds_each_epochs_lr_as_the_scheduler_ran_it(tmp_path, mnist_images):
    """The per-epoch LR columns against the schedules' closed forms (the config's peak lr_g stays its own column)."""
    ray.init(address="local", num_cpus=2, include_dashboard=False)
    try:
        tune.Tuner(
            tune.with_parameters(train_gan, images=mnist_images[:256].numpy(), reference=None),
            param_space={
                **TrialConfig(
                    epochs=4, subset=256, batch_size=64, eval_every=0, step_every=1, step_gamma=0.5
                ).to_dict(),
                "warmup_epochs": 1,
                "scheduler": tune.grid_search(["step", "warmup_cosine"]),
            },
            run_config=tune.RunConfig(name="lrs", storage_path=str(tmp_path)),
        ).fit()
    finally:
        ray.shutdown()
    frame = load_experiment(tmp_path / "lrs")
    peak, floor = 2e-4, 0.01
    cosine = [peak * floor + (peak - peak * floor) * (1 + math.cos(math.pi * t / 2)) / 2 for t in range(3)]
    expected = {"step": [peak * 0.5**epoch for epoch in range(4)], "warmup_cosine": [peak * floor, *cosine]}
    for scheduler, lrs in expected.items():
        runs = frame[frame["scheduler"] == scheduler]
        assert runs["lr_g_in_use"].tolist() == pytest.approx(lrs, rel=1e-9)
        assert runs["lr_d_in_use"].tolist() == pytest.approx(lrs, rel=1e-9)
        assert set(runs["lr_g"]) == {peak}


@pytest.mark.slow
def test_loader_keeps_the_latest_row_of_an_epoch_recorded_twice(smoke, tmp_path):
    """As a resume can leave it: epoch 2's row, then the resumed run's epoch 2 again."""
    experiment = tmp_path / "copy"
    shutil.copytree(smoke[0], experiment)
    result_file = sorted(experiment.glob("*/result.json"))[0]
    rows = result_file.read_text().splitlines()
    stale = json.dumps({**json.loads(rows[1]), "d_loss": 99.0})
    result_file.write_text("\n".join([rows[0], stale, rows[1]]) + "\n")
    frame = load_experiment(experiment)
    trial = frame[frame["trial_id"] == json.loads(rows[0])["trial_id"]]
    assert trial["epoch"].tolist() == [1, 2]
    assert trial["d_loss"].tolist() == [json.loads(rows[0])["d_loss"], json.loads(rows[1])["d_loss"]]


@pytest.mark.slow
def test_report_rejects_a_directory_without_an_experiment(tmp_path):
    finished = subprocess.run(
        [sys.executable, "analysis/report.py", str(tmp_path)], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert finished.returncode == 2
    assert (
        finished.stderr.count("\n") == 1 and f"report.py: error: {tmp_path}: not a Tune experiment" in finished.stderr
    )


@pytest.mark.slow
def test_report_rejects_an_unknown_ranking_metric(tmp_path):
    finished = subprocess.run(
        [sys.executable, "analysis/report.py", str(tmp_path), "--rank-by", "d_loss_var"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 2 and finished.stderr.count("\n") == 1
    assert "argument --rank-by: invalid choice: 'd_loss_var'" in finished.stderr
    assert all(metric in finished.stderr for metric in stats.RANKABLE)


@pytest.mark.slow
def test_notebook_runs_top_to_bottom(smoke, monkeypatch):
    monkeypatch.setenv("TUNE_GAN_EXPERIMENT", str(smoke[0]))
    notebook = nbformat.read(REPO / "analysis" / "analysis.ipynb", as_version=4)
    NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(REPO / "analysis")}}
    ).execute()
    figures = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "image/png" in output.get("data", {})
    ]
    assert len(figures) == len(REPORT_PNGS)


EPOCHS = 6
IMAGES = 60_000


@dataclasses.dataclass
class Seed:
    """One crafted trial: its final FID (the first two evaluations higher, then flat: stalled, unless ``fid_path`` says
    otherwise), classes covered per epoch (coverage 0.09 a class, unless ``coverage`` is given), status."""

    fid: float
    classes: tuple[int, ...] = (10,) * EPOCHS
    status: str = "TERMINATED"
    d_loss_var: float = 0.01
    fid_path: tuple[float, ...] | None = None
    coverage: tuple[float, ...] | None = None


def crafted_config(config: tuple, seed: int) -> TrialConfig:
    """A config of :func:`crafted`: (batch size, scheduler[, lr_scaling[, latent_dim]])."""
    batch_size, scheduler, *more = config
    settings = dict(zip(("lr_scaling", "latent_dim"), more))
    return TrialConfig(
        batch_size=batch_size, scheduler=scheduler, seed=seed, epochs=EPOCHS, warmup_epochs=1, **settings
    )


def crafted_trial_id(config: TrialConfig) -> str:
    return f"{config.batch_size}_{config.scheduler}_{config.lr_scaling}_{config.latent_dim}_{config.seed}"


def crafted(configs: dict[tuple, list[Seed]]) -> pd.DataFrame:
    """A tidy table like load_experiment's: one row per trial x epoch, every epoch evaluated, no checkpoints. A config
    is (batch size, scheduler[, lr_scaling[, latent_dim]])."""
    rows = []
    for key, seeds in configs.items():
        for seed, spec in enumerate(seeds):
            config = crafted_config(key, seed)
            batch_size = config.batch_size
            fids = spec.fid_path or (spec.fid * 1.5, spec.fid * 1.25, *(spec.fid,) * (EPOCHS - 2))
            coverage = spec.coverage or tuple(0.09 * classes for classes in spec.classes)
            lrs = lrs_per_epoch(config)
            for epoch in range(1, len(spec.classes) + 1):
                rows.append(
                    {
                        **dataclasses.asdict(config),
                        "trial_id": crafted_trial_id(config),
                        "status": spec.status,
                        "checkpoint": None,
                        "epoch": epoch,
                        "d_loss": 1.2,
                        "g_loss": 0.9,
                        "d_loss_var": spec.d_loss_var,
                        "d_loss_var_corrected": spec.d_loss_var / 2,
                        "g_loss_var": spec.d_loss_var,
                        "g_loss_var_corrected": spec.d_loss_var / 2,
                        "d_real": 0.6,
                        "d_fake": 0.4,
                        "d_acc": 0.7,
                        "lr_g_in_use": lrs[epoch - 1],
                        "lr_d_in_use": lrs[epoch - 1],
                        "g_updates": epoch * (IMAGES // batch_size),
                        "images_seen": epoch * (IMAGES // batch_size) * batch_size,
                        "fid": fids[epoch - 1],
                        "is_score": 5.0,
                        "precision": 0.7,
                        "recall": 0.05,
                        "density": 0.9,
                        "coverage": coverage[epoch - 1],
                        "class_kl": 0.1,
                        "classes_covered": spec.classes[epoch - 1],
                        "diverged_reason": "discriminator collapse: …" if spec.status == "DIVERGED" else "",
                    }
                )
    return pd.DataFrame(rows)


def answers(frame: pd.DataFrame) -> dict[str, list]:
    return findings.findings(frame)


def records(frame: pd.DataFrame, kind: type, question: str | None = None) -> list:
    return [
        record
        for asked, found in answers(frame).items()
        for record in found
        if isinstance(record, kind) and question in (None, asked)
    ]


def sentences(frame: pd.DataFrame) -> str:
    return " ".join(sentence for section in wording.render(answers(frame)).values() for sentence in section)


def comparison(frame: pd.DataFrame, topic: str, context: str, question: str | None = None) -> findings.Comparison:
    (found,) = [
        record
        for record in records(frame, findings.Comparison, question)
        if record.topic == topic and record.context == context
    ]
    return found


def test_a_config_worse_on_every_seed_is_worse_by_a_ratio_of_geometric_means():
    small, large = [100.0, 110.0, 105.0], [300.0, 320.0, 310.0]
    frame = crafted({(128, "constant"): [Seed(f) for f in small], (1024, "constant"): [Seed(f) for f in large]})
    ratio, low, high, p = welch_on_logs(large, small)
    found = comparison(frame, findings.EQUAL_EPOCHS, "constant LR")
    assert found.a.values == tuple(large) and found.b.values == tuple(small) and found.a.epochs == (6, 6, 6)
    assert (found.effect.value, found.effect.low, found.effect.high, found.effect.p_value) == pytest.approx(
        (ratio, low, high, p)
    )
    # Two comparisons answer the images question (best against runner-up, equal epochs; equal updates is not
    # comparable): Holm doubles the smaller p, and the larger takes the max of that and its own.
    assert found.family == 2 and found.p_adjusted == pytest.approx(2 * p)
    assert found.conclusion == findings.WORSE
    assert (
        f"At equal epochs (epoch 6) at constant LR, fid, batch 1024 vs batch 128: 310 [{shown(geometric(large)[1])}, "
        f"{shown(geometric(large)[2])}] (n=3: 300, 320, 310) vs" in sentences(frame)
    )
    ranked = stats.ranking(stats.summary(stats.per_trial(frame)))
    assert ranked["label"].tolist() == ["batch 128 · constant", "batch 1024 · constant"]
    estimated = ranked["fid"].iloc[0]
    assert (estimated.center, estimated.low, estimated.high, estimated.n) == pytest.approx((*geometric(small), 3))


def test_overlapping_seeds_are_no_conclusion():
    frame = crafted(
        {
            (128, "constant"): [Seed(f) for f in (100, 150, 125)],
            (128, "warmup_cosine"): [Seed(f) for f in (110, 140, 130)],
        }
    )
    found = comparison(frame, findings.FINAL, "batch 128", findings.SCHEDULES)
    _, low, high, _ = welch_on_logs([110, 140, 130], [100, 150, 125])
    assert low < 1 < high and found.conclusion == findings.NO_CONCLUSION
    assert "within seed-to-seed spread, no conclusion." in wording.comparison_text(found)
    # How many seeds would decide it, at the family's level over its comparisons; far too many here.
    assert found.seeds_needed == seeds_for_difference(
        found.a.values, found.b.values, "fid", intervals.ALPHA / found.family
    )
    assert found.seeds_needed.seeds is None
    assert wording.comparison_text(found).endswith(wording.seeds_needed_text(found.seeds_needed))


def test_the_report_prints_once_the_command_that_adds_the_seeds_its_undecided_comparisons_need():
    frame = crafted(
        {
            (128, "constant"): [Seed(f) for f in (100, 120, 140)],
            (128, "warmup_cosine"): [Seed(f) for f in (130, 160, 175)],
        }
    )
    data = report_data(frame, "crafted")
    undecided = [
        record
        for records in data.findings.values()
        for record in records
        if isinstance(record, findings.Comparison) and record.conclusion == findings.NO_CONCLUSION
    ]
    needs = [
        seeds_for_difference(record.a.values, record.b.values, record.metric, intervals.ALPHA / record.family).seeds
        for record in undecided
    ]  # 8 here, more than the 3 seeds each config has
    decidable = [n for n in needs if n is not None]
    assert decidable, needs  # the crafted seeds leave some comparison undecided that more seeds would decide
    most = max(decidable)
    added = " ".join(str(seed) for seed in range(3, most))
    which = "The comparison" if len(decidable) == 1 else f"{len(decidable)} comparisons"
    line = (
        f"**More seeds.** {which} left undecided would be decided by about {most} seeds per config at the spread seen "
        f"so far (the most {'it' if len(decidable) == 1 else 'any'} needs; 3 now). To add {most - 3} to every config: "
        f"`tune-gan sweep --add-seeds crafted --seeds {added}`, then `tune-gan report crafted`."
    )
    assert report_markdown(data, []).count("**More seeds.**") == 1
    assert line in report_markdown(data, []).splitlines()
    # With a batch 1024 config far worse on every seed (decided, needing no seeds), the command adds seeds to the
    # batch 128 configs only.
    frame = crafted(
        {
            (128, "constant"): [Seed(f) for f in (100, 120, 140)],
            (128, "warmup_cosine"): [Seed(f) for f in (130, 160, 175)],
            (1024, "constant"): [Seed(f) for f in (900, 910, 905)],
        }
    )
    more = findings.more_seeds(report_data(frame, "crafted").findings)
    assert {dict(config)["batch_size"] for config in more.configs} == {128}
    assert "`tune-gan sweep --add-seeds crafted --batch-sizes 128 --seeds 3 4 5" in report_markdown(
        report_data(frame, "crafted"), []
    )


def test_a_collapsed_config_is_never_stable_nor_first_whatever_its_loss_variance():
    collapsed = (10, 9, 3, 2, 2, 2)  # mode collapse from epoch 3 on, FID flat at the end: stalled
    frame = crafted(
        {
            # The best FID and the calmest losses, but its generators draw two classes.
            (1024, "warmup_cosine"): [Seed(50.0 + seed, classes=collapsed, d_loss_var=1e-6) for seed in range(3)],
            (128, "constant"): [Seed(100.0 + 5 * seed, d_loss_var=0.05) for seed in range(3)],
        }
    )
    trials = stats.per_trial(frame)
    large = trials[trials["batch_size"] == 1024]
    assert set(large["outcome"]) == {outcomes.MODE_COLLAPSE} and set(large["outcome_epoch"]) == {3.0}
    assert set(large["outcome_detail"]) == {"10 classes at epoch 1 → 2 classes at epoch 6"}
    assert set(large["improving"]) == {False}
    ranked = stats.ranking(stats.summary(trials))
    assert ranked["label"].tolist() == ["batch 128 · constant", "batch 1024 · warmup_cosine"]
    assert ranked.set_index("label")["verdict"].to_dict() == {
        "batch 128 · constant": stats.STABLE_CONFIG,
        "batch 1024 · warmup_cosine": stats.UNSTABLE_CONFIG,
    }
    text = sentences(frame)
    assert (
        "batch 1024 · warmup_cosine: unstable: 3 of 3 seeds mode-collapsed (seed 0 from epoch 3: 10 classes at epoch 1 "
        "→ 2 classes at epoch 6; seed 1 from epoch 3: 10 classes at epoch 1 → 2 classes at epoch 6; seed 2 from epoch "
        "3: 10 classes at epoch 1 → 2 classes at epoch 6; 0 of 3 still improving when training ended); 0 of 3 stable "
        f"[0, {shown(wilson(0, 3)[1])}]." in text
    )
    # The loss variances are shown over the seeds that did not collapse, and decide nothing.
    table = stats.summary(trials).set_index("label")
    assert table.loc["batch 1024 · warmup_cosine", "late_d_loss_var"].n == 0
    assert table.loc["batch 128 · constant", "late_d_loss_var"].center == pytest.approx(0.05)
    assert "variance" not in text


def test_one_seed_decides_nothing():
    frame = crafted({(128, "constant"): [Seed(100.0)], (128, "warmup_cosine"): [Seed(300.0, classes=(2,) * 6)]})
    table = stats.summary(stats.per_trial(frame))
    assert set(zip(table["verdict"], table["verdict_why"])) == {(stats.UNDECIDED, stats.ONE_SEED_WHY)}
    found = comparison(frame, findings.FINAL, "batch 128", findings.SCHEDULES)
    assert found.conclusion == intervals.ONE_SEED
    assert "warmup_cosine vs constant: 300 (n=1) vs 100 (n=1), ratio ×3: one seed cannot decide." in sentences(frame)


def test_quality_that_fell_from_its_best_is_not_stable_even_when_frozen_at_the_end():
    frame = crafted(
        {
            (128, "constant"): [
                Seed(0, fid_path=(400, 300, 200, 150, 160, 200)),
                Seed(0, fid_path=(400, 300, 200, 150, 140, 130)),
                # Worse, then frozen (an LR decayed to nothing): a window of the last evaluations would call it held.
                Seed(0, fid_path=(400, 150, 300, 300, 300, 300)),
            ]
        }
    )
    trials = stats.per_trial(frame).set_index("seed")
    assert trials.loc[0, "outcome"] == outcomes.QUALITY_FELL  # 200 > 1.25 x 150
    assert trials.loc[0, "outcome_detail"] == "FID 150 at epoch 4 → 200 at epoch 6"
    assert (trials.loc[1, "outcome"], trials.loc[1, "improving"]) == (outcomes.STABLE, True)
    assert trials.loc[2, "outcome"] == outcomes.QUALITY_FELL
    assert trials.loc[0, "fid_fluctuation"] == pytest.approx((200 - 150) / 150)
    assert stats.summary(stats.per_trial(frame))["verdict"].tolist() == [stats.UNSTABLE_CONFIG]


def test_batch_sizes_compared_at_the_latest_equal_updates():
    """Batch 1024 takes 58 updates an epoch, batch 256 234: batch 1024's epoch 4 (232) meets batch 256's epoch 1
    (234), within 10 %; its epochs 5 (290) and 6 (348) meet nothing of batch 256 that close."""
    small = [
        Seed(0, fid_path=tuple(100.0 + 10 * seed + 50 * (6 - epoch) for epoch in range(1, 7))) for seed in range(3)
    ]
    large = [Seed(300.0 + 10 * seed) for seed in range(3)]
    frame = crafted({(256, "constant"): small, (1024, "constant"): large})
    found = comparison(frame, findings.EQUAL_UPDATES, "constant LR")
    assert (found.a.epochs, found.a.updates) == ((4,) * 3, (232,) * 3)
    assert (found.b.epochs, found.b.updates) == ((1,) * 3, (234,) * 3)
    assert found.a.values == tuple(300.0 + 10 * seed for seed in range(3))  # epoch 4 is on the flat stretch
    assert found.b.values == tuple(100.0 + 10 * seed + 250 for seed in range(3))
    assert not found.lrs_differ
    text = wording.comparison_text(found)
    assert text.startswith(
        "At equal generator updates (batch 1024: 232 at epoch 4; batch 256: 234 at epoch 1) at constant LR, fid"
    )
    # Batch 128 takes 468 an epoch: nothing of batch 1024's (at most 348) is within 10 % of it.
    frame = crafted({(128, "constant"): small, (1024, "constant"): large})
    (missed,) = records(frame, findings.NotComparable)
    assert (missed.a_updates, missed.b_updates) == (348, 468)


def test_equal_updates_at_different_lrs_say_so():
    frame = crafted(
        {(256, "warmup_cosine"): [Seed(100.0 + seed) for seed in range(2)], (1024, "warmup_cosine"): [Seed(300.0)] * 2}
    )
    found = comparison(frame, findings.EQUAL_UPDATES, "warmup_cosine LR")
    lrs = lrs_per_epoch(crafted_config((1024, "warmup_cosine"), 0))
    assert found.lrs_differ and found.a.lrs == (lrs[3],) * 2 and found.b.lrs == (lrs[0],) * 2
    assert "The two ran at different generator LRs at those updates" in wording.comparison_text(found)


def schedules_at_batch_1024() -> dict[tuple, list[Seed]]:
    """Constant LR collapsed on 6 of 6 seeds, warmup_cosine stable on 6 of 6, step (which never acts in 6 epochs)
    collapsed on 1 of 3."""
    collapsed = (10, 9, 3, 2, 2, 2)
    return {
        (1024, "constant"): [Seed(300.0, classes=collapsed)] * 6,
        (1024, "warmup_cosine"): [Seed(200.0 + seed) for seed in range(6)],
        (1024, "step"): [Seed(250.0, classes=collapsed), Seed(240.0), Seed(230.0)],
    }


def test_a_schedule_fixes_an_unstable_baseline_only_when_its_stable_seeds_are_beyond_chance():
    collapsed = (10, 9, 3, 2, 2, 2)
    frame = crafted(
        {
            **schedules_at_batch_1024(),
            (128, "constant"): [Seed(300.0, classes=collapsed), Seed(310.0), Seed(320.0, classes=collapsed)],
            (128, "warmup_cosine"): [Seed(200.0 + seed) for seed in range(3)],
        }
    )
    effects = {(record.context, record.scheduler): record for record in records(frame, findings.ScheduleEffect)}
    # step's LR (x0.1 every 20 epochs) never left constant LR's in 6 epochs: not judged.
    assert effects["batch 1024", "step"].effect == findings.DID_NOT_ACT
    # 6 of 6 stable against 0 of 6: Fisher's p = 2 / C(12, 6), adjusted with the other comparisons, still decides.
    shares = comparison(frame, findings.SEEDS_STABLE, "batch 1024", findings.SCHEDULES)
    assert shares.effect.p_value == pytest.approx(2 / math.comb(12, 6)) and shares.conclusion == findings.BETTER
    assert effects["batch 1024", "warmup_cosine"].effect == findings.FIXES
    # 3 of 3 against 1 of 3 is within what 3 seeds can show by chance.
    assert (
        comparison(frame, findings.SEEDS_STABLE, "batch 128", findings.SCHEDULES).conclusion == findings.NO_CONCLUSION
    )
    assert effects["batch 128", "warmup_cosine"].effect == findings.NOT_SHOWN
    text = sentences(frame)
    assert "batch 1024: step's LR as it ran equals constant LR's at all 6 epochs: the schedule did not act" in text
    assert "batch 1024: with constant LR unstable, with warmup_cosine stable: so warmup_cosine fixes it." in text
    # The batch sizes' stable seeds are compared the same way, in the stability question's own family.
    found = comparison(frame, findings.SEEDS_STABLE, "constant LR", findings.STABILITY)
    assert (found.a.values, found.b.values) == ((0.0,) * 6, (0.0, 1.0, 0.0))
    assert found.conclusion == findings.NO_CONCLUSION


def test_the_summary_answers_each_question_from_its_records_above_the_sections():
    frame = crafted(schedules_at_batch_1024())
    answers = findings.findings(frame)
    short = wording.summary(answers)
    assert short[findings.STABILITY].startswith(
        f"Stable: batch 1024 · warmup_cosine (6 of 6 stable [{shown(wilson(6, 6)[0])}, 1]); unstable: batch 1024 · "
        "constant (0 of 6 stable"
    )
    # At most three sentences an answer (a sentence ends at a full stop before a capital).
    assert [len(re.split(r"(?<=\.) (?=[A-Z])", answer)) for answer in short.values()] == [1, 1, 2]
    # The comparisons the schedule question resolved (stable seeds at 6 against 6, and FID), named with their numbers.
    shares = comparison(frame, findings.SEEDS_STABLE, "batch 1024", findings.SCHEDULES)
    fid = comparison(frame, findings.FINAL, "batch 1024", findings.SCHEDULES)
    assert (shares.conclusion, fid.conclusion) == (findings.BETTER, findings.BETTER)
    assert short[findings.SCHEDULES] == (
        "At batch 1024, step did not act in these epochs; at batch 1024, warmup_cosine fixes constant LR's "
        f"instability. Resolved: warmup_cosine is more often stable than constant (stable share, batch 1024: "
        f"{wording.effect_text(shares.effect)}, Holm-adjusted p {shown(shares.p_adjusted)}); warmup_cosine is better "
        f"than constant (fid, batch 1024: {wording.effect_text(fid.effect)}, Holm-adjusted p {shown(fid.p_adjusted)})."
    )
    assert short[findings.IMAGES].startswith("batch 1024 · warmup_cosine ranks first: fid ")
    markdown = report_markdown(report_data(frame, "crafted"), [])
    summary_at, first_section = markdown.index(f"- **{findings.STABILITY}**"), markdown.index("\n## ")
    assert summary_at < first_section


def test_a_single_seed_baseline_leaves_the_schedule_question_open():
    frame = crafted(
        {(128, "constant"): [Seed(300.0, classes=(10, 9, 3, 2, 2, 2))], (128, "warmup_cosine"): [Seed(200.0)]}
    )
    (effect,) = records(frame, findings.ScheduleEffect)
    assert (effect.baseline_verdict, effect.effect) == (stats.UNDECIDED, findings.STILL_UNDECIDED)
    (note,) = records(frame, findings.Note, findings.SCHEDULES)
    assert (note.kind, note.count) == (findings.UNDECIDED_BASELINES, 1)
    assert "there is no instability for a schedule to fix" not in sentences(frame)


def test_diverged_seeds_are_compared_at_their_stop_and_do_not_move_the_common_epoch():
    # Batch 128's seed 2 diverged at epoch 3 (FID 900 there); batch 1024's seed 0 at epoch 2 (FID 800).
    small = [Seed(100.0), Seed(110.0), Seed(0, classes=(10,) * 3, status="DIVERGED", fid_path=(950, 920, 900))]
    large = [Seed(0, classes=(10,) * 2, status="DIVERGED", fid_path=(820, 800)), Seed(300.0), Seed(310.0)]
    frame = crafted({(128, "constant"): small, (1024, "constant"): large})
    found = comparison(frame, findings.EQUAL_EPOCHS, "constant LR")
    assert (found.a.values, found.a.epochs) == ((800.0, 300.0, 310.0), (2, 6, 6))
    assert (found.b.values, found.b.epochs) == ((100.0, 110.0, 900.0), (6, 6, 3))
    assert found.effect.value == pytest.approx(welch_on_logs([800, 300, 310], [100, 110, 900])[0])
    assert "At equal epochs (epoch 6; seeds that stopped earlier at their last evaluation, epoch 2, 3)" in (
        wording.comparison_text(found)
    )
    trials = stats.per_trial(frame).set_index("trial_id")
    assert trials.loc["1024_constant_none_100_0", "outcome_detail"] == "discriminator collapse: …"


def test_a_diverged_seed_that_had_mode_collapsed_says_both():
    frame = crafted({(128, "constant"): [Seed(500.0, classes=(10, 9, 2, 2), status="DIVERGED")]})
    (trial,) = stats.per_trial(frame).itertuples()
    assert (trial.outcome, trial.outcome_epoch) == (outcomes.DIVERGED, 4.0)
    assert trial.outcome_detail == "discriminator collapse: …; mode-collapsed from epoch 3"


def test_ranking_first_needs_two_finished_seeds_and_unfinished_seeds_are_left_out():
    collapsed = (10, 9, 3, 2, 2, 2)
    frame = crafted(
        {
            (128, "constant"): [Seed(100.0, classes=(10,) * 2, status="RUNNING") for _ in range(3)],
            (256, "constant"): [Seed(200.0), Seed(210.0), Seed(220.0, classes=collapsed)],
            (512, "constant"): [Seed(150.0, classes=collapsed), Seed(150.0, classes=collapsed), Seed(99.0)],
            (1024, "constant"): [Seed(50.0), Seed(40.0, classes=(10,) * 2, status="RUNNING")],
        }
    )
    ranked = stats.ranking(stats.summary(stats.per_trial(frame)))
    # 256: 1 of 3 failed; 512: 2 of 3; 1024: the best FID, but one finished seed; 128: none finished.
    assert ranked["label"].tolist() == [
        "batch 256 · constant",
        "batch 512 · constant",
        "batch 1024 · constant",
        "batch 128 · constant",
    ]
    assert ranked[["failed", "finished"]].values.tolist() == [[1, 3], [2, 3], [0, 1], [0, 0]]
    # The running seed's FID (40, at epoch 2) is not batch 1024's estimate.
    assert ranked.set_index("label").loc["batch 1024 · constant", "fid"].values == (50.0,)


def test_a_side_without_values_is_no_values_not_one_seed():
    frame = crafted({(128, "constant"): [Seed(100.0), Seed(110.0)], (1024, "constant"): [Seed(300.0), Seed(310.0)]})
    frame.loc[frame["batch_size"] == 1024, "fid"] = np.nan  # batch 1024 never scored
    assert comparison(frame, findings.EQUAL_EPOCHS, "constant LR").conclusion == intervals.NO_VALUES
    assert "no seed to compare on one side." in sentences(frame)


def test_no_spread_on_either_side_is_no_conclusion():
    frame = crafted(
        {(128, "constant", "none", latent): [Seed(100.0 if latent == 128 else 200.0)] * 3 for latent in (128, 256)}
    )
    found = comparison(frame, findings.FINAL, "batch 128 · constant LR")
    assert found.effect.no_test == intervals.NO_SPREAD and found.conclusion == intervals.NO_SPREAD


def test_duplicate_epoch_rows_count_once_the_latest():
    frame = crafted({(128, "constant"): [Seed(100.0), Seed(110.0)]})
    stale = frame[frame["epoch"] == 6].assign(fid=999.0)
    doubled = pd.concat([frame.iloc[:5], stale.iloc[:1], frame.iloc[5:]], ignore_index=True)  # stale row first
    assert len(latest_per_epoch(doubled)) == len(frame)
    assert stats.per_trial(doubled)["fid"].tolist() == [100.0, 110.0]
    assert stats.per_trial(doubled)["epochs_done"].tolist() == [6, 6]


def test_quality_metrics_drive_plots():
    frame = crafted({(128, "constant"): [Seed(100.0)], (1024, "constant"): [Seed(300.0)]})
    assert plots.quality_curves(frame) is not None
    assert plots.quality_curves(frame.drop(columns=list(stats.RANKABLE))) is None
    for x, per_epoch in (("g_updates", {128: 468, 1024: 58}), ("images_seen", {128: 59_904, 1024: 59_392})):
        figure = plots.quality_curves(frame, x=x)
        lines = {line.get_label(): line.get_xdata().tolist() for line in figure.axes[0].get_lines()}
        for batch, step in per_epoch.items():
            assert lines[f"batch {batch} · constant"] == [step * epoch for epoch in range(1, 7)]
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
        "1. batch 1024 · constant": [(300.0, False), (310.0, False)],
        "2. batch 128 · constant": [(100.0, False), (120.0, True), (140.0, False)],
    }
    # Beside the dots, each config's geometric mean and its interval, from the same estimate as the tables.
    centres = [line.get_xdata()[0] for line in ax.get_lines() if line.get_marker() == "D"]
    assert centres == pytest.approx([geometric([300, 310])[0], geometric([100, 120, 140])[0]])
    assert ax.get_xscale() == "log"
    plt.close(figure)


def test_lr_scaling_is_one_more_config_dimension():
    frame = crafted(
        {
            (128, "constant", "none"): [Seed(100.0 + seed) for seed in range(3)],
            (1024, "constant", "none"): [Seed(300.0 + seed) for seed in range(3)],
            (128, "constant", "linear"): [Seed(110.0 + seed) for seed in range(3)],
            (1024, "constant", "linear"): [Seed(150.0 + seed) for seed in range(3)],
        }
    )
    assert stats.config_columns(frame) == ["batch_size", "scheduler", "lr_scaling"]
    ranked = stats.ranking(stats.summary(stats.per_trial(frame)))
    assert ranked["label"].tolist()[:2] == [
        "batch 128 · constant · lr_scaling none",
        "batch 128 · constant · lr_scaling linear",
    ]
    # Batch sizes compared within each scaling: x3 unscaled, x1.36 with linear scaling.
    for scaling, large, small in (("none", 300.0, 100.0), ("linear", 150.0, 110.0)):
        found = comparison(frame, findings.EQUAL_EPOCHS, f"constant LR · lr_scaling {scaling}")
        expected = welch_on_logs([large + seed for seed in range(3)], [small + seed for seed in range(3)])
        assert (found.effect.value, found.effect.low, found.effect.high) == pytest.approx(expected[:3])
        assert found.conclusion == findings.WORSE


def test_trial_table_names_each_seeds_outcome_and_epoch():
    frame = crafted({(128, "constant"): [Seed(100.0), Seed(120.0, classes=(10, 10, 10, 4, 3, 3))]})
    table = trial_table(report_data(frame, "crafted"))
    assert table[["config", "seed", "outcome", "outcome_epoch", "outcome_detail", "fid"]].values.tolist() == [
        ["batch 128 · constant", "0", outcomes.STABLE, "", "", "100"],
        [
            "batch 128 · constant",
            "1",
            outcomes.MODE_COLLAPSE,
            "4",
            "10 classes at epoch 3 → 3 classes at epoch 6",
            "120",
        ],
    ]


def test_latent_dim_is_one_more_config_dimension_in_tables_findings_and_plots():
    fids = {
        (128, 128): [100.0, 101.0, 102.0],
        (128, 256): [200.0, 204.0, 202.0],
        (1024, 128): [300.0, 301.0, 305.0],
        (1024, 256): [150.0, 151.0, 152.0],
    }
    frame = crafted(
        {(batch, "constant", "none", latent): [Seed(fid) for fid in values] for (batch, latent), values in fids.items()}
    )
    data = report_data(frame, "crafted")
    assert data.columns == ["batch_size", "scheduler", "latent_dim"]
    table = config_table(data)

    def estimated(values: list[float]) -> str:
        center, low, high = geometric(values)
        return f"{shown(center)} [{shown(low)}, {shown(high)}] (n=3: {', '.join(shown(value) for value in values)})"

    assert table[["rank", "batch_size", "latent_dim", "fid"]].values.tolist() == [
        [1, 128, 128, estimated(fids[128, 128])],
        [2, 1024, 256, estimated(fids[1024, 256])],
        [3, 128, 256, estimated(fids[128, 256])],
        [4, 1024, 128, estimated(fids[1024, 128])],
    ]
    assert trial_table(data)["config"].tolist()[3:6] == ["batch 128 · constant · latent_dim 256"] * 3
    # Along the extra axis, at each batch size; and batch sizes compared within each latent size, never across.
    for batch, verdict in ((128, findings.WORSE), (1024, findings.BETTER)):
        found = comparison(frame, findings.FINAL, f"batch {batch} · constant LR")
        assert (found.a.config, found.b.config, found.conclusion) == ("latent_dim 256", "latent_dim 128", verdict)
        assert found.effect.value == pytest.approx(welch_on_logs(fids[batch, 256], fids[batch, 128])[0])
    found = comparison(frame, findings.EQUAL_EPOCHS, "constant LR · latent_dim 256")
    assert found.effect.value == pytest.approx(welch_on_logs(fids[1024, 256], fids[128, 256])[0])
    assert found.conclusion == findings.BETTER
    # Each config its own curve (a marker per latent size), its own loss panel, outcome bar and coordinate.
    quality = plots.quality_curves(frame)
    curves = {line.get_label(): line for line in quality.axes[0].get_lines()}
    for (batch, latent), values in fids.items():
        curve = curves[f"batch {batch} · constant · latent_dim {latent}"]
        assert curve.get_ydata()[-1] == pytest.approx(np.mean(values))
        assert curve.get_marker() == plots.SETTING_MARKERS[[128, 256].index(latent)]
    panels = [ax.get_title() for ax in plots.loss_curves(frame).axes]
    assert panels == [f"batch {batch} · constant · latent_dim {latent}" for batch, latent in fids]
    chart = plots.outcome_chart(data.trials, data.summary)
    rows = [label.get_text().replace("\n", " ") for label in chart.axes[0].get_yticklabels()]
    assert rows == [f"batch {batch} · constant · latent_dim {latent}" for batch, latent in fids]
    coordinates = [
        label.get_text().replace("\n", " ")
        for label in plots.parallel_coordinates(data.trials).axes[0].get_xticklabels()
    ]
    assert coordinates[:4] == ["log2 batch size", "scheduler", "latent_dim", "d_loss"]


def test_a_swept_setting_without_quality_measured_is_not_compared_by_quality():
    """eval_every 0: no quality columns; the answers say quality was not measured instead of failing on them."""
    frame = crafted({(128, "constant", "none", latent): [Seed(100.0)] * 2 for latent in (128, 256)})
    unmeasured = frame.drop(columns=list(stats.RANKABLE))
    text = " ".join(
        sentence for section in wording.render(findings.findings(unmeasured)).values() for sentence in section
    )
    assert "measured no image quality" in text and "latent_dim 256 vs" not in text
    plt.close("all")


def test_findings_frame_holds_every_record_with_its_sentence():
    frame = crafted({(128, "constant"): [Seed(100.0)] * 2, (1024, "constant"): [Seed(300.0), Seed(310.0)]})
    answers_found = findings.findings(frame)
    table = wording.findings_frame(answers_found)
    assert len(table) == sum(len(found) for found in answers_found.values())
    row = table[(table["kind"] == "Comparison") & (table["topic"] == findings.EQUAL_EPOCHS)].iloc[0]
    found = comparison(frame, findings.EQUAL_EPOCHS, "constant LR")
    assert (row["effect"], row["p_adjusted"], row["conclusion"]) == (
        found.effect.value,
        found.p_adjusted,
        found.conclusion,
    )
    assert row["text"] == wording.comparison_text(found)


# Configs whose labels are long (two settings beyond batch and scheduler) and sample grids at two epochs only: the
# narrowest montage, the longest titles.
LONG_LABELS = {
    (128, "constant", "none", 128): [Seed(100.0), Seed(104.0)],
    (128, "constant", "none", 256): [Seed(120.0), Seed(118.0)],
    (1024, "warmup_cosine", "linear", 128): [Seed(200.0), Seed(210.0)],
    (1024, "warmup_cosine", "linear", 256): [Seed(150.0, classes=(10, 10, 3, 2, 2, 2)), Seed(160.0)],
}


@pytest.fixture
def crafted_with_checkpoints(tmp_path) -> pd.DataFrame:
    """:data:`LONG_LABELS` crafted, each trial with a checkpoint directory on disk as a trial writes it: noise sample
    grids at epochs 3 and 6, and an untrained generator of its config."""
    frame = crafted(LONG_LABELS)
    checkpoints = {}
    for key, seeds in LONG_LABELS.items():
        for seed in range(len(seeds)):
            config = crafted_config(key, seed)
            directory = tmp_path / crafted_trial_id(config)
            (directory / SAMPLES_DIR).mkdir(parents=True)
            for epoch in (3, EPOCHS):
                save_sample_grid(torch.rand(25, 1, 28, 28) * 2 - 1, directory / SAMPLES_DIR / sample_grid_name(epoch))
            generator, _ = build_models(config.model, config.latent_dim, config.spectral_norm)
            write_state(directory, {"config": config.to_dict(), "generator": generator.state_dict(), "epoch": EPOCHS})
            checkpoints[crafted_trial_id(config)] = str(directory)
    return frame.assign(checkpoint=frame["trial_id"].map(checkpoints))


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


def test_a_damaged_generator_is_not_interpolated(crafted_with_checkpoints):
    checkpoint = Path(crafted_with_checkpoints["checkpoint"].iloc[0])
    assert images.latent_interpolation(checkpoint).axes  # as written, it draws
    flip_a_bit(checkpoint / STATE_FILE)
    with pytest.raises(CheckpointError, match=re.escape(f"checkpoint {checkpoint} cannot be read (state.pt does not")):
        images.latent_interpolation(checkpoint)


@pytest.mark.slow
def test_report_of_a_damaged_checkpoint_is_one_line_and_keeps_the_last_report(smoke, tmp_path, capsys):
    experiment = tmp_path / "copy"
    shutil.copytree(smoke[0], experiment)
    for state_file in experiment.glob(f"*/checkpoint_*/{STATE_FILE}"):
        flip_a_bit(state_file)
    out = tmp_path / "report"
    out.mkdir()
    (out / "report.md").write_text("the last report")
    assert report.main([str(experiment), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith(f"report.py: error: checkpoint {experiment}/")
    assert "cannot be read (state.pt does not match its state.pt.sha256" in error
    assert sorted(path.name for path in out.iterdir()) == ["report.md"]
    assert (out / "report.md").read_text() == "the last report"


# Figures of sample images laid out as grids of pictures, not plots: their columns are training stages or configs.
IMAGE_FIGURES = {"stage_montage.png", "final_grids.png", "interpolation.png"}


@pytest.mark.slow
def test_every_plot_reads_at_page_width_in_the_configs_own_colours(crafted_with_checkpoints):
    """At most three panels a row, one legend, values without an offset ("1e-5+1"), and each config the same colour
    in every figure that draws it by config."""
    data = report_data(crafted_with_checkpoints, "crafted")
    colors = plots.config_colors(data.frame)
    labels = {stats.config_label(config, data.columns): color for config, color in colors.items()}
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


# Emphasis left as typed: *x* or _x_ (not the underscores inside a name like d_loss_var, which Markdown leaves alone).
RAW_EMPHASIS = re.compile(r"(?<![\w*])\*[^\s*][^*]*(?<!\s)\*(?![\w*])|(?<!\w)_[^_\s][^_]*(?<!\s)_(?!\w)")


def raw_markdown(text: str) -> list[str]:
    """The lines of a page's visible text that show Markdown markup rather than what it marks up: emphasis, code,
    links or images, headings, list bullets, tables (a paragraph a browser shows on one line still holds its
    delimiter row)."""
    markup = ("**", "`", "](", "|---")
    starts = ("|", "#", "- ", "* ", "+ ")
    return [
        line
        for line in text.splitlines()
        if any(m in line for m in markup) or line.lstrip().startswith(starts) or RAW_EMPHASIS.search(line)
    ]


def test_raw_markdown_is_found_and_rendered_text_is_not():
    for typed in ("a **bold** word", "a *stressed* word", "an _underlined_ word", "- a bullet", "see `code`", "# Head"):
        assert raw_markdown(typed) == [typed]
    for shown in ("d_loss_var_corrected of batch 1024", "FID 2 × 3 * 4", "−0.5 [-1, +0.2]", "lr_scaling none"):
        assert raw_markdown(shown) == []


class _VisibleText(HTMLParser):
    """The text a page shows: everything but its head (title, style)."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._in_head = False

    def handle_starttag(self, tag, attrs):
        self._in_head |= tag == "head"

    def handle_endtag(self, tag):
        self._in_head &= tag != "head"

    def handle_data(self, data):
        if not self._in_head:
            self.parts.append(data)


@pytest.mark.slow
def test_report_page_renders_every_markdown_construct(crafted_with_checkpoints):
    data = report_data(crafted_with_checkpoints, "crafted")
    figures = [plot for plot in all_plots(data) if plot.figure is not None]
    pngs = {}
    for plot in figures:
        buffer = io.BytesIO()
        plot.figure.savefig(buffer, format="png")
        pngs[plot.file] = buffer.getvalue()
    plt.close("all")
    report = report_markdown(data, figures)
    page = report_html(report, pngs)
    parser = _VisibleText()
    parser.feed(page)
    assert raw_markdown("".join(parser.parts)) == []
    # Every table with a header row: the ranked configs; every estimate, a quantity per row, three configs a table (4
    # configs: two tables); how each trial ended and its numbers, a row per trial.
    bodies = re.findall(r"<table>\s*<thead>.*?</thead>\s*<tbody>(.*?)</tbody>", page, flags=re.S)
    quantities = len(config_table(data).columns) - 1
    assert [body.count("<tr>") for body in bodies] == [4, quantities, quantities, 8, 8]
    # The definitions as one list of plain items, one per "- " line, code spans as <code>.
    definitions = page.split('<h3 id="definitions">Definitions</h3>')[1].split("<h")[0]
    items = report.split("### Definitions")[1].split("\n#")[0].count("\n- ")
    assert definitions.count("<ul>") == 1 and definitions.count("<li>") == items and "<p>" not in definitions
    assert "<code>divergence_patience</code>" in definitions
    # Every image embedded, the very PNG bytes written.
    sources = re.findall(r'<img alt="[^"]*" src="data:image/png;base64,([^"]+)"', page)
    assert sorted(base64.b64decode(source) for source in sources) == sorted(pngs.values())
