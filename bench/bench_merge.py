"""Merging 20 inspectors' bundles totalling 5,000 fully answered cases into one database,
against a bare sqlite3 executemany of the same rows in one transaction, same run.

Each bundle is read, checksummed, checked against the framework and merged in its own
transaction (one backup before each import is included, as in real use).

    python bench/bench_merge.py [--cases 5000] [--bundles 20]
"""

from __future__ import annotations

import argparse
import json
import time

from common import bare_insert, bare_rows, big_bundle, machine, scratch

from hmip_tui import store
from hmip_tui.exchange.bundle import bundle_bytes, import_bundle, import_bundles


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--bundles", type=int, default=20)
    args = parser.parse_args()
    data = big_bundle(args.cases)
    per = -(-args.cases // args.bundles)
    with scratch() as d:
        paths = []
        for i in range(args.bundles):
            part = {**data, "cases": data["cases"][i * per:(i + 1) * per]}
            path = d / f"inspector{i:02d}.hmip.json"
            path.write_bytes(bundle_bytes(part, f"I{i:02d}"))
            paths.append(path)
        rows_cases, rows_answers = bare_rows(data)
        bare_conn = store.connect(d / "bare.sqlite")
        t = time.perf_counter()
        bare_insert(bare_conn, rows_cases, rows_answers)
        bare = time.perf_counter() - t

        conn = store.connect(d / "one-by-one.sqlite")
        t = time.perf_counter()
        for path in paths:  # as 20 separate `hmip bundle import` commands: a backup before each
            import_bundle(conn, path)
        separately = time.perf_counter() - t
        conn = store.connect(d / "merged.sqlite")
        t = time.perf_counter()
        import_bundles(conn, paths)  # `hmip bundle import *.hmip.json`: one backup, one transaction
        ours = time.perf_counter() - t
        held = conn.execute("SELECT count(*) FROM answer").fetchone()[0]
    print(f"machine: {machine()}; {args.bundles} bundles, {args.cases} cases, {len(rows_answers)} answers")
    print(f"bare sqlite3 executemany, one transaction: {bare:.3f} s")
    print(f"hmip bundle import of all {args.bundles} at once (checksums, checks, merge): {ours:.3f} s")
    print(f"ratio (ours / bare): {ours / bare:.2f}x  (target: within 2.5x); answers held: {held}")
    print(f"for the record, {args.bundles} separate imports, a backup before each: {separately:.3f} s "
          f"= {separately / bare:.2f}x")


if __name__ == "__main__":
    main()
