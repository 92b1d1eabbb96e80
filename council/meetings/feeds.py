"""Calendars out: an .ics per meeting, and secret feed URLs per user and per organisation.

A feed URL carries a random token and needs no login (calendar apps cannot sign in). Only the
token's SHA-256 is stored; the URL is shown once when made. Making a new one revokes the maker's
old one for the same calendar. A feed belongs to one user and shows only what they may see.
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
from council.core import scope
from council.meetings import ics, policy
from council.meetings.common import now, record
from council.meetings.tables import CalendarFeed, Meeting, MeetingParty
from council.stations.tables import Room, Station

FEED_DAYS_BACK = 90


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def make_feed(principal: Principal, *, organisation: int | None = None, ip: str = "") -> str:
    """A new secret token for the principal's own feed, or for an organisation's meetings as the
    principal may see them. Every feed belongs to the user who made it: it shows, at each fetch,
    only what that user may see then (feed() below), so a secretary's feed for a district
    department lists that department's meetings at the secretary's own stations, not elsewhere."""
    station_id = next(iter(principal.station_ids), None)
    if organisation is not None:
        # An organisation of another community reads as one that does not exist (core/scope.py).
        await scope.ensure_in_scope(principal, "organisation", organisation)
        own = principal.role == Role.department_liaison and principal.organisation_id == organisation
        if not (own or principal.role in (Role.secretary, Role.admin)):
            raise Forbidden()
    token = secrets.token_urlsafe(24)
    async with db.write():
        # Making a new URL revokes the maker's previous one for the same calendar, nobody else's.
        mine = (CalendarFeed.user == principal.user_id) | (
            CalendarFeed.user.is_null() & (CalendarFeed.created_by == principal.user_id))
        same = (CalendarFeed.organisation == organisation) if organisation is not None else \
            CalendarFeed.organisation.is_null()
        await CalendarFeed.update({CalendarFeed.revoked_at: now()}).where(
            mine & same & CalendarFeed.revoked_at.is_null())
        await CalendarFeed.insert(CalendarFeed(
            user=principal.user_id, organisation=organisation,
            token_hash=_hash(token), prefix=token[:8], created_by=principal.user_id or None, created_at=now()))
        await record(principal, "feed_made", {"id": 0, "station": station_id}, None,
                     {"organisation": organisation, "user": principal.user_id,
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


async def _owner(f: dict) -> Principal | None:
    """Whom the feed belongs to, as they are now: None once they are deactivated or gone."""
    from council.accounts.services import principal_for_user
    from council.accounts.tables import User

    owner_id = f["user"] or f["created_by"]  # feeds made before owners were recorded: their maker
    user = await User.select().where(User.id == owner_id).first() if owner_id else None
    if user is None or not user["is_active"]:
        return None
    return await principal_for_user(user, "feed")


async def feed(token: str) -> str:
    """The calendar behind a feed token; NotFound for unknown or revoked tokens, and for the feeds
    of a deactivated user. Shows only the meetings its owner may see at the time of the fetch."""
    if not token or len(token) > 100:
        raise NotFound()
    f = await CalendarFeed.select().where((CalendarFeed.token_hash == _hash(token))
                                          & CalendarFeed.revoked_at.is_null()).first()
    if f is None:
        raise NotFound()
    owner = await _owner(f)
    if owner is None:
        raise NotFound()
    since = now() - dt.timedelta(days=FEED_DAYS_BACK)
    if f["organisation"]:
        if owner.role == Role.department_liaison and owner.organisation_id != f["organisation"]:
            raise NotFound()  # they have moved to another organisation since
        keys = [f"org:{f['organisation']}"]
        extra = None
    else:
        keys = sorted(policy.own_keys(owner))  # themselves, their resident record, their organisation
        extra = (Meeting.chair == owner.user_id) | (Meeting.recorder == owner.user_id)
    ids = [r["meeting"] for r in await MeetingParty.select(MeetingParty.meeting).where(
        MeetingParty.party_key.is_in(keys))]
    where = Meeting.id.is_in(ids or [-1])
    if extra is not None:
        where = where | extra
    rows = await Meeting.select().where(where & (Meeting.starts_at >= since)).order_by(Meeting.starts_at)
    party_keys: dict[int, set[str]] = {}
    for r in await MeetingParty.select(MeetingParty.meeting, MeetingParty.party_key).where(
            MeetingParty.meeting.is_in([m["id"] for m in rows] or [-1])):
        party_keys.setdefault(r["meeting"], set()).add(r["party_key"])
    visible = [m for m in rows if policy.can_view(owner, policy.MeetingView(
        station=m["station"], chair=m["chair"], recorder=m["recorder"],
        party_keys=frozenset(party_keys.get(m["id"], ()))))]
    return ics.calendar(await _events(visible), name="Council")
