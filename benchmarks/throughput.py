"""Training throughput, every number from the same run: ``python benchmarks/throughput.py [--quick]``.

Prints Markdown tables and writes them as JSON (``--json``). Cells:

1. per batch size, on the Figure-1 MLP: images/s of the project's loop
   (:class:`trainables.loop.GANTraining`), in fp32 and in bf16 (autocast, where the device has it); of a reference
   loop written the usual way
   (torchvision MNIST with ``ToTensor()`` + ``Normalize``, ``DataLoader(shuffle=True)``, the
   pytorch/examples dcgan step with a ``.item()`` per batch); and of the GEMM floor (only the
   matrix multiplies of the project's training step, timed alone); with the ratios;
2. the loop run directly vs inside a one-trial Tune run (alternating, ``--rounds`` times), and
   Tune's fixed cost per sweep and per trial start (``reuse_actors``);
3. the aggregate images/s of a grid (one trial per batch size) of 1-CPU trials vs of 2-CPU trials,
   and the loop's own speed-up from one thread to two, which is all a 2-CPU trial gains;
4. each trial's peak RSS (its quality evaluation included), and the part of it a process holds once it imports
   the trainable and builds an optimizer;
5. one quality evaluation of 10,000 samples (trainables.quality.evaluator), directly and inside the Tune trials, against
   one training epoch of the MLP at batch 128 over all 60,000 MNIST images.

Ratios are what to compare across machines: a noisy machine moves every cell of one run alike.
Speed targets live here, never in timed tests.
"""

from __future__ import annotations

import sys

from tune_gan import environment

if __name__ == "__main__":
    environment.configure()  # before Ray is imported, as for the sweep

import argparse
import dataclasses
import json
import os
import platform
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import ray
import torch
from ray import tune
from torch import nn
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms

from trainables.config import BATCH_SIZE, SEED, TrialConfig
from trainables.data import load_train_images, resolve_data_dir
from trainables.loop import GANTraining
from trainables.metric_keys import EVAL_TIME_S, EpochMetrics
from trainables.models import build_models
from trainables.quality.evaluator import QualityEvaluator, RealReference, evaluation_noise, real_reference
from trainables.training_precision import device_lacks
from tune_gan.resources import gpu_share
from tune_gan.search_space import Resources, SweepSpec
from tune_gan.storage import StorageLocation
from tune_gan.tuner import build_tuner, start_ray

BATCH_SIZES = (128, 256, 512, 1024)
REPO = Path(__file__).resolve().parent.parent


def warm_epochs(config: TrialConfig, images: torch.Tensor, device: str) -> list[EpochMetrics]:
    """The project's loop run in this process: the metrics of every epoch but the first (warm-up)."""
    return list(GANTraining(config, images, device).epochs())[1:]


def project_speed(config: TrialConfig, images: torch.Tensor, device: str) -> float:
    """Images/s of the project's loop over every epoch but the first (warm-up)."""
    timed = warm_epochs(config, images, device)
    return sum(m.images_per_s * m.epoch_time_s for m in timed) / sum(m.epoch_time_s for m in timed)


def reference_speed(config: TrialConfig, data_root: Path, device: str) -> float:
    """Images/s of the loop most tutorials write (pytorch/examples dcgan): the same model with torch's
    ``nn.Dropout``, loss and (unfused) Adam; per-sample transforms in a DataLoader; D's weight
    gradients computed in G's step too; a host sync per batch for the logged losses."""
    torch.manual_seed(config.seed)
    normalize = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    dataset = Subset(datasets.MNIST(str(data_root), train=True, transform=normalize), range(config.subset))
    loader = DataLoader(dataset, batch_size=config.batch_size, shuffle=True, drop_last=True)
    generator, discriminator = (model.to(device) for model in build_models("mlp", config.latent_dim))
    for index, layer in enumerate(discriminator):  # torch's own dropout, as the usual way has it
        if isinstance(layer, nn.Dropout):
            discriminator[index] = nn.Dropout(layer.p)
    betas = (config.beta1, config.beta2)
    opt_g = torch.optim.Adam(generator.parameters(), lr=config.lr_g, betas=betas)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=config.lr_d, betas=betas)
    bce = nn.BCELoss()
    seconds, images = 0.0, 0
    for epoch in range(config.epochs):
        started = time.perf_counter()
        d_losses, g_losses = [], []
        for real, _labels in loader:
            real = real.to(device)
            ones = torch.ones(len(real), 1, device=device)
            zeros = torch.zeros(len(real), 1, device=device)
            discriminator.zero_grad()
            d_loss_real = bce(discriminator(real), ones)
            d_loss_real.backward()
            fake = generator(torch.randn(len(real), config.latent_dim, device=device))
            d_loss_fake = bce(discriminator(fake.detach()), zeros)
            d_loss_fake.backward()
            opt_d.step()
            generator.zero_grad()
            g_loss = bce(discriminator(fake), ones)
            g_loss.backward()
            opt_g.step()
            d_losses.append(d_loss_real.item() + d_loss_fake.item())
            g_losses.append(g_loss.item())
        if epoch:  # the first epoch is warm-up, as for the project's loop
            seconds += time.perf_counter() - started
            images += len(d_losses) * config.batch_size
    return images / seconds


