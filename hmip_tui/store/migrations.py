"""The schema's history: one function per version, run in order on every open that needs them.

Never edit a released step: add a new one. `PRAGMA user_version` records how many have run.
Tests migrate both a blank file and a file at the oldest schema (tests/test_store.py).
"""

from __future__ import annotations

import sqlite3


def _run(conn: sqlite3.Connection, sql: str) -> None:
    # Statement by statement: executescript() would COMMIT the migration's transaction early.
    for statement in sql.split(";"):
        if statement.strip():
            conn.execute(statement)


def _v1_inspection(conn: sqlite3.Connection) -> None:
    _run(
        conn,
        """
        -- One database holds one inspection: the uid tells bundles of this inspection apart.
        CREATE TABLE inspection (
            id                INTEGER PRIMARY KEY CHECK (id = 1),
            uid               TEXT NOT NULL,
            pdu               TEXT NOT NULL,
            region            TEXT,
            fieldwork_start   TEXT,
            framework_id      TEXT NOT NULL,
            framework_version TEXT NOT NULL,
            created_at        TEXT NOT NULL
        );
        CREATE TABLE inspector (
            code TEXT PRIMARY KEY,
            role TEXT NOT NULL DEFAULT 'inspector' CHECK (role IN ('lead', 'inspector'))
        );
        -- A case is known by its reference, never by a person's name.
        CREATE TABLE case_file (
            id         INTEGER PRIMARY KEY,
            ref        TEXT NOT NULL UNIQUE,
            inspector  TEXT REFERENCES inspector(code),
            profile    TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(profile)),
            status     TEXT NOT NULL DEFAULT 'not_started'
                       CHECK (status IN ('not_started', 'in_progress', 'complete')),
            resume_at  TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX case_file_inspector ON case_file(inspector);
        -- Each answer remembers the framework it was given under.
        CREATE TABLE answer (
            case_id           INTEGER NOT NULL REFERENCES case_file(id) ON DELETE CASCADE,
            question          TEXT NOT NULL,
            value             TEXT NOT NULL,
            note              TEXT,
            framework_id      TEXT NOT NULL,
            framework_version TEXT NOT NULL,
            answered_by       TEXT,
            answered_at       TEXT NOT NULL,
            PRIMARY KEY (case_id, question)
        ) WITHOUT ROWID;
        -- Domain-one standards are rated by the team's judgement, with its evidence.
        CREATE TABLE judgement (
            standard  TEXT PRIMARY KEY,
            rating    TEXT NOT NULL,
            evidence  TEXT NOT NULL,
            judged_by TEXT,
            judged_at TEXT NOT NULL
        );
        """,
    )


def _v2_case_access(conn: sqlite3.Connection) -> None:
    _run(
        conn,
        """
        -- Inspectors assigned to a limited-access case besides its own inspector.
        CREATE TABLE case_access (
            case_id   INTEGER NOT NULL REFERENCES case_file(id) ON DELETE CASCADE,
            inspector TEXT NOT NULL REFERENCES inspector(code),
            PRIMARY KEY (case_id, inspector)
        ) WITHOUT ROWID
        """,
    )


