"""Mediation sessions: when, where (a station room), which mediators, who attended, the record
(笔录) of what was said, and the session's result."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from council import db
from council.accounts.principal import Principal
from council.accounts.tables import UserStation
from council.cases.calendar_store import LOCAL, local_date
from council.core.errors import Conflict, Invalid, NotFound
from council.mediation import rules, store
from council.meetings import linked
from council.meetings.common import utc
from council.mediation.fields import Reader
from council.mediation.tables import DisputeMediator, MediationSession
from council.mediation.vocabulary import SESSION_RESULTS, codes
from council.stations.tables import Room

MAX_MINUTES = 12 * 60


def _read_when(r: Reader, f: dict) -> tuple[dt.date | None, dt.time | None, dt.time | None, int | None, str]:
    day = r.date("date", required=True)
    start = r.time("start", required=True)
    end = r.time("end", required=True)
    room = r.ident("room")
    place = r.text("place", limit=120)
    if start and end and end <= start:
        r.errors["end"] = "The end must be after the start."
    if room is None and not place:
        r.errors["room"] = "Choose a room, or say where the session takes place."
    return day, start, end, room, place


async def _check_room(r: Reader, f: dict, room: int | None) -> None:
    if room is not None and not await Room.exists().where((Room.id == room) & (Room.station == f["station"])):
        r.errors["room"] = "Choose one of the listed options."


def _utc(day: dt.date, at: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, at, LOCAL).astimezone(dt.timezone.utc)


def meeting_title(f: dict, n: int) -> str:
    """调解（2026）振兴路人调字第 15 号 第2次: the file number and the round — never a party's name
    or phone. The meeting is seen by every staff member of the station (the meetings list, the
    room's bookings), who may not read the file (council.mediation.policy)."""
    return f"调解{f['number']} 第{n}次"


# The meeting's reason, seen on the meetings pages: neutral, since the session's own reason may
# be about a party (ill, away). The real reason is in the file's history.
MEETING_MOVED = "调解改期（原因见调解卷宗）"
MEETING_CANCELLED = "调解取消（原因见调解卷宗）"


async def _book_free(f: dict, room: int | None, mediators: list[int], start: dt.datetime, end: dt.datetime,
                     ignore: tuple[str, ...] = ()) -> None:
    """Refuse a room or mediator already booked then — by a meeting (a session is one), a busy
    block, a reception duty, or a session booked before sessions became meetings — naming what
    is in the way."""
    clashes = await linked.conflicts(room, start, end, mediators, ignore=ignore)
    if clashes:
        what = "room" if any(c.who.startswith("room:") for c in clashes) else "mediators"
        names = "、".join(dict.fromkeys(f"{c.name}（{c.label}）" if c.label else c.name for c in clashes))
        raise Invalid("Double booking: %(names)s already busy at this time.",
                      errors={what: "Already booked at that time."}, names=names)


async def schedule_session(principal: Principal, dispute_id: int, data: dict[str, Any], ip: str = "") -> int:
    """A session, booked as a meeting of kind mediation session: its room and mediators are held
    by the meetings' rules (council.meetings.linked), and the session links the meeting."""
    r = Reader(data, {"date", "start", "end", "room", "place", "mediators"})
    f = await store.load_file(principal, dispute_id)
    day, start, end, room, place = _read_when(r, f)
    mediators = r.ids("mediators")
    await _check_room(r, f, room)
    assigned = await _assigned(dispute_id)
    if not mediators:
        mediators = assigned
    if not mediators:
        r.errors["mediators"] = "Assign a mediator to the file first."
    elif not set(mediators) <= set(assigned):
        r.errors["mediators"] = "Choose the file's mediators."
    r.check()
    mediators = [u for u in assigned if u in mediators]  # the lead first: they chair the meeting
    starts_at, ends_at = _utc(day, start), _utc(day, end)
    async with db.write():
        f = await store.load_file(principal, dispute_id)
        if f["state"] != "mediating":
            raise Conflict("Sessions are held once every party has agreed to mediation.")
        # Inside the write transaction: on SQLite writers queue on the lock, so two bookings of
        # one room cannot both see it free.
        await _book_free(f, room, mediators, starts_at, ends_at)
        n = await MediationSession.count().where(
            (MediationSession.dispute == dispute_id) & MediationSession.cancelled_at.is_null()) + 1
        meeting = await linked.book(principal, station=f["station"], kind="mediation_session",
                                    title=meeting_title(f, n), room=room, starts_at=starts_at, ends_at=ends_at,
                                    staff=mediators, link=f"dispute_file:{dispute_id}", ip=ip)
        values = dict(dispute=dispute_id, starts_at=starts_at, ends_at=ends_at, room=room, place=place,
                      level=f["level"], mediators=mediators, created_by=principal.user_id or None, meeting=meeting)
        sid = (await MediationSession.insert(MediationSession(**values)))[0]["id"]
        await store.history(principal, f, "session_scheduled",
                            text=starts_at.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M"),
                            entity_type="mediation_session", entity_id=sid, after=values, ip=ip)
    return sid


async def _assigned(dispute_id: int) -> list[int]:
    rows = await DisputeMediator.select(DisputeMediator.user, DisputeMediator.lead).where(
        DisputeMediator.dispute == dispute_id).order_by(DisputeMediator.lead, ascending=False).order_by(DisputeMediator.id)
    return [m["user"] for m in rows]


async def _session(dispute_id: int, session_id: int) -> dict:
    s = await MediationSession.select().where(
        (MediationSession.id == session_id) & (MediationSession.dispute == dispute_id)).first()
    if s is None:
        raise NotFound()
    if isinstance(s["mediators"], str):  # SQLite hands JSON back as text
        s["mediators"] = json.loads(s["mediators"] or "[]")
    return s


def _movable(f: dict, s: dict) -> None:
    if f["state"] != "mediating":
        raise Conflict("The file is closed.")
    if s["cancelled_at"] is not None:
        raise Conflict("This session was cancelled.")
    if s["record"]:
        raise Conflict("This session has been held and recorded: it cannot be moved or cancelled.")


async def move_session(principal: Principal, dispute_id: int, session_id: int, data: dict[str, Any],
                       ip: str = "") -> None:
    """Another time (or room, or place), with the reason: the session's meeting moves with it,
    checked against every other booking but itself."""
    r = Reader(data, {"date", "start", "end", "room", "place", "reason"})
    f = await store.load_file(principal, dispute_id)
    s = await _session(dispute_id, session_id)
    given = dict(data)
    if not r.has("room") and not r.has("place"):  # left out: where it was
        given.update(room=s["room"], place=s["place"])
        r = Reader(given, {"date", "start", "end", "room", "place", "reason"})
    day, start, end, room, place = _read_when(r, f)
    reason = r.text("reason", required=True, limit=1000)
    version = r.version()
    await _check_room(r, f, room)
    r.check()
    starts_at, ends_at = _utc(day, start), _utc(day, end)
    async with db.write():
        f = await store.load_file(principal, dispute_id)
        s = await _session(dispute_id, session_id)
        _movable(f, s)
        await _book_free(f, room, s["mediators"], starts_at, ends_at,
                         ignore=(f"meeting:{s['meeting']}", f"mediation_session:{session_id}"))
        values: dict[str, Any] = dict(starts_at=starts_at, ends_at=ends_at, room=room, place=place)
        if s["meeting"]:
            await linked.move(principal, s["meeting"], room=room, starts_at=starts_at, ends_at=ends_at,
                              reason=MEETING_MOVED, ip=ip)
        else:  # booked before sessions became meetings: it gets its meeting now
            n = await MediationSession.count().where(
                (MediationSession.dispute == dispute_id) & MediationSession.cancelled_at.is_null()
                & (MediationSession.id <= session_id))
            values["meeting"] = await linked.book(
                principal, station=f["station"], kind="mediation_session", title=meeting_title(f, n), room=room,
                starts_at=starts_at, ends_at=ends_at, staff=s["mediators"], link=f"dispute_file:{dispute_id}", ip=ip)
        await store.update_versioned(MediationSession, session_id, version, s["version"], values)
        await store.history(principal, f, "session_moved",
                            text=f"{starts_at.astimezone(LOCAL):%Y-%m-%d %H:%M}：{reason}",
                            entity_type="mediation_session", entity_id=session_id,
                            before={k: s[k] for k in ("starts_at", "ends_at", "room", "place")},
                            after={**values, "reason": reason}, ip=ip)


async def cancel_session(principal: Principal, dispute_id: int, session_id: int, data: dict[str, Any],
                         ip: str = "") -> None:
    """Call a session off, with the reason: its meeting is cancelled and the room and the
    mediators are free again. The session stays in the file, marked cancelled."""
    r = Reader(data, {"reason"})
    reason = r.text("reason", required=True, limit=1000)
    version = r.version()
    await store.load_file(principal, dispute_id)
    await _session(dispute_id, session_id)
    r.check()
    async with db.write():
        f = await store.load_file(principal, dispute_id)
        s = await _session(dispute_id, session_id)
        _movable(f, s)
        if s["meeting"]:
            await linked.cancel(principal, s["meeting"], reason=MEETING_CANCELLED, ip=ip)
        values = dict(cancelled_at=store.utcnow(), cancel_reason=reason)
        await store.update_versioned(MediationSession, session_id, version, s["version"], values)
        await store.history(principal, f, "session_cancelled", text=reason[:200], entity_type="mediation_session",
                            entity_id=session_id, before={"cancelled_at": None}, after=values, ip=ip)


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
        if s["cancelled_at"] is not None:
            raise Conflict("This session was cancelled.")
        # Time runs one way: no record of a session that has not begun, and no session that
        # "reached" an agreement already dated before it (rules.agreement_date_refusal).
        too_early = rules.session_record_refusal(utc(s["starts_at"]), store.utcnow())
        if too_early:
            raise Conflict(too_early)
        if result == "agreement":
            from council.mediation.agreements import agreement_of, agreement_session_day

            a = await agreement_of(dispute_id)
            if a is not None:
                first = rules.first_agreement_session(
                    [d for d in (await agreement_session_day(dispute_id), local_date(utc(s["starts_at"]))) if d])
                why = rules.agreement_date_refusal(a["reached_on"], opened_on=None, session_day=first)
                if why:
                    raise Conflict(why)
        values = dict(attendees=attendees, record=record, result=result)
        await store.update_versioned(MediationSession, session_id, version, s["version"], values)
        await store.history(principal, f, "session_recorded", text=record[:80], entity_type="mediation_session",
                            entity_id=session_id, before={k: s[k] for k in values}, after=values, ip=ip)


async def sessions_of(dispute_id: int) -> list[dict]:
    rows = await MediationSession.select(
        MediationSession.all_columns(), MediationSession.room.name.as_alias("room_name"),
        MediationSession.meeting.state.as_alias("meeting_state"),
    ).where(MediationSession.dispute == dispute_id).order_by(MediationSession.starts_at)
    for r in rows:
        if isinstance(r["mediators"], str):  # SQLite hands JSON back as text
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


__all__ = ["schedule_session", "move_session", "cancel_session", "record_session", "sessions_of", "station_mediators",
           "meeting_title", "Invalid"]
