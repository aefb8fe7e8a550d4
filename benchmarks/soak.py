"""Soak run: a 12-trial sweep whose trial workers are killed (SIGKILL) at random as it runs, then every trial checked.

    python -m benchmarks.soak [--kills 6] [--every 10] [--seed 0] [--json benchmarks/results/soak-cpu-2core-vm.json]

The sweep is the smoke preset's 2 batch sizes x 2 schedules over 3 seeds (12 trials), on 2,048 images for 4
epochs, each trial allowed as many restarts as there are kills. Every ``--every`` seconds on average (uniformly
0.5 to 1.5 times that, from ``--seed``), the worker of a trial still training is killed by the pid of its latest
result, until ``--kills`` kills or ``--max-seconds``. At the end each trial must have finished with each epoch
recorded once, in order, and metrics equal to the same trial trained straight through in this process without
Ray. A trial whose worker dies while the trial is still starting ends as ERROR (Tune retries only running trials);
the sweep then exits 1, and the soak resumes it once (``--resume``), as a user would. Prints a table and writes
it as JSON; exit code 1 on any mismatch. Not a test: it runs for minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from benchmarks.sweep_runs import (
    kill_session,
    reported_metrics,
    results,
    run_sweep,
    start_sweep,
    trial_config,
    trial_dirs,
    uninterrupted_metrics,
)
from trainables.data import load_train_images, resolve_data_dir

SWEEP = "--preset smoke --seeds 0 1 2 --subset 2048 --epochs 4 --warmup-epochs 1 --name soak"
EPOCHS = 4


def training_pids(experiment: Path) -> list[int]:
    """The worker pid of each trial still training: the pid of its latest result, while it has epochs to go."""
    pids = []
    for trial in trial_dirs(experiment):
        rows = results(trial)
        if rows and rows[-1]["epoch"] < EPOCHS:
            pids.append(rows[-1]["pid"])
    return pids


def kill_workers(driver, experiment: Path, kills: int, every: float, max_seconds: float, rng: random.Random) -> int:
    """Kill a training trial's worker at random intervals while the sweep runs; the number killed."""
    killed = 0
    deadline = time.monotonic() + max_seconds
    while killed < kills and time.monotonic() < deadline and driver.poll() is None:
        time.sleep(rng.uniform(0.5 * every, 1.5 * every))
        pids = training_pids(experiment)
        if not pids:
            continue
        try:
            os.kill(rng.choice(pids), signal.SIGKILL)
            killed += 1
        except ProcessLookupError:  # that trial has just moved on to a new worker
            continue
    return killed


@dataclass(frozen=True)
class SweepRun:
    """What the killed sweep did, before any trial is checked: the checks then read its experiment's files."""

    experiment: Path
    kills: int
    resumes: int  # --resume runs needed: 0, or 1 when the sweep exited 1 with trials left unfinished
    exit_code: int  # of the sweep, or of its resume
    sweep_s: float  # the sweep and any resume, the checks after it not included
    output: str  # the sweep's and any resume's output, for the mismatches' report


@dataclass(frozen=True)
class Soak:
    """The soak's outcome, as its table row and JSON report it."""

    machine: str
    trials: int
    kills: int
    restarts: int  # over all trials, worker pids in a trial's results beyond its first
    epochs_checked: int
    mismatched: tuple[str, ...]  # trial directory names
    resumes: int
    exit_code: int
    sweep_s: float

    @property
    def passed(self) -> bool:
        return not self.mismatched and self.exit_code == 0 and self.trials == 12

    def row(self) -> dict[str, object]:
        """The table's columns and values, also the JSON's keys (with ``mismatched``): one place names them."""
        return {
            "machine": self.machine,
            "trials": self.trials,
            "kills": self.kills,
            "trial restarts seen (new worker pids)": self.restarts,
            "epochs checked": self.epochs_checked,
            "mismatches": len(self.mismatched),
            "resumes": self.resumes,
            "final exit code": self.exit_code,
            "sweep seconds": round(self.sweep_s, 1),
        }


def run_killed_sweep(kills: int, every: float, max_seconds: float, seed: int) -> SweepRun:
    """The sweep with its workers killed at random, then resumed once if it left trials unfinished, as a user
    would: the trials' files are then final, for :func:`check_trials`."""
    storage = Path(tempfile.mkdtemp(prefix="tune_gan_soak_"))
    experiment = storage / "soak"
    started = time.monotonic()
    driver = start_sweep(*SWEEP.split(), "--max-failures", str(kills + 1), "--storage-path", str(storage))
    try:
        killed = kill_workers(driver, experiment, kills, every, max_seconds, random.Random(seed))
        output, _ = driver.communicate(timeout=1800)
    finally:
        kill_session(driver)
    resumes, exit_code = 0, driver.returncode
    if driver.returncode == 1:  # trials left unfinished: finish them as a user would
        resumes, resumed = 1, run_sweep("--resume", "--storage-path", str(storage), "--name", "soak")
        output += resumed.stdout + resumed.stderr
        exit_code = resumed.returncode
    return SweepRun(experiment, killed, resumes, exit_code, time.monotonic() - started, output)


def check_trials(run: SweepRun) -> Soak:
    """Every trial's epochs recorded once, in order, with the metrics of the same trial trained straight through
    in this process: a kill must cost time, never a result."""
    torch.set_num_threads(1)  # as in a 1-CPU trial: the same kernels, the same numbers
    images = load_train_images("mnist", resolve_data_dir(None))
    trials = trial_dirs(run.experiment)
    mismatched = tuple(
        trial.name
        for trial in trials
        if [row["epoch"] for row in results(trial)] != list(range(1, EPOCHS + 1))
        or reported_metrics(trial) != uninterrupted_metrics(trial_config(trial), images)
    )
    return Soak(
        machine=f"{platform.machine()} CPU, {os.cpu_count()} cores",
        trials=len(trials),
        kills=run.kills,
        restarts=sum(len({row["pid"] for row in results(trial)}) - 1 for trial in trials),
        epochs_checked=sum(len(results(trial)) for trial in trials),
        mismatched=mismatched,
        resumes=run.resumes,
        exit_code=run.exit_code,
        sweep_s=run.sweep_s,
    )


def render(soak: Soak, run: SweepRun) -> None:
    """The table row, where the experiment is, and on a mismatch which trials and the end of the sweep's output."""
    row = soak.row()
    print("| " + " | ".join(row) + " |\n|" + "---|" * len(row))
    print("| " + " | ".join(str(value) for value in row.values()) + " |")
    print(f"Experiment: {run.experiment}")
    if soak.mismatched:
        print(f"mismatched trials: {', '.join(soak.mismatched)}\n{run.output[-3000:]}")


def main(argv: list[str] | None = None) -> int:
    """Run the killed sweep, check its trials, print the row (and the JSON with ``--json``); 1 unless all passed."""
    parser = argparse.ArgumentParser(prog="soak.py", description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=6, help="worker kills, at most (default 6)")
    parser.add_argument("--every", type=float, default=10.0, help="mean seconds between kills (default 10)")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="stop killing after this long")
    parser.add_argument("--seed", type=int, default=0, help="seed of the kill times and victims")
    parser.add_argument("--json", type=Path, help="also write the table here")
    args = parser.parse_args(argv)

    run = run_killed_sweep(args.kills, args.every, args.max_seconds, args.seed)
    soak = check_trials(run)
    render(soak, run)
    if args.json:
        args.json.write_text(json.dumps({**soak.row(), "mismatched": list(soak.mismatched)}, indent=2) + "\n")
    return 0 if soak.passed else 1


if __name__ == "__main__":
    sys.exit(main())
