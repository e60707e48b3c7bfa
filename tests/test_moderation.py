"""Moderation: merging the team's bundles, second reading, settling, agreement, the audit trail."""

from __future__ import annotations

import json
import sqlite3
from fractions import Fraction

import pytest
from textual.widgets import DataTable

from conftest import db_content, run_hmip
from report_cases import report_bundle

from hmip_tui.agreement import agreement
from hmip_tui.exchange.bundle_v1 import bundle_bytes
from hmip_tui.services import open_database
from hmip_tui.tui.app import HmipApp
from hmip_tui.tui.screens.confirm import ConfirmScreen
from hmip_tui.tui.screens.moderation import ModerationScreen
from hmip_tui.tui.screens.note import NoteScreen
from hmip_tui.tui.screens.second_reading import SecondReadingScreen


def _bundle(tmp_path, name, inspector, refs, edit=None):
    data = report_bundle()
    data["cases"] = [c for c in data["cases"] if c["ref"] in refs]
    if edit:
        edit({c["ref"]: c for c in data["cases"]})
    path = tmp_path / f"{name}.hmip.json"
    path.write_bytes(bundle_bytes(data, inspector))
    return path


def _flip(case, qid):
    """Another reading of the same question, given after the first."""
    case["answers"][qid]["value"] = "no" if case["answers"][qid]["value"] == "yes" else "yes"
    case["answers"][qid]["at"] = "2022-08-08T10:00:00.000+00:00"


def _answer(db, ref, qid):
    conn = sqlite3.connect(db)
    return conn.execute("SELECT value, note FROM answer a JOIN case_file c ON c.id = a.case_id "
                        "WHERE c.ref = ? AND question = ?", (ref, qid)).fetchone()


def _status(db):
    return json.loads(run_hmip("moderation", "status", "--json", db=db, check=True).stdout)


@pytest.fixture
def three_bundles(tmp_path):
    refs = [f"HF{n:04d}" for n in range(1, 42)]
    first = _bundle(tmp_path, "i2", "I2", refs[:20])
    second = _bundle(tmp_path, "i3", "I3", refs[14:], lambda c: (_flip(c["HF0016"], "2.3.1"),
                                                             _flip(c["HF0020"], "2.2.2")))
    def third_edit(c):
        _flip(c["HF0016"], "2.3.1")  # the same difference as I3's: one conflict, not two
        c["HF0001"]["answers"]["2.2.1"]["note"] = "A different evidence note."
        c["HF0001"]["answers"]["2.2.1"]["at"] = "2022-08-08T11:00:00.000+00:00"
    third = _bundle(tmp_path, "i4", "I4", ["HF0001", "HF0016"], third_edit)
    return first, second, third


def test_three_inspectors_bundles_merge_without_overwriting(db, three_bundles):
    first, second, third = three_bundles
    for bundle in three_bundles:
        run_hmip("bundle", "import", str(bundle), db=db, check=True)
    original = report_bundle()
    by_ref = {c["ref"]: c for c in original["cases"]}
    for ref, qid in (("HF0016", "2.3.1"), ("HF0020", "2.2.2"), ("HF0001", "2.2.1")):
        held = by_ref[ref]["answers"][qid]
        assert _answer(db, ref, qid) == (held["value"], held.get("note")), (ref, qid)
    status = _status(db)
    listed = {(c["case"], c["question"], c["incoming_by"] or c["source"].split()[0]) for c in status["conflicts"]}
    assert {(c, q) for c, q, _ in listed} == {("HF0016", "2.3.1"), ("HF0020", "2.2.2"), ("HF0001", "2.2.1")}
    assert status["open_conflicts"] == 3
    assert sqlite3.connect(db).execute("SELECT count(*) FROM case_file").fetchone()[0] == 41

    before = db_content(db)
    for bundle in (third, first, second):  # again, in another order
        run_hmip("bundle", "import", str(bundle), db=db, check=True)
    assert db_content(db) == before


