"""Every change leaves a trace: `hmip case set` changes a case's profile or status, lands in its
audit trail, and changes a complete case only with a reason (the one sentence says so)."""

from __future__ import annotations

import pytest

from conftest import db_content, one_sentence, run_hmip
from hmip_tui import store
from hmip_tui.services import open_database


def a_case(db, complete: bool):
    """An open (not limited-access) male case of the demo, complete or not."""
    conn = open_database(db)
    try:
        return next(c for c in store.all_cases(conn)
                    if (c.status == "complete") == complete and c.profile.get("sex") == "male"
                    and c.profile.get("limited_access") != "yes")
    finally:
        conn.close()


def sex_of(db, ref):
    conn = open_database(db)
    try:
        return store.get_case(conn, ref).profile.get("sex")
    finally:
        conn.close()


def profile_lines(db, ref, inspector):
    printed = run_hmip("audit", ref, db=db, inspector=inspector, check=True).stdout
    return [line for line in printed.splitlines() if " profile " in line and " sex " in line]


def test_case_set_sex_female_shows_in_the_audit_trail(demo_db):
    case = a_case(demo_db, complete=False)
    result = run_hmip("case", "set", case.ref, "sex", "female", db=demo_db, inspector=case.inspector)
    assert result.returncode == 0, result.stderr
    assert f"Case {case.ref}: sex is now Female (was Male)." in result.stdout
    assert sex_of(demo_db, case.ref) == "female"
    last = profile_lines(demo_db, case.ref, case.inspector)[-1]
    assert f" {case.inspector} " in last and "male -> female" in last


def test_a_complete_case_is_refused_a_change_without_a_reason(demo_db):
    case = a_case(demo_db, complete=True)
    before = db_content(demo_db)
    one_sentence(run_hmip("case", "set", case.ref, "sex", "female", db=demo_db, inspector=case.inspector),
                 case.ref, "complete", "--reason")
    assert db_content(demo_db) == before
    assert sex_of(demo_db, case.ref) == "male"
    assert not any("male -> female" in line for line in profile_lines(demo_db, case.ref, case.inspector))


def test_a_complete_case_changes_with_a_reason_and_the_reason_is_in_the_audit_trail(demo_db):
    case = a_case(demo_db, complete=True)
    reason = "Recorded wrongly from the OASys front sheet."
    run_hmip("case", "set", case.ref, "sex", "female", "--reason", reason, db=demo_db,
             inspector=case.inspector, check=True)
    assert sex_of(demo_db, case.ref) == "female"
    last = profile_lines(demo_db, case.ref, case.inspector)[-1]
    assert "male -> female" in last and reason in last


@pytest.mark.parametrize("args, needle", [
    (["sex", "banana"], "'banana' is not a sex"),
    (["shoe_size", "9"], "'shoe_size' is not something a case has"),
    (["status", "finished"], "complete or in_progress"),
])
def test_case_set_refuses_what_a_case_cannot_be_in_one_sentence(demo_db, args, needle):
    case = a_case(demo_db, complete=False)
    before = db_content(demo_db)
    one_sentence(run_hmip("case", "set", case.ref, *args, db=demo_db, inspector=case.inspector), needle)
    assert db_content(demo_db) == before


def test_case_set_on_a_limited_access_case_is_refused_to_who_is_not_assigned(demo_db):
    conn = open_database(demo_db)
    case = next(c for c in store.all_cases(conn) if c.profile.get("limited_access") == "yes")
    conn.close()
    other = next(code for code in ("INSP2", "INSP3", "LF") if code != case.inspector)
    before = db_content(demo_db)
    one_sentence(run_hmip("case", "set", case.ref, "sex", "female", "--reason", "x", db=demo_db,
                          inspector=other), "limited access")
    assert db_content(demo_db) == before
