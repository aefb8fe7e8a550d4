"""How right the sweep's ETA is on real sweeps: ``python benchmarks/eta.py EXPERIMENT [EXPERIMENT ...]``.

Replays the epochs an experiment's trials recorded (each epoch's end and wall time, from ``result.json``) through
the console's own progress arithmetic (``tune_gan.console.sweep_progress``), in the order they happened, and
compares the ETA the console showed after each epoch with the time the sweep then really took. Prints, per
experiment, the ETA at every tenth of the epochs done and the largest error once a fifth of them were done (the
console's target: within 25 %). An uninterrupted sweep replays as it ran; a resumed one's epochs keep their
cumulative times, so its replay is not its timeline.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

from trainables.config import TrialConfig
from trainables.metric_keys import DIVERGED as DIVERGED_KEY
from tune_gan.console import duration, scored_seconds, sweep_progress
from tune_gan.progress import DIVERGED, ERROR, FINISHED
from tune_gan.results_table import grid_point
from tune_gan.search_space import SPEC_FILE, SweepSpec

TARGET_FROM_PERCENT = 20  # the ETA is to be within TARGET_ERROR once this much of the work is done,
TARGET_ERROR = 0.25
TAIL_SHARE = 0.05  # until this share of the sweep's time is left: seconds off there are a large share of the rest


@dataclass(frozen=True)
class TrialTimeline:
    """One trial as the replay feeds it to the console's progress arithmetic."""

    key: tuple  # its grid point
    started_s: float  # seconds since the epoch (the clock Tune's timestamps use)
    rows: list[dict]  # its results, each with "ended_s" added: when that epoch's result came in
    status: str  # how it ended


@dataclass(frozen=True)
class EtaPoint:
    """The ETA the console showed after one epoch, beside the time that was really left."""

    percent: float  # of the epochs done, as the console showed it
    elapsed_s: float
    eta_s: float
    actual_left_s: float  # the time the sweep really took from there

    @property
    def error(self) -> float:
        return (self.eta_s - self.actual_left_s) / self.actual_left_s


def trial_timeline(trial: Path, spec: SweepSpec) -> TrialTimeline:
    """A trial's epochs on the wall clock. Tune's ``timestamp`` is whole seconds; the median of timestamp minus
    time_total_s over the rows puts the start within a fraction of one."""
    rows = [json.loads(line) for line in (trial / "result.json").read_text().splitlines() if line.strip()]
    config = TrialConfig.from_dict(json.loads((trial / "params.json").read_text()))
    started = statistics.median(row["timestamp"] - row["time_total_s"] for row in rows)
    rows = [{**row, "ended_s": started + row["time_total_s"]} for row in rows]
    if rows[-1].get(DIVERGED_KEY):
        status = DIVERGED
    else:
        status = FINISHED if rows[-1]["epoch"] == config.epochs else ERROR
    return TrialTimeline(grid_point(config, spec.axes), started, rows, status)


def most_at_once(timelines: list[TrialTimeline]) -> int:
    """The most trials that ran at the same time: the sweep's slots."""
    edges = sorted(
        [(each.started_s, 1) for each in timelines] + [(each.rows[-1]["ended_s"], -1) for each in timelines],
        key=lambda edge: (edge[0], edge[1]),  # an end before a start at the same time
    )
    running = peak = 0
    for _, change in edges:
        running += change
        peak = max(peak, running)
    return peak


