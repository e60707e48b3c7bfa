"""Domain-one judgements: the lead inspector's rating and evidence for each organisational standard."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from ..table import Table
from ... import services as store
from .dashboard import rating_text


# The detail panel's lines (`.detail`'s max-height in hmip.tcss).
DETAIL_LINES = 8


class JudgementsScreen(Screen):
    """Rate each domain-one standard with 1-4, and give its evidence with e."""

    BINDINGS = [
        *[Binding(str(i), f"rate({i})", "Rate", id=f"rate-{i}", show=(i == 1)) for i in range(1, 5)],
        Binding("e", "evidence", "Evidence", id="evidence"),
        Binding("d", "app.dashboard", "Ratings", id="judgements-dashboard", show=False),
        Binding("escape", "app.pop_screen", "Back", id="back"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        bands = self.app.framework.bands
        # The keys' legend on a line of its own, where no number wraps away from its word.
        yield Static("Domain one: organisational delivery, rated by the team's judgement.\n" +
                     "  ".join(f"{i} {b.label}" for i, b in enumerate(bands, start=1)), id="where")
        yield Table(id="judgements", cursor_type="row")
        # The evidence runs to sentences: whole here for the standard under the cursor, where a
        # column would cut it at 80 columns.
        yield Static(id="judgement-detail", classes="detail")
        yield Static(id="status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Standard", "Rating", "Evidence")
        self.standards = [s for s in self.app.framework.standards if s.rated_by == "judgement"]
        self.reload()
        table.focus()

    def reload(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        held = store.judgements(self.app.conn)
        table.clear()
        for s in self.standards:
            rating, evidence = held.get(s.id, (None, ""))
            band = self.app.framework.band(rating) if rating else None
            table.add_row(f"{s.id} {s.title}", rating_text(band), evidence or "(none yet)", key=s.id)
        table.move_cursor(row=row)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        standard = self.app.framework.standard(event.row_key.value)
        rating, evidence = store.judgements(self.app.conn).get(standard.id, (None, ""))
        band = self.app.framework.band(rating) if rating else None
        detail = self.query_one("#judgement-detail", Static)
        text = Text(f"{standard.id} {standard.title}: {band.label if band else 'not rated yet'}\n"
                    f"{evidence or 'No evidence given yet: e writes it.'}")
        # The panel holds DETAIL_LINES lines: longer evidence says that it goes on, and where.
        width = max((detail.size.width or self.size.width) - 2, 20)
        lines = text.wrap(self.app.console, width)
        if len(lines) > DETAIL_LINES:
            text = Text("\n").join([*lines[:DETAIL_LINES - 1],
                                    Text("… more: e shows the whole evidence", style="italic")])
        detail.update(text)

    def current(self):
        return self.standards[self.query_one(DataTable).cursor_row]

    def action_rate(self, index: int) -> None:
        band = self.app.framework.bands[index - 1]
        standard = self.current()
        evidence = store.judgements(self.app.conn).get(standard.id, (None, ""))[1]
        if evidence:
            self.save(standard.id, band.id, evidence)
        else:
            self.ask_evidence(standard, band.id)

    def action_evidence(self) -> None:
        standard = self.current()
        rating = store.judgements(self.app.conn).get(standard.id, (None, ""))[0]
        if rating is None:
            self.query_one("#status", Static).update("Rate the standard first (1-4), then give its evidence.")
            return
        self.ask_evidence(standard, rating)

    def ask_evidence(self, standard, rating: str) -> None:
        from .note import EvidenceNoteScreen

        held = store.judgements(self.app.conn).get(standard.id, (None, ""))[1]

        def done(text: str | None) -> None:
            if text is None:
                return  # backed out: the judgement stays as it was
            if text.strip():
                self.save(standard.id, rating, text.strip())
            else:
                self.query_one("#status", Static).update("Not saved: a judgement needs its evidence.")
            # Saved in the history (or refused as empty): the draft has done its work.
            store.drop_note_draft(self.app.conn, "", standard.id, self.app.inspector)

        # The evidence runs to paragraphs: the same editor as a case's notes, its draft kept under
        # no case (domain one is the inspection's, as in the history).
        self.app.push_screen(EvidenceNoteScreen("", standard.id, f"Evidence for {standard.id} {standard.title}",
                                                held), done)

    def save(self, standard_id: str, rating: str, evidence: str) -> None:
        store.record_judgement(self.app.conn, self.app.framework, standard_id, rating, evidence,
                               self.app.inspector)
        standard = self.app.framework.standard(standard_id)
        self.query_one("#status", Static).update(
            f"Saved the judgement on {standard_id} {standard.title}: {self.app.framework.band(rating).label} ✓")
        self.reload()
