"""The team: who is on it, in what role, who may open a limited-access case, and their keys."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .. import identity
from ..errors import HmipError
from ..store import access, team
from ..store.database import transaction


def team_members(conn: sqlite3.Connection) -> list[dict]:
    """Each member: code, role, and the fingerprint of the key this inspection knows for them."""
    pins = team.pins(conn)
    return [{"code": code, "role": role,
             "key": identity.fingerprint(pins[code]) if code in pins else None}
            for code, role in team.members(conn).items()]


def recorder_here(conn: sqlite3.Connection, default: str) -> str:
    """Who records when nobody said (no --as, no HMIP_INSPECTOR): the login name's code if it is
    on the team; else the one member whose signing key this laptop holds and the inspection
    knows as theirs (the lead who set the inspection up in the app, say); else the login name's."""
    members = team.members(conn)
    if not members or default in members:
        return default
    pins = team.pins(conn)
    mine = [code for code in members
            if code in pins and identity.has_key(code) and identity.public_key(code) == pins[code]]
    return mine[0] if len(mine) == 1 else default


def is_lead(conn: sqlite3.Connection, code: str | None) -> bool:
    return team.is_lead(conn, code)


def add_to_team(conn: sqlite3.Connection, code: str, role: str, by: str) -> bool:
    """Add an inspector or change a role (the lead only); False if nothing changed."""
    with transaction(conn):
        return team.add(conn, code, role, by)


def grant_access(conn: sqlite3.Connection, ref: str, code: str, by: str) -> None:
    """Assign another inspector to a limited-access case (the lead only)."""
    access.grant(conn, ref, code, by)


def rekey(conn: sqlite3.Connection, code: str, by: str, from_bundle: Path | None = None,
          passphrase=None) -> str | None:
    """The lead re-pins `code`: to the key that signed `from_bundle`, or (none given) to the next
    key seen signing for it. Returns the new key's fingerprint, if known."""
    key = None
    if from_bundle is not None:
        from ..exchange.bundle import read_bundle

        received = read_bundle(from_bundle, passphrase)
        if received.exporter != code or received.exporter_key is None:
            raise HmipError(f"{from_bundle}: was not exported by {code}, so does not show {code}'s key")
        key = received.exporter_key
    with transaction(conn):
        team.rekey(conn, code, key, by)
    return identity.fingerprint(key) if key else None
