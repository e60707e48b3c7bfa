"""What a case still needs, and which judgements a moderator should look at. Pure functions.

Used by the case walk (what to show, what is left), the completion check, and the home list.
"""

from __future__ import annotations

from dataclasses import dataclass

from .framework import Framework, Question, Standard


@dataclass(frozen=True, slots=True)
class Section:
    """One standard as the case walk shows it for one case."""

    standard: Standard
    questions: tuple[Question, ...]  # those that apply, in walk order
    why_not: str | None  # why the whole standard is hidden for this case, if it is
    hidden: tuple[tuple[Question, str], ...]  # questions hidden inside it, with the reason


@dataclass(frozen=True, slots=True)
class Missing:
    question: Question
    what: str  # "answer" or "evidence note"

    def __str__(self) -> str:
        return f"{self.question.id}: no {self.what}"


def walk(framework: Framework, profile: dict) -> list[Section]:
    """The standards with case questions, in framework order, as they apply to this profile."""
    sections = []
    for s in framework.standards:
        questions = s.questions
        if not questions:
            continue
        shown = tuple(q for q in questions if q.applies_to(profile))
        hidden = tuple((q, q.why_not(profile)) for q in questions if not q.applies_to(profile))
        why_not = hidden[0][1] if not shown and hidden else None
        sections.append(Section(s, shown, why_not, () if why_not else hidden))
    return sections


def applicable(framework: Framework, profile: dict) -> list[Question]:
    return [q for q in framework.questions.values() if q.applies_to(profile)]


def missing(framework: Framework, profile: dict, answers: dict) -> list[Missing]:
    """Every required answer or evidence note still missing, in walk order.

    `answers` maps question id to an object with `.value` and `.note`.
    """
    out = []
    for q in applicable(framework, profile):
        answer = answers.get(q.id)
        if answer is None:
            out.append(Missing(q, "answer"))
        elif q.note_required and not (answer.note or "").strip():
            out.append(Missing(q, "evidence note"))
    return out


def moderation_flags(framework: Framework, answers: dict) -> dict[str, str]:
    """Key questions whose judgement goes against every one of its answered prompts.

    A key question judged Yes while all its prompts count No (or the reverse) is not wrong in
    itself, but it is what a moderator should read first. Flagged, never blocked.
    """
    flags = {}
    for kq_id, answer in answers.items():
        kq = framework.questions.get(kq_id)
        if kq is None or kq.kind != "key_question" or not kq.prompts:
            continue
        verdict = kq.type.option(answer.value)
        counted = [
            p.type.option(answers[p.id].value).counts_as
            for p in kq.prompts if p.id in answers and p.type.option(answers[p.id].value)
        ]
        counted = [c for c in counted if c != "na"]
        if not counted or verdict is None or verdict.counts_as == "na":
            continue
        if verdict.counts_as == "yes" and all(c == "no" for c in counted):
            flags[kq_id] = "judged Yes, but every prompt answered is No"
        elif verdict.counts_as == "no" and all(c == "yes" for c in counted):
            flags[kq_id] = "judged No, but every prompt answered is Yes"
    return flags
