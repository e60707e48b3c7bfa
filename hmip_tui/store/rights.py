"""Who may write what: the rules a history must keep, checked entry by entry as it arrives.

The same rules hold on the laptop that writes an entry (the domain functions check them first)
and on every laptop it reaches: an entry someone could not have written through hmip is refused
with the whole bundle. Each entry answers to an *authority*: its author when it is signed by its
author, or whoever signed (vouched for) it when it came from an unsigned bundle or an older
database, since nobody else can be held to it.

- The team changes only by a lead's entries (a database with no team yet takes the first lead
  it is given), and never ends without a lead.
- Grants, assignments, locks, redactions, re-pinnings and settlements come from someone who has
  been lead; a register the lead settled changes afterwards only by a lead.
- Who reads a case, and whether it is of limited access, change only by a lead once set.
- A limited-access case's entries come only from those who may open it (or from a lead, for
  the lead's own kinds); a second reading only from the reader it was assigned to.
- Every entry about a case belongs to a case this history holds.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

from ..errors import HmipError
from . import history
from .history import LEAD_ONLY, SETTLE, VOUCHED, Entry

CASE_KINDS = frozenset({"case", "profile", "status", "lock", "answer", "grant", "assign", "reading", "finish",
                        "redact"})
# How far ahead of this laptop's clock an entry may be dated (clocks drift; days do not).
FUTURE = timedelta(days=2)


class Rights:
    """The team and the cases as this database holds them, moved forward entry by entry."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.roles = dict(conn.execute("SELECT code, role FROM inspector"))
        self.ever_lead = {f for (f,) in conn.execute(
            "SELECT DISTINCT field FROM entry WHERE kind = 'team' AND value = 'lead'")} | {
            c for c, r in self.roles.items() if r == "lead"}
        self.cases = {ref: inspector for ref, inspector in conn.execute("SELECT ref, inspector FROM case_file")}
        self.restricted = {ref for (ref,) in conn.execute(
            "SELECT ref FROM case_file WHERE json_extract(profile, '$.limited_access') = 'yes'")}
        self.limited_set = {ref for (ref,) in conn.execute(
            "SELECT ref FROM case_file WHERE json_extract(profile, '$.limited_access') IS NOT NULL")}
        self.granted: dict[str, set[str]] = {}
        for ref, code in conn.execute("SELECT c.ref, a.inspector FROM case_access a JOIN case_file c "
                                      "ON c.id = a.case_id"):
            self.granted.setdefault(ref, set()).add(code)
        self.readers = dict(conn.execute("SELECT c.ref, s.reader FROM second_reading s JOIN case_file c "
                                         "ON c.id = s.case_id"))
        self.settles: set[bytes] = set()  # settlements seen in this history
        self.created_by: dict[str, str] = {}  # cases this history creates, and who creates them
        self.latest = datetime.now(timezone.utc) + FUTURE

    def may_open(self, ref: str, code: str) -> bool:
        return ref not in self.restricted or code == self.cases.get(ref) or code in self.granted.get(ref, ())

    def _settled(self, parents) -> bool:
        for p in parents:
            if p in self.settles:
                return True
            held = self.conn.execute("SELECT flags FROM entry WHERE k = ? AND id = ?",
                                     (history.id_key(p), p)).fetchone()
            if held and held[0] == SETTLE:
                return True
        return False

    def check_team(self, entries, who: dict[bytes, str], where: str) -> None:
        """The team entries first, in order: each from a lead as the team then stood (or the first
        lead a database with no team is given). Then everyone this history ever made lead is
        known before its other entries are checked."""
        for e in entries:
            if e.kind == "team":
                self._team(e, who[e.id], where)

    def _team(self, e: Entry, authority: str, where: str) -> None:
        def refuse(why: str):
            raise HmipError(f"{where}: {why}; nothing was imported")

        lead = self.roles.get(authority) == "lead"
        founding = not any(r == "lead" for r in self.roles.values())
        if not (lead or founding and e.value == "lead" and e.field == authority):
            refuse(f"it changes the team ({e.field} as {e.value}), which only the lead can do, and "
                   f"{authority or 'nobody'} is not the lead here")
        self.roles[e.field] = e.value
        if e.value == "lead":
            self.ever_lead.add(e.field)
        if not any(r == "lead" for r in self.roles.values()):
            refuse("it would leave the team without a lead")

    def check(self, e: Entry, authority: str, where: str) -> None:
        """Refuse an entry its authority could not write here; else take it into account."""
        def refuse(why: str):
            raise HmipError(f"{where}: {why}; nothing was imported")

        if _when(e.at) > self.latest:
            refuse(f"an entry is dated {e.at[:19]}, days ahead of this laptop's clock")
        if e.kind == "team":
            return  # checked first, in check_team
        if (e.kind in LEAD_ONLY or e.flags == SETTLE) and authority not in self.ever_lead:
            what = "settles a conflict" if e.flags == SETTLE else f"is {_a(e.kind)} entry"
            refuse(f"an entry by {authority or 'nobody'} {what}, which only the lead can write")
        if e.kind in CASE_KINDS:
            self._check_case(e, authority, authority in self.ever_lead, refuse)
        if e.flags != SETTLE and e.parents and authority not in self.ever_lead and self._settled(e.parents):
            refuse(f"{authority} changes what the lead settled ({e.kind} {e.case_ref} {e.field}), which "
                   "only the lead can do")
        if e.flags == SETTLE:
            self.settles.add(e.id)

    def _check_case(self, e: Entry, authority: str, lead: bool, refuse) -> None:
        ref = e.case_ref
        if e.kind == "case":
            if ref in self.cases and self.cases[ref] != (e.value or None) and not lead:
                refuse(f"{authority} changes who reads case {ref}, which only the lead can do")
            if ref not in self.cases:
                self.created_by[ref] = authority
            self.cases[ref] = e.value or None
            return
        if ref not in self.cases:
            refuse(f"an entry about case {ref}, which this inspection does not hold")
        # Whoever adds a case gives it its first profile, limited access or not.
        creating = e.kind == "profile" and not e.parents and self.created_by.get(ref) == authority
        # A lead's own kinds, and what a lead vouches for (an unsigned or older history the lead
        # carries on), need no access to the case.
        lead_may = lead and (e.kind in LEAD_ONLY or e.flags in VOUCHED)
        if ref in self.restricted and not self.may_open(ref, authority) and not creating and not lead_may:
            refuse(f"an entry by {authority} on case {ref}, a limited access case {authority} may not open")
        if e.kind == "profile" and e.field == "limited_access":
            unchanged = (ref in self.restricted) == (e.value == "yes")
            if ref in self.limited_set and not unchanged and not lead:
                refuse(f"{authority} changes whether case {ref} is of limited access, which only the lead can do")
            self.limited_set.add(ref)
            (self.restricted.add if e.value == "yes" else self.restricted.discard)(ref)
        elif e.kind == "grant":
            (self.granted.setdefault(ref, set()).add if e.value == "granted"
             else self.granted.setdefault(ref, set()).discard)(e.field)
        elif e.kind == "assign":
            self.readers[ref] = e.value
        elif e.kind in ("reading", "finish") and self.readers.get(ref) != authority:
            refuse(f"a second reading of case {ref} by {authority}, to whom it is not assigned")


def _when(at: str) -> datetime:
    moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _a(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


def authorities(received, new: list[Entry], by: str | None) -> dict[bytes, str]:
    """Who answers for each new entry: its author if a batch of theirs signs it; else the signer
    of the first batch that vouches for it; an unsigned bundle's, the code importing it."""
    out: dict[bytes, str] = {}
    new_ids = {e.id for e in new}
    for b in received.batches:
        for i in b.indices:
            e = received.entries[i]
            if e is None or e.id not in new_ids:
                continue
            if e.flags not in VOUCHED:
                out[e.id] = e.author
            else:
                out.setdefault(e.id, b.signer)
    for e in new:
        out.setdefault(e.id, e.author if e.flags not in VOUCHED else by or "")
    return out
