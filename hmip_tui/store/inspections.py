"""The inspection a database holds, and its team of inspectors."""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from ..errors import HmipError
from ..framework import Framework, load_framework


def now() -> str:
    """When something was recorded: UTC, to the millisecond, sortable as text."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@dataclass(frozen=True, slots=True)
class Inspection:
    uid: str
    pdu: str
    region: str | None
    fieldwork_start: str | None
    framework_id: str
    framework_version: str
    created_at: str

    def framework(self) -> Framework:
        return load_framework(self.framework_id, self.framework_version)


def get_inspection(conn: sqlite3.Connection) -> Inspection | None:
    row = conn.execute(
        "SELECT uid, pdu, region, fieldwork_start, framework_id, framework_version, created_at "
        "FROM inspection"
    ).fetchone()
    return Inspection(*row) if row else None


def require_inspection(conn: sqlite3.Connection) -> Inspection:
    inspection = get_inspection(conn)
    if inspection is None:
        raise HmipError("this database holds no inspection yet: run `hmip init` or `hmip demo` first")
    return inspection


def create_inspection(conn: sqlite3.Connection, *, pdu: str, framework: Framework,
                      region: str | None = None, fieldwork_start: str | None = None,
                      uid: str | None = None, created_at: str | None = None) -> Inspection:
    """Record the inspection; the caller holds the transaction."""
    existing = get_inspection(conn)
    if existing is not None:
        raise HmipError(
            f"this database already holds the inspection of {existing.pdu}; "
            "use another --db file for another inspection"
        )
    if not pdu.strip():
        raise HmipError("the PDU name is empty")
    inspection = Inspection(uid or str(uuid.uuid4()), pdu.strip(), region, fieldwork_start,
                            framework.id, framework.version, created_at or now())
    conn.execute(
        "INSERT INTO inspection (id, uid, pdu, region, fieldwork_start, framework_id, "
        "framework_version, created_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?)",
        (inspection.uid, inspection.pdu, inspection.region, inspection.fieldwork_start,
         inspection.framework_id, inspection.framework_version, inspection.created_at),
    )
    return inspection


def add_inspector(conn: sqlite3.Connection, code: str, role: str = "inspector") -> None:
    """Add an inspector, or raise their role to lead; never lowers a lead."""
    conn.execute(
        "INSERT INTO inspector (code, role) VALUES (?, ?) ON CONFLICT (code) DO UPDATE SET "
        "role = CASE WHEN excluded.role = 'lead' THEN 'lead' ELSE inspector.role END",
        (code, role),
    )


def inspectors(conn: sqlite3.Connection) -> dict[str, str]:
    return dict(conn.execute("SELECT code, role FROM inspector ORDER BY code"))
