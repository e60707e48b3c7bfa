"""Full-text search over the evidence: answers' notes, domain-one judgements' evidence, and the
reasons given for settling a conflict or changing a case.

`evidence_text` holds one row per searchable text as it stands, kept by the plain SQL triggers
below in the same transaction as the change, whichever path made it (a keypress, a merge, a
text arriving late, a redaction). Its FTS5 index, `evidence_text_fts`, and the three triggers
that keep the index in step with it, are made by sqlite-utils in the migration (`build`); once
made they are plain SQL, so sqlite-utils is imported only there and nowhere on the save path.

A row's `case_ref` is '' for a judgement (the inspection's own, open to all); the caller leaves
out the cases the reader may not open, in the query itself, so a hit never tells that a closed
case's note holds the word.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass

TABLE = "evidence_text"
FTS = "evidence_text_fts"
# Porter stemming: "visit" finds "visited" and "visits", as an inspector means it.
TOKENIZE = "porter unicode61 remove_diacritics 2"

SCHEMA = """
    CREATE TABLE evidence_text (
        id       INTEGER PRIMARY KEY,
        kind     TEXT NOT NULL CHECK (kind IN ('note', 'judgement', 'reason')),
        case_ref TEXT NOT NULL,
        question TEXT NOT NULL,
        hash     BLOB,
        body     TEXT NOT NULL
    );
    CREATE INDEX evidence_text_place ON evidence_text(case_ref, question);
    -- Reasons are found by their text when it arrives after its entry (a note sent later).
    CREATE INDEX entry_reason ON entry(reason) WHERE reason IS NOT NULL
"""

_CASE_OF = "(SELECT ref FROM case_file WHERE id = {}.case_id)"

# Each fires only when the text itself changes: a new value with the same note, the common
# correction, costs the index nothing.
TRIGGERS = [
    "CREATE TRIGGER evidence_note_added AFTER INSERT ON answer WHEN NEW.note IS NOT NULL AND NEW.note != '' "
    "BEGIN INSERT INTO evidence_text (kind, case_ref, question, body) "
    f"VALUES ('note', {_CASE_OF.format('NEW')}, NEW.question, NEW.note); END",
    "CREATE TRIGGER evidence_note_changed AFTER UPDATE OF note ON answer WHEN OLD.note IS NOT NEW.note "
    f"BEGIN DELETE FROM evidence_text WHERE case_ref = {_CASE_OF.format('OLD')} AND question = OLD.question "
    "AND kind = 'note'; "
    "INSERT INTO evidence_text (kind, case_ref, question, body) "
    f"SELECT 'note', {_CASE_OF.format('NEW')}, NEW.question, NEW.note WHERE NEW.note IS NOT NULL "
    "AND NEW.note != ''; END",
    "CREATE TRIGGER evidence_note_gone AFTER DELETE ON answer WHEN OLD.note IS NOT NULL "
    f"BEGIN DELETE FROM evidence_text WHERE case_ref = {_CASE_OF.format('OLD')} AND question = OLD.question "
    "AND kind = 'note'; END",
    "CREATE TRIGGER evidence_judgement_added AFTER INSERT ON judgement WHEN NEW.evidence != '' "
    "BEGIN INSERT INTO evidence_text (kind, case_ref, question, body) "
    "VALUES ('judgement', '', NEW.standard, NEW.evidence); END",
    "CREATE TRIGGER evidence_judgement_changed AFTER UPDATE OF evidence ON judgement "
    "WHEN OLD.evidence IS NOT NEW.evidence "
    "BEGIN DELETE FROM evidence_text WHERE case_ref = '' AND question = OLD.standard AND kind = 'judgement'; "
    "INSERT INTO evidence_text (kind, case_ref, question, body) "
    "SELECT 'judgement', '', NEW.standard, NEW.evidence WHERE NEW.evidence != ''; END",
    # A reason about a case: settling a conflict, changing a complete case, locking, reopening.
    "CREATE TRIGGER evidence_reason_given AFTER INSERT ON entry WHEN NEW.reason IS NOT NULL "
    "AND NEW.case_ref != '' "
    "BEGIN INSERT INTO evidence_text (kind, case_ref, question, hash, body) "
    "SELECT 'reason', NEW.case_ref, NEW.field, NEW.reason, body FROM text WHERE hash = NEW.reason; END",
    "CREATE TRIGGER evidence_reason_arrived AFTER INSERT ON text "
    "WHEN EXISTS (SELECT 1 FROM entry WHERE reason = NEW.hash) "
    "BEGIN INSERT INTO evidence_text (kind, case_ref, question, hash, body) "
    "SELECT 'reason', case_ref, field, NEW.hash, NEW.body FROM entry WHERE reason = NEW.hash "
    "AND case_ref != ''; END",
    # A redacted text leaves the search too (notes leave through their answer rows).
    "CREATE TRIGGER evidence_text_redacted AFTER DELETE ON text "
    "BEGIN DELETE FROM evidence_text WHERE hash = OLD.hash; END",
]


def build(conn: sqlite3.Connection) -> None:
    """Make the table, its triggers and its FTS5 index, filled from what the database holds now;
    inside the caller's transaction (a migration)."""
    import sqlite_utils  # only here: a migration, never the save path

    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    fill(conn)
    for trigger in TRIGGERS:
        conn.execute(trigger)
    db = sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False)
    db[TABLE].enable_fts(["body"], create_triggers=True, tokenize=TOKENIZE)
    _still_one_transaction(conn)


def _still_one_transaction(conn: sqlite3.Connection) -> None:
    # A migration is all or nothing: a sqlite-utils that committed half of it must not pass.
    if not conn.in_transaction:
        from ..errors import HmipError

        raise HmipError("the search index was built outside the migration's transaction (is sqlite-utils "
                        "4.2 or later installed?); install hmip again and open the database again")


