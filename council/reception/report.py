"""Counting the reception day and the totals a station reports upward. Pure: no web or database
imports.

Definitions (shown next to the figures):
- visitors: every visit logged at the desk or confirmed from the grid group (drafts and
  discarded drafts do not count);
- answers given (解答事项): visits answered on the spot;
- services provided (服务事项): visits done, whatever the outcome (answered, case opened, news
  given);
- cases opened / closed: cases of the station registered / closed in the period, whatever
  channel they came in by (the reception day's own are shown apart).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

PERIODS = (("week", "Week"), ("month", "Month"), ("year", "Year"))


@dataclass
class DaySummary:
    visitors: int = 0
    done: int = 0
    waiting: int = 0
    left: int = 0
    answered: int = 0
    cases_opened: int = 0
    news: int = 0
    by_category: list[tuple[str, int]] = field(default_factory=list)
    by_outcome: list[tuple[str, int]] = field(default_factory=list)
    by_case_kind: list[tuple[str, int]] = field(default_factory=list)


def counts(v: dict) -> bool:
    """A draft, or a draft discarded (never numbered), is not a visit."""
    return v["status"] != "draft" and bool(v.get("number"))


def summarise_day(visits: Iterable[dict]) -> DaySummary:
    """Visits are dicts with status, category, outcome and case_kind (the new case's kind)."""
    s = DaySummary()
    cats: Counter = Counter()
    outs: Counter = Counter()
    kinds: Counter = Counter()
    for v in visits:
        if not counts(v):
            continue
        s.visitors += 1
        cats[v.get("category") or "other"] += 1
        if v["status"] == "done":
            s.done += 1
            outs[v.get("outcome") or ""] += 1
            if v.get("outcome") == "answered":
                s.answered += 1
            elif v.get("outcome") == "case":
                s.cases_opened += 1
                kinds[v.get("case_kind") or ""] += 1
            elif v.get("outcome") == "news":
                s.news += 1
        elif v["status"] == "left":
            s.left += 1
        else:
            s.waiting += 1
    s.by_category = sorted(cats.items(), key=lambda kv: (-kv[1], kv[0]))
    s.by_outcome = [(k, outs[k]) for k in ("answered", "case", "news") if outs[k]]
    s.by_case_kind = [(k, kinds[k]) for k in ("request", "proposal", "dispute") if kinds[k]]
    return s


def period_bounds(kind: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The week (Monday–Sunday), month or year containing `day`, both ends included."""
    if kind == "week":
        first = day - dt.timedelta(days=day.weekday())
        return first, first + dt.timedelta(days=6)
    if kind == "month":
        first = day.replace(day=1)
        nxt = (first.replace(year=first.year + 1, month=1) if first.month == 12 else first.replace(month=first.month + 1))
        return first, nxt - dt.timedelta(days=1)
    if kind == "year":
        return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    raise ValueError("Choose one of the listed options.")


def shift(kind: str, day: dt.date, steps: int) -> dt.date:
    """The first day of the period `steps` periods away from the one containing `day`."""
    first, _ = period_bounds(kind, day)
    if kind == "week":
        return first + dt.timedelta(weeks=steps)
    if kind == "month":
        months = first.year * 12 + first.month - 1 + steps
        return dt.date(months // 12, months % 12 + 1, 1)
    return dt.date(first.year + steps, 1, 1)


@dataclass
class Totals:
    first: dt.date
    last: dt.date
    reception_days: int = 0
    visitors: int = 0
    answers_given: int = 0
    services_provided: int = 0
    cases_opened_at_reception: int = 0
    cases_opened: int = 0
    cases_closed: int = 0


def totals(first: dt.date, last: dt.date, visits: Iterable[dict], opened: Iterable[dt.date],
           closed: Iterable[dt.date]) -> Totals:
    """Totals over [first, last]: `visits` as for summarise_day plus their `day`; `opened` and
    `closed` the local dates cases of the station were registered and closed."""
    t = Totals(first, last)
    days = set()
    for v in visits:
        if not (first <= v["day"] <= last):
            continue
        if not counts(v):
            continue
        days.add(v["day"])
        t.visitors += 1
        if v["status"] == "done":
            t.services_provided += 1
            if v.get("outcome") == "answered":
                t.answers_given += 1
            elif v.get("outcome") == "case":
                t.cases_opened_at_reception += 1
    t.reception_days = len(days)
    t.cases_opened = sum(1 for d in opened if first <= d <= last)
    t.cases_closed = sum(1 for d in closed if first <= d <= last)
    return t
