"""Presets, flags and resources -> the sweep's spec, without starting Ray."""

import dataclasses
import json
import re

import pandas as pd
import pytest
from ray.tune.search.variant_generator import generate_variants

from trainables.config import INCEPTION, ConfigError, TrialConfig, setting
from tune_gan import sweep
from tune_gan.cli_args import OneLineErrorParser, add_setting_flags
from tune_gan.console import settings_lines
from tune_gan.resources import place
from tune_gan.results_table import COLUMNS
from tune_gan.search_space import GRID_AXES, PRESETS, SPEC_FILE, STUDY_AXES, Resources, SweepSpec, check_presets
from tune_gan.storage import StorageLocation
from tune_gan.tuner import param_space


def spec_for(*argv: str) -> SweepSpec:
    return sweep.spec_from_args(sweep.build_parser().parse_args(list(argv)))


def test_flags_override_the_preset():
    spec = spec_for("--preset", "smoke", "--batch-sizes", "64", "512", "--epochs", "7", "--lr-d", "1e-4")
    assert spec.grid["batch_size"] == (64, 512) and spec.grid["schedule"] == ("constant", "warmup_cosine")
    assert spec.settings["epochs"] == 7 and spec.settings["lr_d"] == 1e-4 and spec.settings["subset"] == 8192
    assert spec.resources == Resources()  # gpus_per_trial None: auto


def test_no_preset_is_the_assignment():
    spec = spec_for()
    assert spec.grid == {
        "batch_size": (128, 256, 512, 1024),
        "schedule": ("constant", "step", "warmup_cosine"),
        "lr_scaling": ("none",),  # the field's default: no preset names this axis
        "seed": (0, 1, 2),  # enough for a 95 % interval over seeds
    }
    assert spec.num_trials == 36 and spec.settings["epochs"] == 50 and spec.settings["subset"] == 0
    assert {(c.batch_size, c.schedule, c.seed) for c in spec.trial_configs()} == {
        (b, s, seed) for b in spec.grid["batch_size"] for s in spec.grid["schedule"] for seed in spec.grid["seed"]
    }


def test_no_placeholder_values_are_saved_for_the_axes():
    saved = json.loads(spec_for("--preset", "smoke").to_json())
    assert set(saved) == {"settings", "grid", "resources", "linked"} and saved["linked"] == []
    assert not set(saved["settings"]) & set(saved["grid"])
    assert set(saved["settings"]) | set(saved["grid"]) == {field.name for field in dataclasses.fields(TrialConfig)}


def test_param_space_is_a_grid_over_the_axes():
    space = param_space(spec_for("--preset", "smoke", "--seeds", "0", "1", "--lr-scalings", "none", "sqrt"))
    assert space["batch_size"] == {"grid_search": [128, 256]}
    assert space["schedule"] == {"grid_search": ["constant", "warmup_cosine"]}
    assert space["lr_scaling"] == {"grid_search": ["none", "sqrt"]}
    assert space["seed"] == {"grid_search": [0, 1]}
    assert space["epochs"] == 2 and space["model"] == "mlp"


def test_lr_scalings_multiply_the_grid():
    spec = spec_for("--lr-scalings", "none", "linear")
    assert spec.num_trials == 2 * 36  # the assignment grid, 36 trials, once per scaling
    assert {(c.batch_size, c.schedule, c.lr_scaling) for c in spec.trial_configs()} == {
        (b, s, scaling)
        for b in spec.grid["batch_size"]
        for s in spec.grid["schedule"]
        for scaling in ("none", "linear")
    }


