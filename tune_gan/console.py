"""What a sweep prints while it runs, when Tune's own output is off (the default; ``--verbose`` shows Tune's).

:class:`ConsoleView` is a Tune callback on the driver: it feeds what the trials report into a
:class:`tune_gan.progress.SweepProgress` and shows it. In a terminal that is a live view redrawn in place by rich
(the progress bar with epochs done, throughput, elapsed time and ETA, and a row per trial); into a pipe or a file
it is plain lines: one per event (a trial finished, diverged, errored, was restarted) and a progress line at most
every 30 s. The event lines are the same text in both.
"""

from __future__ import annotations

import logging
import math
import sys
import time
from collections.abc import Hashable
from pathlib import Path
from typing import Any

from ray import tune
from rich import box
from rich.console import Console, Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from trainables.config import INCEPTION, TrialConfig
from trainables.data import gpu_memory_for_images
from trainables.metric_keys import DIVERGED as DIVERGED_KEY
from trainables.metric_keys import DIVERGED_REASON, EVAL_TIME_S, PROGRESS, TERMINATED, label, shown_in
from trainables.quality.inception import CPU_SECONDS_PER_IMAGE
from tune_gan.progress import (
    DIVERGED,
    ERROR,
    FINISHED,
    PENDING,
    RUNNING,
    ProgressSnapshot,
    SweepProgress,
    TrialProgress,
)
from tune_gan.resources import TRIAL_GPU_PEAK_GIB, Placement
from tune_gan.results_table import grid_point
from tune_gan.scoring_cost import SCORING_SHARE, ScoringCost
from tune_gan.search_space import SPEC_FILE, Resources, SweepSpec

# What the trial rows show of each trial's latest result, and their headers; Tune's table under --verbose too.
PROGRESS_COLUMNS = {key: label(key) for key in shown_in(PROGRESS)}
PLAIN_PROGRESS_EVERY_S = 30  # a progress line into a pipe at most this often; events print when they happen
SIGNIFICANT_DIGITS = 4
LIVE_REFRESH_PER_S = 2
BAR_WIDTH = 60  # characters; narrower terminals get the whole width
ROWS_KEPT_FOR_THE_REST = 8  # terminal lines the live view leaves for its bar, headers and the last events
TRIAL_FAILED_LOG = "Trial task failed for trial"  # how Tune logs a failed trial's traceback


class WithoutTrialTracebacks(logging.Filter):
    """Drops Tune's log of a failed trial's traceback, which the console prints itself, once, with its log's path."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(TRIAL_FAILED_LOG)


WITHOUT_TRIAL_TRACEBACKS = WithoutTrialTracebacks()  # one instance: adding it again is a no-op


def missing(value: Any) -> bool:
    """Not reported (None), or NaN: a quality metric at an epoch that was not evaluated."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def significant(value: float | None, digits: int = SIGNIFICANT_DIGITS) -> str:
    """A number as a person reads it: ``digits`` significant digits, whole with thousands separators from
    10^(digits-1) up; a missing value as a dash."""
    if missing(value):
        return "–"
    if abs(value) >= 10 ** (digits - 1):
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def duration(seconds: float) -> str:
    """``41 s``, ``12 m 05 s``, ``1 h 52 m``."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} m {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} m"


def progress_text(snapshot: ProgressSnapshot) -> str:
    """``12/240 epochs (5 %), 3 of 12 trials ended, 1,720 img/s, 3 m 10 s elapsed, ETA ~1 h 52 m``."""
    parts = [
        f"{snapshot.epochs_done:,}/{snapshot.epochs_total:,} epochs ({snapshot.percent:.0f} %"
        + (f", {snapshot.epochs_before:,} before the resume)" if snapshot.epochs_before else ")"),
        f"{snapshot.trials_ended} of {snapshot.trials_total} trials ended"
        + (f" ({snapshot.trials_failed} failed)" if snapshot.trials_failed else ""),
    ]
    if snapshot.images_per_s is not None:
        parts.append(f"{significant(snapshot.images_per_s)} img/s")
    parts.append(f"{duration(snapshot.elapsed_s)} elapsed")
    if snapshot.trials_ended < snapshot.trials_total:
        parts.append(f"ETA ~{duration(snapshot.eta_s)}" if snapshot.eta_s is not None else "ETA after the first epoch")
    return ", ".join(parts)


def scored_seconds(result: dict[str, Any]) -> float:
    """The seconds an epoch's result spent scoring its samples (its ``eval_time_s``); 0 where it was not scored."""
    seconds = result.get(EVAL_TIME_S, 0.0)
    return 0.0 if missing(seconds) else float(seconds)


