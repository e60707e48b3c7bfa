"""Sampled cases: their reference, inspector, profile and progress."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import date

from ..errors import HmipError
from ..framework import Framework
from .database import transaction
from .inspections import now

CASE_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,63}$")
STATUSES = ("not_started", "in_progress", "complete")


@dataclass(frozen=True, slots=True)
class CaseFile:
    id: int
    ref: str
    inspector: str | None
    profile: dict
    status: str
    resume_at: str | None
    moderated_at: str | None = None  # set when moderation locked the case

    @property
    def locked(self) -> bool:
        return self.moderated_at is not None


def check_ref(ref: str, where: str) -> str:
    ref = (ref or "").strip()
    if not CASE_REF.match(ref):
        raise HmipError(
            f"{where}: case reference {ref!r} is not valid (letters, digits and - _ . / only, "
            "up to 64 characters; a reference, never a name)"
        )
    return ref


def profile_problem(framework: Framework, profile: dict) -> str | None:
    """The first thing wrong with a case profile, as a phrase naming the field; None if sound."""
    known = {f.id for f in framework.profile}
    for key in profile:
        if key not in known:
            return f"field {key!r} is not a profile field of framework {framework.id}"
    for f in framework.profile:
        value = profile.get(f.id)
        if value in (None, ""):
            if f.required and f.applies_to(profile):
                return f"field {f.id!r} ({f.label}) is required"
            continue
        if not isinstance(value, str):
            return f"field {f.id!r} must be text, not {type(value).__name__}"
        if f.type == "choice" and value not in {o.id for o in f.options}:
            allowed = ", ".join(o.id for o in f.options)
            return f"field {f.id!r} has {value!r}, which is not one of: {allowed}"
        if f.type == "date":
            try:
                date.fromisoformat(value)
            except ValueError:
                return f"field {f.id!r} has {value!r}, which is not a date (YYYY-MM-DD)"
    return None


def clean_profile(profile: dict) -> dict:
    """Drop empty values, so that 'not recorded' is one thing, not two."""
    return {k: v for k, v in profile.items() if v not in (None, "")}


def _row_to_case(row) -> CaseFile:
    return CaseFile(row[0], row[1], row[2], json.loads(row[3]), row[4], row[5], row[6])


_CASE_COLUMNS = "id, ref, inspector, profile, status, resume_at, moderated_at"


def get_case(conn: sqlite3.Connection, ref: str) -> CaseFile:
    row = conn.execute(f"SELECT {_CASE_COLUMNS} FROM case_file WHERE ref = ?", (ref,)).fetchone()
    if row is None:
        raise HmipError(f"no case {ref!r} in this inspection")
    return _row_to_case(row)


def all_cases(conn: sqlite3.Connection) -> list[CaseFile]:
    return [_row_to_case(r) for r in conn.execute(f"SELECT {_CASE_COLUMNS} FROM case_file ORDER BY ref")]


def case_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM case_file").fetchone()[0]


def insert_case(conn: sqlite3.Connection, ref: str, inspector: str | None, profile: dict,
                status: str = "not_started", created_at: str | None = None) -> int:
    """Insert one case inside the caller's transaction; returns its row id."""
    cur = conn.execute(
        "INSERT INTO case_file (ref, inspector, profile, status, created_at) VALUES (?, ?, ?, ?, ?)",
        (ref, inspector, json.dumps(profile, sort_keys=True), status, created_at or now()),
    )
    return cur.lastrowid


def add_case(conn: sqlite3.Connection, framework: Framework, ref: str, inspector: str | None,
             profile: dict) -> CaseFile:
    """Add one case, validated, in its own transaction."""
    ref = check_ref(ref, "case")
    profile = clean_profile(profile)
    problem = profile_problem(framework, profile)
    if problem:
        raise HmipError(f"case {ref}: {problem}")
    with transaction(conn):
        if conn.execute("SELECT 1 FROM case_file WHERE ref = ?", (ref,)).fetchone():
            raise HmipError(f"case {ref} is already in this inspection")
        if inspector:
            conn.execute("INSERT OR IGNORE INTO inspector (code) VALUES (?)", (inspector,))
        insert_case(conn, ref, inspector, profile)
    return get_case(conn, ref)


def update_profile(conn: sqlite3.Connection, framework: Framework, ref: str, profile: dict) -> CaseFile:
    profile = clean_profile(profile)
    problem = profile_problem(framework, profile)
    if problem:
        raise HmipError(f"case {ref}: {problem}")
    with transaction(conn):
        cur = conn.execute("UPDATE case_file SET profile = ? WHERE ref = ?",
                           (json.dumps(profile, sort_keys=True), ref))
        if cur.rowcount == 0:
            raise HmipError(f"no case {ref!r} in this inspection")
    return get_case(conn, ref)


def set_status(conn: sqlite3.Connection, ref: str, status: str) -> None:
    if status not in STATUSES:
        raise HmipError(f"unknown case status {status!r}")
    with transaction(conn):
        conn.execute("UPDATE case_file SET status = ? WHERE ref = ?", (status, ref))


def set_resume_at(conn: sqlite3.Connection, ref: str, question_id: str) -> None:
    """Remember where the inspector is in the case, so reopening it returns there."""
    with transaction(conn):
        conn.execute("UPDATE case_file SET resume_at = ? WHERE ref = ?", (question_id, ref))


@dataclass(frozen=True, slots=True)
class CaseWithAnswers:
    ref: str
    inspector: str | None
    profile: dict
    status: str  # not_started, in_progress, complete, or moderated (complete and locked)
    answered: frozenset[str]  # ids of the questions answered


def cases_with_answered(conn: sqlite3.Connection) -> list[CaseWithAnswers]:
    """Every case with the ids of its answered questions: two queries, whatever the size."""
    answered = dict(conn.execute("SELECT case_id, group_concat(question, ' ') FROM answer GROUP BY case_id"))
    return [
        CaseWithAnswers(ref, inspector, json.loads(profile), "moderated" if moderated else status,
                        frozenset((answered.get(cid) or "").split()))
        for cid, ref, inspector, profile, status, moderated in conn.execute(
            "SELECT id, ref, inspector, profile, status, moderated_at FROM case_file ORDER BY ref")
    ]


def case_refs(conn: sqlite3.Connection) -> list[str]:
    return [ref for (ref,) in conn.execute("SELECT ref FROM case_file ORDER BY ref")]
