"""Whether another hmip window has the same database open: a live lock held by the app.

Each open app holds an exclusive `flock` on a small file beside the database for as long as it
runs. The operating system drops the lock when the process ends, however it ends, so a crash or
a SIGKILL never leaves a window "open"; the file itself may stay, and means nothing alone (a
marker file would outlive a crash and lie). Only the app takes this lock, and only to say so:
command-line writers never take it or wait for it, and SQLite's own locking keeps the writes
safe whatever it says.
"""

from __future__ import annotations

import os
from pathlib import Path

SUFFIX = ".window-lock"


def lock_path(db: Path) -> Path:
    return Path(db).with_name(Path(db).name + SUFFIX)


class WindowLock:
    """Held from `take()` until `release()` or the process ends. `held` is False while another
    window holds it; `take()` again (the app asks about once a second) picks it up when that
    window closes."""

    def __init__(self, db: Path) -> None:
        self.path = lock_path(db)
        self.fd: int | None = None
        self.held = False

    def take(self) -> bool:
        """Try (never wait) for the lock; True if this window now holds it. A folder where the
        file cannot be made (read-only) says nothing rather than something false."""
        import fcntl

        if self.held:
            return True
        try:
            if self.fd is None:
                self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        except OSError:
            self.release()
            self.held = True  # unknowable here: claim nothing about other windows
            return True
        self.held = True
        return True

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the only descriptor drops the flock
            self.fd = None
        self.held = False
