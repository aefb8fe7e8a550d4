"""Stop a sweep, resumably, before its storage path runs out of space.

When a disk fills up under Tune, a checkpoint fails half-written and the trial errors, and Tune's
driver, syncing the trials' result files to the storage path, can leave them truncated (an empty
``result.json``: the epochs recorded so far lost). So after every checkpoint this callback compares
the free space of the storage path with what the running trials' next checkpoints need, and when
it falls short it prints a one-line error naming the path and interrupts the sweep the way Ctrl-C
does: Tune saves the experiment state, every checkpoint written so far stays whole, and
``--resume`` continues once there is room. Only a local (or mounted) storage path has a free-space
figure; object stores have none and are not guarded.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from pathlib import Path

from ray import tune

from trainables.metric_keys import RUNNING

RESULT_FILES_RESERVE = 64 * 2**20  # bytes kept free beyond the checkpoints, for result files and Tune's state


def tree_bytes(path: Path) -> int:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())


def space_needed(running_trials: int, checkpoint_bytes: int) -> int:
    """Free bytes the next round needs: one more checkpoint per running trial (the oldest is deleted only after
    the new one is written), plus room for the result files."""
    return running_trials * checkpoint_bytes + RESULT_FILES_RESERVE


class StorageGuard(tune.Callback):
    """Interrupts the sweep (as Ctrl-C would) when the storage path ``directory`` lacks room for the next
    checkpoints."""

    def __init__(self, directory: str, prog: str):
        self.directory = directory
        self.prog = prog  # the program the error line names
        self.checkpoint_bytes = 0  # the largest checkpoint seen: G, D and both optimizers' moments, and the grids
        self.stopping = False  # interrupted once already: a second SIGINT would end the driver without saving

    def on_checkpoint(self, iteration, trials, trial, checkpoint, **info) -> None:
        if self.stopping:
            return
        self.checkpoint_bytes = max(self.checkpoint_bytes, tree_bytes(Path(checkpoint.path)))
        running = sum(1 for each in trials if each.status == RUNNING)
        free, needed = shutil.disk_usage(self.directory).free, space_needed(running, self.checkpoint_bytes)
        if free < needed:
            print(
                f"{self.prog}: error: --storage-path {self.directory}: {free / 2**20:,.0f} MiB free, less than the "
                f"{needed / 2**20:,.0f} MiB the next checkpoints of {running} running trial(s) need; stopping the "
                "sweep (make room, then --resume)",
                file=sys.stderr,
                flush=True,
            )
            self.stopping = True
            os.kill(os.getpid(), signal.SIGINT)  # Tune's own Ctrl-C handling: state saved, trials resumable
