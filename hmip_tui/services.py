"""What the command line and the terminal app both do, in the inspectorate's words.

Glue between the store, the framework and the rating engine; no SQL and no UI here.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from . import store
from .errors import HmipError
from .framework import Framework
from .rating import Ratings, rate


def open_database(path: Path | str) -> sqlite3.Connection:
    return store.connect(path)


def inspection_framework(conn: sqlite3.Connection) -> Framework:
    return store.require_inspection(conn).framework()


def current_ratings(conn: sqlite3.Connection, framework: Framework | None = None) -> Ratings:
    """The ratings page as the answers and judgements now stand."""
    framework = framework or inspection_framework(conn)
    ratings = rate(framework, store.overall_tallies(conn, framework), store.judgements(conn))
    statuses = dict(conn.execute("SELECT status, count(*) FROM case_file GROUP BY status"))
    ratings.extra["cases"] = {"sampled": sum(statuses.values()),
                              "complete": statuses.get("complete", 0)}
    return ratings


def create_demo(conn: sqlite3.Connection, framework: Framework, cases: int = 60) -> int:
    """Fill an empty database with the demo inspection; returns the number of cases."""
    from .demo import demo_bundle
    from .exchange.bundle import merge_bundle, parse_bundle

    if store.get_inspection(conn) is not None:
        held = store.get_inspection(conn)
        raise HmipError(f"this database already holds the inspection of {held.pdu}; "
                        "give the demo its own file with --db")
    bundle = parse_bundle(demo_bundle(framework, cases), Path("<demo>"))
    return merge_bundle(conn, bundle, Path("<demo>")).cases_added
