"""Registers: what the history says now. Heads, current tables and conflicts, kept in step.

Every entry sets one register. The register's *heads* are its entries that no other entry
replaces. An entry whose parents are the heads moves the register forward; one that forks from
an older entry adds a head. So merging histories is a union: any order, any repetition, the
same heads. When the heads of an answer, a profile field or a judgement say different things,
that register is in conflict until the lead writes an entry naming all of them as parents.

`advance` is the only writer of the current tables (answer, case_file, judgement, inspector,
case_access, second_reading, second_answer, conflict, signer pins): a local change and a merge
of a whole bundle take the same path, inside the caller's transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from dataclasses import dataclass

from ..errors import HmipError
from . import history, search
from . import tally as tallies
from .history import CONFLICTING, SETTLE, Entry


@dataclass(frozen=True, slots=True)
class Head:
    id: bytes
    value: str
    note: bytes | None
    author: str
    at: str
    flags: str

    @property
    def order(self) -> tuple[str, bytes]:
        # The newest head stands for the register; the id breaks ties the same way everywhere.
        return (self.at, self.id)


Register = tuple[str, str, str]  # (kind, case_ref, field)


# Where heads are kept. An answer with one head (nearly all of them) keeps it in its own answer
# row, `entry`: the hot paths, saving an answer and merging 300,000 of them, then write one row
# each, not two. Every other register, and an answer with several heads (a conflict) or none
# standing (taken back), keeps its heads as rows of `head`.
_ANSWER_HEADS = ("SELECT c.ref, a.question, a.entry, a.value, a.note_hash, a.answered_by, a.answered_at, "
                 "a.flags FROM answer a JOIN case_file c ON c.id = a.case_id")


def _in_answer_row(hs: dict[bytes, Head]) -> bool:
    return len(hs) == 1 and next(iter(hs.values())).value != ""


def heads(conn: sqlite3.Connection, register: Register) -> list[Head]:
    if register[0] == "answer":  # the common case first: one head, in the answer row
        row = conn.execute(_ANSWER_HEADS + " WHERE c.ref = ? AND a.question = ?", register[1:]).fetchone()
        if row and row[2]:
            return [Head(row[2], row[3], row[4], row[5], row[6], row[7])]
    return [Head(*r) for r in conn.execute(
        "SELECT id, value, note, author, at, flags FROM head WHERE kind = ? AND case_ref = ? AND field = ?",
        register)]


def current(conn: sqlite3.Connection, register: Register) -> Head | None:
    """The head that stands for the register (see `standing`)."""
    hs = heads(conn, register)
    return standing(register[0], {h.id: h for h in hs}) if hs else None


def _load_heads(conn: sqlite3.Connection, registers: set[Register]) -> dict[Register, dict[bytes, Head]]:
    """The held heads of many registers, read per (kind, case) rather than per register."""
    out: dict[Register, dict[bytes, Head]] = defaultdict(dict)
    by_case: dict[str, set[str]] = defaultdict(set)
    for kind, case_ref, _ in registers:
        by_case[kind].add(case_ref)
    for kind, refs in by_case.items():
        refs = sorted(refs)
        for i in range(0, len(refs), 500):
            chunk = refs[i:i + 500]
            rows = conn.execute(
                "SELECT case_ref, field, id, value, note, author, at, flags FROM head WHERE kind = ? "
                f"AND case_ref IN ({','.join('?' * len(chunk))})", (kind, *chunk))
            for case_ref, field, *rest in rows:
                reg = (kind, case_ref, field)
                if reg in registers:
                    out[reg][rest[0]] = Head(*rest)
            if kind != "answer":
                continue
            rows = conn.execute(_ANSWER_HEADS + f" WHERE c.ref IN ({','.join('?' * len(chunk))})", chunk)
            for case_ref, field, entry, value, note, author, at, flags in rows:
                reg = (kind, case_ref, field)
                if entry and reg in registers and reg not in out:
                    out[reg][entry] = Head(entry, value, note, author, at, flags)
    return out


def disagree(conn: sqlite3.Connection, hs) -> bool:
    """Whether heads say different things: another value, or another note. Notes are compared
    as text where this laptop holds them (their hashes are salted), else by hash."""
    hs = list(hs)
    if len({h.value for h in hs}) > 1:
        return True
    notes = {h.note for h in hs}
    if len(notes) <= 1:
        return False
    said = set()
    for n in notes:
        text = history.text_of(conn, n) if n else None
        said.add(text if text is not None or n is None else n)  # an unheld text: its hash stands for it
    return len(said) > 1


@dataclass
class Advance:
    """What one advance changed, for the caller's summary."""

    entries: int = 0
    conflicts_opened: int = 0
    conflicts_closed: int = 0


