"""Words for people: labels not ids, plurals right, in the command line and the app alike."""

from __future__ import annotations

from conftest import run_hmip
from hmip_tui import store
from hmip_tui.case_checks import applicable
from hmip_tui.framework import load_framework
from hmip_tui.services import open_database
from hmip_tui.tui.app import HmipApp
from hmip_tui.words import count, short

FW = load_framework()


def test_counts_and_short_question_words():
    assert [count(n, "conflict") for n in (0, 1, 2)] == ["0 conflicts", "1 conflict", "2 conflicts"]
    assert count(1, "entry", "entries") == "1 entry" and count(3, "entry", "entries") == "3 entries"
    words = short("Does assessment focus sufficiently on keeping other people safe?", 30)
    assert words == "Does assessment focus…" and len(words) <= 30
    assert short("Is it safe?", 30) == "Is it safe?"


def test_an_answer_on_the_command_line_is_said_with_its_label_and_words(demo_db):
    conn = open_database(demo_db)
    case = next(c for c in store.all_cases(conn) if c.status == "not_started"
                and c.profile.get("limited_access") != "yes")
    conn.close()
    question = next(q for q in applicable(FW, case.profile) if q.type.option("na"))
    result = run_hmip("answer", case.ref, question.id, "na", db=demo_db,
                      inspector=case.inspector, check=True)
    assert f"{question.id} {short(question.text)}: Not applicable." in result.stdout, result.stdout
    assert ": na." not in result.stdout


async def test_a_judgement_in_the_app_is_said_with_the_standards_title_and_band_label(demo_db):
    app = HmipApp(open_database(demo_db), demo_db, "LF")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("o", "1")  # the demo's 1.1 has its evidence: rated at once
        said = str(app.screen.query_one("#status").render())
    standard = FW.standard("1.1")
    assert f"Saved the judgement on 1.1 {standard.title}: {FW.bands[0].label}" in said, said
