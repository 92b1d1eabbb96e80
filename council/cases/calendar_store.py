"""A station's working calendar and categories, read from the database."""

from __future__ import annotations

import datetime as dt

from council.cases.tables import StationCategory
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
    """The station's working calendar: China's national holidays and make-up working days
    (council.cases.holidays_cn), with the station's own days laid over them."""
    from council.cases.holidays_cn import national_days, overlay

    from council import db

    global _national_kept
    rows = await db.fetch('SELECT "day", "kind" FROM "station_holiday" WHERE "station" = {}', station_id)
    years = await db.fetch(_YEARS)
    # The national days change only when a year is loaded (a new holiday_year row or a new
    # loaded_at), so they are gathered again only then; the loaded years are read every time.
    key = tuple((y["id"], y["year"], str(y["loaded_at"]), y["provisional"], y["source"]) for y in years)
    if _national_kept is None or _national_kept[0] != key:
        _national_kept = (key, national_days(await national_arrangements(years)))
    return overlay(*_national_kept[1], [(r["day"], r["kind"]) for r in rows])


_YEARS = 'SELECT "id", "year", "source", "provisional", "loaded_at", "loaded_by" FROM "holiday_year"'
_national_kept: tuple | None = None


async def national_arrangements(years: list[dict] | None = None) -> dict:
    """Per year, the national arrangement in force: loaded years (database) over built-in ones.
    `years`: the holiday_year rows when the caller has just read them."""
    from council.cases.holidays_cn import Arrangement, national
    from council.cases.tables import HolidayYear, NationalHoliday

    from council import db

    if years is None:
        years = await db.fetch(_YEARS)
    if not years:
        return national({})
    days = await NationalHoliday.select(NationalHoliday.year, NationalHoliday.day, NationalHoliday.kind,
                                        NationalHoliday.note)
    loaded = {}
    for y in years:
        mine = [d for d in days if d["year"] == y["year"]]
        loaded[y["year"]] = Arrangement(
            year=y["year"], source=y["source"], provisional=y["provisional"],
            holidays={d["day"]: d["note"] for d in mine if d["kind"] == "holiday"},
            makeup={d["day"]: d["note"] for d in mine if d["kind"] == "makeup"},
        )
    return national(loaded)


_CATEGORIES = ('SELECT "id", "station", "code", "label", "limit_days", "position", "active", "version" '
               'FROM "station_category" WHERE "station" = {} ORDER BY "position"')


async def categories_for(station_id: int) -> list[dict]:
    """The station's categories; a station that has none yet gets the defaults (written once)."""
    from council import db

    rows = await db.fetch(_CATEGORIES, station_id)
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
