"""Searching the evidence (`hmip search`, `/` in the app): what it finds, what it never shows,
and that the index follows every change, redaction and migration."""

from __future__ import annotations

import importlib.metadata
import json
import sqlite3

from conftest import db_content, one_sentence, run_hmip
from test_team import hmip, send, team  # noqa: F401  (the three laptops of test_team)

from hmip_tui import store
from hmip_tui.framework import load_framework
from hmip_tui.store.migrations import SCHEMA_VERSION
from hmip_tui.services import create_demo, open_database, search_evidence
from hmip_tui.tui.app import HmipApp
from hmip_tui.tui.screens.case_walk import CaseWalkScreen
from hmip_tui.tui.screens.search import SearchScreen

FW = load_framework()


def search(laptop, *words, check=True) -> dict:
    return json.loads(hmip(laptop, "search", *words, "--json", check=check).stdout)


def test_search_finds_the_case_whose_note_has_the_word_and_i3_never_sees_a_limited_access_one(team):
    _, i2, _ = team
    hmip(i2, "answer", "C1", "2.2.1", "no", "--note", "No home visits; the zebrafish tank was mentioned.")
    hmip(i2, "answer", "R1", "2.2.1", "no", "--note", "The victim keeps zebrafish two streets away.")
    hmip(i2, "answer", "C2", "2.2.1", "yes", "--note", "Nothing about fish here.")
    found = search(i2, "zebrafish")
    assert set(found) == {"text", "count", "shown", "matches"}
    assert found["count"] == found["shown"] == 2
    assert [(m["case"], m["question"], m["kind"]) for m in found["matches"]] == [
        ("C1", "2.2.1", "note"), ("R1", "2.2.1", "note")]
    c1 = found["matches"][0]
    assert c1["label"] == FW.question("2.2.1").text
    assert [c1["snippet"][a:b] for a, b in c1["marks"]] == ["zebrafish"]
    # I3 on I2's database: the limited-access case is not there at all, not even withheld.
    as_i3 = (i2[0], "I3")
    seen = search(as_i3, "zebrafish")
    assert [m["case"] for m in seen["matches"]] == ["C1"] and seen["count"] == 1
    plain = hmip(as_i3, "search", "zebrafish").stdout
    assert "C1" in plain and "R1" not in plain and "streets" not in plain
    assert search(as_i3, "streets")["count"] == 0
    # Words are all required, stemmed as an inspector means them, any order.
    assert [m["case"] for m in search(i2, "visit", "home")["matches"]] == ["C1"]
    assert [m["case"] for m in search(i2, "tank zebrafish")["matches"]] == ["C1"]


def test_judgements_and_reasons_are_found_and_a_changed_note_is_found_as_it_now_stands(team):
    lead, _, _ = team
    hmip(lead, "judge", "1.1", "inadequate", "--evidence", "No exit strategy for the unallocated caseload.")
    hmip(lead, "case", "set", "C1", "sex", "female", "--reason", "Wrong on the sampling spreadsheet.")
    hmip(lead, "answer", "C3", "2.2.1", "no", "--note", "A first draft mentioning porcupines.")
    hmip(lead, "note", "C3", "2.2.1", "Rewritten without the animal.")
    judged = search(lead, "caseload")["matches"]
    assert [(m["case"], m["question"], m["kind"]) for m in judged] == [(None, "1.1", "judgement")]
    reasons = search(lead, "spreadsheet")["matches"]
    assert [(m["case"], m["question"], m["kind"], m["label"]) for m in reasons] == [
        ("C1", "sex", "reason", "reason for changing sex")]
    assert search(lead, "porcupines")["count"] == 0
    assert [m["case"] for m in search(lead, "animal")["matches"]] == ["C3"]
    hmip(lead, "judge", "1.1", "requires_improvement", "--evidence", "An exit strategy is drafted.")
    assert search(lead, "caseload")["count"] == 0 and search(lead, "drafted")["count"] == 1