def test_settling_a_conflict_needs_a_reason_and_is_audited(db, three_bundles):
    for bundle in three_bundles:
        run_hmip("bundle", "import", str(bundle), db=db, check=True)
    conflict = _status(db)["conflicts"][0]
    refused = run_hmip("moderation", "settle", str(conflict["id"]), "yes", "--reason", "x", db=db)
    assert refused.returncode == 1 and "only the lead inspector can settle" in refused.stderr
    run_hmip("team", "add", "LF", "--role", "lead", db=db, check=True)
    conflict = next(c for c in _status(db)["conflicts"] if c["case"] == "HF0020")
    refused = run_hmip("moderation", "settle", str(conflict["id"]), conflict["incoming"], "--reason", " ", db=db)
    assert refused.returncode == 1 and "needs a reason" in refused.stderr
    run_hmip("moderation", "settle", str(conflict["id"]), conflict["incoming"], "--reason",
             "Second look at the plan: risk factors were analysed.", db=db, check=True)
    assert _answer(db, "HF0020", "2.2.2")[0] == conflict["incoming"]
    assert _status(db)["open_conflicts"] == 2
    trail = run_hmip("audit", "HF0020", db=db, check=True).stdout
    assert "settle" in trail and "Second look at the plan" in trail
    before = db_content(db)
    for bundle in three_bundles:  # re-import anything: the settlement stands
        run_hmip("bundle", "import", str(bundle), db=db, check=True)
    assert _status(db)["open_conflicts"] == 2
    run_hmip("bundle", "import", str(three_bundles[1]), db=db, check=True)  # re-import: still nothing
    assert db_content(db) == before


