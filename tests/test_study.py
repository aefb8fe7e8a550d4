"""A study over several experiments: seeds added with --add-seeds, pooled by the report, equal to one run of every
seed; experiments that are not one study refused."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from analysis import report
from analysis.load import load_study
from analysis.report import report_data
from tests.helpers import run_sweep
from trainables.metric_keys import MACHINE_METRICS
from tune_gan import sweep
from tune_gan.search_space import SPEC_FILE
from tune_gan.study import STUDY_FILE, seeds_run

pytestmark = pytest.mark.slow  # the fixture runs three sweeps

GRID = "--preset smoke --batch-sizes 64 128 --schedules constant --epochs 2 --subset 512 --eval-samples 200"
# What differs between two runs of the same trial: Tune's ids and paths, and the machine's timings.
NOT_COMPARED = ["trial_id", "checkpoint", *MACHINE_METRICS]


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """Seeds 0-1 run, then seed 2 added; and seeds 0-2 in one go. (storage, the add-seeds sweep's output)."""
    storage = tmp_path_factory.mktemp("study")
    for seeds, name in ((("0", "1"), "first"), (("0", "1", "2"), "whole")):
        finished = run_sweep(*GRID.split(), "--seeds", *seeds, "--storage-path", str(storage), "--name", name)
        assert finished.returncode == 0, finished.stderr[-3000:]
    added = run_sweep("--add-seeds", str(storage / "first"), "--seeds", "2")
    assert added.returncode == 0, added.stderr[-3000:]
    return storage, added


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=NOT_COMPARED).reset_index(drop=True)


def test_seeds_added_and_pooled_equal_one_run_of_every_seed(study):
    storage, added = study
    assert json.loads((storage / "first" / STUDY_FILE).read_text()) == {"added": ["first_seeds_2"]}
    assert seeds_run(storage / "first") == [0, 1, 2]
    assert f"The study with these seeds pooled: python analysis/report.py {storage / 'first'}" in added.stdout
    pooled, whole = load_study([storage / "first"]), load_study([storage / "whole"])
    assert sorted(pooled["seed"].unique()) == [0, 1, 2] and pooled["trial_id"].nunique() == 6
    pd.testing.assert_frame_equal(comparable(pooled), comparable(whole))
    pooled_data, whole_data = report_data(pooled, "pooled"), report_data(whole, "whole")
    assert [answer.sentences() for answer in pooled_data.answers] == [
        answer.sentences() for answer in whole_data.answers
    ]
    pd.testing.assert_frame_equal(pooled_data.summary, whole_data.summary)
    # The report says where its trials come from.
    out = storage / "report"
    assert report.main([str(storage / "first"), "--out", str(out)]) == 0
    assert (
        f"Experiment `{storage / 'first'}`, pooled with `{storage / 'first_seeds_2'}`: 6 trials"
        in (out / "report.md").read_text()
    )


@pytest.mark.parametrize(
    "argv, error",
    [
        (["--seeds", "1", "3"], "--seeds 1: already run in the study of {first} (seeds 0 1 2)"),
        (["--seeds", "3", "--epochs", "3"], "--epochs: not allowed with --add-seeds, which runs the experiment's "
                                            "settings"),
        (["--seeds", "3", "--batch-sizes", "64", "256"], "--batch-sizes 256: not in the grid of {first} (64 128)"),
        ([], "--add-seeds: give the new seeds with --seeds, e.g. --seeds 3 4 5"),
    ],
)  # fmt: skip
def test_adding_seeds_refuses_what_the_study_cannot_take(study, argv, error, capsys):
    storage, _ = study
    before = sorted(storage.rglob("*"))
    assert sweep.main(["--add-seeds", str(storage / "first"), *argv]) == 2
    assert capsys.readouterr().err == f"sweep.py: error: {error.format(first=storage / 'first')}\n"
    assert sorted(storage.rglob("*")) == before


def test_experiments_that_are_not_one_study_are_refused(study, capsys):
    storage, _ = study
    first, whole, other = storage / "first", storage / "whole", storage / "other"
    # The same configs and seeds twice.
    assert report.main([str(first), str(whole), "--out", str(storage / "refused")]) == 2
    assert capsys.readouterr().err == (
        f"report.py: error: batch_size 64 · schedule constant · lr_scaling none · seed 0: run in both {first} and "
        f"{whole}; a study runs each trial once\n"
    )
    # A setting that differs.
    shutil.copytree(whole, other)
    spec = json.loads((other / SPEC_FILE).read_text())
    spec["settings"]["epochs"] = 3
    (other / SPEC_FILE).write_text(json.dumps(spec))
    assert report.main([str(first), str(other), "--out", str(storage / "refused")]) == 2
    assert capsys.readouterr().err == (
        f"report.py: error: {other}: epochs 3, but {first} has 2: experiments pooled into one study share every "
        "setting but the grid's values\n"
    )
    assert not (storage / "refused").exists()
