"""A laptop joining from the lead's join file: the lead's database, less what no other laptop
may hold, checked where it lies, in SQL, then copied page by page into an empty database.

Merging a bundle re-derives every current table from the entries in Python, one entry at a
time: right for a merge, where the history meets a database that holds its own, but a joining
laptop's database holds nothing, and the lead's laptop has already derived everything from the
same entries. So a join takes the lead's tables as they are (the tallies, the search index and
the heads included) and checks what the lead's signature cannot vouch for: that every entry is
what its author signed (each id recomputed, each batch's signature verified), that every answer
stands as its history says, and that nothing the framework does not know came in.

`scrub` makes the lead's copy fit to travel; `fill` takes it in. Both run on SQLite files, not
on the bundle's format (exchange/join_file.py).
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path

from ..errors import HmipError
from . import batches, team
from .history import ENTRY_TAG, FLAGS, KINDS, text_hash


def scrub(path: Path, withheld: set[str], at: str) -> None:
    """Make a copy of the lead's database (VACUUM INTO) fit to leave the lead's laptop and to
    be a joining laptop's database as it is: the notes and reasons of the limited-access cases
    in `withheld` gone from its tables, its search index and its free pages; drafts, resume
    points and the old audit trail gone; its batches and key pins marked as received `at` the
    export, from the lead. As a bundle does, a text is kept while a case that travels uses it
    (unsalted texts from unsigned bundles are shared)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("PRAGMA secure_delete=ON")  # freed pages are zeroed, not left readable
        conn.execute("BEGIN")
        conn.execute("CREATE TEMP TABLE withheld (ref TEXT PRIMARY KEY)")
        conn.executemany("INSERT INTO withheld (ref) VALUES (?)", ((r,) for r in withheld))
        # The texts a bundle would carry: those of entries of cases that travel.
        conn.execute("CREATE TEMP TABLE travels (hash BLOB PRIMARY KEY) WITHOUT ROWID")
        conn.execute("INSERT OR IGNORE INTO travels SELECT note FROM entry WHERE note IS NOT NULL "
                     "AND case_ref NOT IN (SELECT ref FROM withheld) UNION SELECT reason FROM entry "
                     "WHERE reason IS NOT NULL AND case_ref NOT IN (SELECT ref FROM withheld)")
        # The guards that keep a laptop's own history whole (texts leave only by redaction, the
        # audit trail and batches are kept as they are) are set aside on this copy while it is
        # cut down, and put back, so the copy is laid out exactly as hmip makes a database.
        aside = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN "
                             "('audit', 'case_file', 'batch', 'text')").fetchall()
        for name, _ in aside:
            conn.execute(f'DROP TRIGGER "{name}"')
        conn.execute("DELETE FROM text WHERE hash NOT IN (SELECT hash FROM travels)")
        # Through the search's triggers, so the index loses the words too.
        for table in ("answer", "second_answer"):
            conn.execute(f"UPDATE {table} SET note = NULL WHERE note IS NOT NULL AND (note_hash IS NULL "
                         "OR note_hash NOT IN (SELECT hash FROM text))")
        conn.execute("DELETE FROM evidence_text WHERE kind = 'reason' AND hash NOT IN (SELECT hash FROM text)")
        conn.execute("INSERT INTO evidence_text_fts (evidence_text_fts) VALUES ('optimize')")
        conn.execute("DELETE FROM audit")
        conn.execute("DELETE FROM note_draft")
        conn.execute("UPDATE case_file SET resume_at = NULL")
        # As the joining laptop will have received them: from the lead, now.
        conn.execute("UPDATE batch SET via_lead = 1, received_at = ?", (at,))
        conn.execute("UPDATE signer SET pinned_at = ?, source = 'first seen in a join file'", (at,))
        for _, sql in aside:  # the copy keeps the lead's schema exactly: the joining laptop checks it
            conn.execute(sql)
        conn.execute("COMMIT")
        conn.execute("VACUUM")  # what was deleted leaves the file, not only the tables
    finally:
        conn.close()


