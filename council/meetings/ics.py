"""iCalendar (.ics, RFC 5545): read busy times from VEVENTs, write meetings out.

Reading goes through two maintained libraries instead of a hand-made parser: `icalendar` reads
the file (folded lines, escaping, VTIMEZONE definitions — Outlook writes its own, named
"China Standard Time" — TZID parameters, UTC and floating times, all-day dates, DURATION), and
`recurring-ical-events` expands repeating events inside a window: RRULE, RDATE, EXDATE, and
instances moved or cancelled by a RECURRENCE-ID override. Before this, a weekly meeting
contributed its first occurrence only, so the slot finder offered times when a party was busy.

Floating times and TZIDs nobody defines are taken in the station's zone (a calendar imported
at a Chinese station). Cancelled and transparent (free) occurrences are skipped. Pure: no web or
database imports.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Asia/Shanghai"
MAX_EVENTS = 5000
# How far ahead repeating events are expanded when the caller gives no window: busy blocks are
# stored as occurrences, so an import covers the coming year and is repeated after that.
HORIZON = dt.timedelta(days=366)


class IcsError(ValueError):
    """The file is not a calendar we can read. Message is a msgid."""


@dataclass(frozen=True)
class Event:
    start: dt.datetime
    end: dt.datetime
    summary: str = ""
    recurring: bool = False


def _aware(value, zone: ZoneInfo) -> tuple[dt.datetime, bool]:
    """(aware datetime, is_all_day) from an icalendar date or datetime."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=zone), False
        return value, False
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(0), tzinfo=zone), True
    raise IcsError("This calendar file has a date we cannot read.")


def _prop(component, name: str) -> str:
    value = component.get(name)
    return str(value).strip() if value is not None else ""


def parse(text: str, tz: str = DEFAULT_TZ, *, start: dt.datetime | None = None,
          end: dt.datetime | None = None) -> list[Event]:
    """Every busy occurrence in [start, end), in time order. Without a window: from a week ago
    to HORIZON ahead of now. Repeating events are expanded; a single event is kept whole."""
    import icalendar

    if "BEGIN:VCALENDAR" not in text.upper():
        raise IcsError("This is not an .ics calendar file.")
    zone = ZoneInfo(tz)
    now = dt.datetime.now(zone)
    start = start or now - dt.timedelta(days=7)
    end = end or now + HORIZON
    try:
        cal = icalendar.Calendar.from_ical(text)
    except (ValueError, KeyError, IndexError, TypeError):
        raise IcsError("This is not an .ics calendar file.") from None
    try:
        return _expand(cal, zone, start, end)
    except IcsError:
        raise
    except Exception:  # the libraries raise their own types for a malformed rule or date
        raise IcsError("This calendar file has a date we cannot read.") from None


def _expand(cal, zone: ZoneInfo, start: dt.datetime, end: dt.datetime) -> list[Event]:
    import recurring_ical_events

    # Events without DTSTART are not busy time; recurring-ical-events would refuse the whole file.
    for component in list(cal.subcomponents):
        if component.name == "VEVENT" and "DTSTART" not in component:
            cal.subcomponents.remove(component)
    # A rule repeating every minute or second would expand to hundreds of thousands of
    # occurrences before the MAX_EVENTS guard could count them: no busy calendar needs it.
    for component in cal.walk("VEVENT"):
        rules = component.get("RRULE")
        for rule in rules if isinstance(rules, list) else [rules] if rules else []:
            if str((rule.get("FREQ") or [""])[0]).upper() in ("SECONDLY", "MINUTELY"):
                raise IcsError("This calendar file has too many events.")
    # Which UIDs repeat, read before expansion: the library marks every occurrence it yields
    # with a RECURRENCE-ID, so the occurrence alone no longer tells.
    series = {_prop(c, "UID") for c in cal.walk("VEVENT")
              if "RRULE" in c or "RDATE" in c or "RECURRENCE-ID" in c} - {""}
    events: list[Event] = []
    occurrences = recurring_ical_events.of(cal, components=["VEVENT"]).between(start, end)
    for occurrence in occurrences:
        ev = _occurrence(occurrence, zone, series)
        if ev is None:
            continue
        events.append(ev)
        if len(events) > MAX_EVENTS:
            raise IcsError("This calendar file has too many events.")
    events.sort(key=lambda e: e.start)
    return events


def _occurrence(component, zone: ZoneInfo, series: set[str]) -> Event | None:
    if _prop(component, "STATUS").upper() == "CANCELLED":
        return None
    if _prop(component, "TRANSP").upper() == "TRANSPARENT":
        return None
    begin, all_day = _aware(component["DTSTART"].dt, zone)
    if "DTEND" in component:
        finish, _ = _aware(component["DTEND"].dt, zone)
    elif "DURATION" in component:
        finish = begin + component["DURATION"].dt
    else:
        finish = begin + (dt.timedelta(days=1) if all_day else dt.timedelta(0))
    if finish <= begin:
        return None
    recurring = _prop(component, "UID") in series
    summary = " ".join(_prop(component, "SUMMARY").split())[:200]
    return Event(begin, finish, summary, recurring)


# --- writing ---------------------------------------------------------------------------------
#
# Written with the maintained `icalendar` library, which escapes backslashes, commas, semicolons
# and line breaks and folds long lines. It passes other control characters through, and RFC 5545
# allows none of them in TEXT: a title holding CR, LF, NUL or ESC could otherwise end a property
# early and smuggle in its own (a fake ORGANIZER, a second VEVENT). So every text first goes
# through _text(): line breaks of every kind become "\n" (escaped by the library as \\n), tab
# becomes a space, every other control character is dropped.

_LINE_BREAKS = re.compile("\r\n|[\r\n\x0b\x0c\x85\u2028\u2029]")


def _text(value: object) -> str:
    text = _LINE_BREAKS.sub("\n", str(value or ""))
    return "".join(" " if ch == "\t" else ch for ch in text
                   if ch in "\n\t" or not unicodedata.category(ch).startswith("C") or unicodedata.category(ch) == "Co")


def calendar(events: list[dict], name: str = "Council", stamp: dt.datetime | None = None) -> str:
    """events: [{"uid", "start", "end", "summary", "location", "description", "status", "sequence"}]."""
    import icalendar

    stamp = (stamp or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Council//Meetings//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", icalendar.vText(_text(name)))  # an X- property: say it is TEXT, to be escaped
    for e in events:
        ev = icalendar.Event()
        ev.add("uid", _text(e["uid"]))
        ev.add("dtstamp", stamp)
        ev.add("dtstart", e["start"].astimezone(dt.timezone.utc))
        ev.add("dtend", e["end"].astimezone(dt.timezone.utc))
        ev.add("summary", _text(e.get("summary", "")))
        if e.get("location"):
            ev.add("location", _text(e["location"]))
        if e.get("description"):
            ev.add("description", _text(e["description"]))
        if e.get("sequence") is not None:
            ev.add("sequence", int(e["sequence"]))
        status = str(e.get("status") or "CONFIRMED").upper()
        ev.add("status", status if status in ("CONFIRMED", "TENTATIVE", "CANCELLED") else "CONFIRMED")
        cal.add_component(ev)
    return cal.to_ical().decode("utf-8")
