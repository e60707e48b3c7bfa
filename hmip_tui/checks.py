"""The shape of the values hmip takes in, checked the same way wherever they come from.

An argument, a column of the sample CSV and a field of a bundle are all someone else's text.
Each checker returns the value when it is sound and otherwise raises HmipError with one
sentence that begins with `where` (a file and line, a field, an option), so the caller never
has to phrase the refusal itself. `where` may also be a function that returns it: a bundle
checks 300,000 answers, and should format the place only of the one that fails.
Pure functions: no database, no terminal.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime

from .errors import HmipError
from .terminal_text import terminal_safe

# A code says who recorded something; it is printed in lists and file names, so it is short
# and plain: a letter or digit, then letters, digits, dot, underscore or hyphen.
INSPECTOR_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
CODE_RULE = "a letter or digit, then up to 31 letters, digits, '.', '_' or '-'"

# ISO 8601 in its extended form only: fromisoformat alone also takes 20220801 and 2022-W01-1,
# which no hmip file ever holds and which sort wrongly beside the dates that are.
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _extended(value: str) -> bool:
    """YYYY-MM-DD, or that, T (or a space) and HH:MM...: the extended form's separators."""
    return (len(value) >= 10 and value[4] == "-" and value[7] == "-"
            and (len(value) == 10 or (value[10] in "T " and value[13:14] == ":")))

# SQLite keeps integers in 64 bits; a larger number can name nothing in the database.
MAX_ID = 2**63 - 1


Where = str | Callable[[], str]


def _shown(value) -> str:
    return terminal_safe(repr(value))


def _at(where: Where) -> str:
    return where() if callable(where) else where


def check_date(value, where: Where, *, optional: bool = False) -> str | None:
    """A calendar date written YYYY-MM-DD."""
    if value is None and optional:
        return None
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            date.fromisoformat(value)
            return value
        except ValueError:
            pass
    raise HmipError(f"{_at(where)}: {_shown(value)} is not a date (YYYY-MM-DD)")


def check_timestamp(value, where: Where, *, optional: bool = False) -> str | None:
    """A date, or a date and time, in ISO 8601 extended form (as hmip writes them)."""
    if value is None and optional:
        return None
    # fromisoformat (in C) first, then the separators by position: a regex costs twice as much,
    # and a bundle holds an `at` for each of its 300,000 answers.
    if isinstance(value, str) and value.isascii() and _extended(value):
        try:
            datetime.fromisoformat(value)
            return value
        except ValueError:
            pass
    raise HmipError(f"{_at(where)}: {_shown(value)} is not a date and time "
                    "(YYYY-MM-DDTHH:MM:SS, as hmip writes them)")


def check_code(value, where: Where, *, optional: bool = False) -> str | None:
    """An inspector's code, such as LF or I2."""
    if value is None and optional:
        return None
    if isinstance(value, str) and INSPECTOR_CODE.fullmatch(value):
        return value
    raise HmipError(f"{_at(where)}: {_shown(value)} is not an inspector code ({CODE_RULE})")


def normalise_code(name: str, fallback: str = "INSPECTOR") -> str:
    """A login name made into a code: other characters become '-', cut to 32 characters."""
    code = re.sub(r"[^A-Za-z0-9._-]", "-", name).lstrip("._-")[:32]
    return code.upper() if INSPECTOR_CODE.fullmatch(code) else fallback


def check_text(value: str, where: Where) -> str:
    """Text that can be stored and shown: no lone surrogates (which no UTF-8 can hold).

    Python hands over bytes that are not UTF-8 (in an argument, say) as lone surrogates, so
    this is also the check that an argument was valid UTF-8.
    """
    for i, char in enumerate(value):
        if "\ud800" <= char <= "\udfff":
            if "\udc80" <= char <= "\udcff":  # a byte Python could not decode, kept aside
                what = f"byte {ord(char) - 0xdc00:#04x} at character {i + 1} is not UTF-8"
            else:
                what = f"character {i + 1} is a lone surrogate (U+{ord(char):04X})"
            raise HmipError(f"{_at(where)}: not valid UTF-8 text: {what}")
    return value


def check_number(value, where: Where, *, low: float, high: float, whole: bool = False):
    """A finite number from `low` to `high`; `whole` for integers. Accepts text or a number."""
    try:
        if isinstance(value, bool):
            raise ValueError
        if whole:
            number = int(value, 10) if isinstance(value, str) else int(value)
            if isinstance(value, float) and number != value:
                raise ValueError
        else:
            number = float(value)
    except (TypeError, ValueError, OverflowError):
        kind = "a whole number" if whole else "a number"
        raise HmipError(f"{_at(where)}: {_shown(value)} is not {kind}") from None
    if not math.isfinite(number):
        raise HmipError(f"{_at(where)}: {_shown(value)} is not a finite number")
    if not low <= number <= high:
        raise HmipError(f"{_at(where)}: {_shown(value)} is out of range (from {low:g} to {high:g})"
                        if not whole else f"{_at(where)}: {_shown(value)} is out of range "
                        f"(from {int(low)} to {int(high)})")
    return number
