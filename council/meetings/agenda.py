"""The agenda: items in order, each with a time box, most of them a case (whose timeline then
shows the meeting), some with the vote taken on them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from council import db
from council.accounts.principal import Principal
from council.cases.common import add_event, load_case
from council.cases.tables import Case
from council.core.errors import Conflict, Invalid, NotFound
from council.core.localtime import LOCAL
from council.meetings import policy
from council.meetings.common import load_meeting, record, require
from council.meetings.tables import AgendaItem, Meeting
from council.votes.tables import Vote

FIX = "Please correct the marked fields."
AGENDA_STATES = frozenset({"planned", "scheduled", "held"})


def _when(row: dict) -> str:
    s = row.get("starts_at")
    return s.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M") if isinstance(s, dt.datetime) else ""


def case_note(row: dict, change: str, **extra: Any) -> dict:
    """What a case's timeline keeps of a meeting: data only, worded in the reader's language by
    templates/meetings/_case_event.html. change: agenda_added, agenda_removed, reschedule, cancel,
    minutes_approved. The title is masked like everything else the meetings print."""
    from council.meetings.document import scrub

    return {"meeting": row["id"], "meeting_title": scrub(row["title"]), "change": change, "when": _when(row), **extra}


async def add_item(principal: Principal, meeting_id: int, *, title: str = "", case: int | None = None,
                   vote: int | None = None, minutes: Any = 15, ip: str = "") -> int:
    row, view = await load_meeting(principal, meeting_id)
    require(policy.can_manage(principal, view))
    if row["state"] not in AGENDA_STATES:
        raise Conflict("This meeting cannot do that in its current state.")
    errors: dict[str, str] = {}
    try:
        minutes = int(minutes)
        if not 5 <= minutes <= 480:
            raise ValueError
    except (TypeError, ValueError):
        errors["minutes"] = "Enter a number of minutes between 5 and 480."
    title = (title or "").strip()[:200]
    case_row = None
    if case is not None:
        case_row = await load_case(principal, case)  # NotFound / Forbidden
        if case_row["station"] != row["station"]:
            errors["case"] = "Choose a case of this station."
        title = title or f"{case_row['number']} {case_row['title']}"[:200]
    if vote is not None:
        v = await Vote.select(Vote.id, Vote.station).where(Vote.id == vote).first()
        if v is None or v["station"] != row["station"]:
            errors["vote"] = "Choose a vote of this station."
    if not title:
        errors["title"] = "This field is required."
    if errors:
        raise Invalid(FIX, errors=errors)
    async with db.write():
        last = await AgendaItem.select(AgendaItem.position).where(AgendaItem.meeting == meeting_id).order_by(
            AgendaItem.position, ascending=False).first()
        item_id = (await AgendaItem.insert(AgendaItem(
            meeting=meeting_id, position=(last["position"] + 1) if last else 1, title=title, case=case, vote=vote,
            minutes=minutes)).returning(AgendaItem.id))[0]["id"]
        if case_row is not None:
            await add_event(principal, case, "meeting", data=case_note(row, "agenda_added", agenda_item=item_id))
        await record(principal, "agenda_added", row, None,
                     {"item": item_id, "title": title, "case": case, "vote": vote, "minutes": minutes}, ip)
    return item_id


async def remove_item(principal: Principal, meeting_id: int, item_id: int, ip: str = "") -> None:
    row, view = await load_meeting(principal, meeting_id)
    require(policy.can_manage(principal, view))
    if row["state"] not in ("planned", "scheduled"):
        raise Conflict("This meeting cannot do that in its current state.")
    async with db.write():
        item = await AgendaItem.select().where((AgendaItem.id == item_id) & (AgendaItem.meeting == meeting_id)).first()
        if item is None:
            raise NotFound()
        await AgendaItem.delete().where(AgendaItem.id == item_id)
        if item["case"]:
            await add_event(principal, item["case"], "meeting", data=case_note(row, "agenda_removed"))
        await record(principal, "agenda_removed", row, {"item": item_id, "title": item["title"]}, None, ip)


async def move_item(principal: Principal, meeting_id: int, item_id: int, direction: str, ip: str = "") -> None:
    """Swap an item with its neighbour ("up" / "down")."""
    row, view = await load_meeting(principal, meeting_id)
    require(policy.can_manage(principal, view))
    if direction not in ("up", "down"):
        raise Invalid(FIX, errors={"direction": "Choose one of the listed options."})
    async with db.write():
        items = await AgendaItem.select(AgendaItem.id, AgendaItem.position).where(
            AgendaItem.meeting == meeting_id).order_by(AgendaItem.position).order_by(AgendaItem.id)
        ids = [i["id"] for i in items]
        if item_id not in ids:
            raise NotFound()
        at = ids.index(item_id)
        other = at - 1 if direction == "up" else at + 1
        if not 0 <= other < len(ids):
            return
        ids[at], ids[other] = ids[other], ids[at]
        for pos, iid in enumerate(ids, start=1):
            await AgendaItem.update({AgendaItem.position: pos}).where(AgendaItem.id == iid)
        await record(principal, "agenda_reordered", row, None, {"order": ids}, ip)


async def items(meeting_id: int) -> list[dict]:
    rows = await AgendaItem.select(
        AgendaItem.all_columns(), AgendaItem.case.number.as_alias("case_number"),
        AgendaItem.case.title.as_alias("case_title"),
    ).where(AgendaItem.meeting == meeting_id).order_by(AgendaItem.position).order_by(AgendaItem.id)
    return rows


async def note_on_cases(principal: Principal, meeting: dict, action: str, reason: str) -> None:
    """A moved or cancelled meeting shows on the timelines of the cases on its agenda."""
    for item in await AgendaItem.select(AgendaItem.case).where(
            (AgendaItem.meeting == meeting["id"]) & AgendaItem.case.is_not_null()):
        # The reason is the secretary's own words: kept as the event's text.
        await add_event(principal, item["case"], "meeting", text=reason.strip(), data=case_note(meeting, action))


async def case_choices(principal: Principal, station: int) -> list[dict]:
    """Open cases of the station to put on an agenda (newest first)."""
    from council.cases.queries import OPEN_STATES

    return await Case.select(Case.id, Case.number, Case.title).where(
        (Case.station == station) & Case.state.is_in(list(OPEN_STATES))).order_by(Case.id, ascending=False).limit(200)


async def vote_choices(station: int) -> list[dict]:
    return await Vote.select(Vote.id, Vote.title, Vote.state).where(Vote.station == station).order_by(
        Vote.id, ascending=False).limit(100)


async def meetings_of_case(case_id: int) -> list[dict]:
    ids = [r["meeting"] for r in await AgendaItem.select(AgendaItem.meeting).where(AgendaItem.case == case_id)]
    return await Meeting.select(Meeting.id, Meeting.title, Meeting.starts_at, Meeting.state).where(
        Meeting.id.is_in(ids or [-1])).order_by(Meeting.starts_at)
