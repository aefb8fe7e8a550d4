"""The report's questions, asked of the grid that was run: one module each.

"Which settings give good images?" is always asked (analysis.questions.ranking); every axis the grid varied gets its
own question: batch size the assignment's "Which batch sizes train stably?" (batch_size), an LR schedule and LR
scaling whether they fix the unstable ones (remedy), the model whether a DCGAN trains more stably than the MLP
(model), any other setting what it changes against its baseline (axis). A setting that did not vary asks nothing.
Each question's comparisons are its own Holm family (family). A new question is one module: a :class:`Question`
subclass, and its place in :data:`AXIS_QUESTIONS`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis import stats
from analysis.questions.axis import AxisQuestion
from analysis.questions.batch_size import BatchSizeQuestion
from analysis.questions.comparison import Comparison
from analysis.questions.family import adjusted
from analysis.questions.model import MODEL, ModelQuestion
from analysis.questions.question import NO_EPOCHS, NO_EPOCHS_TEXT, Question
from analysis.questions.ranking import RankedConfig, Ranking, ranking_text
from analysis.questions.remedy import REMEDIES, RemedyQuestion
from analysis.questions.study import Note, Study, study_of
from trainables.config import BATCH_SIZE

# The question asked of an axis, by a setting on it; an axis of none of these gets the plain form (AxisQuestion).
AXIS_QUESTIONS: dict[str, type[AxisQuestion]] = {
    BATCH_SIZE: BatchSizeQuestion,
    **{setting: RemedyQuestion for setting in REMEDIES},
    MODEL: ModelQuestion,
}


@dataclass(frozen=True)
class Answer:
    """A question and the records answering it (comparisons adjusted over the question's family)."""

    question: Question
    records: list

    @property
    def text(self) -> str:
        return self.question.text

    @property
    def no_epochs(self) -> bool:
        return any(isinstance(record, Note) and record.kind == NO_EPOCHS for record in self.records)

    def summary(self) -> str:
        return NO_EPOCHS_TEXT if self.no_epochs else self.question.summary(self.records)

    def sentences(self) -> list[str]:
        return self.question.sentences(self.records)

    @property
    def comparisons(self) -> list[Comparison]:
        return [record for record in self.records if isinstance(record, Comparison)]


def questions_for(study: Study) -> list[Question]:
    """The questions the study's grid asks, in the report's order: batch size's, the ranking's, then each other
    axis's in the grid's order."""
    asked = []
    for axis in study.axes:
        kind = next((AXIS_QUESTIONS[column] for column in axis if column in AXIS_QUESTIONS), AxisQuestion)
        asked.append(kind(study, axis))
    first = [question for question in asked if isinstance(question, BatchSizeQuestion)]
    return [*first, Ranking(study), *[question for question in asked if question not in first]]


def ask(study: Study) -> list[Answer]:
    """Every question's answer; before any trial reported an epoch, each says so."""
    questions = questions_for(study)
    if study.trials["epochs_done"].max() == 0:
        return [Answer(question, [Note(NO_EPOCHS)]) for question in questions]
    return [Answer(question, question.settle(adjusted(question.records()))) for question in questions]


def answers(frame: pd.DataFrame, rank_by: str = stats.DEFAULT_RANK_BY) -> list[Answer]:
    """The answers of a tidy table (twins merged, every table computed once)."""
    return ask(study_of(frame, rank_by))


def all_records(found: list[Answer]) -> list:
    return [record for answer in found for record in answer.records]


def findings_frame(found: list[Answer]) -> pd.DataFrame:
    """The findings as one table for the notebook: a row per record, its question, kind and sentence, and for a
    comparison its sides, effect, interval, p-values and conclusion."""
    rows = []
    for answer in found:
        for record, text in zip(answer.records, _one_sentence_each(answer)):
            row = {"question": answer.text, "kind": type(record).__name__}
            if isinstance(record, Comparison):
                row.update(
                    topic=record.topic,
                    context=record.context,
                    metric=record.metric,
                    a=record.a.config,
                    b=record.b.config,
                    n_a=record.effect.n_a,
                    n_b=record.effect.n_b,
                    effect=record.effect.value,
                    low=record.effect.low,
                    high=record.effect.high,
                    ratio=record.effect.ratio,
                    p=record.effect.p_value,
                    p_adjusted=record.p_adjusted,
                    conclusion=record.conclusion,
                )
            row["text"] = text
            rows.append(row)
    return pd.DataFrame(rows)


def _one_sentence_each(answer: Answer) -> list[str]:
    """Each record's own sentence (a ranked config alone, not the whole ranking)."""
    return [
        ranking_text([record], answer.question.study.rank_by)
        if isinstance(record, RankedConfig)
        else answer.question.any_sentence(record)
        for record in answer.records
    ]
