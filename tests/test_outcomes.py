"""Trial outcomes (analysis.outcomes) and config verdicts (analysis.stats) on crafted histories and crafted tables
(tests.crafted) with known answers."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis import outcomes, stats
from tests.crafted import Seed, crafted


def history(coverage, classes, fid=None, every: int = 2, batch_updates: int = 58, **more) -> pd.DataFrame:
    """An evaluated-every-``every``-epochs history: its coverage, classes and FID (falling by 5 % an evaluation
    unless given) per evaluation, the generator updates at batch 1024 on MNIST (58 an epoch), and ``more`` metrics
    per evaluation (diversity, precision: absent unless given, as in results written before them)."""
    count = len(coverage)
    epochs = [every * (index + 1) for index in range(count)]
    return pd.DataFrame(
        {
            "epoch": epochs,
            "coverage": coverage,
            "classes_covered": classes,
            "fid": fid or [800 * 0.95**index for index in range(count)],
            "g_updates": [epoch * batch_updates for epoch in epochs],
            **more,
        }
    )


def with_shares(rows: pd.DataFrame, last: dict[int, float], dataset: str = "mnist") -> pd.DataFrame:
    """``rows`` with the classifier's class shares: uniform, and ``last`` (label: share) at the last evaluation."""
    for label in range(10):
        rows[f"class_share_{label}"] = [0.1] * (len(rows) - 1) + [last.get(label, 0.0)]
    rows["dataset"] = dataset
    return rows


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
    rows = with_shares(rows, {1: 0.70, 8: 0.24, 7: 0.04, 0: 0.02}, dataset)
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


def first_digits(**more) -> pd.DataFrame:
    """The batch-1024 seed of issue 33: grey blobs, then its first digits at its last evaluation (coverage 0.005, 4
    classes), its best FID ever, after FID rose once (745 -> 791)."""
    return history([0.0006, 0.0007, 0.0009, 0.0011, 0.005], [1, 1, 1, 1, 4], fid=[1031, 839, 745, 791, 539], **more)


def test_a_generator_forming_its_first_digits_is_too_early_to_judge_not_failed():
    # Blob-like variety, then a learning generator's (measured: batch 128 drawing its first digits, 0.37).
    rows = with_shares(
        first_digits(diversity=[0.054, 0.067, 0.079, 0.094, 0.37], precision=[1.0, 0.9, 0.4, 0.5, 0.75]),
        {1: 0.4, 7: 0.3, 9: 0.2, 4: 0.1},
    )
    result = outcome_of(rows)
    assert result.outcome == outcomes.TOO_EARLY and result.outcome not in outcomes.FAILED
    assert math.isnan(result.epoch)
    assert result.detail == (
        "first drew the data at epoch 10; 4 classes at epoch 10: 1 (40%), 7 (30%), 9 (20%), 4 (10%); "
        "its best FID (539) and coverage (0.005) so far"
    )
    assert result.improving is False  # FID rose once: "still improving" would call it stalled
    # The results it came from had no diversity, precision or class shares: judged the same.
    assert outcome_of(first_digits()).outcome == outcomes.TOO_EARLY


def test_first_drawing_the_data_at_the_second_last_evaluation_is_also_too_early():
    rows = history([0.001, 0.003, 0.006, 0.009], [1, 1, 3, 4], fid=[900, 800, 600, 500])
    assert outcome_of(rows).outcome == outcomes.TOO_EARLY
    assert outcome_of(rows).detail.startswith("first drew the data at epoch 6; 4 classes at epoch 8; ")


@pytest.mark.parametrize(
    "coverage, fid, why",
    [
        ([0.001, 0.006, 0.007, 0.009], [900, 600, 550, 500], "first drew the data 3 evaluations before the end"),
        ([0.001, 0.002, 0.009, 0.007], [900, 800, 600, 500], "its last coverage is below its best"),
        ([0.001, 0.002, 0.006, 0.009], [900, 800, 500, 600], "its last FID is above its best"),
    ],
)
def test_few_classes_short_of_the_too_early_rule_stay_mode_collapse(coverage, fid, why):
    assert outcome_of(history(coverage, [1, 3, 3, 4], fid=fid)).outcome == outcomes.MODE_COLLAPSE, why


