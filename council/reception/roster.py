"""Who is on duty at the reception day each week. Pure: no web or database imports.

By default duty rotates through the station's roster (staff and volunteering party members, in
their order): week 0 — counted from the roster's anchor Monday — takes the first `per_week`
members, week 1 the next ones, and so on round the list. An approved swap overrides the rotation
for its week: the member who was on duty hands the week to another; an exchange also hands the
other's duty in `return_week` back. Swaps apply in the order they were approved.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Sequence


@dataclass(frozen=True)
class Swap:
    week: dt.date  # the Monday of the week given away
    out_member: int
    in_member: int
    return_week: dt.date | None = None  # an exchange: in_member's duty that week goes to out_member


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def week_index(week: dt.date, anchor: dt.date) -> int:
    """Weeks since the anchor's week (negative before it)."""
    return (monday(week) - monday(anchor)).days // 7


def rotation(week: dt.date, members: Sequence[int], anchor: dt.date, per_week: int = 1) -> list[int]:
    """The members on duty that week by rotation alone."""
    n = len(members)
    if n == 0 or per_week < 1:
        return []
    k = min(per_week, n)
    start = week_index(week, anchor) * k
    return [members[(start + i) % n] for i in range(k)]


def _apply(duty: list[int], out_member: int, in_member: int) -> list[int]:
    if out_member not in duty or in_member in duty:
        return duty  # stale: the week changed since the swap was approved
    return [in_member if m == out_member else m for m in duty]


def on_duty(week: dt.date, members: Sequence[int], anchor: dt.date, per_week: int = 1,
            swaps: Iterable[Swap] = ()) -> list[int]:
    """The members on duty in the week containing `week`, approved swaps applied in order."""
    w = monday(week)
    duty = rotation(w, members, anchor, per_week)
    for s in swaps:
        if monday(s.week) == w:
            duty = _apply(duty, s.out_member, s.in_member)
        elif s.return_week is not None and monday(s.return_week) == w:
            duty = _apply(duty, s.in_member, s.out_member)
    return duty


def weeks(first: dt.date, count: int, members: Sequence[int], anchor: dt.date, per_week: int = 1,
          swaps: Iterable[Swap] = ()) -> list[tuple[dt.date, list[int]]]:
    swaps = list(swaps)
    start = monday(first)
    return [(start + dt.timedelta(weeks=i), on_duty(start + dt.timedelta(weeks=i), members, anchor, per_week, swaps))
            for i in range(count)]


def check_swap(s: Swap, members: Sequence[int], anchor: dt.date, per_week: int = 1,
               approved: Iterable[Swap] = ()) -> dict[str, str]:
    """Field errors (msgids) for a swap request against the roster as it stands now."""
    errors: dict[str, str] = {}
    if s.out_member not in members:
        errors["out_member"] = "Choose one of the listed options."
    if s.in_member not in members:
        errors["in_member"] = "Choose one of the listed options."
    if s.out_member == s.in_member:
        errors["in_member"] = "Choose someone else to take the duty."
    if errors:
        return errors
    approved = list(approved)
    duty = on_duty(s.week, members, anchor, per_week, approved)
    if s.out_member not in duty:
        errors["week"] = "This member is not on duty that week."
    elif s.in_member in duty:
        errors["in_member"] = "This member is already on duty that week."
    if s.return_week is not None:
        if monday(s.return_week) == monday(s.week):
            errors["return_week"] = "Choose a different week."
        else:
            back = on_duty(s.return_week, members, anchor, per_week, approved)
            if s.in_member not in back:
                errors["return_week"] = "The other member is not on duty that week."
            elif s.out_member in back:
                errors["return_week"] = "This member is already on duty that week."
    return errors
