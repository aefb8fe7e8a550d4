"""A sweep run from outside, as a user runs it: started and killed as a subprocess, its trials' files read back, and
a trial's reported metrics set beside the same trial trained straight through.

Shared by the soak (``benchmarks/soak.py``) and the fault tests (``tests/helpers.py`` re-exports these): the
benchmarks take nothing from ``tests/``, so what both need lives here.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch

from trainables.config import TrialConfig
from trainables.data import resolve_data_dir
from trainables.loop import GANTraining
from trainables.metric_keys import MACHINE_METRICS, QUALITY_METRICS, TRAIN_METRICS
from trainables.quality.evaluator import TrialEvaluator, real_reference

REPO = Path(__file__).resolve().parent.parent
FAST_TIER_ENV = "TUNE_GAN_FAST_TIER_TEST"  # set (to the test's id) while a test outside the slow tier runs


def _only_in_the_slow_tier() -> None:
    """A sweep started by a fast-tier test fails at once (tests/conftest.py sets the variable): the fast tier needs
    no Ray. Checked here, where every sweep subprocess starts, so no caller can skip it."""
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


def trial_dirs(experiment: Path) -> list[Path]:
    """The trial directories of an experiment, in trial order."""
    return sorted(path for path in experiment.glob("train_gan_*") if path.is_dir())


def results(trial: Path) -> list[dict]:
    """The trial's result rows; complete lines only, as the file may be mid-copy from Tune's staging dir."""
    path = trial / "result.json"
    return [json.loads(line) for line in path.read_text().split("\n")[:-1]] if path.is_file() else []


COMPARABLE = [name for name in (*TRAIN_METRICS, *QUALITY_METRICS) if name not in MACHINE_METRICS]


def trial_config(trial: Path) -> TrialConfig:
    """The settings the trial ran with, from its ``params.json``: what an uninterrupted rerun needs."""
    return TrialConfig.from_dict(json.loads((trial / "params.json").read_text()))


def uninterrupted_metrics(config: TrialConfig, images: torch.Tensor) -> list[dict]:
    """The same trial trained and scored straight through, in this process, without Ray (1 thread, like the trial)."""
    training = GANTraining(config, images)
    evaluator = TrialEvaluator(config, real_reference(config.dataset, resolve_data_dir(None)))
    rows = [{**dataclasses.asdict(metrics), **evaluator.after_epoch(training)} for metrics in training.epochs()]
    return [{name: row[name] for name in COMPARABLE} for row in rows]


def reported_metrics(trial: Path) -> list[dict]:
    """The trial's recorded epochs, only the metrics a rerun must reproduce exactly (no times, no memory)."""
    return [{name: row[name] for name in COMPARABLE} for row in results(trial)]