def shown_values(result: dict[str, Any]) -> dict[str, Any]:
    return {key: result.get(key) for key in PROGRESS_COLUMNS}


def finished_line(trial: TrialProgress) -> str:
    """``finished batch_size 128 · seed 0: 20/20 epochs, D loss 1.234, G loss 0.8765, FID 172.3, classes 9``."""
    values = [
        f"{header} {significant(trial.latest.get(key))}"
        for key, header in PROGRESS_COLUMNS.items()
        if key != "epoch" and not missing(trial.latest.get(key))
    ]
    return f"finished {trial.label}: {trial.epoch}/{trial.epochs} epochs" + "".join(f", {value}" for value in values)


def diverged_line(trial: TrialProgress, reason: str) -> str:
    return f"DIVERGED {trial.label}: stopped at epoch {trial.epoch} of {trial.epochs}: {reason}"


def latest_failure(error_text: str) -> str:
    """The last failure of Tune's error file, which appends one ``Failure # N (occurred at …)`` block per failure."""
    blocks = error_text.split("Failure # ")
    return ("Failure # " + blocks[-1] if len(blocks) > 1 else error_text).strip()


def errored_lines(trial: TrialProgress, error_text: str, log_path: str) -> list[str]:
    return [
        f"ERROR {trial.label}: failed after epoch {trial.epoch} of {trial.epochs}, no restarts left (log: {log_path}):",
        latest_failure(error_text),
    ]


def restarted_line(trial: TrialProgress, error_text: str, log_path: str) -> str:
    last_line = latest_failure(error_text).splitlines()[-1] if error_text.strip() else "no error text"
    return (
        f"restarted {trial.label}: failed after epoch {trial.epoch} ({last_line.strip()}); continues from its "
        f"checkpoint (log: {log_path})"
    )


def visible_trials(trials: list[TrialProgress], limit: int) -> tuple[list[TrialProgress], str]:
    """The trial rows a screen of ``limit`` rows shows, in grid order: every trial when they fit, else the running
    and failed ones first, then the next pending and the finished; and a line counting those left out."""
    if len(trials) <= limit:
        return trials, ""
    rank = {RUNNING: 0, ERROR: 1, DIVERGED: 1, PENDING: 2, FINISHED: 3}
    order = sorted(range(len(trials)), key=lambda index: (rank[trials[index].status], index))
    shown = sorted(order[: max(1, limit - 1)])
    left_out = [trials[index].status for index in order[len(shown) :]]
    counts = ", ".join(f"{left_out.count(status)} {status.lower()}" for status in rank if status in left_out)
    return [trials[index] for index in shown], f"… and {len(left_out)} more trials ({counts})"


class PlainScreen:
    """Lines without escape codes, for a pipe or a file."""

    def __init__(self):
        self.last_progress: float | None = None

    def start(self, progress: SweepProgress, at: float) -> None:
        self.last_progress = at

    def event(self, *lines: str) -> None:
        print(*lines, sep="\n", flush=True)

    def show(self, progress: SweepProgress, at: float) -> None:
        if self.last_progress is None or at - self.last_progress >= PLAIN_PROGRESS_EVERY_S:
            self.last_progress = at
            print(f"progress: {progress_text(progress.snapshot(at))}", flush=True)

    def close(self, progress: SweepProgress, at: float) -> None:
        print(f"progress: {progress_text(progress.snapshot(at))}", flush=True)


