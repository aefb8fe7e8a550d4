"""Analysis on a real smoke sweep, a real errored trial, and crafted tables whose answer is known."""

from __future__ import annotations

import base64
import dataclasses
import io
import os
import subprocess
import sys

import nbformat
import pandas as pd
import pytest
import ray
from nbclient import NotebookClient
from PIL import Image
from ray import tune

from analysis import plots, stats
from analysis.load import CONFIG_COLUMNS, export, load_experiment, newest_experiment
from tests.helpers import REPO
from trainables.config import TrialConfig
from trainables.data import resolve_data_dir
from trainables.evaluation import real_reference
from trainables.metric_keys import TRAIN_METRICS
from trainables.trainable import train_gan

REPORT_PNGS = {
    "loss_curves.png",
    "stability_curves.png",
    "stability_heatmap.png",
    "lr_schedules.png",
    "discriminator.png",
    "quality.png",
    "stage_montage.png",
    "final_grids.png",
    "interpolation.png",
    "parallel_coordinates.png",
}


def test_loader_gives_one_row_per_trial_and_epoch(smoke):
    experiment, _ = smoke
    frame = load_experiment(experiment)
    assert len(frame) == 4 * 2
    assert set(CONFIG_COLUMNS) | set(TRAIN_METRICS) | {"trial_id", "status", "checkpoint"} <= set(frame.columns)
    assert frame.groupby("trial_id")["epoch"].apply(list).tolist() == [[1, 2]] * 4
    assert set(frame["status"]) == {"TERMINATED"}
    assert all(os.path.isdir(path) for path in frame["checkpoint"])
    assert newest_experiment(experiment.parent) == experiment


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
    text = " ".join(stats.findings(frame))
    assert "Diverged and stopped early: batch 64 · constant · seed 0 (discriminator saturated" in text


def test_report_writes_every_plot_and_a_row_per_config(smoke, tmp_path):
    experiment, _ = smoke
    finished = subprocess.run(
        [sys.executable, "analysis/report.py", str(experiment), "--out", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert f"Report: {tmp_path / 'report.md'}" in finished.stdout
    pngs = {path.name for path in tmp_path.glob("*.png")}
    assert pngs == REPORT_PNGS  # the smoke trials scored their samples, so quality.png is there
    for name in pngs:
        with Image.open(tmp_path / name) as image:
            assert image.width >= 300 and image.height >= 200
            assert len(set(image.convert("L").resize((64, 64)).tobytes())) > 5  # not a blank canvas
    markdown = (tmp_path / "report.md").read_text()
    table = markdown.split("## Configs, ranked")[1].split("## Definitions")[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| rank")]
    assert len(rows) == 4
    # The quality columns hold each config's last evaluation (one seed: no ± spread), read back from its results.
    header = [cell.strip() for cell in table.split("| rank")[1].splitlines()[0].split("|")[:-1]]
    frame = load_experiment(experiment)
    for row in rows:
        cells = dict(zip(["rank", *header[1:]], [cell.strip() for cell in row.split("|")[1:-1]]))
        trial = frame[(frame["batch_size"] == int(cells["batch_size"])) & (frame["scheduler"] == cells["scheduler"])]
        assert cells["fid"] == f"{trial['fid'].iloc[-1]:.4g}" and cells["recall"] == f"{trial['recall'].iloc[-1]:.4g}"
    assert all(f"]({name})" in markdown for name in pngs)
    page = (tmp_path / "report.html").read_text()
    embedded = page.split('src="data:image/png;base64,')[1:]
    assert len(embedded) == len(pngs)
    Image.open(io.BytesIO(base64.b64decode(embedded[0].split('"')[0]))).verify()
    assert len(pd.read_parquet(tmp_path / "results.parquet")) == 8


def test_report_rejects_a_directory_without_an_experiment(tmp_path):
    finished = subprocess.run(
        [sys.executable, "analysis/report.py", str(tmp_path)], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert finished.returncode == 2
    assert (
        finished.stderr.count("\n") == 1 and f"report.py: error: {tmp_path}: not a Tune experiment" in finished.stderr
    )


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


def crafted(unstable: tuple[int, str], quality: bool = False) -> pd.DataFrame:
    """2 batch sizes x 2 schedulers x 2 seeds x 6 epochs; the ``unstable`` config's D-loss variance is 50x."""
    rows = []
    for batch_size in (128, 1024):
        for scheduler in ("constant", "warmup_cosine"):
            for seed in (0, 1):
                config = TrialConfig(batch_size=batch_size, scheduler=scheduler, seed=seed, epochs=6, warmup_epochs=1)
                variance = (0.5 if (batch_size, scheduler) == unstable else 0.01) * (1 + 0.1 * seed)
                for epoch in range(1, 7):
                    rows.append(
                        {
                            **dataclasses.asdict(config),
                            "trial_id": f"{batch_size}_{scheduler}_{seed}",
                            "status": "TERMINATED",
                            "checkpoint": None,
                            "epoch": epoch,
                            "d_loss": 1.2,
                            "g_loss": 0.9,
                            "d_loss_var": variance,
                            "g_loss_var": variance,
                            "d_real": 0.6,
                            "d_fake": 0.4,
                            "d_acc": 0.99 if batch_size == 1024 else 0.7,
                            "lr_g": 2e-4,
                            "lr_d": 2e-4,
                            **(
                                {"fid": 5.0 + batch_size / 100, "is_score": 8.0, "classes_covered": 10 if seed else 9}
                                if quality
                                else {}
                            ),
                        }
                    )
    return pd.DataFrame(rows)


def test_findings_name_the_unstable_config_and_follow_the_data():
    first = " ".join(stats.findings(crafted(unstable=(1024, "constant"))))
    assert "Unstable (score above 2× the median): batch 1024 · constant" in first
    assert "least steady: batch 1024 · constant" in first
    assert "warmup_cosine brings the unstable constant-LR batch size(s) 1024 back under 2× the median" in first
    assert "With constant LR, relative to batch 128 (0.0105): batch 1024: 50×" in first
    assert "final D accuracy ≥ 0.95" in first and "for: batch 1024 · constant; batch 1024 · warmup_cosine" in first

    second = " ".join(stats.findings(crafted(unstable=(128, "warmup_cosine"))))
    assert "Unstable (score above 2× the median): batch 128 · warmup_cosine" in second
    assert "batch 1024 · constant" not in second.split("Unstable")[1].split(".")[0]
    assert "warmup_cosine vs constant LR, stability score ratio (batch 128: 50×, batch 1024: 1×)" in second
    assert "brings the unstable" not in second


def test_quality_metrics_drive_ranking_findings_and_plots():
    frame = crafted(unstable=(1024, "constant"), quality=True)
    ranked = stats.ranking(stats.summary(frame))
    assert ranked["rank_by"].iloc[0] == "fid_mean" and ranked["batch_size"].iloc[0] == 128
    text = " ".join(stats.findings(frame))
    assert "Best images by final FID: batch 128 · constant (6.28)" in text
    assert "Fewer than 10 classes covered (mode collapse): batch 128 · constant" in text
    assert plots.quality_curves(frame) is not None
    assert plots.quality_curves(crafted(unstable=(1024, "constant"))) is None
