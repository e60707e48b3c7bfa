"""Merging a fieldwork week: 20 inspectors' signed bundles of 250 cases each (5,000 cases) into
the lead's database, against a bare sqlite3 executemany of the same answer rows, same run.

Each inspector joined from the lead's bundle, so every bundle also carries the lead's history
(the inspection, the team, 5,000 cases and their profiles): merging is a union of histories,
and the lead's own batch is recognised as held, not read again. Then the same 20 bundles are
imported a second time: nothing is new, and that must cost at most a third of the first time.

    python bench/bench_merge.py [--cases 5000] [--bundles 20]
"""

from __future__ import annotations

import argparse
import shutil
import time

from common import bare_answers, machine, scratch, team_week

from hmip_tui import services


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--bundles", type=int, default=20)
    args = parser.parse_args()
    with scratch() as d:
        t = time.perf_counter()
        lead, paths, rows = team_week(d, args.cases, args.bundles)
        made = time.perf_counter() - t
        bare_db = d / "bare.sqlite"
        shutil.copyfile(lead, bare_db)
        conn = services.open_database(bare_db)
        t = time.perf_counter()
        bare_answers(conn, rows)
        bare = time.perf_counter() - t
        conn.close()

        conn = services.open_database(lead)
        t = time.perf_counter()
        services.import_bundles(conn, paths, "LF")  # `hmip bundle import *.hmip.json`: one transaction
        first = time.perf_counter() - t
        t = time.perf_counter()
        services.import_bundles(conn, paths, "LF")
        second = time.perf_counter() - t
        held = conn.execute("SELECT count(*) FROM answer").fetchone()[0]
        size = sum(p.stat().st_size for p in paths) / 1e6
    print(f"machine: {machine()}; {args.bundles} bundles of {args.cases // args.bundles} cases, "
          f"{len(rows)} answers, {size:.0f} MB of bundles (made in {made:.0f} s)")
    print(f"bare sqlite3 executemany of the answer rows, one transaction: {bare:.3f} s")
    print(f"hmip bundle import of all {args.bundles} (checksums, signatures, every entry, merge): {first:.3f} s")
    print(f"ratio (ours / bare): {first / bare:.2f}x  (target: within 3x); answers held: {held}")
    print(f"the same {args.bundles} again (nothing new): {second:.3f} s = {second / first:.2f} of the first "
          "(target: at most 0.33)")


if __name__ == "__main__":
    main()