def advance(conn: sqlite3.Connection, new: list[Entry], batch: dict[bytes, int] | None = None,
            held: dict[Register, dict[bytes, Head]] | None = None) -> Advance:
    """Append new entries (checked, not held, parents first), each with the signed batch that
    brought it (none for a change made here), and bring every current table they touch up to
    date, inside the caller's transaction."""
    if not new:
        return Advance()
    registers = [(e.kind, e.case_ref, e.field) for e in new]
    touched = set(registers)
    state = held if held is not None else _load_heads(conn, touched)
    before = {reg: dict(state[reg]) if reg in state else {} for reg in touched}
    for e, reg in zip(new, registers):
        hs = state.get(reg)
        if hs is None:
            state[reg] = {e.id: e}  # an entry is a head as it stands: same fields
            continue
        for p in e.parents:
            hs.pop(p, None)
        hs[e.id] = e
    try:
        history.insert(conn, new, batch)
    except sqlite3.IntegrityError:
        raise HmipError("two different history entries share an id prefix; nothing was changed") from None
    _write_heads(conn, touched, before, state)
    result = Advance(entries=len(new))
    _apply(conn, touched, before, state, new, result)
    return result


def _write_heads(conn, touched, before, state) -> None:
    gone, added = [], []
    for reg in touched:
        old, now = before.get(reg, {}), state[reg]
        if reg[0] == "answer":
            # The answer row carries a single standing head (written by _apply_answer).
            if not old and _in_answer_row(now):
                continue
            old = {} if _in_answer_row(old) else old
            now = {} if _in_answer_row(now) else now
        gone.extend((*reg, i) for i in old.keys() - now.keys())
        added.extend((*reg, h.id, h.value, h.note, h.author, h.at, h.flags)
                     for i, h in now.items() if i not in old)
    if gone:
        conn.executemany("DELETE FROM head WHERE kind = ? AND case_ref = ? AND field = ? AND id = ?", gone)
    if added:
        conn.executemany("INSERT INTO head (kind, case_ref, field, id, value, note, author, at, flags) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", added)


# --- applying heads to the current tables ----------------------------------------------------

# Kinds in the order their current rows depend on one another (cases before their answers).
_ORDER = ("inspection", "team", "rekey", "case", "profile", "status", "lock", "grant", "answer",
          "judgement", "assign", "reading", "finish", "redact", "export", "restore")


def _apply(conn, touched, before, state, new, result: Advance) -> None:
    if len(touched) == 1:  # one change made here: the save path, straight to its applier
        (reg,) = touched
        _APPLY[reg[0]](conn, [reg], state, fresh={reg} if _unset(before[reg]) else set())
    else:
        by_kind: dict[str, list[Register]] = defaultdict(list)
        for reg in touched:
            by_kind[reg[0]].append(reg)
        fresh = {reg for reg in touched if _unset(before[reg])}
        for kind in _ORDER:
            regs = by_kind.get(kind)
            if regs:
                _APPLY[kind](conn, regs, state, fresh=fresh)
    settles = [e for e in new if e.flags == SETTLE]
    if settles:
        _mark_settled_readings(conn, settles)
    for reg in touched:
        # A register with one head before and after was never in conflict: nothing to look up.
        if reg[0] in CONFLICTING and (len(before[reg]) > 1 or len(state[reg]) > 1):
            _conflict_bookkeeping(conn, reg, state[reg], new, result)


def _unset(hs: dict[bytes, Head]) -> bool:
    """A register with nothing standing in it: never set, or taken back."""
    return all(not h.value for h in hs.values())


