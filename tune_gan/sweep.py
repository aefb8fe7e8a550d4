"""Run a Ray Tune grid of GAN trials (batch size x LR schedule x LR scaling x seed, and any other trial setting
with --sweep) and print a table of how each went.

    python tune_gan/sweep.py --preset smoke
    python tune_gan/sweep.py --batch-sizes 128 512 --schedules constant warmup_cosine --epochs 30 --seeds 0 1 2
    python tune_gan/sweep.py --batch-sizes 128 1024 --lr-scalings none sqrt linear
    python tune_gan/sweep.py --preset dcgan --sweep latent_dim=128,256
    python tune_gan/sweep.py --resume --storage-path ~/ray_results --name NAME

Bad input ends with a one-line error and exit code 2, before anything is written.
"""

from __future__ import annotations

import sys

from tune_gan import environment

if __name__ == "__main__":
    environment.configure()  # before Ray is imported

import argparse
import dataclasses
import datetime
import math
import os
from pathlib import PurePosixPath

import numpy as np
import ray
import torch

from trainables.checkpoint import CheckpointError
from trainables.config import CLASSIFIED_DATASETS, INCEPTION, RENAMED_SETTINGS, ConfigError, TrialConfig
from trainables.data import (
    DATA_DIR_ENV,
    DataUnavailableError,
    MappedImages,
    load_train_images,
    resolve_data_dir,
    shipped_images,
)
from trainables.metric_keys import RANKABLE
from trainables.quality.classifier import ClassifierWeightsError
from trainables.quality.evaluator import RealReference, real_reference
from trainables.quality.extractors import feature_extractor
from trainables.quality.inception import WEIGHTS_FILE_NAME, WEIGHTS_URL, FeatureWeightsError
from trainables.training_precision import needs_cuda
from tune_gan.cli import COMMANDS
from tune_gan.cli_args import OneLineErrorParser, add_setting_flags, value_parser
from tune_gan.console import ConsoleView, scoring_line, settings_lines
from tune_gan.resources import Placement, PlacementError, local_gpu_memory_gib, place
from tune_gan.results_table import FINISHED, format_table, rank_by, results_table
from tune_gan.resume import prepare_resume
from tune_gan.scoring_cost import (
    CPU_EVAL_SAMPLES,
    EVAL_FLAGS,
    cpu_eval_every,
    expected_evaluation_s,
    scoring_cost,
    training_flop_per_image,
)
from tune_gan.search_space import (
    DEFAULT_STORAGE,
    GRID_AXES,
    LINK,
    OWN_IMAGES_PRESETS,
    PRESETS,
    SEED,
    SPEC_FILE,
    STUDY_AXES,
    Resources,
    SweepSpec,
    axis_name,
    check_sweepable,
)
from tune_gan.storage import StorageError, StorageLocation
from tune_gan.study import record_added, saved_spec, seeds_run
from tune_gan.tuner import SWEEP_PROG, ClusterUnreachable, build_tuner, start_ray

DEFAULT_PRESET = "assignment"
TRIAL_FIELDS = {field.name: field for field in dataclasses.fields(TrialConfig)}
SETTING_FLAGS = tuple(name for name in TRIAL_FIELDS if name not in GRID_AXES)
RESOURCE_FLAGS = tuple(field.name for field in dataclasses.fields(Resources))
GPU_SPELLINGS = {"gpus_per_trial", "trials_per_gpu"}  # one setting, two flags
# Flags that define an experiment; --resume takes them from the saved experiment instead.
EXPERIMENT_FLAGS = ("preset", *(axis.flag for axis in STUDY_AXES), "sweep", *SETTING_FLAGS, *RESOURCE_FLAGS)


class SweepError(Exception):
    """A problem with the sweep's input or surroundings; printed as one line, exit code 2."""


