"""The baseline for the start-up benchmark: a bare Textual app with the home screen's widgets,
filled from a list in memory (no database, no framework).  python bench/bare_home.py REF..."""

import sys

from textual.app import App
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Header, Input, Static

ROWS = [(ref, "Post-release licence", "Medium", "complete", "59/59", "") for ref in sys.argv[1:]]


class Bare(App):
    def compose(self):
        yield Header()
        with Horizontal():
            yield Static("My cases")
            yield Input(compact=True)
        yield DataTable()
        yield Static("Cases")
        yield Footer()

    def on_mount(self):
        table = self.query_one(DataTable)
        table.add_columns("Case", "Sentence", "RoSH", "Status", "Answered", "Flags")
        table.add_rows(ROWS)


if __name__ == "__main__":
    Bare().run()
