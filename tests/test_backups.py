"""Backups that can be trusted, and a restore that never throws anything away."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys

import pytest

from conftest import db_content, run_hmip

from hmip_tui.store import backups
from hmip_tui.store.backups import backups_of, backups_dir

HEADER = "ref,inspector,sentence_type,sex,rosh,pre_sentence_report\n"


def swap_index_pages(db) -> None:
    """Swap the pages of two of case_file's indexes: every page still well formed, so quick_check
    passes, but each index now holds the other's keys, which only integrity_check finds."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    a, b = [r for (r,) in conn.execute(
        "SELECT rootpage FROM sqlite_master WHERE tbl_name = 'case_file' AND type = 'index' "
        "AND name IN ('case_file_inspector', 'sqlite_autoindex_case_file_1') ORDER BY name")]
    conn.close()
    data = bytearray(db.read_bytes())
    first, second = slice((a - 1) * size, a * size), slice((b - 1) * size, b * size)
    data[first], data[second] = data[second], data[first]
    db.write_bytes(bytes(data))
    check = sqlite3.connect(db)
    assert check.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    assert check.execute("PRAGMA integrity_check").fetchone()[0] != "ok"
    check.close()


def listing(folder):
    return sorted(p.name for p in folder.iterdir())


def test_a_backup_is_whole_checked_and_leaves_nothing_beside_it(report_db):
    made = run_hmip("backup", db=report_db, check=True)
    folder = backups_dir(report_db)
    names = listing(folder)
    assert all(n.endswith(".sqlite") and not n.startswith(".") for n in names), names
    for path in backups_of(report_db):
        assert str(path) in made.stdout or "daily" in path.name
        conn = sqlite3.connect(path)  # opened as any tool would open it...
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()
    assert listing(folder) == names  # ...it leaves no -wal or -shm beside it


def test_a_database_failing_integrity_check_is_not_backed_up(report_db):
    run_hmip("backup", db=report_db, check=True)
    held = listing(backups_dir(report_db))
    swap_index_pages(report_db)
    result = run_hmip("backup", db=report_db)
    assert result.returncode == 1 and "fails SQLite's integrity check" in result.stderr
    assert "no backup was made" in result.stderr and "restore" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert listing(backups_dir(report_db)) == held  # no copy of the damage, not even hidden


def test_restore_refuses_a_copy_whose_indexes_only_integrity_check_finds_wrong(report_db, tmp_path):
    bad = tmp_path / "swapped.sqlite"
    bad.write_bytes(report_db.read_bytes())
    swap_index_pages(bad)
    before = report_db.read_bytes()
    result = run_hmip("restore", str(bad), "--yes", db=report_db)
    assert result.returncode == 1 and "fails SQLite's integrity check" in result.stderr
    assert "nothing was restored" in result.stderr
    assert report_db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_refused_import_makes_no_backup(report_db, tmp_path):
    run_hmip("backup", db=report_db, check=True)
    held = listing(backups_dir(report_db))
    already = tmp_path / "again.csv"
    already.write_text(HEADER + "NEW1,LF,licence,male,low,no\nHF0001,LF,licence,male,low,no\n")
    for _ in range(3):
        result = run_hmip("sample", "import", str(already), db=report_db)
        assert result.returncode == 1 and "already in this inspection" in result.stderr
    assert listing(backups_dir(report_db)) == held


def test_refused_imports_never_push_out_the_daily_and_by_hand_backups(report_db, monkeypatch, tmp_path):
    from hmip_tui.exchange.sample_csv import import_sample
    from hmip_tui.framework import load_framework
    from hmip_tui.services import open_database

    monkeypatch.setattr(backups, "KEEP", 3)
    conn = open_database(report_db)  # the day's daily backup
    run_hmip("backup", db=report_db, check=True)
    fw = load_framework()
    for i in range(6):  # accepted imports: each backs up first, in its own kind
        sample = tmp_path / f"s{i}.csv"
        sample.write_text(HEADER + f"N{i},LF,licence,male,low,no\n")
        import_sample(conn, sample, fw, by="LF")
    names = [p.name for p in backups_of(report_db)]
    assert sum("before-sample-import" in n for n in names) == 3
    assert sum("daily" in n for n in names) == 1 and sum("by-hand" in n for n in names) == 1


def test_backups_of_two_databases_in_one_folder_are_kept_apart(tmp_path):
    team, team2 = tmp_path / "team.sqlite", tmp_path / "team-2.sqlite"
    for db in (team, team2):
        run_hmip("init", "--pdu", db.stem, db=db, check=True)
        run_hmip("backup", db=db, check=True)
    assert backups_of(team2) and all(p.name.startswith("team-2-") for p in backups_of(team2))
    assert backups_of(team) and all(not p.name.startswith("team-2-") for p in backups_of(team))