def sweep_axis(text: str) -> dict[str, tuple]:
    """--sweep KEY=V1,V2: a trial setting other than the study's axes (they have their own flags) and its values,
    each parsed as that setting's flag parses it; or a linked axis, settings and each value's parts joined by '+'
    (``model+spectral_norm=mlp+false,dcgan+true``). Each setting with its values, in the order given."""
    key, _, values = text.partition("=")
    settings = [RENAMED_SETTINGS.get(name, name) for name in key.split(LINK)]
    for name in settings:
        try:
            check_sweepable(name)
        except ConfigError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
    again = sorted({name for name in settings if settings.count(name) > 1})
    if again:
        raise argparse.ArgumentTypeError(f"{key!r}: {', '.join(again)} given twice; link each setting once")
    if not values:
        example = ",".join(LINK.join([value] * len(settings)) for value in ("V1", "V2"))
        raise argparse.ArgumentTypeError(f"{text!r}: give values after '=', e.g. {key}={example}")
    points = [value.split(LINK) if len(settings) > 1 else [value] for value in values.split(",")]
    for parts in points:
        if len(parts) != len(settings):
            raise argparse.ArgumentTypeError(
                f"{LINK.join(parts)!r}: {len(parts)} part(s) for the {len(settings)} settings of {key}; give a value "
                f"of each, joined by '{LINK}'"
            )
    parsers = [value_parser(TRIAL_FIELDS[name]) for name in settings]
    parsed = [[parse(part) for parse, part in zip(parsers, parts)] for parts in points]
    return {name: tuple(point[index] for point in parsed) for index, name in enumerate(settings)}


def build_parser(prog: str = SWEEP_PROG) -> argparse.ArgumentParser:
    parser = OneLineErrorParser(
        prog=prog,
        description="Grid-search GAN training over batch size x LR schedule x LR scaling x seed (and any other "
        "trial setting with --sweep) with Ray Tune.",
        epilog=f"Presets: {', '.join(f'{name} {values}' for name, values in PRESETS.items())}. "
        "Flags override the preset's values.",
    )
    grid = parser.add_argument_group("grid (each value list is one axis of the grid)")
    grid.add_argument(
        "--preset", choices=PRESETS, help=f"starting values for the grid and trials (default {DEFAULT_PRESET})"
    )
    for axis in STUDY_AXES:
        field = TRIAL_FIELDS[axis.field]
        grid.add_argument(
            f"--{axis.flag.replace('_', '-')}",
            nargs="+",
            type=value_parser(field),
            metavar="{" + ",".join(field.metadata["choices"]) + "}" if field.metadata["choices"] else "N",
            help=f"{field.metadata['help']}: the values to sweep (default: the preset's, else {field.default})",
        )
        if axis.old_flag:  # so that commands written before the rename keep working
            old = f"--{axis.old_flag.replace('_', '-')}"
            grid.add_argument(old, dest=axis.flag, nargs="+", type=value_parser(field), help=argparse.SUPPRESS)
    grid.add_argument(
        "--sweep",
        action="append",
        type=sweep_axis,
        metavar="KEY=V1,V2",
        help="one more axis: any other trial setting and its values, e.g. latent_dim=128,256; settings joined by '+' "
        "vary together, a value of each per point, e.g. model+spectral_norm=mlp+false,dcgan+true (repeatable)",
    )
    trial = parser.add_argument_group("every trial", "the defaults shown are a trial's own; a preset may set others")
    add_setting_flags(trial, TrialConfig, exclude=GRID_AXES)
    trial.add_argument(
        "--data-dir",
        help=f"dataset root (default: ${DATA_DIR_ENV}, else ~/.cache/tune-gan/data); downloads when online",
    )
    trial.add_argument(
        "--feature-weights",
        metavar="PATH",
        help=f"the {INCEPTION} weights file, for a machine that cannot download it (default: "
        f"~/.cache/tune-gan/weights/{WEIGHTS_FILE_NAME}, downloaded on first use from {WEIGHTS_URL}); read as "
        "tensors only, never unpickled",
    )
    run = parser.add_argument_group("where and how trials run")
    add_setting_flags(run, Resources)
    run.add_argument("--address", help="Ray cluster to join, e.g. 'auto' (default: start Ray on this machine)")
    run.add_argument(
        "--dashboard-host",
        default="127.0.0.1",
        help="interface the Ray dashboard of a local Ray binds to (default 127.0.0.1: this machine only; "
        "0.0.0.0 exposes it to the network)",
    )
    run.add_argument(
        "--no-dashboard",
        dest="dashboard",
        action="store_false",
        help="start the local Ray without its dashboard, for memory-tight machines (default: with it)",
    )
    run.add_argument(
        "--storage-path",
        default=DEFAULT_STORAGE,
        help=f"where experiments go: a directory, or a URI such as s3://bucket/runs (default {DEFAULT_STORAGE})",
    )
    run.add_argument("--name", help="experiment name, a directory under the storage path (default: preset + time)")
    run.add_argument("--resume", action="store_true", help="finish the experiment --storage-path/--name")
    run.add_argument(
        "--add-seeds",
        metavar="EXPERIMENT",
        help="run EXPERIMENT's grid (or, with axis flags, part of it) again with its settings and the new --seeds, as "
        "a new experiment beside it (--name, default EXPERIMENT_seeds_...) that EXPERIMENT's report pools",
    )
    run.add_argument(
        "--verbose",
        action="store_true",
        help="show Ray's and Tune's own output (Tune's progress table every 10 s, a line per result, Ray's INFO "
        "lines) instead of the progress view",
    )
    run.add_argument(
        "--rank-by",
        choices=RANKABLE,
        help="sort the final table by this quality metric of the last evaluation, best first (default: grid order)",
    )
    return parser


