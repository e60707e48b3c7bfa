"""The command palette (ctrl+p): every screen and action, and every case by reference."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .. import services

class HmipCommands(Provider):
    """Adapts to the app's state: cases and screens appear once an inspection is open."""

    def actions(self) -> list[tuple[str, str, object]]:
        app = self.app
        if getattr(app, "framework", None) is None:
            return []
        return [
            ("Ratings dashboard", "Live percentages, ratings, score", app.action_dashboard),
            ("Domain-one judgements", "Rate standards 1.1-1.4 with evidence", app.action_judgements),
            ("Export the data workbook", "Excel annex beside the database, or under exports/", app.action_export),
            ("Team", "Codes, roles and keys; the lead adds an inspector", app.action_team),
            ("Search the evidence", "Notes, judgements and reasons holding a word", app.action_search),
            ("Moderation", "Conflicts, second readings, disagreements to settle", app.action_moderation),
            ("Help: keys of this screen", "Every key and what it does", app.action_help),
        ]

    async def discover(self) -> Hits:
        for name, help_text, action in self.actions():
            yield DiscoveryHit(name, action, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, action in self.actions():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), action, help=help_text)
        app = self.app
        if getattr(app, "framework", None) is None:
            return

        for ref in services.case_refs(app.conn):
            text = f"Open case {ref}"
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), partial(app.open_case, ref),
                          help="Jump to the case where it was left")