def test_any_trial_setting_can_be_an_axis():
    spec = spec_for("--preset", "dcgan", "--sweep", "latent_dim=128,256", "--sweep", "lr_d=1e-4,2e-4")
    assert spec.axes == ("batch_size", "schedule", "lr_scaling", "seed", "latent_dim", "lr_d")
    assert spec.grid["latent_dim"] == (128, 256) and spec.grid["lr_d"] == (1e-4, 2e-4)
    assert "latent_dim" not in spec.settings and "lr_d" not in spec.settings
    assert spec.num_trials == 2 * 2 * 2 * 2
    configs = spec.trial_configs()
    assert {(c.latent_dim, c.lr_d) for c in configs} == {(128, 1e-4), (128, 2e-4), (256, 1e-4), (256, 2e-4)}
    assert all(c.model == "dcgan" and c.spectral_norm for c in configs)  # the preset's settings stay
    assert param_space(spec)["latent_dim"] == {"grid_search": [128, 256]}
    assert SweepSpec.from_json(spec.to_json()) == spec


def test_a_boolean_setting_can_be_an_axis():
    spec = spec_for("--preset", "dcgan", "--sweep", "spectral_norm=true,false")
    assert spec.grid["spectral_norm"] == (True, False)
    assert [c.spectral_norm for c in spec.trial_configs()][::4] == [True, False]  # the last axis varies slowest


def test_spec_survives_its_json():
    flags = "--preset dcgan --latent-dim 256 --cpus-per-trial 2 --gpus-per-trial 0.5 --lr-scalings sqrt linear"
    spec = spec_for(*flags.split())
    assert SweepSpec.from_json(spec.to_json()) == spec


def test_a_spec_saved_before_sweep_axes_still_loads():
    """The format before --sweep: a full base config with placeholder axis values, a list per study axis, and
    (before lr_scaling was an axis) no lr_scalings."""
    spec = spec_for("--preset", "smoke", "--seeds", "0", "1")
    base = dataclasses.replace(spec.trial_configs()[0], seed=0).to_dict()
    del base["lr_scaling"]
    base["scheduler"] = base.pop("schedule")  # the setting's name then
    saved = {
        "base": base,
        "batch_sizes": [128, 256],
        "schedulers": ["constant", "warmup_cosine"],
        "seeds": [0, 1],
        "resources": dataclasses.asdict(spec.resources),
    }
    assert SweepSpec.from_json(json.dumps(saved)) == spec


def test_the_schedule_named_scheduler_before_its_rename_still_works(capsys):
    """`--schedulers` (hidden from --help), `--sweep scheduler=...` and a spec saved with a `scheduler` axis."""
    assert spec_for("--schedulers", "step", "constant") == spec_for("--schedules", "step", "constant")
    with pytest.raises(SystemExit):
        sweep.build_parser().parse_args(["--help"])
    shown = capsys.readouterr().out
    assert "--schedules" in shown and "--schedulers" not in shown
    with pytest.raises(SystemExit):
        spec_for("--sweep", "scheduler=step")
    assert "'schedule' is a study axis: give it as --schedules" in capsys.readouterr().err
    saved = json.loads(spec_for("--preset", "smoke").to_json())
    saved["grid"] = {("scheduler" if axis == "schedule" else axis): values for axis, values in saved["grid"].items()}
    assert SweepSpec.from_json(json.dumps(saved)) == spec_for("--preset", "smoke")


def test_every_grid_point_is_validated():
    # warmup_epochs=1 is fine for 'step', not for warmup_cosine with 2 epochs
    with pytest.raises(ConfigError, match="warmup_epochs=1"):
        spec_for("--preset", "smoke", "--schedules", "step", "warmup_cosine", "--warmup-epochs", "1")
    # lr_g 0.2 is fine unscaled and at batch 128, not scaled linearly at batch 1024
    with pytest.raises(ConfigError, match="lr_g=0.2 with lr_scaling='linear' at batch_size=1024"):
        spec_for("--batch-sizes", "128", "1024", "--lr-scalings", "none", "linear", "--lr-g", "0.2")
    # a --sweep axis too
    with pytest.raises(ConfigError, match="spectral_norm=True: only allowed with model='dcgan'"):
        spec_for("--sweep", "spectral_norm=false,true")


