"""What scoring in Inception's features costs a trial on CPUs, against what its training costs, and the CPU defaults
for a study of your own images that keep the first near a fifth of the second.

Inception-v3 takes 0.226 s an image on one CPU thread, whatever the image size; a DCGAN at 64 px trains about 40
images a second. Scored as MNIST is (10,000 samples every 5 epochs), a 64 px study on CPUs would spend more time
scoring than training. So, where the user chose neither --eval-samples nor --eval-every (nor did the preset), a
sweep of CPU trials scored in Inception scores :data:`CPU_EVAL_SAMPLES` samples, every so many epochs that scoring
stays within :data:`SCORING_SHARE` of training, and at the last epoch in any case.

Training's cost is estimated, not timed: the FLOPs of one training step at the study's shape (counted by
``torch.utils.flop_counter``, exact for the study's G and D) at the rate this project's DCGANs train on one thread of
the development VM (:data:`CPU_TRAINING_FLOP_PER_S`). Both that rate and Inception's seconds come from the same run
of ``benchmarks/image_sizes.py``, so on a faster or slower CPU the two move together and their ratio stands.
"""

from __future__ import annotations

import dataclasses
import math

import torch
from torch.utils.flop_counter import FlopCounterMode

from trainables.config import INCEPTION, TrialConfig
from trainables.data import epoch_batches
from trainables.loop import GANTraining
from trainables.quality.evaluator import evaluations_after
from trainables.quality.inception import CPU_SECONDS_PER_IMAGE

# The DCGANs' training FLOP/s on one thread of the 2-core AMD EPYC development VM: the median over 32, 64 and 128 px
# of benchmarks/image_sizes.py's counted FLOPs an image times its measured images/s (a test keeps it the recorded one).
CPU_TRAINING_FLOP_PER_S = 82.7e9
CPU_EVAL_SAMPLES = 1_000  # FID's bias grows as n falls; 1,000 keeps it one bias, the same for every trial compared
SCORING_SHARE = 0.2  # of training time, at most, that scoring takes by default on CPUs
EVAL_FLAGS = ("eval_samples", "eval_every")


def training_flop_per_image(config: TrialConfig) -> float:
    """FLOPs one training image costs at ``config``'s model and image shape: a D step and a G step on a batch of 2,
    halved (BatchNorm and Adam aside, a step's FLOPs grow with the batch)."""
    images = torch.zeros((2, *config.image_shape), dtype=torch.uint8)
    training = GANTraining(dataclasses.replace(config, batch_size=2, subset=0, epochs=1), images)
    (batch,) = epoch_batches(training.images, 2, training.batch_order)
    with FlopCounterMode(display=False) as counter:
        training.train_step(batch)
    return counter.get_total_flops() / 2


@dataclasses.dataclass(frozen=True)
class ScoringCost:
    """One trial's scoring and training on one CPU thread, in seconds, as estimated before it runs."""

    samples: int
    evaluations: int
    scoring_s: float
    training_s: float

    @property
    def share(self) -> float:
        """Scoring's time as a share of training's."""
        return self.scoring_s / self.training_s


def scoring_cost(config: TrialConfig, train_images: int, flop_per_image: float) -> ScoringCost:
    """The estimate for a trial of ``config`` training on ``train_images`` images an epoch."""
    scored = evaluations_after(0, config.eval_every, config.epochs)  # every eval_every epochs and at the last
    training_s = config.epochs * train_images * flop_per_image / CPU_TRAINING_FLOP_PER_S
    return ScoringCost(config.eval_samples, scored, scored * config.eval_samples * CPU_SECONDS_PER_IMAGE, training_s)


def cpu_eval_every(epochs: int, train_images: int, flop_per_image: float) -> int:
    """The fewest epochs between evaluations of :data:`CPU_EVAL_SAMPLES` samples that keep scoring within
    :data:`SCORING_SHARE` of training (``epochs``: only the last, where even that is more)."""
    epoch_s = train_images * flop_per_image / CPU_TRAINING_FLOP_PER_S
    evaluation_s = CPU_EVAL_SAMPLES * CPU_SECONDS_PER_IMAGE
    return min(epochs, max(1, math.ceil(evaluation_s / (SCORING_SHARE * epoch_s))))


def expected_evaluation_s(config: TrialConfig, on_gpus: bool) -> float:
    """What one evaluation of a trial of ``config`` is expected to take until the sweep measures one, for its time
    left: its samples through Inception at the rate measured on a CPU thread where its trials get no GPU; 0 where a
    GPU or the shipped classifier scores them (seconds at most, which the first evaluation measures)."""
    if config.extractor != INCEPTION or on_gpus or not config.eval_every:
        return 0.0
    return config.eval_samples * CPU_SECONDS_PER_IMAGE
