"""iCalendar (.ics, RFC 5545) in the small: read busy times from VEVENTs, write meetings out.

Reading understands what calendar apps export: folded lines, DTSTART/DTEND as UTC (…Z), with a
TZID parameter, floating (taken in the station's zone), or all-day (VALUE=DATE, DTEND exclusive);
DURATION instead of DTEND; cancelled and transparent (free) events are skipped. Recurrence rules
are not expanded — an RRULE event contributes its first occurrence only (said in the import
result). Pure: no web or database imports.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TZ = "Asia/Shanghai"
MAX_EVENTS = 5000


class IcsError(ValueError):
    """The file is not a calendar we can read. Message is a msgid."""


@dataclass(frozen=True)
class Event:
    start: dt.datetime
    end: dt.datetime
    summary: str = ""
    recurring: bool = False


def _unfold(text: str) -> list[str]:
    lines: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] += raw[1:]
        elif raw:
            lines.append(raw)
    return lines


def _split(line: str) -> tuple[str, dict[str, str], str]:
    head, _, value = line.partition(":")
    parts = head.split(";")
    params = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        params[k.upper()] = v.strip('"')
    return parts[0].upper(), params, value


def _when(value: str, params: dict[str, str], zone: ZoneInfo) -> tuple[dt.datetime, bool]:
    """(aware datetime, is_all_day)."""
    value = value.strip()
    if params.get("VALUE", "").upper() == "DATE" or re.fullmatch(r"\d{8}", value):
        d = dt.datetime.strptime(value[:8], "%Y%m%d")
        return d.replace(tzinfo=zone), True
    m = re.fullmatch(r"(\d{8})T(\d{4})(\d{2})?(Z?)", value)
    if not m:
        raise IcsError("This calendar file has a date we cannot read.")
    naive = dt.datetime.strptime(m[1] + m[2] + (m[3] or "00"), "%Y%m%d%H%M%S")
    if m[4]:
        return naive.replace(tzinfo=dt.timezone.utc), False
    tzid = params.get("TZID")
    if tzid:
        try:
            return naive.replace(tzinfo=ZoneInfo(tzid)), False
        except (ZoneInfoNotFoundError, ValueError):
            # Outlook writes Windows names ("China Standard Time"): the station's zone is the
            # right guess for a calendar imported at a Chinese station.
            return naive.replace(tzinfo=zone), False
    return naive.replace(tzinfo=zone), False


_DURATION = re.compile(r"^([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def _duration(value: str) -> dt.timedelta:
    m = _DURATION.match(value.strip())
    if not m:
        raise IcsError("This calendar file has a date we cannot read.")
    w, d, h, mi, s = (int(x or 0) for x in m.groups()[1:])
    return dt.timedelta(weeks=w, days=d, hours=h, minutes=mi, seconds=s)


def _unescape(value: str) -> str:
    return value.replace("\\n", " ").replace("\\N", " ").replace("\\,", ",").replace("\\;", ";").replace("\\\\", "\\")


def parse(text: str, tz: str = DEFAULT_TZ) -> list[Event]:
    """Every busy event in the file, in time order."""
    if "BEGIN:VCALENDAR" not in text.upper():
        raise IcsError("This is not an .ics calendar file.")
    zone = ZoneInfo(tz)
    events: list[Event] = []
    current: dict | None = None
    depth_alarm = 0
    for line in _unfold(text):
        name, params, value = _split(line)
        if name == "BEGIN" and value.upper() == "VEVENT":
            current = {}
            continue
        if current is None:
            continue
        if name == "BEGIN":  # VALARM inside an event: its fields are not the event's
            depth_alarm += 1
            continue
        if name == "END" and value.upper() != "VEVENT":
            depth_alarm = max(0, depth_alarm - 1)
            continue
        if depth_alarm:
            continue
        if name == "END":
            ev = _finish(current, zone)
            if ev is not None:
                events.append(ev)
                if len(events) > MAX_EVENTS:
                    raise IcsError("This calendar file has too many events.")
            current = None
            continue
        current[name] = (params, value)
    events.sort(key=lambda e: e.start)
    return events


def _finish(fields: dict, zone: ZoneInfo) -> Event | None:
    if "DTSTART" not in fields:
        return None
    if fields.get("STATUS", ({}, ""))[1].strip().upper() == "CANCELLED":
        return None
    if fields.get("TRANSP", ({}, ""))[1].strip().upper() == "TRANSPARENT":
        return None
    start, all_day = _when(fields["DTSTART"][1], fields["DTSTART"][0], zone)
    if "DTEND" in fields:
        end, _ = _when(fields["DTEND"][1], fields["DTEND"][0], zone)
    elif "DURATION" in fields:
        end = start + _duration(fields["DURATION"][1])
    else:
        end = start + (dt.timedelta(days=1) if all_day else dt.timedelta(0))
    if end <= start:
        return None
    return Event(start, end, _unescape(fields.get("SUMMARY", ({}, ""))[1])[:200], "RRULE" in fields)


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
