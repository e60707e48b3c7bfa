"""The terminal app. Imported only when `hmip` runs without a sub-command."""

from __future__ import annotations

from pathlib import Path


def run_app(db: Path, inspector: str) -> None:
    """Open the database (refusing a bad one before the screen starts), then run the app."""
    from ..services import open_database
    from .app import HmipApp

    conn = open_database(db)
    try:
        HmipApp(conn, db, inspector).run()
    finally:
        conn.close()
