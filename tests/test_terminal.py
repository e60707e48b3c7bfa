"""The installed `hmip` in a real terminal (tmux): keys in, answers on disk, even after SIGKILL."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import time
import uuid

import pytest

from conftest import HMIP, run_hmip

TMUX = shutil.which("tmux")  # required: .ci/run installs it with apt-get where it is missing


class Terminal:
    def __init__(self, command: list[str], env: dict[str, str]):
        self.name = f"hmip-test-{uuid.uuid4().hex[:8]}"
        assert TMUX, "tmux is required for this test: apt-get install tmux"
        # A session takes its environment from its tmux server, and a server already running on
        # this machine (another test run, a person's own tmux) has another data folder: so each
        # terminal gets a server of its own, and the test's data folder is passed explicitly.
        env = {"XDG_DATA_HOME": os.environ["XDG_DATA_HOME"], **env}
        full = ["env", *(f"{k}={v}" for k, v in env.items()), *command]
        for _ in range(20):
            started = subprocess.run([*self.tmux, "new-session", "-d", "-s", self.name, "-x", "120", "-y", "40",
                                      " ".join(_quote(c) for c in full)], capture_output=True)
            if started.returncode == 0:
                return
            time.sleep(0.05)
        raise AssertionError(f"tmux would not start: {started.stderr.decode()}")

    @property
    def tmux(self) -> list[str]:
        return [TMUX, "-L", self.name]

    def screen(self) -> str:
        out = subprocess.run([*self.tmux, "capture-pane", "-p", "-t", self.name], capture_output=True, text=True)
        return out.stdout

    def wait_for(self, text: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.05)
        raise AssertionError(f"{text!r} never appeared on screen:\n{self.screen()}")

    def keys(self, *keys: str) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", self.name, *keys], check=True)

    def pid(self) -> int:
        out = subprocess.run([*self.tmux, "display-message", "-p", "-t", self.name, "#{pane_pid}"],
                             capture_output=True, text=True, check=True)
        return int(out.stdout.strip())

    def alive(self) -> bool:
        return subprocess.run([*self.tmux, "has-session", "-t", self.name], capture_output=True).returncode == 0

    def close(self) -> None:
        """Kill the terminal, as closing a laptop's lid does; the app must end with it, not run
        on headless holding its window lock (once seen after $EDITOR had the screen)."""
        try:
            pid = self.pid() if self.alive() else None
        except (subprocess.CalledProcessError, ValueError):  # the pane went as we asked (a killed app)
            pid = None
        subprocess.run([*self.tmux, "kill-server"], capture_output=True)
        if pid is None:
            return
        deadline = time.monotonic() + 15  # the app's own grace (GONE_GRACE_S) and a busy machine's
        while time.monotonic() < deadline and _running(pid):
            time.sleep(0.1)
        if _running(pid):
            os.kill(pid, signal.SIGKILL)
            raise AssertionError(f"the app (pid {pid}) outlived its terminal")


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


@pytest.fixture
def sampled_db(db, tmp_path):
    run_hmip("init", "--pdu", "Terminal PDU", db=db, check=True)
    sample = tmp_path / "sample.csv"
    sample.write_text("ref,inspector,sentence_type,sex,rosh,pre_sentence_report\n"
                      "T1,LF,licence,male,high,no\n")
    run_hmip("sample", "import", str(sample), db=db, check=True)
    return db


@pytest.fixture
def terminal(sampled_db):
    term = Terminal([HMIP, "--db", str(sampled_db)], {"HMIP_INSPECTOR": "LF", "TERM": "xterm-256color"})
    yield term
    term.close()


def held(db) -> dict[str, str]:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return dict(conn.execute("SELECT question, value FROM answer"))
    finally:
        conn.close()


def test_answers_given_in_a_real_terminal_are_in_the_database(terminal, sampled_db):
    terminal.wait_for("T1")
    terminal.keys("Enter")
    terminal.wait_for("2.2 Assessment")
    terminal.keys("y")
    terminal.wait_for("Saved 2.2.1.a = Yes")
    terminal.keys("n")
    terminal.wait_for("Saved 2.2.1.b = No")
    terminal.keys("a")
    terminal.wait_for("Saved 2.2.1.c = Not applicable")
    terminal.keys("Escape")
    terminal.wait_for("My cases")
    terminal.keys("q")
    deadline = time.monotonic() + 10
    while terminal.alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not terminal.alive(), "hmip did not quit on q"
    assert held(sampled_db) == {"2.2.1.a": "yes", "2.2.1.b": "no", "2.2.1.c": "na"}


def test_sigkill_mid_case_loses_no_answer_shown_as_saved(terminal, sampled_db):
    terminal.wait_for("T1")
    terminal.keys("Enter")
    terminal.wait_for("2.2 Assessment")
    shown = {}
    for key, value, label in (("y", "yes", "Yes"), ("n", "no", "No"), ("y", "yes", "Yes"), ("n", "no", "No")):
        question = f"2.2.1.{'abcd'[len(shown)]}"
        terminal.keys(key)
        terminal.wait_for(f"Saved {question} = {label}")
        shown[question] = value
    os.kill(terminal.pid(), signal.SIGKILL)  # the battery dies
    assert held(sampled_db) == shown


def row_text(screen: str, ref: str) -> str:
    return next((line for line in screen.splitlines() if f" {ref} " in f" {line} "), "")


def test_an_answer_given_in_another_terminal_shows_on_the_list_of_all_cases(tmp_path, db):
    """The app open on every case (`a`); `hmip answer` run meanwhile as another process; the case's
    row shows the new count within 4 seconds, with no key pressed."""
    run_hmip("init", "--pdu", "Terminal PDU", db=db, check=True)
    sample = tmp_path / "sample.csv"
    sample.write_text("ref,inspector,sentence_type,sex,rosh,pre_sentence_report\n"
                      "T1,LF,licence,male,high,no\n"
                      "T2,I2,licence,female,medium,no\n")
    run_hmip("sample", "import", str(sample), db=db, check=True)
    term = Terminal([HMIP, "--db", str(db)], {"HMIP_INSPECTOR": "LF", "TERM": "xterm-256color"})
    try:
        term.wait_for("My cases")
        term.keys("a")
        before = row_text(term.wait_for("All cases"), "T2")
        # (the Status column is cut to its first letters at 120 columns; the words' starts suffice)
        assert " 0/" in before and "not st" in before, before
        run_hmip("answer", "T2", "2.2.1.a", "yes", db=db, inspector="I2", check=True)
        written = time.monotonic()
        deadline = written + 4
        while time.monotonic() < deadline and " 1/" not in row_text(term.screen(), "T2"):
            time.sleep(0.05)
        after = row_text(term.screen(), "T2")
        assert " 1/" in after and "in pr" in after, term.screen()
        assert "All cases" in term.screen()
    finally:
        term.close()
