"""The report (analysis.report): its Markdown and tables on crafted tables, report.py on real sweeps and its errors."""

from __future__ import annotations

import base64
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from analysis import intervals, outcomes, plots, report, stats
from analysis.load import load_experiment
from analysis.power import seeds_for_difference
from analysis.questions import all_records
from analysis.questions import comparison as compared
from analysis.questions.family import more_seeds
from analysis.report import config_table, report_data, report_markdown, trial_table
from tests.crafted import Seed, comparison, crafted
from tests.helpers import BATCH_AND_SCHEDULE_QUESTIONS, REPORT_PNGS, flip_a_bit, report_via_cli, run_script, shown
from tests.reference_stats import geometric, welch_on_logs
from trainables.checkpoint import STATE_FILE


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
        for record in all_records(data.answers)
        if isinstance(record, compared.Comparison) and record.conclusion == compared.NO_CONCLUSION
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
    more = more_seeds(all_records(report_data(frame, "crafted").answers))
    assert {dict(config)["batch_size"] for config in more.configs} == {128}
    assert "`tune-gan sweep --add-seeds crafted --batch-sizes 128 --seeds 3 4 5" in report_markdown(
        report_data(frame, "crafted"), []
    )


def test_the_experiment_line_names_the_arithmetic_the_trials_trained_in_and_the_network_that_scored_them():
    """fp32 unless the study chose otherwise; a precision axis names both, in the order of the setting's choices. MNIST
    is scored by its shipped classifier; CIFAR-10 (auto) by Inception, which knows none of its classes."""
    seeds = [Seed(f) for f in (100, 120)]
    fixed = report_markdown(report_data(crafted({(128, "constant"): seeds}), "crafted"), [])
    assert "trial-epochs, trained in fp32, scored in fp32 in the shipped mnist classifier's features. " in fixed
    frame = crafted({(("training_precision", precision),): seeds for precision in ("bf16", "fp32")})
    both = report_markdown(report_data(frame, "crafted"), [])
    assert "trial-epochs, trained in fp32 and bf16, scored in fp32 in the shipped mnist classifier's features. " in both
    frame = crafted({(128, "constant"): seeds}).assign(dataset="cifar10", feature_extractor="auto")
    inception = report_markdown(report_data(frame, "crafted"), [])
    assert "scored in fp32 in inception-v3-compat's features, which know no classes of this data. " in inception


def test_the_definitions_give_the_anchors_the_study_was_scored_against_for_scale():
    """The anchors are the same in every evaluation (one cached reference); results written before them say none."""
    seeds = [Seed(f) for f in (100, 120)]
    scores = {"real": (3.21, 0.962, 1.0), "one_image": (251.0, 0.0021, -1e-9), "noise": (412.6, 0.0, 0.257)}
    frame = crafted({(128, "constant"): seeds})
    evaluated = frame["fid"].notna()
    for anchor, values in scores.items():
        for metric, value in zip(("fid", "coverage", "diversity"), values):
            frame.loc[evaluated, f"anchor_{anchor}_{metric}"] = value
    assert (
        "- Anchors: For scale, what up to 500 images of each anchor (the real sample no more than the data "
        "holds) score in this study's features against its reference: a real sample FID 3.21, coverage 0.962, "
        "diversity 1; one real image repeated FID 251, coverage 0.0021, diversity 0; uniform noise FID 413, "
        "coverage 0, diversity 0.257.\n"
    ) in report_markdown(report_data(frame, "crafted"), [])
    assert "- Anchors:" not in report_markdown(report_data(crafted({(128, "constant"): seeds}), "crafted"), [])


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


