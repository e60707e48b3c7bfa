"""Reading JSON that someone else wrote, within bounds a real hmip file never comes near.

`json.loads` recurses once per level of nesting: a file of 200,000 `[` ends in RecursionError,
deep inside the parser. A bundle is five levels deep (cases, a case, its answers, an answer),
so the depth is measured first, on the raw bytes, and anything past MAX_DEPTH is refused with a
sentence before the parser sees it. Lone surrogates (`"\\ud800"`, valid JSON but no valid text)
and numbers too long to read are refused the same way, so that every refusal is a sentence.
"""

from __future__ import annotations

import json
import operator
import re
from itertools import accumulate
from pathlib import Path

from ..errors import HmipError

MAX_DEPTH = 32

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_A_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def _deepest(brackets: bytes) -> int:
    return max(accumulate(map(_STEP.__getitem__, brackets), operator.add), default=0)


def nesting_depth(raw: bytes, limit: int = MAX_DEPTH) -> int:
    """How deeply the arrays and objects of a JSON text nest (brackets inside strings aside),
    exactly when it is over `limit`, and at most `limit` otherwise."""
    # Counting every bracket, in strings too, overstates the depth and runs at C speed; only a
    # file that seems too deep pays for setting its strings aside first (a third of a second
    # on a 20 MB bundle).
    seeming = _deepest(raw.translate(None, _NOT_A_BRACKET))
    if seeming <= limit:
        return seeming
    return _deepest(_STRING.sub(b"", raw).translate(None, _NOT_A_BRACKET))


class _NoSuchValue(ValueError):
    """A value JSON's grammar or Python's parser lets through, and no hmip file holds."""


def _no_constants(name: str):
    raise _NoSuchValue(f"{name}, which is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise _NoSuchValue(f"{text}, a number too large to hold")
    return number


def loads_bounded(raw: bytes, source: Path | str, *, max_depth: int = MAX_DEPTH):
    """Parse JSON text; refuse, with a sentence naming `source`, what no hmip file holds.

    Syntax errors (JSONDecodeError) and text that is not UTF-8 (UnicodeDecodeError) are left to
    the caller, which knows what kind of file it was reading and says so.
    """
    if nesting_depth(raw, max_depth) > max_depth:
        raise HmipError(f"{source}: nested more than {max_depth} levels deep; no hmip file is, "
                        "so it was not read")
    try:
        data = json.loads(raw, parse_constant=_no_constants, parse_float=_finite)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise
    except _NoSuchValue as exc:
        raise HmipError(f"{source}: holds {exc}; no hmip file does, so it was not read") from None
    except (ValueError, RecursionError):  # Python's own limit on digits in an integer
        raise HmipError(f"{source}: holds a number too long to read; no hmip file does, "
                        "so it was not read") from None
    # A surrogate can only come from a \uD800-\uDFFF escape: only a file that has one pays
    # for encoding everything back to find out whether it stands alone.
    if _SURROGATE_ESCAPE.search(raw):
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise HmipError(f"{source}: holds text that is not valid Unicode (a lone surrogate, "
                            "\\ud800 to \\udfff); it was not read") from None
    return data
