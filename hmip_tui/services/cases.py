"""The sampled cases and their answers: what an inspector does in a case, and the sample itself."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ..errors import HmipError
from ..framework import Framework
from ..store.access import require_access
from ..store.answers import Answer, answers_for_case, clear_answer, record_answer, record_note
from ..store.drafts import NoteDraft, cases_with_drafts, drafts_for_case, drop_note_draft, note_draft
from ..store.drafts import keep_note_draft as _keep_note_draft
from ..store.cases import (CaseFile, add_case, case_refs, check_ref, clean_profile, get_case,
                           profile_problem, set_resume_at, set_status, update_profile)

__all__ = ["Answer", "CaseFile", "NoteDraft", "cases_with_drafts", "drafts_for_case", "drop_note_draft", "keep_note_draft",
           "note_draft", "FieldChange", "add_case", "set_case_field", "check_ref", "clean_profile", "profile_problem", "answers_for_case", "case_refs", "clear_answer", "get_case",
           "record_answer", "record_note", "set_resume_at", "set_status", "update_profile"]


def may_open(conn: sqlite3.Connection, ref: str, inspector: str | None) -> CaseFile:
    """The case, if this inspector may open it; else HmipError saying why (limited access)."""
    case = get_case(conn, ref)
    require_access(conn, case, inspector)
    return case


def keep_note_draft(conn: sqlite3.Connection, ref: str, question_id: str, inspector: str,
                    text: str) -> None:
    """Keep what is typed of a note, so it outlives the app; checked as a note is checked."""
    from ..checks import check_text

    _keep_note_draft(conn, ref, question_id, inspector, check_text(text, f"the note on {question_id}"))


@dataclass(frozen=True, slots=True)
class FieldChange:
    """What `set_case_field` did, for the sentence that says so."""

    field: str
    label: str
    old: str  # as a person reads it ("" for not recorded)
    new: str
    changed: bool
    cleared: tuple[str, ...] = ()  # fields that stopped applying and were emptied with it


def set_case_field(conn: sqlite3.Connection, framework: Framework, ref: str, field: str, value: str,
                   by: str, reason: str | None = None) -> FieldChange:
    """Change one thing about a case: a profile field (by option id or label; "" empties it) or
    its `status` (complete, or back to in_progress). A complete case changes only with a reason,
    and every change is an entry in its audit trail.

    Fields that stop applying with the change (a report type once no report was prepared) are
    emptied in the same change, as the profile screen does.
    """
    case = may_open(conn, ref, by)
    if field == "status":
        return _set_status(conn, framework, case, value, by, reason)
    f = framework.profile_field(field)
    if f is None:
        known = ", ".join(["status", *(x.id for x in framework.profile)])
        raise HmipError(f"{field!r} is not something a case has here (one of: {known})")
    value = (value or "").strip()
    if f.type == "choice" and value:
        option = next((o for o in f.options if value in (o.id, o.label) or value.lower() == o.label.lower()), None)
        if option is None:
            allowed = ", ".join(o.id for o in f.options)
            raise HmipError(f"case {ref}: {value!r} is not a {f.label.lower()} (use one of: {allowed})")
        value = option.id
    wanted = {**case.profile, field: value}
    if value and not f.applies_to(wanted):
        why = " and ".join(f"{framework.profile_field(c.field).label.lower()} is "
                           f"{' or '.join(sorted(c.values))}" for c in f.conditions)
        raise HmipError(f"case {ref}: {f.label.lower()} applies only where {why}")
    wanted = clean_profile(wanted)
    kept = {k: v for k, v in wanted.items() if framework.profile_field(k).applies_to(wanted)}
    cleared = tuple(sorted(set(wanted) - set(kept)))
    old, new = f.label_of(case.profile.get(field)), f.label_of(value or None)
    if kept == dict(case.profile):
        return FieldChange(field, f.label, old, new, False)
    update_profile(conn, framework, ref, kept, by, reason)
    return FieldChange(field, f.label, old, new, True, cleared)


STATUS_WORDS = {"complete": "complete", "in_progress": "in progress", "not_started": "not started"}


def _set_status(conn, framework: Framework, case: CaseFile, value: str, by: str,
                reason: str | None) -> FieldChange:
    from ..case_checks import missing

    value = (value or "").strip().lower().replace(" ", "_")
    if value not in ("complete", "in_progress"):
        raise HmipError(f"case {case.ref}: a case is set complete or in_progress, not {value!r}")
    old = STATUS_WORDS[case.status]
    if value == case.status:
        return FieldChange("status", "Status", old, old, False)
    if value == "complete":
        left = missing(framework, case.profile, answers_for_case(conn, case.id))
        if left:
            raise HmipError(f"case {case.ref} cannot be complete yet: {len(left)} still missing, "
                            f"first {left[0]}")
    set_status(conn, case.ref, value, by, reason)
    return FieldChange("status", "Status", old, STATUS_WORDS[value], True)


def import_sample(conn: sqlite3.Connection, path: Path, framework: Framework, by: str, *,
                  drop_personal: bool = False) -> int:
    """Add every case of a sample CSV (the lead's job when it names new inspectors)."""
    from ..exchange.sample_csv import import_sample as import_csv

    if not by:
        raise HmipError("say who is importing the sample (--as)")
    return import_csv(conn, path, framework, by=by, drop_personal=drop_personal)
