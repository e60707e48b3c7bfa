"""Breakdowns and group comparisons over answer tallies. Pure functions, no I/O.

A breakdown splits every key question by a profile field or grouping (sentence type, sex,
ethnic group, risk of serious harm, MAPPA, post-release or community). A comparison puts one
group's rate of "Yes" beside a reference group's as a Relative Rate Index (RRI = group rate /
reference rate, 1 = parity), flagged substantial at or beyond the framework's threshold.
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

    @property
    def percent(self) -> Fraction | None:
        return exact_percent(self.yes, self.relevant)


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
    """Every key question by every group of `grouping`, empty groups included (n = 0)."""
    cells = []
    for qid in key_question_ids(framework):
        for group in grouping.groups:
            t = by_group.get(group.id, {}).get(qid, Tally())
            cells.append(Cell(qid, group.id, t.yes, t.relevant))
    return Breakdown(grouping, tuple(cells))


@dataclass(frozen=True, slots=True)
class RelativeRate:
    question: str
    by: str
    group: str
    reference: str
    group_cell: Cell
    reference_cell: Cell
    rri: Fraction | None  # None where either rate is undefined or the reference rate is 0
    substantial: bool


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
            rri, substantial = relative_rate(gc, rc, framework.relative_rate_threshold)
            out.append(RelativeRate(qid, c.by, c.group, c.reference, gc, rc, rri, substantial))
    return out
