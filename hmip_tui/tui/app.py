"""The hmip terminal app: one inspector, one inspection database, keyboard first."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import threading
from pathlib import Path

from textual.app import App
from textual.binding import Binding

from .. import services
from ..framework import Framework
from .commands import HmipCommands
from .messages import ChangedElsewhere

# How often the app asks whether another writer has committed: the issue's "about once a
# second", so an answer given in another terminal shows within two.
WATCH_INTERVAL_S = 1.0
# How long an app whose terminal has gone may take to end on its own (see terminal_gone).
GONE_GRACE_S = 3.0


class HmipApp(App):
    """Walks an inspector through the sampled cases; every answer is committed as it is given."""

    CSS_PATH = "hmip.tcss"
    TITLE = "hmip"
    COMMANDS = App.COMMANDS | {HmipCommands}
    BINDINGS = [
        Binding("question_mark", "help", "Help", id="help"),
        Binding("ctrl+d", "dashboard", "Ratings", id="dashboard", show=False),
    ]

    def __init__(self, conn: sqlite3.Connection, db_path: Path, inspector: str, *, db_named: bool = True):
        super().__init__()
        self.conn = conn
        self.db_path = Path(db_path)
        self.db_named = db_named  # given with --db or HMIP_DB: exports go beside it
        self.inspector = inspector
        self.framework: Framework | None = None
        self.fatal_error: BaseException | None = None  # what stopped the app, for run_app to say
        self.window_lock = services.window_lock(self.db_path)
        self.other_window_open = False
        self.pdu: str | None = None

    def _handle_exception(self, error: Exception) -> None:
        # Textual's own handler prints a traceback with every local variable when the app
        # exits, and a local variable can hold an evidence note. Keep its handling (the return
        # code, the exit, Pilot's re-raise in tests) but drop what it would print: run_app says
        # one sentence instead, after the terminal is restored.
        self.fatal_error = error
        super()._handle_exception(error)
        self._exit_renderables.clear()

    def on_ready(self) -> None:
        # The file is checked whole (and backed up for the day) before the first write, not
        # before the first screen: here, beside it. A first answer given meanwhile waits for
        # the verdict; a damaged file stops the app with the sentence that says how to restore.
        self.run_worker(lambda: services.check_in_background(self.conn), thread=True,
                        name="check before writing", exit_on_error=True)
        # Another writer on the same file: the app's own connection is asked (its own writes do
        # not count, and in WAL mode the question never waits on a writer), on the UI thread
        # because the answer takes microseconds.
        self.written_elsewhere = services.WrittenElsewhere(self.conn)
        self.set_interval(WATCH_INTERVAL_S, self.watch_other_writers, name="watch other writers")
        # A closed terminal (a killed tmux, a lost ssh session) must end the app, not leave it
        # running headless with the window lock held: on SIGHUP, and when its parent is gone.
        self.parent_pid = os.getppid()
        with contextlib.suppress(NotImplementedError, RuntimeError, AttributeError):
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self.terminal_gone)
        if not self.window_lock.take():
            self.other_window_open = True
            self.say_other_window()

    def on_unmount(self) -> None:
        self.window_lock.release()

    def watch_other_writers(self) -> None:
        if os.getppid() != self.parent_pid:  # the terminal that ran the app has gone
            self.terminal_gone()
            return
        if self.written_elsewhere.changed() and self.framework is not None:
            self.screen.post_message(ChangedElsewhere())
        if self.other_window_open and self.window_lock.take():
            self.other_window_open = False
            self.show_title()  # the other window has closed: the notice goes with it

    def terminal_gone(self) -> None:
        """End the app whose terminal has gone. Every answer is already committed, so only the
        window lock matters. Textual's shutdown can wait forever on writing to a terminal that
        is no longer there (seen after $EDITOR had the screen): if it has not ended in a few
        seconds, the process ends without it."""
        if getattr(self, "ending", False):
            return
        self.ending = True
        timer = threading.Timer(GONE_GRACE_S, self.end_now)
        timer.daemon = True
        timer.start()
        self.exit()

    def end_now(self) -> None:
        self.window_lock.release()
        os._exit(0)

    def say_other_window(self) -> None:
        """A notice, never a dialog: it takes no key and no focus, because the inspector may
        mean to have two windows, and both save safely (SQLite orders the writes)."""
        self.show_title()
        self.notify("Another hmip window has this database open. Both save every answer; each "
                    "shows what the other writes within a second or two.",
                    title="Open in another window", timeout=12)

    def show_title(self) -> None:
        # The notice leads the title: the header cuts a long PDU name, and the sub-title with
        # it, from the right at 80 columns.
        # With the notice, the PDU moves behind who is recording, so 80 columns cut the PDU's
        # name rather than the inspector's code.
        if self.other_window_open:
            self.title = "hmip · also open in another window"
            self.sub_title = f"inspector {self.inspector}" + (f" · {self.pdu}" if self.pdu else "")
        else:
            self.title = f"hmip · {self.pdu}" if self.pdu else "hmip"
            self.sub_title = f"inspector {self.inspector}"

    def get_default_screen(self):
        # The first screen is the app's default screen, not one pushed over an empty default:
        # composing one screen instead of two is the difference in time to first paint.
        inspection = services.get_inspection(self.conn)
        if inspection is None:
            from .screens.welcome import WelcomeScreen

            return WelcomeScreen()
        from .screens.home import HomeScreen

        self.use_inspection(inspection)
        return HomeScreen()

    def use_inspection(self, inspection) -> None:
        self.framework = inspection.framework()
        self.pdu = inspection.pdu
        self.show_title()

    def open_inspection(self) -> None:
        """From the welcome screen: show the home screen of the inspection just made."""
        from .screens.home import HomeScreen

        self.use_inspection(services.require_inspection(self.conn))
        self.push_screen(HomeScreen())  # over the welcome screen, which is the base

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def _show(self, module: str, name: str) -> None:
        """Open one of the inspection's screens, unless it is already on top."""
        from importlib import import_module

        screen_class = getattr(import_module(f".screens.{module}", __package__), name)
        if self.framework is not None and not isinstance(self.screen, screen_class):
            self.push_screen(screen_class())

    def action_dashboard(self) -> None:
        self._show("dashboard", "DashboardScreen")

    def action_judgements(self) -> None:
        self._show("judgements", "JudgementsScreen")

    def action_moderation(self) -> None:
        self._show("moderation", "ModerationScreen")

    def action_team(self) -> None:
        self._show("team", "TeamScreen")

    def action_export(self) -> None:
        self._show("export", "ExportScreen")

    def action_search(self) -> None:
        self._show("search", "SearchScreen")

    def may_open(self, ref: str) -> bool:
        """Limited-access cases open only for their assigned inspectors; others are told why."""
        from ..errors import HmipError

        try:
            services.may_open(self.conn, ref, self.inspector)
        except HmipError as exc:
            self.notify(str(exc), severity="error", title="Limited access")
            return False
        return True

    def open_case(self, ref: str, question_id: str | None = None) -> None:
        """Open a case over the case list, however it was reached (ctrl+p from inside another
        case, say): Esc then always goes back to the list, never to a case left behind, where
        the next key would answer a question of the wrong case."""
        from .screens.case_walk import CaseWalkScreen
        from .screens.home import HomeScreen

        if not self.may_open(ref):
            return
        while len(self.screen_stack) > 1 and not isinstance(self.screen, HomeScreen):
            if isinstance(self.screen, CaseWalkScreen):
                self.screen.remember_place()
            self.pop_screen()
        self.push_screen(CaseWalkScreen(ref, question_id))
