"""The answers behind one question's figure: each case, its answer and its evidence note.

Read-only. A case is behind the figure exactly when `counts.tallies` counts it: its answer to
the question is held, the question applies to the case's profile as it stands now, and the
answer counts as Yes or No (not applicable leaves the denominator). So a list of the cases
judged No always has as many cases as the ratings page's No.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from ..framework import Framework


@dataclass(frozen=True, slots=True)
class Behind:
    """One case behind a figure."""

    ref: str
    inspector: str | None
    value: str  # the answer's option id
    counts_as: str  # "yes" or "no"
    note: str | None
    note_withheld: bool  # a note was written, but this database does not hold its text
    answered_by: str | None
    answered_at: str


def cases_behind(conn: sqlite3.Connection, framework: Framework, question_id: str) -> list[Behind]:
    """Every case counted in the question's Yes or No, by reference."""
    question = framework.question(question_id)
    out = []
    for ref, inspector, profile, value, note, withheld, by, at in conn.execute(
            "SELECT c.ref, c.inspector, c.profile, a.value, a.note, "
            "a.note_hash IS NOT NULL AND a.note IS NULL, a.answered_by, a.answered_at "
            "FROM answer a JOIN case_file c ON c.id = a.case_id WHERE a.question = ? ORDER BY c.ref",
            (question.id,)):
        option = question.type.option(value)
        if option is None or option.counts_as == "na" or not question.applies_to(json.loads(profile)):
            continue
        out.append(Behind(ref, inspector, value, option.counts_as, note, bool(withheld), by, at))
    return out
