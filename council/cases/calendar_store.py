"""A station's working calendar and categories, read from the database."""

from __future__ import annotations

import datetime as dt

from council.cases.tables import StationCategory, StationHoliday
from council.cases.vocabulary import DEFAULT_CATEGORIES
from council.cases.workcalendar import WorkCalendar
from council.core.localtime import LOCAL


def today() -> dt.date:
    return dt.datetime.now(LOCAL).date()


def local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(LOCAL).date()


def month_key(moment: dt.datetime) -> int:
    """The local month as YYYYMM, e.g. 202611."""
    local = moment.astimezone(LOCAL)
    return local.year * 100 + local.month


async def calendar_for(station_id: int) -> WorkCalendar:
    rows = await StationHoliday.select(StationHoliday.day, StationHoliday.kind).where(StationHoliday.station == station_id)
    return WorkCalendar(
        holidays=frozenset(r["day"] for r in rows if r["kind"] == "holiday"),
        makeup_days=frozenset(r["day"] for r in rows if r["kind"] == "makeup"),
    )


async def categories_for(station_id: int) -> list[dict]:
    """The station's categories; a station that has none yet gets the defaults (written once)."""
    rows = await StationCategory.select().where(StationCategory.station == station_id).order_by(StationCategory.position)
    if rows:
        return rows
    # Two first intakes may race here: ON CONFLICT lets both go on with the same rows.
    from piccolo.querystring import QueryString

    from council import db

    for i, (code, label, days) in enumerate(DEFAULT_CATEGORIES):
        await db.engine().run_querystring(QueryString(
            'INSERT INTO "station_category" ("station", "code", "label", "limit_days", "position", "active", "version") '
            "VALUES ({}, {}, {}, {}, {}, {}, 1) "
            'ON CONFLICT ("station", "code") DO NOTHING',
            station_id, code, label, days, i, True,
        ))
    return await StationCategory.select().where(StationCategory.station == station_id).order_by(StationCategory.position)