def gemm_floor_speed(config: TrialConfig, device: str, repeats: int = 20) -> float:
    """Images/s if a training step were only its matrix multiplies, timed alone.

    The project's step, layer by layer (W of shape out x in, batch B): G forward; D forward on
    real, on fake, and on fake again for G's step; D's step backward: per branch a weight
    gradient per layer and an input gradient for every layer but the first (real and detached
    fake need none); G's step backward: D frozen, so only input gradients through D, then G's
    weight gradients and input gradients for every layer but the first.
    """
    generator, discriminator = build_models("mlp", config.latent_dim)
    g_layers = [(m.out_features, m.in_features) for m in generator if isinstance(m, nn.Linear)]
    d_layers = [(m.out_features, m.in_features) for m in discriminator if isinstance(m, nn.Linear)]
    batch = config.batch_size

    def forward(layers):
        return [(batch, fan_in, fan_out) for fan_out, fan_in in layers]

    def weight_grads(layers):
        return [(fan_out, batch, fan_in) for fan_out, fan_in in layers]

    def input_grads(layers):
        return [(batch, fan_out, fan_in) for fan_out, fan_in in layers]

    shapes = (
        forward(g_layers)
        + 3 * forward(d_layers)
        + 2 * (weight_grads(d_layers) + input_grads(d_layers[1:]))
        + input_grads(d_layers)
        + weight_grads(g_layers)
        + input_grads(g_layers[1:])
    )
    operands = [(torch.randn(m, k, device=device), torch.randn(k, n, device=device)) for m, k, n in shapes]
    best = float("inf")
    for _ in range(repeats + 2):
        _synchronize(device)
        started = time.perf_counter()
        for left, right in operands:
            torch.mm(left, right)
        _synchronize(device)
        best = min(best, time.perf_counter() - started)
    return batch / best


def _synchronize(device: str) -> None:
    """Wait for the GPU's queued kernels, so that a timer stops when they are done, not when they were queued."""
    if device == "cuda":
        torch.cuda.synchronize()


@dataclasses.dataclass(frozen=True)
class Header:
    """What the run measured on, and with what: the first keys of the JSON, the first line printed."""

    machine: str
    device: str
    torch: str
    threads: int
    images_per_epoch: int
    epochs: int


@dataclasses.dataclass(frozen=True)
class LoopRow:
    """One batch size's loop cells (JSON ``loop[]``, a row of the loop table)."""

    batch_size: int
    project_images_per_s: float
    reference_images_per_s: float
    gemm_floor_images_per_s: float
    project_over_reference: float
    project_over_floor: float
    # The project's loop again with training_precision bf16 (autocast), and its speed-up; None where the device
    # lacks bf16 arithmetic (trainables.training_precision.device_lacks), which the table says.
    bf16_images_per_s: float | None
    bf16_over_project: float | None


def run_header(args: argparse.Namespace) -> Header:
    """The machine and settings, recorded beside the numbers since the numbers mean nothing without them."""
    return Header(machine(args.device), args.device, torch.__version__, args.threads, args.images, args.epochs)


