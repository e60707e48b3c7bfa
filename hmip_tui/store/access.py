"""Limited-access cases: open only to the inspectors assigned to them.

A case is restricted when its profile says `limited_access: yes`. Its own inspector is always
assigned; the lead can assign others (`hmip case grant`). Everyone else sees that the case
exists, and nothing more. This guards against one inspector reading another's restricted case
in the app or an export; it does not guard the database file itself (see docs/reliability.md).
"""

from __future__ import annotations

import sqlite3

from ..errors import HmipError
from .cases import CaseFile, get_case
from .database import transaction


def is_restricted(profile: dict) -> bool:
    return profile.get("limited_access") == "yes"


def assigned(conn: sqlite3.Connection, case: CaseFile) -> set[str]:
    others = {code for (code,) in conn.execute(
        "SELECT inspector FROM case_access WHERE case_id = ?", (case.id,))}
    return others | ({case.inspector} if case.inspector else set())


def can_open(conn: sqlite3.Connection, case: CaseFile, inspector: str | None) -> bool:
    return not is_restricted(case.profile) or (inspector is not None and inspector in assigned(conn, case))


def require_access(conn: sqlite3.Connection, case: CaseFile, inspector: str | None) -> None:
    if not can_open(conn, case, inspector):
        raise HmipError(
            f"case {case.ref} is a limited access case: only the inspectors assigned to it "
            f"can open or change it ({inspector or 'unknown'} is not)"
        )


def restricted_refs(conn: sqlite3.Connection) -> set[str]:
    return {ref for (ref,) in conn.execute(
        "SELECT ref FROM case_file WHERE json_extract(profile, '$.limited_access') = 'yes'")}


def refs_open_to(conn: sqlite3.Connection, inspector: str) -> set[str]:
    """The restricted cases this inspector is assigned to."""
    return {ref for (ref,) in conn.execute(
        "SELECT ref FROM case_file c WHERE json_extract(c.profile, '$.limited_access') = 'yes' "
        "AND (c.inspector = ? OR EXISTS (SELECT 1 FROM case_access a WHERE a.case_id = c.id "
        "AND a.inspector = ?))", (inspector, inspector))}


def is_lead(conn: sqlite3.Connection, inspector: str | None) -> bool:
    row = conn.execute("SELECT role FROM inspector WHERE code = ?", (inspector,)).fetchone()
    return bool(row) and row[0] == "lead"


def grant(conn: sqlite3.Connection, ref: str, inspector: str, by: str | None) -> None:
    """The lead assigns another inspector to a case."""
    if not is_lead(conn, by):
        raise HmipError(f"only the lead inspector can assign inspectors to a case ({by} is not lead)")
    case = get_case(conn, ref)
    with transaction(conn):
        conn.execute("INSERT OR IGNORE INTO inspector (code) VALUES (?)", (inspector,))
        conn.execute("INSERT OR IGNORE INTO case_access (case_id, inspector) VALUES (?, ?)",
                     (case.id, inspector))
