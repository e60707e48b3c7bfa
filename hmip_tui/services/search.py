"""Searching the evidence: which cases' notes, which judgements and which reasons hold a word.

What the reader types is taken as words, never as FTS5 syntax: each word is quoted, and every
word must be in the text (a note holding "home" and "visit" anywhere). A word ending in `*` is
the start of a word (`safegu*` finds "safeguarding"): the one piece of syntax an inspector who
half-remembers a word needs. A case the reader may not
open (limited access, or one they are second-reading blind) is left out altogether, not listed
as withheld as `hmip evidence` does: a hit would tell that its note holds the word.
"""

from __future__ import annotations

import re
import sqlite3

from ..errors import HmipError
from ..framework import Framework
from ..store.access import closed_to
from ..store.search import END, START, search

LIMIT = 50


def search_query(text: str) -> str:
    """The FTS5 query for words as typed: the letters and digits only, each word a quoted
    string, so `"unclosed`, `AND`, `NEAR(` or `col:` are words to find, never FTS5's syntax; a
    `*` straight after a word makes it a prefix."""
    words = re.findall(r"([^\W_]+)(\*?)", text)
    if not words:
        raise HmipError("the search words have no word in them: give a word or two from the note "
                        "(e.g. hmip search home visit)")
    return " ".join(f'"{word}"{star}' for word, star in words)


def search_evidence(conn: sqlite3.Connection, framework: Framework, text: str, reader: str | None,
                    limit: int = LIMIT) -> dict:
    """The texts holding every word of `text` that `reader` may see: at most `limit` of them,
    judgements first, then by case and question; `count` says how many there are in all."""
    query = search_query(text)
    try:
        hits, count = search(conn, query, closed_to(conn, reader), limit)
    except sqlite3.OperationalError as exc:
        if "fts5" not in str(exc):
            raise
        raise HmipError(f"the search words {text!r} cannot be searched for ({exc}); give plain words") from None
    matches = []
    for h in hits:
        snippet, marks = _marked(h.snippet)
        matches.append({"case": h.case_ref or None, "question": h.question, "kind": h.kind,
                        "label": _label(framework, h.kind, h.question), "snippet": snippet, "marks": marks})
    return {"text": text, "count": count, "shown": len(matches), "matches": matches}


def _marked(snippet: str) -> tuple[str, list[list[int]]]:
    """The snippet as plain text, and where each match starts and ends in it."""
    plain, marks, start = [], [], None
    for ch in snippet:
        if ch == START:
            start = len(plain)
        elif ch == END and start is not None:
            marks.append([start, len(plain)])
            start = None
        else:
            plain.append(ch)
    return "".join(plain), marks


def _label(framework: Framework, kind: str, field: str) -> str:
    """The question, the standard, or what a reason was given for, in the framework's words."""
    if kind == "judgement":
        try:
            return f"judgement: {framework.standard(field).title}"
        except (KeyError, HmipError):
            return "judgement"
    question = framework.questions.get(field)
    if kind == "note":
        return question.text if question else field
    if question is not None:
        return f"reason: {question.text}"
    return f"reason for changing {field.replace('_', ' ')}" if field else "reason"
