"""Text from files and arguments, made safe to print on a terminal.

A bundle's inspector code, a file name or a reason is someone else's text. Printed as it is,
an escape sequence in it can retitle the terminal window, recolour what follows or hide a line,
and a newline in it can forge a line of `hmip audit`. So every such text passes through
`terminal_safe` on its way out: escape sequences and control characters are removed whole, line
breaks and tabs become spaces, and lone surrogates (which no terminal can be sent) become U+FFFD.
"""

from __future__ import annotations

import re
import unicodedata

# ESC [ ... final byte (CSI), ESC ] ... BEL or ESC \ (OSC), ESC P/X/^/_ ... ESC \ (strings), and
# any other two-byte ESC sequence; the same introducers in their 8-bit C1 forms.
_ESCAPE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)
_SPACES = re.compile(r"\r\n|[\t\n\r\v\f\x85\u2028\u2029]")


def _keep(char: str) -> bool:
    category = unicodedata.category(char)
    # Cc: control characters; Cf: format characters, which include the bidirectional overrides
    # that make a terminal show text in another order than it is stored (zero-width joiners
    # are Cf too, and are kept: some scripts and emoji need them).
    if category == "Cc":
        return False
    if category == "Cf":
        return char in "\u200c\u200d"
    return True


def terminal_safe(text: object) -> str:
    """`text` on one line, with nothing in it a terminal would act on rather than show."""
    text = str(text)
    if text.isprintable():  # the usual case, and the fast one
        return text
    text = _SPACES.sub(" ", _ESCAPE.sub("", text))
    return "".join(("\ufffd" if "\ud800" <= c <= "\udfff" else c) for c in text if _keep(c))
