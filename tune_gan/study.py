"""A study: an experiment and the experiments ``tune-gan sweep --add-seeds`` ran for it, beside it.

The first experiment records the names of those added in :data:`STUDY_FILE`, so that its report
(``tune-gan report EXPERIMENT``) pools them without naming them, and a further ``--add-seeds`` knows the seeds run.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from trainables.config import SEED
from tune_gan.search_space import SPEC_FILE, SweepSpec
from tune_gan.storage import StorageLocation

STUDY_FILE = "tune_gan_study.json"


def location(experiment: str | Path) -> StorageLocation:
    return StorageLocation.parse(str(experiment))


def study_members(experiment: str | Path) -> list[str]:
    """The experiment's location and those of the experiments recorded as added to it."""
    first = location(experiment)
    if not first.child(STUDY_FILE).is_file():
        return [first.uri]
    parent = first.uri.rsplit("/", 1)[0]
    return [first.uri, *(f"{parent}/{name}" for name in json.loads(first.read_text(STUDY_FILE))["added"])]


def members_of(experiments: Sequence[str | Path]) -> list[str]:
    """The locations of the studies of ``experiments``: each, then those added to it, each location once."""
    return list(dict.fromkeys(member for experiment in experiments for member in study_members(experiment)))


def record_added(experiment: str | Path, name: str) -> None:
    """Record the experiment ``name``, beside ``experiment``, as part of its study."""
    first = location(experiment)
    added = json.loads(first.read_text(STUDY_FILE))["added"] if first.child(STUDY_FILE).is_file() else []
    first.write_text(STUDY_FILE, json.dumps({"added": [*added, name]}, indent=2))


def saved_spec(experiment: str) -> SweepSpec | None:
    """The spec a tune-gan sweep saved in the experiment; None where there is none."""
    if not location(experiment).child(SPEC_FILE).is_file():
        return None
    return SweepSpec.from_json(location(experiment).read_text(SPEC_FILE))


def seeds_run(experiment: str | Path) -> list[int]:
    """Every seed the study of ``experiment`` has run, in order."""
    specs = [saved_spec(member) for member in study_members(experiment)]
    return sorted({seed for spec in specs if spec is not None for seed in spec.grid[SEED]})