def loop_row(args: argparse.Namespace, batch_size: int, images: torch.Tensor, data_root: Path) -> LoopRow:
    """The project's loop, the reference loop and the GEMM floor at one batch size, one after another, so that the
    ratios of the row share the machine's state of those minutes."""
    config = TrialConfig(batch_size=batch_size, epochs=args.epochs, subset=args.images)
    project = project_speed(config, images, args.device)
    reference = reference_speed(config, data_root, args.device)
    floor = gemm_floor_speed(config, args.device)
    bf16 = None
    if device_lacks("bf16", torch.device(args.device)) is None:
        bf16 = project_speed(dataclasses.replace(config, training_precision="bf16"), images, args.device)
    bf16_over_project = None if bf16 is None else bf16 / project
    return LoopRow(batch_size, project, reference, floor, project / reference, project / floor, bf16, bf16_over_project)


@dataclasses.dataclass(frozen=True)
class GridRun:
    """What one Tune sweep of :func:`run_grid` measured, from the driver's clock and the trials' results."""

    wall_s: float  # ray.init to ray.shutdown
    fit_s: float  # Tuner.fit alone
    trained_images: int
    training_s: list[float]  # per trial: Tune's time_total_s, its reports included
    epoch_s: list[list[float]]  # per trial: Tune's time_this_iter_s of every epoch (training + report), less eval_s
    eval_s: list[float]  # every quality evaluation's eval_time_s, of every trial
    training_epoch_s: list[list[float]]  # per trial: the loop's own epoch_time_s (training steps only)
    # per trial, in start order: driver time from the previous trial's end (the first: Tuner.fit's start) to
    # its training; a trial start cost only when trials run one at a time (max_concurrent=1)
    trial_start_s: list[float]
    peak_rss_mib: list[float]  # per trial

    @property
    def images_per_s(self) -> float:
        return self.trained_images / self.fit_s

    @property
    def fixed_cost_s(self) -> float:
        """The sweep's own cost (ray.init, Tuner setup, shutdown): its wall time less training and trial starts."""
        return self.wall_s - sum(self.training_s) - sum(self.trial_start_s)


class _Timeline(tune.Callback):
    """Driver-side times of each trial's start, first result and completion."""

    def __init__(self):
        self.started: dict[str, float] = {}
        self.first_result: dict[str, tuple[float, float]] = {}  # (driver time, the epoch's time_this_iter_s)
        self.completed: dict[str, float] = {}

    def on_trial_start(self, iteration, trials, trial, **info):
        self.started.setdefault(trial.trial_id, time.perf_counter())

    def on_trial_result(self, iteration, trials, trial, result, **info):
        self.first_result.setdefault(trial.trial_id, (time.perf_counter(), result["time_this_iter_s"]))

    def on_trial_complete(self, iteration, trials, trial, **info):
        self.completed[trial.trial_id] = time.perf_counter()


def run_grid(
    base: TrialConfig,
    images: torch.Tensor,
    batch_sizes: list[int],
    seeds: list[int],
    cpus_per_trial: int,
    max_concurrent: int = 0,
    gpus_per_trial: float = 0.0,
    reference: RealReference | None = None,
) -> GridRun:
    """A real sweep of the project's trainable over batch sizes x seeds, its Tuner built by the sweep's own
    :func:`tune_gan.tuner.build_tuner` (callbacks, checkpoints, failure handling), on a local Ray without its
    dashboard (as ``--no-dashboard`` starts it)."""
    timeline = _Timeline()
    settings = {name: value for name, value in base.to_dict().items() if name not in (BATCH_SIZE, SEED)}
    resources = Resources(cpus_per_trial=cpus_per_trial, gpus_per_trial=gpus_per_trial, max_concurrent=max_concurrent)
    spec = SweepSpec(settings, {BATCH_SIZE: tuple(batch_sizes), SEED: tuple(seeds)}, resources)
    with tempfile.TemporaryDirectory(prefix="tune_gan_bench_") as storage:
        started = time.perf_counter()
        start_ray(None, dashboard=False, verbose=False)
        fit_started = time.perf_counter()
        tuner = build_tuner(
            spec, images.numpy(), reference, StorageLocation.parse(storage), "bench", callbacks=(timeline,)
        )
        grid = tuner.fit()
        fit_s = time.perf_counter() - fit_started
        ray.shutdown()
        wall_s = time.perf_counter() - started
    results = sorted(grid, key=lambda result: timeline.started[result.metrics["trial_id"]])
    histories = [result.metrics_dataframe for result in results]
    ids = [result.metrics["trial_id"] for result in results]
    free_since = [fit_started] + [timeline.completed[trial_id] for trial_id in ids[:-1]]
    return GridRun(
        wall_s=wall_s,
        fit_s=fit_s,
        trained_images=sum(
            int((history["images_per_s"] * history["epoch_time_s"]).round().sum()) for history in histories
        ),
        training_s=[float(history["time_total_s"].iloc[-1]) for history in histories],
        epoch_s=[(history["time_this_iter_s"] - history[EVAL_TIME_S]).tolist() for history in histories],
        eval_s=[seconds for history in histories for seconds in history[EVAL_TIME_S] if seconds > 0],
        training_epoch_s=[history["epoch_time_s"].tolist() for history in histories],
        trial_start_s=[
            timeline.first_result[trial_id][0] - timeline.first_result[trial_id][1] - free
            for trial_id, free in zip(ids, free_since)
        ],
        peak_rss_mib=[float(history["peak_rss_mib"].max()) for history in histories],
    )


