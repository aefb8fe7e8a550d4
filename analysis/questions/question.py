"""What every question has: its wording, the evidence its section shows, its records, and their sentences.

A question module subclasses :class:`Question`: ``records`` computes what it finds (typed records; its comparisons
form its Holm family, adjusted by analysis.questions.family), ``summary`` answers it in a few sentences for the top of
the report and ``sentence`` words each record of its own kinds; comparisons and the family are worded by their own
modules. No answer is ever empty: where nothing can be judged yet, the summary says why in one sentence.
"""

from __future__ import annotations

from analysis.questions.comparison import Comparison, comparison_text
from analysis.questions.family import Family, family_text
from analysis.questions.study import Note, Study

NO_EPOCHS = "no epochs"
NO_EPOCHS_TEXT = "No trial reported an epoch yet, so there is nothing to compare."


class Question:
    """One question asked of a study; ``evidence`` names the figures (and tables) its section shows, in order."""

    evidence: tuple[str, ...] = ()

    def __init__(self, study: Study):
        self.study = study

    @property
    def text(self) -> str:
        raise NotImplementedError

    def records(self) -> list:
        """The records answering the question, before Holm's adjustment."""
        raise NotImplementedError

    def settle(self, records: list) -> list:
        """The records once their comparisons are adjusted: a finding that depends on a conclusion is decided here."""
        return records

    def summary(self, records: list) -> str:
        raise NotImplementedError

    def sentence(self, record) -> str:
        """A record of this question's own kinds in words."""
        raise TypeError(f"no wording for {type(record).__name__} in {type(self).__name__}")

    def sentences(self, records: list) -> list[str]:
        """The section's findings, one sentence per record (the question may join several into one)."""
        return [self.any_sentence(record) for record in records]

    def any_sentence(self, record) -> str:
        if isinstance(record, Comparison):
            return comparison_text(record)
        if isinstance(record, Family):
            return family_text(record)
        if isinstance(record, Note) and record.kind == NO_EPOCHS:
            return NO_EPOCHS_TEXT
        return self.sentence(record)
