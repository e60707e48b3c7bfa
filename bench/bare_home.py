"""The baseline for the start-up benchmark, as the speed issue defines it: a bare Textual app with
a Header, a 5-column DataTable of 100 rows and a Footer, its rows from memory (no database, no
framework).  python bench/bare_home.py REF..."""

import sys

from textual.app import App
from textual.widgets import DataTable, Footer, Header

ROWS = [(ref, "Post-release licence", "Medium", "complete", "59/59") for ref in sys.argv[1:101]]


class Bare(App):
    def compose(self):
        yield Header()
        yield DataTable()
        yield Footer()

    def on_mount(self):
        table = self.query_one(DataTable)
        table.add_columns("Case", "Sentence", "RoSH", "Status", "Answered")
        table.add_rows(ROWS)


if __name__ == "__main__":
    Bare().run()