def test_a_fall_from_seven_classes_to_two_stays_mode_collapse():
    rows = history(
        [0.3, 0.5, 0.5, 0.3, 0.15],
        [6, 7, 7, 4, 2],
        fid=[300, 200, 190, 250, 320],
        diversity=[0.9, 0.95, 0.95, 0.6, 0.45],
        precision=[0.8] * 5,
    )
    result = outcome_of(with_shares(rows, {1: 0.7, 8: 0.3}))
    assert (result.outcome, result.epoch) == (outcomes.MODE_COLLAPSE, 8.0) and result.outcome in outcomes.FAILED
    assert result.detail == "7 classes at epoch 6 → 2 classes at epoch 10: 1 (70%), 8 (30%)"


def one_image_for_every_z(**more) -> pd.DataFrame:
    """Issue 33's second case: 9 classes, then the same noise image for every z (precision 0), which the classifier
    calls an 8."""
    rows = history([0.2, 0.4, 0.5, 0.002, 0.001], [7, 9, 9, 1, 1], fid=[300, 200, 180, 900, 1200], **more)
    return with_shares(rows, {8: 1.0})


def test_one_image_for_every_z_is_mode_collapse_worded_without_a_class():
    rows = one_image_for_every_z(diversity=[0.8, 0.9, 0.95, 0.01, 0.008], precision=[0.7, 0.75, 0.8, 0.0, 0.0])
    result = outcome_of(rows)
    assert (result.outcome, result.epoch) == (outcomes.MODE_COLLAPSE, 8.0) and result.outcome in outcomes.FAILED
    assert result.detail == "9 classes at epoch 6 → one image for every z at epoch 10 (diversity 0.008)"
    assert outcomes.one_image(rows).tolist() == [False, False, False, True, True]


def test_without_diversity_the_same_samples_are_named_only_where_they_look_like_data():
    # Results written before diversity: judged by classes as before, but noise (precision 0) gets no class name.
    unlike = outcome_of(one_image_for_every_z(precision=[0.7, 0.75, 0.8, 0.0, 0.0]))
    assert (unlike.outcome, unlike.epoch) == (outcomes.MODE_COLLAPSE, 8.0)
    assert unlike.detail == "9 classes at epoch 6 → 1 class at epoch 10: unlike the data (precision 0)"
    # Without precision either: as before this rule.
    assert outcome_of(one_image_for_every_z()).detail == "9 classes at epoch 6 → 1 class at epoch 10: 8 (100%)"


@pytest.mark.parametrize(
    "precision, drawn",
    [
        (0.75, ": 1 (70%), 8 (30%)"),
        (0.5, ": unlike the data (precision 0.5)"),
        (0.2, ": unlike the data (precision 0.2)"),
    ],
)
def test_classes_are_named_only_above_the_precision_floor(precision, drawn):
    assert outcomes.DATA_LIKE_PRECISION == 0.5  # the floor the cases straddle
    rows = with_shares(history([0.3, 0.5, 0.1], [9, 9, 2], precision=[0.8, 0.8, precision]), {1: 0.7, 8: 0.3})
    assert outcome_of(rows).detail == f"9 classes at epoch 4 → 2 classes at epoch 6{drawn}"


def test_one_image_for_every_z_is_mode_collapse_whether_or_not_the_generator_drew_the_data():
    # Varied samples that never drew the data, then one image: mode collapse, not "did not learn".
    result = outcome_of(history([0.001, 0.002, 0.001], [3, 4, 1], diversity=[0.3, 0.35, 0.05]))
    assert (result.outcome, result.epoch, result.detail) == (
        outcomes.MODE_COLLAPSE,
        6.0,
        "one image for every z at epoch 6 (diversity 0.05)",
    )
    # ... and even where it would otherwise be too early to judge.
    early = outcome_of(history([0.001, 0.002, 0.006], [1, 1, 3], fid=[900, 850, 600], diversity=[0.3, 0.4, 0.02]))
    assert early.outcome == outcomes.MODE_COLLAPSE
    assert early.detail == "one image for every z at epoch 6 (diversity 0.02)"


