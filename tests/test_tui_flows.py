"""The terminal app's flows, driven by keys through Textual's Pilot on real SQLite files."""

from __future__ import annotations

import sqlite3
import time

import pytest
from textual import events
from textual.widgets import DataTable, Input, Select

from hmip_tui import store
from hmip_tui.framework import load_framework
from hmip_tui.services import create_demo, open_database
from hmip_tui.tui.app import HmipApp
from hmip_tui.tui.screens.case_walk import CaseWalkScreen
from hmip_tui.tui.screens.completion import CompletionScreen
from hmip_tui.tui.screens.dashboard import DashboardScreen
from hmip_tui.tui.screens.help import HelpScreen
from hmip_tui.tui.screens.home import PAGE_SIZE, HomeScreen
from hmip_tui.tui.screens.judgements import JudgementsScreen
from hmip_tui.tui.screens.note import BURST_GAP_S, EvidenceNoteScreen, NoteScreen
from hmip_tui.tui.screens.search import SearchScreen
from hmip_tui.tui.screens.welcome import WelcomeScreen

from conftest import LICENCE, app_on  # and the one_case_db fixture

FW = load_framework()


def answers_in(db) -> dict[str, tuple]:
    conn = sqlite3.connect(db)
    try:
        return {q: (v, n) for q, v, n in conn.execute(
            "SELECT question, value, note FROM answer JOIN case_file ON case_file.id = case_id")}
    finally:
        conn.close()


async def test_create_an_inspection_from_the_welcome_screen(db):
    app = app_on(db)
    async with app.run_test() as pilot:
        assert isinstance(app.screen, WelcomeScreen)
        await pilot.click("#pdu")
        await pilot.press(*"Test PDU")
        await pilot.press("tab", "tab", *"1 Aug")
        await pilot.press("ctrl+s")
        assert "is not a date" in str(app.screen.query_one("#welcome-error").render())
        app.screen.query_one("#fieldwork", Input).value = "2022-08-01"
        await pilot.press("ctrl+s")
        assert "the lead inspector's code is empty" in str(app.screen.query_one("#welcome-error").render())
        app.screen.query_one("#lead", Input).value = "LF"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT pdu, fieldwork_start FROM inspection").fetchone() == ("Test PDU", "2022-08-01")


async def test_open_the_demo_from_the_welcome_screen(db):
    app = app_on(db, "LEAD")
    async with app.run_test() as pilot:
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert app.screen.query_one(DataTable).row_count == 20  # LEAD's share of 60
        await pilot.press("a")
        assert app.screen.query_one(DataTable).row_count == 60


async def test_add_a_case_then_walk_it(one_case_db):
    app = app_on(one_case_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#ref", Input).value = "C2"
        screen.query_one("#f-sentence_type", Select).value = "community_order"
        screen.query_one("#f-sex", Select).value = "male"
        screen.query_one("#f-rosh", Select).value = "low"
        await pilot.pause()
        said = str(screen.query_one("#profile-status").render())  # checked as you go, in the form's words
        assert said == "To fix: Pre-sentence report prepared is required", said
        screen.query_one("#f-pre_sentence_report", Select).value = "yes"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, CaseWalkScreen) and app.screen.ref == "C2"
        assert app.screen.section.standard.id == "2.1"  # court work: this case had a report
    assert store.get_case(open_database(one_case_db), "C2").profile["pre_sentence_report"] == "yes"


async def write_note(pilot, text: str) -> None:
    """Type a note into the editor once it is on screen (a person reads it before typing: keys
    typed in the same burst as the answer are kept out of it), then save it with ctrl+s."""
    assert isinstance(pilot.app.screen, EvidenceNoteScreen)
    await pilot.pause(BURST_GAP_S + 0.05)
    await pilot.press(*["enter" if c == "\n" else c for c in text], "ctrl+s")


async def answer_whole_case(pilot, profile: dict) -> None:
    """The keys an inspector presses to answer every question of a case, notes included."""
    for q in FW.questions.values():
        if not q.applies_to(profile):
            continue
        await pilot.press(q.type.options[0].key)
        if q.note_required:
            await write_note(pilot, "Seen in file.")


