"""Sampled cases: their reference, inspector, profile and progress."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from types import MappingProxyType
import sqlite3
from dataclasses import dataclass
from datetime import date

from ..errors import HmipError
from ..framework import Framework
from . import history, registers
from .database import transaction
from .inspections import now

CASE_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,63}$")
STATUSES = ("not_started", "in_progress", "complete")


@dataclass(frozen=True, slots=True)
class CaseFile:
    id: int
    ref: str
    inspector: str | None
    profile: dict
    status: str
    resume_at: str | None
    moderated_at: str | None = None  # set when moderation locked the case

    @property
    def locked(self) -> bool:
        return self.moderated_at is not None


def check_ref(ref: str, where: str) -> str:
    ref = (ref or "").strip()
    if not CASE_REF.match(ref):
        raise HmipError(
            f"{where}: case reference {ref!r} is not valid (letters, digits and - _ . / only, "
            "up to 64 characters; a reference, never a name)"
        )
    return ref


def profile_problem(framework: Framework, profile: dict, *, by_label: bool = False) -> str | None:
    """The first thing wrong with a case profile, as a phrase naming the field; None if sound.
    Files and commands name a field by its id (the column or argument to fix); the app's form,
    `by_label`, by the label beside it."""
    known = {f.id for f in framework.profile}
    for key in profile:
        if key not in known:
            return f"field {key!r} is not a profile field of framework {framework.id}"
    for f in framework.profile:
        name = f.label if by_label else f"field {f.id!r}"
        value = profile.get(f.id)
        if value in (None, ""):
            if f.required and f.applies_to(profile):
                if not by_label:
                    return f"field {f.id!r} ({f.label}) is required"
                # A form shows every field: name all it still needs, not one a try.
                missing = [g.label for g in framework.profile if g.required and g.applies_to(profile)
                           and profile.get(g.id) in (None, "")]
                return (f"{missing[0]} is required" if len(missing) == 1 else
                        f"{', '.join(missing[:-1])} and {missing[-1]} are required")
            continue
        if not isinstance(value, str):
            return f"{name} must be text, not {type(value).__name__}"
        if f.type == "choice" and value not in {o.id for o in f.options}:
            allowed = ", ".join(o.id for o in f.options)
            return f"{name} has {value!r}, which is not one of: {allowed}"
        if f.type == "date":
            try:
                date.fromisoformat(value)
            except ValueError:
                return f"{name} has {value!r}, which is not a date (YYYY-MM-DD)"
    return None


def clean_profile(profile: dict) -> dict:
    """Drop empty values, so that 'not recorded' is one thing, not two."""
    return {k: v for k, v in profile.items() if v not in (None, "")}


@lru_cache(maxsize=8192)
def _profile(text: str) -> MappingProxyType:
    """A stored profile, parsed once per distinct text (the save path reads its case's profile
    with every answer). Read-only, since the same one is handed to every caller."""
    return MappingProxyType(json.loads(text))


def _row_to_case(row) -> CaseFile:
    return CaseFile(row[0], row[1], row[2], _profile(row[3]), row[4], row[5], row[6])


_CASE_COLUMNS = "id, ref, inspector, profile, status, resume_at, moderated_at"


def get_case(conn: sqlite3.Connection, ref: str) -> CaseFile:
    row = conn.execute(f"SELECT {_CASE_COLUMNS} FROM case_file WHERE ref = ?", (ref,)).fetchone()
    if row is None:
        raise HmipError(f"no case {ref!r} in this inspection")
    return _row_to_case(row)


def all_cases(conn: sqlite3.Connection) -> list[CaseFile]:
    return [_row_to_case(r) for r in conn.execute(f"SELECT {_CASE_COLUMNS} FROM case_file ORDER BY ref")]


def case_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM case_file").fetchone()[0]


def status_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """How many cases stand at each status, every case counted (limited access or not): the one
    count the home screen, the dashboard, `hmip rate` and the workbook all show. A moderated
    (locked) case is complete."""
    counts = dict.fromkeys(STATUSES, 0)
    counts.update(conn.execute("SELECT status, count(*) FROM case_file GROUP BY status"))
    return counts


def case_entries(ref: str, inspector: str | None, profile: dict, *, author: str, at: str,
                 flags: str = history.PLAIN) -> list[history.Entry]:
    """A new case as history: who reads it, then each profile field as a register of its own
    (so that two laptops changing different fields never conflict)."""
    out = [history.make_entry("case", ref, "", inspector or "", author=author, at=at, flags=flags)]
    out += [history.make_entry("profile", ref, f, v, author=author, at=at, flags=flags)
            for f, v in sorted(profile.items())]
    return out


def add_cases(conn: sqlite3.Connection, cases: list[tuple[str, str | None, dict]], by: str) -> None:
    """Add checked new cases [(ref, inspector, profile)] inside the caller's transaction. Codes
    not on the team join it as inspectors (the lead's to decide)."""
    from . import team

    team.ready_to_write(conn, by)
    newcomers = sorted({i for _, i, _ in cases if i} - set(team.members(conn)))
    if newcomers:
        team.require_lead(conn, by, f"add {', '.join(newcomers)} to the team")
        for code in newcomers:
            team.add(conn, code, "inspector", by)
    stamp = now()
    registers.advance(conn, [e for ref, inspector, profile in cases
                             for e in case_entries(ref, inspector, profile, author=by, at=stamp)])


def add_case(conn: sqlite3.Connection, framework: Framework, ref: str, inspector: str | None,
             profile: dict, by: str) -> CaseFile:
    """Add one case, validated, in its own transaction."""
    ref = check_ref(ref, "case")
    profile = clean_profile(profile)
    problem = profile_problem(framework, profile)
    if problem:
        raise HmipError(f"case {ref}: {problem}")
    with transaction(conn):
        if conn.execute("SELECT 1 FROM case_file WHERE ref = ?", (ref,)).fetchone():
            raise HmipError(f"case {ref} is already in this inspection")
        add_cases(conn, [(ref, inspector, profile)], by)
    return get_case(conn, ref)


def update_profile(conn: sqlite3.Connection, framework: Framework, ref: str, profile: dict, by: str,
                   reason: str | None = None) -> CaseFile:
    """Change a case's profile: one entry per field that changed."""
    from . import team
    from .access import require_access

    profile = clean_profile(profile)
    problem = profile_problem(framework, profile)
    if problem:
        raise HmipError(f"case {ref}: {problem}")
    case = get_case(conn, ref)
    require_access(conn, case, by)
    changed = {f for f in set(profile) | set(case.profile) if profile.get(f) != case.profile.get(f)}
    if not changed:
        return case
    if "limited_access" in changed and "limited_access" in case.profile:
        team.require_lead(conn, by, f"change whether case {ref} is of limited access")
    reason = check_changeable(case, reason)
    with transaction(conn):
        team.ready_to_write(conn, by)
        why = history.write_text(conn, reason)
        for f in sorted(changed):
            registers.write(conn, ("profile", ref, f), profile.get(f, ""), author=by, reason=why)
    return get_case(conn, ref)


def check_changeable(case: CaseFile, reason: str | None) -> str | None:
    """A moderated case is locked; a complete one changes only with a reason (both logged)."""
    if case.locked:
        raise HmipError(f"case {case.ref} is moderated and locked: the lead reopens it with a reason "
                        "first (hmip moderation reopen)")
    reason = reason.strip() if reason and reason.strip() else None
    if case.status == "complete" and reason is None:
        raise HmipError(f"case {case.ref} is complete: give a reason for changing it (--reason)")
    return reason


def set_status(conn: sqlite3.Connection, ref: str, status: str, by: str, reason: str | None = None) -> None:
    """Mark a case complete, or take it back to in progress (with a reason, once complete)."""
    from . import team

    if status not in ("complete", "in_progress"):
        raise HmipError(f"a case is marked complete or in_progress, not {status!r}")
    case = get_case(conn, ref)
    if case.status == status:
        return
    if case.locked:
        raise HmipError(f"case {ref} is moderated and locked: the lead reopens it with a reason first "
                        "(hmip moderation reopen)")
    if case.status == "complete" and not (reason and reason.strip()):
        raise HmipError(f"case {ref} is complete: give a reason for taking it back to in progress (--reason)")
    with transaction(conn):
        team.ready_to_write(conn, by)
        registers.write(conn, ("status", ref, ""), status, author=by,
                        reason=history.write_text(conn, reason.strip() if reason else None))


def set_resume_at(conn: sqlite3.Connection, ref: str, question_id: str) -> None:
    """Remember where the inspector is in the case, so reopening it returns there. This laptop's
    place, not a change to the inspection: not in the history."""
    with transaction(conn):
        conn.execute("UPDATE case_file SET resume_at = ? WHERE ref = ?", (question_id, ref))


@dataclass(frozen=True, slots=True)
class CaseWithProgress:
    ref: str
    inspector: str | None
    sentence_type: str | None  # the profile fields the case list shows and sorts by
    rosh: str | None
    limited_access: bool
    status: str  # not_started, in_progress, complete, or moderated (complete and locked)
    answered: int  # questions answered that apply to the case
    required: int  # questions that apply to the case


def cases_with_progress(conn: sqlite3.Connection) -> list[CaseWithProgress]:
    """Every case with its progress, as kept in step with its answers (store/tally.py): one
    query over the cases, none over the answers. The profile's fields are read by SQLite's JSON
    functions: parsing every profile in Python was a third of the first screen's wait."""
    return [
        CaseWithProgress(ref, inspector, sentence, rosh, limited == "yes", "moderated" if moderated else status,
                         answered, required or 0)
        for ref, inspector, sentence, rosh, limited, status, moderated, answered, required in conn.execute(
            "SELECT c.ref, c.inspector, json_extract(c.profile, '$.sentence_type'), json_extract(c.profile, '$.rosh'), "
            "json_extract(c.profile, '$.limited_access'), c.status, c.moderated_at, c.answered, r.n FROM case_file c "
            "LEFT JOIN (SELECT facet, count(*) AS n FROM applicable GROUP BY facet) r ON r.facet = c.rate_facet "
            "ORDER BY c.ref")
    ]


def case_refs(conn: sqlite3.Connection) -> list[str]:
    return [ref for (ref,) in conn.execute("SELECT ref FROM case_file ORDER BY ref")]