def _writer_killed_mid_session(db) -> dict:
    """A process commits an answer and is killed before it can checkpoint: the answer lives
    only in the -wal file beside the database."""
    code = (
        "import sys, os\n"
        "from hmip_tui import store\n"
        "from hmip_tui.framework import load_framework\n"
        "conn = store.connect(sys.argv[1])\n"
        "conn.execute('PRAGMA wal_autocheckpoint=0')\n"
        "store.record_answer(conn, load_framework(), 'HF0001', '2.2.1.a', 'no', 'Newest note', 'LF', reason='r')\n"
        "print('committed', flush=True)\n"
        "import time; time.sleep(60)\n")
    writer = subprocess.Popen([sys.executable, "-c", code, str(db)], stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "committed"
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    return {s: db.with_name(db.name + s).read_bytes() for s in ("", "-wal", "-shm")}


@pytest.mark.parametrize("state", ["sound", "damaged"])
def test_restore_keeps_the_replaced_file_byte_for_byte_with_its_wal(report_db, state):
    run_hmip("backup", db=report_db, check=True)
    good = backups_of(report_db)[-1]
    original = _writer_killed_mid_session(report_db)
    assert original["-wal"], "the newest answer should be in the -wal file"
    if state == "damaged":
        data = bytearray(original[""])
        data[100:4096] = b"\xff" * (4096 - 100)  # the schema page: nothing can read it now
        report_db.write_bytes(bytes(data))
        original[""] = bytes(data)
    result = run_hmip("restore", str(good), "--yes", db=report_db)
    assert result.returncode == 0, result.stderr
    kept = [p for p in backups_dir(report_db).iterdir() if "replaced-by-restore" in p.name]
    by_suffix = {p.name.split(".sqlite")[1]: p.read_bytes() for p in kept}
    assert by_suffix == original  # the database, its -wal and -shm, exactly as they were
    assert all(str(p) not in map(str, backups_of(report_db)) for p in kept)  # never offered
    assert result.stdout.strip().endswith(f"kept as {[p for p in kept if p.name.endswith('.sqlite')][0]}.")
    assert not report_db.with_name(report_db.name + "-wal").exists() or \
        report_db.with_name(report_db.name + "-wal").stat().st_size == 0
    if state == "sound":  # the newest answer is still readable in what was set aside
        main = next(p for p in kept if p.name.endswith(".sqlite"))
        conn = sqlite3.connect(main)
        assert conn.execute("SELECT note FROM answer WHERE question = '2.2.1.a' AND case_id = "
                            "(SELECT id FROM case_file WHERE ref = 'HF0001')").fetchone() == ("Newest note",)
        conn.close()
    assert run_hmip("rate", "--json", db=report_db).returncode == 0


def test_files_set_aside_by_restore_are_outside_the_rotation(report_db, monkeypatch):
    from hmip_tui.services import open_database

    run_hmip("backup", db=report_db, check=True)
    run_hmip("restore", str(backups_of(report_db)[-1]), "--yes", db=report_db, check=True)
    monkeypatch.setattr(backups, "KEEP", 1)
    conn = open_database(report_db)
    for _ in range(3):
        backups.make_backup(conn, report_db, "by-hand")
    conn.close()
    assert [p for p in backups_dir(report_db).iterdir() if "replaced-by-restore" in p.name]


def test_restore_refuses_while_another_program_has_the_database_open(report_db):
    run_hmip("backup", db=report_db, check=True)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sqlite3, sys, time\n"
        "c = sqlite3.connect(sys.argv[1]); c.execute('SELECT count(*) FROM answer').fetchone()\n"
        "print('open', flush=True); time.sleep(60)\n"), str(report_db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        before = db_content(report_db)
        result = run_hmip("restore", str(backups_of(report_db)[-1]), "--yes", db=report_db)
        assert result.returncode == 1 and "is open in another program" in result.stderr
        assert db_content(report_db) == before
        assert not [p for p in backups_dir(report_db).iterdir() if "replaced-by-restore" in p.name]
    finally:
        holder.kill()
        holder.wait()


def test_a_live_backups_scratch_copy_and_journal_are_left_alone_by_another(report_db):
    from hmip_tui.services import open_database

    folder = backups_dir(report_db)
    folder.mkdir(exist_ok=True)
    live = folder / ".inspection-20260101T000000000000Z-by-hand.sqlite.part"
    live.write_bytes(b"a backup being written by another hmip")
    journal = folder / f"{live.name}-journal"
    journal.write_bytes(b"its rollback journal")
    dead = folder / ".inspection-20250101T000000000000Z-daily.sqlite.part"
    dead.write_bytes(b"what a killed backup left")
    orphan = folder / ".inspection-20240101T000000000000Z-daily.sqlite.part-journal"
    orphan.write_bytes(b"a journal whose copy is gone")
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time\n"
        "fd = os.open(sys.argv[1], os.O_RDONLY); fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "print('held', flush=True); time.sleep(60)\n"), str(live)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        conn = open_database(report_db)
        backups.make_backup(conn, report_db, "by-hand")
        assert live.exists() and journal.exists()
        assert not dead.exists() and not orphan.exists()
    finally:
        holder.kill()
        holder.wait()
    backups.make_backup(conn, report_db, "by-hand")
    conn.close()
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []


def test_restore_asks_for_yes_and_waits_for_an_exclusive_holder(report_db):
    run_hmip("backup", db=report_db, check=True)
    good = backups_of(report_db)[-1]
    before = report_db.read_bytes()
    unasked = run_hmip("restore", str(good), db=report_db, input="n\n")  # no terminal: no prompt
    assert unasked.returncode == 1 and "--yes" in unasked.stderr and report_db.read_bytes() == before
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sqlite3, sys, time\n"
        f"c = sqlite3.connect({str(report_db)!r}, isolation_level=None)\n"
        "c.execute('PRAGMA locking_mode=EXCLUSIVE'); c.execute('BEGIN EXCLUSIVE')\n"
        "print('held', flush=True); time.sleep(30)\n")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        busy = run_hmip("restore", str(good), "--yes", db=report_db)
        assert busy.returncode == 1 and "held by another program" in busy.stderr
    finally:
        holder.kill()
        holder.wait()
