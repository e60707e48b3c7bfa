"""The inspection a database holds, and its team of inspectors."""

from __future__ import annotations

import json
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


def create_inspection(conn: sqlite3.Connection, *, pdu: str, framework: Framework, lead: str,
                      region: str | None = None, fieldwork_start: str | None = None) -> Inspection:
    """Found the inspection this database holds, with `lead` as its lead inspector: its first
    history entries. The caller holds the transaction."""
    from . import registers, team

    existing = get_inspection(conn)
    if existing is not None:
        raise HmipError(
            f"this database already holds the inspection of {existing.pdu}; "
            "use another --db file for another inspection"
        )
    if not pdu.strip():
        raise HmipError("the PDU name is empty")
    team.ready_to_write(conn, lead, check_member=False)
    inspection = Inspection(str(uuid.uuid4()), pdu.strip(), region, fieldwork_start,
                            framework.id, framework.version, now())
    registers.write(conn, ("inspection", "", ""), inspection_value(inspection), author=lead,
                    at=inspection.created_at)
    team.add(conn, lead, "lead", lead)
    return inspection


def inspection_value(inspection: Inspection) -> str:
    """What the inspection's history entry says: everything a laptop needs to hold it."""
    return json.dumps({"uid": inspection.uid, "pdu": inspection.pdu, "region": inspection.region,
                       "fieldwork_start": inspection.fieldwork_start,
                       "framework_id": inspection.framework_id,
                       "framework_version": inspection.framework_version,
                       "created_at": inspection.created_at}, sort_keys=True)