def direct_epoch_s(config: TrialConfig, images: torch.Tensor, threads: int, device: str) -> float:
    """Median seconds per epoch of the loop run in this process with ``threads`` torch threads, first epoch untimed."""
    torch.set_num_threads(threads)
    return statistics.median(m.epoch_time_s for m in warm_epochs(config, images, device))


def rss_floor_mib() -> float:
    """Peak RSS of a fresh process that imports the trainable (torch, torchvision, Ray Tune) and builds an Adam.

    That much every trial holds before any data or model: torch.optim imports torch._dynamo
    (and with it sympy and triton) the first time an optimizer is built.
    """
    code = (
        "import torch, trainables.trainable; from trainables.process_memory import peak_rss_mib; "
        "torch.optim.Adam([torch.zeros(1, requires_grad=True)]); print(peak_rss_mib())"
    )
    floor = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    return float(floor.stdout)


@dataclasses.dataclass(frozen=True)
class TuneCells:
    """The Tune cells (JSON ``tune``): medians over the rounds, with the per-round ratios where a spread matters."""

    rounds: int
    direct_epoch_s: float
    direct_2_threads_epoch_s: float
    tune_epoch_s: float
    tune_training_epoch_s: float
    tune_over_direct: float
    tune_over_direct_per_round: tuple[float, ...]
    tune_training_over_epoch: float
    sweep_fixed_cost_s: float
    first_trial_start_s: float
    later_trial_start_s: float
    grid_1cpu_images_per_s: float
    grid_2cpu_images_per_s: float
    grid_1cpu_over_2cpu: float
    grid_1cpu_over_2cpu_per_round: tuple[float, ...]
    two_threads_speedup: float
    tune_eval_s: float
    peak_rss_mib_per_trial: float
    rss_floor_mib: float
    cpus: int | None


@dataclasses.dataclass(frozen=True)
class Rounds:
    """Every alternating round's runs, kept whole until the medians: the per-round ratios pair runs of one round."""

    direct: tuple[float, ...]  # epoch s, 1 thread, as a 1-CPU trial
    two_threads: tuple[float, ...]  # epoch s, 2 threads, as a 2-CPU trial
    in_tune: tuple[GridRun, ...]  # one trial at the Tune batch size
    grid_1cpu: tuple[GridRun, ...]
    grid_2cpu: tuple[GridRun, ...]

    def grid_runs(self) -> tuple[GridRun, ...]:
        return self.in_tune + self.grid_1cpu + self.grid_2cpu


def tune_config(args: argparse.Namespace) -> TrialConfig:
    """The Tune cells' trial: its sample grid and quality evaluation at the last epoch, as a real trial has them
    (its RSS peak included)."""
    return TrialConfig(
        batch_size=args.tune_batch_size,
        epochs=args.epochs,
        subset=args.images,
        sample_every=args.epochs,
        eval_every=args.epochs,
    )


