"""Evidence notes not yet saved: one draft per case, question and inspector.

A draft is scratch, not history: it is never signed, never in a bundle, and goes once the note
it holds is in the history (or the inspector throws it away).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .database import transaction
from .inspections import now


@dataclass(frozen=True, slots=True)
class NoteDraft:
    case_ref: str
    question: str
    text: str
    saved_at: str


def note_draft(conn: sqlite3.Connection, case_ref: str, question: str, inspector: str) -> NoteDraft | None:
    row = conn.execute("SELECT text, saved_at FROM note_draft WHERE case_ref = ? AND question = ? "
                       "AND inspector = ?", (case_ref, question, inspector)).fetchone()
    return NoteDraft(case_ref, question, row[0], row[1]) if row else None


def drafts_for_case(conn: sqlite3.Connection, case_ref: str, inspector: str) -> dict[str, NoteDraft]:
    rows = conn.execute("SELECT question, text, saved_at FROM note_draft WHERE case_ref = ? "
                        "AND inspector = ?", (case_ref, inspector))
    return {q: NoteDraft(case_ref, q, t, at) for q, t, at in rows}


def cases_with_drafts(conn: sqlite3.Connection, inspector: str) -> set[str]:
    """The cases where this inspector has a note not yet saved: the case list marks them."""
    return {r for (r,) in conn.execute("SELECT DISTINCT case_ref FROM note_draft WHERE inspector = ? "
                                       "AND case_ref != ''", (inspector,))}


def keep_note_draft(conn: sqlite3.Connection, case_ref: str, question: str, inspector: str,
                    text: str) -> None:
    with transaction(conn):
        conn.execute("INSERT INTO note_draft (case_ref, question, inspector, text, saved_at) "
                     "VALUES (?, ?, ?, ?, ?) ON CONFLICT (case_ref, question, inspector) "
                     "DO UPDATE SET text = excluded.text, saved_at = excluded.saved_at",
                     (case_ref, question, inspector, text, now()))


def drop_note_draft(conn: sqlite3.Connection, case_ref: str, question: str, inspector: str) -> None:
    if note_draft(conn, case_ref, question, inspector) is None:
        return  # nothing to drop: no write, so no backup or check is set off by it
    with transaction(conn):
        conn.execute("DELETE FROM note_draft WHERE case_ref = ? AND question = ? AND inspector = ?",
                     (case_ref, question, inspector))
