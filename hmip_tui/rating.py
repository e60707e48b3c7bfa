"""The rating engine: counts of answers in, the ratings page out. Pure functions, no I/O.

The rules (docs/method.md):
- a question's percentage is Yes over relevant cases (Yes + No); "not applicable" leaves the
  denominator, and a question with no relevant case has no percentage;
- a standard rated from cases takes the band of its *lowest* key-question percentage;
- a percentage falls in the highest band whose lower edge it reaches, compared *exactly*
  (64.5% is below a 65% edge), never after rounding;
- the report shows whole percentages rounded half up (16.5% shows as 17%);
- the score adds each rated standard's band score; the overall rating places the score in the
  framework's overall edges, and is given only when every rated standard has a rating.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from .framework import Band, Framework, Question


@dataclass(frozen=True, slots=True)
class Tally:
    yes: int = 0
    no: int = 0
    na: int = 0

    @property
    def relevant(self) -> int:
        return self.yes + self.no


def whole_percent(value: float | None) -> int | None:
    """The percentage as the report prints it: rounded half up, never half to even."""
    if value is None:
        return None
    return int(Fraction(value).limit_denominator(10**9) + Fraction(1, 2))


def exact_percent(yes: int, relevant: int) -> Fraction | None:
    return Fraction(100 * yes, relevant) if relevant else None


def band_for(percent: Fraction | None, bands: tuple[Band, ...]) -> Band | None:
    """The highest band whose edge the exact percentage reaches."""
    if percent is None:
        return None
    chosen = bands[0]
    for band in bands:
        if percent >= Fraction(str(band.start)):
            chosen = band
    return chosen


@dataclass(frozen=True, slots=True)
class QuestionResult:
    id: str
    text: str
    yes: int
    no: int
    na: int
    relevant: int
    percent: Fraction | None
    band: Band | None

    def as_json(self) -> dict:
        return {
            "id": self.id, "yes": self.yes, "no": self.no, "na": self.na,
            "relevant": self.relevant,
            "percent": None if self.percent is None else round(float(self.percent), 2),
        }


@dataclass(frozen=True, slots=True)
class StandardResult:
    id: str
    title: str
    domain: int
    rated_by: str
    rating: Band | None
    key_questions: tuple[QuestionResult, ...]
    driver: str | None  # the key question whose percentage set the rating
    fragile: bool  # one case answered the other way on a key question would change the rating
    evidence: str | None = None  # for judged standards

    def as_json(self) -> dict:
        out = {
            "id": self.id, "title": self.title, "domain": self.domain, "rated_by": self.rated_by,
            "rating": self.rating.id if self.rating else None,
            "score": self.rating.score if self.rating else None,
        }
        if self.rated_by == "judgement":
            out["evidence"] = self.evidence
        else:
            out["driver"] = self.driver
            out["fragile"] = self.fragile
            out["key_questions"] = [k.as_json() for k in self.key_questions]
        return out


@dataclass(frozen=True)
class Ratings:
    framework_id: str
    framework_version: str
    standards: tuple[StandardResult, ...]
    prompts: tuple[QuestionResult, ...]
    score: int
    max_score: int
    overall: Band | None
    unrated: tuple[str, ...]  # rated standards still without a rating
    extra: dict = field(default_factory=dict)

    def standard(self, standard_id: str) -> StandardResult:
        return next(s for s in self.standards if s.id == standard_id)

    @property
    def provisional(self) -> bool:
        """Counted before every sampled case is complete (the caller says, in `extra`)."""
        return bool(self.extra.get("provisional", False))

    def standing(self) -> str:
        """Whether the figures are final, in one sentence for a page, a screen or a workbook."""
        cases = self.extra.get("cases")
        if cases is None:
            return "Provisional: the sample's progress is not known." if self.provisional else ""
        sampled, complete = cases["sampled"], cases["complete"]
        if not self.provisional:
            return f"Final: all {sampled} sampled {'case is' if sampled == 1 else 'cases are'} complete."
        if sampled == 0:
            return "Provisional: no case is sampled yet."
        return (f"Provisional: {complete} of {sampled} sampled {'case is' if sampled == 1 else 'cases are'} "
                "complete; the figures will change as the rest are completed.")

    def as_json(self) -> dict:
        return {
            "framework": {"id": self.framework_id, "version": self.framework_version},
            "score": self.score,
            "max_score": self.max_score,
            "overall": self.overall.id if self.overall else None,
            "unrated": list(self.unrated),
            "standards": [s.as_json() for s in self.standards],
            "prompts": [p.as_json() for p in self.prompts],
            **self.extra,
        }


def question_result(question: Question, tally: Tally, bands: tuple[Band, ...]) -> QuestionResult:
    percent = exact_percent(tally.yes, tally.relevant)
    return QuestionResult(question.id, question.text, tally.yes, tally.no, tally.na,
                          tally.relevant, percent, band_for(percent, bands))


def _lowest(results: tuple[QuestionResult, ...]) -> QuestionResult | None:
    rated = [r for r in results if r.percent is not None]
    return min(rated, key=lambda r: r.percent) if rated else None


def _standard_band(tallies: list[Tally], bands: tuple[Band, ...]) -> Band | None:
    percents = [exact_percent(t.yes, t.relevant) for t in tallies if t.relevant]
    return band_for(min(percents), bands) if percents else None


def is_fragile(tallies: list[Tally], bands: tuple[Band, ...]) -> bool:
    """Would one case judged the other way on any key question change the standard's rating?"""
    current = _standard_band(tallies, bands)
    for i, t in enumerate(tallies):
        for moved in (Tally(t.yes + 1, t.no - 1, t.na), Tally(t.yes - 1, t.no + 1, t.na)):
            if moved.yes < 0 or moved.no < 0:
                continue
            trial = tallies[:i] + [moved] + tallies[i + 1:]
            if _standard_band(trial, bands) != current:
                return True
    return False


