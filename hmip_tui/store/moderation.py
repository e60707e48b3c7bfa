"""Moderation: conflicts between the team's histories, blind second readings, settling, locking.

Only the lead settles, picks and assigns second readings, and locks or reopens a moderated case.
A conflict is a register whose heads say different things (registers.py); settling writes one
entry naming every head, so it ends the conflict wherever that entry travels. A second reading is
its own register per key question, and finishing it records the first reading it was blind to:
agreement compares those two as given, whatever is settled later.
"""

from __future__ import annotations

import json
import random
import sqlite3
from dataclasses import dataclass

from ..errors import HmipError
from ..framework import Framework
from . import history, registers, team
from .access import can_open, require_access
from .answers import check_value
from .cases import get_case
from .database import transaction
from .registers import Head

# --- conflicts --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Conflict:
    id: int
    kind: str  # "answer", "profile" or "judgement"
    case_ref: str  # "" for a judgement
    field: str  # the question, profile field or standard
    heads: tuple[Head, ...]  # oldest first; empty once settled
    opened_at: str
    settled_value: str | None = None
    settled_by: str | None = None
    settled_reason: str | None = None

    @property
    def question(self) -> str:
        return self.field

    @property
    def values(self) -> list[str]:
        return [h.value for h in self.heads]


def conflicts(conn: sqlite3.Connection, *, open_only: bool = True) -> list[Conflict]:
    rows = conn.execute(
        "SELECT id, kind, case_ref, field, opened_at, closed_by FROM conflict "
        + ("WHERE closed_by IS NULL " if open_only else "") + "ORDER BY case_ref, field, id").fetchall()
    out = []
    for cid, kind, case_ref, field, opened_at, closed_by in rows:
        if closed_by is None:
            hs = tuple(sorted(registers.heads(conn, (kind, case_ref, field)), key=lambda h: h.order))
            out.append(Conflict(cid, kind, case_ref, field, hs, opened_at))
        else:
            closer = history.get(conn, closed_by)
            out.append(Conflict(cid, kind, case_ref, field, (), opened_at,
                                closer.value if closer else None, closer.author if closer else None,
                                history.text_of(conn, closer.reason) if closer else None))
    return out


def _need_reason(reason: str | None, what: str) -> str:
    if not reason or not reason.strip():
        raise HmipError(f"settling {what} needs a reason (--reason)")
    return reason.strip()


def _check_settled_value(framework: Framework, conflict: Conflict, value: str) -> None:
    where = f"conflict {conflict.id}"
    if conflict.kind == "answer":
        check_value(framework.question(conflict.field), value, where)
    elif conflict.kind == "judgement":
        framework.band(value)
    else:
        f = framework.profile_field(conflict.field)
        if f is not None and f.options and value not in {o.id for o in f.options}:
            raise HmipError(f"{where}: {value!r} is not one of {f.label}'s options "
                            f"({', '.join(o.id for o in f.options)})")


def settle_conflict(conn: sqlite3.Connection, framework: Framework, conflict_id: int, value: str,
                    reason: str | None, by: str | None, note: str | None = None) -> Conflict:
    """The lead's final word on a conflict: one entry naming every head."""
    team.require_lead(conn, by, "settle a conflict")
    reason = _need_reason(reason, f"conflict {conflict_id}")
    found = next((c for c in conflicts(conn, open_only=False) if c.id == conflict_id), None)
    if found is None:
        raise HmipError(f"no conflict {conflict_id}: hmip moderation status lists the open ones")
    if not found.heads:
        raise HmipError(f"conflict {conflict_id} was settled already")
    if found.case_ref:
        require_access(conn, get_case(conn, found.case_ref), by)
    _check_settled_value(framework, found, value)
    with transaction(conn):
        team.ready_to_write(conn, by)
        if note is not None:
            note_hash = history.write_text(conn, note.strip() or None)
        else:  # the note of the newest reading that said this, if any did
            said = [h for h in found.heads if h.value == value]
            note_hash = max(said, key=lambda h: h.order).note if said else None
        registers.write(conn, (found.kind, found.case_ref, found.field), value, author=by, settle=True,
                        note=note_hash, reason=history.write_text(conn, reason))
    return next(c for c in conflicts(conn, open_only=False) if c.id == conflict_id)


# --- second reading ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SecondReading:
    case_ref: str
    first_reader: str | None
    reader: str
    finished: bool


def key_questions_for(framework: Framework, profile: dict) -> list:
    return [k for s in framework.standards for k in s.key_questions if k.applies_to(profile)]


def _unanswered_key_questions(conn, framework: Framework, case) -> list[str]:
    given = {q for (q,) in conn.execute("SELECT question FROM answer WHERE case_id = ?", (case.id,))}
    return [k.id for k in key_questions_for(framework, case.profile) if k.id not in given]


