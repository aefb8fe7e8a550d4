"""Puts each trial's sample grids into TensorBoard beside Tune's scalars.

Trials write their grids into their checkpoints (files left in a trial's working
directory are not synced on a cluster). This driver-side callback reads the new
grids of every checkpoint through the checkpoint's own filesystem (local, NFS or
an object store) and logs them as images in the trial's directory, at the epoch
as the step, so TensorBoard shows them under "samples" next to ray/tune/d_loss.
"""

from __future__ import annotations

import io
from collections import defaultdict

import numpy as np
import pyarrow.fs
from PIL import Image
from ray import tune
from tensorboardX import SummaryWriter

from trainables.checkpoint import SAMPLES_DIR, epoch_of_sample_grid


class SampleGridLogger(tune.Callback):
    def __init__(self) -> None:
        self._writers: dict[str, SummaryWriter] = {}
        self._logged: defaultdict[str, set[str]] = defaultdict(set)

    def on_checkpoint(self, iteration, trials, trial, checkpoint: tune.Checkpoint, **info) -> None:
        selector = pyarrow.fs.FileSelector(f"{checkpoint.path}/{SAMPLES_DIR}", allow_not_found=True)
        grids = sorted(checkpoint.filesystem.get_file_info(selector), key=lambda file: file.base_name)
        for grid in grids:
            if grid.base_name in self._logged[trial.trial_id]:
                continue
            with checkpoint.filesystem.open_input_file(grid.path) as png:
                image = np.asarray(Image.open(io.BytesIO(png.read())).convert("RGB"))
            writer = self._writer(trial)
            writer.add_image(SAMPLES_DIR, image, global_step=epoch_of_sample_grid(grid.base_name), dataformats="HWC")
            writer.flush()
            self._logged[trial.trial_id].add(grid.base_name)

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