def alternate_rounds(
    args: argparse.Namespace, config: TrialConfig, images: torch.Tensor, reference: RealReference
) -> Rounds:
    """The direct and in-Tune runs (and the two grids) alternated for ``--rounds`` rounds, Ray shut down between,
    so the machine's drift over minutes falls on both sides of each ratio alike. With ``--device cuda`` the trials
    share the GPU: one trial alone takes all of it, a grid's trials an equal fraction each."""
    gpu = 1.0 if args.device == "cuda" else 0.0
    one = dict(gpus_per_trial=gpu, reference=reference)
    grid = dict(gpus_per_trial=gpu_share(len(args.batch_sizes)) if gpu else 0.0, reference=reference)
    direct, two_threads, in_tune, grid_1cpu, grid_2cpu = [], [], [], [], []
    for _ in range(args.rounds):
        direct.append(direct_epoch_s(config, images, threads=1, device=args.device))
        two_threads.append(direct_epoch_s(config, images, threads=2, device=args.device))
        in_tune.append(run_grid(config, images, [config.batch_size], [0], cpus_per_trial=1, **one))
        grid_1cpu.append(run_grid(config, images, args.batch_sizes, [0], cpus_per_trial=1, **grid))
        grid_2cpu.append(run_grid(config, images, args.batch_sizes, [0], cpus_per_trial=2, **grid))
    torch.set_num_threads(args.threads)
    return Rounds(*(tuple(runs) for runs in (direct, two_threads, in_tune, grid_1cpu, grid_2cpu)))


def trial_starts(config: TrialConfig, images: torch.Tensor, device: str) -> GridRun:
    """A tiny sweep of 4 trials run one at a time: its wall time is nearly all Tune's fixed and per-start costs."""
    tiny = dataclasses.replace(config, epochs=1, batch_size=128, subset=256, eval_every=0)
    gpu = 1.0 if device == "cuda" else 0.0
    return run_grid(tiny, images, [128], [0, 1, 2, 3], cpus_per_trial=1, max_concurrent=1, gpus_per_trial=gpu)


def tune_cells(args: argparse.Namespace, images: torch.Tensor, reference: RealReference) -> TuneCells:
    """Direct vs inside Tune, Tune's fixed costs, and how the grid packs onto the machine's CPUs."""
    config = tune_config(args)
    rounds = alternate_rounds(args, config, images, reference)
    return summarize_tune(rounds, trial_starts(config, images, args.device), rss_floor_mib())


def summarize_tune(rounds: Rounds, starts: GridRun, rss_floor: float) -> TuneCells:
    """The cells from the runs: each ratio taken within a round, then the median over rounds, the drift between
    rounds cancelled."""
    tune_epoch_s = [statistics.median(one.epoch_s[0][1:]) for one in rounds.in_tune]
    tune_training_epoch_s = [statistics.median(one.training_epoch_s[0][1:]) for one in rounds.in_tune]
    tune_over_direct = tuple(d / t for d, t in zip(rounds.direct, tune_epoch_s))
    packing = tuple(one.images_per_s / two.images_per_s for one, two in zip(rounds.grid_1cpu, rounds.grid_2cpu))
    return TuneCells(
        rounds=len(rounds.direct),
        direct_epoch_s=statistics.median(rounds.direct),
        direct_2_threads_epoch_s=statistics.median(rounds.two_threads),
        tune_epoch_s=statistics.median(tune_epoch_s),
        tune_training_epoch_s=statistics.median(tune_training_epoch_s),
        tune_over_direct=statistics.median(tune_over_direct),
        tune_over_direct_per_round=tune_over_direct,
        tune_training_over_epoch=statistics.median(t / e for t, e in zip(tune_training_epoch_s, tune_epoch_s)),
        sweep_fixed_cost_s=starts.fixed_cost_s,
        first_trial_start_s=starts.trial_start_s[0],
        later_trial_start_s=statistics.mean(starts.trial_start_s[1:]),
        grid_1cpu_images_per_s=statistics.median(grid.images_per_s for grid in rounds.grid_1cpu),
        grid_2cpu_images_per_s=statistics.median(grid.images_per_s for grid in rounds.grid_2cpu),
        grid_1cpu_over_2cpu=statistics.median(packing),
        grid_1cpu_over_2cpu_per_round=packing,
        two_threads_speedup=statistics.median(one / two for one, two in zip(rounds.direct, rounds.two_threads)),
        tune_eval_s=statistics.median(seconds for run in rounds.in_tune for seconds in run.eval_s),
        peak_rss_mib_per_trial=max(rss for run in (*rounds.grid_runs(), starts) for rss in run.peak_rss_mib),
        rss_floor_mib=rss_floor,
        cpus=os.cpu_count(),
    )


@dataclasses.dataclass(frozen=True)
class EvaluationCost:
    """One quality evaluation against one training epoch (JSON ``evaluation``)."""

    samples: int
    eval_s: float
    epoch_128_s: float
    eval_over_epoch: float


