"""The team: each inspector's code and role, and the key this inspection knows them by."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from ..table import Table
from ...errors import HmipError
from ...services import add_to_team, is_lead, team_members
from ...words import count


class TeamScreen(Screen):
    """Who is on the team; the lead adds an inspector with a."""

    BINDINGS = [
        Binding("a", "add", "Add inspector", id="add"),
        Binding("escape", "back", "Back", id="back"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="where")
        yield Table(id="team", cursor_type="row", zebra_stripes=True)
        yield Input(placeholder="code of the inspector to add, then Enter (Esc: not now)",
                    id="new-member", compact=True)
        yield Static(id="status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Code", key="code")
        table.add_column("Role", key="role")
        table.add_column("Key this inspection knows them by", key="key")
        self.query_one("#new-member", Input).display = False
        self.reload()
        table.focus()

    def reload(self, keep: str | None = None) -> None:
        table = self.query_one(DataTable)
        members = team_members(self.app.conn)
        table.clear()
        for m in members:
            table.add_row(m["code"], m["role"], m["key"] or "not seen yet: comes with their first bundle",
                          key=m["code"])
        if keep in {m["code"] for m in members}:
            table.move_cursor(row=table.get_row_index(keep))
        leads = [m["code"] for m in members if m["role"] == "lead"]
        self.query_one("#where", Static).update(
            f"The team: {count(len(members), 'inspector')}, led by {', '.join(leads) or 'nobody yet'}")

    def on_changed_elsewhere(self) -> None:
        self.reload(keep=self.current_code())

    def current_code(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def say(self, text: str, error: bool = False) -> None:
        status = self.query_one("#status", Static)
        status.update(text)
        status.set_class(error, "-error")

    def action_add(self) -> None:
        if not is_lead(self.app.conn, self.app.inspector):
            self.say(f"Only the lead adds to the team; you are recording as {self.app.inspector}.", error=True)
            return
        field = self.query_one("#new-member", Input)
        field.value = ""
        field.display = True
        field.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        code = event.value.strip()
        if not code:
            return
        try:
            added = add_to_team(self.app.conn, code, "inspector", by=self.app.inspector)
        except HmipError as exc:
            self.say(str(exc), error=True)  # the field stays open, its text there to correct
            return
        self.say(f"Added {code} to the team as an inspector." if added else f"{code} is on the team already.")
        self.close_field()
        self.reload(keep=code)

    def close_field(self) -> None:
        self.query_one("#new-member", Input).display = False
        self.query_one(DataTable).focus()

    def action_back(self) -> None:
        if self.query_one("#new-member", Input).display:
            self.close_field()
            return
        self.app.pop_screen()
