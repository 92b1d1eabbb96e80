"""Use cases of the closed loop: dispatch, accept or send back, progress, report, verify and
close, rate; extensions, chasing, escalation; conversion to a proposal."""

from __future__ import annotations

from typing import Any

from council import db
from council.accounts.principal import Principal
from council.audit import service as audit
from council.cases import policy, request_loop
from council.cases.calendar_store import calendar_for, today
from council.cases.common import (
    add_event, check_version, load_case, now, require, set_state, unfinished_tasks, view_of,
)
from council.cases.statemachine import MoveRefused
from council.cases.tables import Case, Extension, Rating
from council.cases.vocabulary import ESCALATION_LEVELS, RATINGS, codes
from council.cases.workcalendar import WorkCalendar
from council.core.errors import Conflict, Invalid
from council.notify import events as notify
from council.parties.tables import Organisation
from council.core import scope

# Which role-check each loop action needs.
STEER = {"dispatch", "close", "reject_report", "convert"}
HANDLE = {"accept", "send_back", "report"}


def _request(row: dict) -> None:
    if row["kind"] != "request":
        raise Conflict("This action applies to requests only.")


async def _organisation_ok(principal: Principal, org_id: int | None, station: int) -> bool:
    if org_id is None:
        return False
    try:
        await scope.ensure_in_scope(principal, "organisation", org_id, field="organisation", station=station)
    except Invalid:
        return False
    return True


async def move_request(principal: Principal, case_id: int, action: str, *, reason: str = "",
                       organisation: int | None = None, report: str = "", rating: str | None = None,
                       comment: str = "", version: Any = None, ip: str = "") -> dict:
    async with db.write():
        row = await load_case(principal, case_id)
        _request(row)
        view = view_of(row)
        if action in STEER:
            require(policy.can_steer(principal, view))
        elif action in HANDLE:
            require(policy.can_handle(principal, view))
        elif action == "rate":
            require(policy.can_rate(principal, view))
        check_version(row, version)
        if action == "dispatch" and not await _organisation_ok(principal, organisation, row["station"]):
            raise Invalid("Please correct the marked fields.", errors={"organisation": "Choose the organisation to dispatch to."})
        if rating is not None and rating not in codes(RATINGS):
            raise Invalid("Please correct the marked fields.", errors={"rating": "Choose one of the listed options."})
        facts = request_loop.RequestFacts(has_organisation=organisation is not None,
                                          has_report=bool(report.strip()), rating=rating,
                                          unfinished_tasks=await unfinished_tasks(case_id) if action == "close" else 0)
        try:
            target = request_loop.move(row["state"], action, facts, reason)
        except MoveRefused as e:
            raise Conflict(e.message) from None
        values: dict[str, Any] = {"state": target}
        text = reason or report
        if action == "dispatch":
            values["organisation"] = organisation
        if action == "send_back":
            values["organisation"] = None  # back with the secretary, to dispatch elsewhere
        if action == "close":
            values["closed_at"] = now()
        if action == "rate":
            await Rating.insert(Rating(case=case_id, unit=None, rating=rating, comment=comment.strip(),
                                       created_by=principal.user_id or None, created_at=now()))
            text = comment
            if target == "registered":  # unsatisfied: the case is open again
                values.update(closed_at=None, organisation=None)
        if action == "convert":
            values["closed_at"] = now()
        after = await set_state(principal, row, values, event=f"request.{action}", text=text,
                                data={"organisation": organisation} if organisation else None, ip=ip)
        if action == "convert":
            after["proposal_id"] = await _convert(principal, after, reason, ip)
        await notify.case_moved(after, action, text=text or "")
        return after


async def _convert(principal: Principal, row: dict, reason: str, ip: str) -> int:
    """A request that needs the residents' decision continues as a proposal; the proposal links
    back to it, so its history stays one click away."""
    from council.cases.numbering import next_number
    from council.stations.tables import Station

    station = await Station.select(Station.case_prefix).where(Station.id == row["station"]).first()
    number = await next_number(row["station"], station["case_prefix"], today().year)
    created = now()
    keep = ("station", "community", "title", "description", "category", "channel", "estate", "building", "unit",
            "reporter", "contact_consent", "priority")
    values = {k: row[k] for k in keep}
    from council.cases.calendar_store import month_key

    values.update(number=number, kind="proposal", state="propose", converted_from=row["id"],
                  created_by=principal.user_id or None, created_at=created, updated_at=created,
                  created_month=month_key(created))
    new_id = (await Case.insert(Case(**values)))[0]["id"]
    await add_event(principal, new_id, "created", to_state="propose", text=reason,
                    data={"converted_from": row["number"]})
    await add_event(principal, row["id"], "converted", text=reason, data={"proposal": number})
    await audit.record(principal, "case.create", entity_type="case", entity_id=new_id,
                       after={"number": number, "converted_from": row["id"]}, station_id=row["station"], ip=ip)
    return new_id


async def add_note(principal: Principal, case_id: int, text: str, ip: str = "") -> None:
    """A progress note on any case (handling progress, a call made, a visit)."""
    if not (text or "").strip():
        raise Invalid("Please correct the marked fields.", errors={"text": "This field is required."})
    async with db.write():
        row = await load_case(principal, case_id)
        view = view_of(row)
        require(policy.can_follow_up(principal, view) or policy.can_handle(principal, view))
        await add_event(principal, case_id, "note", text=text.strip())
        await audit.record(principal, "case.note", entity_type="case", entity_id=case_id,
                           after={"text": text.strip()}, station_id=row["station"], ip=ip)


