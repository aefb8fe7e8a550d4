"""What a sweep runs: the grid axes, the settings every trial shares, and the resources per trial.

A :class:`SweepSpec` is built once from the CLI (a preset plus explicit flags), saved
as JSON in the experiment directory, and read back by ``--resume``, so a resumed
sweep runs exactly the grid, data subset and resources it started with.

An axis sets one setting, or several at once (a **linked** axis, ``--sweep model+spectral_norm=mlp+false,dcgan+true``):
for comparisons whose sides differ in more than one setting, where the product of the settings' values would hold
invalid or unwanted points (spectral norm exists only in the DCGAN's discriminator). Every trial still gets each
setting as a plain value, so results read the same as a plain axis's.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from trainables.config import (
    BATCH_SIZE,
    LR_SCALING,
    RENAMED_SETTINGS,
    SCHEDULE,
    SEED,
    ConfigError,
    TrialConfig,
    check_fields,
    current_names,
    setting,
)

SPEC_FILE = "tune_gan_sweep.json"
DEFAULT_STORAGE = "~/ray_results"  # Tune's own default storage path


@dataclass(frozen=True)
class GridAxis:
    """A trial setting the study sweeps, with its own list flag (``--batch-sizes 128 256``); its type and allowed
    values are the TrialConfig field's."""

    field: str
    flag: str  # the list flag's name, e.g. batch_sizes for --batch-sizes
    old_flag: str = ""  # its name before a rename: still accepted, not shown in --help, read from old specs


# The study's axes, always in the grid (one value where a preset and the flags name none: the field's default).
# Any other trial setting becomes an axis with --sweep KEY=V1,V2; the axes of a sweep are its spec's grid keys.
STUDY_AXES = (
    GridAxis(BATCH_SIZE, "batch_sizes"),
    GridAxis(SCHEDULE, "schedules", old_flag="schedulers"),
    GridAxis(LR_SCALING, "lr_scalings"),
    GridAxis(SEED, "seeds"),
)
GRID_AXES = tuple(axis.field for axis in STUDY_AXES)
# One per sweep: the driver loads its images and real reference once, for every trial.
NOT_SWEEPABLE = ("dataset", "image_size", "channels", "feature_extractor")
SWEEPABLE = tuple(
    field.name for field in dataclasses.fields(TrialConfig) if field.name not in (*GRID_AXES, *NOT_SWEEPABLE)
)
# Joins a linked axis's settings in its name, and their values in each of its points: model+spectral_norm=mlp+false.
LINK = "+"


def check_sweepable(name: str) -> None:
    """A setting a --sweep axis (or a preset's ``sweep``) may set: a trial setting, neither a study axis (those have
    list flags of their own) nor one per sweep."""
    study = {axis.field: axis.flag for axis in STUDY_AXES}
    if name in study:
        raise ConfigError(f"{name!r} is a study axis: give it as --{study[name].replace('_', '-')}")
    if name in NOT_SWEEPABLE:
        raise ConfigError(f"{name!r} is one per sweep (its images are loaded once for every trial)")
    if name not in SWEEPABLE:
        raise ConfigError(f"{name!r} is not a trial setting; allowed are {', '.join(SWEEPABLE)}")


def axis_name(settings: Iterable[str]) -> str:
    """An axis by the settings it sets, as --sweep takes it: ``latent_dim``, ``model+spectral_norm``."""
    return LINK.join(settings)


