"""Consistent copies of the database, made with SQLite's backup API, and restoring them.

Copies go to `backups/` beside the database: before every migration and every import, once a
day of use, and on `hmip backup`. The newest KEEP copies of each database are kept.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from ..errors import HmipError

KEEP = 20


def backups_dir(db_path: Path) -> Path:
    return Path(db_path).parent / "backups"


def backups_of(db_path: Path) -> list[Path]:
    """This database's backups, oldest first."""
    folder = backups_dir(db_path)
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{Path(db_path).stem}-*.sqlite"))


def make_backup(conn: sqlite3.Connection, db_path: Path, reason: str) -> Path:
    """Copy the database as it stands into backups/, readable by its owner only."""
    folder = backups_dir(db_path)
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"{Path(db_path).stem}-{stamp}-{reason}.sqlite"
    fd = os.open(target, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
    os.close(fd)
    copy = sqlite3.connect(target)
    try:
        conn.backup(copy)
    finally:
        copy.close()
    for old in backups_of(db_path)[:-KEEP]:
        old.unlink(missing_ok=True)
    return target


def backed_up_today(db_path: Path) -> bool:
    today = datetime.now(timezone.utc).strftime("%Y%m%d")
    return any(p.name.startswith(f"{Path(db_path).stem}-{today}") for p in backups_of(db_path))


def check_file(path: Path, application_id: int, schema_version: int) -> None:
    """Refuse a file that is not a sound hmip database this version can read."""
    if not Path(path).is_file():
        raise HmipError(f"{path}: no such file")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise HmipError(f"{path}: not a readable SQLite database ({exc}); nothing was restored") from None
    finally:
        conn.close()
    if result != "ok":
        raise HmipError(f"{path}: fails SQLite's integrity check ({result}); nothing was restored")
    if app_id != application_id:
        raise HmipError(f"{path}: not an hmip inspection database; nothing was restored")
    if version > schema_version:
        raise HmipError(f"{path}: written by a newer version of hmip; nothing was restored")


def restore(source: Path, db_path: Path, application_id: int, schema_version: int) -> Path | None:
    """Replace the database at `db_path` with `source`, after checking it; returns the backup
    made of the database being replaced (None if it could not be read: it may be the damage)."""
    check_file(source, application_id, schema_version)
    kept = None
    if Path(db_path).exists():
        try:
            current = sqlite3.connect(db_path)
            try:
                if current.execute("PRAGMA quick_check").fetchone()[0] == "ok":
                    kept = make_backup(current, db_path, "before-restore")
            finally:
                current.close()
        except sqlite3.DatabaseError:
            kept = None
    else:
        Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(db_path, os.O_CREAT | os.O_WRONLY, 0o600))
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        try:
            _copy_into(src, db_path)
        except sqlite3.DatabaseError:
            # The file being replaced is too damaged to write pages into: start it afresh.
            for leftover in (Path(db_path), Path(f"{db_path}-wal"), Path(f"{db_path}-shm")):
                leftover.unlink(missing_ok=True)
            os.close(os.open(db_path, os.O_CREAT | os.O_WRONLY, 0o600))
            _copy_into(src, db_path)
    finally:
        src.close()
    return kept


def _copy_into(src: sqlite3.Connection, db_path: Path) -> None:
    dest = sqlite3.connect(db_path)
    try:
        src.backup(dest)
    finally:
        dest.close()
