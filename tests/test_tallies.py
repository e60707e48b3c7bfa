"""The kept tallies and progress counts equal a recount of the answers, whatever path changed them."""

from __future__ import annotations

import json
import sqlite3

from conftest import run_hmip

from hmip_tui import store
from hmip_tui.framework import load_framework
from hmip_tui.services import open_database
from hmip_tui.store import counts, tally
from hmip_tui.store.answers import clear_answer, record_answer
from hmip_tui.store.cases import update_profile


def recounted(conn, framework, split: bool):
    """What rating and the breakdowns would read, counted from every answer instead."""
    fields = tally.spec_of(framework)["split" if split else "rate"]
    out: dict = {}
    for profile, question, value, n in counts.recount(conn, framework):
        key = (json.dumps({f: profile.get(f) for f in fields if profile.get(f) is not None}, sort_keys=True),
               question, value)
        out[key] = out.get(key, 0) + n
    return out


def kept(conn, framework, split: bool):
    out: dict = {}
    for profile, question, value, n in counts._rows(conn, framework, split=split):
        if n:
            out[(json.dumps(profile, sort_keys=True), question, value)] = n
    return out


def assert_in_step(path):
    conn = open_database(path)
    framework = load_framework()
    assert tally.in_step(conn, framework)
    assert tally.differences(conn, framework) == []
    for split in (False, True):
        assert kept(conn, framework, split) == recounted(conn, framework, split)
    conn.close()
    result = run_hmip("check", db=path)
    assert result.returncode == 0 and "sound" in result.stdout, result.stderr


def test_the_tallies_follow_answers_changes_take_backs_and_profile_changes(demo_db):
    assert_in_step(demo_db)
    conn = open_database(demo_db)
    framework = load_framework()
    from hmip_tui.store.access import can_open

    refs = [r for (r,) in conn.execute("SELECT ref FROM case_file WHERE status != 'complete' ORDER BY ref")
            if can_open(conn, store.get_case(conn, r), "LF")][:6]
    before = store.overall_tallies(conn, framework)["2.2.1"]
    record_answer(conn, framework, refs[0], "2.2.1", "yes", answered_by="LF")
    record_answer(conn, framework, refs[0], "2.2.1", "no", answered_by="LF")  # changed
    record_answer(conn, framework, refs[1], "2.2.1", "no", answered_by="LF")
    clear_answer(conn, refs[1], "2.2.1", by="LF")  # taken back
    # Applicability and breakdowns read the profile: a case moving group moves its counts.
    for ref in refs[2:5]:
        profile = dict(store.get_case(conn, ref).profile)
        profile["sentence_type"] = "licence" if profile.get("sentence_type") != "licence" else "community_order"
        profile["rosh"] = "high"
        update_profile(conn, framework, ref, profile, by="LF")
    after = store.overall_tallies(conn, framework)["2.2.1"]
    conn.close()
    assert_in_step(demo_db)
    assert after.relevant >= before.relevant  # the counts moved, and moved to the recount's figures
    assert run_hmip("answer", refs[5], "2.2.1", "yes", db=demo_db, inspector="LF").returncode == 0
    assert_in_step(demo_db)


def test_the_tallies_follow_imports_and_merges(report_db, tmp_path):
    assert_in_step(report_db)  # built by a bundle import into an empty database
    sample = tmp_path / "more.csv"
    sample.write_text("ref,inspector,sentence_type,sex,rosh,pre_sentence_report\n"
                      "NEW1,LF,licence,male,low,no\nNEW2,LF,community_order,female,high,yes\n")
    run_hmip("sample", "import", str(sample), db=report_db, check=True)
    run_hmip("answer", "NEW1", "2.2.1", "yes", db=report_db, check=True)
    out = tmp_path / "lead.hmip.json"
    run_hmip("bundle", "export", "--full", "--out", str(out), db=report_db, check=True)
    copy = tmp_path / "copy.sqlite"
    run_hmip("bundle", "import", str(out), db=copy, check=True)
    assert_in_step(copy)
    assert_in_step(report_db)


def test_check_finds_a_count_changed_behind_hmips_back_and_repair_rebuilds_it(report_db):
    raw = sqlite3.connect(report_db)
    raw.execute("UPDATE tally SET n = n + 1 WHERE question = '2.2.1' AND value = 'yes'")
    raw.execute("UPDATE case_file SET answered = answered + 2 WHERE ref = 'HF0001'")
    raw.commit()
    raw.close()
    found = run_hmip("check", db=report_db)
    assert found.returncode == 1
    assert "tally of 2.2.1 = yes" in found.stdout and "case HF0001" in found.stdout
    assert "hmip check --repair" in found.stderr and len(found.stderr.strip().splitlines()) == 1
    repaired = run_hmip("check", "--repair", db=report_db)
    assert repaired.returncode == 0 and "rebuilt" in repaired.stdout, repaired.stderr
    assert_in_step(report_db)


def test_a_lost_tally_trigger_is_given_back_and_the_counts_rebuilt(report_db):
    raw = sqlite3.connect(report_db)
    raw.execute("DROP TRIGGER answer_recounted")
    raw.execute("UPDATE answer SET value = 'no' WHERE value = 'yes' AND question = '2.2.1'")  # counts now stale
    raw.commit()
    raw.close()
    assert_in_step(report_db)  # the next open restores the trigger and rebuilds what it missed


def test_tallies_built_under_other_fields_are_rebuilt_on_open(report_db):
    raw = sqlite3.connect(report_db)
    spec = json.loads(raw.execute("SELECT value FROM derived WHERE name = 'tally_spec'").fetchone()[0])
    spec["rate"] = []  # as if an older framework's applicability read no fields
    raw.execute("UPDATE derived SET value = ? WHERE name = 'tally_spec'", (json.dumps(spec),))
    raw.execute("DELETE FROM tally")
    raw.commit()
    raw.close()
    conn = store.connect(report_db)
    framework = load_framework()
    assert tally.in_step(conn, framework)
    conn.close()
    assert_in_step(report_db)


def test_a_large_merge_counted_afresh_gives_the_same_tallies(report_db, report_bundle_file, tmp_path, monkeypatch):
    """A merge bringing many answers at once sets the per-answer triggers aside and recounts;
    the result is the same, and the triggers are back as made."""
    from hmip_tui.services import import_bundles
    from hmip_tui.store.migrations import protections_missing

    monkeypatch.setattr(tally, "BULK_AT", 100)  # the report's 41 cases are a small inspection
    joined = tmp_path / "joined.sqlite"
    conn = open_database(joined)
    import_bundles(conn, [report_bundle_file], "LF")
    assert not protections_missing(conn)
    conn.close()
    assert_in_step(joined)
    raw = sqlite3.connect(joined)
    assert raw.execute("SELECT count(*) FROM answer").fetchone()[0] >= 800  # the bulk path was taken
    raw.close()
