"""Counting answers in SQL, for the rating engine and the breakdowns.

SQLite groups the answers by question, value and the few profile fields that applicability
depends on; Python then folds those groups through the framework (how each value counts, and
whether the question applies). So a case whose profile changed after it was answered never
counts where the question no longer applies, and no question's rule is written in SQL.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict

from ..framework import Framework, Grouping
from ..rating import Tally


def _profile_expr(field_id: str) -> str:
    # Field ids are checked against ^[a-z][a-z0-9_]*$ by the framework schema.
    return f"json_extract(c.profile, '$.{field_id}')"


def tallies(conn: sqlite3.Connection, framework: Framework,
            by: Grouping | None = None) -> dict[str | None, dict[str, Tally]]:
    """Yes / no / not-applicable tallies per question, split by a grouping's groups if given.

    Returns {group id (None when not split): {question id: Tally}}.
    """
    fields = list(framework.applicability_fields())
    if by is not None and by.field not in fields:
        fields.append(by.field)
    extra = "".join(f", {_profile_expr(f)}" for f in fields)
    sql = (
        f"SELECT a.question, a.value{extra}, count(*) FROM answer a "
        f"JOIN case_file c ON c.id = a.case_id GROUP BY a.question, a.value{extra}"
    )
    counts: dict = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    slot = {"yes": 0, "no": 1, "na": 2}
    for row in conn.execute(sql):
        question = framework.questions.get(row[0])
        if question is None:
            continue
        profile = dict(zip(fields, row[2:-1]))
        if not question.applies_to(profile):
            continue
        option = question.type.option(row[1])
        if option is None:
            continue
        group = by.group_of(profile) if by is not None else None
        if by is not None and group is None:
            continue
        counts[group][question.id][slot[option.counts_as]] += row[-1]
    return {g: {q: Tally(*c) for q, c in per_q.items()} for g, per_q in counts.items()}


def overall_tallies(conn: sqlite3.Connection, framework: Framework) -> dict[str, Tally]:
    return tallies(conn, framework).get(None, {})


def option_counts(conn: sqlite3.Connection, framework: Framework) -> dict[str, dict[str, int]]:
    """Per question, how many applicable cases gave each option (for graded items)."""
    fields = list(framework.applicability_fields())
    extra = "".join(f", {_profile_expr(f)}" for f in fields)
    sql = (f"SELECT a.question, a.value{extra}, count(*) FROM answer a "
           f"JOIN case_file c ON c.id = a.case_id GROUP BY a.question, a.value{extra}")
    out: dict = defaultdict(lambda: defaultdict(int))
    for row in conn.execute(sql):
        question = framework.questions.get(row[0])
        if question is not None and question.applies_to(dict(zip(fields, row[2:-1]))):
            out[row[0]][row[1]] += row[-1]
    return {q: dict(v) for q, v in out.items()}