def test_every_trial_setting_has_a_flag_with_its_default_in_the_help(capsys):
    with pytest.raises(SystemExit):
        sweep.build_parser().parse_args(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    for field in dataclasses.fields(TrialConfig):
        if field.name in GRID_AXES:
            continue
        flag = f"--{field.name.replace('_', '-')}"
        assert flag in text
        after = text.split(flag, 2)[-1]  # the flag's help follows its second mention (the first is the usage line)
        assert re.search(r"\(default ([^)]*)\)", after).group(1) == str(field.default), field.name
    for axis in STUDY_AXES:
        assert f"--{axis.flag.replace('_', '-')}" in text


def test_a_new_setting_is_one_dataclass_field():
    """The flags come from the dataclass: a field added with setting() is a flag with its type, bound and default."""

    @dataclasses.dataclass(frozen=True)
    class WithANewSetting:
        gp_weight: float = setting(10.0, "gradient penalty's weight")
        critic_steps: int = setting(1, "D steps per G step", at_least=1)
        loss: str = setting("bce", "the GAN loss", choices=("bce", "hinge"))

    parser = OneLineErrorParser(prog="t")
    add_setting_flags(parser, WithANewSetting)
    args = parser.parse_args(["--gp-weight", "5", "--critic-steps", "3", "--loss", "hinge"])
    assert (args.gp_weight, args.critic_steps, args.loss) == (5.0, 3, "hinge")
    assert parser.parse_args([]).gp_weight is None  # not given: the preset's or the field's default applies
    assert "the GAN loss (default bce)" in " ".join(parser.format_help().split())


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--sweep", "latent_dim=128,abc"], "'abc' is not an integer >= 1"),
        (["--sweep", "latentdim=1,2"], "'latentdim' is not a trial setting"),
        (["--sweep", "batch_size=128,256"], "'batch_size' is a study axis: give it as --batch-sizes"),
        (["--sweep", "dataset=mnist,fashion_mnist"], "'dataset' is one per sweep"),
        (["--sweep", "model=mlp,resnet"], "'resnet' is not one of mlp, dcgan"),
        (["--sweep", "latent_dim="], "give values after '='"),
        (["--sweep", "spectral_norm=yes"], "'yes' is not true or false"),
    ],
)
def test_bad_sweep_axes_are_named(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        sweep.build_parser().parse_args(argv)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--sweep", "latent_dim=128,256", "--latent-dim", "64"], "--sweep latent_dim and --latent-dim"),
        (["--sweep", "latent_dim=128,256", "--sweep", "latent_dim=64"], "--sweep latent_dim: given twice"),
    ],
)
def test_a_setting_given_two_ways_is_refused(argv, message):
    with pytest.raises(sweep.SweepError, match=message):
        spec_for(*argv)


def test_axis_values_must_be_distinct():
    with pytest.raises(ConfigError, match=re.escape("latent_dim=[128, 128]: values must be distinct")):
        spec_for("--sweep", "latent_dim=128,128")


MLP_VS_DCGAN = "model+spectral_norm=mlp+false,dcgan+true"


def test_a_linked_axis_sets_several_settings_at_once():
    """Its points, not the product of its settings' values (which would hold mlp with spectral norm, refused)."""
    spec = spec_for("--preset", "smoke", "--sweep", MLP_VS_DCGAN, "--sweep", "latent_dim=64,128")
    assert spec.axes == ("batch_size", "schedule", "lr_scaling", "seed", "model", "spectral_norm", "latent_dim")
    assert spec.grid["model"] == ("mlp", "dcgan") and spec.grid["spectral_norm"] == (False, True)
    assert spec.linked == (("model", "spectral_norm"),)
    assert not {"model", "spectral_norm", "latent_dim"} & set(spec.settings)
    expected = {
        (batch, schedule, model, norm, latent)
        for batch in (128, 256)
        for schedule in ("constant", "warmup_cosine")
        for model, norm in (("mlp", False), ("dcgan", True))
        for latent in (64, 128)
    }
    configs = [(c.batch_size, c.schedule, c.model, c.spectral_norm, c.latent_dim) for c in spec.trial_configs()]
    assert spec.num_trials == len(configs) == 16 and set(configs) == expected
    assert spec.axes_by_name()["model+spectral_norm"] == ("mlp+False", "dcgan+True")


