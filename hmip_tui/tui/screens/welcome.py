"""The first screen on a database with no inspection: open the demo, or create one."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Label, Static

from ... import services
from ...errors import HmipError
from ...framework import load_framework
from ...words import count


FIELDS = [  # (id, label, placeholder)
    ("pdu", "PDU inspected", "required"),
    ("region", "Region", ""),
    ("fieldwork", "Fieldwork start", "YYYY-MM-DD"),
    ("lead", "Lead inspector's code", "required, e.g. LF: leads the team"),
    ("sample", "Sample CSV", "optional: a file of ref, inspector, profile columns"),
]


class WelcomeScreen(Screen):
    """No inspection yet: ctrl+o opens the demo, or fill in the form and press ctrl+s."""

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
                         "Or describe the inspection below (tab moves on) and press ctrl+s.")
            for field_id, label, placeholder in FIELDS:
                with Horizontal(classes="welcome-field"):
                    yield Label(label, classes="field-label")
                    yield Input(placeholder=placeholder, id=field_id, compact=True)
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
        value = {field_id: self.query_one(f"#{field_id}", Input).value.strip() for field_id, *_ in FIELDS}
        error = self.query_one("#welcome-error", Static)
        try:
            _, cases = services.set_up_inspection(
                self.app.conn, pdu=value["pdu"], framework=load_framework(), lead=value["lead"],
                region=value["region"] or None, fieldwork_start=value["fieldwork"] or None,
                sample=Path(value["sample"]) if value["sample"] else None)
        except HmipError as exc:
            error.update(str(exc))
            return
        # Whoever fills in the form is the lead: the app records as the code given, not as the
        # login name it was started with, so the lead's next keys are the lead's.
        self.app.inspector = value["lead"]
        self.app.open_inspection()
        cases_said = count(cases, "case") if cases else "no cases yet (n adds one)"
        self.app.notify(f"Created the inspection with {cases_said}; {value['lead']} leads the team "
                        "(t shows it).", title="Inspection created")
