"""Ray and the Tuner, built one way for every caller: the sweep CLI, the benchmark and the soak run.

:func:`build_tuner` wraps the trainable with its data and resources and gives it the callbacks every sweep
runs with (sample grids to TensorBoard, results cut back to the checkpoint on a restart, the storage guard),
so what the benchmark measures is what users run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import ray
from ray import tune

from trainables.data import MappedImages
from trainables.quality.evaluator import RealReference
from trainables.trainable import train_gan
from tune_gan.console import PROGRESS_COLUMNS
from tune_gan.resume import ResultsBackToCheckpoint
from tune_gan.sample_logger import SampleGridLogger
from tune_gan.search_space import SweepSpec
from tune_gan.storage import StorageLocation
from tune_gan.storage_guard import StorageGuard

SWEEP_PROG = "sweep.py"  # the sweep's name in its messages when run as a script; `tune-gan sweep` passes its own

PROGRESS_EVERY_S = 10  # Tune's progress table under --verbose


class ClusterUnreachable(Exception):
    """``--address`` names no Ray cluster this machine can reach."""


def start_ray(
    address: str | None, dashboard: bool = True, dashboard_host: str = "127.0.0.1", verbose: bool = True, **options
) -> str:
    """Join the cluster at ``address``, or start a Ray of our own on this machine ("local": never a cluster
    someone started here with ``ray start``), with or without its dashboard; its URL ("" without).

    Without ``verbose``, Ray's INFO lines and the trials' own output stay in Ray's log files
    (``/tmp/ray/session_latest/logs``), and Ray and Tune print only errors."""
    if not verbose:
        options = {"logging_level": logging.ERROR, "log_to_driver": False, **options}
    try:
        if address:
            context = ray.init(address=address, **options)
        else:
            context = ray.init(address="local", include_dashboard=dashboard, dashboard_host=dashboard_host, **options)
    except ConnectionError as error:
        raise ClusterUnreachable(str(error)) from None
    return context.dashboard_url or ""


@dataclass(frozen=True)
class LinkedValue:
    """A linked axis's setting other than its first: its value at the point Tune's grid chose for the first setting
    (whose values are distinct, SweepSpec checks). Tune grids one key at a time, and a grid over the points as dicts
    would nest them under one key; this way each setting stays a plain key of the trial's config, as a plain axis's
    is, for every reader of it (the trainable, the console, the results table, the analysis)."""

    first: str
    values: dict[Any, Any]  # the first setting's value -> this setting's, at each point

    def __call__(self, config: dict[str, Any]) -> Any:
        return self.values[config[self.first]]


def param_space(spec: SweepSpec) -> dict[str, Any]:
    """Tune's param_space of a spec: its shared settings plus ``tune.grid_search`` over each axis (a linked axis's
    first setting), the other settings of a linked axis following it."""
    space = dict(spec.settings)
    for first, *others in spec.axis_settings():
        space[first] = tune.grid_search(list(spec.grid[first]))
        for other in others:
            space[other] = tune.sample_from(LinkedValue(first, dict(zip(spec.grid[first], spec.grid[other]))))
    return space


def build_tuner(
    spec: SweepSpec,
    images: np.ndarray | MappedImages,
    reference: RealReference | None,
    storage: StorageLocation,
    name: str,
    resume: bool = False,
    callbacks: tuple[tune.Callback, ...] = (),
    verbose: bool = False,
    prog: str = SWEEP_PROG,
) -> tune.Tuner:
    """The Tuner of ``spec``'s grid in the experiment ``name`` under ``storage``: a new one, or with ``resume``
    the one saved there, its unfinished and errored trials to be continued. ``callbacks`` come after the sweep's
    own; ``verbose`` turns on Tune's progress table and trial lines; ``prog`` names the program in the storage
    guard's error."""
    trainable = tune.with_resources(
        tune.with_parameters(train_gan, images=images, reference=reference),
        {"cpu": spec.resources.cpus_per_trial, "gpu": spec.resources.gpus_per_trial},
    )
    run_config = tune.RunConfig(
        name=name,
        storage_path=storage.uri,
        checkpoint_config=tune.CheckpointConfig(num_to_keep=spec.resources.keep_checkpoints),
        failure_config=tune.FailureConfig(max_failures=spec.resources.max_failures),
        callbacks=[
            SampleGridLogger(),
            ResultsBackToCheckpoint(),
            *([StorageGuard(storage.path, prog)] if storage.is_local else []),
            *callbacks,
        ],
        progress_reporter=tune.CLIReporter(
            metric_columns=PROGRESS_COLUMNS,
            parameter_columns=list(spec.axes),
            max_report_frequency=PROGRESS_EVERY_S,
        )
        if verbose
        else None,
        verbose=2 if verbose else 0,
    )
    if resume:
        tuner = tune.Tuner.restore(storage.child(name).uri, trainable, resume_unfinished=True, resume_errored=True)
        # Tune restores the callbacks and output settings pickled when the experiment started; this run's
        # (its console, --verbose, the storage path as given now) replace them. Tune offers no public way.
        restored = tuner._local_tuner.get_run_config()
        restored.callbacks, restored.progress_reporter = run_config.callbacks, run_config.progress_reporter
        restored.verbose = run_config.verbose
        return tuner
    return tune.Tuner(
        trainable,
        param_space=param_space(spec),
        tune_config=tune.TuneConfig(max_concurrent_trials=spec.resources.max_concurrent or None, reuse_actors=True),
        run_config=run_config,
    )
