"""Reading meetings for lists and pages, scoped to the principal."""

from __future__ import annotations

import datetime as dt

from council.accounts.permissions import STAFF
from council.accounts.principal import Principal
from council.accounts.tables import User
from council.meetings import policy
from council.meetings.agenda import items as agenda_items
from council.meetings.common import now, utc
from council.meetings.tables import BusyBlock, Meeting, MeetingParty
from council.stations.tables import Room, Station

LIST_LIMIT = 300


async def list_meetings(principal: Principal, *, state: str = "") -> list[dict]:
    q = Meeting.select(Meeting.id, Meeting.title, Meeting.kind, Meeting.state, Meeting.starts_at, Meeting.ends_at,
                       Meeting.station, Meeting.room.name.as_alias("room_name"),
                       Meeting.station.name.as_alias("station_name"))
    if principal.is_admin:
        where = Meeting.id > 0
    elif principal.role in STAFF:
        where = Meeting.station.is_in(list(principal.station_ids) or [-1])
    else:
        ids = [r["meeting"] for r in await MeetingParty.select(MeetingParty.meeting).where(
            MeetingParty.party_key.is_in(list(policy.own_keys(principal))))]
        where = Meeting.id.is_in(ids or [-1])
    if state:
        where = where & (Meeting.state == state)
    rows = await q.where(where).order_by(Meeting.starts_at, ascending=False).limit(LIST_LIMIT)
    # Upcoming first (soonest first), then the past (latest first); undated plans at the top.
    moment = now()
    undated = [r for r in rows if r["starts_at"] is None]
    upcoming = sorted((r for r in rows if r["starts_at"] is not None and utc(r["ends_at"]) >= moment),
                      key=lambda r: utc(r["starts_at"]))
    past = [r for r in rows if r["starts_at"] is not None and utc(r["ends_at"]) < moment]
    return undated + upcoming + past


async def _name(user_id: int | None) -> str:
    if not user_id:
        return ""
    u = await User.select(User.display_name, User.username).where(User.id == user_id).first()
    return (u["display_name"] or u["username"]) if u else ""


async def meeting_detail(row: dict) -> dict:
    d = dict(row)
    d["parties"] = await MeetingParty.select().where(MeetingParty.meeting == row["id"]).order_by(
        MeetingParty.required, ascending=False).order_by(MeetingParty.id)
    d["agenda"] = await agenda_items(row["id"])
    d["chair_name"] = await _name(row["chair"])
    d["recorder_name"] = await _name(row["recorder"])
    room = await Room.select(Room.name).where(Room.id == row["room"]).first() if row["room"] else None
    d["room_name"] = room["name"] if room else ""
    st = await Station.select(Station.name).where(Station.id == row["station"]).first()
    d["station_name"] = st["name"] if st else ""
    d["duration"] = int((row["ends_at"] - row["starts_at"]).total_seconds() // 60) if row["starts_at"] and row["ends_at"] else 0
    d["agenda_minutes"] = sum(i["minutes"] for i in d["agenda"])
    return d


BOOKING_DAYS = 28


async def room_bookings(principal: Principal, days: int = BOOKING_DAYS) -> list[dict]:
    """What else holds the station's rooms in the coming weeks — reception days, mediation sessions
    not (yet) booked as meetings, blocks entered by hand — so the meetings calendar shows every
    booking, not only meetings. Meetings themselves are in the list already and are left out.
    Staff only: a resident or liaison sees just the meetings they are invited to."""
    from council.meetings import busy

    if not (principal.is_admin or principal.role in STAFF):
        return []
    q = Room.select(Room.id, Room.name, Room.station)
    if not principal.is_admin:
        q = q.where(Room.station.is_in(list(principal.station_ids) or [-1]))
    rooms = {r["id"]: r for r in await q}
    if not rooms:
        return []
    start = now()
    found = await busy.collect(start, start + dt.timedelta(days=days), [busy.key("room", r) for r in rooms])
    out = []
    for b in found:
        kind = b.ref.split(":", 1)[0] if b.ref else "block"
        if kind == "meeting":
            continue
        out.append({"room_name": rooms[busy.parse_key(b.who)[1]]["name"], "starts_at": b.start, "ends_at": b.end,
                    "label": b.label, "kind": kind})
    out.sort(key=lambda r: utc(r["starts_at"]))
    return out


async def busy_blocks(station: int, days_back: int = 7, limit: int = 300) -> list[dict]:
    since = now() - dt.timedelta(days=days_back)
    return await BusyBlock.select().where((BusyBlock.station == station) & (BusyBlock.ends_at >= since)).order_by(
        BusyBlock.starts_at).limit(limit)


async def vote_results(vote_ids: list[int]) -> dict[int, dict]:
    """The votes taken on agenda items: id → title, state and whether it passed (None: not closed)."""
    from council.votes.tables import Vote

    if not vote_ids:
        return {}
    rows = await Vote.select(Vote.id, Vote.title, Vote.state, Vote.passed).where(Vote.id.is_in(list(vote_ids)))
    return {r["id"]: r for r in rows}