def spec_from_args(args: argparse.Namespace) -> SweepSpec:
    """The preset's values, overridden by every flag the user gave; --sweep axes after the study's, the preset's
    first. A preset's --sweep axis gives way, whole, to a flag or --sweep axis of the user's that sets one of its
    settings; a setting the user gives two ways is an error."""
    given = {
        name: getattr(args, name)
        for name in EXPERIMENT_FLAGS
        if name not in ("preset", "sweep") and getattr(args, name) is not None
    }
    chosen = {**PRESETS[args.preset or DEFAULT_PRESET], **given}
    defaults = TrialConfig()
    grid = {axis.field: tuple(chosen.pop(axis.flag, (getattr(defaults, axis.field),))) for axis in STUDY_AXES}
    users = list(args.sweep or ())
    overridden = {*given, *(name for axis in users for name in axis)}
    from_preset = [axis for axis in chosen.pop("sweep", ()) if not overridden & set(axis)]
    linked = []
    for axis in [*from_preset, *users]:
        for name in axis:
            if name in grid:
                raise SweepError(f"--sweep {name}: given twice")
            if name in given:
                raise SweepError(f"--sweep {axis_name(axis)} and --{name.replace('_', '-')}: give the setting one way")
        grid.update(axis)
        if len(axis) > 1:
            linked.append(tuple(axis))
    settings = {name: chosen.get(name, getattr(defaults, name)) for name in TRIAL_FIELDS if name not in grid}
    resources = Resources(**{name: chosen[name] for name in RESOURCE_FLAGS if name in chosen})
    return SweepSpec(settings, grid, resources, tuple(linked))


DATA_FLAGS = ("dataset", "image_size")  # what an own-images preset is checked by before its spec is made


def new_spec(args: argparse.Namespace) -> SweepSpec:
    """A new sweep's spec (:func:`spec_from_args`); a preset that studies the user's own images refuses to run on
    MNIST or FashionMNIST, the data it would otherwise take by default. (Its own settings, without a dataset, are
    still what the settings lines compare a sweep with: :func:`settings_baseline`.)"""
    preset, defaults = args.preset or DEFAULT_PRESET, TrialConfig()
    chosen = {name: getattr(args, name) or PRESETS[preset].get(name, getattr(defaults, name)) for name in DATA_FLAGS}
    if preset in OWN_IMAGES_PRESETS and chosen["dataset"] in CLASSIFIED_DATASETS:
        raise SweepError(
            f"--preset {preset} studies your own images at {chosen['image_size']} px: give --dataset "
            f"folder:PATH (or cifar10), not {chosen['dataset']}"
        )
    return spec_from_args(args)


def experiment_name(args: argparse.Namespace, default: str | None = None) -> str:
    name = args.name or default or f"{args.preset or DEFAULT_PRESET}_{datetime.datetime.now():%Y-%m-%d_%H-%M-%S}"
    if name in (".", "..") or "/" in name or os.sep in name:
        raise SweepError(f"--name {name!r}: must be a plain directory name, without '/'")
    return name


def experiment_flags_given(args: argparse.Namespace, allowed: set[str] = frozenset()) -> list[str]:
    """The flags defining an experiment that the user gave, other than ``allowed``, as typed."""
    return [
        f"--{name.replace('_', '-')}"
        for name in EXPERIMENT_FLAGS
        if name not in allowed and getattr(args, name) is not None
    ]


