"""The audit trail: the history, shown. Who changed what, when, from what to what, and why.

Entries of a limited-access case show only to those who may open it; the others learn how many
were left out, and nothing else. The trail kept before the history (databases from hmip 0.1)
comes first, closed.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from . import history
from .access import closed_to
from .history import SETTLE


@dataclass(frozen=True, slots=True)
class Line:
    at: str
    by: str | None
    kind: str
    case_ref: str | None
    question: str | None
    old_value: str | None
    new_value: str | None
    reason: str | None
    detail: str | None


@dataclass(frozen=True, slots=True)
class Trail:
    lines: list[Line]
    withheld: int  # entries of limited-access cases the reader may not open


# What a case's sheets already show: a case, its profile fields and its answers as first given.
FIRST_VALUES = ("case", "profile", "answer")


def trail(conn: sqlite3.Connection, case_ref: str | None = None, reader: str | None = None, *,
          first_values: bool = True) -> Trail:
    """The entries for one case (or all), oldest first, as `reader` may see them. Without
    `first_values`, the first value of each case, profile field and answer is left out (they are
    most of the history, and the workbook's Cases and Answers sheets show them): what remains
    is every change after them, and every moderation step."""
    hidden = closed_to(conn, reader)
    lines = [Line(*r) for r in conn.execute(
        "SELECT at, by, kind, case_ref, question, old_value, new_value, reason, detail FROM audit "
        + ("WHERE case_ref = ? " if case_ref else "") + "ORDER BY id", (case_ref,) if case_ref else ())
        if r[3] not in hidden]
    values: dict[bytes, str] = {}
    withheld = 0
    # Who vouched for entries made from an unsigned bundle or an older database: their signer.
    vouchers = dict(conn.execute("SELECT e.seq, b.signer FROM entry e JOIN batch b ON b.seq = e.batch "
                                 "WHERE e.flags IN ('v1', 'migrated')"))
    made = []
    skipped = () if first_values else FIRST_VALUES
    for seq, e in history.entries(conn, case_ref=case_ref, skip_roots_of=skipped):
        values[e.id] = e.value
        if e.case_ref in hidden:
            withheld += 1
            continue
        if skipped:  # a parent left out above: read it alone
            for p in e.parents:
                if p not in values:
                    held = history.get(conn, p)
                    if held is not None:
                        values[p] = held.value
        old = [values[p] for p in e.parents if p in values]
        made.append((e.at, seq, _line(conn, e, " / ".join(sorted(set(old))) if old else None, vouchers.get(seq))))
    # In the order they were made (laptops' clocks, to the millisecond), not the order they reached
    # this laptop; the trail kept before the history comes first.
    return Trail(lines + [line for _, _, line in sorted(made)], withheld)


def _line(conn, e: history.Entry, old: str | None, voucher: str | None = None) -> Line:
    reason = history.text_of(conn, e.reason)
    kind, detail, new = e.kind, None, e.value or None
    note = history.text_of(conn, e.note) if e.note else None
    if e.kind == "inspection":
        detail = f"founded the inspection of {json.loads(e.value)['pdu']}"
        new = None
    elif e.kind == "team":
        detail = f"{e.field} is {e.value}"
        new = None
    elif e.kind == "rekey":
        key = json.loads(e.value).get("key")
        detail = f"re-pinned {e.field}'s key" + ("" if key else ": the next key seen is pinned")
        new = None
    elif e.kind == "case":
        detail = f"case added, read by {e.value}" if old is None else f"read by {e.value}"
        new = None
    elif e.kind in ("answer", "judgement"):
        if e.note and note is None:
            detail = "note withheld or redacted"
        elif note:
            detail = f"{'evidence' if e.kind == 'judgement' else 'note'}: {note}"
        if not e.value:
            kind, new = "clear", None
    elif e.kind == "grant":
        detail = f"{e.field} may open the case" if e.value == "granted" else f"{e.field} may not"
        new = None
    elif e.kind == "assign":
        kind, detail, new = "second-reading", f"assigned to {e.value}", None
    elif e.kind == "reading":
        kind = "second-reading"
    elif e.kind == "finish":
        kind, detail, new = "second-reading", "finished", None
    elif e.kind == "redact":
        n = len([x for x in e.value.split(",") if x])
        detail, new = f"redacted {n} version{'s' if n != 1 else ''} of the note", None
    elif e.kind in ("export", "restore"):
        detail, new = e.value, None
    if e.flags == SETTLE:
        kind = "settle"
    elif e.flags in history.VOUCHED:
        detail = f"{detail}; " if detail else ""
        detail += "unsigned bundle" if e.flags == history.V1 else "from before the history"
        if voucher:
            detail += f", vouched for by {voucher}"
    return Line(e.at, e.author or None, kind, e.case_ref or None,
                e.field or None, old, new, reason, detail)