def test_tampered_truncated_or_foreign_bundles_are_refused_each_with_its_own_sentence(db, three_bundles, tmp_path):
    run_hmip("bundle", "import", str(three_bundles[0]), db=db, check=True)
    before = db_content(db)
    text = three_bundles[1].read_text()
    at = text.index('"value": "no"') + len('"value": "n')
    tampered = tmp_path / "tampered.hmip.json"
    tampered.write_text(text[:at] + "a" + text[at + 1:])  # one byte: "no" becomes "na"
    truncated = tmp_path / "truncated.hmip.json"
    truncated.write_text(text[: len(text) * 2 // 3])
    foreign = tmp_path / "foreign.hmip.json"
    other = tmp_path / "other.sqlite"
    run_hmip("demo", db=other, check=True)
    run_hmip("bundle", "export", "--out", str(foreign), db=other, check=True)
    messages = {}
    for path in (tampered, truncated, foreign):
        result = run_hmip("bundle", "import", str(path), db=db)
        assert result.returncode == 1
        messages[path.name] = result.stderr
    assert "the checksum does not match the content" in messages["tampered.hmip.json"]
    assert "the file is cut short" in messages["truncated.hmip.json"]
    assert "belongs to another inspection" in messages["foreign.hmip.json"]
    assert db_content(db) == before


def test_kappa_and_agreement_against_a_worked_example():
    # Ten cases. First reader: Y Y Y Y Y Y N N N N; second: Y Y Y Y N N N N N Y.
    # Agreed on 7 of 10: po = 0.7. First says Yes 6/10, second 5/10:
    # pe = 0.6 x 0.5 + 0.4 x 0.5 = 0.5, so kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4.
    first = list("YYYYYYNNNN")
    second = list("YYYYNNNNNY")
    a = agreement(list(zip(first, second)))
    assert (a.n, a.agreed, a.percent, a.kappa) == (10, 7, Fraction(70), Fraction(2, 5))
    # Both readers always Yes: chance explains everything; kappa is undefined, not 0 or 1.
    assert agreement([("Y", "Y")] * 5).kappa is None
    # Perfect agreement across both answers: kappa 1. Total disagreement: -1.
    assert agreement([("Y", "Y"), ("N", "N")]).kappa == 1
    assert agreement([("Y", "N"), ("N", "Y")]).kappa == -1


def test_pabak_and_ac1_stay_sensible_where_kappa_collapses():
    # 13 second-read cases, Yes rare: the readers agree on 12, both say No on 11 and Yes on 1.
    # pe = (2/13)(1/13) + (11/13)(12/13) = 134/169, po = 12/13, so kappa = 0.63; with one
    # Yes fewer it collapses to 0 though agreement is 12 of 13. PABAK = 2 po - 1 = 11/13.
    pairs = [("no", "no")] * 11 + [("yes", "yes"), ("yes", "no")]
    a = agreement(pairs)
    assert a.pabak == Fraction(11, 13)
    collapsed = agreement([("no", "no")] * 12 + [("yes", "no")])
    assert collapsed.kappa == 0 and collapsed.pabak == Fraction(11, 13)
    # AC1: pi(yes) = 1/26, pi(no) = 25/26; pe1 = 2 * (1/26)(25/26) = 25/338.
    assert collapsed.ac1 == (Fraction(12, 13) - Fraction(25, 338)) / (1 - Fraction(25, 338))


def test_second_reading_agreement_figures_come_through_the_command(report_db):
    refs = ["HF0001", "HF0002"]
    run_hmip("team", "add", "I9", db=report_db, check=True)
    refused = run_hmip("moderation", "assign", refs[0], "I9", db=report_db, inspector="I9")
    assert refused.returncode == 1 and "only the lead inspector can assign" in refused.stderr
    for ref in refs:
        run_hmip("moderation", "assign", ref, "I9", db=report_db, check=True)
    kqs = ["2.1.1", "2.2.1", "2.2.2", "2.2.3", "2.3.1", "2.3.2", "2.3.3", "2.4.1", "2.4.2", "2.4.3",
           "2.5.1", "2.5.2", "2.5.3", "2.6.1"]
    for ref in refs:
        for q in kqs:
            first = _answer(report_db, ref, q)[0]
            second = first if q != "2.2.2" else ("no" if first == "yes" else "yes")
            run_hmip("moderation", "read", ref, q, second, db=report_db, inspector="I9", check=True)
        run_hmip("moderation", "finish", ref, db=report_db, inspector="I9", check=True)
    status = _status(report_db)
    assessment = status["agreement"]["standards"]["2.2"]
    assert (assessment["n"], assessment["agreed"]) == (6, 4)
    assert status["agreement"]["key_questions"]["2.2.2"]["agreed"] == 0
    assert status["disagreements"] == 2
    for ref in refs:  # settling leaves the figures as read
        run_hmip("moderation", "settle", ref, "2.2.2", _answer(report_db, ref, "2.2.2")[0], "--reason",
                 "The first reading stands.", db=report_db, check=True)
    after = _status(report_db)
    assert after["disagreements"] == 0 and after["agreement"] == status["agreement"]


def test_reasons_locks_and_the_append_only_trail(report_db):
    refused = run_hmip("answer", "HF0001", "2.2.1", "no", db=report_db)
    assert refused.returncode == 1 and "is complete: give a reason" in refused.stderr
    run_hmip("answer", "HF0001", "2.2.1", "no", "--reason", "Read the OASys again.", db=report_db, check=True)
    run_hmip("moderation", "lock", "HF0002", db=report_db, check=True)
    locked = run_hmip("answer", "HF0002", "2.2.1", "no", "--reason", "x", db=report_db)
    assert locked.returncode == 1 and "moderated and locked" in locked.stderr
    assert run_hmip("moderation", "reopen", "HF0002", "--reason", " ", db=report_db).returncode == 1
    run_hmip("moderation", "reopen", "HF0002", "--reason", "New information from the police.",
             db=report_db, check=True)
    trail = run_hmip("audit", db=report_db, check=True).stdout
    assert "Read the OASys again." in trail and "New information from the police." in trail
    run_hmip("bundle", "export", "--out", str(report_db.with_name("signed.json")), db=report_db, check=True)
    conn = sqlite3.connect(report_db)
    for sql in ("UPDATE entry SET value = 'yes'", "DELETE FROM entry",
                "REPLACE INTO entry SELECT * FROM entry WHERE seq = 1",
                "INSERT OR REPLACE INTO entry SELECT * FROM entry WHERE seq = 1",
                "UPDATE batch SET signer = 'X'", "UPDATE text SET body = 'rewritten'", "DELETE FROM text"):
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(sql)


async def test_second_read_blind_settle_with_a_reason_and_find_it_in_the_trail(report_db):
    run_hmip("team", "add", "I9", db=report_db, check=True)
    run_hmip("moderation", "assign", "HF0003", "I9", db=report_db, check=True)
    app = HmipApp(open_database(report_db), report_db, "I9")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("m")
        assert isinstance(app.screen, ModerationScreen)
        await pilot.press("enter")
        assert isinstance(app.screen, SecondReadingScreen)
        table = app.screen.query_one(DataTable)
        # Blind: three columns (question, wording, your judgement), and no judgement shown yet.
        assert [str(c.label) for c in table.columns.values()] == ["Key question", "Your judgement", "Wording"]
        assert all(table.get_row_at(i)[1] == "" for i in range(table.row_count))
        first_values = {q: _answer(report_db, "HF0003", q)[0] for q in ("2.1.1", "2.2.1")}
        keys = []
        for q in app.screen.questions:
            first = _answer(report_db, "HF0003", q.id)[0]
            differ = q.id == "2.2.1"
            keys.append(("n" if first == "yes" else "y") if differ else first[0])
        await pilot.press(*keys, "f")
        assert isinstance(app.screen, ConfirmScreen)  # finishing shows the first reading: asked first
        await pilot.press("n")
        assert len(app.screen.query_one(DataTable).columns) == 3  # still blind
        await pilot.press("f", "y")
        assert len(app.screen.query_one(DataTable).columns) == 5  # both readings, side by side
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ModerationScreen)
        assert app.screen.items[0][0] == "disagreement"
        await pilot.press("y")
        await pilot.pause()
        assert "Only the lead inspector can settle" in str(app.screen.query_one("#status").render())
    app = HmipApp(open_database(report_db), report_db, "LF")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("m")
        assert app.screen.items[0][0] == "disagreement"
        # Answers by their labels, as the inspectors gave them, not their stored ids.
        readings = str(app.screen.query_one(DataTable).get_row_at(0)[4])
        assert readings in ("first Yes · second No", "first No · second Yes"), readings
        await pilot.press("y" if first_values["2.2.1"] == "yes" else "n")  # the first reader stands
        assert isinstance(app.screen, NoteScreen)
        await pilot.press(*"The first reader saw the full OASys.", "enter")
        await pilot.pause()
        from hmip_tui.words import short

        said = str(app.screen.query_one("#status").render())
        assert f"Settled HF0003 2.2.1 {short(app.framework.question('2.2.1').text)}: " in said, said
    trail = run_hmip("audit", "HF0003", db=report_db, check=True).stdout
    assert "settle" in trail and "The first reader saw the full OASys." in trail
    assert _status(report_db)["disagreements"] == 0


def test_the_workbook_carries_agreement_conflicts_and_the_trail(db, three_bundles, tmp_path):
    import openpyxl

    for bundle in three_bundles:
        run_hmip("bundle", "import", str(bundle), db=db, check=True)
    run_hmip("team", "add", "LF", "--role", "lead", db=db, check=True)
    conflict = _status(db)["conflicts"][0]
    run_hmip("moderation", "settle", str(conflict["id"]), conflict["incoming"], "--reason",
             "Settled at the moderation meeting.", db=db, check=True)
    out = tmp_path / "annex.xlsx"
    run_hmip("export", "workbook", "--out", str(out), db=db, check=True)
    wb = openpyxl.load_workbook(out, read_only=True)
    cells = [c for r in wb["Moderation"].iter_rows(values_only=True) for c in r if c is not None]
    assert "Settled at the moderation meeting." in cells and "open" in cells
    assert f"#{conflict['id']}" in cells and "settle" in cells and "PABAK" in cells
    about = [c for r in wb["About"].iter_rows(values_only=True) for c in r if c]
    assert any("2 conflicts" in str(c) for c in about)
