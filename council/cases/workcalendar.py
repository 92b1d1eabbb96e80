"""Working-day arithmetic for deadlines (办理时限). No web or database imports.

Local rules count deadlines in working days: weekends are off, official holidays are off, and
make-up working days (调休上班, a Saturday or Sunday worked to bridge a holiday) count as
working days. A station keeps its own holiday calendar, because the State Council publishes
the arrangement each year and places sometimes differ.

Convention: a case registered on day D with a limit of N working days is due at the end of
the N-th working day after D — D itself never counts, whatever the hour (a concern logged at
16:55 on Friday is not a day's work done). N = 0 means due at the end of D.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[dt.date] = field(default_factory=frozenset)  # weekdays that are off
    makeup_days: frozenset[dt.date] = field(default_factory=frozenset)  # weekend days that are worked

    def __post_init__(self) -> None:
        both = self.holidays & self.makeup_days
        if both:
            raise ValueError(f"a day cannot be both a holiday and a make-up working day: {sorted(both)}")

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.makeup_days:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The date that is `days` working days after `start` (start itself not counted)."""
        if days < 0:
            raise ValueError("a time limit cannot be negative")
        current = start
        remaining = days
        while remaining:
            current += dt.timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]: how many working days have passed since start by end.
        Negative when end is before start."""
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        current = start
        while current < end:
            current += dt.timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count


def due_date(calendar: WorkCalendar, registered: dt.date, limit_days: int, extensions: list[int] = ()) -> dt.date:
    """The deadline after any approved extensions, each counted on from the previous deadline."""
    due = calendar.add_working_days(registered, limit_days)
    for extra in extensions:
        due = calendar.add_working_days(due, extra)
    return due


def is_overdue(due: dt.date, today: dt.date, closed: bool = False) -> bool:
    """Due at the end of the due day: overdue from the next calendar day on, until closed."""
    return not closed and today > due


def working_days_left(calendar: WorkCalendar, due: dt.date, today: dt.date) -> int:
    """Working days left after today until due (0 on the due day; negative once overdue)."""
    return calendar.working_days_between(today, due)
