"""The cases behind a key question's figure, with their answers and evidence notes.

Reached with Enter on the dashboard: each percentage traced to its evidence. Enter opens a case at
the question; a case the reader may not open is listed, as withheld, so the list always holds as
many cases as the figure counts.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from ..table import Table
from ... import services
from ...words import count

# Columns before the note, in cells (with DataTable's padding): Case, Answer, Inspector.
FIXED = {"Case": 10, "Answer": 10, "Inspector": 11}


class EvidenceListScreen(Screen):
    """Read-only. Enter opens the case under the cursor at this question."""

    BINDINGS = [
        Binding("enter", "open_case", "Open case", id="evidence-open", priority=True),
        Binding("v", "next_value", "Yes/No/all", id="evidence-value"),
        Binding("escape", "app.pop_screen", "Back", id="back"),
    ]

    def __init__(self, question_id: str) -> None:
        super().__init__()
        self.question_id = question_id
        self.value: str | None = None  # show every case behind the figure, or those counted Yes or No
        self.cases: list[dict] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="where")
        yield Table(id="evidence-cases", cursor_type="row", zebra_stripes=True)
        yield Static(id="evidence-note")
        yield Footer()

    def on_mount(self) -> None:
        self.show()
        self.query_one(DataTable).focus()

    def on_resize(self, event) -> None:
        self.show()

    def on_changed_elsewhere(self) -> None:
        self.show()

    def show(self) -> None:
        found = services.evidence(self.app.conn, self.app.framework, self.question_id,
                                  self.app.inspector, self.value)
        self.cases = found["cases"]
        pct = "-" if found["percent"] is None else f"{found['percent']:.0f}%"
        which = {None: "every case behind it", "yes": "the cases judged Yes",
                 "no": "the cases judged No"}[self.value]
        withheld = f" · {found['withheld']} withheld" if found["withheld"] else ""
        self.query_one("#where", Static).update(Text.assemble(
            (f"{found['question']} ", "bold"), found["text"], "\n",
            f"{found['yes']} Yes, {found['no']} No of {count(found['relevant'], 'case')} ({pct} Yes)"
            f" · showing {which}{withheld}"))
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear(columns=True)
        note_width = max(12, self.size.width - sum(FIXED.values()) - 4)
        for label, width in FIXED.items():
            table.add_column(label, width=width - 2)
        table.add_column("Evidence note", width=note_width - 2)
        for c in self.cases:
            if c.get("withheld"):
                table.add_row(c["ref"], Text("withheld", style="dim italic"), "",
                              Text("limited access or second reading", style="dim italic"))
                continue
            style = "green" if c["counts_as"] == "yes" else "red"
            table.add_row(c["ref"], Text(c["answer"], style=style), c.get("inspector") or "",
                          self.first_line(c, note_width - 2))
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))
        self.show_note()

    @staticmethod
    def first_line(case: dict, width: int) -> Text:
        if case.get("note_withheld"):
            return Text("note held on another laptop", style="dim italic")
        note = (case.get("note") or "").strip()
        if not note:
            return Text("no note", style="dim")
        line = " ".join(note.split())
        return Text(line if len(line) <= width else line[: width - 1] + "…")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_note()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open_case()

    def current(self) -> dict | None:
        table = self.query_one(DataTable)
        if not self.cases or not (0 <= table.cursor_row < len(self.cases)):
            return None
        return self.cases[table.cursor_row]

    def show_note(self) -> None:
        c = self.current()
        box = self.query_one("#evidence-note", Static)
        if c is None:
            box.update(Text("No case is behind this figure yet.", style="dim"))
        elif c.get("withheld"):
            box.update(Text(f"Case {c['ref']}: withheld from you (limited access, or a case you are "
                            "second-reading blind).", style="dim italic"))
        else:
            box.update(Text.assemble((f"Case {c['ref']}: {c['answer']}", "bold"), "\n",
                                     c.get("note") or Text("no note", style="dim")))

    def action_next_value(self) -> None:
        order = [None, "yes", "no"]
        self.value = order[(order.index(self.value) + 1) % len(order)]
        self.query_one(DataTable).move_cursor(row=0)
        self.show()

    def action_open_case(self) -> None:
        c = self.current()
        if c is not None:
            self.app.open_case(c["ref"], self.question_id)
