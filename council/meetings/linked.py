"""Meetings owned by another package's record — a mediation session is booked as a meeting of kind
mediation session, so its room and its mediators are held by the same rules as every meeting.

The owning use case has already decided who may book (a mediator schedules their own file's
sessions; the meetings policy would ask for a secretary), so these functions check no role:
they are called inside the owner's write transaction, after its own permission check, and write
the meeting, its staff parties and the audit entry (meeting.*) in that same transaction.
Double booking is refused with the conflict named; a linked booking is never forced over one
(forcing is a secretary's call on the meeting's own page).
"""

from __future__ import annotations

import datetime as dt

from council.accounts.principal import Principal
from council.accounts.tables import User
from council.meetings import busy
from council.meetings.common import bump, now, record, utc
from council.meetings.scheduling import Clash, conflict_error
from council.meetings.tables import Meeting, MeetingParty
from council.stations.tables import Room, Station


async def conflicts(room: int | None, starts_at: dt.datetime, ends_at: dt.datetime, staff: list[int], *,
                    ignore: tuple[str, ...] = ()) -> list[Clash]:
    """Bookings overlapping [starts_at, ends_at) for the room or any of the staff, from every
    busy-time source, except those whose ref is in `ignore` (the meeting itself, "meeting:5", or
    the record the booking replaces)."""
    names = {f"user:{u['id']}": u["display_name"] or u["username"] for u in await User.select(
        User.id, User.display_name, User.username).where(User.id.is_in(list(staff) or [-1]))}
    keys = {f"user:{u}": names.get(f"user:{u}", f"user:{u}") for u in staff}
    if room:
        r = await Room.select(Room.name).where(Room.id == room).first()
        keys[f"room:{room}"] = r["name"] if r else f"room:{room}"
    found = await busy.collect(utc(starts_at), utc(ends_at), keys)
    return [Clash(b.who, keys[b.who], b.label, b.start, b.end) for b in found if b.ref not in ignore]


async def book(principal: Principal, *, station: int, kind: str, title: str, room: int | None,
               starts_at: dt.datetime, ends_at: dt.datetime, staff: list[int], link: str = "", ip: str = "") -> int:
    """A scheduled meeting for this time and room with `staff` (users) as required parties, the
    first of them chairing. Call conflicts() first; returns the meeting's id."""
    st = await Station.select(Station.community).where(Station.id == station).first()
    users = {u["id"]: u["display_name"] or u["username"] for u in await User.select(
        User.id, User.display_name, User.username).where(User.id.is_in(list(staff) or [-1]))}
    start, end = utc(starts_at), utc(ends_at)
    mid = (await Meeting.insert(Meeting(
        station=station, community=st["community"], kind=kind, title=title[:200], room=room, starts_at=start,
        ends_at=end, chair=staff[0] if staff else None, recorder=None, state="scheduled", forced=False,
        created_by=principal.user_id or None, created_at=now(),
    )).returning(Meeting.id))[0]["id"]
    for u in staff:
        await MeetingParty.insert(MeetingParty(meeting=mid, party_key=f"user:{u}", user=u, name=users.get(u, ""),
                                               required=True, response="accepted"))
    await record(principal, "created", {"id": mid, "station": station}, None,
                 {"kind": kind, "title": title, "room": room, "starts_at": start, "ends_at": end,
                  "parties": [f"user:{u}" for u in staff], "state": "scheduled", "linked": link}, ip)
    return mid


async def move(principal: Principal, meeting_id: int, *, room: int | None, starts_at: dt.datetime,
               ends_at: dt.datetime, reason: str, ip: str = "") -> None:
    """Move the linked meeting (rescheduled: it stays scheduled). Call conflicts() first."""
    row = await Meeting.select().where(Meeting.id == meeting_id).first()
    values = {"room": room, "starts_at": utc(starts_at), "ends_at": utc(ends_at), "reason": reason[:1000]}
    if row["state"] == "planned":
        values["state"] = "scheduled"
    await bump(row, values)
    await record(principal, "reschedule", row, {k: row.get(k) for k in values}, values, ip)


async def cancel(principal: Principal, meeting_id: int, *, reason: str, ip: str = "") -> None:
    """Cancel the linked meeting, if it is still to come (a held meeting keeps its record)."""
    row = await Meeting.select().where(Meeting.id == meeting_id).first()
    if row is None or row["state"] not in ("planned", "scheduled"):
        return
    values = {"state": "cancelled", "reason": reason[:1000]}
    await bump(row, values)
    await record(principal, "cancel", row, {k: row.get(k) for k in values}, values, ip)


__all__ = ["book", "move", "cancel", "conflicts", "conflict_error", "Clash"]
