"""The published HFKCW report's ratings page, reproduced from case answers alone."""

from __future__ import annotations

import json

from conftest import run_hmip
from report_cases import KEY_QUESTIONS, PROMPTS

from hmip_tui.rating import whole_percent


def test_rate_json_reproduces_the_reports_ratings_page(report_db):
    result = run_hmip("rate", "--json", db=report_db, check=True)
    page = json.loads(result.stdout)

    assert page["score"] == 0
    assert page["max_score"] == 27
    assert page["overall"] == "inadequate"
    rated = [s for s in page["standards"] if s["rated_by"] != "not_rated"]
    assert [s["id"] for s in rated] == ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "2.4", "2.5"]
    assert all(s["rating"] == "inadequate" for s in rated)

    key_questions = {k["id"]: k for s in page["standards"] for k in s.get("key_questions", [])}
    for kid, (yes, relevant, printed) in KEY_QUESTIONS.items():
        k = key_questions[kid]
        assert (k["yes"], k["relevant"]) == (yes, relevant), kid
        assert k["no"] == relevant - yes and k["na"] == 0
        assert k["percent"] == round(100 * yes / relevant, 2)
        assert whole_percent(k["percent"]) == printed, kid
    assert key_questions["2.2.1"]["percent"] == 36.59  # the worked example

    # The lowest key question drives each rating: 2.2 is rated on 2.2.3 (15%), as the report says.
    assert {s["id"]: s["driver"] for s in rated if s["domain"] == 2}["2.2"] == "2.2.3"
    outcomes = next(s for s in page["standards"] if s["id"] == "2.6")
    assert outcomes["rating"] is None and outcomes["key_questions"][0]["percent"] == 17.07


def test_the_reports_prompt_figures_come_out_of_the_answers(report_db):
    page = json.loads(run_hmip("rate", "--json", db=report_db, check=True).stdout)
    prompts = {p["id"]: p for p in page["prompts"]}
    for pid, (counts, (counted, printed)) in PROMPTS.items():
        p = prompts[pid]
        share = p["yes"] if counted == "yes" else p["no"]
        assert whole_percent(100 * share / p["relevant"]) == printed, pid
    # "not required" leaves the denominator: 6 of the 11 where enquiries should have been made.
    assert (prompts["2.1.1.c"]["no"], prompts["2.1.1.c"]["relevant"]) == (6, 11)
    assert prompts["MO.a"]["relevant"] == 41 and prompts["PR.a"]["relevant"] == 19


def test_rate_table_shows_whole_percentages_as_the_report(report_db):
    out = run_hmip("rate", db=report_db, check=True).stdout
    for printed in ("37%", "24%", "15%", "17%"):
        assert printed in out
    assert "Score 0 / 27" in out and "Overall rating: Inadequate" in out
