"""Rows between this laptop's history and the team server's, with the DBAPI connections of both
(prebuilt statements, executemany): the hot path of `hmip sync`. services/sync.py decides what
travels; the merge of what arrives is the bundle's (exchange/bundle.py, store/merge.py).

A push is one PostgreSQL transaction: a cut connection rolls it back whole, and the next sync
sends it again. Nothing here writes the laptop's SQLite file.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from . import batches as local_batches
from .access import restricted_refs
from .history import split_parents


@dataclass
class Outgoing:
    """What this laptop sends: rows in the server's column order, parents before children."""

    entries: list[tuple] = field(default_factory=list)
    batches: list[tuple] = field(default_factory=list)
    texts: list[tuple] = field(default_factory=list)


@dataclass
class Incoming:
    batches: list[tuple]  # (digest, signer, key, signature, entries blob), in the server's order
    entries: list[tuple]  # (id, kind, case_ref, field, value, note, reason, author, at, parents, flags)
    texts: list[tuple]  # (hash, salt, body)


# --- the laptop's side -------------------------------------------------------------------------


def local_digests(conn: sqlite3.Connection) -> set[bytes]:
    return {d for (d,) in conn.execute("SELECT digest FROM batch")}


def outgoing(conn: sqlite3.Connection, uid: str, on_server: set[bytes], me: str, lead: bool) -> Outgoing:
    """The signed batches the server lacks, with their entries and texts. An inspector sends only
    what it signed itself (the server would refuse anyone else's); a lead relays everything it
    holds (bundles it imported from laptops that never sync)."""
    out = Outgoing()
    wanted = [b for b in local_batches.all_batches(conn)
              if b.digest not in on_server and (lead or b.signer == me)]
    if not wanted:
        return out
    ids = {i for b in wanted for i in b.ids}
    out.batches = [(uid, b.digest, b.signer, b.key, b.signature, b"".join(b.ids)) for b in wanted]
    limited = restricted_refs(conn)
    hashes: dict[bytes, str] = {}
    for row in conn.execute("SELECT id, kind, case_ref, field, value, note, reason, author, at, parents, flags "
                            "FROM entry ORDER BY seq"):
        if row[0] in ids:
            out.entries.append((uid,) + tuple(row))
            for h in (row[5], row[6]):
                if h:
                    hashes[h] = row[2]
    keys = list(hashes)
    for i in range(0, len(keys), 500):
        chunk = keys[i:i + 500]
        for h, salt, body in conn.execute(
                f"SELECT hash, salt, body FROM text WHERE hash IN ({','.join('?' * len(chunk))})", chunk):
            ref = hashes[h]
            out.texts.append((uid, h, salt, body, ref, ref in limited))
    return out


def notes_waiting(conn: sqlite3.Connection) -> list[bytes]:
    """Notes this laptop knows only by hash (withheld when their entries came): few, indexed."""
    return [h for (h,) in conn.execute(
        "SELECT DISTINCT note_hash FROM answer WHERE note IS NULL AND note_hash IS NOT NULL")]


def entries_using(conn: sqlite3.Connection, hashes: set[bytes]) -> list[bytes]:
    """The ids of the entries held here whose note is one of `hashes` (a scan: run only when
    the server has sent such notes)."""
    return [i for i, note in conn.execute("SELECT id, note FROM entry WHERE note IS NOT NULL") if note in hashes]


def team_as_held(conn: sqlite3.Connection) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The team, and each limited-access case with the codes that may open it (its own
    inspector and those granted), as this laptop holds them: what a lead's sync publishes."""
    team = sorted(conn.execute("SELECT code, role FROM inspector"))
    limited = {}
    for ref, inspector, granted in conn.execute(
            "SELECT c.ref, c.inspector, (SELECT group_concat(a.inspector, ',') FROM case_access a "
            "WHERE a.case_id = c.id) FROM case_file c WHERE json_extract(c.profile, '$.limited_access') = 'yes'"):
        codes = {inspector} if inspector else set()
        codes |= set(granted.split(",")) if granted else set()
        limited[ref] = ",".join(sorted(codes))
    return team, limited


