"""How fast any import of a whole inspection could be, whatever the bundle's format: the floor
under issue 13's bundle-import target.

Each step is a whole process that makes an empty hmip database and copies into it, from the
lead's database (read in place, as the bare side reads it, so no file format is parsed at all),
what a joining laptop must hold, with every trigger set aside and each table filled by one
`INSERT ... SELECT` run inside SQLite. Steps add up: the history's entries and the current
answers, cases and texts; the tallies counted afresh; the search index built; every entry's id
recomputed (the check that a bundle's history is what its signers signed). Against the bare
executemany of `bench_import.py`, interleaved, best of N; and `hmip bundle import` itself.

    python bench/bench_import_floor.py [--cases 5000] [--rounds 3] [--db FILE]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench_import import BARE, timed_run
from common import answered_inspection, machine, scratch

STEP = r'''
import hashlib, sys
from hmip_tui.services import open_database
from hmip_tui.store import search, tally
source, target, step = sys.argv[1], sys.argv[2], int(sys.argv[3])
conn = open_database(target)
conn.execute(f"ATTACH 'file:{source}?mode=ro' AS lead")
conn.execute("BEGIN IMMEDIATE")
triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN "
                        "('entry', 'answer', 'evidence_text')").fetchall()
for name, _ in triggers:
    conn.execute(f'DROP TRIGGER "{name}"')
for table in ("inspection", "entry", "batch", "text", "case_file", "answer"):
    conn.execute(f"INSERT INTO {table} SELECT * FROM lead.{table}")
if step >= 2:
    tally.rebuild(conn)
if step >= 3:
    search.fill(conn)
    conn.execute("INSERT INTO evidence_text_fts (evidence_text_fts) VALUES ('rebuild')")
if step >= 4:
    tag, sha, wrong = b"hmip-entry/1\x00", hashlib.sha256, 0
    for id_, *fields, parents, flags in conn.execute(
            "SELECT id, kind, case_ref, field, value, lower(hex(note)), lower(hex(reason)), author, at, "
            "parents, flags FROM entry"):
        named = ",".join(sorted(parents[i:i + 32].hex() for i in range(0, len(parents), 32))) if parents else ""
        wrong += sha(tag + "\x00".join((*fields, named, flags)).encode()).digest() != id_
    assert not wrong, wrong
for _, sql in triggers:
    conn.execute(sql)
conn.execute("COMMIT")
'''

STEPS = ("entries, answers, cases and texts copied", "+ tallies counted afresh", "+ search index built",
         "+ every entry id recomputed")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    hmip = shutil.which("hmip") or sys.exit("hmip is not on PATH: activate the virtualenv it is installed in")
    with scratch() as d:
        lead_db = args.db or d / "lead.sqlite"
        os.environ["XDG_DATA_HOME"] = str(lead_db.parent / f"{lead_db.stem}-keys")
        answered_inspection(lead_db, args.cases)
        env = dict(os.environ)
        joining = {**env, "XDG_DATA_HOME": str(d / "joining")}
        bundle = d / "lead.hmip.json"
        subprocess.run([hmip, "--db", str(lead_db), "--as", "LEAD", "bundle", "export", "--full",
                        "--out", str(bundle)], env=env, check=True, capture_output=True)
        bare: list[float] = []
        steps: list[list[float]] = [[] for _ in STEPS]
        ours: list[float] = []
        for r in range(args.rounds):
            bare.append(timed_run([sys.executable, "-c", BARE, str(lead_db), str(d / f"bare{r}.sqlite")], env)[0])
            for n in range(len(STEPS)):
                steps[n].append(timed_run([sys.executable, "-c", STEP, str(lead_db), str(d / f"s{n}-{r}.sqlite"),
                                           str(n + 1)], joining)[0])
            ours.append(timed_run([hmip, "--db", str(d / f"ours{r}.sqlite"), "--as", "INSP2", "bundle",
                                   "import", str(bundle)], joining)[0])
    b = min(bare)
    print(f"machine: {machine()}; {args.cases} cases; best of {args.rounds}, whole processes, interleaved")
    print(f"{'bare executemany of the answer rows':<45} {b:7.3f} s   1.00x")
    for name, times in zip(STEPS, steps):
        print(f"{name:<45} {min(times):7.3f} s  {min(times) / b:5.2f}x")
    print(f"{'hmip bundle import':<45} {min(ours):7.3f} s  {min(ours) / b:5.2f}x  (target: within 2.5x)")


if __name__ == "__main__":
    main()