def test_grey_blobs_that_never_varied_did_not_learn():
    # Batch 1024 · constant, seed 0, epochs 1-11 (measured): below ONE_IMAGE_DIVERSITY throughout, never below half its
    # best so far. A generator starts as one image for every z; this one has not yet spread out.
    diversity = [0.054, 0.067, 0.079, 0.054, 0.066, 0.055, 0.059, 0.080, 0.090, 0.094, 0.15]
    rows = history([0.0006] * 11, [1] * 11, every=1, diversity=diversity)
    assert not outcomes.one_image(rows).any()
    assert outcome_of(rows).outcome == outcomes.DID_NOT_LEARN


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


def test_a_seed_too_early_to_judge_leaves_its_config_undecided_for_more_epochs():
    stable, collapsed, early = (outcomes.STABLE, False), (outcomes.MODE_COLLAPSE, False), (outcomes.TOO_EARLY, False)
    cases = [
        ([early, early, early], (stats.UNDECIDED, stats.TOO_EARLY_WHY)),
        ([stable, early, stable], (stats.UNDECIDED, stats.TOO_EARLY_WHY)),
        ([stable, early], (stats.UNDECIDED, stats.TOO_EARLY_WHY)),
        ([stable, early, (outcomes.UNFINISHED, None)], (stats.UNDECIDED, stats.TOO_EARLY_WHY)),
        ([early, collapsed, stable], (stats.UNSTABLE_CONFIG, "")),
        ([early, (outcomes.DID_NOT_LEARN, False), stable], (stats.NOT_LEARNED_CONFIG, "")),
        ([early], (stats.UNDECIDED, stats.ONE_SEED_WHY)),
    ]
    for rows, expected in cases:
        assert stats.config_verdict(trials_table(rows)) == expected, rows


def test_a_config_whose_seeds_form_their_first_digits_needs_more_epochs_and_failed_none():
    first_digits = Seed(
        539.0,
        classes=(1, 1, 1, 1, 1, 4),
        fid_path=(1031, 900, 839, 745, 791, 539),
        coverage=(0.0006, 0.0006, 0.0007, 0.0009, 0.0011, 0.005),
        diversity=(0.054, 0.067, 0.079, 0.094, 0.15, 0.37),
    )
    trials = stats.per_trial(crafted({(1024, "constant"): [first_digits, first_digits]}))
    assert trials["outcome"].tolist() == [outcomes.TOO_EARLY] * 2
    (config,) = stats.summary(trials).itertuples()
    assert (config.verdict, config.verdict_why) == (stats.UNDECIDED, stats.TOO_EARLY_WHY)
    assert (config.failed, config.judged, config.finished) == (0, 0, 2)


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


def test_fewer_classes_only_at_a_last_evaluation_that_is_its_best_is_not_a_collapse():
    """Seen in a 12-epoch MNIST sweep (batch 128, seed 2): 7 classes at epoch 10, 5 at epoch 12, where its FID (201)
    and coverage (0.103) were its best; its final grid draws varied digits. A fall from 7 classes with FID rising stays
    mode collapse (above)."""
    rows = history([0.0038, 0.025, 0.033, 0.057, 0.098, 0.103], [2, 4, 5, 7, 7, 5], fid=[552, 370, 349, 278, 214, 201])
    assert outcome_of(rows).outcome == outcomes.STABLE
    rows = history([0.0038, 0.025, 0.033, 0.057, 0.098, 0.090], [2, 4, 5, 7, 7, 5], fid=[552, 370, 349, 278, 214, 240])
    assert outcome_of(rows).outcome == outcomes.MODE_COLLAPSE


