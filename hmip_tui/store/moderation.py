"""Moderation: import conflicts, blind second readings, settling, and locking moderated cases.

Ratings always count the `answer` table. An open conflict leaves the held answer in place; settling
a conflict or a second-reading disagreement writes the settled value there, with its reason, in
the audit trail.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass

from ..errors import HmipError
from ..framework import Framework
from . import audit
from .answers import check_value
from .cases import get_case
from .database import transaction
from .inspections import now


# --- conflicts from merging bundles ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Conflict:
    id: int
    case_ref: str
    question: str
    held_value: str
    held_by: str | None
    incoming_value: str
    incoming_by: str | None
    source: str
    settled_value: str | None
    settled_reason: str | None


def add_conflict(conn: sqlite3.Connection, case_id: int, question: str, held: tuple, incoming: tuple,
                 source: str) -> bool:
    """Record a differing import inside the caller's transaction; False if already recorded
    (so importing the same bundle again changes nothing, even after it was settled)."""
    value, note, by = incoming
    if conn.execute("SELECT 1 FROM conflict WHERE case_id = ? AND question = ? AND incoming_value = ? "
                    "AND incoming_note IS ?", (case_id, question, value, note)).fetchone():
        return False
    conn.execute(
        "INSERT INTO conflict (case_id, question, held_value, held_note, held_by, incoming_value, "
        "incoming_note, incoming_by, source, found_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (case_id, question, held[0], held[1], held[2], value, note, by, source, now()))
    return True


def conflicts(conn: sqlite3.Connection, *, open_only: bool = True) -> list[Conflict]:
    rows = conn.execute(
        "SELECT k.id, c.ref, k.question, k.held_value, k.held_by, k.incoming_value, k.incoming_by, "
        "k.source, k.settled_value, k.settled_reason FROM conflict k JOIN case_file c ON c.id = k.case_id "
        + ("WHERE k.settled_at IS NULL " if open_only else "") + "ORDER BY c.ref, k.question, k.id")
    return [Conflict(*r) for r in rows]


def _need_reason(reason: str | None, what: str) -> str:
    if not reason or not reason.strip():
        raise HmipError(f"settling {what} needs a reason (--reason)")
    return reason.strip()


def _write_settled(conn, framework: Framework, case, question: str, value: str, note: str | None,
                   reason: str, by: str | None, what: str) -> None:
    row = conn.execute("SELECT value FROM answer WHERE case_id = ? AND question = ?",
                       (case.id, question)).fetchone()
    if row is None or row[0] != value:
        conn.execute(
            "INSERT INTO answer (case_id, question, value, note, framework_id, framework_version, "
            "answered_by, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (case_id, question) "
            "DO UPDATE SET value = excluded.value, note = COALESCE(excluded.note, answer.note), "
            "answered_by = excluded.answered_by, answered_at = excluded.answered_at",
            (case.id, question, value, note, framework.id, framework.version, by, now()))
    audit.log(conn, "settle", by, case_ref=case.ref, question=question,
              old=row[0] if row else None, new=value, reason=reason, detail=what)


def settle_conflict(conn: sqlite3.Connection, framework: Framework, conflict_id: int, value: str,
                    reason: str | None, by: str | None) -> Conflict:
    reason = _need_reason(reason, f"conflict {conflict_id}")
    row = conn.execute("SELECT case_id, question, held_value, held_note, incoming_value, incoming_note, "
                       "settled_at FROM conflict WHERE id = ?", (conflict_id,)).fetchone()
    if row is None:
        raise HmipError(f"no conflict {conflict_id}: hmip moderation status lists the open ones")
    case_id, question, held_value, held_note, incoming_value, incoming_note, settled_at = row
    if settled_at:
        raise HmipError(f"conflict {conflict_id} was settled already")
    check_value(framework.question(question), value, f"conflict {conflict_id}")
    case = get_case(conn, conn.execute("SELECT ref FROM case_file WHERE id = ?", (case_id,)).fetchone()[0])
    note = incoming_note if value == incoming_value and value != held_value else None
    with transaction(conn):
        conn.execute("UPDATE conflict SET settled_value = ?, settled_reason = ?, settled_by = ?, "
                     "settled_at = ? WHERE id = ?", (value, reason, by, now(), conflict_id))
        _write_settled(conn, framework, case, question, value, note, reason, by,
                       f"conflict {conflict_id}: held {held_value}, imported {incoming_value}")
    return next(c for c in conflicts(conn, open_only=False) if c.id == conflict_id)


# --- second reading ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SecondReading:
    case_ref: str
    first_reader: str | None
    reader: str
    finished: bool


def assign_second_reading(conn: sqlite3.Connection, ref: str, reader: str, by: str | None) -> None:
    case = get_case(conn, ref)
    if reader == case.inspector:
        raise HmipError(f"{reader} read case {ref} first: a second reading needs another inspector")
    with transaction(conn):
        conn.execute("INSERT OR IGNORE INTO inspector (code) VALUES (?)", (reader,))
        held = conn.execute("SELECT reader FROM second_reading WHERE case_id = ?", (case.id,)).fetchone()
        if held and held[0] != reader:
            raise HmipError(f"case {ref} is already with {held[0]} for second reading")
        conn.execute("INSERT OR IGNORE INTO second_reading (case_id, reader, assigned_by, assigned_at) "
                     "VALUES (?, ?, ?, ?)", (case.id, reader, by, now()))
        audit.log(conn, "second-reading", by, case_ref=ref, new=reader, detail="assigned")


def pick_second_readings(conn: sqlite3.Connection, readers: list[str], share: float, seed: int,
                         by: str | None) -> list[tuple[str, str]]:
    """Every high or very high risk of serious harm case, plus a random share of the rest;
    readers in turn, never a case's own inspector. Returns (case, reader) newly assigned."""
    if not readers:
        raise HmipError("name the second readers (--readers A,B)")
    taken = {r for (r,) in conn.execute(
        "SELECT c.ref FROM second_reading s JOIN case_file c ON c.id = s.case_id")}
    rows = conn.execute("SELECT ref, inspector, json_extract(profile, '$.rosh') FROM case_file "
                        "ORDER BY ref").fetchall()
    high = [r for r in rows if r[2] in ("high", "very_high")]
    rest = [r for r in rows if r[2] not in ("high", "very_high")]
    chosen = high + random.Random(seed).sample(rest, round(len(rest) * share))
    picked, turn = [], 0
    for ref, inspector, _ in sorted(chosen):
        if ref in taken:
            continue
        candidates = [r for r in readers if r != inspector]
        if not candidates:
            continue
        reader = candidates[turn % len(candidates)]
        turn += 1
        assign_second_reading(conn, ref, reader, by)
        picked.append((ref, reader))
    return picked


