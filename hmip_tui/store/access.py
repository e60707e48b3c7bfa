"""Limited-access cases: open only to the inspectors assigned to them.

A case is restricted when its profile says `limited_access: yes`. Its own inspector is always
assigned; the lead can assign others (`hmip case grant`), the lead included, and each grant is a
history entry. Everyone else sees that the case exists, and nothing more: not its answers' notes,
nor its entries in the history. This guards against one inspector reading another's restricted
case in the app or an export; it does not guard the database file itself (docs/reliability.md).
"""

from __future__ import annotations

import sqlite3

from ..errors import HmipError
from . import registers, team
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


def require_access(conn: sqlite3.Connection, case: CaseFile, inspector: str | None, *,
                   reading: bool = False) -> None:
    """Refuse what the inspector may not open: a limited-access case not assigned to them, or
    (unless `reading`, the second reading itself) a case they are second-reading blind."""
    if not can_open(conn, case, inspector):
        raise HmipError(
            f"case {case.ref} is a limited access case: only the inspectors assigned to it "
            f"can open or change it ({inspector or 'unknown'} is not)"
        )
    if not reading and inspector != case.inspector and conn.execute(
            "SELECT 1 FROM second_reading WHERE case_id = ? AND reader = ? AND finished_at IS NULL",
            (case.id, inspector)).fetchone():
        raise HmipError(f"case {case.ref} is with {inspector} for a blind second reading: its first reading "
                        "stays hidden until the reading is finished (hmip moderation read, finish)")


def blind_to(conn: sqlite3.Connection, inspector: str | None) -> set[str]:
    """The cases this inspector is second-reading and has not finished: the first reading of
    each stays out of their sight (case walk, audit trail, exports) until they finish."""
    return {ref for (ref,) in conn.execute(
        "SELECT c.ref FROM second_reading s JOIN case_file c ON c.id = s.case_id WHERE s.reader = ? "
        "AND s.finished_at IS NULL AND c.inspector IS NOT ?", (inspector, inspector))}


def restricted_refs(conn: sqlite3.Connection) -> set[str]:
    return {ref for (ref,) in conn.execute(
        "SELECT ref FROM case_file WHERE json_extract(profile, '$.limited_access') = 'yes'")}


def refs_open_to(conn: sqlite3.Connection, inspector: str | None) -> set[str]:
    """The restricted cases this inspector is assigned to."""
    return {ref for (ref,) in conn.execute(
        "SELECT ref FROM case_file c WHERE json_extract(c.profile, '$.limited_access') = 'yes' "
        "AND (c.inspector = ? OR EXISTS (SELECT 1 FROM case_access a WHERE a.case_id = c.id "
        "AND a.inspector = ?))", (inspector, inspector))}


def restricted_closed_to(conn: sqlite3.Connection, inspector: str | None) -> set[str]:
    """The limited-access cases this inspector may not open (their notes never reach the laptop)."""
    return restricted_refs(conn) - refs_open_to(conn, inspector)


def closed_to(conn: sqlite3.Connection, inspector: str | None) -> set[str]:
    """What this inspector must not be shown of a case beyond its reference: the limited-access
    cases they may not open, and the cases they are second-reading blind."""
    return (restricted_refs(conn) - refs_open_to(conn, inspector)) | blind_to(conn, inspector)


def grant(conn: sqlite3.Connection, ref: str, inspector: str, by: str | None) -> None:
    """The lead assigns another inspector (a team member) to a case."""
    team.require_lead(conn, by, "assign inspectors to a case")
    case = get_case(conn, ref)
    if not is_restricted(case.profile):
        raise HmipError(f"case {ref} is not a limited access case: everyone on the team may open it already")
    with transaction(conn):
        team.require_member(conn, inspector, "be assigned to a case")
        team.ready_to_write(conn, by)
        held = registers.current(conn, ("grant", ref, inspector))
        if held is None or held.value != "granted":
            registers.write(conn, ("grant", ref, inspector), "granted", author=by)
