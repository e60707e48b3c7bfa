"""Consistent copies of the database, made with SQLite's backup API, and restoring them.

Copies go to `backups/` beside the database, as `<stem>-<stamp>-<reason>.sqlite`: before every
migration and every import, once a day of use, and on `hmip backup`.

A copy is trusted only once it is whole: it is written under a hidden scratch name, checked
with `PRAGMA integrity_check` (quick_check misses swapped index pages), and only then renamed
into place. So a killed or disk-full backup never leaves a partial file under a backup's name,
where the "damaged database" message would recommend it. Scratch files of a killed backup are
removed by the next one.

Each kind of backup (daily, by hand, before an import, before a migration, before a restore)
keeps its own newest KEEP copies, so that a burst of one kind cannot push out the others.

`restore` never throws away the file it replaces, damaged or not: it is moved aside, byte for
byte with its -wal and -shm, as `<stem>-<stamp>-replaced-by-restore.sqlite`. Newer answers may
be readable in it. It is outside the rotation (hmip never deletes it) and is never offered as
a backup to restore.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from .. import scratch
from ..errors import HmipError
from ..failures import explain

KEEP = 20  # of each kind

REPLACED = "replaced-by-restore"
_STAMP = r"\d{8}T\d{12}Z"
_PART = ".part"


def backups_dir(db_path: Path) -> Path:
    return Path(db_path).parent / "backups"


def kind_of(reason: str) -> str:
    """The rotation a backup belongs to: both imports share one, every migration another."""
    if reason.startswith("before-migration"):
        return "before-migration"
    if reason.endswith("-import"):
        return "before-import"
    return reason


def _listed(db_path: Path) -> list[tuple[str, str, Path]]:
    """(stamp, reason, path) of every file named as a backup of this database, oldest first."""
    folder = backups_dir(db_path)
    if not folder.is_dir():
        return []
    # The stamp's exact shape keeps apart the backups of team.sqlite and team-2.sqlite.
    name = re.compile(re.escape(Path(db_path).stem) + rf"-({_STAMP})-(.+)\.sqlite")
    found = []
    for path in folder.iterdir():
        match = name.fullmatch(path.name)
        if match:
            found.append((match.group(1), match.group(2), path))
    return sorted(found)


def backups_of(db_path: Path) -> list[Path]:
    """This database's backups, oldest first: each one whole and checked when it was made.
    (The files set aside by `restore` are not among them: they may be the damage.)"""
    return [path for _, reason, path in _listed(db_path) if reason != REPLACED]


def make_backup(conn: sqlite3.Connection, db_path: Path, reason: str) -> Path:
    """Copy the database as it stands into backups/, readable by its owner only.

    Raises HmipError, with nothing left behind, if the copy cannot be written or is not sound.
    """
    folder = _private_folder(db_path)
    target = folder / f"{Path(db_path).stem}-{_stamp()}-{reason}.sqlite"
    part = folder / f".{target.name}{_PART}"  # hidden, and no backup's name
    outcome = "no backup was made, and the database was not changed"
    try:
        os.close(os.open(part, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        with scratch.held(part):
            try:
                verdict = _copy(conn, part)
                if verdict != "ok":
                    raise HmipError(
                        f"{db_path}: fails SQLite's integrity check ({verdict}); {outcome}. "
                        + restore_hint(db_path))
                _sync(part)
                os.replace(part, target)
                _sync(folder)
            finally:
                for leftover in (part, Path(f"{part}-journal")):
                    leftover.unlink(missing_ok=True)
    except (OSError, sqlite3.Error) as exc:
        sentence = explain(exc, target, outcome, "write the backup")
        if sentence is None:
            raise
        raise HmipError(f"could not back up {db_path} into {folder}: "
                        + sentence.removeprefix(f"{target}: ")) from None
    _rotate(db_path)
    return target


def _copy(conn: sqlite3.Connection, part: Path) -> str:
    """Copy the database into `part` and return the copy's integrity_check verdict."""
    copy = sqlite3.connect(part, isolation_level=None)
    try:
        conn.backup(copy)
        # The copy carries the source's WAL flag; in rollback mode, opening it later (to check
        # or restore it) leaves no -wal or -shm beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
        rows = copy.execute("PRAGMA integrity_check").fetchall()
    finally:
        copy.close()
    return "; ".join(r[0] for r in rows[:3])


