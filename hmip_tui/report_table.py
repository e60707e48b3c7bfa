"""The ratings page as a terminal table, as the report prints it (whole percentages)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from .framework import Framework
from .rating import Ratings, whole_percent
from .words import count


def _pct(percent) -> str:
    return "-" if percent is None else f"{whole_percent(percent)}%"


def ratings_table(ratings: Ratings, framework: Framework) -> Table:
    provisional = " - PROVISIONAL" if ratings.provisional else ""
    table = Table(title=f"Ratings ({framework.id} {framework.version}){provisional}", title_justify="left")
    for name, justify in (("Standard", "left"), ("Key question", "left"), ("Yes", "right"),
                          ("No", "right"), ("N/A", "right"), ("Relevant", "right"),
                          ("% Yes", "right"), ("Rating", "left")):
        table.add_column(name, justify=justify)
    for s in ratings.standards:
        if s.rated_by == "not_rated" and not s.key_questions:
            continue  # case items (pre-release, oversight) are not on the ratings page
        rating = s.rating.label if s.rating else ("not rated" if s.rated_by == "not_rated" else "-")
        colour = s.rating.colour if s.rating else "default"
        mark = " *" if s.fragile else ""
        styled = f"[{colour}]{rating}{mark}[/]"
        if not s.key_questions:
            table.add_row(f"{s.id} {s.title}", "(team judgement)", "", "", "", "", "", styled)
            continue
        for i, k in enumerate(s.key_questions):
            driver = "bold" if k.id == s.driver else ""
            table.add_row(
                f"{s.id} {s.title}" if i == 0 else "",
                f"[{driver}]{k.id}[/]" if driver else k.id,
                str(k.yes), str(k.no), str(k.na), str(k.relevant), _pct(k.percent),
                styled if i == 0 else "",
            )
        table.add_section()
    return table


def print_ratings(ratings: Ratings, framework: Framework, console: Console | None = None) -> None:
    console = console or Console()
    console.print(ratings_table(ratings, framework))
    overall = ratings.overall.label if ratings.overall else "not yet: " + ", ".join(ratings.unrated) + " unrated"
    cases = ratings.extra.get("cases")
    if cases:
        console.print(f"Cases complete: {cases['complete']} of {cases['sampled']}")
    console.print(f"Score {ratings.score} / {ratings.max_score}    Overall rating: {overall}"
                  + (" (provisional)" if ratings.provisional else ""))
    if ratings.standing():
        console.print(ratings.standing())
    mod = ratings.extra.get("moderation")
    if mod and (mod["open_conflicts"] or mod["disagreements"]):
        console.print(f"Moderation: {count(mod['open_conflicts'], 'import conflict')} and "
                      f"{count(mod['disagreements'], 'second-reading disagreement')} still open; the "
                      "ratings use the answers held now.")
    if any(s.fragile for s in ratings.standards):
        console.print("* one case judged the other way on a key question would change this rating")
