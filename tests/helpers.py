"""Helpers shared by the tests."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path, PurePosixPath

import torch
from ray import tune
from tensorboardX.proto import event_pb2

from trainables.checkpoint import read_state
from trainables.config import TrialConfig
from trainables.data import resolve_data_dir
from trainables.loop import GANTraining
from trainables.metric_keys import MACHINE_METRICS, QUALITY_METRICS, TRAIN_METRICS
from trainables.quality.evaluator import TrialEvaluator, real_reference
from trainables.schedules import build_scheduler

REPO = Path(__file__).resolve().parent.parent
FAST_TIER_ENV = "TUNE_GAN_FAST_TIER_TEST"  # set (to the test's id) while a test outside the slow tier runs


def _only_in_the_slow_tier() -> None:
    if FAST_TIER_ENV in os.environ:
        raise RuntimeError(f"{os.environ[FAST_TIER_ENV]} starts a sweep: mark it @pytest.mark.slow")


def run_script(
    *argv: str | Path,
    program: str | Path = sys.executable,
    env: dict[str, str] | None = None,
    timeout: float = 600,
    check: bool = False,
) -> subprocess.CompletedProcess:
    """``python ARGV`` from the repo root, as a user runs a project script (``tune_gan/sweep.py``), module (``-m``) or
    code (``-c``), stdout and stderr captured as text; ``program`` to run another (an installed command), ``env``
    for an environment other than this process's, ``check`` to raise where it exits non-zero."""
    return subprocess.run(
        [str(program), *(str(arg) for arg in argv)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=check,
    )


def run_sweep(*args: str) -> subprocess.CompletedProcess:
    """``python tune_gan/sweep.py ARGS`` from the repo root, as a user runs it."""
    _only_in_the_slow_tier()
    return run_script("tune_gan/sweep.py", *args, timeout=900)


def start_sweep(*args: str) -> subprocess.Popen:
    """``python tune_gan/sweep.py ARGS`` in the background, output (stdout and stderr) in one pipe, in a
    session of its own so that :func:`kill_session` can clean up the Ray processes it started."""
    _only_in_the_slow_tier()
    return subprocess.Popen(
        [sys.executable, "tune_gan/sweep.py", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def wait_for(condition, timeout: float = 300, every: float = 0.1):
    """Poll ``condition()`` until it returns something truthy, and return that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError("condition not met in time")


def session_pids(session: int) -> list[int]:
    """The processes of a session (the session id is its first process's pid)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getsid(int(entry.name)) == session:
                    pids.append(int(entry.name))
            except ProcessLookupError:
                continue
    return pids


def kill_session(leader: subprocess.Popen) -> None:
    """SIGKILL every process of the session ``leader`` started, by pid, and wait until they are gone."""
    for pid in session_pids(leader.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
    leader.wait(timeout=60)
    wait_for(lambda: not session_pids(leader.pid), timeout=60)


def flip_a_bit(state_file: Path) -> None:
    """Change one bit in the middle of a checkpoint's state file, inside a tensor's data, as a bad disk or copy
    would: torch.load alone reads it without a complaint."""
    data = bytearray(state_file.read_bytes())
    data[len(data) // 2] ^= 1
    state_file.write_bytes(bytes(data))


def trial_dirs(experiment: Path) -> list[Path]:
    """The trial directories of an experiment, in trial order."""
    return sorted(path for path in experiment.glob("train_gan_*") if path.is_dir())


def read_events(path: Path) -> list[event_pb2.Event]:
    """Parse a TensorBoard event file (TFRecord framing: length, crc, payload, crc)."""
    data, position, events = path.read_bytes(), 0, []
    while position < len(data):
        (length,) = struct.unpack("<Q", data[position : position + 8])
        event = event_pb2.Event()
        event.ParseFromString(data[position + 12 : position + 12 + length])
        events.append(event)
        position += 12 + length + 4
    return events


def sample_grid_steps(trial: Path) -> list[int]:
    """The TensorBoard steps at which the trial's sample grids were logged."""
    return sorted(
        event.step
        for path in trial.glob("events.out.tfevents.*")
        for event in read_events(path)
        if any(value.tag == "samples" for value in event.summary.value)
    )


def results(trial: Path) -> list[dict]:
    """The trial's result rows; complete lines only, as the file may be mid-copy from Tune's staging dir."""
    path = trial / "result.json"
    return [json.loads(line) for line in path.read_text().split("\n")[:-1]] if path.is_file() else []


COMPARABLE = [name for name in (*TRAIN_METRICS, *QUALITY_METRICS) if name not in MACHINE_METRICS]


def trial_config(trial: Path) -> TrialConfig:
    return TrialConfig.from_dict(json.loads((trial / "params.json").read_text()))


def uninterrupted_metrics(config: TrialConfig, images: torch.Tensor) -> list[dict]:
    """The same trial trained and scored straight through, in this process, without Ray (1 thread, like the trial)."""
    training = GANTraining(config, images)
    evaluator = TrialEvaluator(config, real_reference(config.dataset, resolve_data_dir(None)))
    rows = [{**dataclasses.asdict(metrics), **evaluator.after_epoch(training)} for metrics in training.epochs()]
    return [{name: row[name] for name in COMPARABLE} for row in rows]


def reported_metrics(trial: Path) -> list[dict]:
    return [{name: row[name] for name in COMPARABLE} for row in results(trial)]


def recorded_epochs(experiment: str | Path) -> dict[str, int]:
    """Per trial directory name, the epoch of the latest checkpoint Tune's saved experiment state knows of;
    the experiment on a local path or a storage URI."""
    try:
        analysis = tune.ExperimentAnalysis(str(experiment))
    except (ValueError, OSError):  # not saved yet, or being written right now
        return {}
    epochs = {}
    for trial in analysis.trials:
        checkpoint = analysis.get_last_checkpoint(trial)
        if checkpoint:
            with checkpoint.as_directory() as directory:  # a download first, from object storage
                epochs[PurePosixPath(checkpoint.path).parent.name] = read_state(Path(directory))["epoch"]
    return epochs


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def lrs_per_epoch(config: TrialConfig) -> list[float]:
    """The generator LR each epoch trains at, from the trial's own torch scheduler stepped once per epoch as the loop
    steps it."""
    optimizer = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=config.peak_lr_g)
    scheduler = build_scheduler(optimizer, config)
    lrs = []
    for _ in range(config.epochs):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


# The figures every report writes (the best samples' grid aside).
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


def shown(value: float) -> str:
    """How the report prints a number: 3 significant digits, or whole with thousands separators from 1,000."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def report_via_cli(experiment: str | Path, out: Path) -> tuple[str, str]:
    """Run report.py as a user does, asserting it succeeds; (its stdout, the report.md it wrote)."""
    finished = run_script("analysis/report.py", experiment, "--out", out)
    assert finished.returncode == 0, finished.stderr[-3000:]
    return finished.stdout, (out / "report.md").read_text()


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
