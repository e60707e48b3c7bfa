"""Opening the inspection database: durability settings, version checks, transactions.

One database file holds one inspection. This is the only module that opens SQLite.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from ..checks import check_text
from ..errors import HmipError
from ..failures import busy, explain
from .backups import backed_up_today, make_backup, restore_hint
from .migrations import MIGRATIONS, SCHEMA_VERSION, ensure_protections, protections_missing

# 'HMIP' in ASCII: marks a SQLite file as ours, so we never migrate someone else's database.
APPLICATION_ID = 0x484D4950



def _busy_timeout() -> float:
    """Seconds a writer waits for another process's lock before saying so (HMIP_BUSY_TIMEOUT);
    a setting that is not a number from 0 to an hour is ignored rather than obeyed (nan, -1)."""
    try:
        seconds = float(os.environ.get("HMIP_BUSY_TIMEOUT", "10"))
    except ValueError:
        return 10.0
    return seconds if 0 <= seconds <= 3600 else 10.0


BUSY_TIMEOUT_S = _busy_timeout()


def _refuse_foreign_or_newer(conn: sqlite3.Connection, path: Path) -> int:
    """Read-only checks made before anything writes to the file (even WAL mode writes). They
    read the first page only: what grows with the file waits for the first write
    (`ready_to_write`), so opening a large inspection to read it never waits on it."""
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        has_tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        # A lock, a read-only folder or a full disk is not damage: say what it is.
        sentence = explain(exc, path, "it was not written to")
        if sentence:
            raise HmipError(sentence) from None
        if _looks_like_sqlite(path):  # ours or not, a damaged file is never written to
            raise HmipError(f"{path}: the database is damaged ({exc}); it was not written to. "
                            + restore_hint(path)) from None
        raise HmipError(f"{path}: not a readable SQLite database ({exc})") from None
    if app_id != APPLICATION_ID and (has_tables or app_id):
        raise HmipError(f"{path}: this SQLite file is not an hmip inspection database; it was left untouched")
    if version > SCHEMA_VERSION:
        raise HmipError(
            f"{path}: written by a newer version of hmip (database schema {version}; this version "
            f"knows up to {SCHEMA_VERSION}); upgrade hmip to open it. The file was left untouched"
        )
    return version


def ready_to_write(conn: sqlite3.Connection, *, aside: bool = False, daily: bool = True) -> None:
    """What is made sure of once a connection, before it first writes: the file passes
    `PRAGMA quick_check` (a damaged file is never written to), and the day's backup exists.

    Both read the whole file, so they are not made on open: a command that only reads never
    waits for them, and the app runs them in the background after its first screen (`aside`:
    through a connection of their own, so the screen's reads do not queue behind them). A reader
    meeting damage is told so by SQLite itself (failures.py says it as "damaged"). Safe from two
    threads: a first write made meanwhile waits for the background's verdict. `daily=False`:
    the caller makes a backup of its own first (a migration), which stands for the day's.
    """
    if not isinstance(conn, Connection):
        return
    with conn.write_checks:
        if conn.sound:
            return
        path = database_path(conn)
        reader = (sqlite3.connect(f"file:{quote(str(path.absolute()))}?mode=ro", uri=True,
                                  isolation_level=None, timeout=BUSY_TIMEOUT_S) if aside else conn)
        try:
            _check_whole(reader, path, daily)
        finally:
            if aside:
                reader.close()
        conn.sound = True


def _check_whole(conn: sqlite3.Connection, path: Path, daily: bool) -> None:
    try:
        verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        sentence = explain(exc, path, "it was not written to")
        if sentence:
            raise HmipError(sentence) from None
        verdict = str(exc)
    if verdict != "ok":
        detail = verdict if len(verdict) <= 100 else verdict[:100].rsplit(" ", 1)[0] + " …"
        raise HmipError(f"{path}: the database is damaged ({detail}); it was not written to. "
                        + restore_hint(path))
    if daily and not backed_up_today(path) and conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'inspection'").fetchone() \
            and conn.execute("SELECT 1 FROM inspection").fetchone():
        make_backup(conn, path, "daily")


def _looks_like_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def check_database_path(path: Path | str, option: str = "--db") -> Path:
    """Refuse what cannot be an inspection database file: no name, a folder, a device."""
    if str(path).strip() == "":
        raise HmipError(f"{option} is empty: name the inspection database file")
    if str(path).endswith(("-wal", "-shm", "-journal")):
        raise HmipError(f"{option} {path}: is the name of a database's journal file, which SQLite "
                        "removes or rewrites; name the database file itself")
    check_text(str(path), option)  # HMIP_DB's bytes reach us undecoded, as --db's would
    path = Path(path)
    try:
        if path.is_symlink() and not path.exists():
            raise HmipError(f"{path}: is a link to a file that is not there; name the database file itself")
        if path.exists():
            mode = path.stat().st_mode
            if stat.S_ISDIR(mode):
                raise HmipError(f"{path}: is a folder; name the database file in it")
            if not stat.S_ISREG(mode):
                raise HmipError(f"{path}: is not a regular file (a device, a pipe or a socket), "
                                "so it cannot hold an inspection; name a database file")
    except OSError as exc:
        raise HmipError(explain(exc, path, "nothing was changed", "look at it")) from None
    return path


class Connection(sqlite3.Connection):
    """A connection that remembers which inspector codes it has checked as writers, and the
    row ids of the cases it has looked up."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ready_writers: set[str] = set()
        # What never changes once it exists, remembered for the save path (store/registers.py).
        self.case_ids: dict[str, int] = {}
        self.framework_ids: tuple[str, str] | None = None
        # What the tallies are kept by (store/tally.py), read once; False: not read yet.
        self.tally_spec = False
        self.tally_framework = None
        self.applicable_facets: set[str] = set()
        # Whether ready_to_write has passed; the lock lets the app's background check and a
        # first write share one verdict.
        self.sound = False
        self.write_checks = threading.Lock()


def connect(path: Path | str, *, create: bool = True) -> sqlite3.Connection:
    """Open (and if need be create and migrate) the database at `path`.

    With `create=False` a missing file is refused, and nothing is made: commands that only read
    or change an inspection must not leave an empty database behind a mistyped --db.
    Autocommit mode: every write goes through `transaction()`, which commits or rolls back whole.
    """
    path = check_database_path(path)
    if not create and path.exists() and path.stat().st_size == 0:
        raise HmipError(f"{path}: is an empty file, not an inspection database; nothing was changed "
                        "(hmip init or hmip demo makes one)")
    if not path.exists():
        if not create:
            raise HmipError(f"{path}: no such database file; nothing was created (hmip init or "
                            "hmip demo makes a new one)")
        _create_file(path)
    try:
        # mode=rw: SQLite itself never creates a file; only _create_file does, 0600.
        conn = sqlite3.connect(f"file:{quote(str(path.absolute()))}?mode=rw", uri=True,
                               isolation_level=None, timeout=BUSY_TIMEOUT_S, check_same_thread=False,
                               factory=Connection)
    except sqlite3.Error as exc:
        raise HmipError(explain(exc, path, "nothing was changed")
                        or f"{path}: cannot be opened ({exc}); nothing was changed") from None
    try:
        version = _refuse_foreign_or_newer(conn, path)
        # WAL with synchronous=FULL: a commit is on disk when it returns, even across a power cut.
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        # 32 MiB of page cache (not 2): a merge adds entries under random ids, whose index pages
        # would otherwise be read back from the OS again and again within one transaction.
        conn.execute("PRAGMA cache_size=-32768")
        if version < SCHEMA_VERSION:
            ready_to_write(conn, daily=False)
            if version > 0:
                make_backup(conn, path, f"before-migration-{version}-to-{SCHEMA_VERSION}")
            _migrate(conn, version)
        conn.execute("PRAGMA foreign_keys=ON")
        if protections_missing(conn) or _team_altered(conn):
            from .registers import restore_team

            with transaction(conn):  # checks the file first, as every write does
                ensure_protections(conn)
                restore_team(conn)
        from . import tally

        if tally.stale(conn):  # kept by fields the framework no longer splits or rates by
            with transaction(conn):
                tally.ensure(conn)
    except sqlite3.Error as exc:
        conn.close()
        sentence = explain(exc, path, "nothing was changed")
        if sentence is None:
            raise
        raise HmipError(sentence) from None
    except BaseException:
        conn.close()
        raise
    return conn


def _create_file(path: Path) -> None:
    try:
        if not path.parent.exists():
            path.parent.mkdir(parents=True, mode=0o700)  # a folder of our own: the owner's alone
        # Case data are about real people: readable by the owner only, from the first byte.
        fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
        os.close(fd)
    except OSError as exc:
        raise HmipError(explain(exc, path, "nothing was created", "create the database")) from None


def remove_new_database(path: Path, first_new_folder: Path | None = None) -> None:
    """Undo the creation of a database that a refused command made and left empty.

    Only a file holding no inspection is removed: the caller made it moments ago, and a refusal
    (a wrong passphrase, a bad bundle) must leave nothing behind. Folders made for it go too.
    """
    path = Path(path)
    try:
        probe = sqlite3.connect(f"file:{quote(str(path.absolute()))}?mode=ro", uri=True)
        try:
            if probe.execute("SELECT 1 FROM sqlite_master WHERE name = 'inspection'").fetchone() \
                    and probe.execute("SELECT 1 FROM inspection").fetchone():
                return
        finally:
            probe.close()
    except sqlite3.Error:
        return  # cannot tell what it holds: leave it
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        leftover.unlink(missing_ok=True)
    if first_new_folder is not None:
        folder = path.parent
        while True:
            try:
                folder.rmdir()  # only if empty
            except OSError:
                break
            if folder == first_new_folder:
                break
            folder = folder.parent


def _team_altered(conn: sqlite3.Connection) -> bool:
    from .registers import team_as_history_says

    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'head'").fetchone() is None:
        return False
    return dict(conn.execute("SELECT code, role FROM inspector")) != team_as_history_says(conn)


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
    The connection's first write checks the file first (`ready_to_write`).
    """
    ready_to_write(conn)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in (5, 6):  # SQLITE_BUSY, SQLITE_LOCKED
            raise HmipError(busy(database_path(conn), "nothing was changed")) from None
        raise
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        # A failed COMMIT (a full disk) may have rolled back already; never let a second
        # error from ROLLBACK hide the first.
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
        raise


@contextmanager
def written_once(conn: sqlite3.Connection):
    """Around the one transaction that fills a database holding nothing yet (a laptop joining):
    the file is written once, not twice. In WAL mode every page goes to the WAL and again into
    the file at the checkpoint; a rollback journal of an empty file holds next to nothing, and
    its commit is as durable (synchronous=FULL) and as all-or-nothing (a process killed midway
    leaves the journal, and the next open rolls the file back to empty). A page cache the size
    of what is written keeps SQLite from spilling it early. WAL and the usual cache come back
    after; if another connection has the file open, WAL stays throughout."""
    cache = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute("PRAGMA busy_timeout=0")  # never wait for a reader: stay in WAL instead
    try:
        switched = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0] == "delete"
    except sqlite3.OperationalError:
        switched = False
    finally:
        conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    if switched:
        conn.execute("PRAGMA cache_size=-262144")
    try:
        yield conn
    finally:
        if switched:
            conn.execute(f"PRAGMA cache_size={int(cache)}")
            try:
                conn.execute("PRAGMA journal_mode=WAL")
            except sqlite3.OperationalError:
                pass  # a reader came meanwhile: the next open puts WAL back


@contextmanager
def streaming(conn: sqlite3.Connection):
    """For a pass that reads the whole file once (an export): SQLite's default 2 MiB page cache
    instead of the 32 MiB a merge needs, so memory stays flat whatever the file's size."""
    held = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute("PRAGMA cache_size=-2000")
    try:
        yield conn
    finally:
        conn.execute(f"PRAGMA cache_size={int(held)}")


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
    reader = sqlite3.connect(f"file:{quote(str(path.absolute()))}?mode=ro", uri=True)
    try:
        if reader.execute("SELECT 1 FROM inspection").fetchone() is None:
            return None
        return make_backup(reader, path, reason)
    finally:
        reader.close()
