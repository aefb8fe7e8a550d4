import math
import re

import pytest

from trainables.config import ConfigError, TrialConfig


def test_round_trip_through_tune_params():
    config = TrialConfig(
        model="dcgan", spectral_norm=True, latent_dim=256, batch_size=512, schedule="step", lr_scaling="sqrt"
    )
    assert TrialConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize(
    "lr_scaling, batch_size, scale",
    [
        ("none", 1024, 1.0),
        ("linear", 1024, 1024 / 128),
        ("linear", 64, 64 / 128),
        ("sqrt", 1024, math.sqrt(1024 / 128)),
        ("sqrt", 128, 1.0),
    ],
)
def test_lr_scaling_scales_both_peak_lrs(lr_scaling, batch_size, scale):
    config = TrialConfig(lr_scaling=lr_scaling, batch_size=batch_size, lr_g=1e-4, lr_d=3e-4)
    assert config.lr_scale == pytest.approx(scale, rel=1e-15)
    assert config.peak_lr_g == pytest.approx(1e-4 * scale, rel=1e-15)
    assert config.peak_lr_d == pytest.approx(3e-4 * scale, rel=1e-15)


def test_ints_are_accepted_for_floats():
    config = TrialConfig(beta1=0)
    assert config.beta1 == 0.0 and isinstance(config.beta1, float)


def test_a_trial_saved_before_a_setting_was_renamed_reads_under_its_name():
    """Tune's params, a checkpoint's config and results written when the schedule was named scheduler."""
    saved = {**TrialConfig(schedule="step").to_dict()}
    saved["scheduler"] = saved.pop("schedule")
    assert TrialConfig.from_dict(saved) == TrialConfig(schedule="step")


def test_unknown_keys_are_named():
    with pytest.raises(ConfigError, match="unknown config key.*batchsize"):
        TrialConfig.from_dict({"batchsize": 128})


@pytest.mark.parametrize(
    "params, message",
    [
        ({"batch_size": 0}, "batch_size=0: must be an integer >= 1"),
        ({"eval_samples": 10}, "eval_samples=10: must be an integer >= 100"),
        ({"divergence_patience": -1}, "divergence_patience=-1: must be an integer >= 0"),
        ({"spectral_norm": 1}, "spectral_norm=1: must be of type bool"),
        ({"batch_size": 12.5}, "batch_size=12.5: must be of type int"),
        ({"epochs": -1}, "epochs=-1"),
        ({"schedule": "cosine"}, "schedule='cosine': allowed are constant, step, warmup_cosine"),
        ({"model": "resnet"}, "model='resnet': allowed are mlp, dcgan"),
        ({"dataset": "cifar100"}, "dataset='cifar100': allowed are mnist, fashion_mnist, cifar10 or folder:PATH"),
        ({"lr_g": 0.0}, "lr_g=0.0: must be in"),
        ({"lr_scaling": "cubic"}, "lr_scaling='cubic': allowed are none, sqrt, linear"),
        (
            {"lr_g": 0.2, "lr_scaling": "linear", "batch_size": 1024},
            "lr_g=0.2 with lr_scaling='linear' at batch_size=1024: the scaled LR 1.6 must be in (0, 1)",
        ),
        ({"lr_d": 0.5, "lr_scaling": "sqrt", "batch_size": 512}, "lr_d=0.5 with lr_scaling='sqrt' at batch_size=512"),
        ({"beta2": 1.0}, "beta2=1.0"),
        ({"subset": 10, "batch_size": 128}, "subset=10: must be at least batch_size=128"),
        ({"spectral_norm": True}, "only allowed with model='dcgan'"),
        ({"schedule": "warmup_cosine", "epochs": 5, "warmup_epochs": 4}, "warmup_epochs=4"),
        ({"step_gamma": 0.0}, "step_gamma=0.0"),
        ({"lr_floor": 0.0}, "lr_floor=0.0"),
        ({"seed": -3}, "seed=-3"),
    ],
)
def test_bad_values_raise_naming_the_value(params, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        TrialConfig.from_dict(params)


def test_config_is_frozen():
    with pytest.raises(AttributeError):
        TrialConfig().epochs = 3  # type: ignore[misc]