class LiveScreen:
    """A live view redrawn in place, for a terminal; events print above it and stay."""

    def __init__(self, axes: tuple[str, ...]):
        self.axes = axes
        self.console = Console()
        self.live = Live(console=self.console, refresh_per_second=LIVE_REFRESH_PER_S, transient=False)

    def start(self, progress: SweepProgress, at: float) -> None:
        self.live.update(self.render(progress, at))
        self.live.start()

    def event(self, *lines: str) -> None:
        for line in lines:
            self.console.print(line, markup=False, highlight=False, soft_wrap=True)

    def show(self, progress: SweepProgress, at: float) -> None:
        self.live.update(self.render(progress, at))

    def close(self, progress: SweepProgress, at: float) -> None:
        self.live.update(self.render(progress, at), refresh=True)
        self.live.stop()

    def render(self, progress: SweepProgress, at: float) -> Group:
        snapshot = progress.snapshot(at)
        bar = ProgressBar(total=max(1, snapshot.epochs_total), completed=snapshot.epochs_done, width=BAR_WIDTH)
        head = Table.grid()
        head.add_row(bar)
        head.add_row(Text(progress_text(snapshot)))
        rows = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
        for axis in self.axes:
            rows.add_column(axis, justify="right")
        rows.add_column("status")
        for header in PROGRESS_COLUMNS.values():
            rows.add_column(header, justify="right")
        trials, more = visible_trials(list(progress.trials.values()), self.console.height - ROWS_KEPT_FOR_THE_REST)
        for trial in trials:
            latest = [significant(trial.latest.get(key)) for key in PROGRESS_COLUMNS if key != "epoch"]
            rows.add_row(
                *(str(trial.point[axis]) for axis in self.axes),
                trial.status,
                f"{trial.epoch}/{trial.epochs}",
                *latest,
                style="red" if trial.status in (ERROR, DIVERGED) else None,
            )
        return Group(head, rows, *([Text(more)] if more else []))


def sweep_progress(spec: SweepSpec, slots: int, evaluation_s: float = 0.0) -> SweepProgress:
    """Every trial of the grid pending, keyed by grid point, in Tune's order; ``evaluation_s``: what an evaluation is
    expected to take until one is measured."""
    trials = {}
    for config in spec.trial_configs():
        point = {axis: getattr(config, axis) for axis in spec.varying_axes}
        progress = TrialProgress(point, config.batch_size, config.epochs, config.eval_every)
        trials[grid_point(config, spec.axes)] = progress
    return SweepProgress(trials, slots, evaluation_s)


def settings_lines(
    spec: SweepSpec,
    baseline: dict[str, Any],
    baseline_name: str,
    experiment: str,
    dashboard: str,
    placement: Placement,
    scoring: str = "",
    image_bytes: int = 0,
) -> list[str]:
    """The resolved settings in a few lines: the grid, what differs from ``baseline`` (the preset's settings, or a
    trial's defaults), how the trials run (``image_bytes``: the most training images a trial holds), what scoring
    costs (``scoring``, where it is not cheap) and where to look; the full JSON is in the experiment directory."""
    grid = " × ".join(f"{axis} {' '.join(values)}" for axis, values in spec.axes_by_name().items())
    changed = [f"{name} {value}" for name, value in spec.settings.items() if baseline.get(name) != value]
    return [
        f"{spec.num_trials} trials: {grid}",
        f"settings that differ from {baseline_name}: {', '.join(changed) or 'none'}",
        placement_line(spec.resources, placement, image_bytes),
        *([scoring] if scoring else []),
        f"experiment {experiment} (every setting in {SPEC_FILE})",
        f"dashboard {'http://' + dashboard if dashboard else 'off'}",
    ]


