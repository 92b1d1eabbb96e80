"""The slot finder, to its boundaries: working hours, overlaps, rooms, time zones, empty windows, ranking."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from council.meetings.slots import ROOM, Party, Room, find_slots, inside_hours, overlaps

SH = ZoneInfo("Asia/Shanghai")
MON = dt.date(2026, 11, 23)  # a Monday
H = dt.timedelta(hours=1)
WEEKDAYS_9_17 = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]


def at(day: dt.date, hh: int, mm: int = 0, tz=SH) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm), tzinfo=tz)


def test_first_slot_is_start_of_working_hours():
    r = find_slots([Party("org:1", hours=WEEKDAYS_9_17)], H, MON, MON)
    assert r.slots[0].start == at(MON, 9)
    assert r.slots[0].end == at(MON, 10)


def test_last_start_fits_exactly_before_end_of_hours():
    r = find_slots([Party("org:1", hours=WEEKDAYS_9_17)], H, MON, MON, limit=100)
    assert max(s.start for s in r.slots) == at(MON, 16)
    assert len(r.slots) == 29  # 09:00 … 16:00 at 15-minute steps


def test_weekend_has_no_working_hours():
    sat = MON + dt.timedelta(days=5)
    r = find_slots([Party("org:1", hours=WEEKDAYS_9_17)], H, sat, sat + dt.timedelta(days=1))
    assert r.slots == []


def test_busy_interval_blocks_overlaps_but_touching_is_fine():
    busy = [(at(MON, 9), at(MON, 12))]
    r = find_slots([Party("org:1", hours=WEEKDAYS_9_17, busy=busy)], H, MON, MON)
    assert r.slots[0].start == at(MON, 12)  # ends at 12:00 → may start at 12:00


def test_busy_in_middle_excludes_overlapping_starts():
    busy = [(at(MON, 10), at(MON, 11))]
    r = find_slots([Party("org:1", hours=WEEKDAYS_9_17, busy=busy)], H, MON, MON, limit=100)
    starts = {s.start for s in r.slots}
    assert at(MON, 9) in starts
    assert at(MON, 9, 15) not in starts
    assert at(MON, 10, 45) not in starts
    assert at(MON, 11) in starts


def test_two_required_parties_intersect():
    a = Party("org:1", hours=[{"weekday": 0, "start": "08:00", "end": "12:00"}])
    b = Party("org:2", hours=[{"weekday": 0, "start": "10:30", "end": "18:00"}])
    r = find_slots([a, b], H, MON, MON, limit=100)
    assert [s.start for s in r.slots] == [at(MON, 10, 30), at(MON, 10, 45), at(MON, 11)]


def test_room_conflict_moves_to_free_room_or_blocks():
    party = Party("org:1", hours=WEEKDAYS_9_17)
    booked = Room("room:1", bookings=[(at(MON, 9), at(MON, 17))])
    free = Room("room:2")
    r = find_slots([party], H, MON, MON, rooms=[booked, free])
    assert r.slots[0].room == "room:2" and r.slots[0].start == at(MON, 9)
    r = find_slots([party], H, MON, MON, rooms=[booked])
    assert r.slots == []
    assert r.near_misses and r.near_misses[0].blocked == (ROOM,)


def test_first_room_in_order_wins_when_both_free():
    r = find_slots([Party("org:1", hours=WEEKDAYS_9_17)], H, MON, MON, rooms=[Room("room:7"), Room("room:2")])
    assert r.slots[0].room == "room:7"


def test_no_room_needed_gives_no_room():
    r = find_slots([Party("org:1", hours=WEEKDAYS_9_17)], H, MON, MON)
    assert r.slots[0].room is None


def test_time_zone_busy_given_in_utc():
    # 01:00–04:00 UTC is 09:00–12:00 in Shanghai.
    busy = [(at(MON, 1, tz=dt.timezone.utc), at(MON, 4, tz=dt.timezone.utc))]
    r = find_slots([Party("org:1", hours=WEEKDAYS_9_17, busy=busy)], H, MON, MON)
    assert r.slots[0].start == at(MON, 12)
    assert r.slots[0].start.utcoffset() == dt.timedelta(hours=8)


def test_time_zone_other_zone_for_hours():
    r = find_slots([Party("org:1", hours=WEEKDAYS_9_17)], H, MON, MON, tz="Europe/London")
    assert r.slots[0].start == dt.datetime(2026, 11, 23, 9, tzinfo=ZoneInfo("Europe/London"))


def test_naive_busy_is_refused():
    with pytest.raises(ValueError):
        find_slots([Party("org:1", hours=WEEKDAYS_9_17, busy=[(dt.datetime(2026, 11, 23, 9), dt.datetime(2026, 11, 23, 10))])],
                   H, MON, MON)


def test_empty_window():
    assert find_slots([Party("org:1", hours=WEEKDAYS_9_17)], H, MON, MON - dt.timedelta(days=1)).slots == []


def test_duration_longer_than_working_day():
    r = find_slots([Party("org:1", hours=WEEKDAYS_9_17)], dt.timedelta(hours=9), MON, MON + dt.timedelta(days=4))
    assert r.slots == []


def test_closed_days_are_skipped():
    r = find_slots([Party("org:1", hours=WEEKDAYS_9_17)], H, MON, MON + dt.timedelta(days=1), closed_days={MON})
    assert r.slots[0].start == at(MON + dt.timedelta(days=1), 9)


def test_not_before_drops_past_starts_and_rounds_up_to_step():
    r = find_slots([Party("org:1", hours=WEEKDAYS_9_17)], H, MON, MON, not_before=at(MON, 13, 5))
    assert r.slots[0].start == at(MON, 13, 15)


def test_party_without_hours_is_free_all_day():
    r = find_slots([Party("person:1")], H, MON, MON)
    assert r.slots[0].start == at(MON, 0)


def test_ranking_optional_attendance_then_earliest():
    req = Party("org:1", hours=WEEKDAYS_9_17)
    opt_pm = Party("org:2", hours=[{"weekday": 0, "start": "14:00", "end": "17:00"}], required=False)
    opt_pm2 = Party("org:3", hours=[{"weekday": 0, "start": "15:00", "end": "17:00"}], required=False)
    r = find_slots([req, opt_pm, opt_pm2], H, MON, MON, limit=100)
    first = r.slots[0]
    assert first.start == at(MON, 15) and first.attending == ("org:2", "org:3") and first.absent == ()
    assert r.slots[1].start == at(MON, 15, 15)
    # Then those with one optional party, earliest first; then the rest.
    one = [s for s in r.slots if len(s.attending) == 1]
    assert one[0].start == at(MON, 14)
    assert r.slots[-1].attending == ()
    assert r.slots[-1].absent == ("org:2", "org:3")


def test_per_day_cap_and_limit():
    r = find_slots([Party("org:1", hours=WEEKDAYS_9_17)], H, MON, MON + dt.timedelta(days=4), per_day=2, limit=6)
    assert len(r.slots) == 6
    assert [s.start.date() for s in r.slots] == [MON, MON, MON + dt.timedelta(days=1), MON + dt.timedelta(days=1),
                                                  MON + dt.timedelta(days=2), MON + dt.timedelta(days=2)]


def test_near_miss_names_who_cannot_come():
    a = Party("org:1", name="物业", hours=WEEKDAYS_9_17)
    b = Party("org:2", name="城管", hours=WEEKDAYS_9_17, busy=[(at(MON, 0), at(MON + dt.timedelta(days=1), 0))])
    r = find_slots([a, b], H, MON, MON)
    assert r.slots == []
    assert r.near_misses[0].blocked == ("org:2",)
    assert r.near_misses[0].start == at(MON, 9)


def test_overlaps_is_half_open():
    assert overlaps(at(MON, 9), at(MON, 10), at(MON, 9, 30), at(MON, 11))
    assert not overlaps(at(MON, 9), at(MON, 10), at(MON, 10), at(MON, 11))


def test_inside_hours():
    assert inside_hours(WEEKDAYS_9_17, at(MON, 9), at(MON, 17))
    assert not inside_hours(WEEKDAYS_9_17, at(MON, 8, 45), at(MON, 10))
    assert not inside_hours(WEEKDAYS_9_17, at(MON, 16, 30), at(MON, 17, 30))
    assert not inside_hours(WEEKDAYS_9_17, at(MON + dt.timedelta(days=5), 9), at(MON + dt.timedelta(days=5), 10))
    assert inside_hours(None, at(MON, 3), at(MON, 4))


# ---------------------------------------------------------------- national holidays (issue 13)

from council.cases.holidays_cn import national, station_calendar  # noqa: E402
from council.meetings.slots import calendar_days, holiday_days  # noqa: E402

CN = station_calendar(national({}), [])  # 2026: the State Council's arrangement
NATIONAL_DAY = dt.date(2026, 10, 1)  # Thursday; 1–7 October off, Saturday 10 October worked
MAKEUP_SAT = dt.date(2026, 10, 10)


def find_cn(parties, first, last, include_holidays=False, calendar=CN, **kw):
    closed, open_ = calendar_days(calendar, first, last, include_holidays=include_holidays)
    return find_slots(parties, H, first, last, closed_days=closed, open_days=open_, limit=1000, **kw)


def test_the_national_day_week_is_closed_weekend_included():
    closed, open_ = calendar_days(CN, dt.date(2026, 9, 28), dt.date(2026, 10, 11))
    assert closed == {NATIONAL_DAY + dt.timedelta(days=i) for i in range(7)}  # 3–4 October too
    assert open_ == {MAKEUP_SAT}
    # The days either side are ordinary: Wednesday 30 September and Thursday 8 October.
    assert dt.date(2026, 9, 30) not in closed and dt.date(2026, 10, 8) not in closed


def test_an_ordinary_weekend_is_not_a_holiday():
    assert holiday_days(CN.is_working_day, CN.holidays, dt.date(2026, 11, 21), dt.date(2026, 11, 22)) == frozenset()


def test_no_slot_on_a_holiday_even_for_a_party_without_hours():
    for hours in (WEEKDAYS_9_17, None):
        r = find_cn([Party("org:1", hours=hours)], dt.date(2026, 9, 30), dt.date(2026, 10, 8))
        days = {s.start.date() for s in r.slots}
        assert not days & {NATIONAL_DAY + dt.timedelta(days=i) for i in range(7)}
        assert dt.date(2026, 9, 30) in days and dt.date(2026, 10, 8) in days


def test_the_make_up_saturday_is_a_working_day_with_weekday_hours():
    r = find_cn([Party("org:1", hours=WEEKDAYS_9_17)], MAKEUP_SAT, MAKEUP_SAT)
    assert r.slots[0].start == at(MAKEUP_SAT, 9)
    assert max(s.start for s in r.slots) == at(MAKEUP_SAT, 16)
    # The Sunday after it is an ordinary weekend day: no weekday hours.
    sun = MAKEUP_SAT + dt.timedelta(days=1)
    assert find_cn([Party("org:1", hours=WEEKDAYS_9_17)], sun, sun).slots == []


def test_make_up_day_uses_the_first_weekday_with_hours():
    tue_only = [{"weekday": 1, "start": "14:00", "end": "16:00"}]
    r = find_cn([Party("org:1", hours=tue_only)], MAKEUP_SAT, MAKEUP_SAT)
    assert [s.start for s in r.slots][:1] == [at(MAKEUP_SAT, 14)]
    assert find_cn([Party("org:2", hours=[{"weekday": 5, "start": "09:00", "end": "12:00"}])],
                   MAKEUP_SAT, MAKEUP_SAT).slots == []  # Saturday-only hours: no weekday hours to work


def test_include_holidays_offers_the_holiday_at_its_weekday_hours():
    r = find_cn([Party("org:1", hours=WEEKDAYS_9_17)], NATIONAL_DAY, NATIONAL_DAY, include_holidays=True)
    assert r.slots[0].start == at(NATIONAL_DAY, 9)
    # The Saturday of the holiday week opens only for parties that work Saturdays (or have no hours).
    sat = dt.date(2026, 10, 3)
    assert find_cn([Party("org:1", hours=WEEKDAYS_9_17)], sat, sat, include_holidays=True).slots == []
    assert find_cn([Party("org:1", hours=None)], sat, sat, include_holidays=True).slots
    # The make-up Saturday stays a working day with the tick too.
    assert find_cn([Party("org:1", hours=WEEKDAYS_9_17)], MAKEUP_SAT, MAKEUP_SAT, include_holidays=True).slots


def test_a_station_day_off_and_a_station_make_up_day_count_like_national_ones():
    local_off, local_makeup = dt.date(2026, 11, 25), dt.date(2026, 11, 28)  # Wednesday, Saturday
    cal = station_calendar(national({}), [(local_off, "holiday"), (local_makeup, "makeup")])
    r = find_cn([Party("org:1", hours=WEEKDAYS_9_17)], local_off, local_makeup, calendar=cal)
    days = {s.start.date() for s in r.slots}
    assert local_off not in days and local_makeup in days and dt.date(2026, 11, 26) in days
    # National Day itself, overridden by the station as a working day, is offered.
    cal = station_calendar(national({}), [(NATIONAL_DAY, "makeup")])
    assert find_cn([Party("org:1", hours=WEEKDAYS_9_17)], NATIONAL_DAY, NATIONAL_DAY, calendar=cal).slots


def test_near_misses_are_not_offered_on_holidays():
    busy = [(at(dt.date(2026, 9, 30), 0), at(dt.date(2026, 10, 9), 0))]
    r = find_cn([Party("org:1", hours=WEEKDAYS_9_17), Party("org:2", hours=WEEKDAYS_9_17, busy=busy)],
                dt.date(2026, 9, 30), dt.date(2026, 10, 8))
    assert r.slots == []
    assert {s.start.date() for s in r.near_misses} == {dt.date(2026, 9, 30), dt.date(2026, 10, 8)}
