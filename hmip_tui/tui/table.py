"""The app's tables: Textual's DataTable, moved with j and k as the case walk is."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import DataTable


class Table(DataTable):
    """An inspector who moves with j and k in a case expects them in every list: pressed where
    they did nothing, the next key (a rating, say) acted on the wrong row."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]
