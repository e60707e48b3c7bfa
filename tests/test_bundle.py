"""Bundles: a faithful round trip, idempotent re-import, and no silent overwrite."""

from __future__ import annotations

import json
import stat

import jsonschema

from conftest import db_content, run_hmip
from hmip_tui.framework import schema_dir


def _rate(db):
    page = json.loads(run_hmip("rate", "--json", db=db, check=True).stdout)
    return page


def test_round_trip_reproduces_the_ratings(demo_db, tmp_path):
    out = tmp_path / "demo.hmip.json"
    run_hmip("bundle", "export", "--out", str(out), db=demo_db, check=True)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    other = tmp_path / "other.sqlite"
    result = run_hmip("bundle", "import", str(out), db=other, check=True)
    assert "inspection created" in result.stdout
    assert _rate(other) == _rate(demo_db)


def test_exported_bundle_matches_its_published_schema(demo_db, tmp_path):
    out = tmp_path / "demo.hmip.json"
    run_hmip("bundle", "export", "--out", str(out), db=demo_db, check=True)
    schema = json.loads((schema_dir() / "bundle.schema.json").read_text())
    jsonschema.validate(json.loads(out.read_text()), schema)


def test_importing_the_same_bundle_twice_changes_nothing(report_db, report_bundle_file):
    before = db_content(report_db)
    result = run_hmip("bundle", "import", str(report_bundle_file), db=report_db, check=True)
    assert "0 history entries added" in result.stdout
    assert db_content(report_db) == before


def test_a_differing_answer_is_never_overwritten_but_kept_as_a_conflict(report_db, report_bundle_file, tmp_path):
    from hmip_tui.exchange.bundle_v1 import bundle_bytes

    data = json.loads(report_bundle_file.read_text())
    case = data["cases"][0]
    held = case["answers"]["2.2.1"]["value"]
    case["answers"]["2.2.1"]["value"] = "no" if held == "yes" else "yes"
    case["answers"]["2.2.1"]["at"] = "2022-08-06T09:00:00.000+00:00"  # given after the held one
    changed = tmp_path / "changed.hmip.json"
    changed.write_bytes(bundle_bytes(data, "I2"))
    result = run_hmip("bundle", "import", str(changed), db=report_db, check=True)
    assert "1 conflict to settle" in result.stdout
    page = json.loads(run_hmip("rate", "--json", db=report_db, check=True).stdout)
    assert page["moderation"]["open_conflicts"] == 1
    import sqlite3

    conn = sqlite3.connect(report_db)
    assert conn.execute("SELECT value FROM answer a JOIN case_file c ON c.id = a.case_id "
                        "WHERE c.ref = 'HF0001' AND question = '2.2.1'").fetchone()[0] == held
    before = db_content(report_db)
    run_hmip("bundle", "import", str(changed), db=report_db, check=True)  # again: nothing changes
    assert db_content(report_db) == before


def test_new_answers_to_held_cases_are_merged(report_db, report_bundle_file, tmp_path):
    from hmip_tui.exchange.bundle_v1 import bundle_bytes

    data = json.loads(report_bundle_file.read_text())
    data["cases"][0]["answers"]["2.2.1.a"] = {"value": "yes", "by": "I2"}
    extra = tmp_path / "extra.hmip.json"
    extra.write_bytes(bundle_bytes(data, "I2"))
    before = next(p for p in _rate(report_db)["prompts"] if p["id"] == "2.2.1.a")
    result = run_hmip("bundle", "import", str(extra), db=report_db, check=True)
    assert "1 history entry added" in result.stdout and "cases new" not in result.stdout
    after = next(p for p in _rate(report_db)["prompts"] if p["id"] == "2.2.1.a")
    assert (after["yes"], after["relevant"]) == (before["yes"] + 1, before["relevant"] + 1)


def test_default_exports_of_the_default_database_go_to_exports_in_the_working_folder(tmp_path, monkeypatch):
    """The default database is hidden in the user data folder: its exports come to exports/ in
    the working folder, named without doubled hyphens, and each command prints the full path."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    work = tmp_path / "work"
    work.mkdir()
    run_hmip("demo", cwd=work, check=True)  # the demo's PDU is "Demo PDU (synthetic cases)"
    for command, pattern in ((("export", "workbook"), "*.xlsx"), (("export", "csv"), "*-answers.csv"),
                             (("bundle", "export"), "*.hmip.json")):
        result = run_hmip(*command, cwd=work, check=True)
        [written] = (work / "exports").glob(pattern)
        assert "--" not in written.name, written.name
        assert written.name.startswith("demo-pdu-synthetic-cases-")
        assert str(written.resolve()) in result.stdout, result.stdout
    assert not list((tmp_path / "data").rglob("*.xlsx"))


def test_another_inspections_bundle_is_refused(report_db, tmp_path):
    demo_db = tmp_path / "demo.sqlite"
    run_hmip("demo", db=demo_db, check=True)
    out = tmp_path / "demo.hmip.json"
    run_hmip("bundle", "export", "--out", str(out), db=demo_db, check=True)
    before = db_content(report_db)
    result = run_hmip("bundle", "import", str(out), db=report_db)
    assert result.returncode == 1 and "belongs to another inspection" in result.stderr
    assert db_content(report_db) == before


def test_default_export_lands_beside_a_database_named_with_db(report_db, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_hmip("bundle", "export", db=report_db, cwd=elsewhere, check=True)
    files = list(report_db.parent.glob("hammersmith-*-LF.hmip.json"))
    assert len(files) == 1 and "41 cases" in result.stdout and str(files[0].resolve()) in result.stdout
    assert not (elsewhere / "exports").exists()
