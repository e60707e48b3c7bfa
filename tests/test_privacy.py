"""Never leak a case: limited-access cases, exports without their notes, sealed bundles."""

from __future__ import annotations

import base64
import csv
import json
import os

import openpyxl
import pytest
from textual.widgets import DataTable

from conftest import db_content, run_hmip

from hmip_tui import store
from hmip_tui.framework import load_framework
from hmip_tui.services import open_database
from hmip_tui.tui.app import HmipApp
from hmip_tui.tui.screens.case_walk import CaseWalkScreen
from hmip_tui.tui.screens.home import HomeScreen

FW = load_framework()
SECRET = "Victim lives at the family address; MAPPA level 2 meeting notes."
PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def restricted_db(db):
    conn = open_database(db)
    with store.transaction(conn):
        store.create_inspection(conn, pdu="Privacy PDU", framework=FW, lead="LF")
    base = {"sentence_type": "licence", "sex": "male", "rosh": "very_high", "pre_sentence_report": "no"}
    store.add_case(conn, FW, "R1", "I2", {**base, "limited_access": "yes"}, "LF")
    store.add_case(conn, FW, "C1", "I3", base, "LF")
    store.record_answer(conn, FW, "R1", "2.2.3", "no", SECRET, "I2")
    store.record_answer(conn, FW, "C1", "2.2.3", "yes", "Ordinary note.", "I3")
    conn.close()
    return db


def test_another_inspector_cannot_answer_a_limited_access_case(restricted_db):
    before = db_content(restricted_db)
    result = run_hmip("answer", "R1", "2.2.1", "yes", db=restricted_db, inspector="I3")
    assert result.returncode == 1 and "R1 is a limited access case" in result.stderr
    assert db_content(restricted_db) == before
    assert run_hmip("answer", "R1", "2.2.1", "yes", db=restricted_db, inspector="I2").returncode == 0


async def test_another_inspector_sees_that_it_exists_and_nothing_more(restricted_db):
    app = HmipApp(open_database(restricted_db), restricted_db, "I3")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("a")  # all cases
        table = app.screen.query_one(DataTable)
        row = [str(c) for c in table.get_row("R1")]
        assert row[0] == "R1" and row[1] == "limited access" and row[6] == "LA"
        assert "Post-release" not in " ".join(row) and "Very high" not in " ".join(row)
        table.move_cursor(row=table.get_row_index("R1"))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)  # not opened
        app.open_case("R1")  # nor by the command palette's route
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_the_assigned_inspector_sees_the_case_and_its_notes(restricted_db):
    app = HmipApp(open_database(restricted_db), restricted_db, "I2")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CaseWalkScreen) and app.screen.ref == "R1"
        app.screen.go_to("2.2.3")
        await pilot.pause()
        assert any(SECRET in r.shown_text for r in app.screen.rows)