def assign_second_reading(conn: sqlite3.Connection, framework: Framework, ref: str, reader: str,
                          by: str | None) -> bool:
    """The lead picks one case for a second reading by `reader`; False if it already is."""
    team.require_lead(conn, by, "assign second readings")
    case = get_case(conn, ref)
    team.require_member(conn, reader, "second-read a case")
    if reader == case.inspector:
        raise HmipError(f"{reader} read case {ref} first: a second reading needs another inspector")
    held = conn.execute("SELECT reader FROM second_reading WHERE case_id = ?", (case.id,)).fetchone()
    if held and held[0] == reader:
        return False
    if held:
        raise HmipError(f"case {ref} is already with {held[0]} for second reading")
    left = _unanswered_key_questions(conn, framework, case)
    if left:
        raise HmipError(f"case {ref} can be second-read once its key questions are answered "
                        f"({len(left)} not yet: {', '.join(left)})")
    if not can_open(conn, case, reader):
        raise HmipError(f"case {ref} is a limited access case: grant {reader} access first "
                        f"(hmip case grant {ref} {reader})")
    with transaction(conn):
        team.ready_to_write(conn, by)
        registers.write(conn, ("assign", ref, ""), reader, author=by)
    return True


@dataclass(frozen=True, slots=True)
class Picked:
    assigned: list[tuple[str, str]]  # (case, reader) newly assigned
    not_ready: list[str]  # picked, but key questions still unanswered
    no_reader: list[str]  # picked, but no reader may read it (their own case, or limited access)


def pick_second_readings(conn: sqlite3.Connection, framework: Framework, readers: list[str],
                         share: float | None, seed: int, by: str | None) -> Picked:
    """Every case the framework's rule always picks (high and very high risk of serious harm),
    plus a random share of the rest; readers in turn, never a case's own inspector."""
    team.require_lead(conn, by, "pick cases for second reading")
    if not readers:
        raise HmipError("name the second readers (--readers A,B)")
    for r in readers:
        team.require_member(conn, r, "second-read a case")
    rule = framework.second_reading
    share = rule.share if share is None else share
    taken = {r for (r,) in conn.execute("SELECT c.ref FROM second_reading s JOIN case_file c ON c.id = s.case_id")}
    cases = conn.execute("SELECT id, ref, inspector, profile FROM case_file ORDER BY ref").fetchall()
    profiles = {ref: json.loads(p) for _, ref, _, p in cases}
    always = [c for c in cases if rule.always(profiles[c[1]])]
    rest = [c for c in cases if not rule.always(profiles[c[1]])]
    chosen = sorted(always + random.Random(seed).sample(rest, round(len(rest) * share)), key=lambda c: c[1])
    out = Picked([], [], [])
    turn = 0
    for _, ref, inspector, _ in chosen:
        if ref in taken:
            continue
        case = get_case(conn, ref)
        if _unanswered_key_questions(conn, framework, case):
            out.not_ready.append(ref)
            continue
        candidates = [r for r in readers if r != inspector and can_open(conn, case, r)]
        if not candidates:
            out.no_reader.append(ref)
            continue
        reader = candidates[turn % len(candidates)]
        turn += 1
        assign_second_reading(conn, framework, ref, reader, by)
        out.assigned.append((ref, reader))
    return out


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
    if row[0] != reader:
        raise HmipError(f"case {ref} is with {row[0]} for second reading, not {reader or 'nobody'}: "
                        "a second reader reads only the cases assigned to them")
    require_access(conn, case, reader, reading=True)
    return case, row[1]


def record_second_answer(conn: sqlite3.Connection, framework: Framework, ref: str, question_id: str,
                         value: str, note: str | None, reader: str) -> None:
    """The second reader's judgement on a key question, kept apart from the first reader's."""
    question = framework.question(question_id)
    if question.kind != "key_question":
        raise HmipError(f"second reading judges key questions only; {question_id} is a "
                        f"{question.kind.replace('_', ' ')}")
    case, finished = _reading(conn, ref, reader)
    if finished:
        raise HmipError(f"the second reading of case {ref} is finished")
    why_not = question.why_not(case.profile)
    if why_not:
        raise HmipError(f"question {question_id} does not apply to case {ref}: {why_not}")
    check_value(question, value, f"case {ref}")
    with transaction(conn):
        team.ready_to_write(conn, reader)
        registers.write(conn, ("reading", ref, question_id), value, author=reader,
                        note=history.write_text(conn, (note or "").strip() or None))


def second_answers(conn: sqlite3.Connection, ref: str) -> dict[str, str]:
    case = get_case(conn, ref)
    return dict(conn.execute("SELECT question, value FROM second_answer WHERE case_id = ?", (case.id,)))


