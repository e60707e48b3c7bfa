"""A joining laptop importing the lead's whole bundle of 5,000 fully answered cases into an
empty database, against a bare process doing an executemany of the same answer rows (read from
the lead's database) into an empty table of the same shape, in one transaction. Both whole
processes, interleaved, best of N.

    python bench/bench_import.py [--cases 5000] [--rounds 3] [--db FILE]

Ours includes reading the file, its checksum and signatures, every entry's form, id and rights,
the history, the answers, the tallies' triggers, the indexes and the joining laptop's key.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from common import answered_inspection, machine, scratch

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
    start = time.perf_counter()
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    return time.perf_counter() - start, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    hmip = shutil.which("hmip")
    with scratch() as d:
        lead_db = args.db or d / "lead.sqlite"
        # The lead's signing key lives beside a reused database, so a later run signs with it.
        os.environ["XDG_DATA_HOME"] = str(lead_db.parent / f"{lead_db.stem}-keys")
        answered_inspection(lead_db, args.cases)
        env = dict(os.environ)
        joining = {**env, "XDG_DATA_HOME": str(d / "joining")}  # the joining laptop's own keys
        bundle = d / "lead.hmip.json"
        subprocess.run([hmip, "--db", str(lead_db), "--as", "LEAD", "bundle", "export", "--full",
                        "--out", str(bundle)], env=env, check=True, capture_output=True)
        ours, bare = [], []
        for r in range(args.rounds):
            b, answers = timed_run([sys.executable, "-c", BARE, str(lead_db), str(d / f"bare{r}.sqlite")], env)
            bare.append(b)
            ours.append(timed_run([hmip, "--db", str(d / f"ours{r}.sqlite"), "--as", "INSP2", "bundle",
                                   "import", str(bundle)], joining)[0])
        size = bundle.stat().st_size / 1e6
    b, o = min(bare), min(ours)
    print(f"machine: {machine()}; {args.cases} cases, {int(answers)} answers, bundle {size:.1f} MB; "
          f"best of {args.rounds}, whole processes, interleaved")
    print(f"bare executemany of the answer rows, one transaction: {b:.3f} s")
    print(f"hmip bundle import into an empty database:            {o:.3f} s")
    print(f"ratio (ours / bare): {o / b:.2f}x  (target: within 2.5x)")


if __name__ == "__main__":
    main()