def second_readings(conn: sqlite3.Connection, reader: str | None = None) -> list[SecondReading]:
    sql = ("SELECT c.ref, c.inspector, s.reader, s.finished_at IS NOT NULL FROM second_reading s "
           "JOIN case_file c ON c.id = s.case_id")
    rows = conn.execute(sql + " WHERE s.reader = ? ORDER BY c.ref", (reader,)) if reader else \
        conn.execute(sql + " ORDER BY c.ref")
    return [SecondReading(r, f, rd, bool(done)) for r, f, rd, done in rows]


def _reading(conn, ref: str, reader: str | None):
    case = get_case(conn, ref)
    row = conn.execute("SELECT reader, finished_at FROM second_reading WHERE case_id = ?",
                       (case.id,)).fetchone()
    if row is None:
        raise HmipError(f"case {ref} is not picked for second reading")
    if reader is not None and row[0] != reader:
        raise HmipError(f"case {ref} is with {row[0]} for second reading, not {reader}")
    return case, row[1]


def record_second_answer(conn: sqlite3.Connection, framework: Framework, ref: str, question_id: str,
                         value: str, note: str | None, reader: str) -> None:
    """The second reader's judgement on a key question, kept apart from the first reader's."""
    question = framework.question(question_id)
    if question.kind != "key_question":
        raise HmipError(f"second reading judges key questions only; {question_id} is a {question.kind.replace('_', ' ')}")
    case, finished = _reading(conn, ref, reader)
    if finished:
        raise HmipError(f"the second reading of case {ref} is finished")
    why_not = question.why_not(case.profile)
    if why_not:
        raise HmipError(f"question {question_id} does not apply to case {ref}: {why_not}")
    check_value(question, value, f"case {ref}")
    with transaction(conn):
        conn.execute(
            "INSERT INTO second_answer (case_id, question, value, note, answered_by, answered_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (case_id, question) DO UPDATE SET "
            "value = excluded.value, note = excluded.note, answered_at = excluded.answered_at",
            (case.id, question_id, value, (note or "").strip() or None, reader, now()))


def second_answers(conn: sqlite3.Connection, ref: str) -> dict[str, str]:
    case = get_case(conn, ref)
    return dict(conn.execute("SELECT question, value FROM second_answer WHERE case_id = ?", (case.id,)))


def key_questions_for(framework: Framework, profile: dict) -> list:
    return [k for s in framework.standards for k in s.key_questions if k.applies_to(profile)]


