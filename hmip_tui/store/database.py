"""Opening the inspection database: durability settings, version checks, transactions.

One database file holds one inspection. This is the only module that opens SQLite.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from ..errors import HmipError
from .backups import backed_up_today, make_backup
from .migrations import MIGRATIONS, SCHEMA_VERSION

# 'HMIP' in ASCII: marks a SQLite file as ours, so we never migrate someone else's database.
APPLICATION_ID = 0x484D4950

# Seconds a writer waits for another process's lock before saying so (HMIP_BUSY_TIMEOUT).
BUSY_TIMEOUT_S = float(os.environ.get("HMIP_BUSY_TIMEOUT", "10"))


def _refuse_foreign_or_newer(conn: sqlite3.Connection, path: Path) -> int:
    """Read-only checks made before anything writes to the file (even WAL mode writes)."""
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        has_tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        if _looks_like_sqlite(path):  # ours or not, a damaged file is never written to
            raise HmipError(f"{path}: the database is damaged ({exc}); it was not written to. "
                            + _restore_hint(path)) from None
        raise HmipError(f"{path}: not a readable SQLite database ({exc})") from None
    if app_id != APPLICATION_ID and (has_tables or app_id):
        raise HmipError(f"{path}: this SQLite file is not an hmip inspection database; it was left untouched")
    if version > SCHEMA_VERSION:
        raise HmipError(
            f"{path}: written by a newer version of hmip (database schema {version}; this version "
            f"knows up to {SCHEMA_VERSION}); upgrade hmip to open it. The file was left untouched"
        )
    if has_tables:
        try:
            verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            verdict = str(exc)
        if verdict != "ok":
            raise HmipError(f"{path}: the database is damaged ({verdict}); it was not written to. "
                            + _restore_hint(path))
    return version


def _looks_like_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _restore_hint(path: Path) -> str:
    from .backups import backups_of

    kept = backups_of(path)
    if kept:
        return f"Restore the newest backup with: hmip --db {path} restore {kept[-1]}"
    return "There is no backup beside it: restore from a bundle with hmip bundle import"


class Connection(sqlite3.Connection):
    """A connection that remembers which inspector codes it has checked as writers, and the
    row ids of the cases it has looked up."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ready_writers: set[str] = set()
        # What never changes once it exists, remembered for the save path (store/registers.py).
        self.case_ids: dict[str, int] = {}
        self.framework_ids: tuple[str, str] | None = None


def connect(path: Path | str, *, create: bool = True) -> sqlite3.Connection:
    """Open (and if need be create and migrate) the database at `path`.

    Autocommit mode: every write goes through `transaction()`, which commits or rolls back whole.
    """
    path = Path(path)
    if not path.exists():
        if not create:
            raise HmipError(f"{path}: no such database")
        if not path.parent.exists():
            path.parent.mkdir(parents=True, mode=0o700)  # a folder of our own: the owner's alone
        # Case data are about real people: readable by the owner only, from the first byte.
        fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
        os.close(fd)
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_S,
                           check_same_thread=False, factory=Connection)
    try:
        version = _refuse_foreign_or_newer(conn, path)
        # WAL with synchronous=FULL: a commit is on disk when it returns, even across a power cut.
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        # 32 MiB of page cache (not 2): a merge adds entries under random ids, whose index pages
        # would otherwise be read back from the OS again and again within one transaction.
        conn.execute("PRAGMA cache_size=-32768")
        if version < SCHEMA_VERSION:
            if version > 0:
                make_backup(conn, path, f"before-migration-{version}-to-{SCHEMA_VERSION}")
            _migrate(conn, version)
        conn.execute("PRAGMA foreign_keys=ON")
        if version == SCHEMA_VERSION:
            if not backed_up_today(path) and conn.execute("SELECT 1 FROM inspection").fetchone():
                make_backup(conn, path, "daily")
    except BaseException:
        conn.close()
        raise
    return conn


def _migrate(conn: sqlite3.Connection, version: int) -> None:
    # Foreign keys stay off while tables are rebuilt (a dropped table would cascade), and are
    # checked whole before the migration commits.
    with transaction(conn):
        for step in MIGRATIONS[version:]:
            step(conn)
        problem = conn.execute("PRAGMA foreign_key_check").fetchone()
        if problem:
            raise HmipError(f"the database could not be upgraded: table {problem[0]} refers to a "
                            f"missing {problem[2]} row; it was left as it was")
        conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")


@contextmanager
def transaction(conn: sqlite3.Connection):
    """One all-or-nothing write: the database is exactly as before if anything inside fails.

    BEGIN IMMEDIATE takes the write lock up front, so two writers queue rather than deadlock.
    """
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise HmipError(
                f"the database is busy: another hmip process has held its write lock for over "
                f"{BUSY_TIMEOUT_S:.0f} s; finish or close it and try again"
            ) from None
        raise
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def database_path(conn: sqlite3.Connection) -> Path:
    """The file behind a connection."""
    return Path(conn.execute("PRAGMA database_list").fetchone()[2])


def backup_before(conn: sqlite3.Connection, reason: str) -> Path | None:
    """A backup before a change that could take much with it; none for an empty database."""
    if conn.execute("SELECT 1 FROM inspection").fetchone() is None:
        return None
    return make_backup(conn, database_path(conn), reason)


def backup_committed(conn: sqlite3.Connection, reason: str) -> Path | None:
    """A backup of the database as last committed, read through a connection of its own.

    Called inside a write transaction, just before it commits, it copies the state from before
    that transaction: so a change that is refused never makes a backup, and one that is
    accepted always has one. None for a database that held no inspection yet.
    """
    path = database_path(conn)
    reader = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if reader.execute("SELECT 1 FROM inspection").fetchone() is None:
            return None
        return make_backup(reader, path, reason)
    finally:
        reader.close()
