"""A joining laptop taking in the lead's 5,000 fully answered cases into an empty database,
against a bare process doing an executemany of the same answer rows (read from the lead's
database) into an empty table of the same shape, in one transaction. Whole processes, the disk
synced before each, interleaved, best of N.

    python bench/bench_import.py [--cases 5000] [--rounds 3] [--db FILE]

Two ways to join, both `hmip bundle import`: the lead's join file (`bundle export --join`: its
checksum and signature, every entry's id, every batch's signature, every answer against its
history and the framework, the schema, then the database taken in whole), and, for the record,
the lead's whole bundle (every entry's form, id and rights checked, and every table derived
again in Python, as any merge does).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from common import lead_exports, machine, scratch

BARE = r'''
import sqlite3, sys
source, target = sys.argv[1], sys.argv[2]
rows = sqlite3.connect(f"file:{source}?mode=ro", uri=True).execute(
    "SELECT case_id, question, value, note, framework_id, framework_version, answered_by, answered_at "
    "FROM answer").fetchall()
conn = sqlite3.connect(target, isolation_level=None)
conn.execute("PRAGMA journal_mode=WAL"); conn.execute("PRAGMA synchronous=FULL")
conn.execute("CREATE TABLE answer (case_id INTEGER NOT NULL, question TEXT NOT NULL, value TEXT NOT NULL, "
             "note TEXT, framework_id TEXT NOT NULL, framework_version TEXT NOT NULL, answered_by TEXT, "
             "answered_at TEXT NOT NULL, PRIMARY KEY (case_id, question)) WITHOUT ROWID")
conn.execute("BEGIN IMMEDIATE")
conn.executemany("INSERT INTO answer VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
conn.execute("COMMIT")
print(len(rows))
'''


def timed_run(command: list[str], env: dict) -> tuple[float, str]:
    os.sync()  # the last run's writes are flushed before this one is timed, not during it
    start = time.perf_counter()
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    return time.perf_counter() - start, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--bundle", action="store_true", help="also time joining from the whole JSON bundle")
    args = parser.parse_args()
    hmip = shutil.which("hmip") or sys.exit("hmip is not on PATH: activate the virtualenv it is installed in")
    with scratch() as d:
        lead_db = args.db or d / "lead.sqlite"
        env, joining, files = lead_exports(hmip, lead_db, args.cases, d,
                                           {"--full": "lead.hmip.json", "--join": "lead.hmip-join"})
        bundle, join_file = files["--full"], files["--join"]
        ours, bare, whole = [], [], []
        for r in range(args.rounds):
            b, answers = timed_run([sys.executable, "-c", BARE, str(lead_db), str(d / f"bare{r}.sqlite")], env)
            bare.append(b)
            ours.append(timed_run([hmip, "--db", str(d / f"ours{r}.sqlite"), "--as", "INSP2", "bundle",
                                   "import", str(join_file)], joining)[0])
            if args.bundle:
                whole.append(timed_run([hmip, "--db", str(d / f"whole{r}.sqlite"), "--as", "INSP2", "bundle",
                                        "import", str(bundle)], joining)[0])
            for f in d.glob("*.sqlite*"):
                if f.name.startswith(("bare", "ours", "whole")):
                    f.unlink()
        sizes = bundle.stat().st_size / 1e6, join_file.stat().st_size / 1e6
    b, o = min(bare), min(ours)
    print(f"machine: {machine()}; {args.cases} cases, {int(answers)} answers, bundle {sizes[0]:.1f} MB, "
          f"join file {sizes[1]:.1f} MB; best of {args.rounds}, whole processes, disk synced before each")
    print(f"bare executemany of the answer rows, one transaction: {b:.3f} s")
    print(f"hmip bundle import of the lead's join file:           {o:.3f} s   {o / b:.2f}x  (target: within 2.5x)")
    if whole:
        print(f"hmip bundle import of the lead's whole bundle:        {min(whole):.3f} s   {min(whole) / b:.2f}x")


if __name__ == "__main__":
    main()