def test_tune_gives_each_setting_of_a_linked_axis_as_a_plain_key():
    """Tune's own expansion of the param space (no Ray started): every trial's config holds model and spectral_norm
    as plain keys, one variant per grid point, the same points as the spec's."""
    spec = spec_for("--preset", "smoke", "--seeds", "0", "1", "--sweep", MLP_VS_DCGAN)
    variants = [config for _, config in generate_variants(param_space(spec))]
    assert param_space(spec)["model"] == {"grid_search": ["mlp", "dcgan"]}
    assert all(type(config["spectral_norm"]) is bool for config in variants)
    expected = sorted(
        (batch, schedule, seed, model, norm)
        for batch in (128, 256)
        for schedule in ("constant", "warmup_cosine")
        for seed in (0, 1)
        for model, norm in (("mlp", False), ("dcgan", True))
    )
    got = sorted((c["batch_size"], c["schedule"], c["seed"], c["model"], c["spectral_norm"]) for c in variants)
    assert got == expected
    assert {TrialConfig.from_dict(config) for config in variants} == set(spec.trial_configs())


def test_a_linked_axis_survives_the_spec_json_and_old_specs_still_load():
    spec = spec_for("--preset", "smoke", "--sweep", MLP_VS_DCGAN)
    saved = json.loads(spec.to_json())
    assert saved["linked"] == [["model", "spectral_norm"]]
    assert saved["grid"]["model"] == ["mlp", "dcgan"] and saved["grid"]["spectral_norm"] == [False, True]
    assert SweepSpec.from_json(spec.to_json()) == spec
    plain = json.loads(spec_for("--preset", "smoke", "--sweep", "latent_dim=64,128").to_json())
    del plain["linked"]  # as saved before linked axes
    assert SweepSpec.from_json(json.dumps(plain)) == spec_for("--preset", "smoke", "--sweep", "latent_dim=64,128")


def test_the_settings_lines_name_a_linked_axis_by_what_each_value_sets():
    spec = spec_for("--preset", "smoke", "--seeds", "0", "1", "--sweep", MLP_VS_DCGAN, "--gpus-per-trial", "0")
    lines = settings_lines(
        spec, spec.settings, "the preset smoke", "file:///e", "", place(spec.resources, 16, {"CPU": 2})
    )
    assert lines[0] == (
        "16 trials: batch_size 128 256 × schedule constant warmup_cosine × lr_scaling none × seed 0 1 × "
        "model+spectral_norm mlp+False dcgan+True"
    )


def test_add_seeds_keeps_the_linked_axis(tmp_path):
    spec = spec_for("--preset", "smoke", "--sweep", MLP_VS_DCGAN)
    (tmp_path / "first").mkdir()
    (tmp_path / "first" / SPEC_FILE).write_text(spec.to_json())
    args = sweep.build_parser().parse_args(["--add-seeds", str(tmp_path / "first"), "--seeds", "4", "5"])
    added = sweep.added_seeds_spec(args, StorageLocation.parse(str(tmp_path / "first")))
    assert added.linked == spec.linked and added.grid == {**spec.grid, "seed": (4, 5)}
    assert {(c.seed, c.model, c.spectral_norm) for c in added.trial_configs()} == {
        (seed, model, norm) for seed in (4, 5) for model, norm in (("mlp", False), ("dcgan", True))
    }