def test_a_new_value_with_the_same_note_leaves_the_index_alone_and_a_cleared_answer_leaves_it(team):
    lead, _, _ = team
    hmip(lead, "answer", "C3", "2.2.1", "no", "--note", "Kept as written.")
    row = sqlite3.connect(lead[0]).execute("SELECT id FROM evidence_text WHERE case_ref = 'C3'").fetchall()
    hmip(lead, "answer", "C3", "2.2.1", "yes", "--note", "Kept as written.")  # the same words: no index work
    assert sqlite3.connect(lead[0]).execute("SELECT id FROM evidence_text WHERE case_ref = 'C3'").fetchall() == row
    conn = open_database(lead[0])
    from hmip_tui.services import clear_answer

    clear_answer(conn, "C3", "2.2.1", "LF")
    conn.close()
    assert search(lead, "written")["count"] == 0


def test_a_blind_second_reader_does_not_find_the_first_readings_notes(tmp_path):
    conn = open_database(tmp_path / "demo.sqlite")
    create_demo(conn, FW, lead="LEAD")
    from hmip_tui.store.moderation import assign_second_reading

    noted = {ref for (ref,) in conn.execute(
        "SELECT DISTINCT c.ref FROM answer a JOIN case_file c ON c.id = a.case_id "
        "WHERE c.inspector = 'INSP2' AND a.note LIKE '%visit%'")}
    blind = sorted(noted)[0]
    assert blind in {m["case"] for m in search_evidence(conn, FW, "visit", "INSP3", limit=10_000)["matches"]}
    assign_second_reading(conn, FW, blind, "INSP3", "LEAD")
    found = search_evidence(conn, FW, "visit", "INSP3", limit=10_000)
    assert blind not in {m["case"] for m in found["matches"]} and found["count"] == len(found["matches"])


def test_redaction_takes_the_word_out_of_the_search_and_out_of_the_file(team, tmp_path):
    lead, i2, _ = team
    hmip(i2, "answer", "C1", "2.2.1", "no", "--note", "Spoke to Mr Zanzibarquux at the office.")
    send(i2, lead, tmp_path, "i2-name")
    assert search(lead, "zanzibarquux")["count"] == 1
    assert b"zanzibarquux" in lead[0].read_bytes()  # the index's own lower-case word: the check can fail
    hmip(lead, "redact", "C1", "2.2.1", "--reason", "A name typed by mistake.")
    assert search(lead, "zanzibarquux")["count"] == 0
    raw = lead[0].read_bytes().lower()
    assert raw.count(b"zanzibarquux") == 0
    conn = sqlite3.connect(lead[0])
    conn.execute("CREATE VIRTUAL TABLE temp.words USING fts5vocab(main, evidence_text_fts, row)")
    assert conn.execute("SELECT count(*) FROM temp.words WHERE term LIKE 'zanzibar%'").fetchone()[0] == 0


def test_a_schema_6_database_gets_its_index_built_from_the_notes_it_holds(team):
    lead, _, _ = team
    hmip(lead, "answer", "C3", "2.2.1", "no", "--note", "Written before search existed: quokka.")
    hmip(lead, "judge", "1.1", "good", "--evidence", "Quokka-level optimism in the staff survey.")
    raw = sqlite3.connect(lead[0], isolation_level=None)
    for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND "
                               "(name LIKE 'evidence%')").fetchall():
        raw.execute(f"DROP TRIGGER {name}")
    raw.execute("DROP TABLE evidence_text_fts")
    raw.execute("DROP TABLE evidence_text")
    raw.execute("DROP INDEX entry_reason")
    raw.execute("DROP TABLE note_draft")  # schema 8's, made again on the way up
    raw.execute("PRAGMA user_version=6")  # what schema 6 held: schema 7 only adds
    raw.close()
    found = search(lead, "quokka")
    assert sorted((m["case"] or "", m["kind"]) for m in found["matches"]) == [("", "judgement"), ("C3", "note")]
    assert sqlite3.connect(lead[0]).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert list((lead[0].parent / "backups").glob(f"*before-migration-6-to-{SCHEMA_VERSION}*"))
    hmip(lead, "answer", "C1", "2.2.1", "no", "--note", "After the migration: quokka again.")
    assert search(lead, "quokka")["count"] == 3