async def test_answer_a_whole_case_by_keys_alone_and_complete_it(one_case_db):
    app = app_on(one_case_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter")
        assert isinstance(app.screen, CaseWalkScreen)
        await pilot.press("c")  # nothing answered yet: the check lists what is missing
        assert isinstance(app.screen, CompletionScreen)
        await pilot.press("escape")
        await answer_whole_case(pilot, LICENCE)
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        assert "complete" in str(app.screen.query_one("#status").render())
    held = answers_in(one_case_db)
    applicable = [q for q in FW.questions.values() if q.applies_to(LICENCE)]
    assert len(held) == len(applicable)
    assert all(held[q.id][1] == "Seen in file." for q in applicable if q.note_required)
    assert store.get_case(open_database(one_case_db), "C1").status == "complete"


async def test_completion_check_jumps_to_what_is_missing(one_case_db):
    app = app_on(one_case_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter", "y", "y", "y", "y", "y")  # 2.2.1.a-d, then 2.2.1 opens its note
        assert isinstance(app.screen, EvidenceNoteScreen)
        await pilot.press("escape")  # answer kept, note still missing
        await pilot.press("c")
        assert isinstance(app.screen, CompletionScreen)
        await pilot.press("enter")  # the first missing item: 2.2.1's evidence note
        await pilot.pause()
        assert app.screen.current_question().id == "2.2.1"
    assert answers_in(one_case_db)["2.2.1"] == ("yes", None)


async def test_reopening_a_case_returns_to_where_it_was_left(one_case_db):
    app = app_on(one_case_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter", "l", "j", "n")  # 2.3: answer 2.3.1.b
        assert app.screen.current_question().id == "2.3.1.c"
        await pilot.press("escape")
    app = app_on(one_case_db)  # a fresh app, as after closing the laptop
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter")
        assert app.screen.current_question().id == "2.3.1.c"
    assert answers_in(one_case_db) == {"2.3.1.b": ("no", None)}


async def test_after_a_stop_without_leaving_the_case_it_opens_at_the_newest_answer(one_case_db):
    """A place kept on leaving gives way to answers given since (the app killed, or `hmip answer`):
    the case reopens at the question answered last, which was saved with its answer."""
    app = app_on(one_case_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter", "l", "j", "escape")  # left at 2.3.1.b, nothing answered
    conn = open_database(one_case_db)
    assert store.get_case(conn, "C1").resume_at == "2.3.1.b"
    store.record_answer(conn, FW, "C1", "2.2.1.c", "yes", answered_by="LF")
    time.sleep(0.01)  # answers are timed to the millisecond; a tie (an import's) names no place
    store.record_answer(conn, FW, "C1", "2.2.1.a", "no", answered_by="LF")
    assert store.get_case(conn, "C1").resume_at is None  # the answer's own commit cleared it
    conn.close()
    app = app_on(one_case_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter")
        assert app.screen.current_question().id == "2.2.1.a"


async def test_a_judgement_against_its_prompts_is_flagged_not_blocked(one_case_db):
    app = app_on(one_case_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter", "n", "n", "n", "n", "y")  # every 2.2.1 prompt No, key question Yes
        await write_note(pilot, "Judged on interview.")
        row = next(r for r in app.screen.rows if r.question.id == "2.2.1")
        assert "For moderation: judged Yes, but every prompt answered is No" in row.shown_text
    assert answers_in(one_case_db)["2.2.1"] == ("yes", "Judged on interview.")


async def test_questions_that_do_not_apply_are_hidden_with_the_reason(one_case_db):
    app = app_on(one_case_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter")
        app.screen.go_to(None)
        app.screen.section_index = 0
        app.screen.render_section()
        await pilot.pause()
        text = str(app.screen.query_one(".hidden-reason").render())
        assert "2.1 Court work does not apply" in text and "pre-sentence report" in text


async def test_the_dashboard_changes_as_cases_are_answered(one_case_db):
    app = app_on(one_case_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        table = app.screen.query_one(DataTable)
        before = [str(c) for c in table.get_row_at(5)]  # 2.2.1
        assert before[2] == "2.2.1" and before[3:6] == ["0", "0", "0"]
        await pilot.press("escape", "enter", "y", "y", "y", "y", "y")
        await write_note(pilot, "ok")
        await pilot.press("escape", "d")
        await app.workers.wait_for_complete()
        await pilot.pause()
        after = [str(c) for c in app.screen.query_one(DataTable).get_row_at(5)]
        assert after[3:7] == ["1", "0", "1", "100%"]


async def test_domain_one_judgements_with_evidence(one_case_db):
    app = app_on(one_case_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("o")
        assert isinstance(app.screen, JudgementsScreen)
        await pilot.press("1")  # Inadequate: asks for the evidence first, on as many lines as it takes
        await write_note(pilot, "No exit strategy.\nSeen in the board minutes.")
        await pilot.press("down", "2")
        await write_note(pilot, "Vacancies at 43%.")
        assert isinstance(app.screen, JudgementsScreen)
    conn = open_database(one_case_db)
    assert store.judgements(conn) == {"1.1": ("inadequate", "No exit strategy.\nSeen in the board minutes."),
                                      "1.2": ("requires_improvement", "Vacancies at 43%.")}
    assert conn.execute("SELECT count(*) FROM note_draft").fetchone()[0] == 0  # saved, so no drafts left


async def test_help_lists_the_keys_of_the_screen_below(one_case_db):
    app = app_on(one_case_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        rows = [[str(c) for c in app.screen.query_one(DataTable).get_row_at(i)]
                for i in range(app.screen.query_one(DataTable).row_count)]
        assert ["y", "Yes"] in rows and ["c", "Complete"] in rows and ["e", "Note"] in rows
        await pilot.press("escape")
        assert isinstance(app.screen, CaseWalkScreen)


async def test_command_palette_jumps_to_a_case(demo_db):
    app = app_on(demo_db, "LEAD")
    ref = store.case_refs(open_database(demo_db))[-1]
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*f"Open case {ref}")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CaseWalkScreen) and app.screen.ref == ref


async def test_home_pages_a_large_sample_and_filters_by_typing(db):
    conn = open_database(db)
    create_demo(conn, FW, cases=250)
    conn.close()
    app = app_on(db, "SOMEONE")  # no case of theirs: all cases shown
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one(DataTable)
        assert table.row_count == PAGE_SIZE
        assert "page 1 of 3" in str(app.screen.query_one("#page").render())
        await pilot.press("right_square_bracket", "right_square_bracket")
        assert table.row_count == 250 - 2 * PAGE_SIZE
        await pilot.press("f", *"very high")
        shown = app.screen.shown_cases
        assert shown and all(c.rosh == "Very high" for c in shown)
        await pilot.press("escape", "q")


@pytest.mark.parametrize("keys, screen, typed", [
    ("fdraft", HomeScreen, "draft"),  # d would open the ratings, a show all cases, t the team
    ("/doorstep", SearchScreen, "doorstep"),
])
async def test_a_word_typed_straight_after_f_or_slash_goes_into_the_field(demo_db, keys, screen, typed):
    """As a terminal delivers a fast typist's keys: in one read, at once. Each letter must land
    in the field the first key opened, none act on the case list."""
    app = app_on(demo_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for ch in keys:
            app.post_message(events.Key("slash" if ch == "/" else ch, ch))
        await pilot.pause(0.5)
        assert type(app.screen) is screen
        assert app.focused.id in ("filter", "words") and app.focused.value == typed
        await pilot.press("escape")


async def test_escaping_the_note_moves_on_so_the_next_key_answers_the_next_question(one_case_db):
    app = app_on(one_case_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter", "y", "y", "y", "y", "n")  # 2.2.1 judged No: its note opens
        assert isinstance(app.screen, EvidenceNoteScreen)
        await pilot.press("escape")  # write the note later
        assert app.screen.current_question().id == "2.2.2.a"
        await pilot.press("y")
    held = answers_in(one_case_db)
    assert held["2.2.1"] == ("no", None) and held["2.2.2.a"] == ("yes", None)


@pytest.mark.parametrize("named", [True, False], ids=["db-named", "default-db"])
async def test_export_the_workbook_from_the_app_with_progress(demo_db, tmp_path, monkeypatch, named):
    """Beside a database named with --db; under exports/ in the working folder for the default
    database (hidden in the user data folder); the full path of what was written is shown."""
    from textual.widgets import ProgressBar

    from hmip_tui.tui.screens.export import ExportScreen

    monkeypatch.setenv("HMIP_EXPORTS", str(tmp_path / "exports"))
    app = HmipApp(open_database(demo_db), demo_db, "LEAD", db_named=named)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("x")
        assert isinstance(app.screen, ExportScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        bar = app.screen.query_one(ProgressBar)
        assert bar.total and bar.progress == bar.total
        said = str(app.screen.query_one("#export-status").render())
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)
    folder = demo_db.parent if named else tmp_path / "exports"
    [written] = folder.glob("*.xlsx")
    assert "--" not in written.name
    assert f"Wrote the data workbook of 60 cases to {written.resolve()}" in said.replace("\n", "")


async def test_esc_from_a_case_opened_with_ctrl_p_goes_to_the_case_list(demo_db):
    """Jump from inside one case to another with the palette, then Esc: the case list, not the
    first case (where `n` would have answered No)."""
    app = app_on(demo_db, "LEAD")
    conn = open_database(demo_db)
    first, second = [c.ref for c in store.all_cases(conn)
                     if c.profile.get("limited_access") != "yes"][:2]
    conn.close()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("a")
        app.open_case(first)
        await pilot.pause()
        assert isinstance(app.screen, CaseWalkScreen) and app.screen.ref == first
        for via in ("palette", "palette again"):
            await pilot.press("ctrl+p")
            await pilot.press(*f"Open case {second}")
            await pilot.pause(0.5)
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, CaseWalkScreen) and app.screen.ref == second, via
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert [type(s).__name__ for s in app.screen_stack] == ["HomeScreen"]


# --- setting up: the new-inspection form and the team -------------------------------------

SAMPLE_HEADER = "ref,inspector,sentence_type,sex,rosh,pre_sentence_report\n"


async def fill_welcome(pilot, **values) -> None:
    for field_id, value in values.items():
        pilot.app.screen.query_one(f"#{field_id}", Input).value = value
    await pilot.press("ctrl+s")
    await pilot.pause()


def welcome_error(app) -> str:
    return str(app.screen.query_one("#welcome-error").render())


async def test_the_new_inspection_form_takes_the_leads_code_and_the_sample(db, tmp_path):
    sample = tmp_path / "sample.csv"
    sample.write_text(SAMPLE_HEADER + "C1,LF,licence,female,high,no\nC2,I2,licence,male,low,no\n")
    app = app_on(db, "JSMITH")  # started under a login name: the form's code leads, not it
    async with app.run_test(size=(80, 24)) as pilot:
        await fill_welcome(pilot, pdu="Test PDU", fieldwork="2022-08-01", lead="LF", sample=str(sample))
        assert isinstance(app.screen, HomeScreen), welcome_error(app)
        assert app.inspector == "LF" and "inspector LF" in app.sub_title
        assert app.screen.query_one(DataTable).row_count == 1  # LF's own case
        await pilot.press("t")
        from hmip_tui.tui.screens.team import TeamScreen

        assert isinstance(app.screen, TeamScreen)
        table = app.screen.query_one(DataTable)
        assert [(str(r[0]), str(r[1])) for r in (table.get_row_at(i) for i in range(table.row_count))] == \
            [("I2", "inspector"), ("LF", "lead")]
    conn = open_database(db)
    from hmip_tui.services import team_members

    assert {m["code"]: m["role"] for m in team_members(conn)} == {"LF": "lead", "I2": "inspector"}
    assert {c.ref for c in store.all_cases(conn)} == {"C1", "C2"}


@pytest.mark.parametrize("fields, needle", [
    ({"lead": ""}, "the lead inspector's code is empty"),
    ({"lead": "j smith"}, "the lead inspector's code: 'j smith' is not an inspector code"),
    ({"fieldwork": "1 Aug"}, "the fieldwork start: '1 Aug' is not a date"),
    ({"pdu": ""}, "the PDU inspected is empty"),
    ({"sample": "SAMPLE"}, "line 3: case C1 is given twice (first on line 2)"),
    ({"sample": "MISSING"}, "cannot read the sample file"),
    ({"sample": "PERSONAL"}, "column 'surname' would store personal details"),
])
async def test_a_refused_form_says_one_sentence_and_writes_nothing(db, tmp_path, fields, needle):
    bad = tmp_path / "bad.csv"
    bad.write_text(SAMPLE_HEADER + "C1,LF,licence,female,high,no\nC1,I2,licence,male,low,no\n")
    values = {"pdu": "Test PDU", "lead": "LF", **fields}
    personal = tmp_path / "personal.csv"
    personal.write_text("ref,surname\nC1,Smith\n")
    values["sample"] = {"SAMPLE": str(bad), "MISSING": str(tmp_path / "none.csv"), "PERSONAL": str(personal)}.get(
        values.get("sample", ""), values.get("sample", ""))
    app = app_on(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await fill_welcome(pilot, **values)
        assert isinstance(app.screen, WelcomeScreen)
        said = welcome_error(app)
        assert needle in said and said.count(". ") == 0, said
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM entry").fetchone()[0] == 0


@pytest.mark.parametrize("separator", [",", ";"])
async def test_the_form_and_the_command_line_read_the_same_sample(db, tmp_path, separator):
    """A semicolon-separated file (Excel's CSV where the comma is the decimal mark) is read by
    both; one mixing the two is refused by both with the same sentence."""
    from conftest import run_hmip

    sample = tmp_path / "sample.csv"
    sample.write_text((SAMPLE_HEADER + "C1,LF,licence,female,high,no\n").replace(",", separator))
    app = app_on(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await fill_welcome(pilot, pdu="Test PDU", lead="LF", sample=str(sample))
        assert isinstance(app.screen, HomeScreen), welcome_error(app)
    cli_db = tmp_path / "cli.sqlite"
    run_hmip("init", "--pdu", "Test PDU", db=cli_db, check=True)
    run_hmip("sample", "import", str(sample), db=cli_db, check=True)
    for path in (db, cli_db):
        assert [c.ref for c in store.all_cases(open_database(path))] == ["C1"]

    mixed = tmp_path / "mixed.csv"
    mixed.write_text("ref;inspector,sex\nC9;LF,female\n")
    sentence = f"{mixed}: line 1: the header has both commas and semicolons"
    result = run_hmip("sample", "import", str(mixed), db=cli_db)
    assert result.returncode == 1 and sentence in result.stderr
    app = app_on(tmp_path / "fresh.sqlite")
    async with app.run_test(size=(80, 24)) as pilot:
        await fill_welcome(pilot, pdu="Test PDU", lead="LF", sample=str(mixed))
        assert sentence in welcome_error(app)


async def test_the_lead_adds_an_inspector_on_the_team_screen_and_others_cannot(demo_db):
    from hmip_tui.tui.screens.team import TeamScreen

    app = app_on(demo_db, "LF")  # the demo command ran as LF, its lead
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("t")
        assert isinstance(app.screen, TeamScreen)
        table = app.screen.query_one(DataTable)
        before = table.row_count
        await pilot.press("a", *"bad code", "enter")
        assert "is not an inspector code" in str(app.screen.query_one("#status").render())
        assert table.row_count == before  # refused: the field stays open to correct
        app.screen.query_one("#new-member", Input).value = ""
        await pilot.press(*"I9", "enter")
        assert table.row_count == before + 1 and app.focused is table
        assert "Added I9 to the team" in str(app.screen.query_one("#status").render())
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)
    app = app_on(demo_db, "INSP2")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("t", "a")
        assert "Only the lead adds to the team" in str(app.screen.query_one("#status").render())
        assert not app.screen.query_one("#new-member", Input).display
    from hmip_tui.services import team_members

    assert "I9" in {m["code"] for m in team_members(open_database(demo_db))}


@pytest.mark.parametrize("keys", [["a"], ["m"], ["enter", "t"]], ids=["all-cases", "moderation", "audit-trail"])
async def test_at_80_columns_every_column_of_the_table_is_on_screen(demo_db, keys):
    """Status, progress and flags in the list of all cases; the readings in moderation; the
    new value in the audit trail: none pushed off the right edge at 80x24."""
    app = app_on(demo_db, "LF")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*keys)
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        needed = sum(c.get_render_width(table) for c in table.columns.values())
        assert needed <= table.scrollable_content_region.width, (
            [(str(c.label), c.get_render_width(table)) for c in table.columns.values()])


async def test_after_the_last_standard_before_one_that_does_not_apply_the_walk_goes_on(db):
    """A community order: after 2.6's key question and its note, the walk passes over pre-release
    work (it does not apply) to MO. It used to land on that empty standard, and coming back from
    the note editor put the cursor on 2.1.1.a: the next y changed an answer given long before."""
    conn = open_database(db)
    with store.transaction(conn):
        store.create_inspection(conn, pdu="Test PDU", framework=FW, lead="LF")
    store.add_case(conn, FW, "C1", "LF", {**LICENCE, "sentence_type": "community_order",
                                         "pre_sentence_report": "yes"}, "LF")
    conn.close()
    app = app_on(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter", "n")  # 2.1.1.a: No
        await pilot.press(*"lllll")
        assert app.screen.current_question().id == "2.6.1.a"
        await pilot.press("y", "y", "y")
        await write_note(pilot, "Outcomes seen in the review.")
        await pilot.pause()
        assert app.screen.current_question().id == "MO.a"
        await pilot.press("y")  # not an answer to MO.a (graded 1-5): nothing changes anywhere
        await pilot.press("1")
    assert answers_in(db)["2.1.1.a"] == ("no", None)
    assert answers_in(db)["MO.a"][0] == "sufficient"
