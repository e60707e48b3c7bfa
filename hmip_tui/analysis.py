"""Breakdowns and group comparisons over answer tallies. Pure functions, no I/O.

A breakdown splits every key question by a profile field or grouping (sentence type, sex,
ethnic group, risk of serious harm, MAPPA, post-release or community). A comparison puts one
group's rate of "Yes" beside a reference group's as a Relative Rate Index (RRI = group rate /
reference rate, 1 = parity), flagged substantial at or beyond the framework's threshold.

Small numbers: a group with fewer relevant cases than the framework's `small_numbers.min_cases`
is marked `small`. Where the framework says to suppress (its default), what a reader could take
from a handful of cases is withheld: the group's count of Yes, its percentage, and any relative
rate index it takes part in. Where it says to flag, they are given and marked.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .framework import Framework, Grouping
from .rating import Tally, exact_percent


@dataclass(frozen=True, slots=True)
class Cell:
    """One key question within one group."""

    question: str
    group: str
    yes: int
    relevant: int
    small: bool = False  # fewer relevant cases than the framework's small-numbers threshold
    suppressed: bool = False  # small, and the framework says to withhold its figures

    @property
    def percent(self) -> Fraction | None:
        return exact_percent(self.yes, self.relevant)

    @property
    def shown_yes(self) -> int | None:
        """The count of Yes as it may be published (None: withheld)."""
        return None if self.suppressed else self.yes

    @property
    def shown_percent(self) -> Fraction | None:
        """The percentage as it may be published (None: withheld, or no relevant case)."""
        return None if self.suppressed else self.percent


@dataclass(frozen=True, slots=True)
class Breakdown:
    grouping: Grouping
    cells: tuple[Cell, ...]

    def cell(self, question: str, group: str) -> Cell:
        return next(c for c in self.cells if c.question == question and c.group == group)


def key_question_ids(framework: Framework) -> list[str]:
    return [k.id for s in framework.standards for k in s.key_questions]


def breakdown(framework: Framework, grouping: Grouping,
              by_group: dict[str | None, dict[str, Tally]]) -> Breakdown:
    """Every key question by every group of `grouping`, empty groups included (n = 0), each group
    marked small where it has fewer relevant cases than the framework's threshold."""
    rule = framework.small_numbers
    cells = []
    for qid in key_question_ids(framework):
        for group in grouping.groups:
            t = by_group.get(group.id, {}).get(qid, Tally())
            small = rule.small(t.relevant)
            cells.append(Cell(qid, group.id, t.yes, t.relevant, small, small and rule.suppressed))
    return Breakdown(grouping, tuple(cells))


@dataclass(frozen=True, slots=True)
class RelativeRate:
    question: str
    by: str
    group: str
    reference: str
    group_cell: Cell
    reference_cell: Cell
    rri: Fraction | None  # None where either rate is undefined, the reference rate is 0, or withheld
    substantial: bool

    @property
    def small(self) -> bool:
        """Either side has fewer relevant cases than the small-numbers threshold."""
        return self.group_cell.small or self.reference_cell.small

    @property
    def suppressed(self) -> bool:
        return self.group_cell.suppressed or self.reference_cell.suppressed


def relative_rate(group: Cell, reference: Cell, threshold: float) -> tuple[Fraction | None, bool]:
    """RRI of `group` against `reference`, and whether it passes the threshold either way."""
    g, r = group.percent, reference.percent
    if g is None or r is None or r == 0:
        return None, False
    rri = g / r
    limit = Fraction(str(threshold))
    return rri, rri >= limit or rri <= 1 / limit


def comparisons(framework: Framework, breakdowns: dict[str, Breakdown]) -> list[RelativeRate]:
    """The framework's comparisons, for every key question."""
    out = []
    for c in framework.comparisons:
        b = breakdowns[c.by]
        for qid in key_question_ids(framework):
            gc, rc = b.cell(qid, c.group), b.cell(qid, c.reference)
            if gc.suppressed or rc.suppressed:
                rri, substantial = None, False  # a handful of cases is no ground for a comparison
            else:
                rri, substantial = relative_rate(gc, rc, framework.relative_rate_threshold)
            out.append(RelativeRate(qid, c.by, c.group, c.reference, gc, rc, rri, substantial))
    return out