def load_or_create_spec(args: argparse.Namespace, experiment: StorageLocation) -> SweepSpec:
    if args.resume:
        given = experiment_flags_given(args)
        if given:
            raise SweepError(f"{' '.join(given)}: not allowed with --resume, which reuses the experiment's settings")
        spec = saved_spec(experiment.uri)
        if spec is None:
            raise SweepError(f"--resume: no tune-gan experiment at {experiment.uri} (missing {SPEC_FILE})")
        return spec
    if experiment.exists():
        name = PurePosixPath(experiment.path).name
        raise SweepError(f"--name {name}: {experiment.uri} already exists; pass --resume to finish it")
    return new_spec(args)


def added_seeds_spec(args: argparse.Namespace, study: StorageLocation) -> SweepSpec:
    """The spec of the experiment ``study`` with the new --seeds in place of its seeds, a part of its other axes'
    values where their flags are given, and the resources given."""
    if args.resume:
        raise SweepError("--add-seeds with --resume: resume the added experiment by its --name instead")
    if args.seeds is None:
        raise SweepError("--add-seeds: give the new seeds with --seeds, e.g. --seeds 3 4 5")
    allowed = {*(axis.flag for axis in STUDY_AXES), *RESOURCE_FLAGS}
    given = experiment_flags_given(args, allowed)
    if given:
        raise SweepError(f"{' '.join(given)}: not allowed with --add-seeds, which runs the experiment's settings")
    spec = saved_spec(study.uri)
    if spec is None:
        raise SweepError(f"--add-seeds {study.uri}: no tune-gan experiment there (missing {SPEC_FILE})")
    run = seeds_run(study.uri)
    again = [seed for seed in args.seeds if seed in run]
    if again:
        raise SweepError(
            f"--seeds {' '.join(map(str, again))}: already run in the study of {study.uri} (seeds "
            f"{' '.join(map(str, run))})"
        )
    grid = {**spec.grid, SEED: tuple(args.seeds)}
    for axis in STUDY_AXES:
        values = getattr(args, axis.flag)
        if values is not None and axis.field != SEED:
            outside = [value for value in values if value not in spec.grid[axis.field]]
            if outside:
                flag = f"--{axis.flag.replace('_', '-')}"
                raise SweepError(
                    f"{flag} {' '.join(map(str, outside))}: not in the grid of {study.uri} "
                    f"({' '.join(map(str, spec.grid[axis.field]))})"
                )
            grid[axis.field] = tuple(values)
    resources = {name: getattr(args, name) for name in RESOURCE_FLAGS if getattr(args, name) is not None}
    if GPU_SPELLINGS & set(resources):  # the saved request gives way to the one given, in either spelling
        resources = {"gpus_per_trial": None, "trials_per_gpu": 0, **resources}
    return dataclasses.replace(spec, grid=grid, resources=dataclasses.replace(spec.resources, **resources))


def prepare_storage(args: argparse.Namespace) -> tuple[StorageLocation, str, SweepSpec]:
    """The storage path (checked writable), the experiment's name and its spec: new, saved (--resume), or another's
    with new seeds (--add-seeds, beside it)."""
    if args.add_seeds:
        study = StorageLocation.parse(args.add_seeds)
        spec = added_seeds_spec(args, study)
        storage = StorageLocation.parse(study.uri.rsplit("/", 1)[0])
        default = f"{PurePosixPath(study.path).name}_seeds_{'_'.join(map(str, args.seeds))}"
        name = experiment_name(args, default)
        if storage.child(name).exists():
            raise SweepError(f"--name {name}: {storage.child(name).uri} already exists; choose another --name")
    else:
        storage = StorageLocation.parse(args.storage_path)
        name = experiment_name(args)
        spec = load_or_create_spec(args, storage.child(name))
    storage.ensure_writable_dir()
    if args.resume:
        try:
            removed = prepare_resume(storage.child(name).uri)
        except CheckpointError as error:
            raise SweepError(f"--resume: {error}; its trial cannot continue from it") from None
        if removed:
            print(f"tune-gan: removed {removed} result row(s) past the trials' recorded checkpoints")
    return storage, name, spec


