"""Signed batches: entries leave a laptop signed by their author, as commits are in version control.

When a laptop exports, the entries recorded on it since the last export are grouped by author and
each group is signed once: one Ed25519 signature over the batch's digest, which covers the
inspection, the signer, the key and the ids of the entries in order (each id covering its note's
hash, not its text). A batch keeps its signature as it is relayed by the lead or anyone else, and
checking it costs one verification however many entries it holds.

Entries made from an unsigned bundle or an older database (`v1`, `migrated`) have no key of their
own: whoever exports them signs them, vouching for them.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass

from .. import identity
from .history import VOUCHED
from .inspections import now

BATCH_TAG = b"hmip-batch/1\x00"


@dataclass(frozen=True, slots=True)
class Batch:
    seq: int
    digest: bytes
    signer: str
    key: bytes
    signature: bytes
    ids: tuple[bytes, ...]


def digest(uid: str, signer: str, key: bytes, ids) -> bytes:
    return hashlib.sha256(BATCH_TAG + uid.encode() + b"\x00" + signer.encode() + b"\x00" + key
                          + b"".join(ids)).digest()


def sign_pending(conn: sqlite3.Connection, uid: str, exporter: str) -> int:
    """Sign every entry recorded here and not yet signed, one batch per signer, inside the
    caller's transaction. Returns how many entries were signed."""
    rows = conn.execute("SELECT seq, id, author, flags FROM entry WHERE batch IS NULL ORDER BY seq").fetchall()
    groups: dict[str, list[tuple[int, bytes]]] = {}
    for seq, entry_id, author, flags in rows:
        signer = exporter if flags in VOUCHED or not author else author
        groups.setdefault(signer, []).append((seq, entry_id))
    for signer, members in groups.items():
        key = identity.public_key(signer)
        ids = [i for _, i in members]
        d = digest(uid, signer, key, ids)
        seq = store(conn, signer, key, identity.sign(signer, d), ids, d)
        conn.executemany("UPDATE entry SET batch = ? WHERE seq = ?", ((seq, s) for s, _ in members))
    return len(rows)


def store(conn: sqlite3.Connection, signer: str, key: bytes, signature: bytes, ids, d: bytes,
          via_lead: bool = False) -> int:
    return conn.execute(
        "INSERT INTO batch (digest, signer, key, signature, entries, received_at, via_lead) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)", (d, signer, key, signature, b"".join(ids), now(), int(via_lead))).lastrowid


def from_lead(conn: sqlite3.Connection) -> set[bytes]:
    """Batches that came in a bundle the lead exported: the lead holds them."""
    return {d for (d,) in conn.execute("SELECT digest FROM batch WHERE via_lead = 1")}


def held(conn: sqlite3.Connection, digests) -> set[bytes]:
    out = set()
    for d in digests:
        if conn.execute("SELECT 1 FROM batch WHERE digest = ?", (d,)).fetchone():
            out.add(d)
    return out


def kept(conn: sqlite3.Connection) -> set[bytes]:
    """Batches signed with a key since re-pinned, that the lead vouched for when re-pinning."""
    return {d for (d,) in conn.execute("SELECT digest FROM kept_batch")}


def all_batches(conn: sqlite3.Connection) -> list[Batch]:
    return [Batch(seq, digest, signer, key, sig, tuple(blob[i:i + 32] for i in range(0, len(blob), 32)))
            for seq, digest, signer, key, sig, blob in conn.execute(
                "SELECT seq, digest, signer, key, signature, entries FROM batch ORDER BY seq")]


def unsigned(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM entry WHERE batch IS NULL").fetchone()[0]


def entries_of(conn: sqlite3.Connection, digests) -> dict[bytes, tuple[bytes, ...]]:
    """The ids, in order, of each of these batches this database holds."""
    out = {}
    for d in digests:
        row = conn.execute("SELECT entries FROM batch WHERE digest = ?", (d,)).fetchone()
        if row:
            out[d] = tuple(row[0][i:i + 32] for i in range(0, len(row[0]), 32))
    return out
