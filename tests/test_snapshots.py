"""Every screen at 80x24 (a laptop's small terminal) and 120x40, compared with stored snapshots.

Update after an intended change with: python -m pytest tests/test_snapshots.py --snapshot-update
and look at the report before committing the new SVGs.
"""

from __future__ import annotations

import pytest

from hmip_tui import store
from hmip_tui.framework import load_framework
from hmip_tui.services import create_demo, open_database
from hmip_tui.tui.app import HmipApp

FW = load_framework()
SIZES = [(80, 24), (120, 40)]


@pytest.fixture
def demo_app(tmp_path):
    path = tmp_path / "demo.sqlite"
    conn = open_database(path)
    create_demo(conn, FW, lead="LEAD")
    from hmip_tui.store.moderation import assign_second_reading

    other = next(c.ref for c in store.all_cases(conn) if c.inspector == "INSP2" and c.status == "complete")
    assign_second_reading(conn, FW, other, "LEAD", "LEAD")  # so the moderation screens have work
    return HmipApp(conn, path, "LEAD")


@pytest.fixture
def team_app(tmp_path, monkeypatch):
    """The demo, its lead signing with a fixed key: the team screen shows its fingerprint."""
    keys = tmp_path / "keys"
    keys.mkdir(mode=0o700)
    (keys / "LEAD.ed25519").write_bytes(bytes(range(32)))
    (keys / "LEAD.ed25519").chmod(0o600)
    monkeypatch.setenv("HMIP_KEYS", str(keys))
    from hmip_tui import identity

    identity.private_key.cache_clear()  # a key read earlier in the run would sign instead
    path = tmp_path / "team.sqlite"
    conn = open_database(path)
    create_demo(conn, FW, lead="LEAD")
    yield HmipApp(conn, path, "LEAD")
    identity.private_key.cache_clear()  # and later tests get the run's own keys back


@pytest.fixture
def empty_app(tmp_path):
    # A fixed name: the welcome screen shows the database path.
    path = tmp_path / "empty.sqlite"
    app = HmipApp(open_database(path), path, "LF")
    app.db_path = type(path)("/home/inspector/hmip.sqlite")
    return app


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    # A crashed app renders a blank screen, which must never be stored as a good snapshot.
    assert pilot.app._exception is None, pilot.app._exception
    assert pilot.app.screen.query("Static, DataTable, Input")


# Between keys: let the screen finish its work (the dashboard counts in a thread).
SETTLE = "settle"

# (screen name, keys from the home screen)
SCREENS = {
    "home": [],
    "home-all-sorted": ["a", "s"],
    "case-walk": ["enter"],
    "case-walk-answered": ["down"] * 7 + ["enter", "y", "n", "a"],  # a case in progress
    "reason-for-change": ["enter", "down", "down", "down", "down", "e"],  # a complete case
    "completion": ["down", "down", "enter", "c"],
    "profile": ["p"],
    "new-case": ["n"],
    "dashboard": ["d"],
    "judgements": ["o"],
    "help": ["question_mark"],
    "moderation": ["m"],
    "second-reading": ["m", "enter", "y", "n"],
    "audit-trail": ["enter", "t"],
    "search": ["slash", *"visit", "enter"],
    "audit-trail-answer": ["enter", "t"] + ["down"] * 20,  # an answer's words in the detail
    "case-walk-guidance": ["down"] * 7 + ["enter", "g"],  # beside the questions at 120, on g at 80
    "note-editor": ["down"] * 7 + ["enter", "y", "n", "a", "e"],
    "evidence-list": ["d", SETTLE] + ["down"] * 5 + ["enter"],  # the cases behind 2.2.1's figure
}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", list(SCREENS))
def test_screen(snap_compare, demo_app, name, size):
    async def run_before(pilot):
        from textual.widgets import TextArea

        await settle(pilot)
        for key in SCREENS[name]:
            if key == SETTLE:
                await settle(pilot)
            else:
                await pilot.press(key)
        await settle(pilot)
        for area in pilot.app.screen.query(TextArea):
            area.cursor_blink = False  # a blinking cursor would make the picture depend on timing
        await pilot.pause()

    assert snap_compare(demo_app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_welcome(snap_compare, empty_app, size):
    assert snap_compare(empty_app, terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_export(snap_compare, demo_app, size, monkeypatch):
    """The workbook written, with its full path: a fixed one here, as the default path holds the
    date and the test's own folder."""
    import tempfile
    from pathlib import Path

    from hmip_tui import services

    out = Path(tempfile.gettempdir()) / "hmip-snapshots" / "demo-pdu-synthetic-cases-2022-08-05.xlsx"
    monkeypatch.setattr(services, "default_export_path", lambda *args: out)

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)

    assert snap_compare(demo_app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_team(snap_compare, team_app, size):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)

    assert snap_compare(team_app, terminal_size=size, run_before=run_before)
