"""The store on real SQLite files: migrations, refusals, durability settings, answers."""

from __future__ import annotations

import sqlite3
import stat

import pytest

from hmip_tui import store
from hmip_tui.errors import HmipError
from hmip_tui.framework import load_framework
from hmip_tui.store.database import APPLICATION_ID
from hmip_tui.store.migrations import MIGRATIONS, SCHEMA_VERSION

FW = load_framework()


def _inspection(path):
    conn = store.connect(path)
    with store.transaction(conn):
        store.create_inspection(conn, pdu="Test PDU", framework=FW, lead="LF")
    store.add_case(conn, FW, "C1", "LF", {"sentence_type": "community_order", "sex": "male",
                                          "rosh": "high", "pre_sentence_report": "no"}, "LF")
    return conn


def test_blank_file_is_migrated_to_the_current_schema_with_durable_settings(db):
    conn = store.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


def test_oldest_schema_is_migrated_and_keeps_its_data(db):
    raw = sqlite3.connect(db, isolation_level=None)
    MIGRATIONS[0](raw)  # the oldest schema, as the first release wrote it
    raw.execute(f"PRAGMA application_id={APPLICATION_ID}")
    raw.execute("PRAGMA user_version=1")
    raw.execute("INSERT INTO inspection VALUES (1, 'u', 'Old PDU', NULL, NULL, 'hmip-adult-pdu', '2022.1', 't')")
    raw.close()
    conn = store.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store.get_inspection(conn).pdu == "Old PDU"
    assert conn.execute("SELECT count(*) FROM case_access").fetchone()[0] == 0  # added by v2
    from hmip_tui.store.backups import backups_of

    kept = backups_of(db)
    assert len(kept) == 1 and "before-migration-1-to-" in kept[0].name
    old = sqlite3.connect(kept[0])
    assert old.execute("PRAGMA user_version").fetchone()[0] == 1  # the copy is of the old schema


def test_a_database_from_a_newer_version_is_refused_and_untouched(db):
    raw = sqlite3.connect(db)
    raw.execute(f"PRAGMA application_id={APPLICATION_ID}")
    raw.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    raw.execute("CREATE TABLE future (x)")
    raw.commit()
    raw.close()
    before = db.read_bytes()
    with pytest.raises(HmipError, match="written by a newer version of hmip"):
        store.connect(db)
    assert db.read_bytes() == before
    assert not db.with_name(db.name + "-wal").exists()


def test_someone_elses_sqlite_file_is_refused(db):
    raw = sqlite3.connect(db)
    raw.execute("CREATE TABLE accounts (x)")
    raw.commit()
    raw.close()
    with pytest.raises(HmipError, match="not an hmip inspection database"):
        store.connect(db)


def test_an_answer_is_committed_when_given_and_survives_reopening(db):
    conn = _inspection(db)
    store.record_answer(conn, FW, "C1", "2.2.1", "no", "Risk to children not analysed.", "LF")
    other = sqlite3.connect(db)  # another connection sees it: it is committed, not pending
    row = other.execute("SELECT value, note, framework_id, framework_version, answered_by FROM answer").fetchone()
    assert row == ("no", "Risk to children not analysed.", "hmip-adult-pdu", "2022.1", "LF")
    assert store.get_case(conn, "C1").status == "in_progress"


def test_keep_note_survives_a_change_of_value(db):
    conn = _inspection(db)
    store.record_answer(conn, FW, "C1", "2.2.1", "no", "first note", "LF")
    store.record_answer(conn, FW, "C1", "2.2.1", "yes", None, "LF", keep_note=True)
    assert store.answers_for_case(conn, store.get_case(conn, "C1").id)["2.2.1"].note == "first note"


@pytest.mark.parametrize(("question", "value", "message"), [
    ("2.9.9", "yes", "unknown question '2.9.9'"),
    ("2.2.1", "maybe", "'maybe' is not an answer to 2.2.1 (use one of: yes, no)"),
    ("2.1.1", "yes", "does not apply to case C1: court work is assessed only where a pre-sentence report was given"),
    ("PR.a", "yes", "pre-release work is assessed only for post-release cases"),
])
def test_bad_answers_are_refused(db, question, value, message):
    conn = _inspection(db)
    with pytest.raises(HmipError, match=message.replace("(", r"\(").replace(")", r"\)")):
        store.record_answer(conn, FW, "C1", question, value, answered_by="LF")
    assert conn.execute("SELECT count(*) FROM answer").fetchone()[0] == 0


