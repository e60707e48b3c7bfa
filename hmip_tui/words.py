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
