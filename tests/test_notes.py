"""Evidence notes in the case walk: a multi-line editor, drafts that outlive the app, notes before
answers, a review when a key question flips, and no key typed before the editor opens landing in it.
Real SQLite files, the real app through Pilot, and the installed `hmip` in tmux for $EDITOR and SIGKILL.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import time

import pytest
from textual import events
from textual.widgets import DataTable, TextArea

from hmip_tui import store
from hmip_tui.framework import load_framework
from hmip_tui.services import audit_trail, open_database
from hmip_tui.tui.app import HmipApp
from hmip_tui.tui.screens.case_walk import CaseWalkScreen
from hmip_tui.tui.screens.confirm import ConfirmScreen
from hmip_tui.tui.screens.note import BURST_GAP_S, DRAFT_DELAY_S, EvidenceNoteScreen

from conftest import LICENCE, app_on  # and the one_case_db fixture

FW = load_framework()


def rows(db, sql: str, *args) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def answer(db, question: str):
    found = rows(db, "SELECT value, note FROM answer WHERE question = ?", question)
    return found[0] if found else None


def drafts(db) -> list[tuple]:
    return rows(db, "SELECT case_ref, question, inspector, text FROM note_draft")


def editor_text(app) -> str:
    return app.screen.query_one(TextArea).text


async def looked_at(pilot) -> None:
    """The inspector reads the editor that just opened before typing into it."""
    assert isinstance(pilot.app.screen, EvidenceNoteScreen)
    await on_screen_and_read(pilot)


async def on_screen_and_read(pilot) -> None:
    """Wait until the editor has been painted (a slow machine takes a while) and then for as long
    as a person reads it: the burst guard lets what is typed after that into the note."""
    from hmip_tui.tui.screens.note import GuardedTextArea

    for _ in range(100):
        editors = pilot.app.screen.query(GuardedTextArea) if isinstance(pilot.app.screen, EvidenceNoteScreen) else []
        if editors and editors.first().open_from is not None:
            break
        await pilot.pause(0.05)
    await pilot.pause(BURST_GAP_S + 0.1)


async def to_key_question(pilot) -> None:
    """Open C1 and answer 2.2.1's four prompts: the cursor is on key question 2.2.1."""
    await pilot.press("enter", "y", "y", "y", "y")
    assert pilot.app.screen.current_question().id == "2.2.1"