def load_data(args: argparse.Namespace, spec: SweepSpec) -> tuple[np.ndarray | MappedImages, RealReference | None, int]:
    """The training images every trial shares (and how many), and, when any trial evaluates, the real test set as
    the quality metrics see it: computed (or read from the cache) once, here, for every trial."""
    data_root = resolve_data_dir(args.data_dir)
    configs = spec.trial_configs()
    first = configs[0]  # dataset, size and channels are the same for every trial: never an axis (NOT_SWEEPABLE)
    dataset = first.dataset
    progress = lambda line: print(f"tune-gan: {line}", flush=True)  # noqa: E731
    channels, size, _ = first.image_shape
    images = load_train_images(dataset, data_root, size, channels, progress)
    subset = max(config.subset for config in configs)
    if subset > len(images):
        raise SweepError(f"--subset {subset}: {dataset} has only {len(images)} training images")
    too_large = sorted(
        {config.batch_size for config in configs if config.batch_size > trial_images(config, len(images))}
    )
    if too_large:
        fewest = min(trial_images(config, len(images)) for config in configs)
        raise SweepError(
            f"batch size {' '.join(map(str, too_large))}: more than the {fewest} images a trial trains on "
            f"({dataset}{f', --subset {subset}' if subset else ''}), and an epoch trains on full batches; give "
            f"--batch-sizes of at most {fewest}"
        )
    evaluates = any(config.eval_every for config in configs)
    print(f"tune-gan: data {data_root}")
    reference = None
    if evaluates:
        extractor = feature_extractor(first, args.feature_weights)
        reference = real_reference(dataset, data_root, None, extractor, first.image_shape, progress)
    return shipped_images(images, dataset, data_root), reference, len(images)


def fit_to_cluster(spec: SweepSpec) -> tuple[SweepSpec, Placement]:
    """The spec with its GPU request resolved for the Ray cluster joined (saved in one spelling,
    gpus_per_trial), and where its trials run there. A precision the cluster's devices lack is refused here,
    before any trial starts."""
    cluster = ray.cluster_resources()
    try:
        placement = place(spec.resources, spec.num_trials, cluster, local_gpu_memory_gib())
    except PlacementError as error:
        raise SweepError(str(error)) from None
    if not placement.gpus_per_trial:
        for config in spec.trial_configs():
            why = needs_cuda(config.training_precision, "this sweep's trials get no GPU")
            if why:
                raise SweepError(why)
    resources = dataclasses.replace(spec.resources, gpus_per_trial=placement.gpus_per_trial, trials_per_gpu=0)
    return dataclasses.replace(spec, resources=resources), placement


def scoring_settings(
    args: argparse.Namespace, spec: SweepSpec, placement: Placement, images: int
) -> tuple[SweepSpec, str]:
    """The spec with the CPU scoring defaults where a new sweep takes them (tune_gan.scoring_cost), and the settings
    line on what scoring costs a trial ('' where it is cheap: the shipped classifier, a GPU, no evaluations)."""
    configs = spec.trial_configs()
    first = configs[0]  # the extractor follows the dataset, never an axis
    on_gpus = bool(placement.gpus_per_trial)
    if first.extractor != INCEPTION or on_gpus:
        return spec, ""
    preset = PRESETS[args.preset or DEFAULT_PRESET]
    chosen = {name for name in EVAL_FLAGS if getattr(args, name) is not None or name in preset or name in spec.grid}
    defaulted = not (args.resume or args.add_seeds or chosen)
    if not (defaulted or first.eval_every):
        return spec, ""  # never scored: nothing to count
    # The cheapest training among the grid's models sets how often to score: within a fifth for every trial.
    models = {(config.model, config.latent_dim, config.spectral_norm): config for config in configs}
    flop_per_image = min(training_flop_per_image(config) for config in models.values())
    if defaulted:
        epochs = min(config.epochs for config in configs)
        every = cpu_eval_every(epochs, trial_images(first, images), flop_per_image)
        spec = dataclasses.replace(
            spec, settings={**spec.settings, "eval_samples": CPU_EVAL_SAMPLES, "eval_every": every}
        )
        first = spec.trial_configs()[0]
    return spec, scoring_line(scoring_cost(first, trial_images(first, images), flop_per_image), defaulted)


def trial_images(config: TrialConfig, images: int) -> int:
    """How many of the dataset's ``images`` a trial of ``config`` trains on (its --subset, or all)."""
    return min(config.subset or images, images)


