"""The data workbook, read back: every figure of `hmip rate --json` is in it, and the report's."""

from __future__ import annotations

import csv
import json
import os
import stat

import openpyxl
import pytest

from conftest import db_content, run_hmip
from report_cases import PROMPTS

SHEETS = ["About", "Ratings", "Key questions", "Prompts and items", "Breakdowns", "Comparisons",
          "Cases", "Answers", "Moderation", "Framework"]


def _export(db, tmp_path):
    out = tmp_path / "annex.xlsx"
    result = run_hmip("export", "workbook", "--out", str(out), db=db, check=True)
    assert str(out) in result.stdout
    return out, openpyxl.load_workbook(out, read_only=True)


def _rows(wb, sheet):
    return [list(r) for r in wb[sheet].iter_rows(values_only=True)]


def _check_against_rate(db, tmp_path):
    page = json.loads(run_hmip("rate", "--json", db=db, check=True).stdout)
    out, wb = _export(db, tmp_path)
    assert wb.sheetnames == SHEETS
    assert stat.S_IMODE(out.stat().st_mode) == 0o600

    kq_rows = {r[1]: r for r in _rows(wb, "Key questions")[1:] if r[1]}
    for s in page["standards"]:
        for k in s.get("key_questions", []):
            r = kq_rows[k["id"]]
            assert r[3:7] == [k["yes"], k["no"], k["na"], k["relevant"]], k["id"]
            if k["percent"] is None:
                assert r[7] is None
            else:
                assert round(r[7] * 100, 2) == k["percent"], k["id"]
    prompt_rows = {r[2]: r for r in _rows(wb, "Prompts and items")[1:]}
    for p in page["prompts"]:
        r = prompt_rows[p["id"]]
        assert r[5:9] == [p["yes"], p["no"], p["na"], p["relevant"]], p["id"]
        if p["percent"] is not None:
            assert round(r[9] * 100, 2) == p["percent"]
    ratings = {r[1].split()[0]: r for r in _rows(wb, "Ratings")[1:] if r[1] and r[1][0].isdigit()}
    for s in page["standards"]:
        if s["rated_by"] != "not_rated":
            label = ratings[s["id"]][2]
            assert label.lower().replace(" ", "_") == s["rating"], s["id"]
    text = [c for r in _rows(wb, "Ratings") for c in r if isinstance(c, str)]
    assert f"{page['score']} / {page['max_score']}" in text
    cases = _rows(wb, "Cases")
    assert len(cases) - 2 == page["cases"]["sampled"]
    answers = _rows(wb, "Answers")
    assert len(answers) - 1 == int(db_answer_count(db))
    return wb, page


def db_answer_count(db):
    import sqlite3

    return sqlite3.connect(db).execute("SELECT count(*) FROM answer").fetchone()[0]


def test_report_workbook_holds_every_figure_of_rate(report_db, tmp_path):
    wb, page = _check_against_rate(report_db, tmp_path)
    assert page["overall"] == "inadequate"


def test_demo_workbook_holds_every_figure_of_rate(demo_db, tmp_path):
    _check_against_rate(demo_db, tmp_path)


def test_the_reports_own_figures_are_in_prompts_and_items(report_db, tmp_path):
    _, wb = _export(report_db, tmp_path)
    rows = {r[2]: r for r in _rows(wb, "Prompts and items")[1:]}
    for pid, (_, (counted, printed)) in PROMPTS.items():
        share = rows[pid][9] if counted == "yes" else rows[pid][10]
        assert int(share * 100 + 0.5) == printed, pid
    # "children's services enquiries not done where they should have been": 6 of 11, 55%
    assert rows["2.1.1.c"][6:9] == [6, 1, 11]
    assert "Not done but should have been 6" in rows["2.1.1.c"][11]
    # "92% of court reports lacked police domestic abuse enquiries"; "home visits not done in 66%"
    assert round(rows["2.1.1.b"][10] * 100) == 92 and round(rows["2.4.3.c"][10] * 100) == 66
    # management oversight: insufficient, ineffective or absent in 85%
    assert "Insufficient 20; Ineffective 8; Absent 7" in rows["MO.a"][11]


def test_comparisons_flag_the_reports_female_planning_difference(report_db, tmp_path):
    _, wb = _export(report_db, tmp_path)
    rows = _rows(wb, "Comparisons")
    female = next(r for r in rows[1:] if r[1] == "Female" and r[3] == "2.3.2")
    assert female[4:6] == [9, 9] and female[7:9] == [6, 32]  # 9 of 9 women, 6 of 32 men
    assert female[10] == round((9 / 9) / (6 / 32), 3) and female[12] == "SUBSTANTIAL"
    breakdown = [r for r in _rows(wb, "Breakdowns")[1:] if r[0] == "Sex" and r[2] == "2.3.2"]
    assert {(r[1], r[4], r[5]) for r in breakdown} == {("Female", 9, 9), ("Male", 6, 32)}


def test_an_unwritable_destination_is_one_clear_sentence(report_db, tmp_path):
    target = tmp_path / "locked"
    target.mkdir()
    os.chmod(target, 0o500)
    try:
        if os.geteuid() == 0:
            target = tmp_path / "not-a-dir.txt"
            target.write_text("x")
            out = target / "annex.xlsx"  # a path under a file can never be written
        else:
            out = target / "annex.xlsx"
        before = db_content(report_db)
        result = run_hmip("export", "workbook", "--out", str(out), db=report_db)
        assert result.returncode == 1 and "cannot write there" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert db_content(report_db) == before
    finally:
        os.chmod(tmp_path / "locked", 0o700)


def test_a_failed_export_leaves_no_file_under_the_final_name(report_db, tmp_path, monkeypatch):
    from hmip_tui.exchange import workbook
    from hmip_tui.services import open_database

    out = tmp_path / "annex.xlsx"

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(workbook, "_answers", broken)
    with pytest.raises(RuntimeError):
        workbook.write_workbook(open_database(report_db), out)
    assert not out.exists() and list(tmp_path.glob("*.part")) == []


def test_answers_csv_is_long_and_complete(report_db, tmp_path):
    out = tmp_path / "answers.csv"
    run_hmip("export", "csv", "--out", str(out), db=report_db, check=True)
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == db_answer_count(report_db)
    row = next(r for r in rows if r["case_ref"] == "HF0001" and r["question"] == "2.2.1")
    assert row["sex"] == "female" and row["kind"] == "key_question" and row["counts_as"] in ("yes", "no")
