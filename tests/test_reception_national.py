"""The reception day follows China's statutory holidays every station inherits: a reception
weekday that falls in the National Day holiday is no reception day, unless the station itself
marked that date as a working day."""

from __future__ import annotations

import datetime as dt

from council.cases.calendar_store import national_arrangements
from council.reception import store


async def test_a_reception_day_on_a_national_holiday_is_skipped():
    arrangements = await national_arrangements()
    assert dt.date(2026, 10, 2) in arrangements[2026].holidays  # 国庆节, a Friday
    station = {"id": -1, "reception_weekday": 4, "reception_start": dt.time(9), "reception_end": dt.time(11, 30)}
    days = [o.day for o in await store.occurrences(station, dt.date(2026, 9, 14), dt.date(2026, 10, 16))]
    assert dt.date(2026, 9, 18) in days
    assert dt.date(2026, 9, 25) not in days  # 中秋节
    assert dt.date(2026, 10, 2) not in days
    assert dt.date(2026, 10, 16) in days
