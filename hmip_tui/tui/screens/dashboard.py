"""The ratings dashboard: live percentages, ratings in band colours, score, and what is fragile."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from ..table import Table
from ...rating import Ratings, whole_percent

# From this width the Standard column holds each standard's title as well as its number (the
# longest, "2.4 Implementation and delivery", with every other column whole beside it); below
# it, the number alone, so that "Requires improvement" is never cut at 80 columns.
TITLES_FROM = 100


def rating_text(ratings_band, fragile: bool = False) -> Text:
    if ratings_band is None:
        return Text("-", style="dim")
    text = Text(f" {ratings_band.label} ", style=f"bold white on {ratings_band.colour}")
    if fragile:
        text.append(" *", style="bold yellow")
    return text


class DashboardScreen(Screen):
    """Ratings as the answers stand now. * marks a rating one case would change."""

    BINDINGS = [
        Binding("enter", "evidence", "Cases behind it", id="evidence", priority=True),
        Binding("r", "refresh", "Refresh", id="refresh"),
        Binding("o", "app.judgements", "Domain one", id="dashboard-judgements", show=False),
        Binding("escape,q", "app.pop_screen", "Back", id="back"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Counting…", id="summary")
        yield Table(id="ratings", cursor_type="row", zebra_stripes=True)
        yield Static("* one case judged the other way on a key question would change this rating · "
                     "percentages of relevant cases judged Yes", id="legend")
        yield Footer()

    def on_mount(self) -> None:
        self.ratings: Ratings | None = None
        self.titled = False  # whether the Standard column has room for the standards' titles
        # The rating sits beside the standard, where it is never cut: at 80 columns every column
        # up to % Yes fits, and the wording runs off to the right (all of it at 160).
        table = self.query_one(DataTable)
        for label in ("Standard", "Rating", "Key question", "Yes", "No", "Relevant", "% Yes", "Wording"):
            table.add_column(label)
        self.action_refresh()

    def on_resize(self, event) -> None:
        # Titles come and go with the width: lay the table out again when that changes.
        if self.ratings is not None and (event.size.width >= TITLES_FROM) != self.titled:
            self.show(self.ratings)

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def on_changed_elsewhere(self) -> None:
        self.action_refresh()

    @work(thread=True, exclusive=True)
    def action_refresh(self) -> None:
        # Counting 5,000 cases takes about half a second: off the UI thread, on its own connection.
        from ...services import current_ratings, open_database

        conn = open_database(self.app.db_path)
        try:
            ratings = current_ratings(conn, self.app.framework)
        finally:
            conn.close()
        self.app.call_from_thread(self.show, ratings)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.open_evidence(event.row_key.value)

    def action_evidence(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            self.open_evidence(table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value)

    def open_evidence(self, question_id: str | None) -> None:
        """Each figure traced to its evidence: the cases behind a key question's percentage."""
        from .evidence_list import EvidenceListScreen

        if question_id is None:  # a standard rated by the team's judgement: o shows its evidence
            self.app.notify("This rating is a team judgement, not a figure: o shows its evidence.")
            return
        self.app.push_screen(EvidenceListScreen(question_id))

    def show(self, ratings: Ratings) -> None:
        self.ratings = ratings
        self.titled = self.size.width >= TITLES_FROM
        table = self.query_one(DataTable)
        keep = table.cursor_row
        rows: list[tuple[list, str | None]] = []
        for s in ratings.standards:
            standard = f"{s.id} {s.title}" if self.titled else s.id
            if s.rated_by == "judgement":
                rows.append(([standard, rating_text(s.rating), Text("judgement", style="italic"),
                              "", "", "", "", Text(f"{s.title}: a team judgement", style="dim")], None))
                continue
            for i, k in enumerate(s.key_questions):
                rating = rating_text(s.rating, s.fragile) if i == 0 else ""
                if i == 0 and s.rated_by == "not_rated":
                    rating = Text("not rated", style="dim")
                pct = "-" if k.percent is None else f"{whole_percent(k.percent)}%"
                style = "bold" if k.id == s.driver else ""
                rows.append(([standard if i == 0 else "", rating, Text(k.id, style=style),
                              str(k.yes), str(k.no), str(k.relevant), Text(pct, style=style),
                              Text(k.text, style="dim")], k.id))
        table.clear()
        for index, column in enumerate(table.ordered_columns):
            # Set each column's width before the rows go in. DataTable.clear keeps a column as wide
            # as its widest cell ever (narrowing to 80 columns must give the titles' room back to
            # the rating), and DataTable widens columns only when idle: a frame drawn before that
            # keeps, in its cache, a rating cut to the header's width ("Outst").
            column.content_width = max([column.label.cell_len] + [
                Text(cells[index]).cell_len if isinstance(cells[index], str) else cells[index].cell_len
                for cells, _ in rows])
        for cells, key in rows:
            table.add_row(*cells, key=key)
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))
        cases = ratings.extra.get("cases", {})
        overall = rating_text(ratings.overall) if ratings.overall else Text(
            "not yet, " + ", ".join(ratings.unrated) + " unrated", style="yellow")
        mod = ratings.extra.get("moderation", {})
        open_items = mod.get("open_conflicts", 0) + mod.get("disagreements", 0)
        self.query_one("#summary", Static).update(Text.assemble(
            ("Score ", "bold"), f"{ratings.score} / {ratings.max_score}   ",
            ("Overall ", "bold"), overall,
            # Until every sampled case is complete, an answer still to come can move any rating.
            (" (provisional)", "yellow") if ratings.provisional else "",
            f"   Complete {cases.get('complete', 0)} of {cases.get('sampled', 0)}",
            (f"   {open_items} moderation items open (m on the case list)", "yellow") if open_items else ""))
