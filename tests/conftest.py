"""Shared fixtures: real SQLite files in tmp_path and the installed `hmip` command."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

# Signing keys and the default database live in the user data folder: the tests get their own,
# so a run never touches the keys of whoever runs it.
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="hmip-test-data-")
os.environ.pop("HMIP_KEYS", None)

from report_cases import report_bundle  # noqa: E402

HMIP = shutil.which("hmip")


def run_hmip(*args: str, db: Path | None = None, inspector: str = "LF", cwd: Path | None = None,
             check: bool = False, input: str | None = None) -> subprocess.CompletedProcess:
    """Run the installed `hmip` command, as a user would."""
    assert HMIP, "the hmip command is not installed: pip install -e '.[test]'"
    env = {**os.environ, "HMIP_INSPECTOR": inspector}
    env.pop("HMIP_DB", None)
    cmd = [HMIP] + (["--db", str(db)] if db else []) + list(args)
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=env, input=input,
                            timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"hmip {' '.join(args)} failed: {result.stderr}")
    return result


def one_sentence(result, *needles):
    """A refusal as every command gives one: exit 1, one line on stderr, no traceback."""
    assert result.returncode == 1, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def db_content(path: Path) -> list[str]:
    """Every row of every table, as SQL text: equal lists mean the same content."""
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "inspection.sqlite"


@pytest.fixture
def report_bundle_file(tmp_path) -> Path:
    from hmip_tui.exchange.bundle_v1 import bundle_bytes

    path = tmp_path / "hfkcw.hmip.json"
    path.write_bytes(bundle_bytes(report_bundle(), "LF"))
    return path


@pytest.fixture
def report_db(db, report_bundle_file) -> Path:
    """The report's 41 cases, from an unsigned (version 1) bundle; LF founds the team."""
    run_hmip("bundle", "import", str(report_bundle_file), db=db, check=True)
    run_hmip("team", "add", "LF", "--role", "lead", db=db, check=True)
    return db


@pytest.fixture
def demo_db(db) -> Path:
    run_hmip("demo", db=db, check=True)
    return db


# --- one case, and the app on it (the case walk's tests) --------------------------------------

LICENCE = {"sentence_type": "licence", "sex": "female", "rosh": "high", "pre_sentence_report": "no"}


@pytest.fixture
def one_case_db(db):
    """An inspection led by LF with one case, C1, LF's, on licence."""
    from hmip_tui import store
    from hmip_tui.framework import load_framework
    from hmip_tui.services import open_database

    framework = load_framework()
    conn = open_database(db)
    with store.transaction(conn):
        store.create_inspection(conn, pdu="Test PDU", framework=framework, lead="LF")
    store.add_case(conn, framework, "C1", "LF", LICENCE, "LF")
    conn.close()
    return db


def app_on(path, inspector="LF"):
    """The real app on a real file, for Pilot."""
    from hmip_tui.services import open_database
    from hmip_tui.tui.app import HmipApp

    return HmipApp(open_database(path), path, inspector)