def _v3_moderation(conn: sqlite3.Connection) -> None:
    _run(
        conn,
        """
        -- A moderated case is locked: changing it again needs a reason, and is logged.
        ALTER TABLE case_file ADD COLUMN moderated_at TEXT;

        -- An imported answer that differs from the one held: never overwritten, settled here.
        CREATE TABLE conflict (
            id             INTEGER PRIMARY KEY,
            case_id        INTEGER NOT NULL REFERENCES case_file(id) ON DELETE CASCADE,
            question       TEXT NOT NULL,
            held_value     TEXT NOT NULL,
            held_note      TEXT,
            held_by        TEXT,
            incoming_value TEXT NOT NULL,
            incoming_note  TEXT,
            incoming_by    TEXT,
            source         TEXT NOT NULL,
            found_at       TEXT NOT NULL,
            settled_value  TEXT,
            settled_reason TEXT,
            settled_by     TEXT,
            settled_at     TEXT
        );
        CREATE INDEX conflict_case ON conflict(case_id, question);

        -- Second reading: a second inspector answers the key questions blind.
        CREATE TABLE second_reading (
            case_id     INTEGER PRIMARY KEY REFERENCES case_file(id) ON DELETE CASCADE,
            reader      TEXT NOT NULL REFERENCES inspector(code),
            assigned_by TEXT,
            assigned_at TEXT NOT NULL,
            finished_at TEXT
        );
        CREATE TABLE second_answer (
            case_id        INTEGER NOT NULL REFERENCES case_file(id) ON DELETE CASCADE,
            question       TEXT NOT NULL,
            value          TEXT NOT NULL,
            note           TEXT,
            answered_by    TEXT,
            answered_at    TEXT NOT NULL,
            settled_value  TEXT,
            settled_reason TEXT,
            settled_by     TEXT,
            settled_at     TEXT,
            PRIMARY KEY (case_id, question)
        ) WITHOUT ROWID;

        -- Every change to an answer or judgement, appended, never edited (triggers below).
        CREATE TABLE audit (
            id        INTEGER PRIMARY KEY,
            at        TEXT NOT NULL,
            by        TEXT,
            kind      TEXT NOT NULL,
            case_ref  TEXT,
            question  TEXT,
            old_value TEXT,
            new_value TEXT,
            reason    TEXT,
            detail    TEXT
        );
        CREATE INDEX audit_case ON audit(case_ref)
        """,
    )
    # Trigger bodies hold semicolons, so they are not split like the statements above.
    for action in ("UPDATE", "DELETE"):
        conn.execute(
            f"CREATE TRIGGER audit_no_{action.lower()} BEFORE {action} ON audit "
            "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
        )


def _v4_history(conn: sqlite3.Connection) -> None:
    """The history becomes the truth: entries, their signed batches, texts, and heads; the
    current tables are rebuilt from it (a database at schema 3 first becomes root entries)."""
    from .legacy import entries_from_schema_3

    _run(conn, _HISTORY)
    # Trigger bodies hold semicolons: one statement each.
    for trigger in _HISTORY_TRIGGERS:
        conn.execute(trigger)
    old = entries_from_schema_3(conn)
    for table in ("second_answer", "second_reading", "conflict", "case_access", "answer", "judgement",
                  "case_file", "inspector"):
        conn.execute(f"DROP TABLE {table}")
    _run(conn, _CURRENT)
    if old is not None:
        from .legacy import replay

        replay(conn, old)


_HISTORY = """
    -- Every change, appended and never rewritten. `seq` is the order this database received
    -- them in (parents always first), `id` is the SHA-256 of the entry, `k` its first 8 bytes,
    -- indexed (a random 32-byte key makes a slow index).
    CREATE TABLE entry (
        seq      INTEGER PRIMARY KEY,
        id       BLOB NOT NULL CHECK (length(id) = 32),
        k        INTEGER NOT NULL UNIQUE,
        kind     TEXT NOT NULL,
        case_ref TEXT NOT NULL DEFAULT '',
        field    TEXT NOT NULL DEFAULT '',
        value    TEXT NOT NULL DEFAULT '',
        note     BLOB,
        reason   BLOB,
        author   TEXT NOT NULL,
        at       TEXT NOT NULL,
        parents  BLOB,
        flags    TEXT NOT NULL DEFAULT '',
        batch    INTEGER
    );

    -- A signature over the ids of a batch of entries, by their author, kept as received.
    CREATE TABLE batch (
        seq         INTEGER PRIMARY KEY,
        digest      BLOB NOT NULL UNIQUE,
        signer      TEXT NOT NULL,
        key         BLOB NOT NULL,
        signature   BLOB NOT NULL,
        entries     BLOB NOT NULL,
        received_at TEXT NOT NULL,
        -- Came in a bundle the lead exported, so the lead holds it (a thin bundle leaves it out).
        via_lead    INTEGER NOT NULL DEFAULT 0
    );

    -- Evidence notes, reasons and judgement evidence, by salted hash, entries hold the hash.
    CREATE TABLE text (
        hash BLOB PRIMARY KEY,
        salt BLOB NOT NULL,
        body TEXT NOT NULL
    ) WITHOUT ROWID;
    -- Texts the lead redacted: never stored again, whoever sends them.
    CREATE TABLE redacted (hash BLOB PRIMARY KEY) WITHOUT ROWID;

    -- The heads of every register, the entries nothing replaces yet: but an answer with a
    -- single head keeps it in its answer row (answer.entry), the one row its merge writes.
    CREATE TABLE head (
        kind     TEXT NOT NULL,
        case_ref TEXT NOT NULL,
        field    TEXT NOT NULL,
        id       BLOB NOT NULL,
        value    TEXT NOT NULL,
        note     BLOB,
        author   TEXT NOT NULL,
        at       TEXT NOT NULL,
        flags    TEXT NOT NULL,
        PRIMARY KEY (kind, case_ref, field, id)
    ) WITHOUT ROWID;

    -- The key this database expects from each inspector code (pinned on first sight).
    CREATE TABLE signer (
        code      TEXT PRIMARY KEY,
        key       BLOB NOT NULL,
        pinned_at TEXT NOT NULL,
        source    TEXT
    );
    -- Batches signed by a key since re-pinned that the lead vouched for when re-pinning it.
    CREATE TABLE kept_batch (digest BLOB PRIMARY KEY) WITHOUT ROWID
"""