# --- the server's side (a psycopg connection) --------------------------------------------------


def server_digests(pg, uid: str) -> set[bytes]:
    return {bytes(d) for (d,) in pg.execute("SELECT digest FROM hmip.batch WHERE inspection = %s", (uid,))}


def login_code(pg) -> str | None:
    """The inspector code of the login connected (None for an analyst's, or a login hmip did not make)."""
    from .server_schema import INSPECTORS_ROLE

    with pg.transaction():  # its own: the push's transaction must not end up nested in this one
        row = pg.execute("SELECT hmip.current_code(), pg_has_role(session_user, %s, 'MEMBER')",
                         (INSPECTORS_ROLE,)).fetchone()
    return row[0] if row and row[1] else None


def server_inspection(pg, uid: str) -> tuple | None:
    return pg.execute("SELECT uid, pdu, framework_id, framework_version FROM hmip.inspection WHERE uid = %s",
                      (uid,)).fetchone()


def found_inspection(pg, inspection) -> None:
    """The lead's first sync puts the inspection on the server (no conflict target: see below)."""
    pg.execute("INSERT INTO hmip.inspection (uid, pdu, framework_id, framework_version) "
               "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
               (inspection.uid, inspection.pdu, inspection.framework_id, inspection.framework_version))


def publish_team(pg, uid: str, me: str, team: list[tuple[str, str]], limited: dict[str, str]) -> bool:
    """A lead's laptop makes the server's team and limited-access list what it holds (inside the
    caller's transaction). Returns whether anything changed.

    Plain inserts and updates, no upsert: PostgreSQL holds an upsert's new row to the table's
    read policy, which a lead founding the team does not pass until its own row is in."""
    changed = _publish(pg, "hmip.inspector", "code", "role", uid, dict(team), first=me)
    return _publish(pg, "hmip.limited_case", "case_ref", "readers", uid, limited) or changed


def _publish(pg, table: str, key: str, column: str, uid: str, wanted: dict[str, str], first: str = "") -> bool:
    held = dict(pg.execute(f"SELECT {key}, {column} FROM {table} WHERE inspection = %s", (uid,)))
    if held == wanted:
        return False
    # The lead's own row first: while the server holds no team, only it may be written.
    new = sorted((k for k in wanted if k not in held), key=lambda k: (k != first, k))
    with pg.cursor() as cur:
        if new:
            cur.executemany(f"INSERT INTO {table} (inspection, {key}, {column}) VALUES (%s, %s, %s)",
                            [(uid, k, wanted[k]) for k in new])
        changed = [(wanted[k], uid, k) for k in wanted if k in held and held[k] != wanted[k]]
        if changed:
            cur.executemany(f"UPDATE {table} SET {column} = %s WHERE inspection = %s AND {key} = %s", changed)
    gone = [k for k in held if k not in wanted]
    if gone:
        pg.execute(f"DELETE FROM {table} WHERE inspection = %s AND {key} = ANY(%s)", (uid, gone))
    return True


# One statement per table, the rows given as arrays in binary (%b: no quoting to do): the
# row-level policies are checked once a statement, and the server numbers the entries in the order given (parents first). No conflict
# target: with one, PostgreSQL would hold each new row to the read policy too.
_INSERT_ENTRIES = (
    "INSERT INTO hmip.entry (inspection, id, kind, case_ref, field, value, note, reason, author, at, parents, flags) "
    "SELECT %b, u.id, u.kind, u.case_ref, u.field, u.value, u.note, u.reason, u.author, u.at, u.parents, u.flags "
    "FROM unnest(%b::bytea[], %b::text[], %b::text[], %b::text[], %b::text[], %b::bytea[], %b::bytea[], "
    "%b::text[], %b::text[], %b::bytea[], %b::text[]) WITH ORDINALITY "
    "AS u(id, kind, case_ref, field, value, note, reason, author, at, parents, flags, n) "
    "ORDER BY u.n ON CONFLICT DO NOTHING")
