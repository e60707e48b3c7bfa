"""The ratings dashboard: live percentages, ratings in band colours, score, and what is fragile."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from ...rating import Ratings, whole_percent


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
        Binding("r", "refresh", "Refresh", id="refresh"),
        Binding("escape,q", "app.pop_screen", "Back", id="back"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Counting…", id="summary")
        yield DataTable(id="ratings", cursor_type="row", zebra_stripes=True)
        yield Static("* one case judged the other way on a key question would change this rating · "
                     "percentages of relevant cases judged Yes", id="legend")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        # The wording comes last: off to the right at 80 columns, filling the room at 160.
        for label in ("Standard", "Key question", "Yes", "No", "Relevant", "% Yes", "Rating", "Wording"):
            table.add_column(label)
        self.action_refresh()

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

    def show(self, ratings: Ratings) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for s in ratings.standards:
            if s.rated_by == "judgement":
                table.add_row(f"{s.id} {s.title}", Text("team judgement", style="italic"), "", "", "", "",
                              rating_text(s.rating), "")
                continue
            if not s.key_questions:
                continue
            for i, k in enumerate(s.key_questions):
                rating = rating_text(s.rating, s.fragile) if i == 0 else ""
                if i == 0 and s.rated_by == "not_rated":
                    rating = Text("not rated", style="dim")
                pct = "-" if k.percent is None else f"{whole_percent(k.percent)}%"
                style = "bold" if k.id == s.driver else ""
                table.add_row(f"{s.id} {s.title}" if i == 0 else "", Text(k.id, style=style),
                              str(k.yes), str(k.no), str(k.relevant), Text(pct, style=style), rating,
                              Text(k.text, style="dim"))
        cases = ratings.extra.get("cases", {})
        overall = rating_text(ratings.overall) if ratings.overall else Text(
            "not yet (" + ", ".join(ratings.unrated) + " unrated)", style="yellow")
        mod = ratings.extra.get("moderation", {})
        open_items = mod.get("open_conflicts", 0) + mod.get("disagreements", 0)
        self.query_one("#summary", Static).update(Text.assemble(
            ("Score ", "bold"), f"{ratings.score} / {ratings.max_score}   ",
            ("Overall ", "bold"), overall,
            f"   Cases complete {cases.get('complete', 0)} of {cases.get('sampled', 0)}",
            (f"   {open_items} moderation items open (m on the case list)", "yellow") if open_items else ""))
