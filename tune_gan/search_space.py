"""What a sweep runs: the grid axes, the settings every trial shares, and the resources per trial.

A :class:`SweepSpec` is built once from the CLI (a preset plus explicit flags), saved
as JSON in the experiment directory, and read back by ``--resume``, so a resumed
sweep runs exactly the grid, data subset and resources it started with.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import math
from dataclasses import dataclass
from typing import Any

from trainables.config import (
    BATCH_SIZE,
    LR_SCALING,
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
NOT_SWEEPABLE = ("dataset",)

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
}


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
    max_concurrent: int = setting(0, "at most N trials at once; 0: as many as the resources allow", at_least=0)
    keep_checkpoints: int = setting(2, "checkpoints kept per trial", at_least=1)
    max_failures: int = setting(1, "restarts of a failed trial from its checkpoint", at_least=0)

    def __post_init__(self) -> None:
        check_fields(self)


def check_presets(presets: dict[str, dict[str, Any]]) -> None:
    """Each preset key must be a study axis's list flag, a trial setting or a resource: any other key (a typo, or
    ``seed`` for ``seeds``) would be dropped without a word."""
    allowed = {
        *(axis.flag for axis in STUDY_AXES),
        *(field.name for field in dataclasses.fields(TrialConfig) if field.name not in GRID_AXES),
        *(field.name for field in dataclasses.fields(Resources)),
    }
    for name, preset in presets.items():
        unknown = sorted(set(preset) - allowed)
        if unknown:
            raise ConfigError(f"preset {name!r}: {', '.join(unknown)}: allowed are {', '.join(sorted(allowed))}")


check_presets(PRESETS)


@dataclass(frozen=True)
class SweepSpec:
    """A grid over ``grid``'s axes (the study's four, then any --sweep ones); the other trial settings come from
    ``settings``, the same for every trial."""

    settings: dict[str, Any]  # every TrialConfig field that is not an axis
    grid: dict[str, tuple]  # axis -> its values, in the order the user gave them
    resources: Resources

    def __post_init__(self) -> None:
        known = {field.name for field in dataclasses.fields(TrialConfig)}
        for axis, values in self.grid.items():
            if axis not in known:
                raise ConfigError(f"{axis}: not a trial setting; allowed are {', '.join(sorted(known))}")
            if axis in NOT_SWEEPABLE:
                raise ConfigError(f"{axis}: one per sweep, not an axis (its data is loaded once for every trial)")
            if not values:
                raise ConfigError(f"{axis}: give at least one value")
            if len(set(values)) != len(values):
                raise ConfigError(f"{axis}={list(values)}: values must be distinct")
        shared = sorted(set(self.settings) & set(self.grid))
        if shared:
            raise ConfigError(f"{', '.join(shared)}: both a grid axis and a shared setting")
        self.trial_configs()  # every grid point must be a valid trial

    @property
    def axes(self) -> tuple[str, ...]:
        return tuple(self.grid)

    def trial_configs(self) -> list[TrialConfig]:
        """Every grid point as a validated config (raises on the first invalid one); the first axis varies fastest."""
        points = itertools.product(*reversed(self.grid.values()))
        return [TrialConfig(**self.settings, **dict(zip(reversed(self.axes), point))) for point in points]

    @property
    def num_trials(self) -> int:
        return math.prod(len(values) for values in self.grid.values())

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> "SweepSpec":
        raw = json.loads(text)
        if "base" in raw:
            raw = _from_before_sweep_axes(raw)
        return cls(
            settings=current_names(raw["settings"]),
            grid={axis: tuple(values) for axis, values in current_names(raw["grid"]).items()},
            resources=Resources(**raw["resources"]),
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
