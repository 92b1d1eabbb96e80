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
