"""How far two readers of the same cases agree: percent agreement and Cohen's kappa. Pure.

Kappa corrects agreement for chance: kappa = (po - pe) / (1 - pe), where po is the share of
cases judged alike and pe the share expected alike by chance from each reader's own mix of
answers. It is undefined (None) when pe = 1: both readers gave one and the same answer every
time, so there is no disagreement chance could explain.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True, slots=True)
class Agreement:
    n: int
    agreed: int
    percent: Fraction | None
    kappa: Fraction | None


def agreement(pairs: list[tuple[str, str]]) -> Agreement:
    """Agreement between first (left) and second (right) judgements on the same items."""
    n = len(pairs)
    if n == 0:
        return Agreement(0, 0, None, None)
    agreed = sum(a == b for a, b in pairs)
    po = Fraction(agreed, n)
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    pe = sum(Fraction(first[k], n) * Fraction(second[k], n) for k in first.keys() | second.keys())
    kappa = None if pe == 1 else (po - pe) / (1 - pe)
    return Agreement(n, agreed, po * 100, kappa)


def by_question(framework, pairs) -> dict[str, Agreement]:
    """Per key question, over the second-read cases (pairs from store.moderation.pairs)."""
    out = {}
    for s in framework.standards:
        for k in s.key_questions:
            out[k.id] = agreement([(p.first, p.second) for p in pairs if p.question == k.id and p.first])
    return out


def by_standard(framework, pairs) -> dict[str, Agreement]:
    """Per standard, pooling its key questions."""
    out = {}
    for s in framework.standards:
        ids = {k.id for k in s.key_questions}
        if ids:
            out[s.id] = agreement([(p.first, p.second) for p in pairs if p.question in ids and p.first])
    return out