def evaluation_cell(
    args: argparse.Namespace, reference: RealReference, loop: list[LoopRow], images: torch.Tensor
) -> EvaluationCost:
    """One quality evaluation (``eval_samples``: 10,000) of the MLP's generator in this process, median of 3, and
    its share of one training epoch of the MLP at batch 128 over all 60,000 MNIST images at the loop's speed."""
    config = TrialConfig(batch_size=128, epochs=args.epochs, subset=args.images)
    at_128 = [row.project_images_per_s for row in loop if row.batch_size == 128]
    images_per_s = at_128[0] if at_128 else project_speed(config, images, args.device)
    generator = build_models(config.model, config.latent_dim)[0].to(args.device)
    evaluator = QualityEvaluator(reference, args.device)
    noise = evaluation_noise(config)
    eval_s = statistics.median(evaluator.evaluate(generator, noise)[EVAL_TIME_S] for _ in range(3))
    epoch_s = len(images) / images_per_s
    return EvaluationCost(config.eval_samples, eval_s, epoch_s, eval_s / epoch_s)


@dataclasses.dataclass(frozen=True)
class Throughput:
    """Every cell of one run: what the JSON holds."""

    header: Header
    loop: tuple[LoopRow, ...]
    tune: TuneCells | None  # None with --no-tune
    evaluation: EvaluationCost

    def as_json(self) -> dict[str, Any]:
        """The JSON's schema: the header's keys, then ``loop``, ``tune`` (unless --no-tune) and ``evaluation``."""
        tune = {"tune": dataclasses.asdict(self.tune)} if self.tune else {}
        loop = [dataclasses.asdict(row) for row in self.loop]
        return {
            **dataclasses.asdict(self.header),
            "loop": loop,
            **tune,
            "evaluation": dataclasses.asdict(self.evaluation),
        }


def _spread(values: tuple[float, ...]) -> str:
    """' (a–b over n rounds)' when there was more than one round."""
    return f" ({min(values):.2f}–{max(values):.2f} over {len(values)} rounds)" if len(values) > 1 else ""


def machine(device: str) -> str:
    """The GPU's name, or the CPU's architecture and cores: what a reader compares machines by."""
    if device == "cuda":
        return torch.cuda.get_device_name()
    return f"{platform.machine()} CPU, {os.cpu_count()} cores"


def render_header(header: Header) -> None:
    """The run's settings line and the loop table's head, printed before the loop's rows come in."""
    print(
        f"# {header.machine}, {header.device}, torch {header.torch}, {header.threads} thread(s), "
        f"{header.images_per_epoch} images x {header.epochs} epochs (first untimed)\n"
    )
    print(
        "| batch | project images/s | reference images/s | GEMM floor images/s | ÷ reference | ÷ floor "
        "| project in bf16 images/s | bf16 ÷ fp32 |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")


def render_loop_row(row: LoopRow) -> None:
    """One row of the loop table, flushed: a full run takes minutes, each row is worth seeing as it is measured."""
    print(
        f"| {row.batch_size} | {row.project_images_per_s:,.0f} | {row.reference_images_per_s:,.0f} | "
        f"{row.gemm_floor_images_per_s:,.0f} | {row.project_over_reference:.2f} | {row.project_over_floor:.2f} | "
        + (
            f"{row.bf16_images_per_s:,.0f} | {row.bf16_over_project:.2f} |"
            if row.bf16_images_per_s
            else "— | no bf16 arithmetic on this device |"
        ),
        flush=True,
    )


