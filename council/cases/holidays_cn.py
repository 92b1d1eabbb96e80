"""China's national holiday calendar, which every station inherits. No web or database imports.

Each year the General Office of the State Council publishes the arrangement of the statutory
holidays (国务院办公厅关于某年部分节假日安排的通知): which weekdays are off (放假调休) and which
weekends are worked (调休上班). Where it comes from, strongest first:

1. an arrangement loaded with `council calendar load YEAR FILE` (kept in the database);
2. the maintained `chinese-calendar` library from PyPI, for the years it carries;
3. a file shipped in council/cases/holidays/YEAR.txt, for a year the library does not carry
   yet (2027: the statutory days only, marked provisional).

A station's own days (the station holiday register) are laid over the national calendar: a
local day off, or a local make-up working day, wins on its date.

The file format, one entry a line (the notice read line by line):

    source: 国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕N号）
    provisional: no
    2027-01-01 holiday 元旦
    2027-02-05..2027-02-11 holiday 春节        a range; weekend days in it are off anyway
    2027-02-20 makeup 春节调休上班             a Saturday or Sunday that is worked

`#` starts a comment. "放假"/"休" may stand for holiday and "上班"/"班" for makeup.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from council.cases.workcalendar import WorkCalendar, due_date

SHIPPED_DIR = Path(__file__).resolve().parent / "holidays"
LIBRARY_SOURCE = "chinese-calendar (PyPI), from the State Council's notices"
HOLIDAY_WORDS = {"holiday": "holiday", "放假": "holiday", "休": "holiday",
                 "makeup": "makeup", "上班": "makeup", "班": "makeup"}
MAX_FILE_CHARS = 20_000


class ArrangementError(ValueError):
    """A year's arrangement that cannot be loaded. `message` is a msgid, `params` its values."""

    def __init__(self, message: str, **params):
        super().__init__(message)
        self.message = message
        self.params = params


@dataclass(frozen=True)
class Arrangement:
    year: int
    holidays: dict[dt.date, str] = field(default_factory=dict)  # weekdays off
    makeup: dict[dt.date, str] = field(default_factory=dict)  # weekend days worked
    source: str = ""
    provisional: bool = False  # statutory days only: the notice is still to be loaded


# ------------------------------------------------------------------ the library and the shipped files

@lru_cache(maxsize=1)
def _library() -> tuple[dict[dt.date, str], frozenset[dt.date]]:
    from chinese_calendar import constants

    return dict(constants.holidays), frozenset(constants.workdays)


@lru_cache(maxsize=1)
def library_years() -> frozenset[int]:
    holidays, workdays = _library()
    return frozenset(d.year for d in holidays) | frozenset(d.year for d in workdays)


def from_library(year: int) -> Arrangement | None:
    if year not in library_years():
        return None
    holidays, workdays = _library()
    return Arrangement(
        year=year,
        # The library lists every day of a holiday period; only weekdays change anything.
        holidays={d: name for d, name in holidays.items() if d.year == year and d.weekday() < 5},
        makeup={d: "调休上班" for d in workdays if d.year == year and d.weekday() >= 5},
        source=LIBRARY_SOURCE,
    )


@lru_cache(maxsize=None)
def shipped(year: int) -> Arrangement | None:
    path = SHIPPED_DIR / f"{year}.txt"
    if not path.is_file():
        return None
    return parse_arrangement(path.read_text(encoding="utf-8"), year)


@lru_cache(maxsize=1)  # the shipped files change with a new release, i.e. a restart
def shipped_years() -> frozenset[int]:
    return frozenset(int(p.stem) for p in SHIPPED_DIR.glob("*.txt") if p.stem.isdigit())


@lru_cache(maxsize=None)  # read on every intake: the library's tables are walked once per year
def builtin(year: int) -> Arrangement | None:
    """What the app knows for a year without anything loaded: the library, else a shipped file."""
    return from_library(year) or shipped(year)


def builtin_years() -> frozenset[int]:
    return library_years() | shipped_years()


# ------------------------------------------------------------------ reading a year's file

def _day(text: str, year: int, line_no: int) -> dt.date:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ArrangementError("Line %(line)s: write dates like 2027-01-01.", line=line_no) from None
    if day.year != year:
        raise ArrangementError("Line %(line)s: %(day)s is not in %(year)s.", line=line_no, day=text, year=year)
    return day


