"""Train a dataset's evaluator classifier and record it in the manifest.

    python -m trainables.quality.train_classifier --dataset mnist
    python -m trainables.quality.train_classifier --dataset fashion_mnist

Seeded, so a re-run on the same machine, thread count and torch version writes the same weights;
elsewhere the last bits may differ, and the manifest then records the new file's checksum and
accuracy. Takes minutes on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import platform
import time

import torch
from torch import nn

from trainables.config import CLASSIFIED_DATASETS
from trainables.data import batch_indices, load_labelled_images, resolve_data_dir, to_unit_range
from trainables.quality.classifier import accuracy, classifier_net, save_classifier

# Enough epochs for the accuracy the evaluators promise (MNIST >= 99.0 %, FashionMNIST >= 90 %) with margin.
EPOCHS = {"mnist": 8, "fashion_mnist": 15}
BATCH_SIZE = 128
LEARNING_RATE = 1e-3
SEED = 0


def train(images: torch.Tensor, labels: torch.Tensor, epochs: int) -> nn.Sequential:
    """Adam on cross-entropy over shuffled full batches of uint8 images, the LR cosine-annealed to zero."""
    torch.manual_seed(SEED)
    net = classifier_net()
    optimizer = torch.optim.Adam(net.parameters(), lr=LEARNING_RATE)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * (len(images) // BATCH_SIZE))
    order = torch.Generator().manual_seed(SEED)
    net.train()
    for epoch in range(1, epochs + 1):
        started, losses = time.perf_counter(), []
        for rows in batch_indices(len(images), BATCH_SIZE, order):
            loss = nn.functional.cross_entropy(net(to_unit_range(images[rows])), labels[rows])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            losses.append(loss.detach())
        print(f"epoch {epoch}/{epochs}: loss {torch.stack(losses).mean():.4f} ({time.perf_counter() - started:.0f} s)")
    return net.eval()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train an evaluator classifier and record it in the manifest.")
    parser.add_argument("--dataset", choices=CLASSIFIED_DATASETS, required=True)
    parser.add_argument("--data-dir", help="dataset root (default: $TUNE_GAN_DATA, else ~/.cache/tune-gan/data)")
    args = parser.parse_args(argv)
    root = resolve_data_dir(args.data_dir)
    train_images, train_labels = load_labelled_images(args.dataset, root, train=True)
    test_images, test_labels = load_labelled_images(args.dataset, root, train=False)
    started = time.perf_counter()
    net = train(train_images, train_labels, EPOCHS[args.dataset])
    train_s = time.perf_counter() - started
    test_accuracy = accuracy(net, test_images, test_labels)
    path = save_classifier(
        args.dataset,
        net,
        {
            "test_accuracy": test_accuracy,
            "epochs": EPOCHS[args.dataset],
            "seed": SEED,
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "machine": platform.machine(),
            "train_s": round(train_s),
        },
    )
    print(f"{args.dataset}: test accuracy {test_accuracy:.4f}, {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
