"""The case walk's other flows, by keys through Pilot on real SQLite files: guidance beside the
question (or on g), the dashboard and domain one from inside a case, Esc to the case list however
the case was opened, a complete case taken back with a reason, and the cases behind a figure."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Select

from hmip_tui import store
from hmip_tui.framework import load_framework
from hmip_tui.services import audit_trail, create_demo, evidence, open_database
from hmip_tui.tui.app import HmipApp
from hmip_tui.tui.screens.case_walk import CaseWalkScreen
from hmip_tui.tui.screens.confirm import ConfirmScreen
from hmip_tui.tui.screens.dashboard import DashboardScreen
from hmip_tui.tui.screens.evidence_list import EvidenceListScreen
from hmip_tui.tui.screens.home import HomeScreen
from hmip_tui.tui.screens.judgements import JudgementsScreen
from hmip_tui.tui.screens.note import NoteScreen
from hmip_tui.tui.screens.profile import ProfileScreen

from conftest import LICENCE, app_on  # and the one_case_db fixture


FW = load_framework()


@pytest.fixture
def demo(db):
    conn = open_database(db)
    create_demo(conn, FW, lead="LEAD")
    conn.close()
    return db


def a_complete_case(db) -> str:
    conn = open_database(db)
    try:
        return next(c.ref for c in store.all_cases(conn) if c.inspector == "LEAD" and c.status == "complete"
                    and not c.locked and c.profile.get("limited_access") != "yes")
    finally:
        conn.close()


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def test_guidance_stands_beside_the_question_when_there_is_room(one_case_db):
    app = app_on(one_case_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        guidance = app.screen.query_one("#guidance")
        assert guidance.display and guidance.region.width > 0
        # 2.2.1.a has none of its own: its key question's is shown
        assert "Guidance on 2.2.1" in text_of(app, "#guidance")
        assert FW.question("2.2.1").guidance[:40] in text_of(app, "#guidance").replace("\n", " ")
        await pilot.press("j", "j", "j", "j", "j")  # 2.2.2.a: the guidance follows the cursor
        assert "Guidance on 2.2.2" in text_of(app, "#guidance")


async def test_guidance_on_g_at_80_columns(one_case_db):
    app = app_on(one_case_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        guidance = app.screen.query_one("#guidance")
        assert not guidance.display  # no room beside the questions
        await pilot.press("g")
        await pilot.pause()
        assert guidance.display and guidance.region.width >= 70  # under the questions, full width
        assert "Guidance on 2.2.1" in text_of(app, "#guidance")
        await pilot.press("g")
        assert not guidance.display


async def test_dashboard_and_domain_one_from_inside_a_case(one_case_db):
    app = app_on(one_case_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "d")
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, CaseWalkScreen)
        await pilot.press("o")
        assert isinstance(app.screen, JudgementsScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, CaseWalkScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


async def open_figure(pilot, question_id: str) -> None:
    await pilot.press("d")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    table = pilot.app.screen.query_one(DataTable)
    table.move_cursor(row=table.get_row_index(question_id))
    await pilot.press("enter")
    await pilot.pause()


async def test_enter_on_a_figure_lists_the_cases_behind_it_withheld_ones_as_withheld(demo):
    expected = evidence(open_database(demo), FW, "2.2.1", "LEAD")
    assert expected["withheld"] > 0  # the demo has limited-access cases LEAD may not open
    app = app_on(demo, "LEAD")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_figure(pilot, "2.2.1")
        screen = app.screen
        assert isinstance(screen, EvidenceListScreen)
        table = screen.query_one(DataTable)
        assert table.row_count == expected["relevant"]
        assert f"{expected['yes']} Yes, {expected['no']} No of {expected['relevant']} cases" in text_of(app, "#where")
        shown = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        withheld = [r for r in shown if r[1] == "withheld"]
        assert len(withheld) == expected["withheld"]
        assert all("limited access" in r[3] for r in withheld)
        # Enter on a withheld case opens nothing
        table.move_cursor(row=shown.index(withheld[0]))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, EvidenceListScreen)
        # v shows only the cases judged No
        await pilot.press("v", "v")
        assert table.row_count == expected["no"]
        await pilot.press("v")
        assert table.row_count == expected["relevant"]


async def test_enter_on_a_case_opens_it_at_the_question_and_esc_goes_to_the_case_list(demo):
    app = app_on(demo, "LEAD")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_figure(pilot, "2.3.2")
        screen = app.screen
        table = screen.query_one(DataTable)
        row = next(i for i, c in enumerate(screen.cases) if not c.get("withheld"))
        table.move_cursor(row=row)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CaseWalkScreen)
        assert app.screen.ref == screen.cases[row]["ref"]
        assert app.screen.current_question().id == "2.3.2"
        await pilot.press("escape")
        await pilot.pause()
        assert [type(s).__name__ for s in app.screen_stack] == ["HomeScreen"]


async def test_a_complete_case_goes_back_to_in_progress_only_with_a_reason(demo):
    ref = a_complete_case(demo)
    app = app_on(demo, "LEAD")
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_case(ref)
        await pilot.pause()
        await pilot.press("b")
        assert isinstance(app.screen, NoteScreen)
        await pilot.press("enter", "x", "n")  # an empty reason keeps the dialog: x and n are typed, not run
        assert isinstance(app.screen, NoteScreen)
        assert app.screen.query_one("#note").value == "xn"
        await pilot.press("escape")  # no reason: nothing changes
        assert "Still complete" in text_of(app, "#status")
        assert store.get_case(open_database(demo), ref).status == "complete"
        await pilot.press("b", *"Home visit found in a later record.", "enter")
        await pilot.pause()
        assert "in progress again" in text_of(app, "#status")
        assert "in progress" in text_of(app, "#where")
        await pilot.press("b")  # now in progress: b says so, asks nothing
        assert isinstance(app.screen, CaseWalkScreen)
    conn = open_database(demo)
    assert store.get_case(conn, ref).status == "in_progress"
    lines = [e for e in audit_trail(conn, ref, "LEAD").lines if e.reason == "Home visit found in a later record."]
    assert len(lines) == 1 and lines[0].new_value == "in_progress" and lines[0].by == "LEAD"


async def test_a_profile_change_on_a_complete_case_asks_a_reason(demo):
    ref = a_complete_case(demo)
    conn = open_database(demo)
    before = store.get_case(conn, ref).profile
    other = next(o.id for o in FW.profile_field("sex").options if o.id != before.get("sex"))
    app = app_on(demo, "LEAD")
    async with app.run_test(size=(120, 40)) as pilot:
        app.open_case(ref)
        await pilot.pause()
        await pilot.press("p")
        assert isinstance(app.screen, ProfileScreen)
        profile = app.screen
        profile.query_one("#f-sex", Select).value = other
        await pilot.pause()
        assert isinstance(app.screen, NoteScreen)
        await pilot.press("escape")  # no reason: put back as it was
        await pilot.pause()
        assert profile.query_one("#f-sex", Select).value == before.get("sex")
        assert "only with a reason" in text_of(app, "#profile-status")
        assert store.get_case(conn, ref).profile == before
        profile.query_one("#f-sex", Select).value = other
        await pilot.pause()
        await pilot.press(*"Sex wrong on the sample list.", "enter")
        await pilot.pause()
        assert "Saved" in text_of(app, "#profile-status")
    assert store.get_case(conn, ref).profile["sex"] == other
    lines = [e for e in audit_trail(conn, ref, "LEAD").lines if e.reason == "Sex wrong on the sample list."]
    assert lines and lines[0].by == "LEAD"


async def test_the_arrow_keys_move_the_question_cursor_not_the_view(one_case_db):
    """Down seven times then n answers the seventh question down, whatever has the focus: the
    question list scrolls with the cursor, never by itself."""
    app = app_on(one_case_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        walk = app.screen
        assert isinstance(walk, CaseWalkScreen)
        start = walk.cursor
        await pilot.click("#questions")  # even after a click in the list
        await pilot.press(*["down"] * 7)
        assert walk.cursor == start + 7
        await pilot.press(*["up"] * 2)
        assert walk.cursor == start + 5


async def test_the_new_case_form_starts_in_its_first_field_and_names_fields_by_label(one_case_db):
    """Keyboard first: n, then type. An empty form says what to do, not yet what is wrong;
    a problem names the field as the form labels it, not by its id in the framework file."""
    app = app_on(one_case_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        assert isinstance(app.screen, ProfileScreen)
        assert app.focused is not None and app.focused.id == "ref"
        said = text_of(app, "#profile-status")
        assert said.startswith("Fill in the case reference") and "field '" not in said, said
        assert not app.screen.query_one("#profile-status").has_class("-error")
        await pilot.press(*"X1")
        app.screen.query_one("#f-sex", Select).value = "male"
        await pilot.pause()
        said = text_of(app, "#profile-status")
        needed = "Sentence type, Risk of serious harm and Pre-sentence report prepared are required"
        assert said == f"To fix: {needed}", said  # every field still needed, at once
        assert app.screen.query_one("#profile-status").has_class("-error")
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, ProfileScreen)
        assert text_of(app, "#profile-status") == f"Not saved: {needed}"
        await pilot.press("escape")  # begun: asks before throwing it away
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert isinstance(app.screen, ProfileScreen)
        await pilot.press("escape", "y")
        assert isinstance(app.screen, HomeScreen)
    conn = open_database(one_case_db)
    assert [c.ref for c in store.all_cases(conn)] == ["C1"]  # nothing of X1 was saved


async def test_an_empty_new_case_form_closes_without_asking(one_case_db):
    app = app_on(one_case_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n", "escape")
        assert isinstance(app.screen, HomeScreen)


async def test_j_and_k_move_in_the_lists_as_in_a_case(demo):
    """Pressed where they did nothing, the next key (a rating) acted on the wrong row."""
    app = app_on(demo, "LEAD")
    async with app.run_test(size=(80, 24)) as pilot:
        for key, screen in (("o", JudgementsScreen), ("d", DashboardScreen)):
            await pilot.press(key)
            assert isinstance(app.screen, screen)
            table = app.screen.query_one(DataTable)
            await pilot.press("j", "j")
            assert table.cursor_row == 2
            await pilot.press("k")
            assert table.cursor_row == 1
            await pilot.press("escape")
        await pilot.press("j")
        assert app.screen.query_one(DataTable).cursor_row == 1  # the case list too


async def test_d_shows_the_ratings_from_domain_one(one_case_db):
    app = app_on(one_case_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("o", "d")
        assert isinstance(app.screen, DashboardScreen)
        for key in ("t", "m"):  # the team, moderation: ctrl+d, as the README says
            await pilot.press("escape", "escape", key)
            await pilot.pause()
            assert not isinstance(app.screen, (DashboardScreen, HomeScreen)), key
            await pilot.press("ctrl+d")
            assert isinstance(app.screen, DashboardScreen), key


async def test_the_profile_of_a_case_opens_with_its_first_field_focused(one_case_db):
    app = app_on(one_case_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "p")
        assert isinstance(app.screen, ProfileScreen)
        assert app.focused is not None and app.focused.id == f"f-{FW.profile[0].id}", app.focused


async def test_long_domain_one_evidence_says_it_goes_on(one_case_db):
    conn = open_database(one_case_db)
    long = "\n".join(f"Line {i} of the evidence, from the interviews with managers and staff." for i in range(12))
    store.record_judgement(conn, FW, "1.1", "good", long, "LF")
    conn.close()
    app = app_on(one_case_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("o")
        await pilot.pause()
        shown = text_of(app, "#judgement-detail")
        assert "Line 0 of the evidence" in shown and "Line 11" not in shown, shown
        assert shown.rstrip().endswith("… more: e shows the whole evidence"), shown
