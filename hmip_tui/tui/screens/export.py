"""Exporting the data workbook from the app, with a progress bar; the screen never freezes."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import ProgressBar, Static

from ...errors import HmipError


class ExportScreen(ModalScreen[None]):
    """Writes the data workbook beside the database (or under exports/); Esc closes when it is done."""

    BINDINGS = [Binding("escape", "close", "Close", id="close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="export-box", classes="dialog"):
            yield Static("Writing the data workbook", classes="dialog-title")
            yield ProgressBar(id="export-progress", show_eta=False)
            yield Static("", id="export-status")
            yield Static("Esc closes when it is done", classes="dialog-keys")

    def on_mount(self) -> None:
        self.finished = False
        self.export()

    @work(thread=True, exclusive=True)
    def export(self) -> None:
        # A connection of its own: SQLite connections are not shared across threads here.
        from ...services import check_output_path, default_export_path, export_workbook, open_database
        from ...words import count

        conn = open_database(self.app.db_path)
        try:
            out = check_output_path(default_export_path(conn, self.app.db_path, self.app.db_named, ".xlsx"),
                                    database=self.app.db_path)
            written = export_workbook(conn, out, self.app.inspector, progress=lambda done, total: self.app.call_from_thread(
                self.query_one(ProgressBar).update, total=total, progress=done))
            message = f"Wrote the data workbook of {count(written['cases'], 'case')} to {out.resolve()}"
        except HmipError as exc:
            message = f"Not written: {exc}"
        finally:
            conn.close()
        self.app.call_from_thread(self.done, message)

    def done(self, message: str) -> None:
        self.finished = True
        self.query_one("#export-status", Static).update(message)

    def action_close(self) -> None:
        if self.finished:
            self.dismiss(None)