@pytest.mark.parametrize(
    "value, message",
    [
        ("model+spectral_norm=mlp,dcgan+true", "'mlp': 1 part(s) for the 2 settings of model+spectral_norm"),
        ("model+spectral_norm=mlp+false+true", "'mlp+false+true': 3 part(s) for the 2 settings of"),
        ("model+spectralnorm=mlp+false", "'spectralnorm' is not a trial setting; allowed are model, latent_dim"),
        ("model+batch_size=mlp+128", "'batch_size' is a study axis: give it as --batch-sizes"),
        ("model+dataset=mlp+mnist", "'dataset' is one per sweep"),
        ("model+model=mlp+dcgan", "'model+model': model given twice"),
        ("model+spectral_norm=mlp+maybe", "'maybe' is not true or false"),
        ("model+spectral_norm=", "give values after '=', e.g. model+spectral_norm=V1+V1,V2+V2"),
    ],
)
def test_bad_linked_axes_are_named(value, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        sweep.build_parser().parse_args(["--sweep", value])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, error, message",
    [
        (
            ["--sweep", MLP_VS_DCGAN, "--spectral-norm"],
            sweep.SweepError,
            "--sweep model+spectral_norm and --spectral-norm: give the setting one way",
        ),
        (["--sweep", MLP_VS_DCGAN, "--sweep", "model=mlp,dcgan"], sweep.SweepError, "--sweep model: given twice"),
        (
            ["--sweep", "model+spectral_norm=mlp+true,dcgan+false"],
            ConfigError,
            "spectral_norm=True: only allowed with model='dcgan', not 'mlp'",
        ),
        (
            ["--sweep", "model+spectral_norm=dcgan+false,dcgan+true"],
            ConfigError,
            "model+spectral_norm=dcgan+False,"
            "dcgan+True: model is dcgan at two points; each setting of a linked axis takes a different value",
        ),
    ],
)
def test_a_linked_axis_that_clashes_or_makes_an_invalid_trial_is_refused(argv, error, message):
    with pytest.raises(error, match=re.escape(message)):
        spec_for(*argv)


@pytest.mark.parametrize(
    "linked, message",
    [
        ((("model",),), "linked axis model: links at least two settings"),
        ((("model", "latent_dim"),), "linked axis model+latent_dim: latent_dim is not in the grid"),
        ((("model", "seed"),), "linked axis model+seed: seed is a study axis, which is never linked"),
        ((("model", "spectral_norm"), ("spectral_norm", "model")), "spectral_norm: in two linked axes"),
        ((("model", "lr_d"),), "linked axis model+lr_d: its settings have 2, 3 values"),
    ],
)
def test_a_saved_spec_with_bad_linked_axes_is_refused(linked, message):
    grid = {"seed": (0, 1), "model": ("mlp", "dcgan"), "spectral_norm": (False, True), "lr_d": (1e-4, 2e-4, 3e-4)}
    settings = {name: value for name, value in TrialConfig().to_dict().items() if name not in grid}
    with pytest.raises(ConfigError, match=re.escape(message)):
        SweepSpec(settings, grid, Resources(), linked)


def test_a_presets_linked_axis_gives_way_to_a_flag_of_one_of_its_settings():
    spec = spec_for("--preset", "mlp_vs_dcgan", "--model", "dcgan")
    assert "model" not in spec.grid and spec.linked == ()
    assert (spec.settings["model"], spec.settings["spectral_norm"]) == ("dcgan", False)  # a trial's default
    spec = spec_for("--preset", "latent_size", "--sweep", "latent_dim=64,100")
    assert spec.grid["latent_dim"] == (64, 100)


def test_the_related_reports_studies_are_presets():
    """MLP against DCGAN with spectral norm on MNIST, and latent size 128 against 256 on FashionMNIST's DCGAN: each
    3 seeds at constant LR and batch 128."""
    mlp_vs_dcgan = spec_for("--preset", "mlp_vs_dcgan")
    assert {(c.seed, c.model, c.spectral_norm) for c in mlp_vs_dcgan.trial_configs()} == {
        (seed, model, norm) for seed in (0, 1, 2) for model, norm in (("mlp", False), ("dcgan", True))
    }
    latent_size = spec_for("--preset", "latent_size")
    assert {(c.seed, c.latent_dim) for c in latent_size.trial_configs()} == {
        (seed, latent) for seed in (0, 1, 2) for latent in (128, 256)
    }
    for spec, dataset in ((mlp_vs_dcgan, "mnist"), (latent_size, "fashion_mnist")):
        configs = spec.trial_configs()
        assert len(configs) == spec.num_trials == 6
        assert {(c.dataset, c.batch_size, c.schedule, c.lr_scaling) for c in configs} == {
            (dataset, 128, "constant", "none")
        }
        assert all(c.eval_every > 0 for c in configs)  # a study needs its quality measured
    assert all(c.model == "dcgan" and not c.spectral_norm for c in latent_size.trial_configs())


