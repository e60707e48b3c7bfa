"""Answers: one per case and question, committed the moment they are given."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from ..errors import HmipError
from ..framework import Framework, Question
from .access import is_restricted, require_access
from . import audit
from .cases import CaseFile, get_case
from .database import transaction
from .inspections import now


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    value: str
    note: str | None
    framework_id: str
    framework_version: str
    answered_by: str | None
    answered_at: str


def check_value(question: Question, value: str, where: str) -> None:
    if question.type.option(value) is None:
        allowed = ", ".join(question.type.values)
        raise HmipError(f"{where}: {value!r} is not an answer to {question.id} (use one of: {allowed})")


_UPSERT = (
    "INSERT INTO answer (case_id, question, value, note, framework_id, framework_version, "
    "answered_by, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (case_id, question) DO UPDATE SET value = excluded.value, note = excluded.note, "
    "framework_id = excluded.framework_id, framework_version = excluded.framework_version, "
    "answered_by = excluded.answered_by, answered_at = excluded.answered_at"
)


def check_changeable(case: CaseFile, reason: str | None) -> str | None:
    """A moderated case is locked; a complete one changes only with a reason (both logged)."""
    if case.locked:
        raise HmipError(f"case {case.ref} is moderated and locked: reopen it with a reason first "
                        "(hmip moderation reopen)")
    reason = reason.strip() if reason and reason.strip() else None
    if case.status == "complete" and reason is None:
        raise HmipError(f"case {case.ref} is complete: give a reason for changing it (--reason)")
    return reason


def record_answer(conn: sqlite3.Connection, framework: Framework, case_ref: str, question_id: str,
                  value: str, note: str | None = None, answered_by: str | None = None,
                  keep_note: bool = False, reason: str | None = None) -> Answer:
    """Validate and durably commit one answer, with its audit entry; returns it as stored.

    With `keep_note`, an existing evidence note survives a change of value (the case walk
    answers with a key and edits the note separately).
    """
    question = framework.question(question_id)
    case = get_case(conn, case_ref)
    if is_restricted(case.profile):
        require_access(conn, case, answered_by)
    why_not = question.why_not(case.profile)
    if why_not:
        raise HmipError(f"question {question_id} does not apply to case {case_ref}: {why_not}")
    check_value(question, value, f"case {case_ref}")
    reason = check_changeable(case, reason)
    note = note.strip() if note and note.strip() else None
    stamp = now()
    with transaction(conn):
        row = conn.execute("SELECT value, note FROM answer WHERE case_id = ? AND question = ?",
                           (case.id, question_id)).fetchone()
        if keep_note and note is None and row:
            note = row[1]
        conn.execute(_UPSERT, (case.id, question_id, value, note, framework.id, framework.version,
                               answered_by, stamp))
        if row is None or row[0] != value or reason:
            audit.log(conn, "answer", answered_by, case_ref=case_ref, question=question_id,
                      old=row[0] if row else None, new=value, reason=reason)
        # The inspector's place in the case moves with their last answer: same commit.
        conn.execute("UPDATE case_file SET resume_at = ?, status = CASE status "
                     "WHEN 'not_started' THEN 'in_progress' ELSE status END WHERE id = ?",
                     (question_id, case.id))
    return Answer(question_id, value, note, framework.id, framework.version, answered_by, stamp)


def record_note(conn: sqlite3.Connection, case_ref: str, question_id: str, note: str,
                by: str | None = None, reason: str | None = None) -> None:
    """Change the evidence note of an answer already given."""
    case = get_case(conn, case_ref)
    reason = check_changeable(case, reason)
    with transaction(conn):
        row = conn.execute("SELECT note FROM answer WHERE case_id = ? AND question = ?",
                           (case.id, question_id)).fetchone()
        if row is None:
            raise HmipError(f"case {case_ref}: answer {question_id} before writing its evidence note")
        conn.execute("UPDATE answer SET note = ? WHERE case_id = ? AND question = ?",
                     (note.strip() or None, case.id, question_id))
        audit.log(conn, "note", by, case_ref=case_ref, question=question_id, old=row[0],
                  new=note.strip() or None, reason=reason)


def clear_answer(conn: sqlite3.Connection, case_ref: str, question_id: str,
                 by: str | None = None, reason: str | None = None) -> None:
    case = get_case(conn, case_ref)
    reason = check_changeable(case, reason)
    with transaction(conn):
        row = conn.execute("SELECT value FROM answer WHERE case_id = ? AND question = ?",
                           (case.id, question_id)).fetchone()
        conn.execute("DELETE FROM answer WHERE case_id = ? AND question = ?", (case.id, question_id))
        if row:
            audit.log(conn, "clear", by, case_ref=case_ref, question=question_id, old=row[0],
                      reason=reason)
        # A complete case has every answer: clearing one reopens it.
        conn.execute("UPDATE case_file SET status = 'in_progress' WHERE id = ? AND status = 'complete'",
                     (case.id,))


def answers_for_case(conn: sqlite3.Connection, case_id: int) -> dict[str, Answer]:
    return {
        row[0]: Answer(*row)
        for row in conn.execute(
            "SELECT question, value, note, framework_id, framework_version, answered_by, answered_at "
            "FROM answer WHERE case_id = ?", (case_id,))
    }
