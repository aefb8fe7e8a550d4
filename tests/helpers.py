"""Helpers shared by the tests."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

from tensorboardX.proto import event_pb2

REPO = Path(__file__).resolve().parent.parent


def run_sweep(*args: str) -> subprocess.CompletedProcess:
    """``python tune_gan/sweep.py ARGS`` from the repo root, as a user runs it."""
    return subprocess.run(
        [sys.executable, "tune_gan/sweep.py", *args], cwd=REPO, capture_output=True, text=True, timeout=900
    )


def start_sweep(*args: str) -> subprocess.Popen:
    """``python tune_gan/sweep.py ARGS`` in the background, output (stdout and stderr) in one pipe."""
    return subprocess.Popen(
        [sys.executable, "tune_gan/sweep.py", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


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
