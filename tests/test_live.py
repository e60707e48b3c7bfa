"""Live: the open app notices another writer on its file (`hmip answer` in another terminal)
within a few seconds, without a key, and shows what it now reads."""

from __future__ import annotations

import asyncio
import time

from textual.widgets import DataTable

from conftest import run_hmip
from hmip_tui import store
from hmip_tui.case_checks import applicable
from hmip_tui.framework import load_framework
from hmip_tui.services import WrittenElsewhere, open_database, record_answer
from hmip_tui.tui.app import HmipApp
from hmip_tui.tui.screens.dashboard import DashboardScreen
from hmip_tui.tui.screens.home import HomeScreen

FW = load_framework()


def untouched_case(db, inspector="INSP3"):
    """A not-started, open case of `inspector`'s in the demo, and a question it asks (Yes/No)."""
    conn = open_database(db)
    try:
        case = next(c for c in store.all_cases(conn) if c.status == "not_started"
                    and c.inspector == inspector and c.profile.get("limited_access") != "yes")
        question = next(q for q in applicable(FW, case.profile) if q.type.option("yes"))
        return case, question.id
    finally:
        conn.close()


def row_of(app, ref) -> dict[str, str]:
    table = app.screen.query_one(DataTable)
    keys = [c.key.value for c in table.ordered_columns]
    return dict(zip(keys, (str(c) for c in table.get_row(ref))))


async def wait_for(pilot, condition, seconds: float) -> float:
    """Let the app run (no key pressed) until `condition()` holds; how long it took."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > seconds:
            break
        await pilot.pause(0.1)
    return time.monotonic() - start


def test_only_other_writers_count(demo_db):
    app_conn, other = open_database(demo_db), open_database(demo_db)
    case, question = untouched_case(demo_db)
    watch = WrittenElsewhere(app_conn)
    assert not watch.changed()
    record_answer(app_conn, FW, case.ref, question, "yes", None, "INSP3")
    assert not watch.changed()  # its own answer: the screen already shows it
    record_answer(other, FW, case.ref, question, "no", None, "INSP3")
    assert watch.changed() and not watch.changed()  # once for each change seen
    app_conn.close(), other.close()


async def test_an_answer_given_on_the_command_line_shows_on_the_list_of_all_cases(demo_db):
    case, question = untouched_case(demo_db)
    app = HmipApp(open_database(demo_db), demo_db, "LF")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("a")  # all cases: the case is INSP3's
        assert isinstance(app.screen, HomeScreen)
        before = row_of(app, case.ref)
        assert before["answered"].startswith("0/") and before["status"] == "not started"
        await asyncio.to_thread(run_hmip, "answer", case.ref, question, "yes", db=demo_db,
                                inspector="INSP3", check=True)
        took = await wait_for(pilot, lambda: row_of(app, case.ref)["answered"].startswith("1/"), 4)
        after = row_of(app, case.ref)
        assert after["answered"] == "1/" + before["answered"].split("/")[1], (after, took)
        assert after["status"] == "in progress"
        assert app.screen.show_all  # still the list of all cases


async def test_the_dashboard_counts_an_answer_given_elsewhere(demo_db):
    case, question = untouched_case(demo_db)
    app = HmipApp(open_database(demo_db), demo_db, "LF")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        summary = app.screen.query_one("#summary")

        def relevant_of(qid):
            table = app.screen.query_one(DataTable)
            row = next(r for r in (table.get_row_at(i) for i in range(table.row_count))
                       if str(r[2]) == qid)
            return int(str(row[5]))

        kq = next(q for q in applicable(FW, case.profile) if q.kind == "key_question")
        before = relevant_of(kq.id)
        writer = open_database(demo_db)  # a second connection: another app instance, say
        await asyncio.to_thread(record_answer, writer, FW, case.ref, kq.id, "yes", None, "INSP3")
        writer.close()
        await wait_for(pilot, lambda: relevant_of(kq.id) == before + 1, 4)
        assert relevant_of(kq.id) == before + 1
        assert summary is app.screen.query_one("#summary")


# --- a second window on the same database -----------------------------------------------

HOLD = ("import sys, time\n"
        "from hmip_tui.window_lock import WindowLock\n"
        "lock = WindowLock(sys.argv[1])\n"
        "assert lock.take()\n"
        "print('held', flush=True)\n"
        "time.sleep(120)\n")


def hold_window_lock(db):
    """Another hmip window, as far as the lock can tell: a process holding the app's lock."""
    import subprocess
    import sys

    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def says_other_window(app) -> bool:
    return "also open in another window" in app.title


async def test_a_second_window_says_so_takes_no_keys_and_the_command_line_still_writes(demo_db):
    case, question = untouched_case(demo_db)
    first = HmipApp(open_database(demo_db), demo_db, "LEAD")
    second = HmipApp(open_database(demo_db), demo_db, "LEAD")
    async with first.run_test(size=(80, 24)) as one:
        await one.pause()
        assert not says_other_window(first)
        async with second.run_test(size=(80, 24)) as two:
            await two.pause()
            assert says_other_window(second)
            import html  # ...and on screen at 80 columns, where the header cuts from the right

            shown = html.unescape(second.export_screenshot()).replace("\xa0", " ")
            assert "hmip · also open in another window" in shown
            assert f"inspector {second.inspector}" in shown  # who records stays on screen too
            assert any("Another hmip window has this database open" in n.message
                       for n in second._notifications)
            # The notice takes no focus and no key: the case list answers the keys as ever.
            assert isinstance(second.screen, HomeScreen)
            assert second.focused is second.screen.query_one(DataTable)
            shown_all = second.screen.show_all
            await two.press("a")
            assert second.screen.show_all is not shown_all
            # Command-line writers neither take nor respect the lock.
            result = await asyncio.to_thread(run_hmip, "answer", case.ref, question, "yes",
                                              db=demo_db, inspector="INSP3")
            assert result.returncode == 0, result.stderr
        # The second window closed: the first never claimed another was open.
        assert not says_other_window(first)


async def test_the_notice_goes_when_the_other_window_closes_and_a_killed_one_leaves_none(demo_db):
    holder = hold_window_lock(demo_db)
    try:
        app = HmipApp(open_database(demo_db), demo_db, "LEAD")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert says_other_window(app)
            holder.kill()  # SIGKILL: no clean-up ran, the lock file stays
            holder.wait()
            await wait_for(pilot, lambda: not says_other_window(app), 4)
            assert not says_other_window(app)
    finally:
        holder.kill()
        holder.wait()
    from hmip_tui.window_lock import lock_path

    assert lock_path(demo_db).exists()  # what a crash leaves behind...
    app = HmipApp(open_database(demo_db), demo_db, "LEAD")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not says_other_window(app)  # ...says nothing: only a live holder counts
        assert not app._notifications