def standing(kind: str, hs: dict[bytes, Head]) -> Head:
    """Which head the current tables show. The newest, as a rule; but while an answer, a profile
    field or a judgement is in conflict, the reading given first stands until the lead settles,
    so a difference that arrives later never silently replaces it. Either way the choice depends
    on the heads alone, not on the order they arrived in."""
    if len(hs) == 1:
        return next(iter(hs.values()))
    if kind in CONFLICTING:
        return min(hs.values(), key=_order)
    return _newest(hs)


def _newest(hs: dict[bytes, Head]) -> Head:
    return max(hs.values(), key=_order)


def _order(h) -> tuple[str, bytes]:
    # The newest head stands for the register; the id breaks ties the same way everywhere.
    return (h.at, h.id)


def _case_ids(conn, refs) -> dict[str, int]:
    """Row ids of cases by reference. A case's row id never changes once it exists, so a
    connection remembers the ones it has looked up (the save path asks for one every answer)."""
    known = getattr(conn, "case_ids", None)
    refs = set(refs)
    out = {r: known[r] for r in refs if r in known} if known is not None else {}
    missing = sorted(refs - out.keys())
    for i in range(0, len(missing), 500):
        chunk = missing[i:i + 500]
        found = conn.execute(f"SELECT ref, id FROM case_file WHERE ref IN ({','.join('?' * len(chunk))})",
                             chunk).fetchall()
        out.update(found)
        if known is not None:
            known.update(found)
    return out


def _framework_of(conn) -> tuple[str, str] | None:
    """The inspection's framework, which never changes once the inspection exists."""
    held = getattr(conn, "framework_ids", None)
    if held:
        return held
    row = conn.execute("SELECT framework_id, framework_version FROM inspection").fetchone()
    if row is not None and hasattr(conn, "framework_ids"):
        conn.framework_ids = tuple(row)
    return tuple(row) if row else None


def _apply_inspection(conn, regs, state, **_) -> None:
    if conn.execute("SELECT 1 FROM inspection").fetchone():
        return
    i = json.loads(_newest(state[regs[0]]).value)
    conn.execute("INSERT INTO inspection (id, uid, pdu, region, fieldwork_start, framework_id, "
                 "framework_version, created_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?)",
                 (i["uid"], i["pdu"], i.get("region"), i.get("fieldwork_start"), i["framework_id"],
                  i["framework_version"], i["created_at"]))
    tallies.rebuild(conn)  # the tallies learn the framework's fields before any case arrives


def _apply_team(conn, regs, state, **_) -> None:
    for reg in regs:
        role = _newest(state[reg]).value
        if role:
            conn.execute("INSERT INTO inspector (code, role) VALUES (?, ?) ON CONFLICT (code) DO UPDATE "
                         "SET role = excluded.role", (reg[2], role))


def _apply_rekey(conn, regs, state, **_) -> None:
    for reg in regs:
        change = json.loads(_newest(state[reg]).value)
        for digest in change.get("keep", ()):
            conn.execute("INSERT OR IGNORE INTO kept_batch (digest) VALUES (?)", (bytes.fromhex(digest),))
        conn.execute("DELETE FROM signer WHERE code = ?", (reg[2],))
        if change.get("key"):
            conn.execute("INSERT INTO signer (code, key, pinned_at, source) VALUES (?, ?, ?, 'rekey')",
                         (reg[2], bytes.fromhex(change["key"]), _newest(state[reg]).at))


def _apply_case(conn, regs, state, **_) -> None:
    # A new case starts with an empty profile, and the tally facets of one (none before the
    # tallies exist: a migration deriving an older file's history runs before they do).
    rate, split = tallies.facets_of(tallies.stored_spec(conn), {})
    facets = ", rate_facet, split_facet" if rate is not None else ""
    if rate is not None:
        tallies.know(conn, rate, split)
    for reg in regs:
        h = _newest(state[reg])
        conn.execute(f"INSERT INTO case_file (ref, inspector, profile, status, created_at{facets}) "
                     f"VALUES (?, ?, '{{}}', 'not_started', ?{', ?, ?' if facets else ''}) ON CONFLICT (ref) "
                     "DO UPDATE SET inspector = excluded.inspector",
                     (reg[1], h.value or None, h.at) + ((rate, split) if facets else ()))