# Each preset sets TrialConfig fields and grid axes; explicit CLI flags override them.
PRESETS: dict[str, dict[str, Any]] = {
    # A 2x2 grid on 8,192 images for 2 epochs, grids and quality (2,000 samples) every epoch: the whole pipeline
    # in about a minute on 2 CPUs.
    "smoke": dict(
        batch_sizes=(128, 256),
        schedules=("constant", "warmup_cosine"),
        seeds=(0,),
        epochs=2,
        subset=8192,
        warmup_epochs=0,
        sample_every=1,
        eval_every=1,
        eval_samples=2000,
    ),
    # The course assignment: 4 batch sizes x 3 schedules on all of MNIST; step decays at epochs 20 and 40. Three
    # seeds, so that the report can tell a difference between configs from seed-to-seed spread.
    "assignment": dict(
        batch_sizes=(128, 256, 512, 1024),
        schedules=("constant", "step", "warmup_cosine"),
        seeds=(0, 1, 2),
        epochs=50,
    ),
    # The FashionMNIST DCGAN study, with spectral norm in D.
    "dcgan": dict(
        batch_sizes=(128, 256),
        schedules=("constant", "warmup_cosine"),
        seeds=(0,),
        epochs=30,
        model="dcgan",
        dataset="fashion_mnist",
        spectral_norm=True,
    ),
    # The related reports' studies, each sized to run in about half an hour on the 2-core VM (docs/running-sweeps.md
    # has the measured times). MLP against DCGAN with spectral norm in D, on MNIST: a linked axis, as spectral norm
    # exists only in the DCGAN's D. A DCGAN epoch costs 7x an MLP one, so 25 epochs of 10,000 images (1,950 generator
    # updates). Measured at seed 0 on the 2-core EPYC VM: the DCGAN drew 8 classes by epoch 8; the MLP, slower to
    # learn, drew the data from epoch 16 and 5 classes at epoch 25 (6 only at epoch 40).
    "mlp_vs_dcgan": dict(
        sweep=({"model": ("mlp", "dcgan"), "spectral_norm": (False, True)},),
        batch_sizes=(128,),
        schedules=("constant",),
        seeds=(0, 1, 2),
        epochs=25,
        subset=10_000,
        eval_every=5,
        eval_samples=5000,
    ),
    # Latent size 128 against 256 in the FashionMNIST DCGAN (28 px), without spectral norm: 20 epochs of 8,192 images
    # (1,280 generator updates); measured at latent 256, seed 0, it drew 7 classes by epoch 6 and 8 from epoch 12.
    "latent_size": dict(
        sweep=({"latent_dim": (128, 256)},),
        batch_sizes=(128,),
        schedules=("constant",),
        seeds=(0, 1, 2),
        model="dcgan",
        dataset="fashion_mnist",
        epochs=20,
        subset=8192,
        eval_every=4,
        eval_samples=5000,
    ),
    # The WikiArt report's study on any folder of colour images (--dataset folder:PATH, or cifar10): the DCGAN at 64 px
    # RGB, latent 128 against 256, D at 3e-4 against G's 2e-4. Scored in Inception's features, 2,000 samples every 5
    # epochs. Measured on the 2-core EPYC VM, one thread a trial: 38 images/s at 64 px (batch 64), so an epoch of
    # 10,000 images takes about 4.5 minutes and the six trials of 25 epochs some 6 hours on 2 cores: a GPU's study.
    "art_latent": dict(
        sweep=({"latent_dim": (128, 256)},),
        batch_sizes=(128,),
        schedules=("constant",),
        seeds=(0, 1, 2),
        model="dcgan",
        image_size=64,
        channels=3,
        lr_g=2e-4,
        lr_d=3e-4,
        epochs=25,
        eval_every=5,
        eval_samples=2000,
    ),
}
# Presets of a user's own images: their image size is no MNIST's, so they need --dataset.
OWN_IMAGES_PRESETS = tuple(name for name, preset in PRESETS.items() if "image_size" in preset)


def gpus_or_auto(text: str) -> float | None:
    """--gpus-per-trial: 'auto' (None, resolved on the driver) or a number of GPUs >= 0, fractions allowed."""
    if text == "auto":
        return None
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value:
        raise argparse.ArgumentTypeError(f"{text!r} is not 'auto' or a number >= 0")
    return value


@dataclass(frozen=True)
class Resources:
    """Where and how trials run; chosen on the driver, saved with the spec."""

    cpus_per_trial: int = setting(1, "CPUs (torch threads) per trial", at_least=1)
    # None: auto, resolved on the driver before the spec is saved
    gpus_per_trial: float | None = setting(
        None,
        "GPUs per trial, fractions allowed; auto shares the GPUs present among the trials (0 without)",
        parse=gpus_or_auto,
    )
    # The other spelling of gpus_per_trial: N trials on each GPU asks 1/N of one (rounded down to Ray's 0.0001)
    trials_per_gpu: int = setting(0, "trials sharing each GPU, instead of --gpus-per-trial; 0: auto", at_least=0)
    max_concurrent: int = setting(0, "at most N trials at once; 0: as many as the resources allow", at_least=0)
    keep_checkpoints: int = setting(2, "checkpoints kept per trial", at_least=1)
    max_failures: int = setting(1, "restarts of a failed trial from its checkpoint", at_least=0)

    def __post_init__(self) -> None:
        check_fields(self)
        if self.trials_per_gpu and self.gpus_per_trial is not None:
            raise ConfigError(
                f"--trials-per-gpu {self.trials_per_gpu} and --gpus-per-trial {self.gpus_per_trial:g}: two spellings "
                "of one setting, give one"
            )


