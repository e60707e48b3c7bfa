"""Domain-one judgements: the team's rating and evidence for each organisational standard."""

from __future__ import annotations

import sqlite3

from ..errors import HmipError
from ..framework import Framework
from . import history, registers, team
from .database import transaction


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
    by = judged_by or ""
    with transaction(conn):
        team.ready_to_write(conn, by)
        held = registers.current(conn, ("judgement", "", standard_id))
        if held is not None and held.value == rating and history.text_of(conn, held.note) == evidence.strip():
            return
        registers.write(conn, ("judgement", "", standard_id), rating, author=by,
                        note=history.write_text(conn, evidence.strip()))


def judgements(conn: sqlite3.Connection) -> dict[str, tuple[str, str]]:
    """Standard id -> (rating, evidence)."""
    return {s: (r, e) for s, r, e in conn.execute("SELECT standard, rating, evidence FROM judgement")}
