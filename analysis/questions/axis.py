"""What does a setting change? The question asked of any axis the grid varied (a --sweep setting, or several linked).

Each value of the axis is compared with the baseline (the setting's default where the grid ran it, else its first
value) at every setting of the other axes where both ran: how many seeds ended stable (Fisher), and the ranking
metric's final value over the seeds that did not fail (Welch). Subclasses word known axes as a researcher asks them
and may compare quality on another basis (batch size: at equal epochs and equal updates).
"""

from __future__ import annotations

import pandas as pd

from analysis.configs import config_label, plain_values
from analysis.intervals import wilson_interval
from analysis.questions.comparison import (
    FINAL,
    SEEDS_STABLE,
    Comparison,
    compare,
    compare_stable_shares,
    decisions_text,
    metric_name,
)
from analysis.questions.question import Question
from analysis.questions.study import Note, Study
from analysis.wording import share_text
from trainables.config import TrialConfig

NOTHING_TO_COMPARE = "nothing to compare"


class AxisQuestion(Question):
    """The plain form: 'What does latent_dim 256 change against 128?'."""

    def __init__(self, study: Study, axis: tuple[str, ...]):
        super().__init__(study)
        self.axis = axis
        self.values = study.values_of(axis)
        defaults = TrialConfig().to_dict()
        self.baseline = self.value_holding(tuple(defaults[column] for column in axis)) or self.values[0]

    def value_holding(self, wanted: tuple) -> tuple | None:
        """The axis's value that ran ``wanted``: itself, or a twin among whose values it is."""
        for value in self.values:
            if all(plain in plain_values(each) for plain, each in zip(wanted, value)):
                return value
        return None

    def value_of(self, trials: pd.DataFrame) -> tuple:
        """The axis's value these trials ran (the baseline's may be a twin of it)."""
        return tuple(trials.iloc[0][list(self.axis)])

    def value_text(self, value: tuple) -> str:
        """A value of the axis in words: 'latent_dim 256', 'batch 1024', 'model dcgan · spectral_norm True'."""
        return config_label(value, self.axis)

    @property
    def others(self) -> list[tuple]:
        return [value for value in self.values if value != self.baseline]

    @property
    def text(self) -> str:
        values = ", ".join(self.value_text(value) for value in self.others)
        baseline = self.value_text(self.baseline)
        if len(self.axis) == 1 and baseline.startswith(f"{self.axis[0]} "):
            baseline = baseline[len(self.axis[0]) + 1 :]  # 'against 128', the setting already named
        return f"What does {values} change against {baseline}?"

    # ---- records -------------------------------------------------------------------------------------------------

    def records(self) -> list:
        out: list = []
        for context, value, trials, base in self.study.pairs(self.axis, self.baseline):
            a, b = self.value_text(value), self.value_text(self.value_of(base))
            out.append(self.stable_shares(context, a, b, trials, base))
            out += self.quality(context, a, b, trials, base)
        return out or [Note(NOTHING_TO_COMPARE)]

    def stable_shares(self, context: str, a: str, b: str, trials: pd.DataFrame, base: pd.DataFrame) -> Comparison:
        return compare_stable_shares(context, self.study.stable_side(a, trials), self.study.stable_side(b, base))

    def quality(self, context: str, a: str, b: str, trials: pd.DataFrame, base: pd.DataFrame) -> list:
        """The ranking metric's final value over the seeds that did not fail, where it was measured."""
        study = self.study
        if not study.quality_measured:
            return []
        return [
            compare(
                FINAL,
                context,
                study.rank_by,
                study.final_side(trials, study.rank_by, a),
                study.final_side(base, study.rank_by, b),
                study.extractor,
            )
        ]

    # ---- words ---------------------------------------------------------------------------------------------------

    def summary(self, records: list) -> str:
        if any(isinstance(record, Note) and record.kind == NOTHING_TO_COMPARE for record in records):
            return self.nothing_to_compare()
        shares = "; ".join(
            shares_text(record) for record in records if isinstance(record, Comparison) and record.topic == SEEDS_STABLE
        )
        said = f"{capitalized(shares)}. " if shares else ""
        what = f"stable seeds or {metric_name(self.study.rank_by)}" if self.study.quality_measured else "stable seeds"
        return f"{said}{decisions_text(records, what)}".strip()

    def nothing_to_compare(self) -> str:
        """Why no value of the axis could be compared with the baseline."""
        baseline = self.value_text(self.baseline)
        if self.study.twins:
            return (
                f"Nothing to compare: wherever {baseline} ran, every other value of {' and '.join(self.axis)} ran the "
                "same runs as it (twins, above)."
            )
        return f"Nothing to compare: no other value of {' and '.join(self.axis)} ran where {baseline} did."

    def sentence(self, record) -> str:
        if isinstance(record, Note) and record.kind == NOTHING_TO_COMPARE:
            return self.nothing_to_compare()
        return super().sentence(record)


def capitalized(text: str) -> str:
    """A sentence's first word capitalized where it is a word ('At batch 1024, ...'), never a setting's value
    ('warmup_cosine ...' stays as the grid names it)."""
    return f"At{text[2:]}" if text.startswith("at ") else text


def shares_text(comparison: Comparison) -> str:
    """'at batch 1024, lr_scaling linear 3 of 3 stable [0.44, 1] against lr_scaling none 0 of 3 stable [0, 0.56]'."""
    sides = []
    for side in (comparison.a, comparison.b):
        stable, judged = int(sum(side.values)), len(side.values)
        sides.append(f"{side.config} {share_text(stable, judged, *wilson_interval(stable, judged))}")
    where = f"at {comparison.context}, " if comparison.context else ""
    return f"{where}{sides[0]} against {sides[1]}"
