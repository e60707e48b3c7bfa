"""The history: every change to an inspection, as an append-only entry. The truth.

An entry says that `author`, at `at`, set one *register* (`kind`, `case_ref`, `field`: an answer,
a profile field, a judgement, a case's status, ...) to `value`, replacing the entries named as
its `parents`. Its id is the SHA-256 of its canonical form, so the same change has the same id
on every laptop, and an id commits to its parents as a version-control commit does.

Texts (evidence notes, reasons, judgement evidence) are not in the entry: the entry holds the
hash of the text with a random salt (`text_hash`), and the text travels beside it. So a note
can be withheld (a limited-access case) or redacted (a name typed by mistake) without changing
the entry, its id or the signature over it, and the hash reveals nothing of a short note.

Current tables (answers, profiles, ...) are derived from the entries in the same transaction
(`registers.advance`); nothing else writes them.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from dataclasses import dataclass

ENTRY_TAG = b"hmip-entry/1\x00"
TEXT_TAG = b"hmip-text/1\x00"

# Flags: how an entry came to be. A plain entry is signed by its author; `v1` and `migrated`
# entries were made from an unsigned bundle or an older database and are signed by whoever
# exports them (they vouch for them); `settle` ends a conflict or a disagreement.
PLAIN, V1, MIGRATED, SETTLE = "", "v1", "migrated", "settle"
FLAGS = (PLAIN, V1, MIGRATED, SETTLE)
VOUCHED = (V1, MIGRATED)

# What each kind of entry sets. Registers of the first three kinds can disagree (a conflict for
# the lead to settle); for the others the newest head simply stands.
CONFLICTING = frozenset({"answer", "profile", "judgement"})
KINDS = frozenset({
    "inspection", "team", "rekey", "case", "profile", "status", "lock", "answer", "judgement",
    "grant", "assign", "reading", "finish", "redact", "export", "restore",
})
# Only the lead may write these (checked when written, and again when a bundle brings them).
LEAD_ONLY = frozenset({"team", "rekey", "lock", "grant", "assign", "redact"})


@dataclass(frozen=True, slots=True)
class Entry:
    id: bytes
    kind: str
    case_ref: str
    field: str
    value: str
    note: bytes | None  # the text hash of the evidence note (or judgement evidence)
    reason: bytes | None  # the text hash of the reason given for the change
    author: str
    at: str
    parents: tuple[bytes, ...]
    flags: str = PLAIN

    @property
    def register(self) -> tuple[str, str, str]:
        return (self.kind, self.case_ref, self.field)

    @property
    def key(self) -> int:
        return id_key(self.id)


def entry_id(kind: str, case_ref: str, field: str, value: str, note: bytes | None,
             reason: bytes | None, author: str, at: str, parents, flags: str) -> bytes:
    """The SHA-256 of an entry's canonical form. Fields never hold NUL (checked on the way in),
    so NUL separates them unambiguously."""
    canonical = "\x00".join((
        kind, case_ref, field, value, note.hex() if note else "", reason.hex() if reason else "",
        author, at, ",".join(sorted(p.hex() for p in parents)), flags))
    return hashlib.sha256(ENTRY_TAG + canonical.encode("utf-8")).digest()


def make_entry(kind: str, case_ref: str, field: str, value: str, *, author: str, at: str,
               parents=(), note: bytes | None = None, reason: bytes | None = None,
               flags: str = PLAIN) -> Entry:
    parents = tuple(sorted(parents))
    return Entry(entry_id(kind, case_ref, field, value, note, reason, author, at, parents, flags),
                 kind, case_ref, field, value, note, reason, author, at, parents, flags)


def entry_from_wire(kind: str, case_ref: str, field: str, value: str, note_hex: str, reason_hex: str,
                    author: str, at: str, parents: list[bytes], flags: str) -> Entry:
    """An entry as a bundle writes it (text hashes in hex, already checked): the same id as
    `make_entry`, without converting the hashes there and back."""
    parents = tuple(sorted(parents))
    canonical = "\x00".join((kind, case_ref, field, value, note_hex, reason_hex, author, at,
                              ",".join([p.hex() for p in parents]), flags))
    return Entry(hashlib.sha256(ENTRY_TAG + canonical.encode("utf-8")).digest(), kind, case_ref, field, value,
                 bytes.fromhex(note_hex) if note_hex else None, bytes.fromhex(reason_hex) if reason_hex else None,
                 author, at, parents, flags)


def id_key(entry_id_: bytes) -> int:
    """The first 8 bytes of an id as a signed integer: the indexed lookup key. Random 32-byte
    keys make a slow index; a 64-bit prefix is as unique in practice, and a clash is refused."""
    return int.from_bytes(entry_id_[:8], "big", signed=True)


def text_hash(salt: bytes, body: str) -> bytes:
    return hashlib.sha256(TEXT_TAG + salt + body.encode("utf-8")).digest()


def new_text(body: str, *, salted: bool = True) -> tuple[bytes, bytes]:
    """(hash, salt) of a text written now. Unsalted only for texts made from unsigned bundles
    and old databases, whose entries must come out the same wherever they are made."""
    salt = os.urandom(16) if salted else b""
    return text_hash(salt, body), salt


# --- storing ------------------------------------------------------------------------------

_INSERT = ("INSERT INTO entry (id, k, kind, case_ref, field, value, note, reason, author, at, "
           "parents, flags, batch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def row_of(e: Entry, batch: int | None = None) -> tuple:
    return (e.id, id_key(e.id), e.kind, e.case_ref, e.field, e.value, e.note, e.reason, e.author,
            e.at, b"".join(e.parents) or None, e.flags, batch)


def insert(conn: sqlite3.Connection, entries, batch: dict[bytes, int] | None = None) -> None:
    """Append entries (already checked and new), each with the batch that brought it."""
    get = (batch or {}).get
    from_bytes = int.from_bytes
    conn.executemany(_INSERT, [
        (e.id, from_bytes(e.id[:8], "big", signed=True), e.kind, e.case_ref, e.field, e.value, e.note, e.reason,
         e.author, e.at, b"".join(e.parents) or None, e.flags, get(e.id)) for e in entries])


def store_texts(conn: sqlite3.Connection, texts) -> None:
    """Keep texts [(hash, salt, body)] not held yet and never redacted."""
    conn.executemany(
        "INSERT INTO text (hash, salt, body) SELECT ?, ?, ? WHERE NOT EXISTS "
        "(SELECT 1 FROM redacted WHERE hash = ?1) ON CONFLICT (hash) DO NOTHING",
        ((h, s, b) for h, s, b in texts))


def write_text(conn: sqlite3.Connection, body: str | None) -> bytes | None:
    """Store a text written now; returns its hash (None for no text)."""
    if body is None:
        return None
    digest, salt = new_text(body)
    conn.execute("INSERT INTO text (hash, salt, body) VALUES (?, ?, ?) ON CONFLICT (hash) DO NOTHING",
                 (digest, salt, body))
    return digest


def text_of(conn: sqlite3.Connection, digest: bytes | None) -> str | None:
    if digest is None:
        return None
    row = conn.execute("SELECT body FROM text WHERE hash = ?", (digest,)).fetchone()
    return row[0] if row else None


def split_parents(blob: bytes | None) -> tuple[bytes, ...]:
    if not blob:
        return ()
    return tuple(blob[i:i + 32] for i in range(0, len(blob), 32))


_COLUMNS = "id, kind, case_ref, field, value, note, reason, author, at, parents, flags"


def _entry(row) -> Entry:
    return Entry(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8],
                 split_parents(row[9]), row[10])


def get(conn: sqlite3.Connection, entry_id_: bytes) -> Entry | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM entry WHERE k = ? AND id = ?",
                       (id_key(entry_id_), entry_id_)).fetchone()
    return _entry(row) if row else None


def held_keys(conn: sqlite3.Connection, ids) -> set[bytes]:
    """Which of these ids are held already."""
    out: set[bytes] = set()
    ids = list(ids)
    # A probe of the index per id, in chunks: a merge's new entries are few beside what is held.
    for i in range(0, len(ids), 900):
        chunk = ids[i:i + 900]
        keys = [id_key(x) for x in chunk]
        rows = conn.execute(f"SELECT id FROM entry WHERE k IN ({','.join('?' * len(keys))})", keys)
        out.update(r[0] for r in rows)
    return out & set(ids)


def entries(conn: sqlite3.Connection, *, case_ref: str | None = None,
            skip_roots_of: tuple[str, ...] = ()) -> list[tuple[int, Entry]]:
    """(local order, entry), in the order this database received them: a topological order,
    since an entry is only ever added after its parents. `skip_roots_of`: kinds whose first
    entries (no parents) are left out."""
    where, args = [], []
    if case_ref is not None:
        where.append("case_ref = ?")
        args.append(case_ref)
    if skip_roots_of:
        where.append(f"(length(parents) > 0 OR kind NOT IN ({','.join('?' * len(skip_roots_of))}))")
        args.extend(skip_roots_of)
    rows = conn.execute(f"SELECT seq, {_COLUMNS} FROM entry" + (" WHERE " + " AND ".join(where) if where else "")
                        + " ORDER BY seq", args)
    return [(r[0], _entry(r[1:])) for r in rows]


def count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM entry").fetchone()[0]
