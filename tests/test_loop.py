"""The training loop on its own, without Ray."""

import dataclasses
import hashlib
import math
import random
import statistics

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from tests.helpers import flip_a_bit
from trainables.checkpoint import (
    CHECKPOINT_FORMAT,
    DIGEST_FILE,
    STATE_FILE,
    CheckpointError,
    read_state,
    restore_checkpoint,
    save_sample_grid,
    write_checkpoint,
    write_state,
)
from trainables.config import TrialConfig
from trainables.data import batch_indices, epoch_batches, take_subset, to_unit_range
from trainables.loop import BATCH_STATS, GANTraining, batch_stats, bce, discriminator_loss, epoch_stats, generator_loss
from trainables.metric_keys import MACHINE_METRICS, TRAIN_METRICS
from trainables.models import build_models, logits_module
from trainables.training_precision import PrecisionError, cpu_has_bf16

SMALL = TrialConfig(epochs=3, subset=512, batch_size=64, schedule="warmup_cosine", warmup_epochs=1)


def comparable(metrics) -> dict:
    return {key: value for key, value in dataclasses.asdict(metrics).items() if key not in MACHINE_METRICS}


def snapshot(module: torch.nn.Module) -> list[torch.Tensor]:
    return [parameter.detach().clone() for parameter in module.parameters()]


def changed(before: list[torch.Tensor], module: torch.nn.Module) -> bool:
    return any(not torch.equal(old, new) for old, new in zip(before, module.parameters()))


@pytest.mark.parametrize("model", ["mlp", "dcgan"])
def test_each_step_changes_only_its_own_network(mnist_images, model):
    training = GANTraining(dataclasses.replace(SMALL, model=model), mnist_images)
    real = training.images[:64].float() / 127.5 - 1
    fake = training.generator(torch.randn(64, SMALL.latent_dim))
    g_before, d_before = snapshot(training.generator), snapshot(training.discriminator)
    training.discriminator_step(real, fake)
    assert changed(d_before, training.discriminator) and not changed(g_before, training.generator)
    assert all(parameter.grad is None for parameter in training.generator.parameters())
    assert not any(parameter.requires_grad for parameter in training.generator.parameters())

    g_before, d_before = snapshot(training.generator), snapshot(training.discriminator)
    training.generator_step(fake)
    assert changed(g_before, training.generator) and not changed(d_before, training.discriminator)
    assert not any(parameter.requires_grad for parameter in training.discriminator.parameters())


def test_epoch_metrics_are_complete_and_finite(mnist_images):
    metrics = GANTraining(SMALL, mnist_images).train_epoch()
    values = dataclasses.asdict(metrics)
    assert tuple(values) == TRAIN_METRICS
    assert all(math.isfinite(value) for value in values.values())
    assert metrics.epoch == 1 and metrics.d_loss > 0 and metrics.g_loss > 0
    assert metrics.d_loss_var > 0 and metrics.g_loss_var > 0  # 8 batches of different losses
    # Each batch's per-sample losses differ, so some of that variance is sampling noise.
    assert metrics.d_loss_var_corrected < metrics.d_loss_var and metrics.g_loss_var_corrected < metrics.g_loss_var
    assert 0 < metrics.d_real < 1 and 0 < metrics.d_fake < 1 and 0 <= metrics.d_acc <= 1
    assert metrics.lr_g_in_use == metrics.lr_d_in_use == pytest.approx(2e-4 * 0.01)  # warmup starts at the floor
    assert metrics.g_updates == 512 // 64 and metrics.images_seen == 512
    assert metrics.images_per_s == pytest.approx(512 / metrics.epoch_time_s)


