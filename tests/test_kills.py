"""SIGKILL in the middle of a backup or a workbook export: nothing half-written under a final
name, nothing lost, and what the killed run left behind is gone after the next one."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import time

import openpyxl
import pytest

from conftest import HMIP, db_content, run_hmip

from hmip_tui.exchange.files import SCRATCH_SUFFIX
from hmip_tui.store.backups import backups_dir, backups_of

KILLS = 8


@pytest.fixture
def big_db(db):
    run_hmip("demo", "--cases", "1500", db=db, check=True)  # about 8 MB: a backup takes a while
    run_hmip("backup", db=db, check=True)
    return db


def _start(*args, db, cwd=None) -> subprocess.Popen:
    env = {**os.environ, "HMIP_INSPECTOR": "LEAD"}
    return subprocess.Popen([HMIP, "--db", str(db), *args], env=env, cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _kill_once_it_writes(process: subprocess.Popen, writing, rng: random.Random, within: float) -> bool:
    """SIGKILL `process` a random moment after `writing()` first holds; False if it finished first."""
    deadline = time.monotonic() + 60
    while not writing():
        if process.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.002)
    time.sleep(rng.random() * within)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return process.returncode == -signal.SIGKILL


def _sound(path) -> bool:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


def test_a_killed_backup_leaves_no_partial_file_under_a_backups_name(big_db):
    rng = random.Random(10)
    folder = backups_dir(big_db)
    before = db_content(big_db)
    killed, checked = 0, set()
    for _ in range(KILLS):
        process = _start("backup", db=big_db)
        killed += _kill_once_it_writes(
            process, lambda: any(p.name.endswith(".part") for p in folder.iterdir()), rng, 0.4)
        for backup in set(backups_of(big_db)) - checked:  # every file under a backup's name is whole
            assert _sound(backup), backup
            assert db_content(backup) == before, backup
            checked.add(backup)
    assert killed >= KILLS // 2, "the backups finished before they could be killed: use a bigger database"
    assert db_content(big_db) == before
    result = run_hmip("backup", db=big_db, inspector="LEAD", check=True)
    assert "Backed up" in result.stdout
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []  # leftovers gone
    assert not [p for p in folder.iterdir() if p.name.endswith(("-wal", "-shm", "-journal"))]


def test_a_killed_workbook_export_leaves_nothing_under_its_name(tmp_path):
    db = tmp_path / "inspection.sqlite"
    run_hmip("demo", "--cases", "300", db=db, check=True)
    rng = random.Random(4)
    exports = tmp_path / "exports"
    out = exports / "annex.xlsx"
    killed = 0
    for _ in range(KILLS // 2):
        process = _start("export", "workbook", "--out", str(out), db=db)
        killed += _kill_once_it_writes(
            process, lambda: exports.is_dir() and any(p.name.endswith(SCRATCH_SUFFIX)
                                                      for p in exports.iterdir()), rng, 1.5)
        assert not out.exists(), "a killed export left a file under the final name"
    assert killed >= 1
    assert [p for p in exports.iterdir() if p.name.endswith(SCRATCH_SUFFIX)], \
        "the killed exports should have left their scratch folders for the next run to remove"
    run_hmip("export", "workbook", "--out", str(out), db=db, inspector="LEAD", check=True)
    assert sorted(p.name for p in exports.iterdir()) == ["annex.xlsx"]
    assert openpyxl.load_workbook(out, read_only=True).sheetnames[0] == "About"