_HISTORY_TRIGGERS = [
    "CREATE TRIGGER entry_no_delete BEFORE DELETE ON entry "
    "BEGIN SELECT RAISE(ABORT, 'the history is append-only'); END",
    "CREATE TRIGGER entry_no_rewrite BEFORE UPDATE OF seq, id, k, kind, case_ref, field, value, note, "
    "reason, author, at, parents, flags ON entry "
    "BEGIN SELECT RAISE(ABORT, 'the history is append-only'); END",
    "CREATE TRIGGER entry_signed_once BEFORE UPDATE OF batch ON entry WHEN OLD.batch IS NOT NULL "
    "BEGIN SELECT RAISE(ABORT, 'a signed entry keeps its signature'); END",
    # REPLACE deletes the row it clashes with without firing DELETE triggers: refuse the clash.
    "CREATE TRIGGER entry_no_replace BEFORE INSERT ON entry WHEN EXISTS "
    "(SELECT 1 FROM entry WHERE k = NEW.k) OR EXISTS (SELECT 1 FROM entry WHERE seq = NEW.seq) "
    "BEGIN SELECT RAISE(ABORT, 'the history is append-only'); END",
    "CREATE TRIGGER batch_no_update BEFORE UPDATE ON batch "
    "BEGIN SELECT RAISE(ABORT, 'signed batches are kept as received'); END",
    "CREATE TRIGGER batch_no_delete BEFORE DELETE ON batch "
    "BEGIN SELECT RAISE(ABORT, 'signed batches are kept as received'); END",
    "CREATE TRIGGER batch_no_replace BEFORE INSERT ON batch WHEN EXISTS "
    "(SELECT 1 FROM batch WHERE digest = NEW.digest) OR EXISTS (SELECT 1 FROM batch WHERE seq = NEW.seq) "
    "BEGIN SELECT RAISE(ABORT, 'signed batches are kept as received'); END",
    "CREATE TRIGGER text_no_update BEFORE UPDATE ON text "
    "BEGIN SELECT RAISE(ABORT, 'a text is never rewritten'); END",
    # A text leaves only by redaction (a name typed by mistake), which the history records.
    "CREATE TRIGGER text_only_redacted BEFORE DELETE ON text WHEN NOT EXISTS "
    "(SELECT 1 FROM redacted WHERE hash = OLD.hash) "
    "BEGIN SELECT RAISE(ABORT, 'a text leaves only by redaction'); END",
    "CREATE TRIGGER text_no_replace BEFORE INSERT ON text WHEN EXISTS "
    "(SELECT 1 FROM text WHERE hash = NEW.hash) BEGIN SELECT RAISE(IGNORE); END",
    # The trail from before the history is closed: nothing is added to it, or rewritten.
    "CREATE TRIGGER audit_closed BEFORE INSERT ON audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail before the history is closed'); END",
    # A text is marked redacted only by a redaction in the history, and stays so.
    "CREATE TRIGGER redacted_by_history BEFORE INSERT ON redacted WHEN NOT EXISTS "
    "(SELECT 1 FROM entry WHERE kind = 'redact' AND instr(value, lower(hex(NEW.hash))) > 0) "
    "BEGIN SELECT RAISE(ABORT, 'a text is redacted only by a redaction in the history'); END",
    "CREATE TRIGGER redacted_kept BEFORE DELETE ON redacted "
    "BEGIN SELECT RAISE(ABORT, 'a redaction is kept'); END",
    "CREATE TRIGGER redacted_no_update BEFORE UPDATE ON redacted "
    "BEGIN SELECT RAISE(ABORT, 'a redaction is kept'); END",
]
# Schema 3's triggers on its (now closed) audit trail, given back as they were made.
_LEGACY_TRIGGERS = [
    f"CREATE TRIGGER audit_no_{action.lower()} BEFORE {action} ON audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END" for action in ("UPDATE", "DELETE")
]

