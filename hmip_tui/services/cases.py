"""The sampled cases and their answers: what an inspector does in a case, and the sample itself."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..errors import HmipError
from ..framework import Framework
from ..store.access import require_access
from ..store.answers import Answer, answers_for_case, clear_answer, record_answer, record_note
from ..store.cases import (CaseFile, add_case, case_refs, check_ref, clean_profile, get_case,
                           profile_problem, set_resume_at, set_status, update_profile)

__all__ = ["Answer", "CaseFile", "add_case", "check_ref", "clean_profile", "profile_problem", "answers_for_case", "case_refs", "clear_answer", "get_case",
           "record_answer", "record_note", "set_resume_at", "set_status", "update_profile"]


def may_open(conn: sqlite3.Connection, ref: str, inspector: str | None) -> CaseFile:
    """The case, if this inspector may open it; else HmipError saying why (limited access)."""
    case = get_case(conn, ref)
    require_access(conn, case, inspector)
    return case


def import_sample(conn: sqlite3.Connection, path: Path, framework: Framework, by: str, *,
                  drop_personal: bool = False) -> int:
    """Add every case of a sample CSV (the lead's job when it names new inspectors)."""
    from ..exchange.sample_csv import import_sample as import_csv

    if not by:
        raise HmipError("say who is importing the sample (--as)")
    return import_csv(conn, path, framework, by=by, drop_personal=drop_personal)
