"""What scoring costs a CPU trial against its training, and the CPU defaults a study of your own images takes:
FLOPs against a closed form, the defaults against hand-worked cases, and which sweeps take them."""

from __future__ import annotations

import pytest

from trainables.config import TrialConfig
from trainables.quality.inception import CPU_SECONDS_PER_IMAGE
from tune_gan import sweep
from tune_gan.resources import Placement
from tune_gan.scoring_cost import (
    CPU_EVAL_SAMPLES,
    CPU_TRAINING_FLOP_PER_S,
    cpu_eval_every,
    expected_evaluation_s,
    scoring_cost,
    training_flop_per_image,
)

ON_CPUS = Placement(at_once=2, gpus_per_trial=0.0, trials_per_gpu=0, gpus=0, bound="cpus")
ON_A_GPU = Placement(at_once=2, gpus_per_trial=0.5, trials_per_gpu=2, gpus=1, bound="gpus")


def test_a_training_image_of_figure_1_costs_its_matrix_products():
    """Figure 1's MLP, in multiply-adds an image: G forward once; D forward on real and fake, its weight gradients
    and its input gradients past the first layer (real and detached fake need none there) in D's step; in G's step
    D forward on fake and its input gradients only (D is frozen), then G's weight gradients and its input gradients
    past the first layer (z needs none). Each multiply-add is 2 FLOPs; biases and activations are not counted."""
    g_layers = [(100, 256), (256, 512), (512, 1024), (1024, 784)]
    d_layers = [(784, 1024), (1024, 512), (512, 256), (256, 1)]
    g = sum(a * b for a, b in g_layers)
    d = sum(a * b for a, b in d_layers)
    d_first, g_first = 784 * 1024, 100 * 256
    macs = g + (2 * d + 2 * d + 2 * (d - d_first)) + (d + d) + (g + g - g_first)
    assert training_flop_per_image(TrialConfig()) == 2 * macs == 28_975_104


def test_scoring_waits_as_many_epochs_as_keep_it_within_a_fifth_of_training():
    # An image costing a hundredth of a second to train: an epoch of N images takes N / 100 s; 1,000 samples 226 s.
    flop = CPU_TRAINING_FLOP_PER_S / 100
    assert CPU_EVAL_SAMPLES * CPU_SECONDS_PER_IMAGE == pytest.approx(226)
    assert cpu_eval_every(50, 20_000, flop) == 6  # 226 / (0.2 × 200 s) = 5.65
    assert cpu_eval_every(50, 1_000_000, flop) == 1  # 226 / 2,000 s
    assert cpu_eval_every(25, 300, flop) == 25  # 377 epochs: only the last is scored


def test_a_trials_cost_counts_its_evaluations_and_epochs():
    config = TrialConfig(dataset="folder:/art", epochs=12, eval_every=5, eval_samples=1000)
    cost = scoring_cost(config, 20_000, CPU_TRAINING_FLOP_PER_S / 100)
    assert cost.evaluations == 3  # epochs 5, 10 and the last
    assert cost.scoring_s == pytest.approx(3 * 226) and cost.training_s == pytest.approx(12 * 200)
    assert cost.share == pytest.approx(678 / 2400)


ONE_CONFIG = ["--batch-sizes", "128", "--schedules", "constant", "--seeds", "0"]


def scoring(argv: list[str], placement: Placement = ON_CPUS, images: int = 10_000):
    args = sweep.build_parser().parse_args([*argv, *ONE_CONFIG])
    return sweep.scoring_settings(args, sweep.spec_from_args(args), placement, images)


def test_a_cpu_sweep_of_your_own_images_scores_1000_samples_as_often_as_a_fifth_of_training_allows():
    """Figure 1's MLP at 64 px RGB on 10,000 images: an epoch of 10,000 × its FLOPs at 82.7 GFLOP/s."""
    spec, line = scoring(["--dataset", "folder:/art", "--model", "mlp", "--epochs", "60"])
    config = spec.trial_configs()[0]
    flop = training_flop_per_image(config)
    expected = cpu_eval_every(60, 10_000, flop)
    assert (config.eval_samples, config.eval_every) == (CPU_EVAL_SAMPLES, expected)
    epoch_s = 10_000 * flop / CPU_TRAINING_FLOP_PER_S
    assert (expected - 1) * 0.2 * epoch_s < 226 <= expected * 0.2 * epoch_s
    evaluations = -(-60 // expected)  # every `expected` epochs and at the 60th
    assert line.startswith(f"scoring: 1,000 samples in inception-v3-compat's features at {evaluations} evaluation(s)")
    assert line.endswith(
        "the CPU defaults for your own images, 1,000 samples as often as keeps scoring near 20% of training; "
        "--eval-samples and --eval-every choose otherwise"
    )


@pytest.mark.parametrize(
    "argv, placement",
    [
        (["--dataset", "folder:/art", "--eval-samples", "5000"], ON_CPUS),  # the user's choice
        (["--dataset", "folder:/art", "--sweep", "eval_every=2,4"], ON_CPUS),
        (["--preset", "art_latent", "--dataset", "folder:/art"], ON_CPUS),  # the preset's: 2,000 every 5
        (["--dataset", "folder:/art"], ON_A_GPU),
    ],
)
def test_a_choice_of_the_users_or_the_presets_or_a_gpu_keeps_the_evaluation_settings(argv, placement):
    args = sweep.build_parser().parse_args([*argv, *ONE_CONFIG])
    given = sweep.spec_from_args(args)
    spec, _ = sweep.scoring_settings(args, given, placement, 10_000)
    assert spec == given


def test_the_shipped_classifier_is_cheap_and_gets_no_scoring_line():
    args = sweep.build_parser().parse_args(["--preset", "smoke"])
    given = sweep.spec_from_args(args)
    assert sweep.scoring_settings(args, given, ON_CPUS, 60_000) == (given, "")


def test_an_evaluation_is_expected_to_take_its_samples_at_inceptions_cpu_rate_only_on_cpus():
    """For the time left before the first evaluation is measured: 2,000 samples at the measured 0.226 s each."""
    folder = TrialConfig(dataset="folder:/art", eval_samples=2000)
    assert expected_evaluation_s(folder, on_gpus=False) == pytest.approx(2000 * CPU_SECONDS_PER_IMAGE)
    assert expected_evaluation_s(folder, on_gpus=True) == 0.0
    assert expected_evaluation_s(TrialConfig(eval_samples=2000), on_gpus=False) == 0.0  # MNIST's classifier
    assert expected_evaluation_s(TrialConfig(dataset="folder:/art", eval_every=0), on_gpus=False) == 0.0