def test_a_lost_search_trigger_is_given_back_and_the_index_rebuilt(team):
    lead, _, _ = team
    raw = sqlite3.connect(lead[0], isolation_level=None)
    raw.execute("DROP TRIGGER evidence_note_added")
    raw.close()
    hmip(lead, "answer", "C3", "2.2.1", "no", "--note", "Given back: wombat.")  # the trigger returns first
    assert [m["case"] for m in search(lead, "wombat")["matches"]] == ["C3"]
    raw = sqlite3.connect(lead[0], isolation_level=None)
    raw.execute("DROP TRIGGER evidence_note_changed")
    raw.execute("UPDATE answer SET note = 'Changed behind its back: numbat.' WHERE question = '2.2.1'")
    raw.close()
    assert search(lead, "wombat")["count"] == 0 and search(lead, "numbat")["count"] == 1
    raw = sqlite3.connect(lead[0], isolation_level=None)
    raw.execute("DROP TRIGGER evidence_text_ai")  # one of those sqlite-utils made for the index
    raw.close()
    hmip(lead, "note", "C3", "2.2.1", "Given back again: quoll.")
    assert search(lead, "quoll")["count"] == 1 and search(lead, "numbat")["count"] == 0


def test_search_text_that_is_not_words_is_one_sentence_and_fts_syntax_is_taken_as_words(team):
    lead, _, _ = team
    hmip(lead, "answer", "C3", "2.2.1", "no", "--note", "The door was left unclosed AND unlocked: NEAR the yard.")
    before = db_content(lead[0])
    for text in ("", "   ", '"', "*** ()"):
        one_sentence(hmip(lead, "search", text, check=False), "the search words have no word in them")
    one_sentence(hmip(lead, "search", "door", "--limit", "0", check=False), "--limit")
    assert db_content(lead[0]) == before
    for text in ('"unclosed', "unclosed AND", "NEAR(yard", "body:door", "unlock*", "door OR", "^door"):
        result = hmip(lead, "search", text, "--json", check=False)
        assert result.returncode == 0, (text, result.stderr)
    assert search(lead, '"unclosed')["count"] == 1
    assert search(lead, "NEAR(yard")["count"] == 1  # the words near and yard, as written
    assert search(lead, "door", "OR", "window")["count"] == 0  # every word, OR among them


def test_a_word_ending_in_a_star_finds_the_words_it_begins(team):
    lead, _, _ = team
    hmip(lead, "answer", "C3", "2.2.1", "no", "--note", "No safeguarding enquiry was made.")
    assert search(lead, "safegu")["count"] == 0  # a whole word, as typed
    assert search(lead, "safegu*")["count"] == 1
    assert search(lead, "safegu*", "enq*")["count"] == 1  # every word still
    assert search(lead, "safegu*", "visit*")["count"] == 0
    assert search(lead, "safegu *")["count"] == 0  # a star on its own begins nothing


def test_sqlite_utils_is_a_runtime_dependency():
    requires = importlib.metadata.requires("hmip-tui")
    plain = [r for r in requires if "extra ==" not in r]
    assert any(r.replace("_", "-").startswith("sqlite-utils") for r in plain), requires