def finish_second_reading(conn: sqlite3.Connection, framework: Framework, ref: str, reader: str) -> None:
    """Finish a blind reading: the first reading it was blind to is recorded with it, so that
    agreement compares the two readings as given, whatever moderation settles afterwards."""
    case, finished = _reading(conn, ref, reader)
    if finished:
        return
    given = second_answers(conn, ref)
    left = [k.id for k in key_questions_for(framework, case.profile) if k.id not in given]
    if left:
        raise HmipError(f"the second reading of case {ref} still lacks {', '.join(left)}")
    first = dict(conn.execute(f"SELECT question, value FROM answer WHERE case_id = ? AND question IN "
                              f"({','.join('?' * len(given))})", (case.id, *given)))
    with transaction(conn):
        team.ready_to_write(conn, reader)
        registers.write(conn, ("finish", ref, ""), json.dumps({"first": first}, sort_keys=True), author=reader)


@dataclass(frozen=True, slots=True)
class Pair:
    """One key question of a second-read case: the two readings as given, and any settlement."""

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
    """First and second readings of every key question of the second-read cases."""
    sql = ("SELECT c.ref, s.question, s.first_value, s.value, s.settled_value, s.settled_reason "
           "FROM second_answer s JOIN case_file c ON c.id = s.case_id "
           "JOIN second_reading r ON r.case_id = s.case_id "
           + ("WHERE r.finished_at IS NOT NULL " if finished_only else "WHERE 1 ")
           + ("AND c.ref = ? " if ref else "") + "ORDER BY c.ref, s.question")
    order = {q: i for i, q in enumerate(framework.questions)}
    rows = [Pair(*r) for r in conn.execute(sql, (ref,) if ref else ())]
    return sorted(rows, key=lambda p: (p.case_ref, order.get(p.question, 0)))


def unsettled(all_pairs: list[Pair]) -> list[Pair]:
    """The pairs whose readings differ and that nobody has settled yet."""
    return [p for p in all_pairs if not p.agree and p.settled is None]


def disagreements(conn: sqlite3.Connection, framework: Framework) -> list[Pair]:
    return unsettled(pairs(conn, framework))


def settle_disagreement(conn: sqlite3.Connection, framework: Framework, ref: str, question_id: str,
                        value: str, reason: str | None, by: str | None) -> None:
    """The lead's final judgement where the readers differed: an answer entry that names the
    answer's heads and the second reading, so the disagreement is settled wherever it goes."""
    team.require_lead(conn, by, "settle a disagreement")
    reason = _need_reason(reason, f"the disagreement on {ref} {question_id}")
    check_value(framework.question(question_id), value, f"case {ref}")
    case = get_case(conn, ref)
    require_access(conn, case, by)
    pair = next((p for p in pairs(conn, framework, ref) if p.question == question_id), None)
    if pair is None:
        raise HmipError(f"no finished second reading of case {ref} judges {question_id}")
    reading, reading_note = conn.execute("SELECT entry, note_hash FROM second_answer WHERE case_id = ? "
                                         "AND question = ?", (case.id, question_id)).fetchone()
    held = registers.current(conn, ("answer", ref, question_id))
    # The note of the reading that said this: the first reader's, else the second reader's.
    note = held.note if held is not None and held.value == value and held.note else \
        reading_note if value == pair.second else None
    with transaction(conn):
        team.ready_to_write(conn, by)
        registers.write(conn, ("answer", ref, question_id), value, author=by, settle=True, note=note,
                        reason=history.write_text(conn, reason), also_replaces=[reading])


# --- locking ------------------------------------------------------------------------------------


def mark_moderated(conn: sqlite3.Connection, framework: Framework, ref: str, by: str | None) -> None:
    team.require_lead(conn, by, "lock a moderated case")
    case = get_case(conn, ref)
    if case.locked:
        return
    if case.status != "complete":
        raise HmipError(f"case {ref} is not complete yet: complete it before moderation locks it")
    open_here = [c for c in conflicts(conn) if c.case_ref == ref]
    apart = [p for p in disagreements(conn, framework) if p.case_ref == ref]
    if open_here or apart:
        raise HmipError(f"case {ref} has {_count(len(open_here), 'open conflict')} and "
                        f"{_count(len(apart), 'unsettled disagreement')}: settle them first")
    with transaction(conn):
        team.ready_to_write(conn, by)
        registers.write(conn, ("lock", ref, ""), "locked", author=by)


def reopen(conn: sqlite3.Connection, ref: str, reason: str | None, by: str | None) -> None:
    team.require_lead(conn, by, "reopen a moderated case")
    if not reason or not reason.strip():
        raise HmipError(f"reopening case {ref} needs a reason (--reason)")
    case = get_case(conn, ref)
    if not case.locked:
        raise HmipError(f"case {ref} is not locked")
    with transaction(conn):
        team.ready_to_write(conn, by)
        why = history.write_text(conn, reason.strip())
        registers.write(conn, ("lock", ref, ""), "unlocked", author=by, reason=why)
        registers.write(conn, ("status", ref, ""), "in_progress", author=by, reason=why)


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" + ("" if n == 1 else "s")
