"""How far a sweep is: the epochs done of the epochs it will run, its throughput, and an estimate of the time left.

Pure arithmetic on what the trials report, with the caller's clock, so that the console (tune_gan.console) only
renders it and the tests feed it crafted event sequences. The total counts every trial's planned epochs until the
trial ends: a trial that diverges or errors for good takes its remaining epochs out of it. Epochs a resumed sweep
finished before the interruption count as done but not in the throughput, which is this session's alone.

The estimate of the time left plays the work left forward on the trials that run at once ("slots"): each trial
takes its epochs left at its seconds of training per epoch (the mean of its latest epochs; for a trial not started
yet, of the latest epochs of its batch size, else of any), and its evaluations left at its seconds per evaluation
(the mean of its latest; else of any trial's; else the sweep's estimate before any is measured: Inception's
scoring on a CPU takes minutes where the training of a small folder takes seconds), the running ones less the time
since their latest epoch, the pending ones in Tune's order on the first slot free. Only the latest epochs count,
because a machine's speed drifts over hours (other work on it, thermal limits).
"""

from __future__ import annotations

import heapq
import statistics
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from trainables.metric_keys import DIVERGED_STATUS as DIVERGED
from trainables.metric_keys import ERROR, PENDING, RUNNING
from trainables.quality.evaluator import evaluations_after

FINISHED = "FINISHED"  # the progress view's word for a trial that ran all its epochs (Tune's TERMINATED)
ENDED = (FINISHED, DIVERGED, ERROR)
RECENT_EPOCHS = 10  # the epochs a speed is measured over


@dataclass
class TrialProgress:
    """One grid point's trial as the sweep last heard of it."""

    point: dict[str, Any]  # its values of the axes that vary, e.g. {"batch_size": 128, "seed": 0}
    batch_size: int  # trials of one batch size train at about one speed
    epochs: int  # what its config asks for
    eval_every: int = 0  # its config's: it is scored every eval_every epochs and at the last (0: never)
    status: str = PENDING
    epoch: int = 0  # epochs done, those before a resume included
    epochs_before: int = 0  # of them, done before this session
    session_images: int = 0  # training images of the epochs reported in this session
    # wall times of its latest epochs in this session, checkpoint included, evaluation not
    recent_seconds: deque[float] = field(default_factory=lambda: deque(maxlen=RECENT_EPOCHS))
    recent_evaluations: deque[float] = field(default_factory=lambda: deque(maxlen=RECENT_EPOCHS))  # their seconds
    since: float | None = None  # when it started running or reported its latest epoch, by the caller's clock
    latest: dict[str, Any] = field(default_factory=dict)  # its latest result's shown values

    @property
    def label(self) -> str:
        return " · ".join(f"{axis} {value}" for axis, value in self.point.items())

    @property
    def ended(self) -> bool:
        return self.status in ENDED

    @property
    def epochs_left(self) -> int:
        return 0 if self.ended else max(0, self.epochs - self.epoch)

    @property
    def evaluations_left(self) -> int:
        return 0 if self.ended else evaluations_after(self.epoch, self.eval_every, self.epochs)

    @property
    def seconds_per_epoch(self) -> float | None:
        return statistics.fmean(self.recent_seconds) if self.recent_seconds else None

    @property
    def seconds_per_evaluation(self) -> float | None:
        return statistics.fmean(self.recent_evaluations) if self.recent_evaluations else None


@dataclass(frozen=True)
class ProgressSnapshot:
    """The sweep at one moment, as its progress line and bar show it."""

    epochs_done: int
    epochs_before: int  # of them, done before this session (a resume)
    epochs_total: int  # planned epochs of the trials still to end, the epochs done of those that ended
    trials_ended: int
    trials_failed: int  # diverged or errored
    trials_total: int
    images_per_s: float | None  # training images per second over all trials, this session; None before any
    elapsed_s: float  # since the first trial started in this session
    eta_s: float | None  # the estimated time left; None until a trial has reported an epoch

    @property
    def percent(self) -> float:
        return 100 * self.epochs_done / self.epochs_total if self.epochs_total else 100.0


