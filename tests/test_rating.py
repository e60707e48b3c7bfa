"""The rating engine at every band edge, and the rules of docs/method.md."""

from __future__ import annotations

from fractions import Fraction

import pytest

from hmip_tui.framework import load_framework
from hmip_tui.rating import Tally, band_for, exact_percent, is_fragile, overall_for, rate, whole_percent

FW = load_framework()


@pytest.mark.parametrize(("yes", "relevant", "band"), [
    (0, 10, "inadequate"),
    (4999, 10000, "inadequate"),       # 49.99%
    (1, 2, "requires_improvement"),    # exactly 50%
    (129, 200, "requires_improvement"),  # 64.5%: rounds to 65 but is below the edge
    (6499, 10000, "requires_improvement"),
    (13, 20, "good"),                  # exactly 65%
    (159, 200, "good"),                # 79.5%: rounds to 80 but is below the edge
    (4, 5, "outstanding"),             # exactly 80%
    (10, 10, "outstanding"),
])
def test_band_edges_compare_the_exact_percentage(yes, relevant, band):
    assert band_for(exact_percent(yes, relevant), FW.bands).id == band


def test_no_relevant_case_gives_no_percentage_and_no_band():
    assert exact_percent(0, 0) is None and band_for(None, FW.bands) is None


@pytest.mark.parametrize(("value", "shown"), [
    (Fraction(33, 2), 17), (Fraction(129, 2), 65), (Fraction(159, 2), 80), (16.49, 16),
    (Fraction(100 * 15, 41), 37), (Fraction(100 * 2, 12), 17), (0, 0), (100, 100),
])
def test_whole_percent_rounds_half_up_like_the_report(value, shown):
    assert whole_percent(value) == shown


def test_the_lowest_key_question_drives_the_standard():
    page = rate(FW, {"2.2.1": Tally(9, 1), "2.2.2": Tally(7, 3), "2.2.3": Tally(13, 7)}, {})
    assessment = page.standard("2.2")  # 90%, 70% and 65%: rated Good on 2.2.3
    assert (assessment.rating.id, assessment.driver) == ("good", "2.2.3")


def test_not_applicable_leaves_the_denominator():
    page = rate(FW, {"2.4.3.c": Tally(yes=14, no=27, na=9)}, {})
    prompt = next(p for p in page.prompts if p.id == "2.4.3.c")
    assert prompt.relevant == 41 and prompt.percent == Fraction(1400, 41)


@pytest.mark.parametrize(("score", "overall"), [
    (0, "inadequate"), (5, "inadequate"), (6, "requires_improvement"), (15, "requires_improvement"),
    (16, "good"), (23, "good"), (24, "outstanding"), (27, "outstanding"),
])
def test_overall_rating_edges(score, overall):
    assert overall_for(score, FW).id == overall


def test_score_and_overall_need_every_rated_standard():
    all_good = {k.id: Tally(7, 3) for s in FW.standards if s.rated_by == "cases" for k in s.key_questions}
    judged = {s: ("good", "evidence") for s in ("1.1", "1.2", "1.3", "1.4")}
    page = rate(FW, all_good, judged)
    assert (page.score, page.max_score, page.overall.id, page.unrated) == (18, 27, "good", ())
    partial = rate(FW, all_good, {"1.1": ("good", "e")})
    assert partial.overall is None and partial.unrated == ("1.2", "1.3", "1.4")


def test_outcomes_are_reported_but_never_rated_or_scored():
    page = rate(FW, {"2.6.1": Tally(40, 0)}, {})
    outcomes = page.standard("2.6")
    assert outcomes.rating is None and outcomes.key_questions[0].percent == 100
    assert page.score == 0


def test_fragile_marks_a_rating_one_case_would_change():
    assert is_fragile([Tally(13, 7)], FW.bands)       # 65%: one fewer Yes drops to 60%
    assert is_fragile([Tally(12, 8)], FW.bands)       # 60%: one more Yes reaches 65%
    assert not is_fragile([Tally(2, 38)], FW.bands)   # 5%: far from any edge
    page = rate(FW, {"2.3.1": Tally(13, 7), "2.3.2": Tally(19, 1), "2.3.3": Tally(19, 1)}, {})
    assert page.standard("2.3").fragile
