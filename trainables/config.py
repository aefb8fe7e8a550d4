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
from pathlib import Path
from typing import Any, Callable

from trainables.training_precision import PRECISIONS

MODELS = ("mlp", "dcgan")
DATASETS = ("mnist", "fashion_mnist", "cifar10")  # by name; any folder of images is folder:PATH
FOLDER_PREFIX = "folder:"
CLASSIFIED_DATASETS = ("mnist", "fashion_mnist")  # those a classifier is shipped for (trainables.quality)
NATIVE_SIZE = 28  # MNIST's and FashionMNIST's: they are never resized, so their studies and numbers stand
IMAGE_SIZES = (32, 64, 128, 256)  # any other data is centre-cropped and resized to one of these
# A dataset's image size and channels where the flags give none (0): its own, else what a DCGAN study uses.
DEFAULT_IMAGE_SIZE = {"mnist": NATIVE_SIZE, "fashion_mnist": NATIVE_SIZE, "cifar10": 32, FOLDER_PREFIX: 64}
DEFAULT_CHANNELS = {"mnist": 1, "fashion_mnist": 1, "cifar10": 3, FOLDER_PREFIX: 3}
# The network whose features every quality metric is measured in (trainables.quality.extractors): the dataset's
# shipped classifier, or the field's Inception-v3 (torch-fidelity's inception-v3-compat) for any data.
CLASSIFIER, INCEPTION = "classifier", "inception-v3-compat"
# The classes each extractor's logits name: the Inception Score's ceiling in its features.
EXTRACTOR_CLASSES = {CLASSIFIER: 10, INCEPTION: 1008}
FEATURE_EXTRACTORS = ("auto", CLASSIFIER, INCEPTION)
SCHEDULES = ("constant", "step", "warmup_cosine")
LR_SCALINGS = ("none", "sqrt", "linear")
LR_SCALING_REFERENCE_BATCH = 128  # the batch size at which lr_g and lr_d are used as given, whatever lr_scaling
# Settings renamed since experiments were first saved, old name -> name: results, checkpoints, saved specs and --sweep
# keys written under an old name are read under the new one (DEVELOPERS.md's glossary has the names).
RENAMED_SETTINGS = {"scheduler": "schedule"}
MIN_EVAL_SAMPLES = 100  # Inception Score's 10 splits of at least 10 samples each
NUM_CLASSES = EXTRACTOR_CLASSES[CLASSIFIER]  # of every dataset in CLASSIFIED_DATASETS


class ConfigError(ValueError):
    """A configuration value is out of range; the message is one line for the user."""


def one_line(error: Exception) -> str:
    """An error's message on one line, for a one-line user error (library messages may span several)."""
    return " ".join(str(error).split())


def setting(
    default: Any,
    help: str,
    *,
    choices: tuple[str, ...] | None = None,
    at_least: int | None = None,
    parse: Callable[[str], Any] | None = None,
) -> Any:
    """A config field with what the command line and the checks need besides its type and default: a help text,
    the allowed values of a choice, the lowest value of an integer (every integer setting has one), or a parser of
    its own. The CLI (tune_gan.cli_args) makes one flag per field from these, so a new setting is one line."""
    metadata = {"help": help, "choices": choices, "at_least": at_least, "parse": parse}
    return dataclasses.field(default=default, metadata=metadata)


def dataset_kind(dataset: str) -> str:
    """A dataset's name, or :data:`FOLDER_PREFIX` for any folder: what its defaults and loading are keyed by."""
    return FOLDER_PREFIX if dataset.startswith(FOLDER_PREFIX) else dataset


def check_dataset(dataset: str) -> None:
    """A dataset by name or ``folder:PATH`` with a path; whether the folder holds images is the loader's to say."""
    if dataset not in DATASETS and not (dataset.startswith(FOLDER_PREFIX) and dataset.removeprefix(FOLDER_PREFIX)):
        raise ConfigError(f"dataset={dataset!r}: allowed are {', '.join(DATASETS)} or {FOLDER_PREFIX}PATH")


def parse_dataset(text: str) -> str:
    """The --dataset flag: a name, or ``folder:PATH`` with PATH made absolute here, on the driver, since Tune changes
    each trial's working directory."""
    check_dataset(text)
    if text.startswith(FOLDER_PREFIX):
        return FOLDER_PREFIX + str(Path(text.removeprefix(FOLDER_PREFIX)).expanduser().resolve())
    return text


