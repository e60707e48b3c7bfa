"""Redaction: append-only must not mean indelible. The lead can take a note's text out for good.

A name typed into an evidence note by mistake must leave: the lead redacts the note, with a
reason. Every version of that answer's note leaves the current tables and the text store (SQLite
overwrites the freed space: `secure_delete`), and no later bundle carries it, or brings it back
here; the history keeps only the salted hashes, which reveal nothing. Backups made before the
redaction still hold the text (docs/reliability.md says so).
"""

from __future__ import annotations

import sqlite3

from ..errors import HmipError
from . import history, registers, team
from .access import require_access
from .cases import get_case
from .database import transaction


def redact_note(conn: sqlite3.Connection, case_ref: str, question_id: str, reason: str | None,
                by: str | None) -> int:
    """Redact every version of the note of one answer, and of its second reading; returns how
    many versions there were."""
    team.require_lead(conn, by, "redact a note")
    if not reason or not reason.strip():
        raise HmipError("redacting a note needs a reason (--reason)")
    require_access(conn, get_case(conn, case_ref), by)
    hashes = sorted({e.note for _, e in history.entries(conn, case_ref=case_ref)
                     if e.kind in ("answer", "reading") and e.field == question_id and e.note}
                    - {h for (h,) in conn.execute("SELECT hash FROM redacted")})
    if not hashes:
        raise HmipError(f"case {case_ref} {question_id} has no note to redact")
    with transaction(conn):
        team.ready_to_write(conn, by)
        registers.write(conn, ("redact", case_ref, question_id), ",".join(h.hex() for h in hashes),
                        author=by, reason=history.write_text(conn, reason.strip()))
    return len(hashes)
