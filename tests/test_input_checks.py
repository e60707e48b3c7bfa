"""Every argument and every field of a file checked before use; nothing from outside reaches the
terminal with the power to act on it."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest
from click.testing import CliRunner

from conftest import HMIP, db_content, run_hmip
from report_cases import report_bundle

from hmip_tui.cli import cli
from hmip_tui.exchange.bundle_v1 import bundle_bytes

ESC = "\x1b"


def refused(db, *args, message, inspector="LF"):
    before = db_content(db) if db and db.exists() else None
    result = run_hmip(*args, db=db, inspector=inspector)
    assert result.returncode == 1, result.stdout
    assert message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    if before is not None:
        assert db_content(db) == before
    return result.stderr


# --- the command line ------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "message"), [
    (["moderation", "pick", "--readers", "I2", "--share", "nan"], "--share: 'nan' is not a finite number"),
    (["moderation", "pick", "--readers", "I2", "--share", "inf"], "--share: 'inf' is not a finite number"),
    (["moderation", "pick", "--readers", "I2", "--share", "5"], "--share: '5' is out of range (from 0 to 1)"),
    (["moderation", "pick", "--readers", "I2", "--share", "-1"], "--share: '-1' is out of range"),
    (["moderation", "pick", "--readers", "I2", "--seed", "-1"], "--seed: '-1' is out of range"),
    (["moderation", "pick", "--readers", "I2", "--seed", "9" * 30], "--seed: '999"),
    (["moderation", "pick", "--readers", "I2,bad code"], "--readers: 'bad code' is not an inspector code"),
    (["moderation", "pick", "--readers", ","], "--readers: name at least one inspector code"),
    (["moderation", "settle", "99999999999999999999999", "yes", "--reason", "x"],
     "no conflict 99999999999999999999999"),
    (["moderation", "settle", "#" + "9" * 5000, "yes", "--reason", "x"], "no conflict 9999"),
    (["moderation", "settle", "\u00b2", "yes", "--reason", "x"], "give a conflict number and a value"),
    (["moderation", "assign", "HF0001", "I 2"], "'I 2' is not an inspector code"),
    (["case", "grant", "HF0001", "x y"], "'x y' is not an inspector code"),
    (["demo", "--cases", "0"], "--cases: '0' is out of range (from 1 to 100000)"),
    (["demo", "--cases", "1e9"], "--cases: '1e9' is not a whole number"),
    (["init", "--pdu", "X", "--fieldwork-start", "20220801"], "'20220801' is not a date (YYYY-MM-DD)"),
    (["init", "--pdu", "X", "--fieldwork-start", "2022-02-30"], "'2022-02-30' is not a date"),
    (["sample", "import", "/dev/zero"], "/dev/zero: is not a regular file"),
    (["bundle", "import", "/dev/zero"], "/dev/zero: is not a regular file"),
    (["restore", "/dev/zero", "--yes"], "/dev/zero: is not a regular file"),
    (["bundle", "import", "/"], "/: is a folder"),
    (["sample", "import", "nowhere.csv"], "nowhere.csv: no such file"),
])
def test_a_bad_argument_is_one_sentence_and_changes_nothing(report_db, args, message):
    started = time.monotonic()
    refused(report_db, *args, message=message)
    assert time.monotonic() - started < 10  # /dev/zero is never read


@pytest.mark.parametrize("code", ["bad code", "", "-LF", "L" * 33, "LF\x1b[31m", "Ĺ"])
def test_who_is_recording_must_be_an_inspector_code(report_db, code):
    message = refused(report_db, "--as", code, "answer", "HF0001", "2.2.1.a", "no", "--reason", "x",
                      message="--as: ")
    assert "is not an inspector code" in message and ESC not in message
    message = refused(report_db, "answer", "HF0001", "2.2.1.a", "no", "--reason", "x", inspector=code or " ",
                      message="HMIP_INSPECTOR: ")
    assert ESC not in message


def test_a_login_name_becomes_a_code():
    from hmip_tui.checks import INSPECTOR_CODE, normalise_code

    assert normalise_code("lfield") == "LFIELD"
    assert normalise_code("jo smith@corp.example") == "JO-SMITH-CORP.EXAMPLE"
    assert normalise_code("_svc") == "SVC"
    assert normalise_code("łukasz") == "UKASZ" or INSPECTOR_CODE.fullmatch(normalise_code("łukasz"))
    assert normalise_code("!!!") == "INSPECTOR"
    assert INSPECTOR_CODE.fullmatch(normalise_code("x" * 80))


def test_arguments_that_are_not_utf8_are_refused_by_name(report_db):
    before = db_content(report_db)
    env = {**os.environ, "HMIP_INSPECTOR": "LF"}
    base = [HMIP.encode(), b"--db", bytes(report_db)]
    for args, name in (([b"--as", b"L\xffF", b"rate"], "the value of --as"),
                       ([b"answer", b"HF0001", b"2.2.1.a", b"no", b"--reason", b"x", b"--note", b"caf\xe9"],
                        "the value of --note"),
                       ([b"answer", b"HF0001", b"2.2.1.a", b"no", b"--reason=\xed\xa0\x80"], "the value of --reason")):
        result = subprocess.run(base + args, capture_output=True, env=env)
        stderr = result.stderr.decode("utf-8")  # the sentence itself is valid UTF-8
        assert result.returncode == 1 and name in stderr and "not valid UTF-8" in stderr, stderr
        assert len(stderr.strip().splitlines()) == 1
    assert db_content(report_db) == before


def test_a_lone_surrogate_in_a_note_is_refused(report_db):
    before = db_content(report_db)
    result = CliRunner().invoke(cli, ["--db", str(report_db), "--as", "LF", "answer", "HF0001", "2.2.1.a",
                                      "no", "--reason", "x", "--note", "a \ud800 b"])
    assert result.exit_code == 1 and "lone surrogate (U+D800)" in result.stderr, result.stderr
    assert isinstance(result.exception, SystemExit)
    assert db_content(report_db) == before


# --- files -----------------------------------------------------------------------------------


def test_a_sample_csv_inspector_must_be_a_code(report_db, tmp_path):
    sample = tmp_path / "sample.csv"
    sample.write_text("ref,inspector,sentence_type,sex,rosh,pre_sentence_report\n"
                      "N1,I2,licence,male,low,no\nN2,I 2,licence,male,low,no\n")
    refused(report_db, "sample", "import", str(sample),
            message="sample.csv: line 3: inspector: 'I 2' is not an inspector code")


def _bundle(tmp_path, mutate, name="bad.hmip.json", raw=None):
    path = tmp_path / name
    if raw is not None:
        path.write_bytes(raw)
        return path
    data = report_bundle()
    mutate(data)
    path.write_bytes(bundle_bytes(data, "LF"))
    return path


def _answer(data):
    return next(iter(data["cases"][0]["answers"].values()))


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d.update(created="yesterday"), "created: 'yesterday' is not a date and time"),
    (lambda d: d["inspection"].update(fieldwork_start="01/08/2022"),
     "inspection.fieldwork_start: '01/08/2022' is not a date (YYYY-MM-DD)"),
    (lambda d: _answer(d).update(at="2022-13-01T00:00:00"), "is not a date and time"),
    (lambda d: next(iter(d["judgements"].values())).update(at="soon"), ".at: 'soon' is not a date and time"),
    (lambda d: d["inspectors"].update({"bad code": "inspector"}), "inspectors: 'bad code' is not an inspector code"),
    (lambda d: d["cases"][0].update(inspector="I2\x1b]2;owned\x07"), "cases[0] (case HF0001).inspector: "),
    (lambda d: _answer(d).update(by="x y"), ".by: 'x y' is not an inspector code"),
])
def test_dates_and_codes_in_a_bundle_are_checked(report_db, tmp_path, mutate, message):
    message = refused(report_db, "bundle", "import", str(_bundle(tmp_path, mutate)), message=message)
    assert ESC not in message and "\x07" not in message


def test_a_manifest_naming_a_strange_inspector_is_refused_without_its_escapes(report_db, tmp_path):
    path = tmp_path / "manifest.hmip.json"
    path.write_bytes(bundle_bytes(report_bundle(), "LF\x1b]2;owned\x07\x1b[31m"))
    message = refused(report_db, "bundle", "import", str(path), message="manifest.inspector: ")
    assert ESC not in message and "\x07" not in message


@pytest.mark.parametrize(("raw", "message"), [
    pytest.param(b"[" * 200_000 + b"]" * 200_000, "nested more than 32 levels deep", id="200000-deep"),
    pytest.param(b'{"format": "hmip-bundle/1", "n": NaN}', "holds NaN, which is not a JSON number", id="NaN"),
    pytest.param(b'{"format": "hmip-bundle/1", "n": 1e400}', "holds 1e400, a number too large to hold",
                 id="1e400"),
    pytest.param(b'{"format": "hmip-bundle/1", "n": ' + b"7" * 5000 + b"}", "holds a number too long to read",
                 id="5000-digits"),
    pytest.param(b'{"format": "hmip-bundle/1", "note": "\\ud800"}', "a lone surrogate", id="surrogate"),
])
def test_a_bundle_no_hmip_would_write_is_one_sentence(report_db, tmp_path, raw, message):
    refused(report_db, "bundle", "import", str(_bundle(tmp_path, None, raw=raw)), message=message)


@pytest.fixture
def sealed(report_db, tmp_path, monkeypatch):
    monkeypatch.setenv("HMIP_BUNDLE_PASSPHRASE", "correct horse battery staple")
    path = tmp_path / "sealed.hmip.json.sealed"
    run_hmip("bundle", "export", "--encrypt", "--out", str(path), db=report_db, check=True)
    return path


@pytest.mark.parametrize(("kdf", "text", "message"), [
    # 26 s and 2 GB before "wrong passphrase", if obeyed
    ({"n": 2**20, "r": 16, "p": 4}, None, "a sealed bundle whose envelope is damaged"),
    ({"n": 2**14}, None, "a sealed bundle whose envelope is damaged"),  # cheaper guessing
    ({"n": 32768.0}, None, "a sealed bundle whose envelope is damaged"),
    ({"n": True}, None, "a sealed bundle whose envelope is damaged"),
    ({}, '"n": 1e400', "holds 1e400, a number too large to hold"),
])
def test_a_sealed_bundle_must_use_hmips_own_key_settings(report_db, sealed, kdf, text, message):
    envelope = json.loads(sealed.read_text())
    envelope["kdf"].update(kdf)
    raw = json.dumps(envelope)
    if text:
        raw = raw.replace('"n": 32768', text)
    sealed.write_text(raw)
    started = time.monotonic()
    refused(report_db, "bundle", "import", str(sealed), message=message)
    assert time.monotonic() - started < 5


# --- the terminal ----------------------------------------------------------------------------


def test_a_file_name_with_escape_sequences_is_printed_without_them(report_db, report_bundle_file, tmp_path):
    evil = tmp_path / "evil\x1b]2;owned\x07\x1b[31mred.hmip.json"
    evil.write_bytes(report_bundle_file.read_bytes())
    result = run_hmip("bundle", "import", str(evil), db=report_db, check=True)
    assert "Imported" in result.stdout and "evilred.hmip.json" in result.stdout
    assert ESC not in result.stdout and "\x07" not in result.stdout


def test_a_reason_with_newlines_and_escapes_prints_on_one_line_in_audit(report_db):
    reason = "checked again\n2022-08-05T17:00  LF  answer  HF0002  FORGED LINE\x1b[2J\x1b]2;owned\x07"
    run_hmip("answer", "HF0001", "2.2.1.a", "no", "--reason", reason, db=report_db, check=True)
    out = run_hmip("audit", "HF0001", db=report_db, check=True).stdout
    assert ESC not in out and "\x07" not in out
    lines = [line for line in out.splitlines() if "checked again" in line]
    assert len(lines) == 1 and "FORGED LINE" in lines[0]  # one entry, one line
    assert not any(line.startswith("2022-08-05T17:00  LF") for line in out.splitlines())


def test_a_conflicts_source_is_printed_without_escapes(report_db, tmp_path):
    data = report_bundle()
    answer = data["cases"][0]["answers"]["2.2.1"]
    answer["value"] = "no" if answer["value"] == "yes" else "yes"
    path = tmp_path / "from\x1b[31mI2\x1b]0;x\x07.hmip.json"
    path.write_bytes(bundle_bytes(data, "I2"))
    run_hmip("bundle", "import", str(path), db=report_db, check=True)
    imported = run_hmip("bundle", "import", str(path), db=report_db, check=True).stdout
    status = run_hmip("moderation", "status", db=report_db, check=True).stdout
    assert "Open conflicts: 1" in status and "fromI2.hmip.json" in imported
    assert ESC not in status + imported and "\x07" not in status + imported


def test_terminal_safe_removes_what_a_terminal_would_act_on():
    from hmip_tui.terminal_text import terminal_safe

    assert terminal_safe("plain text, é and 中文") == "plain text, é and 中文"
    assert terminal_safe("a\x1b]2;title\x07b\x1b[31mc\x1b[0m") == "abc"
    assert terminal_safe("one\r\ntwo\nthree\tfour") == "one two three four"
    assert terminal_safe("x\x9b31my\x7f\x00z") == "xyz"
    assert terminal_safe("right\u202eto left") == "rightto left"
    assert terminal_safe("lone \ud800") == "lone \ufffd"
