"""The street office's figures, pure (no web or database imports): time spent in each of the
six steps, medians, on-time rates, mediation success. council.cases.street reads the rows.

A case's path is its creation (entering its first state) then each `moved` event of its timeline
(from → to, at). The days spent in a state run from entering it to leaving it; a state the case
is still in counts up to `until` (today), so slow steps show while they are slow.
"""

from __future__ import annotations

import datetime as dt
from statistics import median
from typing import Iterable

DAY = 86400.0


def days_in_states(created_at: dt.datetime, first_state: str, moves: Iterable[tuple[dt.datetime, str, str]],
                   until: dt.datetime) -> dict[str, float]:
    """{state: days} for one case. `moves` are (at, from_state, to_state), in any order."""
    spent: dict[str, float] = {}
    state, since = first_state, created_at
    for at, _from, to in sorted(moves, key=lambda m: m[0]):
        spent[state] = spent.get(state, 0.0) + max((at - since).total_seconds(), 0.0) / DAY
        state, since = to, at
    spent[state] = spent.get(state, 0.0) + max((until - since).total_seconds(), 0.0) / DAY
    return spent


def funnel(paths: list[dict[str, float]], current: list[str], steps: Iterable[str]) -> list[dict]:
    """Per step: cases now in it, cases that ever reached it, median days spent in it (over the
    cases that were in it; None when none were)."""
    out = []
    for step in steps:
        spent = [p[step] for p in paths if step in p]
        out.append({"step": step, "now": sum(1 for c in current if c == step), "reached": len(spent),
                    "median_days": round(median(spent), 1) if spent else None})
    return out


def rate(numerator: int, denominator: int) -> float | None:
    """A share in percent, one decimal; None when there is nothing to divide by."""
    return round(100.0 * numerator / denominator, 1) if denominator else None


def median_days(values: list[float]) -> float | None:
    return round(median(values), 1) if values else None


MEDIATION_SUCCESS = "settled"
MEDIATION_ENDED = frozenset({"settled", "not_settled", "withdrawn", "terminated", "refused"})


def mediation_success(states: Iterable[str]) -> tuple[int, int, float | None]:
    """(settled, ended, percent): of the disputes whose mediation has ended, the share settled."""
    states = list(states)
    ended = sum(1 for s in states if s in MEDIATION_ENDED)
    settled = sum(1 for s in states if s == MEDIATION_SUCCESS)
    return settled, ended, rate(settled, ended)


def satisfaction(ratings: Iterable[str]) -> tuple[int, int, float | None]:
    """(satisfied or basically satisfied, all ratings, percent)."""
    ratings = list(ratings)
    good = sum(1 for r in ratings if r in ("satisfied", "basically_satisfied"))
    return good, len(ratings), rate(good, len(ratings))
