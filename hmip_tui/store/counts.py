"""Counting answers for the rating engine and the breakdowns.

The counts come from the kept tallies (store/tally.py): rows of (facet, question, value, n),
a facet naming the values of the profile fields that matter. Python folds them through the
framework (how each value counts, and whether the question applies under the facet's profile),
so a case whose profile changed after it was answered never counts where the question no longer
applies, and no question's rule is written in SQL. Tallies built under another version of the
framework's fields are not trusted: the answers are counted instead (`recount`), as `hmip check`
also does to prove the kept tallies right.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict

from ..framework import Framework, Grouping
from ..rating import Tally
from . import tally as kept

_SLOT = {"yes": 0, "no": 1, "na": 2}
Split = dict[str | None, dict[str, Tally]]  # {group id (None when not split): {question: Tally}}


def _rows(conn: sqlite3.Connection, framework: Framework, split: bool, fields=()):
    """(profile, question, value, n) rows: from the kept tallies, or recounted from the answers
    where the tallies are not kept by the framework's fields or by every field asked for."""
    spec = kept.stored_spec(conn)
    if kept.in_step(conn, framework) and set(fields) <= set(spec["split"]):
        profiles: dict[str, dict] = {}
        rows = conn.execute("SELECT f.name, t.question, t.value, t.n FROM tally t JOIN facet f ON f.id = t.facet "
                            f"WHERE t.facet {'>' if split else '<'} 0 AND t.n > 0")
        for facet, question, value, n in rows:
            profile = profiles.get(facet)
            if profile is None:
                profile = profiles[facet] = kept.profile_of(facet)
            yield profile, question, value, n
        return
    yield from recount(conn, framework, fields)


def recount(conn: sqlite3.Connection, framework: Framework, fields=()):
    """The same rows counted from the answers themselves: every answer read."""
    fields = sorted(set(kept.spec_of(framework)["split"]) | set(fields))
    extra = "".join(f", json_extract(c.profile, '$.{f}')" for f in fields)  # ids match ^[a-z][a-z0-9_]*$
    for row in conn.execute(f"SELECT a.question, a.value{extra}, count(*) FROM answer a "
                            f"JOIN case_file c ON c.id = a.case_id GROUP BY a.question, a.value{extra}"):
        yield dict(zip(fields, row[2:-1])), row[0], row[1], row[-1]


def tallies_by(conn: sqlite3.Connection, framework: Framework,
               groupings: dict[str, Grouping]) -> dict[str, Split]:
    """Yes / no / not-applicable tallies per question for every grouping's groups, in one pass
    over the kept tallies: {grouping id: {group id: {question id: Tally}}}."""
    counts: dict = {gid: defaultdict(lambda: defaultdict(lambda: [0, 0, 0])) for gid in groupings}
    fields = {g.field for g in groupings.values()}
    for profile, qid, value, n in _rows(conn, framework, split=True, fields=fields):
        question = framework.questions.get(qid)
        if question is None or not question.applies_to(profile):
            continue
        option = question.type.option(value)
        if option is None:
            continue
        slot = _SLOT[option.counts_as]
        for gid, g in groupings.items():
            group = g.group_of(profile)
            if group is not None:
                counts[gid][group][qid][slot] += n
    return {gid: {g: {q: Tally(*c) for q, c in per_q.items()} for g, per_q in split.items()}
            for gid, split in counts.items()}


def tallies(conn: sqlite3.Connection, framework: Framework, by: Grouping | None = None) -> Split:
    """Yes / no / not-applicable tallies per question, split by a grouping's groups if given."""
    if by is not None:
        return tallies_by(conn, framework, {by.id: by})[by.id]
    counts: dict = defaultdict(lambda: [0, 0, 0])
    for profile, qid, value, n in _rows(conn, framework, split=False):
        question = framework.questions.get(qid)
        if question is None or not question.applies_to(profile):
            continue
        option = question.type.option(value)
        if option is not None:
            counts[qid][_SLOT[option.counts_as]] += n
    return {None: {q: Tally(*c) for q, c in counts.items()}} if counts else {}


def overall_tallies(conn: sqlite3.Connection, framework: Framework) -> dict[str, Tally]:
    return tallies(conn, framework).get(None, {})


def option_counts(conn: sqlite3.Connection, framework: Framework) -> dict[str, dict[str, int]]:
    """Per question, how many applicable cases gave each option (for graded items)."""
    out: dict = defaultdict(lambda: defaultdict(int))
    for profile, qid, value, n in _rows(conn, framework, split=False):
        question = framework.questions.get(qid)
        if question is not None and question.applies_to(profile):
            out[qid][value] += n
    return {q: dict(v) for q, v in out.items()}
