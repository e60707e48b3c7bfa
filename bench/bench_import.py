"""Importing a bundle of 5,000 fully answered cases, against a bare sqlite3 executemany of the
same rows in one transaction, into the same schema; then `hmip rate` on the result.

Our time includes reading and parsing the JSON file and checking every answer against the
framework; the baseline only inserts rows already in memory.

    python bench/bench_import.py [--cases 5000]
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import time

from common import bare_insert, bare_rows, big_bundle, machine, scratch, timed

from hmip_tui import store
from hmip_tui.exchange.bundle import bundle_bytes, import_bundle
from hmip_tui.services import current_ratings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    data = big_bundle(args.cases)
    answers = sum(len(c["answers"]) for c in data["cases"])
    rows_cases, rows_answers = bare_rows(data)
    ours, bare, rates = [], [], []
    with scratch() as d:
        path = d / "big.hmip.json"
        path.write_bytes(bundle_bytes(data, "BENCH"))
        size_mb = path.stat().st_size / 1e6
        for r in range(args.rounds):
            schema_only = d / f"bare{r}.sqlite"
            conn = store.connect(schema_only)  # same schema, same settings, empty
            bare.append(timed(bare_insert, conn, rows_cases, rows_answers))
            target = store.connect(d / f"ours{r}.sqlite")
            ours.append(timed(import_bundle, target, path))
            start = time.perf_counter()
            page = current_ratings(target)
            rates.append(time.perf_counter() - start)
    b, o = min(bare), min(ours)
    print(f"machine: {machine()}; {args.cases} cases, {answers} answers ({answers / args.cases:.0f} a case), "
          f"bundle {size_mb:.1f} MB; best of {args.rounds}")
    print(f"bare sqlite3 executemany, one transaction: {b:.3f} s")
    print(f"hmip bundle import (read + check + insert): {o:.3f} s")
    print(f"ratio (ours / bare): {o / b:.2f}x  (target: within 2.5x)")
    print(f"rate on {args.cases} cases (counting in SQL): best {min(rates):.3f} s (target: under 1 s); "
          f"score {page.score}/{page.max_score}")
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
