"""The slot finder: when can the required parties all come, in a free room, inside working hours?

Pure: no web or database imports. The caller gathers each party's working hours (see
council.parties.hours for the stored form) and busy intervals, the rooms and their bookings.

How it stays fast (10 parties × 20 working days × 15-minute steps in a few milliseconds):
the window is cut into steps from local midnight of its first day; for every party (and room)
one Python int is built whose bit i says "a meeting starting at step i fits entirely inside one
of this party's free intervals". Required parties are then AND-ed, rooms OR-ed, and the optional
parties counted only on the few starts that survive. A near miss for required party p is
"everyone else and a room can, p cannot": the AND of all the others with p's bit cleared.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Asia/Shanghai"
ROOM = "room"  # the blocker named when no room is free


@dataclass(frozen=True)
class Party:
    key: str  # "org:12", "user:3", "person:7"
    name: str = ""
    # [{"weekday": 0-6, "start": "09:00", "end": "17:30"}]; None = no hours known: any time of day.
    hours: list[dict] | None = None
    busy: Sequence[tuple[dt.datetime, dt.datetime]] = ()
    required: bool = True


@dataclass(frozen=True)
class Room:
    key: str  # "room:4"
    name: str = ""
    bookings: Sequence[tuple[dt.datetime, dt.datetime]] = ()


@dataclass(frozen=True)
class Slot:
    start: dt.datetime  # aware, in the finder's time zone
    end: dt.datetime
    room: str | None  # the first free room in the order given, None when no room is needed
    attending: tuple[str, ...] = ()  # optional parties who can come
    absent: tuple[str, ...] = ()  # optional parties who cannot
    blocked: tuple[str, ...] = ()  # required parties (or ROOM) who cannot: empty for a real candidate


@dataclass
class Result:
    slots: list[Slot] = field(default_factory=list)
    near_misses: list[Slot] = field(default_factory=list)


def _minutes(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def _merge(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for a, b in sorted(intervals):
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1][1] = b
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def _subtract(free: list[tuple[int, int]], busy: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """free minus busy; both sorted and merged."""
    out = []
    j = 0
    for a, b in free:
        cur = a
        while j < len(busy) and busy[j][1] <= cur:
            j += 1
        k = j
        while k < len(busy) and busy[k][0] < b:
            s, e = busy[k]
            if s > cur:
                out.append((cur, s))
            cur = max(cur, e)
            if e >= b:
                break
            k += 1
        if cur < b:
            out.append((cur, b))
    return out


class _Grid:
    """Minutes since local midnight of the window's first day, and steps of that grid."""

    def __init__(self, first: dt.date, last: dt.date, step: int, duration: int, tz: ZoneInfo,
                 closed_days: frozenset[dt.date], not_before: dt.datetime | None,
                 open_days: frozenset[dt.date] = frozenset()):
        self.tz = tz
        self.step = step
        self.duration = duration
        self.origin = dt.datetime.combine(first, dt.time(0), tzinfo=tz)
        self.days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
        end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
        self.total = self.at(end)
        self.closed = closed_days
        self.open = open_days - closed_days
        self.floor = max(0, self.at(not_before)) if not_before is not None else 0

    def at(self, moment: dt.datetime) -> int:
        if moment.tzinfo is None:
            raise ValueError("Busy times must carry a time zone.")
        return int((moment - self.origin).total_seconds() // 60)

    def local(self, day: dt.date, minutes: int) -> int:
        # Wall-clock arithmetic in the zone, then back to absolute minutes (DST-safe).
        wall = dt.datetime.combine(day, dt.time(0)) + dt.timedelta(minutes=minutes)
        return self.at(wall.replace(tzinfo=self.tz))

    def open_intervals(self, hours: list[dict] | None) -> list[tuple[int, int]]:
        by_day: dict[int, list[tuple[int, int]]] = {}
        for p in hours or []:
            by_day.setdefault(int(p["weekday"]), []).append((_minutes(p["start"]), _minutes(p["end"])))
        out = []
        for day in self.days:
            if day in self.closed:
                continue
            if hours is None:
                periods = [(0, 24 * 60)]
            elif day in self.open and day.weekday() >= 5:
                periods = _workday_periods(by_day)
            else:
                periods = by_day.get(day.weekday(), [])
            for a, b in periods:
                out.append((self.local(day, a), self.local(day, b)))
        return _merge(out)

    def busy(self, intervals: Iterable[tuple[dt.datetime, dt.datetime]]) -> list[tuple[int, int]]:
        return _merge((self.at(s), self.at(e)) for s, e in intervals)

    def mask(self, free: list[tuple[int, int]]) -> int:
        """Bit i set when a meeting starting at step i lies inside one free interval."""
        m = 0
        step, dur = self.step, self.duration
        for a, b in free:
            a = max(a, self.floor)
            first = -(-a // step)
            last = (b - dur) // step
            if last >= first:
                m |= ((1 << (last - first + 1)) - 1) << first
        return m

    def moment(self, index: int) -> dt.datetime:
        return (self.origin + dt.timedelta(minutes=index * self.step)).astimezone(self.tz)


def _workday_periods(by_day: dict[int, list[tuple[int, int]]]) -> list[tuple[int, int]]:
    """A make-up working day (调休上班) is worked like a weekday. The State Council's notice does
    not say which weekday it stands in for, so a party works its Monday hours (or those of the
    first weekday it has any): "城管 works 08:30–17:30 on weekdays" holds on the make-up Saturday."""
    for wd in range(5):
        if by_day.get(wd):
            return by_day[wd]
    return []


def holiday_days(is_working_day: Callable[[dt.date], bool], holidays: Iterable[dt.date],
                 first_day: dt.date, last_day: dt.date) -> frozenset[dt.date]:
    """The days of the window that belong to a holiday: each day off of the calendar's holidays,
    and the weekend days joined to one by other days off (the Saturday and Sunday inside the
    National Day week, the weekend that makes the Mid-Autumn Friday three days). An ordinary
    weekend is not a holiday; a make-up working day never is."""
    holidays = frozenset(holidays)
    out: set[dt.date] = set()
    # Scan a little beyond the window so a run that starts before it is recognised.
    day = first_day - dt.timedelta(days=3)
    end = last_day + dt.timedelta(days=3)
    run: list[dt.date] = []
    while day <= end + dt.timedelta(days=1):
        off = day <= end and not is_working_day(day)
        if off:
            run.append(day)
        else:
            if any(d in holidays for d in run):
                out.update(d for d in run if first_day <= d <= last_day)
            run = []
        day += dt.timedelta(days=1)
    return frozenset(out)


def calendar_days(calendar, first_day: dt.date, last_day: dt.date, *,
                  include_holidays: bool = False) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    """(closed_days, open_days) for find_slots from a working calendar (council.cases.workcalendar
    .WorkCalendar: national holidays and make-up days with the station's own laid over them).

    Holidays are closed unless the secretary ticks "include holidays" (包括节假日): then a holiday
    is an ordinary day of its weekday. Make-up working days in the window are open either way."""
    closed = frozenset() if include_holidays else holiday_days(
        calendar.is_working_day, calendar.holidays, first_day, last_day)
    open_ = frozenset(d for d in calendar.makeup_days if first_day <= d <= last_day)
    return closed, open_


def _bits(mask: int):
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def find_slots(
    parties: Sequence[Party],
    duration: dt.timedelta,
    first_day: dt.date,
    last_day: dt.date,
    *,
    rooms: Sequence[Room] | None = None,
    step: dt.timedelta = dt.timedelta(minutes=15),
    tz: str = DEFAULT_TZ,
    closed_days: Iterable[dt.date] = (),
    open_days: Iterable[dt.date] = (),
    not_before: dt.datetime | None = None,
    limit: int = 10,
    per_day: int | None = None,
    near_miss_limit: int = 5,
) -> Result:
    """Candidate slots ranked by how many optional parties can come, then earliest.

    ``rooms=None`` means no room is needed; an empty list means a room is needed but none exists
    (every start is then a near miss naming ROOM). ``closed_days`` (holidays, see calendar_days)
    are closed for everyone; on ``open_days`` (make-up working days on a weekend) a party with
    working hours works its weekday hours. ``per_day`` caps the candidates offered per calendar day so the list shows a
    choice of days rather than twelve quarter-hours of one morning.
    """
    step_min = int(step.total_seconds() // 60)
    dur_min = int(duration.total_seconds() // 60)
    if step_min <= 0 or dur_min <= 0:
        raise ValueError("Duration and step must be positive.")
    if last_day < first_day:
        return Result()
    zone = ZoneInfo(tz)
    grid = _Grid(first_day, last_day, step_min, dur_min, zone, frozenset(closed_days), not_before,
                 frozenset(open_days))

    masks: dict[str, int] = {}
    # Near misses are offered only in someone's working day: "midnight, 城管 cannot" helps nobody.
    daytime = 0
    for p in parties:
        open_ = grid.open_intervals(p.hours)
        masks[p.key] = grid.mask(_subtract(open_, grid.busy(p.busy)))
        if p.required:
            daytime |= grid.mask(open_)
    required = [p.key for p in parties if p.required]
    optional = [p.key for p in parties if not p.required]

    # A start must lie inside the window (and after not_before): bound by the whole-window mask.
    bound = grid.mask([(0, grid.total)])
    room_masks: list[tuple[str, int]] = []
    if rooms is None:
        room_any = bound
    else:
        room_any = 0
        for r in rooms:
            m = grid.mask(_subtract([(0, grid.total)], grid.busy(r.bookings)))
            room_masks.append((r.key, m))
            room_any |= m

    # Prefix/suffix ANDs so "everyone but p" costs one AND per required party.
    n = len(required)
    prefix = [bound] * (n + 1)
    for i, k in enumerate(required):
        prefix[i + 1] = prefix[i] & masks[k]
    suffix = [bound] * (n + 1)
    for i in range(n - 1, -1, -1):
        suffix[i] = suffix[i + 1] & masks[required[i]]
    all_required = prefix[n]

    def room_for(i: int) -> str | None:
        if rooms is None:
            return None
        for key, m in room_masks:
            if m >> i & 1:
                return key
        return None

    def make(i: int, blocked: tuple[str, ...]) -> Slot:
        attending = tuple(k for k in optional if masks[k] >> i & 1)
        absent = tuple(k for k in optional if not masks[k] >> i & 1)
        start = grid.moment(i)
        return Slot(start, start + duration, room_for(i), attending, absent, blocked)

    candidates = [make(i, ()) for i in _bits(all_required & room_any)]
    candidates.sort(key=lambda s: (-len(s.attending), s.start))
    result = Result(slots=_cap(candidates, limit, per_day))

    if not required:
        daytime = bound
    misses: list[Slot] = []
    for idx, k in enumerate(required):
        others = prefix[idx] & suffix[idx + 1] & room_any
        misses.extend(make(i, (k,)) for i in _first_per_day(grid, others & daytime & ~masks[k]))
    misses.extend(make(i, (ROOM,)) for i in _first_per_day(grid, all_required & daytime & ~room_any))
    misses.sort(key=lambda s: (-len(s.attending), s.start))
    result.near_misses = misses[:near_miss_limit]
    return result


def _first_per_day(grid: _Grid, mask: int) -> list[int]:
    """One start per day for a near miss: the earliest. Enough to name who blocks that day."""
    seen: set[dt.date] = set()
    out = []
    for i in _bits(mask):
        day = grid.moment(i).date()
        if day not in seen:
            seen.add(day)
            out.append(i)
    return out


def _cap(slots: list[Slot], limit: int, per_day: int | None) -> list[Slot]:
    out: list[Slot] = []
    count: dict[dt.date, int] = {}
    for s in slots:
        d = s.start.date()
        if per_day is not None and count.get(d, 0) >= per_day:
            continue
        count[d] = count.get(d, 0) + 1
        out.append(s)
        if len(out) >= limit:
            break
    return out


def overlaps(a_start: dt.datetime, a_end: dt.datetime, b_start: dt.datetime, b_end: dt.datetime) -> bool:
    """Half-open intervals: a meeting ending at 10:00 does not clash with one starting at 10:00."""
    return a_start < b_end and b_start < a_end


def inside_hours(hours: list[dict] | None, start: dt.datetime, end: dt.datetime, tz: str = DEFAULT_TZ) -> bool:
    """True when [start, end) lies inside one working period of one local day."""
    if hours is None:
        return True
    zone = ZoneInfo(tz)
    s, e = start.astimezone(zone), end.astimezone(zone)
    if s.date() != e.date() and not (e.time() == dt.time(0) and e.date() == s.date() + dt.timedelta(days=1)):
        return False
    a = s.hour * 60 + s.minute
    b = a + int((end - start).total_seconds() // 60)
    return any(int(p["weekday"]) == s.weekday() and _minutes(p["start"]) <= a and b <= _minutes(p["end"])
               for p in hours)
