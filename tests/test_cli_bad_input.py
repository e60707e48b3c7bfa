"""Bad input through the installed command: one clear sentence, exit 1, database unchanged."""

from __future__ import annotations

import json

import pytest

from conftest import db_content, run_hmip

HEADER = "ref,inspector,sentence_type,sex,rosh,pre_sentence_report\n"
GOOD_ROW = "C1,LF,community_order,male,high,yes\n"


@pytest.fixture
def inspection_db(db):
    run_hmip("init", "--pdu", "Test PDU", "--fieldwork-start", "2022-08-01", db=db, check=True)
    return db


def _refused(db, args, message, tmp_path=None):
    before = db_content(db)
    result = run_hmip(*args, db=db)
    assert result.returncode == 1, result.stdout
    assert message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert db_content(db) == before
    return result.stderr


def test_a_good_sample_imports(inspection_db, tmp_path):
    f = tmp_path / "sample.csv"
    f.write_text(HEADER + GOOD_ROW + "C2,I2,licence,female,medium,no\n")
    assert run_hmip("sample", "import", str(f), db=inspection_db, check=True).stdout.startswith("Added 2 cases")


@pytest.mark.parametrize(("content", "message"), [
    (b"", "sample.csv: empty; expected a header row"),
    (HEADER.encode(), "sample.csv: has a header but no cases"),
    ((HEADER + GOOD_ROW + "C2,LF,licence,male\n").encode(), "sample.csv: line 3: has 4 fields; the header has 6"),
    ((HEADER + GOOD_ROW + "C1,LF,licence,male,low,no\n").encode(), "sample.csv: line 3: case C1 is given twice (first on line 2)"),
    ((HEADER + "C1,LF,prison,male,high,yes\n").encode(), "line 2: case C1: field 'sentence_type' has 'prison'"),
    ((HEADER + "C1,LF,licence,male,,yes\n").encode(), "line 2: case C1: field 'rosh' (Risk of serious harm) is required"),
    (b"ref,shoe_size\nC1,9\n", "column 'shoe_size' is not a profile field"),
    (b"ref,surname,sex\nC1,Smith,male\n", "column 'surname' would store personal details"),
    (b"sex,rosh\nmale,low\n", "no case reference column"),
    ("ref,sex\nC1,m\xe4le\n".encode("latin-1"), "sample.csv: line 2: not UTF-8 text (byte 13 is 0xe4)"),
    ((HEADER + 'C1,LF,"licence,male,high,yes\n').encode(), "not valid CSV"),
    ((HEADER + "Mr Smith,LF,licence,male,high,yes\n").encode(), "line 2: case reference 'Mr Smith' is not valid"),
])
def test_a_bad_sample_is_refused_whole(inspection_db, tmp_path, content, message):
    f = tmp_path / "sample.csv"
    f.write_bytes(content)
    _refused(inspection_db, ["sample", "import", str(f)], message)


def test_a_case_already_held_is_refused(inspection_db, tmp_path):
    f = tmp_path / "sample.csv"
    f.write_text(HEADER + GOOD_ROW)
    run_hmip("sample", "import", str(f), db=inspection_db, check=True)
    g = tmp_path / "more.csv"
    g.write_text(HEADER + "C9,LF,licence,male,low,no\n" + GOOD_ROW)
    _refused(inspection_db, ["sample", "import", str(g)], "more.csv: line 3: case C1 is already in this inspection")


def test_personal_columns_can_be_dropped_on_import(inspection_db, tmp_path):
    f = tmp_path / "sample.csv"
    f.write_text("ref,forename,surname,date_of_birth,sex,sentence_type,rosh,pre_sentence_report\n"
                 "C1,Ann,Smith,1980-01-01,female,licence,low,no\n")
    run_hmip("sample", "import", str(f), "--drop-personal-columns", db=inspection_db, check=True)
    dump = "\n".join(db_content(inspection_db))
    assert "Smith" not in dump and "Ann" not in dump and "1980" not in dump


