"""Setting up the team server: its store in an existing PostgreSQL database, and a login for
each inspector. No laptop database is needed; psycopg and sqlmodel are imported only here."""

from __future__ import annotations


def init_server(url: str) -> None:
    from ..store.server_schema import init

    init(url)


def add_server_login(url: str, code: str, *, analyst: bool = False) -> str:
    """The URL `code`'s laptop syncs with (it holds a new password: a secret)."""
    from ..store.server_schema import add

    return add(url, code, analyst=analyst)


def server_where(url: str) -> str:
    from ..store.server_schema import where

    return where(url)
