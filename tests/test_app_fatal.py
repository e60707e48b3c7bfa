"""The app stopped by a full disk, in a real terminal: one sentence, nothing personal, exit 1."""

from __future__ import annotations

import sqlite3
import subprocess
import time

from conftest import HMIP, run_hmip
from mounts import fill, small_filesystem
from test_terminal import Terminal

NOTE = "PRIVATE-EVIDENCE: the person on probation disclosed a relapse at the home visit"


def test_a_full_disk_stops_the_app_with_one_sentence_and_no_evidence_on_screen(tmp_path):
    with small_filesystem(tmp_path / "small", "4m") as folder:
        db = folder / "inspection.sqlite"
        run_hmip("init", "--pdu", "Terminal PDU", db=db, check=True)
        sample = tmp_path / "sample.csv"
        sample.write_text("ref,inspector,sentence_type,sex,rosh,pre_sentence_report\n"
                          "T1,LF,licence,male,high,no\n")
        run_hmip("sample", "import", str(sample), db=db, check=True)
        run_hmip("backup", db=db, check=True)  # today's backup is made: opening writes none
        term = Terminal(["sh", "-c", f"'{HMIP}' --db '{db}'; echo \"exit status $?\"; sleep 60"],
                        {"HMIP_INSPECTOR": "LF", "TERM": "xterm-256color"})
        try:
            term.wait_for("T1")
            term.keys("Enter")
            term.wait_for("2.2 Assessment")
            term.keys("y")
            term.wait_for("Saved 2.2.1.a = Yes")
            filler = fill(folder)  # the disk fills up while the inspector works
            term.keys("k")
            term.keys("e")
            term.wait_for("ctrl+s saves")  # the evidence note's editor
            time.sleep(0.5)  # read before typing: a burst begun as it opened is kept out of the note
            subprocess.run([*term.tmux, "send-keys", "-t", term.name, "-l", NOTE], check=True)
            term.keys("C-s")
            screen = term.wait_for("exit status", timeout=30)
            time.sleep(0.2)
            everything = subprocess.run([*term.tmux, "capture-pane", "-p", "-S", "-", "-t", term.name],
                                        capture_output=True, text=True).stdout
        finally:
            term.close()
        assert "exit status 1" in screen
        # All the terminal shows once the app has gone: one sentence (wrapped at 120 columns).
        printed = " ".join(line.strip() for line in everything.splitlines()
                           if line.strip() and "exit status" not in line)
        assert printed.startswith("Error: hmip stopped: ") and printed.count("Error:") == 1, everything
        assert "the disk is full" in printed and "every answer shown as saved is in the database" in printed
        assert "PRIVATE-EVIDENCE" not in everything and "relapse" not in everything
        assert "Traceback" not in everything and "locals" not in everything
        filler.unlink()
        conn = sqlite3.connect(db)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT question, value, note FROM answer").fetchall() == [("2.2.1.a", "yes", None)]
        conn.close()


def test_an_unexpected_error_is_said_without_its_message(tmp_path):
    """A bug's own message can quote a note too: only its type and place are said."""
    from hmip_tui.tui import fatal_sentence

    try:
        {"note": NOTE}["missing " + NOTE]
    except KeyError as exc:
        sentence = fatal_sentence(exc, tmp_path / "x.sqlite")
    assert sentence.startswith("hmip stopped on an unexpected error (KeyError")
    assert "PRIVATE" not in sentence
