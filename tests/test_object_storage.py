"""A sweep on S3-compatible object storage for real: moto's S3 server on loopback, pyarrow and boto3 pointed at it
by ``AWS_ENDPOINT_URL`` with dummy credentials. Interrupted, resumed and reported from the bucket."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from ray import tune

from analysis.load import load_experiment, load_study
from tests.helpers import (
    BATCH_AND_SCHEDULE_QUESTIONS,
    COMPARABLE,
    free_port,
    kill_session,
    recorded_epochs,
    report_via_cli,
    run_sweep,
    start_sweep,
    uninterrupted_metrics,
    wait_for,
)
from trainables.config import TrialConfig

pytestmark = pytest.mark.slow  # every test here starts Ray

BUCKET = "tune-gan"


def _accepts_connections(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def bucket(monkeypatch) -> str:
    """An empty bucket on a moto S3 server of this test's own; the environment (inherited by the sweeps the test
    starts and their Ray workers) points every S3 client at it. Yields the bucket's ``s3://`` URI."""
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    settings = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    try:
        wait_for(lambda: _accepts_connections(port), timeout=120)
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        yield f"s3://{BUCKET}"
    finally:
        server.kill()
        server.wait()


def test_a_sweep_in_a_bucket_is_interrupted_resumed_and_reported(bucket, tmp_path, mnist_images):
    storage = f"{bucket}/runs"
    experiment = f"{storage}/cut"
    grid = "--preset smoke --batch-sizes 128 --subset 2048 --epochs 3 --warmup-epochs 1 --name cut"
    driver = start_sweep(*grid.split(), "--storage-path", storage)
    try:
        wait_for(lambda: any(recorded_epochs(experiment).values()), every=0.5)  # a checkpoint in the bucket
        driver.send_signal(signal.SIGINT)
        output, _ = driver.communicate(timeout=300)
    finally:
        kill_session(driver)
    assert driver.returncode == 1, output[-3000:]  # cut short: trials left to resume
    assert (
        f"did not finish; continue with: python tune_gan/sweep.py --resume --storage-path {storage} --name cut"
        in output
    )

    resumed = run_sweep("--resume", "--storage-path", storage, "--name", "cut")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    frame = load_experiment(experiment)  # read back from the bucket
    assert frame["trial_id"].nunique() == 2
    assert frame.groupby("trial_id")["epoch"].apply(list).tolist() == [[1, 2, 3]] * 2  # every epoch once
    for trial in tune.ExperimentAnalysis(experiment).trials:
        rows = frame[frame["trial_id"] == trial.trial_id]
        expected = uninterrupted_metrics(TrialConfig.from_dict(trial.config), mnist_images)
        assert rows[COMPARABLE].to_dict("records") == expected

    # A seed more, beside it in the bucket, recorded as part of its study and pooled by its report.
    added = run_sweep("--add-seeds", experiment, "--seeds", "1")
    assert added.returncode == 0, added.stderr[-3000:]
    pooled = load_study([experiment])
    assert pooled.groupby("seed")["trial_id"].nunique().to_dict() == {0: 2, 1: 2}

    _, markdown = report_via_cli(experiment, tmp_path / "report")
    # Batch 128 alone, two schedules: no batch-size question, the ranking's and the schedule's.
    assert [line[3:] for line in markdown.splitlines() if line.startswith("## ")][:2] == list(
        BATCH_AND_SCHEDULE_QUESTIONS[1:]
    )
    assert f"Experiment `{experiment}`, pooled with `{experiment}_seeds_1`: 4 trials" in markdown
