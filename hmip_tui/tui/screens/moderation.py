"""Moderation: what is open (import conflicts, disagreements, second readings), settled by keys."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from ..table import Table
from ...errors import HmipError
from ... import services as moderation
from ...services import moderation_status
from ...words import count, short


class ModerationScreen(Screen):
    """Pick an item; y or n gives the final judgement, then its reason. Enter opens a reading."""

    BINDINGS = [
        Binding("y", "settle('y')", "Settle Yes", id="settle-yes"),
        Binding("n", "settle('n')", "Settle No", id="settle-no"),
        Binding("enter", "open", "Open reading", id="open"),
        Binding("escape", "app.pop_screen", "Back", id="back"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="where")
        yield Table(id="moderation", cursor_type="row")
        yield Static(id="agreement")
        yield Static(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        self.query_one(DataTable).focus()

    def on_screen_resume(self) -> None:
        if hasattr(self, "items"):
            self.reload()

    def reload(self) -> None:
        status = moderation_status(self.app.conn, self.app.framework, self.app.inspector)
        table = self.query_one(DataTable)
        table.clear(columns=True)
        # Widths given, not measured: a table refilled in place keeps its first widths otherwise.
        # The readings take what the screen leaves (each column pads one cell either side, and
        # the scroll bar takes two), so the whole table fits at 80 columns without resizing.
        fixed = (("Open item", 14), ("Case", 9), ("Question", 9), ("From", 14))
        readings = max(20, self.app.size.width - sum(w + 2 for _, w in fixed) - 4)
        for label, width in (*fixed, ("Readings", readings)):
            table.add_column(label, width=width)
        self.items = []
        for c in status["conflicts"]:
            self.items.append(("conflict", c))
            if c.get("withheld"):
                table.add_row(f"conflict #{c['id']}", c["case"], "", "", "limited access")
                continue
            readings = " · ".join(f"{self.label(c['question'], h['value'])} ({h['by'] or '?'})"
                                  for h in c["heads"])
            what = c["question"] if c["kind"] == "answer" else f"{c['kind']} {c['question']}"
            table.add_row(f"conflict #{c['id']}", c["case"] or "", what, c["source"], readings)
        for d in status["disagreement_list"]:
            self.items.append(("disagreement", d))
            if d.get("withheld"):
                table.add_row("disagreement", d["case"], d["question"], "", "limited access")
                continue
            table.add_row("disagreement", d["case"], d["question"], "second reading",
                          f"first {self.label(d['question'], d['first'])} · "
                          f"second {self.label(d['question'], d['second'])}")
        for r in status["second_readings"]:
            if not r["finished"]:
                self.items.append(("reading", r))
                table.add_row("second reading", r["case"], "", f"with {r['reader']}", "")
        self.query_one("#where", Static).update(
            f"Moderation: {count(status['open_conflicts'], 'conflict')}, "
            f"{count(status['disagreements'], 'disagreement')}, "
            f"{count(status['awaiting_second_reading'], 'second reading')} to do")
        figures = [f"{sid} {a['agreed']}/{a['n']} κ " + ("-" if a["kappa"] is None else f"{a['kappa']:.2f}")
                   + f" PABAK {a['pabak']:.2f}" for sid, a in status["agreement"]["standards"].items() if a["n"]]
        self.query_one("#agreement", Static).update(
            "Agreement (agreed/n, Cohen's kappa, PABAK): "
            + ("  ".join(figures) if figures else "no finished second readings yet"))

    def label(self, question_id: str, value: str | None) -> str:
        """The answer's label ("Not applicable"), not its stored id, where the question has it."""
        try:
            option = self.app.framework.question(question_id).type.option(value)
        except (HmipError, KeyError):
            option = None  # a conflict over something that is not an answer: say it as it is
        return option.label if option else value or ""

    def on_resize(self) -> None:
        if hasattr(self, "items"):
            row = self.query_one(DataTable).cursor_row
            self.reload()
            self.query_one(DataTable).move_cursor(row=row)

    def current(self):
        table = self.query_one(DataTable)
        return self.items[table.cursor_row] if self.items and table.row_count else None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        from .second_reading import SecondReadingScreen

        item = self.current()
        if item and item[1].get("withheld"):
            self.query_one("#status", Static).update(
                f"Case {item[1]['case']} is a limited access case you may not open.")
            return
        if item and item[0] in ("reading", "disagreement"):
            self.app.push_screen(SecondReadingScreen(item[1]["case"]))

    def action_settle(self, key: str) -> None:
        from .note import NoteScreen

        item = self.current()
        if item is None or item[0] == "reading":
            return
        if not moderation.is_lead(self.app.conn, self.app.inspector):
            self.query_one("#status", Static).update(
                f"Only the lead inspector can settle ({self.app.inspector} is not the lead here).")
            return
        kind, data = item
        status = self.query_one("#status", Static)
        if data.get("withheld"):
            status.update(f"Case {data['case']} is a limited access case you may not open.")
            return
        if kind == "conflict" and data["kind"] != "answer":
            status.update(f"Settle a {data['kind']} conflict from the command line: "
                          f"hmip moderation settle {data['id']} VALUE --reason ...")
            return
        question = self.app.framework.question(data["question"])
        option = next((o for o in question.type.options if o.key == key), None)
        if option is None:
            return

        def settle(reason: str | None) -> None:
            try:
                if kind == "conflict":
                    moderation.settle_conflict(self.app.conn, self.app.framework, data["id"], option.id,
                                               reason, self.app.inspector)
                else:
                    moderation.settle_disagreement(self.app.conn, self.app.framework, data["case"],
                                                   data["question"], option.id, reason, self.app.inspector)
            except HmipError as exc:
                self.query_one("#status", Static).update(str(exc))
                return
            self.query_one("#status", Static).update(
                f"Settled {data['case']} {data['question']} {short(question.text)}: {option.label}.")
            self.reload()

        self.app.push_screen(NoteScreen(f"Why is {option.label} the final judgement on {data['case']} "
                                        f"{data['question']}?", "", NoteScreen.REASON), settle)
