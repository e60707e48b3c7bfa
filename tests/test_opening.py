"""Opening a database: reads never create one, and no path that cannot be one is taken."""

from __future__ import annotations

import os

import pytest

from conftest import run_hmip

# Every command that reads or changes an inspection, with arguments it would accept.
NEEDS_A_DATABASE = {
    "rate": ["rate"],
    "export csv": ["export", "csv", "--out", "OUT/a.csv"],
    "export workbook": ["export", "workbook", "--out", "OUT/a.xlsx"],
    "bundle export": ["bundle", "export", "--out", "OUT/a.hmip.json"],
    "audit": ["audit"],
    "moderation status": ["moderation", "status"],
    "moderation pick": ["moderation", "pick", "--readers", "I2"],
    "backup": ["backup"],
    "answer": ["answer", "HF0001", "2.2.1", "yes"],
    "judge": ["judge", "1.1", "good", "--evidence", "x"],
    "sample import": ["sample", "import", "SAMPLE"],
    "case grant": ["case", "grant", "HF0001", "I2"],
}


def _args(args, tmp_path):
    sample = tmp_path / "sample.csv"
    sample.write_text("ref,sentence_type,sex,rosh,pre_sentence_report\nN1,licence,male,low,no\n")
    return [str(sample) if a == "SAMPLE" else a.replace("OUT", str(tmp_path / "out")) for a in args]


def everything_under(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize("command", sorted(NEEDS_A_DATABASE))
@pytest.mark.parametrize("where", ["here", "in a folder not there"])
def test_a_command_that_needs_a_database_never_creates_one(tmp_path, command, where):
    db = tmp_path / "missing.sqlite" if where == "here" else tmp_path / "new" / "deeper" / "missing.sqlite"
    args = _args(NEEDS_A_DATABASE[command], tmp_path)
    before = everything_under(tmp_path)
    result = run_hmip(*args, db=db)
    assert result.returncode == 1
    assert result.stderr.strip() == (f"Error: {db}: no such database file; nothing was created "
                                     "(hmip init or hmip demo makes a new one)")
    assert everything_under(tmp_path) == before


def test_the_commands_that_create_a_database_still_do(tmp_path, report_bundle_file):
    assert run_hmip("init", "--pdu", "X", db=tmp_path / "a" / "init.sqlite").returncode == 0
    assert run_hmip("demo", "--cases", "3", db=tmp_path / "demo.sqlite").returncode == 0
    assert run_hmip("bundle", "import", str(report_bundle_file), db=tmp_path / "b.sqlite").returncode == 0
    for name in ("a/init.sqlite", "demo.sqlite", "b.sqlite"):
        assert run_hmip("rate", "--json", db=tmp_path / name).returncode == 0


@pytest.mark.parametrize("where", ["here", "in a folder not there"])
def test_a_refused_import_into_a_missing_database_leaves_nothing_behind(report_db, tmp_path, where,
                                                                       monkeypatch):
    sealed = tmp_path / "sealed.hmip.json.sealed"
    monkeypatch.setenv("HMIP_BUNDLE_PASSPHRASE", "correct horse battery staple")
    run_hmip("bundle", "export", "--encrypt", "--out", str(sealed), db=report_db, check=True)
    target = tmp_path / "fresh"
    target.mkdir()
    db = target / "team.sqlite" if where == "here" else target / "new" / "team.sqlite"
    monkeypatch.setenv("HMIP_BUNDLE_PASSPHRASE", "the wrong passphrase")
    result = run_hmip("bundle", "import", str(sealed), db=db)
    assert result.returncode == 1 and "wrong passphrase" in result.stderr
    assert list(target.iterdir()) == []
    truncated = tmp_path / "cut.hmip.json"
    truncated.write_bytes(b'{"format": "hmip-bundle/1", "cases": [')
    result = run_hmip("bundle", "import", str(truncated), db=db)
    assert result.returncode == 1 and list(target.iterdir()) == []


@pytest.mark.parametrize(("db", "message"), [
    ("", "--db is empty: name the inspection database file"),
    ("/dev/null", "/dev/null: is not a regular file"),
    (".", ".: is a folder; name the database file in it"),
    ("dangling.sqlite", "is a link to a file that is not there"),
])
@pytest.mark.parametrize("command", [["rate"], ["init", "--pdu", "X"], []])
def test_a_db_that_cannot_be_a_database_file_is_one_sentence(tmp_path, db, message, command):
    (tmp_path / "dangling.sqlite").symlink_to(tmp_path / "nowhere" / "x.sqlite")
    before = everything_under(tmp_path)
    null = os.stat("/dev/null")
    result = run_hmip("--db", db, *command, cwd=tmp_path, input="")
    assert result.returncode == 1 and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert everything_under(tmp_path) == before
    assert os.stat("/dev/null").st_rdev == null.st_rdev  # still the device, not a database


def test_hmip_db_from_the_environment_is_held_to_the_same_rules(tmp_path):
    import subprocess

    from conftest import HMIP

    env = {**os.environ, "HMIP_DB": "/dev/null", "HMIP_INSPECTOR": "LF"}
    result = subprocess.run([HMIP, "rate"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 1 and "/dev/null: is not a regular file" in result.stderr


def test_hmip_db_that_is_not_utf8_is_one_sentence(tmp_path):
    import subprocess

    from conftest import HMIP

    env = {**os.environb, b"HMIP_DB": bytes(tmp_path) + b"/caf\xe9.sqlite", b"HMIP_INSPECTOR": b"LF"}
    result = subprocess.run([HMIP, "rate"], capture_output=True, env=env, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stderr.decode().startswith("Error: HMIP_DB: not valid UTF-8 text: byte 0xe9")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix", ["-wal", "-shm", "-journal"])
def test_a_database_is_never_made_under_a_journals_name(tmp_path, suffix):
    real = tmp_path / "x.sqlite"
    run_hmip("demo", "--cases", "3", db=real, check=True)
    journal = tmp_path / f"x.sqlite{suffix}"
    result = run_hmip("demo", db=journal)
    assert result.returncode == 1 and "journal file" in result.stderr and not journal.exists()
    assert run_hmip("rate", db=real).returncode == 0


def test_a_read_command_never_writes_into_an_empty_file(tmp_path):
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    result = run_hmip("rate", db=empty)
    assert result.returncode == 1 and "empty file" in result.stderr and empty.read_bytes() == b""
