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


MIGRATIONS = [_v1_inspection, _v2_case_access, _v3_moderation]
SCHEMA_VERSION = len(MIGRATIONS)