def share_of_training(share: float) -> str:
    """'25% of its training', or '40x its training' where scoring outweighs training (a small folder)."""
    return f"{share:.0%} of its training" if share < 2 else f"{share:.0f}x its training"


def scoring_line(cost: ScoringCost, defaulted: bool) -> str:
    """What scoring in Inception's features costs a trial on CPUs, against its training, and how to change it:
    ``defaulted`` where the sweep chose the evaluation settings for the user (tune_gan.scoring_cost)."""
    training = f"about {duration(cost.training_s)}" if cost.training_s >= 0.5 else "under a second"
    line = (
        f"scoring: {cost.samples:,} samples in {INCEPTION}'s features at {cost.evaluations} evaluation(s), about "
        f"{duration(cost.scoring_s)} a trial on one CPU thread, {share_of_training(cost.share)} ({training}; "
        f"{CPU_SECONDS_PER_IMAGE:g} s an image, measured on a 2-core EPYC)"
    )
    if defaulted:
        return (
            f"{line}: the CPU defaults for your own images, {cost.samples:,} samples as often as keeps scoring near "
            f"{SCORING_SHARE:.0%} of training; --eval-samples and --eval-every choose otherwise"
        )
    return f"{line}; fewer --eval-samples, a larger --eval-every or a GPU shortens it"


def placement_line(resources: Resources, placement: Placement, image_bytes: int = 0) -> str:
    """How many trials run at once, on what, and what stops more from running; and where a trial's ``image_bytes``
    of training images are too many to keep on its GPU (trainables.data.images_on), that they travel by batch."""
    line = (
        f"{placement.at_once} trial(s) at once ({PLACEMENT_BOUNDS[placement.bound]}), each on "
        f"{resources.cpus_per_trial} CPU(s) and {placement.gpus_per_trial:g} GPU(s)"
    )
    if placement.trials_per_gpu:
        line += f": up to {placement.trials_per_gpu} on each of {placement.gpus} GPU(s)"
        if placement.gpu_memory_gib is None:
            line += " (GPU memory not seen from here: --trials-per-gpu bounds it)"
        else:
            line += f" ({placement.gpu_memory_gib:.1f} GiB each)"
    if placement.gpus_per_trial and placement.gpu_memory_gib is not None:
        allowed = gpu_memory_for_images(round(placement.gpu_memory_gib * 2**30), placement.gpus_per_trial)
        if image_bytes > allowed:
            line += (
                f"; a trial's training images ({image_bytes / 2**30:.1f} GiB) outgrow half its share of GPU memory "
                f"({allowed / 2**30:.1f} GiB), so they stay in host memory and go to the GPU a batch at a time"
            )
    return line


# What limits the trials at once, in the settings line.
PLACEMENT_BOUNDS = {
    "trials": "all of them",
    "cpus": "as many as the CPUs hold",
    "max_concurrent": "--max-concurrent",
    "requested": "as many as the GPU request fits",
    "gpu_memory": f"as many as GPU memory holds at {TRIAL_GPU_PEAK_GIB:g} GiB a trial",
}