def test_answers_no_longer_applicable_are_not_counted(db):
    conn = _inspection(db)
    store.update_profile(conn, FW, "C1", {"sentence_type": "licence", "sex": "male", "rosh": "high",
                                          "pre_sentence_report": "no"}, "LF")
    store.record_answer(conn, FW, "C1", "PR.a", "no", answered_by="LF")
    assert store.overall_tallies(conn, FW)["PR.a"].no == 1
    store.update_profile(conn, FW, "C1", {"sentence_type": "community_order", "sex": "male",
                                          "rosh": "high", "pre_sentence_report": "no"}, "LF")
    assert "PR.a" not in store.overall_tallies(conn, FW)


def test_a_judgement_needs_evidence_and_a_judged_standard(db):
    conn = _inspection(db)
    with pytest.raises(HmipError, match="needs its evidence"):
        store.record_judgement(conn, FW, "1.1", "inadequate", " ", "LF")
    with pytest.raises(HmipError, match="rated from the cases"):
        store.record_judgement(conn, FW, "2.2", "inadequate", "x", "LF")
    with pytest.raises(HmipError, match="unknown rating 'awful'"):
        store.record_judgement(conn, FW, "1.1", "awful", "x", "LF")
    store.record_judgement(conn, FW, "1.1", "inadequate", "No exit strategy.", "LF")
    assert store.judgements(conn) == {"1.1": ("inadequate", "No exit strategy.")}


def test_a_schema_3_database_becomes_history_and_keeps_everything(db):
    """Answers become root entries; an open conflict stays open; a settled second reading keeps
    the first reading it was compared with (from the old audit trail)."""
    raw = sqlite3.connect(db, isolation_level=None)
    for step in MIGRATIONS[:3]:
        step(raw)
    raw.execute(f"PRAGMA application_id={APPLICATION_ID}")
    raw.execute("PRAGMA user_version=3")
    raw.executescript("""
        INSERT INTO inspection VALUES (1, 'uid-3', 'Old PDU', 'London', '2022-08-01', 'hmip-adult-pdu', '2022.1',
                                       '2022-08-01T09:00:00.000+00:00');
        INSERT INTO inspector VALUES ('LF', 'lead'), ('I2', 'inspector'), ('I3', 'inspector');
        INSERT INTO case_file (id, ref, inspector, profile, status, resume_at, created_at, moderated_at) VALUES
          (1, 'C1', 'I2', '{"pre_sentence_report": "no", "rosh": "high", "sentence_type": "licence", "sex": "male"}',
           'complete', '2.2.2', '2022-08-01T09:00:00.000+00:00', NULL);
        INSERT INTO answer VALUES (1, '2.2.1', 'yes', 'Old note.', 'hmip-adult-pdu', '2022.1', 'I2',
                                   '2022-08-02T10:00:00.000+00:00'),
                                  (1, '2.2.2', 'no', NULL, 'hmip-adult-pdu', '2022.1', 'LF',
                                   '2022-08-03T10:00:00.000+00:00');
        INSERT INTO judgement VALUES ('1.1', 'inadequate', 'No exit strategy.', 'LF', '2022-08-04T10:00:00.000+00:00');
        INSERT INTO conflict (case_id, question, held_value, held_note, held_by, incoming_value, incoming_note,
                              incoming_by, source, found_at) VALUES
          (1, '2.2.1', 'yes', 'Old note.', 'I2', 'no', 'Another view.', 'I3', 'I3 (i3.json)',
           '2022-08-05T10:00:00.000+00:00');
        INSERT INTO second_reading VALUES (1, 'I3', 'LF', '2022-08-03T09:00:00.000+00:00', '2022-08-03T12:00:00.000+00:00');
        INSERT INTO second_answer VALUES (1, '2.2.2', 'yes', NULL, 'I3', '2022-08-03T11:00:00.000+00:00',
                                          'no', 'Settled at the meeting.', 'LF', '2022-08-04T09:00:00.000+00:00');
        INSERT INTO audit (at, by, kind, case_ref, question, old_value, new_value, reason, detail) VALUES
          ('2022-08-04T09:00:00.000+00:00', 'LF', 'settle', 'C1', '2.2.2', 'yes', 'no', 'Settled at the meeting.',
           'second reading: first yes, second yes');
    """)
    raw.close()
    conn = store.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("SELECT count(*) FROM entry WHERE flags NOT IN ('migrated', 'settle')").fetchone()[0] == 0
    answers = store.answers_for_case(conn, store.get_case(conn, "C1").id)
    assert (answers["2.2.1"].value, answers["2.2.1"].note) == ("yes", "Old note.")  # held, first given
    assert answers["2.2.2"].value == "no"
    case = store.get_case(conn, "C1")
    assert (case.status, case.resume_at, case.inspector) == ("complete", "2.2.2", "I2")
    from hmip_tui.store import moderation, team

    assert [(c.case_ref, c.field, sorted(c.values)) for c in moderation.conflicts(conn)] == [("C1", "2.2.1", ["no", "yes"])]
    pair = moderation.pairs(conn, FW)[0]
    assert (pair.first, pair.second, pair.settled) == ("yes", "yes", "no")
    assert team.members(conn) == {"I2": "inspector", "I3": "inspector", "LF": "lead"}
    assert store.judgements(conn) == {"1.1": ("inadequate", "No exit strategy.")}
    from hmip_tui.store.audit import trail

    lines = trail(conn, "C1").lines
    assert lines[0].kind == "settle" and lines[0].reason == "Settled at the meeting."  # the old trail first


