"""Never lose an answer: crash safety, two writers, backups, damaged files, file permissions."""

from __future__ import annotations

import random
import sqlite3
import stat
import subprocess
import sys
import threading
import time

import pytest

from conftest import db_content, run_hmip

from hmip_tui import store
from hmip_tui.framework import load_framework
from hmip_tui.services import open_database
from hmip_tui.store.backups import KEEP, backups_of

FW = load_framework()
PROFILE = {"sentence_type": "licence", "sex": "male", "rosh": "high", "pre_sentence_report": "no"}

# Records answers as fast as it can, printing each one only after record_answer has returned
# (that is, after COMMIT). Starts from however many answers the database already holds.
WRITER = r"""
import sys
from hmip_tui import store
from hmip_tui.framework import load_framework
fw = load_framework()
conn = store.connect(sys.argv[1])
questions = [q for q in fw.questions.values() if q.applies_to(
    {"sentence_type": "licence", "sex": "male", "rosh": "high", "pre_sentence_report": "no"})]
i = conn.execute("SELECT count(*) FROM answer").fetchone()[0]
while True:
    ref, q = f"K{i // len(questions):04d}", questions[i % len(questions)]
    value = q.type.options[i % 2].id
    store.record_answer(conn, fw, ref, q.id, value, None, "LF")
    print(ref, q.id, value, flush=True)
    i += 1
"""


def _kill_db(db):
    conn = open_database(db)
    with store.transaction(conn):
        store.create_inspection(conn, pdu="Kill test", framework=FW, lead="LF")
    with store.transaction(conn):
        store.cases.add_cases(conn, [(f"K{i:04d}", "LF", PROFILE) for i in range(400)], "LF")
    conn.close()


def test_sigkill_at_random_moments_loses_no_committed_answer(db):
    _kill_db(db)
    rng = random.Random(2022)
    reported: dict[tuple[str, str], str] = {}
    started = time.monotonic()
    for _ in range(50):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE, text=True)
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(writer.stdout), daemon=True)
        reader.start()
        time.sleep(0.12 + rng.random() * 0.25)
        writer.kill()  # SIGKILL: no handler, no flush, no goodbye
        writer.wait()
        reader.join(timeout=5)
        for line in lines:
            parts = line.split()
            if len(parts) == 3:
                reported[(parts[0], parts[1])] = parts[2]
        conn = sqlite3.connect(db)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        held = {(r, q): v for r, q, v in conn.execute(
            "SELECT c.ref, a.question, a.value FROM answer a JOIN case_file c ON c.id = a.case_id")}
        conn.close()
        missing = {k: v for k, v in reported.items() if held.get(k) != v}
        assert not missing, f"answers reported committed but not in the database: {list(missing)[:5]}"
    assert len(reported) > 200, "the writer should have committed answers between kills"
    assert time.monotonic() - started < 60


