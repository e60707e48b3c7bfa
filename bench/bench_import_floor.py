"""How fast any import of a whole inspection could be, whatever the bundle's format: the floor
under issue 13's bundle-import target.

Each step is a whole process that makes an empty hmip database and copies into it, from the
lead's database (read in place, as the bare side reads it, so no file format is parsed at all),
what a joining laptop must hold, with every trigger set aside and each table filled by one
`INSERT ... SELECT` run inside SQLite. Steps add up: the history's entries, heads and batches
and the current answers, cases, texts, team and keys; the tallies counted afresh; the search
index built; every entry's id recomputed (the check that a history is what its signers signed).
The last step has the same end state done the cheapest way found (a helper's review): a rollback
journal instead of WAL while the new file is filled (WAL writes every page twice), a page cache
as big as what is written, and the ids recomputed in a second thread beside the copy (SQLite
releases the GIL while it copies). Nothing checks the answers against the history, the rights,
the form of each entry, or a signature: a real import adds those.

Against the bare executemany of `bench_import.py` and `hmip bundle import` itself: whole
processes, the disk synced before each, the order rotated each round, best of N.

    python bench/bench_import_floor.py [--cases 5000] [--rounds 5] [--db FILE]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench_import import BARE
from common import lead_exports, machine, scratch

STEP = r'''
import hashlib, sys, threading
from hmip_tui.services import open_database
from hmip_tui.store import search, tally
source, target, step = sys.argv[1], sys.argv[2], int(sys.argv[3])
TAG, SHA = b"hmip-entry/1\x00", hashlib.sha256
wrong = []

def check_ids(conn):
    bad = 0
    for id_, *fields, parents, flags in conn.execute(
            "SELECT id, kind, case_ref, field, value, lower(hex(note)), lower(hex(reason)), author, at, "
            "parents, flags FROM entry"):
        named = ",".join(sorted(parents[i:i + 32].hex() for i in range(0, len(parents), 32))) if parents else ""
        bad += SHA(TAG + "\x00".join((*fields, named, flags)).encode()).digest() != id_
    wrong.append(bad)

if step >= 5:  # the ids from the lead's file, in a thread of their own, beside the copy
    import sqlite3
    beside = threading.Thread(target=check_ids, args=(
        sqlite3.connect(f"file:{source}?mode=ro", uri=True, check_same_thread=False),))
    beside.start()
conn = open_database(target)
if step >= 5:
    assert conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0] == "delete"
    conn.execute("PRAGMA cache_size=-262144")
conn.execute(f"ATTACH 'file:{source}?mode=ro' AS lead")
conn.execute("BEGIN IMMEDIATE")
triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN "
                        "('entry', 'answer', 'evidence_text', 'judgement')").fetchall()
for name, _ in triggers:
    conn.execute(f'DROP TRIGGER "{name}"')
for table in ("inspection", "inspector", "signer", "entry", "batch", "head", "text", "case_file", "answer",
              "judgement"):
    conn.execute(f"INSERT INTO {table} SELECT * FROM lead.{table}")
if step >= 2:
    tally.rebuild(conn)
if step >= 3:
    search.fill(conn)
    conn.execute("INSERT INTO evidence_text_fts (evidence_text_fts) VALUES ('rebuild')")
if step == 4:
    check_ids(conn)
if step >= 5:
    beside.join()
assert wrong in ([], [0]), wrong
for _, sql in triggers:
    conn.execute(sql)
conn.execute("COMMIT")
if step >= 5:
    assert conn.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
'''

STEPS = ("entries, heads, answers, cases, texts copied", "+ tallies counted afresh", "+ search index built",
         "+ every entry id recomputed", "the same, done the cheapest way found")


def timed(command: list[str], env: dict) -> float:
    os.sync()  # what the last run wrote is flushed before this one is timed, not during it
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    hmip = shutil.which("hmip") or sys.exit("hmip is not on PATH: activate the virtualenv it is installed in")
    with scratch() as d:
        lead_db = args.db or d / "lead.sqlite"
        env, joining, files = lead_exports(hmip, lead_db, args.cases, d, {"--full": "lead.hmip.json"})
        bundle = files["--full"]
        out = d / "out"
        runs = {"bare": lambda: [sys.executable, "-c", BARE, str(lead_db), str(out / "db.sqlite")],
                **{n: (lambda n=n: [sys.executable, "-c", STEP, str(lead_db), str(out / "db.sqlite"), str(n + 1)])
                   for n in range(len(STEPS))},
                "hmip": lambda: [hmip, "--db", str(out / "db.sqlite"), "--as", "INSP2", "bundle", "import",
                                 str(bundle)]}
        times: dict = {k: [] for k in runs}
        order = list(runs)
        for r in range(args.rounds):
            for k in order[r % len(order):] + order[:r % len(order)]:  # each round starts elsewhere
                shutil.rmtree(out, ignore_errors=True)
                out.mkdir()
                times[k].append(timed(runs[k](), joining))
    b = min(times["bare"])
    print(f"machine: {machine()}; {args.cases} cases; best of {args.rounds}, whole processes, disk synced "
          "before each, order rotated")
    print(f"{'bare executemany of the answer rows':<48} {b:7.3f} s   1.00x")
    for n, name in enumerate(STEPS):
        print(f"{name:<48} {min(times[n]):7.3f} s  {min(times[n]) / b:5.2f}x")
    print(f"{'hmip bundle import':<48} {min(times['hmip']):7.3f} s  {min(times['hmip']) / b:5.2f}x  "
          "(target: within 2.5x)")


if __name__ == "__main__":
    main()
