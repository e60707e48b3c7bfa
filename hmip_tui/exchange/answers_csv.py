"""All answers as one long CSV, for analysts who work in R or Python.

One row per answer, with the case's profile repeated on each row so that any split is one
filter away. Streamed from SQLite and written atomically.

A spreadsheet opening a CSV runs any cell that starts like a formula (`=HYPERLINK(...)`,
`@SUM(...)`, `=cmd|' /C calc'!A0`), and evidence notes are free text typed by anyone. So a cell
starting with `=`, `+`, `-`, `@`, a tab or a carriage return is written with a leading
apostrophe, the usual guard, which spreadsheets show as text and analysts strip if they need to.
Notes are never cut: a CSV cell has no length limit.
"""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

from .. import store
from ..store.export_rows import cases_with_answers
from .files import atomic_output

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(cell):
    """`cell`, with a leading apostrophe if a spreadsheet would take it for a formula."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def write_answers_csv(conn: sqlite3.Connection, out: Path, *, include_restricted_notes: bool = False,
                      reader: str | None = None) -> int:
    """Write the long CSV to `out`; returns the number of answer rows. The evidence notes of
    limited-access cases are left out (note_withheld = yes) unless the lead asks for them; a
    limited-access case the reader may not open shows its reference and nothing more."""
    from ..store.access import closed_to, is_restricted

    closed = closed_to(conn, reader)
    framework = store.require_inspection(conn).framework()
    profile = [f.id for f in framework.profile]
    header = ["case_ref", "inspector", "status", *profile, "standard", "question", "kind",
              "value", "counts_as", "note", "note_withheld", "framework_id", "framework_version"]
    rows = 0
    with atomic_output(Path(out)) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            for case, answers in cases_with_answers(conn):
                if case["ref"] in closed:
                    for q in framework.questions.values():
                        if q.id in answers:
                            writer.writerow([case["ref"], "", "", *[""] * len(profile), q.standard_id, q.id,
                                             q.kind, "", "", "", "yes", framework.id, framework.version])
                            rows += 1
                    continue
                base = [case["ref"], case["inspector"] or "", case["status"],
                        *[case["profile"].get(f, "") for f in profile]]
                withhold = is_restricted(case["profile"]) and not include_restricted_notes
                for q in framework.questions.values():
                    if q.id not in answers:
                        continue
                    value, note = answers[q.id]
                    option = q.type.option(value)
                    # An answer kept for a question that no longer applies (the profile changed
                    # since) is stored, never counted: say so, or a recount from here goes wrong.
                    counts = (option.counts_as if option else "") if q.applies_to(case["profile"]) \
                        else "does_not_apply"
                    row = [*base, q.standard_id, q.id, q.kind, value, counts,
                           "" if withhold else note or "", "yes" if withhold else "no",
                           framework.id, framework.version]
                    writer.writerow([neutralised(cell) for cell in row])
                    rows += 1
    return rows
