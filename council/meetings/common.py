"""Shared by the meeting use cases: loading a meeting for a principal, version checks, auditing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from council.accounts.principal import Principal
from council.audit import service as audit
from council.core.errors import Conflict, Forbidden, NotFound, OutOfScope
from council.core.locking import expect_version
from council.meetings import policy
from council.meetings.tables import Meeting, MeetingParty

UTC = dt.timezone.utc


def now() -> dt.datetime:
    return dt.datetime.now(UTC)


def utc(moment: dt.datetime | None) -> dt.datetime | None:
    """Every time is stored in UTC: SQLite compares timestamps as text, so one offset for all."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


async def view_for(row: dict) -> policy.MeetingView:
    keys = await MeetingParty.select(MeetingParty.party_key).where(MeetingParty.meeting == row["id"])
    return policy.MeetingView(station=row["station"], chair=row["chair"], recorder=row["recorder"],
                              party_keys=frozenset(k["party_key"] for k in keys))


async def load_meeting(principal: Principal, meeting_id: int) -> tuple[dict, policy.MeetingView]:
    row = await Meeting.select().where(Meeting.id == meeting_id).first()
    if row is None:
        raise NotFound()
    view = await view_for(row)
    if not policy.can_view(principal, view):
        raise OutOfScope()
    row["starts_at"], row["ends_at"] = utc(row["starts_at"]), utc(row["ends_at"])
    return row, view


def require(allowed: bool) -> None:
    if not allowed:
        raise Forbidden()


def check_version(row: dict, version: Any) -> None:
    expect_version(row, version, "Someone else changed this meeting after you opened it. Reload to see their changes.")


async def bump(row: dict, values: dict) -> dict:
    """Write values with the optimistic version check; returns the row as it now is."""
    cols = {getattr(Meeting, k): v for k, v in values.items()}
    done = await Meeting.update({**cols, Meeting.version: row["version"] + 1}).where(
        (Meeting.id == row["id"]) & (Meeting.version == row["version"])).returning(Meeting.id)
    if not done:
        raise Conflict("Someone else changed this meeting after you opened it. Reload to see their changes.")
    return {**row, **values, "version": row["version"] + 1}


async def record(principal: Principal, action: str, row: dict, before: dict | None = None,
                 after: dict | None = None, ip: str = "", entity_type: str = "meeting",
                 entity_id: int | None = None) -> None:
    b, a = audit.diff(before, after) if before is not None and after is not None else (before, after)
    await audit.record(principal, f"meeting.{action}", entity_type=entity_type,
                       entity_id=entity_id if entity_id is not None else row["id"], before=b, after=a,
                       station_id=row["station"], ip=ip)
