"""Training speed of one trial, without Ray: ``python -m trainables.benchmark`` prints a table.

Per model and batch size it trains a few epochs on a slice of MNIST, skips the
first (warm-up) epoch, and reports images/s and the implied time of one full
60,000-image epoch. A second table compares the data path the trainable uses
(preloaded uint8 tensor, batches by index) with torchvision's per-sample path
(PIL -> ToTensor -> Normalize in a DataLoader), the cost it avoids.
Speed targets live here, never in timed tests.
"""

from __future__ import annotations

import argparse
import platform
import resource
import time

import torch
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms

from trainables.config import MODELS, TrialConfig
from trainables.data import epoch_batches, load_train_images, resolve_data_dir
from trainables.loop import GANTraining

MNIST_TRAIN_IMAGES = 60_000


def train_speed(config: TrialConfig, images: torch.Tensor, device: str) -> float:
    """Images per second over every epoch but the first."""
    training = GANTraining(config, images, device)
    timed = list(training.epochs())[1:]
    return sum(m.images_per_s * m.epoch_time_s for m in timed) / sum(m.epoch_time_s for m in timed)


def data_path_speeds(root, images: torch.Tensor, n_images: int, batch_size: int) -> tuple[float, float]:
    """(preloaded tensor, torchvision per-sample) images/s for one pass of batches, no training."""
    images = images[:n_images]
    started = time.perf_counter()
    count = sum(len(batch) for batch in epoch_batches(images, batch_size, torch.Generator().manual_seed(0)))
    preloaded = count / (time.perf_counter() - started)
    to_unit = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    dataset = Subset(datasets.MNIST(str(root), train=True, transform=to_unit), range(n_images))
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=True)
    started = time.perf_counter()
    count = sum(len(batch) for batch, _labels in loader)
    per_sample = count / (time.perf_counter() - started)
    return preloaded, per_sample


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Measure one trial's training speed (no Ray).")
    parser.add_argument("--models", nargs="+", choices=MODELS, default=["mlp"])
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=[128, 256, 512, 1024])
    parser.add_argument("--images", type=int, default=8192, help="training images per epoch")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per measurement; the first is not timed")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (a trial uses its CPU count)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--data-dir", help="dataset root (default: $TUNE_GAN_DATA or the cache dir)")
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    root = resolve_data_dir(args.data_dir)
    images = load_train_images("mnist", root)
    machine = (
        torch.cuda.get_device_name() if args.device == "cuda" else f"{platform.processor() or platform.machine()} CPU"
    )
    print(
        f"# {machine}, torch {torch.__version__}, {args.threads} thread(s), {args.images} images x "
        f"{args.epochs} epochs (first untimed)\n"
    )
    memory_kind = "peak GPU memory allocated" if args.device == "cuda" else "process peak RSS"
    print(f"| model | batch | device | images/s | s per 60k-image epoch | {memory_kind} MiB |")
    print("|---|---:|---|---:|---:|---:|")
    for model in args.models:
        for batch_size in args.batch_sizes:
            config = TrialConfig(model=model, batch_size=batch_size, epochs=args.epochs, subset=args.images)
            if args.device == "cuda":
                torch.cuda.reset_peak_memory_stats()
            speed = train_speed(config, images, args.device)
            if args.device == "cuda":
                memory = torch.cuda.max_memory_allocated() / 2**20
            else:
                memory = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # process peak RSS
            print(
                f"| {model} | {batch_size} | {args.device} | {speed:,.0f} | "
                f"{MNIST_TRAIN_IMAGES / speed:,.1f} | {memory:,.0f} |",
                flush=True,
            )

    preloaded, per_sample = data_path_speeds(root, images, args.images, 128)
    print("\n| data path (batch 128, no training) | images/s |")
    print("|---|---:|")
    print(f"| preloaded uint8 tensor, batches by index (used) | {preloaded:,.0f} |")
    print(f"| torchvision per-sample PIL + ToTensor + Normalize | {per_sample:,.0f} |")


if __name__ == "__main__":
    main()