def trial_image_bytes(spec: SweepSpec, images: int) -> int:
    """The most bytes of training images any trial of ``spec`` holds: the uint8 images its subset takes."""
    configs = spec.trial_configs()
    return max(trial_images(config, images) for config in configs) * math.prod(configs[0].image_shape)


def settings_baseline(args: argparse.Namespace) -> tuple[dict, str]:
    """What the settings printed are compared with: the preset's own settings over a trial's defaults (a new sweep;
    not a spec, which a preset of the user's own images makes only with their --dataset), or a trial's defaults (a
    resumed or added sweep, whose spec does not record its preset)."""
    defaults = TrialConfig().to_dict()
    if args.resume or args.add_seeds:
        return defaults, "a trial's defaults"
    preset = args.preset or DEFAULT_PRESET
    return {name: PRESETS[preset].get(name, default) for name, default in defaults.items()}, f"the preset {preset}"


def run_sweep(args: argparse.Namespace, prog: str) -> int:
    storage, name, spec = prepare_storage(args)
    images, reference, image_count = load_data(args, spec)
    try:
        dashboard = start_ray(
            args.address, dashboard=args.dashboard, dashboard_host=args.dashboard_host, verbose=args.verbose
        )
    except ClusterUnreachable as error:
        raise SweepError(f"--address {args.address}: no Ray cluster reachable there ({error})") from None
    console = None
    try:
        spec, placement = fit_to_cluster(spec)
        spec, scoring = scoring_settings(args, spec, placement, image_count)
        slots = placement.at_once
        experiment = storage.child(name)
        image_bytes = trial_image_bytes(spec, image_count)
        settings = settings_lines(
            spec, *settings_baseline(args), experiment.uri, dashboard, placement, scoring, image_bytes
        )
        for line in settings:
            print(f"tune-gan: {line}", flush=True)
        if not args.resume:
            experiment.write_text(SPEC_FILE, spec.to_json())
        if args.add_seeds:
            record_added(args.add_seeds, name)
        on_gpus = bool(placement.gpus_per_trial)
        evaluation_s = max(expected_evaluation_s(config, on_gpus) for config in spec.trial_configs())
        console = None if args.verbose else ConsoleView(spec, slots, experiment.uri, evaluation_s)
        tuner = build_tuner(
            spec,
            images,
            reference,
            storage,
            name,
            resume=args.resume,
            callbacks=(console,) if console else (),
            verbose=args.verbose,
            prog=prog,
        )
        table = results_table(tuner.fit(), spec)
    finally:
        if console is not None:
            console.close()
        ray.shutdown()
    code = report_table(rank_by(table, args.rank_by) if args.rank_by else table, storage, name, prog)
    if args.add_seeds:
        study = StorageLocation.parse(args.add_seeds).uri
        print(f"The study with these seeds pooled: {command(prog, 'report')} {study}")
    return code


def command(prog: str, name: str) -> str:
    """The project's command ``name`` as the user runs this one: ``tune-gan NAME`` after ``tune-gan sweep``, else
    its script (``python analysis/report.py``)."""
    if prog.startswith("tune-gan"):
        return f"tune-gan {name}"
    return f"python {COMMANDS[name][0].replace('.', '/')}.py"


def report_table(table, storage: StorageLocation, name: str, prog: str = SWEEP_PROG) -> int:
    """Print the final table; exit code 1 (and how to resume, with the program as typed) when a trial did not
    finish."""
    print("\nResults, one row per trial:")
    print(format_table(table))
    print(f"Experiment: {storage.child(name).uri}")
    unfinished = table[~table["status"].isin(FINISHED)]
    if len(unfinished):
        print(
            f"{len(unfinished)} trial(s) did not finish; continue with: {command(prog, 'sweep')} --resume "
            f"--storage-path {storage.uri} --name {name}"
        )
        return 1
    return 0


def main(argv: list[str] | None = None, prog: str = SWEEP_PROG) -> int:
    args = build_parser(prog).parse_args(argv)
    torch.set_num_threads(1)  # the driver only loads data; keep its cores for the trials
    try:
        return run_sweep(args, prog)
    except (
        SweepError,
        StorageError,
        ConfigError,
        DataUnavailableError,
        ClassifierWeightsError,
        FeatureWeightsError,
    ) as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
