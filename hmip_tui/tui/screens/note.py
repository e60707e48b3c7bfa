"""Writing an evidence note: Enter saves, Escape leaves it as it was."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class NoteScreen(ModalScreen[str | None]):
    """Returns the note written, or None when the inspector backs out."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel")]

    EVIDENCE = "What in the case file supports this judgement?"
    REASON = "The reason, kept in the audit trail"

    def __init__(self, heading: str, note: str, placeholder: str = EVIDENCE) -> None:
        super().__init__()
        self.heading = heading
        self.note = note
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(id="note-box", classes="dialog"):
            yield Static(self.heading, classes="dialog-title")
            yield Input(self.note, placeholder=self.placeholder, id="note")
            yield Static("Enter saves · Escape cancels", classes="dialog-keys")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