def test_the_history_cannot_be_rewritten_and_lost_protections_are_given_back(db):
    conn = _inspection(db)
    store.record_answer(conn, FW, "C1", "2.2.1", "no", "A note.", "LF")
    conn.close()
    raw = sqlite3.connect(db)
    for sql in ("REPLACE INTO entry SELECT * FROM entry WHERE seq = 1",
                "INSERT OR REPLACE INTO entry (seq, id, k, kind, author, at) VALUES (1, zeroblob(32), 1, 'x', 'y', 'z')",
                "UPDATE entry SET value = 'yes'", "DELETE FROM entry", "UPDATE text SET body = 'x'",
                "DELETE FROM text", "REPLACE INTO text SELECT hash, salt, 'rewritten' FROM text"):
        before = list(raw.iterdump())
        try:
            raw.execute(sql)
        except sqlite3.IntegrityError:
            pass
        raw.commit()
        assert list(raw.iterdump()) == before, sql
    # A copy that lost its triggers (restored from elsewhere, edited by another program) gets them back.
    raw.execute("DROP TRIGGER entry_no_replace")
    raw.execute("DROP TRIGGER entry_no_delete")
    raw.commit()
    raw.close()
    store.connect(db).close()
    raw = sqlite3.connect(db)
    with pytest.raises(sqlite3.IntegrityError):
        raw.execute("DELETE FROM entry")


def test_redactions_and_roles_cannot_be_forged_behind_hmips_back(db):
    conn = _inspection(db)
    store.record_answer(conn, FW, "C1", "2.2.1", "no", "A note to keep.", "LF")
    conn.close()
    raw = sqlite3.connect(db)
    digest = raw.execute("SELECT hash FROM text WHERE body = 'A note to keep.'").fetchone()[0]
    for sql, args in (("INSERT INTO redacted VALUES (?)", (digest,)),):
        with pytest.raises(sqlite3.IntegrityError, match="only by a redaction"):
            raw.execute(sql, args)
    raw.execute("REPLACE INTO inspector VALUES ('I9', 'lead')")  # a role typed into the file
    raw.commit()
    raw.close()
    conn = store.connect(db)
    from hmip_tui.store import team

    assert team.members(conn) == {"LF": "lead"}  # as the history says
