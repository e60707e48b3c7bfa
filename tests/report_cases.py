"""The 41 cases of the HFKCW report (October 2022), rebuilt from its published figures.

The report gives percentages, not case data. Each count below is the smallest whole-case count
over the relevant cases that prints as the report's percentage: 2.2.1 is 15 of 41 (36.59%,
shown as 37%). The profile mix is what the report states (41 cases, 9 high or very high risk of
serious harm, about 12 with a court report, post-release cases for the resettlement figures).
"""

from __future__ import annotations

PDU = "Hammersmith, Fulham, Kensington, Chelsea, and Westminster"

# Key question -> (yes, relevant cases, the report's printed percentage)
KEY_QUESTIONS = {
    "2.1.1": (2, 12, 17),
    "2.2.1": (15, 41, 37), "2.2.2": (10, 41, 24), "2.2.3": (6, 41, 15),
    "2.3.1": (12, 41, 29), "2.3.2": (15, 41, 37), "2.3.3": (12, 41, 29),
    "2.4.1": (12, 41, 29), "2.4.2": (12, 41, 29), "2.4.3": (10, 41, 24),
    "2.5.1": (15, 41, 37), "2.5.2": (13, 41, 32), "2.5.3": (12, 41, 29),
    "2.6.1": (7, 41, 17),
}

# Prompt or item -> {answer value: count}, and the figure the report prints from it as
# (what is counted: "yes" or "no", printed percentage).
PROMPTS = {
    "2.1.1.a": ({"yes": 3, "no": 9}, ("no", 75)),        # did not draw on other agencies
    "2.1.1.b": ({"done": 1, "not_done": 11}, ("no", 92)),  # lacked police domestic abuse enquiries
    "2.1.1.c": ({"done": 5, "not_done": 6, "not_required": 1}, ("no", 55)),  # children's services
    "2.1.1.e": ({"yes": 9, "no": 3}, ("yes", 75)),       # considered diversity
    "2.1.1.f": ({"yes": 12}, ("yes", 100)),              # individual involved
    "2.2.1.c": ({"yes": 10, "no": 31}, ("no", 76)),      # protected characteristics not analysed
    "2.3.1.b": ({"yes": 11, "no": 30}, ("no", 73)),      # planning ignored diversity
    "2.4.2.c": ({"yes": 16, "no": 25}, ("no", 61)),      # local services not engaged
    "2.4.3.c": ({"yes": 14, "no": 27}, ("no", 66)),      # home visits not done
    "2.5.3.b": ({"yes": 18, "no": 23}, ("no", 56)),      # reviewing not informed by agencies
    "MO.a": ({"sufficient": 6, "insufficient": 20, "ineffective": 8, "absent": 7}, ("no", 85)),
    "PR.a": ({"yes": 5, "no": 14}, ("no", 74)),          # resettlement needs before release
    "PR.b": ({"yes": 5, "no": 14}, ("no", 74)),          # risk of harm needs before release
    "PR.c": ({"yes": 3, "no": 16}, ("no", 84)),          # contact before release
    "2.6.1.a": ({"yes": 10, "no": 31}, ("no", 76)),      # 31 of 41: no progress on needs
    "2.6.1.b": ({"yes": 7, "no": 34}, ("yes", 17)),      # risk factors improved
}


def _profiles() -> list[tuple[str, dict]]:
    cases = []
    for n in range(41):
        post_release = n >= 22  # 19 post-release cases, 22 community
        if post_release:
            sentence = "post_sentence_supervision" if n >= 39 else "licence"
        else:
            sentence = "suspended_sentence_order" if n % 3 == 0 else "community_order"
        profile = {
            "sentence_type": sentence,
            "sex": "female" if n % 5 == 0 else "male",  # 9 female
            "rosh": "very_high" if n in (3, 30) else "high" if n % 6 == 1 else "medium" if n % 2 else "low",
            "pre_sentence_report": "yes" if n < 12 else "no",
            "ethnicity": ("white", "black", "asian", "mixed", "other")[n % 5],
            "mappa": "category_1" if n % 8 == 2 else "none",
        }
        cases.append((f"HF{n + 1:04d}", profile))
    return cases


def report_bundle() -> dict:
    """A bundle whose answers give every figure above, under the shipped framework."""
    from hmip_tui.framework import load_framework

    framework = load_framework("hmip-adult-pdu", "2022.1")
    cases = _profiles()
    answers: dict[str, dict] = {ref: {} for ref, _ in cases}

    def assign(qid: str, counts: dict[str, int], note: bool) -> None:
        q = framework.question(qid)
        applicable = [(ref, p) for ref, p in cases if q.applies_to(p)]
        if qid == "2.3.2":  # the report: planning for desistance scored higher for women
            applicable.sort(key=lambda c: c[1]["sex"] != "female")
        assert sum(counts.values()) == len(applicable), (qid, len(applicable))
        values = [v for v, k in counts.items() for _ in range(k)]
        for (ref, _), value in zip(applicable, values):
            answers[ref][qid] = {"value": value}
            if note:
                answers[ref][qid]["note"] = f"Evidence for {qid}: judged {value}."

    for qid, (yes, relevant, _) in KEY_QUESTIONS.items():
        assign(qid, {"yes": yes, "no": relevant - yes}, note=True)
    for qid, (counts, _) in PROMPTS.items():
        assign(qid, counts, note=False)

    inspectors = ["LF", "I2", "I3", "I4"]
    return {
        "format": "hmip-bundle/1",
        "created": "2022-08-05T17:00:00.000+00:00",
        "framework": {"id": framework.id, "version": framework.version},
        "inspection": {"uid": "5f0c2a0e-4fc0-4022-8000-000000000041",
                       "pdu": PDU, "region": "London", "fieldwork_start": "2022-08-01"},
        "inspectors": {"LF": "lead", "I2": "inspector", "I3": "inspector", "I4": "inspector"},
        "judgements": {s: {"rating": "inadequate", "evidence": f"Report section {s}.", "by": "LF"}
                       for s in ("1.1", "1.2", "1.3", "1.4")},
        "cases": [{"ref": ref, "inspector": inspectors[i % 4], "status": "complete",
                   "profile": profile, "answers": answers[ref]}
                  for i, (ref, profile) in enumerate(cases)],
    }
