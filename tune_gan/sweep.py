"""Run a Ray Tune grid of GAN trials (batch size x LR schedule x LR scaling x seed) and print a table of how each went.

    python tune_gan/sweep.py --preset smoke
    python tune_gan/sweep.py --batch-sizes 128 512 --schedulers constant warmup_cosine --epochs 30 --seeds 0 1 2
    python tune_gan/sweep.py --batch-sizes 128 1024 --lr-scalings none sqrt linear
    python tune_gan/sweep.py --resume --storage-path ~/ray_results --name NAME

Bad input ends with a one-line error and exit code 2, before anything is written.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path, PurePosixPath

if __package__ in (None, ""):
    # Run as a script: put the repo root, not this folder, first on the import path, so the packages
    # import by their names here and in Ray's local workers (they start with the driver's sys.path).
    sys.path[0] = str(Path(__file__).resolve().parent.parent)
if __name__ == "__main__":
    # Token authentication stays on, also when joining a cluster by host:port, where Ray would otherwise
    # assume it off; the token comes from ~/.ray/auth_token or $RAY_AUTH_TOKEN. Ray reads this on import.
    os.environ.setdefault("RAY_AUTH_MODE", "token")

import argparse
import dataclasses
import datetime
import math
from typing import Any

import ray
import torch
from ray import tune

from trainables.checkpoint import CheckpointError
from trainables.classifier import ClassifierWeightsError
from trainables.cli_args import OneLineErrorParser, int_at_least
from trainables.config import (
    DATASETS,
    LR_SCALING_REFERENCE_BATCH,
    LR_SCALINGS,
    MIN_EVAL_SAMPLES,
    MODELS,
    SCHEDULERS,
    ConfigError,
    TrialConfig,
)
from trainables.data import DATA_DIR_ENV, DataUnavailableError, load_train_images, resolve_data_dir
from trainables.evaluation import real_reference
from trainables.trainable import train_gan
from tune_gan.results_table import FINISHED, RANKABLE, format_table, rank_by, results_table
from tune_gan.resume import ResultsBackToCheckpoint, prepare_resume
from tune_gan.sample_logger import SampleGridLogger
from tune_gan.search_space import DEFAULT_LR_SCALINGS, DEFAULT_STORAGE, PRESETS, SPEC_FILE, Resources, SweepSpec
from tune_gan.storage import StorageError, StorageLocation
from tune_gan.storage_guard import StorageGuard

GRID_FLAGS = ("batch_sizes", "schedulers", "lr_scalings", "seeds")
TRIAL_FLAGS = (
    "epochs",
    "model",
    "dataset",
    "latent_dim",
    "lr_g",
    "lr_d",
    "subset",
    "sample_every",
    "warmup_epochs",
    "spectral_norm",
    "eval_every",
    "eval_samples",
)
RESOURCE_FLAGS = tuple(field.name for field in dataclasses.fields(Resources))
# Flags that define an experiment; --resume takes them from the saved experiment instead.
SETTING_FLAGS = ("preset", *GRID_FLAGS, *TRIAL_FLAGS, *RESOURCE_FLAGS)


class SweepError(Exception):
    """A problem with the sweep's input or surroundings; printed as one line, exit code 2."""


