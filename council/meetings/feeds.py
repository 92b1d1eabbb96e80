"""Calendars out: an .ics per meeting, and secret feed URLs per user and per organisation.

A feed URL carries a random token and needs no login (calendar apps cannot sign in). Only the
token's SHA-256 is stored; the URL is shown once when made. Making a new one revokes the old.
The feed shows titles, times and places only: no parties' names, no phones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from council import db
from council.accounts.permissions import Role
from council.accounts.principal import Principal
from council.core.errors import Forbidden, NotFound
from council.meetings import ics
from council.meetings.common import now, record
from council.meetings.tables import CalendarFeed, Meeting, MeetingParty
from council.parties.tables import Organisation
from council.stations.tables import Room, Station

FEED_DAYS_BACK = 90


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def make_feed(principal: Principal, *, organisation: int | None = None, ip: str = "") -> str:
    """A new secret token for the principal's own feed, or for an organisation's."""
    station_id = next(iter(principal.station_ids), None)
    if organisation is not None:
        org = await Organisation.select(Organisation.id, Organisation.community).where(
            Organisation.id == organisation).first()
        if org is None:
            raise NotFound()
        own = principal.role == Role.department_liaison and principal.organisation_id == organisation
        staff = principal.role in (Role.secretary, Role.admin) and (
            org["community"] is None or principal.sees_community(org["community"]))
        if not (own or staff):
            raise Forbidden()
    token = secrets.token_urlsafe(24)
    async with db.write():
        where = (CalendarFeed.organisation == organisation) if organisation is not None else (
            (CalendarFeed.user == principal.user_id) & CalendarFeed.organisation.is_null())
        await CalendarFeed.update({CalendarFeed.revoked_at: now()}).where(where & CalendarFeed.revoked_at.is_null())
        await CalendarFeed.insert(CalendarFeed(
            user=None if organisation is not None else principal.user_id, organisation=organisation,
            token_hash=_hash(token), prefix=token[:8], created_by=principal.user_id or None, created_at=now()))
        await record(principal, "feed_made", {"id": 0, "station": station_id}, None,
                     {"organisation": organisation, "user": None if organisation else principal.user_id,
                      "prefix": token[:8]}, ip, entity_type="meeting_calendar_feed", entity_id=None)
    return token


async def feeds_of(principal: Principal) -> list[dict]:
    return await CalendarFeed.select(CalendarFeed.id, CalendarFeed.prefix, CalendarFeed.organisation,
                                     CalendarFeed.organisation.name.as_alias("organisation_name"),
                                     CalendarFeed.created_at).where(
        (CalendarFeed.created_by == principal.user_id) & CalendarFeed.revoked_at.is_null()).order_by(CalendarFeed.id)


async def _events(meeting_rows: list[dict]) -> list[dict]:
    rooms = {r["id"]: r["name"] for r in await Room.select(Room.id, Room.name)}
    stations = {s["id"]: s["name"] for s in await Station.select(Station.id, Station.name)}
    out = []
    for m in meeting_rows:
        if m["starts_at"] is None:
            continue
        start = m["starts_at"] if m["starts_at"].tzinfo else m["starts_at"].replace(tzinfo=dt.timezone.utc)
        end = m["ends_at"] if m["ends_at"].tzinfo else m["ends_at"].replace(tzinfo=dt.timezone.utc)
        out.append({"uid": f"meeting-{m['id']}@council", "start": start, "end": end, "summary": m["title"],
                    "location": " ".join(x for x in (stations.get(m["station"], ""), rooms.get(m["room"], "")) if x),
                    "status": "CANCELLED" if m["state"] == "cancelled" else "CONFIRMED",
                    # Calendar apps replace an event only when its SEQUENCE grows: a rescheduled,
                    # moved or cancelled meeting then updates in place instead of being ignored.
                    "sequence": m.get("version") or 0})
    return out


async def meeting_ics(row: dict) -> str:
    return ics.calendar(await _events([row]), name=row["title"])


async def feed(token: str) -> str:
    """The calendar behind a feed token; NotFound for unknown or revoked tokens."""
    if not token or len(token) > 100:
        raise NotFound()
    f = await CalendarFeed.select().where((CalendarFeed.token_hash == _hash(token))
                                          & CalendarFeed.revoked_at.is_null()).first()
    if f is None:
        raise NotFound()
    since = now() - dt.timedelta(days=FEED_DAYS_BACK)
    if f["organisation"]:
        keys = [f"org:{f['organisation']}"]
        extra = None
    else:
        keys = [f"user:{f['user']}"]
        extra = (Meeting.chair == f["user"]) | (Meeting.recorder == f["user"])
    ids = [r["meeting"] for r in await MeetingParty.select(MeetingParty.meeting).where(
        MeetingParty.party_key.is_in(keys))]
    where = Meeting.id.is_in(ids or [-1])
    if extra is not None:
        where = where | extra
    rows = await Meeting.select().where(where & (Meeting.starts_at >= since)).order_by(Meeting.starts_at)
    return ics.calendar(await _events(rows), name="Council")
