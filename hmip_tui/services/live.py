"""The open app noticing what others write to its inspection (the team's other laptops merge
through bundles; this is for a second writer on the same file: `hmip answer` in another
terminal, another app instance, an import)."""

from __future__ import annotations

import sqlite3

from ..store.live import data_version


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
