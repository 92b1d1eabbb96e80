"""Busy times from .ics files: repeating events are expanded (RRULE, RDATE, EXDATE, moved
instances, time zones) with icalendar + recurring-ical-events. Pure parsing first, then the
import use case feeding the slot finder, then the page and the API."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from council.meetings import ics

SH = ZoneInfo("Asia/Shanghai")


def outlook(first: dt.date, weeks: int = 5, *, skip: int | None = 2, moved: int | None = 3,
            rdate: dt.date | None = None) -> str:
    """What Outlook exports for a weekly meeting: its own VTIMEZONE named "China Standard Time",
    a quoted TZID, a weekly RRULE ending by UNTIL (in UTC), an EXDATE for the cancelled week, an
    overriding VEVENT with RECURRENCE-ID for the week moved to Thursday afternoon, an alarm,
    CRLF line ends and lines folded at 75 octets."""
    def local(d: dt.date, hhmm: str) -> str:
        return f"{d:%Y%m%d}T{hhmm}00"

    last = first + dt.timedelta(weeks=weeks - 1)
    until = dt.datetime.combine(last, dt.time(2, 0))  # 10:00 CST == 02:00 UTC
    lines = [
        "BEGIN:VCALENDAR", "PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN", "VERSION:2.0",
        "METHOD:PUBLISH", "X-MS-OLK-FORCEINSPECTOROPEN:TRUE",
        "BEGIN:VTIMEZONE", "TZID:China Standard Time", "BEGIN:STANDARD", "DTSTART:16010101T000000",
        "TZOFFSETFROM:+0800", "TZOFFSETTO:+0800", "END:STANDARD", "END:VTIMEZONE",
        "BEGIN:VEVENT", "CLASS:PUBLIC", "CREATED:20261020T020000Z", "DESCRIPTION:\\n",
        f'DTEND;TZID="China Standard Time":{local(first, "1130")}',
        "DTSTAMP:20261101T020000Z",
        f'DTSTART;TZID="China Standard Time":{local(first, "1000")}',
    ]
    if skip is not None:
        lines.append(f'EXDATE;TZID="China Standard Time":{local(first + dt.timedelta(weeks=skip), "1000")}')
    if rdate is not None:
        lines.append(f'RDATE;TZID="China Standard Time":{local(rdate, "1000")}')
    lines += [
        "LOCATION:街道办三楼会议室", "PRIORITY:5",
        f"RRULE:FREQ=WEEKLY;UNTIL={until:%Y%m%dT%H%M%S}Z;INTERVAL=1;BYDAY={'MO TU WE TH FR SA SU'.split()[first.weekday()]};WKST=SU",
        "SEQUENCE:0", "SUMMARY;LANGUAGE=zh-cn:城管周例会", "TRANSP:OPAQUE",
        "UID:040000008200E00074C5B7101A82E00800000000D0A1C1C1A1B2DB01000000000000000010000000A1B2C3D4",
        "X-MICROSOFT-CDO-BUSYSTATUS:BUSY",
        "BEGIN:VALARM", "TRIGGER:-PT15M", "ACTION:DISPLAY", "DESCRIPTION:Reminder", "END:VALARM",
        "END:VEVENT",
    ]
    if moved is not None:
        orig = first + dt.timedelta(weeks=moved)
        new = orig + dt.timedelta(days=1)
        lines += [
            "BEGIN:VEVENT", "CLASS:PUBLIC",
            f'DTEND;TZID="China Standard Time":{local(new, "1600")}',
            "DTSTAMP:20261101T020000Z",
            f'DTSTART;TZID="China Standard Time":{local(new, "1430")}',
            f'RECURRENCE-ID;TZID="China Standard Time":{local(orig, "1000")}',
            "SEQUENCE:1", "SUMMARY;LANGUAGE=zh-cn:城管周例会（改期）", "TRANSP:OPAQUE",
            "UID:040000008200E00074C5B7101A82E00800000000D0A1C1C1A1B2DB01000000000000000010000000A1B2C3D4",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    folded = []
    for line in lines:  # fold like Outlook: 75 octets, continuation starts with a space
        raw = line.encode()
        while len(raw) > 75:
            cut = 75
            while raw[cut] & 0xC0 == 0x80:
                cut -= 1
            folded.append(raw[:cut].decode())
            raw = b" " + raw[cut:]
        folded.append(raw.decode())
    return "\r\n".join(folded) + "\r\n"


FIRST = dt.date(2026, 11, 4)  # a Wednesday
WINDOW = (dt.datetime(2026, 11, 1, tzinfo=SH), dt.datetime(2027, 1, 1, tzinfo=SH))


def spans(events):
    return [(e.start.astimezone(SH).strftime("%m-%d %H:%M"), e.end.astimezone(SH).strftime("%H:%M")) for e in events]


def test_weekly_outlook_meeting_blocks_every_week_but_the_cancelled_one():
    events = ics.parse(outlook(FIRST), start=WINDOW[0], end=WINDOW[1])
    assert spans(events) == [
        ("11-04 10:00", "11:30"),
        ("11-11 10:00", "11:30"),
        # 11-18 is the EXDATE: no block
        ("11-26 14:30", "16:00"),  # 11-25 moved to Thursday afternoon by RECURRENCE-ID
        ("12-02 10:00", "11:30"),  # UNTIL is inclusive: the fifth week is the last
    ]
    assert all(e.recurring for e in events)
    assert events[2].summary == "城管周例会（改期）"


def test_rdate_adds_an_extra_occurrence_and_window_cuts_the_rest():
    events = ics.parse(outlook(FIRST, skip=None, moved=None, rdate=dt.date(2026, 11, 20)),
                       start=dt.datetime(2026, 11, 10, tzinfo=SH), end=dt.datetime(2026, 11, 26, tzinfo=SH))
    assert spans(events) == [("11-11 10:00", "11:30"), ("11-18 10:00", "11:30"), ("11-20 10:00", "11:30"),
                             ("11-25 10:00", "11:30")]


def test_utc_floating_all_day_duration_and_free_events():
    text = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
            "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20261210T010000Z\r\nDTEND:20261210T020000Z\r\nSUMMARY:UTC\r\nEND:VEVENT\r\n"
            "BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20261210T140000\r\nDURATION:PT90M\r\nSUMMARY:floating\r\nEND:VEVENT\r\n"
            "BEGIN:VEVENT\r\nUID:c\r\nDTSTART;VALUE=DATE:20261211\r\nDTEND;VALUE=DATE:20261212\r\nSUMMARY:all day\r\nEND:VEVENT\r\n"
            "BEGIN:VEVENT\r\nUID:d\r\nDTSTART:20261210T160000\r\nDTEND:20261210T170000\r\nTRANSP:TRANSPARENT\r\nEND:VEVENT\r\n"
            "BEGIN:VEVENT\r\nUID:e\r\nDTSTART:20261210T170000\r\nDTEND:20261210T180000\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n"
            "BEGIN:VEVENT\r\nUID:f\r\nSUMMARY:no start\r\nEND:VEVENT\r\n"
            "BEGIN:VEVENT\r\nUID:g\r\nDTSTART;TZID=Asia/Tokyo:20261210T100000\r\nDTEND;TZID=Asia/Tokyo:20261210T110000\r\nEND:VEVENT\r\n"
            "END:VCALENDAR\r\n")
    events = ics.parse(text, start=WINDOW[0], end=WINDOW[1])
    assert spans(events) == [("12-10 09:00", "10:00"), ("12-10 09:00", "10:00"), ("12-10 14:00", "15:30"),
                             ("12-11 00:00", "00:00")]
    assert not any(e.recurring for e in events)


def test_daily_rule_with_count_and_an_exdate_in_utc():
    text = ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:daily\r\nDTSTART;TZID=Asia/Shanghai:20261207T083000\r\n"
            "DTEND;TZID=Asia/Shanghai:20261207T090000\r\nRRULE:FREQ=DAILY;COUNT=5\r\n"
            "EXDATE:20261209T003000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    days = [s for s, _ in spans(ics.parse(text, start=WINDOW[0], end=WINDOW[1]))]
    assert days == ["12-07 08:30", "12-08 08:30", "12-10 08:30", "12-11 08:30"]


@pytest.mark.parametrize("text, message", [
    ("hello", "not an .ics"),
    ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:2026XX10T090000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", "cannot read"),
    ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20261210T090000\r\nRRULE:FREQ=SOMETIMES\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
     "cannot read"),
    ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20261210T090000\r\nRRULE:FREQ=MINUTELY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
     "too many"),
    ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:h\r\nDTSTART:20261210T090000\r\nDTEND:20261210T091000\r\n"
     "RRULE:FREQ=HOURLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", "too many"),
])
def test_bad_files_are_refused(text, message):
    with pytest.raises(ics.IcsError) as e:
        ics.parse(text, start=WINDOW[0], end=dt.datetime(2027, 12, 1, tzinfo=SH))
    assert message in str(e.value)


# ---------------------------------------------------------------- import, busy times, slot finder

def next_wednesday(days_ahead: int) -> dt.date:
    d = dt.date.today() + dt.timedelta(days=days_ahead)
    return d + dt.timedelta(days=(2 - d.weekday()) % 7)


async def test_import_expands_and_the_slot_finder_respects_every_week():
    from council.meetings import busy, scheduling
    from council.meetings.tables import BusyBlock
    from tests.test_meetings_services import org, principal, station

    sec = await principal("secretary")
    st = await station()
    who = f"org:{await org('住房')}"
    first = next_wednesday(40)
    result = await scheduling.import_ics(sec, st["id"], who, outlook(first).encode())
    assert result["events"] == 4 and result["recurring"] == 4 and result["until"]
    assert await BusyBlock.count().where((BusyBlock.who == who) & (BusyBlock.source == "ics")) == 4
    found = await busy.collect(dt.datetime.combine(first, dt.time(0), tzinfo=SH),
                               dt.datetime.combine(first + dt.timedelta(weeks=6), dt.time(0), tzinfo=SH), [who])
    assert [b.start.astimezone(SH) for b in found] == [
        dt.datetime.combine(first, dt.time(10), tzinfo=SH),
        dt.datetime.combine(first + dt.timedelta(weeks=1), dt.time(10), tzinfo=SH),
        dt.datetime.combine(first + dt.timedelta(weeks=3, days=1), dt.time(14, 30), tzinfo=SH),
        dt.datetime.combine(first + dt.timedelta(weeks=4), dt.time(10), tzinfo=SH),
    ]
    # The slot finder never offers the meeting's hour on a week it happens (weeks 2 and 5 were
    # offered before, when only the first occurrence was read), nor the moved Thursday afternoon.
    for day, busy_at in ((first + dt.timedelta(weeks=1), "10:00"), (first + dt.timedelta(weeks=4), "10:00"),
                         (first + dt.timedelta(weeks=3, days=1), "14:30")):
        res, _ = await scheduling.suggest(sec, st["id"], [{"key": who, "required": True}], duration_minutes=60,
                                          first_day=day, last_day=day, need_room=False, per_day=None, limit=50)
        starts = [s.start.astimezone(SH).strftime("%H:%M") for s in res.slots]
        assert busy_at not in starts
        if busy_at == "10:00":  # an hour from 09:30 or from 11:00 would overlap 10:00–11:30 too
            assert "09:30" not in starts and "11:00" not in starts
    # The cancelled week is free again at 10:00 (unless that day is a holiday with no slots).
    skipped = first + dt.timedelta(weeks=2)
    res, _ = await scheduling.suggest(sec, st["id"], [{"key": who, "required": True}], duration_minutes=60,
                                      first_day=skipped, last_day=skipped, need_room=False, per_day=None, limit=50)
    starts = [s.start.astimezone(SH).strftime("%H:%M") for s in res.slots]
    assert not starts or "10:00" in starts
    await BusyBlock.delete().where((BusyBlock.who == who) & (BusyBlock.source == "ics"))


async def test_api_import_reports_the_expansion(client):
    from council.accounts import services
    from council.accounts.principal import SYSTEM
    from council.meetings.tables import BusyBlock
    from tests.test_meetings_services import org, station

    token = await services.create_token(SYSTEM, "secretary", name="ics-test")
    st = await station()
    who = f"org:{await org('交通')}"
    r = client.post("/api/v1/meetings/busy/import", headers={"Authorization": f"Bearer {token}"},
                    json={"station": st["id"], "who": who, "ics": outlook(next_wednesday(50))})
    assert r.status_code in (200, 201), r.text
    body = r.json()
    assert body["events"] == 4 and body["recurring"] == 4 and len(body["until"]) == 10
    await BusyBlock.delete().where((BusyBlock.who == who) & (BusyBlock.source == "ics"))
