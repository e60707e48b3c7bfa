"""A full disk, a read-only place, a lock held by another program: each its own true sentence.

Never "the database is damaged" (which would send the user to restore over good data), never a
traceback, and nothing lost or half-written. Real mounts (tests/mounts.py): CI runs as root,
where chmod stops no write.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from conftest import db_content, run_hmip
from conftest import one_sentence as said
from mounts import fill, read_only, small_filesystem

from hmip_tui.store.backups import backups_dir

LONG_NOTE = "Seen at the office; the risk assessment was not reviewed. " * 2000  # ~120 kB


def one_sentence(result, *needles):
    """One sentence, and never "damaged": that would send the user to restore over good data."""
    said(result, *needles)
    assert "damaged" not in result.stderr


@pytest.fixture(params=["full", "nearly full"])
def full_disk_db(request, tmp_path, report_bundle_file):
    """The report's inspection on a small file system, backed up today, then the disk filled:
    to the last byte (the command fails as it opens), or all but 64 kB (it opens, and fails in
    the middle of its work)."""
    with small_filesystem(tmp_path / "small", "8m") as folder:
        db = folder / "inspection.sqlite"
        run_hmip("bundle", "import", str(report_bundle_file), db=db, check=True)
        # The day's first write makes the day's backup, while there is room.
        run_hmip("note", "HF0001", "2.2.1", "Checked.", "--reason", "test", db=db, check=True)
        before = db_content(db)
        filler = fill(folder, leave=0 if request.param == "full" else 64 * 1024)
        yield db, before, request.param
        filler.unlink(missing_ok=True)


def test_a_full_disk_during_answer_saves_nothing_and_says_so(full_disk_db):
    db, before, _ = full_disk_db
    result = run_hmip("answer", "HF0001", "2.2.1.a", "no", "--note", LONG_NOTE, "--reason", "test", db=db)
    one_sentence(result, "the disk is full", "Free some space")
    (db.parent / "filler").unlink()
    assert db_content(db) == before


def test_a_full_disk_during_backup_leaves_no_partial_backup(full_disk_db):
    db, before, how = full_disk_db
    held = sorted(p.name for p in backups_dir(db).iterdir())
    result = run_hmip("backup", db=db)
    if how == "full":
        one_sentence(result, "the disk is full", "it was not written to")
    else:
        one_sentence(result, "could not back up", "the disk is full", "no backup was made")
    assert sorted(p.name for p in backups_dir(db).iterdir()) == held  # nothing, not even hidden
    (db.parent / "filler").unlink()
    assert db_content(db) == before


@pytest.mark.parametrize("export", [["export", "csv"], ["export", "workbook"], ["bundle", "export"]])
def test_a_full_disk_during_an_export_leaves_nothing_under_its_name(report_db, tmp_path, export):
    run_hmip("answer", "HF0001", "2.2.1.a", "no", "--note", LONG_NOTE, "--reason", "test",
             db=report_db, check=True)
    before = db_content(report_db)
    with small_filesystem(tmp_path / "small", "1m") as folder:
        fill(folder, leave=16 * 1024)  # room for a scratch folder, not for the export
        out = folder / "exports" / "annex.out"
        result = run_hmip(*export, "--out", str(out), db=report_db)
        one_sentence(result, "the disk is full", str(out))
        assert not out.exists()
        assert not (folder / "exports").exists() or list((folder / "exports").iterdir()) == []
    assert db_content(report_db) == before


def test_a_read_only_folder_is_said_as_such(report_db, tmp_path):
    before = db_content(report_db)
    out = tmp_path / "exports"
    out.mkdir()
    with read_only(tmp_path):
        for args in (["rate"], ["answer", "HF0001", "2.2.1.a", "no", "--reason", "test"], ["backup"]):
            one_sentence(run_hmip(*args, db=report_db), f"its folder {tmp_path} is read-only")
    with read_only(out):
        result = run_hmip("export", "csv", "--out", str(out / "a.csv"), db=report_db)
        one_sentence(result, f"its folder {out} is read-only", "nothing was written")
    assert db_content(report_db) == before


def test_a_read_only_database_file_is_read_but_not_written(report_db):
    before = db_content(report_db)
    with read_only(report_db):
        assert run_hmip("rate", "--json", db=report_db).returncode == 0
        result = run_hmip("answer", "HF0001", "2.2.1.a", "no", "--reason", "test", db=report_db)
        one_sentence(result, f"{report_db}: the file is read-only, so hmip cannot write to it")
    assert db_content(report_db) == before


HOLD = {  # another program holding the database's lock, as a person at a sqlite3 prompt might
    "python": [sys.executable, "-c",
               "import sqlite3, sys\n"
               "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
               "for s in sys.stdin:\n"
               "    print(c.execute(s).fetchall(), flush=True)\n"],
    "sqlite3": [shutil.which("sqlite3") or "sqlite3"],
}


@pytest.mark.parametrize("program", sorted(HOLD))
@pytest.mark.parametrize(("statements", "command"), [
    # A write lock: hmip can still read, but not write.
    (["BEGIN EXCLUSIVE;"], ["answer", "HF0001", "2.2.1.a", "no", "--reason", "test"]),
    # An exclusive locking mode: hmip cannot even read.
    (["PRAGMA locking_mode=EXCLUSIVE;", "BEGIN EXCLUSIVE;"], ["rate"]),
])
def test_a_lock_held_by_another_program_is_said_as_busy(report_db, monkeypatch, program, statements,
                                                       command):
    if program == "sqlite3" and not shutil.which("sqlite3"):
        pytest.skip("the sqlite3 shell is not installed (.ci/run installs it)")
    monkeypatch.setenv("HMIP_BUSY_TIMEOUT", "1")
    before = db_content(report_db)
    holder = subprocess.Popen([*HOLD[program], str(report_db)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        for statement in [*statements, "SELECT count(*) FROM answer;"]:
            holder.stdin.write(statement + "\n")
        holder.stdin.flush()
        while not any(ch.isdigit() for ch in holder.stdout.readline()):
            pass  # the count came back: the lock is held
        one_sentence(run_hmip(*command, db=report_db), "the database is busy",
                     "has held its lock for over 1 s", "Close it, or wait for it to finish")
    finally:
        holder.kill()
        holder.wait()
    assert db_content(report_db) == before