def parse_arrangement(text: str, year: int) -> Arrangement:
    """Read a year's arrangement; refuse the whole file on the first wrong line."""
    if not 2000 <= year <= 2100:
        raise ArrangementError("Give a year between 2000 and 2100.")
    if len(text) > MAX_FILE_CHARS:
        raise ArrangementError("The file is too large.")
    holidays: dict[dt.date, str] = {}
    makeup: dict[dt.date, str] = {}
    off_weekends: set[dt.date] = set()
    source, provisional = "", False
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        key, colon, value = line.partition(":")
        if colon and key.strip().lower() in ("source", "来源"):
            source = value.strip()[:300]
            continue
        if colon and key.strip().lower() in ("provisional", "暂定"):
            provisional = value.strip().lower() in ("yes", "true", "1", "是")
            continue
        parts = line.split(None, 2)
        if len(parts) < 2 or parts[1].lower() not in HOLIDAY_WORDS:
            raise ArrangementError("Line %(line)s: write a date, then holiday or makeup, then a note.", line=line_no)
        kind = HOLIDAY_WORDS[parts[1].lower()]
        note = parts[2].strip()[:60] if len(parts) > 2 else ""
        first, dots, last = parts[0].partition("..")
        start = _day(first, year, line_no)
        end = _day(last, year, line_no) if dots else start
        if end < start:
            raise ArrangementError("Line %(line)s: the range ends before it starts.", line=line_no)
        day = start
        while day <= end:
            if kind == "makeup":
                if day.weekday() < 5:
                    raise ArrangementError("Line %(line)s: %(day)s is a weekday; a make-up working day falls on "
                                           "a Saturday or Sunday.", line=line_no, day=day.isoformat())
                makeup[day] = note
            elif day.weekday() < 5:
                holidays[day] = note
            else:  # a weekend in a holiday period is off anyway; remembered only to catch a contradiction
                off_weekends.add(day)
            if day in makeup and (day in holidays or day in off_weekends):
                raise ArrangementError("Line %(line)s: %(day)s is listed both as a holiday and as a make-up "
                                       "working day.", line=line_no, day=day.isoformat())
            day += dt.timedelta(days=1)
    if not source:
        raise ArrangementError("Name the source: a line such as “source: 国务院办公厅关于%(year)s年部分节假日安排的通知”.",
                               year=year)
    if not holidays:
        raise ArrangementError("The file lists no weekday holiday for %(year)s.", year=year)
    return Arrangement(year, holidays, makeup, source, provisional)


# ------------------------------------------------------------------ one station's calendar

def national(loaded: dict[int, Arrangement], years: frozenset[int] | None = None) -> dict[int, Arrangement]:
    """Per year, the arrangement in force: a loaded one, else the built-in one."""
    out = {y: a for y in (years if years is not None else builtin_years()) if (a := builtin(y))}
    out.update(loaded)
    return out


def national_days(arrangements: dict[int, Arrangement]) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    """Every year's holidays and make-up working days together: (holidays, make-up days)."""
    holidays: set[dt.date] = set()
    makeup: set[dt.date] = set()
    for a in arrangements.values():
        holidays |= a.holidays.keys()
        makeup |= a.makeup.keys()
    return frozenset(holidays), frozenset(makeup)


def station_calendar(arrangements: dict[int, Arrangement], local: list[tuple[dt.date, str]]) -> WorkCalendar:
    """The national days with the station's own laid over them (a local day wins on its date)."""
    return overlay(*national_days(arrangements), local)


def overlay(national_holidays: frozenset[dt.date], national_makeup: frozenset[dt.date],
            local: list[tuple[dt.date, str]]) -> WorkCalendar:
    """station_calendar with the national days already gathered (council.cases.calendar_store
    keeps them between requests: gathering twenty years of days was a tenth of an intake)."""
    if not local:
        return WorkCalendar(holidays=national_holidays, makeup_days=national_makeup)
    holidays, makeup = set(national_holidays), set(national_makeup)
    for day, kind in local:
        holidays.discard(day)
        makeup.discard(day)
        (makeup if kind == "makeup" else holidays).add(day)
    return WorkCalendar(holidays=frozenset(holidays), makeup_days=frozenset(makeup))


def missing_next_year(today: dt.date, arrangements: dict[int, Arrangement]) -> int | None:
    """From 1 November, the coming year when its arrangement is still absent or provisional:
    the notice usually comes out in November, and deadlines soon run into the new year."""
    if today.month < 11:
        return None
    coming = today.year + 1
    a = arrangements.get(coming)
    return coming if a is None or a.provisional else None


# ------------------------------------------------------------------ deadlines after a change

@dataclass(frozen=True)
class OpenDeadline:
    case: int
    registered: dt.date  # the local day the case was registered
    limit_days: int
    extensions: tuple[int, ...]  # approved extensions, in the order they were granted
    due: dt.date  # as stored now


@dataclass(frozen=True)
class Moved:
    case: int
    old: dt.date
    new: dt.date


def moved_deadlines(cases: list[OpenDeadline], calendar: WorkCalendar, today: dt.date) -> list[Moved]:
    """Which open deadlines a new calendar moves, recounted from the registration day by the same
    rule as at intake. A deadline already passed stays as it was (its case is overdue on the
    record), and a deadline is never moved into the past: a change of calendar must not make a
    case overdue behind its handler's back."""
    out = []
    for c in cases:
        if c.due < today:
            continue
        new = due_date(calendar, c.registered, c.limit_days, list(c.extensions))
        if new != c.due and new >= today:
            out.append(Moved(c.case, c.due, new))
    return out


def moved_text(old: dt.date, new: dt.date) -> str:
    """The timeline's sentence, kept in the file's language (Chinese) like the rest of the record."""
    return f"由于节假日调整，期限由 {old.isoformat()} 调整为 {new.isoformat()}"


__all__ = ["Arrangement", "ArrangementError", "parse_arrangement", "from_library", "builtin", "national",
           "station_calendar", "missing_next_year", "OpenDeadline", "Moved", "moved_deadlines", "moved_text"]