# An entry's canonical form built by SQLite (store/history.py `entry_id`) for the entries with
# at most one parent, nearly all of them; several parents are sorted in Python.
_CANONICAL = ("CAST('hmip-entry/1' || char(0) || kind || char(0) || case_ref || char(0) || field || char(0) || "
              "value || char(0) || lower(hex(note)) || char(0) || lower(hex(reason)) || char(0) || author || "
              "char(0) || at || char(0) || lower(hex(parents)) || char(0) || flags AS BLOB)")


class IdCheck(threading.Thread):
    """Every entry's id recomputed from its fields, in a thread of its own beside the other
    checks (SQLite leaves Python's lock while it works). Also gathers the ids, for the batches."""

    def __init__(self, uri: str):
        super().__init__(daemon=True)
        self.uri, self.wrong, self.ids, self.failed = uri, None, set(), None

    def run(self) -> None:
        try:
            conn = sqlite3.connect(self.uri, uri=True)
            wrong, sha, ids = 0, hashlib.sha256, self.ids
            for id_, canonical in conn.execute(
                    f"SELECT id, {_CANONICAL} FROM entry WHERE parents IS NULL OR length(parents) = 32"):
                wrong += sha(canonical).digest() != id_
                ids.add(id_)
            for id_, *fields, parents, flags in conn.execute(
                    "SELECT id, kind, case_ref, field, value, lower(hex(note)), lower(hex(reason)), author, at, "
                    "parents, flags FROM entry WHERE length(parents) != 32"):
                named = ",".join(sorted(parents[i:i + 32].hex() for i in range(0, len(parents), 32)))
                wrong += sha(ENTRY_TAG + "\x00".join((*fields, named, flags)).encode()).digest() != id_
                ids.add(id_)
            conn.close()
            self.wrong = wrong
        except (sqlite3.Error, TypeError, UnicodeError) as exc:
            self.failed = str(exc)


def fill(conn: sqlite3.Connection, uri: str, uid: str, framework, source: Path, by: str | None,
         lead: tuple[str, bytes]) -> dict:
    """Check the lead's copy where it lies (read only), then take it in whole with SQLite's
    backup API into `conn`'s database, which must hold no inspection: one write transaction
    there, all or nothing. The file's checksum and signature were checked before (exchange/
    join_file.py). HmipError, and nothing taken in, if any check fails.
    Returns counts for the summary."""
    ids = IdCheck(uri)
    ids.start()
    copied = sqlite3.connect(uri, uri=True, isolation_level=None)
    try:
        _same_schema(conn, copied, source)
        row = copied.execute("SELECT uid, framework_id, framework_version FROM inspection").fetchone()
        if row is None or row[0] != uid or tuple(row[1:]) != (framework.id, framework.version):
            raise _refuse(source, "the join file's database is not the inspection its manifest names")
        _check(copied, framework, source, ids)
        code, key = lead
        if team.members(copied).get(code) != "lead" or team.pinned(copied, code) != key:
            raise _refuse(source, f"signed by {code}, who is not this inspection's lead with that key")
        team.require_own_laptop(copied, by)
        counts = {"entries": copied.execute("SELECT count(*) FROM entry").fetchone()[0],
                  "cases": copied.execute("SELECT count(*) FROM case_file").fetchone()[0]}
        if conn.execute("SELECT 1 FROM inspection").fetchone() is not None:  # another writer got there first
            raise _refuse(source, "this database holds an inspection now")
        copied.backup(conn)
        return counts
    finally:
        ids.join()
        copied.close()


def _same_schema(conn: sqlite3.Connection, copied: sqlite3.Connection, source: Path) -> None:
    """The copy's tables, indexes and triggers are exactly those this hmip makes: a join file
    brings rows, never SQL of its own (a trigger that ran on every later write, say)."""
    query = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
    if conn.execute(query).fetchall() != copied.execute(query).fetchall() or \
            conn.execute("PRAGMA user_version").fetchone() != copied.execute("PRAGMA user_version").fetchone():
        raise _refuse(source, "the join file's database is laid out otherwise than this hmip's: ask the lead "
                              "for a bundle instead (hmip bundle export --full)")


def _refuse(source: Path, what: str) -> HmipError:
    return HmipError(f"{source}: {what}; nothing was imported")