# The current tables: what the history says now, rebuilt from it (registers.py writes them).
_CURRENT = """
    CREATE TABLE inspector (
        code TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('lead', 'inspector'))
    );
    CREATE TABLE case_file (
        id           INTEGER PRIMARY KEY,
        ref          TEXT NOT NULL UNIQUE,
        inspector    TEXT,
        profile      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(profile)),
        status       TEXT NOT NULL DEFAULT 'not_started'
                     CHECK (status IN ('not_started', 'in_progress', 'complete')),
        resume_at    TEXT,
        created_at   TEXT NOT NULL,
        moderated_at TEXT
    );
    CREATE INDEX case_file_inspector ON case_file(inspector);
    CREATE TABLE answer (
        case_id           INTEGER NOT NULL REFERENCES case_file(id) ON DELETE CASCADE,
        question          TEXT NOT NULL,
        value             TEXT NOT NULL,
        note              TEXT,
        note_hash         BLOB,
        framework_id      TEXT NOT NULL,
        framework_version TEXT NOT NULL,
        answered_by       TEXT,
        answered_at       TEXT NOT NULL,
        entry             BLOB,
        flags             TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (case_id, question)
    ) WITHOUT ROWID;
    -- Notes this laptop knows only by hash (withheld, or not arrived yet): few, found fast.
    CREATE INDEX answer_note_waiting ON answer(note_hash) WHERE note IS NULL AND note_hash IS NOT NULL;
    CREATE TABLE judgement (
        standard  TEXT PRIMARY KEY,
        rating    TEXT NOT NULL,
        evidence  TEXT NOT NULL,
        judged_by TEXT,
        judged_at TEXT NOT NULL
    );
    CREATE TABLE case_access (
        case_id   INTEGER NOT NULL REFERENCES case_file(id) ON DELETE CASCADE,
        inspector TEXT NOT NULL,
        PRIMARY KEY (case_id, inspector)
    ) WITHOUT ROWID;
    -- A register whose heads disagree, from when they did until an entry ended it.
    CREATE TABLE conflict (
        id        INTEGER PRIMARY KEY,
        kind      TEXT NOT NULL,
        case_ref  TEXT NOT NULL,
        field     TEXT NOT NULL,
        opened_at TEXT NOT NULL,
        closed_by BLOB,
        closed_at TEXT
    );
    CREATE UNIQUE INDEX conflict_open ON conflict(kind, case_ref, field) WHERE closed_by IS NULL;
    CREATE TABLE second_reading (
        case_id     INTEGER PRIMARY KEY REFERENCES case_file(id) ON DELETE CASCADE,
        reader      TEXT NOT NULL,
        assigned_by TEXT,
        assigned_at TEXT NOT NULL,
        finished_at TEXT
    );
    CREATE TABLE second_answer (
        case_id        INTEGER NOT NULL REFERENCES case_file(id) ON DELETE CASCADE,
        question       TEXT NOT NULL,
        value          TEXT NOT NULL,
        note           TEXT,
        note_hash      BLOB,
        entry          BLOB,
        first_value    TEXT,
        answered_by    TEXT,
        answered_at    TEXT NOT NULL,
        settled_value  TEXT,
        settled_reason TEXT,
        settled_by     TEXT,
        settled_at     TEXT,
        PRIMARY KEY (case_id, question)
    ) WITHOUT ROWID
"""


