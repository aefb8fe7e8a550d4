"""What a study of your own images costs per image size: ``python -m benchmarks.image_sizes [--feature-weights PATH]``.

Per size (32, 64, 128 px, RGB): the DCGAN's training images/s (trainables.loop.GANTraining, pytorch/examples'
recipe at that size, latent 128, batch 64, the first epoch untimed), and Inception-v3's seconds an image for the
features every evaluation takes (it resizes any input to 299 px, so one number serves every size; measured only
where a weights file is at hand: the published one, or any of its architecture). With each size, the FLOPs a training
image costs (counted by torch.utils.flop_counter) and the rate they ran at, whose median is tune_gan.scoring_cost's
CPU_TRAINING_FLOP_PER_S. Prints a Markdown table and writes the cells as JSON. A 2-core CPU's row says why a 64 px
study belongs on a GPU (docs/your-images.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time
from pathlib import Path

import torch

from benchmarks.throughput import machine
from trainables.config import TrialConfig
from trainables.loop import GANTraining
from trainables.quality.inception import inception_features, load_inception
from tune_gan.scoring_cost import training_flop_per_image

SIZES = (32, 64, 128)
LATENT = 128
BATCH = 64


@dataclasses.dataclass(frozen=True)
class SizeRow:
    """One image size's training speed, an epoch of 10,000 images at it, and the FLOPs a training image costs
    (counted, not measured) with the rate they ran at."""

    size: int
    images_per_s: float
    epoch_10k_s: float
    training_gflop_per_image: float
    training_gflop_per_s: float


@dataclasses.dataclass(frozen=True)
class ImageSizes:
    """Every cell of one run: what the JSON holds."""

    machine: str
    threads: int
    torch: str
    rows: tuple[SizeRow, ...]
    inception_s_per_image: float | None  # None without a weights file

    @property
    def training_gflop_per_s(self) -> float:
        """The median of the rows' training rates: tune_gan.scoring_cost's estimate of a training epoch's seconds."""
        return statistics.median(row.training_gflop_per_s for row in self.rows)

    def as_json(self) -> dict:
        return dataclasses.asdict(self)


def training_row(size: int, images: int, device: str) -> SizeRow:
    """The DCGAN's images/s at ``size`` px on ``images`` random RGB images: 2 epochs, the second timed."""
    data = torch.randint(0, 256, (images, 3, size, size), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    config = TrialConfig(
        model="dcgan", dataset="folder:/benchmark", image_size=size, latent_dim=LATENT, batch_size=BATCH, epochs=2
    )
    epochs = GANTraining(config, data, device=device).epochs()
    next(epochs)  # warm-up: allocations, kernel selection
    speed = next(epochs).images_per_s
    gflop = training_flop_per_image(config) / 1e9
    return SizeRow(size, speed, 10_000 / speed, gflop, gflop * speed)


def inception_seconds(weights: Path, device: str, images: int = 50, repeats: int = 3) -> float:
    """Median seconds an image of Inception-v3's features, in batches of ``images`` 64 px RGB images."""
    net = load_inception(weights, device)
    batch = torch.randint(0, 256, (images, 3, 64, 64), dtype=torch.uint8).to(device)
    inception_features(net, batch)  # warm-up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        inception_features(net, batch)
        if device == "cuda":
            torch.cuda.synchronize()
        times.append((time.perf_counter() - started) / images)
    return statistics.median(times)


def render(run: ImageSizes) -> None:
    print(f"# {run.machine}, torch {run.torch}, {run.threads} thread(s); DCGAN latent {LATENT}, batch {BATCH}, RGB\n")
    print("| image size | training images/s | an epoch of 10,000 images | GFLOP an image | GFLOP/s |")
    print("|---:|---:|---:|---:|---:|")
    for row in run.rows:
        print(
            f"| {row.size} px | {row.images_per_s:,.1f} | {row.epoch_10k_s / 60:,.1f} min | "
            f"{row.training_gflop_per_image:.3f} | {row.training_gflop_per_s:.1f} |"
        )
    print(f"\ntraining's median rate: {run.training_gflop_per_s:.1f} GFLOP/s")
    seconds = run.inception_s_per_image
    inception = (
        f"{seconds:.3f} s an image ({2000 * seconds / 60:.1f} min for 2,000 samples)"
        if seconds is not None
        else "not measured (no --feature-weights)"
    )
    print(f"\nInception-v3 features, any size: {inception}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.image_sizes", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=list(SIZES))
    parser.add_argument("--images", type=int, default=512, help="training images per epoch (default %(default)s)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (a 1-CPU trial's)")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--feature-weights", type=Path, help="an Inception-v3 weights file (torch-fidelity's)")
    parser.add_argument("--inception-batch", type=int, default=50, help="images a timed Inception batch holds")
    parser.add_argument("--json", default="image_sizes.json", help="where to write the results (default %(default)s)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = tuple(training_row(size, args.images, args.device) for size in args.sizes)
    weights = args.feature_weights
    inception = inception_seconds(weights, args.device, args.inception_batch) if weights else None
    run = ImageSizes(machine(args.device), args.threads, torch.__version__, rows, inception)
    render(run)
    Path(args.json).write_text(json.dumps(run.as_json(), indent=2))
    print(f"\nJSON: {Path(args.json).resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
