"""The audit trail: who changed what, when, from what to what, and why. Append-only.

Triggers in the schema refuse any UPDATE or DELETE on it, so not even a bug can rewrite history.
Written inside the same transaction as the change it records.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .inspections import now


@dataclass(frozen=True, slots=True)
class Entry:
    at: str
    by: str | None
    kind: str
    case_ref: str | None
    question: str | None
    old_value: str | None
    new_value: str | None
    reason: str | None
    detail: str | None


def log(conn: sqlite3.Connection, kind: str, by: str | None, *, case_ref: str | None = None,
        question: str | None = None, old: str | None = None, new: str | None = None,
        reason: str | None = None, detail: str | None = None) -> None:
    """Append one entry; the caller holds the transaction of the change itself."""
    conn.execute(
        "INSERT INTO audit (at, by, kind, case_ref, question, old_value, new_value, reason, detail) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (now(), by, kind, case_ref, question, old, new, reason, detail),
    )


def trail(conn: sqlite3.Connection, case_ref: str | None = None) -> list[Entry]:
    """The entries for one case (or all), oldest first."""
    sql = "SELECT at, by, kind, case_ref, question, old_value, new_value, reason, detail FROM audit"
    rows = conn.execute(sql + " WHERE case_ref = ? ORDER BY id", (case_ref,)) if case_ref else \
        conn.execute(sql + " ORDER BY id")
    return [Entry(*r) for r in rows]
