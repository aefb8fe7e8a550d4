import dataclasses
import math

import pytest
import torch

from trainables.config import TrialConfig
from trainables.divergence import divergence_reason
from trainables.loop import GANTraining
from trainables.metric_keys import EpochMetrics

HEALTHY = EpochMetrics(
    epoch=1,
    d_loss=1.2,
    g_loss=0.9,
    d_loss_var=0.01,
    g_loss_var=0.01,
    d_loss_var_corrected=0.005,
    g_loss_var_corrected=0.005,
    d_real=0.6,
    d_fake=0.4,
    d_acc=0.7,
    lr_g_in_use=2e-4,
    lr_d_in_use=2e-4,
    g_updates=468,
    images_seen=468 * 128,
    epoch_time_s=1.0,
    images_per_s=100.0,
    peak_rss_mib=500.0,
)


def epochs(count: int, **changes) -> list[EpochMetrics]:
    return [dataclasses.replace(HEALTHY, epoch=epoch, **changes) for epoch in range(1, count + 1)]


def test_healthy_runs_go_on():
    assert divergence_reason(epochs(10), patience=3) is None
    assert divergence_reason([], patience=3) is None


@pytest.mark.parametrize("name", ["d_loss", "g_loss", "d_real"])
@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_a_non_finite_value_stops_at_once(name, value):
    reason = divergence_reason(epochs(1, **{name: value}), patience=3)
    assert reason == f"non-finite {name} ({value}) at epoch 1"
    assert divergence_reason(epochs(1, d_loss=math.nan), patience=0) is not None  # even with the rules off


def test_collapse_needs_patience_epochs_in_a_row():
    collapsed = dict(d_loss=0.001, d_acc=1.0, d_real=0.999, d_fake=0.001)
    assert divergence_reason(epochs(2, **collapsed), patience=3) is None
    assert divergence_reason(epochs(3, **collapsed), patience=3).startswith("discriminator collapse")
    interrupted = epochs(2, **collapsed) + epochs(1) + epochs(2, **collapsed)
    assert divergence_reason(interrupted, patience=3) is None
    assert divergence_reason(epochs(5, **collapsed), patience=0) is None  # 0 turns the rules off


def test_saturation_either_way():
    assert "both > 0.99" in divergence_reason(epochs(3, d_real=1.0, d_fake=1.0, d_loss=100.0), patience=3)
    assert "both < 0.01" in divergence_reason(epochs(3, d_real=0.0, d_fake=0.0, d_loss=100.0), patience=3)


def test_an_absurd_learning_rate_stops_the_loop_early(mnist_images):
    training = GANTraining(TrialConfig(epochs=10, subset=512, batch_size=64, lr_g=0.5, lr_d=0.5), mnist_images)
    done = [metrics.epoch for metrics in training.epochs()]
    # Losses from logits do not clamp, so D's loss first explodes (about 1e8, 2e6, 3e4 in epochs 1-3) and then
    # D separates perfectly from epoch 4 on: a collapse, judged after 3 epochs of it. (With BCE on probabilities
    # the same run pinned at BCE's clamp of 100 and was called saturated at epoch 4.)
    assert done == [1, 2, 3, 4, 5, 6]
    assert training.diverged.startswith("discriminator collapse")


def test_nan_weights_end_the_epoch_as_non_finite(mnist_images):
    training = GANTraining(TrialConfig(epochs=3, subset=256, batch_size=64), mnist_images)
    with torch.no_grad():
        training.discriminator[1].weight.fill_(math.nan)
    done = list(training.epochs())
    assert len(done) == 1 and math.isnan(done[0].d_loss)
    assert training.diverged == "non-finite d_loss (nan) at epoch 1"


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_a_non_finite_d_output_ends_the_trial_as_diverged(mnist_images, value):
    """A NaN or Inf out of D (the logits the losses take) flows into the epoch's statistics and is judged
    there, the same on every device: no loss function refuses it (CUDA's BCE on probabilities would assert)."""
    training = GANTraining(TrialConfig(epochs=3, subset=256, batch_size=64), mnist_images)
    training.discriminator_logits.register_forward_hook(lambda module, inputs, output: output * 0 + value)
    done = list(training.epochs())
    assert len(done) == 1 and not math.isfinite(done[0].d_loss)
    assert training.diverged.startswith("non-finite d_loss") and training.diverged.endswith("at epoch 1")


def test_divergence_state_survives_a_checkpoint(mnist_images):
    config = TrialConfig(epochs=10, subset=512, batch_size=64, lr_g=0.5, lr_d=0.5)
    first = GANTraining(config, mnist_images)
    for _ in range(5):  # D collapses from epoch 4 on (see above): epochs 4 and 5 of the 3-epoch window
        first.train_epoch()
    resumed = GANTraining(config, mnist_images)
    resumed.load_state_dict(first.state_dict())
    assert resumed.recent == first.recent and resumed.diverged is None
    assert [m.epoch for m in resumed.epochs()] == [6]  # the 3-epoch window continues across the restore
