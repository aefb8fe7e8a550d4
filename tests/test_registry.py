"""The metric registry (trainables.metric_keys.METRICS): every view shows registered metrics only, both --rank-by
flags accept the same set, and a quality metric added as one registry entry and one scorer reaches every view."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from analysis import report, stats
from analysis.load import CONFIG_COLUMNS
from tests.crafted import Seed, crafted
from tests.helpers import REPO, run_script
from trainables.config import SEED
from trainables.metric_keys import (
    METRIC,
    METRICS,
    PER_TRIAL,
    QUALITY,
    QUALITY_METRICS,
    RANKABLE,
    TRAIN_METRICS,
    TRAINING,
    label,
    of_source,
)
from trainables.quality.metrics import FeatureStats, class_histogram, classes_covered, inception_score
from trainables.quality.scorers import SCORERS, Evaluation, RealReference, score
from tune_gan import sweep
from tune_gan.console import PROGRESS_COLUMNS
from tune_gan.results_table import COLUMNS

TWO_CONFIGS = {(128, "constant"): [Seed(20.0), Seed(22.0)], (256, "step"): [Seed(30.0), Seed(33.0)]}
# What the report's tables show beside metrics: the config, the rank and each seed's outcome.
NOT_METRICS = {*CONFIG_COLUMNS, "rank", "config", "label", "seeds", "verdict", "stable", "failed", "outcomes", "status"}
NOT_METRICS |= {"outcome", "outcome_epoch", "outcome_detail", "improving"}


def rank_by_choices(parser) -> tuple[str, ...]:
    return next(tuple(action.choices) for action in parser._actions if action.dest == "rank_by")


def test_every_metric_is_registered_once_with_its_source():
    assert len(METRIC) == len(METRICS)
    assert set(of_source(TRAINING)) == set(TRAIN_METRICS)
    assert set(SCORERS) == set(QUALITY_METRICS) == set(of_source(QUALITY))


def test_the_progress_view_and_the_sweeps_table_show_registered_metrics_under_their_labels():
    headers = {"epoch": "epoch", "d_loss": "D loss", "g_loss": "G loss", "fid": "FID", "classes_covered": "classes"}
    assert PROGRESS_COLUMNS == headers
    assert all(PROGRESS_COLUMNS[key] == label(key) for key in PROGRESS_COLUMNS)
    shown = [column for column in COLUMNS if column not in ("status", "epochs_done", "reason")]
    assert set(shown) <= set(METRIC) and set(RANKABLE) <= set(shown)


def test_both_rank_by_flags_accept_the_registrys_rankable_quality_metrics():
    expected = ("fid", "is_score", "coverage", "density", "precision", "recall", "class_kl", "classes_covered")
    assert rank_by_choices(sweep.build_parser()) == rank_by_choices(report.build_parser()) == RANKABLE == expected


def test_every_number_the_reports_tables_show_is_a_registered_metric():
    data = report.report_data(crafted(TWO_CONFIGS), "crafted")
    tables = {
        "config": report.config_table(data),
        "ranked": report.ranked_table(data),
        "trial": report.trial_table(data),
    }
    # A quality metric over every finished seed, failed ones too, is that metric too (the appendix's).
    with_failed = {stats.ALL_FINISHED.format(metric=metric) for metric in RANKABLE}
    for name, table in tables.items():
        numbers = set(table.columns) - NOT_METRICS - {SEED} - with_failed
        assert numbers <= set(METRIC), (name, numbers - set(METRIC))
    assert set(tables["config"].columns) - NOT_METRICS - with_failed == {
        *RANKABLE,
        "g_updates",
        "d_acc",
        "epochs_done",
    } | {
        "fid_fluctuation",
        "late_d_loss_var_corrected",
        "late_d_loss_var",
    }


def test_the_per_trial_table_holds_every_per_trial_metric():
    trials = stats.per_trial(crafted(TWO_CONFIGS))
    assert set(of_source(PER_TRIAL)) <= set(trials.columns)


def test_scorers_give_the_metric_maths_values():
    """A crafted evaluation against itself: what each scorer returns is the metric function's own value."""
    features = torch.randn(200, 8, generator=torch.Generator().manual_seed(0))
    logits = torch.randn(200, 10, generator=torch.Generator().manual_seed(1))
    stats_of_real = FeatureStats(features.double().mean(0), torch.eye(8, dtype=torch.float64))
    real = RealReference("mnist", "", features, torch.ones(200), torch.ones(200), stats_of_real)
    scores = score(Evaluation(features, logits, real))
    assert list(scores) == list(QUALITY_METRICS)
    assert (scores["is_score"], scores["is_std"]) == inception_score(logits)
    assert scores["classes_covered"] == classes_covered(class_histogram(logits))


