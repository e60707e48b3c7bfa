"""What the command line and the terminal app both do, in the inspectorate's words.

Glue between the store, the framework and the rating engine; no SQL and no UI here.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from . import store
from .errors import HmipError
from .framework import Framework
from .rating import Ratings, rate


def open_database(path: Path | str, *, create: bool = True) -> sqlite3.Connection:
    return store.connect(path, create=create)


def inspection_framework(conn: sqlite3.Connection) -> Framework:
    return store.require_inspection(conn).framework()


def current_ratings(conn: sqlite3.Connection, framework: Framework | None = None) -> Ratings:
    """The ratings page as the answers and judgements now stand."""
    framework = framework or inspection_framework(conn)
    ratings = rate(framework, store.overall_tallies(conn, framework), store.judgements(conn))
    statuses = dict(conn.execute("SELECT status, count(*) FROM case_file GROUP BY status"))
    ratings.extra["cases"] = {"sampled": sum(statuses.values()),
                              "complete": statuses.get("complete", 0)}
    status = moderation_status(conn, framework)
    ratings.extra["moderation"] = {k: status[k] for k in
                                   ("open_conflicts", "disagreements", "awaiting_second_reading")}
    return ratings


def moderation_status(conn: sqlite3.Connection, framework: Framework) -> dict:
    """What moderation has left to do, and how far first and second readers agree."""
    from .agreement import by_question, by_standard
    from .store import moderation

    def fig(a) -> dict:
        return {"n": a.n, "agreed": a.agreed,
                "percent": None if a.percent is None else round(float(a.percent), 2),
                "kappa": None if a.kappa is None else round(float(a.kappa), 3)}

    pairs = moderation.pairs(conn, framework)
    readings = moderation.second_readings(conn)
    open_conflicts = moderation.conflicts(conn)
    apart = moderation.unsettled(pairs)
    return {
        "open_conflicts": len(open_conflicts),
        "disagreements": len(apart),
        "awaiting_second_reading": sum(not r.finished for r in readings),
        "second_readings": [{"case": r.case_ref, "reader": r.reader, "finished": r.finished}
                            for r in readings],
        "conflicts": [{"id": c.id, "case": c.case_ref, "question": c.question, "held": c.held_value,
                       "held_by": c.held_by, "incoming": c.incoming_value, "incoming_by": c.incoming_by,
                       "source": c.source} for c in open_conflicts],
        "disagreement_list": [{"case": p.case_ref, "question": p.question, "first": p.first,
                               "second": p.second} for p in apart],
        "agreement": {"key_questions": {k: fig(a) for k, a in by_question(framework, pairs).items()},
                      "standards": {k: fig(a) for k, a in by_standard(framework, pairs).items()}},
    }


def create_demo(conn: sqlite3.Connection, framework: Framework, cases: int = 60) -> int:
    """Fill an empty database with the demo inspection; returns the number of cases."""
    from .demo import demo_bundle
    from .exchange.bundle import merge_bundle, parse_bundle

    if store.get_inspection(conn) is not None:
        held = store.get_inspection(conn)
        raise HmipError(f"this database already holds the inspection of {held.pdu}; "
                        "give the demo its own file with --db")
    bundle = parse_bundle(demo_bundle(framework, cases), Path("<demo>"))
    return merge_bundle(conn, bundle, Path("<demo>")).cases_added


@dataclass(frozen=True, slots=True)
class CaseProgress:
    """A line of the inspection home list."""

    ref: str
    inspector: str | None
    sentence_type: str
    rosh: str
    status: str
    answered: int
    required: int
    limited_access: bool
    hidden: bool = False  # limited access and not assigned to the reader: exists, nothing more


def case_progress(conn: sqlite3.Connection, framework: Framework,
                  reader: str | None = None) -> list[CaseProgress]:
    """Every case with answered-of-required counts, counting only questions that apply.

    A limited-access case the reader is not assigned to shows its reference and nothing else.
    """
    from .store.access import is_restricted, refs_open_to

    open_to_reader = refs_open_to(conn, reader) if reader else set()
    fields = framework.applicability_fields()
    required_for: dict[tuple, frozenset[str]] = {}
    sentence = framework.profile_field("sentence_type")
    rosh = framework.profile_field("rosh")
    out = []
    for case in store.cases_with_answered(conn):
        if is_restricted(case.profile) and case.ref not in open_to_reader:
            out.append(CaseProgress(case.ref, None, "", "", "not_started", 0, 0, True, hidden=True))
            continue
        key = tuple(case.profile.get(f) for f in fields)
        if key not in required_for:
            required_for[key] = frozenset(q.id for q in framework.questions.values()
                                          if q.applies_to(case.profile))
        required = required_for[key]
        out.append(CaseProgress(
            case.ref, case.inspector,
            sentence.label_of(case.profile.get("sentence_type")) if sentence else "",
            rosh.label_of(case.profile.get("rosh")) if rosh else "",
            case.status, len(case.answered & required), len(required),
            case.profile.get("limited_access") == "yes",
        ))
    return out
