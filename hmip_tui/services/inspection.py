"""The inspection as a whole: opening it, founding it (or the demo), its ratings, its cases' progress."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from .. import store
from ..errors import HmipError
from ..framework import Framework
from ..rating import Ratings, rate
from ..store.inspections import Inspection, get_inspection, require_inspection
from ..store.judgements import judgements, record_judgement

__all__ = ["Inspection", "get_inspection", "judgements", "record_judgement", "require_inspection"]


def open_database(path: Path | str, *, create: bool = True) -> sqlite3.Connection:
    return store.connect(path, create=create)


def check_in_background(conn: sqlite3.Connection) -> None:
    """The whole-file check and the day's backup, made before the first write (store.ready_to_write)
    through a connection of their own, for a caller that runs them beside its own reads."""
    store.ready_to_write(conn, aside=True)


@dataclass
class CheckResult:
    problems: list[str]   # one sentence each; none when all is well
    answers: int          # how many answers the tallies were recounted from
    repaired: bool = False


def check_inspection(conn: sqlite3.Connection, *, repair: bool = False) -> CheckResult:
    """SQLite's full integrity check, and the kept tallies and progress counts against a recount
    from the answers. With `repair`, counts found wrong are rebuilt from the answers (one
    transaction) and checked again; damage to the file itself is left to `hmip restore`."""
    from ..store import tally
    from ..store.registers import answers_unlike_history

    framework = inspection_framework(conn)
    verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
    damaged = [] if verdict == "ok" else [f"SQLite's integrity check: {verdict}"]
    answers = conn.execute("SELECT count(*) FROM answer").fetchone()[0]
    unlike = answers_unlike_history(conn)  # not repaired here: a file edited behind hmip's back
    wrong = tally.differences(conn, framework)
    if repair and wrong and not damaged:
        with store.transaction(conn):
            tally.rebuild(conn, framework)
        return CheckResult(unlike + tally.differences(conn, framework), answers, repaired=True)
    return CheckResult(damaged + unlike + wrong, answers)


def inspection_framework(conn: sqlite3.Connection) -> Framework:
    return store.require_inspection(conn).framework()


def found_inspection(conn: sqlite3.Connection, *, pdu: str, framework: Framework, lead: str,
                     region: str | None = None, fieldwork_start: str | None = None) -> Inspection:
    """Create the inspection this database holds, with `lead` as its lead inspector."""
    with store.transaction(conn):
        return store.create_inspection(conn, pdu=pdu, framework=framework, lead=lead, region=region,
                                       fieldwork_start=fieldwork_start)


def set_up_inspection(conn: sqlite3.Connection, *, pdu: str, framework: Framework, lead: str,
                      region: str | None = None, fieldwork_start: str | None = None,
                      sample: Path | None = None) -> tuple[Inspection, int]:
    """The new-inspection form: found the inspection with `lead` (a code, checked as team codes
    are) as its lead and, if given, import the sample CSV with the checks of `hmip sample
    import`. Every check runs before the first write, and it is all one transaction: a refused
    form leaves the database as it was. Returns the inspection and how many cases it has."""
    from ..checks import check_code, check_date
    from ..exchange.sample_csv import add_sample, read_sample

    if not pdu.strip():
        raise HmipError("the PDU inspected is empty: name it")
    if fieldwork_start:  # checked in the form's order, so the first sentence is the first field
        fieldwork_start = check_date(fieldwork_start, "the fieldwork start")
    if not lead.strip():
        raise HmipError("the lead inspector's code is empty: give the code of whoever leads the team")
    lead = check_code(lead.strip(), "the lead inspector's code")
    rows = read_sample(Path(sample).expanduser(), framework) if sample else []
    with store.transaction(conn):
        inspection = store.create_inspection(conn, pdu=pdu, framework=framework, lead=lead,
                                             region=region, fieldwork_start=fieldwork_start)
        if rows:
            add_sample(conn, Path(sample).expanduser(), rows, lead)
    return inspection, len(rows)


def case_counts(conn: sqlite3.Connection) -> dict:
    """The sample's progress, counted one way everywhere: every case, limited access included.

    The figures are `provisional` while any sampled case is not complete (or none is sampled):
    an answer still to come can move any percentage, and so any rating.
    """
    statuses = store.status_counts(conn)
    sampled = sum(statuses.values())
    return {"sampled": sampled, "complete": statuses["complete"],
            "provisional": sampled == 0 or statuses["complete"] < sampled}


def current_ratings(conn: sqlite3.Connection, framework: Framework | None = None) -> Ratings:
    """The ratings page as the answers and judgements now stand, marked provisional until every
    sampled case is complete."""
    framework = framework or inspection_framework(conn)
    ratings = rate(framework, store.overall_tallies(conn, framework), store.judgements(conn))
    counts = case_counts(conn)
    ratings.extra["provisional"] = counts["provisional"]
    ratings.extra["cases"] = {"sampled": counts["sampled"], "complete": counts["complete"]}
    from .moderation import moderation_counts

    ratings.extra["moderation"] = moderation_counts(conn, framework)
    return ratings


def create_demo(conn: sqlite3.Connection, framework: Framework, cases: int = 60, lead: str = "LEAD") -> int:
    """Fill an empty database with the demo inspection, `lead` its lead and the reader of a third
    of its cases; returns the number of cases."""
    from ..demo import demo_bundle

    if store.get_inspection(conn) is not None:
        held = store.get_inspection(conn)
        raise HmipError(f"this database already holds the inspection of {held.pdu}; "
                        "give the demo its own file with --db")
    return found_from_v1(conn, framework, demo_bundle(framework, cases, lead=lead), lead)


def found_from_v1(conn: sqlite3.Connection, framework: Framework, data: dict, lead: str) -> int:
    """Fill an empty database from an unsigned (hmip-bundle/1) bundle made in this process (the
    demo, the benchmarks' inspections), `lead` its lead; returns the number of cases."""
    from ..exchange.bundle_v1 import entries_from_v1, parse_bundle
    from ..store import team
    from ..store.merge import Received, merge

    bundle = parse_bundle(data, Path("<demo>"))
    entries, texts = entries_from_v1(bundle, data["created"])
    with store.transaction(conn):
        merge(conn, Received(Path("<demo>"), bundle.inspection["uid"], (framework.id, framework.version),
                             entries, [], texts, lead, signed=False, ids=[e.id for e in entries]), lead)
        team.add(conn, lead, "lead", lead)
        for code in sorted({c.inspector for c in bundle.cases if c.inspector} - {lead}):
            team.add(conn, code, "inspector", lead)
    return len(bundle.cases)


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
    sentence_short: str = ""  # the framework's short label ("Licence"), for narrow screens


def case_progress(conn: sqlite3.Connection, framework: Framework,
                  reader: str | None = None) -> list[CaseProgress]:
    """Every case with answered-of-required counts, counting only questions that apply: read from
    the counts kept with the answers, so the home screen never reads the answers themselves.

    A limited-access case the reader is not assigned to shows its reference and nothing else;
    its status is kept (never shown in its row) so that the home screen counts the sample as
    the dashboard and `hmip rate` do: every case, limited access included.
    """
    from ..store.access import refs_open_to

    open_to_reader = refs_open_to(conn, reader) if reader else set()
    sentence = framework.profile_field("sentence_type")
    rosh = framework.profile_field("rosh")
    out = []
    for case in store.cases_with_progress(conn):
        if case.limited_access and case.ref not in open_to_reader:
            out.append(CaseProgress(case.ref, None, "", "", case.status, 0, 0, True, hidden=True))
            continue
        out.append(CaseProgress(
            case.ref, case.inspector,
            sentence.label_of(case.sentence_type) if sentence else "",
            rosh.label_of(case.rosh) if rosh else "",
            case.status, case.answered, case.required, case.limited_access,
            sentence_short=sentence.short_label_of(case.sentence_type) if sentence else "",
        ))
    return out
