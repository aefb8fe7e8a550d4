"""Helpers shared by the tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run_sweep(*args: str) -> subprocess.CompletedProcess:
    """``python tune_gan/sweep.py ARGS`` from the repo root, as a user runs it."""
    return subprocess.run(
        [sys.executable, "tune_gan/sweep.py", *args], cwd=REPO, capture_output=True, text=True, timeout=900
    )
