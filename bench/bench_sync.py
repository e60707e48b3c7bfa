"""The team server: the lead's first push of an answered inspection, against a bare psycopg
executemany of the same rows (entries, texts, batches) into plain tables of the same shape in the
same PostgreSQL, same run; then a sync with nothing new, against that first push.

The issue's bars: the first push within 3x the bare insert; a sync with nothing new at most a
tenth of the first push. The history is signed before the clock starts (as `bundle export` signs
it), so the push is timed alone.

    python bench/bench_sync.py [--cases 5000] [--url ADMIN_URL]

Without --url (or HMIP_TEST_PG_URL), a throwaway cluster is started on 127.0.0.1 from the
distribution's binaries (tests/pg_cluster.py) and stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from common import answered_inspection, machine, scratch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--url", default=os.environ.get("HMIP_TEST_PG_URL"))
    args = parser.parse_args()
    cluster = None
    if not args.url:
        import pg_cluster

        cluster = pg_cluster.Cluster()
        args.url = cluster.start()
    try:
        with scratch() as d:
            os.environ["HMIP_KEYS"] = str(d / "keys")
            run(args.url, args.cases, d)
    finally:
        if cluster is not None:
            cluster.stop()


def run(admin: str, cases: int, d: Path) -> None:
    import psycopg

    from hmip_tui import services
    from hmip_tui.store import batches
    from hmip_tui.store import server_sync as rows
    from hmip_tui.store.database import transaction

    name = "hmip_bench_" + secrets.token_hex(4)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = urlunsplit(urlsplit(admin)._replace(path="/" + name))
    try:
        db = d / "lead.sqlite"
        t = time.perf_counter()
        answered_inspection(db, cases)
        conn = services.open_database(db)
        uid = services.require_inspection(conn).uid
        with transaction(conn):
            batches.sign_pending(conn, uid, "LEAD")
        print(f"built and signed {cases} cases in {time.perf_counter() - t:.1f} s")
        services.init_server(url)
        lead_url = services.add_server_login(url, "LEAD")

        # The bare baseline: the same rows, executemany, into plain tables (no policies, triggers).
        out = rows.outgoing(conn, uid, set(), "LEAD", True)
        with psycopg.connect(url) as pg:
            for table in ("entry", "text", "batch"):
                pg.execute(f"CREATE TABLE public.bare_{table} (LIKE hmip.{table} INCLUDING DEFAULTS "
                           "INCLUDING CONSTRAINTS INCLUDING INDEXES INCLUDING IDENTITY)")
            pg.commit()
            t = time.perf_counter()
            with pg.cursor() as cur:
                cur.executemany(rows._INSERT_ENTRY.replace("hmip.entry", "public.bare_entry"), out.entries)
                cur.executemany(rows._INSERT_TEXT.replace("hmip.text", "public.bare_text"), out.texts)
                cur.executemany(rows._INSERT_BATCH.replace("hmip.batch", "public.bare_batch"), out.batches)
            pg.commit()
            bare = time.perf_counter() - t

        t = time.perf_counter()
        first = services.sync(conn, lead_url, "LEAD")
        push = time.perf_counter() - t
        t = time.perf_counter()
        services.sync(conn, lead_url, "LEAD")
        empty = time.perf_counter() - t
        conn.close()
        print(f"{machine()}; {cases} cases, {first.pushed_entries} entries, {len(out.texts)} texts, "
              f"{first.pushed_batches} batches")
        print(f"bare executemany      {bare:8.3f} s")
        print(f"first push (sync)     {push:8.3f} s   {push / bare:5.2f}x bare   (bar: 3x)")
        print(f"sync, nothing new     {empty:8.3f} s   {empty / push:5.3f} of the first push   (bar: 0.1)")
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
