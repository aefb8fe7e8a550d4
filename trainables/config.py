"""The validated configuration of one GAN trial.

Tune hands a trial a plain dict; :meth:`TrialConfig.from_dict` turns it into this
frozen dataclass at the trainable's top, so the rest of the code never sees a
dict-of-anything. Unknown keys and bad values raise :class:`ConfigError`, whose
message names the value and what is allowed (the CLI prints it as a one-line error).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, fields
from typing import Any

MODELS = ("mlp", "dcgan")
DATASETS = ("mnist", "fashion_mnist")
SCHEDULERS = ("constant", "step", "warmup_cosine")
LR_SCALINGS = ("none", "sqrt", "linear")
LR_SCALING_REFERENCE_BATCH = 128  # the batch size at which lr_g and lr_d are used as given, whatever lr_scaling
MIN_EVAL_SAMPLES = 100  # Inception Score's 10 splits of at least 10 samples each


class ConfigError(ValueError):
    """A configuration value is out of range; the message is one line for the user."""


@dataclass(frozen=True)
class TrialConfig:
    """Everything that decides what one trial computes (not where it runs)."""

    model: str = "mlp"
    dataset: str = "mnist"
    latent_dim: int = 100
    batch_size: int = 128
    epochs: int = 50
    scheduler: str = "constant"
    step_every: int = 20  # step: multiply the LR by step_gamma every step_every epochs
    step_gamma: float = 0.1
    warmup_epochs: int = 5  # warmup_cosine: linear rise over this many epochs ...
    lr_floor: float = 0.01  # ... from and back down to this fraction of the peak LR
    lr_g: float = 2e-4  # peak LRs, before lr_scaling
    lr_d: float = 2e-4
    # The peak LRs scaled by batch_size / LR_SCALING_REFERENCE_BATCH (linear) or its square root (sqrt), the standard
    # large-batch remedy: a bigger batch takes fewer, less noisy steps per epoch. none: as given.
    lr_scaling: str = "none"
    beta1: float = 0.5
    beta2: float = 0.999
    spectral_norm: bool = False  # dcgan only: spectral norm on D's weights
    seed: int = 0
    sample_every: int = 5  # save a 5x5 sample grid every this many epochs (and at the end)
    subset: int = 0  # train on the first `subset` images; 0 means the whole training set
    divergence_patience: int = 3  # stop after this many collapsed epochs in a row (trainables.divergence); 0: never
    eval_every: int = 5  # score G's samples every this many epochs and at the last (trainables.evaluation); 0: never
    eval_samples: int = 10_000  # samples scored per evaluation

    def __post_init__(self) -> None:
        _check_types(self)
        _choice("model", self.model, MODELS)
        _choice("dataset", self.dataset, DATASETS)
        _choice("scheduler", self.scheduler, SCHEDULERS)
        _choice("lr_scaling", self.lr_scaling, LR_SCALINGS)
        for name in ("latent_dim", "batch_size", "epochs", "step_every", "sample_every"):
            _positive(name, getattr(self, name))
        for name in ("lr_g", "lr_d"):
            if not 0 < getattr(self, name) < 1:
                raise ConfigError(f"{name}={getattr(self, name)!r}: must be in (0, 1)")
        for name, peak in (("lr_g", self.peak_lr_g), ("lr_d", self.peak_lr_d)):
            if peak >= 1:
                raise ConfigError(
                    f"{name}={getattr(self, name)!r} with lr_scaling={self.lr_scaling!r} at "
                    f"batch_size={self.batch_size}: the scaled LR {peak:g} must be in (0, 1)"
                )
        for name in ("beta1", "beta2"):
            if not 0 <= getattr(self, name) < 1:
                raise ConfigError(f"{name}={getattr(self, name)!r}: must be in [0, 1)")
        if not 0 < self.step_gamma <= 1:
            raise ConfigError(f"step_gamma={self.step_gamma!r}: must be in (0, 1]")
        if not 0 < self.lr_floor < 1:
            raise ConfigError(f"lr_floor={self.lr_floor!r}: must be in (0, 1), a fraction of the peak LR")
        if self.seed < 0:
            raise ConfigError(f"seed={self.seed!r}: must be >= 0")
        if self.divergence_patience < 0:
            raise ConfigError(
                f"divergence_patience={self.divergence_patience!r}: must be >= 0 (0 = only NaN/Inf stops)"
            )
        if self.eval_every < 0:
            raise ConfigError(f"eval_every={self.eval_every!r}: must be >= 0 (0 = no quality evaluation)")
        if self.eval_samples < MIN_EVAL_SAMPLES:
            raise ConfigError(f"eval_samples={self.eval_samples!r}: must be at least {MIN_EVAL_SAMPLES}")
        if self.subset < 0:
            raise ConfigError(f"subset={self.subset!r}: must be >= 0 (0 = the whole training set)")
        if 0 < self.subset < self.batch_size:
            raise ConfigError(
                f"subset={self.subset!r}: must be at least batch_size={self.batch_size} (or 0 = all images)"
            )
        if self.spectral_norm and self.model != "dcgan":
            raise ConfigError(f"spectral_norm=True: only allowed with model='dcgan', not {self.model!r}")
        if self.scheduler == "warmup_cosine" and not 0 <= self.warmup_epochs <= self.epochs - 2:
            raise ConfigError(
                f"warmup_epochs={self.warmup_epochs!r}: warmup_cosine needs 0 <= warmup_epochs <= epochs - 2 "
                f"(epochs={self.epochs}) to leave room for the cosine"
            )

    @property
    def lr_scale(self) -> float:
        """The factor lr_scaling multiplies both peak LRs by at this trial's batch size."""
        ratio = self.batch_size / LR_SCALING_REFERENCE_BATCH
        return {"none": 1.0, "sqrt": math.sqrt(ratio), "linear": ratio}[self.lr_scaling]

    @property
    def peak_lr_g(self) -> float:
        """The generator's LR before its schedule: lr_g after lr_scaling."""
        return self.lr_g * self.lr_scale

    @property
    def peak_lr_d(self) -> float:
        """The discriminator's LR before its schedule: lr_d after lr_scaling."""
        return self.lr_d * self.lr_scale

    @classmethod
    def from_dict(cls, params: dict[str, Any]) -> "TrialConfig":
        """Build from Tune's param dict; unknown keys raise instead of being ignored."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(params) - known)
        if unknown:
            raise ConfigError(f"unknown config key(s) {', '.join(unknown)}: allowed are {', '.join(sorted(known))}")
        return cls(**params)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _check_types(config: TrialConfig) -> None:
    for field in fields(config):
        value = getattr(config, field.name)
        expected = {"int": int, "float": float, "str": str, "bool": bool}[field.type]
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            object.__setattr__(config, field.name, float(value))
        elif type(value) is not expected:
            raise ConfigError(f"{field.name}={value!r}: must be of type {field.type}")


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"{name}={value!r}: allowed are {', '.join(allowed)}")


def _positive(name: str, value: int) -> None:
    if value <= 0:
        raise ConfigError(f"{name}={value!r}: must be a positive integer")