def _gpus(text: str) -> float | None:
    if text == "auto":
        return None
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value:
        raise argparse.ArgumentTypeError(f"{text!r} is not 'auto' or a number >= 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    positive, non_negative = int_at_least(1), int_at_least(0)
    parser = OneLineErrorParser(
        prog="sweep.py",
        description="Grid-search GAN training over batch size x LR schedule x LR scaling x seed with Ray Tune.",
        epilog=f"Presets: {', '.join(f'{name} {values}' for name, values in PRESETS.items())}. "
        "Flags override the preset's values.",
    )
    grid = parser.add_argument_group("grid (each value list is one axis of the grid)")
    grid.add_argument("--preset", choices=PRESETS, help="starting values for the grid and trials (default: assignment)")
    grid.add_argument("--batch-sizes", nargs="+", type=positive, metavar="N", help="batch sizes to sweep")
    grid.add_argument("--schedulers", nargs="+", choices=SCHEDULERS, help="LR schedules to sweep")
    grid.add_argument(
        "--lr-scalings",
        nargs="+",
        choices=LR_SCALINGS,
        help=f"peak-LR scalings to sweep: x (batch size / {LR_SCALING_REFERENCE_BATCH}), its square root, "
        "or none (default: none)",
    )
    grid.add_argument("--seeds", nargs="+", type=non_negative, metavar="S", help="random seeds to sweep")

    trial = parser.add_argument_group("every trial")
    trial.add_argument("--epochs", type=positive, help="training epochs per trial")
    trial.add_argument("--model", choices=MODELS, help="mlp: the assignment's Figure 1; dcgan: conv G/D")
    trial.add_argument("--dataset", choices=DATASETS, help="training images")
    trial.add_argument("--latent-dim", type=positive, help="size of G's input noise (default 100)")
    trial.add_argument("--lr-g", type=float, help="peak generator LR (default 2e-4)")
    trial.add_argument("--lr-d", type=float, help="peak discriminator LR (default 2e-4)")
    trial.add_argument("--subset", type=non_negative, help="train on the first N images only (0: all)")
    trial.add_argument("--sample-every", type=positive, help="save a 5x5 sample grid every N epochs (default 5)")
    trial.add_argument("--warmup-epochs", type=non_negative, help="warmup_cosine's linear warmup (default 5)")
    trial.add_argument("--spectral-norm", action=argparse.BooleanOptionalAction, help="spectral norm in D (dcgan)")
    trial.add_argument(
        "--eval-every",
        type=non_negative,
        help="score G's samples (IS, FID, precision/recall, classes) every N epochs and at the end (default 5; 0: off)",
    )
    trial.add_argument(
        "--eval-samples", type=int_at_least(MIN_EVAL_SAMPLES), help="samples per evaluation (default 10000)"
    )
    trial.add_argument(
        "--data-dir",
        help=f"dataset root (default: ${DATA_DIR_ENV}, else ~/.cache/tune-gan/data); downloads when online",
    )

    run = parser.add_argument_group("where and how trials run")
    run.add_argument("--cpus-per-trial", type=positive, help="CPUs (torch threads) per trial (default 1)")
    run.add_argument(
        "--gpus-per-trial",
        type=_gpus,
        metavar="G|auto",
        help="GPUs per trial, fractions allowed (default auto: share the GPUs present among the trials, 0 without)",
    )
    run.add_argument("--max-concurrent", type=non_negative, help="at most N trials at once (default 0: no limit)")
    run.add_argument("--keep-checkpoints", type=positive, help="checkpoints kept per trial (default 2)")
    run.add_argument(
        "--max-failures", type=non_negative, help="restarts of a failed trial from its checkpoint (default 1)"
    )
    run.add_argument("--address", help="Ray cluster to join, e.g. 'auto' (default: start Ray on this machine)")
    run.add_argument(
        "--dashboard-host",
        default="127.0.0.1",
        help="interface the Ray dashboard of a local Ray binds to (default 127.0.0.1: this machine only; "
        "0.0.0.0 exposes it to the network)",
    )
    run.add_argument(
        "--storage-path",
        default=DEFAULT_STORAGE,
        help=f"where experiments go: a directory, or a URI such as s3://bucket/runs (default {DEFAULT_STORAGE})",
    )
    run.add_argument("--name", help="experiment name, a directory under the storage path (default: preset + time)")
    run.add_argument("--resume", action="store_true", help="finish the experiment --storage-path/--name")
    run.add_argument(
        "--rank-by",
        choices=RANKABLE,
        help="sort the final table by this quality metric of the last evaluation, best first (default: grid order)",
    )
    return parser


def spec_from_args(args: argparse.Namespace) -> SweepSpec:
    """The preset's values, overridden by every flag the user gave."""
    chosen: dict[str, Any] = {"lr_scalings": DEFAULT_LR_SCALINGS, **PRESETS[args.preset or "assignment"]}
    chosen.update(
        {name: getattr(args, name) for name in (*GRID_FLAGS, *TRIAL_FLAGS) if getattr(args, name) is not None}
    )
    batch_sizes, schedulers, lr_scalings, seeds = (tuple(chosen.pop(axis)) for axis in GRID_FLAGS)
    base = TrialConfig(
        batch_size=batch_sizes[0], scheduler=schedulers[0], lr_scaling=lr_scalings[0], seed=seeds[0], **chosen
    )
    resources = Resources(**{name: getattr(args, name) for name in RESOURCE_FLAGS if getattr(args, name) is not None})
    return SweepSpec(base, batch_sizes, schedulers, lr_scalings, seeds, resources)


def experiment_name(args: argparse.Namespace) -> str:
    name = args.name or f"{args.preset or 'assignment'}_{datetime.datetime.now():%Y-%m-%d_%H-%M-%S}"
    if name in (".", "..") or "/" in name or os.sep in name:
        raise SweepError(f"--name {name!r}: must be a plain directory name, without '/'")
    return name


def gpus_per_trial(spec: SweepSpec, cluster: dict[str, float]) -> float:
    """The requested GPUs, or (auto) the fraction that runs every concurrent trial on the GPUs present."""
    requested, total = spec.resources.gpus_per_trial, cluster.get("GPU", 0.0)
    if requested is not None:
        if requested > total:
            raise SweepError(f"--gpus-per-trial {requested}: the Ray cluster has {total:g} GPUs")
        return requested
    if total == 0:
        return 0.0
    limits = [spec.num_trials, cluster["CPU"] // spec.resources.cpus_per_trial]
    if spec.resources.max_concurrent:
        limits.append(spec.resources.max_concurrent)
    return gpu_share(total, int(min(limits)))


def gpu_share(gpus: float, trials: int) -> float:
    """Each of ``trials`` concurrent trials' share of ``gpus``, at most one GPU; rounded down to
    the 4 decimals Ray resolves, so the shares never add up to more than the GPUs."""
    return min(1.0, math.floor(gpus / trials * 10_000) / 10_000)


def check_cluster_fits(spec: SweepSpec, cluster: dict[str, float]) -> None:
    cpus = cluster.get("CPU", 0.0)
    if spec.resources.cpus_per_trial > cpus:
        raise SweepError(f"--cpus-per-trial {spec.resources.cpus_per_trial}: the Ray cluster has only {cpus:g} CPUs")


def load_or_create_spec(args: argparse.Namespace, experiment: StorageLocation) -> SweepSpec:
    if args.resume:
        given = [f"--{name.replace('_', '-')}" for name in SETTING_FLAGS if getattr(args, name) is not None]
        if given:
            raise SweepError(f"{' '.join(given)}: not allowed with --resume, which reuses the experiment's settings")
        if not experiment.child(SPEC_FILE).is_file():
            raise SweepError(f"--resume: no tune-gan experiment at {experiment.uri} (missing {SPEC_FILE})")
        return SweepSpec.from_json(experiment.read_text(SPEC_FILE))
    if experiment.exists():
        name = PurePosixPath(experiment.path).name
        raise SweepError(f"--name {name}: {experiment.uri} already exists; pass --resume to finish it")
    return spec_from_args(args)


def run_sweep(args: argparse.Namespace) -> int:
    storage = StorageLocation.parse(args.storage_path)
    name = experiment_name(args)
    experiment = storage.child(name)
    spec = load_or_create_spec(args, experiment)
    storage.ensure_writable_dir()
    if args.resume:
        try:
            removed = prepare_resume(experiment.uri)
        except CheckpointError as error:
            raise SweepError(f"--resume: {error}; its trial cannot continue from it") from None
        if removed:
            print(f"tune-gan: removed {removed} result row(s) past the trials' recorded checkpoints")
    data_root = resolve_data_dir(args.data_dir)
    images = load_train_images(spec.base.dataset, data_root)
    if spec.base.subset > len(images):
        raise SweepError(f"--subset {spec.base.subset}: {spec.base.dataset} has only {len(images)} training images")
    # The real test set as the quality metrics see it: computed (or read from the cache) once, here, for every trial.
    reference = real_reference(spec.base.dataset, data_root) if spec.base.eval_every else None

    try:
        if args.address:
            ray.init(address=args.address)
        else:  # "local": a new Ray of our own, never a cluster someone started here with `ray start`
            ray.init(address="local", dashboard_host=args.dashboard_host)
    except ConnectionError as error:
        raise SweepError(f"--address {args.address}: no Ray cluster reachable there ({error})") from None
    try:
        cluster = ray.cluster_resources()
        check_cluster_fits(spec, cluster)
        resources = dataclasses.replace(spec.resources, gpus_per_trial=gpus_per_trial(spec, cluster))
        spec = dataclasses.replace(spec, resources=resources)
        print(f"tune-gan: {spec.num_trials} trials, data {data_root}, experiment {experiment.uri}")
        print(spec.to_json(), flush=True)
        trainable = tune.with_resources(
            tune.with_parameters(train_gan, images=images.numpy(), reference=reference),
            {"cpu": spec.resources.cpus_per_trial, "gpu": spec.resources.gpus_per_trial},
        )
        # Tune saves which checkpoint each trial is at every 10 s or more by default; a driver killed in between
        # would leave its trials to redo the epochs checkpointed since. Every second keeps that window short.
        os.environ.setdefault("TUNE_GLOBAL_CHECKPOINT_S", "1")
        if args.resume:
            tuner = tune.Tuner.restore(experiment.uri, trainable, resume_unfinished=True, resume_errored=True)
        else:
            experiment.write_text(SPEC_FILE, spec.to_json())
            tuner = tune.Tuner(
                trainable,
                param_space=spec.param_space(),
                tune_config=tune.TuneConfig(
                    max_concurrent_trials=spec.resources.max_concurrent or None, reuse_actors=True
                ),
                run_config=tune.RunConfig(
                    name=name,
                    storage_path=storage.uri,
                    checkpoint_config=tune.CheckpointConfig(num_to_keep=spec.resources.keep_checkpoints),
                    failure_config=tune.FailureConfig(max_failures=spec.resources.max_failures),
                    callbacks=[
                        SampleGridLogger(),
                        ResultsBackToCheckpoint(),
                        *([StorageGuard(storage.path)] if storage.is_local else []),
                    ],
                ),
            )
        table = results_table(tuner.fit(), spec)
        if args.rank_by:
            table = rank_by(table, args.rank_by)
    finally:
        ray.shutdown()
    print("\nResults, one row per trial:")
    print(format_table(table))
    print(f"Experiment: {experiment.uri}")
    unfinished = table[~table["status"].isin(FINISHED)]
    if len(unfinished):
        print(
            f"{len(unfinished)} trial(s) did not finish; continue with: python tune_gan/sweep.py --resume "
            f"--storage-path {storage.uri} --name {name}"
        )
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    torch.set_num_threads(1)  # the driver only loads data; keep its cores for the trials
    try:
        return run_sweep(args)
    except (SweepError, StorageError, ConfigError, DataUnavailableError, ClassifierWeightsError) as error:
        print(f"sweep.py: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
