"""The findings' records as sentences, the summary and the findings table (analysis.wording), on crafted tables."""

from __future__ import annotations

import re

import pytest

from analysis import findings, wording
from analysis.report import report_data, report_markdown
from tests.crafted import Seed, comparison, crafted, schedules_at_batch_1024
from tests.helpers import shown
from tests.reference_stats import wilson


def test_the_summary_answers_each_question_from_its_records_above_the_sections():
    frame = crafted(schedules_at_batch_1024())
    answers = findings.findings(frame)
    short = wording.summary(answers)
    assert short[findings.STABILITY].startswith(
        f"Stable: batch 1024 · warmup_cosine (6 of 6 stable [{shown(wilson(6, 6)[0])}, 1]); unstable: batch 1024 · "
        "constant (0 of 6 stable"
    )
    # At most three sentences an answer (a sentence ends at a full stop before a capital).
    assert [len(re.split(r"(?<=\.) (?=[A-Z])", answer)) for answer in short.values()] == [1, 1, 2]
    # The comparisons the schedule question resolved (stable seeds at 6 against 6, and FID), named with their numbers.
    shares = comparison(frame, findings.SEEDS_STABLE, "batch 1024", findings.SCHEDULES)
    fid = comparison(frame, findings.FINAL, "batch 1024", findings.SCHEDULES)
    assert (shares.conclusion, fid.conclusion) == (findings.BETTER, findings.BETTER)
    assert short[findings.SCHEDULES] == (
        "At batch 1024, step did not act in these epochs; at batch 1024, warmup_cosine fixes constant LR's "
        f"instability. Resolved: warmup_cosine is more often stable than constant (stable share, batch 1024: "
        f"{wording.effect_text(shares.effect)}, Holm-adjusted p {shown(shares.p_adjusted)}); warmup_cosine is better "
        f"than constant (fid, batch 1024: {wording.effect_text(fid.effect)}, Holm-adjusted p {shown(fid.p_adjusted)})."
    )
    assert short[findings.IMAGES].startswith("batch 1024 · warmup_cosine ranks first: fid ")
    markdown = report_markdown(report_data(frame, "crafted"), [])
    summary_at, first_section = markdown.index(f"- **{findings.STABILITY}**"), markdown.index("\n## ")
    assert summary_at < first_section


def test_findings_frame_holds_every_record_with_its_sentence():
    frame = crafted({(128, "constant"): [Seed(100.0)] * 2, (1024, "constant"): [Seed(300.0), Seed(310.0)]})
    answers_found = findings.findings(frame)
    table = wording.findings_frame(answers_found)
    assert len(table) == sum(len(found) for found in answers_found.values())
    row = table[(table["kind"] == "Comparison") & (table["topic"] == findings.EQUAL_EPOCHS)].iloc[0]
    found = comparison(frame, findings.EQUAL_EPOCHS, "constant LR")
    assert (row["effect"], row["p_adjusted"], row["conclusion"]) == (
        found.effect.value,
        found.p_adjusted,
        found.conclusion,
    )
    assert row["text"] == wording.comparison_text(found)


@pytest.mark.parametrize(
    "value, text",
    [(0.012345, "0.0123"), (999.4, "999"), (999.6, "1,000"), (-999.6, "-1,000"), (1234.6, "1,235"), (12.0, "12")],
)
def test_a_number_is_three_significant_digits_or_whole_from_a_thousand(value, text):
    assert wording.number(value) == text
