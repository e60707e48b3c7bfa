"""Searching the evidence: type words, Enter lists the notes, judgements and reasons holding
them; Enter on a match opens the case at that question."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from ..table import Table
from ... import services
from ...errors import HmipError


class SearchScreen(Screen):
    """Search the evidence notes, judgements and reasons you may see."""

    BINDINGS = [
        Binding("enter", "open_match", "Open", id="open-match", priority=False),
        Binding("slash", "edit_words", "New search", id="edit-words"),
        Binding("escape", "app.pop_screen", "Back", id="back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.matches: list[dict] = []
        self.typed_ahead = ""  # words typed with "/" in one burst, before this screen was up

    def type_ahead(self, character: str) -> None:
        if self.is_mounted:
            self.query_one(Input).insert_text_at_cursor(character)
        else:
            self.typed_ahead += character

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="words from a note, a judgement or a reason; Enter searches", id="words", compact=True)
        yield Table(id="matches", cursor_type="row", zebra_stripes=True)
        yield Static("Type words and press Enter (a * after a word finds the words it begins). Cases you may not open are never searched.", id="found")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("Case", "Question", "Found", "Where")
        field = self.query_one(Input)
        field.insert_text_at_cursor(self.typed_ahead)
        field.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        table = self.query_one(DataTable)
        table.clear()
        found = self.query_one("#found", Static)
        try:
            result = services.search_evidence(self.app.conn, self.app.framework, event.value, self.app.inspector)
        except HmipError as exc:
            self.matches = []
            found.update(str(exc))
            return
        self.matches = result["matches"]
        for i, m in enumerate(self.matches):
            # The words found before the question's wording: at 80 columns they are what shows.
            table.add_row(m["case"] or "inspection", m["question"], _highlighted(m), m["label"], key=str(i))
        if not result["count"]:
            found.update(f"Nothing you may see holds {event.value}.")
            return
        more = f", the first {result['shown']} shown" if result["shown"] < result["count"] else ""
        found.update(f"{result['count']} found{more}. Enter opens; / searches again; Esc goes back.")
        table.focus()

    def action_open_match(self) -> None:
        table = self.query_one(DataTable)
        if not self.matches or not table.has_focus:
            return
        m = self.matches[table.cursor_row]
        if m["case"] is None:  # a judgement's evidence: the domain-one screen
            self.app.action_judgements()
            return
        question = m["question"] if m["question"] in self.app.framework.questions else None
        self.app.open_case(m["case"], question)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open_match()

    def action_edit_words(self) -> None:
        self.query_one(Input).focus()


def _highlighted(match: dict) -> Text:
    text = Text(match["snippet"].replace("\n", " "))
    for start, end in match["marks"]:
        text.stylize("bold reverse", start, end)
    return text
