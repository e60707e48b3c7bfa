"""The first screen on a database with no inspection: open the demo, or create one."""

from __future__ import annotations

from datetime import date

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static

from ... import services
from ...errors import HmipError
from ...framework import load_framework


class WelcomeScreen(Screen):
    """No inspection yet: d opens the demo, or fill in the form and press ctrl+s."""

    BINDINGS = [
        Binding("ctrl+o", "demo", "Open the demo", id="demo"),
        Binding("ctrl+s", "create", "Create inspection", id="create"),
        Binding("ctrl+q", "app.quit", "Quit", id="quit"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="welcome"):
            yield Static(f"There is no inspection in {self.app.db_path} yet.", classes="dialog-title")
            yield Static("ctrl+o opens a demo inspection of synthetic cases, to try the tool. "
                         "Or describe the inspection below and press ctrl+s.")
            yield Input(placeholder="PDU inspected (required)", id="pdu")
            yield Input(placeholder="Region", id="region")
            yield Input(placeholder="Fieldwork start, YYYY-MM-DD", id="fieldwork")
            yield Static(id="welcome-error")
        yield Footer()

    def action_demo(self) -> None:
        try:
            services.create_demo(self.app.conn, load_framework(), lead=self.app.inspector)
        except HmipError as exc:
            self.query_one("#welcome-error", Static).update(str(exc))
            return
        self.app.open_inspection()

    def action_create(self) -> None:
        pdu = self.query_one("#pdu", Input).value.strip()
        region = self.query_one("#region", Input).value.strip() or None
        start = self.query_one("#fieldwork", Input).value.strip() or None
        error = self.query_one("#welcome-error", Static)
        if not pdu:
            error.update("Name the PDU inspected.")
            return
        if start:
            try:
                date.fromisoformat(start)
            except ValueError:
                error.update(f"{start!r} is not a date: write it as YYYY-MM-DD.")
                return
        try:
            services.found_inspection(self.app.conn, pdu=pdu, framework=load_framework(),
                                      lead=self.app.inspector, region=region, fieldwork_start=start)
        except HmipError as exc:
            error.update(str(exc))
            return
        self.app.open_inspection()
