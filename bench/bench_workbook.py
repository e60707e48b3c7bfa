"""The data workbook against a bare XlsxWriter process that reads the same rows from the same
database and writes the same cells of the Cases and Answers sheets (constant_memory, no styles,
raw values where hmip writes labels), in the same run. Time and peak memory; each side runs in
its own child process, the bare one importing sqlite3 and XlsxWriter alone, and memory is the
child's whole peak resident set (VmHWM), interpreter included.

    python bench/bench_workbook.py [--cases 5000] [--rounds 2] [--db FILE]

`--db` reuses (and if missing, keeps) the database of fully answered cases.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from common import answered_inspection, machine, scratch

CHILD = r'''
import json, resource, sys, time
mode, db, out = sys.argv[1], sys.argv[2], sys.argv[3]
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
    # The same two queries hmip streams (store/export_rows.py), the same cells, nothing else.
    import sqlite3
    profile_ids, question_ids = json.loads(sys.argv[4]), json.loads(sys.argv[5])
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    wb = xlsxwriter.Workbook(out, {"constant_memory": True})
    ws = wb.add_worksheet("Cases")
    ws.write_row(0, 0, ["ref", "inspector", "status", *profile_ids, *question_ids])
    ws.write_row(1, 0, ["ref", "inspector", "status", *profile_ids, *question_ids])
    rows = conn.execute("SELECT c.id, c.ref, c.inspector, c.status, c.profile, a.question, a.value, a.note "
                        "FROM case_file c LEFT JOIN answer a ON a.case_id = c.id ORDER BY c.ref, c.id")
    r, current, answers, cells = 2, None, {}, 0
    closed = set()  # limited-access cases: hmip shows a reader who is not assigned only their reference
    def flush(case, answers):
        p = json.loads(case[4])
        if p.get("limited_access") == "yes":
            closed.add(case[1])
            ws.write_row(r, 0, [case[1], "", "(withheld: limited access case)"])
            return 3
        values = [case[1], case[2] or "", case[3], *[p.get(f) or "" for f in profile_ids],
                  *[answers.get(q, "") for q in question_ids]]
        ws.write_row(r, 0, values)
        return len(values)
    for row in rows:
        if current is None or current[0] != row[0]:
            if current is not None:
                cells += flush(current, answers); r += 1
            current, answers = row, {}
        if row[5] is not None:
            answers[row[5]] = row[6]
    if current is not None:
        cells += flush(current, answers); r += 1
    ws = wb.add_worksheet("Answers")
    ws.write_row(0, 0, ["Case", "Question", "Value", "Answer", "Counts as", "Evidence note", "By", "At"])
    r = 1
    for ref, qid, value, note, by, at in conn.execute(
            "SELECT c.ref, a.question, a.value, a.note, a.answered_by, a.answered_at "
            "FROM answer a JOIN case_file c ON c.id = a.case_id ORDER BY c.ref, a.question"):
        if ref in closed:
            ws.write_row(r, 0, [ref, qid, "(withheld: limited access case)"])
            cells += 3
        else:
            ws.write_row(r, 0, [ref, qid, value, value, value, note or "", by or "", at])
            cells += 8
        r += 1
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
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    from hmip_tui.framework import load_framework

    framework = load_framework()
    columns = (json.dumps([p.id for p in framework.profile]), json.dumps(list(framework.questions)))
    with scratch() as d:
        db = args.db or d / "hmip.sqlite"
        answered_inspection(db, args.cases)
        ours, bare = [], []
        for _ in range(args.rounds):
            ours.append(child("ours", db, d / "ours.xlsx"))
            bare.append(child("bare", db, d / "bare.xlsx", *columns))
        if bare[-1]["cells"] != ours[-1]["cells"]:
            raise SystemExit(f"not like with like: bare wrote {bare[-1]['cells']} cells, hmip {ours[-1]['cells']}")
        size = (d / "ours.xlsx").stat().st_size / 1e6
    o = min(ours, key=lambda r: r["seconds"])
    b = min(bare, key=lambda r: r["seconds"])
    print(f"machine: {machine()}; {args.cases} cases, {o['cells']} case and answer cells "
          f"(plus the summary sheets), workbook {size:.1f} MB; best of {args.rounds}")
    print(f"bare: same rows read, same cells written:    {b['seconds']:.2f} s, peak RSS {b['peak_mb']:.1f} MB")
    print(f"hmip export workbook (imports included):     {o['seconds']:.2f} s, peak RSS {o['peak_mb']:.1f} MB")
    print(f"ratio time {o['seconds'] / b['seconds']:.2f}x (target 1.2x), "
          f"memory {max(o['peak_mb'], 0.1) / max(b['peak_mb'], 0.1):.2f}x (target 2x)")


if __name__ == "__main__":
    main()
