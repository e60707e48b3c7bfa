"""Files in and out: bundles between laptops, the data workbook and the answers CSV for readers,
backups and restoring them. Who may include the notes of limited-access cases is decided here,
and every export that includes them is recorded in the history."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..errors import HmipError
from ..store import registers, team
from ..store.access import closed_to, restricted_refs
from ..store.database import transaction


def export_bundle(conn: sqlite3.Connection, out: Path, by: str, *, include_restricted_notes: bool = False,
                  passphrase: str | None = None, full: bool | None = None) -> dict:
    from ..exchange.bundle import export_bundle as write

    return write(conn, out, exporter=by, include_restricted_notes=include_restricted_notes,
                 passphrase=passphrase, full=full)


def import_bundles(conn: sqlite3.Connection, paths: list[Path], by: str, passphrase=None) -> list:
    from ..exchange.bundle import import_bundles as merge_all

    return merge_all(conn, paths, passphrase, by)


def _publishable_notes(conn: sqlite3.Connection, by: str, asked: bool, what: str) -> bool:
    """Exports for readers carry limited-access notes only when the lead asks; the history
    records that they did."""
    if not asked:
        return False
    team.require_lead(conn, by, "include the notes of limited-access cases")
    included = sorted(restricted_refs(conn) - closed_to(conn, by))
    if included:
        with transaction(conn):
            team.ready_to_write(conn, by)
            registers.write(conn, ("export", "", what),
                            f"{what} carried the notes of limited-access cases {', '.join(included)}",
                            author=by)
    return True


def export_workbook(conn: sqlite3.Connection, out: Path, by: str, *, include_restricted_notes: bool = False,
                    progress=None) -> dict:
    from ..exchange.workbook import write_workbook

    include = _publishable_notes(conn, by, include_restricted_notes, f"workbook {Path(out).name}")
    return write_workbook(conn, out, progress=progress, include_restricted_notes=include, reader=by)


def export_answers_csv(conn: sqlite3.Connection, out: Path, by: str, *,
                       include_restricted_notes: bool = False) -> int:
    from ..exchange.answers_csv import write_answers_csv

    include = _publishable_notes(conn, by, include_restricted_notes, f"answers CSV {Path(out).name}")
    return write_answers_csv(conn, out, include_restricted_notes=include, reader=by)


def backup_now(conn: sqlite3.Connection, db_path: Path) -> Path:
    from ..store.backups import make_backup

    return make_backup(conn, db_path, "by-hand")


def restore_backup(source: Path, db_path: Path) -> Path | None:
    from ..store.backups import restore
    from ..store.database import APPLICATION_ID
    from ..store.migrations import SCHEMA_VERSION

    if Path(source).resolve() == Path(db_path).resolve():
        raise HmipError(f"{source} is the database itself: name a backup to restore from")
    return restore(source, db_path, APPLICATION_ID, SCHEMA_VERSION)