def restore_hint(db_path: Path) -> str:
    """How to get back to the newest sound copy: said whenever the database is found damaged."""
    kept = backups_of(db_path)
    if kept:
        return f"Restore the newest backup with: hmip --db {db_path} restore {kept[-1]}"
    return "There is no backup beside it: restore from a bundle with hmip bundle import"


def _private_folder(db_path: Path) -> Path:
    folder = backups_dir(db_path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
    except OSError as exc:
        raise HmipError(f"could not back up {db_path}: "
                        + explain(exc, folder, "no backup was made, and the database was not changed",
                                  "make the backups folder")) from None
    _sweep_with_companions(folder, lambda name: name.startswith(".") and name.endswith(_PART))
    return folder


def _sweep_with_companions(folder: Path, is_scratch) -> None:
    """Remove abandoned scratch copies, each with the journal files SQLite kept beside it.

    Only the copy itself carries the lock: a journal is removed with its abandoned copy, or when
    its copy is gone, never while a live backup may still need it.
    """
    for copy in scratch.sweep(folder, is_scratch):
        for suffix in ("-journal", "-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
    for suffix in ("-journal", "-wal", "-shm"):
        for orphan in folder.glob(f".*{suffix}"):
            if is_scratch(orphan.name[: -len(suffix)]) and not Path(str(orphan)[: -len(suffix)]).exists():
                orphan.unlink(missing_ok=True)


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def _rotate(db_path: Path) -> None:
    """Keep the newest KEEP backups of each kind; never touch a file set aside by restore."""
    by_kind: dict[str, list[Path]] = {}
    for _, reason, path in _listed(db_path):
        if reason != REPLACED:
            by_kind.setdefault(kind_of(reason), []).append(path)
    for paths in by_kind.values():
        for old in paths[:-KEEP]:
            try:
                old.unlink()
            except FileNotFoundError:
                pass


def backed_up_today(db_path: Path) -> bool:
    today = datetime.now(timezone.utc).strftime("%Y%m%d")
    return any(stamp.startswith(today) for stamp, reason, _ in _listed(db_path) if reason != REPLACED)


def check_file(path: Path, application_id: int, schema_version: int, *, shown_as: Path | None = None) -> None:
    """Refuse a file that is not a sound hmip database this version can read.

    `shown_as` names the file in messages when `path` is a scratch copy of it.
    """
    shown = shown_as or path
    try:
        conn = sqlite3.connect(f"file:{_uri_path(path)}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise HmipError(f"{shown}: cannot be opened ({exc}); nothing was restored") from None
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise HmipError(f"{shown}: not a readable SQLite database ({exc}); nothing was restored") from None
    finally:
        conn.close()
    result = "; ".join(r[0] for r in rows[:3])
    if result != "ok":
        raise HmipError(f"{shown}: fails SQLite's integrity check ({result}); nothing was restored")
    if app_id != application_id:
        raise HmipError(f"{shown}: not an hmip inspection database; nothing was restored")
    if version > schema_version:
        raise HmipError(f"{shown}: written by a newer version of hmip; nothing was restored")


def restore(source: Path, db_path: Path, application_id: int, schema_version: int) -> Path | None:
    """Replace the database at `db_path` with a checked copy of `source`.

    Returns where the replaced file was set aside (None if there was none). Nothing is replaced
    unless the copy passes the integrity check, and nothing is deleted: the replaced file, its
    -wal and -shm are moved into backups/ as they were.
    """
    source, db_path = Path(source), Path(db_path)
    if not source.is_file():
        raise HmipError(f"{source}: no such file; nothing was restored")
    if db_path.exists() and os.path.samefile(source, db_path):
        raise HmipError(f"{source}: is the database itself; name a backup to restore")
    outcome = "nothing was restored, and the database was not changed"
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with _nobody_else_using(db_path):
            fresh = _checked_copy(source, db_path, application_id, schema_version)
            try:
                kept = _set_aside(db_path) if db_path.exists() else None
                os.replace(fresh, db_path)
                _sync(db_path.parent)
            finally:
                fresh.unlink(missing_ok=True)
    except OSError as exc:
        raise HmipError(explain(exc, db_path, outcome, "restore it")) from None
    return kept


def _checked_copy(source: Path, db_path: Path, application_id: int, schema_version: int) -> Path:
    """A copy of `source` beside the database, checked whole; the source is only read.

    The bytes are copied (with the -wal, if any) rather than opened where they are, so that
    SQLite never writes a -wal or -shm beside a backup.
    """
    folder = db_path.parent
    _sweep_with_companions(folder, lambda name: name.startswith(f".{db_path.name}.")
                           and name.endswith(".restoring"))
    fresh = folder / f".{db_path.name}.{_stamp()}.restoring"
    try:
        os.close(os.open(fresh, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        with scratch.held(fresh):
            shutil.copyfile(source, fresh)
            wal = Path(f"{source}-wal")
            if wal.is_file() and wal.stat().st_size:
                shutil.copyfile(wal, f"{fresh}-wal")
            try:
                copy = sqlite3.connect(fresh, isolation_level=None)
                try:
                    copy.execute("PRAGMA journal_mode=DELETE")  # takes in the copied -wal
                finally:
                    copy.close()
            except sqlite3.DatabaseError:
                pass  # not a database at all: the check below says so, naming the source
            check_file(fresh, application_id, schema_version, shown_as=source)
            _sync(fresh)
    except BaseException:
        for leftover in (fresh, Path(f"{fresh}-wal"), Path(f"{fresh}-shm"), Path(f"{fresh}-journal")):
            leftover.unlink(missing_ok=True)
        raise
    return fresh


def _set_aside(db_path: Path) -> Path:
    """Move the database, with its -wal and -shm, into backups/ byte for byte."""
    folder = _private_folder(db_path)
    kept = folder / f"{db_path.stem}-{_stamp()}-{REPLACED}.sqlite"
    try:
        os.link(db_path, kept)  # the same bytes under a second name, in no time
    except OSError:
        shutil.copy2(db_path, kept)  # a backups folder on another file system
    os.chmod(kept, 0o600)
    # The old -wal must be gone before the new file takes the name: SQLite would otherwise
    # replay the old file's log into the restored one.
    for suffix in ("-wal", "-shm"):
        companion = Path(f"{db_path}{suffix}")
        if companion.exists():
            os.replace(companion, f"{kept}{suffix}")
    return kept


class _nobody_else_using:
    """Hold the database for the swap: refuse if another process has it open.

    Every SQLite connection to a WAL database holds a shared lock on the "DMS" byte (offset
    128) of its -shm file for as long as it is open. If we can lock that byte exclusively, no
    other process has the database open, and none can open it until we let go: so the app
    cannot go on writing into the file we are moving aside.
    """

    DMS_BYTE = 128

    def __init__(self, db_path: Path):
        self.shm = Path(f"{db_path}-shm")
        self.db_path = db_path
        self.fd = None

    def __enter__(self):
        try:
            import fcntl
        except ImportError:  # pragma: no cover - no POSIX locks: cannot tell, so do not guess
            return self
        try:
            self.fd = os.open(self.shm, os.O_RDWR)
        except FileNotFoundError:
            return self  # no -shm: no connection has the database open in WAL mode
        try:
            fcntl.lockf(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, self.DMS_BYTE)
        except OSError:
            os.close(self.fd)
            raise HmipError(f"{self.db_path}: is open in another program (the hmip app, or "
                            "another hmip command); close it, then restore") from None
        return self

    def __exit__(self, *exc):
        if self.fd is not None:
            os.close(self.fd)


def _sync(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _uri_path(path: Path) -> str:
    from urllib.parse import quote

    return quote(str(Path(path).absolute()))
