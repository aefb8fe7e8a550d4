"""Puts each trial's sample grids into TensorBoard beside Tune's scalars.

Trials write their grids into their checkpoints (files left in a trial's working
directory are not synced on a cluster). This driver-side callback reads the grid
of each checkpoint's epoch, when that epoch saved one, through the checkpoint's own
filesystem (local, NFS or an object store), and logs it in the trial's directory
with the epoch as the step, so TensorBoard shows it under "samples" next to
ray/tune/d_loss. Only the checkpoint's own epoch is logged, so a resumed sweep
does not log earlier grids twice.
"""

from __future__ import annotations

import io

import numpy as np
import pyarrow.fs
from PIL import Image
from ray import tune
from tensorboardX import SummaryWriter

from trainables.checkpoint import SAMPLES_DIR, sample_grid_name


class SampleGridLogger(tune.Callback):
    def __init__(self) -> None:
        self._writers: dict[str, SummaryWriter] = {}

    def on_checkpoint(self, iteration, trials, trial, checkpoint: tune.Checkpoint, **info) -> None:
        epoch = trial.last_result["epoch"]  # Tune records the result before it registers its checkpoint
        grid = f"{checkpoint.path}/{SAMPLES_DIR}/{sample_grid_name(epoch)}"
        if checkpoint.filesystem.get_file_info(grid).type != pyarrow.fs.FileType.File:
            return
        with checkpoint.filesystem.open_input_file(grid) as png:
            image = np.asarray(Image.open(io.BytesIO(png.read())).convert("RGB"))
        writer = self._writer(trial)
        writer.add_image(SAMPLES_DIR, image, global_step=epoch, dataformats="HWC")
        writer.flush()

    def _writer(self, trial) -> SummaryWriter:
        if trial.trial_id not in self._writers:
            trial.init_local_path()
            self._writers[trial.trial_id] = SummaryWriter(trial.local_path, filename_suffix=".samples")
        return self._writers[trial.trial_id]

    def on_trial_complete(self, iteration, trials, trial, **info) -> None:
        self._close(trial.trial_id)

    def on_trial_error(self, iteration, trials, trial, **info) -> None:
        self._close(trial.trial_id)

    def _close(self, trial_id: str) -> None:
        writer = self._writers.pop(trial_id, None)
        if writer is not None:
            writer.close()