_INSERT_TEXTS = (
    "INSERT INTO hmip.text (inspection, hash, salt, body, case_ref, limited) "
    "SELECT %b, u.* FROM unnest(%b::bytea[], %b::bytea[], %b::text[], %b::text[], %b::boolean[]) "
    "AS u(hash, salt, body, case_ref, limited) ON CONFLICT DO NOTHING")
_INSERT_BATCHES = (
    "INSERT INTO hmip.batch (inspection, digest, signer, key, signature, entries) "
    "SELECT %b, u.digest, u.signer, u.key, u.signature, u.entries FROM unnest(%b::bytea[], %b::text[], "
    "%b::bytea[], %b::bytea[], %b::bytea[]) WITH ORDINALITY AS u(digest, signer, key, signature, entries, n) "
    "ORDER BY u.n ON CONFLICT DO NOTHING")
# The same, row by row: what bench/bench_sync.py compares the push with.
_INSERT_ENTRY = ("INSERT INTO hmip.entry (inspection, id, kind, case_ref, field, value, note, reason, author, "
                 "at, parents, flags) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING")
_INSERT_TEXT = ("INSERT INTO hmip.text (inspection, hash, salt, body, case_ref, limited) "
                "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING")
_INSERT_BATCH = ("INSERT INTO hmip.batch (inspection, digest, signer, key, signature, entries) "
                 "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING")


def _columns(rows: list[tuple]) -> list:
    """(uid, column, column, ...) from rows that each begin with the uid."""
    return [rows[0][0]] + [list(c) for c in list(zip(*rows))[1:]]


def push(pg, out: Outgoing) -> None:
    """Entries first, then texts, then the batches that sign them, inside the caller's
    transaction: a batch on the server always has its entries there."""
    for statement, rows in ((_INSERT_ENTRIES, out.entries), (_INSERT_TEXTS, out.texts),
                            (_INSERT_BATCHES, out.batches)):
        if rows:
            pg.execute(statement, _columns(rows))


def texts_of(pg, uid: str, hashes: list[bytes]) -> list[tuple[bytes, bytes, str]]:
    """The texts among `hashes` this login may read now (a case granted since they came)."""
    return [(bytes(h), bytes(s), b) for h, s, b in pg.execute(
        "SELECT hash, salt, body FROM hmip.text WHERE inspection = %s AND hash = ANY(%b)", (uid, hashes))]


def fetch(pg, uid: str, wanted: set[bytes]) -> Incoming:
    """The batches in `wanted`, every entry they sign (in the server's order, parents first), and
    the texts of those entries this login may read (row-level security leaves out the others)."""
    rows = pg.execute("SELECT digest, signer, key, signature, entries FROM hmip.batch "
                      "WHERE inspection = %s AND digest = ANY(%b) ORDER BY seq", (uid, list(wanted))).fetchall()
    batch_rows = [tuple(bytes(x) if isinstance(x, memoryview) else x for x in r) for r in rows]
    ids = list({i for r in batch_rows for i in split_parents(r[4])})
    entries = [tuple(bytes(x) if isinstance(x, memoryview) else x for x in r) for r in pg.execute(
        "SELECT id, kind, case_ref, field, value, note, reason, author, at, parents, flags FROM hmip.entry "
        "WHERE inspection = %s AND id = ANY(%b) ORDER BY seq", (uid, ids))]
    hashes = list({h for e in entries for h in (e[5], e[6]) if h})
    texts = [(bytes(h), bytes(s), b) for h, s, b in pg.execute(
        "SELECT hash, salt, body FROM hmip.text WHERE inspection = %s AND hash = ANY(%b)", (uid, hashes))]
    return Incoming(batch_rows, entries, texts)
