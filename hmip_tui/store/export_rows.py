"""Reading the whole inspection row by row, for exports: memory stays flat at any size."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator


def cases_with_answers(conn: sqlite3.Connection) -> Iterator[tuple[dict, dict[str, tuple]]]:
    """Each case (ref, inspector, status, profile) with {question: (value, note)}, by reference.

    One query streamed in case order, so only one case is ever held at a time.
    """
    rows = conn.execute(
        "SELECT c.id, c.ref, c.inspector, c.status, c.profile, a.question, a.value, a.note "
        "FROM case_file c LEFT JOIN answer a ON a.case_id = c.id ORDER BY c.ref, c.id")
    current, answers = None, {}
    for cid, ref, inspector, status, profile, question, value, note in rows:
        if current is None or current["id"] != cid:
            if current is not None:
                yield current, answers
            current = {"id": cid, "ref": ref, "inspector": inspector, "status": status,
                       "profile": json.loads(profile)}
            answers = {}
        if question is not None:
            answers[question] = (value, note)
    if current is not None:
        yield current, answers


def answer_rows(conn: sqlite3.Connection) -> Iterator[tuple]:
    """(case ref, question, value, note, answered_by, answered_at, applies), by case then
    question; `applies` is 0 for an answer kept for a question that no longer applies to the
    case (its profile changed): stored, never counted."""
    return conn.execute(
        "SELECT c.ref, a.question, a.value, a.note, a.answered_by, a.answered_at, "
        "EXISTS (SELECT 1 FROM applicable p WHERE p.facet = c.rate_facet AND p.question = a.question) "
        "FROM answer a JOIN case_file c ON c.id = a.case_id ORDER BY c.ref, a.question")


def answer_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM answer").fetchone()[0]
