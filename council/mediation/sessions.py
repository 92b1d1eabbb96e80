"""Mediation sessions: when, where (a station room), which mediators, who attended, the record
(笔录) of what was said, and the session's result."""

from __future__ import annotations

import datetime as dt
from typing import Any

from council import db
from council.accounts.principal import Principal
from council.accounts.tables import UserStation
from council.cases.calendar_store import LOCAL
from council.core.errors import Conflict, Invalid, NotFound
from council.mediation import store
from council.mediation.fields import FIX, Reader
from council.mediation.tables import DisputeMediator, MediationSession
from council.mediation.vocabulary import SESSION_RESULTS, codes
from council.stations.tables import Room

MAX_MINUTES = 12 * 60


async def schedule_session(principal: Principal, dispute_id: int, data: dict[str, Any], ip: str = "") -> int:
    r = Reader(data, {"date", "start", "end", "room", "place", "mediators"})
    day = r.date("date", required=True)
    start = r.time("start", required=True)
    end = r.time("end", required=True)
    room = r.ident("room")
    place = r.text("place", limit=120)
    mediators = r.ids("mediators")
    if start and end and end <= start:
        r.errors["end"] = "The end must be after the start."
    if room is None and not place:
        r.errors["room"] = "Choose a room, or say where the session takes place."
    f = await store.load_file(principal, dispute_id)
    if room is not None and not await Room.exists().where((Room.id == room) & (Room.station == f["station"])):
        r.errors["room"] = "Choose one of the listed options."
    assigned = {m["user"] for m in await DisputeMediator.select(DisputeMediator.user).where(DisputeMediator.dispute == dispute_id)}
    if not mediators:
        mediators = sorted(assigned)
    if not mediators:
        r.errors["mediators"] = "Assign a mediator to the file first."
    elif not set(mediators) <= assigned:
        r.errors["mediators"] = "Choose the file's mediators."
    r.check()
    starts_at = dt.datetime.combine(day, start, LOCAL).astimezone(dt.timezone.utc)
    ends_at = dt.datetime.combine(day, end, LOCAL).astimezone(dt.timezone.utc)
    async with db.write():
        f = await store.load_file(principal, dispute_id)
        if f["state"] != "mediating":
            raise Conflict("Sessions are held once every party has agreed to mediation.")
        # Inside the write transaction: on SQLite writers queue on the lock, so two bookings of
        # one room cannot both see it free.
        await _check_free(f, room, mediators, starts_at, ends_at)
        values = dict(dispute=dispute_id, starts_at=starts_at, ends_at=ends_at, room=room, place=place,
                      level=f["level"], mediators=mediators, created_by=principal.user_id or None)
        sid = (await MediationSession.insert(MediationSession(**values)))[0]["id"]
        await store.history(principal, f, "session_scheduled",
                            text=starts_at.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M"),
                            entity_type="mediation_session", entity_id=sid, after=values, ip=ip)
    return sid


async def _check_free(f: dict, room: int | None, mediators: list[int], start: dt.datetime, end: dt.datetime) -> None:
    """Refuse a room or mediator already booked then — by another session or, once the meetings
    package is there, by a meeting (its busy-time registry)."""
    keys = [f"user:{u}" for u in mediators] + ([f"room:{room}"] if room else [])
    try:
        from council.meetings import busy
    except ImportError:  # pragma: no cover - meetings not installed
        return
    clashes = await busy.collect(start, end, keys)
    if clashes:
        what = "room" if any(c.who.startswith("room:") for c in clashes) else "mediators"
        raise Invalid(FIX, errors={what: "Already booked at that time."})


async def record_session(principal: Principal, dispute_id: int, session_id: int, data: dict[str, Any], ip: str = "") -> None:
    """The record (笔录): who attended, what was said, and the result."""
    r = Reader(data, {"attendees", "record", "result"})
    attendees = r.text("attendees", required=True, limit=2000)
    record = r.text("record", required=True, limit=50000)
    result = r.choice("result", codes(SESSION_RESULTS) - {""})
    version = r.version()
    f = await store.load_file(principal, dispute_id)
    r.check()
    async with db.write():
        f = await store.load_file(principal, dispute_id)
        s = await MediationSession.select().where(
            (MediationSession.id == session_id) & (MediationSession.dispute == dispute_id)).first()
        if s is None:
            raise NotFound()
        if f["state"] != "mediating":
            raise Conflict("The file is closed.")  # the record of a closed file is part of the archive
        values = dict(attendees=attendees, record=record, result=result)
        await store.update_versioned(MediationSession, session_id, version, s["version"], values)
        await store.history(principal, f, "session_recorded", text=record[:80], entity_type="mediation_session",
                            entity_id=session_id, before={k: s[k] for k in values}, after=values, ip=ip)


async def sessions_of(dispute_id: int) -> list[dict]:
    rows = await MediationSession.select(
        MediationSession.all_columns(), MediationSession.room.name.as_alias("room_name"),
    ).where(MediationSession.dispute == dispute_id).order_by(MediationSession.starts_at)
    for r in rows:
        if isinstance(r["mediators"], str):  # SQLite hands JSON back as text
            import json

            r["mediators"] = json.loads(r["mediators"] or "[]")
        r["local_start"] = r["starts_at"].astimezone(LOCAL)
        r["local_end"] = r["ends_at"].astimezone(LOCAL)
    return rows


async def station_mediators(station_id: int) -> list[dict]:
    rows = await UserStation.select(
        UserStation.user.id.as_alias("id"), UserStation.user.display_name.as_alias("name"),
        UserStation.user.role.as_alias("role"), UserStation.user.is_active.as_alias("active"),
    ).where(UserStation.station == station_id)
    return [r for r in rows if r["active"] and r["role"] in ("mediator", "secretary")]


__all__ = ["schedule_session", "record_session", "sessions_of", "station_mediators", "Invalid"]