def test_exports_leave_out_restricted_notes_unless_the_lead_asks(restricted_db, tmp_path):
    csv_out, wb_out, bundle_out = tmp_path / "a.csv", tmp_path / "w.xlsx", tmp_path / "b.hmip.json"
    run_hmip("export", "csv", "--out", str(csv_out), db=restricted_db, check=True)
    run_hmip("export", "workbook", "--out", str(wb_out), db=restricted_db, check=True)
    result = run_hmip("bundle", "export", "--out", str(bundle_out), db=restricted_db, check=True)
    assert "the evidence notes of 1 limited-access case were left out" in result.stdout

    rows = list(csv.DictReader(csv_out.open(encoding="utf-8")))
    r1 = next(r for r in rows if r["case_ref"] == "R1")
    assert r1["note"] == "" and r1["note_withheld"] == "yes"
    assert next(r for r in rows if r["case_ref"] == "C1")["note"] == "Ordinary note."
    assert SECRET not in csv_out.read_text(encoding="utf-8")

    wb = openpyxl.load_workbook(wb_out, read_only=True)
    cells = [c for sheet in wb for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert SECRET not in cells and "(withheld: limited access case)" in cells
    assert "1: their evidence notes are left out of this workbook" in cells

    bundle = json.loads(bundle_out.read_text())
    assert SECRET not in bundle_out.read_text()
    assert next(c for c in bundle["cases"] if c["ref"] == "R1")["notes_withheld"] is True
    # Merging it back does not mistake the withheld note for a different answer.
    assert run_hmip("bundle", "import", str(bundle_out), db=restricted_db).returncode == 0

    refused = run_hmip("export", "csv", "--include-restricted-notes", "--out", str(csv_out),
                       db=restricted_db, inspector="I3")
    assert refused.returncode == 1 and "only the lead inspector" in refused.stderr
    run_hmip("export", "csv", "--include-restricted-notes", "--out", str(csv_out),
             db=restricted_db, inspector="LF", check=True)
    assert SECRET not in csv_out.read_text(encoding="utf-8")  # the lead may not open R1 yet
    run_hmip("case", "grant", "R1", "LF", db=restricted_db, inspector="LF", check=True)
    run_hmip("export", "csv", "--include-restricted-notes", "--out", str(csv_out),
             db=restricted_db, inspector="LF", check=True)
    assert SECRET in csv_out.read_text(encoding="utf-8")
    assert "carried the notes of limited-access cases R1" in run_hmip("audit", db=restricted_db, check=True).stdout


def test_the_lead_can_assign_another_inspector(restricted_db):
    assert run_hmip("case", "grant", "R1", "I3", db=restricted_db, inspector="I2").returncode == 1
    run_hmip("case", "grant", "R1", "I3", db=restricted_db, inspector="LF", check=True)
    assert run_hmip("answer", "R1", "2.2.1", "yes", db=restricted_db, inspector="I3").returncode == 0


def _sealed(db, tmp_path):
    out = tmp_path / "team.hmip.json.sealed"
    os.environ["HMIP_BUNDLE_PASSPHRASE"] = PASSPHRASE
    try:
        run_hmip("bundle", "export", "--encrypt", "--out", str(out), db=db, check=True)
    finally:
        del os.environ["HMIP_BUNDLE_PASSPHRASE"]
    return out


def _import(db, path, passphrase):
    env_before = os.environ.get("HMIP_BUNDLE_PASSPHRASE")
    if passphrase is not None:
        os.environ["HMIP_BUNDLE_PASSPHRASE"] = passphrase
    try:
        return run_hmip("bundle", "import", str(path), db=db)
    finally:
        os.environ.pop("HMIP_BUNDLE_PASSPHRASE", None)
        if env_before:
            os.environ["HMIP_BUNDLE_PASSPHRASE"] = env_before


def test_a_sealed_bundle_round_trips_with_its_passphrase(report_db, tmp_path):
    sealed = _sealed(report_db, tmp_path)
    text = sealed.read_text()
    assert "HF0001" not in text and "hmip-bundle-sealed/1" in text and "scrypt" in text
    other = tmp_path / "other.sqlite"
    result = _import(other, sealed, PASSPHRASE)
    assert result.returncode == 0, result.stderr
    rate = lambda db: json.loads(run_hmip("rate", "--json", db=db, check=True).stdout)  # noqa: E731
    assert rate(other) == rate(report_db)


def test_a_wrong_passphrase_or_a_changed_byte_is_refused(report_db, tmp_path):
    sealed = _sealed(report_db, tmp_path)
    other = tmp_path / "other.sqlite"
    run_hmip("init", "--pdu", "Elsewhere", db=other, check=True)
    before = db_content(other)

    wrong = _import(other, sealed, "not the passphrase")
    assert wrong.returncode == 1 and "wrong passphrase, or the file was changed" in wrong.stderr

    envelope = json.loads(sealed.read_text())
    raw = bytearray(base64.b64decode(envelope["ciphertext"]))
    raw[len(raw) // 2] ^= 0x01
    envelope["ciphertext"] = base64.b64encode(bytes(raw)).decode()
    tampered = tmp_path / "tampered.sealed"
    tampered.write_text(json.dumps(envelope))
    changed = _import(other, tampered, PASSPHRASE)
    assert changed.returncode == 1 and "wrong passphrase, or the file was changed" in changed.stderr

    envelope["kdf"]["salt"] = "!!"
    broken = tmp_path / "broken.sealed"
    broken.write_text(json.dumps(envelope))
    assert "envelope is damaged" in _import(other, broken, PASSPHRASE).stderr

    asked = _import(other, sealed, None)  # no terminal, no passphrase
    assert asked.returncode == 1 and "HMIP_BUNDLE_PASSPHRASE" in asked.stderr
    assert db_content(other) == before


async def test_a_case_hidden_from_the_reader_is_neither_sorted_nor_found_by_its_status(restricted_db):
    """Counted by its status (home and dashboard count alike), but its place in the list sorted
    by status, or a filter on a status, would tell another inspector what it is."""
    conn = open_database(restricted_db)
    store.add_case(conn, FW, "S1", "I3", {"sentence_type": "licence", "sex": "male", "rosh": "low",
                                          "pre_sentence_report": "no"}, "LF")
    store.record_answer(conn, FW, "S1", "2.2.3", "yes", "Ordinary note.", "I3")
    conn.close()
    app = HmipApp(open_database(restricted_db), restricted_db, "I3")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("a", "s")  # all cases, by status: R1 is in progress, like C1 and S1
        table = app.screen.query_one(DataTable)
        assert [table.get_row_at(i)[0] for i in range(3)] == ["C1", "S1", "R1"]  # last, not between
        for status in ("in progress", "not started"):
            await pilot.press("f", *status, "enter")
            refs = [r.value for r in app.screen.query_one(DataTable).rows]
            assert "R1" not in refs, status
            await pilot.press("f", *["backspace"] * len(status), "enter")
        await pilot.press("f", *"limited", "enter")
        assert [r.value for r in app.screen.query_one(DataTable).rows] == ["R1"]