def check_presets(presets: dict[str, dict[str, Any]]) -> None:
    """Each preset key must be a study axis's list flag, a trial setting, a resource or ``sweep``: any other key (a
    typo, or ``seed`` for ``seeds``) would be dropped without a word. ``sweep`` holds axes as --sweep makes them (each
    a dict of its settings' values, several for a linked axis); a setting it sweeps can be no other key of the preset,
    whose value would be dropped too."""
    allowed = {
        *(axis.flag for axis in STUDY_AXES),
        *(field.name for field in dataclasses.fields(TrialConfig) if field.name not in GRID_AXES),
        *(field.name for field in dataclasses.fields(Resources)),
        "sweep",
    }
    for name, preset in presets.items():
        unknown = sorted(set(preset) - allowed)
        if unknown:
            raise ConfigError(f"preset {name!r}: {', '.join(unknown)}: allowed are {', '.join(sorted(allowed))}")
        swept = [key for axis in preset.get("sweep", ()) for key in axis]
        for key in swept:
            try:
                check_sweepable(key)
            except ConfigError as error:
                raise ConfigError(f"preset {name!r}: sweep: {error}") from None
        twice = sorted({key for key in swept if swept.count(key) > 1 or key in preset})
        if twice:
            raise ConfigError(f"preset {name!r}: {', '.join(twice)}: swept and also given another way")


check_presets(PRESETS)


