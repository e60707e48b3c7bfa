"""How far two readers of the same cases agree: percent agreement, Cohen's kappa, PABAK, AC1. Pure.

Kappa corrects agreement for chance: kappa = (po - pe) / (1 - pe), where po is the share of
cases judged alike and pe the share expected alike by chance from each reader's own mix of
answers. It is undefined (None) when pe = 1: both readers gave one and the same answer every
time, so there is no disagreement chance could explain.

Kappa collapses when one answer is rare (the "kappa paradox"): with Yes on 15-40% of cases, two
readers who agree on 12 of 13 can score a kappa near zero. So two figures sit beside it that do
not depend on how often each answer is given:

- PABAK, prevalence- and bias-adjusted kappa: (k * po - 1) / (k - 1) for k possible answers
  (2 * po - 1 for Yes/No);
- Gwet's AC1: (po - pe1) / (1 - pe1), where pe1 = sum over answers of pi * (1 - pi) / (k - 1)
  and pi is the share of all judgements (both readers) giving that answer.
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
    pabak: Fraction | None = None
    ac1: Fraction | None = None


def agreement(pairs: list[tuple[str, str]], categories: int = 2) -> Agreement:
    """Agreement between first (left) and second (right) judgements on the same items, each
    one of `categories` possible answers."""
    n = len(pairs)
    if n == 0:
        return Agreement(0, 0, None, None)
    agreed = sum(a == b for a, b in pairs)
    po = Fraction(agreed, n)
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    labels = first.keys() | second.keys()
    pe = sum(Fraction(first[k], n) * Fraction(second[k], n) for k in labels)
    kappa = None if pe == 1 else (po - pe) / (1 - pe)
    k = max(categories, len(labels), 2)
    pabak = (k * po - 1) / (k - 1)
    shares = [Fraction(first[x] + second[x], 2 * n) for x in labels]
    pe1 = sum(p * (1 - p) for p in shares) / (k - 1)
    ac1 = (po - pe1) / (1 - pe1)
    return Agreement(n, agreed, po * 100, kappa, pabak, ac1)


def _categories(question) -> int:
    return len(question.type.options)


def by_question(framework, pairs) -> dict[str, Agreement]:
    """Per key question, over the second-read cases (pairs from store.moderation.pairs)."""
    out = {}
    for s in framework.standards:
        for k in s.key_questions:
            out[k.id] = agreement([(p.first, p.second) for p in pairs if p.question == k.id and p.first],
                                  _categories(k))
    return out


def by_standard(framework, pairs) -> dict[str, Agreement]:
    """Per standard, pooling its key questions."""
    out = {}
    for s in framework.standards:
        ids = {k.id for k in s.key_questions}
        if ids:
            out[s.id] = agreement([(p.first, p.second) for p in pairs if p.question in ids and p.first],
                                  max(_categories(k) for k in s.key_questions))
    return out