async def test_slash_searches_and_enter_opens_the_case_at_that_question(tmp_path):
    path = tmp_path / "demo.sqlite"
    conn = open_database(path)
    create_demo(conn, FW, lead="LEAD")
    ref = sorted(c.ref for c in store.all_cases(conn) if c.inspector == "LEAD")[0]
    store.record_answer(conn, FW, ref, "2.3.2", "no", "A pangolin was on the risk plan.", "LEAD",
                        reason="A second look at the plan.")
    app = HmipApp(conn, path, "LEAD")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"pangolin", "enter")
        await pilot.pause()
        assert isinstance(app.screen, SearchScreen)
        assert "1 found" in str(app.screen.query_one("#found").render())
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CaseWalkScreen)
        assert app.screen.ref == ref and app.screen.current_question().id == "2.3.2"
        await pilot.press("escape")  # back to the case list, as from any case
        await pilot.press("slash", *"nothing-like-it", "enter", "escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "HomeScreen"


def test_a_large_merge_builds_the_index_whole_and_it_matches_the_notes(tmp_path):
    conn = open_database(tmp_path / "demo.sqlite")
    create_demo(conn, FW, lead="LEAD")  # thousands of answers in one merge: the index built after
    held = conn.execute("SELECT count(*) FROM answer WHERE note IS NOT NULL").fetchone()[0]
    assert held > 0 and conn.execute("SELECT count(*) FROM evidence_text WHERE kind = 'note'").fetchone()[0] == held
    conn.execute("INSERT INTO evidence_text_fts (evidence_text_fts, rank) VALUES ('integrity-check', 1)")
    visits = conn.execute("SELECT count(*) FROM answer WHERE note LIKE '%visit%'").fetchone()[0]
    from hmip_tui.store.search import search as search_all

    assert search_all(conn, '"visit"', set(), 1)[1] == visits > 0  # every case, none closed
    ref = sorted(c.ref for c in store.all_cases(conn) if c.inspector == "LEAD")[0]
    store.record_answer(conn, FW, ref, "2.3.2", "no", "One more: an aardvark.", "LEAD", reason="Again.")
    conn.execute("INSERT INTO evidence_text_fts (evidence_text_fts, rank) VALUES ('integrity-check', 1)")
    assert search_evidence(conn, FW, "aardvark", "LEAD")["count"] == 1


def test_the_json_is_shaped_as_docs_formats_md_shows_it(team):
    from pathlib import Path

    lead, _, _ = team
    hmip(lead, "judge", "1.1", "inadequate", "--evidence", "No policy on a home visit for new cases.")
    hmip(lead, "answer", "C3", "2.2.1", "no", "--note", "No home visit despite safeguarding concerns.")
    doc = (Path(__file__).parent.parent / "docs" / "formats.md").read_text()
    example = json.loads(doc.split("## `hmip search WORDS... --json`")[1].split("```json")[1].split("```")[0])
    found = search(lead, "home", "visit")
    assert set(found) == set(example)
    assert [set(m) for m in found["matches"]] == [set(m) for m in example["matches"]]
    assert [(m["kind"], m["case"] is None) for m in found["matches"]] == [
        (m["kind"], m["case"] is None) for m in example["matches"]]
    for m in example["matches"] + found["matches"]:
        assert [m["snippet"][a:b].lower() for a, b in m["marks"]] == ["home", "visit"]


def test_a_reason_whose_text_arrives_after_its_entry_is_found_when_it_arrives(team):
    """A bundle may carry an entry before the text of its reason (a limited-access case opened to
    the importer later): the reason is searchable from when its text is held."""
    import os

    lead, _, _ = team
    conn = sqlite3.connect(lead[0], isolation_level=None)
    digest, entry_id = os.urandom(32), os.urandom(32)
    conn.execute("BEGIN")
    conn.execute("INSERT INTO entry (id, k, kind, case_ref, field, value, reason, author, at) "
                 "VALUES (?, ?, 'status', 'C1', '', 'complete', ?, 'LF', '2022-08-01T10:00:00')",
                 (entry_id, int.from_bytes(entry_id[:8], "big", signed=True), digest))
    conn.execute("COMMIT")
    assert conn.execute("SELECT count(*) FROM evidence_text WHERE kind = 'reason'").fetchone()[0] == 0
    conn.execute("INSERT INTO text (hash, salt, body) VALUES (?, x'', 'Arrived late: capybara.')", (digest,))
    conn.close()
    found = search(lead, "capybara")["matches"]
    assert [(m["case"], m["kind"], m["label"]) for m in found] == [("C1", "reason", "reason")]