def resolved_extractor(dataset: str, feature_extractor: str) -> str:
    """``feature_extractor`` with ``auto`` resolved: a dataset's shipped classifier, else Inception."""
    if feature_extractor != "auto":
        return feature_extractor
    return CLASSIFIER if dataset in CLASSIFIED_DATASETS else INCEPTION


@dataclass(frozen=True)
class TrialConfig:
    """Everything that decides what one trial computes (not where it runs)."""

    model: str = setting("mlp", "mlp: the assignment's Figure 1; dcgan: conv G/D", choices=MODELS)
    dataset: str = setting(
        "mnist",
        f"training images: {', '.join(DATASETS)}, or {FOLDER_PREFIX}PATH (a folder of images, in class subfolders "
        "or flat)",
        parse=parse_dataset,
    )
    image_size: int = setting(
        0,
        f"images are centre-cropped and resized to SIZE x SIZE, one of {', '.join(map(str, IMAGE_SIZES))} (MNIST and "
        f"FashionMNIST keep their {NATIVE_SIZE}); 0: {DEFAULT_IMAGE_SIZE['cifar10']} for cifar10, "
        f"{DEFAULT_IMAGE_SIZE[FOLDER_PREFIX]} for a folder",
        at_least=0,
    )
    channels: int = setting(
        0, "1 (grey) or 3 (RGB), converting the data if it is the other; 0: the data's own", at_least=0
    )
    feature_extractor: str = setting(
        "auto",
        f"the features quality is measured in: {CLASSIFIER} (the shipped one, MNIST and FashionMNIST only) or "
        f"{INCEPTION}; auto: {CLASSIFIER} where one is shipped, else {INCEPTION}",
        choices=FEATURE_EXTRACTORS,
    )
    latent_dim: int = setting(100, "size of G's input noise", at_least=1)
    batch_size: int = setting(128, "images per training step", at_least=1)
    epochs: int = setting(50, "training epochs per trial", at_least=1)
    schedule: str = setting("constant", "LR schedule (trainables.schedules)", choices=SCHEDULES)
    step_every: int = setting(20, "step: multiply the LR by step_gamma every N epochs", at_least=1)
    step_gamma: float = setting(0.1, "step: the LR's factor at each step, in (0, 1]")
    warmup_epochs: int = setting(5, "warmup_cosine: linear rise over N epochs, then the cosine", at_least=0)
    lr_floor: float = setting(0.01, "warmup_cosine: start from and end at this fraction of the peak LR")
    lr_g: float = setting(2e-4, "peak generator LR, before lr_scaling")
    lr_d: float = setting(2e-4, "peak discriminator LR, before lr_scaling")
    # The standard large-batch remedy: a bigger batch takes fewer, less noisy steps per epoch.
    lr_scaling: str = setting(
        "none",
        f"scale the peak LRs by batch_size / {LR_SCALING_REFERENCE_BATCH} (linear) or its square root (sqrt)",
        choices=LR_SCALINGS,
    )
    beta1: float = setting(0.5, "Adam's beta1, in [0, 1)")
    beta2: float = setting(0.999, "Adam's beta2, in [0, 1)")
    spectral_norm: bool = setting(False, "spectral norm on D's weights (dcgan only)")
    seed: int = setting(0, "random seed of weights, batches and noise", at_least=0)
    sample_every: int = setting(5, "save a 5x5 sample grid every N epochs and at the last", at_least=1)
    subset: int = setting(0, "train on the first N images only; 0: all", at_least=0)
    divergence_patience: int = setting(
        3,
        "stop after N epochs in a row of D collapsed or saturated (trainables.divergence); 0: only NaN/Inf stops",
        at_least=0,
    )
    eval_every: int = setting(
        5, "score G's samples (IS, FID, precision/recall, classes) every N epochs and at the last; 0: never", at_least=0
    )
    eval_samples: int = setting(10_000, "samples scored per evaluation", at_least=MIN_EVAL_SAMPLES)
    training_precision: str = setting(
        "fp32", "training arithmetic: bf16 autocast (CPU with AVX512-BF16/AMX, CUDA) or CUDA's tf32", choices=PRECISIONS
    )

    def __post_init__(self) -> None:
        check_fields(self)
        check_dataset(self.dataset)
        sizes = (NATIVE_SIZE,) if self.dataset in CLASSIFIED_DATASETS else IMAGE_SIZES
        if self.image_size not in (0, *sizes):
            raise ConfigError(
                f"image_size={self.image_size!r}: {self.dataset} takes {', '.join(map(str, sizes))} (or 0: its default)"
            )
        if self.feature_extractor == CLASSIFIER and self.dataset not in CLASSIFIED_DATASETS:
            raise ConfigError(
                f"feature_extractor={CLASSIFIER!r}: a classifier is shipped for {', '.join(CLASSIFIED_DATASETS)} only, "
                f"not {self.dataset}; use {INCEPTION} (or auto)"
            )
        if self.channels not in (0, 1, 3):
            raise ConfigError(f"channels={self.channels!r}: allowed are 1 (grey), 3 (RGB) or 0 (the data's own)")
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
        if 0 < self.subset < self.batch_size:
            raise ConfigError(
                f"subset={self.subset!r}: must be at least batch_size={self.batch_size} (or 0 = all images)"
            )
        if self.spectral_norm and self.model != "dcgan":
            raise ConfigError(f"spectral_norm=True: only allowed with model='dcgan', not {self.model!r}")
        if self.schedule == "warmup_cosine" and not 0 <= self.warmup_epochs <= self.epochs - 2:
            raise ConfigError(
                f"warmup_epochs={self.warmup_epochs!r}: warmup_cosine needs 0 <= warmup_epochs <= epochs - 2 "
                f"(epochs={self.epochs}) to leave room for the cosine"
            )

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(channels, size, size) of every image the trial trains on and generates: image_size and channels, each
        the dataset's default where 0 (kept as 0 in the config, as a default is, so a preset's settings and a saved
        spec read the same whatever the dataset)."""
        kind = dataset_kind(self.dataset)
        size = self.image_size or DEFAULT_IMAGE_SIZE[kind]
        return (self.channels or DEFAULT_CHANNELS[kind], size, size)

    @property
    def extractor(self) -> str:
        """The feature extractor quality is measured in, ``auto`` resolved for the dataset."""
        return resolved_extractor(self.dataset, self.feature_extractor)

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
        params = current_names(params)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(params) - known)
        if unknown:
            raise ConfigError(f"unknown config key(s) {', '.join(unknown)}: allowed are {', '.join(sorted(known))}")
        return cls(**params)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def current_names(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` with every setting saved under an old name (:data:`RENAMED_SETTINGS`) under its name."""
    return {RENAMED_SETTINGS.get(key, key): value for key, value in params.items()}


