"""Exporting the data workbook from the app, with a progress bar; the screen never freezes."""

from __future__ import annotations

from datetime import date

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import ProgressBar, Static

from ...errors import HmipError


class ExportScreen(ModalScreen[None]):
    """Writes the data workbook under exports/; Esc closes when it is done."""

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
        from ...paths import exports_dir
        from ...services import export_workbook, open_database, require_inspection

        conn = open_database(self.app.db_path)
        try:
            slug = "".join(c.lower() if c.isalnum() else "-" for c in require_inspection(conn).pdu).strip("-")
            out = exports_dir().resolve() / f"{slug}-{date.today()}.xlsx"
            written = export_workbook(conn, out, self.app.inspector, progress=lambda done, total: self.app.call_from_thread(
                self.query_one(ProgressBar).update, total=total, progress=done))
            message = f"Wrote {written['cases']} cases to {out}"
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
