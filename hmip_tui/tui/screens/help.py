"""Help: every key of the screen you came from, with what it does."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

NAMES = {"question_mark": "?", "slash": "/", "left_square_bracket": "[",
         "right_square_bracket": "]", "escape": "Esc", "enter": "Enter", "delete": "Del"}


def key_name(key: str) -> str:
    return ", ".join(NAMES.get(k.strip(), k.strip()) for k in key.split(","))


class HelpScreen(ModalScreen[None]):
    """Built from the bindings themselves, so it can never fall behind the keys."""

    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close help", id="close")]

    def __init__(self, below: Screen) -> None:
        super().__init__()
        self.below = below

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box", classes="dialog"):
            yield Static(f"Keys: {self.below.__class__.__doc__.splitlines()[0]}", classes="dialog-title")
            yield DataTable(id="help-keys", cursor_type="none", show_header=False)
            yield Static("Esc closes · ctrl+p opens the command palette", classes="dialog-keys")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        seen = set()
        keys = []
        bindings = list(getattr(self.below, "BINDINGS", [])) + list(self.app.BINDINGS)
        options = [b for b in bindings if isinstance(b, Binding) and (b.id or "").startswith("option-")]
        for b in bindings:
            if not isinstance(b, Binding) or not b.description or (b.description, b.key) in seen:
                continue
            seen.add((b.description, b.key))
            if b in options:  # the digits of a graded item: one row, not nine
                if b is options[0]:
                    keys.append((f"{options[0].key}-{options[-1].key}", "Option of a graded item"))
                continue
            keys.append((key_name(b.key), b.description))
        keys.append(("ctrl+p", "Commands"))  # the palette: jump to a case, every action
        # Two keys a row when the list would not fit the height: every key stays in sight at
        # 80x24, where one a row ran off the bottom of the box.
        pairs = 2 if len(keys) > self.app.size.height - 12 else 1
        table.add_columns(*(["key", "action"] * pairs))
        rows = -(-len(keys) // pairs)
        for i in range(rows):
            cells = []
            for j in range(pairs):
                k = i + j * rows
                cells.extend(keys[k] if k < len(keys) else ("", ""))
            table.add_row(*cells)
