"""Noticing another writer: SQLite's data version of one connection.

`PRAGMA data_version` changes when any *other* connection (another process, another app
instance, `hmip answer` in a second terminal) commits to the file, and never for the
connection's own writes. It reads no table, so asking about once a second costs next to nothing.
"""

from __future__ import annotations

import sqlite3


def data_version(conn: sqlite3.Connection) -> int:
    """A number that changes when another connection has committed to the file since the last
    time this connection asked; its own commits leave it as it was."""
    return conn.execute("PRAGMA data_version").fetchone()[0]
