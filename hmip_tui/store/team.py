"""The team: inspector codes, their roles, and the signing key this inspection knows for each.

Roles come from `team` history entries, which only a lead may write; so the team changes only in
the lead's database, and travels from there. A laptop joins by importing the lead's bundle into
an empty database, and takes the team from it. Keys are pinned on first sight: the first key
seen signing for a code is the one this database expects from then on, until the lead re-pins it.
"""

from __future__ import annotations

import json
import sqlite3

from .. import identity
from ..errors import HmipError
from . import registers
from .inspections import now

ROLES = ("lead", "inspector")


def members(conn: sqlite3.Connection) -> dict[str, str]:
    """Code -> role, by code."""
    return dict(conn.execute("SELECT code, role FROM inspector ORDER BY code"))


def has_lead(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM inspector WHERE role = 'lead'").fetchone() is not None


def is_lead(conn: sqlite3.Connection, code: str | None) -> bool:
    row = conn.execute("SELECT role FROM inspector WHERE code = ?", (code,)).fetchone()
    return bool(row) and row[0] == "lead"


def require_lead(conn: sqlite3.Connection, code: str | None, what: str) -> None:
    if not is_lead(conn, code):
        raise HmipError(f"only the lead inspector can {what} ({code or 'nobody'} is not the lead here)")


def require_member(conn: sqlite3.Connection, code: str, what: str = "record") -> None:
    """Once a team has a lead, only its members record; before that (a copy made from an
    unsigned bundle) there is no team to check against."""
    if has_lead(conn) and conn.execute("SELECT 1 FROM inspector WHERE code = ?", (code,)).fetchone() is None:
        raise HmipError(f"{code} is not on the team of this inspection, so cannot {what}: "
                        f"the lead adds them with hmip team add {code}")


def add(conn: sqlite3.Connection, code: str, role: str, by: str) -> bool:
    """Add an inspector or change a role (the lead only; or anyone, to found the team of a
    database that has no lead yet). Inside the caller's transaction; False if nothing changed."""
    identity.check_code(code)
    if role not in ROLES:
        raise HmipError(f"role {role!r} is not one of: {', '.join(ROLES)}")
    if has_lead(conn):
        require_lead(conn, by, "change the team")
    elif role != "lead" or code != by:
        raise HmipError("this inspection has no lead here yet: its team comes with the lead's bundle, "
                        f"or found it yourself with hmip team add {by} --role lead")
    held = registers.current(conn, ("team", "", code))
    if held is not None and held.value == role:
        return False
    if role != "lead" and is_lead(conn, code) and \
            conn.execute("SELECT count(*) FROM inspector WHERE role = 'lead'").fetchone()[0] == 1:
        raise HmipError(f"{code} is the only lead: make another lead first (hmip team add CODE --role lead)")
    ready_to_write(conn, by, check_member=False)
    registers.write(conn, ("team", "", code), role, author=by)
    return True


# --- keys ------------------------------------------------------------------------------------


def pinned(conn: sqlite3.Connection, code: str) -> bytes | None:
    row = conn.execute("SELECT key FROM signer WHERE code = ?", (code,)).fetchone()
    return row[0] if row else None


def pins(conn: sqlite3.Connection) -> dict[str, bytes]:
    return dict(conn.execute("SELECT code, key FROM signer"))


def pin(conn: sqlite3.Connection, code: str, key: bytes, source: str) -> None:
    conn.execute("INSERT INTO signer (code, key, pinned_at, source) VALUES (?, ?, ?, ?)",
                 (code, key, now(), source))


def require_own_laptop(conn: sqlite3.Connection, code: str | None, pins: dict[str, bytes] | None = None) -> None:
    """Importing as `code` on a laptop that does not hold the key this inspection knows for it
    (as it stands, or as `pins` will leave it) would let anyone keep what only `code` may (a
    limited-access case's notes)."""
    if not code:
        return
    known = pins.get(code) if pins is not None else pinned(conn, code)
    if known is not None and (not identity.has_key(code) or identity.public_key(code) != known):
        raise HmipError(f"this laptop has no key for {code} that this inspection knows ({identity.fingerprint(known)}): "
                        f"import as {code} on {code}'s own laptop, or (a new laptop) the lead re-pins {code} "
                        f"first (hmip team rekey {code}); nothing was imported")


def ready_to_write(conn: sqlite3.Connection, code: str, *, check_member: bool = True) -> None:
    """Before `code` records anything here: a valid code, on the team, and this laptop's key for
    it the one this inspection knows (pinned now if it knows none). Checked once a connection."""
    ready = getattr(conn, "ready_writers", None)
    if ready is not None and code in ready:
        return
    identity.check_code(code)
    if check_member:
        require_member(conn, code)
    known = pinned(conn, code)
    if known is None:
        pin(conn, code, identity.public_key(code), "this laptop")
    elif not identity.has_key(code) or identity.public_key(code) != known:
        raise HmipError(
            f"this laptop has no key for {code} that this inspection knows (it knows "
            f"{identity.fingerprint(known)}): record as {code} on {code}'s own laptop, or the lead "
            f"re-pins {code} (hmip team rekey {code})")
    if ready is not None and check_member:
        ready.add(code)


def rekey(conn: sqlite3.Connection, code: str, key: bytes | None, by: str) -> None:
    """Re-pin a code for a new or lost laptop (the lead only), recorded in the history. With no
    key, the next key seen signing for the code is pinned. Batches the old key signed that this
    database holds stay valid wherever the entry travels; any others it signed are refused."""
    identity.check_code(code)
    require_lead(conn, by, "re-pin an inspector's key")
    old = pinned(conn, code)
    keep = [d.hex() for (d,) in conn.execute("SELECT digest FROM batch WHERE key = ?", (old,))] if old else []
    ready_to_write(conn, by)
    registers.write(conn, ("rekey", "", code), json.dumps({"key": key.hex() if key else "", "keep": keep}),
                    author=by)
    if getattr(conn, "ready_writers", None) is not None:
        conn.ready_writers.discard(code)