NEW_ENTRY = """\
    Metric(
        "top_class_share",
        QUALITY,
        unit="fraction of samples",
        higher_is_better=False,
        shown_in=(SWEEP_TABLE, RANKABLE_QUALITY, TRIAL_TABLE),
    ),
"""
NEW_SCORER = """

@scorer("top_class_share")
def top_class_share(evaluation: Evaluation) -> float:
    return float(evaluation.histogram.max())
"""
CHECK = """
import json, sys
sys.path.insert(0, sys.argv[1])  # the edited copy before the repo, which python -c puts first (cwd)
from analysis import report
from tests.crafted import Seed, crafted
from trainables.config import TrialConfig
from trainables.data import resolve_data_dir
from trainables.models import build_models
from trainables.quality.evaluator import QualityEvaluator, evaluation_noise, real_reference
from tune_gan import results_table, sweep

config = TrialConfig(eval_samples=500)
generator, _ = build_models(config.model, config.latent_dim)
evaluator = QualityEvaluator(real_reference("mnist", resolve_data_dir(None)))
reported = evaluator.evaluate(generator, evaluation_noise(config))
frame = crafted({(128, "constant"): [Seed(20.0), Seed(22.0)], (256, "step"): [Seed(30.0), Seed(33.0)]})
frame["top_class_share"] = [0.1 + 0.01 * index for index in range(len(frame))]
data = report.report_data(frame, "crafted", rank_by="top_class_share")
json.dump({
    "reported": "top_class_share" in reported and 0 < reported["top_class_share"] <= 1,
    "sweep_table": "top_class_share" in results_table.COLUMNS,
    "sweep_rank_by": sweep.build_parser().parse_args(["--rank-by", "top_class_share"]).rank_by,
    "report_rank_by": report.build_parser().parse_args(["x", "--rank-by", "top_class_share"]).rank_by,
    "config_table": list(report.config_table(data).columns),
    "ranked_table": list(report.ranked_table(data).columns),
    "trial_table": list(report.trial_table(data).columns),
    "best": data.ranked["label"].iloc[0],
}, sys.stdout)
"""


@pytest.mark.slow
def test_a_quality_metric_added_as_one_entry_and_one_scorer_reaches_results_tables_report_and_rank_by(tmp_path):
    """The newcomer's path, on a copy of the packages: one registry entry, one scorer, nothing else edited."""
    for package in ("trainables", "tune_gan", "analysis"):
        shutil.copytree(REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    registry = tmp_path / "trainables" / "metric_keys.py"
    text = registry.read_text()
    registry.write_text(text.replace('    Metric("fid_fluctuation"', NEW_ENTRY + '    Metric("fid_fluctuation"', 1))
    scorers = tmp_path / "trainables" / "quality" / "scorers.py"
    text = scorers.read_text()
    scorers.write_text(text.replace("\n\n_UNSCORED", NEW_SCORER + "\n\n_UNSCORED", 1))
    finished = run_script("-c", CHECK, tmp_path, timeout=600)
    assert finished.returncode == 0, finished.stderr[-3000:]
    seen = json.loads(finished.stdout)
    assert seen["reported"] and seen["sweep_table"]
    assert seen["sweep_rank_by"] == seen["report_rank_by"] == "top_class_share"
    assert "top_class_share" in seen["config_table"] and "top_class_share" in seen["trial_table"]
    # the ranking metric, after rank, config, seeds, outcomes, failed
    assert seen["ranked_table"][5] == "top_class_share"
    assert seen["best"] == "batch 128 · constant"  # lower is better, and its rows' shares are the lower ones