def _apply_profile(conn, regs, state, **_) -> None:
    by_case: dict[str, dict[str, str]] = defaultdict(dict)
    for reg in regs:
        by_case[reg[1]][reg[2]] = standing("profile", state[reg]).value
    changed = []
    for ref, fields in by_case.items():
        row = conn.execute("SELECT id, profile FROM case_file WHERE ref = ?", (ref,)).fetchone()
        if row is None:
            continue  # a profile entry of a case not created here: the case entry travels with it
        profile = json.loads(row[1])
        for f, v in fields.items():
            if v:
                profile[f] = v
            else:
                profile.pop(f, None)
        conn.execute("UPDATE case_file SET profile = ? WHERE id = ?", (json.dumps(profile, sort_keys=True), row[0]))
        changed.append((row[0], profile))
    tallies.set_case_facets(conn, changed)  # its answers now count under its new profile


def derived_status_sql() -> str:
    """A case's status when nobody has set it: in progress once anything is answered."""
    return ("CASE WHEN EXISTS (SELECT 1 FROM answer a WHERE a.case_id = case_file.id) "
            "THEN 'in_progress' ELSE 'not_started' END")


def _apply_status(conn, regs, state, **_) -> None:
    for reg in regs:
        value = _newest(state[reg]).value
        if value:
            conn.execute("UPDATE case_file SET status = ? WHERE ref = ?", (value, reg[1]))
        else:
            conn.execute(f"UPDATE case_file SET status = {derived_status_sql()} WHERE ref = ?", (reg[1],))


def _apply_lock(conn, regs, state, **_) -> None:
    for reg in regs:
        h = _newest(state[reg])
        conn.execute("UPDATE case_file SET moderated_at = ? WHERE ref = ?",
                     (h.at if h.value == "locked" else None, reg[1]))


def _apply_grant(conn, regs, state, **_) -> None:
    ids = _case_ids(conn, [r[1] for r in regs])
    for reg in regs:
        if reg[1] not in ids:
            continue
        if _newest(state[reg]).value == "granted":
            conn.execute("INSERT OR IGNORE INTO case_access (case_id, inspector) VALUES (?, ?)",
                         (ids[reg[1]], reg[2]))
        else:
            conn.execute("DELETE FROM case_access WHERE case_id = ? AND inspector = ?", (ids[reg[1]], reg[2]))


def _apply_answer(conn, regs, state, fresh=None, **_) -> None:
    row = _framework_of(conn)
    if row is None:
        return
    fw_id, fw_version = row
    ids = _case_ids(conn, [r[1] for r in regs])
    upserts, deletes, notes = [], [], {}
    for reg in regs:
        case_id = ids.get(reg[1])
        if case_id is None:
            continue
        hs = state[reg]
        single = len(hs) == 1
        h = next(iter(hs.values())) if single else standing("answer", hs)
        if h.value:
            upserts.append([case_id, reg[2], h.value, h.note, h.note, fw_id, fw_version, h.author, h.at,
                            h.id if single else None, h.flags])
            if h.note:
                notes[h.note] = None
        else:
            deletes.append((case_id, reg[2]))
    if notes:
        hashes = list(notes)
        for i in range(0, len(hashes), 500):
            chunk = hashes[i:i + 500]
            notes.update(conn.execute(f"SELECT hash, body FROM text WHERE hash IN ({','.join('?' * len(chunk))})",
                                      chunk).fetchall())
        for u in upserts:
            u[3] = notes.get(u[3]) if u[3] else None
    with tallies.bulk(conn, len(upserts) + len(deletes)), search.bulk(conn, len(upserts) + len(deletes)):
        conn.executemany(
            "INSERT INTO answer (case_id, question, value, note, note_hash, framework_id, framework_version, "
            "answered_by, answered_at, entry, flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT "
            "(case_id, question) DO UPDATE SET value = excluded.value, note = excluded.note, note_hash = "
            "excluded.note_hash, answered_by = excluded.answered_by, answered_at = excluded.answered_at, "
            "entry = excluded.entry, flags = excluded.flags", upserts)
        if deletes:
            conn.executemany("DELETE FROM answer WHERE case_id = ? AND question = ?", deletes)
    # A case nobody has marked is in progress once anything is answered; with its answers all
    # taken back, it is not started again (a case marked complete or in progress stays so).
    # Only a question answered for the first time can start a case.
    first = {ids.get(reg[1]) for reg in regs if fresh is None or reg in fresh}
    answered = sorted({u[0] for u in upserts} & first)
    for i in range(0, len(answered), 500):
        chunk = answered[i:i + 500]
        conn.execute(f"UPDATE case_file SET status = 'in_progress' WHERE status = 'not_started' "
                     f"AND id IN ({','.join('?' * len(chunk))})", chunk)
    for case_id in sorted({d[0] for d in deletes}):
        conn.execute(f"UPDATE case_file SET status = {derived_status_sql()} WHERE id = ? AND NOT EXISTS "
                     "(SELECT 1 FROM head h WHERE h.kind = 'status' AND h.case_ref = case_file.ref "
                     "AND h.value != '')", (case_id,))