def overall_for(score: int, framework: Framework) -> Band:
    rating = framework.overall_edges[0][0]
    for band_id, start in framework.overall_edges:
        if score >= start:
            rating = band_id
    return framework.band(rating)


def rate(framework: Framework, tallies: dict[str, Tally],
         judgements: dict[str, tuple[str, str]]) -> Ratings:
    """The ratings page from answer tallies per question and the team's domain-one judgements.

    `judgements` maps a standard id to (rating id, evidence).
    """
    bands = framework.bands
    standards = []
    prompts = []
    for s in framework.standards:
        if s.rated_by == "judgement":
            rating_id, evidence = judgements.get(s.id, (None, None))
            standards.append(StandardResult(
                s.id, s.title, s.domain, s.rated_by,
                framework.band(rating_id) if rating_id else None, (), None, False, evidence))
            continue
        kq_tallies = [tallies.get(k.id, Tally()) for k in s.key_questions]
        kq_results = tuple(question_result(k, t, bands) for k, t in zip(s.key_questions, kq_tallies))
        lowest = _lowest(kq_results)
        # Outcomes and case items are reported for information: percentages, never a rating.
        rated = s.rated_by == "cases" and lowest is not None
        standards.append(StandardResult(
            s.id, s.title, s.domain, s.rated_by,
            lowest.band if rated else None, kq_results,
            lowest.id if rated else None,
            is_fragile(kq_tallies, bands) if rated else False,
        ))
        for q in s.questions:
            if q.kind != "key_question":
                prompts.append(question_result(q, tallies.get(q.id, Tally()), bands))

    counted = [r for r in standards if r.rated_by != "not_rated"]
    score = sum(r.rating.score for r in counted if r.rating)
    unrated = tuple(r.id for r in counted if r.rating is None)
    return Ratings(
        framework.id, framework.version, tuple(standards), tuple(prompts), score,
        framework.max_score, None if unrated else overall_for(score, framework), unrated,
    )
