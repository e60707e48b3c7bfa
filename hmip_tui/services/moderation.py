"""Moderation and the audit trail, as the person asking may see them.

A limited-access case's conflicts, disagreements and history (values, notes and reasons) show
only to those who may open it: others see that something is there, by case reference, and
nothing of what it says. Counts always count everything, so figures agree for everyone.
"""

from __future__ import annotations

import sqlite3

from ..framework import Framework
from ..store import moderation as store_moderation
from ..store.access import closed_to
from ..store.audit import Trail, trail
from ..store.moderation import (Conflict, Pair, SecondReading, assign_second_reading, conflicts,
                                finish_second_reading, key_questions_for, pick_second_readings,
                                record_second_answer, second_answers, second_readings, settle_conflict,
                                settle_disagreement)
from ..store.moderation import mark_moderated as lock_case
from ..store.moderation import pairs as agreement_pairs
from ..store.moderation import reopen as reopen_case
from ..store.redaction import redact_note

__all__ = ["Conflict", "Pair", "SecondReading", "agreement_pairs", "assign_second_reading", "conflicts",
           "finish_second_reading", "key_questions_for", "lock_case", "pick_second_readings",
           "record_second_answer", "redact_note", "reopen_case", "second_answers", "second_readings",
           "settle_conflict", "settle_disagreement"]


def audit_trail(conn: sqlite3.Connection, case_ref: str | None, reader: str | None, *,
                first_values: bool = True) -> Trail:
    return trail(conn, case_ref, reader, first_values=first_values)


def moderation_counts(conn: sqlite3.Connection, framework: Framework) -> dict:
    pairs = store_moderation.pairs(conn, framework)
    return {"open_conflicts": len(conflicts(conn)),
            "disagreements": len(store_moderation.unsettled(pairs)),
            "awaiting_second_reading": sum(not r.finished for r in second_readings(conn))}


def _figure(a) -> dict:
    def rounded(x, places):
        return None if x is None else round(float(x), places)

    return {"n": a.n, "agreed": a.agreed, "percent": rounded(a.percent, 2), "kappa": rounded(a.kappa, 3),
            "pabak": rounded(a.pabak, 3), "ac1": rounded(a.ac1, 3)}


def _conflict(c: Conflict, hidden: set[str]) -> dict:
    if c.case_ref in hidden:
        return {"id": c.id, "kind": c.kind, "case": c.case_ref, "withheld": True}
    heads = [{"value": h.value, "by": h.author or None, "at": h.at} for h in c.heads]
    return {"id": c.id, "kind": c.kind, "case": c.case_ref or None, "question": c.field,
            "values": [h["value"] for h in heads], "heads": heads,
            # The two readings side by side, oldest first (the shape hmip 0.1 printed).
            "held": heads[0]["value"], "held_by": heads[0]["by"],
            "incoming": heads[-1]["value"], "incoming_by": heads[-1]["by"],
            "source": ", ".join(sorted({h["by"] or "unknown" for h in heads}))}


def moderation_status(conn: sqlite3.Connection, framework: Framework, reader: str | None = None) -> dict:
    """What moderation has left to do, and how far first and second readers agree, as `reader`
    may see it."""
    from ..agreement import by_question, by_standard

    hidden = closed_to(conn, reader)
    pairs = store_moderation.pairs(conn, framework)
    readings = second_readings(conn)
    open_conflicts = conflicts(conn)
    apart = store_moderation.unsettled(pairs)
    return {
        "open_conflicts": len(open_conflicts),
        "disagreements": len(apart),
        "awaiting_second_reading": sum(not r.finished for r in readings),
        "second_readings": [{"case": r.case_ref, "reader": r.reader, "finished": r.finished}
                            for r in readings],
        "conflicts": [_conflict(c, hidden) for c in open_conflicts],
        "disagreement_list": [{"case": p.case_ref, "question": p.question, "withheld": True}
                              if p.case_ref in hidden else
                              {"case": p.case_ref, "question": p.question, "first": p.first,
                               "second": p.second} for p in apart],
        "agreement": {"key_questions": {k: _figure(a) for k, a in by_question(framework, pairs).items()},
                      "standards": {k: _figure(a) for k, a in by_standard(framework, pairs).items()}},
    }