def test_updates_and_images_seen_count_full_batches(mnist_images):
    """epoch_batches drops the last partial batch: 300 images at batch 64 are 4 steps of 64 an epoch."""
    config = dataclasses.replace(SMALL, subset=300)
    done = list(GANTraining(config, mnist_images).epochs())
    assert [m.g_updates for m in done] == [epoch * (300 // 64) for epoch in (1, 2, 3)]
    assert [m.images_seen for m in done] == [epoch * (300 // 64) * 64 for epoch in (1, 2, 3)]
    assert all(m.images_per_s == pytest.approx(4 * 64 / m.epoch_time_s) for m in done)


def test_fewer_images_than_a_batch_are_refused_naming_both(mnist_images):
    """Epochs of no full batch would train nothing (and used to end in torch.stack's error on an empty list)."""
    with pytest.raises(ValueError, match=r"^batch_size=64: more than the 40 training images; an epoch trains on full"):
        GANTraining(dataclasses.replace(SMALL, subset=0), mnist_images[:40])


@pytest.mark.parametrize("lr_scaling, factor", [("none", 1.0), ("sqrt", math.sqrt(1024 / 128)), ("linear", 1024 / 128)])
def test_lr_scaling_scales_the_peak_lrs_by_the_batch_size(mnist_images, lr_scaling, factor):
    config = TrialConfig(epochs=1, subset=1024, batch_size=1024, lr_scaling=lr_scaling, lr_d=1e-4)
    metrics = GANTraining(config, mnist_images).train_epoch()
    assert metrics.lr_g_in_use == pytest.approx(2e-4 * factor, rel=1e-12)
    assert metrics.lr_d_in_use == pytest.approx(1e-4 * factor, rel=1e-12)


def test_schedules_act_on_the_scaled_peak(mnist_images):
    """warmup_cosine over 5 epochs with 2 of warmup, in closed form: from the floor to the scaled peak in two
    linear steps, then half a cosine period per epoch back down to the floor."""
    config = TrialConfig(
        epochs=5, subset=256, batch_size=256, schedule="warmup_cosine", warmup_epochs=2, lr_scaling="linear"
    )
    peak = 2e-4 * 256 / 128
    floor = peak * config.lr_floor
    expected = [floor, (floor + peak) / 2, peak, (floor + peak) / 2, floor]
    done = list(GANTraining(config, mnist_images).epochs())
    assert [m.lr_g_in_use for m in done] == pytest.approx(expected, rel=1e-9)
    assert [m.lr_d_in_use for m in done] == pytest.approx(expected, rel=1e-9)


def test_batch_stats_names_each_column():
    """Three samples, their per-sample losses written out as -log: the sampling variances are the losses'
    unbiased variances / 3 (D's the sum of its real and its fake part)."""
    d_on_real, d_on_fake, d_on_fake_in_g_step = (0.9, 0.6, 0.3), (0.2, 0.5, 0.4), (0.25, 0.55, 0.45)

    def as_d_logits(probabilities: tuple[float, ...]) -> torch.Tensor:
        """The logits D outputs before its Sigmoid, which batch_stats takes, for these D(.) values."""
        return torch.logit(torch.tensor(probabilities, dtype=torch.float64)).float().unsqueeze(1)  # (B, 1)

    row = batch_stats(
        torch.tensor(1.5), torch.tensor(0.7), *map(as_d_logits, (d_on_real, d_on_fake, d_on_fake_in_g_step))
    )
    stats = dict(zip(BATCH_STATS, row.tolist()))
    real_losses = [-math.log(p) for p in d_on_real]
    fake_losses = [-math.log(1 - p) for p in d_on_fake]
    g_losses = [-math.log(p) for p in d_on_fake_in_g_step]
    assert stats["d_loss"] == 1.5 and stats["g_loss"] == pytest.approx(0.7)
    assert stats["d_real"] == pytest.approx(0.6) and stats["d_fake"] == pytest.approx(1.1 / 3)
    assert stats["d_acc"] == pytest.approx((2 / 3 + 2 / 3) / 2)  # 0.9, 0.6 > 0.5 on real; 0.2, 0.4 < 0.5 on fake
    expected_d = statistics.variance(real_losses) / 3 + statistics.variance(fake_losses) / 3
    assert stats["d_loss_sampling_var"] == pytest.approx(expected_d, rel=1e-5)
    assert stats["g_loss_sampling_var"] == pytest.approx(statistics.variance(g_losses) / 3, rel=1e-5)


def test_epoch_stats_reduces_each_column_by_name():
    columns = {
        "d_loss": [1.0, 1.2, 1.6],
        "g_loss": [0.5, 0.9, 0.7],
        "d_real": [0.6, 0.7, 0.8],
        "d_fake": [0.4, 0.3, 0.2],
        "d_acc": [0.5, 0.75, 1.0],
        "d_loss_sampling_var": [0.01, 0.02, 0.06],
        "g_loss_sampling_var": [0.001, 0.002, 0.003],
    }
    per_batch = torch.tensor([[columns[name][batch] for name in BATCH_STATS] for batch in range(3)])
    stats = epoch_stats(per_batch)
    assert set(stats) <= set(TRAIN_METRICS)
    for name in ("d_loss", "g_loss", "d_real", "d_fake", "d_acc"):
        assert stats[name] == pytest.approx(statistics.mean(columns[name]))
    for loss in ("d_loss", "g_loss"):
        assert stats[f"{loss}_var"] == pytest.approx(statistics.variance(columns[loss]))  # n - 1, unbiased
        corrected = statistics.variance(columns[loss]) - statistics.mean(columns[f"{loss}_sampling_var"])
        assert stats[f"{loss}_var_corrected"] == pytest.approx(corrected)
    one_batch = epoch_stats(per_batch[:1])  # no spread to measure between batches
    assert math.isnan(one_batch["d_loss_var"]) and math.isnan(one_batch["d_loss_var_corrected"])


def fixed_pair_logits(images: torch.Tensor, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """D's logits on every image and on as many fakes, from a seeded untrained MLP G and D in eval mode.

    Fixed networks give each sample the same output whichever batch it lands in, so many passes of
    batches can index these outputs instead of running the networks again."""
    torch.manual_seed(seed)
    generator, discriminator = build_models("mlp", SMALL.latent_dim)
    generator.eval(), discriminator.eval()
    d_logits = logits_module(discriminator)
    with torch.no_grad():
        logits_on_real = torch.cat([d_logits(to_unit_range(chunk)) for chunk in images.split(4096)])
        logits_on_fake = torch.cat(
            [d_logits(generator(torch.randn(len(chunk), SMALL.latent_dim))) for chunk in images.split(4096)]
        )
    return logits_on_real, logits_on_fake


def fixed_pair_epoch_stats(
    logits_on_real: torch.Tensor, logits_on_fake: torch.Tensor, batch_size: int, passes: int, seed: int
) -> dict[str, float]:
    """epoch_stats over ``passes`` shuffled passes of full batches, real and fake alike, with the
    networks fixed: D's logits serve both steps' losses, as the loop's would without an update."""
    order = torch.Generator().manual_seed(seed)
    rows = []
    for _ in range(passes):
        real_batches = batch_indices(len(logits_on_real), batch_size, order)
        fake_batches = batch_indices(len(logits_on_fake), batch_size, order)
        for real_rows, fake_rows in zip(real_batches, fake_batches):
            real, fake = logits_on_real[real_rows], logits_on_fake[fake_rows]
            rows.append(batch_stats(discriminator_loss(real, fake), generator_loss(fake), real, fake, fake))
    return epoch_stats(torch.stack(rows))


FIXED_PAIR_PASSES = 32


@pytest.mark.slow
def test_corrected_loss_variance_is_near_zero_for_a_fixed_pair_at_any_batch_size(mnist_images):
    """With G and D fixed, the per-batch losses vary only by which samples each batch drew.

    Raw: a batch mean of B of N samples drawn without replacement varies by sigma^2 / B x (N - B) / (N - 1),
    so batch 128's variance is 8 x 0.998 / 0.983 = 8.1 times batch 1024's. Corrected: the sampling part
    removes all of that but a bias of -raw x B / N (-1.7 % at batch 1024). Noise: a variance estimated from n
    batch means has a relative std of sqrt(2 / (n - 1)); 32 passes are 1,856 batches at 1024 (3.3 %) and
    14,976 at 128 (1.2 %). So the ratio is 8.1 +- 0.3 (both bounds at least 7 std away) and the corrected
    variance is -1.7 +- 3.3 % of the raw one (the bound, 20 %, over 5 std away), for any seed."""
    logits_on_real, logits_on_fake = fixed_pair_logits(mnist_images, seed=0)
    small, large = (
        fixed_pair_epoch_stats(logits_on_real, logits_on_fake, batch_size, FIXED_PAIR_PASSES, seed=0)
        for batch_size in (128, 1024)
    )
    for loss in ("d_loss", "g_loss"):
        assert 6 < small[f"{loss}_var"] / large[f"{loss}_var"] < 10.5
        for stats in (small, large):
            assert abs(stats[f"{loss}_var_corrected"]) < 0.2 * stats[f"{loss}_var"]


def test_same_seed_same_metrics_other_seed_different(mnist_images):
    first = [comparable(m) for m in GANTraining(SMALL, mnist_images).epochs()]
    second = [comparable(m) for m in GANTraining(SMALL, mnist_images).epochs()]
    other = [comparable(m) for m in GANTraining(dataclasses.replace(SMALL, seed=1), mnist_images).epochs()]
    assert len(first) == 3 and first == second
    assert first != other


@pytest.mark.slow
@pytest.mark.parametrize("model", ["mlp", "dcgan"])
def test_checkpoint_round_trip_continues_like_an_uninterrupted_run(mnist_images, tmp_path, model):
    config = dataclasses.replace(SMALL, model=model, subset=256)
    uninterrupted = [comparable(m) for m in GANTraining(config, mnist_images).epochs()]

    first = GANTraining(config, mnist_images)
    head = [comparable(first.train_epoch())]
    samples = tmp_path / "samples"
    samples.mkdir()
    save_sample_grid(first.sample(), samples / "epoch_0001.png")
    checkpoint = tmp_path / "checkpoint"
    checkpoint.mkdir()
    write_checkpoint(checkpoint, first, samples)
    next_draws = np.random.rand(3).tolist(), random.random()  # the unused global streams, as saved

    torch.manual_seed(12345)  # a restarted worker's RNG is anywhere; the checkpoint must restore it
    resumed = GANTraining(config, mnist_images)
    np.random.seed(6789), random.seed(6789)
    restored_samples = tmp_path / "restored_samples"
    restore_checkpoint(checkpoint, resumed, restored_samples)
    assert (np.random.rand(3).tolist(), random.random()) == next_draws
    assert resumed.epoch == 1
    assert (restored_samples / "epoch_0001.png").is_file()
    tail = [comparable(m) for m in resumed.epochs()]
    assert head + tail == uninterrupted


def test_checkpoint_from_another_config_is_refused(mnist_images, tmp_path):
    training = GANTraining(SMALL, mnist_images)
    write_checkpoint(tmp_path, training, tmp_path)
    other = GANTraining(dataclasses.replace(SMALL, seed=3), mnist_images)
    with pytest.raises(ValueError, match=r"different config: seed 0 \(this trial's: 3\)$"):
        other.load_state_dict(read_state(tmp_path))


@pytest.mark.skipif(not cpu_has_bf16(), reason="this CPU has no bf16 arithmetic (AVX512-BF16 or AMX)")
def test_a_bf16_trial_trains_records_its_precision_and_refuses_an_fp32_resume(mnist_images, tmp_path):
    """bf16 autocast trains (finite losses close to fp32's on an untrained pair, not equal), its checkpoint records
    the precision, and resuming it in another precision is refused by name."""
    bf16 = GANTraining(
        dataclasses.replace(SMALL, epochs=1, schedule="constant", training_precision="bf16"), mnist_images
    )
    fp32 = GANTraining(dataclasses.replace(SMALL, epochs=1, schedule="constant"), mnist_images)
    (in_bf16,), (in_fp32,) = bf16.epochs(), fp32.epochs()
    assert in_bf16.d_loss != in_fp32.d_loss and in_bf16.d_loss == pytest.approx(in_fp32.d_loss, rel=0.05)
    assert bf16.generator[0].weight.dtype == torch.float32  # weights (and Adam's state) stay fp32
    write_checkpoint(tmp_path, bf16, tmp_path)
    assert read_state(tmp_path)["config"]["training_precision"] == "bf16"
    with pytest.raises(ValueError, match=r"different config: training_precision 'bf16' \(this trial's: 'fp32'\)$"):
        fp32.load_state_dict(read_state(tmp_path))


def test_tf32_on_a_cpu_is_refused_in_one_line(mnist_images):
    with pytest.raises(PrecisionError) as refused:
        GANTraining(dataclasses.replace(SMALL, training_precision="tf32"), mnist_images)
    assert str(refused.value) == "training_precision tf32: TF32 is CUDA's, and this trial runs on cpu: use fp32 or bf16"


def test_checkpoint_of_another_format_is_refused_for_training_but_still_read(mnist_images, tmp_path):
    training = GANTraining(SMALL, mnist_images)
    write_checkpoint(tmp_path, training, tmp_path)
    state = torch.load(tmp_path / STATE_FILE, weights_only=True)
    assert state["format"] == CHECKPOINT_FORMAT
    del state["format"]  # as written before the format was recorded
    write_state(tmp_path, state)
    with pytest.raises(
        CheckpointError, match=f"checkpoint format 1, but this tune-gan resumes only format {CHECKPOINT_FORMAT}"
    ):
        restore_checkpoint(tmp_path, GANTraining(SMALL, mnist_images), tmp_path / "samples")
    assert torch.equal(read_state(tmp_path)["generator"]["0.weight"], training.generator.state_dict()["0.weight"])


def test_a_changed_byte_in_a_checkpoint_is_caught_by_its_digest(mnist_images, tmp_path):
    training = GANTraining(SMALL, mnist_images)
    write_checkpoint(tmp_path, training, tmp_path)
    digest = hashlib.sha256((tmp_path / STATE_FILE).read_bytes()).hexdigest()
    assert (tmp_path / DIGEST_FILE).read_text() == digest + "\n"
    flip_a_bit(tmp_path / STATE_FILE)
    flipped = torch.load(tmp_path / STATE_FILE, weights_only=True)  # torch alone loads it without a word
    assert flipped["config"] == training.state_dict()["config"]
    with pytest.raises(CheckpointError, match=f"{STATE_FILE} does not match its {DIGEST_FILE}"):
        read_state(tmp_path)
    with pytest.raises(CheckpointError, match=f"{STATE_FILE} does not match its {DIGEST_FILE}"):
        restore_checkpoint(tmp_path, GANTraining(SMALL, mnist_images), tmp_path / "samples")
    (tmp_path / DIGEST_FILE).unlink()  # as older code wrote it: still read for scoring, never resumed
    assert read_state(tmp_path)["config"] == training.state_dict()["config"]
    with pytest.raises(CheckpointError, match=f"no {DIGEST_FILE} beside {STATE_FILE}"):
        restore_checkpoint(tmp_path, GANTraining(SMALL, mnist_images), tmp_path / "samples")


def test_sample_grid_is_a_5x5_png_and_sampling_uses_no_rng(mnist_images, tmp_path):
    training = GANTraining(SMALL, mnist_images)
    state = torch.get_rng_state()
    images = training.sample()
    assert torch.equal(torch.get_rng_state(), state)
    assert images.shape == (25, 1, 28, 28) and torch.equal(images, training.sample())
    save_sample_grid(images, tmp_path / "grid.png")
    with Image.open(tmp_path / "grid.png") as grid:
        assert grid.size == (5 * 28 + 6 * 2, 5 * 28 + 6 * 2)


def straightforward_losses(config: TrialConfig, images: torch.Tensor) -> list[tuple[float, float]]:
    """Per epoch (mean D loss, mean G loss) of the assignment's recipe written the plain way: unfused
    Adam, no freezing (the other network's stray gradients are zeroed before its own step), and a
    host sync per batch. Same seed and so the same random draws, in the same order, as the loop."""
    torch.manual_seed(config.seed)
    generator, discriminator = build_models(config.model, config.latent_dim)
    betas = (config.beta1, config.beta2)
    opt_g = torch.optim.Adam(generator.parameters(), lr=config.lr_g, betas=betas, foreach=False)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=config.lr_d, betas=betas, foreach=False)
    bce, batch_order = torch.nn.BCELoss(), torch.Generator().manual_seed(config.seed)
    epochs = []
    for _epoch in range(config.epochs):
        d_losses, g_losses = [], []
        for real in epoch_batches(take_subset(images, config.subset), config.batch_size, batch_order):
            ones, zeros = torch.ones(len(real), 1), torch.zeros(len(real), 1)
            fake = generator(torch.randn(len(real), config.latent_dim))
            opt_d.zero_grad()
            d_loss = bce(discriminator(real), ones) + bce(discriminator(fake.detach()), zeros)
            d_loss.backward()
            opt_d.step()
            opt_g.zero_grad()
            g_loss = bce(discriminator(fake), ones)
            g_loss.backward()
            opt_g.step()
            d_losses.append(d_loss.item())
            g_losses.append(g_loss.item())
        epochs.append((sum(d_losses) / len(d_losses), sum(g_losses) / len(g_losses)))
    return epochs


def test_the_fast_loop_computes_the_losses_of_the_straightforward_one(mnist_images):
    """Fused Adam, frozen networks and device-side statistics change no number beyond float rounding:
    every epoch's mean losses agree to a relative 1e-6. The plain loop is Figure 1's recipe as written,
    nn.BCELoss on D's probabilities; the loop takes BCE-with-logits on D's logits, the same function, which
    differs from it by at most 2.3e-4 per sample for logits within ±8 (test below) and here, where D's logits
    stay small, by a relative 2.7e-8 (measured on a 2-core x86 VM; 1e-8 before the loop took logits)."""
    config = dataclasses.replace(SMALL, schedule="constant", epochs=2)
    fast = [loss for m in GANTraining(config, mnist_images).epochs() for loss in (m.d_loss, m.g_loss)]
    plain = [loss for epoch in straightforward_losses(config, mnist_images) for loss in epoch]
    assert fast == pytest.approx(plain, rel=1e-6)


def softplus_closed_form(x: torch.Tensor) -> torch.Tensor:
    """log(1 + e^x) in float64, written so it neither overflows nor loses small values: BCE(sigmoid(x), 0)."""
    x = x.double()
    return x.clamp_min(0) + torch.log1p(torch.exp(-x.abs()))


def test_losses_from_logits_are_bce_of_the_probabilities_and_stay_finite_where_bce_clamps():
    """BCE(sigmoid(x), 1) = log(1 + e^-x) and BCE(sigmoid(x), 0) = log(1 + e^x), which the loop's form meets to
    fp32's rounding. For logits within ±8 it equals the probability form (BCE on D's Sigmoid output) to 3e-4
    (2.3e-4 measured, at logit 7.86 with label 0, where 1 - sigmoid(x) loses digits in fp32). Beyond, sigmoid
    rounds to exactly 1 and BCE's log clamps the loss at 100; the logits form keeps the true value."""
    within = torch.linspace(-8, 8, 16_001)
    for label, closed_form in ((1.0, softplus_closed_form(-within)), (0.0, softplus_closed_form(within))):
        from_logits = bce(within, label, reduction="none")
        from_probabilities = F.binary_cross_entropy(
            torch.sigmoid(within), torch.full_like(within, label), reduction="none"
        )
        assert (from_logits.double() - closed_form).abs().max().item() < 1e-6  # (2.9e-7 measured: fp32's rounding)
        assert (from_logits - from_probabilities).abs().max().item() < 3e-4
    beyond = torch.tensor([20.0, 50.0])
    assert bce(beyond, 0.0, reduction="none").tolist() == pytest.approx([20.0, 50.0], rel=1e-6)
    assert F.binary_cross_entropy(torch.sigmoid(beyond), torch.zeros(2), reduction="none").tolist() == [100.0, 100.0]


@pytest.mark.parametrize("model", ["mlp", "dcgan"])
def test_a_trial_trains_on_rgb_images_of_its_size_and_resumes_only_at_that_size(model, tmp_path):
    """A folder's 32 px RGB images: each model takes and makes (N, 3, 32, 32), the sample grid is an RGB 5x5 of them,
    and a checkpoint does not resume a trial of another image size or of images of another shape."""
    images = torch.randint(0, 256, (256, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    config = TrialConfig(model=model, dataset="folder:/shapes", image_size=32, epochs=1, batch_size=64)
    training = GANTraining(config, images)
    (metrics,) = list(training.epochs())
    assert metrics.epoch == 1 and math.isfinite(metrics.d_loss) and math.isfinite(metrics.g_loss)
    samples = training.sample()
    assert samples.shape == (25, 3, 32, 32) and samples.abs().max() <= 1
    (tmp_path / "samples").mkdir()
    save_sample_grid(samples, tmp_path / "samples" / "grid.png")
    with Image.open(tmp_path / "samples" / "grid.png") as grid:
        assert grid.mode == "RGB" and grid.size == (5 * 32 + 6 * 2, 5 * 32 + 6 * 2)
    (tmp_path / "checkpoint").mkdir()
    write_checkpoint(tmp_path / "checkpoint", training, tmp_path / "samples")
    larger = dataclasses.replace(config, image_size=64)
    bigger_images = torch.zeros(256, 3, 64, 64, dtype=torch.uint8)
    with pytest.raises(ValueError, match="checkpoint was written by a different config: image_size 32 .*: 64"):
        restore_checkpoint(tmp_path / "checkpoint", GANTraining(larger, bigger_images), tmp_path / "restored")
    with pytest.raises(ValueError, match=r"images of shape \(1, 32, 32\) for a trial of image_shape \(3, 32, 32\)"):
        GANTraining(config, images[:, :1])
    # The shape the networks were built for is recorded: a state of another shape (as a change to how a setting
    # resolves would leave) is refused in one line, before any tensor is loaded.
    state = training.state_dict()
    assert state["image_shape"] == [3, 32, 32]
    with pytest.raises(ValueError, match=r"^checkpoint was written for 1x28x28 images, this trial's are 3x32x32: "):
        GANTraining(config, images).load_state_dict({**state, "image_shape": [1, 28, 28]})
