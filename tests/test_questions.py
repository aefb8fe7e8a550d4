"""The questions follow the grid that was run (analysis.questions): one per varied axis in its own words, the ranking
always, none for a setting that did not vary, no blank answer, twins as one config; on crafted studies with known
answers."""

from __future__ import annotations

import math
import re

import pytest

from analysis import questions
from analysis.configs import Twin, axes, config_columns
from analysis.intervals import NO_SPREAD
from analysis.questions import comparison as compared
from analysis.questions.family import Family
from analysis.questions.study import study_of
from analysis.report import report_data, report_markdown
from analysis.wording import effect_text
from tests.crafted import Seed, answers, comparison, crafted, schedules_at_batch_1024
from tests.helpers import BATCH_AND_SCHEDULE_QUESTIONS, shown
from tests.reference_stats import welch_on_logs, wilson
from trainables.metric_keys import RANKABLE

RANKING = "Which settings give good images?"
COLLAPSED = (10, 9, 3, 2, 2, 2)


def lr_scaling_study() -> dict:
    """Batch 128 and 1024, unscaled and linearly scaled LR, 3 seeds; unscaled batch 1024 collapses on every seed."""
    return {
        (128, "constant", "none"): [Seed(100.0 + seed) for seed in range(3)],
        (128, "constant", "linear"): [Seed(100.0 + seed) for seed in range(3)],
        (1024, "constant", "none"): [Seed(300.0, classes=COLLAPSED)] * 3,
        (1024, "constant", "linear"): [Seed(150.0 + seed) for seed in range(3)],
    }


def latent_study() -> dict:
    """latent_dim 128 against 256 (a --sweep axis) at batch 128, constant LR: 256 worse on every seed."""
    return {
        (128, "constant", "none", 128): [Seed(f) for f in (100.0, 104.0, 102.0)],
        (128, "constant", "none", 256): [Seed(f) for f in (200.0, 212.0, 206.0)],
    }


def model_study() -> dict:
    """Figure 1's MLP against a DCGAN with spectral norm in D (one linked axis): the MLP collapses on 6 of 6 seeds."""
    mlp = (("model", "mlp"), ("spectral_norm", False))
    dcgan = (("model", "dcgan"), ("spectral_norm", True))
    return {mlp: [Seed(300.0, classes=COLLAPSED)] * 6, dcgan: [Seed(150.0 + seed) for seed in range(6)]}


@pytest.mark.parametrize(
    "study, asked, axis_words",
    [
        (
            lr_scaling_study,
            [BATCH_AND_SCHEDULE_QUESTIONS[0], RANKING, "Does scaling the LR with the batch rescue the large batches?"],
            "lr_scaling",
        ),
        (latent_study, [RANKING, "What does latent_dim 256 change against 128?"], "latent_dim"),
        (model_study, [RANKING, "Does a DCGAN with spectral norm train more stably than the MLP?"], "model dcgan"),
        (schedules_at_batch_1024, [RANKING, BATCH_AND_SCHEDULE_QUESTIONS[2]], "warmup_cosine"),
    ],
)
def test_each_varied_axis_asks_its_question_answered_and_a_fixed_setting_asks_none(study, asked, axis_words):
    found = questions.answers(crafted(study()))
    assert [answer.text for answer in found] == asked
    summaries = [answer.summary() for answer in found]
    assert all(summary.strip() for summary in summaries)
    assert axis_words in summaries[-1]
    # Every comparison is in exactly one question's family: the families' sizes add up to the comparisons tested.
    tested = [c for answer in found for c in answer.comparisons if math.isfinite(c.effect.p_value)]
    families = [record.size for answer in found for record in answer.records if isinstance(record, Family)]
    singles = [
        answer for answer in found if len([c for c in answer.comparisons if math.isfinite(c.effect.p_value)]) == 1
    ]
    assert sum(families) + len(singles) == len(tested)