def replay(experiment: Path) -> list[EtaPoint]:
    """The console's progress after every epoch of the experiment, beside the time the sweep really had left."""
    spec = SweepSpec.from_json((experiment / SPEC_FILE).read_text())
    timelines = [trial_timeline(path.parent, spec) for path in sorted(experiment.glob("*/result.json"))]
    progress = sweep_progress(spec, most_at_once(timelines))
    events = [(each.started_s, 0, each, None) for each in timelines]
    events += [(row["ended_s"], 1, each, row) for each in timelines for row in each.rows]
    end = max(each.rows[-1]["ended_s"] for each in timelines)
    points = []
    for at, kind, trial, row in sorted(events, key=lambda event: event[:2]):
        if kind == 0:
            progress.started(trial.key, at)
            continue
        epoch = row["epoch"]
        images = row["images_seen"] // epoch
        progress.result(trial.key, epoch, row["time_this_iter_s"], images, {}, at, scored_seconds(row))
        if row is trial.rows[-1]:
            progress.ended(trial.key, trial.status)
        snapshot = progress.snapshot(at)
        if end - at > 0 and snapshot.eta_s is not None:
            points.append(EtaPoint(snapshot.percent, snapshot.elapsed_s, snapshot.eta_s, end - at))
    return points


def largest_error(points: list[EtaPoint]) -> EtaPoint:
    """The point of the largest error where the target applies."""
    total = points[0].elapsed_s + points[0].actual_left_s
    judged = [
        point for point in points if point.percent >= TARGET_FROM_PERCENT and point.actual_left_s >= TAIL_SHARE * total
    ]
    return max(judged, key=lambda point: abs(point.error))


@dataclass(frozen=True)
class EtaAccuracy:
    """What one experiment's replay measured: the points shown, and the one its verdict rests on."""

    name: str  # the experiment as named on the command line
    tenths: tuple[EtaPoint, ...]  # the first point at or past each tenth of the epochs done (10 % to 90 %)
    worst: EtaPoint  # :func:`largest_error`

    @property
    def within_target(self) -> bool:
        return abs(self.worst.error) <= TARGET_ERROR


def eta_accuracy(experiment: Path, name: str) -> EtaAccuracy:
    """Replay an experiment and keep the numbers the report shows, so that rendering does no arithmetic."""
    points = replay(experiment)
    tenths = (next((point for point in points if point.percent >= 10 * tenth), None) for tenth in range(1, 10))
    return EtaAccuracy(name, tuple(point for point in tenths if point is not None), largest_error(points))


def render_lines(accuracy: EtaAccuracy) -> list[str]:
    """One experiment's table of ETAs and its verdict line."""
    lines = [
        f"### {accuracy.name}",
        "",
        "| epochs done | elapsed | ETA shown | really left | error |",
        "|---|---|---|---|---|",
    ]
    for point in accuracy.tenths:
        lines.append(
            f"| {point.percent:.0f} % | {duration(point.elapsed_s)} | {duration(point.eta_s)} | "
            f"{duration(point.actual_left_s)} | {100 * point.error:+.0f} % |"
        )
    worst = accuracy.worst
    verdict = "within" if accuracy.within_target else "outside"
    lines += [
        "",
        f"From {TARGET_FROM_PERCENT} % of the epochs done to the last {100 * TAIL_SHARE:.0f} % of the sweep's time, "
        f"the largest error was {100 * worst.error:+.0f} % (at {worst.percent:.0f} %): {verdict} the "
        f"{100 * TARGET_ERROR:.0f} % target.",
    ]
    return lines


def render(accuracies: list[EtaAccuracy]) -> None:
    """Print every experiment's section, a blank line between."""
    print("\n\n".join("\n".join(render_lines(accuracy)) for accuracy in accuracies))


def main(argv: list[str] | None = None) -> int:
    """Every experiment checked before any is replayed, so that a typo fails at once; then measure and print."""
    parser = argparse.ArgumentParser(prog="eta.py", description=__doc__.splitlines()[0])
    parser.add_argument("experiments", nargs="+", type=Path, help="experiment directories of finished sweeps")
    args = parser.parse_args(argv)
    for experiment in args.experiments:
        if not (experiment / SPEC_FILE).is_file():
            parser.error(f"{experiment}: not a tune-gan experiment (no {SPEC_FILE})")
    render([eta_accuracy(experiment.resolve(), str(experiment)) for experiment in args.experiments])
    return 0


if __name__ == "__main__":
    sys.exit(main())
