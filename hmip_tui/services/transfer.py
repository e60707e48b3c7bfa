"""Files in and out: bundles between laptops, the data workbook and the answers CSV for readers,
backups and restoring them. Who may include the notes of limited-access cases is decided here,
and every export that includes them is recorded in the history."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..errors import HmipError
from ..store import registers, team
from ..store.access import closed_to, restricted_refs
from ..exchange.files import check_output_path
from ..store.database import check_database_path, remove_new_database, transaction

__all__ = ["check_database_path", "check_output_path", "remove_new_database"]


def _checked_before_publishing(conn: sqlite3.Connection) -> None:
    """What leaves the laptop is read from a file checked whole (as before a write): a damaged
    page must not become a published figure. An export reads the whole file anyway."""
    from ..store import ready_to_write

    ready_to_write(conn)


def default_export_path(conn: sqlite3.Connection, db: Path, db_named: bool, suffix: str) -> Path:
    """Where an export goes when no --out is given, for the command line and the app alike:
    beside a database the user named (--db or HMIP_DB), where they will look for it; for the
    default database, hidden in the user data folder, exports/ in the working folder instead."""
    from datetime import date

    from ..paths import exports_dir
    from ..store import require_inspection
    from ..words import slug

    folder = Path(db).parent if db_named else exports_dir()
    return (folder / f"{slug(require_inspection(conn).pdu)}-{date.today()}{suffix}").absolute()


def export_bundle(conn: sqlite3.Connection, out: Path, by: str, *, include_restricted_notes: bool = False,
                  passphrase: str | None = None, full: bool | None = None) -> dict:
    from ..exchange.bundle import export_bundle as write

    _checked_before_publishing(conn)
    return write(conn, out, exporter=by, include_restricted_notes=include_restricted_notes,
                 passphrase=passphrase, full=full)


def import_bundles(conn: sqlite3.Connection, paths: list[Path], by: str, passphrase=None) -> list:
    from ..exchange.bundle import import_bundles as merge_all
    from ..exchange.join_file import SQLITE, is_join_file, join

    for p in paths:
        try:
            with open(p, "rb") as fh:
                database = fh.read(len(SQLITE)) == SQLITE
        except OSError:
            continue  # said by the bundle reader, in its words
        if database and not is_join_file(Path(p)):
            raise HmipError(f"{p}: is an SQLite database, not a bundle or a join file (a join file ends with "
                            "its signed manifest: copy it again, whole); nothing was imported")
    joins = [p for p in paths if is_join_file(Path(p))]
    if joins:
        if len(paths) > 1:
            raise HmipError(f"{joins[0]}: a join file founds a new laptop's database on its own: import it "
                            "first, then the bundles; nothing was imported")
        return [join(conn, joins[0], by)]
    return merge_all(conn, paths, passphrase, by)


def export_join_file(conn: sqlite3.Connection, out: Path, by: str) -> dict:
    from ..exchange.join_file import export_join_file as write

    _checked_before_publishing(conn)
    return write(conn, out, by)


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

    _checked_before_publishing(conn)
    include = _publishable_notes(conn, by, include_restricted_notes, f"workbook {Path(out).name}")
    return write_workbook(conn, out, progress=progress, include_restricted_notes=include, reader=by)


def export_answers_csv(conn: sqlite3.Connection, out: Path, by: str, *,
                       include_restricted_notes: bool = False) -> int:
    from ..exchange.answers_csv import write_answers_csv

    _checked_before_publishing(conn)
    include = _publishable_notes(conn, by, include_restricted_notes, f"answers CSV {Path(out).name}")
    return write_answers_csv(conn, out, include_restricted_notes=include, reader=by)


def backup_now(conn: sqlite3.Connection, db_path: Path) -> Path:
    from ..store.backups import make_backup

    return make_backup(conn, db_path, "by-hand")


def _refuse_if_locked(db_path: Path) -> None:
    """Another program holding the database exclusively (sqlite3 in exclusive locking mode, which
    the WAL's shared memory does not show) must let go first. Tested on SQLite's own lock bytes,
    without opening the database, so the file and its -wal are not touched before the restore."""
    import fcntl
    import os

    if not Path(db_path).exists():
        return
    shared_bytes = 0x40000000 + 2  # SQLite's PENDING_BYTE + 2: the start of its shared range
    fd = os.open(db_path, os.O_RDONLY)
    try:
        fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB, 510, shared_bytes)
        fcntl.lockf(fd, fcntl.LOCK_UN, 510, shared_bytes)
    except OSError:
        raise HmipError(f"{db_path}: is held by another program (hmip, or a tool such as sqlite3): "
                        "close it first; nothing was restored") from None
    finally:
        os.close(fd)


def restore_backup(source: Path, db_path: Path, by: str) -> Path | None:
    """Replace the database with a checked backup; the file replaced is kept, and the restored
    database's history records the restore (who, from what, where the replaced file went)."""
    from ..store.backups import restore
    from ..store.database import APPLICATION_ID, connect
    from ..store.migrations import SCHEMA_VERSION

    _refuse_if_locked(db_path)
    kept = restore(source, db_path, APPLICATION_ID, SCHEMA_VERSION)
    conn = connect(db_path, create=False)
    try:
        if conn.execute("SELECT 1 FROM inspection").fetchone():
            with transaction(conn):
                team.ready_to_write(conn, by, check_member=False)
                registers.write(conn, ("restore", "", Path(source).name),
                                f"restored from {Path(source).name}"
                                + (f"; the file replaced was kept as {Path(kept).name}" if kept else ""),
                                author=by)
    finally:
        conn.close()
    return kept
