"""Domain-one judgements: the team's rating and evidence for each organisational standard."""

from __future__ import annotations

import sqlite3

from ..errors import HmipError
from ..framework import Framework
from . import audit
from .database import transaction
from .inspections import now


def record_judgement(conn: sqlite3.Connection, framework: Framework, standard_id: str,
                     rating: str, evidence: str, judged_by: str | None) -> None:
    standard = framework.standard(standard_id)
    if standard.rated_by != "judgement":
        raise HmipError(
            f"standard {standard_id} ({standard.title}) is rated from the cases, not by judgement"
        )
    framework.band(rating)
    if not evidence or not evidence.strip():
        raise HmipError(f"a judgement on standard {standard_id} needs its evidence (--evidence)")
    with transaction(conn):
        held = conn.execute("SELECT rating FROM judgement WHERE standard = ?", (standard_id,)).fetchone()
        audit.log(conn, "judgement", judged_by, question=standard_id, old=held[0] if held else None,
                  new=rating, detail=evidence.strip())
        conn.execute(
            "INSERT INTO judgement (standard, rating, evidence, judged_by, judged_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (standard) DO UPDATE SET rating = excluded.rating, "
            "evidence = excluded.evidence, judged_by = excluded.judged_by, judged_at = excluded.judged_at",
            (standard_id, rating, evidence.strip(), judged_by, now()),
        )


def judgements(conn: sqlite3.Connection) -> dict[str, tuple[str, str]]:
    """Standard id -> (rating, evidence)."""
    return {s: (r, e) for s, r, e in conn.execute("SELECT standard, rating, evidence FROM judgement")}