def fill(conn: sqlite3.Connection) -> None:
    """Every searchable text held, as the triggers would have written it."""
    _fill_notes(conn)
    conn.execute("INSERT INTO evidence_text (kind, case_ref, question, body) "
                 "SELECT 'judgement', '', standard, evidence FROM judgement WHERE evidence != ''")
    conn.execute("INSERT INTO evidence_text (kind, case_ref, question, hash, body) "
                 "SELECT 'reason', e.case_ref, e.field, e.reason, t.body FROM entry e "
                 "JOIN text t ON t.hash = e.reason WHERE e.reason IS NOT NULL AND e.case_ref != '' "
                 "ORDER BY e.seq")


def _fill_notes(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO evidence_text (kind, case_ref, question, body) "
                 "SELECT 'note', c.ref, a.question, a.note FROM answer a JOIN case_file c ON c.id = a.case_id "
                 "WHERE a.note IS NOT NULL AND a.note != ''")


def purge_removed(conn: sqlite3.Connection) -> None:
    """After a redaction: FTS5 marks a deleted row's words as deleted and keeps them until its
    segments merge; merging them all now (with secure_delete on) takes the words out of the file."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (FTS,)).fetchone():
        conn.execute(f"INSERT INTO {FTS} ({FTS}) VALUES ('optimize')")


# FTS5 writes out what a statement added to the index at the end of each statement run inside
# a trigger: row by row, a merge's notes cost ~190 µs each (a new segment each, then merging
# them), and the trigger writing the row to search ~20 µs more. Refilling the notes' rows and
# rebuilding the whole index, one statement each, costs ~15 µs a row held.
BULK_AT = 2000
_NOTE_TRIGGERS = ("evidence_note_added", "evidence_note_changed", "evidence_note_gone")


@contextmanager
def bulk(conn: sqlite3.Connection, changes: int):
    """Around writing `changes` answer rows at once (a merge): when they are many beside the
    texts held, the triggers keeping the notes' rows and the index are set aside, and both are
    made afresh afterwards, in the caller's transaction (a failure rolls it all back, triggers
    included). Reasons and judgements keep their triggers: a merge brings few."""
    if changes < BULK_AT or not conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (FTS,)).fetchone():
        yield
        return
    held = conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
    if changes * 16 < held:
        yield
        return
    aside = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND (tbl_name = ? OR name IN (?, ?, ?))",
        (TABLE, *_NOTE_TRIGGERS)).fetchall()
    for name, _ in aside:
        conn.execute(f'DROP TRIGGER "{name}"')
    yield
    conn.execute(f"DELETE FROM {TABLE} WHERE kind = 'note'")
    _fill_notes(conn)
    for _, sql in aside:
        conn.execute(sql)
    conn.execute(f"INSERT INTO {FTS} ({FTS}) VALUES ('rebuild')")


@dataclass(frozen=True, slots=True)
class Hit:
    kind: str  # note, judgement or reason
    case_ref: str  # '' for a judgement
    question: str  # the question, the standard, or the field a reason was given for
    snippet: str  # the words around the match, each match between START and END
    body: str


START, END = "\ue000", "\ue001"  # private-use characters: never in a note, marked up by the face


def search(conn: sqlite3.Connection, match: str, closed: set[str], limit: int) -> tuple[list[Hit], int]:
    """The texts matching an FTS5 query, leaving out the cases in `closed`: at most `limit`
    hits ordered by case, question and kind, and how many there are in all."""
    import json

    order = conn.execute(
        f"SELECT e.id FROM {FTS} f JOIN {TABLE} e ON e.id = f.rowid WHERE {FTS} MATCH ? "
        "AND e.case_ref NOT IN (SELECT value FROM json_each(?)) "
        "ORDER BY e.case_ref = '' DESC, e.case_ref, e.question, e.kind, e.id",
        (match, json.dumps(sorted(closed)))).fetchall()
    shown = [i for (i,) in order[:limit]]
    if not shown:
        return [], len(order)
    rows = {r[0]: r[1:] for r in conn.execute(
        f"SELECT e.id, e.kind, e.case_ref, e.question, "
        f"snippet({FTS}, 0, '{START}', '{END}', '…', 16), e.body "
        f"FROM {FTS} f JOIN {TABLE} e ON e.id = f.rowid WHERE {FTS} MATCH ? "
        "AND f.rowid IN (SELECT value FROM json_each(?))", (match, json.dumps(shown)))}
    return [Hit(*rows[i]) for i in shown if i in rows], len(order)


INDEX_TRIGGERS = (f"{TABLE}_ai", f"{TABLE}_ad", f"{TABLE}_au")  # as sqlite-utils names them


def index_triggers_missing(conn: sqlite3.Connection) -> bool:
    """Whether a trigger keeping the FTS5 index in step with its rows is gone (a file edited by
    another program): their text is sqlite-utils', so they are checked by name."""
    held = {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
                                       (TABLE,))}
    return bool(held or conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (TABLE,)).fetchone()) \
        and not set(INDEX_TRIGGERS) <= held


def rebuild(conn: sqlite3.Connection) -> None:
    """Every row again from what the database holds, and the index with it (a trigger was found
    missing, so rows may be missing or stale); inside the caller's transaction."""
    import sqlite_utils  # rare: a damaged or edited file, never the save path

    conn.execute(f"DROP TRIGGER IF EXISTS {TABLE}_ad")  # one index delete per row: rebuilt below
    conn.execute(f"DELETE FROM {TABLE}")
    fill(conn)
    db = sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False)
    db[TABLE].disable_fts()
    db[TABLE].enable_fts(["body"], create_triggers=True, tokenize=TOKENIZE)
    _still_one_transaction(conn)
