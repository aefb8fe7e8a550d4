"""The Ray Tune function trainable: a thin adapter around :class:`trainables.loop.GANTraining`.

Ray appears only here: the param dict comes in, is validated into a
:class:`TrialConfig`, and every epoch goes out as ``tune.report(metrics, checkpoint=...)``.
Only the ``ray.tune`` API is used: Ray Train's report function raises inside Tune on current Ray.
"""

from __future__ import annotations

import dataclasses
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from ray import tune

from trainables.checkpoint import (
    is_sample_epoch,
    restore_checkpoint,
    sample_grid_name,
    save_sample_grid,
    write_checkpoint,
)
from trainables.config import TrialConfig
from trainables.data import MappedImages, gpu_memory_for_images
from trainables.loop import GANTraining
from trainables.metric_keys import DIVERGED, DIVERGED_REASON
from trainables.process_memory import peak_rss_mib, release_freed_memory, reset_peak_rss
from trainables.quality.evaluator import RealReference, TrialEvaluator


def trial_memory_for_images(device: torch.device) -> int | None:
    """What this trial's training images may take of its GPU (trainables.data.gpu_memory_for_images), from its
    request to Tune; None on the CPU, where they are already in host memory."""
    if device.type != "cuda":
        return None
    request = tune.get_context().get_trial_resources().required_resources.get("GPU", 0.0)
    return gpu_memory_for_images(torch.cuda.get_device_properties(device).total_memory, request)


def train_gan(params: dict[str, Any], images: np.ndarray | MappedImages, reference: RealReference | None) -> None:
    """Train one GAN; ``images`` is the uint8 (N, C, S, S) training set from the object store.

    A numpy array, because Ray hands those out zero-copy: every trial on a node reads the one
    copy in the node's shared memory (read-only, which suits a loop that only indexes it). A
    decoded folder too large for the store comes as :class:`MappedImages`, and the trial maps it.
    ``reference`` is the real test set as the quality metrics see it (trainables.quality.evaluator),
    computed once on the driver; None when the sweep does not evaluate (``eval_every`` 0). Every
    ``eval_every`` epochs and at the last, G's samples of the trial's fixed evaluation noise are
    scored and reported with that epoch's losses; other epochs report the quality keys as NaN.

    Resumes from ``tune.get_checkpoint()`` when Tune restarts the trial. The trial's
    CPUs set torch's thread count; a GPU is used when Tune assigned one. A run that
    diverges (trainables.divergence) reports why in its last result and ends early. A worker
    that Tune reuses first gives back the memory its previous trial freed, and each trial's
    ``peak_rss_mib`` is its own (trainables.process_memory).
    """
    release_freed_memory()  # the previous trial's, when Tune reuses this worker
    reset_peak_rss()
    config = TrialConfig.from_dict(params)
    cpus = tune.get_context().get_trial_resources().required_resources["CPU"]
    torch.set_num_threads(max(1, int(cpus)))
    if isinstance(images, MappedImages):
        shared_images = images.open()
    else:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
            shared_images = torch.from_numpy(images)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    training = GANTraining(config, shared_images, device, trial_memory_for_images(device))
    evaluator = TrialEvaluator(config, reference, device)
    with tempfile.TemporaryDirectory(prefix="tune_gan_samples_") as samples:
        samples_dir = Path(samples)
        checkpoint = tune.get_checkpoint()
        if checkpoint:
            with checkpoint.as_directory() as checkpoint_dir:
                restore_checkpoint(Path(checkpoint_dir), training, samples_dir)
        for metrics in training.epochs():
            if is_sample_epoch(metrics.epoch, config.sample_every, config.epochs):
                save_sample_grid(training.sample(), samples_dir / sample_grid_name(metrics.epoch))
            quality = evaluator.after_epoch(training)
            metrics = dataclasses.replace(metrics, peak_rss_mib=peak_rss_mib())  # the evaluation's peak too
            with tempfile.TemporaryDirectory(prefix="tune_gan_checkpoint_") as checkpoint_dir:
                write_checkpoint(Path(checkpoint_dir), training, samples_dir)
                result = {
                    **dataclasses.asdict(metrics),
                    **quality,
                    DIVERGED: training.diverged is not None,
                    DIVERGED_REASON: training.diverged or "",
                }
                tune.report(result, checkpoint=tune.Checkpoint.from_directory(checkpoint_dir))
