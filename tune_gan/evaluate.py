"""Image quality from the command line: the evaluators' accuracy, the real-data baselines, a saved generator.

    python -m tune_gan.evaluate accuracy --dataset mnist
    python -m tune_gan.evaluate real --dataset fashion_mnist
    python -m tune_gan.evaluate checkpoint PATH [--n N] [--save-samples FILE.pt]

``real`` prints what real data scores, the numbers a generator's are read against: every metric
of a seeded sample of 10,000 real training images against the reference a sweep of the same data
(``--dataset``, ``--image-size``, ``--channels``, ``--feature-extractor``, as the sweep takes them)
scores against, and the test set's Inception Score and class histogram where the dataset's own
classifier scores it. ``checkpoint`` scores a trial checkpoint's generator on the trial's own
evaluation noise, by default as many samples as the trial scored (its ``eval_samples``), so it
repeats the trial's evaluation of that epoch, when the trial evaluated it (on the CPU here; a
trial that ran on a GPU may differ in the last digits); ``--save-samples`` writes those samples
as a uint8 (N, C, H, W) tensor (``torch.save``) for other tools. A checkpoint of a study scored in
Inception's features is scored in them again (``--feature-weights`` as for the sweep). Every command takes ``--json``
for one JSON object instead. Bad input ends with a one-line error and exit code 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import torch

from trainables.checkpoint import STATE_FILE, CheckpointError, read_state
from trainables.config import CLASSIFIED_DATASETS, INCEPTION, MIN_EVAL_SAMPLES, ConfigError, TrialConfig, one_line
from trainables.data import (
    DATA_DIR_ENV,
    DataUnavailableError,
    load_labelled_images,
    load_reference_images,
    load_train_images,
    real_sample,
    real_sample_is_apart,
    resolve_data_dir,
)
from trainables.models import build_models
from trainables.quality.classifier import ClassifierWeightsError, accuracy, load_classifier
from trainables.quality.evaluator import QualityEvaluator, evaluation_noise, generate, real_reference
from trainables.quality.extractors import feature_extractor
from trainables.quality.inception import FeatureWeightsError
from tune_gan.cli_args import OneLineErrorParser, add_setting_flags, int_at_least

REAL_SAMPLE = 10_000  # real training images `real` scores against the reference, by default
DATA_SETTINGS = ("dataset", "image_size", "channels", "feature_extractor")  # the data as `real` reads it, flags each
SETTINGS = tuple(field.name for field in dataclasses.fields(TrialConfig))


class EvaluateError(Exception):
    """Bad input; printed as one line, exit code 2."""


def accuracy_command(args: argparse.Namespace) -> dict[str, Any]:
    images, labels = load_labelled_images(args.dataset, resolve_data_dir(args.data_dir), train=False)
    return {
        "dataset": args.dataset,
        "test_images": len(images),
        "accuracy": accuracy(load_classifier(args.dataset), images, labels),
    }


def real_command(args: argparse.Namespace) -> dict[str, Any]:
    """What real data scores, in the features and against the reference a sweep of the same data uses: a seeded
    sample of real training images (trainables.data.real_sample, outside a folder's reference) scored against
    it, and, where the features come with the dataset's classes, the test set's IS and class histogram."""
    given = {name: getattr(args, name) for name in DATA_SETTINGS if getattr(args, name) is not None}
    config = TrialConfig.from_dict(given)
    root = resolve_data_dir(args.data_dir)
    channels, size, _ = config.image_shape
    train_images = load_train_images(config.dataset, root, size, channels, _to_stderr)  # a bad folder first
    extractor = feature_extractor(config, args.feature_weights)
    reference = real_reference(config.dataset, root, None, extractor, config.image_shape, _to_stderr)
    evaluator = QualityEvaluator(reference)
    result: dict[str, Any] = {
        "dataset": config.dataset,
        "features": extractor.name,
        "image_shape": list(config.image_shape),
        "reference_images": len(reference.features),
    }
    if reference.has_classes:
        # The test set against itself: only the metrics that read the samples alone (not the distance to the
        # reference, which is the same images here) say something.
        test = evaluator.score(load_reference_images(config.dataset, root, size, channels, _to_stderr))
        result["test_set"] = {name: test[name] for name in ("is_score", "is_std", "class_kl", "classes_covered")}
    sample = real_sample(train_images, config.dataset, args.n)
    apart = real_sample_is_apart(config.dataset, len(train_images))
    result["real_sample"] = {"images": len(sample), "apart_from_reference": apart, **evaluator.score(sample)}
    return result


def checkpoint_command(args: argparse.Namespace) -> dict[str, Any]:
    state = _read_checkpoint(Path(args.path))
    config, generator = _trial_generator(state, args.path)
    save_to = Path(args.save_samples) if args.save_samples else None
    if save_to is not None and save_to.exists():
        raise EvaluateError(f"--save-samples {save_to}: already exists; choose a new file name")
    if save_to is not None and not save_to.parent.is_dir():
        raise EvaluateError(f"--save-samples {save_to}: directory {save_to.parent} does not exist")
    extractor = feature_extractor(config, args.feature_weights)
    reference = real_reference(
        config.dataset, resolve_data_dir(args.data_dir), None, extractor, config.image_shape, _to_stderr
    )
    evaluator = QualityEvaluator(reference)
    count = args.n or config.eval_samples
    images = generate(generator, evaluation_noise(config, count))
    if images is None:
        raise EvaluateError(f"checkpoint {args.path}: its generator's samples are not finite (a diverged run)")
    if save_to is not None:
        try:
            torch.save(images.cpu(), save_to)
        except OSError as error:
            raise EvaluateError(f"--save-samples {save_to}: cannot be written ({one_line(error)})") from None
    return {
        "checkpoint": str(args.path),
        "model": config.model,
        "dataset": config.dataset,
        "epoch": state["epoch"],
        "samples": count,
        **evaluator.score(images),
    }


def _to_stderr(line: str) -> None:
    """A progress line (a first decode, a reference scored once), kept off stdout, which holds the result alone."""
    print(f"{PROG}: {line}", file=sys.stderr)


def _read_checkpoint(path: Path) -> dict[str, Any]:
    """The state of a trial checkpoint directory (or of its state.pt), with a one-line error for anything else."""
    directory = path.parent if path.name == STATE_FILE else path
    if not (directory / STATE_FILE).is_file():
        raise EvaluateError(f"checkpoint {path}: not a tune-gan trial checkpoint (no {STATE_FILE} there)")
    try:
        state = read_state(directory)
    except CheckpointError as error:
        raise EvaluateError(f"checkpoint {path}: corrupt, cannot be read ({error})") from None
    if not isinstance(state, dict) or not {"config", "generator", "epoch"} <= state.keys():
        raise EvaluateError(f"checkpoint {path}: {STATE_FILE} is not a tune-gan training state")
    return state


def _trial_generator(state: dict[str, Any], path: str) -> tuple[TrialConfig, torch.nn.Module]:
    """The checkpoint's trial config and its generator with the saved weights; a one-line error when the state holds
    no config this code accepts or weights that do not fit the generator that config describes."""
    try:
        config = TrialConfig.from_dict(dict(state["config"]))
        generator, _ = build_models(config.model, config.latent_dim, config.spectral_norm, config.image_shape)
        generator.load_state_dict(state["generator"])
    except (TypeError, ValueError, RuntimeError, AttributeError) as error:  # ConfigError is a ValueError
        raise EvaluateError(
            f"checkpoint {path}: {STATE_FILE} holds no generator this tune-gan can rebuild ({one_line(error)[:300]})"
        ) from None
    return config, generator


PROG = "python -m tune_gan.evaluate"  # as run as a module; `tune-gan evaluate` passes its own


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    parser = OneLineErrorParser(prog=prog, description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineErrorParser)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print one JSON object")
    common.add_argument(
        "--data-dir",
        help=f"dataset root (default: ${DATA_DIR_ENV}, else ~/.cache/tune-gan/data); downloads when online",
    )
    weights = argparse.ArgumentParser(add_help=False)
    weights.add_argument(
        "--feature-weights",
        metavar="PATH",
        help=f"the {INCEPTION} weights file, for data scored in its features on a machine that cannot download it",
    )
    help_text = "the dataset's evaluator classifier's test accuracy"
    command = commands.add_parser("accuracy", parents=[common], help=help_text, description=help_text)
    command.add_argument("--dataset", choices=CLASSIFIED_DATASETS, required=True)
    help_text = (
        f"what real data scores: up to {REAL_SAMPLE:,} real training images against the reference every quality "
        "number is measured against, and the test set's IS where the dataset's classifier scores it"
    )
    command = commands.add_parser("real", parents=[common, weights], help=help_text, description=help_text)
    add_setting_flags(command, TrialConfig, exclude=tuple(name for name in SETTINGS if name not in DATA_SETTINGS))
    command.add_argument(
        "--n", type=int_at_least(MIN_EVAL_SAMPLES), default=REAL_SAMPLE, help=f"real images (default {REAL_SAMPLE:,})"
    )
    command = commands.add_parser(
        "checkpoint", parents=[common, weights], help="score a trial checkpoint's generator", description=__doc__
    )
    command.add_argument("path", help="a trial checkpoint directory (checkpoint_0000NN) or its state.pt")
    command.add_argument(
        "--n",
        type=int_at_least(MIN_EVAL_SAMPLES),
        help="samples to score (default: the trial's eval_samples, so its evaluation of that epoch is repeated)",
    )
    command.add_argument("--save-samples", metavar="FILE.pt", help="also write the samples, uint8 (N, C, H, W)")
    return parser


COMMANDS = {"accuracy": accuracy_command, "real": real_command, "checkpoint": checkpoint_command}


def main(argv: list[str] | None = None, prog: str = PROG) -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    try:
        result = COMMANDS[args.command](args)
    except (EvaluateError, ConfigError, DataUnavailableError, ClassifierWeightsError, FeatureWeightsError) as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(result) if args.json else _as_text(result))
    return 0


def _as_text(result: dict[str, Any], indent: str = "") -> str:
    lines = []
    for key, value in result.items():
        if isinstance(value, dict):
            lines += [f"{indent}{key}:", _as_text(value, indent + "  ")]
        else:
            lines.append(f"{indent}{key}: {value:.4g}" if isinstance(value, float) else f"{indent}{key}: {value}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