def _apply_judgement(conn, regs, state, **_) -> None:
    for reg in regs:
        h = standing("judgement", state[reg])
        evidence = history.text_of(conn, h.note) or ""
        conn.execute("INSERT INTO judgement (standard, rating, evidence, judged_by, judged_at) "
                     "VALUES (?, ?, ?, ?, ?) ON CONFLICT (standard) DO UPDATE SET rating = excluded.rating, "
                     "evidence = excluded.evidence, judged_by = excluded.judged_by, judged_at = excluded.judged_at",
                     (reg[2], h.value, evidence, h.author, h.at))


def _apply_assign(conn, regs, state, **_) -> None:
    ids = _case_ids(conn, [r[1] for r in regs])
    for reg in regs:
        if reg[1] not in ids:
            continue
        h = _newest(state[reg])
        if h.value:
            conn.execute("INSERT INTO second_reading (case_id, reader, assigned_by, assigned_at) "
                         "VALUES (?, ?, ?, ?) ON CONFLICT (case_id) DO UPDATE SET reader = excluded.reader, "
                         "assigned_by = excluded.assigned_by, assigned_at = excluded.assigned_at",
                         (ids[reg[1]], h.value, h.author, h.at))
        else:
            conn.execute("DELETE FROM second_reading WHERE case_id = ?", (ids[reg[1]],))


def _apply_reading(conn, regs, state, **_) -> None:
    ids = _case_ids(conn, [r[1] for r in regs])
    for reg in regs:
        if reg[1] not in ids:
            continue
        h = _newest(state[reg])
        conn.execute("INSERT INTO second_answer (case_id, question, value, note, note_hash, answered_by, "
                     "answered_at, entry) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (case_id, question) DO "
                     "UPDATE SET value = excluded.value, note = excluded.note, note_hash = excluded.note_hash, "
                     "answered_by = excluded.answered_by, answered_at = excluded.answered_at, entry = excluded.entry",
                     (ids[reg[1]], reg[2], h.value, history.text_of(conn, h.note), h.note, h.author, h.at, h.id))


def _apply_finish(conn, regs, state, **_) -> None:
    ids = _case_ids(conn, [r[1] for r in regs])
    for reg in regs:
        if reg[1] not in ids:
            continue
        h = _newest(state[reg])
        first = json.loads(h.value).get("first", {}) if h.value else {}
        conn.execute("UPDATE second_reading SET finished_at = ? WHERE case_id = ?",
                     (h.at if h.value else None, ids[reg[1]]))
        for question, value in first.items():
            conn.execute("UPDATE second_answer SET first_value = ? WHERE case_id = ? AND question = ?",
                         (value, ids[reg[1]], question))


def _apply_redact(conn, regs, state, **_) -> None:
    # Overwrite the freed space, so the text is gone from the file too, not only from the tables.
    conn.execute("PRAGMA secure_delete=ON")
    drafts = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'note_draft'").fetchone()
    for reg in regs:
        if drafts:  # a draft of that note, not yet saved on this laptop, may hold the same words
            conn.execute("DELETE FROM note_draft WHERE case_ref = ? AND question = ?", (reg[1], reg[2]))
        for h in state[reg].values():
            for digest in (bytes.fromhex(x) for x in h.value.split(",") if x):
                conn.execute("INSERT OR IGNORE INTO redacted (hash) VALUES (?)", (digest,))
                conn.execute("DELETE FROM text WHERE hash = ?", (digest,))
                conn.execute("UPDATE answer SET note = NULL WHERE note_hash = ?", (digest,))
                conn.execute("UPDATE second_answer SET note = NULL WHERE note_hash = ?", (digest,))
    search.purge_removed(conn)