class ConsoleView(tune.Callback):
    """The sweep's progress on the console, from Tune's callbacks on the driver.

    Pickled with the Tuner's state before it runs, so the screen is made in :meth:`setup`, in the process that runs
    the sweep (and again in a resumed one)."""

    def __init__(self, spec: SweepSpec, slots: int, experiment: str, evaluation_s: float = 0.0):
        self.spec = spec
        self.slots = slots
        self.evaluation_s = evaluation_s  # an evaluation's expected seconds, until one is measured
        self.experiment = experiment  # its URI, where a failed trial's error.txt ends up
        self.progress: SweepProgress | None = None
        self.screen: PlainScreen | LiveScreen | None = None
        self.keys: dict[str, Hashable] = {}  # Tune's trial id -> its grid point

    def __getstate__(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "slots": self.slots,
            "experiment": self.experiment,
            "evaluation_s": self.evaluation_s,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)

    def setup(self, **info) -> None:
        self.progress = sweep_progress(self.spec, self.slots, self.evaluation_s)
        logging.getLogger("ray.tune.execution.tune_controller").addFilter(WITHOUT_TRIAL_TRACEBACKS)
        self.screen = LiveScreen(self.spec.varying_axes) if sys.stdout.isatty() else PlainScreen()
        self.screen.start(self.progress, time.monotonic())

    def key(self, trial: tune.experiment.Trial) -> Hashable:
        if trial.trial_id not in self.keys:
            self.keys[trial.trial_id] = grid_point(TrialConfig.from_dict(trial.config), self.spec.axes)
        return self.keys[trial.trial_id]

    def on_step_begin(self, iteration: int, trials: list, **info) -> None:
        self.adopt(trials)

    def adopt(self, trials: list) -> None:
        """Trials Tune holds that this view has not seen: all of a resumed experiment's at the first step (or at the
        end, when every trial had finished), with what they did before; then each new one as Tune creates it."""
        for trial in trials:
            if trial.trial_id not in self.keys:
                result = trial.last_result or {}
                if trial.status == TERMINATED:
                    status = DIVERGED if result.get(DIVERGED_KEY) else FINISHED
                else:
                    status = ERROR if trial.status == ERROR else PENDING
                self.progress.seen(self.key(trial), status, result.get("epoch", 0))

    def on_step_end(self, iteration: int, trials: list, **info) -> None:
        if self.screen is not None:
            self.screen.show(self.progress, time.monotonic())

    def on_trial_start(self, iteration: int, trials: list, trial, **info) -> None:
        self.progress.started(self.key(trial), time.monotonic())

    def on_trial_result(self, iteration: int, trials: list, trial, result: dict, **info) -> None:
        epoch = result["epoch"]
        self.progress.result(
            self.key(trial),
            epoch=epoch,
            seconds=result["time_this_iter_s"],
            images=result["images_seen"] // epoch,  # every epoch trains on the same images
            shown=shown_values(result),
            at=time.monotonic(),
            evaluation_s=scored_seconds(result),
        )

    def on_trial_complete(self, iteration: int, trials: list, trial, **info) -> None:
        key, result = self.key(trial), trial.last_result or {}
        if result.get(DIVERGED_KEY):
            self.progress.ended(key, DIVERGED)
            self.screen.event(diverged_line(self.progress.trials[key], result[DIVERGED_REASON]))
        else:
            self.progress.ended(key, FINISHED)
            self.screen.event(finished_line(self.progress.trials[key]))

    def error(self, trial) -> tuple[str, str]:
        """The trial's error text, from the file Tune has just written on this machine (its copy in the storage path
        comes with the next sync), and where that copy will be."""
        text = Path(trial.error_file).read_text() if trial.error_file else ""
        return text, f"{self.experiment}/{trial.storage.trial_dir_name}/{Path(trial.error_file or 'error.txt').name}"

    def on_trial_recover(self, iteration: int, trials: list, trial, **info) -> None:
        key = self.key(trial)
        self.screen.event(restarted_line(self.progress.trials[key], *self.error(trial)))
        self.progress.restarted(key)

    def on_trial_error(self, iteration: int, trials: list, trial, **info) -> None:
        key = self.key(trial)
        self.progress.ended(key, ERROR)
        self.screen.event(*errored_lines(self.progress.trials[key], *self.error(trial)))

    def on_experiment_end(self, trials: list, **info) -> None:
        self.adopt(trials)
        self.close()

    def close(self) -> None:
        """The last progress, once; also when the sweep ends by an exception (Ctrl-C), so the terminal is left
        with its cursor back."""
        if self.screen is not None:
            self.screen.close(self.progress, time.monotonic())
            self.screen = None
