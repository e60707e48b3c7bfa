"""Second reading: the key questions of a case, judged blind; the first reading is shown only
once the second reader has finished."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from ..table import Table
from ...errors import HmipError
from ... import services as moderation
from ...words import short


def label(question, value: str | None) -> str:
    """An answer as the inspector gave it ("Not applicable"), not its stored id."""
    option = question.type.option(value) if value else None
    return option.label if option else value or ""


class SecondReadingScreen(Screen):
    """Judge each key question with y or n; f finishes and shows both readings side by side."""

    BINDINGS = [
        Binding("y", "judge('y')", "Yes", id="yes"),
        Binding("n", "judge('n')", "No", id="no"),
        Binding("f", "finish", "Finish", id="finish"),
        Binding("escape", "app.pop_screen", "Back", id="back"),
    ]

    def __init__(self, ref: str) -> None:
        super().__init__()
        self.ref = ref

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="where")
        yield Table(id="second", cursor_type="row")
        # The wording decides the judgement: whole here for the question under the cursor,
        # where the column cuts it at 80 columns.
        yield Static(id="question-detail", classes="detail")
        yield Static(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.case = moderation.get_case(self.app.conn, self.ref)
        self.questions = moderation.key_questions_for(self.app.framework, self.case.profile)
        self.redraw()
        self.query_one(DataTable).focus()

    def finished(self) -> bool:
        return any(r.finished for r in moderation.second_readings(self.app.conn) if r.case_ref == self.ref)

    def redraw(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        done = self.finished()
        given = moderation.second_answers(self.app.conn, self.ref)
        # Judgements before the wording, so they stay on screen at 80 columns.
        if done:
            table.add_columns("Key question", "First reader", "Second reader", "", "Wording")
            firsts = {p.question: p for p in moderation.agreement_pairs(self.app.conn, self.app.framework, self.ref)}
            for q in self.questions:
                p = firsts.get(q.id)
                mark = Text("agree", style="green") if p and p.agree else Text("DIFFER", style="bold red")
                table.add_row(q.id, label(q, p.first) if p else "", label(q, p.second) if p else "", mark,
                              q.text, key=q.id)
        else:
            table.add_columns("Key question", "Your judgement", "Wording")
            for q in self.questions:
                table.add_row(q.id, label(q, given.get(q.id)), q.text, key=q.id)
        table.move_cursor(row=row)
        state = "finished: both readings shown" if done else \
            f"blind: the first reading is hidden until you finish ({len(given)} of {len(self.questions)} judged)"
        self.query_one("#where", Static).update(f"Second reading of case {self.ref} · {state}")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        q = next((q for q in self.questions if q.id == event.row_key.value), None)
        if q is not None:
            self.query_one("#question-detail", Static).update(Text(f"{q.id} {q.text}"))

    def action_judge(self, key: str) -> None:
        q = self.questions[self.query_one(DataTable).cursor_row]
        option = next((o for o in q.type.options if o.key == key), None)
        try:
            moderation.record_second_answer(self.app.conn, self.app.framework, self.ref, q.id,
                                            option.id, None, self.app.inspector)
        except HmipError as exc:
            self.query_one("#status", Static).update(str(exc))
            return
        self.query_one("#status", Static).update(f"Saved {q.id} {short(q.text)}: {option.label}.")
        self.redraw()
        self.query_one(DataTable).action_cursor_down()

    def action_finish(self) -> None:
        from .confirm import ConfirmScreen

        if self.finished():
            return

        def finish(yes: bool | None) -> None:
            if not yes:
                self.query_one("#status", Static).update("Not finished: the reading stays blind.")
                return
            try:
                moderation.finish_second_reading(self.app.conn, self.app.framework, self.ref,
                                                 self.app.inspector)
            except HmipError as exc:
                self.query_one("#status", Static).update(str(exc))
                return
            self.redraw()
            self.query_one("#status", Static).update(
                "Finished: differences go to the lead's moderation screen to settle.")

        self.app.push_screen(ConfirmScreen(
            f"Finish the second reading of case {self.ref}? Your judgements are then final, "
            "and the first reading is shown beside them."), finish)
