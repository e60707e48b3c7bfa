"""A case's audit trail: every change, who made it, when, and why."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from ...services import audit_trail


class AuditTrailScreen(Screen):
    """Read-only: the trail is appended to, never edited."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="back")]

    def __init__(self, ref: str) -> None:
        super().__init__()
        self.ref = ref

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Audit trail of case {self.ref}: every change, oldest first", id="where")
        yield DataTable(id="audit", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("When", "Who", "What", "Question", "From", "To", "Reason")
        entries = audit_trail(self.app.conn, self.ref, self.app.inspector).lines
        if not entries:
            self.query_one("#where", Static).update(
                f"Audit trail of case {self.ref}: no change recorded yet")
        for e in entries:
            table.add_row(e.at[:19].replace("T", " "), e.by or "", e.kind, e.question or "",
                          e.old_value or "", e.new_value or "", e.reason or e.detail or "")
        table.focus()
