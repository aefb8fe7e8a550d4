"""A question's comparisons as one family: Holm's adjustment over them, the seeds that would decide those left
undecided, and what more seeds would settle across every question.

Each comparison belongs to exactly one question, so a family is one question's comparisons: at 95 % each, about
0.05 × m of m comparisons would be called different by chance alone, so their p-values are adjusted together and only
an adjusted p below 0.05 decides.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from analysis.configs import plain_values
from analysis.intervals import ALPHA, holm
from analysis.power import SeedsNeeded, seeds_for_difference, seeds_for_shares
from analysis.questions.comparison import NO_CONCLUSION, STABLE_SHARE, Comparison, conclude
from trainables.config import SEED
from tune_gan.search_space import STUDY_AXES


@dataclass(frozen=True)
class Family:
    """How many comparisons of a question were adjusted together (those with a test)."""

    size: int


def family_text(family: Family) -> str:
    return (
        f"{family.size} comparisons answer this question. At {1 - ALPHA:.0%} each, about {family.size * ALPHA:.1f} "
        "of them would be called different by chance alone if nothing differed, so their p-values are adjusted "
        f"together (Holm) and only an adjusted p below {ALPHA:.2g} decides."
    )


def adjusted(records: list) -> list:
    """The records with every comparison's Holm-adjusted p over the family of the question's comparisons, its
    conclusion and, for one left undecided, the seeds that would decide it; a :class:`Family` after them when it
    holds more than one."""
    compared = [index for index, record in enumerate(records) if isinstance(record, Comparison)]
    p_adjusted = holm([records[index].effect.p_value for index in compared])
    size = sum(math.isfinite(p_value) for p_value in p_adjusted)
    out = list(records)
    for index, p_value in zip(compared, p_adjusted):
        record = out[index]
        conclusion = conclude(record, p_value)
        needed = seeds_needed(record, ALPHA / max(1, size)) if conclusion == NO_CONCLUSION else None
        out[index] = dataclasses.replace(
            record, p_adjusted=p_value, family=size, conclusion=conclusion, seeds_needed=needed
        )
    return [*out, Family(size)] if size > 1 else out


def seeds_needed(comparison: Comparison, level: float) -> SeedsNeeded | None:
    """The seeds per config that would decide ``comparison`` at ``level`` (analysis.power); at least one more than
    it has, since the seeds it has did not (power is a chance, and these seeds fell in the rest)."""
    a, b = comparison.a.values, comparison.b.values
    if comparison.metric == STABLE_SHARE:  # a side's values: 1 per stable seed, 0 per other judged one
        needed = seeds_for_shares(int(sum(a)), len(a), int(sum(b)), len(b), level)
    else:
        needed = seeds_for_difference(a, b, comparison.metric, level)
    if needed is None or needed.seeds is None:
        return needed
    return dataclasses.replace(needed, seeds=max(needed.seeds, min(len(a), len(b)) + 1))


@dataclass(frozen=True)
class MoreSeeds:
    """What more seeds would settle: ``decidable`` comparisons left undecided would be decided by ``seeds`` per config
    (the most any of them needs); their configs have ``seeds_now`` (the fewest on either side)."""

    decidable: int
    seeds: int
    seeds_now: int
    configs: tuple[tuple[tuple[str, object], ...], ...]  # the configs they compare (Side.configs)


def more_seeds(records: list) -> MoreSeeds | None:
    """Over every question's comparisons (``records`` of all of them); None when no undecided one would be decided
    by a practical number."""
    needing = [
        record
        for record in records
        if isinstance(record, Comparison) and record.seeds_needed is not None and record.seeds_needed.seeds is not None
    ]
    if not needing:
        return None
    return MoreSeeds(
        decidable=len(needing),
        seeds=max(record.seeds_needed.seeds for record in needing),
        seeds_now=min(min(record.effect.n_a, record.effect.n_b) for record in needing),
        configs=tuple(sorted({config for record in needing for config in (*record.a.configs, *record.b.configs)})),
    )


def more_seeds_text(more: MoreSeeds, experiment: str, grid: dict[str, list]) -> str:
    """'**More seeds.** 2 comparisons left undecided would be decided by about 9 seeds per config at the spread seen
    so far (the most any needs; 3 now). To add 6 to the configs they compare: `tune-gan sweep --add-seeds E
    --batch-sizes 1024 --seeds 3 4 5 6 7 8`, then `tune-gan report E`.' ``grid`` holds each config column's values
    in the study; a study axis whose values the comparisons do not all involve is narrowed by its flag."""
    add, first = max(1, more.seeds - more.seeds_now), max(grid[SEED], default=-1) + 1
    ran = {column: {plain for value in values for plain in plain_values(value)} for column, values in grid.items()}
    flags = []
    for axis in STUDY_AXES:
        involved = sorted({value for config in more.configs for column, value in config if column == axis.field})
        if axis.field != SEED and involved and set(involved) < ran.get(axis.field, set()):
            flags.append(f"--{axis.flag.replace('_', '-')} {' '.join(map(str, involved))} ")
    which = "the comparison" if more.decidable == 1 else f"{more.decidable} comparisons"
    to = "the configs they compare" if flags else "every config"
    seeds = " ".join(str(seed) for seed in range(first, first + add))
    return (
        f"**More seeds.** {which.capitalize()} left undecided would be decided by about {more.seeds} seeds per config "
        f"at the spread seen so far (the most {'it' if more.decidable == 1 else 'any'} needs; {more.seeds_now} now). "
        f"To add {add} to {to}: `tune-gan sweep --add-seeds {experiment} {''.join(flags)}--seeds {seeds}`, then "
        f"`tune-gan report {experiment}`."
    )
