"""What a sweep runs: the grid axes, the settings every trial shares, and the resources per trial.

A :class:`SweepSpec` is built once from the CLI (a preset plus explicit flags), saved
as JSON in the experiment directory, and read back by ``--resume``, so a resumed
sweep runs exactly the grid, data subset and resources it started with.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from dataclasses import dataclass
from typing import Any

from ray import tune

from trainables.config import ConfigError, TrialConfig

SPEC_FILE = "tune_gan_sweep.json"
DEFAULT_STORAGE = "~/ray_results"  # Tune's own default storage path
GRID_AXES = ("batch_size", "scheduler", "lr_scaling", "seed")
# The lr_scaling axis when neither a preset nor the CLI names one, and in specs saved before it was an axis.
DEFAULT_LR_SCALINGS = ("none",)

# Each preset sets TrialConfig fields and grid axes; explicit CLI flags override them.
PRESETS: dict[str, dict[str, Any]] = {
    # A 2x2 grid on 8,192 images for 2 epochs, grids and quality (2,000 samples) every epoch: the whole pipeline
    # in about a minute on 2 CPUs.
    "smoke": dict(
        batch_sizes=(128, 256),
        schedulers=("constant", "warmup_cosine"),
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
        schedulers=("constant", "step", "warmup_cosine"),
        seeds=(0, 1, 2),
        epochs=50,
    ),
    # The FashionMNIST DCGAN study, with spectral norm in D.
    "dcgan": dict(
        batch_sizes=(128, 256),
        schedulers=("constant", "warmup_cosine"),
        seeds=(0,),
        epochs=30,
        model="dcgan",
        dataset="fashion_mnist",
        spectral_norm=True,
    ),
}


@dataclass(frozen=True)
class Resources:
    """Where and how trials run; chosen on the driver, saved with the spec."""

    cpus_per_trial: int = 1
    gpus_per_trial: float | None = None  # None: auto, resolved on the driver before the spec is saved
    max_concurrent: int = 0  # 0: as many as the resources allow
    keep_checkpoints: int = 2
    max_failures: int = 1


@dataclass(frozen=True)
class SweepSpec:
    """A grid over batch size x scheduler x LR scaling x seed; every other trial setting comes from ``base``."""

    base: TrialConfig
    batch_sizes: tuple[int, ...]
    schedulers: tuple[str, ...]
    lr_scalings: tuple[str, ...]
    seeds: tuple[int, ...]
    resources: Resources

    def __post_init__(self) -> None:
        for axis, values in (
            ("batch_sizes", self.batch_sizes),
            ("schedulers", self.schedulers),
            ("lr_scalings", self.lr_scalings),
            ("seeds", self.seeds),
        ):
            if not values:
                raise ConfigError(f"{axis}: give at least one value")
            if len(set(values)) != len(values):
                raise ConfigError(f"{axis}={list(values)}: values must be distinct")
        self.trial_configs()  # every grid point must be a valid trial

    def trial_configs(self) -> list[TrialConfig]:
        """Every grid point as a validated config (raises on the first invalid one)."""
        return [
            dataclasses.replace(self.base, batch_size=batch_size, scheduler=scheduler, lr_scaling=lr_scaling, seed=seed)
            for seed, lr_scaling, scheduler, batch_size in itertools.product(
                self.seeds, self.lr_scalings, self.schedulers, self.batch_sizes
            )
        ]

    @property
    def num_trials(self) -> int:
        return len(self.batch_sizes) * len(self.schedulers) * len(self.lr_scalings) * len(self.seeds)

    def param_space(self) -> dict[str, Any]:
        """Tune's param_space: the shared settings plus ``tune.grid_search`` over the four axes."""
        space: dict[str, Any] = self.base.to_dict()
        space["batch_size"] = tune.grid_search(list(self.batch_sizes))
        space["scheduler"] = tune.grid_search(list(self.schedulers))
        space["lr_scaling"] = tune.grid_search(list(self.lr_scalings))
        space["seed"] = tune.grid_search(list(self.seeds))
        return space

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> "SweepSpec":
        raw = json.loads(text)
        return cls(
            base=TrialConfig.from_dict(raw["base"]),
            batch_sizes=tuple(raw["batch_sizes"]),
            schedulers=tuple(raw["schedulers"]),
            lr_scalings=tuple(raw.get("lr_scalings", DEFAULT_LR_SCALINGS)),
            seeds=tuple(raw["seeds"]),
            resources=Resources(**raw["resources"]),
        )