@dataclass(frozen=True)
class SweepSpec:
    """A grid over ``grid``'s axes (the study's four, then any --sweep ones); the other trial settings come from
    ``settings``, the same for every trial.

    ``grid`` holds every swept setting with its values, a linked axis's settings each under its own name; ``linked``
    names the settings of each linked axis, whose values go together by position (the k-th of each setting make
    its k-th point) instead of multiplying the grid. Each setting of a linked axis takes a different value at every
    point, so the settings vary one-to-one: the analysis, which sees only the settings, can tell them as one axis."""

    settings: dict[str, Any]  # every TrialConfig field that is not an axis
    grid: dict[str, tuple]  # swept setting -> its values, in the order the user gave them
    resources: Resources
    linked: tuple[tuple[str, ...], ...] = ()  # the settings of each linked axis

    def __post_init__(self) -> None:
        known = {field.name for field in dataclasses.fields(TrialConfig)}
        group_of = self._linked_axis_of()
        for axis, values in self.grid.items():
            if axis not in known:
                raise ConfigError(f"{axis}: not a trial setting; allowed are {', '.join(sorted(known))}")
            if axis in NOT_SWEEPABLE:
                raise ConfigError(f"{axis}: one per sweep, not an axis (its data is loaded once for every trial)")
            if not values:
                raise ConfigError(f"{axis}: give at least one value")
            if len(set(values)) != len(values):
                if axis in group_of:
                    linked = group_of[axis]
                    again = next(value for value in values if values.count(value) > 1)
                    raise ConfigError(
                        f"{axis_name(linked)}={','.join(self.point_texts(linked))}: {axis} is {again} at two points; "
                        "each setting of a linked axis takes a different value at every point (else sweep the "
                        "settings as axes of their own, or in two sweeps)"
                    )
                raise ConfigError(f"{axis}={list(values)}: values must be distinct")
        shared = sorted(set(self.settings) & set(self.grid))
        if shared:
            raise ConfigError(f"{', '.join(shared)}: both a grid axis and a shared setting")
        self.trial_configs()  # every grid point must be a valid trial

    def _linked_axis_of(self) -> dict[str, tuple[str, ...]]:
        """Each linked setting's axis, once the linked axes are checked: at least two settings each, all of them
        swept, none a study axis, each in one axis, the same number of values each."""
        group_of: dict[str, tuple[str, ...]] = {}
        for group in self.linked:
            name = axis_name(group)
            if len(group) < 2:
                raise ConfigError(f"linked axis {name}: links at least two settings")
            for key in group:
                if key in group_of:
                    raise ConfigError(f"{key}: in two linked axes, {axis_name(group_of[key])} and {name}")
                if key not in self.grid:
                    raise ConfigError(f"linked axis {name}: {key} is not in the grid")
                if key in GRID_AXES:
                    raise ConfigError(f"linked axis {name}: {key} is a study axis, which is never linked")
                group_of[key] = group
            counts = [len(self.grid[setting]) for setting in group]
            if len(set(counts)) > 1:
                raise ConfigError(
                    f"linked axis {name}: its settings have {', '.join(map(str, counts))} values; each point gives "
                    "one value of every setting"
                )
        return group_of

    @property
    def axes(self) -> tuple[str, ...]:
        """Every swept setting (each of a linked axis's), in the grid's order: the columns that tell trials apart."""
        return tuple(self.grid)

    @property
    def varying_axes(self) -> tuple[str, ...]:
        """The axes whose values differ between trials (all of them for a single trial): what a table of the trials
        shows, the rest being the same in every row and said once in the settings lines."""
        return tuple(axis for axis, values in self.grid.items() if len(values) > 1) or self.axes

    def axis_settings(self) -> tuple[tuple[str, ...], ...]:
        """The grid's axes as the settings each one sets, in the grid's order (a linked axis at its first setting's
        place)."""
        group_of = self._linked_axis_of()
        return tuple(dict.fromkeys(group_of.get(axis, (axis,)) for axis in self.grid))

    def points(self, settings: tuple[str, ...]) -> list[tuple]:
        """The values of one axis's ``settings`` at each of its points."""
        return list(zip(*(self.grid[setting] for setting in settings)))

    def point_texts(self, settings: tuple[str, ...]) -> tuple[str, ...]:
        """One axis's points as text, a linked axis's values joined by '+' as --sweep takes them: ``mlp+False``."""
        return tuple(LINK.join(map(str, point)) for point in self.points(settings))

    def axes_by_name(self) -> dict[str, tuple[str, ...]]:
        """Each axis by its --sweep name, with its points as text: how the sweep prints its grid, e.g.
        ``{"seed": ("0", "1"), "model+spectral_norm": ("mlp+False", "dcgan+True")}``."""
        return {axis_name(settings): self.point_texts(settings) for settings in self.axis_settings()}

    def trial_configs(self) -> list[TrialConfig]:
        """Every grid point as a validated config (raises on the first invalid one); the first axis varies fastest."""
        axes = self.axis_settings()[::-1]
        configs = []
        for point in itertools.product(*(self.points(settings) for settings in axes)):
            values = {name: value for settings, values in zip(axes, point) for name, value in zip(settings, values)}
            configs.append(TrialConfig(**self.settings, **values))
        return configs

    @property
    def num_trials(self) -> int:
        return math.prod(len(self.grid[settings[0]]) for settings in self.axis_settings())

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> "SweepSpec":
        raw = json.loads(text)
        if "base" in raw:
            raw = _from_before_sweep_axes(raw)
        grid = {axis: tuple(values) for axis, values in current_names(raw["grid"]).items()}
        # A setting added since the spec was saved ran at its default (which keeps what the code did before it).
        added = {name: value for name, value in TrialConfig().to_dict().items() if name not in grid}
        return cls(
            settings={**added, **current_names(raw["settings"])},
            grid=grid,
            resources=Resources(**raw["resources"]),
            # a spec saved before linked axes has none
            linked=tuple(tuple(RENAMED_SETTINGS.get(name, name) for name in group) for group in raw.get("linked", ())),
        )


def _from_before_sweep_axes(raw: dict[str, Any]) -> dict[str, Any]:
    """A spec saved before any setting could be an axis: a full ``base`` config (its axis values placeholders) and
    one list per study axis (lr_scalings missing where it predates that axis)."""
    grid = {
        axis.field: raw.get(axis.flag, raw.get(axis.old_flag, [getattr(TrialConfig(), axis.field)]))
        for axis in STUDY_AXES
    }
    settings = {name: value for name, value in current_names(raw["base"]).items() if name not in grid}
    return {"settings": settings, "grid": grid, "resources": raw["resources"]}
