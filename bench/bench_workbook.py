"""The data workbook for 5,000 fully answered cases, against XlsxWriter itself writing the same
number of cells in constant_memory mode, in the same run. Time and peak memory; each side runs
in its own child process, the bare one importing XlsxWriter alone, and memory is the child's
whole peak resident set (VmHWM), interpreter included.

    python bench/bench_workbook.py [--cases 5000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from common import big_bundle, machine, scratch

CHILD = r'''
import json, resource, sys, time
mode, db, out, cells = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
import xlsxwriter
def rss_mb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
t = time.perf_counter()
if mode == "ours":
    from hmip_tui.services import open_database
    from hmip_tui.exchange.workbook import write_workbook
    written = write_workbook(open_database(db), __import__("pathlib").Path(out))
    cells = written["case_and_answer_cells"]
else:
    wb = xlsxwriter.Workbook(out, {"constant_memory": True})
    ws = wb.add_worksheet("Cells")
    width = 80
    for r in range(cells // width + 1):
        ws.write_row(r, 0, ["Yes"] * min(width, cells - r * width))
    wb.close()
print(json.dumps({"seconds": time.perf_counter() - t, "peak_mb": rss_mb(), "cells": cells}))
'''


def child(*args) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, *map(str, args)], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    from hmip_tui.exchange.bundle import bundle_bytes, import_bundle
    from hmip_tui.services import open_database

    with scratch() as d:
        bundle = d / "big.hmip.json"
        bundle.write_bytes(bundle_bytes(big_bundle(args.cases), "BENCH"))
        db = d / "hmip.sqlite"
        import_bundle(open_database(db), bundle)
        ours, bare = [], []
        for _ in range(args.rounds):
            ours.append(child("ours", db, d / "ours.xlsx", 0))
            bare.append(child("bare", db, d / "bare.xlsx", ours[-1]["cells"]))
        size = (d / "ours.xlsx").stat().st_size / 1e6
    o = min(ours, key=lambda r: r["seconds"])
    b = min(bare, key=lambda r: r["seconds"])
    print(f"machine: {machine()}; {args.cases} cases, {o['cells']} case and answer cells "
          f"(plus the summary sheets), workbook {size:.1f} MB; best of {args.rounds}")
    print(f"bare XlsxWriter constant_memory, same cells: {b['seconds']:.2f} s, peak RSS {b['peak_mb']:.1f} MB")
    print(f"hmip export workbook (imports included):     {o['seconds']:.2f} s, peak RSS {o['peak_mb']:.1f} MB")
    print(f"ratio time {o['seconds'] / b['seconds']:.2f}x (target 1.5x), "
          f"memory {max(o['peak_mb'], 0.1) / max(b['peak_mb'], 0.1):.2f}x (target 2x)")


if __name__ == "__main__":
    main()
