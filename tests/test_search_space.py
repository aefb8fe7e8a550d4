"""Presets, flags and resources -> the sweep's spec, without starting Ray."""

import dataclasses
import json

import pytest

from trainables.config import ConfigError
from tune_gan import sweep
from tune_gan.search_space import Resources, SweepSpec


def spec_for(*argv: str) -> SweepSpec:
    return sweep.spec_from_args(sweep.build_parser().parse_args(list(argv)))


def test_flags_override_the_preset():
    spec = spec_for("--preset", "smoke", "--batch-sizes", "64", "512", "--epochs", "7", "--lr-d", "1e-4")
    assert spec.batch_sizes == (64, 512) and spec.schedulers == ("constant", "warmup_cosine")
    assert spec.base.epochs == 7 and spec.base.lr_d == 1e-4 and spec.base.subset == 8192
    assert spec.resources == Resources()  # gpus_per_trial None: auto


def test_no_preset_is_the_assignment():
    spec = spec_for()
    assert spec.batch_sizes == (128, 256, 512, 1024)
    assert spec.schedulers == ("constant", "step", "warmup_cosine")
    assert spec.lr_scalings == ("none",)
    assert spec.seeds == (0, 1, 2)  # enough for a 95 % interval over seeds
    assert spec.num_trials == 36 and spec.base.epochs == 50 and spec.base.subset == 0
    assert {(c.batch_size, c.scheduler, c.seed) for c in spec.trial_configs()} == {
        (b, s, seed) for b in spec.batch_sizes for s in spec.schedulers for seed in spec.seeds
    }


def test_param_space_is_a_grid_over_the_four_axes():
    space = spec_for("--preset", "smoke", "--seeds", "0", "1", "--lr-scalings", "none", "sqrt").param_space()
    assert space["batch_size"] == {"grid_search": [128, 256]}
    assert space["scheduler"] == {"grid_search": ["constant", "warmup_cosine"]}
    assert space["lr_scaling"] == {"grid_search": ["none", "sqrt"]}
    assert space["seed"] == {"grid_search": [0, 1]}
    assert space["epochs"] == 2 and space["model"] == "mlp"


def test_lr_scalings_multiply_the_grid():
    spec = spec_for("--lr-scalings", "none", "linear")
    assert spec.num_trials == 2 * 36  # the assignment grid, 36 trials, once per scaling
    assert {(c.batch_size, c.scheduler, c.lr_scaling) for c in spec.trial_configs()} == {
        (b, s, scaling) for b in spec.batch_sizes for s in spec.schedulers for scaling in ("none", "linear")
    }


def test_spec_survives_its_json():
    flags = "--preset dcgan --latent-dim 256 --cpus-per-trial 2 --gpus-per-trial 0.5 --lr-scalings sqrt linear"
    spec = spec_for(*flags.split())
    assert SweepSpec.from_json(spec.to_json()) == spec


def test_a_spec_saved_before_lr_scaling_still_loads():
    spec = spec_for("--preset", "smoke")
    saved = json.loads(spec.to_json())
    del saved["lr_scalings"], saved["base"]["lr_scaling"]
    assert SweepSpec.from_json(json.dumps(saved)) == spec


def test_every_grid_point_is_validated():
    # warmup_epochs=1 is fine for 'step', not for warmup_cosine with 2 epochs
    with pytest.raises(ConfigError, match="warmup_epochs=1"):
        spec_for("--preset", "smoke", "--schedulers", "step", "warmup_cosine", "--warmup-epochs", "1")
    # lr_g 0.2 is fine unscaled and at batch 128, not scaled linearly at batch 1024
    with pytest.raises(ConfigError, match="lr_g=0.2 with lr_scaling='linear' at batch_size=1024"):
        spec_for("--batch-sizes", "128", "1024", "--lr-scalings", "none", "linear", "--lr-g", "0.2")


@pytest.mark.parametrize(
    "cluster, resources, expected",
    [
        ({"CPU": 2.0}, Resources(), 0.0),
        ({"CPU": 16.0, "GPU": 1.0}, Resources(), 0.0625),  # 16 CPUs run 16 of the 36 trials at once on one GPU
        ({"CPU": 16.0, "GPU": 1.0}, Resources(max_concurrent=4), 0.25),
        ({"CPU": 8.0, "GPU": 1.0}, Resources(cpus_per_trial=2), 0.25),  # 4 trials fit the CPUs at once
        ({"CPU": 64.0, "GPU": 64.0}, Resources(), 1.0),  # never more than one GPU a trial
        ({"CPU": 16.0, "GPU": 1.0}, Resources(gpus_per_trial=0.5), 0.5),
    ],
)
def test_gpus_per_trial(cluster, resources, expected):
    spec = dataclasses.replace(spec_for(), resources=resources)
    assert sweep.gpus_per_trial(spec, cluster) == expected


def test_gpu_shares_never_add_up_to_more_than_the_gpus():
    assert sweep.gpu_share(1.0, 3) == 0.3333 and sweep.gpu_share(0.0, 4) == 0.0 and sweep.gpu_share(2.0, 1) == 1.0


def test_more_gpus_than_the_cluster_has():
    spec = dataclasses.replace(spec_for(), resources=Resources(gpus_per_trial=2.0))
    with pytest.raises(sweep.SweepError, match="--gpus-per-trial 2.0: the Ray cluster has 1 GPUs"):
        sweep.gpus_per_trial(spec, {"CPU": 4.0, "GPU": 1.0})