def _apply_nothing(conn, regs, state, **_) -> None:
    """Entries that record an event (an export of restricted notes) and set nothing."""


_APPLY = {
    "inspection": _apply_inspection, "team": _apply_team, "rekey": _apply_rekey, "case": _apply_case,
    "profile": _apply_profile, "status": _apply_status, "lock": _apply_lock, "grant": _apply_grant,
    "answer": _apply_answer, "judgement": _apply_judgement, "assign": _apply_assign,
    "reading": _apply_reading, "finish": _apply_finish, "redact": _apply_redact, "export": _apply_nothing,
    "restore": _apply_nothing,
}


def _mark_settled_readings(conn, settles: list[Entry]) -> None:
    """A settlement that names a second reading among its parents settles that disagreement."""
    for e in settles:
        if e.kind != "answer":
            continue
        for p in e.parents:
            row = conn.execute("SELECT kind FROM entry WHERE k = ? AND id = ?", (history.id_key(p), p)).fetchone()
            if row and row[0] == "reading":
                conn.execute(
                    "UPDATE second_answer SET settled_value = ?, settled_reason = ?, settled_by = ?, "
                    "settled_at = ? WHERE question = ? AND case_id = (SELECT id FROM case_file WHERE ref = ?)",
                    (e.value, history.text_of(conn, e.reason), e.author, e.at, e.field, e.case_ref))


def _conflict_bookkeeping(conn, reg: Register, hs: dict[bytes, Head], new: list[Entry],
                          result: Advance) -> None:
    open_row = conn.execute("SELECT id FROM conflict WHERE kind = ? AND case_ref = ? AND field = ? "
                            "AND closed_by IS NULL", reg).fetchone()
    split = len(hs) > 1 and disagree(conn, hs.values())
    if split and open_row is None:
        conn.execute("INSERT INTO conflict (kind, case_ref, field, opened_at) VALUES (?, ?, ?, ?)",
                     (*reg, max(h.at for h in hs.values())))
        result.conflicts_opened += 1
    elif not split and open_row is not None:
        closer = _newest(hs)
        conn.execute("UPDATE conflict SET closed_by = ?, closed_at = ? WHERE id = ?",
                     (closer.id, closer.at, open_row[0]))
        result.conflicts_closed += 1


# --- writing here ------------------------------------------------------------------------------


def open_conflict_id(conn: sqlite3.Connection, register: Register) -> int | None:
    row = conn.execute("SELECT id FROM conflict WHERE kind = ? AND case_ref = ? AND field = ? "
                       "AND closed_by IS NULL", register).fetchone()
    return row[0] if row else None


def write(conn: sqlite3.Connection, register: Register, value: str, *, author: str,
          note: bytes | None = None, reason: bytes | None = None, settle: bool = False,
          also_replaces=(), at: str | None = None, held: list[Head] | None = None) -> Entry:
    """Record one change made on this laptop, inside the caller's transaction: an entry whose
    parents are the register's heads, so it moves the register forward.

    A register in conflict changes only by settling it (`settle`), which names every head.
    """
    from .inspections import now

    hs = heads(conn, register) if held is None else held
    if register[0] in CONFLICTING and not settle:
        if len(hs) > 1 and disagree(conn, hs):
            number = open_conflict_id(conn, register)
            raise HmipError(f"this {register[0]} has an open conflict (#{number}) between the team's "
                            f"readings: the lead settles it first (hmip moderation settle {number} VALUE "
                            "--reason ...)")
        if len(hs) == 1 and hs[0].flags == SETTLE and not _is_lead(conn, author):
            raise HmipError(f"the lead settled this {register[0]} ({' '.join(x for x in register[1:] if x)}): "
                            "only the lead changes it now")
    e = history.make_entry(*register, value, author=author, at=at or now(),
                           parents=[h.id for h in hs] + list(also_replaces), note=note, reason=reason,
                           flags=SETTLE if settle else history.PLAIN)
    advance(conn, [e], held={register: {h.id: h for h in hs}})
    return e