def finish_second_reading(conn: sqlite3.Connection, framework: Framework, ref: str, reader: str) -> None:
    case, finished = _reading(conn, ref, reader)
    given = second_answers(conn, ref)
    left = [k.id for k in key_questions_for(framework, case.profile) if k.id not in given]
    if left:
        raise HmipError(f"the second reading of case {ref} still lacks {', '.join(left)}")
    with transaction(conn):
        conn.execute("UPDATE second_reading SET finished_at = ? WHERE case_id = ?", (now(), case.id))
        audit.log(conn, "second-reading", reader, case_ref=ref, detail="finished")


@dataclass(frozen=True, slots=True)
class Pair:
    """One key question of a second-read case: the two readers side by side."""

    case_ref: str
    question: str
    first: str | None
    second: str | None
    settled: str | None
    reason: str | None

    @property
    def agree(self) -> bool:
        return self.first == self.second


def pairs(conn: sqlite3.Connection, framework: Framework, ref: str | None = None,
          finished_only: bool = True) -> list[Pair]:
    """First and second readers' judgements on every key question of the second-read cases."""
    sql = ("SELECT c.ref, s.question, a.value, s.value, s.settled_value, s.settled_reason "
           "FROM second_answer s JOIN case_file c ON c.id = s.case_id "
           "JOIN second_reading r ON r.case_id = s.case_id "
           "LEFT JOIN answer a ON a.case_id = s.case_id AND a.question = s.question "
           + ("WHERE r.finished_at IS NOT NULL " if finished_only else "WHERE 1 ")
           + ("AND c.ref = ? " if ref else "") + "ORDER BY c.ref, s.question")
    order = {q: i for i, q in enumerate(framework.questions)}
    rows = [Pair(*r) for r in conn.execute(sql, (ref,) if ref else ())]
    return sorted(rows, key=lambda p: (p.case_ref, order.get(p.question, 0)))


def unsettled(all_pairs: list[Pair]) -> list[Pair]:
    """The pairs whose readers differ and that nobody has settled yet."""
    return [p for p in all_pairs if not p.agree and p.settled is None]


def disagreements(conn: sqlite3.Connection, framework: Framework) -> list[Pair]:
    return unsettled(pairs(conn, framework))


def settle_disagreement(conn: sqlite3.Connection, framework: Framework, ref: str, question_id: str,
                        value: str, reason: str | None, by: str | None) -> None:
    reason = _need_reason(reason, f"the disagreement on {ref} {question_id}")
    check_value(framework.question(question_id), value, f"case {ref}")
    case = get_case(conn, ref)
    pair = next((p for p in pairs(conn, framework, ref) if p.question == question_id), None)
    if pair is None:
        raise HmipError(f"no finished second reading of case {ref} judges {question_id}")
    with transaction(conn):
        conn.execute("UPDATE second_answer SET settled_value = ?, settled_reason = ?, settled_by = ?, "
                     "settled_at = ? WHERE case_id = ? AND question = ?",
                     (value, reason, by, now(), case.id, question_id))
        _write_settled(conn, framework, case, question_id, value, None, reason, by,
                       f"second reading: first {pair.first}, second {pair.second}")


# --- locking ----------------------------------------------------------------------------


def mark_moderated(conn: sqlite3.Connection, framework: Framework, ref: str, by: str | None) -> None:
    case = get_case(conn, ref)
    if case.status != "complete":
        raise HmipError(f"case {ref} is not complete yet: complete it before moderation locks it")
    open_here = [c for c in conflicts(conn) if c.case_ref == ref]
    apart = [p for p in disagreements(conn, framework) if p.case_ref == ref]
    if open_here or apart:
        raise HmipError(f"case {ref} has {len(open_here)} open conflicts and {len(apart)} unsettled "
                        "disagreements: settle them first")
    with transaction(conn):
        conn.execute("UPDATE case_file SET moderated_at = ? WHERE id = ?", (now(), case.id))
        audit.log(conn, "moderated", by, case_ref=ref, detail="locked")


def reopen(conn: sqlite3.Connection, ref: str, reason: str | None, by: str | None) -> None:
    if not reason or not reason.strip():
        raise HmipError(f"reopening case {ref} needs a reason (--reason)")
    case = get_case(conn, ref)
    if not case.locked:
        raise HmipError(f"case {ref} is not locked")
    with transaction(conn):
        conn.execute("UPDATE case_file SET moderated_at = NULL, status = 'in_progress' WHERE id = ?",
                     (case.id,))
        audit.log(conn, "reopen", by, case_ref=ref, old="moderated", new="in_progress", reason=reason.strip())
