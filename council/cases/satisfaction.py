"""Satisfaction after the work (民事民评). No web or database imports.

Satisfaction rate, as shown next to its raw counts: (satisfied + basically satisfied) / all ratings.
An unsatisfied *majority* (more than half of the ratings) reopens a proposal.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction


def counts(ratings) -> Counter:
    return Counter(ratings)


def satisfaction_rate(ratings) -> Fraction | None:
    c = counts(ratings)
    total = sum(c.values())
    if total == 0:
        return None
    return Fraction(c["satisfied"] + c["basically_satisfied"], total)


def verdict(ratings) -> str | None:
    """None with no ratings; 'unsatisfied' when more than half are unsatisfied; else 'satisfied'."""
    c = counts(ratings)
    total = sum(c.values())
    if total == 0:
        return None
    return "unsatisfied" if Fraction(c["unsatisfied"], total) > Fraction(1, 2) else "satisfied"