async def test_a_note_runs_over_several_lines_and_ctrl_s_saves_it(one_case_db):
    app = app_on(one_case_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_key_question(pilot)
        await pilot.press("n")
        await looked_at(pilot)
        await pilot.press(*"No analysis of risk.", "enter", *"No home visit.", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, CaseWalkScreen)
    assert answer(one_case_db, "2.2.1") == ("no", "No analysis of risk.\nNo home visit.")
    assert drafts(one_case_db) == []


async def test_keys_typed_before_the_editor_opens_never_land_in_it(one_case_db):
    """The report's complaint: `y` then "Plan sequences..." at once put the words in the note."""
    app = app_on(one_case_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_key_question(pilot)
        # One burst: the answer and the words after it. The words are posted at once, stamped as a
        # terminal read stamps them, so a slow test machine's pauses between Pilot's keys cannot
        # pull them apart into words typed after reading the editor.
        await pilot.press("y")
        for ch in "Plan sequences":
            app.post_message(events.Key("space" if ch == " " else ch, ch))
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, EvidenceNoteScreen)
        assert editor_text(app) == ""
        assert "typed before the note opened kept out of it" in str(app.screen.query_one("#note-status").render())
        await looked_at(pilot)
        await pilot.press(*"Seen.", "ctrl+s")
    assert answer(one_case_db, "2.2.1") == ("yes", "Seen.")


async def test_escape_asks_before_throwing_changes_away(one_case_db):
    app = app_on(one_case_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_key_question(pilot)
        await pilot.press("y")
        await looked_at(pilot)
        await pilot.press(*"Half a thought", "escape")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # keep writing
        assert isinstance(app.screen, EvidenceNoteScreen) and editor_text(app) == "Half a thought"
        await pilot.press("escape", "y")  # throw it away
        await pilot.pause()
        assert isinstance(app.screen, CaseWalkScreen)
    assert answer(one_case_db, "2.2.1") == ("yes", None)
    assert drafts(one_case_db) == []


async def test_escape_on_an_unchanged_note_asks_nothing(one_case_db):
    app = app_on(one_case_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_key_question(pilot)
        await pilot.press("y")
        await looked_at(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, CaseWalkScreen)


async def test_a_draft_outlives_the_app_and_goes_once_saved(one_case_db):
    app = app_on(one_case_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_key_question(pilot)
        await pilot.press("n")
        await looked_at(pilot)
        await pilot.press(*"Risk to the children not")
        await pilot.pause(DRAFT_DELAY_S + 0.3)
        # On disk while the editor is still open: what the app dying now would leave.
        assert drafts(one_case_db) == [("C1", "2.2.1", "LF", "Risk to the children not")]
    assert answer(one_case_db, "2.2.1") == ("no", None)

    app = app_on(one_case_db)  # the app again, after the crash
    async with app.run_test(size=(80, 24)) as pilot:
        # The case list marks the case with a note not yet saved, and finds it by the word.
        assert str(app.screen.query_one(DataTable).get_row("C1")[-1]) == "draft"
        await pilot.press("f", *"draft", "enter")
        assert [c.ref for c in app.screen.shown_cases] == ["C1"]
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.current_question().id == "2.2.1"
        row = next(r for r in app.screen.rows if r.question.id == "2.2.1")
        assert "A draft of this note was not saved: e to see it" in row.shown_text
        await pilot.press("e")
        await looked_at(pilot)
        assert editor_text(app) == "Risk to the children not"
        assert "Restored the draft" in str(app.screen.query_one("#note-status").render())
        await pilot.press(*" analysed.", "ctrl+s")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.shown_cases == []  # saved: the filter "draft" no longer finds it
    assert answer(one_case_db, "2.2.1") == ("no", "Risk to the children not analysed.")
    assert drafts(one_case_db) == []


async def test_a_note_written_before_the_answer_is_saved_with_it(one_case_db):
    app = app_on(one_case_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "j", "j", "j", "j")
        assert app.screen.current_question().id == "2.2.1"
        await pilot.press("e")
        await looked_at(pilot)
        assert "not answered yet" in str(app.screen.query_one("#note-why").render())
        await pilot.press(*"Views recorded at every contact.", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, CaseWalkScreen)
        assert answer(one_case_db, "2.2.1") is None  # no answer yet, so nothing in the history
        row = next(r for r in app.screen.rows if r.question.id == "2.2.1")
        assert "Note (saved with the answer): Views recorded" in row.shown_text
        await pilot.press("y")  # the answer takes the note with it; no editor opens
        await pilot.pause()
        assert isinstance(app.screen, CaseWalkScreen)
        assert app.screen.current_question().id == "2.2.2.a"
    assert answer(one_case_db, "2.2.1") == ("yes", "Views recorded at every contact.")
    assert drafts(one_case_db) == []
    conn = open_database(one_case_db)
    entries = [e for e in audit_trail(conn, "C1", "LF").lines if e.question == "2.2.1"]
    assert len(entries) == 1, entries  # one entry: answer and note together


async def test_flipping_a_key_question_asks_to_review_its_note(one_case_db):
    app = app_on(one_case_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_key_question(pilot)
        await pilot.press("y")
        await looked_at(pilot)
        await pilot.press(*"Good engagement.", "ctrl+s")
        await pilot.press("k", "n")  # back to 2.2.1, now No
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "changed from Yes to No" in app.screen.question
        await pilot.press("y")
        await looked_at(pilot)
        assert "does the note still support No?" in str(app.screen.query_one("#note-why").render())
        assert editor_text(app) == "Good engagement."
        await pilot.press("f7", *"Engagement lapsed after June.", "ctrl+s")  # f7 selects all
        await pilot.pause()
    assert answer(one_case_db, "2.2.1") == ("no", "Engagement lapsed after June.")


async def test_declining_the_review_keeps_the_note_and_says_so(one_case_db):
    app = app_on(one_case_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_key_question(pilot)
        await pilot.press("y")
        await looked_at(pilot)
        await pilot.press(*"Good engagement.", "ctrl+s")
        await pilot.press("k", "y")  # Yes again: no flip, no question
        await pilot.pause()
        assert isinstance(app.screen, CaseWalkScreen)
        await pilot.press("k", "n")  # Yes to No: asked
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert "its note, written for Yes, was kept" in str(app.screen.query_one("#status").render())
        assert app.screen.current_question().id == "2.2.2.a"
    assert answer(one_case_db, "2.2.1") == ("no", "Good engagement.")


async def test_editor_without_editor_set_says_so_and_keeps_the_note(one_case_db, monkeypatch):
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)
    app = app_on(one_case_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_key_question(pilot)
        await pilot.press("y")
        await looked_at(pilot)
        await pilot.press(*"Kept", "ctrl+e")
        assert "No editor is set" in str(app.screen.query_one("#note-status").render())
        assert editor_text(app) == "Kept"
        monkeypatch.setenv("EDITOR", "no-such-editor-here")
        await pilot.press("ctrl+e")  # found missing before the screen is handed over
        assert "is not a program on this laptop" in str(app.screen.query_one("#note-status").render())
        assert editor_text(app) == "Kept"
        monkeypatch.setenv("EDITOR", "true")
        await pilot.press("ctrl+e")  # Pilot's terminal cannot be handed over: said, not fatal
        assert "could not be started" in str(app.screen.query_one("#note-status").render())
        assert editor_text(app) == "Kept"


# --- the installed hmip in a real terminal --------------------------------------------------

from test_terminal import TMUX, Terminal, sampled_db  # noqa: E402, F401  (one case, T1, in a real terminal)

from conftest import HMIP, run_hmip  # noqa: E402


@pytest.mark.skipif(TMUX is None, reason="tmux is required: apt-get install tmux")
def test_ctrl_e_writes_the_note_in_editor(sampled_db, tmp_path):
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "Written in the editor.\\nSecond line.\\n" > "$1"\n')
    editor.chmod(0o755)
    term = Terminal([HMIP, "--db", str(sampled_db)],
                    {"HMIP_INSPECTOR": "LF", "TERM": "xterm-256color", "EDITOR": str(editor)})
    try:
        term.wait_for("T1")
        term.keys("Enter")
        term.wait_for("2.2 Assessment")
        for q in "abcd":
            term.keys("y")
            term.wait_for(f"Saved 2.2.1.{q} = Yes")
        term.keys("y")
        term.wait_for("ctrl+s saves")
        term.keys("C-e")
        term.wait_for("Back from $EDITOR")
        term.keys("C-s")
        term.wait_for("Saved the evidence note for 2.2.1")
    finally:
        term.close()
    assert answer(sampled_db, "2.2.1") == ("yes", "Written in the editor.\nSecond line.")


@pytest.mark.skipif(TMUX is None, reason="tmux is required: apt-get install tmux")
def test_a_draft_survives_sigkill(sampled_db):
    term = Terminal([HMIP, "--db", str(sampled_db)], {"HMIP_INSPECTOR": "LF", "TERM": "xterm-256color"})
    try:
        term.wait_for("T1")
        term.keys("Enter")
        term.wait_for("2.2 Assessment")
        term.keys("e")  # 2.2.1.a, not answered yet
        term.wait_for("not answered yet")
        time.sleep(BURST_GAP_S + 0.2)
        term.keys("Met twice in six weeks")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and [d[3] for d in drafts(sampled_db)] != ["Met twice in six weeks"]:
            time.sleep(0.1)  # (on a busy machine a pause mid-typing writes part of it first)
        os.kill(term.pid(), signal.SIGKILL)  # the battery dies mid-note
    finally:
        term.close()
    assert drafts(sampled_db) == [("T1", "2.2.1.a", "LF", "Met twice in six weeks")]


from test_team import hmip, send, team  # noqa: E402,F401  (team is a fixture)

from conftest import db_content  # noqa: E402


def test_a_redaction_takes_unsaved_drafts_of_that_note_with_it(team, tmp_path):
    """A name typed by mistake may sit in a draft too: the redaction, arriving in the lead's
    bundle, takes the draft on the inspector's laptop with it."""
    from hmip_tui.services import keep_note_draft

    lead, i2, _ = team
    name = "Mr Jonathan Example"
    hmip(i2, "answer", "C1", "2.2.1", "no", "--note", f"Spoke to {name}.")
    conn = open_database(i2[0])
    keep_note_draft(conn, "C1", "2.2.1", "I2", f"{name} again, never saved")
    keep_note_draft(conn, "C1", "2.2.2", "I2", "Another question's draft stays.")
    conn.close()
    send(i2, lead, tmp_path, "i2")
    hmip(lead, "redact", "C1", "2.2.1", "--reason", "A name typed by mistake.")
    send(lead, i2, tmp_path, "lead")
    assert name not in "\n".join(db_content(i2[0]))
    assert drafts(i2[0]) == [("C1", "2.2.2", "I2", "Another question's draft stays.")]


async def test_ctrl_s_straight_after_fast_typing_keeps_every_letter(one_case_db):
    """ctrl+s is run as it arrives; keys typed just before it may still wait for the editor. A
    trial once saved "Info evidenc": the save now waits for them. Keys are posted here all at
    once, faster than any typist, so that all of them are waiting when ctrl+s comes."""
    from textual import events

    app = app_on(one_case_db)
    saved = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter")
        app.push_screen(EvidenceNoteScreen("C1", "2.2.1", "2.2.1", ""), saved.append)
        await on_screen_and_read(pilot)  # typing now goes in, not kept out as a burst
        text = "Info evidence seen on the home visit"
        for ch in text:
            app.post_message(events.Key("space" if ch == " " else ch, ch))
        app.post_message(events.Key("ctrl+s", None))
        await pilot.pause(0.3)
    assert saved == [text]