def test_bad_answers_are_refused(report_db):
    _refused(report_db, ["answer", "HF0001", "2.2.9", "yes"], "unknown question '2.2.9'")
    _refused(report_db, ["answer", "HF0001", "2.2.1", "perhaps"], "'perhaps' is not an answer to 2.2.1")
    _refused(report_db, ["answer", "NOPE", "2.2.1", "yes"], "no case 'NOPE' in this inspection")
    _refused(report_db, ["judge", "1.1", "superb", "--evidence", "x"], "unknown rating 'superb'")


def test_commands_before_init_say_what_to_do(db):
    from hmip_tui import store

    store.connect(db).close()  # a database file, with no inspection in it yet
    result = run_hmip("rate", db=db)
    assert result.returncode == 1 and "holds no inspection yet: run `hmip init` or `hmip demo` first" in result.stderr


@pytest.mark.parametrize(("mangle", "message"), [
    (lambda t: t[: len(t) // 2], "the file is cut short (its JSON stops unfinished at line"),
    (lambda t: t.replace('"2.2.1":', '"2.2.9":', 1), "answers.2.2.9: unknown question"),
    (lambda t: t.replace('"value": "no"', '"value": "nah"', 1), "is not an answer (use one of: no, yes)"),
    (lambda t: t.replace('"hmip-bundle/1"', '"hmip-bundle/9"'), "written in format hmip-bundle/9, which this hmip"),
    (lambda t: t.replace('"ref": "HF0002"', '"ref": "HF0001"'), "this case reference is given twice"),
    (lambda t: t.replace('"version": "2022.1"', '"version": "1999.1"'), "no framework hmip-adult-pdu 1999.1"),
])
def test_a_bad_bundle_is_refused_whole(report_db, report_bundle_file, tmp_path, mangle, message):
    from hmip_tui.exchange.bundle_v1 import bundle_bytes

    text = mangle(report_bundle_file.read_text())
    try:  # re-stamped, as a faulty exporter would, so the checks behind the checksum are reached
        text = bundle_bytes(json.loads(text), "I2").decode("utf-8")
    except (ValueError, KeyError, TypeError):
        pass
    bad = tmp_path / "bad.hmip.json"
    bad.write_text(text)
    _refused(report_db, ["bundle", "import", str(bad)], message)


def test_a_tampered_bundle_fails_its_checksum(report_db, report_bundle_file, tmp_path):
    text = report_bundle_file.read_text()
    at = text.index('"value": "yes"') + len('"value": "y')
    bad = tmp_path / "tampered.hmip.json"
    bad.write_text(text[:at] + "u" + text[at + 1:])  # one byte: "yes" becomes "yus"
    _refused(report_db, ["bundle", "import", str(bad)], "the checksum does not match the content")
    unstamped = json.loads(text)
    del unstamped["manifest"]
    bad.write_text(json.dumps(unstamped))
    _refused(report_db, ["bundle", "import", str(bad)], "manifest: missing")


def test_a_truncated_bundle_says_so(db, report_bundle_file, tmp_path):
    text = report_bundle_file.read_text()
    bad = tmp_path / "cut.hmip.json"
    bad.write_text(text[:-40])
    run_hmip("init", "--pdu", "X", db=db, check=True)
    _refused(db, ["bundle", "import", str(bad)], "cut.hmip.json: the file is cut short (its JSON stops unfinished at line")


def test_init_twice_is_refused(inspection_db):
    _refused(inspection_db, ["init", "--pdu", "Other"], "already holds the inspection of Test PDU")
    result = run_hmip("init", "--pdu", "X", "--fieldwork-start", "1 Aug", db=inspection_db.with_name("new.sqlite"))
    assert result.returncode == 1 and "--fieldwork-start: '1 Aug' is not a date" in result.stderr


def test_a_reader_that_stops_reading_is_not_called_a_damaged_database(demo_db):
    """`hmip audit | head`: the reader goes away; hmip says nothing of the database and exits 0."""
    import os
    import subprocess

    from conftest import HMIP

    proc = subprocess.Popen([HMIP, "--db", str(demo_db), "audit"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "HMIP_INSPECTOR": "LEAD"})
    proc.stdout.read(200)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0, err
    assert "Broken pipe" not in err and "cannot use it" not in err
