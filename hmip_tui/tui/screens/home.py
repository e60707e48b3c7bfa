"""The inspection home: the sampled cases, "my cases" first, with progress and flags."""

from __future__ import annotations

import time

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from ..table import Table
from ...services import CaseProgress, case_progress, cases_with_drafts

TYPE_AHEAD_S = 0.3  # keys this soon after "f" or "/" were typed for the field, not for the list
PAGE_SIZE = 100  # rows in the table at once: a DataTable costs ~170 µs a row before first paint

STATUS_LABEL = {"not_started": "not started", "in_progress": "in progress", "complete": "complete",
                "moderated": "moderated"}
SORTS = [
    ("reference", lambda c: c.ref),
    # A limited-access case the reader may not open is counted by its status (home and dashboard
    # count alike) but never sorted or found by it: its place in the list would tell its status.
    ("status", lambda c: (len(STATUS_LABEL) if c.hidden else list(STATUS_LABEL).index(c.status), c.ref)),
    ("progress", lambda c: (c.answered / c.required if c.required else 1, c.ref)),
    ("risk of serious harm", lambda c: (c.rosh, c.ref)),
    ("inspector", lambda c: (c.inspector or "", c.ref)),
]


class HomeScreen(Screen):
    """The cases of the inspection. Enter opens a case where it was left."""

    BINDINGS = [
        Binding("enter", "open_case", "Open case", id="open", priority=False),
        Binding("a", "toggle_all", "All/mine", id="all"),
        Binding("slash", "app.search", "Search", id="search"),
        Binding("f", "filter", "Filter", id="filter", show=False),  # said by the field itself
        Binding("s", "sort", "Sort", id="sort", show=False),
        Binding("p", "profile", "Profile", id="profile", show=False),
        Binding("n", "new_case", "New", id="new"),  # a case: the list says so, and 80 columns need the room
        Binding("d", "app.dashboard", "Ratings", id="dashboard"),
        Binding("o", "app.judgements", "Domain one", id="judgements", show=False),
        Binding("x", "app.export", "Export", id="export"),
        Binding("m", "app.moderation", "Moderation", id="moderation", show=False),
        Binding("t", "app.team", "Team", id="team", show=False),
        Binding("right_square_bracket", "page(1)", "Next page", id="next-page", show=False),
        Binding("left_square_bracket", "page(-1)", "Prev page", id="prev-page", show=False),
        Binding("escape", "leave_filter", "Back to list", id="leave-filter", show=False),
        Binding("q", "app.quit", "Quit", id="quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.show_all = False
        self.sort_index = 0
        self.page = 0
        self.query_text = ""
        self.cases: list[CaseProgress] = []
        self.shown_cases: list[CaseProgress] = []
        self.resumed_once = False
        self.drafts: set[str] = set()
        self.field_asked_at = 0.0

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="home-top"):
            yield Static(id="where")
            yield Input(placeholder="f filter", id="filter", compact=True)
        yield Table(id="cases", cursor_type="row", zebra_stripes=True)
        yield Static(id="page")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        self.query_one(DataTable).focus()

    def on_screen_resume(self) -> None:
        # Textual posts ScreenResume on the first push too: reload only when coming back.
        if not self.resumed_once:
            self.resumed_once = True
            return
        self.reload()

    def on_changed_elsewhere(self) -> None:
        # Another writer's answers move a case's count and status: read the cases again,
        # keeping the page, the filter and the cursor where they are.
        self.reload()

    # --- data ---------------------------------------------------------------------------

    def reload(self) -> None:
        self.cases = case_progress(self.app.conn, self.app.framework, self.app.inspector)
        self.drafts = cases_with_drafts(self.app.conn, self.app.inspector)
        if not any(c.inspector == self.app.inspector for c in self.cases):
            self.show_all = True  # nothing is assigned to this inspector: show everything
        self.refresh_rows()

    def flags(self, c: CaseProgress) -> str:
        # "draft": a note this inspector began here and has not saved; the case walk offers it back.
        return " ".join(f for f in ("LA" if c.limited_access else "", "draft" if c.ref in self.drafts else "") if f)

    def refresh_rows(self, keep: str | None = None) -> None:
        """Redraw the current page; `keep` is the case to keep the cursor on ("" for none)."""
        table = self.query_one(DataTable)
        keep = self.current_ref() if keep is None else keep
        rows = [c for c in self.cases if self.show_all or c.inspector == self.app.inspector]
        needle = self.query_text.lower().strip()
        if needle:
            rows = [c for c in rows if needle in (f"{c.ref} limited access".lower() if c.hidden else " ".join(
                (c.ref, c.sentence_type, c.rosh, c.inspector or "", STATUS_LABEL[c.status],
                 self.flags(c))).lower())]
        rows.sort(key=SORTS[self.sort_index][1])
        self.shown_cases = rows
        pages = max(1, -(-len(rows) // PAGE_SIZE))
        if keep and keep in {c.ref for c in rows}:
            self.page = [c.ref for c in rows].index(keep) // PAGE_SIZE
        self.page = min(self.page, pages - 1)
        start = self.page * PAGE_SIZE
        # "My cases" are all the reader's own: the inspector column earns its width only in "all".
        columns = [("Case", "ref"), ("Sentence", "sentence"), ("RoSH", "rosh"),
                   *([("Inspector", "inspector")] if self.show_all else []),
                   ("Status", "status"), ("Answered", "answered"), ("Flags", "flags")]
        # At 80 columns the sentence takes its short label, so status, progress and flags all
        # stay on screen in the list of all cases; wider, the words in full.
        narrow = self.app.size.width < 100
        table.clear(columns=True)
        for label, key in columns:
            table.add_column(label, key=key)
        for c in rows[start:start + PAGE_SIZE]:
            if c.hidden:  # another inspector's limited-access case: that it exists, nothing more
                cells = [c.ref, "limited access", "", *([""] if self.show_all else []), "", "", "LA"]
                table.add_row(*cells, key=c.ref)
                continue
            flags = self.flags(c)
            sentence = (c.sentence_short or c.sentence_type) if narrow else c.sentence_type
            cells = [c.ref, sentence, c.rosh, *([c.inspector or "-"] if self.show_all else []),
                     STATUS_LABEL[c.status], f"{c.answered}/{c.required}", flags]
            table.add_row(*cells, key=c.ref)
        if keep and keep in {c.ref for c in rows[start:start + PAGE_SIZE]}:
            table.move_cursor(row=table.get_row_index(keep))
        done = sum(c.status in ("complete", "moderated") for c in rows)
        scope = "All cases" if self.show_all else f"My cases ({self.app.inspector})"
        self.query_one("#where", Static).update(
            f"{scope}: {len(rows)} · {done} complete · {len(rows) - done} to do")
        shown = f"{start + 1}-{min(start + PAGE_SIZE, len(rows))}" if rows else "0"
        paging = f" · page {self.page + 1} of {pages}: ] next, [ previous" if pages > 1 else ""
        self.query_one("#page", Static).update(
            f"Cases {shown} of {len(rows)} by {SORTS[self.sort_index][0]} (s sorts){paging}" if rows else
            "No cases here. n adds a case; a shows all cases; f changes the filter.")

    def on_resize(self) -> None:
        if self.cases:
            self.refresh_rows()

    def current_ref(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    # --- actions ------------------------------------------------------------------------

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.app.open_case(event.row_key.value)

    def action_open_case(self) -> None:
        ref = self.current_ref()
        if ref:
            self.app.open_case(ref)

    def action_toggle_all(self) -> None:
        self.show_all = not self.show_all
        self.refresh_rows()

    def action_sort(self) -> None:
        self.sort_index = (self.sort_index + 1) % len(SORTS)
        self.refresh_rows()

    def action_page(self, step: int) -> None:
        self.page = max(0, self.page + step)
        self.refresh_rows(keep="")

    def action_filter(self) -> None:
        self.field_asked_at = time.monotonic()
        self.query_one("#filter", Input).focus()

    def on_key(self, event: events.Key) -> None:
        """`f` (filter) and `/` (search) with a word typed straight after them arrive as one
        burst, and Textual hands each key to the widget focused when it arrives: the word's
        letters would reach the list, where `d` opens the ratings and `a` shows all cases. So
        both keys are taken here, on their way up from the list (the keys behind them pass this
        screen in order; the app's bindings see them only after), and printable keys that
        follow within a burst go where the word was meant to go."""
        field = self.query_one("#filter", Input)
        if field.has_focus or not event.character:
            return
        burst = time.monotonic() - self.field_asked_at < TYPE_AHEAD_S
        if burst and event.character.isprintable():
            if self.app.screen is self:
                field.insert_text_at_cursor(event.character)
            else:  # the search screen, opened by "/" in this burst
                self.app.screen.type_ahead(event.character)
        elif event.key == "f":
            self.action_filter()
        elif event.key == "slash":
            self.field_asked_at = time.monotonic()
            self.app.action_search()
        else:
            return
        event.prevent_default()
        event.stop()

    def action_leave_filter(self) -> None:
        self.query_one(DataTable).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_text = event.value
        self.page = 0
        self.refresh_rows(keep="")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one(DataTable).focus()

    def action_profile(self) -> None:
        from .profile import ProfileScreen

        ref = self.current_ref()
        if ref and self.app.may_open(ref):
            self.app.push_screen(ProfileScreen(ref))

    def action_new_case(self) -> None:
        from .profile import ProfileScreen

        self.app.push_screen(ProfileScreen(None))