def render_tune(tune: TuneCells, batch_size: int) -> None:
    """The Tune table; ``batch_size``, the trials' (``--tune-batch-size``), is named in two of its rows."""
    print("\n| Tune cell | value |\n|---|---:|")
    print(
        f"| epoch s (batch {batch_size}, medians): direct / in Tune, training steps / in Tune, "
        f"whole epoch | {tune.direct_epoch_s:.2f} / {tune.tune_training_epoch_s:.2f} / {tune.tune_epoch_s:.2f} |"
    )
    print(
        f"| in Tune ÷ direct (whole epochs, rounds alternating) | {tune.tune_over_direct:.3f}"
        f"{_spread(tune.tune_over_direct_per_round)} |"
    )
    print(f"| in Tune: training steps ÷ whole epoch (same epochs) | {tune.tune_training_over_epoch:.3f} |")
    print(f"| fixed cost per sweep (ray.init, Tuner setup, shutdown) | {tune.sweep_fixed_cost_s:.1f} s |")
    print(f"| first trial start | {tune.first_trial_start_s:.2f} s |")
    print(f"| later trial start (reuse_actors) | {tune.later_trial_start_s:.2f} s |")
    print(f"| 4-trial grid, 1-CPU trials | {tune.grid_1cpu_images_per_s:,.0f} images/s |")
    print(f"| 4-trial grid, 2-CPU trials | {tune.grid_2cpu_images_per_s:,.0f} images/s |")
    print(
        f"| grid 1-CPU ÷ 2-CPU trials | {tune.grid_1cpu_over_2cpu:.2f}{_spread(tune.grid_1cpu_over_2cpu_per_round)} |"
    )
    print(f"| one loop's speed-up from 1 to 2 threads (direct, batch {batch_size}) | {tune.two_threads_speedup:.2f}× |")
    print(f"| peak RSS per trial | {tune.peak_rss_mib_per_trial:,.0f} MiB |")
    print(
        "| of which: importing the trainable (torch, torchvision, Ray Tune) and building an optimizer | "
        f"{tune.rss_floor_mib:,.0f} MiB |"
    )
    print(f"| one quality evaluation in the Tune trial (10,000 samples, 1 CPU) | {tune.tune_eval_s:.2f} s |")


def render_evaluation(evaluation: EvaluationCost, threads: int) -> None:
    """The quality-evaluation table; ``threads``, the loop cells', is named in its first row."""
    print(
        f"\n| quality evaluation | value |\n|---|---:|\n"
        f"| one evaluation of {evaluation.samples:,} samples (direct, {threads} thread(s), median of 3) | "
        f"{evaluation.eval_s:.2f} s |\n"
        f"| one MLP epoch at batch 128 (60,000 images, at the loop's speed) | {evaluation.epoch_128_s:.1f} s |\n"
        f"| evaluation ÷ epoch | {100 * evaluation.eval_over_epoch:.1f} % |"
    )


def parse_args(argv: list[str] | None, prog: str) -> argparse.Namespace:
    """The flags, with the defaults that depend on ``--quick`` filled in."""
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run: fewer images and epochs")
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=list(BATCH_SIZES))
    parser.add_argument("--images", type=int, help="training images per epoch (default 16384, quick 4096)")
    parser.add_argument("--epochs", type=int, help="epochs per measurement, the first untimed (default 4, quick 2)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads of every loop cell (a 1-CPU trial)")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--tune-batch-size", type=int, default=512, help="batch size of the direct vs Tune cell")
    parser.add_argument("--no-tune", action="store_true", help="only the loop cells (no Ray)")
    parser.add_argument("--rounds", type=int, help="alternating rounds of the Tune cells (default 2, quick 1)")
    parser.add_argument("--data-dir", help="dataset root (default: $TUNE_GAN_DATA or the cache dir)")
    parser.add_argument("--json", default="throughput.json", help="where to write the results (default %(default)s)")
    args = parser.parse_args(argv)
    args.images = args.images or (4096 if args.quick else 16384)
    args.epochs = args.epochs or (2 if args.quick else 4)
    args.rounds = args.rounds or (1 if args.quick else 2)
    return args


def main(argv: list[str] | None = None, prog: str = "throughput.py") -> int:
    """Measure each part, print it as it is done (a full run takes minutes), then write every cell as JSON."""
    args = parse_args(argv, prog)
    torch.set_num_threads(args.threads)
    data_root = resolve_data_dir(args.data_dir)
    images = load_train_images("mnist", data_root)
    reference = real_reference("mnist", data_root)
    header = run_header(args)
    render_header(header)
    loop = []
    for batch_size in args.batch_sizes:  # each row printed as it is measured
        loop.append(loop_row(args, batch_size, images, data_root))
        render_loop_row(loop[-1])
    tune = None if args.no_tune else tune_cells(args, images, reference)
    if tune:
        render_tune(tune, args.tune_batch_size)
    evaluation = evaluation_cell(args, reference, loop, images)
    render_evaluation(evaluation, args.threads)
    Path(args.json).write_text(json.dumps(Throughput(header, tuple(loop), tune, evaluation).as_json(), indent=2))
    print(f"\nJSON: {Path(args.json).resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
