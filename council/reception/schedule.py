"""When a station's reception day (书记接待日) happens. Pure: no web or database imports.

A station holds it every week on one weekday, within set hours. Exceptions are keyed by the
regular day they change: `cancelled` (a holiday, a city-wide duty) or `moved` (to another date,
optionally with other hours). A station holiday on the regular day cancels it unless an
exception moves it. Dates are the station's local dates; times are local wall-clock times.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

CANCELLED = "cancelled"
MOVED = "moved"
KINDS = ((CANCELLED, "Cancelled"), (MOVED, "Moved to another day"))


@dataclass(frozen=True)
class ReceptionException:
    day: dt.date  # the regular reception day this changes
    kind: str  # cancelled / moved
    moved_to: dt.date | None = None
    start: dt.time | None = None  # new hours for a moved day; None keeps the usual hours
    end: dt.time | None = None
    note: str = ""


@dataclass(frozen=True)
class Occurrence:
    day: dt.date
    start: dt.time
    end: dt.time
    moved_from: dt.date | None = None
    note: str = ""

    def bounds(self, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
        """The occurrence as aware datetimes in the station's time zone."""
        return dt.datetime.combine(self.day, self.start, tz), dt.datetime.combine(self.day, self.end, tz)


def regular_days(weekday: int, first: dt.date, last: dt.date) -> list[dt.date]:
    """Every date in [first, last] (both included) that falls on the weekday (0 = Monday)."""
    if first > last:
        return []
    start = first + dt.timedelta(days=(weekday - first.weekday()) % 7)
    out = []
    while start <= last:
        out.append(start)
        start += dt.timedelta(days=7)
    return out


def occurrences(weekday: int, start: dt.time, end: dt.time, first: dt.date, last: dt.date,
                exceptions: Iterable[ReceptionException] = (), holidays: Iterable[dt.date] = ()) -> list[Occurrence]:
    """The reception days within [first, last], in date order, exceptions applied.

    A day moved into the range from a regular day outside it is included; a regular day in the
    range moved out of it is not."""
    by_day = {e.day: e for e in exceptions}
    off = frozenset(holidays)
    found: dict[dt.date, Occurrence] = {}
    for day in regular_days(weekday, first, last):
        e = by_day.get(day)
        if e is None:
            if day not in off:
                found[day] = Occurrence(day, start, end)
        # cancelled: nothing; moved: handled below, wherever the regular day lies
    for e in by_day.values():
        if e.kind != MOVED or e.moved_to is None or not (first <= e.moved_to <= last):
            continue
        if e.day.weekday() != weekday:
            continue  # no longer a regular day (the weekday changed since): stale
        found[e.moved_to] = Occurrence(e.moved_to, e.start or start, e.end or end, moved_from=e.day, note=e.note)
    return [found[d] for d in sorted(found)]


def occurrence_on(day: dt.date, weekday: int, start: dt.time, end: dt.time,
                  exceptions: Iterable[ReceptionException] = (), holidays: Iterable[dt.date] = ()) -> Occurrence | None:
    found = occurrences(weekday, start, end, day, day, exceptions, holidays)
    return found[0] if found else None


def next_occurrence(after: dt.date, weekday: int, start: dt.time, end: dt.time,
                    exceptions: Iterable[ReceptionException] = (), holidays: Iterable[dt.date] = (),
                    horizon_days: int = 120) -> Occurrence | None:
    """The first reception day on or after `after` (looking ahead at most `horizon_days`)."""
    found = occurrences(weekday, start, end, after, after + dt.timedelta(days=horizon_days), exceptions, holidays)
    return found[0] if found else None


def check_exception(weekday: int, e: ReceptionException, others: Iterable[ReceptionException] = ()) -> dict[str, str]:
    """Field errors (msgids) for an exception; empty when it can be saved."""
    errors: dict[str, str] = {}
    if e.kind not in (CANCELLED, MOVED):
        errors["kind"] = "Choose one of the listed options."
    if e.day.weekday() != weekday:
        errors["day"] = "This date is not a regular reception day of the station."
    if e.kind == MOVED:
        if e.moved_to is None:
            errors["moved_to"] = "Choose the day it moves to."
        elif e.moved_to == e.day:
            errors["moved_to"] = "Choose a different day."
        elif e.moved_to.weekday() == weekday and not any(
                o.day == e.moved_to and o.kind in (CANCELLED, MOVED) for o in others):
            errors["moved_to"] = "That day is already a reception day."
        elif any(o.kind == MOVED and o.moved_to == e.moved_to and o.day != e.day for o in others):
            errors["moved_to"] = "Another reception day is already moved to that day."
        if (e.start is None) != (e.end is None):
            errors["end"] = "Give both the start and the end, or neither."
        elif e.start is not None and e.end is not None and e.end <= e.start:
            errors["end"] = "The end must be after the start."
    return errors
