"""Answers: one register per case and question, each change an entry, committed as it is given."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from ..errors import HmipError
from ..framework import Framework, Question
from . import history, registers, team
from .access import require_access
from .cases import CaseFile, check_changeable, get_case
from .database import transaction


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    value: str
    note: str | None
    framework_id: str
    framework_version: str
    answered_by: str | None
    answered_at: str
    note_withheld: bool = False  # the note exists but this laptop holds only its hash


def check_value(question: Question, value: str, where: str) -> None:
    if question.type.option(value) is None:
        allowed = ", ".join(question.type.values)
        raise HmipError(f"{where}: {value!r} is not an answer to {question.id} (use one of: {allowed})")


def _clean(note: str | None) -> str | None:
    return note.strip() if note and note.strip() else None


def _open_case(conn, case_ref: str, by: str) -> CaseFile:
    case = get_case(conn, case_ref)
    require_access(conn, case, by)  # limited access, and a second reader's blind reading
    return case


def _changeable_case(conn, case_ref: str, by: str, reason: str | None) -> tuple[CaseFile, str | None]:
    case = _open_case(conn, case_ref, by)
    return case, check_changeable(case, reason)


def record_answer(conn: sqlite3.Connection, framework: Framework, case_ref: str, question_id: str,
                  value: str, note: str | None = None, answered_by: str | None = None,
                  keep_note: bool = False, reason: str | None = None) -> Answer:
    """Validate and durably commit one answer as a history entry; returns it as it now stands.

    With `keep_note`, the evidence note held survives a change of value (the case walk answers
    with a key and edits the note separately).
    """
    question = framework.question(question_id)
    by = answered_by or ""
    case = _open_case(conn, case_ref, by)
    why_not = question.why_not(case.profile)
    if why_not:
        raise HmipError(f"question {question_id} does not apply to case {case_ref}: {why_not}")
    check_value(question, value, f"case {case_ref}")
    reason = check_changeable(case, reason)
    note = _clean(note)
    register = ("answer", case_ref, question_id)
    with transaction(conn):
        team.ready_to_write(conn, by)
        heads = registers.heads(conn, register)
        held = registers.standing("answer", {h.id: h for h in heads}) if heads else None
        note_hash = held.note if held is not None and keep_note and note is None else None
        unchanged = (held is not None and held.value == value and reason is None
                     and (note is None and (keep_note or held.note is None)
                          or note is not None and history.text_of(conn, held.note) == note))
        written = None
        if not unchanged:
            if note is not None:
                note_hash = history.write_text(conn, note)
            written = registers.write(conn, register, value, author=by, note=note_hash,
                                      reason=history.write_text(conn, reason), held=heads)
        # The place kept on leaving the case gives way to the newest answer, which the case walk
        # then returns to (same commit). Cleared once, not rewritten each save: an answer changing
        # an answered question then writes no page of case_file.
        if case.resume_at is not None:
            conn.execute("UPDATE case_file SET resume_at = NULL WHERE id = ?", (case.id,))
    if written is None or (note is None and note_hash is not None):
        return answer_for(conn, case.id, question_id)
    return Answer(question_id, value, note, framework.id, framework.version, by, written.at)


def record_note(conn: sqlite3.Connection, case_ref: str, question_id: str, note: str,
                by: str | None = None, reason: str | None = None) -> None:
    """Change the evidence note of an answer already given: an entry with the same value."""
    by = by or ""
    case, reason = _changeable_case(conn, case_ref, by, reason)
    register = ("answer", case_ref, question_id)
    with transaction(conn):
        team.ready_to_write(conn, by)
        held = registers.current(conn, register)
        if held is None or not held.value:
            raise HmipError(f"case {case_ref}: answer {question_id} before writing its evidence note")
        note = _clean(note)
        if note == history.text_of(conn, held.note) and (note is not None or held.note is None):
            return
        registers.write(conn, register, held.value, author=by, note=history.write_text(conn, note),
                        reason=history.write_text(conn, reason))


def clear_answer(conn: sqlite3.Connection, case_ref: str, question_id: str,
                 by: str | None = None, reason: str | None = None) -> None:
    """Take an answer back: an entry with no value. A complete case then needs it again."""
    by = by or ""
    case, reason = _changeable_case(conn, case_ref, by, reason)
    register = ("answer", case_ref, question_id)
    with transaction(conn):
        team.ready_to_write(conn, by)
        held = registers.current(conn, register)
        if held is None or not held.value:
            return
        why = history.write_text(conn, reason)
        registers.write(conn, register, "", author=by, reason=why)
        if case.status == "complete":
            registers.write(conn, ("status", case_ref, ""), "in_progress", author=by, reason=why)


_ANSWER = ("SELECT question, value, note, framework_id, framework_version, answered_by, answered_at, "
           "note_hash IS NOT NULL AND note IS NULL FROM answer WHERE case_id = ?")


def answers_for_case(conn: sqlite3.Connection, case_id: int) -> dict[str, Answer]:
    return {row[0]: Answer(*row[:7], bool(row[7])) for row in conn.execute(_ANSWER, (case_id,))}


def answer_for(conn: sqlite3.Connection, case_id: int, question_id: str) -> Answer:
    row = conn.execute(_ANSWER + " AND question = ?", (case_id, question_id)).fetchone()
    return Answer(*row[:7], bool(row[7]))