def anchored(rows: pd.DataFrame, **anchors: float) -> pd.DataFrame:
    """``rows`` as scored in features without the dataset's classes (Inception's on a folder): classes NaN, and the
    anchors (``one_image_coverage=0.004``, ...) reported beside every evaluation as the evaluator does."""
    rows["classes_covered"] = math.nan
    for name, value in anchors.items():
        rows[f"anchor_{name}"] = value
    return rows


# What failure covers in these crafted features: a repeated image 0.004, noise 0.002; real images 0.6.
FAILURE_ANCHORS = {"one_image_coverage": 0.004, "noise_coverage": 0.002, "real_coverage": 0.6}


def test_the_drew_the_data_line_rises_to_five_times_what_failure_covers_in_the_studys_features():
    rows = anchored(history([0.010, 0.012, 0.015, 0.018], [0] * 4), **FAILURE_ANCHORS)
    assert outcomes.drew_data_line(rows) == pytest.approx(5 * 0.004)  # max(0.005, 5 x max(0.004, 0.002))
    result = outcome_of(rows)  # above MNIST's 0.005 throughout, but under 0.02
    assert (result.outcome, result.detail) == (outcomes.DID_NOT_LEARN, "in 464 generator updates, best coverage 0.018")
    # Where failure covers little, the MNIST line stands: the same coverage drew the data.
    low = anchored(history([0.010, 0.012, 0.015, 0.018], [0] * 4), one_image_coverage=0.0003, noise_coverage=0.0001)
    assert outcomes.drew_data_line(low) == outcomes.LEARNED_COVERAGE and outcome_of(low).outcome == outcomes.STABLE
    assert outcomes.drew_data_line(history([0.01], [3])) == outcomes.LEARNED_COVERAGE  # results without anchors
    # A shipped classifier's measured line stands in its features, whatever the anchors (FashionMNIST's noise: 0.002).
    counted = history([0.01], [3])
    counted["anchor_noise_coverage"] = 0.002
    assert outcomes.drew_data_line(counted) == outcomes.LEARNED_COVERAGE


def test_without_classes_a_coverage_fall_is_mode_collapse_said_in_coverage():
    rows = anchored(history([0.05, 0.30, 0.32, 0.10, 0.08], [0] * 5, fid=[90, 40, 38, 70, 75]), **FAILURE_ANCHORS)
    result = outcome_of(rows)
    # 0.10 < 0.5 x 0.32 from epoch 8 on; the peak it fell from is epoch 6's.
    assert (result.outcome, result.epoch) == (outcomes.MODE_COLLAPSE, 8.0)
    assert result.detail == "coverage 0.32 at epoch 6 → coverage 0.08 at epoch 10"
    rising = anchored(history([0.05, 0.10, 0.20], [0] * 3), **FAILURE_ANCHORS)
    assert outcome_of(rising).outcome == outcomes.STABLE  # no class count can call it few classes


def test_one_image_for_every_z_is_judged_under_noises_diversity_where_that_is_lower():
    rows = anchored(
        history([0.05, 0.30, 0.30, 0.30], [0] * 4, diversity=[0.5, 0.6, 0.15, 0.12]),
        noise_diversity=0.1,
        **FAILURE_ANCHORS,
    )
    assert outcomes.one_image_line(rows) == 0.1
    assert outcomes.one_image(rows).tolist() == [False, False, False, False]  # 0.12 and 0.15: noise varies less
    rows["diversity"] = [0.5, 0.6, 0.15, 0.05]
    result = outcome_of(rows)
    assert result.outcome == outcomes.MODE_COLLAPSE
    assert result.detail == "coverage 0.3 at epoch 6 → one image for every z at epoch 8 (diversity 0.05)"


def test_features_that_give_real_images_no_more_coverage_than_failure_judge_nobody():
    rows = anchored(history([0.01, 0.02, 0.03], [0] * 3), **{**FAILURE_ANCHORS, "real_coverage": 0.015})
    result = outcome_of(rows)
    assert result.outcome == outcomes.FEATURES_BLIND
    assert result.detail == "a real sample covers 0.015 in these features, under the 0.02 that drawing the data takes"
