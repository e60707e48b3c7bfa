"""The open app noticing what others write to its inspection (the team's other laptops merge
through bundles; this is for a second writer on the same file: `hmip answer` in another
terminal, another app instance, an import)."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from ..store.live import data_version

if TYPE_CHECKING:
    from ..window_lock import WindowLock


class WrittenElsewhere:
    """Watches one connection for commits made by any other connection.

    `changed()` is True once for each time another writer has committed since the last call.
    The app's own writes, through the watched connection, never count: its screens already show
    them.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.seen = data_version(conn)

    def changed(self) -> bool:
        now = data_version(self.conn)
        if now == self.seen:
            return False
        self.seen = now
        return True


def window_lock(db_path) -> WindowLock:
    """The app's live lock on its database file: says whether another hmip window has it open."""
    from ..window_lock import WindowLock

    return WindowLock(db_path)