def _v5_tallies(conn: sqlite3.Connection) -> None:
    """Counts kept in step with the answers (store/tally.py), built from the answers held."""
    from . import tally as tallies

    _run(conn, tallies.SCHEMA)  # built by the next migration, which keeps them as they now are


def _v6_tallies_by_question(conn: sqlite3.Connection) -> None:
    """Tallies keyed question first, facets numbered (store/tally.py): the rows one save moves
    share a page."""
    from . import tally as tallies

    _run(conn, tallies.FACETS)
    for trigger in tallies.TRIGGERS:
        conn.execute(f"DROP TRIGGER IF EXISTS {_trigger_name(trigger)}")
        conn.execute(trigger)
    tallies.rebuild(conn)


def _v7_search(conn: sqlite3.Connection) -> None:
    """Full-text search over the evidence (store/search.py), built from the texts held."""
    from . import search

    search.build(conn)



def _v8_note_drafts(conn: sqlite3.Connection) -> None:
    """Evidence notes being written: kept as typed so a note outlives the app dying, and a note
    written before its answer waits here for it. Scratch, not history: never in a bundle."""
    _run(
        conn,
        """
        CREATE TABLE note_draft (
            case_ref  TEXT NOT NULL,
            question  TEXT NOT NULL,
            inspector TEXT NOT NULL,
            text      TEXT NOT NULL,
            saved_at  TEXT NOT NULL,
            PRIMARY KEY (case_ref, question, inspector)
        ) WITHOUT ROWID
        """,
    )


MIGRATIONS = [_v1_inspection, _v2_case_access, _v3_moderation, _v4_history, _v5_tallies,
              _v6_tallies_by_question, _v7_search, _v8_note_drafts]


def _trigger_name(sql: str) -> str:
    return sql.split()[2]


def _altered(conn: sqlite3.Connection) -> list[str]:
    """The protecting triggers (and those keeping the tallies) missing, or not as hmip made
    them (one replaced by a no-op)."""
    from .search import TRIGGERS as SEARCH
    from .tally import TRIGGERS

    held = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))
    return [sql for sql in _HISTORY_TRIGGERS + _LEGACY_TRIGGERS + TRIGGERS + SEARCH
            if held.get(_trigger_name(sql)) != sql]


def ensure_protections(conn: sqlite3.Connection) -> list[str]:
    """The triggers that keep the history append-only, given back to a file that lost them or
    had them changed (a copy restored from elsewhere, a file edited by another program); and
    those that keep the tallies and the search, with what they keep rebuilt, as it may have
    missed changes. Returns those restored; the caller holds the transaction."""
    from . import search
    from . import tally as tallies

    altered = _altered(conn)
    for sql in altered:
        conn.execute(f"DROP TRIGGER IF EXISTS {_trigger_name(sql)}")
        conn.execute(sql)
    if set(altered) & set(tallies.TRIGGERS):
        tallies.rebuild(conn)
    index_lost = search.index_triggers_missing(conn)
    if set(altered) & set(search.TRIGGERS) or index_lost:
        search.rebuild(conn)
    return [_trigger_name(sql) for sql in altered] + (list(search.INDEX_TRIGGERS) if index_lost else [])


def protections_missing(conn: sqlite3.Connection) -> bool:
    from .search import index_triggers_missing

    return bool(_altered(conn)) or index_triggers_missing(conn)
SCHEMA_VERSION = len(MIGRATIONS)
