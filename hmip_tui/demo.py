"""A demo inspection of synthetic cases, so a new user sees the tool working at once.

The cases are generated, not real: references look like case reference numbers but point at
no one. Each case has a hidden "quality of work" that drives its prompts, and each key question
follows its prompts (with the odd disagreement, as real judgements have), so the ratings,
breakdowns and moderation flags look like a real inspection's.
"""

from __future__ import annotations

import random
import uuid

from .framework import Framework, Question

DEMO_PDU = "Demo PDU (synthetic cases)"
# When the synthetic answers were given: in the demo's fieldwork week, the same on every run.
DEMO_FIELDWORK_DAY = "2022-08-05T16:00:00.000+00:00"
INSPECTORS = {"LEAD": "lead", "INSP2": "inspector", "INSP3": "inspector"}

_WEIGHTS = {
    "sentence_type": {"community_order": 40, "suspended_sentence_order": 20, "licence": 35,
                      "post_sentence_supervision": 5},
    "sex": {"male": 82, "female": 18},
    "ethnicity": {"white": 55, "black": 18, "asian": 12, "mixed": 8, "other": 5, "not_recorded": 2},
    "age_band": {"18_24": 20, "25_39": 45, "40_49": 20, "50_plus": 15},
    "rosh": {"low": 15, "medium": 55, "high": 25, "very_high": 5},
    "mappa": {"none": 80, "category_1": 12, "category_2": 7, "category_3": 1},
    "domestic_abuse": {"yes": 40, "no": 60},
    "child_safeguarding": {"yes": 30, "no": 70},
    "allocated": {"yes": 85, "no": 15},
    "practitioner_grade": {"po": 50, "pso": 35, "nqo": 15},
    "limited_access": {"yes": 3, "no": 97},
    "report_type": {"oral": 30, "short_format": 55, "standard": 15},
    "practitioner_interviewed": {"yes": 60, "no": 40},
}

_NOTES = {
    "yes": ["Clear analysis drawing on police and children's services information.",
            "Sufficient: the plan reflects the assessment and the person's views.",
            "Good evidence of joint work with partner agencies."],
    "no": ["No evidence of domestic abuse enquiries; risk not analysed.",
           "Assessment copied forward; no analysis of current circumstances.",
           "Contact sporadic; no home visit despite safeguarding concerns."],
}


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _profile(rng: random.Random, start: str) -> dict:
    p = {f: _pick(rng, w) for f, w in _WEIGHTS.items()
         if f not in ("practitioner_grade", "report_type")}
    community = p["sentence_type"] in ("community_order", "suspended_sentence_order")
    p["pre_sentence_report"] = "yes" if community and rng.random() < 0.6 else "no"
    if p["pre_sentence_report"] == "yes":
        p["report_type"] = _pick(rng, _WEIGHTS["report_type"])
    if p["allocated"] == "yes":
        p["practitioner_grade"] = _pick(rng, _WEIGHTS["practitioner_grade"])
    if p["mappa"] != "none":
        p["mappa_level"] = rng.choice(["level_1", "level_1", "level_2"])
    p["start_date"] = start
    return p


def _answer_prompt(rng: random.Random, q: Question, quality: float) -> str:
    good = rng.random() < quality
    kind = q.type.id
    if kind == "enquiry":
        return "not_required" if rng.random() < 0.15 else ("done" if good else "not_done")
    if kind == "oversight":
        if rng.random() < 0.1:
            return "not_needed"
        return "sufficient" if good else rng.choice(["insufficient", "ineffective", "absent"])
    if "na" in q.type.values and rng.random() < 0.05:
        return "na"
    return "yes" if good else "no"


def demo_bundle(framework: Framework, cases: int = 60, seed: int = 2022, lead: str = "LEAD") -> dict:
    """A bundle (as a dict) of synthetic cases under `framework`, a third of them read by `lead`."""
    rng = random.Random(seed)
    refs: set[str] = set()
    while len(refs) < cases:
        refs.add(f"X{rng.randrange(100000, 999999)}")
    codes = [lead, *(c for c in INSPECTORS if c not in (lead, "LEAD"))][:3]
    out_cases = []
    for n, ref in enumerate(sorted(refs)):
        profile = _profile(rng, f"2022-0{1 + n % 2}-{1 + n % 28:02d}")
        quality = rng.betavariate(4.0, 2.2)
        roll = rng.random()
        status = "complete" if roll < 0.65 else "in_progress" if roll < 0.9 else "not_started"
        applicable = [q for q in framework.questions.values() if q.applies_to(profile)]
        if status == "not_started":
            applicable = []
        elif status == "in_progress":
            applicable = applicable[: rng.randrange(5, max(6, len(applicable) - 5))]
        answers, prompt_values = {}, {}
        for q in applicable:
            if q.kind == "key_question":
                said = [prompt_values[p.id] for p in q.prompts if p.id in prompt_values]
                share = (sum(v in ("yes", "done", "sufficient") for v in said) / len(said)) if said else quality
                value = "yes" if (share >= 0.6) != (rng.random() < 0.08) else "no"
                answers[q.id] = {"value": value, "note": rng.choice(_NOTES[value])}
            else:
                value = _answer_prompt(rng, q, quality)
                prompt_values[q.id] = value
                answers[q.id] = {"value": value}
        out_cases.append({"ref": ref, "inspector": codes[n % len(codes)], "status": status,
                          "profile": profile, "answers": answers})
    judged = [s for s in framework.standards if s.rated_by == "judgement"]
    return {
        "format": "hmip-bundle/1",
        "created": DEMO_FIELDWORK_DAY,
        "framework": {"id": framework.id, "version": framework.version},
        "inspection": {"uid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                       "pdu": DEMO_PDU, "region": "Demo region", "fieldwork_start": "2022-08-01"},
        "inspectors": {c: ("lead" if c == lead else "inspector") for c in codes},
        "judgements": {s.id: {"rating": "requires_improvement",
                              "evidence": f"Demo judgement on {s.title.lower()}.", "by": lead}
                       for s in judged},
        "cases": out_cases,
    }
