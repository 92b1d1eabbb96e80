"""Mediation statistics: the rates and their definitions. Pure: no web or database imports.

There is no national formula; these are Council's, shown next to each rate with its raw counts.
Rates are exact fractions rounded only for display; a rate with nothing to divide by is None
("—"), never 0 %.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

DEFINITIONS = {
    "success_rate": "Success rate = settled ÷ (settled + not settled). Withdrawn, terminated and refused files are not counted: no mediation result was reached.",
    "performance_rate": "Performance rate = terms performed ÷ terms due (due date passed, or performed already) of the agreements of these files.",
    "confirmation_rate": "Confirmation rate = confirmed ÷ rulings received.",
    "average_days": "Average days to close = mean of (closed − registered) in days, over the closed files.",
}


@dataclass
class Counts:
    received: int = 0
    open: int = 0
    settled: int = 0
    not_settled: int = 0
    withdrawn: int = 0
    terminated: int = 0
    refused: int = 0
    obligations_due: int = 0
    obligations_performed: int = 0
    confirmation_applied: int = 0
    confirmed: int = 0
    rejected: int = 0
    closed_days: list[int] = field(default_factory=list)


def rate(numerator: int, denominator: int) -> Fraction | None:
    return Fraction(numerator, denominator) if denominator else None


def percent(value: Fraction | None) -> str:
    if value is None:
        return "—"
    return f"{float(value * 100):.1f}%"


def summary(c: Counts) -> dict:
    avg = Fraction(sum(c.closed_days), len(c.closed_days)) if c.closed_days else None
    return {
        "counts": c,
        "success_rate": rate(c.settled, c.settled + c.not_settled),
        "performance_rate": rate(c.obligations_performed, c.obligations_due),
        "confirmation_rate": rate(c.confirmed, c.confirmed + c.rejected),
        "average_days": avg,
        "average_days_text": "—" if avg is None else f"{float(avg):.1f}",
    }
