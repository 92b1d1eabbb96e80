"""Busy time known to the meetings package: other meetings (their parties, chair, recorder and
room) and blocks entered by hand or imported from .ics files."""

from __future__ import annotations

import datetime as dt

from council.meetings import busy
from council.meetings.statemachine import BOOKING_STATES
from council.meetings.tables import BusyBlock, Meeting, MeetingParty


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


@busy.source
async def meetings(start: dt.datetime, end: dt.datetime, keys: frozenset[str]) -> list[busy.Busy]:
    rows = await Meeting.select(Meeting.id, Meeting.title, Meeting.room, Meeting.starts_at, Meeting.ends_at,
                                Meeting.chair, Meeting.recorder).where(
        Meeting.state.is_in(list(BOOKING_STATES)) & Meeting.starts_at.is_not_null()
        & (Meeting.starts_at < end.astimezone(dt.timezone.utc)) & (Meeting.ends_at > start.astimezone(dt.timezone.utc)))
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    parties: dict[int, list[str]] = {}
    for p in await MeetingParty.select(MeetingParty.meeting, MeetingParty.party_key, MeetingParty.response).where(
            MeetingParty.meeting.is_in(ids)):
        if p["response"] != "declined":  # a party that declined is not held by the meeting
            parties.setdefault(p["meeting"], []).append(p["party_key"])
    out = []
    for r in rows:
        s, e = _utc(r["starts_at"]), _utc(r["ends_at"])
        who = set(parties.get(r["id"], []))
        if r["room"]:
            who.add(f"room:{r['room']}")
        for u in (r["chair"], r["recorder"]):
            if u:
                who.add(f"user:{u}")
        out.extend(busy.Busy(k, s, e, r["title"], f"meeting:{r['id']}") for k in who if k in keys)
    return out


@busy.source
async def blocks(start: dt.datetime, end: dt.datetime, keys: frozenset[str]) -> list[busy.Busy]:
    rows = await BusyBlock.select(BusyBlock.id, BusyBlock.who, BusyBlock.starts_at, BusyBlock.ends_at,
                                  BusyBlock.label).where(
        BusyBlock.who.is_in(list(keys)) & (BusyBlock.starts_at < end.astimezone(dt.timezone.utc))
        & (BusyBlock.ends_at > start.astimezone(dt.timezone.utc)))
    return [busy.Busy(r["who"], _utc(r["starts_at"]), _utc(r["ends_at"]), r["label"], f"busy_block:{r['id']}")
            for r in rows]
