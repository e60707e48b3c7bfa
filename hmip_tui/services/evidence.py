"""Each figure traced to its evidence: the cases behind a question's percentage, with their notes.

This is how a report's findings get their examples. A case the reader may not open (limited
access, or a case they are second-reading blind) is listed by reference as withheld, so the list
always holds exactly as many cases as the figure counts.
"""

from __future__ import annotations

import sqlite3

from ..framework import Framework
from ..rating import exact_percent
from ..store.access import closed_to
from ..store.evidence import cases_behind

VALUES = ("yes", "no")


def evidence(conn: sqlite3.Connection, framework: Framework, question_id: str, reader: str | None,
             value: str | None = None) -> dict:
    """The cases behind `question_id`'s figure as `reader` may see them: those counted Yes or No,
    or only those counted `value`. Counts are of every case, as `hmip rate` counts them."""
    from ..errors import HmipError

    question = framework.question(question_id)
    if value is not None and value not in VALUES:
        raise HmipError(f"--value {value!r}: give yes or no (the answers a figure counts)")
    behind = cases_behind(conn, framework, question.id)
    hidden = closed_to(conn, reader)
    yes = sum(b.counts_as == "yes" for b in behind)
    cases = []
    for b in behind:
        if value is not None and b.counts_as != value:
            continue
        if b.ref in hidden:
            cases.append({"ref": b.ref, "withheld": True})
            continue
        option = question.type.option(b.value)
        cases.append({"ref": b.ref, "counts_as": b.counts_as, "value": b.value, "answer": option.label,
                      "note": b.note, "note_withheld": b.note_withheld, "inspector": b.inspector,
                      "answered_by": b.answered_by, "answered_at": b.answered_at})
    percent = exact_percent(yes, len(behind))
    return {"question": question.id, "text": question.text, "kind": question.kind,
            "standard": question.standard_id, "value": value,
            "yes": yes, "no": len(behind) - yes, "relevant": len(behind),
            "percent": None if percent is None else round(float(percent), 2),
            "count": len(cases), "withheld": sum(1 for c in cases if c.get("withheld")),
            "cases": cases}
