"""When the machine, not the input, says no: a full disk, a read-only place, a busy lock.

Each gets its own true sentence naming the file: never "the database is damaged" (which sends
the user to restore a backup over good data) and never a traceback. `explain` returns None for
what it does not recognise, so a genuine bug still shows itself. The one exception is SQLite's
own verdict that the file's content is wrong (SQLITE_CORRUPT, SQLITE_NOTADB), met while reading a
file that is only checked whole before its first write (store/database.py): that is damage.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

# SQLite's primary result codes (the low byte of an extended code).
_PERM, _BUSY, _LOCKED, _READONLY, _IOERR, _FULL, _CANTOPEN, _AUTH = 3, 5, 6, 8, 10, 13, 14, 23
_CORRUPT, _NOTADB = 11, 26

_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


def explain(exc: BaseException, path: Path | str | None, outcome: str = "nothing was changed",
            doing: str = "use it") -> str | None:
    """One sentence for an environmental failure touching `path`, ending with `outcome`;
    `doing` says what could not be done, for a failure with no sentence of its own."""
    if isinstance(exc, sqlite3.Error):
        return _explain_sqlite(exc, Path(path) if path else None, outcome)
    if isinstance(exc, OSError):
        return _explain_os(exc, Path(path) if path else None, outcome, doing)
    return None


def disk_full(path: Path | None, outcome: str) -> str:
    return f"{_name(path)}: the disk is full; {outcome}. Free some space and try again"


def busy(path: Path | None, outcome: str) -> str:
    from .store.database import BUSY_TIMEOUT_S

    # We cannot tell who holds the lock, so the sentence does not guess: it may be the app,
    # another hmip command, or another program such as the sqlite3 shell.
    return (f"{_name(path)}: the database is busy: another program (hmip, or a tool such as "
            f"sqlite3) has held its lock for over {BUSY_TIMEOUT_S:.0f} s; {outcome}. Close it, "
            "or wait for it to finish, and try again")


def read_only(path: Path | None, outcome: str) -> str:
    if path is not None:
        folder = path.parent
        # The folder first: on a read-only mount the file is read-only too, but it is the
        # folder that stops hmip (it writes the journal, backups and scratch files there).
        if folder.exists() and not os.access(folder, os.W_OK):
            return (f"{path}: its folder {folder} is read-only, and hmip must write there "
                    f"(the database's journal, backups and temporary files); {outcome}. "
                    "Copy the file to a place you can write to")
        if path.exists() and not os.access(path, os.W_OK):
            return (f"{path}: the file is read-only, so hmip cannot write to it; {outcome}. "
                    "Make it writable, or copy it to a place you can write to")
    return f"{_name(path)}: cannot write there: the place is read-only; {outcome}"


def _name(path: Path | None) -> str:
    return str(path) if path is not None else "hmip"


def _explain_sqlite(exc: sqlite3.Error, path: Path | None, outcome: str) -> str | None:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return None
    code &= 0xFF
    if code == _FULL:
        return disk_full(path, outcome)
    if code in (_BUSY, _LOCKED):
        return busy(path, outcome)
    if code == _READONLY:
        return read_only(path, outcome)
    if code == _CANTOPEN:
        if path is not None and path.parent.exists() and not os.access(path.parent, os.W_OK):
            return read_only(path, outcome)
        if path is not None and not path.exists():
            return f"{path}: the file is no longer there; {outcome}"
        return f"{_name(path)}: SQLite cannot open the file ({exc}); {outcome}"
    if code == _IOERR:
        if path is not None and _no_space_left(path):
            return disk_full(path, outcome)
        return (f"{_name(path)}: the disk reported an error while reading or writing the file "
                f"({exc}); {outcome}")
    if code in (_PERM, _AUTH):
        return f"{_name(path)}: not allowed to use the file ({exc}); {outcome}"
    if code in (_CORRUPT, _NOTADB) and path is not None:
        from .store.backups import restore_hint

        return f"{path}: the database is damaged ({exc}); it was not written to. " + restore_hint(path)
    return None


def _explain_os(exc: OSError, path: Path | None, outcome: str, doing: str) -> str:
    named = Path(exc.filename) if isinstance(exc.filename, str) and path is None else path
    if exc.errno in _FULL_ERRNOS:
        return disk_full(named, outcome)
    if exc.errno == errno.EROFS:
        return read_only(named, outcome)
    if exc.errno == errno.EFBIG:
        return f"{_name(named)}: the file grew past the size this system allows; {outcome}"
    return f"{_name(named)}: cannot {doing} ({exc.strerror or exc}); {outcome}"


def _no_space_left(path: Path) -> bool:
    try:
        found = os.statvfs(path.parent if path.parent.exists() else ".")
    except OSError:
        return False
    return found.f_bavail * found.f_frsize < 64 * 1024
