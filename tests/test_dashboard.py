"""The ratings dashboard at 80x24: every rated standard's rating word whole, on its own row."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from hmip_tui.framework import load_framework
from hmip_tui.services import create_demo, current_ratings, open_database, record_judgement
from hmip_tui.tui.app import HmipApp
from hmip_tui.tui.screens.dashboard import DashboardScreen

FW = load_framework()
WORDS = {"Inadequate", "Requires improvement", "Good", "Outstanding"}


@pytest.fixture
def every_word_db(tmp_path):
    """The demo, with domain one judged so that all four rating words are on the dashboard."""
    path = tmp_path / "demo.sqlite"
    conn = open_database(path)
    create_demo(conn, FW, lead="LEAD")
    record_judgement(conn, FW, "1.1", "outstanding", "Clear vision, known by every officer.", "LEAD")
    record_judgement(conn, FW, "1.2", "good", "Manageable caseloads, supervision monthly.", "LEAD")
    conn.close()
    return path


def screen_lines(app) -> list[str]:
    """The terminal's text, line by line, as the compositor draws it (cut where the screen ends)."""
    return ["".join(segment.text for segment in strip) for strip in app.screen._compositor.render_strips()]


@pytest.mark.parametrize("sizes", [[(80, 24)], [(120, 40)], [(120, 40), (80, 24)]],
                         ids=lambda sizes: " to ".join(f"{w}x{h}" for w, h in sizes))
async def test_each_rating_word_is_whole_on_its_standards_row(every_word_db, sizes):
    """At 80x24, at 120x40, and narrowed from 120 to 80 columns with the dashboard open."""
    conn = open_database(every_word_db)
    expected = {s.id: s.rating.label for s in current_ratings(conn, FW).standards if s.rating is not None}
    conn.close()
    assert set(expected.values()) == WORDS  # the test sees every word, the longest included
    app = HmipApp(open_database(every_word_db), every_word_db, "LEAD")
    async with app.run_test(size=sizes[0]) as pilot:
        await pilot.press("d")
        await app.workers.wait_for_complete()
        await pilot.pause()
        for size in sizes[1:]:
            await pilot.resize_terminal(*size)
            await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        header = next(line for line in screen_lines(app) if line.split()[:1] == ["Standard"])
        assert "Rating" in header and "% Yes" in header, header  # every figure whole beside it
        table = app.screen.query_one(DataTable)
        rows = [str(table.get_row_at(i)[0]).split(" ")[0] for i in range(table.row_count)]
        for standard, word in expected.items():
            table.move_cursor(row=rows.index(standard))  # scrolls the row into sight
            await pilot.pause()
            on_screen = [line for line in screen_lines(app) if line.split()[:1] == [standard]]
            assert len(on_screen) == 1, (standard, screen_lines(app))
            assert word in on_screen[0], (standard, word, on_screen[0])
            assert all(other not in on_screen[0] for other in WORDS - {word}
                       if other not in word), on_screen[0]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_dashboard_says_provisional_until_every_case_is_complete(every_word_db, size):
    """The demo is part-complete: the summary line says so, whole, even at 80 columns."""
    app = HmipApp(open_database(every_word_db), every_word_db, "LEAD")
    async with app.run_test(size=size) as pilot:
        await pilot.press("d")
        await app.workers.wait_for_complete()
        await pilot.pause()
        summary = next(line for line in screen_lines(app) if "Overall" in line)
        assert "(provisional)" in summary and "Complete 40 of 60" in summary, summary
