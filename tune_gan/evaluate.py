"""Image quality from the command line: the evaluators' accuracy, the real-data baselines, a saved generator.

    python -m tune_gan.evaluate accuracy --dataset mnist
    python -m tune_gan.evaluate real --dataset fashion_mnist
    python -m tune_gan.evaluate checkpoint PATH [--n N] [--save-samples FILE.pt]

``real`` prints what real data scores: the test set's Inception Score and class histogram, and
every metric of the first 10,000 training images against the test set, the numbers a generator's
are read against. ``checkpoint`` scores a trial checkpoint's generator on the trial's own
evaluation noise, by default as many samples as the trial scored (its ``eval_samples``), so it
repeats the trial's evaluation of that epoch, when the trial evaluated it (on the CPU here; a
trial that ran on a GPU may differ in the last digits); ``--save-samples`` writes those samples
as a uint8 (N, C, H, W) tensor (``torch.save``) for other tools. A checkpoint of a study scored in
Inception's features is scored in them again (``--feature-weights`` as for the sweep). Every command takes ``--json``
for one JSON object instead. Bad input ends with a one-line error and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import torch

from trainables.checkpoint import STATE_FILE, CheckpointError, read_state
from trainables.config import CLASSIFIED_DATASETS, INCEPTION, MIN_EVAL_SAMPLES, ConfigError, TrialConfig, one_line
from trainables.data import DATA_DIR_ENV, DataUnavailableError, load_labelled_images, resolve_data_dir
from trainables.models import build_models
from trainables.quality.classifier import ClassifierWeightsError, accuracy, load_classifier
from trainables.quality.evaluator import QualityEvaluator, evaluation_noise, generate, real_reference
from trainables.quality.extractors import feature_extractor
from trainables.quality.inception import FeatureWeightsError
from tune_gan.cli_args import OneLineErrorParser, int_at_least

REAL_TRAIN_SAMPLES = 10_000  # real training images scored against the test set by `real`


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
    root = resolve_data_dir(args.data_dir)
    evaluator = QualityEvaluator(real_reference(args.dataset, root))
    test_images, _ = load_labelled_images(args.dataset, root, train=False)
    train_images, _ = load_labelled_images(args.dataset, root, train=True)
    test = evaluator.score(test_images)
    # The test set against itself: only the metrics that read the samples alone (not the distance to the
    # reference, which is the same images here) say something.
    return {
        "dataset": args.dataset,
        "test_set": {name: test[name] for name in ("is_score", "is_std", "class_kl", "classes_covered")},
        f"train_{REAL_TRAIN_SAMPLES}_vs_test": evaluator.score(train_images[:REAL_TRAIN_SAMPLES]),
    }


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
    for name, help_text in (
        ("accuracy", "the dataset's evaluator classifier's test accuracy"),
        ("real", "what real data scores: test-set IS, and 10,000 training images against the test set"),
    ):
        command = commands.add_parser(name, parents=[common], help=help_text, description=help_text)
        command.add_argument("--dataset", choices=CLASSIFIED_DATASETS, required=True)
    command = commands.add_parser(
        "checkpoint", parents=[common], help="score a trial checkpoint's generator", description=__doc__
    )
    command.add_argument("path", help="a trial checkpoint directory (checkpoint_0000NN) or its state.pt")
    command.add_argument(
        "--n",
        type=int_at_least(MIN_EVAL_SAMPLES),
        help="samples to score (default: the trial's eval_samples, so its evaluation of that epoch is repeated)",
    )
    command.add_argument("--save-samples", metavar="FILE.pt", help="also write the samples, uint8 (N, C, H, W)")
    command.add_argument(
        "--feature-weights",
        metavar="PATH",
        help=f"the {INCEPTION} weights file, for a study scored in its features on a machine that cannot download it",
    )
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
