"""Pages one saved answer writes, by table and index, against a bare insert-and-commit.

Under `synchronous=FULL` a commit's cost is mostly the pages it appends to the WAL and the
fsync both sides pay, so the pages written per save are the machine-independent part of
bench_save.py's ratio: counted here from the WAL's frame headers, each mapped to its table
through `dbstat`. Deterministic: the same figures on any machine.

    python bench/bench_pages.py [--n 200] [--warm 2000]
"""

from __future__ import annotations

import argparse
import collections
import random
import sqlite3
import struct

from common import scratch

from hmip_tui import store
from hmip_tui.framework import load_framework

PROFILE = {"sentence_type": "licence", "sex": "male", "rosh": "high", "pre_sentence_report": "no"}


def frames_by_table(conn: sqlite3.Connection, wal_path) -> collections.Counter:
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    names = dict(conn.execute("SELECT pageno, name FROM dbstat"))
    wal, off, out = wal_path.read_bytes(), 32, collections.Counter()
    while off < len(wal):  # a frame: 24-byte header (page number first), then the page
        out[names.get(struct.unpack(">I", wal[off:off + 4])[0], "(freed)")] += 1
        off += 24 + page_size
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200, help="saves counted")
    parser.add_argument("--warm", type=int, default=2000, help="saves before counting (a case half answered)")
    args = parser.parse_args()
    fw = load_framework()
    questions = [q for q in fw.questions.values() if q.applies_to(PROFILE)]
    rng = random.Random(1)
    with scratch() as d:
        conn = store.connect(d / "hmip.sqlite")
        with store.transaction(conn):
            store.create_inspection(conn, pdu="Bench", framework=fw, lead="LF")
        for i in range(50):
            store.add_case(conn, fw, f"C{i}", "LF", PROFILE, "LF")

        def save() -> None:
            case, q = rng.randrange(50), rng.choice(questions)
            store.record_answer(conn, fw, f"C{case}", q.id, rng.choice(q.type.values), None, "LF")

        for _ in range(args.warm):
            save()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA wal_autocheckpoint=0")
        for _ in range(args.n):
            save()
        ours = frames_by_table(conn, d / "hmip.sqlite-wal")

        bare = sqlite3.connect(d / "bare.sqlite", isolation_level=None)
        bare.execute("PRAGMA journal_mode=WAL")
        bare.execute("CREATE TABLE answer (case_id INTEGER, question TEXT, value TEXT, note TEXT, "
                     "PRIMARY KEY (case_id, question)) WITHOUT ROWID")
        bare.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        bare.execute("PRAGMA wal_autocheckpoint=0")
        for _ in range(args.n):
            bare.execute("INSERT OR REPLACE INTO answer VALUES (?, ?, 'yes', NULL)",
                         (rng.randrange(50), rng.choice(questions).id))
        theirs = frames_by_table(bare, d / "bare.sqlite-wal")
    print(f"pages written per save, {args.n} saves after {args.warm}:")
    for name, n in ours.most_common():
        print(f"  {n / args.n:5.2f}  {name}")
    total, base = sum(ours.values()) / args.n, sum(theirs.values()) / args.n
    print(f"hmip: {total:.2f} pages a save; bare insert+commit: {base:.2f}; ratio {total / base:.2f}x")


if __name__ == "__main__":
    main()