def test_the_appendix_names_each_quantity_by_its_label_not_its_key():
    """Every row of the estimates: a metric by its registry label, the late means and all-finished-seeds estimates
    after it; nothing shows a key's underscores, or a key where the metric has a label ('g updates')."""
    frame = crafted({(128, "constant"): [Seed(100.0), Seed(120.0)]})
    frame["fid_fluctuation"] = 0.1
    text = report_markdown(report_data(frame, "crafted"), [])
    rows = {line.split(" | ")[0].removeprefix("| ") for line in text.splitlines() if line.startswith("| ")}
    for row in ("G updates", "D accuracy", "class KL", "FID over all finished seeds", "FID fluctuation"):
        assert row in rows
    assert {
        "D loss variance, last 5 epochs",
        "corrected D loss variance, last 5 epochs",
    } <= rows
    assert not any("_" in row or row in ("g updates", "class kl", "fid fluctuation", "d acc") for row in rows)


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
    # The schedule is constant LR throughout: a config is named by batch size and latent size only (issue 33).
    assert data.columns == ["batch_size", "latent_dim"]
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
    assert trial_table(data)["config"].tolist()[3:6] == ["batch 128 · latent_dim 256"] * 3
    # Along the extra axis, at each batch size; and batch sizes compared within each latent size, never across.
    for batch, verdict in ((128, compared.WORSE), (1024, compared.BETTER)):
        found = comparison(frame, compared.FINAL, f"batch {batch}")
        assert (found.a.config, found.b.config, found.conclusion) == ("latent_dim 256", "latent_dim 128", verdict)
        assert found.effect.value == pytest.approx(welch_on_logs(fids[batch, 256], fids[batch, 128])[0])
    found = comparison(frame, compared.EQUAL_EPOCHS, "latent_dim 256")
    assert found.effect.value == pytest.approx(welch_on_logs(fids[1024, 256], fids[128, 256])[0])
    assert found.conclusion == compared.BETTER
    # Each config its own curve (a marker per latent size), its own loss panel, outcome bar and coordinate.
    quality = plots.quality_curves(frame)
    curves = {line.get_label(): line for line in quality.axes[0].get_lines()}
    for (batch, latent), values in fids.items():
        curve = curves[f"batch {batch} · latent_dim {latent}"]
        assert curve.get_ydata()[-1] == pytest.approx(np.mean(values))
        assert curve.get_marker() == plots.SETTING_MARKERS[[128, 256].index(latent)]
    panels = [ax.get_title() for ax in plots.loss_curves(frame).axes]
    assert panels == [f"batch {batch} · latent_dim {latent}" for batch, latent in fids]
    chart = plots.outcome_chart(data.trials, data.summary)
    rows = [label.get_text().replace("\n", " ") for label in chart.axes[0].get_yticklabels()]
    assert rows == [f"batch {batch} · latent_dim {latent}" for batch, latent in fids]
    coordinates = [
        label.get_text().replace("\n", " ")
        for label in plots.parallel_coordinates(data.trials).axes[0].get_xticklabels()
    ]
    assert coordinates[:3] == ["log2 batch size", "latent_dim", "d_loss"]


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
    stdout, markdown = report_via_cli(experiment, tmp_path)
    assert f"Report: {tmp_path / 'report.md'}" in stdout
    pngs = {path.name for path in tmp_path.glob("*.png")}
    assert pngs == REPORT_PNGS | {report.BEST_SAMPLES}  # the smoke trials scored their samples: quality.png is there
    for name in REPORT_PNGS:
        with Image.open(tmp_path / name) as image:
            assert image.width >= 300 and image.height >= 200
            assert len(set(image.convert("L").resize((64, 64)).tobytes())) > 5  # not a blank canvas
    rows = ranked_rows(markdown)
    assert len(rows) == 4
    assert {"FID", "IS", "FID_over_all_finished_seeds"} <= set(rows[0])  # as the field writes them, not keys
    # The quality over every finished seed holds each config's last evaluation (one seed: no interval), read back from
    # its results; the same over the seeds that did not fail, where its one seed did not.
    frame = load_experiment(experiment)
    trials = stats.per_trial(frame)
    for cells in rows:
        trial = frame[(frame["batch_size"] == int(cells["batch_size"])) & (frame["schedule"] == cells["schedule"])]
        assert cells["FID_over_all_finished_seeds"] == f"{shown(trial['fid'].iloc[-1])} (n=1)"
        assert cells["coverage_over_all_finished_seeds"] == f"{shown(trial['coverage'].iloc[-1])} (n=1)"
        failed = trials.set_index("trial_id").loc[trial["trial_id"].iloc[0], "outcome"] in outcomes.FAILED
        assert cells["FID"] == ("n/a" if failed else f"{shown(trial['fid'].iloc[-1])} (n=1)")
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
        finals.setdefault((last["config"]["batch_size"], last["config"]["schedule"]), []).append(last)
    return finals


@pytest.mark.slow
def test_report_of_a_three_seed_sweep_answers_with_intervals(three_seeds, tmp_path):
    _, markdown = report_via_cli(three_seeds, tmp_path)
    headings = [line[3:] for line in markdown.splitlines() if line.startswith("## ")]
    assert headings[:3] == list(BATCH_AND_SCHEDULE_QUESTIONS)
    rows = ranked_rows(markdown)
    finals = _final_results(three_seeds)
    assert len(rows) == len(finals) == 4 and all(len(trials) == 3 for trials in finals.values())
    for cells in rows:
        fids = [trial["fid"] for trial in finals[(int(cells["batch_size"]), cells["schedule"])]]
        center, low, high = geometric(fids)
        seeds = ", ".join(shown(fid) for fid in fids)
        assert cells["FID_over_all_finished_seeds"] == f"{shown(center)} [{shown(low)}, {shown(high)}] (n=3: {seeds})"
        assert cells["seeds"] == "3"
    # Each batch size is compared with the smallest at each schedule, by its stable seeds, in the batch-size question's
    # section (3 epochs on 1,024 images: no seed draws the data, so none worked and there is no FID to compare at
    # equal epochs or updates; the crafted tests of analysis.questions.batch_size cover those).
    images_section = markdown.split(f"## {BATCH_AND_SCHEDULE_QUESTIONS[0]}")[1].split("## ")[0]
    assert images_section.count("Seeds stable at") == 2
    assert "comparisons answer this question" in images_section  # the family Holm adjusts
    assert {"quality_by_updates.png", "loss_curves_by_updates.png", "stability_by_updates.png"} <= {
        path.name for path in tmp_path.glob("*.png")
    }


@pytest.mark.slow
def test_report_rejects_a_directory_without_an_experiment(tmp_path):
    finished = run_script("analysis/report.py", tmp_path, timeout=120)
    assert finished.returncode == 2
    assert (
        finished.stderr.count("\n") == 1 and f"report.py: error: {tmp_path}: not a Tune experiment" in finished.stderr
    )


@pytest.mark.slow
def test_report_rejects_an_unknown_ranking_metric(tmp_path):
    finished = run_script("analysis/report.py", tmp_path, "--rank-by", "d_loss_var", timeout=120)
    assert finished.returncode == 2 and finished.stderr.count("\n") == 1
    assert "argument --rank-by: invalid choice: 'd_loss_var'" in finished.stderr
    assert all(metric in finished.stderr for metric in stats.RANKABLE)


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
