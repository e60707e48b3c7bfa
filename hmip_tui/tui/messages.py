"""Messages the app sends its screens."""

from __future__ import annotations

from textual.message import Message


class ChangedElsewhere(Message):
    """Another writer (`hmip answer` in another terminal, another app instance, an import) has
    committed to the inspection: the screen on top shows what it reads again. Screens that show
    nothing read from the file ignore it; those below reload when they are shown again."""
