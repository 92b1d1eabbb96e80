"""Use cases of the national holiday calendar: load a year's arrangement, and move the open
working-day deadlines a calendar change moves (with the reason on each case's timeline).

The rules are in council.cases.holidays_cn (pure); this module reads and writes."""

from __future__ import annotations

import datetime as dt

from council import db
from council.accounts.permissions import Role
from council.accounts.principal import Principal
from council.audit import service as audit
from council.cases import holidays_cn, request_loop
from council.cases.calendar_store import calendar_for, local_date, national_arrangements, today
from council.cases.common import add_event, now
from council.cases.tables import Case, Extension, HolidayYear, NationalHoliday
from council.core.errors import Forbidden
from council.stations.tables import Station


async def load_year(principal: Principal, arrangement: holidays_cn.Arrangement, ip: str = "") -> dict:
    """Replace a year's national arrangement (admin or the command line), then recount every
    open deadline of every station in one transaction: all of it happens, or none."""
    if principal.role != Role.admin:  # the command line acts as SYSTEM, an admin
        raise Forbidden()
    a = arrangement
    async with db.write():
        before_year = await HolidayYear.select().where(HolidayYear.year == a.year).first()
        before_days = await NationalHoliday.count().where(NationalHoliday.year == a.year)
        await NationalHoliday.delete().where(NationalHoliday.year == a.year)
        rows = [NationalHoliday(year=a.year, day=d, kind="holiday", note=n) for d, n in sorted(a.holidays.items())]
        rows += [NationalHoliday(year=a.year, day=d, kind="makeup", note=n) for d, n in sorted(a.makeup.items())]
        if rows:
            await NationalHoliday.insert(*rows)
        values = {HolidayYear.source: a.source, HolidayYear.provisional: a.provisional,
                  HolidayYear.loaded_at: now(), HolidayYear.loaded_by: principal.label}
        if before_year:
            await HolidayYear.update(values).where(HolidayYear.year == a.year)
        else:
            await HolidayYear.insert(HolidayYear(year=a.year, source=a.source, provisional=a.provisional,
                                                 loaded_at=now(), loaded_by=principal.label))
        await audit.record(
            principal, "calendar.load", entity_type="holiday_year", entity_id=a.year,
            before={"source": before_year["source"], "days": before_days} if before_year else None,
            after={"source": a.source, "provisional": a.provisional, "holidays": len(a.holidays),
                   "makeup": len(a.makeup)}, ip=ip)
        moved = 0
        for station in await Station.select(Station.id):
            moved += len(await recompute_station(principal, station["id"], ip=ip))
    return {"year": a.year, "holidays": len(a.holidays), "makeup": len(a.makeup), "moved": moved}


async def recompute_station(principal: Principal, station_id: int, ip: str = "") -> list[holidays_cn.Moved]:
    """Recount the station's open working-day deadlines against its calendar as it is now.
    Call inside the transaction that changed the calendar. Closed cases and deadlines already
    passed are left as they were (holidays_cn.moved_deadlines)."""
    rows = await Case.select(Case.id, Case.station, Case.state, Case.created_at, Case.limit_days, Case.due_date,
                             Case.version).where(
        (Case.station == station_id) & Case.closed_at.is_null() & Case.limit_days.is_not_null()
        & Case.due_date.is_not_null() & Case.state.is_in(list(request_loop.OPEN)) & (Case.due_date >= today()))
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    extensions: dict[int, list[int]] = {}
    for e in await Extension.select(Extension.case, Extension.days).where(
            Extension.case.is_in(ids) & (Extension.status == "approved")).order_by(Extension.id):
        extensions.setdefault(e["case"], []).append(e["days"])
    open_cases = [holidays_cn.OpenDeadline(r["id"], local_date(r["created_at"]), r["limit_days"],
                                           tuple(extensions.get(r["id"], ())), r["due_date"]) for r in rows]
    moves = holidays_cn.moved_deadlines(open_cases, await calendar_for(station_id), today())
    by_id = {r["id"]: r for r in rows}
    for m in moves:
        row = by_id[m.case]
        # The version moves on, so a form opened before the change cannot overwrite it unseen.
        await Case.update({Case.due_date: m.new, Case.updated_at: now(), Case.version: row["version"] + 1}).where(
            Case.id == m.case)
        text = holidays_cn.moved_text(m.old, m.new)
        await add_event(principal, m.case, "deadline_moved", text=text,
                        data={"old_due": m.old.isoformat(), "new_due": m.new.isoformat()})
        await audit.record(principal, "case.deadline_moved", entity_type="case", entity_id=m.case,
                           before={"due_date": m.old}, after={"due_date": m.new, "text": text},
                           station_id=station_id, ip=ip)
    return moves


async def station_days_changed(principal: Principal, row_id: int, values: dict) -> None:
    """After a station's own calendar day is added or edited (the station holiday register)."""
    await recompute_station(principal, values["station"])


async def coming_year_missing(on: dt.date | None = None) -> int | None:
    """The coming year, from 1 November, while its national arrangement is missing or provisional."""
    return holidays_cn.missing_next_year(on or today(), await national_arrangements())


async def years_summary() -> list[dict]:
    """Every year known, where its arrangement comes from, for the command line."""
    from council.cases.holidays_cn import LIBRARY_SOURCE

    loaded = {r["year"]: r for r in await HolidayYear.select()}
    out = []
    for year, a in sorted((await national_arrangements()).items()):
        origin = "loaded" if year in loaded else ("library" if a.source == LIBRARY_SOURCE else "shipped")
        out.append({"year": year, "origin": origin, "holidays": len(a.holidays), "makeup": len(a.makeup),
                    "provisional": a.provisional, "source": a.source})
    return out
