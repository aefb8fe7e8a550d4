"""Helpers shared by the tests."""

from __future__ import annotations

import re
import socket
import struct
from pathlib import Path, PurePosixPath

import torch
from ray import tune
from tensorboardX.proto import event_pb2

from benchmarks.sweep_runs import (  # noqa: F401 (re-exported: the benchmarks take nothing from tests/)
    COMPARABLE,
    FAST_TIER_ENV,
    kill_session,
    reported_metrics,
    results,
    run_script,
    run_sweep,
    session_pids,
    start_sweep,
    trial_config,
    trial_dirs,
    uninterrupted_metrics,
    wait_for,
)
from trainables.checkpoint import read_state
from trainables.config import TrialConfig
from trainables.schedules import build_scheduler

REPO = Path(__file__).resolve().parent.parent


def flip_a_bit(state_file: Path) -> None:
    """Change one bit in the middle of a checkpoint's state file, inside a tensor's data, as a bad disk or copy
    would: torch.load alone reads it without a complaint."""
    data = bytearray(state_file.read_bytes())
    data[len(data) // 2] ^= 1
    state_file.write_bytes(bytes(data))


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
    schedule = build_scheduler(optimizer, config)
    lrs = []
    for _ in range(config.epochs):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
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
    return f"{value:,.0f}" if abs(float(f"{value:.3g}")) >= 1000 else f"{value:.3g}"


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


# The questions a grid of batch sizes x schedules asks, in the report's order (analysis.questions).
BATCH_AND_SCHEDULE_QUESTIONS = (
    "Which batch sizes train stably?",
    "Which settings give good images?",
    "Does an LR schedule fix the unstable ones?",
)