FIELD_TYPES = {"int": int, "float": float, "str": str, "bool": bool}


def type_name(field: dataclasses.Field) -> str:
    """A field's type as written ("int"), whether or not its module postpones annotations."""
    return field.type if isinstance(field.type, str) else field.type.__name__


def check_fields(config: Any) -> None:
    """Each field's type (an int is taken for a float), and the choices and lowest value its :func:`setting`
    declares; the first bad value raises :class:`ConfigError` naming it and what is allowed."""
    for field in fields(config):
        value = getattr(config, field.name)
        expected = FIELD_TYPES.get(type_name(field))
        if expected is None:
            continue  # e.g. Resources' optional GPUs, checked where they are parsed
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            object.__setattr__(config, field.name, float(value))
        elif type(value) is not expected:
            raise ConfigError(f"{field.name}={value!r}: must be of type {type_name(field)}")
        choices, at_least = field.metadata.get("choices"), field.metadata.get("at_least")
        if choices is not None and value not in choices:
            raise ConfigError(f"{field.name}={value!r}: allowed are {', '.join(choices)}")
        if at_least is not None and value < at_least:
            raise ConfigError(f"{field.name}={value!r}: must be an integer >= {at_least}")


# The settings the study varies, by name: the sweep makes them its list flags and the analysis asks its questions
# along BATCH_SIZE and SCHEDULE and estimates over SEED.
BATCH_SIZE, SCHEDULE, LR_SCALING, SEED = "batch_size", "schedule", "lr_scaling", "seed"
TRAINING_PRECISION = "training_precision"  # the report's experiment line names it
if not {BATCH_SIZE, SCHEDULE, LR_SCALING, SEED, TRAINING_PRECISION} <= {field.name for field in fields(TrialConfig)}:
    raise ImportError("a study setting's name is not a TrialConfig field")
# The settings that change a trial only through the LRs it runs at (reported each epoch as lr_g_in_use, lr_d_in_use):
# two configs that differ only in these and ran the same LRs in every epoch ran the same runs (analysis.configs' twins).
LR_SETTINGS = ("schedule", "step_every", "step_gamma", "warmup_epochs", "lr_floor", "lr_g", "lr_d", "lr_scaling")
if not set(LR_SETTINGS) <= {field.name for field in fields(TrialConfig)}:
    raise ImportError("an LR setting's name is not a TrialConfig field")