class SweepProgress:
    """The trials of a sweep, keyed by grid point, in Tune's order, and the arithmetic over them.

    ``slots`` is how many trials run at once; ``evaluation_s`` the seconds an evaluation is expected to take before
    one is measured. Times are the caller's clock in seconds (``time.monotonic()``)."""

    def __init__(self, trials: dict[Hashable, TrialProgress], slots: int, evaluation_s: float = 0.0):
        self.trials = trials
        self.slots = max(1, slots)
        self.evaluation_s = evaluation_s
        self.first_start: float | None = None
        # wall times of the latest epochs of each batch size, and of any
        self.recent_by_batch: dict[int, deque[float]] = {}
        self.recent: deque[float] = deque(maxlen=RECENT_EPOCHS)
        self.recent_evaluations: deque[float] = deque(maxlen=RECENT_EPOCHS)

    def seen(self, key: Hashable, status: str, epoch: int) -> None:
        """A trial as Tune holds it at the start of this session: its epochs so far were done before it
        (a resume); one that ended then stays ended, at the epochs it did."""
        trial = self.trials[key]
        trial.epoch = trial.epochs_before = epoch
        trial.status = status

    def started(self, key: Hashable, at: float) -> None:
        trial = self.trials[key]
        trial.status, trial.since = RUNNING, at
        self.first_start = at if self.first_start is None else self.first_start

    def result(
        self,
        key: Hashable,
        epoch: int,
        seconds: float,
        images: int,
        shown: dict[str, Any],
        at: float,
        evaluation_s: float = 0.0,
    ) -> None:
        """Epoch ``epoch`` of a trial came in: it took ``seconds`` of wall time over ``images`` training images, of
        which ``evaluation_s`` scoring its samples (0 where it was not scored)."""
        trial = self.trials[key]
        if trial.status != RUNNING:
            self.started(key, at - seconds)
        # A restarted trial repeats the epochs after its checkpoint: those were never done.
        trial.epochs_before = min(trial.epochs_before, epoch - 1)
        trial.epoch = epoch
        trial.session_images += images
        training = seconds - evaluation_s
        trial.recent_seconds.append(training)
        self.recent_by_batch.setdefault(trial.batch_size, deque(maxlen=RECENT_EPOCHS)).append(training)
        self.recent.append(training)
        if evaluation_s > 0:
            trial.recent_evaluations.append(evaluation_s)
            self.recent_evaluations.append(evaluation_s)
        trial.since = at
        trial.latest = shown

    def ended(self, key: Hashable, status: str) -> None:
        """A trial finished, diverged or errored for good: its epochs left leave the total."""
        if status not in ENDED:
            raise ValueError(f"status {status!r}: a trial ends as one of {', '.join(ENDED)}")
        self.trials[key].status = status

    def restarted(self, key: Hashable) -> None:
        """A failed trial is to continue from its checkpoint: pending until Tune starts it again."""
        self.trials[key].status = PENDING

    def snapshot(self, at: float) -> ProgressSnapshot:
        trials = self.trials.values()
        images = sum(trial.session_images for trial in trials)
        elapsed = at - self.first_start if self.first_start is not None else 0.0
        return ProgressSnapshot(
            epochs_done=sum(trial.epoch for trial in trials),
            epochs_before=sum(trial.epochs_before for trial in trials),
            epochs_total=sum(trial.epoch if trial.ended else max(trial.epochs, trial.epoch) for trial in trials),
            trials_ended=sum(trial.ended for trial in trials),
            trials_failed=sum(trial.status in (DIVERGED, ERROR) for trial in trials),
            trials_total=len(self.trials),
            images_per_s=images / elapsed if images and elapsed > 0 else None,
            elapsed_s=elapsed,
            eta_s=self.eta_s(at),
        )

    def eta_s(self, at: float) -> float | None:
        """Seconds until the last trial ends, by the estimate in the module's docstring; None before any epoch."""
        if not self.recent:
            return None

        def duration(trial: TrialProgress) -> float:
            per_epoch = trial.seconds_per_epoch
            if per_epoch is None:
                per_epoch = statistics.fmean(self.recent_by_batch.get(trial.batch_size, self.recent))
            per_evaluation = trial.seconds_per_evaluation
            if per_evaluation is None:
                per_evaluation = (
                    statistics.fmean(self.recent_evaluations) if self.recent_evaluations else self.evaluation_s
                )
            return trial.epochs_left * per_epoch + trial.evaluations_left * per_evaluation

        left = [trial for trial in self.trials.values() if not trial.ended]
        running = [max(0.0, duration(trial) - (at - trial.since)) for trial in left if trial.status == RUNNING]
        pending = [duration(trial) for trial in left if trial.status != RUNNING]
        free_at = running + [0.0] * max(0, self.slots - len(running))
        heapq.heapify(free_at)
        for work in pending:
            heapq.heappush(free_at, heapq.heappop(free_at) + work)
        return max(free_at, default=0.0)
