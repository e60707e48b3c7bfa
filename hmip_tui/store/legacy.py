"""A database written before the history (schema 3) becomes history: its rows, root entries.

Every answer, profile field, judgement, grant, second reading and open conflict becomes an entry
flagged `migrated`, with no parents, made from the row as it stands (unsalted texts, the row's own
author and time), so the same data migrated on two laptops gives the same entries. An open
conflict's imported answer becomes a second head beside the held one: the conflict stays open.
The old audit trail stays as it was, closed, and `hmip audit` shows it before the history.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

from . import history, registers
from .history import MIGRATED, SETTLE, Entry, make_entry


@dataclass
class Legacy:
    entries: list[Entry] = field(default_factory=list)
    texts: dict[bytes, str] = field(default_factory=dict)
    resume_at: dict[str, str] = field(default_factory=dict)


def entries_from_schema_3(conn: sqlite3.Connection) -> Legacy | None:
    """The rows of a schema-3 database as entries; None when it holds no inspection yet."""
    row = conn.execute("SELECT uid, pdu, region, fieldwork_start, framework_id, framework_version, "
                       "created_at FROM inspection").fetchone()
    if row is None:
        return None
    out = Legacy()
    uid, pdu, region, start, fw_id, fw_version, created = row
    team = dict(conn.execute("SELECT code, role FROM inspector"))
    lead = next((c for c, r in sorted(team.items()) if r == "lead"), "")

    def add(kind, case_ref, field_, value, author, at, *, note=None, reason=None, parents=(), flags=MIGRATED):
        e = make_entry(kind, case_ref, field_, value, author=author or "", at=at, parents=parents,
                       note=_text(out, note), reason=_text(out, reason), flags=flags)
        out.entries.append(e)
        return e

    add("inspection", "", "", json.dumps({
        "uid": uid, "pdu": pdu, "region": region, "fieldwork_start": start, "framework_id": fw_id,
        "framework_version": fw_version, "created_at": created}, sort_keys=True), lead, created)
    for code, role in sorted(team.items()):
        add("team", "", code, role, lead, created)

    cases = conn.execute("SELECT id, ref, inspector, profile, status, resume_at, created_at, moderated_at "
                         "FROM case_file ORDER BY ref").fetchall()
    ref_of = {}
    for cid, ref, inspector, profile, status, resume_at, at, moderated_at in cases:
        ref_of[cid] = ref
        add("case", ref, "", inspector or "", inspector, at)
        for f, v in sorted(json.loads(profile).items()):
            add("profile", ref, f, v, inspector, at)
        if status == "complete":
            last = conn.execute("SELECT max(answered_at) FROM answer WHERE case_id = ?", (cid,)).fetchone()[0]
            add("status", ref, "", "complete", inspector, last or at)
        if moderated_at:
            add("lock", ref, "", "locked", lead, moderated_at)
        if resume_at:
            out.resume_at[ref] = resume_at
    for cid, code in conn.execute("SELECT case_id, inspector FROM case_access ORDER BY case_id, inspector"):
        add("grant", ref_of[cid], code, "granted", lead, created)

    answers = {}
    for cid, q, value, note, by, at in conn.execute(
            "SELECT case_id, question, value, note, answered_by, answered_at FROM answer ORDER BY case_id, question"):
        answers[(cid, q)] = add("answer", ref_of[cid], q, value, by, at, note=note)
    for cid, q, value, note, by, at in conn.execute(
            "SELECT case_id, question, incoming_value, incoming_note, incoming_by, found_at FROM conflict "
            "WHERE settled_at IS NULL ORDER BY id"):
        add("answer", ref_of[cid], q, value, by, at, note=note)
    for std, rating, evidence, by, at in conn.execute(
            "SELECT standard, rating, evidence, judged_by, judged_at FROM judgement ORDER BY standard"):
        add("judgement", "", std, rating, by, at, note=evidence)

    for cid, reader, by, at, finished in conn.execute(
            "SELECT case_id, reader, assigned_by, assigned_at, finished_at FROM second_reading ORDER BY case_id"):
        ref = ref_of[cid]
        add("assign", ref, "", reader, by or lead, at)
        readings, first = {}, {}
        for q, value, note, rby, rat, settled, reason, sby, sat in conn.execute(
                "SELECT question, value, note, answered_by, answered_at, settled_value, settled_reason, "
                "settled_by, settled_at FROM second_answer WHERE case_id = ? ORDER BY question", (cid,)):
            readings[q] = add("reading", ref, q, value, rby or reader, rat, note=note)
            held = answers.get((cid, q))
            first[q] = _first_reading(conn, ref, q, held.value if held else None, settled)
            if settled is not None and held is not None:
                # Settled before the history: the settlement names the answer and the reading.
                answers[(cid, q)] = add("answer", ref, q, settled, sby or lead, sat, reason=reason,
                                        note=None, parents=(held.id, readings[q].id), flags=SETTLE)
        if finished:
            add("finish", ref, "", json.dumps({"first": first}, sort_keys=True), reader, finished)
    return out


def _first_reading(conn, ref: str, question: str, held: str | None, settled: str | None) -> str | None:
    """Before the history, settling overwrote the first reading; the old audit trail kept it."""
    if settled is None:
        return held
    row = conn.execute("SELECT old_value FROM audit WHERE kind = 'settle' AND case_ref = ? AND question = ? "
                       "AND detail LIKE 'second reading%' ORDER BY id LIMIT 1", (ref, question)).fetchone()
    return row[0] if row else held


def _text(out: Legacy, body: str | None) -> bytes | None:
    if body is None or not body.strip():
        return None
    digest, _ = history.new_text(body, salted=False)
    out.texts[digest] = body
    return digest


def replay(conn: sqlite3.Connection, old: Legacy) -> None:
    """Rebuild the current tables from the migrated entries, and keep each case's resume point."""
    conn.executemany("INSERT INTO text (hash, salt, body) VALUES (?, x'', ?)", old.texts.items())
    registers.advance(conn, _dedupe(old.entries))
    conn.executemany("UPDATE case_file SET resume_at = ? WHERE ref = ?",
                     ((q, ref) for ref, q in old.resume_at.items()))


def _dedupe(entries: list[Entry]) -> list[Entry]:
    seen, out = set(), []
    for e in entries:
        if e.id not in seen:
            seen.add(e.id)
            out.append(e)
    return out
