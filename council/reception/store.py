"""Reading a station's reception schedule, settings and roster from the database."""

from __future__ import annotations

import asyncio
import datetime as dt

from council import db
from council.accounts.principal import Principal
from council.cases.calendar_store import today
from council.core.errors import Forbidden, NotFound, OutOfScope
from council.core.prepared import prepared
from council.reception import policy, roster, schedule
from council.reception.tables import ReceptionException, ReceptionSetting, RosterMember, RosterSwap
from council.stations.tables import Room, Station


def reading():
    """A read transaction on SQLite, nothing on PostgreSQL (council.db.read; see read_all)."""
    return db.read()


async def read_all(*reads):
    """Run independent reads and return their results in order, as cheaply as the engine allows.

    SQLite: Piccolo opens a new connection (and aiosqlite a new thread) for every query outside a
    transaction, which costs more than the desk's small queries themselves; inside one read
    (DEFERRED) transaction they share a connection, and see one snapshot. PostgreSQL: pooled
    connections are cheap to take, so the reads run at once — unless a transaction is open,
    whose one connection runs one query at a time."""
    if db.is_sqlite() or db.engine().current_transaction.get() is not None:
        async with reading():
            return [await r for r in reads]
    return await asyncio.gather(*reads)


async def station_row(station_id: int | None) -> dict:
    row = await Station.select().where(Station.id == (station_id or -1)).first()
    if row is None:
        raise NotFound()
    return row


async def desk_station(principal: Principal, station_id: int | None, *, manage: bool = False) -> dict:
    """The station the principal works at: the one asked for (checked), else their first."""
    if station_id is None:
        ids = sorted(principal.station_ids)
        if ids:
            station_id = ids[0]
        elif principal.is_admin:
            first = await Station.select(Station.id).order_by(Station.id).first()
            station_id = first["id"] if first else None
    if station_id is None:
        raise Forbidden("You are not assigned to a station.")
    row = await station_row(station_id)
    allowed = policy.can_manage(principal, station_id) if manage else policy.can_work_desk(principal, station_id)
    if not allowed:
        if principal.sees_station(station_id):
            raise Forbidden()
        raise OutOfScope()
    return row


async def stations_for(principal: Principal) -> list[dict]:
    query = Station.select(Station.id, Station.name, Station.community).order_by(Station.id)
    if not principal.is_admin:
        query = query.where(Station.id.is_in(list(principal.station_ids) or [-1]))
    return await query


_exceptions = prepared(lambda station_id: ReceptionException.select().where(ReceptionException.station == station_id))


async def exceptions_for(station_id: int) -> list[schedule.ReceptionException]:
    rows = await _exceptions(station_id)
    return [schedule.ReceptionException(r["day"], r["kind"], r["moved_to"], r["start_time"], r["end_time"], r["note"])
            for r in rows]


async def holidays_for(station_id: int) -> list[dt.date]:
    """Days the station is closed: China's statutory holidays (the national arrangement every
    station inherits, council.cases.calendar_store) and the station's own holidays, less the
    days the station itself marked as working."""
    from council.cases.calendar_store import calendar_for

    # The station's working calendar is exactly that (its own days laid over the national ones),
    # and it keeps the national days gathered between requests.
    return sorted((await calendar_for(station_id)).holidays)


async def occurrences(station: dict, first: dt.date, last: dt.date) -> list[schedule.Occurrence]:
    if station["reception_start"] is None or station["reception_end"] is None:
        return []
    return schedule.occurrences(station["reception_weekday"], station["reception_start"], station["reception_end"],
                                first, last, await exceptions_for(station["id"]), await holidays_for(station["id"]))


async def day_and_next(station: dict, day: dt.date) -> tuple[schedule.Occurrence | None, schedule.Occurrence | None]:
    """(the reception day on `day` or None, the next one from `day` on): one read for the desk."""
    found = await occurrences(station, day, day + dt.timedelta(days=120))
    first = found[0] if found else None
    return (first, first) if first is not None and first.day == day else (None, first)


async def occurrence_on(station: dict, day: dt.date) -> schedule.Occurrence | None:
    found = await occurrences(station, day, day)
    return found[0] if found else None


async def next_occurrence(station: dict, after: dt.date | None = None) -> schedule.Occurrence | None:
    after = after or today()
    found = await occurrences(station, after, after + dt.timedelta(days=120))
    return found[0] if found else None


async def setting_for(station_id: int) -> dict:
    """The station's reception settings; defaults (first room, rotation from this week) if unset."""
    row = await ReceptionSetting.select().where(ReceptionSetting.station == station_id).first()
    if row is None:
        row = {"id": None, "station": station_id, "room": None, "roster_anchor": roster.monday(today()),
               "per_week": 1, "version": 0}
    return row


async def reception_room(station_id: int, setting: dict | None = None) -> int | None:
    """The room reception uses: the one set, else the station's first room."""
    setting = setting or await setting_for(station_id)
    if setting["room"]:
        return setting["room"]
    first = await Room.select(Room.id).where(Room.station == station_id).order_by(Room.id).first()
    return first["id"] if first else None


async def members_for(station_id: int, *, active_only: bool = True) -> list[dict]:
    query = RosterMember.select().where(RosterMember.station == station_id)
    if active_only:
        query = query.where(RosterMember.active == True)  # noqa: E712
    return await query.order_by(RosterMember.position, RosterMember.id)


async def approved_swaps(station_id: int) -> list[roster.Swap]:
    rows = await RosterSwap.select().where((RosterSwap.station == station_id) & (RosterSwap.status == "approved")).order_by(
        RosterSwap.decided_at, RosterSwap.id)
    return [roster.Swap(r["week"], r["out_member"], r["in_member"], r["return_week"]) for r in rows]


async def duty_weeks(station_id: int, first: dt.date, count: int) -> list[tuple[dt.date, list[dict]]]:
    """Who is on duty each week from `first`: [(monday, [member rows])]."""
    # In turn, not gathered: callers may hold a transaction, whose one connection runs one query at a time.
    setting, members, swaps = await setting_for(station_id), await members_for(station_id), await approved_swaps(station_id)
    by_id = {m["id"]: m for m in members}
    plan = roster.weeks(first, count, [m["id"] for m in members], setting["roster_anchor"], setting["per_week"], swaps)
    return [(week, [by_id[i] for i in ids if i in by_id]) for week, ids in plan]
