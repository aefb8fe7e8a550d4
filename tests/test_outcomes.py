"""Trial outcomes (analysis.outcomes) and config verdicts (analysis.stats) on crafted histories and crafted tables
(tests.crafted) with known answers."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis import outcomes, stats
from tests.crafted import Seed, crafted


def history(coverage, classes, fid=None, every: int = 2, batch_updates: int = 58) -> pd.DataFrame:
    """An evaluated-every-``every``-epochs history: its coverage, classes and FID (falling by 5 % an evaluation
    unless given) per evaluation, and the generator updates at batch 1024 on MNIST (58 an epoch)."""
    count = len(coverage)
    epochs = [every * (index + 1) for index in range(count)]
    return pd.DataFrame(
        {
            "epoch": epochs,
            "coverage": coverage,
            "classes_covered": classes,
            "fid": fid or [800 * 0.95**index for index in range(count)],
            "g_updates": [epoch * batch_updates for epoch in epochs],
        }
    )


def outcome_of(rows: pd.DataFrame) -> outcomes.TrialOutcome:
    return outcomes.trial_outcome(rows, "TERMINATED", int(rows["epoch"].max()))


def test_samples_that_never_look_like_data_did_not_learn_whatever_their_class_count():
    # Grey blobs the classifier spreads over 7 classes: precision and density can be high, coverage stays near 0.
    result = outcome_of(history([0.0007, 0.0009, 0.0012, 0.0015], [7, 6, 7, 7]))
    assert result.outcome == outcomes.DID_NOT_LEARN
    assert result.detail == "in 464 generator updates, best coverage 0.0015"
    assert result.improving is True  # FID fell at each of the last 3 evaluations


def test_a_generator_that_drew_nine_classes_and_then_two_mode_collapsed_at_the_right_epoch():
    rows = history(
        [0.30, 0.50, 0.60, 0.60, 0.40, 0.20, 0.15], [6, 8, 9, 9, 5, 3, 2], fid=[300, 200, 160, 150, 200, 260, 300]
    )
    result = outcome_of(rows)
    # Epoch 10 is the first of the evaluations that all show it (5 classes); the last with 9 classes was epoch 8.
    assert (result.outcome, result.epoch) == (outcomes.MODE_COLLAPSE, 10.0)
    assert result.detail == "9 classes at epoch 8 → 2 classes at epoch 14"
    assert result.improving is False


@pytest.mark.parametrize("dataset", ["fashion_mnist", "mnist"])
def test_a_collapse_names_the_classes_its_last_samples_draw_as_the_dataset_names_them(dataset):
    rows = history(
        [0.30, 0.50, 0.60, 0.60, 0.40, 0.20, 0.15], [6, 8, 9, 9, 5, 3, 2], fid=[300, 200, 160, 150, 200, 260, 300]
    )
    # The last evaluation: 70 % class 1, 24 % class 8; 4 % class 7 and 2 % class 0 are under half their fair share of
    # 10 %: not named.
    shares = {label: 0.0 for label in range(10)} | {1: 0.70, 8: 0.24, 7: 0.04, 0: 0.02}
    for label, share in shares.items():
        rows[f"class_share_{label}"] = [0.1] * (len(rows) - 1) + [share]
    rows["dataset"] = dataset
    names = {"fashion_mnist": ("Trouser", "Bag"), "mnist": ("1", "8")}[dataset]  # torchvision's label order
    assert (
        outcome_of(rows).detail == f"9 classes at epoch 8 → 2 classes at epoch 14: {names[0]} (70%), {names[1]} (24%)"
    )


def test_a_one_class_realistic_generator_is_mode_collapse_not_did_not_learn():
    # Realistic 1s only: about a tenth of the real neighbourhoods hold a sample (real 1s score 0.12).
    result = outcome_of(history([0.10, 0.12, 0.12], [1, 1, 1], fid=[720, 720, 721]))
    assert (result.outcome, result.epoch) == (outcomes.MODE_COLLAPSE, 2.0)
    assert result.detail == "1 class at epoch 6"
    assert result.improving is False


def test_coverage_that_halves_is_mode_collapse_even_with_many_classes():
    rows = history([0.2, 0.6, 0.5, 0.25, 0.2], [8, 9, 9, 8, 8], fid=[200, 150, 150, 160, 170])
    result = outcome_of(rows)
    assert (result.outcome, result.epoch) == (outcomes.MODE_COLLAPSE, 8.0)  # 0.25 < 0.5 x 0.6
    assert outcomes.mode_collapsed(rows).tolist() == [False, False, False, True, True]


def test_collapse_needs_every_later_evaluation():
    rows = history([0.3, 0.4, 0.5, 0.5], [9, 3, 9, 10])
    assert outcomes.mode_collapsed(rows).tolist() == [False, True, False, False]
    assert math.isnan(outcomes.mode_collapse_epoch(rows))
    assert outcome_of(rows).outcome == outcomes.STABLE


def test_an_unlearned_start_is_not_a_collapse():
    # Few classes before the generator drew the data are "not yet", not collapse: it learned at epoch 6.
    rows = history([0.001, 0.003, 0.3, 0.5, 0.6], [1, 2, 8, 9, 10])
    assert outcomes.mode_collapsed(rows).tolist() == [False] * 5
    assert outcome_of(rows).outcome == outcomes.STABLE


def test_improving_needs_fid_falling_at_each_of_the_last_evaluations():
    assert outcomes.still_improving(pd.DataFrame({"fid": [300, 250, 200]})) is True
    assert outcomes.still_improving(pd.DataFrame({"fid": [300, 200, 210, 190]})) is False
    assert outcomes.still_improving(pd.DataFrame({"fid": [300, 200]})) is None  # too few to tell


def trials_table(rows: list[tuple[str, bool | None]]) -> pd.DataFrame:
    return pd.DataFrame({"outcome": [outcome for outcome, _ in rows], "improving": [flag for _, flag in rows]})


def test_config_verdicts_follow_the_definitions():
    stable, collapsed, learning = (
        (outcomes.STABLE, False),
        (outcomes.MODE_COLLAPSE, False),
        (outcomes.MODE_COLLAPSE, True),
    )
    cases = [
        ([stable, stable, stable], (stats.STABLE_CONFIG, "")),
        ([stable, collapsed, stable], (stats.UNSTABLE_CONFIG, "")),
        # Drawing mostly 1s with FID falling at every evaluation: early in training, not unstable.
        ([learning, learning, learning], (stats.UNDECIDED, stats.IMPROVING_WHY)),
        ([(outcomes.DID_NOT_LEARN, True)] * 3, (stats.NOT_LEARNED_CONFIG, "")),
        ([(outcomes.DID_NOT_LEARN, True), stable, (outcomes.DIVERGED, None)], (stats.UNSTABLE_CONFIG, "")),
        ([stable], (stats.UNDECIDED, stats.ONE_SEED_WHY)),
        ([stable, stable, (outcomes.UNFINISHED, None)], (stats.UNDECIDED, stats.UNFINISHED_WHY)),
        ([stable, (outcomes.UNFINISHED, None)], (stats.UNDECIDED, stats.UNFINISHED_WHY)),
    ]
    for rows, expected in cases:
        assert stats.config_verdict(trials_table(rows)) == expected, rows


def test_results_without_coverage_are_not_judged():
    rows = history([0.5, 0.5, 0.5], [9, 9, 9]).drop(columns=["coverage"])
    assert outcome_of(rows).outcome == outcomes.NOT_MEASURED


def test_quality_that_fell_from_its_best_is_not_stable_even_when_frozen_at_the_end():
    frame = crafted(
        {
            (128, "constant"): [
                Seed(0, fid_path=(400, 300, 200, 150, 160, 200)),
                Seed(0, fid_path=(400, 300, 200, 150, 140, 130)),
                # Worse, then frozen (an LR decayed to nothing): a window of the last evaluations would call it held.
                Seed(0, fid_path=(400, 150, 300, 300, 300, 300)),
            ]
        }
    )
    trials = stats.per_trial(frame).set_index("seed")
    assert trials.loc[0, "outcome"] == outcomes.QUALITY_FELL  # 200 > 1.25 x 150
    assert trials.loc[0, "outcome_detail"] == "FID 150 at epoch 4 → 200 at epoch 6"
    assert (trials.loc[1, "outcome"], trials.loc[1, "improving"]) == (outcomes.STABLE, True)
    assert trials.loc[2, "outcome"] == outcomes.QUALITY_FELL
    assert trials.loc[0, "fid_fluctuation"] == pytest.approx((200 - 150) / 150)
    assert stats.summary(stats.per_trial(frame))["verdict"].tolist() == [stats.UNSTABLE_CONFIG]


def test_a_diverged_seed_that_had_mode_collapsed_says_both():
    frame = crafted({(128, "constant"): [Seed(500.0, classes=(10, 9, 2, 2), status="DIVERGED")]})
    (trial,) = stats.per_trial(frame).itertuples()
    assert (trial.outcome, trial.outcome_epoch) == (outcomes.DIVERGED, 4.0)
    assert trial.outcome_detail == "discriminator collapse: …; mode-collapsed from epoch 3"