def test_a_swept_setting_is_answered_by_its_comparisons():
    frame = crafted(latent_study())
    found = comparison(frame, compared.FINAL, "", "What does latent_dim 256 change against 128?")
    ratio, low, high, p = welch_on_logs([200.0, 212.0, 206.0], [100.0, 104.0, 102.0])
    assert (found.a.config, found.b.config) == ("latent_dim 256", "latent_dim 128")
    assert (found.effect.value, found.effect.low, found.effect.high, found.effect.p_value) == pytest.approx(
        (ratio, low, high, p)
    )
    # Two in its family: the stable seeds (3 of 3 each, p 1) and FID.
    assert found.family == 2 and found.conclusion == compared.WORSE
    summary = answers(frame)["What does latent_dim 256 change against 128?"].summary()
    assert summary == (
        f"latent_dim 256 3 of 3 stable [{shown(wilson(3, 3)[0])}, 1] against latent_dim 128 3 of 3 stable "
        f"[{shown(wilson(3, 3)[0])}, 1]. Resolved: latent_dim 256 is worse than latent_dim 128 (FID: "
        f"×{shown(ratio)} [×{shown(low)}, ×{shown(high)}], Holm-adjusted p {shown(2 * p)})."
    )


def test_a_model_axis_linked_with_spectral_norm_is_one_axis_named_by_what_each_value_sets():
    frame = crafted(model_study())
    assert config_columns(frame) == ["model", "spectral_norm"]
    assert axes(frame) == [("model", "spectral_norm")]
    shares = comparison(
        frame, compared.SEEDS_STABLE, "", "Does a DCGAN with spectral norm train more stably than the MLP?"
    )
    assert (shares.a.config, shares.b.config) == ("model dcgan · spectral_norm True", "model mlp · spectral_norm False")
    assert shares.effect.p_value == pytest.approx(2 / math.comb(12, 6)) and shares.conclusion == compared.BETTER


def test_twins_are_one_config_neither_compared_nor_counted():
    frame = crafted(lr_scaling_study())
    study = study_of(frame)
    (group,) = study.twins
    assert group.members == ("batch 128 · lr_scaling none", "batch 128 · lr_scaling linear")
    assert group.merged == "batch 128 · lr_scaling none = linear" and group.epochs == 6
    # One row, three seeds (the same runs are not counted twice).
    assert study.ranked["label"].tolist().count("batch 128 · lr_scaling none = linear") == 1
    assert study.trials["lr_scaling"].map(lambda value: isinstance(value, Twin)).sum() == 3
    # No comparison sets a twin against a member of its group.
    for answer in questions.ask(study):
        for found in answer.comparisons:
            assert {found.a.config, found.b.config} != {"lr_scaling none", "lr_scaling linear"} or found.context != (
                "batch 128"
            )
    markdown = report_markdown(report_data(frame, "crafted"), [])
    assert markdown.count("**Twins.**") == 1
    assert "shown once as batch 128 · lr_scaling none = linear" in markdown


def test_an_axis_whose_every_value_ran_the_baselines_runs_still_answers():
    # step's LR never leaves constant's in 6 epochs, at either batch size: schedule still varies in the grid, but every
    # step config is a twin of constant's; batch size remains to compare.
    frame = crafted(
        {
            (128, "constant"): [Seed(100.0 + seed) for seed in range(2)],
            (128, "step"): [Seed(100.0 + seed) for seed in range(2)],
            (1024, "constant"): [Seed(300.0 + seed) for seed in range(2)],
            (1024, "step"): [Seed(300.0 + seed) for seed in range(2)],
        }
    )
    found = questions.answers(frame)
    assert [answer.text for answer in found] == [BATCH_AND_SCHEDULE_QUESTIONS[0], RANKING]
    assert all(answer.summary() for answer in found)
    assert study_of(frame).ranked["label"].tolist() == ["batch 128 · constant = step", "batch 1024 · constant = step"]


def test_the_summary_answers_each_question_from_its_records_above_the_sections():
    frame = crafted(schedules_at_batch_1024())
    found = answers(frame)
    short = {text: answer.summary() for text, answer in found.items()}
    assert short[RANKING].startswith(
        f"warmup_cosine ranks first: 0 of 6 finished seeds failed [0, {shown(wilson(0, 6)[1])}]; FID "
    )
    # At most three sentences an answer (a sentence ends at a full stop before a capital).
    assert [len(re.split(r"(?<=\.) (?=[A-Z])", answer)) for answer in short.values()] == [1, 2]
    # The comparison the schedule question resolved (stable seeds at 6 against 6), named with its numbers.
    shares = comparison(frame, compared.SEEDS_STABLE, "", BATCH_AND_SCHEDULE_QUESTIONS[2])
    assert shares.conclusion == compared.BETTER
    assert short[BATCH_AND_SCHEDULE_QUESTIONS[2]] == (
        "warmup_cosine fixes constant LR's instability. Resolved: warmup_cosine is more often stable than constant = "
        f"step (stable seeds: {effect_text(shares.effect)}, Holm-adjusted p {shown(shares.p_adjusted)})."
    )
    markdown = report_markdown(report_data(frame, "crafted"), [])
    summary_at, first_section = markdown.index(f"- **{RANKING}**"), markdown.index("\n## ")
    assert summary_at < first_section