def test_a_command_waits_for_the_apps_write_and_then_succeeds(report_db):
    holder = sqlite3.connect(report_db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # as the app would, held far longer than one answer takes
    threading.Timer(0.8, lambda: holder.execute("COMMIT")).start()
    start = time.monotonic()
    result = run_hmip("answer", "HF0001", "2.2.1.a", "yes", "--reason", "test", db=report_db)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - start >= 0.7
    holder.close()


def test_a_lock_held_too_long_is_said_clearly_not_as_database_is_locked(report_db, monkeypatch):
    monkeypatch.setenv("HMIP_BUSY_TIMEOUT", "1")
    holder = sqlite3.connect(report_db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        before = time.monotonic()
        result = run_hmip("answer", "HF0001", "2.2.1.a", "yes", "--reason", "test", db=report_db)
        assert time.monotonic() - before < 10
        assert result.returncode == 1
        assert "the database is busy" in result.stderr and "has held its lock for over 1 s" in result.stderr
        assert "database is locked" not in result.stderr
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_backups_daily_and_before_imports_readable_by_owner_only(report_db, report_bundle_file, tmp_path):
    for made_today in [p for p in backups_of(report_db) if "daily" in p.name]:
        made_today.unlink()  # as on the next day
    run_hmip("rate", db=report_db, check=True)  # reading alone never waits on a copy of the file
    assert not [p for p in backups_of(report_db) if "daily" in p.name]
    run_hmip("note", "HF0001", "2.2.1", "Checked.", "--reason", "test", db=report_db, check=True)  # the day's first write
    assert [p for p in backups_of(report_db) if "daily" in p.name]
    sample = tmp_path / "more.csv"
    sample.write_text("ref,sentence_type,sex,rosh,pre_sentence_report\nNEW1,licence,male,low,no\n")
    run_hmip("sample", "import", str(sample), db=report_db, check=True)
    assert [p for p in backups_of(report_db) if "before-sample-import" in p.name]
    made = run_hmip("backup", db=report_db, check=True).stdout
    assert "by-hand" in made
    for p in backups_of(report_db):
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
        assert sqlite3.connect(p).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert stat.S_IMODE(backups_of(report_db)[0].parent.stat().st_mode) == 0o700


def test_only_the_newest_backups_of_each_kind_are_kept(report_db):
    for made_today in [p for p in backups_of(report_db) if "daily" in p.name]:
        made_today.unlink()  # as on the next day
    run_hmip("note", "HF0001", "2.2.1", "Checked.", "--reason", "test", db=report_db, check=True)  # the day's first write: a daily backup
    for _ in range(KEEP + 3):
        run_hmip("backup", db=report_db, check=True)
    kinds = [p.name.rsplit("-", 2)[-2:] for p in backups_of(report_db)]
    assert kinds.count(["by", "hand.sqlite"]) == KEEP
    assert ["daily.sqlite"] == [k[-1] for k in kinds if k[-1] == "daily.sqlite"]  # not pushed out


def test_a_damaged_database_is_never_written_to_and_says_how_to_restore(report_db):
    run_hmip("backup", db=report_db, check=True)
    good = backups_of(report_db)[-1]
    conn = sqlite3.connect(report_db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    data = bytearray(report_db.read_bytes())
    for page in range(1, len(data) // page_size):  # wreck every b-tree page header but the first
        for offset in range(page * page_size, page * page_size + 12):
            data[offset] = 0xFF
    report_db.write_bytes(bytes(data))
    before = report_db.read_bytes()
    # The whole file is checked before the first write, not on open; a reader meeting the
    # damage is told the same, in one sentence.
    for command in (["answer", "HF0001", "2.2.1.a", "yes", "--reason", "test"], ["rate"], ["export", "csv"]):
        result = run_hmip(*command, db=report_db)
        assert result.returncode == 1, command
        assert "the database is damaged" in result.stderr and "it was not written to" in result.stderr
        assert f"restore {good}" in result.stderr and len(result.stderr.strip().splitlines()) == 1
        assert report_db.read_bytes() == before
    restored = run_hmip("restore", str(good), "--yes", db=report_db)
    assert restored.returncode == 0, restored.stderr
    assert run_hmip("rate", "--json", db=report_db).returncode == 0


def test_restore_refuses_a_file_that_fails_the_integrity_check(report_db, tmp_path):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 4000)
    before = db_content(report_db)
    result = run_hmip("restore", str(bad), "--yes", db=report_db)
    assert result.returncode == 1 and "nothing was restored" in result.stderr
    assert db_content(report_db) == before


def test_database_wal_and_exports_are_readable_by_their_owner_only(report_db, tmp_path):
    conn = open_database(report_db)  # the WAL exists while a connection is open
    store.record_answer(conn, FW, "HF0001", "2.2.1.a", "yes", answered_by="LF", reason="test")
    for path in (report_db, report_db.with_name(report_db.name + "-wal"),
                 report_db.with_name(report_db.name + "-shm")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    conn.close()
    for args in (["export", "workbook"], ["export", "csv"], ["bundle", "export"]):
        run_hmip(*args, db=report_db, cwd=tmp_path, check=True)
    files = [f for f in report_db.parent.iterdir() if f.name.startswith("hammersmith-")]
    assert len(files) == 3 and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)


def _overwrite_in_table(db, table: str, offset: int, data: bytes) -> None:
    """Overwrite bytes of a table's root page, `offset` from its start (negative: from its end,
    where the page's cells are written), in the file as checkpointed."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    (page,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()
    conn.close()
    whole = bytearray(db.read_bytes())
    start = (page - 1) * page_size + (offset % page_size)
    whole[start:start + len(data)] = data
    db.write_bytes(bytes(whole))


def _wreck_a_table_the_first_screen_does_not_read(db) -> None:
    _overwrite_in_table(db, "kept_batch", 0, b"\xff" * 12)  # its page header


async def test_the_app_checks_the_file_beside_its_first_screen_and_backs_it_up(report_db):
    from hmip_tui.tui.app import HmipApp

    for made_today in [p for p in backups_of(report_db) if "daily" in p.name]:
        made_today.unlink()  # as on the next day
    conn = open_database(report_db)
    assert not conn.sound and not [p for p in backups_of(report_db) if "daily" in p.name]  # not on open
    app = HmipApp(conn, report_db, "LF")
    async with app.run_test() as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert conn.sound  # checked after the first screen, beside it
        assert [p for p in backups_of(report_db) if "daily" in p.name]
    conn.close()


async def test_a_damaged_file_stops_the_app_before_anything_is_written(report_db):
    from hmip_tui.errors import HmipError
    from hmip_tui.tui import fatal_sentence
    from hmip_tui.tui.app import HmipApp

    run_hmip("backup", db=report_db, check=True)
    _wreck_a_table_the_first_screen_does_not_read(report_db)
    before = report_db.read_bytes()
    conn = open_database(report_db)  # opening does not read the whole file: it opens
    app = HmipApp(conn, report_db, "LF")
    with pytest.raises(Exception):
        async with app.run_test() as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
    conn.close()
    assert "the database is damaged" in fatal_sentence(app.fatal_error, report_db)
    assert report_db.read_bytes() == before


def test_an_export_never_publishes_from_a_damaged_file(report_db, tmp_path):
    """Damage in the kept counts' pages, which a read may not notice: an export checks the
    whole file first, and refuses in one sentence."""
    run_hmip("backup", db=report_db, check=True)
    _overwrite_in_table(report_db, "tally", -1500, random.Random(7).randbytes(1500))  # its cells
    before = report_db.read_bytes()
    for export in (["export", "workbook"], ["export", "csv"], ["bundle", "export"]):
        out = tmp_path / f"out-{export[0]}-{export[1]}"
        result = run_hmip(*export, "--out", str(out), db=report_db)
        assert result.returncode == 1, export
        assert "the database is damaged" in result.stderr and len(result.stderr.strip().splitlines()) == 1
        assert len(result.stderr) < 600 and not out.exists()
    assert report_db.read_bytes() == before
