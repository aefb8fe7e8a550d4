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
from pathlib import Path

import torch

from tests.helpers import (
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="soak.py", description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=6, help="worker kills, at most (default 6)")
    parser.add_argument("--every", type=float, default=10.0, help="mean seconds between kills (default 10)")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="stop killing after this long")
    parser.add_argument("--seed", type=int, default=0, help="seed of the kill times and victims")
    parser.add_argument("--json", type=Path, help="also write the table here")
    args = parser.parse_args(argv)

    storage = Path(tempfile.mkdtemp(prefix="tune_gan_soak_"))
    experiment = storage / "soak"
    started = time.monotonic()
    driver = start_sweep(*SWEEP.split(), "--max-failures", str(args.kills + 1), "--storage-path", str(storage))
    try:
        killed = kill_workers(driver, experiment, args.kills, args.every, args.max_seconds, random.Random(args.seed))
        output, _ = driver.communicate(timeout=1800)
    finally:
        kill_session(driver)
    resumes = 0
    if driver.returncode == 1:  # trials left unfinished: finish them as a user would
        resumes, resumed = 1, run_sweep("--resume", "--storage-path", str(storage), "--name", "soak")
        output += resumed.stdout + resumed.stderr
        exit_code = resumed.returncode
    else:
        exit_code = driver.returncode
    sweep_s = time.monotonic() - started

    torch.set_num_threads(1)  # as in a 1-CPU trial: the same kernels, the same numbers
    images = load_train_images("mnist", resolve_data_dir(None))
    trials = trial_dirs(experiment)
    epochs_checked = sum(len(results(trial)) for trial in trials)
    mismatches = [
        trial.name
        for trial in trials
        if [row["epoch"] for row in results(trial)] != list(range(1, EPOCHS + 1))
        or reported_metrics(trial) != uninterrupted_metrics(trial_config(trial), images)
    ]
    restarts = sum(len({row["pid"] for row in results(trial)}) - 1 for trial in trials)
    summary = {
        "machine": f"{platform.machine()} CPU, {os.cpu_count()} cores",
        "trials": len(trials),
        "kills": killed,
        "trial restarts seen (new worker pids)": restarts,
        "epochs checked": epochs_checked,
        "mismatches": len(mismatches),
        "resumes": resumes,
        "final exit code": exit_code,
        "sweep seconds": round(sweep_s, 1),
    }
    print("| " + " | ".join(summary) + " |\n|" + "---|" * len(summary))
    print("| " + " | ".join(str(value) for value in summary.values()) + " |")
    print(f"Experiment: {experiment}")
    if mismatches:
        print(f"mismatched trials: {', '.join(mismatches)}\n{output[-3000:]}")
    if args.json:
        args.json.write_text(json.dumps({**summary, "mismatched": mismatches}, indent=2) + "\n")
    return 0 if not mismatches and exit_code == 0 and len(trials) == 12 else 1


if __name__ == "__main__":
    sys.exit(main())