def _from_above(principal: Principal) -> dict:
    """What a chase or an escalation by the street or the district carries on the timeline: who above
    the station gave it (the station sees the note and where it came from)."""
    if not policy.chases_from_above(principal):
        return {}
    return {"from": principal.role, "area": principal.area_label}


async def chase(principal: Principal, case_id: int, text: str = "", ip: str = "") -> None:
    """督单: a recorded reminder to the handling organisation. The street or district officer above
    the station chases (督办) too, always with a note, and may chase an open request the station has
    not dispatched yet (the reminder is then the station's)."""
    above = policy.chases_from_above(principal)
    if above and not (text or "").strip():
        raise Invalid("Please correct the marked fields.", errors={"text": "Write a note for the station."})
    text = (text or "").strip()[:2000]
    async with db.write():
        row = await load_case(principal, case_id)
        _request(row)
        require(policy.can_chase(principal, view_of(row)))
        chaseable = request_loop.OPEN if above else ("dispatched", "handling")
        if row["state"] not in chaseable:
            if above:
                raise Conflict("Only an open request can be chased.")
            raise Conflict("Only a dispatched request can be chased.")
        data = {"organisation": row["organisation"], **_from_above(principal)}
        await add_event(principal, case_id, "chased", text=text, data=data)
        await audit.record(principal, "case.chase", entity_type="case", entity_id=case_id,
                           after={**data, "text": text}, station_id=row["station"], ip=ip)
        if row["organisation"] is not None or above:
            await notify.case_chased(row, text, from_above=above)


async def escalate(principal: Principal, case_id: int, reason: str, ip: str = "") -> dict:
    """提级办: to the street, then the district. Recorded with its reason."""
    if not (reason or "").strip():
        raise Invalid("Please correct the marked fields.", errors={"reason": "Give a reason for this action."})
    async with db.write():
        row = await load_case(principal, case_id)
        _request(row)
        require(policy.can_chase(principal, view_of(row)))
        if row["state"] not in request_loop.OPEN:
            raise Conflict("Only an open request can be escalated.")
        level = ESCALATION_LEVELS.index(row["escalation"] or "")
        if level + 1 >= len(ESCALATION_LEVELS):
            raise Conflict("This request is already at the district level.")
        after = await set_state(principal, row, {"escalation": ESCALATION_LEVELS[level + 1]}, event="escalated",
                                text=reason.strip(), data=_from_above(principal) or None, ip=ip)
        await notify.case_escalated(after, reason.strip())
        return after


async def request_extension(principal: Principal, case_id: int, days: Any, reason: str, ip: str = "") -> int:
    """Asked before the deadline passes, by the handling organisation (or the secretariat)."""
    errors = {}
    try:
        days = int(days)
        if not 1 <= days <= 60:
            raise ValueError
    except (TypeError, ValueError):
        errors["days"] = "Enter a number of working days from 1 to 60."
    if not (reason or "").strip():
        errors["reason"] = "Give a reason for this action."
    if errors:
        raise Invalid("Please correct the marked fields.", errors=errors)
    async with db.write():
        row = await load_case(principal, case_id)
        _request(row)
        require(policy.can_handle(principal, view_of(row)))
        if row["state"] not in ("dispatched", "handling"):
            raise Conflict("An extension can be asked for only while the request is being handled.")
        if row["due_date"] is not None and today() > row["due_date"]:
            raise Conflict("The deadline has passed: an extension must be asked for before it.")
        if await Extension.exists().where((Extension.case == case_id) & (Extension.status == "pending")):
            raise Conflict("An extension request is already waiting for a decision.")
        ext_id = (await Extension.insert(Extension(case=case_id, days=days, reason=reason.strip(),
                                                   requested_by=principal.user_id or None,
                                                   requested_at=now())))[0]["id"]
        await add_event(principal, case_id, "extension_requested", text=reason.strip(), data={"days": days})
        await audit.record(principal, "case.extension_request", entity_type="case", entity_id=case_id,
                           after={"extension": ext_id, "days": days}, station_id=row["station"], ip=ip)
        return ext_id


async def decide_extension(principal: Principal, case_id: int, extension_id: int, approve: bool,
                           reason: str = "", ip: str = "") -> None:
    async with db.write():
        row = await load_case(principal, case_id)
        _request(row)
        require(policy.can_steer(principal, view_of(row)))
        ext = await Extension.select().where((Extension.id == extension_id) & (Extension.case == case_id)).first()
        if ext is None:
            raise Invalid("Please correct the marked fields.", errors={"extension": "Choose one of the listed options."})
        if ext["status"] != "pending":
            raise Conflict("This extension request has already been decided.")
        status = "approved" if approve else "refused"
        await Extension.update({Extension.status: status, Extension.decided_by: principal.user_id or None,
                                Extension.decided_at: now()}).where(Extension.id == extension_id)
        if approve:
            calendar: WorkCalendar = await calendar_for(row["station"])
            base = row["due_date"] or today()
            await set_state(principal, row, {"due_date": calendar.add_working_days(base, ext["days"])},
                            event="extension_approved", text=reason, data={"days": ext["days"]}, ip=ip)
        else:
            await add_event(principal, case_id, "extension_refused", text=reason, data={"days": ext["days"]})
            await audit.record(principal, "case.extension_refused", entity_type="case", entity_id=case_id,
                               after={"extension": extension_id}, station_id=row["station"], ip=ip)