def _check(conn, framework, source: Path, ids: IdCheck) -> None:
    """What the lead's signature over the file cannot vouch for, or a bug could have broken."""
    def one(sql: str, *args) -> int:
        return conn.execute(sql, args).fetchone()[0]

    marks = ",".join("?" * len(KINDS))
    if one(f"SELECT count(*) FROM entry WHERE kind NOT IN ({marks}) OR flags NOT IN "
           f"({','.join('?' * len(FLAGS))})", *sorted(KINDS), *FLAGS):
        raise _refuse(source, "an entry of a kind or with flags this hmip does not know")
    conn.execute("CREATE TEMP TABLE allowed (question TEXT, value TEXT, PRIMARY KEY (question, value)) WITHOUT ROWID")
    conn.executemany("INSERT INTO temp.allowed VALUES (?, ?)",
                     [(q.id, v) for q in framework.questions.values() for v in q.type.values])
    try:
        bad = conn.execute("SELECT case_ref, field, value FROM entry e WHERE kind IN ('answer', 'reading') "
                           "AND value != '' AND NOT EXISTS (SELECT 1 FROM temp.allowed a WHERE a.question = "
                           "e.field AND a.value = e.value) LIMIT 1").fetchone()
        if bad:
            raise _refuse(source, f"case {bad[0]} {bad[1]}: {bad[2][:20]!r} is not an answer the framework knows")
        # Every answer stands as its history says: the entry it names (counted from the entries'
        # side, so SQLite needs no index of ids), or, in conflict, one of its heads.
        named = one("SELECT count(*) FROM answer WHERE entry IS NOT NULL")
        kept = one("SELECT count(*) FROM entry e JOIN case_file c ON c.ref = e.case_ref JOIN answer a "
                   "ON a.case_id = c.id AND a.question = e.field WHERE e.kind = 'answer' AND a.entry = e.id "
                   "AND a.value = e.value")
        unheaded = one("SELECT count(*) FROM answer a JOIN case_file c ON c.id = a.case_id WHERE "
                       "a.entry IS NULL AND NOT EXISTS (SELECT 1 FROM head h WHERE h.kind = 'answer' AND "
                       "h.case_ref = c.ref AND h.field = a.question AND h.value = a.value)")
        if kept != named or unheaded:
            wrong = named - kept + unheaded
            raise _refuse(source, f"{wrong} answer{'s are' if wrong != 1 else ' is'} not what "
                                  f"{'their' if wrong != 1 else 'its'} history says")
        if one("SELECT count(*) FROM entry WHERE batch IS NULL OR batch NOT IN (SELECT seq FROM batch)"):
            raise _refuse(source, "an entry is signed by no batch")
    finally:
        conn.execute("DROP TABLE temp.allowed")
    if one("SELECT count(*) FROM entry e JOIN batch b ON b.seq = e.batch WHERE e.author != b.signer "
           "AND e.flags NOT IN ('v1', 'migrated')"):
        raise _refuse(source, "an entry is signed by someone other than its author")
    for digest, salt, body in conn.execute("SELECT hash, salt, body FROM text"):
        if text_hash(salt, body) != digest:
            raise _refuse(source, "a text does not match its hash")
    uid = conn.execute("SELECT uid FROM inspection").fetchone()[0]
    from .. import identity

    in_batches = set()
    for signer, key, signature, digest, blob in conn.execute(
            "SELECT signer, key, signature, digest, entries FROM batch"):
        # A batch's digest covers its ids as they are stored: one after another, 32 bytes each.
        if len(blob) % 32 or batches.digest(uid, signer, key, [blob]) != digest \
                or not identity.verify(key, signature, digest):
            raise _refuse(source, f"the signature of {signer} does not match the entries it signed")
        in_batches.update(blob[i:i + 32] for i in range(0, len(blob), 32))
    ids.join()
    if ids.failed or ids.wrong is None:
        raise _refuse(source, f"its entries could not be read ({ids.failed})")
    if ids.wrong:
        raise _refuse(source, f"{ids.wrong} entr{'ies are' if ids.wrong != 1 else 'y is'} not what "
                              f"{'their ids say' if ids.wrong != 1 else 'its id says'}: the history was "
                              "changed after it was written")
    if in_batches != ids.ids:
        raise _refuse(source, "the batches do not sign exactly the entries it holds")
