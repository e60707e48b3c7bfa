"""A case's audit trail: every change, who made it, when, and why."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from ..table import Table
from ...services import audit_trail
from ...words import count


class AuditTrailScreen(Screen):
    """Read-only: the trail is appended to, never edited. The change under the cursor is shown
    whole below the list."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="back")]

    def __init__(self, ref: str) -> None:
        super().__init__()
        self.ref = ref

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Audit trail of case {self.ref}: every change, oldest first", id="where")
        yield Table(id="audit", cursor_type="row", zebra_stripes=True)
        # Reasons and notes run to paragraphs: one cut column would hide them, so the entry
        # under the cursor is written out here, wrapped, scrolling if it is longer still.
        with VerticalScroll(id="audit-detail-box"):
            yield Static(id="audit-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        # At 80 columns every column gets a share, so "To" is never pushed off the edge; the
        # words cut here are whole in the detail below. Wider, each column takes what it needs.
        narrow = self.app.size.width < 100
        widths = (11, 6, 7, 18, 11, 11) if narrow else (None,) * 6
        for label, width in zip(("When", "Who", "What", "Question or field", "From", "To"), widths):
            table.add_column(label, width=width)
        self.entries = audit_trail(self.app.conn, self.ref, self.app.inspector).lines
        if not self.entries:
            self.query_one("#where", Static).update(
                f"Audit trail of case {self.ref}: no change recorded yet")
        else:
            self.query_one("#where", Static).update(
                f"Case {self.ref}: {count(len(self.entries), 'change')}, oldest first; "
                "the cursor's in full below")
        for i, e in enumerate(self.entries):
            table.add_row(e.at[5 if narrow else 0:16].replace("T", " "), e.by or "", e.kind, self.named(e),
                          self.value(e, e.old_value), self.value(e, e.new_value), key=str(i))
        table.focus()

    def named(self, e) -> str:
        """A profile field by its label; a question by its id (the words are in the detail)."""
        if e.kind == "profile" and e.question:
            field = self.app.framework.profile_field(e.question)
            return field.label if field else e.question
        return e.question or ""

    def value(self, e, value: str | None) -> str:
        """A value as the inspector chose it ("Not applicable", "Post-release licence")."""
        if value is None:
            return ""
        try:
            if e.kind == "profile" and e.question:
                field = self.app.framework.profile_field(e.question)
                return field.label_of(value) if field else value
            if e.kind in ("answer", "settle", "second") and e.question:
                option = self.app.framework.question(e.question).type.option(value)
                return option.label if option else value
        except Exception:  # an entry of another framework's question: say it as stored
            return value
        return value

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        e = self.entries[int(event.row_key.value)]
        what = f"{e.kind} {self.named(e)}".strip()
        if e.kind not in ("profile",) and e.question:
            try:
                what += f" {self.app.framework.question(e.question).text}"
            except Exception:
                pass
        change = (f"{self.value(e, e.old_value)} → {self.value(e, e.new_value)}" if e.old_value else
                  f"given: {self.value(e, e.new_value)}" if e.new_value else "")
        lines = [f"{e.at[:19].replace('T', ' ')} · {e.by or 'unknown'} · {what}", change]
        if e.reason:
            lines.append(f"Reason: {e.reason}")
        if e.detail:
            lines.append(e.detail)
        # As text, never markup: a reason may hold brackets that markup would read as styles.
        self.query_one("#audit-detail", Static).update(Text("\n".join(line for line in lines if line)))
