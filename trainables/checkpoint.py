"""A trial checkpoint on disk: the training state plus every sample grid saved so far.

Layout of a checkpoint directory::

    state.pt                 GANTraining.state_dict(), loaded with weights_only=True
    state.pt.sha256          the SHA-256 of state.pt as written
    samples/epoch_0005.png   5x5 grids of the fixed noise, one per sample epoch so far

Each checkpoint carries all earlier grids, so pruning old checkpoints (Tune keeps
the last few) never loses the image-quality-over-training record, and the grids
reach the experiment's storage path on a multi-node cluster along with the checkpoint.

``state.pt`` records its :data:`CHECKPOINT_FORMAT`. Training resumes only from the format
this code writes; reading a generator out of any format (to score or plot it) still works.

torch does not check its zip entries' CRCs, so a byte changed in a tensor's data would load as a
silently different training state; the SHA-256 beside it catches that on every read. Resuming
requires it; reading a checkpoint older code wrote without one still works.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import shutil
from pathlib import Path
from typing import Any

import torch
from torchvision.utils import save_image

from trainables.config import one_line
from trainables.loop import GANTraining

STATE_FILE = "state.pt"
DIGEST_FILE = f"{STATE_FILE}.sha256"
SAMPLES_DIR = "samples"
# The layout of GANTraining.state_dict(). 1: before it was recorded; 2: the generator-update count and the
# divergence window's metrics under their current names (lr_g_in_use, d_loss_var_corrected, ...).
CHECKPOINT_FORMAT = 2
_FORMAT_KEY = "format"


def sample_grid_name(epoch: int) -> str:
    return f"epoch_{epoch:04d}.png"


def saved_sample_grids(directory: Path) -> dict[int, Path]:
    """The grids a checkpoint directory holds, by epoch, earliest first."""
    grids = sorted((directory / SAMPLES_DIR).glob("epoch_*.png"))
    return {int(path.stem.removeprefix("epoch_")): path for path in grids}


def is_sample_epoch(epoch: int, sample_every: int, epochs: int) -> bool:
    return epoch % sample_every == 0 or epoch == epochs


def save_sample_grid(images: torch.Tensor, path: Path) -> None:
    """Write (25, C, H, W) images in [-1, 1] as one 5x5 PNG grid (grey or RGB)."""
    save_image(images, path, nrow=5, padding=2, normalize=True, value_range=(-1, 1))


def write_checkpoint(directory: Path, training: GANTraining, samples_dir: Path) -> None:
    write_state(directory, {**training.state_dict(), _FORMAT_KEY: CHECKPOINT_FORMAT})
    shutil.copytree(samples_dir, directory / SAMPLES_DIR, dirs_exist_ok=True)


def write_state(directory: Path, state: dict[str, Any]) -> None:
    """``state`` as the checkpoint's state file, with its digest."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    (directory / STATE_FILE).write_bytes(buffer.getvalue())
    (directory / DIGEST_FILE).write_text(hashlib.sha256(buffer.getvalue()).hexdigest() + "\n")


class CheckpointError(Exception):
    """A checkpoint's state cannot be read: ``Type: reason`` on one line, for the caller's one-line error."""


def read_state(directory: Path) -> dict[str, Any]:
    """The training state of a checkpoint directory, loaded on the CPU without unpickling code, after checking
    it against its digest when it has one."""
    try:
        data = (directory / STATE_FILE).read_bytes()
        digest = directory / DIGEST_FILE
        if digest.is_file() and hashlib.sha256(data).hexdigest() != digest.read_text().strip():
            raise CheckpointError(f"{STATE_FILE} does not match its {DIGEST_FILE}: it changed after it was written")
        return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError, pickle.UnpicklingError) as error:
        raise CheckpointError(f"{type(error).__name__}: {one_line(error)[:200]}") from None


def read_resumable_state(directory: Path) -> dict[str, Any]:
    """The training state of a checkpoint training can continue from: one of this code's :data:`CHECKPOINT_FORMAT`,
    checked against its digest."""
    state = read_state(directory)
    found = state.get(_FORMAT_KEY, 1)
    if found != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"checkpoint format {found}, but this tune-gan resumes only format {CHECKPOINT_FORMAT}: "
            f"{'older' if found < CHECKPOINT_FORMAT else 'newer'} code wrote it"
        )
    if not (directory / DIGEST_FILE).is_file():
        raise CheckpointError(f"no {DIGEST_FILE} beside {STATE_FILE} to check it against")
    return state


def restore_checkpoint(directory: Path, training: GANTraining, samples_dir: Path) -> None:
    """Load the training state into ``training`` and the saved grids into ``samples_dir``."""
    training.load_state_dict(read_resumable_state(directory))
    if (directory / SAMPLES_DIR).is_dir():
        shutil.copytree(directory / SAMPLES_DIR, samples_dir, dirs_exist_ok=True)