def test_the_wikiart_study_is_a_preset_for_any_folder_and_refuses_mnist_in_one_line(tmp_path):
    """The DCGAN at 64 px RGB, latent 128 against 256, G at 2e-4 and D at 3e-4, on the user's images."""
    spec = spec_for("--preset", "art_latent", "--dataset", f"folder:{tmp_path}")
    configs = spec.trial_configs()
    assert {(c.seed, c.latent_dim) for c in configs} == {(seed, latent) for seed in (0, 1, 2) for latent in (128, 256)}
    assert {(c.model, c.image_shape, c.lr_g, c.lr_d, c.extractor) for c in configs} == {
        ("dcgan", (3, 64, 64), 2e-4, 3e-4, INCEPTION)
    }
    assert spec_for("--preset", "art_latent", "--dataset", "cifar10", "--image-size", "32").settings["image_size"] == 32
    with pytest.raises(sweep.SweepError) as error:
        sweep.new_spec(sweep.build_parser().parse_args(["--preset", "art_latent"]))
    assert str(error.value) == (
        "--preset art_latent studies your own images at 64 px: give --dataset folder:PATH (or cifar10), not mnist"
    )
    # What the settings lines compare a sweep of the preset with: its own settings, which name no dataset.
    args = sweep.build_parser().parse_args(["--preset", "art_latent", "--dataset", f"folder:{tmp_path}"])
    baseline, name = sweep.settings_baseline(args)
    assert name == "the preset art_latent" and (baseline["lr_d"], baseline["image_size"]) == (3e-4, 64)


@pytest.mark.parametrize(
    "preset, message",
    [
        ({"sweep": ({"batch_size": (128, 256)},)}, "preset 'mine': sweep: 'batch_size' is a study axis"),
        ({"sweep": ({"dataset": ("mnist",)},)}, "preset 'mine': sweep: 'dataset' is one per sweep"),
        ({"latent_dim": 64, "sweep": ({"latent_dim": (1, 2)},)}, "preset 'mine': latent_dim: swept and also given"),
        (
            {"sweep": ({"model": ("mlp", "dcgan"), "spectral_norm": (False, True)}, {"model": ("mlp",)})},
            "preset 'mine': model: swept and also given",
        ),
    ],
)
def test_a_presets_bad_sweep_is_refused(preset, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        check_presets({"mine": preset})


def test_a_preset_key_that_is_no_flag_is_refused():
    check_presets(PRESETS)  # the shipped ones
    for key in ("seed", "batch_size", "epoch", "learning_rate"):  # an axis's field instead of its list flag, typos
        with pytest.raises(ConfigError, match=rf"preset 'mine': {key}: allowed are .*\bseeds\b"):
            check_presets({"mine": {"epochs": 3, key: 1}})


@pytest.mark.parametrize(
    "prog, typed", [("tune-gan sweep", "tune-gan sweep"), ("sweep.py", "python tune_gan/sweep.py")]
)
def test_the_resume_hint_names_the_program_as_typed(prog, typed, tmp_path, capsys):
    table = pd.DataFrame(
        [{"seed": 0, "status": "UNFINISHED", "epochs_done": 1, "reason": ""}], columns=["seed", *COLUMNS]
    )
    assert sweep.report_table(table, StorageLocation.parse(str(tmp_path)), "cut", prog) == 1
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"1 trial(s) did not finish; continue with: {typed} --resume --storage-path {tmp_path} --name cut"
    )
