"""Words for people: a number with its noun in the right number, a file name from a PDU's name.

One place, so the command line, the app and the exports say "1 conflict" and "2 conflicts" alike.
"""

from __future__ import annotations


def count(n: int, thing: str, plural: str | None = None) -> str:
    """"1 case", "2 cases", "0 cases"; `plural` where adding an s is wrong ("entries")."""
    return f"{n} {thing if n == 1 else plural or thing + 's'}"


def slug(text: str) -> str:
    """A file name's worth of the PDU: lower case, single hyphens, short enough for any file
    system ("Hammersmith, Fulham, ..." -> "hammersmith-fulham-...")."""
    out = "".join(c.lower() if c.isalnum() else "-" for c in text)
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")[:60].strip("-") or "inspection"


def short(text: str, width: int = 48) -> str:
    """A question's words cut at a word to fit a message line, marked with an ellipsis when cut:
    messages name questions by their words, which an inspector knows, not only by their ids."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = text[:width - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"