def _settled(conn, entry_id: bytes) -> bool:
    row = conn.execute("SELECT flags FROM entry WHERE k = ? AND id = ?", (history.id_key(entry_id), entry_id)).fetchone()
    return bool(row) and row[0] == SETTLE


def _is_lead(conn, code: str) -> bool:
    row = conn.execute("SELECT role FROM inspector WHERE code = ?", (code,)).fetchone()
    return bool(row) and row[0] == "lead"


def fill_texts(conn: sqlite3.Connection, hashes) -> None:
    """Texts that arrived after their entries (a note sent later): show them where they belong."""
    hashes = list(hashes)
    for i in range(0, len(hashes), 500):
        chunk = hashes[i:i + 500]
        marks = ",".join("?" * len(chunk))
        conn.execute(f"UPDATE answer SET note = (SELECT body FROM text WHERE hash = note_hash) "
                     f"WHERE note IS NULL AND note_hash IN ({marks})", chunk)
        conn.execute(f"UPDATE second_answer SET note = (SELECT body FROM text WHERE hash = note_hash) "
                     f"WHERE note IS NULL AND note_hash IN ({marks})", chunk)
    if hashes:
        # Judgement evidence is read from its head; so few that rereading all is simplest.
        for kind, case_ref, field in conn.execute(
                "SELECT DISTINCT kind, case_ref, field FROM head WHERE kind = 'judgement'").fetchall():
            _apply_judgement(conn, [(kind, case_ref, field)], {(kind, case_ref, field): {
                h.id: h for h in heads(conn, (kind, case_ref, field))}})


def team_as_history_says(conn: sqlite3.Connection) -> dict[str, str]:
    """The roles the team entries give (the newest head of each code's register)."""
    newest: dict[str, tuple[str, bytes, str]] = {}
    for code, entry_id, value, at in conn.execute("SELECT field, id, value, at FROM head WHERE kind = 'team'"):
        if code not in newest or (at, entry_id) > newest[code][:2]:
            newest[code] = (at, entry_id, value)
    return {code: v for code, (_, _, v) in newest.items() if v}


def restore_team(conn: sqlite3.Connection) -> bool:
    """Put the team back as the history says, if the table was changed behind hmip's back (a
    role is a right: it must come from the lead's entries, not from an edited file). Returns
    whether it had to; the caller holds the transaction."""
    said = team_as_history_says(conn)
    if dict(conn.execute("SELECT code, role FROM inspector")) == said:
        return False
    conn.execute("DELETE FROM inspector")
    conn.executemany("INSERT INTO inspector (code, role) VALUES (?, ?)", said.items())
    return True


def answers_unlike_history(conn: sqlite3.Connection) -> list[str]:
    """Answers whose current row says other than the history it derives from (a file edited
    behind hmip's back): none, always, otherwise. One sentence for the first, with a count."""
    wrong: list[str] = []
    rows = conn.execute("SELECT c.ref, a.question, a.value, a.entry FROM answer a "
                        "JOIN case_file c ON c.id = a.case_id ORDER BY c.ref, a.question").fetchall()
    named = [r for r in rows if r[3] is not None]
    for i in range(0, len(named), 900):
        chunk = named[i:i + 900]
        held = dict(conn.execute(f"SELECT id, value FROM entry WHERE k IN ({','.join('?' * len(chunk))})",
                                 [history.id_key(r[3]) for r in chunk]))
        wrong += [f"case {ref} {q}: the answer says {value}, its history {held.get(e, 'nothing')}"
                  for ref, q, value, e in chunk if held.get(e) != value]
    # An answer in conflict names no single entry: its heads must still exist.
    for ref, q, value, _ in (r for r in rows if r[3] is None):
        if conn.execute("SELECT 1 FROM head WHERE kind = 'answer' AND case_ref = ? AND field = ? LIMIT 1",
                        (ref, q)).fetchone() is None:
            wrong.append(f"case {ref} {q}: the answer {value} has no history")
    if len(wrong) > 1:
        return [f"{wrong[0]} (and {len(wrong) - 1} more answers unlike their history)"]
    return wrong
