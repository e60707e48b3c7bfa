"""The completion check: what a case still needs, each a key away."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ...case_checks import Missing


class CompletionScreen(ModalScreen[str | None]):
    """Lists every missing answer or note; Enter jumps to it."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Back to the case", id="back")]

    def __init__(self, ref: str, left: list[Missing]) -> None:
        super().__init__()
        self.ref = ref
        self.left = left

    def compose(self) -> ComposeResult:
        with Vertical(id="completion-box", classes="dialog"):
            yield Static(f"Case {self.ref} cannot be completed yet: {len(self.left)} still missing",
                         classes="dialog-title")
            yield OptionList(*[
                Option(f"{m.question.id:<9} no {m.what}: {m.question.text}", id=m.question.id)
                for m in self.left
            ])
            yield Static("Enter jumps to it · Escape goes back", classes="dialog-keys")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