def test_before_any_epoch_every_question_says_so():
    frame = crafted({(128, "constant"): [Seed(100.0)], (1024, "constant"): [Seed(300.0)]})
    frame["epoch"] = float("nan")
    found = questions.answers(frame)
    assert {answer.summary() for answer in found} == {"No trial reported an epoch yet, so there is nothing to compare."}


def test_findings_frame_holds_every_record_with_its_sentence():
    frame = crafted({(128, "constant"): [Seed(100.0)] * 2, (1024, "constant"): [Seed(300.0), Seed(310.0)]})
    found = questions.answers(frame)
    table = questions.findings_frame(found)
    assert len(table) == sum(len(answer.records) for answer in found)
    row = table[(table["kind"] == "Comparison") & (table["topic"] == compared.EQUAL_EPOCHS)].iloc[0]
    equal_epochs = comparison(frame, compared.EQUAL_EPOCHS, "")
    assert (row["effect"], row["p_adjusted"], row["conclusion"]) == (
        equal_epochs.effect.value,
        equal_epochs.p_adjusted,
        equal_epochs.conclusion,
    )
    assert row["text"] == compared.comparison_text(equal_epochs)


def test_no_spread_on_either_side_is_no_conclusion():
    frame = crafted(
        {(128, "constant", "none", latent): [Seed(100.0 if latent == 128 else 200.0)] * 3 for latent in (128, 256)}
    )
    found = comparison(frame, compared.FINAL, "")
    assert found.effect.no_test == NO_SPREAD and found.conclusion == NO_SPREAD


def test_a_swept_setting_without_quality_measured_is_not_compared_by_quality():
    """eval_every 0: no quality columns; the answers say quality was not measured instead of failing on them."""
    frame = crafted({(128, "constant", "none", latent): [Seed(100.0)] * 2 for latent in (128, 256)})
    unmeasured = frame.drop(columns=list(RANKABLE))
    text = " ".join(sentence for answer in questions.answers(unmeasured) for sentence in answer.sentences())
    assert "measured no image quality" in text and "Final FID" not in text


def test_a_side_with_no_seed_that_did_not_fail_is_neither_counted_nor_called_undecided():
    """Every batch 1024 seed collapsed: the stable seeds are tested, its FID at equal epochs (no seed that did not fail
    on one side) is not, so the summary counts one comparison, as the family does."""
    collapsed = (10, 9, 3, 2, 2, 2)
    frame = crafted(
        {(128, "constant"): [Seed(100.0 + seed) for seed in range(3)], (1024, "constant"): [Seed(300.0, collapsed)] * 3}
    )
    equal_epochs = comparison(frame, compared.EQUAL_EPOCHS, "", BATCH_AND_SCHEDULE_QUESTIONS[0])
    assert not math.isfinite(equal_epochs.p_adjusted)
    shares = comparison(frame, compared.SEEDS_STABLE, "", BATCH_AND_SCHEDULE_QUESTIONS[0])
    assert shares.effect.p_value == pytest.approx(2 / math.comb(6, 3)) and shares.family == 1
    summary = answers(frame)[BATCH_AND_SCHEDULE_QUESTIONS[0]].summary()
    assert summary.endswith("No difference in stable seeds or FID is resolved (1 compared).")
    # The ranking's runner-up failed on every seed: said as such, not as a comparison left undecided.
    ranking = answers(frame)[RANKING].summary()
    failed = f"3 of 3 finished seeds failed [{shown(wilson(3, 3)[0])}, 1]"
    assert ranking.endswith(f"; the runner-up batch 1024 has no seed that did not fail ({failed}).")
